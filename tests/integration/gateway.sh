#!/usr/bin/env bash
# fixtures:
# gateway.sh: the CDN edge (assay gateway serve) over real storage nodes from a committee
# file: whole reads and a table of range cases byte for byte, HEAD, 304, 416, 404, content
# types, a node corrupting every symbol it serves, f nodes stopped, a hedged slow node,
# nodes dying during a streamed read (a correct body or an aborted connection, never a
# short one), cached hits on one event loop while streams wait for frozen nodes, the
# limits (max-fetches and max-requests: 503 + Retry-After; per-IP rate: 429; idle clients
# dropped), 200 concurrent requests for one cold blob fetching each symbol once (counted
# by the nodes), and cache entries corrupted or truncated on disk never served.
# (The chain path, certified/expired blobs and the max-age from the blob's lifetime, is
# checked by the main command, deploy/network.sh, which reads every blob through it.)
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:?run through ctest}
# shellcheck source=../../deploy/lib.sh
source "$SRC/deploy/lib.sh"
T=$(mktemp -d /tmp/assay-gateway-test.XXXXXX)
# shellcheck source=lib/nodes.sh
source "$SRC/tests/integration/lib/nodes.sh"
cleanup_extra() { # the gateway, before the nodes it reads from
	[ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null && wait "$GW_PID" 2>/dev/null
}
PY=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)
GW_PID=
GW_NAME=

N=20
K=7
cluster g $N $K || exit 1

# ---- blobs ----
mkdir -p "$T/blobs"
: >"$T/blobs/empty"
printf 'x' >"$T/blobs/one"
printf '<!doctype html><html><body>hello from a blob</body></html>\n' >"$T/blobs/page.html"
"$PY" - "$T/blobs" <<'PYEOF'
import random, sys, struct, zlib
d = sys.argv[1]
r = random.Random(7)
open(d + "/small", "wb").write(bytes(r.getrandbits(8) for _ in range(1000)))
open(d + "/mid", "wb").write(bytes(r.getrandbits(8) for _ in range(200_000)))
open(d + "/big", "wb").write(r.randbytes(5_000_000))
open(d + "/cold", "wb").write(r.randbytes(3_000_000))
open(d + "/cold2", "wb").write(r.randbytes(2_000_000))
open(d + "/stream", "wb").write(r.randbytes(6_000_000))
png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", 13) + b"IHDR" + r.randbytes(2000)
open(d + "/img.png", "wb").write(png)
PYEOF
declare -A ID
for f in empty one page.html small mid big cold cold2 stream img.png; do
	ID[$f]=$("$A" blob put "$T/blobs/$f" --committee "$T/g.json" --json 2>>"$T/put.log" | jq -r .blob_id)
	[ -n "${ID[$f]}" ] && [ "${ID[$f]}" != null ] || { bad "blob put $f: $(tail -2 "$T/put.log")"; exit 1; }
done
ok "stored ${#ID[@]} blobs on $K nodes ($N shards)"

