#!/usr/bin/env bash
# pages.sh STATE OUT: the browser test of the pages (tests/web/pages.mjs) against a network
# that deploy/network.sh left in STATE (--keep). Starts two `assay api serve` on free ports
# over the network's database: one as is, one in the test-only tamper mode
# (ASSAY_TEST_TAMPER_ATTESTATION=1, settle/api.h); stops both by PID. Screenshots in OUT.
set -uo pipefail
STATE=${1:?usage: pages.sh STATE OUT}
OUT=${2:?usage: pages.sh STATE OUT}
SRC=${ASSAY_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
A=${ASSAY_BIN:-$SRC/build/assay}
. "$SRC/deploy/lib.sh"
export ASSAY_DB ASSAY_RPC_URL ASSAY_DEPLOYMENT="$STATE/deployment.json"
ASSAY_DB=$(cat "$STATE/pg/url")
ASSAY_RPC_URL=$(cat "$STATE/anvil/url")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done' EXIT
mkdir -p "$OUT"

# Not run in $(...): a subshell's pids+=() would never reach the EXIT trap, and the APIs
# would outlive the test.
serve() { # NAME [ENV=VALUE...]: an API on a free port; sets url to its URL
	local name=$1 port; shift
	port=$(free_port)
	env "$@" "$A" api serve --listen "127.0.0.1:$port" --api-rate 1000 --api-burst 1000 \
		>"$OUT/api-$name.log" 2>&1 </dev/null &
	pids+=($!)
	for _ in $(seq 1 100); do
		curl -sf -m 1 "http://127.0.0.1:$port/v1/health" >/dev/null && { url="http://127.0.0.1:$port"; return 0; }
		sleep 0.1
	done
	echo "pages.sh: the $name API did not start" >&2; cat "$OUT/api-$name.log" >&2; return 1
}
serve plain || exit 1
api=$url
serve tamper ASSAY_TEST_TAMPER_ATTESTATION=1 || exit 1
tamper=$url
auditor=$(awk '$1 == "auditor0-sign" { print $2 }' "$STATE/addresses")
API=$api TAMPER=$tamper RPC=$ASSAY_RPC_URL PAYOUTS=$STATE AUDITOR=$auditor EPOCHS="2 3" OUT=$OUT \
	NODE_PATH="$SRC/node_modules" node "$SRC/tests/web/pages.mjs"
