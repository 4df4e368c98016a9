"""The node runtime against a real broker process; the security settings every node shares."""

from __future__ import annotations

from pathlib import Path

import pytest

from callnext.demo import start_broker, stop_broker
from config.load import load_hall
from config.security import Security
from protocol.security import KeysMissing
from runtime.node import NodeRuntime
from runtime.security import node_security
from tests.conftest import at, small_hall, wait_for

pytestmark = pytest.mark.e2e

CONFIG = str(Path(__file__).resolve().parents[2] / "config" / "hall.example.toml")


def printer_status(runtime: NodeRuntime) -> str | None:
    model = runtime.model()
    for entry in (model.health.values() if model is not None else ()):
        if entry.node == runtime.node_id and entry.component == "printer":
            return entry.status
    return None


def test_mirror_broker_clock_and_health_through_one_runtime(tmp_path: Path) -> None:
    # The broker's day is 25 Nov, 09:00: whatever this machine's clock says.
    process, endpoints = start_broker(CONFIG, tmp_path, clock_start="2026-11-25T09:00")
    try:
        with NodeRuntime(load_hall(CONFIG), "kiosk-1",
                         endpoints=(endpoints["commands"], endpoints["events"])) as runtime:
            assert runtime.broker_now() is None and runtime.view() == {}
            assert runtime.model() is None
            runtime.start()
            assert wait_for(lambda: runtime.connected)
            assert abs(runtime.broker_now() - at("09:00")) < 120  # type: ignore[operator]
            assert runtime.view() is runtime.view()  # shared, not copied on every read
            # The same view typed, parsed once by the mirror: counters keyed by number.
            model = runtime.model()
            assert model is not None and model is runtime.model()
            assert sorted(model.counters) == [c.number for c in load_hall(CONFIG).counters]
            runtime.health.report("printer", "fault", "打印机缺纸 / printer out of paper")
            assert wait_for(lambda: printer_status(runtime) == "fault")
            runtime.health.report("printer", "ok")
            assert wait_for(lambda: printer_status(runtime) == "ok")
    finally:
        stop_broker(process)


def test_the_hall_files_security_applies_and_the_command_line_overrides_it(
        tmp_path: Path) -> None:
    bench = small_hall().model_copy(update={"security": Security(insecure=True)})
    assert node_security(bench).socket_setup("caller-1") is None
    hall = small_hall().model_copy(update={"security": Security(keys_dir=str(tmp_path / "keys-of-the-hall-file"))})
    with pytest.raises(KeysMissing, match="keys-of-the-hall-file"):
        node_security(hall).socket_setup("caller-1")
    with pytest.raises(KeysMissing, match="keys-given-with-flag"):
        node_security(hall, keys=str(tmp_path / "keys-given-with-flag")).socket_setup("caller-1")
    assert node_security(hall, insecure=True).socket_setup("caller-1") is None