# gw_start NAME [flags]: a gateway on a free port over the committee, healthy
gw_start() {
	local name=$1; shift
	gw_stop
	GW_NAME=$name
	GW_PORT=$(free_port)
	"$A" gateway serve --listen "127.0.0.1:$GW_PORT" --committee "$T/g.json" \
		--cache-dir "$T/cache-$name" --cache-mib 256 --log-level info "$@" >>"$T/gw-$name.log" 2>&1 &
	GW_PID=$!
	GW="http://127.0.0.1:$GW_PORT"
	for _ in $(seq 1 200); do
		kill -0 "$GW_PID" 2>/dev/null || { bad "gateway $name did not start: $(tail -2 "$T/gw-$name.log")"; GW_PID=; return 1; }
		curl -sf "$GW/healthz" >/dev/null 2>&1 && return 0
		sleep 0.05
	done
	bad "gateway $name never became healthy"
}
gw_stop() { # SIGTERM: it must exit 0 (a sanitizer build reports leaks and errors here)
	[ -n "$GW_PID" ] || return 0
	kill "$GW_PID" 2>/dev/null
	wait "$GW_PID" 2>/dev/null
	local rc=$?
	[ $rc -eq 0 ] || bad "gateway $GW_NAME exited $rc on SIGTERM: $(grep -m3 -E 'ERROR|SUMMARY|leak' "$T/gw-$GW_NAME.log" || tail -2 "$T/gw-$GW_NAME.log")"
	GW_PID=
}
# fetch URL OUT [curl args]: prints the status code; headers in OUT.h
fetch() {
	local url=$1 out=$2; shift 2
	curl -s -o "$out" -D "$out.h" -w '%{http_code}' "$@" "$url" 2>/dev/null
}
hdr() { grep -i "^$1:" "$2.h" | head -1 | cut -d' ' -f2- | tr -d '\r'; }
# served: the nodes' counters summed (metadata symbolRequests symbols slivers)
served() {
	local m=0 r=0 s=0 v=0 i out
	for ((i = 0; i < K; i++)); do
		[ -n "${PID[g$i]:-}" ] || continue
		out=$(curl -sf "http://127.0.0.1:${PORT[g$i]}/v1/health" | jq -r '.success.data.served | "\(.metadata) \(.symbolRequests) \(.symbols) \(.slivers)"')
		read -r a b c d <<<"$out"
		m=$((m + a)); r=$((r + b)); s=$((s + c)); v=$((v + d))
	done
	echo "$m $r $s $v"
}
# nsym LEN: source symbols holding LEN bytes at n = N
nsym() {
	"$PY" -c '
import sys
n, L = int(sys.argv[1]), int(sys.argv[2])
f = (n - 1) // 3; kp, ks = n - 2 * f, n - f
ss = -(-max(L, 1) // (kp * ks)); ss += ss % 2
print(-(-L // ss))' "$N" "$1"
}

gw_start main --hedge-ms 5000 || exit 1

# ---- whole reads ----
for f in empty one page.html small mid big img.png; do
	code=$(fetch "$GW/v1/blobs/${ID[$f]}" "$T/out")
	if [ "$code" = 200 ] && cmp -s "$T/out" "$T/blobs/$f"; then ok "GET $f whole"; else bad "GET $f whole: $code, $(stat -c %s "$T/out" 2>/dev/null) bytes"; fi
done
fetch "$GW/v1/blobs/${ID[big]}" "$T/out" >/dev/null
expect "ETag is the quoted blob ID" "\"${ID[big]}\"" "$(hdr etag "$T/out")"
expect "Accept-Ranges" bytes "$(hdr accept-ranges "$T/out")"
expect "Cache-Control without a chain" "public, max-age=3600, immutable" "$(hdr cache-control "$T/out")"
expect "nosniff" nosniff "$(hdr x-content-type-options "$T/out")"
expect "random bytes are octet-stream" application/octet-stream "$(hdr content-type "$T/out")"
fetch "$GW/v1/blobs/${ID[page.html]}" "$T/out" >/dev/null
expect "HTML sniffed" "text/html; charset=utf-8" "$(hdr content-type "$T/out")"
fetch "$GW/v1/blobs/${ID[img.png]}" "$T/out" >/dev/null
expect "PNG sniffed" image/png "$(hdr content-type "$T/out")"
fetch "$GW/v1/blobs/${ID[big]}?content-type=image/gif&filename=cat.gif" "$T/out" >/dev/null
expect "?content-type= overrides" image/gif "$(hdr content-type "$T/out")"
expect "?filename= sets Content-Disposition" "inline; filename=\"cat.gif\"; filename*=UTF-8''cat.gif" "$(hdr content-disposition "$T/out")"
expect "a bad content-type is refused" 400 "$(fetch "$GW/v1/blobs/${ID[big]}?content-type=x" "$T/out")"

# ---- HEAD, 304, 404, 400 ----
code=$(curl -s -I -o "$T/head.h" -w '%{http_code}' "$GW/v1/blobs/${ID[big]}")
expect "HEAD status" 200 "$code"
expect "HEAD Content-Length" 5000000 "$(grep -i '^content-length:' "$T/head.h" | tr -dc 0-9)"
expect "If-None-Match -> 304" 304 "$(fetch "$GW/v1/blobs/${ID[big]}" "$T/out" -H "If-None-Match: \"${ID[big]}\"")"
expect "If-None-Match * -> 304" 304 "$(fetch "$GW/v1/blobs/${ID[mid]}" "$T/out" -H "If-None-Match: *")"
expect "another ETag -> 200" 200 "$(fetch "$GW/v1/blobs/${ID[mid]}" "$T/out" -H 'If-None-Match: "other"')"
unknown=$("$PY" -c 'import base64,os; print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))')
expect "unknown blob -> 404" 404 "$(fetch "$GW/v1/blobs/$unknown" "$T/out")"
expect "404 cached briefly" "public, max-age=5" "$(hdr cache-control "$T/out")"
expect "bad blob ID -> 400" 400 "$(fetch "$GW/v1/blobs/not-a-blob-id" "$T/out")"
expect "POST -> 405" 405 "$(fetch "$GW/v1/blobs/${ID[big]}" "$T/out" -X POST)"
expect "PUT without a publisher -> 405" 405 "$(fetch "$GW/v1/blobs?epochs=1" "$T/out" -X PUT --data-binary @"$T/blobs/one")"
expect "unknown route -> 404" 404 "$(fetch "$GW/v2/x" "$T/out")"
expect "metrics" 200 "$(fetch "$GW/metrics" "$T/out")"

# ---- ranges: STATUS FIRST LAST (inclusive; '-' for none) per case ----
# range_case NAME BLOB HEADER WANT_STATUS WANT_FIRST WANT_LAST
range_case() {
	local name=$1 f=$2 h=$3 st=$4 a=${5:-} b=${6:-} code len
	len=$(stat -c %s "$T/blobs/$f")
	if [ -n "$h" ]; then
		code=$(fetch "$GW/v1/blobs/${ID[$f]}" "$T/r" -H "Range: $h")
	else
		code=$(fetch "$GW/v1/blobs/${ID[$f]}" "$T/r")
	fi
	if [ "$code" != "$st" ]; then bad "range $name ($h): status $code, wanted $st"; return; fi
	case $st in
	206)
		"$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[int(sys.argv[2]):int(sys.argv[3])+1])' "$T/blobs/$f" "$a" "$b" >"$T/want"
		local cr; cr=$(hdr content-range "$T/r")
		if [ "$cr" != "bytes $a-$b/$len" ]; then bad "range $name: Content-Range '$cr', wanted 'bytes $a-$b/$len'"; return; fi
		cmp -s "$T/r" "$T/want" || { bad "range $name: wrong bytes"; return; } ;;
	200) cmp -s "$T/r" "$T/blobs/$f" || { bad "range $name: 200 but not the whole blob"; return; } ;;
	416) [ "$(hdr content-range "$T/r")" = "bytes */$len" ] || { bad "range $name: 416 without Content-Range bytes */$len"; return; } ;;
	esac
	ok "range $name ($h) -> $st"
}
L=5000000
SS=$("$PY" -c 'n=20; f=(n-1)//3; kp,ks=n-2*f,n-f; L=5000000; ss=-(-L//(kp*ks)); ss+=ss%2; print(ss, ks*ss)')
read -r SYM ROW <<<"$SS"
range_case first-byte big "bytes=0-0" 206 0 0
range_case open big "bytes=0-" 206 0 $((L - 1))
range_case last-byte big "bytes=$((L - 1))-" 206 $((L - 1)) $((L - 1))
range_case suffix-1 big "bytes=-1" 206 $((L - 1)) $((L - 1))
range_case suffix-all big "bytes=-$L" 206 0 $((L - 1))
range_case suffix-past big "bytes=-$((L + 10))" 206 0 $((L - 1))
range_case closed-all big "bytes=0-$((L - 1))" 206 0 $((L - 1))
range_case closed-past big "bytes=0-$((L + 100))" 206 0 $((L - 1))
range_case at-len big "bytes=$L-" 416
range_case past-end big "bytes=$((L + 5))-$((L + 10))" 416
range_case suffix-0 big "bytes=-0" 416
range_case reversed big "bytes=100-99" 200
range_case garbage big "bytes=abc" 200
range_case other-unit big "items=0-5" 200
range_case multi big "bytes=0-9,20-29" 200
range_case coalesced big "bytes=0-9,5-19" 206 0 19
range_case spaces big " bytes=0-1, 2-3" 206 0 3
range_case symbol-edge big "bytes=$((SYM - 1))-$SYM" 206 $((SYM - 1)) $SYM
range_case row-edge big "bytes=$((ROW - 10))-$((ROW + 9))" 206 $((ROW - 10)) $((ROW + 9))
range_case middle big "bytes=1000000-1999999" 206 1000000 1999999
range_case one-first one "bytes=0-0" 206 0 0
range_case one-suffix one "bytes=-1" 206 0 0
range_case one-past one "bytes=1-" 416
range_case empty-range empty "bytes=0-0" 416
range_case empty-suffix empty "bytes=-5" 416
range_case small-tail small "bytes=990-" 206 990 999
code=$(fetch "$GW/v1/blobs/${ID[big]}" "$T/r" -H "Range: bytes=10-19" -H "If-Range: \"${ID[big]}\"")
expect "If-Range matching -> 206" 206 "$code"
code=$(fetch "$GW/v1/blobs/${ID[big]}" "$T/r" -H "Range: bytes=10-19" -H 'If-Range: "stale"')
if [ "$code" = 200 ] && cmp -s "$T/r" "$T/blobs/big"; then ok "If-Range not matching -> whole 200"; else bad "If-Range not matching: $code"; fi
code=$(fetch "$GW/v1/blobs/${ID[big]}/byte-range?start=10&length=100" "$T/r")
"$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[10:110])' "$T/blobs/big" >"$T/want"
if [ "$code" = 206 ] && cmp -s "$T/r" "$T/want"; then ok "byte-range?start=&length= (Walrus)"; else bad "byte-range: $code"; fi
expect "byte-range past the end -> 416" 416 "$(fetch "$GW/v1/blobs/${ID[big]}/byte-range?start=$L&length=1" "$T/r")"
expect "byte-range without length -> 400" 400 "$(fetch "$GW/v1/blobs/${ID[big]}/byte-range?start=1" "$T/r")"

