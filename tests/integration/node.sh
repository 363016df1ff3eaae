#!/usr/bin/env bash
# fixtures:
# node.sh: real storage nodes (assay node serve) on free 127.0.0.1 ports: round trips
# (put -> challenge -> get) over several sizes and shard counts, malformed uploads refused
# without storing anything, every fault mode detected by `assay audit challenge` with the
# right outcome, reads that survive f nodes down or lying, and peer recovery.
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:?run through ctest}
# shellcheck source=../../deploy/lib.sh
source "$SRC/deploy/lib.sh"
T=$(mktemp -d /tmp/assay-node-test.XXXXXX)
# shellcheck source=lib/nodes.sh
source "$SRC/tests/integration/lib/nodes.sh"
# The system interpreter: a pyenv shim costs seconds per call on a busy machine.
PY=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)

# holder ID N K PAIR: the node index holding the pair (shard s = (pair + r) mod n goes to
# node s mod k; r = blob ID as a big-endian integer mod n)
holder() {
	"$PY" - "$1" "$2" "$3" "$4" <<'EOF'
import base64, sys
bid, n, k, pair = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = int.from_bytes(base64.urlsafe_b64decode(bid + "="), "big") % n
print(((pair + r) % n) % k)
EOF
}

# outcome URL ID SYMBOL AXIS [flags]: the challenge's outcome, checking exit status agrees
outcome() {
	local url=$1 id=$2 sym=$3 axis=$4; shift 4
	local out rc
	out=$("$A" audit challenge --node "$url" --blob "$id" --symbol "$sym" --axis "$axis" --json "$@" 2>&1)
	rc=$?
	local o
	o=$("$PY" -c 'import json,sys; d=json.loads(sys.argv[1]); assert "latency_ms" in d; print(d["outcome"])' "$out" 2>/dev/null || echo "unparsable:$out")
	if { [ "$o" = pass ] && [ $rc -ne 0 ]; } || { [ "$o" != pass ] && [ $rc -ne 1 ]; }; then
		echo "exit $rc does not match $o" >&2
		o="badexit:$o"
	fi
	echo "$o"
}

# challenge_ok PREFIX N K ID I J: challenges I-J on both axes at the right nodes -> pass,
# and at a node that does not hold it -> not_found
challenge_ok() {
	local pre=$1 n=$2 k=$3 id=$4 i=$5 j=$6
	local hp hs
	hp=$(holder "$id" "$n" "$k" "$i")
	hs=$(holder "$id" "$n" "$k" $((n - 1 - j)))
	expect "$pre challenge $i-$j primary" pass "$(outcome "http://127.0.0.1:${PORT[$pre$hp]}" "$id" "$i-$j" primary)"
	expect "$pre challenge $i-$j secondary" pass "$(outcome "http://127.0.0.1:${PORT[$pre$hs]}" "$id" "$i-$j" secondary)"
	if [ "$k" -gt 1 ]; then
		local other=$(((hp + 1) % k))
		if [ "$(holder "$id" "$n" "$k" "$i")" != "$other" ]; then
			expect "$pre challenge $i-$j primary elsewhere" not_found \
				"$(outcome "http://127.0.0.1:${PORT[$pre$other]}" "$id" "$i-$j" primary)"
		fi
	fi
}

# ---- round trips over sizes and shard counts ----
# (Blob IDs are base64url and may start with "-": they go after "--".)
roundtrip() {
	local pre=$1 n=$2 k=$3; shift 3
	cluster "$pre" "$n" "$k" || return
	for size in "$@"; do
		head -c "$size" /dev/urandom >"$T/in-$pre-$size"
		local id
		id=$("$A" blob put "$T/in-$pre-$size" --committee "$T/$pre.json" 2>"$T/put.err")
		if [ $? -ne 0 ]; then bad "$pre put $size: $(cat "$T/put.err")"; continue; fi
		grep -q "confirmed by nodes holding $n " "$T/put.err" && ok "$pre put $size confirmed by all" ||
			bad "$pre put $size confirmations: $(cat "$T/put.err")"
		challenge_ok "$pre" "$n" "$k" "$id" 0 0
		challenge_ok "$pre" "$n" "$k" "$id" $((n - 1)) $((n / 2))
		if "$A" blob get -o "$T/out-$pre-$size" --committee "$T/$pre.json" -- "$id" 2>"$T/get.err" &&
			cmp -s "$T/in-$pre-$size" "$T/out-$pre-$size"; then
			ok "$pre get $size bytes back"
		else
			bad "$pre get $size: $(cat "$T/get.err")"
		fi
	done
	for ((i = 0; i < k; i++)); do stop "$pre$i"; done
}
roundtrip rt4 4 4 0 1 1000 65536
roundtrip rt7 7 4 0 1 12345 300000
roundtrip rt10 10 3 1 77777
roundtrip rt1 1 1 0 5

