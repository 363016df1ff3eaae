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
export TMPDIR="$T" # the settle jobs' scratch directories, checked below

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
# A blob certified in epoch 1 is in epoch 2's snapshot: epoch 2's records below are
# challenges of the auditors' schedules, which the watcher checks (fraud proof 3).
head -c 3000 /dev/urandom >"$T/data.bin"
"$A" blob put "$T/data.bin" --key-file "$T/gas0.key" --epochs 20 >"$T/put.out" 2>"$T/put.err" ||
	die_test "blob put: $(cat "$T/put.err")"
advance
views 2
# Epoch 1 ended: its commit window. Everyone scores, stores its evidence blob, commits;
# auditor 1's first run is killed right after its blob is stored, before its ID is saved.
srun 1 ASSAY_TEST_CRASH_AT=after_evidence_blob && bad "the crash point did not kill the run"
grep -q "ASSAY_TEST_CRASH_AT=after_evidence_blob: killing" "$T/settle1.log" ||
	bad "auditor 1's run did not reach its blob: $(tail -n 5 "$T/settle1.log")"
scratch1="$T/assay-settle-$(addr sign1 | lc | cut -c3-)"
[ -f "$scratch1/evidence-1.blob" ] && [ "$(stat -c %a "$scratch1")" = 700 ] &&
	ok "the killed run left its evidence blob's file in its own directory (0700)" ||
	bad "no evidence-1.blob left in $scratch1: $(ls -la "$scratch1" 2>&1)"
run_all "commit window of epoch 1"
[ ! -e "$scratch1" ] && ok "the rerun removed what the killed run left, and its own directory" ||
	bad "$scratch1 holds $(ls -A "$scratch1" | tr '\n' ' ')"
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

