#!/usr/bin/env bash
# Make docs/report-html.png, the picture of the HTML report the README shows: district
# 017 (Đông Anh) in August 2021, simulated with Xã Uy Nỗ off the air on 10 and 12 August,
# reported as in the README, and photographed by headless Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rc=.venv/bin/radiocli
$rc --home "$work" simulate --from 2021-08-01 --to 2021-08-31 --district 017 \
  --offline 00478:2021-08-10--2021-08-10 --offline 00478:2021-08-12--2021-08-12 >/dev/null
$rc --home "$work" report summary --from 01/08/2021 --to 31/08/2021 --district 017 \
  --html "$work/bao-cao.html" >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
  --hide-scrollbars --window-size=900,1500 --screenshot="$work/shot.png" \
  "file://$work/bao-cao.html" 2>/dev/null
.venv/bin/python - "$work/shot.png" docs/report-html.png <<'PY'
import sys
from PIL import Image
Image.open(sys.argv[1]).convert("RGB").save(sys.argv[2], optimize=True)
PY
echo "wrote docs/report-html.png"
