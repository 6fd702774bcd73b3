#!/usr/bin/env bash
# Build the clinic-like development set (Debian 12, root or sudo).  See README.md beside this file.
#
#   bash benchmarks/devset/build.sh [DEST] [--force]     # DEST defaults to /work/devset
#
# Installs only the two programs the build runs (fluidsynth, espeak-ng) when missing; the source
# packages are downloaded and unpacked into DEST/.sources by build.py, never installed.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive

missing=()
for p in fluidsynth espeak-ng; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing+=("$p")
    fi
done
if [ "${#missing[@]}" -gt 0 ]; then
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# build.py runs apt-get download; make sure the package lists exist
if ! apt-cache show hedgewars-data >/dev/null 2>&1; then $SUDO apt-get update -qq; fi

# the project's venv has numpy, scipy and soundfile (see the README's set-up line)
PY="$REPO/.venv/bin/python"
if ! "$PY" -c 'import numpy, scipy, soundfile' >/dev/null 2>&1; then
    echo "no project venv with numpy/scipy/soundfile at $REPO/.venv: create it first" >&2
    exit 2
fi
exec "$PY" "$HERE/build.py" "$@"
