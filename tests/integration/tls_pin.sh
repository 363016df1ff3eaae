#!/usr/bin/env bash
# fixtures: pg
# tls_pin.sh: auditing nodes over HTTPS with their key pinned, as real Walrus nodes serve
# it (self-signed certificates tied to the node key). Four reference nodes sit behind nginx
# terminating TLS with self-signed certificates of their own; then:
#   - `audit challenge --pin` with the right pin passes; with a wrong pin, or without a pin
#     (the certificate is self-signed), it fails and says why, and nothing passes;
#   - `blob get` through a committee file of https URLs with pins reads the blob back;
#   - `audit run --once` with that committee file decides every challenge as pass; with a
#     wrong pin for one node, that node passes none and the others every one.
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:?}
STATE_DIR=${ASSAY_TEST_STATE:?run through ctest}
. "$SRC/deploy/lib.sh"
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx is not installed (deploy/install.sh installs it)"; exit 1; }
T=$(mktemp -d /tmp/assay-tls-pin.XXXXXX)
pids=()
DB=$(cat "$STATE_DIR/pg/url")
dbname="tls_pin_$$_$RANDOM"
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	psql "$DB" -qAtc "DROP DATABASE IF EXISTS $dbname" >/dev/null 2>&1
	rm -rf "$T"
}
trap cleanup EXIT
fails=0
ok() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }

