#!/usr/bin/env bash
# web_pages.sh: how long the pages take to load in headless Chromium (Debian's, through
# puppeteer-core) over a database of EPOCHS epochs x NODES nodes (committees, NodeScored
# results, 4 auditors' attestations and counts), seeded into a private PostgreSQL. Prints,
# per page, the time from navigation to the page saying it is rendered (body[data-ready]),
# the best and median of ROUNDS loads. The API is given no deployment here, so the pages do
# not read a chain: this measures the server, the database and the browser's rendering.
# Not a test: nothing is asserted about the time.
#   bench/web_pages.sh                      EPOCHS=100 NODES=100 ROUNDS=5 bench/web_pages.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
source "$ROOT/deploy/lib.sh"
A=${ASSAY_BIN:-$ROOT/build/assay}
[ -x "$A" ] || die "build assay first (or set ASSAY_BIN): $A"
EPOCHS=${EPOCHS:-100}
NODES=${NODES:-100}
ROUNDS=${ROUNDS:-5}
T=$(mktemp -d /tmp/assay-bench-web.XXXXXX)
API_PID=""
cleanup() {
	[ -n "$API_PID" ] && kill "$API_PID" 2>/dev/null && wait "$API_PID" 2>/dev/null
	"$ROOT/deploy/pg.sh" stop "$T/pg" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
"$ROOT/deploy/pg.sh" start "$T/pg" >/dev/null
DB=$(cat "$T/pg/url")
"$A" db migrate --db "$DB" >/dev/null 2>&1
t0=$EPOCHREALTIME
psql "$DB" -v ON_ERROR_STOP=1 -q -v epochs="$EPOCHS" -v nodes="$NODES" <<'SQL'
CREATE FUNCTION pg_temp.id(i int, tag text) RETURNS bytea LANGUAGE sql AS
  $$ SELECT decode(tag || lpad(to_hex(i), 40 - length(tag), '0'), 'hex') $$;
INSERT INTO nodes (node_id, endpoint, source)
  SELECT pg_temp.id(i, 'aa'), 'http://127.0.0.1:' || (20000 + i), 'chain' FROM generate_series(1, :nodes) i;
INSERT INTO epochs (epoch, start_time, end_time, chain_state)
  SELECT e, now() - (:epochs - e + 1) * interval '1 hour', now() - (:epochs - e) * interval '1 hour', 'finalized'
  FROM generate_series(1, :epochs) e;
INSERT INTO committee_members (epoch, position, node_id, shard_count)
  SELECT e, i - 1, pg_temp.id(i, 'aa'), 10 FROM generate_series(1, :epochs) e, generate_series(1, :nodes) i;
INSERT INTO node_scores (epoch, node_id, median_score, reward, penalized, slashed, tx_hash)
  SELECT e, pg_temp.id(i, 'aa'),
    CASE WHEN i % 10 = 0 THEN 600000000000000000 ELSE 1000000000000000000 END,
    CASE WHEN i % 10 = 0 THEN 0 ELSE 1000000000000000000 + i END,
    i % 10 = 0, CASE WHEN i % 10 = 0 THEN 100000000000000000000 ELSE 0 END,
    decode(lpad(to_hex(e * 1000 + i), 64, '0'), 'hex')
  FROM generate_series(1, :epochs) e, generate_series(1, :nodes) i;
INSERT INTO attestations (epoch, auditor, committee_hash, counts_hash, evidence_root, signature, source)
  SELECT e, pg_temp.id(a, 'ad'), decode(repeat('11', 32), 'hex'), decode(repeat('22', 32), 'hex'),
    decode(repeat('33', 32), 'hex'), decode(repeat('44', 64) || '1b', 'hex'), 'local'
  FROM generate_series(1, :epochs) e, generate_series(1, 4) a;
INSERT INTO attestation_counts (epoch, auditor, source, node_id, passed, decided)
  SELECT e, pg_temp.id(a, 'ad'), 'local', pg_temp.id(i, 'aa'), CASE WHEN i % 10 = 0 THEN 120 ELSE 200 END, 200
  FROM generate_series(1, :epochs) e, generate_series(1, 4) a, generate_series(1, :nodes) i;
ANALYZE;
SQL
echo "seeded $EPOCHS epochs x $NODES nodes (4 auditors) in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
port=$(free_port)
"$A" api serve --listen "127.0.0.1:$port" --db "$DB" --deployment /nonexistent --api-rate 1000 \
	--api-burst 1000 >"$T/api.log" 2>&1 </dev/null &
API_PID=$!
for _ in $(seq 1 100); do curl -sf -m 1 "http://127.0.0.1:$port/v1/health" >/dev/null && break; sleep 0.1; done
node1=0x$(printf 'aa%038x' 7)
API="http://127.0.0.1:$port" ROUNDS=$ROUNDS PAGES="/ /nodes/$node1 /epochs/$((EPOCHS / 2))" \
	node "$ROOT/bench/web_pages.mjs"
