#!/usr/bin/env bash
# auditor.sh: the auditor's figures beside reference tools, one run each.
#   1. challenges per second end to end (schedule, fan-out, verify, record) against 7
#      local reference nodes, beside wrk on the same recoverySymbols URLs (the requests
#      the auditor sent), the same connections per node, for as long as the auditor ran
#      (both rates are printed), with the CPU each path spends per request (nodes,
#      auditor, PostgreSQL; nodes, wrk), the bound that puts on the ratio when both share
#      this machine's cores, and the clients' CPU per request (goal: auditor <= 2 x wrk);
#   2. verifying a symbol beside BLAKE2b over the same bytes (bench_auditor_verify);
#   3. recording through COPY beside psql's \copy of the same rows: rows/s, and CPU per
#      row, client plus PostgreSQL (goal: <= psql's).
# Usage: bench/auditor.sh BUILD_DIR [1]   (needs wrk, psql, a built assay and bench targets;
#        a second argument 1 runs part 1 only)
set -euo pipefail
B=$(cd "${1:?usage: bench/auditor.sh BUILD_DIR}" && pwd)
A=$B/assay
. "$(dirname "$0")/../deploy/lib.sh"
T=$(mktemp -d /tmp/assay-bench-auditor.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	"$ASSAY_ROOT/deploy/pg.sh" stop "$T/pg" >/dev/null 2>&1 || true
	rm -rf "$T"
}
trap cleanup EXIT
"$ASSAY_ROOT/deploy/pg.sh" start "$T/pg" >/dev/null
DB=$(cat "$T/pg/url")

ports=()
for i in 0 1 2 3 4 5 6; do ports+=("$(free_port)"); done
python3 - "${ports[@]}" >"$T/committee.json" <<'PY'
import json, sys
nodes = [{"url": "http://127.0.0.1:%s" % p, "shards": [2 * i, 2 * i + 1]} for i, p in enumerate(sys.argv[1:])]
print(json.dumps({"n_shards": 14, "nodes": nodes}))
PY
for i in 0 1 2 3 4 5 6; do
	"$A" node serve --data "$T/d$i" --committee "$T/committee.json" --index "$i" \
		--listen "127.0.0.1:${ports[$i]}" --log-level error >/dev/null 2>&1 &
	pids+=($!)
done
for p in "${ports[@]}"; do
	for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$p/v1/health" >/dev/null && break; sleep 0.05; done
done
: >"$T/blobs.txt"
for b in 1 2 3 4; do
	head -c $((b * 50000)) /dev/urandom >"$T/blob$b"
	"$A" blob put "$T/blob$b" --committee "$T/committee.json" --json --log-level error >"$T/put.json" 2>/dev/null
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['blob_id'], d['size'])" "$T/put.json" >>"$T/blobs.txt"
done
echo 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d >"$T/key"
chmod 600 "$T/key"
PER=${PER:-10000}
CONC=8 # connections per node (max-host-connections), 7 nodes
common=(--key-file "$T/key" --seed "0x$(printf '%064d' 7)" --committee "$T/committee.json"
	--blobs "$T/blobs.txt" --min-per-node "$PER" --max-host-connections "$CONC")

# CPU accounting (clock ticks, utime + stime from /proc): the nodes, PostgreSQL (the
# postmaster with the backends it reaped, and the live ones), and this shell's children
# that ended (the auditor, wrk) from `times`. Both runs share this machine's cores, so
# the auditor's rate is bounded by wrk's times (CPU per request on the wrk path) / (CPU
# per request on the auditor's path); part 1 prints that ceiling with the rates.
proc_ticks() { # PID...: utime + stime (+ cutime + cstime of reaped children)
	local p sum=0 f
	for p in "$@"; do
		f=$(cut -d' ' -f14-17 "/proc/$p/stat" 2>/dev/null) || continue
		set -- $f
		sum=$((sum + $1 + $2 + $3 + $4))
	done
	echo "$sum"
}
pg_ticks() {
	local pm
	pm=$(head -1 "$(cat "$T/pg/pgroot")/data/postmaster.pid" 2>/dev/null) || { echo 0; return; }
	proc_ticks "$pm" $(ps -o pid= --ppid "$pm" 2>/dev/null)
}
child_ticks() { # sets CT: the ended children of this shell, user + sys, in clock ticks
	# (`times` must run in this shell: in a command substitution it sees the subshell's)
	times >"$T/times"
	CT=$(tail -1 "$T/times" | awk -v hz="$(getconf CLK_TCK)" \
		'{ s = 0; for (i = 1; i <= NF; i++) { split($i, a, /[ms]/); s += a[1] * 60 + a[2] } printf "%d\n", s * hz + 0.5 }')
}
# recoverySymbols requests the nodes served, all together (their /metrics): read outside the
# CPU windows below (curl is this shell's child too).
served() {
	local p sum=0 v
	for p in "${ports[@]}"; do
		v=$(curl -fs "http://127.0.0.1:$p/metrics" | awk '/kind="symbol_requests"/ {print $NF}')
		sum=$((sum + ${v:-0}))
	done
	echo "$sum"
}
echo "== 1. challenges per second, end to end, 7 nodes, $CONC connections each"
s0=$(served)
n0=$(proc_ticks "${pids[@]}"); p0=$(pg_ticks); child_ticks; c0=$CT
# A 1 ms window: every batch is due at once, so the fan-out runs flat out.
# AUDITOR_WRAP (e.g. "perf record -g -o /tmp/auditor.perf") runs the auditor under a profiler.
t0=$(date +%s%N)
${AUDITOR_WRAP:-} "$A" audit run --epoch 1 --once --db "$DB" "${common[@]}" --window-ms 1 \
	--batch-timeout-ms 10000 --log-level error >"$T/run.out"
