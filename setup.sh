#!/usr/bin/env bash
# radiocli in one command: install everything, then run the main job on the bundled
# sample (Hanoi, 2021 distancing): validate the schedules, plan a day, render its audio,
# air a rehearsal of one station's afternoon (an emergency preempts the district program)
# to aircheck files, verify the rehearsal's log, simulate August 2021 for all 579
# stations, print the city summary and write district 017's monthly report (Word, Excel,
# HTML with the map).
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
export RADIOCLI_HOME="${RADIOCLI_HOME:-$PWD/.radiocli-home}"
rc=.venv/bin/radiocli
echo "== radiocli validate"; $rc validate
echo "== radiocli plan --date 2021-08-05 --station 00343"; $rc plan --date 2021-08-05 --station 00343
echo "== radiocli render --date 2021-08-05 --all"; $rc render --date 2021-08-05 --all
echo "== radiocli run: rehearsal of 2021-08-05 17:09:40-17:11:10 at station 00343 (file sink)"
# --clock starts the daemon's clock at a chosen moment, which makes the run a rehearsal: its
# as-run lines go to $RADIOCLI_HOME/rehearsal/logs and its recordings to
# $RADIOCLI_HOME/rehearsal/aircheck, never into the as-run log that reports count. An
# emergency preempts the district program at 17:10 and the program resumes.
# The sample's relay receiver (relay.local) does not exist here: the relay fails, the
# failure is logged, and the jingle airs in its place (--relay-fallback).
$rc run --station 00343 --sink file --clock "2021-08-05 17:09:40" --for 90s \
  --relay-fallback audio/jingles/intro.ogg
$rc logs verify --rehearsal
$rc logs tail --rehearsal --station 00343 -n 12
# the simulation gets a home of its own: August 2021 for all 579 stations
simulation="$RADIOCLI_HOME/simulation-2021-08"
echo "== radiocli simulate --from 01/08/2021 --to 31/08/2021 --all (home $simulation)"
if [ -d "$simulation/logs/00001" ]; then
  echo "(kept from an earlier run of setup.sh)"
else
  $rc --home "$simulation" simulate --from 01/08/2021 --to 31/08/2021 --all
fi
echo "== radiocli report summary --from 01/08/2021 --to 31/08/2021"
$rc --home "$simulation" report summary --from 01/08/2021 --to 31/08/2021
# the district office's monthly report: a Word document to sign, an Excel annex with a
# chart, an HTML page with the map (issuer and signer: `report:` in config.yaml, see
# docs/reports.md)
reports="$RADIOCLI_HOME/reports"
mkdir -p "$reports"
echo "== radiocli report summary --district 017 --docx --xlsx --html (into $reports)"
$rc --home "$simulation" report summary --from 01/08/2021 --to 31/08/2021 --district 017 \
  --docx "$reports/bao-cao-017-2021-08.docx" --xlsx "$reports/phu-luc-017-2021-08.xlsx" \
  --html "$reports/bao-cao-017-2021-08.html" > /dev/null
echo "radiocli is ready: . .venv/bin/activate && radiocli --help   (home: $RADIOCLI_HOME)"
