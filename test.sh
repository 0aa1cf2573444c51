#!/usr/bin/env bash
# The whole test suite, from a clean clone: installs what is missing, then runs pytest.
# TZ=UTC so that a trigger missing its Asia/Ho_Chi_Minh time zone fails loudly.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
export TZ=UTC
exec .venv/bin/python -m pytest "$@"
