#!/bin/sh
# Build the callnext wheel from this source tree: the one artefact `make install` puts on a Pi
# and `make test` (tests/packaging) installs into a clean venv.
#   scripts/build-wheel.sh OUTDIR [pip wheel options, e.g. --no-build-isolation]
# PYTHON (default python3) must have pip. Prints the wheel's path as its last line.
set -eu
OUT=${1:?usage: build-wheel.sh OUTDIR [pip wheel options]}
shift
PYTHON=${PYTHON:-python3}
SRC=$(CDPATH= cd -- "$(dirname -- "$0")/.." && pwd)

# Built from a clean copy: setuptools writes build/ and *.egg-info next to the sources, and a
# stale build/lib would put a deleted module back into the wheel.
stage=$(mktemp -d "${TMPDIR:-/tmp}/callnext-wheel.XXXXXX")
trap 'rm -rf "$stage"' EXIT
trap 'exit 130' INT TERM
tar -C "$SRC" --exclude=./.git --exclude=./.venv --exclude=./build --exclude=./dist \
    --exclude=./tests --exclude=./bench --exclude='*.egg-info' --exclude=__pycache__ \
    --exclude=.pytest_cache --exclude=.hypothesis -cf - . | tar -C "$stage" -xf -

mkdir -p "$OUT"
rm -f "$OUT"/callnext-*.whl
"$PYTHON" -m pip wheel --quiet --disable-pip-version-check --no-deps --wheel-dir "$OUT" \
    "$@" "$stage"
set -- "$OUT"/callnext-*.whl
if [ ! -f "$1" ]; then
    echo "build-wheel: pip made no callnext wheel in $OUT" >&2
    exit 1
fi
echo "$1"