# ---- a range of a cold blob fetches only its symbols ----
before=$(served)
code=$(fetch "$GW/v1/blobs/${ID[cold2]}" "$T/r" -H "Range: bytes=700000-799999")
after=$(served)
syms=$(( $(echo "$after" | cut -d' ' -f3) - $(echo "$before" | cut -d' ' -f3) ))
ss2=$("$PY" -c 'n=20; f=(n-1)//3; kp,ks=n-2*f,n-f; L=2000000; ss=-(-L//(kp*ks)); ss+=ss%2; print(ss)')
# the symbols covering the range, plus the first one for sniffing the content type
want=$(( (799999 / ss2) - (700000 / ss2) + 1 + 1 ))
expect "cold range read: status" 206 "$code"
if [ "$syms" -le "$want" ] && [ "$syms" -ge 1 ]; then ok "cold 100 kB range fetched $syms symbols of $ss2 bytes (<= $want)"; else bad "cold range fetched $syms symbols, wanted <= $want"; fi

# ---- 200 concurrent requests for one cold blob: one fetch ----
mkdir -p "$T/conc"
before=$(served)
for i in $(seq 1 200); do
	curl -s -o "$T/conc/$i" "$GW/v1/blobs/${ID[cold]}" &
done
wait_curls=0
for job in $(jobs -p); do
	[ "$job" = "$GW_PID" ] && continue
	case " ${PID[*]} " in *" $job "*) continue ;; esac
	wait "$job" || wait_curls=$((wait_curls + 1))
