"""The real Kivy widgets rendered offscreen (SDL), one fresh process per window size.

The PNGs land in docs/images/ (the README's screenshots) and were looked at by eye:
CJK glyphs in Simplified Chinese forms, nothing clipped, the lost banner readable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
STATE = ROOT / "docs" / "examples" / "display-state.json"
PROBE = Path(__file__).resolve().parent / "display_render_probe.py"
IMAGES = ROOT / "docs" / "images"


def render(out: Path, size: str, orientation: str = "landscape", state: Path = STATE,
           zone: str | None = None, staff_alerts: bool = False) -> dict[str, Any]:
    env = {**os.environ, "SDL_VIDEODRIVER": "offscreen", "KIVY_NO_ARGS": "1",
           "KIVY_NO_CONSOLELOG": "1", "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(PROBE), str(state), str(out), size, orientation]
    if zone:
        command.append(zone)
    if staff_alerts:
        command += [] if zone else ["1,2,3,4,5,6"]
        command.append("staff_alerts")
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, env=env,
                          cwd=ROOT, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def pixel(path: Path, x: float, y: float) -> tuple[int, ...]:
    with Image.open(path) as image:
        return image.convert("RGB").getpixel((int(x * image.width), int(y * image.height)))


def test_landscape_board_shows_newest_call_tiles_and_flash(tmp_path: Path) -> None:
    out = IMAGES / "display-1920x1080.png"
    shown = render(out, "1920x1080")
    texts = shown["texts"]
    assert shown["window"] == [1920, 1080]
    assert texts["newest_ticket"] == "A002" and "4号窗口" in texts["newest_zh"]
    assert "Counter 4" in texts["newest_en"] and "重呼" in texts["newest_zh"]
    assert texts["tile_1_ticket"] == "A003" and texts["tile_1_state"] == "办理中 Serving"
    # The clerk signed in at counter 1 (the view's counter "staff"), as the standards ask.
    assert texts["tile_1_staff"] == "工号 1024  Staff 1024" and texts["tile_2_staff"] == ""
    assert texts["tile_6_ticket"] == "—" and texts["tile_6_state"] == "暂停服务 Paused"
    # A called priority ticket's tile names its category (the view's counter "category").
    assert texts["tile_5_ticket"] == "Y002" and texts["tile_5_state"] == "★ 80岁以上 Priority"
    assert texts["recent_0_0"] == "D002" and texts["recent_0_1"] == "3号窗口"
    assert texts["title_zh"] == "市医疗保障服务大厅"
    assert shown["flashing"]
    with Image.open(out) as image:
        assert image.size == (1920, 1080)
    # The flashing newest-call panel is orange, not the board's dark blue.
    red, green, blue = pixel(out, 0.05, 0.2)
    assert red > 180 and blue < 80


def test_720p_and_portrait_render_at_their_sizes() -> None:
    small = IMAGES / "display-1280x720.png"
    assert render(small, "1280x720")["texts"]["newest_ticket"] == "A002"
    tall = IMAGES / "display-1080x1920.png"
    shown = render(tall, "1080x1920", "portrait")
    assert shown["window"] == [1080, 1920]
    with Image.open(tall) as image:
        assert image.size == (1080, 1920)


def test_lost_connection_banner_over_a_greyed_board_for_a_zone(tmp_path: Path) -> None:
    state = json.loads(STATE.read_text(encoding="utf-8"))
    state["connected"] = False
    lost_state = tmp_path / "lost.json"
    lost_state.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    out = IMAGES / "display-lost-zone.png"
    shown = render(out, "1280x720", state=lost_state, zone="1,2,3")
    texts = shown["texts"]
    assert shown["stale"] and not shown["flashing"]
    assert (texts["banner_zh"], texts["banner_en"]) == ("连接中断", "Connection lost")
    assert texts["newest_ticket"] == "D002"  # counter 4's recall is outside the zone
    assert not any(name.startswith("tile_4") for name in texts)
    red, green, blue = pixel(out, 0.5, 0.5)
    assert red > 150 and green < 60


def test_the_staff_strip_shows_above_the_ticker_only_when_enabled(tmp_path: Path) -> None:
    state = json.loads(STATE.read_text(encoding="utf-8"))
    state["view"]["alerts"] = {"rating:20261125-A001": {
        "key": "rating:20261125-A001", "kind": "negative_rating", "code": "negative_rating",
        "sticky": True, "counter": 1, "params": {"counter": 1, "ticket": "A001", "score": 1,
                                                 "case": "20261125-A001", "reason": None}}}
    alerted = tmp_path / "alerted.json"
    alerted.write_text(json.dumps(state, ensure_ascii=False), encoding="utf-8")
    plain = render(tmp_path / "plain.png", "1280x720", state=alerted)
    assert "staff_strip" not in plain["texts"]
    out = tmp_path / "strip.png"
    texts = render(out, "1280x720", state=alerted, staff_alerts=True)["texts"]
    assert texts["staff_strip"].startswith("！1 号窗口收到差评（A001）")
    # The amber strip floats over the header's free middle; the board keeps its layout.
    red, green, blue = pixel(out, 0.35, 0.03)
    assert red > green > blue and red > 100
    assert pixel(tmp_path / "plain.png", 0.35, 0.03) != (red, green, blue)
