#!/usr/bin/env bash
# fixtures: pg
# api.sh: assay api serve against a fresh database with rows inserted directly: every
# endpoint, pagination, 400 for bad parameters (SQL injection attempts included), 404,
# 405, 413, 414, 429 under a burst, 503 while the database is unreachable and recovery
# when it comes back. Servers listen on free ports (port 0) and are stopped by PID.
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
STATE=${ASSAY_TEST_STATE:?}
admin=$(cat "$STATE/pg/conninfo")
base=${admin% dbname=*}
work=$(mktemp -d)
pids=()
dbs=()
fails=0
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	for d in "${dbs[@]}"; do psql "$admin" -qAtc "DROP DATABASE IF EXISTS $d WITH (FORCE)" >/dev/null 2>&1; done
	rm -rf "$work"
}
trap cleanup EXIT

ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }

# start NAME ARGS...: runs assay api serve on a free port; sets $url and $pid.
start() {
	local name=$1; shift
	"$A" api serve --listen 127.0.0.1:0 --log-level debug "$@" 2>"$work/$name.log" &
	pid=$!
	pids+=("$pid")
	url=
	for _ in $(seq 1 200); do # wait for the listening line, not for time
		url=$(sed -n 's|.*API serving on \(http://[0-9.:]*\)/v1/.*|\1|p' "$work/$name.log")
		[ -n "$url" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	echo "server $name did not start:"; cat "$work/$name.log"; exit 1
}
stop() { # stop PID
	kill "$1"; wait "$1" 2>/dev/null
}

# get NAME WANT_STATUS PATH [curl args...]: body in $body, headers in $work/h
get() {
	local name=$1 want=$2 path=$3; shift 3
	local code
	code=$(curl -sS -g -o "$work/body" -D "$work/h" -w '%{http_code}' "$@" "$url$path")
	body=$(cat "$work/body")
	if [ "$code" = "$want" ]; then ok "$name ($code)"; else fail "$name: status $code, wanted $want; body: $body"; fi
}
# jqis NAME FILTER EXPECTED: the filter over $body prints EXPECTED
jqis() {
	local got
	got=$(jq -c "$2" <<<"$body" 2>&1)
	if [ "$got" = "$3" ]; then ok "$1"; else fail "$1: $2 gave $got, wanted $3"; fi
}
# Every error is a JSON sentence without SQL in it.
error_clean() {
	local msg
	msg=$(jq -r '.error' <<<"$body" 2>/dev/null)
	if [ -n "$msg" ] && [ "$msg" != null ] && ! grep -qiE 'select|insert|syntax|relation|pq|sql' <<<"$msg"; then
		ok "$1 error is a clean sentence"
	else
		fail "$1: error body $body"
	fi
}

# ---- a database with rows ----
db="api_$$"
dbs+=("$db")
psql "$admin" -qAtc "CREATE DATABASE $db" >/dev/null
conn="$base dbname=$db"
"$A" db migrate --db "$conn" >/dev/null 2>&1 || { echo "migrate failed"; exit 1; }
A1=$(printf 'a1%.0s' $(seq 20)); A2=$(printf 'a2%.0s' $(seq 20))
N1=$(printf '11%.0s' $(seq 20)); N2=$(printf '22%.0s' $(seq 20))
B=$(printf 'bb%.0s' $(seq 32)); H=$(printf 'cd%.0s' $(seq 32))
# The committee [N1, N2]: its hash keccak256(abi.encode(address[])) is what A1's local
# attestation was scored over (the evidence tree is built in that order).
CH=$("$A" chain keccak "0x$(printf '%064x%064x' 32 2)$(printf '0%.0s' $(seq 24))$N1$(printf '0%.0s' $(seq 24))$N2")
CH=${CH#0x}
psql "$conn" -v ON_ERROR_STOP=1 -q >/dev/null <<SQL
INSERT INTO epochs (epoch, start_time, end_time, seed_block, seed, chain_state)
  SELECT e, to_timestamp(1700000000 + e * 3600), to_timestamp(1700003600 + e * 3600),
         100 + e, decode(repeat('0' || e::text, 32), 'hex'), CASE WHEN e < 4 THEN 'finalized' ELSE 'open' END
  FROM generate_series(1, 5) e;
INSERT INTO epoch_progress (epoch, auditor, state)
  VALUES (3, '\\x$A1', 'finalized'), (3, '\\x$A2', 'revealed'), (4, '\\x$A1', 'auditing');
INSERT INTO attestations (epoch, auditor, committee_hash, counts_hash, evidence_root, signature, source)
  VALUES (3, '\\x$A1', '\\x$CH', '\\x$H', '\\x$H', decode(repeat('ee', 65), 'hex'), 'local'),
         (3, '\\x$A1', '\\x$H', '\\x$H', '\\x$H', decode(repeat('ee', 65), 'hex'), 'chain'),
         (3, '\\x$A2', '\\x$H', '\\x$H', '\\x$H', NULL, 'chain');
INSERT INTO attestation_counts (epoch, auditor, source, node_id, passed, decided, position)
  VALUES (3, '\\x$A1', 'local', '\\x$N1', 3, 4, 0), (3, '\\x$A1', 'local', '\\x$N2', 2, 2, 1),
         (3, '\\x$A1', 'chain', '\\x$N1', 3, 4, 0), (3, '\\x$A1', 'chain', '\\x$N2', 2, 2, 1),
         (3, '\\x$A2', 'chain', '\\x$N1', 1, 2, 0), (3, '\\x$A2', 'chain', '\\x$N2', 2, 2, 1);
-- Auditor A1's records of epoch 3: seq 0..5; seq 1 decided on its second attempt,
-- seq 4 an auditor_error (not counted against the node). The table is partitioned by
-- epoch; the writer makes an epoch's partition, and so does whoever writes by hand.
SELECT challenges_partition_ensure(3);
INSERT INTO challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard, symbol_row,
  symbol_col, axis, issued_at, latency_ms, outcome, response_hash) VALUES
  (3, '\\x$A1', 0, 0, '\\x$N1', '\\x$B', 1, 2, 3, 'primary', now(), 10, 'pass', '\\x$H'),
  (3, '\\x$A1', 1, 0, '\\x$N1', '\\x$B', 1, 2, 4, 'primary', now(), 5000, 'timeout', NULL),
  (3, '\\x$A1', 1, 1, '\\x$N1', '\\x$B', 1, 2, 4, 'primary', now(), 12, 'pass', '\\x$H'),
  (3, '\\x$A1', 2, 0, '\\x$N2', '\\x$B', 2, 5, 6, 'secondary', now(), 8, 'pass', '\\x$H'),
  (3, '\\x$A1', 3, 0, '\\x$N1', '\\x$B', 1, 7, 8, 'secondary', now(), 9, 'invalid_proof', '\\x$H'),
  (3, '\\x$A1', 4, 0, '\\x$N1', '\\x$B', 1, 9, 9, 'primary', now(), 1, 'auditor_error', NULL),
  (3, '\\x$A1', 5, 0, '\\x$N1', '\\x$B', 1, 3, 3, 'primary', now(), 11, 'pass', '\\x$H');
INSERT INTO transactions (chain_id, sender, nonce, tx_hash, raw, purpose, max_fee_per_gas,
  max_priority_fee_per_gas, state, block_number)
  VALUES (31337, '\\x$A1', 0, decode(repeat('f1', 32), 'hex'), '\\x00', 'settle commit epoch 3 auditor 0', 1, 1, 'confirmed', 40),
         (31337, '\\x$A1', 1, decode(repeat('f2', 32), 'hex'), '\\x00', 'finalize epoch=3', 1, 1, 'broadcast', NULL),
         (31337, '\\x$A1', 2, decode(repeat('f3', 32), 'hex'), '\\x00', 'settle commit epoch 31 auditor 0', 1, 1, 'confirmed', 41);
SQL

start main --db "$conn" --api-rate 1000 --api-burst 1000 --api-max-limit 50 --api-page-limit 20
main_pid=$pid

# ---- health ----
get "health" 200 /v1/health
jqis "health says up" '[.status,.database]' '["ok","up"]'

# ---- epochs and pagination ----
get "epochs" 200 /v1/epochs
jqis "five epochs" '[.epochs[].epoch]' '[1,2,3,4,5]'
jqis "last page has no cursor" '.next_after' 'null'
jqis "epoch 3 seed" '.epochs[2].seed' "\"0x$(printf '03%.0s' $(seq 32))\""
jqis "epoch 3 auditors" '[.epochs[2].auditors[] | .state]' '["finalized","revealed"]'
jqis "epoch 3 roots" '.epochs[2].attestations | length' '3'
jqis "epoch 1 times" '[.epochs[0].start_time, .epochs[0].seed_block, .epochs[0].chain_state]' '[1700003600,101,"finalized"]'
get "epochs page 1" 200 '/v1/epochs?limit=2'
jqis "page 1" '[[.epochs[].epoch], .next_after]' '[[1,2],2]'
get "epochs page 2" 200 '/v1/epochs?limit=2&after=2'
jqis "page 2" '[[.epochs[].epoch], .next_after]' '[[3,4],4]'
get "epochs page 3" 200 '/v1/epochs?limit=2&after=4'
jqis "page 3" '[[.epochs[].epoch], .next_after]' '[[5],null]'
get "epochs after the end" 200 '/v1/epochs?after=99'
jqis "empty page" '[.epochs, .next_after]' '[[],null]'

# ---- attestations ----
get "attestations" 200 /v1/epochs/3/attestations
jqis "three attestations" '[.attestations[] | [.source, .decided, .nodes]]' '[["chain",6,2],["local",6,2],["chain",4,2]]'
jqis "signature and counts" '[.attestations[0].signature[0:6], .attestations[2].signature, .attestations[2].counts[0].passed]' '["0xeeee",null,1]'
get "attestations of an unknown epoch" 404 /v1/epochs/99/attestations; error_clean "unknown epoch"
get "attestations of an epoch without any" 200 /v1/epochs/2/attestations
jqis "none" '.attestations' '[]'
# Disputes live on the chain; this server knows none (tests/integration/dispute.sh reads them).
get "attestations without a chain" 200 /v1/epochs/3/attestations
jqis "no dispute field, and why" '[(.disputes_error | test("knows no chain")), (.attestations[0] | has("dispute"))]' '[true,false]'
get "disputes without a chain" 404 /v1/epochs/3/disputes; error_clean "disputes without a chain"
get "disputes take no parameters" 400 "/v1/epochs/3/disputes?limit=1"

# ---- payouts ----
get "payouts" 200 "/v1/nodes/0x$N1/payouts"
jqis "one epoch" '[.epochs[].epoch]' '[3]'
jqis "counts from records" '.epochs[0] | [.challenges, .passes, .auditor_errors, .score_wad]' '[4,3,1,"750000000000000000"]'
jqis "median from chain (lower middle)" '.epochs[0].median | [.source, .auditors, .score_wad]' '["chain",2,"500000000000000000"]'
jqis "txs of the epoch only" '[.epochs[0].transactions[] | .purpose]' '["settle commit epoch 3 auditor 0","finalize epoch=3"]'
jqis "reward not yet known" '[.epochs[0].reward, .epochs[0].penalty]' '[null,null]'
get "payouts range without data" 200 "/v1/nodes/0x$N1/payouts?from=4&to=10"
jqis "empty" '[.epochs, .next_from]' '[[],null]'
get "payouts upper case hex" 200 "/v1/nodes/0x${N1^^}/payouts?from=1&to=10&limit=1"
jqis "page with cursor" '.next_from' '4'
# What the chain paid, kept in node_scores by the settle job: served as it was read.
# N2's epoch 2 has a score only (no records here), with a reward beyond 64 bits.
psql "$conn" -v ON_ERROR_STOP=1 -q >/dev/null <<SQL
INSERT INTO node_scores (epoch, node_id, median_score, reward, penalized, slashed, tx_hash)
  VALUES (3, '\\x$N1', 500000000000000000, 0, true, 25000000000000000000, '\\x$H'),
         (2, '\\x$N2', 1000000000000000000, 123456789012345678901234567890, false, 0, '\\x$B');
SQL
get "payouts with the chain's results" 200 "/v1/nodes/0x$N1/payouts"
jqis "reward and penalty from NodeScored" '.epochs[0] | [.epoch, .reward, .penalty, .penalized, .median_on_chain.score_wad, .finalize_tx]' \
	'[3,"0","25000000000000000000",true,"500000000000000000","0x'"$H"'"]'
get "payouts of an epoch known from the chain only" 200 "/v1/nodes/0x$N2/payouts?to=2"
jqis "reward beyond 64 bits, not penalized" '.epochs | map([.epoch, .reward, .penalty, .penalized, .median_on_chain.score, .challenges])' \
	'[[2,"123456789012345678901234567890","0",false,1,0]]'

# ---- evidence ----
get "evidence" 200 "/v1/epochs/3/nodes/0x$N1/evidence"
jqis "node's decided records" '[.records[] | [.seq, .attempt, .outcome]]' '[[0,0,"pass"],[1,1,"pass"],[3,0,"invalid_proof"],[4,0,"auditor_error"],[5,0,"pass"]]'
jqis "leaves are every decided record" '.leaves' '6'
jqis "roots compared" '[.attested_roots[] | .matches]' '[false,false]'
# Evidence tree version 2 (settle/EVIDENCE.md), recomputed here: each record's leaf
# (H(0x00 ‖ record), pass?, not auditor_error?) hashes up its node's sum subtree
# (H(0x01 ‖ l ‖ r) over h ‖ u32be passed ‖ u32be decided) to the node's subtree root, whose
# entry H(0x02 ‖ node ‖ sub) hashes up the top tree (H(0x03 ‖ l ‖ r)) to the root.
root=$(jq -r .root <<<"$body")
enc() { printf '%s%08x%08x' "${1#0x}" "$2" "$3"; }
read -r sh sp sd <<<"$(jq -r '.node_proof.sub | "\(.h) \(.passed) \(.decided)"' <<<"$body")"
[ "$sp $sd" = "3 4" ] && ok "node 1's subtree total is its counts (3 of 4)" || fail "node 1's subtree total: $sp/$sd"
nrec=$(jq '.records | length' <<<"$body")
for i in $(seq 0 $((nrec - 1))); do
	rec=$(jq -r ".records[$i].record" <<<"$body"); pos=$(jq ".records[$i].pos" <<<"$body")
	out=$(jq -r ".records[$i].outcome" <<<"$body")
	h=$("$A" chain keccak "0x00${rec#0x}")
	p=$([ "$out" = pass ] && echo 1 || echo 0); d=$([ "$out" = auditor_error ] && echo 0 || echo 1)
	while read -r sibh sibp sibd; do
		[ -n "$sibh" ] || continue
		if [ $((pos % 2)) -eq 0 ]; then h=$("$A" chain keccak "0x01$(enc "$h" "$p" "$d")$(enc "$sibh" "$sibp" "$sibd")")
		else h=$("$A" chain keccak "0x01$(enc "$sibh" "$sibp" "$sibd")$(enc "$h" "$p" "$d")"); fi
		p=$((p + sibp)); d=$((d + sibd)); pos=$((pos / 2))
	done <<<"$(jq -r ".records[$i].sub_path[] | \"\\(.h) \\(.passed) \\(.decided)\"" <<<"$body")"
	if [ "$h $p $d" = "$sh $sp $sd" ]; then ok "record $i hashes up to node 1's subtree root"
	else fail "record $i: $h $p $d != $sh $sp $sd"; fi
