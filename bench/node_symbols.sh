#!/usr/bin/env bash
# node_symbols.sh: how fast the reference storage node serves recovery symbols, beside nginx
# serving a static file of the same size as one answer, both driven by wrk at the same
# concurrency in one run (random symbols beside nginx sent the same generated requests),
# with each server's CPU per request. The node answers from an in-memory cache of expanded slivers and
# their Merkle trees, so this measures the HTTP path plus one symbol copy and proof.
#
#   bench/node_symbols.sh                       (defaults below; override by environment)
#   N=100 SIZE=1048576 CONC=32 DURATION=4s THREADS=4 ROUNDS=3 bench/node_symbols.sh
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
SIZE=${SIZE:-1048576}
CONC=${CONC:-32}
DURATION=${DURATION:-4s}
THREADS=${THREADS:-4}   # server threads (node thread pool, nginx workers)
WRK_THREADS=${WRK_THREADS:-2}

T=$(mktemp -d /tmp/assay-bench.XXXXXX)
NODE_PID="" NGINX_PID=""
cleanup() {
	[ -n "$NODE_PID" ] && kill "$NODE_PID" 2>/dev/null && wait "$NODE_PID" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# One node holding every shard, so every symbol is local.
NPORT=$(free_port)
shards=$(seq -s, 0 $((N - 1)))
echo "{\"n_shards\": $N, \"nodes\": [{\"url\": \"http://127.0.0.1:$NPORT\", \"shards\": [$shards]}]}" >"$T/committee.json"
"$A" node serve --listen "127.0.0.1:$NPORT" --data "$T/data" --committee "$T/committee.json" \
	--index 0 --threads "$THREADS" --log-level warn 2>"$T/node.log" &
NODE_PID=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$NPORT/v1/health" >/dev/null && break; sleep 0.05; done
head -c "$SIZE" /dev/urandom >"$T/blob"
ID=$("$A" blob put "$T/blob" --committee "$T/committee.json" 2>/dev/null)
SYM_URL="http://127.0.0.1:$NPORT/v1/blobs/$ID/recoverySymbols?id=3-7&proofAxis=primary"
curl -sf "$SYM_URL" -o "$T/answer" || die "the node did not answer $SYM_URL"
BODY=$(stat -c %s "$T/answer")
"$A" audit challenge --node "http://127.0.0.1:$NPORT" --blob "$ID" --symbol 3-7 >/dev/null ||
	die "the node's answer does not verify"

# nginx with a private prefix and config, in the foreground (we hold its PID).
GPORT=$(free_port)
mkdir -p "$T/nginx/www" "$T/nginx/logs"
cp "$T/answer" "$T/nginx/www/answer"
# nginx workers run as an unprivileged user: they must be able to read the file.
chmod 755 "$T" "$T/nginx" "$T/nginx/www"
chmod 644 "$T/nginx/www/answer"
cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
worker_processes $THREADS;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$GPORT;
		root $T/nginx/www;
		# Any path is the answer: the random-symbol run sends nginx the same requests.
		location / { default_type application/octet-stream; try_files /answer =404; }
	}
}
CONF
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" &
NGINX_PID=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$GPORT/answer" -o /dev/null && break; sleep 0.05; done
cmp -s <(curl -sf "http://127.0.0.1:$GPORT/answer") "$T/answer" || die "nginx does not serve the file: $(cat "$T/nginx/logs/error.log")"

# Random symbol ids over the whole n x n matrix (a request line per call).
cat >"$T/random.lua" <<LUA
math.randomseed(42)
request = function()
	local i = math.random(0, $N - 1)
	local j = math.random(0, $N - 1)
	return wrk.format("GET", "/v1/blobs/$ID/recoverySymbols?id=" .. i .. "-" .. j .. "&proofAxis=primary")
end
LUA