psql "$DB" -qAtc "CREATE DATABASE $dbname" || { echo "cannot create a database"; exit 1; }
DB=${DB%/*}/$dbname

# Four nodes on plain HTTP, each behind its own TLS port with its own key.
NODES=(0 1 2 3)
ports=() tports=() pins=()
for i in "${NODES[@]}"; do ports+=("$(free_port)"); tports+=("$(free_port)"); done
mkdir -p "$T/nginx/logs"
chmod 755 "$T" "$T/nginx"
servers=""
for i in "${NODES[@]}"; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
		-subj "/CN=node$i" -keyout "$T/nginx/key$i.pem" -out "$T/nginx/cert$i.pem" 2>/dev/null ||
		{ echo "openssl cannot make a certificate"; exit 1; }
	pins+=("sha256//$(openssl pkey -in "$T/nginx/key$i.pem" -pubout -outform DER |
		openssl dgst -sha256 -binary | base64)")
	servers+="
	server {
		listen 127.0.0.1:${tports[$i]} ssl;
		ssl_certificate $T/nginx/cert$i.pem;
		ssl_certificate_key $T/nginx/key$i.pem;
		location / { proxy_pass http://127.0.0.1:${ports[$i]}; proxy_http_version 1.1; proxy_set_header Connection \"\"; }
	}"
done
cat >"$T/nginx/nginx.conf" <<CONF
daemon off;
worker_processes 1;
pid $T/nginx/nginx.pid;
error_log $T/nginx/logs/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $T/nginx/body;
	proxy_temp_path $T/nginx/proxy;
$servers
}
CONF
python3 - "${ports[@]}" >"$T/committee.json" <<'EOF'
import json, sys
nodes = [{"url": "http://127.0.0.1:%s" % p, "shards": [i]} for i, p in enumerate(sys.argv[1:])]
print(json.dumps({"n_shards": 4, "nodes": nodes}))
EOF
for i in "${NODES[@]}"; do
	"$A" node serve --data "$T/d$i" --committee "$T/committee.json" --index "$i" \
		--listen "127.0.0.1:${ports[$i]}" --log-level warn >"$T/node$i.log" 2>&1 &
	pids+=($!)
done
"$NGINX" -p "$T/nginx" -c "$T/nginx/nginx.conf" >"$T/nginx/out.log" 2>&1 &
pids+=($!)
for i in "${NODES[@]}"; do
	up=0
	for _ in $(seq 1 1200); do
		curl -fsk "https://127.0.0.1:${tports[$i]}/v1/health" >/dev/null 2>&1 && { up=1; break; }
		sleep 0.05
	done
	[ "$up" = 1 ] || { echo "node $i behind TLS never answered:"; tail -n 5 "$T/node$i.log" "$T/nginx/logs/error.log"; exit 1; }
done
ok "4 nodes behind TLS with self-signed certificates"

yes "assay tls pin test" | head -c 40000 >"$T/blob"
"$A" blob put "$T/blob" --committee "$T/committee.json" --json --log-level warn >"$T/put.json" ||
	{ echo "blob put failed"; exit 1; }
id=$(jq -r .blob_id "$T/put.json")

# The committee as an auditor of real nodes describes it: https URLs and pins.
python3 - "${tports[@]}" -- "${pins[@]}" >"$T/tls.json" <<'EOF'
import json, sys
a = sys.argv[1:]; k = a.index("--"); tports, pins = a[:k], a[k + 1:]
nodes = [{"url": "https://127.0.0.1:%s" % p, "shards": [i], "pin": pins[i]} for i, p in enumerate(tports)]
print(json.dumps({"n_shards": 4, "nodes": nodes}))
EOF

# ---- one challenge ----
# Node 0 holds one sliver pair (which one depends on the blob): the symbol i-1 on the
# primary axis of the one it holds passes, the others are not found there.
url="https://127.0.0.1:${tports[0]}"
sym=
for i in 0 1 2 3; do
	out=$("$A" audit challenge --node "$url" --blob "$id" --symbol "$i-1" --axis primary --pin "${pins[0]}" --json 2>&1)
	case "$(jq -r .outcome <<<"$out" 2>/dev/null)" in
	pass) sym="$i-1" ;;
	not_found) ;;
	*) bad "right pin, symbol $i-1: $out" ;;
	esac
done
[ -n "$sym" ] && ok "challenge over TLS with the right pin: $sym passes" || bad "right pin: no symbol passes"
sym=${sym:-0-1}
out=$("$A" audit challenge --node "$url" --blob "$id" --symbol "$sym" --axis primary --pin "${pins[1]}" --json 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$(jq -r .outcome <<<"$out" 2>/dev/null)" != pass ] && grep -qi "pin\|public key" <<<"$out" &&
	ok "a wrong pin fails, and says so: $(jq -r '.outcome + ": " + (.detail // "")' <<<"$out" | cut -c1-120)" ||
	bad "wrong pin: rc $rc: $out"
out=$("$A" audit challenge --node "$url" --blob "$id" --symbol "$sym" --axis primary --json 2>&1)
rc=$?
[ "$rc" = 1 ] && [ "$(jq -r .outcome <<<"$out" 2>/dev/null)" != pass ] &&
	ok "no pin: the self-signed certificate is refused ($(jq -r .outcome <<<"$out"))" ||
	bad "no pin: rc $rc: $out"

# ---- reading a blob through https URLs and pins ----
"$A" blob get -o "$T/back" --committee "$T/tls.json" -- "$id" 2>"$T/get.err" && cmp -s "$T/blob" "$T/back" &&
	ok "blob get over TLS with pins: the same bytes" || bad "blob get over TLS: $(cat "$T/get.err")"

# ---- an epoch of challenges ----
echo "$id $(stat -c %s "$T/blob")" >"$T/blobs.txt"
echo 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d >"$T/key"
chmod 600 "$T/key"
common=(--key-file "$T/key" --seed "0x$(printf '%064d' 9)" --blobs "$T/blobs.txt" --db "$DB"
	--min-per-node 20 --window-ms 500 --epoch-start now --log-level warn)
"$A" audit run --epoch 1 --once --committee "$T/tls.json" "${common[@]}" >"$T/run1.out" 2>"$T/run1.err"
res=$(psql "$DB" -qAtc "SELECT count(*) || ' ' || count(*) FILTER (WHERE outcome = 'pass') FROM challenges WHERE epoch = 1")
set -- $res
[ "$1" -gt 0 ] && [ "$1" = "$2" ] && ok "audit run over TLS with pins: $2 of $1 attempts pass" ||
	bad "audit run over TLS: $res: $(cat "$T/run1.out" "$T/run1.err" | tail -n 12)"
# Node 2 with node 3's pin: none of its challenges pass; the others' all do.
jq --arg p "${pins[3]}" '.nodes[2].pin = $p' "$T/tls.json" >"$T/tls-wrong.json"
"$A" audit run --epoch 2 --once --committee "$T/tls-wrong.json" "${common[@]}" >"$T/run2.out" 2>"$T/run2.err"
res=$(psql "$DB" -qAtc "SELECT string_agg(DISTINCT outcome, ',' ORDER BY outcome) FROM challenges WHERE epoch = 2 AND shard = 2")
others=$(psql "$DB" -qAtc "SELECT string_agg(DISTINCT outcome, ',' ORDER BY outcome) FROM challenges WHERE epoch = 2 AND shard <> 2")
[ -n "$res" ] && ! grep -q pass <<<"$res" && [ "$others" = pass ] &&
	ok "a wrong pin for one node: its challenges fail ($res), the others pass" ||
	bad "wrong pin for node 2: node 2 '$res', others '$others'"

[ "$fails" = 0 ] || { echo "tls_pin: $fails failure(s)"; exit 1; }
echo "tls_pin: all passed"
