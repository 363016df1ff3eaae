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
# Each auditor decided challenges of epoch 2 (inserted as the auditor would have): node 0
# 3 passes, node 1 2 passes and an invalid_proof, node 2 a not_found, node 3 2 passes.
for a in 0 1 2; do
	python3 - "$(addr "sign$a" | lc)" $(jq -r '.committee[].node' "$T/epoch2.json" | lc) >"$T/rec$a.sql" <<'PY'
import sys
aud, nodes = sys.argv[1][2:], [n[2:] for n in sys.argv[2:]]
plan = [["pass"] * 3, ["pass", "invalid_proof", "pass"], ["not_found"], ["pass"] * 2]
rows, seq = [], 0
for i, outcomes in enumerate(plan):
    for o in outcomes:
        rows.append(f"(2, decode('{aud}','hex'), {seq}, 0, decode('{nodes[i]}','hex'), "
                    f"decode('{seq:064x}','hex'), {i}, 1, 2, 'primary', now(), 12, '{o}', NULL, NULL, NULL)")
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
[ "$rc" = 0 ] && jq -e '.frauds == 1 and ([.findings[] | select(.submitted)] | length) == 1 and
	(.findings[] | select(.submitted) | .auditor_id == 2 and .index == 1)' "$T/submit2.json" >/dev/null &&
	ok "dispute submit sent the proof against auditor 2" || bad "dispute submit exited $rc: $(cat "$T/submit2.json")"
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

[ "$fails" = 0 ] && echo "all dispute checks passed" || echo "$fails check(s) failed"
exit "$fails"