# ---- a committee of 4 nodes and 7 shards for the rest ----
cluster m 7 4 || exit 1
M=$T/m.json
url() { echo "http://127.0.0.1:${PORT[m$1]}"; }
head -c 50000 /dev/urandom >"$T/b1"
head -c 50000 /dev/urandom >"$T/b2"
ID1=$("$A" blob put "$T/b1" --committee "$M" 2>/dev/null) || bad "put b1"
ID2=$("$A" blob put "$T/b2" --committee "$M" 2>/dev/null) || bad "put b2"

# ---- malformed uploads are refused and nothing is stored ----
http() { curl -s -o "$T/body" -w '%{http_code}' "$@"; }
head -c 20000 /dev/urandom >"$T/b3"
"$A" blob encode --help >/dev/null 2>&1 # (encoder CLI exists; uploads here go by hand)
ID3=$("$PY" - <<'EOF'
import base64, os
print(base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip("="))
EOF
)
expect "PUT garbage metadata" 400 "$(http -X PUT --data-binary 'not bcs' "$(url 0)/v1/blobs/$ID3/metadata")"
curl -s "$(url 0)/v1/blobs/$ID1/metadata" -o "$T/md1.withid"
tail -c +33 "$T/md1.withid" >"$T/md1"
expect "PUT metadata under another ID" 400 "$(http -X PUT --data-binary @"$T/md1" "$(url 0)/v1/blobs/$ID3/metadata")"
grep -q "blob ID" "$T/body" && ok "ID mismatch explained" || bad "ID mismatch message: $(cat "$T/body")"
expect "PUT sliver before metadata" 409 "$(http -X PUT --data-binary 'x' "$(url 0)/v1/blobs/$ID3/slivers/0/primary")"
[ -z "$(ls "$T/m-data0/blobs" | grep -v "^$("$PY" -c 'import base64,sys;print(base64.urlsafe_b64decode(sys.argv[1]+"=").hex())' "$ID1")$" | grep -v "^$("$PY" -c 'import base64,sys;print(base64.urlsafe_b64decode(sys.argv[1]+"=").hex())' "$ID2")$")" ] &&
	ok "nothing stored for refused metadata" || bad "refused metadata left files: $(ls "$T/m-data0/blobs")"
