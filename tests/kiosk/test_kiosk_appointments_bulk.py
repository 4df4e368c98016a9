"""A 5 000-row bookings file is one all-or-nothing import, against a real CURVE broker."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import zmq

from callnext.demo import start_broker, stop_broker
from callnext.keys import init_keys
from config.load import load_hall
from kiosk.appointments import AppointmentImportError, import_csv, max_bookings
from protocol import envelope
from protocol.client import RequestClient
from protocol.errors import CommandRefused
from protocol.security import client_socket_setup

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).resolve().parents[2] / "config" / "hall.example.toml"
CLOCK = "2026-11-25T09:00"
ROWS = 5000


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("keys")
    init_keys(directory, ["broker", "admin", "kiosk-1"])
    return directory


@pytest.fixture(scope="module")
def broker(keys: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    process, endpoints = start_broker(str(CONFIG), tmp_path_factory.mktemp("data"),
                                      clock_start=CLOCK, keys_dir=keys)
    yield endpoints
    stop_broker(process)


def client(broker: dict[str, str], keys: Path, node: str) -> RequestClient:
    return RequestClient(broker["commands"], node, timeout_ms=10_000, retries=1,
                         socket_setup=client_socket_setup(keys, node))


def bookings_csv(path: Path, prefix: str, rows: int = ROWS, *, bad_row: int | None = None,
                 bad_code: str | None = None) -> Path:
    """``rows`` bookings of the longest codes, all in the 09:00 slot of the test day."""
    lines = ["code,service,start,end"]
    for row in range(1, rows + 1):
        code = f"{prefix}-{row:06d}".ljust(32, "X")
        start = "2026-11-25T09:00"
        if row == bad_row and bad_code is not None:
            code = bad_code
        elif row == bad_row:
            start = "2026-11-25T25:00"
        lines.append(f"{code},general,{start},2026-11-25T09:10")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def code_of(prefix: str, row: int) -> str:
    return f"{prefix}-{row:06d}".ljust(32, "X")


def check_in(broker: dict[str, str], keys: Path, code: str) -> str:
    """Check a booking in at the kiosk; the refusal code when the broker does not know it."""
    with client(broker, keys, "kiosk-1") as kiosk:
        try:
            return str(kiosk.request("issue_ticket", {"kind": "appointment",
                                                      "appointment": code})["ticket"])
        except CommandRefused as refused:
            return refused.code


def test_5000_rows_are_imported_by_the_command_in_one_request(broker: dict[str, str],
                                                             keys: Path,
                                                             tmp_path: Path) -> None:
    path = bookings_csv(tmp_path / "bookings.csv", "FULL")
    assert len(envelope.encode_request(envelope.Request(
        id="x", op="book_appointments", node="admin",
        args={"bookings": [{"code": code_of("FULL", 1), "service": "general",
                            "start": "2026-11-25T09:00", "end": "2026-11-25T09:10"}] * ROWS},
    ))) > envelope.MAX_FRAME_BYTES, "the file must not fit the ordinary frame limit"
    result = subprocess.run(
        [sys.executable, "-m", "callnext", "appointments", "import", str(path),
         "--config", str(CONFIG), "--endpoint", broker["commands"], "--keys", str(keys)],
        capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert f"{ROWS} booking(s) imported" in result.stdout
    # Both ends of the file were booked: each checks in to a ticket of its service.
    assert re.fullmatch(r"A\d{3}", check_in(broker, keys, code_of("FULL", 1)))
    assert re.fullmatch(r"A\d{3}", check_in(broker, keys, code_of("FULL", ROWS)))


def test_a_row_the_broker_refuses_in_the_4000th_place_books_nothing(broker: dict[str, str],
                                                                   keys: Path,
                                                                   tmp_path: Path) -> None:
    taken = code_of("TAKEN", 1)
    with client(broker, keys, "admin") as admin:
        admin.request("book_appointment", {"code": taken, "service": "general",
                                           "start": "2026-11-25T09:00",
                                           "end": "2026-11-25T09:10"})
    path = bookings_csv(tmp_path / "bookings.csv", "HALF", bad_row=4000, bad_code=taken)
    hall = load_hall(CONFIG)
    with client(broker, keys, "admin") as admin, \
            pytest.raises(AppointmentImportError) as caught:
        import_csv(path, hall, broker["commands"], node="admin", client=admin)
    message = str(caught.value)
    assert f"row 4000 ({taken})" in message and "exists already" in message
    assert "nothing was booked" in message and "import the whole file again" in message
    for row in (1, 3999, 4001, ROWS):
        assert check_in(broker, keys, code_of("HALF", row)) == "unknown_appointment"


def test_a_bad_row_found_before_sending_books_nothing(broker: dict[str, str], keys: Path,
                                                     tmp_path: Path) -> None:
    path = bookings_csv(tmp_path / "bookings.csv", "EARLY", bad_row=4000)
    with client(broker, keys, "admin") as admin, \
            pytest.raises(AppointmentImportError) as caught:
        import_csv(path, load_hall(CONFIG), broker["commands"], node="admin", client=admin)
    assert "line 4001" in str(caught.value) and "nothing was imported" in str(caught.value)
    assert check_in(broker, keys, code_of("EARLY", 1)) == "unknown_appointment"


def test_more_rows_than_one_import_takes_says_how_to_split(tmp_path: Path) -> None:
    most = max_bookings()
    path = bookings_csv(tmp_path / "bookings.csv", "MANY", rows=most + 1)
    with pytest.raises(AppointmentImportError) as caught:
        import_csv(path, load_hall(CONFIG), "tcp://127.0.0.1:9")
    assert f"holds {most + 1} bookings" in str(caught.value)
    assert f"split it into files of at most {most} rows" in str(caught.value)


def test_only_a_key_allowed_bulk_ops_gets_a_large_frame_read(broker: dict[str, str],
                                                             keys: Path) -> None:
    # A kiosk key's large frame is refused unread (as any frame above the ordinary limit
    # was before), even when it names the bulk op.
    frame = json.dumps({"v": 1, "id": "big-1", "op": "book_appointments", "node": "kiosk-1",
                        "args": {"bookings": [], "pad": "x" * (envelope.MAX_FRAME_BYTES + 1)}})
    context = zmq.Context()
    socket = context.socket(zmq.DEALER)
    socket.setsockopt(zmq.LINGER, 0)
    client_socket_setup(keys, "kiosk-1")(socket)
    try:
        socket.connect(broker["commands"])
        socket.send(frame.encode())
        assert socket.poll(10_000), "no reply"
        reply = json.loads(socket.recv())
    finally:
        socket.close()
        context.term()
    assert reply["ok"] is False and reply["error"]["code"] == "too_large"
    assert f"at most {envelope.MAX_FRAME_BYTES} bytes are accepted from this sender" \
        in reply["error"]["message"]
