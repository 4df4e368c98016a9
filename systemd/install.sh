#!/bin/sh
# Install one callnext node as a Raspberry Pi appliance (run by `sudo make install NODE=...`).
#   systemd/install.sh NODE [COUNTER]
# Creates the "callnext" system user, builds the callnext wheel (scripts/build-wheel.sh, the
# wheel `make test` installs and checks) and installs it with its [all] extra into the venv
# $PREFIX/venv, puts /etc/callnext/hall.toml in place from the example inside that wheel (only
# if absent), installs the docs, the systemd units (and the printer udev rule) and enables the
# node. Safe to run again: it upgrades the code and keeps the hall file.
# The appliance image (scripts/image/build.sh) runs it inside the image's root with
# WHEEL=<a wheel already built> (no build there), EXTRAS=<the role's extras> instead of "all",
# and START=no (enable the unit, start nothing: there is no running system to start it in).
set -eu
NODE=${1:?usage: install.sh broker|kiosk|display|caller|uplink|web [COUNTER]}
COUNTER=${2:-1}
PREFIX=${PREFIX:-/opt/callnext}
ETC=${ETC:-/etc/callnext}
UNITDIR=${UNITDIR:-/etc/systemd/system}
UDEVDIR=${UDEVDIR:-/etc/udev/rules.d}
PYTHON=${PYTHON:-python3}
WHEEL=${WHEEL:-}
EXTRAS=${EXTRAS-all}
START=${START:-yes}
USER_NAME=callnext
SRC=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)

case "$NODE" in
    broker)  unit=callnext-broker.service ;;
    kiosk)   unit=callnext-kiosk.service ;;
    display) unit=callnext-display.service ;;
    caller)  unit="callnext-caller@${COUNTER}.service" ;;
    uplink)  unit=callnext-uplink.service ;;
    web)     unit=callnext-web.service ;;
    *) echo "install: NODE must be broker, kiosk, display, caller, uplink or web, got '$NODE'" >&2; exit 2 ;;
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

# 2. The wheel and the virtual environment: every node gets the same package, with the [all]
#    extra, exactly as tests/packaging installs and runs it.
if [ ! -x "$PREFIX/venv/bin/python" ]; then
    say "creating $PREFIX/venv"
    install -d -m 0755 "$PREFIX"
    "$PYTHON" -m venv "$PREFIX/venv"
fi
vpip() { "$PREFIX/venv/bin/pip" --quiet --disable-pip-version-check "$@"; }
if [ -n "$WHEEL" ]; then
    wheel=$WHEEL
else
    say "building the callnext wheel into $PREFIX/wheels"
    built=$(PYTHON="$PREFIX/venv/bin/python" sh "$SRC/scripts/build-wheel.sh" "$PREFIX/wheels")
    wheel=$(printf '%s\n' "$built" | tail -n 1)
fi
say "installing $(basename "$wheel")${EXTRAS:+[$EXTRAS]} into $PREFIX/venv"
vpip install "$wheel${EXTRAS:+[$EXTRAS]}"
# The version number may be unchanged: replace the code whatever pip thinks is installed.
vpip install --force-reinstall --no-deps "$wheel"
install -d -m 0755 "$PREFIX/docs"
cp -R "$SRC/docs/." "$PREFIX/docs/"
if [ -d "$PREFIX/src" ]; then
    say "removing $PREFIX/src, the source copy of an older install (the wheel replaces it)"
    rm -rf "$PREFIX/src"
fi

# 3. Configuration: never overwrite an edited hall file.
install -d -m 0750 -g "$USER_NAME" "$ETC"
if [ ! -e "$ETC/hall.toml" ]; then
    say "creating $ETC/hall.toml from the example; edit it, then run callnext check-config"
    example=$(mktemp)
    "$PREFIX/venv/bin/callnext" example-hall > "$example"
    install -m 0640 -g "$USER_NAME" "$example" "$ETC/hall.toml"
    rm -f "$example"
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
if [ "$START" = no ]; then
    say "enabling $unit"
    systemctl enable "$unit"
    exit 0
fi
systemctl daemon-reload
say "enabling and starting $unit"
systemctl enable --now "$unit"
say "done; follow it with: journalctl -u $unit -f"