# A real sliver of blob 1, one byte flipped, sent to its holder under a fresh copy of the
# blob: the node must check it against the metadata.
h=$(holder "$ID1" 7 4 2)
curl -s "$(url "$h")/v1/blobs/$ID1/slivers/2/primary" -o "$T/s2"
hexid=$("$PY" -c 'import base64,sys;print(base64.urlsafe_b64decode(sys.argv[1]+"=").hex())' "$ID1")
rm -f "$T/m-data$h/blobs/$hexid/primary-2"
"$PY" - "$T/s2" <<'EOF'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[10] ^= 0xff; open(p + ".bad", "wb").write(b)
EOF
expect "PUT corrupted sliver" 400 "$(http -X PUT --data-binary @"$T/s2.bad" "$(url "$h")/v1/blobs/$ID1/slivers/2/primary")"
grep -q "does not match" "$T/body" && ok "corrupted sliver explained" || bad "corrupted sliver message: $(cat "$T/body")"
[ ! -e "$T/m-data$h/blobs/$hexid/primary-2" ] && ok "corrupted sliver not stored" || bad "corrupted sliver stored"
expect "PUT sliver as the wrong pair" 400 "$(http -X PUT --data-binary @"$T/s2" "$(url "$h")/v1/blobs/$ID1/slivers/3/primary")"
o=$(((h + 1) % 4))
expect "PUT sliver to a node without its shard" 400 "$(http -X PUT --data-binary @"$T/s2" "$(url "$o")/v1/blobs/$ID1/slivers/2/primary")"
expect "PUT valid sliver back" 201 "$(http -X PUT --data-binary @"$T/s2" "$(url "$h")/v1/blobs/$ID1/slivers/2/primary")"
expect "PUT it again" 200 "$(http -X PUT --data-binary @"$T/s2" "$(url "$h")/v1/blobs/$ID1/slivers/2/primary")"
head -c 40000000 /dev/zero >"$T/huge"
expect "PUT oversized body" 413 "$(http -X PUT --data-binary @"$T/huge" "$(url "$h")/v1/blobs/$ID1/slivers/2/primary")"
expect "bad symbol id" 400 "$(http "$(url 0)/v1/blobs/$ID1/recoverySymbols?id=1-99&proofAxis=primary")"
expect "bad axis" 400 "$(http "$(url 0)/v1/blobs/$ID1/recoverySymbols?id=1-1&proofAxis=diagonal")"
expect "bad blob id" 400 "$(http "$(url 0)/v1/blobs/nope/metadata")"
expect "content type" application/octet-stream "$(curl -s -o /dev/null -w '%{content_type}' "$(url 0)/v1/blobs/$ID1/metadata")"
# Several ids in one request: a list of as many symbols.
h=$(holder "$ID1" 7 4 1)
curl -s "$(url "$h")/v1/blobs/$ID1/recoverySymbols?id=1-0&id=1-3&id=1-6&proofAxis=primary" -o "$T/syms"
expect "three symbols in one answer" 3 "$(head -c1 "$T/syms" | xxd -p | "$PY" -c 'print(int(input(),16))')"
# The node rebuilds that body from its store alone (fraud proof 2 needs the body it sent).
"$A" node answer --data "$T/m-data$h" --shards 7 -o "$T/syms.rebuilt" --json "$ID1" primary 1-0 1-3 1-6 \
	>"$T/answer.json" 2>"$T/answer.err" || bad "node answer: $(cat "$T/answer.err")"
cmp -s "$T/syms" "$T/syms.rebuilt" &&
	expect "node answer's BLAKE2b is the served body's" "0x$(b2sum -l 256 "$T/syms" | cut -d' ' -f1)" \
		"$(jq -r .blake2b "$T/answer.json")" ||
	bad "node answer rebuilt another body than the node served"