done
idx=$(jq .node_proof.index <<<"$body")
h=$("$A" chain keccak "0x02$N1$(enc "$sh" "$sp" "$sd")")
for sib in $(jq -r ".node_proof.top_path[]" <<<"$body"); do
	if [ $((idx % 2)) -eq 0 ]; then h=$("$A" chain keccak "0x03${h#0x}${sib#0x}")
	else h=$("$A" chain keccak "0x03${sib#0x}${h#0x}"); fi
	idx=$((idx / 2))
done
if [ "$h" = "$root" ]; then ok "node 1's entry hashes up to the root"; else fail "node 1's entry: $h != $root"; fi
get "evidence page" 200 "/v1/epochs/3/nodes/0x$N1/evidence?limit=2&after_seq=0"
jqis "page after seq 0" '[[.records[].seq], .next_after_seq]' '[[1,3],3]'
get "evidence other node" 200 "/v1/epochs/3/nodes/0x$N2/evidence?auditor=0x$A1"
jqis "node 2" '[.records[].seq]' '[2]'
get "evidence of an epoch without records" 404 "/v1/epochs/2/nodes/0x$N1/evidence"; error_clean "no records"

# ---- strict parameters: 400 ----
for q in 'limit=0' 'limit=51' 'limit=-1' 'limit=abc' 'limit=1e3' 'limit=%2B5' 'limit=' 'limit' \
	'after=1%20OR%201=1' "after=1;DROP%20TABLE%20epochs" 'after=99999999999999999999' \
	'after=1&after=2' 'colour=blue' 'limit=1&limit=2'; do
	get "bad epochs query '$q'" 400 "/v1/epochs?$q"
