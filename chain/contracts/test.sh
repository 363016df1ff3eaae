#!/bin/sh
# Runs the forge tests (unit, fuzz, invariant) offline; non-zero exit on failure.
# Extra arguments go to `forge test` (e.g. --match-contract SettlementTest -vvv).
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
root=$(CDPATH= cd -- "$here/../.." && pwd)
forge="$root/node_modules/.bin/forge"
[ -x "$forge" ] || { echo "forge not found at $forge (run npm ci at the repo root)" >&2; exit 1; }
cd "$here"
exec "$forge" test --offline "$@"