# ---- every fault mode, detected with the right outcome ----
# Node 3 holds shard 3 only; restart it with one fault at a time and challenge a symbol of
# the pair it holds.
P3=$("$PY" - "$ID1" <<'EOF'
import base64, sys
r = int.from_bytes(base64.urlsafe_b64decode(sys.argv[1] + "="), "big") % 7
print((3 - r) % 7)
EOF
)
S3="$P3-2"
expect "healthy node 3 passes" pass "$(outcome "$(url 3)" "$ID1" "$S3" primary)"
fault() { # fault NAME WANT [challenge flags --] node flags...
	local name=$1 want=$2; shift 2
	local cflags=()
	while [ $# -gt 0 ] && [ "$1" != -- ]; do cflags+=("$1"); shift; done
	shift
	stop m3
	start m3 "$M" 3 "${PORT[m3]}" "$T/m-data3" "$@" || { bad "restart node 3 with $*"; return; }
	expect "fault $name -> $want" "$want" "$(outcome "$(url 3)" "$ID1" "$S3" primary "${cflags[@]}")"
}
fault lose not_found -- --fault-lose 1
fault corrupt invalid_proof -- --fault-corrupt 1
fault slow timeout --timeout-ms 500 -- --fault-slow-ms 3000
fault offline unreachable -- --fault-offline 0-100000
fault garbage bad_metadata -- --fault-garbage
fault other-blob invalid_proof -- --fault-other-blob
# Partial shares: with the same seed the same symbols fail, run after run.
stop m3
start m3 "$M" 3 "${PORT[m3]}" "$T/m-data3" --fault-corrupt 0.5 --fault-seed 42
r1=""; for j in 0 1 2 3 4 5 6; do r1="$r1 $(outcome "$(url 3)" "$ID1" "$P3-$j" primary)"; done
stop m3
start m3 "$M" 3 "${PORT[m3]}" "$T/m-data3" --fault-corrupt 0.5 --fault-seed 42
r2=""; for j in 0 1 2 3 4 5 6; do r2="$r2 $(outcome "$(url 3)" "$ID1" "$P3-$j" primary)"; done
expect "corrupt 0.5 is deterministic" "$r1" "$r2"
case "$r1" in *pass*invalid_proof* | *invalid_proof*pass*) ok "corrupt 0.5 corrupts some, not all" ;; *) bad "corrupt 0.5 gave$r1" ;; esac
# Duty cycle: offline in the last 2 s of every 4 s; seen both ways by polling health.
stop m3
start m3 "$M" 3 "${PORT[m3]}" "$T/m-data3" --fault-offline 4/2
seen_up=0 seen_down=0
for _ in $(seq 1 200); do
	if curl -sf -m 1 "$(url 3)/v1/health" >/dev/null; then seen_up=1; else seen_down=1; fi
	[ $seen_up = 1 ] && [ $seen_down = 1 ] && break
	sleep 0.05
done
expect "duty cycle goes up and down" "1 1" "$seen_up $seen_down"
stop m3
start m3 "$M" 3 "${PORT[m3]}" "$T/m-data3"
expect "node 3 healthy again" pass "$(outcome "$(url 3)" "$ID1" "$S3" primary)"

# Outcomes a fault flag cannot produce: a node that answers 503 or 429, and one that serves
# the metadata of another blob. A fixed-answer server stands in for such a node.
fake() { # fake STATUS FILE -> port in FAKE_PORT
	FAKE_PORT=$(free_port)
	"$PY" - "$FAKE_PORT" "$1" "$2" >"$T/fake.log" 2>&1 <<'EOF' &
import http.server, sys
port, status, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
body = open(path, "rb").read() if path != "-" and "," not in path else b"{}"
# "META,SYMBOLS": two files, by endpoint
paths = path.split(",")
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        global body
        if len(paths) == 2:
            body = open(paths[0 if "/metadata" in self.path else 1], "rb").read()
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        if status in (429, 503): self.send_header("Retry-After", "7")
        self.end_headers(); self.wfile.write(body)
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
EOF
	PID[fake]=$!
	for _ in $(seq 1 200); do curl -s -o /dev/null "http://127.0.0.1:$FAKE_PORT/" && return 0; sleep 0.05; done
}
fake 503 -
expect "503 -> http_error" http_error "$(outcome "http://127.0.0.1:$FAKE_PORT" "$ID1" 0-0 primary)"
out=$("$A" audit challenge --node "http://127.0.0.1:$FAKE_PORT" --blob "$ID1" --symbol 0-0 --json)
grep -q '"transient":true' <<<"$out" && grep -q '"retry_after":"7"' <<<"$out" && ok "503 transient with Retry-After" || bad "503 json: $out"
stop fake
fake 429 -
expect "429 -> http_error" http_error "$(outcome "http://127.0.0.1:$FAKE_PORT" "$ID1" 0-0 primary)"
stop fake
curl -s "$(url 0)/v1/blobs/$ID2/metadata" -o "$T/md2.withid"
fake 200 "$T/md2.withid"
expect "metadata of another blob -> bad_metadata" bad_metadata "$(outcome "http://127.0.0.1:$FAKE_PORT" "$ID1" 0-0 primary)"
stop fake
# Blob 1's metadata with one hash changed, sent with blob 1's ID: does not hash to the ID.
"$PY" - "$T/md1.withid" <<'EOF'
import sys
p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[-1] ^= 1; open(p + ".bad", "wb").write(b)
EOF
fake 200 "$T/md1.withid.bad"
expect "tampered metadata -> bad_metadata" bad_metadata "$(outcome "http://127.0.0.1:$FAKE_PORT" "$ID1" 0-0 primary)"
stop fake
# A genuine symbol with its data cut short (length prefix fixed): wrong_size.
h=$(holder "$ID1" 7 4 0)
curl -s "$(url "$h")/v1/blobs/$ID1/recoverySymbols?id=0-0&proofAxis=primary" -o "$T/sym00"
"$PY" - "$T/sym00" <<'EOF'
import sys
def uleb(b, i):
    v = s = 0
    while True:
        v |= (b[i] & 0x7f) << s; i += 1
        if b[i - 1] < 0x80: return v, i
        s += 7
