#!/bin/sh
# fstab and the kernel command line of an image root, by partition (PARTUUID=DISKID-0N):
#   scripts/image/fstab.sh ROOT DISKID DATA(yes|no)
# The broker's data partition holds SQLite's journal (WAL, synchronous=FULL: every commit
# fsyncs). ext4's defaults keep that promise: data=ordered writes a file's data before the
# metadata that points at it and barriers flush the card's cache on every fsync, so a power cut
# loses no committed record. `sync` is not used: it would add nothing to SQLite's own fsyncs
# and wear the card. errors=remount-ro stops writes on a failing card (the broker then says
# "read-only" and exits 2), noatime spares the card a write per read, commit=5 (the default,
# said aloud) bounds what a power cut can take from files that are never fsynced.
set -eu
ROOT=${1:?usage: fstab.sh ROOT DISKID DATA}
DISKID=${2:?usage: fstab.sh ROOT DISKID DATA}
DATA=${3:?usage: fstab.sh ROOT DISKID DATA}
{
    echo "# callnext image: partitions by PARTUUID (scripts/image/fstab.sh)"
    echo "PARTUUID=$DISKID-02  /                  ext4  defaults,noatime,errors=remount-ro  0 1"
    # Read-only: the first boot remounts it to take the hall file and keys off it.
    echo "PARTUUID=$DISKID-01  /boot/firmware     vfat  ro,noatime,umask=0077,nofail  0 2"
    if [ "$DATA" = yes ]; then
        echo "PARTUUID=$DISKID-03  /var/lib/callnext  ext4  defaults,noatime,data=ordered,barrier=1,commit=5,errors=remount-ro  0 2"
    fi
} > "$ROOT/etc/fstab"
[ "$DATA" = yes ] && mkdir -p "$ROOT/var/lib/callnext"
# `ro`: the root is checked and then remounted writable by systemd (broker), or stays
# read-only under the overlay once the first boot adds callnext.overlay=on. cma=64M: the
# contiguous memory the Pi 4 GPU (vc4: KMS for the display and kiosk) needs; ttyS1: the GPIO
# header's serial port (enable_uart=1); both as Debian's raspi-firmware sets them.
echo "console=ttyS1,115200 console=tty1 root=PARTUUID=$DISKID-02 rootfstype=ext4 ro rootwait fsck.repair=yes net.ifnames=0 cma=64M quiet" \
    > "$ROOT/boot/firmware/cmdline.txt"