# The watcher reads a blob's records unverified first (the rebuilt root checks them), its
# header verified: a node serving a bad copy of the last source sliver of auditor 0's blob
# (k_p = 4 at n = 10) spoils that read either way (past the header: the root does not
# rebuild, and the check runs again; within it, as here with a blob of a few records:
# the sliver fails verification and the read goes verified), and the verified read skips
# the bad copy and finds nothing.
ev0=$(jq -r '.attestations[] | select(.auditor_id == 0) | .evidence_blob' "$T/att1.json")
ev0=${ev0#0x}
bad_copy=$(ls "$T"/n*/blobs/"${ev0,,}"/primary-3 2>/dev/null | head -n 1)
if [ -n "$bad_copy" ]; then
	cp "$bad_copy" "$T/primary-3.good"
	size=$(stat -c %s "$bad_copy")
	printf '\x5a' | dd of="$bad_copy" bs=1 seek=$((size / 2)) conv=notrunc status=none
	cmp -s "$bad_copy" "$T/primary-3.good" || printf '\xa5' | dd of="$bad_copy" bs=1 seek=$((size / 2)) conv=notrunc status=none
	"$A" dispute check --epoch 1 --auditor 0 --json --log-level info >"$T/badcopy.json" 2>"$T/badcopy.log" &&
		[ "$(jq '.checked' "$T/badcopy.json")" = 1 ] && [ "$(jq '.findings | length' "$T/badcopy.json")" = 0 ] &&
		grep -Eq "checking again with every byte verified|; reading verified" "$T/badcopy.log" &&
		grep -q "node [0-9]*: primary sliver 3 fails verification" "$T/badcopy.log" &&
		ok "a bad copy of a sliver of records: read again verified, no finding" ||
		bad "bad copy: $(cat "$T/badcopy.json"; tail -n 5 "$T/badcopy.log")"
	cp "$T/primary-3.good" "$bad_copy"
else
	bad "no node stores primary sliver 3 of auditor 0's evidence blob $ev0"
fi

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
	grep -q '^assay_dispute_convictions_seen{kind="node_total"} 1$' "$T/metrics0.prom" &&
	ok "auditor 0's metrics: 3 checked, 1 node_total found, 1 submitted, 1 node_total conviction seen" || bad "metrics: $(grep dispute "$T/metrics0.prom")"
"$A" attestations --epoch 1 >"$T/att1.txt"
grep -A4 '^auditor 3 ' "$T/att1.txt" | grep -q '^  disputed: node_total, by ' && ok "assay attestations shows auditor 3 as disputed" ||
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
# Each auditor decided challenges of epoch 2, the first of each node in its schedule
# (inserted as the auditor would have): node 0 3 passes, node 1 2 passes and an
# invalid_proof (with the hash of the body it judged, as every verdict on a body has), node
# 2 a not_found, node 3 2 passes. Auditor 2, the liar, leaves that hash out (a malformed
# record, Disputes.disputeRecord).
for a in 0 1 2; do
	"$A" audit plan --epoch 2 --key-file "$T/sign$a.key" --json >"$T/plan$a.json" ||
		die_test "audit plan of auditor $a for epoch 2"
	python3 - "$a" "$(addr "sign$a" | lc)" "$T/plan$a.json" >"$T/rec$a.sql" <<'PY'
import base64, json, sys
liar = sys.argv[1] == "2"
aud, plan = sys.argv[2][2:], json.load(open(sys.argv[3]))
nodes = [n["id"][2:] for n in plan["nodes"]]
want = [["pass"] * 3, ["pass", "invalid_proof", "pass"], ["not_found"], ["pass"] * 2]
rows = []
for i, outcomes in enumerate(want):
    chs = [c for c in plan["challenges"] if c["node"] == i][:len(outcomes)]
    assert len(chs) == len(outcomes), f"node {i} has {len(chs)} challenges"
    for c, o in zip(chs, outcomes):
        blob = base64.urlsafe_b64decode(c["blob"] + "=" * (-len(c["blob"]) % 4)).hex()
        row, col = c["symbol"].split("-")
        rows.append(f"(2, decode('{aud}','hex'), {c['seq']}, 0, decode('{nodes[i]}','hex'), "
                    f"decode('{blob}','hex'), {c['shard']}, {row}, {col}, '{c['axis']}', now(), 12, "
                    f"'{o}', NULL, "
                    + ("decode('" + "ab" * 32 + "','hex')" if o == "invalid_proof" and not liar else "NULL")
                    + ", NULL)")
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
	jq -e '.checked == 1 and .frauds == 0 and ([.findings[] | select(.kind != "unrecorded")] | length) == 1 and
		(.findings[] | select(.kind != "unrecorded") | .kind == "needs_node" and .index == 1 and .records == 1 and (.fraud | not)) and
		(.findings[] | select(.kind == "unrecorded") | .records > 0 and (.fraud | not))' \
		"$T/honest2.json" >/dev/null &&
	ok "an honest auditor's 9 scheduled records: no fraud, one failed verdict only node 1 can re-check, the rest of its schedule unrecorded" ||
	bad "honest epoch 2: $(cat "$T/honest2.json")"
before=$("$A" chain call --to "$TOKEN" 'balanceOf(address)(uint256)' "$(addr gas1)")
"$A" dispute submit --epoch 2 --db "$DB" --gas-key-file "$T/gas1.key" --json >"$T/submit2.json"
rc=$?
after=$("$A" chain call --to "$TOKEN" 'balanceOf(address)(uint256)' "$(addr gas1)")
[ "$rc" = 0 ] && jq -e '.frauds == 2 and ([.findings[] | select(.submitted)] | length) == 1 and
	(.findings[] | select(.submitted) | .auditor_id == 2 and .index == 1) and
	([.findings[] | select(.kind == "record") | select(.auditor_id == 2 and .record.outcome == "invalid_proof" and .fraud)] | length) == 1' \
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


# ---- issue 13: the convictions above, as `assay attestations`, the API and the epoch page
# show them. Epoch 1: auditor 3 convicted (node total, 1a) by auditor 0's gas key; epoch 2:
# auditor 2 by auditor 1's gas key. The reward is bond x disputerBps / 10^4, the rest burned.
DBPS=$(call 'disputerBps()(uint16)')
REWARD=$(python3 -c "print($BOND * $DBPS // 10000)")
BURNED=$(python3 -c "print($BOND - $BOND * $DBPS // 10000)")
"$A" attestations --epoch 1 --json >"$T/vis1.json" || bad "attestations --epoch 1 --json: $(cat "$T/vis1.json")"
jq -e --arg d "$(addr gas0 | lc)" --arg s "$(addr sign3 | lc)" --arg r "$REWARD" --arg b "$BURNED" '
	(.attestations[] | select(.auditor_id == 3) | .disputed and .valid and
	 (.dispute | .kind == "node_total" and .kind_code == 1 and (.disputer | ascii_downcase) == $d and
	  (.signer | ascii_downcase) == $s and .reward == $r and .burned == $b and .bond == "0" and
	  (.tx | test("^0x[0-9a-f]{64}$")) and .block > 0) and .bond == "0")' "$T/vis1.json" >/dev/null &&
	ok "attestations --json: auditor 3 convicted (node_total) by auditor 0's gas key, reward $REWARD, burned $BURNED" ||
	bad "attestations --json, auditor 3: $(jq -c '.attestations[] | select(.auditor_id == 3) | del(.counts)' "$T/vis1.json")"
jq -e --arg b "$BOND" '[.attestations[] | select(.auditor_id != 3)] | length == 3 and
	all(.dispute == null and (.disputed | not)) and
	([.[] | .bond] == [$b, $b, "0"])' "$T/vis1.json" >/dev/null &&
	ok "attestations --json: the 3 honest attestations of epoch 1 have no dispute; auditors 0 and 1 keep their bonds, auditor 2 lost its own in epoch 2" ||
	bad "attestations --json, honest: $(jq -c '[.attestations[] | select(.auditor_id != 3) | {auditor_id, disputed, dispute, bond}]' "$T/vis1.json")"
"$A" attestations --epoch 1 >"$T/vis1.txt" || bad "attestations --epoch 1: $(cat "$T/vis1.txt")"
[ "$(grep -c 'disputed:' "$T/vis1.txt")" = 1 ] &&
	grep -A4 '^auditor 3 ' "$T/vis1.txt" | grep -qx "  disputed: node_total, by $(addr gas0), reward $REWARD, burned $BURNED (tx 0x[0-9a-f]*, block [0-9]*): convicted, no longer counted" &&
	ok "attestations (text): one 'disputed:' line, under auditor 3, none under the others" ||
	bad "attestations text: $(cat "$T/vis1.txt")"
"$A" attestations --epoch 2 --json >"$T/vis2.json" || bad "attestations --epoch 2 --json: $(cat "$T/vis2.json")"
jq -e --arg d "$(addr gas1 | lc)" '[.attestations[] | select(.dispute != null)] | length == 1 and
	(.[0] | .auditor_id == 2 and (.dispute.disputer | ascii_downcase) == $d)' "$T/vis2.json" >/dev/null &&
	ok "attestations --json: epoch 2's one conviction is auditor 2's, by auditor 1's gas key" ||
	bad "attestations epoch 2: $(jq -c '[.attestations[] | {auditor_id, dispute}]' "$T/vis2.json")"

# The API over this database and chain.
api_pid=
stop_api() { [ -n "$api_pid" ] && kill "$api_pid" 2>/dev/null && wait "$api_pid" 2>/dev/null; api_pid=; }
cleanup_extra() { stop_api; psql -q "$PGADMIN" -c "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1; }
api_port=$(free_port)
"$A" api serve --listen "127.0.0.1:$api_port" --db "$DB" --api-rate 1000 --api-burst 1000 \
	>"$T/api.log" 2>&1 </dev/null &
api_pid=$!
API="http://127.0.0.1:$api_port"
for _ in $(seq 1 100); do curl -sf -m 1 "$API/v1/health" >/dev/null && break; sleep 0.1; done
curl -sf "$API/v1/epochs/1/attestations" >"$T/api-att1.json" || bad "GET /v1/epochs/1/attestations: $(cat "$T/api.log")"
jq -e --arg s "$(addr sign3 | lc)" --arg d "$(addr gas0 | lc)" --arg r "$REWARD" '
	(.attestations | length) == 4 and (has("disputes_error") | not) and
	([.attestations[] | select(.dispute != null)] | length == 1 and
	 (.[0] | (.auditor | ascii_downcase) == $s and .dispute.kind == "node_total" and .dispute.auditor_id == 3 and
	  (.dispute.disputer | ascii_downcase) == $d and .dispute.reward == $r)) and
	all(.attestations[]; has("dispute"))' "$T/api-att1.json" >/dev/null &&
	ok "API attestations of epoch 1: auditor 3's carries its conviction, the 3 others \"dispute\": null" ||
	bad "API attestations: $(jq -c '[.attestations[] | {auditor, dispute}], .disputes_error' "$T/api-att1.json")"
curl -sf "$API/v1/epochs/1/disputes" >"$T/api-dis1.json" &&
	jq -e --arg r "$REWARD" '.epoch == 1 and (.disputes | length) == 1 and .disputes[0].auditor_id == 3 and
		.disputes[0].kind == "node_total" and .disputes[0].reward == $r' "$T/api-dis1.json" >/dev/null &&
	ok "GET /v1/epochs/1/disputes: auditor 3's conviction" || bad "disputes of epoch 1: $(cat "$T/api-dis1.json")"
curl -sf "$API/v1/epochs/0/disputes" | jq -e '.disputes == []' >/dev/null &&
	ok "GET /v1/epochs/0/disputes: none" || bad "disputes of epoch 0: $(curl -s "$API/v1/epochs/0/disputes")"
code=$(curl -s -o "$T/api-bad.json" -w '%{http_code}' "$API/v1/epochs/x/disputes")
[ "$code" = 400 ] && jq -e '.error | test("epoch")' "$T/api-bad.json" >/dev/null &&
	ok "GET /v1/epochs/x/disputes: 400 with a sentence" || bad "bad epoch: $code $(cat "$T/api-bad.json")"
# The epoch page in headless Chromium: auditor 3's attestation struck out as convicted and
# not counted as verified (tests/web/dispute.mjs; screenshot in web-screenshots/).
if [ -x "${CHROMIUM:-/usr/bin/chromium}" ] && [ -d "$SRC/node_modules/puppeteer-core" ]; then
	shots=$STATE_DIR/web-screenshots
	API=$API RPC=$ASSAY_RPC_URL OUT=$shots EPOCH=1 CONVICTED=$(addr sign3 | lc) DISPUTER=$(addr gas0 | lc) \
		REWARD=$REWARD NODE_PATH="$SRC/node_modules" node "$SRC/tests/web/dispute.mjs" >"$T/page.log" 2>&1 &&
		ok "epoch page: auditor 3 convicted and struck out, 3 verified ($shots/epoch-convicted.png)" ||
		bad "epoch page: $(cat "$T/page.log")"
else
	echo "# no Chromium or puppeteer-core: the epoch page is not checked here"
fi
stop_api
# The same database, with a chain that does not answer: the attestations without their
# disputes and why, the disputes route 502.
api_port=$(free_port)
ASSAY_RPC_URL="http://127.0.0.1:$(free_port)" "$A" api serve --listen "127.0.0.1:$api_port" --db "$DB" \
	--api-rate 1000 --api-burst 1000 >"$T/api-nochain.log" 2>&1 </dev/null &
api_pid=$!
API="http://127.0.0.1:$api_port"
for _ in $(seq 1 100); do curl -sf -m 1 "$API/v1/health" >/dev/null && break; sleep 0.1; done
curl -sf "$API/v1/epochs/1/attestations" | jq -e '(.attestations | length) == 4 and
	all(.attestations[]; has("dispute") | not) and (.disputes_error | test("."))' >/dev/null &&
	ok "API, chain away: the attestations without \"dispute\", disputes_error says why" ||
	bad "API, chain away: $(curl -s "$API/v1/epochs/1/attestations" | jq -c '{disputes_error, n: (.attestations | length)}')"
code=$(curl -s -o "$T/api-502.json" -w '%{http_code}' "$API/v1/epochs/1/disputes")
[ "$code" = 502 ] && jq -e '.error | test("chain could not be read")' "$T/api-502.json" >/dev/null &&
	ok "API, chain away: /v1/epochs/1/disputes 502 with a sentence" || bad "disputes, chain away: $code $(cat "$T/api-502.json")"
stop_api

# ---- fraud proof 3, an invented record (issue 13; self-contained: needs only the
# deployment, the nodes, the database and the helpers above) ----
# Every auditor back in the set (bonded again, activated by the owner: the timelock,
# impersonated on anvil), secrets for the next epoch, which every auditor audits for real
# (`audit run --once`); auditor 3 adds to its records a passed challenge of committee
# position 1 that its schedule does not contain (ASSAY_TEST_LIE_RECORD=1), counted and
# stored in its evidence blob like the rest. The honest auditors' real records all check.
# `dispute check` finds it (kind schedule, provable: the contract's own view agrees);
# auditor 0's `settle run` in the dispute window proves it with Disputes.disputeSchedule
# (AttestationDisputed kind 6), the liar's bond is burned but the disputer's share, and the
# epoch finalizes with the three honest attestations.
TIMELOCK=$(jq -r .timelock "$T/deployment.json")
rpc anvil_impersonateAccount "[\"$TIMELOCK\"]" >/dev/null && rpc anvil_setBalance "[\"$TIMELOCK\",\"0x56BC75E2D63100000\"]" >/dev/null ||
	die_test "impersonating the timelock"
for a in 0 1 2 3; do
	call 'auditors(uint8)(address,address,bool)' "$a" | tail -n 1 | grep -qx true && continue
	have=$(call 'bonds(uint8)(uint256)' "$a")
	need=$(python3 -c "print(max(0, $BOND - $have))")
	if [ "$need" != 0 ]; then
		mint "$(addr deployer)" "$need"
		"$A" chain send --key-file "$T/deployer.key" --to "$TOKEN" 'approve(address,uint256)' "$SETTLEMENT" "$need" \
			--wait >/dev/null 2>>"$T/rebond.err" &&
			"$A" chain send --key-file "$T/deployer.key" --to "$SETTLEMENT" 'postBond(uint8,uint256)' "$a" "$need" \
				--wait >/dev/null 2>>"$T/rebond.err" || die_test "bond of auditor $a: $(cat "$T/rebond.err")"
	fi
	data=$("$A" chain calldata 'setAuditor(uint8,address,address,bool)' "$a" "$(addr "sign$a")" "$(addr "gas$a")" true)
	tx=$(rpc eth_sendTransaction "[{\"from\":\"$TIMELOCK\",\"to\":\"$SETTLEMENT\",\"data\":\"$data\"}]") ||
		die_test "setAuditor $a from the timelock"
	[ "$(rpc eth_getTransactionReceipt "[$tx]" | jq -r .status)" = 0x1 ] || die_test "setAuditor $a reverted"
done
rpc anvil_stopImpersonatingAccount "[\"$TIMELOCK\"]" >/dev/null
active=0
for a in 0 1 2 3; do call 'auditors(uint8)(address,address,bool)' "$a" | tail -n 1 | grep -qx true && active=$((active + 1)); done
[ "$active" = 4 ] || die_test "only $active auditors active again"
LE=$(( $("$A" epoch status --json | jq -r .current_epoch) + 1 )) # the lying epoch: its secrets are committed now
for a in 0 1 2 3; do srun "$a" || bad "epoch $LE secrets: settle run of auditor $a: $(tail -n 5 "$T/settle$a.log")"; done
advance
views "$LE"
# Every auditor audits epoch LE for real (its schedule against the nodes, records in the
# database), so the honest evidence the watcher checks is a real schedule's.
seed
apids=()
for a in 0 1 2 3; do
	"$A" audit run --epoch "$LE" --once --key-file "$T/sign$a.key" --db "$DB" --epoch-start now \
		--window-ms 2000 --log-level warn >"$T/audit$a.out" 2>"$T/audit$a.log" &
	apids+=($!)
done
for a in 0 1 2 3; do wait "${apids[$a]}" || bad "audit run of auditor $a: $(tail -n 5 "$T/audit$a.log")"; done
decided=$(psql -qAt "$DB" -c "SELECT count(DISTINCT (auditor, seq)) FROM challenges WHERE epoch = $LE")
[ "$decided" -gt 0 ] && ok "the 4 auditors audited epoch $LE: $decided challenges recorded" ||
	bad "no challenge of epoch $LE recorded: $(cat "$T"/audit*.out)"
for a in 0 1 2 3; do srun "$a" || bad "epoch $((LE + 1)) secrets: settle run of auditor $a: $(tail -n 5 "$T/settle$a.log")"; done
advance
views "$((LE + 1))"
for a in 0 1 2; do srun "$a" || bad "epoch $LE commit: settle run of auditor $a: $(tail -n 5 "$T/settle$a.log")"; done
srun 3 ASSAY_TEST_LIE_RECORD=1 || bad "epoch $LE commit: settle run of auditor 3: $(tail -n 5 "$T/settle3.log")"
grep -q "TEST ONLY: ASSAY_TEST_LIE_RECORD" "$T/settle3.log" && ok "auditor 3 invents a record of committee position 1" ||
	bad "auditor 3's invented record was not armed"
later 61
for a in 0 1 2; do srun "$a" || bad "epoch $LE reveal: settle run of auditor $a: $(tail -n 5 "$T/settle$a.log")"; done
srun 3 ASSAY_TEST_LIE_RECORD=1 || bad "epoch $LE reveal: settle run of auditor 3: $(tail -n 5 "$T/settle3.log")"
"$A" dispute check --epoch "$LE" --json >"$T/check_rec.json"
rc=$?
# (with every challenge of position 1 decided, its 201 records also exceed its 200
# challenges: a too_many finding besides)
[ "$rc" = 1 ] && jq -e '.checked == 4 and ([.findings[] | select(.fraud) | .auditor_id] | unique) == [3] and
	(.findings[0] | .kind == "schedule" and .auditor_id == 3 and .fraud and .provable and .index == 1
	 and .records == 1 and .record.outcome == "pass" and .proof.index == 1) and
	([.findings[] | select(.fraud) | .kind] - ["schedule", "too_many"]) == []' \
	"$T/check_rec.json" >/dev/null && ok "dispute check finds auditor 3's invented record, provable (fraud proof 3)" ||
	bad "dispute check exited $rc: $(cat "$T/check_rec.json")"
for a in 0 1 2; do
	"$A" dispute check --epoch "$LE" --auditor "$a" --json >"$T/honest_rec$a.json" ||
		bad "dispute check of honest auditor $a in epoch $LE: $(cat "$T/honest_rec$a.json")"
done
[ "$(jq -s '[.[] | .checked] | add' "$T"/honest_rec[012].json)" = 3 ] &&
	[ "$(jq -s '[.[] | .findings[]] | length' "$T"/honest_rec[012].json)" = 0 ] &&
	ok "the honest auditors' real records of epoch $LE are their schedules': no finding" ||
	bad "honest: $(cat "$T"/honest_rec[012].json)"
later 61
BPS=$(call 'disputerBps()(uint16)')
before=$("$A" chain call --to "$TOKEN" 'balanceOf(address)(uint256)' "$(addr gas0)")
srun 0 || bad "settle run of auditor 0 in epoch $LE's dispute window: $(tail -n 5 "$T/settle0.log")"
after=$("$A" chain call --to "$TOKEN" 'balanceOf(address)(uint256)' "$(addr gas0)")
[ "$(python3 -c "print($after - $before)")" = "$(python3 -c "print($BOND * $BPS // 10000)")" ] &&
	ok "the disputer (auditor 0's gas key) was paid bond x disputerBps / 10^4" || bad "the disputer got $((after - before))"
[ "$(call 'bonds(uint8)(uint256)' 3)" = 0 ] && ok "the inventor's bond is gone" ||
	bad "auditor 3's bond is $(call 'bonds(uint8)(uint256)' 3)"
"$A" attestations --epoch "$LE" --json >"$T/att_rec.json"
jq -e '.attestations[] | select(.auditor_id == 3) | .disputed and .dispute.kind == "schedule" and .dispute.kind_code == 6' "$T/att_rec.json" >/dev/null &&
	ok "AttestationDisputed on chain with kind 6 (schedule)" || bad "attestations: $(cat "$T/att_rec.json")"
grep -q '^assay_dispute_found_total{kind="schedule"} 1$' "$T/metrics0.prom" &&
	ok "auditor 0's metrics count the schedule finding" || bad "metrics: $(grep dispute "$T/metrics0.prom")"
later 121
srun 0 || bad "settle run of auditor 0 after epoch $LE's window: $(tail -n 5 "$T/settle0.log")"
st=$("$A" epoch status --epoch "$LE" --json)
jq -e '.settlement.status == "finalized" and .settlement.revealed == 3' <<<"$st" >/dev/null &&
	ok "epoch $LE finalized with the 3 honest attestations" || bad "epoch $LE: $(jq -c .settlement <<<"$st")"
# ---- end of fraud proof 3 ----


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
	stop_api
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
