#!/bin/sh
# Install the Debian packages callnext needs, only those missing, saying what it does.
# As root it runs apt-get directly; otherwise through sudo; without either it says what to run.
set -eu
PYTHON=${PYTHON:-python3}

if ! command -v dpkg-query >/dev/null 2>&1; then
    echo "system-deps: not a Debian-family system; install these yourself: $*" >&2
    exit 0
fi

missing=""
for pkg in "$@"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $pkg"
    fi
done
# A Debian python3 needs python3-venv to create the virtual environment.
if ! "$PYTHON" -c "import ensurepip, venv" >/dev/null 2>&1; then
    missing="$missing python3-venv"
fi
[ -z "$missing" ] && exit 0

echo "system-deps: installing Debian packages:$missing"
if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "system-deps: not root and no sudo; as root run: apt-get install$missing" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing
