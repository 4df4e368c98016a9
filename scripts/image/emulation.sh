#!/bin/sh
# Make sure this machine runs arm64 binaries: natively, or through qemu-user and binfmt_misc.
#   scripts/image/emulation.sh          exit 0 when an arm64 binary can run, else say why (exit 1)
# Mounts binfmt_misc and enables qemu-aarch64 if needed (root). The F (fix-binary) flag of
# Debian's qemu-user-static registration loads the interpreter once, so chroots need no copy
# of qemu inside them.
set -eu
case "$(uname -m)" in
    aarch64|arm64) exit 0 ;;
esac
fail() { echo "emulation: $*" >&2; exit 1; }
[ -d /proc/sys/fs/binfmt_misc ] || fail "this kernel has no binfmt_misc"
if [ ! -e /proc/sys/fs/binfmt_misc/register ]; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc 2>/dev/null || \
        fail "cannot mount binfmt_misc (not root, or a container without it): mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc"
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
    command -v update-binfmts >/dev/null 2>&1 || \
        fail "qemu-user-static and binfmt-support are not installed: apt-get install -y qemu-user-static binfmt-support"
    update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || \
        fail "update-binfmts --enable qemu-aarch64 failed"
fi
grep -q '^enabled' /proc/sys/fs/binfmt_misc/qemu-aarch64 2>/dev/null || \
    fail "qemu-aarch64 is registered but disabled: update-binfmts --enable qemu-aarch64"
