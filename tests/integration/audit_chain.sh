#!/usr/bin/env bash
# fixtures: pg anvil
# audit_chain.sh: `assay audit plan|run` take their inputs from our chain: contracts of our
# own, 4 staked nodes serving, 3 blobs published in epoch 1 (stored through epoch 3; a blob
# is challengeable from the epoch after the one that certified it, so epoch 1 has nothing
# to audit and the scenario audits epochs 2 and 3). Checks:
#   - before epoch 2's seed is recorded, `audit run --once` fails saying so; the daemon
#     started then waits (its /healthz answers 200 meanwhile);
#   - once it is recorded, a run reading 2 blocks deep still refuses until one more block;
#   - `audit plan` from the chain prints the same JSON as `audit plan` from the equivalent
#     committee file ("id" = operator), blob list and seed;
#   - `audit run --once` from the chain records exactly the planned challenges, node ids
#     the operators' addresses, and writes the epoch's row (seed, committee, blobs);
#   - the daemon records epoch 2, then, after epoch 3 begins and its seed is recorded,
#     epoch 3, refreshes epoch 2's row as ended, and stops on SIGTERM with exit 0 and
#     every result recorded; another, stopped in the middle of epoch 3, exits 0 with every
#     challenge it decided in the database; one started while its database is away says
#     so, keeps trying, and audits the epoch once the database is there;
#   - the daemon keeps the chain reader's BlobCertified cursor in its database.
# Moves the shared anvil's clock by two short epochs (RESOURCE_LOCK anvil_clock).
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
STATE_DIR=${ASSAY_TEST_STATE:?run through ctest}
# shellcheck source=lib/chain.sh
source "$SRC/tests/integration/lib/chain.sh" audit-chain
export TMPDIR="$T"
DBS=()
PGURL=$(cat "$STATE_DIR/pg/url")
cleanup_extra() {
	for d in "${DBS[@]}"; do psql "$PGURL" -qAtc "DROP DATABASE IF EXISTS $d" >/dev/null 2>&1; done
}

