#!/usr/bin/env bash
# Install what radiocli needs on Debian/Ubuntu: system packages (through apt, with sudo
# when not root, only those missing), a virtual environment in .venv, and the package
# with its test dependencies. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v espeak-ng >/dev/null || need+=(espeak-ng)
command -v ffmpeg >/dev/null || need+=(ffmpeg)
command -v ffprobe >/dev/null || need+=(ffmpeg)
command -v icecast2 >/dev/null || need+=(icecast2)
if [ "${RADIOCLI_WITH_BROWSER:-1}" = 1 ]; then
  command -v chromium >/dev/null || command -v chromium-browser >/dev/null || need+=(chromium)
fi
python3 -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || need+=(python3)
python3 -m venv --help >/dev/null 2>&1 || need+=(python3-venv)
if [ ! -x .venv/bin/python ] && ! python3 -c 'import ensurepip' 2>/dev/null; then
  need+=(python3-venv)
fi

if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "radiocli: installing system packages: ${need[*]}" >&2
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    $(printf '%s\n' "${need[@]}" | sort -u) >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "radiocli: creating the virtual environment in .venv" >&2
  python3 -m venv .venv
fi
stamp=.venv/.radiocli-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "radiocli: installing Python packages" >&2
  .venv/bin/python -m pip install -q --disable-pip-version-check -U pip
  .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
  touch "$stamp"
fi
