#!/usr/bin/env bash
# fixtures:
# auditor_outage.sh: what the auditor does when things other than the nodes fail.
#   1. PostgreSQL stops mid-epoch (a private cluster: the fixture one is shared): results
#      wait in memory, the bound stops new challenges, the log says so once and once more
#      when it returns; nothing is lost and every scheduled challenge is decided.
#   2. The auditor's own network is cut (a network namespace without loopback): every
#      outcome is auditor_error, none is a node failure. Nodes refusing connections while
#      the canary fails too: auditor_error as well.
#   3. Hostile nodes (endless body, slowloris headers, a huge ULEB128 length prefix, proofs
#      for another index) next to healthy ones: the healthy ones still pass every
#      challenge, the hostile ones fail, and the auditor's memory stays small.
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
. "${ASSAY_SOURCE_DIR:?}/deploy/lib.sh"
T=$(mktemp -d /tmp/assay-auditor-outage.XXXXXX)
chmod 755 "$T"
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
fails=0
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	"$ASSAY_SOURCE_DIR/deploy/pg.sh" stop "$T/pg" >/dev/null 2>&1
	[ -n "${ASSAY_KEEP:-}" ] && echo "kept $T" || rm -rf "$T"
}
trap cleanup EXIT
ok() { echo "ok   $1"; }
fail() { echo "FAIL $1"; fails=$((fails + 1)); }
as_pg() { if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }

"$ASSAY_SOURCE_DIR/deploy/pg.sh" start "$T/pg" >/dev/null || { echo "cannot start PostgreSQL"; exit 1; }
PGROOT=$(cat "$T/pg/pgroot")
PGPORT=$(cat "$T/pg/port")
# Through the unix socket, so a network namespace without loopback still reaches it.
DB="host=$PGROOT port=$PGPORT user=postgres dbname=assay"

NODES=6
N=12
ports=()
for i in $(seq 0 $((NODES - 1))); do ports+=("$(free_port)"); done
mkcommittee() { # mkcommittee OUT URL...
	local out=$1; shift
	python3 - "$@" >"$out" <<'EOF'
import json, sys
nodes = [{"url": u, "shards": [2 * i, 2 * i + 1]} for i, u in enumerate(sys.argv[1:])]
print(json.dumps({"n_shards": 2 * len(nodes), "nodes": nodes}))
EOF
}
urls=()
for p in "${ports[@]}"; do urls+=("http://127.0.0.1:$p"); done
mkcommittee "$T/committee.json" "${urls[@]}"
for i in $(seq 0 $((NODES - 1))); do
	"$A" node serve --data "$T/d$i" --committee "$T/committee.json" --index "$i" \
		--listen "127.0.0.1:${ports[$i]}" --log-level warn >>"$T/node$i.log" 2>&1 &
	pids+=($!)
done
for p in "${ports[@]}"; do
	# up to 60 s: sanitizer builds on busy cores start slowly
	for _ in $(seq 1 1200); do curl -fs "http://127.0.0.1:$p/v1/health" >/dev/null && break; sleep 0.05; done
done
: >"$T/blobs.txt"
for b in 1 2; do
	head -c $((b * 9000 + 11)) /dev/urandom >"$T/blob$b"
	"$A" blob put "$T/blob$b" --committee "$T/committee.json" --json --log-level error \
		>"$T/put$b.json" 2>/dev/null || { echo "blob put failed"; exit 1; }
	python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['blob_id'], d['size'])" \
		"$T/put$b.json" >>"$T/blobs.txt"
done

echo 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d >"$T/key"
chmod 600 "$T/key"
common=(--db "$DB" --key-file "$T/key" --seed "0x$(printf '%064d' 7)" --blobs "$T/blobs.txt"
	--batch-timeout-ms 1500 --retry-delay-ms 500 --db-connect-timeout 2)
count() { psql "$DB" -qAtc "$1"; }

# ---- 1. PostgreSQL goes away mid-epoch ----
"$A" audit run --epoch 1 --once "${common[@]}" --committee "$T/committee.json" \
	--window-ms 5000 --max-pending 150 --epoch-start now >"$T/run1.out" 2>"$T/run1.err" &
apid=$!
sleep 1.5
as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -m fast -w stop >/dev/null 2>&1 || fail "pg_ctl stop"
sleep 3
as_pg "$PGBIN/pg_ctl" -D "$PGROOT/data" -l "$PGROOT/server.log" -w start \
	-o "-p $PGPORT -k $PGROOT -c listen_addresses=127.0.0.1" >/dev/null 2>&1 || fail "pg_ctl start"
