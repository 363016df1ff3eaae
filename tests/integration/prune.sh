#!/usr/bin/env bash
# fixtures: pg anvil
# prune.sh: `assay db prune` on a real database and our own contracts (short epochs and
# windows, one auditor, quorum one). Epochs 1 to 4 hold challenge records; epoch 1 is
# committed, revealed and finalized by `assay settle run`; epoch 2 ends after that and
# nobody settles it; epoch 3 ends 60 s after epoch 2; epoch 4 is current. Chain time is
# then moved just past epoch 2's dispute window. Checks:
#   - prune --keep-epochs 1 archives and drops epoch 1 (its partition and rows are gone,
#     its archive is there and its header names the epoch, auditor, rows and the root
#     revealed on chain), refuses epoch 2 (past its window, not finalized or voided) and
#     epoch 3 (inside its dispute window), each with its sentence, and keeps epoch 4;
#   - `evidence prove --archive` prints the very proof `evidence prove` printed from the
#     database before the prune, and `evidence verify` accepts it against the chain;
#   - an archive with one byte changed is refused;
#   - epoch 2, once the settle job voids it, is pruned too; prune --keep-epochs 0 says
#     epoch 4 has not ended.
# Moves the shared anvil's clock by a few short epochs (RESOURCE_LOCK anvil_clock).
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
STATE_DIR=${ASSAY_TEST_STATE:?run through ctest}
# shellcheck source=lib/chain.sh
source "$SRC/tests/integration/lib/chain.sh" prune
PGURL=$(cat "$STATE_DIR/pg/url")
DBNAME="prune_$$_$RANDOM"
cleanup_extra() { psql "$PGURL" -qAtc "DROP DATABASE IF EXISTS $DBNAME" >/dev/null 2>&1; }
psql "$PGURL" -qAtc "CREATE DATABASE $DBNAME" >/dev/null || die_test "cannot create a database"
export ASSAY_DB="${PGURL%/*}/$DBNAME"
"$A" db migrate >/dev/null 2>"$T/migrate.err" || die_test "db migrate: $(cat "$T/migrate.err")"

NODES=(0 1)
STAKE=1000000000000000000000
names=(deployer sign gas)
for i in "${NODES[@]}"; do names+=("op$i" "nk$i"); done
for n in "${names[@]}"; do newkey "$n"; done
for n in deployer gas "${NODES[@]/#/op}"; do fund "$n" || die_test "anvil_setBalance"; done
AUD=$(addr sign | lc)
# One auditor, id 0, and a quorum of one (fA = 0), so that it alone finalizes.
ASSAY_AUDITOR="0:$AUD" ASSAY_AUDITOR_FA=0 deploy_short 4
# Real nodes: the settle job stores each epoch's evidence as a blob on them, paid for by
# its gas key, and the contract refuses a reveal whose blob is not certified.
for i in "${NODES[@]}"; do node_register "$i"; done
mint "$(addr gas)" 1000000000000000000000000

