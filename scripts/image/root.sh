#!/bin/sh
# Build a Debian bookworm arm64 root directory from Debian's packages with mmdebstrap:
#   scripts/image/root.sh OUTDIR [PACKAGE...]
# Components main and non-free-firmware (raspi-firmware lives in main, Wi-Fi/GPU blobs in
# non-free-firmware), from deb.debian.org plus its security and updates suites. OUTDIR must
# not exist; the root is built beside it and renamed at the end, so an interrupted build never
# leaves a half root under the final name. On x86 the arm64 maintainer scripts run under
# qemu-user: `scripts/image/emulation.sh` enables it. Needs root.
set -eu
OUT=${1:?usage: root.sh OUTDIR [PACKAGE...]}
shift
MIRROR=${MIRROR:-http://deb.debian.org/debian}
SECURITY=${SECURITY:-http://deb.debian.org/debian-security}
VARIANT=${VARIANT:-minbase}
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)

if [ -e "$OUT" ]; then
    echo "root: $OUT exists; remove it first (or use it)" >&2
    exit 2
fi
sh "$HERE/emulation.sh"
partial="$OUT.partial"
rm -rf "$partial"
mkdir -p "$(dirname "$OUT")"
include=$(printf '%s,' "$@")
include=${include%,}
comp="main non-free-firmware"
# raspi-firmware's kernel hook refuses to run without /boot/firmware (where the FAT partition
# will be mounted): the directory is made before the packages are installed.
mmdebstrap --arch=arm64 --variant="$VARIANT" --mode=root \
    ${include:+--include="$include"} \
    --setup-hook='mkdir -p "$1/boot/firmware"' \
    --customize-hook='rm -f "$1/etc/hostname"' \
    bookworm "$partial" \
    "deb $MIRROR bookworm $comp" \
    "deb $MIRROR bookworm-updates $comp" \
    "deb $SECURITY bookworm-security $comp"
# The versions that went in, for the record and to rebuild the same root.
mkdir -p "$partial/usr/share/callnext"
chroot "$partial" /usr/bin/dpkg-query -W > "$partial/usr/share/callnext/packages.txt" 2>/dev/null || \
    sh "$HERE/in-root.sh" "$partial" dpkg-query -W > "$partial/usr/share/callnext/packages.txt"
mv "$partial" "$OUT"
echo "root: built $OUT ($(wc -l < "$OUT/usr/share/callnext/packages.txt") packages)"
