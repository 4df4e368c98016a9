#!/bin/sh
# Install one callnext node as a Raspberry Pi appliance (run by `sudo make install NODE=...`).
#   systemd/install.sh NODE [COUNTER]
# Creates the "callnext" system user, copies the source to $PREFIX/src, builds the venv
# $PREFIX/venv with the node's extras, puts /etc/callnext/hall.toml in place (only if
# absent), installs the systemd units (and the printer udev rule) and enables the node.
# Safe to run again: it upgrades the code and keeps the hall file.
set -eu
NODE=${1:?usage: install.sh broker|kiosk|display|caller [COUNTER]}
COUNTER=${2:-1}
PREFIX=${PREFIX:-/opt/callnext}
ETC=${ETC:-/etc/callnext}
UNITDIR=${UNITDIR:-/etc/systemd/system}
UDEVDIR=${UDEVDIR:-/etc/udev/rules.d}
PYTHON=${PYTHON:-python3}
USER_NAME=callnext
SRC=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)

case "$NODE" in
    broker)  extras="";            unit=callnext-broker.service ;;
    kiosk)   extras="[ui,printer]"; unit=callnext-kiosk.service ;;
    display) extras="[ui,speech]";  unit=callnext-display.service ;;
    caller)  extras="[gpio]";       unit="callnext-caller@${COUNTER}.service" ;;
    *) echo "install: NODE must be broker, kiosk, display or caller, got '$NODE'" >&2; exit 2 ;;
esac
case "$COUNTER" in
    ''|*[!0-9]*) echo "install: COUNTER must be a counter number, got '$COUNTER'" >&2; exit 2 ;;
esac
if [ "$(id -u)" -ne 0 ]; then
    echo "install: run as root: sudo make install NODE=$NODE" >&2
    exit 2
fi

say() { echo "install: $*"; }

# 1. The service user and its device groups (a group the OS lacks is skipped).
if ! id "$USER_NAME" >/dev/null 2>&1; then
    say "creating system user $USER_NAME"
    useradd --system --user-group --home-dir /var/lib/callnext --no-create-home \
        --shell /usr/sbin/nologin "$USER_NAME"
fi
for group in gpio i2c lp audio video render input; do
    if getent group "$group" >/dev/null; then
        usermod -a -G "$group" "$USER_NAME"
    fi
done

# 2. Code and virtual environment.
say "copying the source to $PREFIX/src"
install -d -m 0755 "$PREFIX" "$PREFIX/src"
tar -C "$SRC" --exclude=./.venv --exclude=./.git --exclude='*.egg-info' \
    --exclude=__pycache__ --exclude=./bench/out -cf - . | tar -C "$PREFIX/src" -xf -
if [ ! -x "$PREFIX/venv/bin/python" ]; then
    say "creating $PREFIX/venv"
    "$PYTHON" -m venv "$PREFIX/venv"
fi
say "installing callnext$extras into $PREFIX/venv"
"$PREFIX/venv/bin/pip" install --quiet --disable-pip-version-check "$PREFIX/src$extras"

# 3. Configuration: never overwrite an edited hall file.
install -d -m 0750 -g "$USER_NAME" "$ETC"
if [ ! -e "$ETC/hall.toml" ]; then
    say "creating $ETC/hall.toml from the example; edit it, then run callnext check-config"
    install -m 0640 -g "$USER_NAME" "$SRC/config/hall.example.toml" "$ETC/hall.toml"
else
    say "keeping the existing $ETC/hall.toml"
fi
"$PREFIX/venv/bin/callnext" check-config "$ETC/hall.toml" || \
    say "WARNING: $ETC/hall.toml has problems (above); the node will not start until fixed"

# 4. Units, udev rule, enable.
for file in "$SRC"/systemd/*.service; do
    install -m 0644 "$file" "$UNITDIR/"
done
if [ "$NODE" = kiosk ]; then
    install -m 0644 "$SRC/systemd/99-callnext-printer.rules" "$UDEVDIR/"
    udevadm control --reload || true
    udevadm trigger --subsystem-match=usb --subsystem-match=usbmisc || true
fi
systemctl daemon-reload
say "enabling and starting $unit"
systemctl enable --now "$unit"
say "done; follow it with: journalctl -u $unit -f"