srun() { # one settle run of the auditor, never advancing the epoch itself
	"$A" settle run --signing-key-file "$T/sign.key" --gas-key-file "$T/gas.key" --no-advance \
		>>"$T/settle.log" 2>&1 || die_test "settle run: $(tail -n 5 "$T/settle.log")"
}
status() { "$A" epoch status --epoch "$1" --json; }
# records E: 7 records of epoch E on its committee, seq 3 retried once, through the
# partition the writer would make.
records() {
	local nodes
	nodes=$(status "$1" | jq -r '[.committee[].node[2:] | ascii_downcase] | join(" ")')
	[ -n "$nodes" ] || die_test "epoch $1 has no committee"
	python3 - "$1" "${AUD#0x}" $nodes >"$T/rec$1.sql" <<'PY'
import sys
e, aud, nodes = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
rows = []
def row(seq, att, outcome, node):
    rows.append(f"({e}, decode('{aud}','hex'), {seq}, {att}, decode('{node}','hex'), "
                f"decode('{seq + 16 * e:064x}','hex'), {seq % 4}, {seq}, {seq + 1}, "
                f"'{'secondary' if seq % 2 else 'primary'}', now(), {10 + seq}, '{outcome}', "
                f"{'200' if outcome == 'pass' else 'NULL'}, "
                f"{'decode(repeat(%s, 32), %s)' % (repr(f'{seq:02x}'), repr('hex')) if outcome == 'pass' else 'NULL'}, "
                f"{'NULL' if outcome == 'pass' else repr('no answer')})")
for seq in range(7):
    node = nodes[seq % len(nodes)]
    if seq == 3:
        row(seq, 0, "timeout", node)
        row(seq, 1, "pass", node)
    else:
        row(seq, 0, "pass" if seq != 5 else "not_found", node)
print(f"SELECT challenges_partition_ensure({e});")
print("INSERT INTO challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard, symbol_row,"
      " symbol_col, axis, issued_at, latency_ms, outcome, http_status, response_hash, detail) VALUES\n"
      + ",\n".join(rows) + ";")
PY
	# ASSAY_PRUNE_EXTRA=N adds N passed records to epoch 1, to measure (not checked).
	if [ "$1" = 1 ] && [ "${ASSAY_PRUNE_EXTRA:-0}" -gt 0 ]; then
		echo "INSERT INTO challenges SELECT 1, decode('${AUD#0x}','hex'), s, 0, decode('${nodes%% *}','hex'),
			decode(lpad(to_hex(s), 64, '0'),'hex'), 0, 1, 2, 'primary', now(), 12, 'pass', 200,
			decode(repeat('ab', 32), 'hex'), NULL FROM generate_series(7, 6 + $ASSAY_PRUNE_EXTRA) s;" >>"$T/rec$1.sql"
	fi
	psql -q "$ASSAY_DB" -f "$T/rec$1.sql" >/dev/null 2>"$T/rec.err" || die_test "records of epoch $1: $(cat "$T/rec.err")"
}
warp_to() { # chain time to at least $1, one block mined
	local now
	now=$(printf '%d' "$(rpc eth_getBlockByNumber '["latest",false]' | jq -r .timestamp)")
	[ "$1" -gt "$now" ] && rpc evm_increaseTime "[$(($1 - now))]" >/dev/null
	rpc anvil_mine '[1]' >/dev/null
}
count() { psql -qAt "$ASSAY_DB" -c "SELECT count(*) FROM challenges WHERE epoch = $1"; }

srun        # epoch 0: the secret for epoch 1
advance     # epoch 1
srun        # the secret for epoch 2
records 1
advance     # epoch 2; epoch 1 ended
srun        # commit epoch 1
records 2
warp_to "$(status 1 | jq .phases.commit_end)"
srun        # reveal epoch 1
warp_to "$(status 1 | jq .phases.dispute_end)"
srun        # finalize epoch 1
[ "$(status 1 | jq -r .settlement.status)" = finalized ] ||
	die_test "epoch 1 is not finalized: $(status 1 | jq -c .settlement) $(tail -n 5 "$T/settle.log")"
advance     # epoch 3; epoch 2 ended, nobody settles it
records 3
advance     # epoch 4; epoch 3 ended
records 4
d2=$(status 2 | jq .phases.dispute_end)
d3=$(status 3 | jq .phases.dispute_end)
warp_to "$d2"
ok "epoch 1 finalized; chain time at epoch 2's dispute end ($d2), epoch 3's is $d3"

# The proof of a record from the database, before the prune.
"$A" evidence prove --epoch 1 --seq 3 --signing-key-file "$T/sign.key" >"$T/proof.db.json" \
	2>"$T/prove.err" || die_test "evidence prove from the database: $(cat "$T/prove.err")"
rows1=$(count 1) rows2=$(count 2) rows3=$(count 3)

t0=$(date +%s.%N)
"$A" db prune --keep-epochs 1 --archive-dir "$T/archive" >"$T/prune.out" 2>&1
rc=$?
t1=$(date +%s.%N)
echo "db prune: $rows1 rows of epoch 1 archived and dropped in $(echo "$t1 - $t0" | bc) s;" \
	"archive $(du -k "$T/archive" | cut -f1) KiB"
cat "$T/prune.out"
[ "$rc" = 0 ] && ok "db prune exited 0" || bad "db prune exited $rc"
grep -q "^pruned  epoch 1: $rows1 records of 1 auditor(s) archived" "$T/prune.out" &&
	ok "epoch 1 (finalized, past its window) pruned" || bad "epoch 1 was not pruned"
grep -q "^refused epoch 2 is past its dispute window but is not finalized or voided on chain (its status is open)" "$T/prune.out" &&
	ok "epoch 2 (not finalized) refused, saying so" || bad "epoch 2 was not refused as not finalized"
grep -q "^refused epoch 3 is inside its dispute window" "$T/prune.out" &&
	ok "epoch 3 (inside its dispute window) refused, saying so" || bad "epoch 3 was not refused as inside its window"
grep -q "^kept    epoch 4 is among the newest 1 kept" "$T/prune.out" && ok "epoch 4 kept" || bad "epoch 4 not kept"

