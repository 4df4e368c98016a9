"""The emulation bench runs only the callnext of this source tree (bench/emulation_bench.py).

A CI machine kept an arm64 root from an older checkout; the bench ran that older broker on
today's hall file, which it refused, and the whole bench failed. The check compares the
installed wheel's RECORD hashes with the source files.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from bench.emulation_bench import installed_matches_source


def _record_line(path: str, content: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(content).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(content)}"


def _root_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    root = tmp_path / "root"
    info = root / "opt/callnext/venv/lib/python3.11/site-packages/callnext-0.1.0.dist-info"
    info.mkdir(parents=True)
    lines = [_record_line(path, content) for path, content in files.items()]
    lines += ["../../../bin/callnext,sha256=abc,10", "broker/__pycache__/x.pyc,,",
              "callnext-0.1.0.dist-info/RECORD,,"]
    (info / "RECORD").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def _source_with(tmp_path: Path, files: dict[str, bytes]) -> Path:
    source = tmp_path / "source"
    for path, content in files.items():
        (source / path).parent.mkdir(parents=True, exist_ok=True)
        (source / path).write_bytes(content)
    return source


FILES = {"broker/service.py": b"VERSION = 2\n", "callnext/cli.py": b"main = None\n"}


def test_a_root_holding_this_tree_is_used(tmp_path: Path) -> None:
    assert installed_matches_source(_root_with(tmp_path, FILES), _source_with(tmp_path, FILES))


def test_a_root_from_an_older_checkout_is_not(tmp_path: Path) -> None:
    root = _root_with(tmp_path, {**FILES, "broker/service.py": b"VERSION = 1\n"})
    assert not installed_matches_source(root, _source_with(tmp_path, FILES))


def test_a_file_the_tree_lacks_means_another_build(tmp_path: Path) -> None:
    root = _root_with(tmp_path, {**FILES, "broker/gone.py": b"x = 1\n"})
    assert not installed_matches_source(root, _source_with(tmp_path, FILES))


def test_a_root_without_callnext_is_not_used(tmp_path: Path) -> None:
    assert not installed_matches_source(tmp_path, _source_with(tmp_path, FILES))
