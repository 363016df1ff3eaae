#!/usr/bin/env bash
# gateway.sh: the CDN edge (assay gateway serve) beside its references, in one run:
#   1. cached GETs of a 64 KiB and a 4 MiB blob vs nginx serving the same files from disk
#      (wrk, same connections, same duration; best of ROUNDS, alternating);   goal >= 0.8
#   2. a cold GET of a 64 MiB blob: time to first byte and MiB/s, vs `assay blob get` of the
#      same blob and vs curl fetching the same primary slivers raw (no verification);
#      goal: time to first byte under 10 % of the whole read
#   3. a 1 MiB range of a cold 64 MiB blob: bytes fetched from the nodes (the nodes' own
#      counters of symbols served, times the symbol size, plus proofs and metadata);
#      goal <= 2 x the range + one sliver's worth per shard touched
# Nodes: K processes from a committee file, N shards (64 MiB needs n >= 67 shards).
#
#   bench/gateway.sh
#   N=100 K=7 CONC=32 DURATION=4s ROUNDS=3 bench/gateway.sh
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=../deploy/lib.sh
source "$ROOT/deploy/lib.sh"
A=${ASSAY_BIN:-$ROOT/build/assay}
[ -x "$A" ] || die "build assay first (or set ASSAY_BIN): $A"
command -v wrk >/dev/null || die "wrk is not installed (apt-get install wrk)"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || die "nginx is not installed (apt-get install nginx-light)"
N=${N:-100}
K=${K:-7}
CONC=${CONC:-32}
DURATION=${DURATION:-4s}
ROUNDS=${ROUNDS:-3}
WRK_THREADS=${WRK_THREADS:-2}
PY=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)