[ "$(psql -qAt "$ASSAY_DB" -c "SELECT to_regclass('challenges_e1') IS NULL")" = t ] && [ "$(count 1)" = 0 ] &&
	ok "epoch 1's partition and rows are gone" || bad "epoch 1's partition or rows are still there"
[ "$(count 2)" = "$rows2" ] && [ "$(count 3)" = "$rows3" ] && [ "$rows2" -gt 0 ] &&
	ok "epochs 2 and 3 keep their $rows2 and $rows3 rows" || bad "epochs 2 and 3 lost rows: $(count 2), $(count 3)"

ARC="$T/archive/challenges-e1-$AUD.jsonl"
root=$(jq -r .root "$T/proof.db.json")
if [ -f "$ARC" ] && head -1 "$ARC" | jq -e --arg a "$AUD" --arg r "$root" --argjson n "$rows1" \
	'.format == "assay.challenges.archive" and .version == 2 and (.committee | length) > 0 and .epoch == 1 and .auditor == $a
	 and .rows == $n and .evidence_root == $r and (.body_keccak256 | length) == 66' >/dev/null &&
	[ "$(($(wc -l <"$ARC") - 1))" = "$rows1" ]; then
	ok "the archive names epoch 1, the auditor, $rows1 rows and the evidence root $root"
else
	bad "archive $ARC missing or its header wrong: $(head -1 "$ARC" 2>&1)"
fi
ls "$T/archive" | grep -q tmp && bad "temporary files left in the archive directory: $(ls "$T/archive")"

t0=$(date +%s.%N)
"$A" evidence prove --epoch 1 --seq 3 --archive "$ARC" >"$T/proof.arc.json" 2>"$T/prove.err" &&
	cmp -s "$T/proof.db.json" "$T/proof.arc.json" &&
	ok "evidence prove --archive prints the proof the database gave ($(echo "$(date +%s.%N) - $t0" | bc) s)" ||
	bad "evidence prove --archive: $(cat "$T/prove.err" "$T/proof.arc.json" "$T/proof.db.json")"
"$A" evidence verify "$T/proof.arc.json" >"$T/verify.out" 2>&1 &&
	ok "evidence verify accepts it against the chain: $(cat "$T/verify.out")" ||
	bad "evidence verify: $(cat "$T/verify.out")"

sed '3s/"latency_ms":\([0-9]\)/"latency_ms":9\1/' "$ARC" >"$T/bad.jsonl"
cmp -s "$ARC" "$T/bad.jsonl" && bad "the tampered copy is not changed"
out=$("$A" evidence prove --epoch 1 --seq 3 --archive "$T/bad.jsonl" 2>&1) &&
	bad "a tampered archive was proven from: $out" ||
	{ grep -q "damaged" <<<"$out" && ok "a tampered archive is refused: $out" || bad "tampered archive: $out"; }

# Epoch 2, past its reveal window without a reveal, is voided by the settle job; then it
# is pruned like a finalized one.
"$A" settle run --signing-key-file "$T/sign.key" --gas-key-file "$T/gas.key" --no-advance \
	>>"$T/settle.log" 2>&1 # epoch 3 missed its commit window: that is reported, not fatal here
st2=$(status 2 | jq -r .settlement.status)
[ "$st2" = voided ] || bad "epoch 2 is $st2 after the settle run, not voided: $(tail -n 5 "$T/settle.log")"
out=$("$A" db prune --keep-epochs 0 --archive-dir "$T/archive" 2>&1)
echo "$out"
grep -q "^pruned  epoch 2: $rows2 records of 1 auditor(s) archived" <<<"$out" &&
	[ -f "$T/archive/challenges-e2-$AUD.jsonl" ] && [ "$(count 2)" = 0 ] &&
	ok "epoch 2, voided and past its window, pruned" || bad "voided epoch 2 not pruned: $out"
grep -q "^refused epoch 3 is inside its dispute window" <<<"$out" &&
	grep -q "^refused epoch 4 has not ended on chain" <<<"$out" && ! grep -q "epoch 1" <<<"$out" &&
	ok "with nothing kept, epoch 3 is still refused and epoch 4 is refused as running" ||
	bad "prune --keep-epochs 0: $out"
out=$("$A" db prune --archive-dir "$T/archive" 2>&1)
[ $? = 2 ] && ok "--keep-epochs is required" || bad "prune without --keep-epochs: $out"

[ "$fails" = 0 ] || { echo "prune: $fails failure(s)"; exit 1; }
echo "prune: all passed"
