#!/usr/bin/env bash
# fixtures: pg anvil
# node_chain.sh: storage nodes that follow the chain (`assay node serve --key-file` with
# --rpc-url/--deployment, no committee file). 4 staked nodes find their shards on chain
# (checked against `epoch status`); one is stopped, a blob is put and certified without it;
# restarted with an empty data dir, it reads the BlobCertified event and rebuilds every
# sliver of its shards from its peers, and `audit challenge` passes on each of them. Then a
# 5th node stakes, the epoch advances, the contract moves shards to it, and started empty it
# recovers the slivers of its new shards and passes challenges on them. `node recover`
# does the same once for a stopped node, and restarted while its RPC is unreachable a node
# serves the committee it kept.
# Last, node 0 steps down in epoch 3 and the members that receive its shards rebuild their
# slivers of the blob they already store.
# Then storage stays bounded: in epoch 4 node 0 deletes the slivers it handed over (their
# new holders are out of grace), in epoch 5 every node deletes the expired blob.
# Moves the shared anvil's clock by five short epochs (RESOURCE_LOCK anvil_clock).
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
STATE_DIR=${ASSAY_TEST_STATE:?run through ctest}
# shellcheck source=lib/chain.sh
source "$SRC/tests/integration/lib/chain.sh" node-chain

N=10 # shards; f = 3: certification needs 7, recovery of a primary sliver 7 symbols
STAKE=1000000000000000000000
names=(deployer payer)
for i in 0 1 2 3 4; do names+=("op$i" "nk$i"); done
for n in "${names[@]}"; do newkey "$n"; done
for n in deployer payer op0 op1 op2 op3 op4; do fund "$n" || die_test "anvil_setBalance"; done

deploy_short "$N"
mint "$(addr payer)" 1000000000000000000000000
for i in 0 1 2 3; do node_register "$i"; done
health 0 | jq -e '.success.data.index == null and .success.data.shards == [] and .success.data.epoch == 0' \
	>/dev/null && ok "nodes up in epoch 0, before any committee: no shards" || bad "epoch 0: $(health 0)"
advance
"$A" epoch status --json >"$T/epoch1.json" || die_test "epoch status"
[ "$(jq .current_epoch "$T/epoch1.json")" = 1 ] || die_test "not in epoch 1"
[ "$(jq '.committee | length' "$T/epoch1.json")" = 4 ] || die_test "epoch 1 committee is not 4 nodes"
ok "deployed, 4 nodes staked, epoch 1"
views=0
for i in 0 1 2 3; do
	wait_view "$i" 1 "$(chain_shards "$T/epoch1.json" "$i")" && views=$((views + 1))
done
[ "$views" = 4 ] && ok "4 nodes found themselves and their shards on chain (no committee file)" ||
	bad "nodes' view of epoch 1"

# ---- a node misses a certified blob, then recovers it ---------------------------------
# Stop the node with the fewest shards: the other 3 hold >= 7 of 10, enough to certify.
victim=0 fewest=$N
for i in 0 1 2 3; do
	c=$(chain_shards "$T/epoch1.json" "$i" | wc -w)
	[ "$c" -lt "$fewest" ] && { fewest=$c; victim=$i; }
done
node_stop "$victim"
head -c "${NODE_CHAIN_BLOB_BYTES:-150000}" /dev/urandom >"$T/blob.bin" # larger: a measurement
"$A" blob put "$T/blob.bin" --key-file "$T/payer.key" --epochs 4 --timeout-ms 5000 --json \
	>"$T/put.json" 2>"$T/put.err" || die_test "blob put without node $victim: $(cat "$T/put.err")"
id=$(jq -r .blob_id "$T/put.json")
ctx=$(jq -r .certification_tx "$T/put.json")
[ "$ctx" != null ] && ok "blob certified with node $victim ($fewest shards) down" || bad "no certification: $(cat "$T/put.json")"

