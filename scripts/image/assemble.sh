#!/bin/sh
# Make a Raspberry Pi SD-card image from a finished root directory, without loop devices:
#   scripts/image/assemble.sh ROOT IMAGE DISKID [DATA_MIB]
# Partitions (MBR, disk identifier DISKID, 8 hex digits, so PARTUUID=DISKID-0N):
#   1  FAT32 "CNBOOT", 256 MiB: ROOT/boot/firmware (Pi firmware, kernel, initrd, config.txt,
#      cmdline.txt): the partition a technician sees on a PC
#   2  ext4 "cn-root": the rest of ROOT, sized to its content plus room
#   3  ext4 "cn-data", DATA_MIB (broker images only): /var/lib/callnext, the journal
# Each file system is made in a plain file (mkfs.vfat + mcopy, mkfs.ext4 -d), then copied into
# its place in the image with dd. ROOT's boot/firmware is emptied on the way (it is the FAT
# partition's mount point). Needs root only to read every file of ROOT.
set -eu
ROOT=${1:?usage: assemble.sh ROOT IMAGE DISKID [DATA_MIB]}
IMAGE=${2:?usage: assemble.sh ROOT IMAGE DISKID [DATA_MIB]}
DISKID=${3:?usage: assemble.sh ROOT IMAGE DISKID [DATA_MIB]}
DATA_MIB=${4:-0}
BOOT_MIB=${BOOT_MIB:-256}
ROOT_SPARE_MIB=${ROOT_SPARE_MIB:-256}
START_MIB=4
for tool in mkfs.vfat mcopy mkfs.ext4 sfdisk; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "assemble: $tool is missing: make image-deps installs it" >&2; exit 2; }
done
[ -f "$ROOT/boot/firmware/cmdline.txt" ] || {
    echo "assemble: $ROOT/boot/firmware has no cmdline.txt; is it a built image root?" >&2; exit 2; }

work=$(mktemp -d "$(dirname "$IMAGE")/.assemble.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# 1. The boot partition.
mkfs.vfat -F 32 -n CNBOOT -i "$DISKID" -C "$work/boot.fat" $((BOOT_MIB * 1024)) >/dev/null
MTOOLS_SKIP_CHECK=1 mcopy -s -p -m -i "$work/boot.fat" "$ROOT"/boot/firmware/* ::/
find "$ROOT/boot/firmware" -mindepth 1 -delete

# 2. The root: its content plus a quarter and ROOT_SPARE_MIB for logs and the first boot.
used_mib=$(( $(du -s -k -x "$ROOT" | cut -f1) / 1024 ))
root_mib=$(( used_mib + used_mib / 4 + ROOT_SPARE_MIB ))
mkfs.ext4 -q -F -L cn-root -E root_owner=0:0 -d "$ROOT" "$work/root.ext4" "${root_mib}M"

# 3. The broker's data partition, empty (systemd gives /var/lib/callnext to the callnext user).
if [ "$DATA_MIB" -gt 0 ]; then
    mkfs.ext4 -q -F -L cn-data "$work/data.ext4" "${DATA_MIB}M"
fi

# 4. The partition table, then each file system at its place.
root_start=$((START_MIB + BOOT_MIB))
data_start=$((root_start + root_mib))
total=$((data_start + DATA_MIB + 1))
rm -f "$IMAGE"
truncate -s "${total}M" "$IMAGE"
{
    echo "label: dos"
    echo "label-id: 0x$DISKID"
    echo "start=$((START_MIB * 2048)), size=$((BOOT_MIB * 2048)), type=c, bootable"
    echo "start=$((root_start * 2048)), size=$((root_mib * 2048)), type=83"
    [ "$DATA_MIB" -gt 0 ] && echo "start=$((data_start * 2048)), size=$((DATA_MIB * 2048)), type=83"
    true
} | sfdisk --quiet "$IMAGE"
dd if="$work/boot.fat" of="$IMAGE" bs=1M seek="$START_MIB" conv=notrunc,sparse status=none
dd if="$work/root.ext4" of="$IMAGE" bs=1M seek="$root_start" conv=notrunc,sparse status=none
if [ "$DATA_MIB" -gt 0 ]; then
    dd if="$work/data.ext4" of="$IMAGE" bs=1M seek="$data_start" conv=notrunc,sparse status=none
fi
echo "assemble: $IMAGE: boot ${BOOT_MIB} MiB, root ${root_mib} MiB, data ${DATA_MIB} MiB"