done
error_clean "bad query"
get "bad node" 400 "/v1/nodes/0x12/payouts"; error_clean "bad node"
get "node injection" 400 "/v1/nodes/'%3BDROP%20TABLE%20nodes%3B--/payouts"
get "node without 0x" 400 "/v1/nodes/$N1/payouts"
get "from after to" 400 "/v1/nodes/0x$N1/payouts?from=5&to=3"
get "bad epoch" 400 "/v1/epochs/3x/attestations"
get "epoch injection" 400 "/v1/epochs/3%20OR%201=1/attestations"
get "negative epoch" 400 "/v1/epochs/-1/attestations"
get "attestations take no parameters" 400 "/v1/epochs/3/attestations?limit=1"
get "bad after_seq" 400 "/v1/epochs/3/nodes/0x$N1/evidence?after_seq=x"
get "bad auditor" 400 "/v1/epochs/3/nodes/0x$N1/evidence?auditor=0xzz"
psql "$conn" -qAtc "SELECT count(*) FROM epochs" | grep -qx 5 && ok "tables intact" || fail "tables changed"

# ---- 404, 405, 413, 414 ----
get "unknown path" 404 /v1/nope; error_clean "unknown path"
# The pages (settle/web.h): an HTML shell on each page route, assets, a strict CSP.
get "network page" 200 /
grep -qi '^Content-Type: text/html' "$work/h" && ok "page is HTML" || fail "page Content-Type: $(grep -i '^content-type' "$work/h")"
grep -qi "^Content-Security-Policy: default-src 'none'; script-src 'self'" "$work/h" && ok "page has a CSP" || fail "page without CSP"
get "node page" 200 "/nodes/0x$N1"
get "evidence page" 200 "/epochs/3/nodes/0x$N1/evidence"
get "unknown page" 404 /nope
get "bad node page" 404 /nodes/0x12
get "script asset" 200 /assets/app.js
grep -qi '^Content-Type: text/javascript' "$work/h" && ok "script Content-Type" || fail "script Content-Type"
get "chain" 200 /v1/chain; jqis "chain without deployment" '.deployment' 'null'
get "network" 200 /v1/network; jqis "network epochs" '.epochs | length' '2'
get "trailing slash" 404 /v1/epochs/
get "too deep" 404 "/v1/epochs/3/nodes/0x$N1/evidence/more"
get "POST" 405 /v1/epochs -X POST -d '{}'; error_clean "POST"
grep -qi '^Allow: GET' "$work/h" && ok "405 names GET" || fail "405 without Allow"
get "DELETE" 405 /v1/epochs/3/attestations -X DELETE
get "GET with a body" 413 /v1/epochs -X GET -d 'x=1'
long=$(printf 'a%.0s' $(seq 3000))
get "long URL" 414 "/v1/epochs?limit=$long"