def enc(v):
    out = bytearray()
    while True:
        out.append((v & 0x7f) | (0x80 if v > 0x7f else 0)); v >>= 7
        if not v: return bytes(out)
p = sys.argv[1]; b = open(p, "rb").read()
assert b[0] == 1
n, i = uleb(b, 4)                     # count, tag, index u16, then the data length
out = b[:4] + enc(n - 2) + b[i:i + n - 2] + b[i + n:]
open(p + ".short", "wb").write(out)
EOF
fake 200 "$T/md1.withid,$T/sym00.short"
expect "short symbol -> wrong_size" wrong_size "$(outcome "http://127.0.0.1:$FAKE_PORT" "$ID1" 0-0 primary)"
stop fake
expect "nobody listening -> unreachable" unreachable "$(outcome "http://127.0.0.1:$(free_port)" "$ID1" 0-0 primary)"
"$A" audit challenge --node "ftp://x" --blob "$ID1" --symbol 0-0 >/dev/null 2>&1
expect "bad URL is a usage error" 2 $?
"$A" audit challenge --node "$(url 0)" --blob "$ID1" --symbol 0-0 --axis diagonal >/dev/null 2>&1
expect "bad axis is a usage error" 2 $?

# ---- reads survive f = 2 shards down or lying (7 nodes of one shard each) ----
cluster r 7 7 || exit 1
head -c 99999 /dev/urandom >"$T/rb"
RID=$("$A" blob put "$T/rb" --committee "$T/r.json" 2>/dev/null) || bad "put for reads"
stop r1
stop r4
start r4 "$T/r.json" 4 "${PORT[r4]}" "$T/r-data4" --fault-corrupt 1
if "$A" blob get -o "$T/rb.out" --committee "$T/r.json" -- "$RID" 2>"$T/get.err" && cmp -s "$T/rb" "$T/rb.out"; then
	ok "get with one node down and one corrupting"
else bad "get with f faulty: $(cat "$T/get.err")"; fi
stop r4
start r4 "$T/r.json" 4 "${PORT[r4]}" "$T/r-data4" --fault-garbage
if "$A" blob get -o "$T/rb.out2" --committee "$T/r.json" -- "$RID" 2>"$T/get.err" && cmp -s "$T/rb" "$T/rb.out2"; then
	ok "get with one node down and one answering garbage"
else bad "get with garbage: $(cat "$T/get.err")"; fi
# k_p = 3 primary and k_s = 5 secondary slivers are needed; leave two honest nodes.
stop r6
stop r0
stop r2
"$A" blob get -o "$T/rb.out3" --committee "$T/r.json" -- "$RID" 2>/dev/null
expect "get fails cleanly with f+1 faulty" 1 $?
[ ! -e "$T/rb.out3" ] && ok "no partial output" || bad "partial output written"
for i in 3 4 5; do stop "r$i"; done