newdb() {
	local name="audit_chain_$$_$RANDOM"
	psql "$PGURL" -qAtc "CREATE DATABASE $name" >/dev/null || die_test "cannot create a database"
	DBS+=("$name")
	echo "${PGURL%/*}/$name"
}
# wait_log FILE PATTERN: our own daemon's progress (bounded; the chain is never waited on).
wait_log() {
	for _ in $(seq 1 1200); do
		grep -q "$2" "$1" && return 0
		kill -0 "${PID[daemon]}" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

N=10
NODES=(0 1 2 3)
STAKE=1000000000000000000000
names=(deployer payer auditor)
for i in "${NODES[@]}"; do names+=("op$i" "nk$i"); done
for n in "${names[@]}"; do newkey "$n"; done
for n in deployer payer "${NODES[@]/#/op}"; do fund "$n" || die_test "anvil_setBalance"; done

deploy_short "$N"
mint "$(addr payer)" 1000000000000000000000000
for i in "${NODES[@]}"; do
	mint "$(addr "op$i")" "$STAKE"
	PORT[$i]=$(free_port)
	node_start "$i" # follows the chain (lib/chain.sh); the endpoint ends in a slash on purpose
	"$A" stake register --key-file "$T/op$i.key" --node-key "$(addr "nk$i")" \
		--endpoint "http://127.0.0.1:${PORT[$i]}/" --commission 1000 --amount "$STAKE" \
		>/dev/null 2>"$T/stake$i.err" || die_test "stake register $i: $(cat "$T/stake$i.err")"
done
advance
seed
"$A" epoch status --json >"$T/epoch1.json" || die_test "epoch status"
[ "$(jq .current_epoch "$T/epoch1.json")" = 1 ] || die_test "not in epoch 1"
ok "deployed, 4 nodes staked, epoch 1"

for i in "${NODES[@]}"; do
	wait_view "$i" 1 "$(chain_shards "$T/epoch1.json" "$i")" || die_test "node $i does not see epoch 1"
done
: >"$T/blobs.txt"
for b in 1 2 3; do
	head -c $((b * 9000 + 123)) /dev/urandom >"$T/blob$b"
	"$A" blob put "$T/blob$b" --key-file "$T/payer.key" --epochs 3 --json >"$T/put$b.json" 2>"$T/put$b.err" ||
		die_test "blob put $b: $(cat "$T/put$b.err")"
	echo "$(jq -r .blob_id "$T/put$b.json") $(wc -c <"$T/blob$b")" >>"$T/blobs.txt"
done
ok "4 nodes up, 3 blobs certified in epoch 1, stored through epoch 3"

# ---- epoch 2 begins; its seed is not recorded yet ----------------------------------------
advance
DBA=$(newdb)
DBB=$(newdb)
AUD=(--key-file "$T/auditor.key" --epoch-start now --window-ms 1500 --retry-delay-ms 500)
"$A" audit run --once --epoch 2 --db "$DBA" "${AUD[@]}" >"$T/early.out" 2>"$T/early.err"
rc=$?
[ "$rc" = 1 ] && grep -q "epoch 2's seed is not recorded yet" "$T/early.err" &&
	grep -q "run the daemon (without --once), which waits for it" "$T/early.err" &&
	ok "--once before the seed: exit 1: $(cat "$T/early.err")" ||
	bad "--once before the seed: rc $rc: $(cat "$T/early.err")"
[ "$(psql "$DBA" -qAtc "SELECT count(*) FROM challenges" 2>/dev/null || echo 0)" = 0 ] ||
	bad "records were written before the seed"

MPORT=$(free_port)
"$A" audit run --db "$DBB" "${AUD[@]}" --audit-poll-ms 200 --metrics-listen "127.0.0.1:$MPORT" \
	--log-level info >"$T/daemon.out" 2>"$T/daemon.log" &
PID[daemon]=$!
wait_log "$T/daemon.log" "waiting: epoch 2's seed is not recorded yet" &&
	ok "the daemon waits for epoch 2's seed" || bad "daemon not waiting: $(cat "$T/daemon.log")"
code=$(curl -s -o "$T/healthz" -w '%{http_code}' "http://127.0.0.1:$MPORT/healthz")
[ "$code" = 200 ] && ok "/healthz 200 while waiting" || bad "/healthz while waiting: $code $(cat "$T/healthz")"

seed
# Read 2 blocks deep, the block that recorded the seed is not final yet.
"$A" audit plan --epoch 2 --key-file "$T/auditor.key" --confirmations 2 >/dev/null 2>"$T/deep.err" &&
	bad "plan 2 blocks deep succeeded right after the seed was recorded" ||
	{ grep -q "epoch 2's seed is not recorded yet" "$T/deep.err" &&
		ok "2 confirmations: the seed's block is not final yet" || bad "2 confirmations: $(cat "$T/deep.err")"; }
rpc anvil_mine '[1]' >/dev/null
"$A" audit plan --epoch 2 --key-file "$T/auditor.key" --confirmations 2 --window-ms 1500 --json >"$T/plan2deep.json" 2>"$T/deep.err" &&
	ok "2 confirmations, one block later: planned" || bad "2 confirmations later: $(cat "$T/deep.err")"

# ---- plan from the chain == plan from the equivalent committee file ----------------------
"$A" epoch status --json >"$T/epoch2.json" || die_test "epoch status"
SEED2=$(jq -r .seed "$T/epoch2.json")
jq '{n_shards, epoch, nodes: [.committee[] as $m | {url: $m.endpoint, id: $m.node,
	address: $m.node_key,
	shards: [.shards[] | select(.owner == $m.index and (.in_grace | not)) | .shard]}]}' \
	"$T/epoch2.json" >"$T/audit_committee.json"
"$A" audit plan --epoch 2 --key-file "$T/auditor.key" --window-ms 1500 --json >"$T/plan2.json" 2>"$T/plan.err" ||
	bad "plan from the chain: $(cat "$T/plan.err")"
"$A" audit plan --epoch 2 --key-file "$T/auditor.key" --window-ms 1500 --json \
	--committee "$T/audit_committee.json" --blobs "$T/blobs.txt" --seed "$SEED2" >"$T/plan2file.json" 2>"$T/planf.err" ||
	bad "plan from the file: $(cat "$T/planf.err")"
nch=$(jq '.challenges | length' "$T/plan2.json")
nbl=$(jq '[.challenges[].blob] | unique | length' "$T/plan2.json")
if [ "${nch:-0}" -gt 0 ] && [ "$nbl" = 3 ] && cmp -s "$T/plan2.json" "$T/plan2file.json"; then
	ok "plan from the chain = plan from the committee file, blob list and seed ($nch challenges on 3 blobs)"
else
	bad "plans differ or are empty ($nch challenges, $nbl blobs): $(diff <(jq -S . "$T/plan2.json") <(jq -S . "$T/plan2file.json") | head -20)"
fi
cmp -s "$T/plan2.json" "$T/plan2deep.json" && ok "plan read 2 blocks deep is the same" ||
	bad "plan read 2 blocks deep differs"
# Auditors sharing a database keep the same epoch in it at once (the demo runs 4): no
# conflict, no warning, the same plan.
DBD=$(newdb)
for i in 1 2 3 4; do
	"$A" audit plan --epoch 2 --key-file "$T/auditor.key" --window-ms 1500 --json --db "$DBD" \
		>"$T/conc$i.json" 2>"$T/conc$i.err" &
	PID[conc$i]=$!