# ---- a killed session is reconnected without a failed answer ----
psql "$admin" -qAtc "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '$db' AND pid <> pg_backend_pid()" >/dev/null
get "after the session was killed" 200 /v1/epochs
stop "$main_pid"

# ---- 429 under a burst ----
start burst --db "$conn" --api-rate 1 --api-burst 3
codes=""
for i in $(seq 1 8); do
	codes="$codes $(curl -s -o /dev/null -D "$work/h$i" -w '%{http_code}' "$url/v1/health")"
done
if grep -q 429 <<<"$codes" && grep -q 200 <<<"$codes"; then ok "burst gets 429 ($codes)"; else fail "burst: $codes"; fi
if grep -qi '^Retry-After: [1-9]' "$work"/h*; then ok "429 carries Retry-After"; else fail "no Retry-After"; fi
stop "$pid"

# ---- 503 while the database is away, and recovery ----
start nobody --db "host=127.0.0.1 port=1 dbname=x" --db-connect-timeout 2
get "health, nobody listening" 503 /v1/health
jqis "health says down" '.database' '"down"'
get "epochs, nobody listening" 503 /v1/epochs; error_clean "unreachable"
stop "$pid"
late="api_late_$$"
dbs+=("$late")
start late --db "$base dbname=$late"
get "health before the database exists" 503 /v1/health
get "epochs before the database exists" 503 /v1/epochs; error_clean "missing database"
psql "$admin" -qAtc "CREATE DATABASE $late" >/dev/null
"$A" db migrate --db "$base dbname=$late" >/dev/null 2>&1
get "health once it exists" 200 /v1/health
get "epochs once it exists" 200 /v1/epochs
jqis "empty database" '.epochs' '[]'
stop "$pid"

