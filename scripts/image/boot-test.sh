#!/bin/sh
# Boot a built image in qemu-system-aarch64 (-M virt, the image's own kernel and initrd) and
# check that the first boot configures the node and systemd starts its unit:
#   scripts/image/boot-test.sh IMAGE [TIMEOUT_S]        (make image-boot-test ROLE=broker)
# The image is copied (the original stays as built); onto the copy's boot partition go the
# example hall and keys from `callnext keys init`, as a technician would put them (PYTHON must
# have callnext). Passes when the serial console shows the first boot's verdict and the node's
# unit started. Not a Raspberry Pi: no GPIO, no screen; the Pi's firmware is not used.
set -eu
IMAGE=${1:?usage: boot-test.sh IMAGE [TIMEOUT_S]}
TIMEOUT=${2:-1200}
PYTHON=${PYTHON:-python3}
SRC=$(CDPATH= cd -- "$(dirname -- "$0")/../.." && pwd)
command -v qemu-system-aarch64 >/dev/null 2>&1 || {
    echo "boot-test: qemu-system-aarch64 is missing: apt-get install qemu-system-arm" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/var/tmp}/callnext-boot.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
cp --sparse=always "$IMAGE" "$work/disk.img"
boot_start=$(sfdisk --json "$work/disk.img" | "$PYTHON" -c \
    'import json, sys; print(json.load(sys.stdin)["partitiontable"]["partitions"][0]["start"] * 512)')
diskid=$(sfdisk --disk-id "$work/disk.img" | sed 's/^0x//')
fat="$work/disk.img@@$boot_start"
export MTOOLS_SKIP_CHECK=1
kernel=$(mdir -b -i "$fat" ::/ | sed -n 's|^::/||p' | grep '^vmlinuz-' | head -n 1)
initrd=$(mdir -b -i "$fat" ::/ | sed -n 's|^::/||p' | grep '^initrd.img-' | head -n 1)
[ -n "$kernel" ] && [ -n "$initrd" ] || { echo "boot-test: no kernel/initrd on the boot partition" >&2; exit 1; }
mcopy -i "$fat" "::/$kernel" "$work/vmlinuz"
mcopy -i "$fat" "::/$initrd" "$work/initrd"

# The technician's two things: the hall file and the node's keys (here: the broker's).
"$PYTHON" -m callnext keys init --dir "$work/keys" --config "$SRC/config/hall.example.toml" >/dev/null
mmd -i "$fat" ::/callnext ::/callnext/keys
mcopy -i "$fat" "$SRC/config/hall.example.toml" ::/callnext/hall.toml
mcopy -i "$fat" "$work"/keys/broker.key_secret "$work"/keys/*.key ::/callnext/keys/

echo "boot-test: booting $IMAGE (serial log: $work/console.log; at most $TIMEOUT s)"
started=$(date +%s)
timeout "$TIMEOUT" qemu-system-aarch64 -M virt -cpu cortex-a72 -smp 2 -m 1536 -nographic \
    -kernel "$work/vmlinuz" -initrd "$work/initrd" \
    -append "console=ttyAMA0 root=PARTUUID=$diskid-02 rootfstype=ext4 ro rootwait" \
    -drive "if=virtio,format=raw,file=$work/disk.img" \
    -netdev user,id=net0 -device virtio-net-pci,netdev=net0,romfile= \
    > "$work/console.log" 2>&1 </dev/null &
qemu=$!
verdict=""
served=""
while kill -0 "$qemu" 2>/dev/null; do
    grep -q 'hall file OK' "$work/console.log" && verdict=yes
    if grep -q 'Started.*callnext queue broker\|Started.*callnext ticket kiosk\|Started.*callnext hall display\|Started.*callnext caller' \
            "$work/console.log"; then
        served=$(( $(date +%s) - started ))
        break
    fi
    sleep 5
done
kill "$qemu" 2>/dev/null || true
wait "$qemu" 2>/dev/null || true
grep -a 'callnext' "$work/console.log" | tail -n 20
if [ -n "$served" ] && [ -n "$verdict" ]; then
    echo "boot-test: PASS: first boot accepted the hall file; the node's unit started ${served} s after power-on (emulated)"
    exit 0
fi
echo "boot-test: FAIL (verdict: ${verdict:-none}); last console lines:" >&2
tail -n 40 "$work/console.log" >&2
exit 1