# Counts the slivers node $1 stores of the blob, and the challenges it passes on each axis:
# every pair index, so exactly the pairs of its shards pass ("P S" for primary, secondary).
slivers() { find "$T/n$1/blobs" -name 'primary-*' -o -name 'secondary-*' 2>/dev/null | wc -l; }
challenges() {
	local p=0 s=0 k
	for k in $(seq 0 $((N - 1))); do
		"$A" audit challenge --node "http://127.0.0.1:${PORT[$1]}" --blob "$id" --symbol "$k-0" \
			--axis primary >/dev/null 2>&1 && p=$((p + 1))
		"$A" audit challenge --node "http://127.0.0.1:${PORT[$1]}" --blob "$id" --symbol "0-$k" \
			--axis secondary >/dev/null 2>&1 && s=$((s + 1))
	done
	echo "$p $s"
}
# Waits (bounded: 90 s) until node $1 stores 2 slivers per shard it holds ($2 shards).
wait_slivers() {
	for t in $(seq 1 450); do
		[ "$(slivers "$1")" -ge $((2 * $2)) ] && return 0
		kill -0 "${PID[$1]}" 2>/dev/null || { echo "node $1 exited" >&2; return 1; }
		sleep 0.2
	done
	echo "node $1 stores $(slivers "$1") slivers, not $((2 * $2))" >&2
	return 1
}

[ "$(challenges "$victim")" = "0 0" ] || bad "node $victim down, yet challenges pass"
rm -rf "$T/n$victim"
node_start "$victim"
if wait_slivers "$victim" "$fewest"; then
	ok "node $victim restarted empty: rebuilt $(slivers "$victim") slivers from its peers"
else
	bad "node $victim recovery: $(tail -n 5 "$T/n$victim.log")"
fi
[ "$(slivers "$victim")" = $((2 * fewest)) ] || bad "node $victim stores $(slivers "$victim") slivers, not $((2 * fewest))"
got=$(challenges "$victim")
[ "$got" = "$fewest $fewest" ] && ok "audit challenge passes on all $fewest shards of node $victim, both axes" ||
	bad "challenges on node $victim: $got passed, want $fewest $fewest"
grep -q "recovered blob $id" "$T/n$victim.log" && ok "its log names the recovered blob" ||
	bad "no 'recovered blob' line: $(tail -n 5 "$T/n$victim.log")"
[ -s "$T/n$victim/chain-follow.json" ] && jq -e '.next_block > 0 and (.pending | length) == 0' \
	"$T/n$victim/chain-follow.json" >/dev/null && ok "scan position saved, nothing pending" ||
	bad "state file: $(cat "$T/n$victim/chain-follow.json" 2>&1)"

# Restarted while its RPC is unreachable (nobody listens on that port), the node serves
# what it holds under the committee it kept from the chain (chain-committee.json).
node_stop "$victim"
ASSAY_RPC_URL=http://127.0.0.1:$(free_port) node_start "$victim"
got=$(challenges "$victim")
[ "$got" = "$fewest $fewest" ] && grep -q "the chain cannot be read" "$T/n$victim.log" &&
	ok "restarted with its RPC unreachable: serves the kept committee, challenges pass on all $fewest shards" ||
	bad "restart without the chain: $got passed; $(tail -n 3 "$T/n$victim.log")"
node_stop "$victim"
node_start "$victim"

# The same once, with the node stopped: `node recover` refills an emptied data dir.
node_stop "$victim"
rm -rf "$T/n$victim"
t0=$(date +%s%N)
"$A" node recover --data "$T/n$victim" --key-file "$T/nk$victim.key" --peer-timeout-ms 3000 --json \
	>"$T/recover.json" 2>"$T/recover.err"
rc=$?
echo "node recover: $(( ($(date +%s%N) - t0) / 1000000 )) ms for $(stat -c %s "$T/blob.bin") bytes"
[ "$rc" = 0 ] && jq -e --argjson s $((2 * fewest)) '.slivers_rebuilt == $s and .complete == 1 and
	.incomplete == 0' "$T/recover.json" >/dev/null && [ "$(slivers "$victim")" = $((2 * fewest)) ] &&
	ok "node recover (node stopped): $(cat "$T/recover.json")" ||
	bad "node recover: rc $rc: $(cat "$T/recover.json" "$T/recover.err")"
node_start "$victim"
got=$(challenges "$victim")
[ "$got" = "$fewest $fewest" ] && ok "and serving again, its challenges pass" ||
	bad "challenges on node $victim after node recover: $got"

