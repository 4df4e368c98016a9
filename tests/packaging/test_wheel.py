"""The wheel, installed alone into a clean venv, runs a hall: what `make install` puts on a Pi.

Everything below runs with the working directory outside the source tree and without
PYTHONPATH, so a module or data file the wheel lacks fails here as it would on an appliance
(the other tests run from the source tree and cannot see such a gap).
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from wheel_env import ROOT, build_wheel, clean_env, installed, source_modules

pytestmark = pytest.mark.packaging

IMPORT_ALL = """
import importlib, json, sys, traceback
names = json.loads(sys.stdin.read())
failed, outside = {}, {}
for name in names:
    try:
        module = importlib.import_module(name)
    except BaseException:
        failed[name] = traceback.format_exc(limit=3)
        continue
    if not str(getattr(module, "__file__", "")).startswith(sys.prefix):
        outside[name] = str(getattr(module, "__file__", None))
with open(sys.argv[1], "w", encoding="utf-8") as out:
    json.dump({"failed": failed, "outside": outside}, out)
"""


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path, dict[str, str]]]:
    """(venv, work folder outside the tree, environment) with the freshly built wheel installed."""
    work = tmp_path_factory.mktemp("wheel-hall")
    assert ROOT not in work.parents
    wheel = build_wheel(work / "dist")
    with installed(wheel) as venv:
        assert ROOT not in venv.parents
        assert str(ROOT) not in (venv / "pyvenv.cfg").read_text(encoding="utf-8"), \
            f"{venv} was made from the source tree's venv; delete it"
        yield venv, work, clean_env(venv, work)


def _run(hall: tuple[Path, Path, dict[str, str]], *argv: str,
         stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    venv, work, env = hall
    return subprocess.run([str(venv / "bin" / argv[0]), *argv[1:]], cwd=work, env=env,
                          input=stdin, capture_output=True, text=True, timeout=timeout)


def test_every_module_of_the_source_tree_imports_from_the_wheel(
        hall: tuple[Path, Path, dict[str, str]]) -> None:
    names = source_modules()
    assert {"broker.rules.decide", "runtime.kivy_setup", "callnext.cli"} <= set(names)
    result_file = hall[1] / "imports.json"
    done = _run(hall, "python", "-c", IMPORT_ALL, str(result_file), stdin=json.dumps(names))
    assert done.returncode == 0, done.stderr
    result = json.loads(result_file.read_text(encoding="utf-8"))
    assert result["failed"] == {}, "\n".join(f"{name}:\n{trace}"
                                            for name, trace in result["failed"].items())
    assert result["outside"] == {}, "modules imported from outside the venv"


def test_the_shipped_example_hall_passes_check_config(
        hall: tuple[Path, Path, dict[str, str]]) -> None:
    target = hall[1] / "hall.toml"
    written = _run(hall, "callnext", "example-hall", "--out", str(target))
    assert written.returncode == 0, written.stderr
    assert target.read_bytes() == (ROOT / "config" / "hall.example.toml").read_bytes()
    checked = _run(hall, "callnext", "check-config", str(target))
    assert checked.returncode == 0, checked.stderr
    assert checked.stdout.startswith(f"OK: {target}")


def test_a_short_headless_demo_day_runs_on_the_shipped_example(
        hall: tuple[Path, Path, dict[str, str]]) -> None:
    out = hall[1] / "day"
    # No --config: the demo plays the example hall shipped in the wheel. 20 hall minutes
    # at 600x are two seconds, enough for tickets, calls and the closing report.
    done = _run(hall, "callnext", "--log-level", "WARNING", "demo", "--headless",
                "--minutes", "20", "--speed", "600", "--out", str(out))
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    assert "日报 Daily report" in done.stdout
    assert (out / "journal.sqlite3").is_file()


LIST_DATA = """
import json, sys
from importlib.resources import files
found = []
for package, folder in json.loads(sys.stdin.read()):
    root = files(package).joinpath(folder)
    found += [f"{package}/{folder}/{p.name}" for p in root.iterdir() if p.is_file()]
print(json.dumps(sorted(found)))
"""


def test_the_console_pages_and_the_voice_pack_ship_in_the_wheel(
        hall: tuple[Path, Path, dict[str, str]]) -> None:
    # A page or a clip missing from the wheel fails only on a Pi: compare with the source tree.
    folders = [("web", "templates"), ("web", "static"), ("hw", "voicepacks/default/zh"),
               ("hw", "voicepacks/default/en")]
    expected = sorted(f"{package}/{folder}/{p.name}" for package, folder in folders
                      for p in (ROOT / package / folder).iterdir()
                      if p.is_file() and p.suffix in {".html", ".js", ".css", ".json", ".wav"})
    assert expected, "the source tree's data folders moved: update this test"
    done = _run(hall, "python", "-c", LIST_DATA, stdin=json.dumps(folders))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected
