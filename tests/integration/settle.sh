#!/usr/bin/env bash
# fixtures: pg anvil
# settle.sh: `assay settle run` against real PostgreSQL and the shared anvil, on contracts
# deployed here (own deployment per scenario, fresh funded keys, time moved with
# evm_increaseTime + anvil_mine, never slept). Scenarios:
#   - one auditor, undisturbed: secrets, score, commit, reveal, finalize; rewards and
#     penalties from the counts;
#   - the same, killed with SIGKILL at each crash point (after scoring, commit signed but
#     not sent, commit sent but not mined, reveal sent but not mined, before finalize,
#     finalize signed but not sent, finalize sent but not mined), then run again:
#     exactly one commit and one reveal on chain, one saved transaction per step, and the
#     same NodeScored results as the undisturbed run;
#   - four auditors, quorum three, one reporting false counts: no median moves (finalized
#     in pages of two committee positions);
#   - a signing key that is not an auditor and a reveal that does not match its
#     commitment are refused by assay, and, with assay's checks skipped
#     (ASSAY_TEST_SKIP_LOCAL_CHECKS), by the contract: BadSignature and CommitMismatch,
#     decoded into their names and a sentence.
set -uo pipefail

ASSAY=${ASSAY_BIN:?ASSAY_BIN must point at the assay binary}
SRC=${ASSAY_SOURCE_DIR:?}
STATE=${ASSAY_TEST_STATE:?}
CAST=${ASSAY_CAST:-$SRC/node_modules/@foundry-rs/cast-linux-amd64/bin/cast}
[ -x "$CAST" ] || CAST=$SRC/node_modules/.bin/cast
ART=${ASSAY_CONTRACTS_DIR:-$(dirname "$ASSAY")/contracts}
RPC=$(cat "$STATE/anvil/url")
PGADMIN=$(cat "$STATE/pg/conninfo")
unset ETH_RPC_URL ETH_FROM CHAIN
work=$(mktemp -d)
# Some scenarios switch anvil to mining by hand: it is shared, so automine comes back on
# whatever happens.
trap '"$CAST" rpc --rpc-url "$RPC" evm_setAutomine true >/dev/null 2>&1; rm -rf "$work"' EXIT
fails=0
pass() { echo "ok: $*"; }
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

newkey() { python3 -c 'import secrets; print("0x" + secrets.token_hex(32))'; }
addr() { "$CAST" wallet address --private-key "$1"; }
fund() { "$CAST" rpc --rpc-url "$RPC" anvil_setBalance "$1" 0x56BC75E2D63100000 >/dev/null; }
send() { # KEY TO SIG ARGS...
	local k=$1 to=$2; shift 2
	"$CAST" send --rpc-url "$RPC" --private-key "$k" "$to" "$@" >/dev/null ||
		{ echo "cast send $to $* failed" >&2; return 1; }
}
deploy() { # KEY NAME CTORSIG ARGS...
	local k=$1 name=$2; shift 2
	"$CAST" send --rpc-url "$RPC" --private-key "$k" --json \
		--create "$(jq -r .bytecode "$ART/$name.json")" "$@" | jq -r .contractAddress
}
call() { "$CAST" call --rpc-url "$RPC" "$@"; }
now() { "$CAST" block --rpc-url "$RPC" latest -f timestamp; }
warp() { # to at least T
	local t=$1 n; n=$(now)
	if [ "$t" -gt "$n" ]; then
		"$CAST" rpc --rpc-url "$RPC" evm_increaseTime $((t - n)) >/dev/null
	fi
	"$CAST" rpc --rpc-url "$RPC" anvil_mine 1 >/dev/null
}
newdb() {
	local name="settle_$(python3 -c 'import secrets; print(secrets.token_hex(6))')"
	psql -q "$PGADMIN" -c "CREATE DATABASE $name" >/dev/null || return 1
	local url; url=$(sed -E "s/dbname=postgres/dbname=$name/" <<<"$PGADMIN")
	"$ASSAY" db migrate --db "$url" >/dev/null || return 1
	echo "$url"
}

EPOCH=36000 WIN=3600
NODE_KEYS=(0x$(printf '5eed%060x' 1) 0x$(printf '5eed%060x' 2) 0x$(printf '5eed%060x' 3))

# setup DIR NAUDITORS FA: deploys, registers three nodes, funds pools, sets auditors and
# writes DIR/deployment.json, DIR/sign<i>.key, DIR/gas<i>.key, DIR/db.
setup() {
	local d=$1 na=$2 fa=$3
	mkdir -p "$d"
	local dk; dk=$(newkey); local da; da=$(addr "$dk"); fund "$da"
	local block; block=$("$CAST" block-number --rpc-url "$RPC")
	local token staking settlement
	token=$(deploy "$dk" TestToken "constructor(string,string)" T T) || return 1
	staking=$(deploy "$dk" Staking \
		"constructor(address,address,address,uint16,uint16,uint16,uint64,uint128,uint16,uint16,uint32)" \
		"$token" "$da" "$da" 20 256 300 $EPOCH 100000000000000000000 50 500 5) || return 1
	settlement=$(deploy "$dk" Settlement \
		"constructor(address,address,address,address,(uint16,uint16,uint16,uint16,uint8,uint64,uint64,uint64))" \
		"$token" "$staking" "$da" "$da" "(8000,5000,1000,500,$fa,$WIN,$WIN,$WIN)") || return 1
	send "$dk" "$staking" "bindSettlement(address)" "$settlement" || return 1
	for i in "${!NODE_KEYS[@]}"; do
		local nk=${NODE_KEYS[$i]} na_; na_=$(addr "$nk"); fund "$na_"
		send "$dk" "$token" "mint(address,uint256)" "$na_" 1000000000000000000000 || return 1
		send "$nk" "$token" "approve(address,uint256)" "$staking" 1000000000000000000000 || return 1
		send "$nk" "$staking" "registerNode(address,string,uint16,uint256)" "$na_" \
			"http://node$i.invalid" 1000 1000000000000000000000 || return 1
	done
	send "$dk" "$token" "mint(address,uint256)" "$da" 100000000000000000000000 || return 1
	send "$dk" "$token" "approve(address,uint256)" "$settlement" 100000000000000000000000 || return 1
	send "$dk" "$settlement" "fundEpochs(uint64,uint64,uint256)" 0 10 1000000000000000000000 || return 1
	for ((a = 0; a < na; a++)); do
		local sk gk; sk=$(newkey); gk=$(newkey)
		echo "$sk" >"$d/sign$a.key"; echo "$gk" >"$d/gas$a.key"; chmod 600 "$d"/*.key
		fund "$(addr "$gk")"
		send "$dk" "$settlement" "setAuditor(uint8,address,address,bool)" "$a" \
			"$(addr "$sk")" "$(addr "$gk")" true || return 1
	done
	cat >"$d/deployment.json" <<JSON
{"schema": 1, "chain_id": $("$CAST" chain-id --rpc-url "$RPC"), "n_shards": 20, "start_block": $block,
 "deployer": "$da", "token": "$token", "timelock": "$da", "staking": "$staking",
 "blob_registry": "$da", "settlement": "$settlement"}
JSON
	echo "$staking" >"$d/staking"; echo "$settlement" >"$d/settlement"
	newdb >"$d/db" || return 1
}

# run DIR AUDITOR [ENV...]: one `assay settle run`; prints its exit status
srun() {
	local d=$1 a=$2; shift 2
	env "$@" "$ASSAY" settle run --db "$(cat "$d/db")" --rpc-url "$RPC" \
		--deployment "$d/deployment.json" --signing-key-file "$d/sign$a.key" \
		--gas-key-file "$d/gas$a.key" --confirmations 1 --warn-margin-s 600 \
		--settle-metrics-file "$d/metrics$a.prom" >>"$d/log" 2>&1
	echo $?
}

# records DIR AUDITOR EPOCH LIAR: challenge records for the committee of EPOCH: node 0
# passes 10/10, node 1 9/10 (one seq retried to a pass, one auditor_error not counted),
# node 2 4/10. A liar reports node 0 at 0/10 and node 2 at 10/10.
records() {
	local d=$1 a=$2 e=$3 liar=$4
	local signer; signer=$(addr "$(cat "$d/sign$a.key")")
	local nodes; nodes=$(call "$(cat "$d/staking")" "committee(uint64)(address[],uint16[])" "$e" | head -1 | tr -d '[],')
	python3 - "$e" "${signer#0x}" "$liar" $nodes >"$d/rec.sql" <<'PY'
import sys
e, aud, liar = int(sys.argv[1]), sys.argv[2].lower(), sys.argv[3] == "1"
nodes = [n[2:].lower() for n in sys.argv[4:]]
rows, seq = [], 0
def row(node, outcome, attempt=0, s=None):
    global seq
    q = seq if s is None else s
    rows.append(f"({e}, decode('{aud}','hex'), {q}, {attempt}, decode('{node}','hex'), "
                f"decode('{q:064x}','hex'), 1, 2, 3, 'primary', now(), 12, '{outcome}', NULL, NULL, NULL)")
    if s is None:
        seq += 1
plan = [(0, 10, 10), (1, 9, 10), (2, 4, 10)]
if liar:
    plan = [(0, 0, 10), (1, 9, 10), (2, 10, 10)]
for idx, p, n in plan:
    for k in range(n):
        if idx == 1 and k == 0:
            row(nodes[idx], "timeout", 0, seq); row(nodes[idx], "pass", 1)
            continue
        row(nodes[idx], "pass" if k < p else "not_found")
row(nodes[1], "auditor_error")
print(f"SELECT challenges_partition_ensure({e});")  # the table is partitioned by epoch
print("INSERT INTO challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard, symbol_row,"
      " symbol_col, axis, issued_at, latency_ms, outcome, http_status, response_hash, detail) VALUES\n"
      + ",\n".join(rows) + ";")
PY
	psql -q "$(cat "$d/db")" -f "$d/rec.sql" >/dev/null
}

phase() { call "$(cat "$1/settlement")" "phases(uint64)(uint64,uint64,uint64,uint64)" "$2" | sed -n "$3p" | awk '{print $1}'; }
epoch_end() { # start + duration of the current epoch
	local s; s=$(cat "$1/staking"); local c; c=$(call "$s" "currentEpoch()(uint64)")
	call "$s" "epochInfo(uint64)(uint64,uint64,uint64,bytes32,uint8,bytes32,uint256)" "$c" |
		head -2 | awk '{print $1}' | paste -sd+ | bc
}
scored() { # NodeScored of epoch 1 as "score reward penalized slashed" lines, by node order
	"$CAST" logs --rpc-url "$RPC" --from-block "$(jq .start_block "$1/deployment.json")" \
		--address "$(cat "$1/settlement")" \
		"NodeScored(uint64 indexed,address indexed,uint256,uint256,bool,uint256)" --json |
		jq -r '.[] | .topics[2] + " " + .data'
}
count_events() { # DIR EVENTSIG
	"$CAST" logs --rpc-url "$RPC" --from-block "$(jq .start_block "$1/deployment.json")" \
		--address "$(cat "$1/settlement")" "$2" --json | jq length
}

automine() { "$CAST" rpc --rpc-url "$RPC" evm_setAutomine "$1" >/dev/null; }
# crash_in_mempool DIR STEP CRASH: "sent but not mined". Under automine a broadcast is
# mined at once, so anvil mines by hand while the run is killed right after broadcasting
# STEP's transaction: the test checks that the transaction is in the mempool and not in a
# block, then mines it (the process is dead) and gives anvil its automine back. The
# commit step's run would first advance the epoch and commit a secret, which must be
# mined: an earlier run, killed after scoring, does those.
crash_in_mempool() {
	local d=$1 step=$2 crash=$3 rc h
	if [ "$step" = commit ]; then
		rc=$(srun "$d" 0 ASSAY_TEST_CRASH_AT=after_score)
		[ "$rc" = 137 ] || fail "$d: ASSAY_TEST_CRASH_AT=after_score did not kill the run (exit $rc)"
	fi
	automine false
	rc=$(srun "$d" 0 ASSAY_TEST_CRASH_AT="$crash")
	h=$(psql -At "$(cat "$d/db")" -c "SELECT '0x' || encode(tx_hash, 'hex') FROM transactions WHERE purpose LIKE 'settle $step epoch 1%' ORDER BY id DESC LIMIT 1")
	local mined; mined=$("$CAST" rpc --rpc-url "$RPC" eth_getTransactionByHash "$h" 2>/dev/null | jq -r '.blockNumber')
	"$CAST" rpc --rpc-url "$RPC" anvil_mine 1 >/dev/null
	automine true
	[ "$rc" = 137 ] || fail "$d: ASSAY_TEST_CRASH_AT=$crash did not kill the run (exit $rc)"
	[ -n "$h" ] && [ "$mined" = null ] ||
		fail "$d: killed at $crash, the $step transaction (${h:-none saved}) was not waiting in the mempool (block $mined)" &&
		pass "killed at $crash with the $step transaction $h in the mempool, not yet mined"
}

# flow DIR NAUDITORS CRASHPOINT LIAR: the whole life of epoch 1
flow() {
	local d=$1 na=$2 crash=$3 liar=${4:--1} a rc
	runall() { # STEP: every auditor runs; the one step's crash is armed for auditor 0
		local step=$1
		for ((a = 0; a < na; a++)); do
			if [ "$a" = 0 ] && [ -n "$crash" ] && [ "$step" = "$crash_step" ]; then
				case "$crash" in
				*:after_broadcast) crash_in_mempool "$d" "$step" "$crash" ;;
				*)
					rc=$(srun "$d" $a ASSAY_TEST_CRASH_AT="$crash")
					[ "$rc" = 137 ] || fail "$d: ASSAY_TEST_CRASH_AT=$crash did not kill the run (exit $rc)"
					;;
				esac
			fi
			rc=$(srun "$d" $a)
			[ "$rc" = 0 ] || fail "$d: settle run of auditor $a at step $step exited $rc"
		done
	}
	case "$crash" in
	after_score | commit:*) crash_step=commit ;;
	reveal:*) crash_step=reveal ;;
	before_finalize | finalize:*) crash_step=finalize ;;
	*) crash_step=none ;;
	esac
	runall secret0                    # epoch 0: secrets for epoch 1
	warp "$(epoch_end "$d")"; runall advance  # epoch 1 begins; secrets for 2
	for ((a = 0; a < na; a++)); do records "$d" $a 1 $([ "$a" = "$liar" ] && echo 1 || echo 0); done
	warp "$(epoch_end "$d")"; runall commit   # epoch 1 ended: score and commit
	warp "$(phase "$d" 1 2)"; runall reveal   # reveal window
	warp "$(phase "$d" 1 4)"; runall finalize # dispute window over
}

check_once() { # DIR: exactly one commit and one reveal per auditor, one saved tx per step
	local d=$1 na=$2
	local c r; c=$(count_events "$d" "AttestationCommitted(uint64 indexed,uint8 indexed,bytes32)")
	r=$(count_events "$d" "AttestationRevealed(uint64 indexed,uint8 indexed,bytes32,bytes32,bytes32,bytes32,bytes32)")
	[ "$c" = "$na" ] && [ "$r" = "$na" ] || fail "$d: $c commits and $r reveals on chain, want $na each"
	local dup; dup=$(psql -At "$(cat "$d/db")" -c "SELECT count(*) FROM (SELECT purpose FROM transactions WHERE replaces IS NULL GROUP BY purpose HAVING count(*) > 1) t")
	[ "$dup" = 0 ] || fail "$d: $dup settle steps were signed twice"
	local st; st=$(psql -At "$(cat "$d/db")" -c "SELECT string_agg(DISTINCT state, ',') FROM epoch_progress WHERE epoch = 1")
	[ "$st" = finalized ] || fail "$d: epoch 1 ends $st, not finalized"
}

# ---- one auditor, undisturbed ----
base=$work/base
setup "$base" 1 0 || { echo "setup failed" >&2; exit 1; }
flow "$base" 1 ""
check_once "$base" 1
scored "$base" >"$work/base.scored"
[ "$(wc -l <"$work/base.scored")" = 3 ] || fail "base: $(wc -l <"$work/base.scored") NodeScored events, want 3"
grep -q "^assay_settle_epoch_state{epoch=\"1\",state=\"finalized\"} 1" "$base/metrics0.prom" ||
	fail "base: metrics do not show epoch 1 finalized"
grep -q "^assay_settle_gas_balance_wei " "$base/metrics0.prom" || fail "base: no gas balance metric"
pass "one auditor: scored, committed, revealed, finalized ($(wc -l <"$work/base.scored") nodes scored)"

# ---- the chain's results kept in the database, and served by the API ----
want=$(python3 -c '
import sys
for l in sys.stdin:
    t, d = l.split(); d = d[2:]
    w = [int(d[i:i + 64], 16) for i in range(0, 256, 64)]
    print(t[-40:], w[0], w[1], "t" if w[2] else "f", w[3])' <"$work/base.scored" | sort)
got=$(psql -At -F' ' "$(cat "$base/db")" -c "SELECT encode(node_id, 'hex'), median_score, reward, penalized, slashed FROM node_scores WHERE epoch = 1" | sort)
[ -n "$want" ] && [ "$got" = "$want" ] && pass "the settle job kept the $(wc -l <<<"$got") NodeScored results in node_scores" ||
	fail "node_scores does not hold the chain's NodeScored: got [$got], want [$want]"
"$ASSAY" api serve --listen 127.0.0.1:0 --db "$(cat "$base/db")" 2>"$work/api.log" &
api_pid=$!
for _ in $(seq 1 200); do # wait for the listening line, not for time
	api_url=$(sed -n 's|.*API serving on \(http://[0-9.:]*\)/v1/.*|\1|p' "$work/api.log")
	[ -n "$api_url" ] || ! kill -0 "$api_pid" 2>/dev/null && break
	sleep 0.05
done
api_bad=0
while read -r n _ r pen sl; do
	j=$(curl -sS "$api_url/v1/nodes/0x$n/payouts?from=1&to=1")
	g=$(jq -r '.epochs[0] | "\(.reward) \(.penalized) \(.penalty)"' <<<"$j")
	[ "$g" = "$r $([ "$pen" = t ] && echo true || echo false) $sl" ] ||
		{ fail "the API's payouts of 0x$n say '$g', the chain '$r $pen $sl': $j"; api_bad=1; }
done <<<"$want"
kill "$api_pid"; wait "$api_pid" 2>/dev/null
[ "$api_bad" = 1 ] || pass "the API serves every node's reward and penalty as the chain paid them"

# ---- views: payouts, attestations, evidence ----
view() { "$ASSAY" "$@" --db "$(cat "$base/db")" --rpc-url "$RPC" --deployment "$base/deployment.json" \
	--signing-key-file "$base/sign0.key"; }
for nk in "${NODE_KEYS[@]}"; do
	out=$(view payouts --node "$(addr "$nk")" --epochs 1..1 2>&1) &&
		grep -q "agree" <<<"$out" || fail "payouts of $(addr "$nk") does not agree with the chain: $out"
done
pass "payouts agree with the chain for every node"
# Shards: each node's count in epoch 1's committee, in the JSON and the table, and the
# reward per shard (rewards are in proportion to shards).
cm=$(call "$(cat "$base/staking")" "committee(uint64)(address[],uint16[])" 1)
read -ra cn <<<"$(head -1 <<<"$cm" | tr -d '[],')"
read -ra cs <<<"$(sed -n 2p <<<"$cm" | tr -d '[],' | sed 's/ *\[[^]]*\]//g')"
for i in "${!cn[@]}"; do
	j=$(view payouts --node "${cn[$i]}" --epochs 1..1 --json 2>&1)
	read -r sh ps rw <<<"$(jq -r '.epochs[0] | "\(.shards) \(.reward_per_shard) \(.reward)"' <<<"$j")"
	row=$(view payouts --node "${cn[$i]}" --epochs 1..1 2>&1 | awk '$1 == 1 {print $2}')
	if [ "$sh" = "${cs[$i]}" ] && [ "$row" = "$sh" ] && [ "$ps" = "$(python3 -c "print($rw // $sh)")" ]; then
		pass "payouts of ${cn[$i]}: $sh shards, reward $rw = $ps per shard"
	else
		fail "payouts of ${cn[$i]}: shards $sh (table $row), per shard $ps, reward $rw; the committee gives ${cs[$i]}: $j"
	fi
done
out=$(view attestations --epoch 1 2>&1) && grep -q "verified" <<<"$out" &&
	pass "attestations of epoch 1 verified offline" || fail "attestations: $out"
view evidence prove --epoch 1 --seq 10 >"$work/proof.json" 2>&1 &&
	view evidence verify - <"$work/proof.json" >"$work/verify.out" 2>&1 &&
	pass "evidence prove | verify: $(cat "$work/verify.out")" || fail "evidence: $(cat "$work/proof.json" "$work/verify.out")"
jq '.record |= (.[0:-2] + "ff")' "$work/proof.json" >"$work/bad.json"
view evidence verify "$work/bad.json" >/dev/null 2>&1 && fail "a tampered record verified" ||
	pass "a tampered record does not verify"
# Evidence tree version 2 as the contract checks it: a node-total proof from `evidence prove`
# verifies against the revealed root, and Settlement.disputeNodeTotal accepts it as a proof
# of the entry (the C and the contract agree on the tree) and refuses it with NoFraud (the
# attestation is honest); the same proof with a made-up total fails the proof check.
signer0=$(addr "$(cat "$base/sign0.key")")
atts=$(view attestations --epoch 1 --json 2>&1)
aid=$(jq -r --arg s "$signer0" '.attestations[] | select((.signer | ascii_downcase) == ($s | ascii_downcase)) | .auditor_id' <<<"$atts")
ap=$(jq -c --arg s "$signer0" '[.attestations[] | select((.signer | ascii_downcase) == ($s | ascii_downcase)) | .counts[].passed]' <<<"$atts")
ad=$(jq -c --arg s "$signer0" '[.attestations[] | select((.signer | ascii_downcase) == ($s | ascii_downcase)) | .counts[].decided]' <<<"$atts")
dispute_sig="disputeNodeTotal(uint64,uint8,uint32[],uint32[],(uint256,address,(bytes32,uint32,uint32),bytes32[]))"
no_fraud=$("$CAST" sig "NoFraud()"); wrong_ev=$("$CAST" sig "WrongEvidence(uint64,uint8)")
tuple() { jq -r '.proof | "(\(.index),\(.node),(\(.sub.h),\(.sub.passed),\(.sub.decided)),[\(.top_path | join(","))])"' "$1"; }
for i in "${!cn[@]}"; do
	view evidence prove --epoch 1 --node "${cn[$i]}" >"$work/total.json" 2>&1 &&
		view evidence verify - <"$work/total.json" >"$work/verify.out" 2>&1 ||
		{ fail "node-total proof of ${cn[$i]}: $(cat "$work/total.json" "$work/verify.out")"; continue; }
	read -r tp td <<<"$(jq -r '.proof.sub | "\(.passed) \(.decided)"' "$work/total.json")"
	[ "$tp $td" = "$(jq -r ".[$i]" <<<"$ap") $(jq -r ".[$i]" <<<"$ad")" ] ||
		fail "node ${cn[$i]}: the subtree total $tp/$td is not the attested $(jq -c ".[$i]" <<<"$ap")/$(jq -c ".[$i]" <<<"$ad")"
	out=$(call "$(cat "$base/settlement")" "$dispute_sig" 1 "$aid" "$ap" "$ad" "$(tuple "$work/total.json")" 2>&1)
	if grep -q "$no_fraud" <<<"$out"; then
		pass "disputeNodeTotal of ${cn[$i]} ($tp/$td) against the honest attestation: the proof is accepted, NoFraud"
	else
		fail "disputeNodeTotal of ${cn[$i]} did not revert with NoFraud ($no_fraud): $out"
	fi
	jq '.proof.sub.passed += 1 | .proof.sub.decided += 1' "$work/total.json" >"$work/total_bad.json"
	view evidence verify "$work/total_bad.json" >/dev/null 2>&1 && fail "a made-up total of ${cn[$i]} verified"
	out=$(call "$(cat "$base/settlement")" "$dispute_sig" 1 "$aid" "$ap" "$ad" "$(tuple "$work/total_bad.json")" 2>&1)
	if grep -q "$wrong_ev" <<<"$out"; then
		pass "a made-up total of ${cn[$i]} fails the contract's proof check (WrongEvidence)"
	else
		fail "a made-up total of ${cn[$i]} did not revert with WrongEvidence ($wrong_ev): $out"
	fi
done
psql -q "$(cat "$base/db")" -c "UPDATE attestation_counts SET passed = passed - 1 WHERE epoch = 1 AND source = 'local' AND node_id = decode('$(addr "${NODE_KEYS[0]}" | cut -c3- | tr A-F a-f)', 'hex')"
out=$(view payouts --node "$(addr "${NODE_KEYS[0]}")" --epochs 1..1 2>&1)
[ $? = 1 ] && grep -q "DISAGREE" <<<"$out" && pass "an altered database row is reported: $(grep DISAGREE <<<"$out" | head -1)" ||
	fail "an altered database row was not reported: $out"

# ---- the settlement contract's events, kept: a run reads only the blocks since ----
# Each run keeps the settlement contract's logs in PostgreSQL (chain_events, cursor
# event '*' in chain_log_cursors) up to `confirmations` behind the head and asks the node
# only for the blocks after them. Measured by assay_settle_log_blocks_scanned: after 300
# blocks mined, one run reads them (and a few unconfirmed heads); a second run, 3 blocks
# later, reads those and the heads only; the answers of the views are those of a full
# rescan (the kept events deleted).
scanned() { sed -n 's/^assay_settle_log_blocks_scanned \([0-9]*\)$/\1/p' "$base/metrics0.prom"; }
cursor() { psql -At "$(cat "$base/db")" -c "SELECT through_block FROM chain_log_cursors WHERE event = '*'"; }
head_block() { "$CAST" block-number --rpc-url "$RPC"; }
start_block=$(jq .start_block "$base/deployment.json")
"$CAST" rpc --rpc-url "$RPC" anvil_mine 300 >/dev/null
c0=$(cursor)
[ "$(srun "$base" 0)" = 0 ] || fail "events: a settle run after 300 blocks failed"
s1=$(scanned); c1=$(cursor); h1=$(head_block)
"$CAST" rpc --rpc-url "$RPC" anvil_mine 3 >/dev/null
[ "$(srun "$base" 0)" = 0 ] || fail "events: a second settle run failed"
s2=$(scanned); c2=$(cursor); h2=$(head_block)
echo "events: cursor $c0 -> $c1 -> $c2, heads $h1 $h2, blocks read $s1 then $s2 (a full scan: $((h2 - start_block + 1)))"
[ -n "$c0" ] && [ "$c1" -ge $((c0 + 300)) ] && [ "$c2" -gt "$c1" ] && [ "$c2" -lt "$h2" ] ||
	fail "events: the cursor did not follow the head ($c0 -> $c1 -> $c2, head $h2)"
# the first run: the 300 new blocks and a little; the second: the 3 since and a little
[ "$s1" -ge 300 ] && [ "$s1" -lt 340 ] && [ "$s2" -ge 3 ] && [ "$s2" -lt 40 ] &&
	pass "a settle run reads only the blocks since the last one ($s1 after 300 mined, $s2 after 3; a full scan is $((h2 - start_block + 1)))" ||
	fail "events: blocks read $s1 after 300 mined and $s2 after 3 (want 300..339 and 3..39)"
grep -q "this run read the logs of $s2 blocks" "$base/log" || fail "events: no log line saying the run read $s2 blocks"
kept_views() { view attestations --epoch 1 --json && view payouts --node "$(addr "${NODE_KEYS[0]}")" --epochs 1..1 --json; }
kept=$(kept_views 2>&1)
psql -q "$(cat "$base/db")" -c "DELETE FROM chain_events; DELETE FROM chain_log_cursors WHERE event = '*'"
fresh=$(kept_views 2>&1)
[ -n "$kept" ] && [ "$kept" = "$fresh" ] &&
	pass "the views read from the kept events answer as after a full rescan" ||
	fail "events: the views differ with the kept events: [$kept] vs a full rescan: [$fresh]"
psql -q "$(cat "$base/db")" -c "DELETE FROM chain_events; DELETE FROM chain_log_cursors WHERE event = '*'"
[ "$(srun "$base" 0)" = 0 ] && [ "$(scanned)" -ge $((h2 - start_block)) ] &&
	pass "with the kept events gone, a run reads the chain from the deployment's start again ($(scanned) blocks)" ||
	fail "events: after deleting the kept events a run read $(scanned) blocks (want >= $((h2 - start_block)))"

# ---- crash points ----
for cp in ${ASSAY_SETTLE_CRASHES:-after_score commit:after_save commit:after_broadcast reveal:after_broadcast before_finalize finalize:after_save finalize:after_broadcast}; do
	d=$work/crash_${cp//:/_}
	setup "$d" 1 0 || { fail "setup for $cp"; continue; }
	flow "$d" 1 "$cp"
	check_once "$d" 1
	scored "$d" >"$work/c.scored"
	if cmp -s "$work/base.scored" "$work/c.scored"; then
		pass "killed at $cp, run again: one commit, one reveal, same rewards and penalties"
	else
		fail "killed at $cp: NodeScored differs from the undisturbed run"
		diff "$work/base.scored" "$work/c.scored" >&2
	fi
done

# ---- four auditors, quorum three, auditor 3 lies ----
d4=$work/four
if setup "$d4" 4 1; then
	# finalize in pages of 2 committee positions (3 nodes: two transactions)
	ASSAY_TEST_FINALIZE_PAGE=2 flow "$d4" 4 "" 3
	check_once "$d4" 4
	pages=$(psql -At "$(cat "$d4/db")" -c "SELECT string_agg(purpose, ',' ORDER BY id) FROM transactions WHERE purpose LIKE 'settle finalize epoch 1 %' AND replaces IS NULL")
	[ "$pages" = "settle finalize epoch 1 positions 0..1,settle finalize epoch 1 positions 2..2" ] &&
		pass "finalize in pages: one transaction per page of committee positions ($pages)" ||
		fail "finalize in pages of 2 over 3 nodes sent [$pages]"
	scored "$d4" >"$work/four.scored"
	if cmp -s "$work/base.scored" "$work/four.scored"; then
		pass "four auditors, one liar: every median and reward as with honest counts"
	else
		fail "four auditors with a liar: NodeScored differs from honest counts"
		diff "$work/base.scored" "$work/four.scored" >&2
	fi
else
	fail "setup of four auditors"
fi

# ---- refusals ----
dn=$work/refuse
if setup "$dn" 1 0; then
	nk=$(newkey); echo "$nk" >"$dn/sign9.key"; cp "$dn/gas0.key" "$dn/gas9.key"; chmod 600 "$dn"/*.key
	out=$("$ASSAY" settle run --db "$(cat "$dn/db")" --rpc-url "$RPC" --deployment "$dn/deployment.json" \
		--signing-key-file "$dn/sign9.key" --gas-key-file "$dn/gas9.key" --auditor-id 0 --confirmations 1 2>&1)
	[ $? = 1 ] && grep -q "is not an active auditor" <<<"$out" &&
		pass "a non-auditor signing key is refused: $(tail -1 <<<"$out")" ||
		fail "a non-auditor signing key was not refused: $out"
	# The contract itself refuses a signature from a non-auditor: with assay's own check
	# skipped, the secret's commitment goes to the contract, which answers BadSignature.
	out=$(env ASSAY_TEST_SKIP_LOCAL_CHECKS=1 "$ASSAY" settle run --db "$(cat "$dn/db")" --rpc-url "$RPC" \
		--deployment "$dn/deployment.json" --signing-key-file "$dn/sign9.key" \
		--gas-key-file "$dn/gas9.key" --auditor-id 0 --confirmations 1 2>&1)
	rc=$?
	msg=$(grep -m1 "BadSignature" <<<"$out")
	[ "$rc" = 1 ] && grep -q "BadSignature().*a signature does not come from the expected key" <<<"$msg" &&
		pass "the contract refuses a non-auditor's signature, in words: $(sed "s/.*\(settle secret\)/\1/" <<<"$msg")" ||
		fail "the contract's BadSignature was not reported (exit $rc): $out"
	out=$(srun "$dn" 0); warp "$(epoch_end "$dn")"; out=$(srun "$dn" 0)
	records "$dn" 0 1 0
	warp "$(epoch_end "$dn")"
	out=$(srun "$dn" 0 ASSAY_TEST_CRASH_AT=after_score)
	# change a stored count after scoring: the commit would no longer match the records
	changed=$(psql -qAt "$(cat "$dn/db")" -c "UPDATE attestation_counts SET passed = passed - 1 WHERE source = 'local' AND epoch = 1 AND node_id = (SELECT node_id FROM attestation_counts WHERE epoch = 1 AND source = 'local' AND passed > 0 ORDER BY node_id LIMIT 1) RETURNING encode(node_id, 'hex')")
	rc=$(srun "$dn" 0)
	[ "$rc" = 1 ] && grep -q "no longer match the stored countsHash" "$dn/log" &&
		pass "altered counts are caught before anything is committed" ||
		fail "altered counts were not reported (exit $rc)"
	psql -q "$(cat "$dn/db")" -c "UPDATE attestation_counts SET passed = passed + 1 WHERE source = 'local' AND epoch = 1 AND node_id = decode('$changed', 'hex')"
	rc=$(srun "$dn" 0)
	[ "$rc" = 0 ] && [ "$(count_events "$dn" "AttestationCommitted(uint64 indexed,uint8 indexed,bytes32)")" = 1 ] ||
		fail "with the counts restored, the commit did not land (exit $rc)"
	# A reveal that does not match its commitment: the evidence root in the database is
	# no longer the committed one. assay refuses it itself; with that check skipped the
	# contract refuses it (CommitMismatch) and assay says so.
	psql -q "$(cat "$dn/db")" -c "UPDATE attestations SET evidence_root = decode(repeat('ab', 32), 'hex') WHERE epoch = 1 AND source = 'local'"
	warp "$(phase "$dn" 1 2)"
	: >"$dn/log"
	rc=$(srun "$dn" 0)
	[ "$rc" = 1 ] && grep -q "is not the one in the database; revealing it would be refused" "$dn/log" &&
		pass "a reveal that does not match the commitment is caught before it is sent" ||
		fail "a mismatching reveal was not caught by assay (exit $rc): $(cat "$dn/log")"
	: >"$dn/log"
	rc=$(srun "$dn" 0 ASSAY_TEST_SKIP_LOCAL_CHECKS=1)
	msg=$(grep -m1 "CommitMismatch" "$dn/log")
	[ "$rc" = 1 ] && grep -q "CommitMismatch().*the revealed attestation is not the one committed" <<<"$msg" &&
		pass "the contract refuses a reveal that does not match its commitment, in words: $(sed "s/.*\(settle reveal\)/\1/" <<<"$msg")" ||
		fail "the contract's CommitMismatch was not reported (exit $rc): $(cat "$dn/log")"
	[ "$(count_events "$dn" "AttestationRevealed(uint64 indexed,uint8 indexed,bytes32,bytes32,bytes32,bytes32,bytes32)")" = 0 ] ||
		fail "a mismatching reveal landed on chain"
else
	fail "setup for refusals"
fi

[ "$fails" = 0 ] || { echo "settle: $fails failure(s)" >&2; exit 1; }
echo "settle: all passed"