done
cfails=0
for i in 1 2 3 4; do
	wait "${PID[conc$i]}" || cfails=$((cfails + 1))
	unset "PID[conc$i]"
	{ cmp -s "$T/conc$i.json" "$T/plan2.json" && [ ! -s "$T/conc$i.err" ]; } || cfails=$((cfails + 1))
done
[ "$cfails" = 0 ] && ok "4 plans at once on one database: same plan, no warning" ||
	bad "4 plans at once: $(cat "$T"/conc*.err | head -4)"
ops=$(jq -r '[.committee[].node | ascii_downcase] | join(" ")' "$T/epoch2.json")
ids=$(jq -r '[.nodes[].id] | join(" ")' "$T/plan2.json")
[ "$ops" = "$ids" ] && ok "node ids are the operators' addresses, in committee order" ||
	bad "node ids $ids, operators $ops"

# check_records DB EPOCH PLAN: every planned challenge decided, each for its planned node
# (by the operator's address), nothing else; all pass (the nodes are healthy).
check_records() {
	psql "$1" -qAt -F ' ' -c "SELECT encode(node_id,'hex'), seq, attempt, outcome
		FROM challenges WHERE epoch = $2 ORDER BY seq, attempt" >"$T/rows.txt"
	python3 - "$3" "$T/rows.txt" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
ids = [n["id"][2:] for n in plan["nodes"]]
want = {c["seq"]: ids[c["node"]] for c in plan["challenges"]}
last = {}
for line in open(sys.argv[2]):
    node, seq, att, outcome = line.split()
    seq = int(seq)
    if want.get(seq) != node:
        sys.exit("seq %d recorded for node %s, planned for %s" % (seq, node, want.get(seq)))
    last[seq] = outcome
if set(last) != set(want):
    sys.exit("%d challenges decided, %d planned" % (len(last), len(want)))
bad = {s: o for s, o in last.items() if o != "pass"}
if bad:
    sys.exit("%d not passed, e.g. %s" % (len(bad), list(bad.items())[:3]))
print("%d challenges, all decided and passed" % len(last))
EOF
}

# ---- audit run --once from the chain -----------------------------------------------------
"$A" audit run --once --epoch 2 --db "$DBA" "${AUD[@]}" >"$T/once.out" 2>"$T/once.err" &&
	ok "audit run --once epoch 2 exits 0" || bad "audit run --once: $(cat "$T/once.err")"