t1=$(date +%s%N)
# The shell's children first: the command substitutions below are children too (ps reads
# all of /proc), and counted after this point they would be billed to the auditor.
child_ticks; c1=$CT; n1=$(proc_ticks "${pids[@]}"); p1=$(pg_ticks)
s1=$(served)
total=$(head -1 "$T/run.out" | awk '{print $3}')
# The requests the auditor sent (audit/auditor.c, issue and job_start): with every batch
# due at once, each node's challenges in batch order go out in jobs of 4 batches (64
# challenges), and a job as one recoverySymbols request per (blob, axis, batch)
# (same_request), ids in seq order, at most 64 each.
"$A" audit plan --epoch 1 "${common[@]}" --window-ms 1 --json >"$T/plan.json"
python3 - "$T/plan.json" "$T/committee.json" >"$T/urls.txt" <<'PY2'
import base64, json, sys
plan = json.load(open(sys.argv[1])); com = json.load(open(sys.argv[2]))
JOB = 4 * 16
ch = {c["seq"]: c for c in plan["challenges"]}
queue = {}
for b in plan["batches"]:  # in issue order
    queue.setdefault(b["node"], []).extend(range(b["first_seq"], b["first_seq"] + b["count"]))
for node, seqs in sorted(queue.items()):
    for j in range(0, len(seqs), JOB):
        groups = {}
        for seq in seqs[j:j + JOB]:
            c = ch[seq]
            groups.setdefault((c["blob"], c["axis"], c["batch"]), []).append((seq, c["symbol"]))
        for (blob, axis, _), v in sorted(groups.items()):
            v.sort()
            for i in range(0, len(v), 64):
                ids = "".join("id=%s&" % s for _, s in v[i:i + 64])
                print("%s/v1/blobs/%s/recoverySymbols?%sproofAxis=%s" % (com["nodes"][node]["url"], blob, ids, axis))
PY2
nurls=$(wc -l <"$T/urls.txt")
# The per-request figures divide by nurls: it must be what the auditor sent.
[ "$((s1 - s0))" = "$nurls" ] ||
	echo "warning: the nodes served $((s1 - s0)) recoverySymbols requests, the plan names $nurls"
ms=$(( (t1 - t0) / 1000000 ))
python3 -c "print('assay audit run: %d challenges (%d recoverySymbols requests) in %d ms: %.0f challenges/s, %.0f requests/s' % ($total, $nurls, $ms, $total / ($ms / 1e3), $nurls / ($ms / 1e3)))"
# wrk on the same URLs, the same connections per node, for as long as the auditor ran.
secs=$(( (ms + 999) / 1000 ))
[ "$secs" -ge 2 ] || secs=2
# wrk drives one host: one per node, all at once, each over that node's own URLs.
wpids=()
n2=$(proc_ticks "${pids[@]}"); child_ticks; c2=$CT
for p in "${ports[@]}"; do
	grep "^http://127.0.0.1:$p/" "$T/urls.txt" | sed "s|^http://127.0.0.1:$p||" >"$T/urls_$p.txt"
	cat >"$T/urls_$p.lua" <<LUA
