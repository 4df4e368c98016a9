#!/bin/sh
# The appliance settings of an image root (after systemd/install.sh has set the node up):
#   scripts/image/appliance.sh ROOT ROLE OVERLAY(yes|no) DATA(yes|no)
# First boot from the boot partition, the read-only root hook, network by DHCP, NTP with
# time-sync.target waiting for it, the hardware watchdog, SSH off, a fresh machine id, and the
# initramfs (with the overlay module) rebuilt into the boot partition. Needs root.
set -eu
ROOT=${1:?usage: appliance.sh ROOT ROLE OVERLAY DATA}
ROLE=${2:?usage: appliance.sh ROOT ROLE OVERLAY DATA}
OVERLAY=${3:?usage: appliance.sh ROOT ROLE OVERLAY DATA}
DATA=${4:?usage: appliance.sh ROOT ROLE OVERLAY DATA}
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
units() { systemctl --root="$ROOT" --quiet "$@"; }

cp -R "$HERE/rootfs/." "$ROOT/"
chmod 0755 "$ROOT/usr/local/sbin/callnext-firstboot" "$ROOT/usr/local/sbin/callnext-fault-led" \
    "$ROOT/etc/initramfs-tools/scripts/init-bottom/callnext-overlay"
printf 'ROLE=%s\nOVERLAY=%s\nDATA=%s\n' "$ROLE" "$OVERLAY" "$DATA" > "$ROOT/etc/callnext/image.conf"
grep -qx overlay "$ROOT/etc/initramfs-tools/modules" || echo overlay >> "$ROOT/etc/initramfs-tools/modules"

units enable callnext-firstboot.service systemd-networkd.service systemd-resolved.service \
    systemd-timesyncd.service systemd-time-wait-sync.service
# SSH stays off (and without host keys) until the boot partition brings a public key.
units disable ssh.service 2>/dev/null || true
rm -f "$ROOT"/etc/ssh/ssh_host_*
ln -sf ../run/systemd/resolve/stub-resolv.conf "$ROOT/etc/resolv.conf"
echo callnext > "$ROOT/etc/hostname"
printf '127.0.0.1\tlocalhost\n127.0.1.1\tcallnext\n::1\tlocalhost ip6-localhost ip6-loopback\n' \
    > "$ROOT/etc/hosts"
# Empty: systemd makes this box's own id on its first boot (while the root is still writable).
: > "$ROOT/etc/machine-id"
rm -f "$ROOT/var/lib/dbus/machine-id"
# A volatile journal on a read-only root would fill RAM: keep it small; the broker's root is
# writable and keeps its logs on the card.
mkdir -p "$ROOT/etc/systemd/journald.conf.d"
if [ "$OVERLAY" = yes ]; then
    printf '[Journal]\nStorage=volatile\nRuntimeMaxUse=32M\n' > "$ROOT/etc/systemd/journald.conf.d/callnext.conf"
else
    printf '[Journal]\nStorage=persistent\nSystemMaxUse=200M\n' > "$ROOT/etc/systemd/journald.conf.d/callnext.conf"
fi
# The initramfs again, now with the overlay hook (raspi-firmware's hook copies it to
# /boot/firmware): only where the root is to be read-only; it takes minutes under emulation.
if [ "$OVERLAY" = yes ]; then
    sh "$HERE/in-root.sh" "$ROOT" update-initramfs -u -k all
else
    rm -f "$ROOT/etc/initramfs-tools/scripts/init-bottom/callnext-overlay"
fi
apt_clean() { rm -rf "$ROOT"/var/cache/apt/archives/*.deb "$ROOT"/var/lib/apt/lists/*; }
apt_clean