out=$(check_records "$DBA" 2 "$T/plan2.json") && ok "--once: $out" || bad "--once records: $out"
row=$(psql "$DBA" -qAtc "SELECT '0x' || encode(seed, 'hex'), chain_state, read_at_block IS NOT NULL,
	(SELECT count(*) FROM committee_members WHERE epoch = 2),
	(SELECT count(*) FROM shard_assignments WHERE epoch = 2),
	(SELECT count(*) FROM blobs) FROM epochs WHERE epoch = 2")
[ "$row" = "$SEED2|running|t|4|$N|3" ] && ok "epochs row of epoch 2: seed, running; committee, shards, blobs kept" ||
	bad "epochs row of epoch 2: '$row', want '$SEED2|running|t|4|$N|3'"
# Again: resumes, nothing asked twice, from the state kept in the database.
"$A" audit run --once --epoch 2 --db "$DBA" "${AUD[@]}" --log-level info >"$T/once2.out" 2>"$T/once2.err" &&
	grep -q "0 attempts sent, $nch resumed" "$T/once2.out" && grep -q "(kept in the database)" "$T/once2.err" &&
	ok "run again: resumed from the database, nothing sent" || bad "run again: $(cat "$T/once2.out" "$T/once2.err")"

# ---- the daemon: epoch 2, then epoch 3, then SIGTERM --------------------------------------
wait_log "$T/daemon.log" "epoch 2: audit ends" && ok "the daemon audited epoch 2" ||
	bad "daemon, epoch 2: $(tail -n 5 "$T/daemon.log")"
advance
seed
"$A" audit plan --epoch 3 --key-file "$T/auditor.key" --window-ms 1500 --json >"$T/plan3.json" 2>"$T/plan3.err" ||
	bad "plan epoch 3: $(cat "$T/plan3.err")"
wait_log "$T/daemon.log" "epoch 3: audit ends" && ok "the daemon audited epoch 3" ||
	bad "daemon, epoch 3: $(tail -n 5 "$T/daemon.log")"
curl -s "http://127.0.0.1:$MPORT/metrics" | grep -q '^assay_audit_epoch 3' &&
	ok "/metrics: epoch 3" || bad "/metrics does not say epoch 3"
kill -TERM "${PID[daemon]}"
wait "${PID[daemon]}"
rc=$?
unset "PID[daemon]"
[ "$rc" = 0 ] && grep -q "stopped between epochs" "$T/daemon.log" && ok "SIGTERM: exit 0, stopped cleanly" ||
	bad "SIGTERM: rc $rc: $(tail -n 3 "$T/daemon.log")"
out=$(check_records "$DBB" 2 "$T/plan2.json") && ok "daemon, epoch 2: $out" || bad "daemon epoch 2 records: $out"
out=$(check_records "$DBB" 3 "$T/plan3.json") && ok "daemon, epoch 3: $out" || bad "daemon epoch 3 records: $out"
rows=$(psql "$DBB" -qAtc "SELECT epoch || ':' || chain_state || ':' || (end_time IS NOT NULL) FROM epochs ORDER BY epoch" | paste -sd' ')
[ "$rows" = "2:ended:true 3:running:false" ] && ok "epochs rows: $rows" || bad "epochs rows: '$rows'"
grep -c "audit begins" "$T/daemon.log" | grep -qx 2 && ok "one line per epoch begun" ||
	bad "audit begins lines: $(grep -c "audit begins" "$T/daemon.log")"

# ---- SIGTERM in the middle of an epoch: what was decided is recorded ---------------------
# (Every decided challenge has its records; a challenge asked once and not yet decided, a
# timeout under load, has its attempt recorded too, hence "at least".)
DBC=$(newdb)
"$A" audit run --db "$DBC" --key-file "$T/auditor.key" --epoch-start now --window-ms 20000 \
	--audit-poll-ms 200 --log-level info >"$T/mid.out" 2>"$T/mid.log" &
PID[daemon]=$!
for _ in $(seq 1 600); do
	[ "$(psql "$DBC" -qAtc "SELECT count(*) FROM challenges" 2>/dev/null || echo 0)" -gt 0 ] && break
	kill -0 "${PID[daemon]}" 2>/dev/null || break
	sleep 0.1
done
kill -TERM "${PID[daemon]}"
wait "${PID[daemon]}"
rc=$?
unset "PID[daemon]"
decided=$(sed -nE 's/^epoch 3: [0-9]+ challenges, ([0-9]+) decided.*/\1/p' "$T/mid.out")
indb=$(psql "$DBC" -qAtc "SELECT count(DISTINCT seq) FROM challenges WHERE epoch = 3")
[ "$rc" = 0 ] && grep -q "stopped during epoch 3 with every result recorded" "$T/mid.log" &&
	[ -n "$decided" ] && [ "$decided" -gt 0 ] && [ "$decided" -lt "$nch" ] && [ "$indb" -ge "$decided" ] &&
	ok "SIGTERM mid-epoch: exit 0, $decided of $nch decided, all $indb in the database" ||
	bad "SIGTERM mid-epoch: rc $rc, decided '$decided', in the database $indb: $(tail -n 3 "$T/mid.log")"

# The daemon read epoch 3's snapshot through the kept log cursor: it stands at the seed
# block, with the three certified blobs (the next epoch's read starts from there).
cur=$(psql "$DBC" -qAtc "SELECT through_block FROM chain_log_cursors WHERE event = 'BlobCertified'")
kept=$(psql "$DBC" -qAtc "SELECT count(*) FROM certified_blob_ids")
sb=$("$A" epoch status --epoch 3 --json | jq .seed_block)
[ "$cur" = "$sb" ] && [ "$kept" = 3 ] &&
	ok "the daemon keeps its BlobCertified cursor in the database (block $cur, 3 blobs)" ||
	bad "log cursor: block '$cur' (seed block $sb), $kept blob ids kept"

# ---- the database away when an epoch begins: the daemon waits for it, then audits ------
# (The database does not exist yet: connecting fails as when PostgreSQL is down.)
name="audit_chain_$$_late"
DBS+=("$name")
DBD="${PGURL%/*}/$name"
"$A" audit run --db "$DBD" --key-file "$T/auditor.key" --epoch 3 --epoch-start now \
	--window-ms 1500 --audit-poll-ms 200 --log-level info >"$T/late.out" 2>"$T/late.log" &
PID[daemon]=$!
if wait_log "$T/late.log" "cannot read recorded challenges yet"; then
	ok "database away at the start of an epoch: the daemon says so and keeps trying"
	psql "$PGURL" -qAtc "CREATE DATABASE $name" >/dev/null || die_test "cannot create a database"
	wait_log "$T/late.log" "epoch 3: audit ends" &&
		out=$(check_records "$DBD" 3 "$T/plan3.json") &&
		ok "the database back: epoch 3 audited, $out" ||
		bad "the database back: $(tail -n 3 "$T/late.log") $out"
else
	bad "database away: $(tail -n 3 "$T/late.log")"
fi
kill -TERM "${PID[daemon]}"
wait "${PID[daemon]}"
unset "PID[daemon]"

[ "$fails" = 0 ] || { echo "$fails failed"; exit 1; }
echo "all passed"
