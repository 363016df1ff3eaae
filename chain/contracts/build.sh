#!/bin/sh
# Usage: chain/contracts/build.sh OUTDIR
# Writes OUTDIR/<Contract>.json (abi + 0x bytecode) for each deployable contract.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 OUTDIR" >&2; exit 2; }
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
exec node "$here/tools/build.js" "$1"
