#!/usr/bin/env bash
# fixtures: pg anvil
# blob_put_chain.sh: `assay blob put` publishes on chain by itself: contracts of our own, 4
# staked nodes serving epoch 1, then put registers and pays, uploads to the committee read
# from the chain, collects confirmations and certifies; `blob status` says certified and
# `blob get` returns the same bytes (committee from a file, and from the chain). With 2 of
# the 4 nodes down, put fails saying how many shards confirmed of how many are needed,
# after registering (so it says how to finish).
# Moves the shared anvil's clock by one short epoch (RESOURCE_LOCK anvil_clock).
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
STATE_DIR=${ASSAY_TEST_STATE:?run through ctest}
# shellcheck source=lib/chain.sh
source "$SRC/tests/integration/lib/chain.sh" put-chain
export TMPDIR="$T" # where a failed put leaves its confirmations

N=10 # shards; f = 3, certification needs 7
NODES=(0 1 2 3)
STAKE=1000000000000000000000
names=(deployer payer)
for i in "${NODES[@]}"; do names+=("op$i" "nk$i"); done
for n in "${names[@]}"; do newkey "$n"; done
for n in deployer payer "${NODES[@]/#/op}"; do fund "$n" || die_test "anvil_setBalance"; done

deploy_short "$N"
mint "$(addr payer)" 1000000000000000000000000
# The nodes follow the chain (tests/integration/lib/chain.sh): up before they stake.
for i in "${NODES[@]}"; do node_register "$i"; done
# Epoch 0 (no committee) ends after 60 s of chain time: move the clock past it.
advance
"$A" epoch status --json >"$T/epoch1.json" || die_test "epoch status"
[ "$(jq .current_epoch "$T/epoch1.json")" = 1 ] || die_test "not in epoch 1"
[ "$(jq '.committee | length' "$T/epoch1.json")" = 4 ] || die_test "epoch 1 committee is not 4 nodes"
ok "deployed, 4 nodes staked, epoch 1"

for i in "${NODES[@]}"; do
	wait_view "$i" 1 "$(chain_shards "$T/epoch1.json" "$i")" || die_test "node $i does not see epoch 1"
done
# The same committee as a file, for the reads that take one.
jq --slurpfile d "$T/deployment.json" '{n_shards, epoch,
	chain_id: $d[0].chain_id, blob_registry: $d[0].blob_registry,
	nodes: [.committee[] as $m | {url: $m.endpoint, address: $m.node_key,
		shards: [.shards[] | select(.owner == $m.index) | .shard]}]}' "$T/epoch1.json" >"$T/committee.json"
ok "4 nodes up, following the chain"

# ---- the whole publish in one command --------------------------------------------------
head -c 200000 /dev/urandom >"$T/blob.bin"
if "$A" blob put "$T/blob.bin" --key-file "$T/payer.key" --epochs 2 --json >"$T/put.json" 2>"$T/put.err"; then
	ok "blob put exits 0"
else
	bad "blob put: $(cat "$T/put.err")"
fi
id=$(jq -r .blob_id "$T/put.json")
[ "$(jq -r '.registration_tx | test("^0x[0-9a-f]{64}$")' "$T/put.json")" = true ] &&
	[ "$(jq -r '.certification_tx | test("^0x[0-9a-f]{64}$")' "$T/put.json")" = true ] &&
	[ "$(jq -r '.confirmed_shards >= .needed_shards and .needed_shards == 7' "$T/put.json")" = true ] &&
	ok "put --json: both transactions, $(jq .confirmed_shards "$T/put.json") shards confirmed" ||
	bad "put --json: $(cat "$T/put.json")"
"$A" blob status --blob-id "$id" --json >"$T/status.json" 2>"$T/status.err"
st=$(jq -r '[.state, .start_epoch, .end_epoch] | @tsv' "$T/status.json")
[ "$st" = "$(printf 'certified\t1\t3')" ] && ok "blob status: certified, epochs 1 to 2" ||
	bad "blob status: $(cat "$T/status.json" "$T/status.err")"
if "$A" blob get -o "$T/back.bin" --committee "$T/committee.json" -- "$id" 2>"$T/get.err" &&
	cmp -s "$T/blob.bin" "$T/back.bin"; then
	ok "blob get returns the same bytes"
else
	bad "blob get: $(cat "$T/get.err")"
fi
# No committee file: the committee comes from the chain (ASSAY_DEPLOYMENT, ASSAY_RPC_URL).
if "$A" blob get -o "$T/back2.bin" -- "$id" 2>"$T/get2.err" && cmp -s "$T/blob.bin" "$T/back2.bin"; then
	ok "blob get with the committee from the chain returns the same bytes"
else
	bad "blob get from the chain's committee: $(cat "$T/get2.err")"
fi
# Again: already registered and certified: nothing paid, exit 0.
"$A" blob put "$T/blob.bin" --key-file "$T/payer.key" --epochs 2 --json >"$T/put2.json" 2>"$T/put2.err" &&
	[ "$(jq -r .registration_tx "$T/put2.json")" = null ] && ok "put again: not paid twice" ||
	bad "put again: $(cat "$T/put2.json" "$T/put2.err")"

# ---- too few nodes to certify -----------------------------------------------------------
for i in 2 3; do node_stop "$i"; done
head -c 5000 /dev/urandom >"$T/blob2.bin"
"$A" blob put "$T/blob2.bin" --key-file "$T/payer.key" --timeout-ms 3000 >"$T/put3.out" 2>"$T/put3.err"
rc=$?
[ "$rc" = 1 ] && grep -q "registered and paid for, but only nodes holding [0-9]* of 10 shards confirmed storing it, and 7 are needed to certify it" "$T/put3.err" &&
	ok "2 of 4 nodes down: exit 1, says how many shards confirmed of how many needed" ||
	bad "2 nodes down: rc $rc: $(cat "$T/put3.err")"
cat "$T/put3.err"
id2=$(sed -nE 's/.*blob ([A-Za-z0-9_-]{43}) is registered.*/\1/p' "$T/put3.err")
"$A" blob status --blob-id "$id2" --json 2>/dev/null | jq -e '.state == "registered"' >/dev/null &&
	ok "that blob is registered, not certified" || bad "blob 2 status"

# ---- a registration the registry refuses: the revert decoder's words --------------------
head -c 3000 /dev/urandom >"$T/blob3.bin" # the deployer holds no tokens to pay with
"$A" blob put "$T/blob3.bin" --key-file "$T/deployer.key" --epochs 2 >/dev/null 2>"$T/put4.err"
rc=$?
[ "$rc" = 1 ] && grep -q "registering blob" "$T/put4.err" && ok "refused registration: $(tail -n 1 "$T/put4.err")" ||
	bad "refused registration: rc $rc: $(cat "$T/put4.err")"

[ "$fails" = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
