#!/usr/bin/env bash
# fixtures: pg anvil
# dispute.sh: auditors answer for what they sign. `assay chain deploy` with four bonded
# auditors (f_a = 1), four reference storage nodes following the chain, one database. Each
# auditor's `settle run` scores epoch 1, stores its evidence blob on the nodes (paid by its
# gas key, certified on chain) and names it in its attestation; auditor 3 lies in a
# test-only mode (ASSAY_TEST_LIE_COUNTS=0: committee position 0 attested as passing a
# challenge its own evidence does not have); auditor 1's first run is killed right after
# storing its blob, and its rerun stores no second one. Then:
#   - `assay dispute check` reads every evidence blob back from the nodes and finds exactly
#     that lie, with its fraud proof 1a; the honest auditors' attestations yield no finding;
#   - auditor 0's next `settle run` (the watcher, on by default) proves it on chain: the
#     liar's bond is burned but the disputer's share, paid to auditor 0's gas key, the liar
#     leaves the set and its attestation is no longer counted (`assay attestations` says
#     DISPUTED, `dispute check` finds nothing left);
#   - the epoch finalizes with the three honest attestations;
#   - in epoch 2 auditor 2 lies and `assay dispute submit` (auditor 1's gas key) convicts
#     it; with two attestations left, below the quorum of three, the epoch is voided.
# Moves the shared anvil's clock by a few short windows (RESOURCE_LOCK anvil_clock).
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
STATE_DIR=${ASSAY_TEST_STATE:?run through ctest}
# shellcheck source=lib/chain.sh
source "$SRC/tests/integration/lib/chain.sh" dispute

N=10
STAKE=1000000000000000000000
BOND=1000000000000000000000 # the deploy default; the disputer gets 50 %
names=(deployer)
for i in 0 1 2 3; do names+=("op$i" "nk$i" "sign$i" "gas$i"); done
for n in "${names[@]}"; do newkey "$n"; done
for n in deployer op0 op1 op2 op3 gas0 gas1 gas2 gas3; do fund "$n" || die_test "anvil_setBalance"; done

aud=()
for a in 0 1 2 3; do aud+=(--auditor "$a:$(addr "sign$a"):$(addr "gas$a")"); done
"$A" chain deploy --key-file "$T/deployer.key" --out "$T/deployment.json" --n-shards "$N" \
	--epoch-duration 60 --commit-window 60 --reveal-window 60 --dispute-window 120 \
	--price-per-mib 1000000000000000 --auditor-fa 1 "${aud[@]}" --json \
	>"$T/deploy.out" 2>"$T/deploy.err" || die_test "chain deploy: $(cat "$T/deploy.err")"
TOKEN=$(jq -r .token "$T/deployment.json")
SETTLEMENT=$(jq -r .settlement "$T/deployment.json")
call() { "$A" chain call --to "$SETTLEMENT" "$@"; }
[ "$(call 'bonds(uint8)(uint256)' 3)" = "$BOND" ] && ok "deploy posted every auditor's bond" ||
	bad "auditor 3's bond is $(call 'bonds(uint8)(uint256)' 3)"

for a in 0 1 2 3; do mint "$(addr "gas$a")" 1000000000000000000000000; done # storage fees
for i in 0 1 2 3; do node_register "$i"; done

PGADMIN=$(cat "$STATE_DIR/pg/conninfo")
dbname="dispute_$(head -c6 /dev/urandom | xxd -p)"
psql -q "$PGADMIN" -c "CREATE DATABASE $dbname" >/dev/null || die_test "create database"
cleanup_extra() { psql -q "$PGADMIN" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1; }
DB=$(sed -E "s/dbname=postgres/dbname=$dbname/" <<<"$PGADMIN")
"$A" db migrate --db "$DB" >/dev/null || die_test "db migrate"

