"""Real full and read-only filesystems for the start-up tests, with a fallback without root.

As root (CI), a full disk is a small tmpfs filled to the last block and a read-only
one is a read-only bind mount: exactly what a full SD card or a card the kernel
remounted read-only looks like to the broker. Without root, the kernel's file-size
limit (RLIMIT_FSIZE, writes fail like on a full disk) and a directory without
write permission stand in for them.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

import pytest

CAN_MOUNT = os.geteuid() == 0 and sys.platform.startswith("linux")


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True)


def _umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], check=False, capture_output=True)


@contextmanager
def small_filesystem(path: Path, size_kib: int = 2048) -> Iterator[Path]:
    """A tmpfs of ``size_kib`` mounted at ``path`` (root only; skips the test otherwise)."""
    if not CAN_MOUNT:
        pytest.skip("mounting a small filesystem needs root (CI runs as root)")
    path.mkdir(parents=True, exist_ok=True)
    try:
        _mount("-t", "tmpfs", "-o", f"size={size_kib}k,mode=0755", "tmpfs", str(path))
    except subprocess.CalledProcessError as err:
        pytest.skip(f"cannot mount a tmpfs here: {err.stderr.strip()}")
    try:
        yield path
    finally:
        _umount(path)


def fill(directory: Path) -> Path:
    """Write a filler file until the filesystem holding ``directory`` has no block left."""
    filler = directory / "filler"
    chunk = b"\0" * 4096
    with open(filler, "wb", buffering=0) as file:
        try:
            while True:
                file.write(chunk)
        except OSError:
            pass
        try:
            while True:
                file.write(b"\0")
        except OSError:
            pass
    return filler


@contextmanager
def read_only(directory: Path) -> Iterator[None]:
    """Make ``directory`` read-only: a read-only bind mount as root, else mode 0555."""
    if CAN_MOUNT:
        _mount("--bind", str(directory), str(directory))
        try:
            _mount("-o", "remount,ro,bind", str(directory))
            yield
        finally:
            _umount(directory)
        return
    mode = directory.stat().st_mode
    directory.chmod(0o555)
    try:
        yield
    finally:
        directory.chmod(mode)


def file_size_limit(limit: int) -> Callable[[], None]:
    """A ``preexec_fn`` that caps the size of files the child may write (a full disk)."""
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    return apply


def run_broker_once(config: Path, data: Path, *extra: str,
                    preexec: Callable[[], None] | None = None,
                    timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """Run ``callnext broker`` expecting it to refuse to start; returns its outcome."""
    command = [sys.executable, "-m", "callnext", "broker", "--config", str(config),
               "--data", str(data), "--insecure", "--bind", "127.0.0.1",
               "--command-port", "0", "--event-port", "0", *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, preexec_fn=preexec)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"the broker did not refuse to start; it is serving:\n{out}\n{err}")
    return subprocess.CompletedProcess(command, process.returncode, out, err)


def start_and_stop(config: Path, data: Path, *extra: str, timeout: float = 60) -> str:
    """Start ``callnext broker`` with ``extra`` options, wait until ready, stop it (SIGTERM).

    This is how a technician runs a one-off decision such as
    ``--accept-journal-rollback`` before starting the service again.

    Returns:
        What the broker wrote on stderr.
    """
    command = [sys.executable, "-m", "callnext", "broker", "--config", str(config),
               "--data", str(data), "--insecure", "--bind", "127.0.0.1",
               "--command-port", "0", "--event-port", "0", *extra]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()  # the ready line, or "" when it exited
        if '"ready"' not in line:
            _, err = process.communicate(timeout=timeout)
            pytest.fail(f"the broker did not get ready (exit {process.returncode}):\n{err}")
        process.terminate()
        _, err = process.communicate(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 0, err
    return err
