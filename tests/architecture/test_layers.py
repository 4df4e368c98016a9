"""The layers read from the bottom up: a lower layer never imports a higher one.

The layers and what each may import are in docs/architecture.md. Every import
is found by walking the syntax tree, so imports inside functions (the lazy ones
that keep Kivy out of the broker) count like any other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LAYERS: dict[str, int] = {
    "foundation": 0,
    "config": 1,
    "broker.rules": 2,
    "protocol": 3,
    "broker": 4,
    "hw": 5,
    "runtime": 6,
    "kiosk": 7,
    "display": 7,
    "caller": 7,
    "web": 7,
    "uplink": 7,
    "callnext": 8,
}
"""Top-level packages (and ``broker.rules``) to their height; a module imports only lower ones,
and its own package. Nodes stand side by side and never import each other."""

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60


def _package_of(module: str) -> str | None:
    if module == "broker.rules" or module.startswith("broker.rules."):
        return "broker.rules"
    top = module.split(".")[0]
    return top if top in LAYERS else None


def _modules() -> list[tuple[str, Path]]:
    found = []
    for package in {name.split(".")[0] for name in LAYERS}:
        folder = ROOT / package
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found.append((name, path))
    return found


def _imports(module: str, path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                if path.name != "__init__.py":
                    base = base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            names.append((node.lineno, target))
            # ``from broker import rules`` imports broker.rules, not only broker.
            names.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
    return names


def _violations() -> list[str]:
    problems = []
    for module, path in _modules():
        own = _package_of(module)
        if own is None:
            continue
        for line, target in _imports(module, path):
            other = _package_of(target)
            if other is None or other == own:
                continue
            if own == "broker" and other == "broker.rules":
                continue  # the broker drives its own rules
            if LAYERS[other] >= LAYERS[own]:
                problems.append(f"{path.relative_to(ROOT)}:{line}: {own} (layer {LAYERS[own]}) "
                                f"imports {target} (layer {LAYERS[other]})")
    return problems


def test_no_layer_imports_one_above_it_or_beside_it() -> None:
    problems = _violations()
    assert not problems, "imports against the layering:\n" + "\n".join(problems)


def test_the_check_itself_sees_a_violation(tmp_path: Path) -> None:
    """The walker finds lazy and relative imports (so an empty result means something)."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from kiosk.ui import X\n    from . import rules\n")
    found = [target for _, target in _imports("broker.service", sample)]
    assert "kiosk.ui" in found and "broker.rules" in found


def test_foundation_imports_nothing_of_ours() -> None:
    for module, path in _modules():
        if _package_of(module) != "foundation":
            continue
        ours = [t for _, t in _imports(module, path)
                if _package_of(t) not in (None, "foundation")]
        assert not ours, f"{path.relative_to(ROOT)} imports {ours}"


def _long_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({length} lines)")
    return long


@pytest.mark.parametrize("limit", [MAX_MODULE_LINES])
def test_modules_stay_small(limit: int) -> None:
    big = [f"{path.relative_to(ROOT)} ({n} lines)" for _, path in _modules()
           if (n := len(path.read_text(encoding="utf-8").splitlines())) > limit]
    assert not big, f"modules over {limit} lines (split them by meaning):\n" + "\n".join(big)


def test_functions_stay_short() -> None:
    long = [entry for _, path in _modules() for entry in _long_functions(path)]
    assert not long, (f"functions over {MAX_FUNCTION_LINES} lines (split them by meaning):\n"
                      + "\n".join(long))