srun() { # AUDITOR [ENV...]: one settle run; its exit status
	local a=$1
	shift
	env "$@" "$A" settle run --no-advance --db "$DB" --signing-key-file "$T/sign$a.key" \
		--gas-key-file "$T/gas$a.key" --warn-margin-s 0 \
		--settle-metrics-file "$T/metrics$a.prom" >>"$T/settle$a.log" 2>&1
}
run_all() { # STEP: every auditor, the liar with its switch
	for a in 0 1 2; do srun "$a" || bad "$1: settle run of auditor $a: $(tail -n 5 "$T/settle$a.log")"; done
	srun 3 ASSAY_TEST_LIE_COUNTS=0 || bad "$1: settle run of auditor 3: $(tail -n 5 "$T/settle3.log")"
}
views() { # E: every node reports epoch E and its shards
	"$A" epoch status --json >"$T/epoch$1.json" || die_test "epoch status"
	for i in 0 1 2 3; do
		wait_view "$i" "$1" "$(chain_shards "$T/epoch$1.json" "$i")" || die_test "node $i's view of epoch $1"
	done
}
later() { # SECONDS: move the chain's clock
	rpc evm_increaseTime "[$1]" >/dev/null && rpc anvil_mine '[1]' >/dev/null
}

run_all "epoch 0 (secrets for epoch 1)"
advance
views 1
run_all "epoch 1 (secrets for epoch 2)"
advance
views 2
# Epoch 1 ended: its commit window. Everyone scores, stores its evidence blob, commits;
# auditor 1's first run is killed right after its blob is stored, before its ID is saved.
srun 1 ASSAY_TEST_CRASH_AT=after_evidence_blob && bad "the crash point did not kill the run"
grep -q "ASSAY_TEST_CRASH_AT=after_evidence_blob: killing" "$T/settle1.log" ||
	bad "auditor 1's run did not reach its blob: $(tail -n 5 "$T/settle1.log")"
run_all "commit window of epoch 1"
REGISTRY=$(jq -r .blob_registry "$T/deployment.json")
topic0=$("$A" chain keccak --text "BlobRegistered(bytes32,address,uint64,uint64,uint64,uint8,uint64,uint256)")
payer="0x000000000000000000000000$(addr gas1 | lc | cut -c3-)"
regs=$(rpc eth_getLogs "[{\"address\":\"$REGISTRY\",\"fromBlock\":\"0x0\",\"topics\":[\"$topic0\",null,\"$payer\"]}]")
[ "$(jq length <<<"$regs")" = 1 ] && ok "killed after storing its blob, auditor 1's rerun stored no second blob" ||
	bad "auditor 1 registered $(jq length <<<"$regs") blobs: $regs"
committed=0
for a in 0 1 2 3; do
	st=$("$A" settle status --json --db "$DB" --signing-key-file "$T/sign$a.key" |
		jq -r '.epochs[] | select(.epoch == 1) | .state')
	[ "$st" = committed ] && committed=$((committed + 1))
done
[ "$committed" = 4 ] && ok "4 auditors scored epoch 1, stored their evidence blobs and committed" ||
	bad "only $committed auditors committed epoch 1 (see $T/settle*.log)"
grep -q "ASSAY_TEST_LIE_COUNTS" "$T/settle3.log" && ok "auditor 3 lies about committee position 0" ||
	bad "auditor 3's lie was not armed"

later 61 # the reveal window
run_all "reveal window of epoch 1"
"$A" attestations --epoch 1 --json >"$T/att1.json" || bad "attestations: $(cat "$T/att1.json")"
[ "$(jq '[.attestations[] | select(.valid and (.evidence_blob | test("^0x0+$") | not))] | length' "$T/att1.json")" = 4 ] &&
	ok "4 reveals on chain, each naming its evidence blob" || bad "reveals: $(cat "$T/att1.json")"
[ "$(jq -r '.attestations[] | select(.auditor_id == 1) | .evidence_blob' "$T/att1.json")" = "$(jq -r '.[0].topics[1]' <<<"$regs")" ] &&
	ok "auditor 1 revealed the blob its killed run stored" || bad "auditor 1's reveal names another blob"

# The watcher, by hand: the liar is found from the blobs alone, with its proof.
"$A" dispute check --epoch 1 --json >"$T/check.json"
rc=$?
[ "$rc" = 1 ] && ok "dispute check exits 1: fraud found" || bad "dispute check exited $rc: $(cat "$T/check.json")"
jq -e '.checked == 4 and .frauds == 1 and ([.findings[] | select(.fraud)] | length) == 1 and
	(.findings[] | select(.fraud) | .kind == "node_total" and .auditor_id == 3 and .provable
	 and .index == 0 and .proof.index == 0 and .attested.passed > .proof.sub.passed)' \
	"$T/check.json" >/dev/null && ok "the one fraud is auditor 3's node total at position 0, provable (1a)" ||
	bad "findings: $(cat "$T/check.json")"