done
after=$(served)
good=0
for i in $(seq 1 200); do cmp -s "$T/conc/$i" "$T/blobs/cold" && good=$((good + 1)); done
rm -rf "$T/conc"
expect "200 concurrent cold reads correct" 200 "$good"
syms=$(( $(echo "$after" | cut -d' ' -f3) - $(echo "$before" | cut -d' ' -f3) ))
mds=$(( $(echo "$after" | cut -d' ' -f1) - $(echo "$before" | cut -d' ' -f1) ))
expect "200 concurrent cold reads: each symbol fetched once" "$(nsym 3000000)" "$syms"
if [ "$mds" -le 2 ]; then ok "200 concurrent cold reads: $mds metadata fetch(es)"; else bad "$mds metadata fetches for one cold blob"; fi

# ---- cache entries corrupted or truncated on disk are never served ----
entry="$T/cache-main/${ID[mid]}.blob"
for _ in $(seq 1 100); do [ -f "$entry" ] && break; sleep 0.05; done
[ -f "$entry" ] && ok "whole read cached ($entry)" || bad "no cache entry for a whole read"
printf '\xff\xfe' | dd of="$entry" bs=1 seek=$((4096 + 1234)) conv=notrunc status=none
touch -d '2000-01-01' "$entry" # even with the mtime put back, the ctime gives it away
code=$(fetch "$GW/v1/blobs/${ID[mid]}" "$T/out")
if [ "$code" = 200 ] && cmp -s "$T/out" "$T/blobs/mid"; then ok "corrupted cache entry not served"; else bad "corrupted cache entry: $code"; fi
for _ in $(seq 1 100); do [ -f "$entry" ] && break; sleep 0.05; done
truncate -s 50000 "$entry"
code=$(fetch "$GW/v1/blobs/${ID[mid]}" "$T/out")
if [ "$code" = 200 ] && cmp -s "$T/out" "$T/blobs/mid"; then ok "truncated cache entry not served"; else bad "truncated cache entry: $code"; fi
for _ in $(seq 1 100); do [ -f "$entry" ] && [ "$(stat -c %s "$entry")" -gt 50000 ] && break; sleep 0.05; done
gw_stop
printf '\x00' | dd of="$entry" bs=1 seek=5000 conv=notrunc status=none
gw_start main --hedge-ms 5000 || exit 1
grep -q "dropping .*${ID[mid]}" "$T/gw-main.log" && ok "corrupted entry dropped at start" || bad "corrupted entry not dropped at start"
code=$(fetch "$GW/v1/blobs/${ID[mid]}" "$T/out")
if [ "$code" = 200 ] && cmp -s "$T/out" "$T/blobs/mid"; then ok "read after a restart with a bad entry"; else bad "read after restart: $code"; fi
code=$(fetch "$GW/v1/blobs/${ID[big]}" "$T/out")
if [ "$code" = 200 ] && cmp -s "$T/out" "$T/blobs/big"; then ok "good entries survive a restart"; else bad "big after restart: $code"; fi

