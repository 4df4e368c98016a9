"""The journal cannot be written (the disk is full): the broker refuses, acknowledges nothing,
keeps running, and carries on when the disk has room again.

"Disk full" is made real with the kernel's file-size limit (RLIMIT_FSIZE) set on the
running broker from outside (``prlimit``): every write past the limit fails with
EFBIG, as writes fail with ENOSPC on a full SD card, and raising the limit is
the disk getting room again. No mount and no root-only trick is needed.
"""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from protocol.errors import CommandRefused
from tests.faults.fault_tools import BrokerProcess, write_hall

pytestmark = pytest.mark.e2e


def test_a_full_disk_refuses_commands_unacknowledged_and_recovers(tmp_path: Path) -> None:
    broker = BrokerProcess(write_hall(tmp_path), tmp_path / "data")
    broker.start()
    try:
        with broker.client("kiosk-1") as kiosk:
            assert kiosk.request("issue_ticket", {"service": "general"})["ticket"] == "A001"
            before = kiosk.request("snapshot")
            unlimited = resource.prlimit(broker.pid, resource.RLIMIT_FSIZE)
            resource.prlimit(broker.pid, resource.RLIMIT_FSIZE, (4096, unlimited[1]))
            for _ in range(3):
                with pytest.raises(CommandRefused) as refused:
                    kiosk.request("issue_ticket", {"service": "general"},
                                  request_id="kiosk-1-full")
                assert refused.value.code == "journal_unavailable"
                assert "not carried out" in refused.value.message
                assert "disk" in refused.value.message
            during = kiosk.request("snapshot")
            assert during["seq"] == before["seq"] and during["view"] == before["view"]
            resource.prlimit(broker.pid, resource.RLIMIT_FSIZE, unlimited)
            # The refused id was never acknowledged: retried now, it takes effect once.
            retried = kiosk.request("issue_ticket", {"service": "general"},
                                    request_id="kiosk-1-full")
            assert retried["ticket"] == "A002"
            assert kiosk.request("issue_ticket", {"service": "general"})["ticket"] == "A003"
        broker.kill()
        broker.start()
        with broker.client("kiosk-1") as kiosk:
            assert kiosk.request("snapshot")["view"]["services"]["general"]["waiting"] == 3
    finally:
        broker.stop()
