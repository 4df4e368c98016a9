"""A node's process imports only its own subcommand's module (issue #17, lean nodes).

Registering every command module loaded the broker's rules, the period report and the
simulator into each Kivy node, and the kiosk's screens and the uplink into the broker.
"""

from __future__ import annotations

import argparse
import importlib
import json
import subprocess
import sys
from pathlib import Path

import pytest

from callnext.cli import (BUILT_IN_COMMANDS, COMMAND_MODULES, COMMAND_OWNERS, build_parser,
                          command_modules)

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
from callnext.cli import build_parser
args = build_parser(sys.argv[1:]).parse_args(sys.argv[1:])
print(json.dumps(sorted(sys.modules)))
"""


def _choices(parser: argparse.ArgumentParser) -> set[str]:
    return {name for action in parser._actions
            if isinstance(action, argparse._SubParsersAction) for name in action.choices}


def test_the_owner_table_is_what_each_module_registers() -> None:
    registered: dict[str, str] = {}
    for module in COMMAND_MODULES:
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(module).register(sub)
        registered.update((name, module) for name in sub.choices)
    assert registered == COMMAND_OWNERS, "add the new subcommands to COMMAND_OWNERS"


def test_built_in_commands_need_no_command_module() -> None:
    assert command_modules(["--log-level", "WARNING", "broker", "--config", "x"]) == ()
    assert _choices(build_parser(["broker"])) == set(BUILT_IN_COMMANDS)


@pytest.mark.parametrize(("argv", "owner"), [
    (["--log-level", "DEBUG", "display", "--config", "h.toml"], "display.cli"),
    (["announce", "--help"], "display.cli"), (["central-schema"], "uplink.cli")])
def test_a_command_loads_its_owner_alone(argv: list[str], owner: str) -> None:
    assert command_modules(argv) == (owner,)


@pytest.mark.parametrize("argv", [[], ["--help"], ["nonsense"], ["--log-level", "LOUD", "web"]])
def test_help_and_errors_list_every_command(argv: list[str]) -> None:
    assert command_modules(argv) == COMMAND_MODULES
    assert _choices(build_parser(argv)) == {*BUILT_IN_COMMANDS, *COMMAND_OWNERS}


def test_the_broker_and_the_display_import_no_other_command() -> None:
    loaded = {}
    for argv in (["broker", "--config", "h.toml", "--data", "d"],
                 ["display", "--config", "h.toml", "--node", "display-1"]):
        done = subprocess.run([sys.executable, "-c", PROBE, *argv], cwd=ROOT,
                              capture_output=True, text=True, timeout=60, check=False)
        assert done.returncode == 0, done.stderr[-2000:]
        loaded[argv[0]] = set(json.loads(done.stdout))
    others = {"kiosk.cli", "caller.cli", "uplink.cli", "web.cli", "callnext.simulate",
              "callnext.report_cli", "broker.report_figures", "callnext.simulate_engine"}
    assert not others & loaded["broker"]
    assert not (others | {"broker.rules", "broker.journal"}) & loaded["display"]
    assert "display.cli" in loaded["display"]