# ---- a node corrupting every symbol it serves and one answering garbage (6 shards: f)
# never yield a wrong byte ----
stop g3
start g3 "$T/g.json" 3 "${PORT[g3]}" "$T/g-data3" --fault-corrupt 1 || exit 1
stop g4
start g4 "$T/g.json" 4 "${PORT[g4]}" "$T/g-data4" --fault-garbage || exit 1
gw_start corrupt --hedge-ms 5000 || exit 1
for f in big mid small; do
	code=$(fetch "$GW/v1/blobs/${ID[$f]}" "$T/out")
	if [ "$code" = 200 ] && cmp -s "$T/out" "$T/blobs/$f"; then ok "lying and garbage nodes: $f whole correct"; else bad "lying and garbage nodes: $f: $code"; fi
done
range_case lying-node-range big "bytes=1234567-2345678" 206 1234567 2345678
curl -s "$GW/metrics" >"$T/metrics.txt"; grep -q "node_fetch_failures_total{node=\"http://127.0.0.1:${PORT[g3]}\",reason=\"invalid_symbol\"}" "$T/metrics.txt" &&
	ok "the lying node's dropped answers are counted" ||
	bad "no invalid_symbol failures counted for the lying node (port ${PORT[g3]}): $(curl -s "$GW/metrics" | grep node_fetch_failures | tr '\n' ' '); $(grep -c "fail verification" "$T/gw-corrupt.log") verification warnings"
stop g3
start g3 "$T/g.json" 3 "${PORT[g3]}" "$T/g-data3" || exit 1
stop g4
start g4 "$T/g.json" 4 "${PORT[g4]}" "$T/g-data4" || exit 1

# ---- f nodes stopped: 5 of 20 shards gone (f = 6) ----
stop g5
stop g6
gw_start down --hedge-ms 5000 || exit 1
for f in big cold stream one; do
	code=$(fetch "$GW/v1/blobs/${ID[$f]}" "$T/out")
	if [ "$code" = 200 ] && cmp -s "$T/out" "$T/blobs/$f"; then ok "2 nodes down: $f whole correct"; else bad "2 nodes down: $f: $code"; fi
done
range_case down-range big "bytes=4000000-4999999" 206 4000000 4999999
start g5 "$T/g.json" 5 "${PORT[g5]}" "$T/g-data5" || exit 1
start g6 "$T/g.json" 6 "${PORT[g6]}" "$T/g-data6" || exit 1

# ---- a slow node is hedged ----
stop g1
start g1 "$T/g.json" 1 "${PORT[g1]}" "$T/g-data1" --fault-slow-ms 20000 || exit 1
gw_start hedge --hedge-ms 300 --node-timeout-ms 30000 || exit 1
code=$(fetch "$GW/v1/blobs/${ID[big]}" "$T/out" --max-time 15)
if [ "$code" = 200 ] && cmp -s "$T/out" "$T/blobs/big"; then ok "slow node hedged: whole read correct well before its answers"; else bad "slow node: $code"; fi
stop g1
start g1 "$T/g.json" 1 "${PORT[g1]}" "$T/g-data1" || exit 1

