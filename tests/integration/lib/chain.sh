# lib/chain.sh: what the shell tests on our own contracts share (sourced, not run, with the
# test's name as argument; the test sets A (the assay binary), SRC and STATE_DIR (the CTest
# fixtures') first). It makes the temp dir T, the arrays PID and PORT and the counter
# `fails`, stops every node in PID and removes T on exit (after the test's own
# `cleanup_extra`, if it defines one; ASSAY_KEEP=1 keeps T), and exports the chain settings
# every assay command reads. It gives: ok/bad/die_test, rpc, keys (newkey, addr, fund), a
# short-epoch deployment (deploy_short), mint, moving to the next epoch (advance, seed),
# and reference nodes that follow the chain (node_register, node_start, node_stop,
# wait_view; STAKE is the self-stake).

# shellcheck source=../../../deploy/lib.sh
. "$SRC/deploy/lib.sh"
T=$(mktemp -d "/tmp/assay-${1:-chain-test}.XXXXXX")
declare -A PID PORT
fails=0
chain_test_cleanup() {
	local k
	for k in "${!PID[@]}"; do kill "${PID[$k]}" 2>/dev/null; done
	for k in "${!PID[@]}"; do wait "${PID[$k]}" 2>/dev/null; done
	if declare -F cleanup_extra >/dev/null; then cleanup_extra; fi
	if [ -n "${ASSAY_KEEP:-}" ]; then echo "kept $T"; else rm -rf "$T"; fi
}
trap chain_test_cleanup EXIT

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

# ---- reference storage nodes following the chain ----
# The shards the chain gives node $2's key in the epoch status file $1, as "0 1 2".
chain_shards() {
	local key
	key=$(addr "nk$2" | lc)
	jq -r --arg k "$key" '(.committee[] | select((.node_key | ascii_downcase) == $k) | .index) as $i
		| [.shards[] | select(.owner == $i) | .shard] | sort | map(tostring) | join(" ")' "$1"
}
# health I: node I's /v1/health answer
health() { curl -sf -m 2 "http://127.0.0.1:${PORT[$1]}/v1/health"; }
node_start() { # I: node I (key nk$I, port PORT[I]) following the chain, once healthy
	mkdir -p "$T/n$1"
	"$A" node serve --listen "127.0.0.1:${PORT[$1]}" --data "$T/n$1" --key-file "$T/nk$1.key" \
		--node-poll-ms 200 --peer-timeout-ms 3000 --log-level info >>"$T/n$1.log" 2>&1 &
	PID[$1]=$!
	for t in $(seq 1 600); do
		health "$1" >/dev/null && return 0
		if ! kill -0 "${PID[$1]}" 2>/dev/null; then
			wait "${PID[$1]}"
			die_test "node $1 exited with status $?: $(tail -n 20 "$T/n$1.log")"
		fi
		sleep 0.1
	done
	die_test "node $1 never became healthy"
}
node_stop() { kill "${PID[$1]}"; wait "${PID[$1]}" 2>/dev/null; unset "PID[$1]"; }
# node_register I: a node starts before it stakes: it binds the port its endpoint names at once (no other
# program can take it meanwhile), serves no shards, and waits for a committee with it.
node_register() {
	mint "$(addr "op$1")" "$STAKE"
	PORT[$1]=$(free_port) # below the ephemeral range (deploy/lib.sh)
	node_start "$1"
	"$A" stake register --key-file "$T/op$1.key" --node-key "$(addr "nk$1")" \
		--endpoint "http://127.0.0.1:${PORT[$1]}" --commission 1000 --amount "$STAKE" \
		>/dev/null 2>"$T/stake$1.err" || die_test "stake register $1: $(cat "$T/stake$1.err")"
}
# wait_view I E SHARDS: waits (bounded) until node $1 reports epoch $2 and the shards $3 ("0 1 2").
wait_view() {
	local got=""
	for t in $(seq 1 300); do
		got=$(health "$1" | jq -r '"\(.success.data.epoch) \(.success.data.shards | sort | map(tostring) | join(" "))"')
		[ "$got" = "$2 $3" ] && return 0
		sleep 0.2
	done
	echo "node $1 reports '$got', the chain says '$2 $3'" >&2
	return 1
}