for a in 0 1 2; do
	"$A" dispute check --epoch 1 --auditor "$a" --json >"$T/honest$a.json" ||
		bad "dispute check of honest auditor $a exited non-zero: $(cat "$T/honest$a.json")"
done
[ "$(jq -s '[.[] | .checked] | add' "$T"/honest[012].json)" = 3 ] &&
	[ "$(jq -s '[.[] | .findings[]] | length' "$T"/honest[012].json)" = 0 ] &&
	ok "the honest auditors' evidence yields no finding" || bad "honest: $(cat "$T"/honest[012].json)"

# Auditor 0's settle run in the dispute window convicts the liar on chain.
later 61
before=$("$A" chain call --to "$TOKEN" 'balanceOf(address)(uint256)' "$(addr gas0)")
srun 0 || bad "settle run of auditor 0 in the dispute window: $(tail -n 5 "$T/settle0.log")"
after=$("$A" chain call --to "$TOKEN" 'balanceOf(address)(uint256)' "$(addr gas0)")
paid=$(python3 -c "print($after - $before)")
[ "$paid" = "$(python3 -c "print($BOND // 2)")" ] && ok "the disputer (auditor 0's gas key) was paid half the bond" ||
	bad "the disputer got $paid"
[ "$(call 'bonds(uint8)(uint256)' 3)" = 0 ] && ok "the liar's bond is gone" ||
	bad "auditor 3's bond is $(call 'bonds(uint8)(uint256)' 3)"
call 'auditors(uint8)(address,address,bool)' 3 | tail -n 1 | grep -qx false &&
	ok "the liar left the auditor set" || bad "auditor 3: $(call 'auditors(uint8)(address,address,bool)' 3)"
grep -q '^assay_dispute_submitted_total 1$' "$T/metrics0.prom" &&
	grep -q '^assay_dispute_found_total{kind="node_total"} 1$' "$T/metrics0.prom" &&
	grep -q '^assay_dispute_checked_total 3$' "$T/metrics0.prom" &&
	ok "auditor 0's metrics: 3 checked, 1 node_total found, 1 submitted" || bad "metrics: $(grep dispute "$T/metrics0.prom")"
"$A" attestations --epoch 1 >"$T/att1.txt"
grep -A4 '^auditor 3 ' "$T/att1.txt" | grep -q DISPUTED && ok "assay attestations shows auditor 3 as disputed" ||
	bad "attestations: $(cat "$T/att1.txt")"
"$A" dispute check --epoch 1 --json >"$T/check2.json" &&
	jq -e '.checked == 3 and .frauds == 0' "$T/check2.json" >/dev/null &&
	ok "after the conviction, dispute check finds nothing left" || bad "check after: $(cat "$T/check2.json")"

"$A" dispute submit --epoch 1 --db "$DB" --gas-key-file "$T/gas1.key" --json >"$T/submit.json" &&
	jq -e '.frauds == 0 and ([.findings[] | select(.submitted)] | length) == 0' "$T/submit.json" >/dev/null &&
	ok "dispute submit has nothing left to send" || bad "dispute submit: $(cat "$T/submit.json")"

# Past the window, the epoch finalizes with the three honest attestations.
later 121
srun 0 || bad "settle run of auditor 0 after the window: $(tail -n 5 "$T/settle0.log")"
st=$("$A" epoch status --epoch 1 --json)
jq -e '.settlement.status == "finalized" and .settlement.revealed == 3' <<<"$st" >/dev/null &&
	ok "epoch 1 finalized with the 3 honest attestations" || bad "epoch 1: $st"

# Epoch 2: auditor 2 lies about position 1, and `dispute submit` (auditor 1's gas key)
# convicts it; two attestations are left, below the quorum of three: the epoch is voided.
advance
views 3
# Each auditor decided challenges of epoch 2 (inserted as the auditor would have): node 0
# 3 passes, node 1 2 passes and an invalid_proof (with the hash of the body it judged, as
# every verdict on a body has), node 2 a not_found, node 3 2 passes. Auditor 2, the liar,
# leaves that hash out (a malformed record, Disputes.disputeRecord).
for a in 0 1 2; do
	python3 - "$a" "$(addr "sign$a" | lc)" $(jq -r '.committee[].node' "$T/epoch2.json" | lc) >"$T/rec$a.sql" <<'PY'
import sys
liar = sys.argv[1] == "2"
aud, nodes = sys.argv[2][2:], [n[2:] for n in sys.argv[3:]]
plan = [["pass"] * 3, ["pass", "invalid_proof", "pass"], ["not_found"], ["pass"] * 2]
rows, seq = [], 0
for i, outcomes in enumerate(plan):
    for o in outcomes:
        rows.append(f"(2, decode('{aud}','hex'), {seq}, 0, decode('{nodes[i]}','hex'), "
                    f"decode('{seq:064x}','hex'), {i}, 1, 2, 'primary', now(), 12, '{o}', NULL, "
                    + ("decode('" + "ab" * 32 + "','hex')" if o == "invalid_proof" and not liar else "NULL")
                    + ", NULL)")
        seq += 1
print("SELECT challenges_partition_ensure(2);")
print("INSERT INTO challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard, symbol_row,"
      " symbol_col, axis, issued_at, latency_ms, outcome, http_status, response_hash, detail) VALUES\n"
      + ",\n".join(rows) + ";")
PY
	psql -q -v ON_ERROR_STOP=1 "$DB" -f "$T/rec$a.sql" >/dev/null || die_test "records of auditor $a"
done
for a in 0 1; do srun "$a" || bad "epoch 2 commit: settle run of auditor $a: $(tail -n 5 "$T/settle$a.log")"; done
srun 2 ASSAY_TEST_LIE_COUNTS=1 || bad "epoch 2 commit: settle run of auditor 2: $(tail -n 5 "$T/settle2.log")"
later 61
for a in 0 1 2; do srun "$a" || bad "epoch 2 reveal: settle run of auditor $a: $(tail -n 5 "$T/settle$a.log")"; done
"$A" dispute check --epoch 2 --auditor 0 --json >"$T/honest2.json" &&
	jq -e '.checked == 1 and .frauds == 0 and (.findings | length) == 1 and
		(.findings[0] | .kind == "needs_node" and .index == 1 and .records == 1 and (.fraud | not))' \
		"$T/honest2.json" >/dev/null &&
	ok "an honest auditor's 9 records: no fraud, one failed verdict only node 1 can re-check" ||
	bad "honest epoch 2: $(cat "$T/honest2.json")"
before=$("$A" chain call --to "$TOKEN" 'balanceOf(address)(uint256)' "$(addr gas1)")
"$A" dispute submit --epoch 2 --db "$DB" --gas-key-file "$T/gas1.key" --json >"$T/submit2.json"
rc=$?
after=$("$A" chain call --to "$TOKEN" 'balanceOf(address)(uint256)' "$(addr gas1)")
[ "$rc" = 0 ] && jq -e '.frauds == 2 and ([.findings[] | select(.submitted)] | length) == 1 and
	(.findings[] | select(.submitted) | .auditor_id == 2 and .index == 1) and
	([.findings[] | select(.kind == "record") | select(.auditor_id == 2 and .seq == 4 and .fraud)] | length) == 1' \
	"$T/submit2.json" >/dev/null &&
	ok "dispute submit sent the proof against auditor 2 (and found its invalid_proof without a response hash)" ||
	bad "dispute submit exited $rc: $(cat "$T/submit2.json")"
[ "$(python3 -c "print($after - $before)")" = "$(python3 -c "print($BOND // 2)")" ] &&
	[ "$(call 'bonds(uint8)(uint256)' 2)" = 0 ] && ok "auditor 2's bond burned, auditor 1's gas key paid half" ||
	bad "epoch 2: disputer got $((after - before)), bond left $(call 'bonds(uint8)(uint256)' 2)"
later 121
srun 0 || bad "epoch 2 void: settle run of auditor 0: $(tail -n 5 "$T/settle0.log")"
st=$("$A" epoch status --epoch 2 --json)
jq -e '.settlement.status == "voided" and .settlement.revealed == 2' <<<"$st" >/dev/null &&
	ok "epoch 2, below quorum once the liar is out, is voided" || bad "epoch 2: $(jq -c .settlement <<<"$st")"


# ==== fraud proof 2: a failed verdict on an answer that verifies (issue 13) =================
# A deployment of its own (the one above has lost two auditors): four bonded auditors, four
# nodes following it, one blob certified in epoch 1. Every auditor audits epoch 2 with
# `audit run`; auditor 3 lies in a test-only mode (ASSAY_TEST_LIE_VERDICT=0: one passing
# answer of committee position 0 recorded as invalid_proof, with the real body's hash).
#   - the node rebuilds that body from its store and the public schedule
#     (`node answer --epoch --auditor --seq`): it hashes to the record's response hash and
#     verifies;
#   - auditor 0's `settle run` in the dispute window re-asks the node, proves it on chain
#     (Disputes.disputeVerdict, kind 5): the liar's bond is burned but the disputer's
#     share, paid to auditor 0's gas key;
#   - epoch 2 finalizes with the three honest attestations and their medians.
V=$T/v
mkdir -p "$V"
export ASSAY_DEPLOYMENT="$V/deployment.json"
for i in 4 5 6 7; do for k in op nk sign gas; do newkey "$k$i"; done; done
for n in op4 op5 op6 op7 gas4 gas5 gas6 gas7; do fund "$n" || die_test "anvil_setBalance"; done
vaud=()
for a in 0 1 2 3; do vaud+=(--auditor "$a:$(addr "sign$((a + 4))"):$(addr "gas$((a + 4))")"); done
"$A" chain deploy --key-file "$T/deployer.key" --out "$V/deployment.json" --n-shards "$N" \
	--epoch-duration 60 --commit-window 60 --reveal-window 60 --dispute-window 120 \
	--price-per-mib 1000000000000000 --auditor-fa 1 "${vaud[@]}" --json \
	>"$V/deploy.out" 2>"$V/deploy.err" || die_test "verdict: chain deploy: $(cat "$V/deploy.err")"
TOKEN=$(jq -r .token "$V/deployment.json")
SETTLEMENT=$(jq -r .settlement "$V/deployment.json")
DISPUTES=$(jq -r .disputes "$V/deployment.json")
[ "$("$A" chain call --to "$DISPUTES" 'minPerNode()(uint32)')" = 200 ] &&
	[ "$("$A" chain call --to "$DISPUTES" 'batchSize()(uint32)')" = 16 ] &&
	ok "verdict: Disputes fixes the schedule's min-per-node and batch size the auditors run with" ||
	bad "verdict: minPerNode, batchSize are $("$A" chain call --to "$DISPUTES" 'minPerNode()(uint32)'), $("$A" chain call --to "$DISPUTES" 'batchSize()(uint32)')"
for a in 4 5 6 7; do mint "$(addr "gas$a")" 1000000000000000000000000; done
for i in 4 5 6 7; do node_register "$i"; done
vdb="verdict_$(head -c6 /dev/urandom | xxd -p)"
psql -q "$PGADMIN" -c "CREATE DATABASE $vdb" >/dev/null || die_test "verdict: create database"
cleanup_extra() {
	psql -q "$PGADMIN" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1
	psql -q "$PGADMIN" -c "DROP DATABASE IF EXISTS $vdb" >/dev/null 2>&1
}
VDB=$(sed -E "s/dbname=postgres/dbname=$vdb/" <<<"$PGADMIN")
"$A" db migrate --db "$VDB" >/dev/null || die_test "verdict: db migrate"
vrun() { # AUDITOR(0-3): one settle run of the new deployment's auditor
	local k=$(($1 + 4))
	"$A" settle run --no-advance --db "$VDB" --signing-key-file "$T/sign$k.key" \
		--gas-key-file "$T/gas$k.key" --warn-margin-s 0 \
		--settle-metrics-file "$V/metrics$1.prom" >>"$V/settle$1.log" 2>&1
}
vrun_all() {
	for a in 0 1 2 3; do vrun "$a" || bad "verdict: $1: settle run of auditor $a: $(tail -n 5 "$V/settle$a.log")"; done
}
vviews() { # E
	"$A" epoch status --json >"$V/epoch$1.json" || die_test "verdict: epoch status"
	for i in 4 5 6 7; do
		wait_view "$i" "$1" "$(chain_shards "$V/epoch$1.json" "$i")" || die_test "verdict: node $i's view of epoch $1"
	done
}
vrun_all "epoch 0 (secrets for epoch 1)"
advance
seed
vviews 1
head -c 20000 /dev/urandom >"$V/blob"
"$A" blob put "$V/blob" --key-file "$T/gas4.key" --epochs 4 --json >"$V/put.json" 2>"$V/put.err" ||
	die_test "verdict: blob put: $(cat "$V/put.err")"
vrun_all "epoch 1 (secrets for epoch 2)"
advance
seed
vviews 2
for a in 0 1 2 3; do
	lie_env=()
	[ "$a" = 3 ] && lie_env=(ASSAY_TEST_LIE_VERDICT=0)
	env "${lie_env[@]}" "$A" audit run --epoch 2 --once --db "$VDB" \
		--key-file "$T/sign$((a + 4)).key" --epoch-start now --window-ms 1500 \
		--retry-delay-ms 500 >"$V/audit$a.out" 2>"$V/audit$a.log" ||
		bad "verdict: audit run of auditor $a: $(tail -n 5 "$V/audit$a.log")"
done
lie=$(sed -nE 's/.*recording the passing answer to challenge ([0-9]+) .*/\1/p' "$V/audit3.log")
grep -q "ASSAY_TEST_LIE_VERDICT=0 is armed" "$V/audit3.log" && [ -n "$lie" ] &&
	ok "verdict: auditor 3's lie is armed and told (challenge $lie recorded as invalid_proof)" ||
	bad "verdict: the lie was not told: $(cat "$V/audit3.log")"
vrun_all "epoch 2 (secrets for epoch 3)"
advance
seed
vviews 3
vrun_all "commit window of epoch 2"
later 61
vrun_all "reveal window of epoch 2"
"$A" attestations --epoch 2 --json >"$V/att.json"
[ "$(jq '[.attestations[] | select(.valid)] | length' "$V/att.json")" = 4 ] &&
	ok "verdict: 4 reveals of epoch 2" || bad "verdict: reveals: $(cat "$V/att.json")"

# The node side: the node of committee position 0 rebuilds the body it answered.
nk0=$(jq -r '.committee[] | select(.index == 0) | .node_key | ascii_downcase' "$V/epoch2.json")
for i in 4 5 6 7; do [ "$(addr "nk$i" | lc)" = "$nk0" ] && pos0=$i; done
"$A" node answer --data "$T/n$pos0" --epoch 2 --auditor 3 --seq "$lie" --json -o "$V/body.bcs" \
	>"$V/answer.json" 2>"$V/answer.err"
rc=$?
[ "$rc" = 0 ] && jq -e '.outcome == "invalid_proof" and .matches and .verifies and .provable and
	.answer == "symbols" and .body_blake2b == .response_hash' "$V/answer.json" >/dev/null &&
	[ "$(b2sum -l 256 "$V/body.bcs" | cut -d' ' -f1)" = "$(jq -r '.response_hash[2:]' "$V/answer.json")" ] &&
	ok "verdict: node answer --epoch 2 --auditor 3 --seq $lie rebuilds the body of the record's hash, which verifies" ||
	bad "verdict: node answer exited $rc: $(cat "$V/answer.json" "$V/answer.err")"
"$A" node answer --data "$T/n$pos0" --epoch 2 --auditor 0 --seq "$lie" --json >"$V/answer0.json" 2>&1 &&
	jq -e '.outcome == "pass" and .matches and (.provable | not)' "$V/answer0.json" >/dev/null &&
	ok "verdict: the honest auditor's record of the same challenge rebuilds too, and proves nothing" ||
	bad "verdict: node answer of auditor 0: $(cat "$V/answer0.json")"

"$A" dispute verdict --epoch 2 --auditor 1 --seq "$lie" --db "$VDB" --gas-key-file "$T/gas5.key" \
	>"$V/verdict1.out" 2>&1
rc=$?
[ "$rc" = 1 ] && grep -q "nothing to prove: record $lie is pass" "$V/verdict1.out" &&
	ok "verdict: dispute verdict against an honest record sends nothing (exit 1)" ||
	bad "verdict: dispute verdict of auditor 1 exited $rc: $(cat "$V/verdict1.out")"
"$A" audit plan --epoch 2 --key-file "$T/sign4.key" --min-per-node 100 >/dev/null 2>"$V/plan.err"
rc=$?
[ "$rc" = 1 ] && grep -q "min-per-node 100, per-shard 2 and batch-size 16 differ from the Disputes contract's 200, 2 and 16" "$V/plan.err" &&
	ok "verdict: an auditor whose schedule is not the contract's refuses to plan" ||
	bad "verdict: audit plan --min-per-node 100 exited $rc: $(cat "$V/plan.err")"
timeout 60 "$A" audit run --db "$VDB" --key-file "$T/sign4.key" --per-shard 3 >/dev/null 2>"$V/run.err"
rc=$?
[ "$rc" = 1 ] && grep -q "per-shard 3 and batch-size 16 differ from the Disputes contract's 200, 2 and 16" "$V/run.err" &&
	ok "verdict: the audit daemon refuses such a schedule at once, not retrying" ||
	bad "verdict: audit run --per-shard 3 exited $rc: $(cat "$V/run.err")"
"$A" audit plan --epoch 2 --key-file "$T/sign4.key" --batch-size 8 >/dev/null 2>"$V/plan8.err"
rc=$?
[ "$rc" = 1 ] && grep -q "set --min-per-node 200 --per-shard 2 --batch-size 16" "$V/plan8.err" &&
	ok "verdict: an auditor whose batch size is not the contract's refuses to plan (proof 2 rebuilds requests with it)" ||
	bad "verdict: audit plan --batch-size 8 exited $rc: $(cat "$V/plan8.err")"

# Auditor 0's settle run in the dispute window convicts the liar (kind 5).
later 61
before=$("$A" chain call --to "$TOKEN" 'balanceOf(address)(uint256)' "$(addr gas4)")
vrun 0 || bad "verdict: settle run of auditor 0 in the dispute window: $(tail -n 5 "$V/settle0.log")"
after=$("$A" chain call --to "$TOKEN" 'balanceOf(address)(uint256)' "$(addr gas4)")
topic=$("$A" chain keccak --text "AttestationDisputed(uint64,uint8,address,uint8,uint256,uint256)")
evs=$(rpc eth_getLogs "[{\"address\":\"$SETTLEMENT\",\"fromBlock\":\"0x0\",\"topics\":[\"$topic\"]}]")
[ "$(jq length <<<"$evs")" = 1 ] && [ "$(jq -r '.[0].topics[2]' <<<"$evs")" = "0x$(printf '%064x' 3)" ] &&
	[ "$(( $(jq -r '.[0].data[2:66]' <<<"$evs" | sed 's/^/0x/') ))" = 5 ] &&
	ok "verdict: AttestationDisputed(epoch 2, auditor 3, kind 5)" || bad "verdict: events: $evs"
[ "$(python3 -c "print($after - $before)")" = "$(python3 -c "print($BOND * 5000 // 10000)")" ] &&
	ok "verdict: the disputer (auditor 0's gas key) was paid bond x disputerBps / 10^4" ||
	bad "verdict: the disputer got $(python3 -c "print($after - $before)")"
[ "$("$A" chain call --to "$SETTLEMENT" 'bonds(uint8)(uint256)' 3)" = 0 ] && ok "verdict: the liar's bond is gone" ||
	bad "verdict: auditor 3's bond is $("$A" chain call --to "$SETTLEMENT" 'bonds(uint8)(uint256)' 3)"
grep -q '^assay_dispute_found_total{kind="verdict"} 1$' "$V/metrics0.prom" &&
	grep -q '^assay_dispute_submitted_total 1$' "$V/metrics0.prom" &&
	ok "verdict: auditor 0's metrics: 1 verdict found, 1 submitted" || bad "verdict: metrics: $(grep dispute "$V/metrics0.prom")"

# Past the window, epoch 2 finalizes with the three honest attestations.
later 121
vrun 0 || bad "verdict: settle run of auditor 0 after the window: $(tail -n 5 "$V/settle0.log")"
st=$("$A" epoch status --epoch 2 --json)
jq -e '.settlement.status == "finalized" and .settlement.revealed == 3' <<<"$st" >/dev/null &&
	ok "verdict: epoch 2 finalized with the 3 honest attestations" || bad "verdict: epoch 2: $(jq -c .settlement <<<"$st")"
node0=$(jq -r '.committee[] | select(.index == 0) | .node' "$V/epoch2.json")
"$A" payouts --node "$node0" --epochs 2..2 --db "$VDB" --signing-key-file "$T/sign4.key" --json \
	>"$V/payouts.json" 2>&1 &&
	jq -e '[.. | objects | select(has("median"))] | length == 1 and .[0].median == "100.00%" and
		.[0].score == "100.00%"' "$V/payouts.json" >/dev/null &&
	ok "verdict: the node lied about is paid at the honest median, 100 %" ||
	bad "verdict: payouts: $(head -c 600 "$V/payouts.json")"

[ "$fails" = 0 ] && echo "all dispute checks passed" || echo "$fails check(s) failed"
exit "$fails"
