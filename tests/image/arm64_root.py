"""An arm64 Debian root with callnext installed, run under qemu-user: the Pi's side of a test.

The root is built once by the image scripts (``scripts/image/root.sh``: mmdebstrap bookworm
arm64 from Debian's packages, then ``scripts/image/venv.sh``: /opt/callnext/venv with the
wheel's dependencies installed by pip inside the root) and kept under
``~/.cache/callnext/arm64-root-<key>``, the key hashing the Debian package list, the
dependency lists of pyproject.toml and the scripts that build it. Each run only puts the
current callnext wheel into that venv. A lock file keeps two test runs on one machine from
using the root at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPTS = ROOT / "scripts" / "image"
PACKAGES = SCRIPTS / "packages" / "base.txt"
BUILD_TIMEOUT_S = 1800
"""Bound on building the root (mmdebstrap and pip under emulation); minutes in practice."""
INSTALL_TIMEOUT_S = 600


class EmulationUnavailable(Exception):
    """This machine cannot run arm64 binaries (no binfmt_misc / qemu-user, or not root)."""


def debian_packages(path: Path = PACKAGES) -> list[str]:
    """The package names of a list file (one a line, ``#`` comments)."""
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        name = line.split("#", 1)[0].strip()
        if name:
            names.append(name)
    return names


def cache_key() -> str:
    """A short hash of what the cached root holds: Debian packages, Python deps, the scripts."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    basis = [debian_packages(), project.get("dependencies", []),
             *[(SCRIPTS / name).read_text(encoding="utf-8")
               for name in ("root.sh", "venv.sh")]]
    return hashlib.sha256(json.dumps(basis).encode("utf-8")).hexdigest()[:16]


def cache_dir() -> Path:
    """Where built roots are kept (outside the clone; ``XDG_CACHE_HOME`` respected)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "callnext"


def check_emulation() -> None:
    """Raise ``EmulationUnavailable`` saying why, unless arm64 binaries can run here."""
    if os.geteuid() != 0:
        raise EmulationUnavailable("the arm64 root needs root (chroot, mounts); run as root")
    for tool in ("mmdebstrap", "unshare", "chroot"):
        if shutil.which(tool) is None:
            raise EmulationUnavailable(f"{tool} is missing: make image-deps installs it")
    done = subprocess.run(["sh", str(SCRIPTS / "emulation.sh")], capture_output=True,
                          text=True, timeout=120)
    if done.returncode != 0:
        raise EmulationUnavailable(done.stderr.strip() or "arm64 emulation is not available")


def _build(target: Path, wheel: Path) -> None:
    """Build the root at ``target`` (absent) with the wheel's dependencies in its venv."""
    partial = target.with_name(target.name + ".venv-partial")
    if partial.exists():
        shutil.rmtree(partial)
    subprocess.run(["sh", str(SCRIPTS / "root.sh"), str(partial), *debian_packages()],
                   check=True, timeout=BUILD_TIMEOUT_S)
    subprocess.run(["sh", str(SCRIPTS / "venv.sh"), str(partial), str(wheel)],
                   check=True, timeout=BUILD_TIMEOUT_S)
    partial.rename(target)


@contextmanager
def arm64_root(wheel: Path) -> Iterator[Path]:
    """The cached arm64 root (built on a miss) with ``wheel`` installed, held under a lock."""
    check_emulation()
    cache = cache_dir()
    cache.mkdir(parents=True, exist_ok=True)
    target = cache / f"arm64-root-{cache_key()}"
    with open(cache / "arm64-root.lock", "w", encoding="utf-8") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (target / "opt" / "callnext" / "venv" / "bin" / "python").exists():
                _build(target, wheel)
            else:
                subprocess.run(["sh", str(SCRIPTS / "venv.sh"), str(target), str(wheel)],
                               check=True, timeout=INSTALL_TIMEOUT_S)
            yield target
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def in_root(root: Path, *argv: str) -> list[str]:
    """The command line that runs ``argv`` inside ``root`` (under emulation on x86)."""
    return ["sh", str(SCRIPTS / "in-root.sh"), str(root), *argv]