T=$(mktemp -d /tmp/assay-bench-gw.XXXXXX)
PIDS=()
GW_PID=""
cleanup() {
	[ -n "$GW_PID" ] && kill "$GW_PID" 2>/dev/null
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

# ---- nodes ----
PORTS=()
for ((i = 0; i < K; i++)); do PORTS+=("$(free_port)"); done
{
	echo "{\"n_shards\": $N, \"nodes\": ["
	for ((i = 0; i < K; i++)); do
		sh=""
		for ((s = i; s < N; s += K)); do sh="$sh${sh:+,}$s"; done
		echo "  {\"url\": \"http://127.0.0.1:${PORTS[$i]}\", \"shards\": [$sh]}$([ $i -lt $((K - 1)) ] && echo ,)"
	done
	echo "]}"
} >"$T/committee.json"
for ((i = 0; i < K; i++)); do
	"$A" node serve --listen "127.0.0.1:${PORTS[$i]}" --data "$T/data$i" --committee "$T/committee.json" \
		--index "$i" --log-level warn --max-body $((64 << 20)) 2>"$T/node$i.log" &
	PIDS+=($!)
done
for ((i = 0; i < K; i++)); do
	for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:${PORTS[$i]}/v1/health" >/dev/null && break; sleep 0.05; done
done
head -c 65536 /dev/urandom >"$T/b64k"
head -c $((4 << 20)) /dev/urandom >"$T/b4m"
head -c $((64 << 20)) /dev/urandom >"$T/b64m"
cp "$T/b64m" "$T/b64m-range" && printf 'r' | dd of="$T/b64m-range" bs=1 seek=0 conv=notrunc status=none
declare -A ID
for f in b64k b4m b64m b64m-range; do
	ID[$f]=$("$A" blob put "$T/$f" --committee "$T/committee.json" 2>"$T/put.log") || die "blob put $f: $(tail -2 "$T/put.log")"
done
echo "stored 64 KiB, 4 MiB and two 64 MiB blobs on $K nodes ($N shards)"

gw_start() { # NAME: a gateway with its own cache
	[ -n "$GW_PID" ] && { kill "$GW_PID"; wait "$GW_PID" 2>/dev/null || true; }
	GW_PORT=$(free_port)
	"$A" gateway serve --listen "127.0.0.1:$GW_PORT" --committee "$T/committee.json" \
		--cache-dir "$T/cache-$1" --cache-mib 2048 --gateway-rate 100000000 \
		--gateway-burst 100000000 --max-requests 1024 --log-level warn 2>>"$T/gw.log" &
	GW_PID=$!
	GW="http://127.0.0.1:$GW_PORT"
	for _ in $(seq 1 200); do curl -sf "$GW/healthz" >/dev/null && return 0; sleep 0.05; done
	die "the gateway did not start: $(tail -3 "$T/gw.log")"
}
# served: symbols and metadata answers summed over the nodes
served() {
	local s=0 m=0 i out a b
	for ((i = 0; i < K; i++)); do
		out=$(curl -sf "http://127.0.0.1:${PORTS[$i]}/v1/health" | jq -r '.success.data.served | "\(.symbols) \(.metadata)"')
		read -r a b <<<"$out"
		s=$((s + a)); m=$((m + b))
	done
	echo "$s $m"
}
read -r KP KS SS64 DEPTH < <("$PY" -c '
import math
n = '"$N"'; f = (n - 1) // 3; kp, ks = n - 2 * f, n - f
L = 64 << 20; ss = -(-L // (kp * ks)); ss += ss % 2
print(kp, ks, ss, math.ceil(math.log2(n)))')

# ---- nginx ----
NG_PORT=$(free_port)
mkdir -p "$T/nginx/www" "$T/nginx/logs"
cp "$T/b64k" "$T/b4m" "$T/nginx/www/"
chmod 755 "$T" "$T/nginx" "$T/nginx/www"; chmod 644 "$T/nginx/www/"*
cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 2;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$NG_PORT;
		root $T/nginx/www;
		location / { default_type application/octet-stream; }
	}
}
CONF
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" &
NG_MASTER=$!
PIDS+=($!)
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$NG_PORT/b64k" -o /dev/null && break; sleep 0.05; done

# ---- 1. cached GETs ----
gw_start warm
for f in b64k b4m; do
	curl -sf "$GW/v1/blobs/${ID[$f]}" -o "$T/check" && cmp -s "$T/check" "$T/$f" || die "the gateway did not serve $f"
	for _ in $(seq 1 100); do [ -f "$T/cache-warm/${ID[$f]}.blob" ] && break; sleep 0.05; done
done
# CPU ticks (utime + stime) of processes
ticks() { local t=0 p u s; for p in "$@"; do read -r u s < <(awk '{print $14, $15}' "/proc/$p/stat"); t=$((t + u + s)); done; echo $t; }
NG_ALL="$NG_MASTER $(pgrep -P "$NG_MASTER" | tr '\n' ' ')"
rate() { # URL PIDS...: requests per second; the servers' CPU microseconds per request in $T/cpu
	local url=$1; shift
	local a b n
	a=$(ticks "$@")
	wrk -t"$WRK_THREADS" -c"$CONC" -d"$DURATION" "$url" >"$T/wrk.out"
	b=$(ticks "$@")
	grep -E "Non-2xx|Socket errors" "$T/wrk.out" | sed 's/^/  wrk: /' >&2 || true
	n=$(awk '/^ +[0-9]+ requests in/ {print $1}' "$T/wrk.out")
	echo "($b - $a) * 1000000 / $(getconf CLK_TCK) / $n" | bc -l >>"$T/cpu"
	awk '/Requests\/sec/ {print $2}' "$T/wrk.out"
}
best() { echo "$@" | tr ' ' '\n' | sort -g | tail -1; }
declare -A GWR NGR GWC NGC
least() { sort -g "$1" | head -1; }
for f in b64k b4m; do
	g=() n=()
	: >"$T/cpu.ng"; : >"$T/cpu.gw"
	for _ in $(seq 1 "$ROUNDS"); do
		: >"$T/cpu"; n+=("$(rate "http://127.0.0.1:$NG_PORT/$f" $NG_ALL)"); cat "$T/cpu" >>"$T/cpu.ng"
		: >"$T/cpu"; g+=("$(rate "$GW/v1/blobs/${ID[$f]}" "$GW_PID")"); cat "$T/cpu" >>"$T/cpu.gw"
	done
	echo "rounds $f (req/s): nginx ${n[*]}; gateway ${g[*]}"
	NGR[$f]=$(best "${n[@]}")
	GWR[$f]=$(best "${g[@]}")
	NGC[$f]=$(least "$T/cpu.ng")
	GWC[$f]=$(least "$T/cpu.gw")
done

# ---- 2. a cold 64 MiB GET ----
gw_start cold
read -r ttfb total < <(curl -s -o "$T/out" -w '%{time_starttransfer} %{time_total}\n' "$GW/v1/blobs/${ID[b64m]}")
cmp -s "$T/out" "$T/b64m" || die "the cold 64 MiB read is not the blob"
t0=$EPOCHREALTIME
"$A" blob get -o "$T/get.out" --committee "$T/committee.json" --log-level warn -- "${ID[b64m]}" 2>/dev/null
t_get=$(echo "$EPOCHREALTIME - $t0" | bc -l)
cmp -s "$T/get.out" "$T/b64m" || die "blob get did not read the blob"
# curl: the k_p primary slivers from their holders, 4 at a time, raw
"$PY" - "${ID[b64m]}" "$N" "$K" "$KP" "${PORTS[@]}" >"$T/sliver-urls" <<'PYEOF'
import base64, sys
bid, n, k, kp = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
ports = sys.argv[5:]
r = int.from_bytes(base64.urlsafe_b64decode(bid + "="), "big") % n
for p in range(kp):
    node = ((p + r) % n) % k
    print(f"http://127.0.0.1:{ports[node]}/v1/blobs/{bid}/slivers/{p}/primary")
PYEOF
t0=$EPOCHREALTIME
xargs -P 4 -I{} curl -sf -o /dev/null {} <"$T/sliver-urls"
t_curl=$(echo "$EPOCHREALTIME - $t0" | bc -l)

# ---- 3. a 1 MiB range of a cold 64 MiB blob ----
gw_start range
RA=$((20 << 20)); RZ=$((RA + (1 << 20) - 1))
before=$(served)
curl -s -o "$T/range" -H "Range: bytes=$RA-$RZ" "$GW/v1/blobs/${ID[b64m-range]}"
after=$(served)
cmp -s "$T/range" <(tail -c +$((RA + 1)) "$T/b64m-range" | head -c $((1 << 20))) || die "the range read is wrong"
syms=$(( ${after% *} - ${before% *} ))
mds=$(( ${after#* } - ${before#* } ))
mdbytes=$(curl -sf "http://127.0.0.1:${PORTS[0]}/v1/blobs/${ID[b64m-range]}/metadata" | wc -c)
fetched=$(( syms * (SS64 + 8 + 33 * DEPTH) + mds * mdbytes ))
rows=$(( RZ / (KS * SS64) - RA / (KS * SS64) + 1 ))
bound=$(( 2 * (1 << 20) + rows * KS * SS64 ))

printf '\ngateway, %d nodes, n = %d shards (k_p = %d, k_s = %d), %d connections, best of %s x %s\n' \
	"$K" "$N" "$KP" "$KS" "$CONC" "$ROUNDS" "$DURATION"
printf '  %-44s %12s %12s %8s\n' "" "gateway" "nginx" "ratio"
for f in b64k b4m; do
	printf '  %-44s %12s %12s %8.2f   (goal >= 0.80)\n' "cached GET $f (req/s)" "${GWR[$f]}" "${NGR[$f]}" \
		"$(echo "${GWR[$f]} / ${NGR[$f]}" | bc -l)"
	printf '  %-44s %12.1f %12.1f %8.2f   (server CPU per request; lower is better)\n' \
		"cached GET $f (CPU us/request)" "${GWC[$f]}" "${NGC[$f]}" "$(echo "${GWC[$f]} / ${NGC[$f]}" | bc -l)"
done
printf '\n  cold GET of 64 MiB\n'
printf '  %-44s %12.3f s\n' "gateway: time to first byte" "$ttfb"
printf '  %-44s %12.3f s  %8.1f MiB/s\n' "gateway: whole read" "$total" "$(echo "64 / $total" | bc -l)"
printf '  %-44s %12.3f s  %8.1f MiB/s\n' "assay blob get (decode, then write)" "$t_get" "$(echo "64 / $t_get" | bc -l)"
printf '  %-44s %12.3f s  %8.1f MiB/s\n' "curl, the $KP primary slivers raw (4 at once)" "$t_curl" "$(echo "64 / $t_curl" | bc -l)"
printf '  %-44s %12.1f %%   (goal < 10 %%)\n' "time to first byte / whole read" "$(echo "100 * $ttfb / $total" | bc -l)"
printf '  %-44s %12.2f x blob get, %.2f x raw curl\n' "gateway whole read time" "$(echo "$total / $t_get" | bc -l)" "$(echo "$total / $t_curl" | bc -l)"
printf '\n  1 MiB range of a cold 64 MiB blob (symbol size %d)\n' "$SS64"
printf '  %-44s %12d bytes (%d symbols with proofs, %d metadata)\n' "fetched from the nodes" "$fetched" "$syms" "$mds"
printf '  %-44s %12d bytes (2 x 1 MiB + %d sliver(s) of %d bytes)\n' "bound" "$bound" "$rows" $((KS * SS64))
printf '  %-44s %12.2f x the range   (goal <= %.2f)\n' "fetched / range" "$(echo "$fetched / 1048576" | bc -l)" "$(echo "$bound / 1048576" | bc -l)"
