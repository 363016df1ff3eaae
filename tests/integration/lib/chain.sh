# lib/chain.sh: what the shell tests on our own contracts share (sourced, not run; the
# test sets A (the assay binary), T (its temp dir) and STATE_DIR (the CTest fixtures')
# first, and declares `fails=0`). It exports the chain settings every assay command reads,
# and gives: ok/bad/die_test, rpc, keys (newkey, addr, fund), a short-epoch deployment
# (deploy_short), mint, and moving to the next epoch (advance, seed).

ok() { echo "ok   $1 (${SECONDS}s)"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
die_test() { echo "FAIL $1"; exit 1; }

export ASSAY_RPC_URL ASSAY_DEPLOYMENT="$T/deployment.json" ASSAY_CONFIRMATIONS=1 ASSAY_LOG_LEVEL=warn
ASSAY_RPC_URL=$(cat "$STATE_DIR/anvil/url")
unset ASSAY_DB

# rpc METHOD PARAMS-JSON: the result, or fail with the error.
rpc() {
	local out
	out=$(curl -sS -m 10 -H 'content-type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$ASSAY_RPC_URL")
	jq -e 'has("result")' <<<"$out" >/dev/null || { echo "$1: $out" >&2; return 1; }
	jq -c .result <<<"$out"
}
newkey() { (umask 077; echo "0x$(head -c32 /dev/urandom | xxd -p -c64)" >"$T/$1.key"); }
addr() { "$A" chain address --key-file "$T/$1.key"; }
fund() { rpc anvil_setBalance "[\"$(addr "$1")\",\"0x56BC75E2D63100000\"]" >/dev/null; }
lc() { tr 'A-F' 'a-f'; }

# deploy_short N: our contracts with N shards and 60 s epochs and windows, deployed by
# $T/deployer.key; sets TOKEN.
deploy_short() {
	"$A" chain deploy --key-file "$T/deployer.key" --out "$T/deployment.json" --n-shards "$1" \
		--epoch-duration 60 --commit-window 60 --reveal-window 60 --dispute-window 60 \
		--price-per-mib 1000000000000000000 --json >"$T/deploy.out" 2>"$T/deploy.err" ||
		die_test "chain deploy: $(cat "$T/deploy.err")"
	TOKEN=$(jq -r .token "$T/deployment.json")
}
# mint ADDRESS AMOUNT: test tokens from the deployer.
mint() {
	"$A" chain send --key-file "$T/deployer.key" --to "$TOKEN" 'mint(address,uint256)' "$1" "$2" \
		--wait >/dev/null 2>>"$T/mint.err" || die_test "mint: $(cat "$T/mint.err")"
}
# The next epoch: chain time past the current one's end, then advanceEpoch.
advance() {
	local st now ends
	st=$("$A" epoch status --json) || die_test "epoch status"
	now=$(printf '%d' "$(rpc eth_getBlockByNumber '["latest",false]' | jq -r .timestamp)")
	ends=$(jq .ends_at <<<"$st")
	[ "$ends" -gt "$now" ] && rpc evm_increaseTime "[$((ends - now + 1))]" >/dev/null
	rpc anvil_mine '[1]' >/dev/null
	"$A" epoch advance --key-file "$T/deployer.key" >/dev/null 2>"$T/adv.err" ||
		die_test "epoch advance: $(cat "$T/adv.err")"
}
# Mine the seed block (seed-delay 5 after advanceEpoch), then record the seed.
seed() {
	rpc anvil_mine '[6]' >/dev/null
	"$A" epoch seed --key-file "$T/deployer.key" >/dev/null 2>"$T/seed.err" ||
		die_test "epoch seed: $(cat "$T/seed.err")"
}