# CPU (utime + stime from /proc, clock ticks) of the node process, or of nginx's master
# and workers, over each run: the server's CPU per request holds better than requests/s
# when other work shares the cores.
ticks() { # PID...: utime + stime of each, summed over threads (and of nginx's workers)
	local p sum=0 f
	for p in "$@"; do
		f=$(cut -d' ' -f14-15 "/proc/$p/stat" 2>/dev/null) || continue
		set -- $f
		sum=$((sum + $1 + $2))
	done
	echo "$sum"
}
server_pids() { # NAME
	case $1 in
	nginx*) echo "$NGINX_PID" $(ps -o pid= --ppid "$NGINX_PID") ;;
	*) echo "$NODE_PID" ;;
	esac
}
HZ=$(getconf CLK_TCK)
rate() { # rate NAME URL [wrk args]: requests per second (a run with errors says so); appends
	# the server's CPU microseconds per request to $T/cpu.NAME
	local name=$1 url=$2 t0 t1; shift 2
	t0=$(ticks $(server_pids "$name"))
	wrk -t"$WRK_THREADS" -c"$CONC" -d"$DURATION" "$@" "$url" >"$T/wrk.$name"
	t1=$(ticks $(server_pids "$name"))
	grep -E "Non-2xx|Socket errors" "$T/wrk.$name" | sed "s/^/  $name: /" >&2 || true
	awk -v t=$((t1 - t0)) -v hz="$HZ" '/requests in/ {printf "%.1f\n", t * 1e6 / hz / $1}' \
		"$T/wrk.$name" >>"$T/cpu.$name"
	awk '/Requests\/sec/ {print $2}' "$T/wrk.$name"
}
# Rounds alternate the four so a burst of load elsewhere on the machine hits all of them;
# each figure is its best round.
best() { echo "$@" | tr ' ' '\n' | sort -g | tail -1; }
least() { sort -g "$1" | head -1; }
# The random run's reference is nginx sent the same generated requests (wrk's Lua costs it
# CPU per request on the same cores).
one=() rand=() ngx=() ngxr=()
for _ in $(seq 1 "${ROUNDS:-3}"); do
	ngx+=("$(rate nginx "http://127.0.0.1:$GPORT/answer")")
	one+=("$(rate node-one "$SYM_URL")")
	ngxr+=("$(rate nginx-random "http://127.0.0.1:$GPORT/" -s "$T/random.lua")")
	rand+=("$(rate node-random "http://127.0.0.1:$NPORT/" -s "$T/random.lua")")
done
echo "rounds (req/s): nginx ${ngx[*]}; node one symbol ${one[*]}; nginx random ${ngxr[*]}; node random ${rand[*]}"
echo "rounds (server CPU us/request): nginx $(tr '\n' ' ' <"$T/cpu.nginx"); node one symbol $(tr '\n' ' ' <"$T/cpu.node-one"); nginx random $(tr '\n' ' ' <"$T/cpu.nginx-random"); node random $(tr '\n' ' ' <"$T/cpu.node-random")"
nginx_rate=$(best "${ngx[@]}")
nginxr_rate=$(best "${ngxr[@]}")
node_one=$(best "${one[@]}")
node_rand=$(best "${rand[@]}")
nginx_cpu=$(least "$T/cpu.nginx")
one_cpu=$(least "$T/cpu.node-one")
rand_cpu=$(least "$T/cpu.node-random")
nginxr_cpu=$(least "$T/cpu.nginx-random")

printf '\nrecovery symbols, n = %d, blob %d bytes, answer %d bytes, %d connections, best of %s x %s, %d server threads\n' \
	"$N" "$SIZE" "$BODY" "$CONC" "${ROUNDS:-3}" "$DURATION" "$THREADS"
printf '  %-38s %12s req/s\n' "nginx, static file of the answer's size" "$nginx_rate"
printf '  %-38s %12s req/s  (%.2f x nginx)\n' "assay node, one symbol (cached)" "$node_one" \
	"$(echo "$node_one / $nginx_rate" | bc -l)"
printf '  %-38s %12s req/s\n' "nginx, the same, random-symbol requests" "$nginxr_rate"
printf '  %-38s %12s req/s  (%.2f x nginx, the same requests)\n' "assay node, random symbols" \
	"$node_rand" "$(echo "$node_rand / $nginxr_rate" | bc -l)"
printf 'server CPU per request (least of the rounds): nginx %s us, node one symbol %s us (%.2f x nginx); nginx random %s us, node random %s us (%.2f x nginx)\n' \
	"$nginx_cpu" "$one_cpu" "$(echo "$one_cpu / $nginx_cpu" | bc -l)" \
	"$nginxr_cpu" "$rand_cpu" "$(echo "$rand_cpu / $nginxr_cpu" | bc -l)"
