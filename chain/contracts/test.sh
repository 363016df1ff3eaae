#!/bin/sh
# Runs the forge tests (unit, fuzz, invariant) offline; non-zero exit on failure.
# Extra arguments go to `forge test` (e.g. --match-contract SettlementTest -vvv).
# forge 1.7 can exit 0 with failing tests, so the summary line is checked as well.
# The gas benchmark (GasBench*, slow to compile) runs from bench/gas.sh, or here with
# ASSAY_GAS_BENCH=1.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH= cd -- "$here/../.." && pwd)
forge="$root/node_modules/.bin/forge"
[ -x "$forge" ] || { echo "forge not found at $forge (run npm ci at the repo root)" >&2; exit 1; }
cd "$here"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
skip="--no-match-contract GasBench"
case " $* " in *" --match-contract "*|*" --mc "*) skip="" ;; esac
[ "${ASSAY_GAS_BENCH:-0}" = 1 ] && skip=""
# shellcheck disable=SC2086
"$forge" test --offline $skip "$@" 2>&1 | tee "$log" || rc=$?
[ "$rc" -eq 0 ] || exit "$rc"
grep -Eq '^Ran [0-9]+ test suites? .*: [0-9]+ tests passed, 0 failed' "$log" || {
  echo "test.sh: forge reported failures (or ran no tests)" >&2
  exit 1
}
