"""The SD-card layout of an image, made without loop devices (scripts/image/assemble.sh).

A small stand-in root (files only: nothing in it runs) goes through fstab.sh and assemble.sh;
the image is then read back with the same tools a PC would use: the partition table with
sfdisk, the FAT boot partition with mtools, the ext4 partitions with debugfs, each at its
offset inside the image file.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from arm64_root import SCRIPTS

pytestmark = pytest.mark.image
TOOLS = ("sfdisk", "mkfs.vfat", "mcopy", "mtype", "mkfs.ext4", "debugfs")
DISKID = "c0ffee19"


def _need_tools() -> None:
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} missing: make image-deps installs them")


def _stand_in_root(root: Path) -> None:
    (root / "bin").mkdir(parents=True)
    (root / "bin" / "sh").write_text("#!stand-in\n", encoding="utf-8")
    (root / "etc" / "callnext").mkdir(parents=True)
    (root / "etc" / "callnext" / "hall.toml").write_text("# hall\n", encoding="utf-8")
    os.chmod(root / "etc" / "callnext" / "hall.toml", 0o640)
    firmware = root / "boot" / "firmware"
    firmware.mkdir(parents=True)
    (firmware / "config.txt").write_text("arm_64bit=1\n", encoding="utf-8")
    (firmware / "overlays").mkdir()
    (firmware / "overlays" / "README").write_text("dtbo\n", encoding="utf-8")


def _partitions(image: Path) -> list[dict[str, object]]:
    listed = subprocess.run(["sfdisk", "--json", str(image)], capture_output=True, text=True,
                            check=True, timeout=30)
    table = json.loads(listed.stdout)["partitiontable"]
    assert table["label"] == "dos"
    assert table["id"] == f"0x{DISKID}"
    return list(table["partitions"])


def _extract(image: Path, part: dict[str, object], target: Path) -> Path:
    """Copy one partition out of the image (what a loop device would show)."""
    subprocess.run(["dd", f"if={image}", f"of={target}", "bs=512", f"skip={part['start']}",
                    f"count={part['size']}", "status=none"], check=True, timeout=60)
    return target


def _debugfs(fs: Path, request: str) -> str:
    return subprocess.run(["debugfs", "-R", request, str(fs)], capture_output=True, text=True,
                          check=True, timeout=30).stdout


@pytest.mark.parametrize("data", ["yes", "no"])
def test_boot_root_and_data_partitions_hold_what_the_pi_and_fstab_expect(
        tmp_path: Path, data: str) -> None:
    _need_tools()
    root = tmp_path / "root"
    _stand_in_root(root)
    subprocess.run(["sh", str(SCRIPTS / "fstab.sh"), str(root), DISKID, data], check=True,
                   timeout=30)
    image = tmp_path / "callnext-test.img"
    subprocess.run(["sh", str(SCRIPTS / "assemble.sh"), str(root), str(image), DISKID,
                    "16" if data == "yes" else "0"], check=True, timeout=120,
                   env={**os.environ, "BOOT_MIB": "40", "ROOT_SPARE_MIB": "8"})
    parts = _partitions(image)
    assert [p["type"] for p in parts] == (["c", "83", "83"] if data == "yes" else ["c", "83"])
    assert parts[0].get("bootable") is True
    assert all(int(str(p["start"])) % 2048 == 0 for p in parts), "partitions are MiB-aligned"

    boot = _extract(image, parts[0], tmp_path / "boot.fat")
    env = {**os.environ, "MTOOLS_SKIP_CHECK": "1"}
    cmdline = subprocess.run(["mtype", "-i", str(boot), "::/cmdline.txt"], capture_output=True,
                             text=True, check=True, timeout=30, env=env).stdout
    assert f"root=PARTUUID={DISKID}-02" in cmdline.split()
    assert "ro" in cmdline.split() and "callnext.overlay=on" not in cmdline
    overlays = subprocess.run(["mtype", "-i", str(boot), "::/overlays/README"],
                              capture_output=True, text=True, check=True, timeout=30, env=env)
    assert overlays.stdout == "dtbo\n"

    rootfs = _extract(image, parts[1], tmp_path / "root.ext4")
    fstab = _debugfs(rootfs, "cat /etc/fstab")
    assert f"PARTUUID={DISKID}-02  /  " in fstab
    assert ("/var/lib/callnext" in fstab) == (data == "yes")
    hall = _debugfs(rootfs, "stat /etc/callnext/hall.toml")
    assert "Mode:  0640" in hall and "User:     0" in hall
    # The FAT partition's files live on the FAT partition only: its mount point stays empty.
    assert "config.txt" not in _debugfs(rootfs, "ls /boot/firmware")
    if data == "yes":
        datafs = _extract(image, parts[2], tmp_path / "data.ext4")
        assert "Filesystem volume name:   cn-data" in subprocess.run(
            ["dumpe2fs", "-h", str(datafs)], capture_output=True, text=True, check=True,
            timeout=30).stdout