# ---- nodes dying during a streamed read: a correct body or an aborted connection ----
for ((i = 0; i < K; i++)); do
	stop "g$i"
	start "g$i" "$T/g.json" "$i" "${PORT[g$i]}" "$T/g-data$i" --fault-slow-ms 400 || exit 1
done
# ---- limits on the event loops: fetches, requests in flight, per-IP rate, idle clients ----
# Metadata and content types are loaded first; then the nodes are frozen (SIGSTOP), so a
# cold read holds its request and its fetch until they are thawed.
gw_start limits --max-fetches 1 --max-requests 2 --hedge-ms 20000 --node-timeout-ms 30000 || exit 1
for f in cold cold2; do curl -s -I -o /dev/null "$GW/v1/blobs/${ID[$f]}"; done
for ((i = 0; i < K; i++)); do kill -STOP "${PID[g$i]}"; done
# A request is counted from its arrival until libmicrohttpd's completion callback, which
# can run after its client has the answer (a loaded machine, ASan): each step therefore
# waits on the gauges of /metrics (not counted itself) for the requests before it to be
# out, rather than on its client having returned.
gauges() { # REQUESTS FETCHES: wait until the gateway's in-flight gauges are these
	for _ in $(seq 1 400); do
		curl -s "$GW/metrics" >"$T/gauges"
		grep -qx "assay_gateway_inflight_requests $1" "$T/gauges" &&
			grep -qx "assay_gateway_inflight_fetches $2" "$T/gauges" && return 0
		sleep 0.05
	done
	echo "# gauges: $(grep '^assay_gateway_inflight' "$T/gauges" | tr '\n' ' ')(wanted $1 requests, $2 fetches)"
	return 1
}
gauges 0 0 || bad "limits: the HEAD requests are still counted"
curl -s -o "$T/held1" -w '%{http_code}' "$GW/v1/blobs/${ID[cold]}" >"$T/held1.code" &
h1=$!
gauges 1 1 || bad "max-fetches: the first held read is not counted as one request and one fetch"
code=$(fetch "$GW/v1/blobs/${ID[cold2]}" "$T/out")
expect "max-fetches: a second cold blob is refused 503 while one is fetched" 503 "$code"
expect "max-fetches: ... with Retry-After" 1 "$(hdr retry-after "$T/out")"
grep -q "fetching as many blobs" "$T/out" && ok "max-fetches: ... saying so" || bad "max-fetches: the 503 says: $(cat "$T/out")"
gauges 1 1 || bad "max-fetches: the refused request is still counted"
curl -s -o "$T/held2" -w '%{http_code}' "$GW/v1/blobs/${ID[cold]}" >"$T/held2.code" &
h2=$!
gauges 2 1 && ok "max-requests: the second held read shares the first one's fetch" ||
	bad "max-requests: the second held read: $(cat "$T/held2.code" 2>/dev/null) $(head -c 300 "$T/held2" 2>/dev/null)"
code=$(fetch "$GW/healthz" "$T/out")
expect "max-requests: a third request is refused 503 while two are answered" 503 "$code"
expect "max-requests: ... with Retry-After" 1 "$(hdr retry-after "$T/out")"
grep -q "answering as many requests" "$T/out" && ok "max-requests: ... saying so" || bad "max-requests: the 503 says: $(cat "$T/out")"
for ((i = 0; i < K; i++)); do kill -CONT "${PID[g$i]}"; done
wait $h1 $h2
held=0
for h in held1 held2; do
	if [ "$(cat "$T/$h.code")" = 200 ] && cmp -s "$T/$h" "$T/blobs/cold"; then
		held=$((held + 1))
	else
		echo "# $h: HTTP $(cat "$T/$h.code"): $(head -c 300 "$T/$h")"
	fi
done
expect "max-requests: thawed, both held reads end 200 with the blob" 2 "$held"
gw_start rate --gateway-rate 1 --gateway-burst 3 --client-timeout-s 1 || exit 1
limited=0
for _ in $(seq 1 10); do
	code=$(fetch "$GW/healthz" "$T/out")
	[ "$code" = 429 ] && { limited=1; break; }
done
expect "gateway-rate: a burst past it is refused 429" 1 "$limited"
[ -n "$(hdr retry-after "$T/out")" ] && ok "gateway-rate: ... with Retry-After $(hdr retry-after "$T/out")" || bad "gateway-rate: 429 without Retry-After"
exec 3<>"/dev/tcp/127.0.0.1/$GW_PORT"
printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&3 # the request never ends
timeout 20 cat <&3 >/dev/null
expect "client-timeout-s: a client that stops sending is dropped" 0 $?
exec 3<&-
gw_stop