# ---- recovery: a node wiped of a blob's slivers rebuilds them from its peers ----
hexid1=$("$PY" -c 'import base64,sys;print(base64.urlsafe_b64decode(sys.argv[1]+"=").hex())' "$ID1")
stop m1
rm -f "$T/m-data1/blobs/$hexid1"/primary-* "$T/m-data1/blobs/$hexid1"/secondary-*
P1=$("$PY" - "$ID1" <<'EOF'
import base64, sys
r = int.from_bytes(base64.urlsafe_b64decode(sys.argv[1] + "="), "big") % 7
print((1 - r) % 7)
EOF
)
start m1 "$M" 1 "${PORT[m1]}" "$T/m-data1" --fault-no-recover
expect "wiped node fails" not_found "$(outcome "$(url 1)" "$ID1" "$P1-0" primary)"
expect "no-recover refuses on demand" 503 "$(http -X POST "$(url 1)/v1/admin/recover")"
stop m1
start m1 "$M" 1 "${PORT[m1]}" "$T/m-data1"
# Startup recovery runs once the node listens; the admin endpoint waits for a full pass.
expect "recover on demand" 200 "$(http -X POST "$(url 1)/v1/admin/recover")"
expect "recovered node passes primary" pass "$(outcome "$(url 1)" "$ID1" "$P1-0" primary)"
expect "recovered node passes secondary" pass "$(outcome "$(url 1)" "$ID1" "0-$((6 - P1))" secondary)"
ls "$T/m-data1/blobs/$hexid1" | grep -q primary- && ok "recovered slivers on disk" || bad "no recovered slivers"
# A whole data directory lost: the node learns the blob from its peers by ID.
stop m2
rm -rf "$T/m-data2"
start m2 "$M" 2 "${PORT[m2]}" "$T/m-data2"
expect "recover a blob by ID" 200 "$(http -X POST "$(url 2)/v1/admin/recover?blob=$ID2")"
grep -q '"failed":0' "$T/body" && ok "nothing left missing" || bad "recover answer: $(cat "$T/body")"
P2=$("$PY" - "$ID2" <<'EOF'
import base64, sys
r = int.from_bytes(base64.urlsafe_b64decode(sys.argv[1] + "="), "big") % 7
print((2 - r) % 7)
EOF
)
expect "rebuilt node passes" pass "$(outcome "$(url 2)" "$ID2" "$P2-4" primary)"
if "$A" blob get -o "$T/b2.out" --committee "$M" -- "$ID2" 2>"$T/get.err" && cmp -s "$T/b2" "$T/b2.out"; then
	ok "blob reads back after recovery"
else bad "read after recovery: $(cat "$T/get.err")"; fi

# ---- a full disk: uploads get 507, what is stored is still served ----
stop m3
start m3 "$M" 3 "${PORT[m3]}" "$T/m-data3" --min-free-mib 1000000000 # a reserve no disk has
head -c 3000 /dev/urandom >"$T/b-full"
"$A" blob put "$T/b-full" --committee "$M" --json >"$T/full.json" 2>"$T/full.err"
grep -q "disk is full" "$T/full.err" "$T/m3.log" "$T/log-m3" 2>/dev/null || grep -rq "507\|disk is full" "$T/full.err" &&
	ok "a full node's refusal is reported: $(grep -o 'disk is full[^;]*' "$T/full.err" | head -1)" ||
	bad "a full node: $(tail -2 "$T/full.err")"
idf=$("$A" blob encode "$T/b-full" --shards 7 --out "$T/enc-full" 2>/dev/null)
hexf=$("$PY" -c 'import base64,sys; print(base64.urlsafe_b64decode(sys.argv[1] + "=").hex())' "$idf")
[ ! -e "$T/m-data3/blobs/$hexf" ] && ok "the full node stored nothing of it" || bad "the full node stored part of a blob"
expect "a full node still serves what it has" 200 "$(curl -s -o /dev/null -w '%{http_code}' "$(url 3)/v1/blobs/$ID1/metadata")"
curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$T/enc-full/metadata.bcs" "$(url 3)/v1/blobs/$idf/metadata" >"$T/code"
expect "PUT to a full node -> 507" 507 "$(cat "$T/code")"
curl -sf "$(url 3)/metrics" >"$T/metrics.txt"; grep -q '^assay_node_stored_bytes [1-9]' "$T/metrics.txt" && ok "/metrics: stored bytes" || bad "/metrics: $(curl -s "$(url 3)/metrics" | head -3)"
stop m3
start m3 "$M" 3 "${PORT[m3]}" "$T/m-data3"

echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