# ---- a new node gets shards in epoch 2 ------------------------------------------------
# Node 4 starts and stakes before any committee includes it: it serves no shards, waits.
node_register 4
health 4 | jq -e '.success.data.index == null and .success.data.shards == [] and .success.data.epoch == 1' \
	>/dev/null && [ "$(challenges 4)" = "0 0" ] && ok "node 4 runs outside the committee: no shards, no challenge passes" ||
	bad "node 4 before epoch 2: $(health 4)"
# Nodes 0 and 1 down: the others hold too few shards to rebuild node 4's primary slivers
# (7 symbols each), so it keeps trying, with backoff, until they are back.
node_stop 0
node_stop 1
advance
"$A" epoch status --json >"$T/epoch2.json" || die_test "epoch status"
[ "$(jq .current_epoch "$T/epoch2.json")" = 2 ] || die_test "not in epoch 2"
new=$(chain_shards "$T/epoch2.json" 4 | wc -w)
[ "$new" -gt 0 ] && ok "epoch 2: the contract moved $new shards ($(chain_shards "$T/epoch2.json" 4)) to node 4" ||
	die_test "no shard moved to node 4: $(jq -c .shards "$T/epoch2.json")"
views=0
for i in 2 3 4; do
	wait_view "$i" 2 "$(chain_shards "$T/epoch2.json" "$i")" && views=$((views + 1))
done
[ "$views" = 3 ] && ok "running nodes 2, 3 and 4 switched to epoch 2's assignment" || bad "nodes' view of epoch 2"
for t in $(seq 1 300); do
	grep -q "not yet (peers down?): again in" "$T/n4.log" && break
	sleep 0.2
done
grep -q "not yet (peers down?): again in" "$T/n4.log" && [ "$(slivers 4)" -lt $((2 * new)) ] &&
	ok "with 2 peers down node 4 is incomplete and retries: $(grep -m1 'again in' "$T/n4.log" | sed 's/.*warn *//')" ||
	bad "node 4 with peers down: $(slivers 4) slivers; $(tail -n 3 "$T/n4.log")"
node_start 0
node_start 1
views=0
for i in 0 1; do
	wait_view "$i" 2 "$(chain_shards "$T/epoch2.json" "$i")" && views=$((views + 1))
done
[ "$views" = 2 ] && ok "nodes 0 and 1 restarted in epoch 2 with their remaining shards" || bad "nodes 0, 1 in epoch 2"
if wait_slivers 4 "$new"; then
	ok "node 4 rebuilt $(slivers 4) slivers of its new shards"
else
	bad "node 4 recovery: $(tail -n 5 "$T/n4.log")"
fi
got=$(challenges 4)
[ "$got" = "$new $new" ] && ok "audit challenge passes on node 4's $new new shards, both axes" ||
	bad "challenges on node 4: $got passed, want $new $new"

# ---- members gain shards of blobs they already store: epoch 3 --------------------------
# Node 0 steps down (setActive(false)): its shards move to members short of their target.
STAKING=$(jq -r .staking "$T/deployment.json")
"$A" chain send --key-file "$T/op0.key" --to "$STAKING" 'setActive(bool)' false --wait >/dev/null \
	2>"$T/inactive.err" || die_test "setActive(false): $(cat "$T/inactive.err")"
advance
"$A" epoch status --json >"$T/epoch3.json" || die_test "epoch status"
gainers=()
for i in 1 2 3 4; do
	before=" $(chain_shards "$T/epoch2.json" "$i") "
	for sh in $(chain_shards "$T/epoch3.json" "$i"); do
		[[ "$before" == *" $sh "* ]] || { gainers+=("$i"); break; }
	done
done
[ "${#gainers[@]}" -gt 0 ] && ok "epoch 3: node 0 stepped down, nodes ${gainers[*]} gained shards" ||
	die_test "no member gained a shard in epoch 3: $(jq -c .shards "$T/epoch3.json")"
for i in "${gainers[@]}"; do
	c=$(chain_shards "$T/epoch3.json" "$i" | wc -w)
	if wait_view "$i" 3 "$(chain_shards "$T/epoch3.json" "$i")" && wait_slivers "$i" "$c" &&
		[ "$(challenges "$i")" = "$c $c" ] && grep -q "new shards: looking at the 1 stored blobs" "$T/n$i.log"; then
		ok "node $i recovered the slivers of its new shard and passes challenges on all $c"
	else
		bad "node $i in epoch 3: $(slivers "$i") slivers, challenges $(challenges "$i"), want $c; $(tail -n 3 "$T/n$i.log")"
	fi
