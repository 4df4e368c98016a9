#!/bin/sh
# Install a callnext wheel and its dependencies into /opt/callnext/venv of an arm64 root:
#   scripts/image/venv.sh ROOT WHEEL [EXTRAS]       e.g. venv.sh root dist/callnext-0.1.0-py3-none-any.whl all
# The venv is made by the root's own python3 (Debian's 3.11) and pip runs inside the root under
# qemu, so pip picks the aarch64 wheels. The callnext wheel itself is pure Python; it is put in
# place with --force-reinstall --no-deps so an unchanged version number still replaces the code.
# Needs network (PyPI) unless PIP_* settings point elsewhere; needs root.
set -eu
ROOT=${1:?usage: venv.sh ROOT WHEEL [EXTRAS]}
WHEEL=${2:?usage: venv.sh ROOT WHEEL [EXTRAS]}
EXTRAS=${3:-}
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
[ -f "$WHEEL" ] || { echo "venv: no wheel at $WHEEL (make wheel builds one)" >&2; exit 2; }

inside=/opt/callnext/wheels
mkdir -p "$ROOT$inside"
rm -f "$ROOT$inside"/callnext-*.whl
cp "$WHEEL" "$ROOT$inside/"
name=$(basename "$WHEEL")
if [ ! -x "$ROOT/opt/callnext/venv/bin/python" ]; then
    sh "$HERE/in-root.sh" "$ROOT" python3 -m venv /opt/callnext/venv
fi
# pip inside the root trusts what pip on the host is told to trust (PIP_CERT, e.g. a company
# proxy's CA): that bundle is lent to the root for the build and removed afterwards.
ca=""
host_ca=${PIP_CERT:-${SSL_CERT_FILE:-}}
if [ -z "$host_ca" ]; then
    # No variable names one: the host's pip configuration may (pip.conf "cert"), else the
    # host's system bundle, which holds any CA the machine's administrator installed.
    host_ca=$(python3 -m pip config get global.cert 2>/dev/null || true)
    [ -n "$host_ca" ] || host_ca=/etc/ssl/certs/ca-certificates.crt
fi
if [ -n "$host_ca" ] && [ -f "$host_ca" ]; then
    ca=/tmp/callnext-build-ca.crt
    cp "$host_ca" "$ROOT$ca"
    trap 'rm -f "$ROOT$ca"' EXIT
    trap 'exit 130' INT TERM
fi
vpip() {
    # The host's certificate and pip settings name host paths: inside the root they would
    # point at other files (requests prefers REQUESTS_CA_BUNDLE/CURL_CA_BUNDLE over PIP_CERT).
    # shellcheck disable=SC2086  # ${ca:+...} is one word or none
    sh "$HERE/in-root.sh" "$ROOT" env -u PIP_FIND_LINKS -u PIP_CERT -u REQUESTS_CA_BUNDLE \
        -u CURL_CA_BUNDLE -u SSL_CERT_FILE -u SSL_CERT_DIR \
        PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PIP_ROOT_USER_ACTION=ignore \
        ${ca:+PIP_CERT=$ca} /opt/callnext/venv/bin/pip --quiet "$@"
}
if [ -n "$EXTRAS" ]; then
    vpip install "$inside/$name[$EXTRAS]"
else
    vpip install "$inside/$name"
fi
vpip install --force-reinstall --no-deps "$inside/$name"
# What the venv holds, beside the Debian package list.
mkdir -p "$ROOT/usr/share/callnext"
vpip freeze --all > "$ROOT/usr/share/callnext/python-packages.txt"