# ---- streams waiting for the nodes on one event loop do not hold up cached hits ----
# One loop thread. Metadata, content types and one cached blob are loaded while the nodes
# answer in 400 ms; then every node answers in 5 s and eight range reads of cold blobs are
# started. Once one of them has its first verified bytes, every node is frozen (SIGSTOP):
# no stream can get further, and cached hits sent now are all answered, correct (a reader
# blocking the loop while it waits would hold them). Thawed, every stream ends 206 with its
# exact bytes.
gw_start slowmix --gateway-threads 1 --hedge-ms 20000 --node-timeout-ms 30000 || exit 1
code=$(fetch "$GW/v1/blobs/${ID[mid]}" "$T/out")
[ "$code" = 200 ] && cmp -s "$T/out" "$T/blobs/mid" || bad "slowmix: warming mid: $code"
for _ in $(seq 1 100); do [ -f "$T/cache-slowmix/${ID[mid]}.blob" ] && break; sleep 0.05; done
hpids=()
for f in big stream cold cold2; do curl -s -I -o /dev/null "$GW/v1/blobs/${ID[$f]}" & hpids+=($!); done
wait "${hpids[@]}"
for ((i = 0; i < K; i++)); do
	stop "g$i"
	start "g$i" "$T/g.json" "$i" "${PORT[g$i]}" "$T/g-data$i" --fault-slow-ms 5000 || exit 1
done
spids=()
k=0
for f in big stream cold cold2; do
	for off in 0 1300000; do
		: >"$T/slow$k"
		curl -s -o "$T/slow$k" -w '%{http_code}' -H "Range: bytes=$off-$((off + 999999))" \
			"$GW/v1/blobs/${ID[$f]}" >"$T/slow$k.code" &
		spids+=($!)
		"$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); o=int(sys.argv[2]); sys.stdout.buffer.write(d[o:o+1000000])' \
			"$T/blobs/$f" "$off" >"$T/slow$k.want"
		k=$((k + 1))
	done
done
midway=0
for _ in $(seq 1 600); do # until a stream has sent its first bytes, then freeze the nodes
	for ((k = 0; k < 8; k++)); do
		sz=$(stat -c %s "$T/slow$k")
		[ "$sz" -gt 0 ] && [ "$sz" -lt 1000000 ] && midway=$((midway + 1))
	done
	[ $midway -gt 0 ] && break
	sleep 0.02
done
for ((i = 0; i < K; i++)); do kill -STOP "${PID[g$i]}"; done
midway=0
for ((k = 0; k < 8; k++)); do
	sz=$(stat -c %s "$T/slow$k")
	[ "$sz" -gt 0 ] && [ "$sz" -lt 1000000 ] && midway=$((midway + 1))
done
[ $midway -gt 0 ] && ok "slowmix: nodes frozen with $midway of 8 streams sent in part" ||
	bad "slowmix: no stream had sent part of its range when the nodes were frozen"
hits=0
for _ in $(seq 1 30); do
	code=$(fetch "$GW/v1/blobs/${ID[mid]}" "$T/out" --max-time 10)
	[ "$code" = 200 ] && cmp -s "$T/out" "$T/blobs/mid" && hits=$((hits + 1))
done
expect "slowmix: 30 cached hits answered and correct while those streams wait" 30 "$hits"
for ((i = 0; i < K; i++)); do kill -CONT "${PID[g$i]}"; done
good=0
for ((k = 0; k < 8; k++)); do
	wait "${spids[$k]}"
	[ "$(cat "$T/slow$k.code")" = 206 ] && cmp -s "$T/slow$k" "$T/slow$k.want" && good=$((good + 1))
done
expect "slowmix: thawed, every stream ended 206 with its exact bytes" 8 "$good"
gw_stop
for ((i = 0; i < K; i++)); do
	stop "g$i"
	start "g$i" "$T/g.json" "$i" "${PORT[g$i]}" "$T/g-data$i" --fault-slow-ms 400 || exit 1
done