local urls = {}
for line in io.lines("$T/urls_$p.txt") do urls[#urls + 1] = line end
local i = 0
request = function() i = i % #urls + 1; return wrk.format("GET", urls[i]) end
LUA
	wrk -t1 -c"$CONC" -d"${secs}s" -s "$T/urls_$p.lua" "http://127.0.0.1:$p" >"$T/wrk_$p.out" 2>&1 &
	wpids+=($!)
done
# Their own pids: `jobs -p | tail` would wait for a node when a wrk ended early.
wait "${wpids[@]}" 2>/dev/null || true
child_ticks; c3=$CT; n3=$(proc_ticks "${pids[@]}")
wrkrate=$(cat "$T"/wrk_*.out | awk '/Requests\/sec/ {s += $2} END {printf "%d", s}')
bad=$(cat "$T"/wrk_*.out | awk '/Non-2xx/ {s += $NF} END {printf "%d", s}')
[ "$bad" = 0 ] || echo "warning: wrk saw $bad non-2xx answers"
wrkreqs=$(cat "$T"/wrk_*.out | awk '/requests in/ {s += $1} END {printf "%d", s}')
python3 - "$total" "$nurls" "$ms" "$wrkrate" "$CONC" "$secs" "$wrkreqs" \
	$((n1 - n0)) $((p1 - p0)) $((c1 - c0)) $((n3 - n2)) $((c3 - c2)) "$(getconf CLK_TCK)" <<'PY2'
import sys
total, nurls, ms, wrk, conc, secs, wrkreqs, an, ap, aa, wn, ww, hz = (int(x) for x in sys.argv[1:])
ours = nurls / (ms / 1e3)
print("wrk (7 x %d connections, the same %d URLs, %d s): %d requests/s = %.0f challenges/s"
      % (conc, nurls, secs, wrk, wrk * total / nurls))
print("ratio assay / wrk: %.2f (end to end; bounded on shared cores, see below)" % (ours / max(wrk, 1)))
us = lambda ticks, n: ticks * 1e6 / hz / max(n, 1)
a_node, a_pg, a_aud = us(an, nurls), us(ap, nurls), us(aa, nurls)
w_node, w_wrk = us(wn, wrkreqs), us(ww, wrkreqs)
print("CPU per request, auditor path: nodes %.0f us + auditor %.0f us + PostgreSQL %.0f us = %.0f us"
      % (a_node, a_aud, a_pg, a_node + a_aud + a_pg))
print("CPU per request, wrk path:     nodes %.0f us + wrk %.0f us = %.0f us" % (w_node, w_wrk, w_node + w_wrk))
print("client CPU per request, auditor / wrk: %.1f (goal <= 2; the auditor also parses, verifies"
      " and hands every record to its writer; %.1f ids a request, auditor %.1f us a challenge)"
      % (a_aud / max(w_wrk, 1e-9), total / max(nurls, 1), us(aa, total)))
if a_node + a_aud + a_pg > 0:
    print("with both saturating the same cores, the auditor's ratio is bounded by %.2f"
          % ((w_node + w_wrk) / (a_node + a_aud + a_pg)))
PY2

[ "${2:-}" = 1 ] && exit 0
echo "== 2. verifying a symbol beside BLAKE2b over its bytes"
"$B/bench/bench_auditor_verify" 1000 2048

echo "== 3. recording beside psql \\copy"
ROWS=200000
# In COPYs of 5000 rows: the fewest the auditor writes at once at full rate (flush-rows;
# its writer thread takes everything pending, so under load its COPYs are larger still).
# CPU per row (the goal): the recording client's (this shell's ended children) plus
# PostgreSQL's, beside psql's and PostgreSQL's for its \copy; wall rates as well.
q0=$(pg_ticks); child_ticks; r0=$CT
"$B/bench/bench_auditor_record" "$DB" 99 "$ROWS" 5000 >"$T/rec.out"
sleep 0.5 # the backend ends after its client, and is reaped into the postmaster's CPU
child_ticks; r1=$CT; q1=$(pg_ticks)
cat "$T/rec.out"
ours=$(awk '{print $(NF-1)}' "$T/rec.out")
psql "$DB" -qAtc "\\copy (SELECT * FROM challenges WHERE epoch = 99) TO '$T/rows.copy'"
psql "$DB" -qAtc "CREATE TABLE bench_copy (LIKE challenges INCLUDING ALL)"
q2=$(pg_ticks); child_ticks; r2=$CT
t0=$(date +%s%N)
psql "$DB" -qAtc "\\copy bench_copy FROM '$T/rows.copy'"
t1=$(date +%s%N)
sleep 0.5
child_ticks; r3=$CT; q3=$(pg_ticks)
theirs=$(python3 -c "print(round($ROWS / (($t1 - $t0) / 1e9)))")
echo "psql \\copy of the same rows (one COPY, same indexes): $theirs rows/s"
python3 -c "print('ratio assay / psql (rows/s): %.2f' % ($ours / $theirs))"
python3 - $((r1 - r0)) $((q1 - q0)) $((r3 - r2)) $((q3 - q2)) "$ROWS" "$(getconf CLK_TCK)" <<'PY3'
import sys
oc, op, pc, pp, rows, hz = (int(x) for x in sys.argv[1:])
us = lambda t: t * 1e6 / hz / rows
print("CPU per row: assay %.2f us (client %.2f + PostgreSQL %.2f); psql \\copy %.2f us (psql %.2f + PostgreSQL %.2f)"
      % (us(oc + op), us(oc), us(op), us(pc + pp), us(pc), us(pp)))
print("ratio CPU per row assay / psql: %.2f (goal <= 1)" % ((oc + op) / max(pc + pp, 1)))
PY3
