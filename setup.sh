#!/usr/bin/env bash
# radiocli in one command: install everything, then run the main job on the bundled
# sample (Hanoi, 2021 distancing): validate the schedules, plan a day, render its audio,
# air a rehearsal of one station's afternoon (an emergency preempts the district program)
# to aircheck files, verify the as-run log, simulate a day for all 579 stations and
# print the district summary.
set -euo pipefail
cd "$(dirname "$0")"
scripts/bootstrap.sh
export RADIOCLI_HOME="${RADIOCLI_HOME:-$PWD/.radiocli-home}"
rc=.venv/bin/radiocli
echo "== radiocli validate"; $rc validate
echo "== radiocli plan --date 2021-08-05 --station 00343"; $rc plan --date 2021-08-05 --station 00343
echo "== radiocli render --date 2021-08-05 --all"; $rc render --date 2021-08-05 --all
if $rc run --help | grep -q -- '--as-if'; then
  echo "== radiocli run (rehearsal of 2021-08-05 17:09:50, 60 s, file sink)"
  $rc run --station 00343 --sink file --as-if "2021-08-05 17:09:50" --for 60s
  $rc logs verify
fi
echo "== radiocli simulate --from 2021-08-05 --to 2021-08-05 --all"
$rc simulate --from 2021-08-05 --to 2021-08-05 --all
echo "== radiocli report summary --from 2021-08-05 --to 2021-08-05"
$rc report summary --from 2021-08-05 --to 2021-08-05
echo "radiocli is ready: . .venv/bin/activate && radiocli --help   (home: $RADIOCLI_HOME)"
