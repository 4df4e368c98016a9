#!/bin/sh
# Run a command inside an arm64 root directory (under qemu-user through binfmt on x86):
#   scripts/image/in-root.sh ROOT COMMAND [ARG...]
# /proc, /sys, /dev and a fresh /run are mounted in a private mount namespace, so they vanish
# with the command: nothing is left mounted if it is killed. The command's process replaces
# this script (exec), so a signal sent to this pid reaches the command itself. Needs root.
set -eu
if [ $# -lt 2 ]; then
    echo "usage: in-root.sh ROOT COMMAND [ARG...]" >&2
    exit 2
fi
ROOT=$1
shift
if [ ! -x "$ROOT/bin/sh" ]; then
    echo "in-root: $ROOT is not a root directory (no bin/sh); build it with scripts/image/root.sh" >&2
    exit 2
fi
exec unshare --mount --propagation private -- sh -c '
    r=$1; shift
    mount -t proc proc "$r/proc" && mount -t sysfs sysfs "$r/sys" &&
        mount --rbind /dev "$r/dev" && mount -t tmpfs -o mode=0755 tmpfs "$r/run" || {
        echo "in-root: cannot mount /proc, /sys, /dev, /run in $r (root needed)" >&2; exit 2; }
    # With systemd-resolved, /etc/resolv.conf points into /run, empty here: lend it the
    # host'"'"'s name servers (in this private /run, gone with the command).
    mkdir -p "$r/run/systemd/resolve" && cp /etc/resolv.conf "$r/run/systemd/resolve/stub-resolv.conf"
    exec chroot "$r" "$@"' in-root "$ROOT" "$@"