done

# ---- seeds nobody recorded: `epoch seed` records them in order up to the current one ----
rpc anvil_mine '[6]' >/dev/null
cur=$("$A" epoch status --json | jq .current_epoch)
missing=0
for e in $(seq 1 "$cur"); do
	[ "$("$A" epoch status --epoch "$e" --json | jq -r .seed)" = null ] && missing=$((missing + 1))
done
if "$A" epoch seed --key-file "$T/deployer.key" --json >"$T/seed.json" 2>"$T/seed.err"; then
	left=0
	for e in $(seq 1 "$cur"); do
		[ "$("$A" epoch status --epoch "$e" --json | jq -r .seed)" = null ] && left=$((left + 1))
	done
	[ "$missing" -ge 2 ] && [ "$left" = 0 ] &&
		ok "epoch seed: the $missing seeds missing up to epoch $cur are recorded, in order" ||
		bad "epoch seed: $missing missing before, $left after"
else
	bad "epoch seed with earlier seeds missing: $(cat "$T/seed.err")"
fi

# ---- storage that stays bounded: epochs 4 and 5 ----
metric() { curl -sf "http://127.0.0.1:${PORT[$1]}/metrics" | awk -v k="$2" '$1 == k {print $2}'; }
advance # epoch 4: the members that took node 0's shards are out of their grace epoch
for _ in $(seq 1 150); do [ "$(slivers 0)" = 0 ] && break; sleep 0.2; done
r0=$(metric 0 assay_node_reclaimed_bytes_total)
[ "$(slivers 0)" = 0 ] && [ "${r0:-0}" -gt 0 ] &&
	ok "epoch 4: node 0 (stepped down) deleted the slivers of the shards it handed over ($r0 bytes reclaimed)" ||
	bad "node 0 in epoch 4: $(slivers 0) slivers, reclaimed ${r0:-?}; $(tail -n 2 "$T/n0.log")"
advance # epoch 5: the blob was paid for epochs 1 to 4
gone=0
for i in 0 1 2 3 4; do
	for _ in $(seq 1 150); do
		[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:${PORT[$i]}/v1/blobs/$id/metadata")" = 404 ] &&
			[ "$(metric "$i" assay_node_stored_bytes)" = 0 ] && { gone=$((gone + 1)); break; }
		sleep 0.2
	done
done
[ "$gone" = 5 ] && ok "epoch 5: every node deleted the expired blob (stored bytes 0, metadata 404)" ||
	bad "expired blob deleted on $gone of 5 nodes; $(grep -h expired "$T"/n*.log | tail -n 2)"

# ---- the view reads the committee whole only when a Staking log says it may have changed:
# an endpoint updated within the epoch reaches the other nodes' views at once, not at the
# minute's whole read ----
moved="http://127.0.0.1:${PORT[1]}/moved"
if "$A" chain send --key-file "$T/op1.key" --to "$STAKING" 'updateNode(address,string)' \
	"$(addr nk1)" "$moved" --wait >/dev/null 2>"$T/upd.err"; then
	rpc anvil_mine '[2]' >/dev/null
	seen=0
	for _ in $(seq 1 100); do
		grep -q "\"$moved\"" "$T/n2/chain-committee.json" 2>/dev/null && { seen=1; break; }
		sleep 0.1
	done
	[ "$seen" = 1 ] && ok "node 1's endpoint update (NodeUpdated) reaches node 2's view within 10 s" ||
		bad "node 2's view after node 1's endpoint update: $(grep -o '"url": "[^"]*"' "$T/n2/chain-committee.json" | tr '\n' ' ')"
	"$A" chain send --key-file "$T/op1.key" --to "$STAKING" 'updateNode(address,string)' \
		"$(addr nk1)" "http://127.0.0.1:${PORT[1]}" --wait >/dev/null 2>>"$T/upd.err" ||
		bad "updateNode back: $(cat "$T/upd.err")"
else
	bad "updateNode: $(cat "$T/upd.err")"
fi

[ "$fails" = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
