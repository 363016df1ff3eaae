#!/bin/sh
# Gas table for the settlement contracts (chain/contracts/test/GasBench.t.sol):
# advanceEpoch at the committee cap, registerBlob, certifyBlob, commit, reveal,
# finalizeEpoch for 100 nodes x 4 auditors and 256 nodes x 7 auditors, claims,
# each next to the 15,000,000 gas per-call budget. Uses the via-IR "ir" profile (the
# settings of the deployed bytecode), so the first run compiles for a few minutes.
# Offline; needs `npm ci` at the root.
set -eu
here=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
contracts="$here/../chain/contracts"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! FOUNDRY_PROFILE=ir "$contracts/test.sh" --match-contract GasBench -vv >"$out" 2>&1; then
  cat "$out" >&2
  echo "gas.sh: benchmark failed" >&2
  exit 1
fi
awk '
  function commas(x,   s) { s = sprintf("%d", x); while (s ~ /[0-9][0-9][0-9][0-9]/) sub(/[0-9][0-9][0-9]($|,)/, ",&", s); return s }
  /CASE\|/ { sub(/.*CASE\|/, ""); printf "\n== %s ==\n%-56s %12s %12s %12s\n", $0, "call", "exec gas", "tx gas", "budget"; next }
  /GAS\|/ {
    line = $0; sub(/.*GAS\|/, "", line)
    n = split(line, f, "|"); label = f[1]; split(f[2], g, " ")
    printf "%-56s %12s %12s %12s\n", label, commas(g[1]), commas(g[2]), "15,000,000"
    if (label ~ /^revealAttestation \(last/) { rv[++nr] = g[1]; rn[nr] = label }
    if (label ~ /^commitAttestation/) { cm[++nc] = g[1] }
  }
  END {
    print ""
    print "exec gas = gas used inside the call; tx gas = exec + 21,000 + calldata (16/nonzero, 4/zero byte)."
    print "commitAttestation: same exec gas for every auditor, committee size and auditor count (fixed-size calldata)."
    print "revealAttestation: O(1) storage (one countsHash slot + the revealed bitmap); the rest is linear in the"
    print "  counts calldata (hashing, the passed<=decided check, the AttestationCounts event). The first reveal of an"
    print "  epoch also turns the epoch state slot from zero to non-zero (+~20k), which is why first > last."
    if (nr == 2) printf "  reveal exec gas per committee position: (%d - %d) / (256 - 100) = %.0f gas\n", rv[2], rv[1], (rv[2] - rv[1]) / 156
  }
' "$out"