gw_start stream --hedge-ms 10000 --fetch-parallel 1 || exit 1
curl -s -o "$T/stream.out" "$GW/v1/blobs/${ID[stream]}" &
cpid=$!
sleep 1.5
for i in 0 1 2 3; do stop "g$i"; done
wait $cpid
rc=$?
if [ $rc -eq 0 ]; then
	cmp -s "$T/stream.out" "$T/blobs/stream" && ok "stream finished correctly before the nodes died" ||
		bad "streamed read ended with success but a wrong body ($(stat -c %s "$T/stream.out") bytes)"
else
	ok "stream aborted (curl exit $rc) after $(stat -c %s "$T/stream.out") of 6000000 bytes when 4 nodes died"
fi
gw_stop

# ---- deploy/nginx/assay-gateway.conf: nginx in front of the gateway, caching ----
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
if [ -x "$NGINX" ] && command -v openssl >/dev/null; then
	for ((i = 0; i < K; i++)); do
		stop "g$i"
		start "g$i" "$T/g.json" "$i" "${PORT[g$i]}" "$T/g-data$i" || exit 1
	done
	gw_start nginx --hedge-ms 5000 || exit 1
	mkdir -p "$T/ngx/logs" "$T/ngx/cache"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=localhost -keyout "$T/ngx/key.pem" \
		-out "$T/ngx/cert.pem" >/dev/null 2>&1
	NG_TLS=$(free_port)
	sed -e "s|/var/cache/nginx/assay|$T/ngx/cache|; s|127.0.0.1:8090|127.0.0.1:$GW_PORT|" \
		-e "s|listen 443 ssl http2;|listen 127.0.0.1:$NG_TLS ssl;|" \
		-e "s|/etc/ssl/certs/blobs.example.org.pem|$T/ngx/cert.pem|; s|/etc/ssl/private/blobs.example.org.key|$T/ngx/key.pem|" \
		"$SRC/deploy/nginx/assay-gateway.conf" >"$T/ngx/site.conf"
	cat >"$T/ngx/nginx.conf" <<CONF
daemon off;
user $(id -un);
pid $T/ngx/nginx.pid;
error_log $T/ngx/logs/error.log warn;
events { worker_connections 256; }
http { access_log off; include $T/ngx/site.conf; }
CONF
	if "$NGINX" -t -p "$T/ngx" -c "$T/ngx/nginx.conf" >"$T/ngx/t.log" 2>&1; then
		ok "deploy/nginx/assay-gateway.conf passes nginx -t"
		"$NGINX" -p "$T/ngx" -c "$T/ngx/nginx.conf" &
		PID[nginx]=$!
		for _ in $(seq 1 100); do curl -skf "https://127.0.0.1:$NG_TLS/healthz" >/dev/null && break; sleep 0.05; done
		NG="https://127.0.0.1:$NG_TLS"
		code=$(curl -sk -o "$T/out" -D "$T/out.h" -w '%{http_code}' "$NG/v1/blobs/${ID[big]}")
		if [ "$code" = 200 ] && cmp -s "$T/out" "$T/blobs/big"; then ok "nginx in front: whole read (sliced, $(hdr x-cache-status "$T/out"))"; else bad "nginx in front: whole read $code"; fi
		code=$(curl -sk -o "$T/out" -D "$T/out.h" -w '%{http_code}' "$NG/v1/blobs/${ID[big]}")
		expect "nginx in front: second read from its cache" HIT "$(hdr x-cache-status "$T/out")"
		cmp -s "$T/out" "$T/blobs/big" || bad "nginx cached bytes differ"
		code=$(curl -sk -o "$T/out" -w '%{http_code}' -H "Range: bytes=3000000-3100000" "$NG/v1/blobs/${ID[big]}")
		"$PY" -c 'import sys; d=open(sys.argv[1],"rb").read(); sys.stdout.buffer.write(d[3000000:3100001])' "$T/blobs/big" >"$T/want"
		if [ "$code" = 206 ] && cmp -s "$T/out" "$T/want"; then ok "nginx in front: range read"; else bad "nginx in front: range $code"; fi
		expect "nginx in front: PUT refused" 403 "$(curl -sk -o /dev/null -w '%{http_code}' -X PUT --data x "$NG/v1/blobs/${ID[big]}")"
		[ $fails -gt 0 ] && tail -5 "$T/ngx/logs/error.log"
		kill "${PID[nginx]}"; wait "${PID[nginx]}" 2>/dev/null; unset "PID[nginx]"
	else
		bad "deploy/nginx/assay-gateway.conf fails nginx -t: $(tail -3 "$T/ngx/t.log")"
	fi
fi

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