wait "$apid"
rc=$?
[ "$rc" = 0 ] && ok "the run survives a PostgreSQL outage" || { fail "exit $rc"; cat "$T/run1.err"; }
n=$(grep -c "cannot record challenge results" "$T/run1.err")
[ "$n" = 1 ] && ok "the outage is logged once" || fail "outage logged $n times: $(cat "$T/run1.err")"
grep -q "the database is back" "$T/run1.err" && ok "the recovery is logged" || fail "no recovery line"
grep -q "issuing no new challenges" "$T/run1.err" && ok "past the bound, no new challenges" ||
	fail "the bound was not reached or not logged"
sched=$(head -1 "$T/run1.out" | awk '{print $3}')
decided=$(count "SELECT count(DISTINCT seq) FROM challenges WHERE epoch = 1")
[ "$decided" = "$sched" ] && [ -n "$sched" ] && ok "nothing lost: $decided of $sched challenges recorded" ||
	fail "$decided recorded, $sched scheduled"
bad=$(count "SELECT count(*) FROM challenges WHERE epoch = 1 AND outcome <> 'pass'")
[ "$bad" = 0 ] && ok "every attempt passed (the outage was not the nodes' fault)" || fail "$bad non-pass attempts"

# ---- 2. the auditor's own network is cut ----
if unshare -n true 2>/dev/null; then
	unshare -n "$A" audit run --epoch 2 --once "${common[@]}" --committee "$T/committee.json" \
		--window-ms 1000 --epoch-start now --log-level error >"$T/run2.out" 2>"$T/run2.err"
	outcomes=$(count "SELECT string_agg(DISTINCT outcome, ',') FROM challenges WHERE epoch = 2")
	[ "$outcomes" = "auditor_error" ] && ok "no network: every outcome is auditor_error" ||
		fail "no network gave outcomes '$outcomes': $(tail -3 "$T/run2.err")"
	grep -E '^0 ' "$T/run2.out" | grep -q ' - ' && ok "auditor_error is not scored" ||
		fail "auditor_error was scored: $(cat "$T/run2.out")"
else
	echo "skip no network namespaces here"
fi
# Nobody answers and the canary fails too: the auditor cannot blame the nodes.
dead=()
for i in $(seq 0 $((NODES - 1))); do dead+=("http://127.0.0.1:$(free_port)"); done
mkcommittee "$T/dead.json" "${dead[@]}"
"$A" audit run --epoch 3 --once "${common[@]}" --committee "$T/dead.json" --window-ms 500 \
	--epoch-start now --canary-url "http://127.0.0.1:$(free_port)/" --log-level error \
	>"$T/run3.out" 2>"$T/run3.err"
outcomes=$(count "SELECT string_agg(DISTINCT outcome, ',') FROM challenges WHERE epoch = 3")
[ "$outcomes" = "auditor_error" ] && ok "canary down too: auditor_error" || fail "canary rule gave '$outcomes'"
# Nobody answers but the canary does: the nodes are down.
"$A" audit run --epoch 4 --once "${common[@]}" --committee "$T/dead.json" --window-ms 500 \
	--epoch-start now --canary-url "${urls[0]}/v1/health" --log-level error >"$T/run4.out" 2>&1
outcomes=$(count "SELECT string_agg(DISTINCT outcome, ',') FROM challenges WHERE epoch = 4")
[ "$outcomes" = "unreachable" ] && ok "canary up: the nodes are unreachable" || fail "gave '$outcomes'"

# ---- 3. hostile nodes ----
hports=()
for i in 1 2 3 4; do hports+=("$(free_port)"); done
python3 - "${hports[@]}" "${urls[5]}" "$N" >"$T/hostile.log" 2>&1 <<'EOF' &
import sys, threading, time, urllib.request, urllib.error
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
ports, upstream, n = sys.argv[1:5], sys.argv[5], int(sys.argv[6])
def fetch(path):
    with urllib.request.urlopen(upstream + path, timeout=5) as r:
        return r.status, r.read()
def uleb(b, i):
    v = sh = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << sh; sh += 7
        if c < 0x80: return v, i
def relabel(b, n):
    # ULEB count, then tag u8, index u16, ULEB len + data, target u16, ULEB count + Nodes:
    # every symbol keeps its data and proof but claims the next target index.
    b = bytearray(b); count, i = uleb(b, 0)
    for _ in range(count):
        i += 3; ln, i = uleb(b, i); i += ln
        t = (int.from_bytes(b[i:i + 2], "little") + 1) % n
        b[i:i + 2] = t.to_bytes(2, "little"); i += 2
        pc, i = uleb(b, i)
        for _ in range(pc):
            i += 33 if b[i] == 1 else 1
    return bytes(b)
