"""The display process loads only what it draws and says (issue #17: display <= bare Kivy
app + 40 MiB). Checked in a fresh interpreter, so nothing another test imported can hide
an import: the display's command path up to its window, then a hall loaded and a view
parsed as the running display does.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HALL = ROOT / "config" / "hall.example.toml"

PROBE = """
import json, sys
from config.plugins import skip_plugin_discovery
skip_plugin_discovery()
from callnext.cli import build_parser
build_parser(["display", "--config", sys.argv[1]])
import display.app, display.cli, display.ui
from config.load import load_hall
from protocol.view import PublicView
from runtime.voice import build_voice
from config.display_node import Speech
from hw.speech import EspeakSpeech
load_hall(sys.argv[1])
PublicView.parse({})
voice = build_voice(Speech(), EspeakSpeech())
print(json.dumps({"modules": sorted(sys.modules), "packs": len(voice.packs),
                  "clips": sum(pack.loaded() for pack in voice.packs.values())}))
"""

NOT_FOR_THE_DISPLAY = {
    "broker", "kiosk", "caller", "uplink", "web", "callnext.simulate", "callnext.report_cli",
    "asyncio", "ssl", "importlib.metadata", "email", "tomli_w", "difflib", "numpy",
}


def test_the_display_imports_nothing_it_does_not_use() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE, str(HALL)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    loaded = set(found["modules"])
    assert "display.app" in loaded and "pydantic" in loaded
    assert sorted(NOT_FOR_THE_DISPLAY & loaded) == []
    assert found["packs"] >= 1 and found["clips"] == 0  # voice clips are read when a call is spoken


def test_the_board_draws_in_few_font_faces(tmp_path: Path) -> None:
    from test_display_kivy import render

    shown = render(tmp_path / "board.png", "1920x1080")
    # Each (size, bold) opens its own face of the CJK font, ≈ 0.3 MiB: 17 before #17.
    assert len(shown["faces"]) <= 13, shown["faces"]
    assert shown["texts"]["title_zh"]  # the board was drawn