# ---- deployment artefacts ----
SRC=${ASSAY_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
conf="$SRC/deploy/assay.conf.example"
# The example loads (an unreachable database is exit 1; a bad config line would be 2).
"$A" db status --config "$conf" --db "host=127.0.0.1 port=1 dbname=x" --db-connect-timeout 1 >/dev/null 2>&1
[ $? -eq 1 ] && ok "assay.conf.example loads" || fail "assay.conf.example does not load"
# Every config setting is listed (a warning, so that a colleague's new setting does not
# fail the suite before the example is regenerated).
keys=$("$A" db status --help | sed -n 's/^    --\([a-z0-9-]*\) .*/\1/p' | grep -vx -e config -e help)
missing=""
for k in $keys; do grep -qE "^#?$k = " "$conf" || missing="$missing $k"; done
[ -z "$missing" ] && ok "every setting in assay.conf.example" || echo "WARN assay.conf.example lacks:$missing"
if command -v systemd-analyze >/dev/null; then
	out=$(systemd-analyze verify "$SRC"/deploy/systemd/*.service "$SRC"/deploy/systemd/*.timer 2>&1 | grep -v 'is not executable')
	[ -z "$out" ] && ok "systemd units verify" || fail "systemd units: $out"
fi
grep -qE '^\*/5 \* \* \* \* assay flock -n ' "$SRC/deploy/cron/assay-settle" && ok "cron line uses flock" || fail "cron line"

pat='BROKEN|AddressSanitizer|LeakSanitizer|runtime error'
if grep -qE "$pat" "$work"/*.log; then fail "a server logged BROKEN or a sanitizer report"; grep -E "$pat" "$work"/*.log | head; else ok "no BROKEN or sanitizer lines"; fi
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
