"""A clean virtual environment holding only the callnext wheel: what a hall gets on a Pi.

The wheel is built by ``scripts/build-wheel.sh`` (the recipe ``make install`` uses) and
installed with its ``[all]`` extra into a venv outside the source tree. Installing the
third-party dependencies (Kivy, pyzmq, pydantic, ...) takes minutes, so that venv is kept under
``~/.cache/callnext/`` keyed by a hash of the dependency lists in pyproject.toml (and the
Python it was made with); each run only replaces the callnext wheel itself. A lock file keeps
two test runs on one machine from installing into the same venv at once.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEV_ONLY = frozenset({"tests", "bench"})
"""Top-level packages of the source tree that are not part of the product (never shipped)."""
INSTALL_TIMEOUT_S = 1800


def source_modules(root: Path = ROOT) -> list[str]:
    """Every importable module of the product's packages in the source tree, dotted.

    A package is any top-level folder with an ``__init__.py`` except ``DEV_ONLY``, so a new
    package that pyproject.toml forgets to ship is still expected in the wheel.
    ``__main__`` modules are left out: importing one runs the command.
    """
    modules = []
    for init in sorted(root.glob("*/__init__.py")):
        if init.parent.name in DEV_ONLY:
            continue
        for path in sorted(init.parent.rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__main__":
                continue
            modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def dependency_key(pyproject: Path = ROOT / "pyproject.toml") -> str:
    """A short hash of what the cached venv holds: the dependency lists and this Python."""
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    basis = [project.get("dependencies", []),
             project.get("optional-dependencies", {}).get("all", []),
             sys.version, platform.machine(), sys.base_prefix]
    return hashlib.sha256(json.dumps(basis).encode("utf-8")).hexdigest()[:16]


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/callnext`` (default ``~/.cache/callnext``), outside every clone."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "callnext"


def build_wheel(out: Path) -> Path:
    """Build the wheel with this interpreter's setuptools (no download) into ``out``."""
    done = subprocess.run(
        ["sh", str(ROOT / "scripts" / "build-wheel.sh"), str(out), "--no-build-isolation"],
        env={**os.environ, "PYTHON": sys.executable}, capture_output=True, text=True,
        timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"building the wheel failed (exit {done.returncode}); the test venv "
                           "needs setuptools>=77 (`make deps` installs it):\n" + done.stderr)
    return Path(done.stdout.strip().splitlines()[-1])


def clean_env(venv: Path, work: Path) -> dict[str, str]:
    """This process's environment minus everything that could point Python at the source tree."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", PYTHONNOUSERSITE="1",
               # Kivy headless: offscreen GL, no argv parsing, its files in the work folder.
               KIVY_NO_ARGS="1", SDL_VIDEODRIVER="offscreen", KIVY_HOME=str(work / "kivy"),
               KIVY_NO_FILELOG="1")
    return env


def _pip(venv: Path, *args: str) -> None:
    done = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "--quiet",
                           "--disable-pip-version-check", *args], cwd=venv,
                          capture_output=True, text=True, timeout=INSTALL_TIMEOUT_S)
    if done.returncode != 0:
        raise RuntimeError(f"pip {' '.join(args)} failed in {venv}:\n{done.stdout}{done.stderr}")


@contextmanager
def installed(wheel: Path) -> Iterator[Path]:
    """The cached clean venv with ``wheel`` installed in it, locked while in use.

    Yields:
        The venv's folder.
    """
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    venv = root / f"wheel-venv-{dependency_key()}"
    complete = venv / ".callnext-deps-installed"
    with open(root / f"{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not complete.exists():
            # New, or left half-made by an interrupted run: start again.
            shutil.rmtree(venv, ignore_errors=True)
            # From the base interpreter: the venv owes nothing to the tree's .venv.
            base = getattr(sys, "_base_executable", sys.executable)
            subprocess.run([base, "-m", "venv", str(venv)], check=True, timeout=300, cwd=root)
            _pip(venv, "install", f"{wheel}[all]")
            complete.touch()
        else:
            _pip(venv, "install", "--force-reinstall", "--no-deps", str(wheel))
        yield venv
