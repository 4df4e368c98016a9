"""pydantic builds callnext's models without importing importlib.metadata (issue #17).

Each check runs in a fresh interpreter: this process imported pydantic long ago.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HALL = ROOT / "config" / "hall.example.toml"

SKIPPED = """
import json, sys
from config.plugins import skip_plugin_discovery
skipped = skip_plugin_discovery()
from config.load import load_hall
from protocol.view import PublicView
hall = load_hall(sys.argv[1])
PublicView.parse({})
print(json.dumps({"skipped": skipped, "again": skip_plugin_discovery(),
                  "metadata": "importlib.metadata" in sys.modules,
                  "services": len(hall.services)}))
"""


def _run(code: str, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60, check=False, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    found: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


def test_the_hall_and_the_view_validate_without_plugin_discovery() -> None:
    found = _run(SKIPPED, str(HALL))
    assert found == {"skipped": True, "again": True, "metadata": False,
                     "services": found["services"]}
    assert isinstance(found["services"], int) and found["services"] > 0


def test_someone_choosing_plugins_keeps_discovery() -> None:
    import os

    env = {**os.environ, "PYDANTIC_DISABLE_PLUGINS": "some-plugin"}
    found = _run(SKIPPED, str(HALL), env=env)
    assert found["skipped"] is False and found["metadata"] is True


def test_every_callnext_command_skips_it() -> None:
    probe = ("import json, sys; from callnext.cli import main; "
             "status = main(['show-config', sys.argv[1]]); "
             "print(json.dumps({'status': status, "
             "'metadata': 'importlib.metadata' in sys.modules}))")
    found = _run(probe, str(HALL))
    assert found == {"status": 0, "metadata": False}
