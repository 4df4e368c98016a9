#!/bin/sh
# Build a flashable Raspberry Pi 4 image of one callnext role (run by `make image`):
#   scripts/image/build.sh ROLE [HALL] [OUTDIR]     ROLE: broker, kiosk, display, caller or all
# -> OUTDIR/callnext-ROLE-VERSION-arm64.img (+ .packages.txt: the Debian and Python packages
# inside, with versions). Only Debian bookworm arm64 packages (main, non-free-firmware), the
# callnext wheel and its dependencies from PyPI in /opt/callnext/venv. systemd/install.sh sets
# the node up inside the root, as on a Pi. HALL (optional) is baked in as /etc/callnext/hall.toml;
# otherwise the example hall is, and the first boot takes callnext/hall.toml from the boot
# partition. NODE_PACKAGES: the Debian packages of the screen nodes (the Makefile's
# APT_PACKAGES). Needs root, network, and arm64 emulation on x86 (scripts/image/emulation.sh).
set -eu
ROLE=${1:?usage: build.sh broker|kiosk|display|caller|all [HALL] [OUTDIR]}
HALL=${2:-}
OUT=${3:-dist}
PYTHON=${PYTHON:-python3}
NODE_PACKAGES=${NODE_PACKAGES:-}
DATA_MIB=${DATA_MIB:-1024}
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
SRC=$(CDPATH= cd -- "$HERE/../.." && pwd)
say() { echo "image: $*"; }
die() { echo "image: $*" >&2; exit 2; }

# What each role gets: the Debian packages beyond the base, the wheel's extras, the unit
# install.sh enables, whether the root is read-only (overlay) and whether it has a data partition.
case "$ROLE" in
    broker)  extras="";                        debs="";               overlay=no;  data=yes ;;
    kiosk)   extras="ui,printer,speech,gpio";  debs=$NODE_PACKAGES;   overlay=yes; data=no ;;
    display) extras="ui,speech";               debs=$NODE_PACKAGES;   overlay=yes; data=no ;;
    caller)  extras="gpio,lcd";                debs="";               overlay=yes; data=no ;;
    all)     extras="all";                     debs=$NODE_PACKAGES;   overlay=no;  data=yes ;;
    *) die "ROLE must be broker, kiosk, display, caller or all, got '$ROLE'" ;;
esac
node=$ROLE
[ "$ROLE" = all ] && node=broker
[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap, chroot): sudo make image ROLE=$ROLE"
[ -z "$HALL" ] || [ -f "$HALL" ] || die "no hall file at $HALL"
# lgpio (the gpio extra on aarch64) is built from source by pip: it needs a compiler and swig.
case ",$extras," in *,gpio,*|*,all,*) debs="$debs build-essential python3-dev swig" ;; esac
version=$("$PYTHON" -c 'import sys, tomllib; print(tomllib.load(open(sys.argv[1], "rb"))["project"]["version"])' \
    "$SRC/pyproject.toml")
name="callnext-$ROLE-$version-arm64"
mkdir -p "$OUT"
OUT=$(CDPATH= cd -- "$OUT" && pwd)
work=$(mktemp -d "$OUT/.build-$ROLE.XXXXXX")
trap 'rm -rf "$work"' EXIT
trap 'exit 130' INT TERM
started=$(date +%s)

say "1/6 the callnext wheel"
wheel=$(PYTHON="$PYTHON" sh "$SRC/scripts/build-wheel.sh" "$work/wheel" --no-build-isolation | tail -n 1)

say "2/6 the Debian root (mmdebstrap, arm64)"
packages=$(cat "$HERE/packages/base.txt" "$HERE/packages/boot.txt" | sed 's/#.*//')
if [ -n "${ROOT_FROM:-}" ]; then
    # A root built earlier by this step (kept while debugging a later one): copied, not rebuilt.
    cp -a "$ROOT_FROM" "$work/root"
else
    # shellcheck disable=SC2086  # word lists
    sh "$HERE/root.sh" "$work/root" $packages $debs
fi
root=$work/root

say "3/6 /opt/callnext/venv (pip under emulation)"
sh "$HERE/venv.sh" "$root" "$wheel" "$extras"

say "4/6 the node (systemd/install.sh inside the root)"
# The device groups the units name (SupplementaryGroups=gpio i2c): Debian lacks these two.
for group in gpio i2c; do
    grep -q "^$group:" "$root/etc/group" || sh "$HERE/in-root.sh" "$root" groupadd --system "$group"
done
mkdir -p "$root/tmp/callnext-src"
cp -R "$SRC/systemd" "$SRC/docs" "$root/tmp/callnext-src/"
sh "$HERE/in-root.sh" "$root" env -u PIP_FIND_LINKS WHEEL="/opt/callnext/wheels/$(basename "$wheel")" \
    EXTRAS="$extras" START=no PYTHON=python3 sh /tmp/callnext-src/systemd/install.sh "$node" 1
rm -rf "$root/tmp/callnext-src"
if [ -n "$HALL" ]; then
    install -m 0640 -o root -g "$(stat -c %g "$root/etc/callnext")" "$HALL" "$root/etc/callnext/hall.toml"
    sh "$HERE/in-root.sh" "$root" /opt/callnext/venv/bin/callnext check-config /etc/callnext/hall.toml \
        || die "the hall file $HALL is refused (above)"
fi
# Build-only packages out again: a node compiles nothing.
if printf '%s' "$debs" | grep -q build-essential; then
    sh "$HERE/in-root.sh" "$root" apt-get purge -y -qq --auto-remove build-essential python3-dev swig \
        >/dev/null
fi

say "5/6 appliance settings (first boot, read-only root, data partition, time, watchdog)"
sh "$HERE/appliance.sh" "$root" "$ROLE" "$overlay" "$data"

say "6/6 the image"
diskid=$(printf 'callnext-%s-%s' "$ROLE" "$version" | sha256sum | cut -c1-8)
sh "$HERE/fstab.sh" "$root" "$diskid" "$data"
sh "$HERE/in-root.sh" "$root" dpkg-query -W > "$root/usr/share/callnext/packages.txt"
{
    echo "# $name: Debian packages (dpkg-query -W)"
    cat "$root/usr/share/callnext/packages.txt"
    echo "# Python packages in /opt/callnext/venv (pip freeze)"
    cat "$root/usr/share/callnext/python-packages.txt"
} > "$OUT/$name.packages.txt"
data_mib=0
[ "$data" = yes ] && data_mib=$DATA_MIB
sh "$HERE/assemble.sh" "$root" "$OUT/$name.img" "$diskid" "$data_mib"
say "done in $(( $(date +%s) - started )) s: $OUT/$name.img ($(du -m --apparent-size "$OUT/$name.img" | cut -f1) MiB)"