class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def do_GET(self):
        mode = self.server.mode
        try:
            if mode == "endless":          # a body that never ends
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.end_headers()
                chunk = b"\x00" * 65536
                while True:
                    self.wfile.write(chunk)
            elif mode == "slowloris":      # headers trickling in, a byte at a time
                for b in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 10000:
                    self.wfile.write(bytes([b])); self.wfile.flush(); time.sleep(0.3)
            elif mode == "uleb":           # genuine metadata; symbols with a 2^32 length
                if self.path.endswith("/metadata"):
                    st, body = fetch(self.path)
                else:
                    body = b"\x01\x01\x00\x00" + b"\xff\xff\xff\xff\x0f" + b"\x00" * 64
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers(); self.wfile.write(body)
            elif mode == "otherindex":     # genuine symbols relabelled: another target index
                try:
                    st, body = fetch(self.path)
                except urllib.error.HTTPError as e:
                    st, body = e.code, e.read()
                if st == 200 and "recoverySymbols" in self.path:
                    body = relabel(body, n)
                self.send_response(st)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers(); self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
servers = []
for p, mode in zip(ports, ["endless", "slowloris", "uleb", "otherindex"]):
    s = ThreadingHTTPServer(("127.0.0.1", int(p)), H)
    s.daemon_threads = True
    s.mode = mode
    threading.Thread(target=s.serve_forever, daemon=True).start()
print("ready", flush=True)
while True:
    time.sleep(1)
EOF
pids+=($!)
# up to 60 s for the hostile server; if it never comes up, say why rather than blaming it
for _ in $(seq 1 1200); do grep -q ready "$T/hostile.log" && break; sleep 0.05; done
grep -q ready "$T/hostile.log" || { echo "the hostile server did not start:"; cat "$T/hostile.log"; exit 1; }
# Nodes 0, 1 healthy; 2..5 hostile (node 5 is its real node behind the "otherindex" proxy).
mkcommittee "$T/hostile.json" "${urls[0]}" "${urls[1]}" "http://127.0.0.1:${hports[0]}" \
	"http://127.0.0.1:${hports[1]}" "http://127.0.0.1:${hports[2]}" "http://127.0.0.1:${hports[3]}"
"$A" audit run --epoch 5 --once "${common[@]}" --committee "$T/hostile.json" --window-ms 2000 \
	--epoch-start now --log-level error >"$T/run5.out" 2>"$T/run5.err" &
apid=$!
peak=0
while kill -0 "$apid" 2>/dev/null; do
	kb=$(awk '/VmHWM/ {print $2}' "/proc/$apid/status" 2>/dev/null)
	[ -n "$kb" ] && [ "$kb" -gt "$peak" ] && peak=$kb
	sleep 0.2
done
wait "$apid"
cat "$T/run5.out"
python3 - "$T/run5.out" <<'EOF' || fails=$((fails + 1))
import sys
rows = {}
for line in open(sys.argv[1]):
    f = line.split()
    if f and f[0].isdigit():
        rows[int(f[0])] = f
fails = 0
def check(name, cond):
    global fails
    print(("ok   " if cond else "FAIL ") + name)
    fails += 0 if cond else 1
check("healthy nodes pass everything beside hostile ones",
      all(rows[i][5] == "100.0%" for i in (0, 1)))
check("endless body: bad_metadata (the metadata answer is over its cap)",
      "bad_metadata=" in rows[2][6] and "pass" not in rows[2][6])
check("slowloris: timeout", rows[3][6].startswith("timeout=") and "," not in rows[3][6])
check("huge ULEB128 length: malformed", rows[4][6].startswith("malformed=") and "," not in rows[4][6])
check("proofs for another index: invalid_proof", rows[5][6].startswith("invalid_proof=") and "," not in rows[5][6])
sys.exit(1 if fails else 0)
EOF
echo "     auditor peak RSS ${peak} kB"
[ "$peak" -gt 0 ] && [ "$peak" -lt 150000 ] && ok "memory stays bounded (${peak} kB)" || fail "peak RSS ${peak} kB"

if [ "$fails" -ne 0 ]; then
	echo "$fails checks failed"
	exit 1
fi
echo "all auditor outage checks passed"
