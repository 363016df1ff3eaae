#!/usr/bin/env bash
# fixtures: pg
# node_gf16.sh: Walrus mainnet's shard count, n = 1000, which only the GF(2^16) code
# (encoding type 3) reaches: four real nodes from a committee file (250 shards each) store
# blobs through `blob put`, `audit challenge` passes symbols on both axes and catches a
# corrupting node, `blob get` reads them back byte for byte (also with a node down, so
# parity slivers are decoded), a node wiped of a blob rebuilds it from its peers, and
# `audit run --once` over a short epoch records every challenge as passed.
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:?run through ctest}
# shellcheck source=../../deploy/lib.sh
source "$SRC/deploy/lib.sh"
T=$(mktemp -d /tmp/assay-gf16-test.XXXXXX)
# shellcheck source=lib/nodes.sh
source "$SRC/tests/integration/lib/nodes.sh"
PY=$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)

N=1000
K=4
url() { echo "http://127.0.0.1:${PORT[g$1]}"; }
# holder ID PAIR: the node holding the pair (shard (pair + r) mod n, node shard mod K)
holder() {
	"$PY" - "$1" "$N" "$K" "$2" <<'EOF'
import base64, sys
bid, n, k, pair = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
r = int.from_bytes(base64.urlsafe_b64decode(bid + "="), "big") % n
print(((pair + r) % n) % k)
EOF
}
hex() { "$PY" -c 'import base64,sys;print(base64.urlsafe_b64decode(sys.argv[1]+"=").hex())' "$1"; }
outcome() { # outcome NODE ID SYMBOL AXIS: the challenge's outcome (exit 0 only for pass)
	local out rc o
	out=$("$A" audit challenge --node "$(url "$1")" --blob "$2" --symbol "$3" --axis "$4" --json 2>/dev/null)
	rc=$?
	o=$("$PY" -c 'import json,sys; print(json.loads(sys.argv[1])["outcome"])' "$out" 2>/dev/null || echo "unparsable:$out")
	if { [ "$o" = pass ] && [ $rc -ne 0 ]; } || { [ "$o" != pass ] && [ $rc -ne 1 ]; }; then
		o="exit$rc:$o"
	fi
	echo "$o"
}
# challenge_ok ID I J: symbol I-J passes at the holders of primary sliver I and secondary
# sliver J, and is not found at a node without it
challenge_ok() {
	local id=$1 i=$2 j=$3 hp hs
	hp=$(holder "$id" "$i")
	hs=$(holder "$id" $((N - 1 - j)))
	expect "challenge $i-$j primary" pass "$(outcome "$hp" "$id" "$i-$j" primary)"
	expect "challenge $i-$j secondary" pass "$(outcome "$hs" "$id" "$i-$j" secondary)"
	expect "challenge $i-$j primary elsewhere" not_found "$(outcome $(((hp + 1) % K)) "$id" "$i-$j" primary)"
}

cluster g $N $K || exit 1

# The encoder's own view: type 3 in the metadata, n = 1000 pairs.
head -c 300001 /dev/urandom >"$T/mid"
idl=$("$A" blob encode "$T/mid" --shards $N --out "$T/enc" 2>/dev/null) || bad "blob encode at n = 1000"
expect "metadata: encoding type 3" 03 "$(head -c2 "$T/enc/metadata.bcs" | tail -c1 | xxd -p)"
expect "2n sliver files" $((2 * N)) "$(ls "$T/enc" | grep -c -E '^(primary|secondary)-')"

declare -A ID
head -c 1 /dev/urandom >"$T/one"
head -c 2000000 /dev/urandom >"$T/big"
for f in one mid big; do
	ID[$f]=$("$A" blob put "$T/$f" --committee "$T/g.json" 2>"$T/put-$f.err")
	if [ $? -ne 0 ] || [ -z "${ID[$f]}" ]; then bad "put $f: $(tail -2 "$T/put-$f.err")"; continue; fi
	grep -q "confirmed by nodes holding $N " "$T/put-$f.err" && ok "put $f confirmed by all" ||
		bad "put $f confirmations: $(tail -2 "$T/put-$f.err")"
done
expect "blob put's ID is blob encode's" "$idl" "${ID[mid]}"

for f in one mid big; do
	id=${ID[$f]}
	challenge_ok "$id" 0 0
	challenge_ok "$id" 999 500
	challenge_ok "$id" 333 667
	if "$A" blob get -o "$T/out-$f" --committee "$T/g.json" -- "$id" 2>"$T/get.err" &&
		cmp -s "$T/$f" "$T/out-$f"; then
		ok "get $f back byte for byte"
	else bad "get $f: $(tail -2 "$T/get.err")"; fi
done

# A node corrupting every symbol it serves fails its challenges; with it down (250 shards,
# below f = 333), reads decode from the parity slivers of the other three.
id=${ID[big]}
hp=$(holder "$id" 5)
stop "g$hp"
start "g$hp" "$T/g.json" "$hp" "${PORT[g$hp]}" "$T/g-data$hp" --fault-corrupt 1 || bad "restart g$hp"
expect "corrupting node -> invalid_proof" invalid_proof "$(outcome "$hp" "$id" 5-17 primary)"
stop "g$hp"
if "$A" blob get -o "$T/out-down" --committee "$T/g.json" -- "$id" 2>"$T/get.err" &&
	cmp -s "$T/big" "$T/out-down"; then
	ok "get with a node down (decoded from parity)"
else bad "get with a node down: $(tail -2 "$T/get.err")"; fi
start "g$hp" "$T/g.json" "$hp" "${PORT[g$hp]}" "$T/g-data$hp" || bad "restart g$hp"

# Recovery: a node wiped of a blob's slivers rebuilds them from its peers' symbols.
id=${ID[mid]}
w=$(holder "$id" 0)
stop "g$w"
rm -f "$T/g-data$w/blobs/$(hex "$id")"/primary-* "$T/g-data$w/blobs/$(hex "$id")"/secondary-*
start "g$w" "$T/g.json" "$w" "${PORT[g$w]}" "$T/g-data$w" || bad "restart g$w"
code=$(curl -s -o "$T/rec" -w '%{http_code}' -X POST "$(url "$w")/v1/admin/recover?blob=$id")
expect "recover on demand" 200 "$code"
grep -q '"failed":0' "$T/rec" && ok "nothing left missing" || bad "recover answer: $(cat "$T/rec")"
expect "recovered node passes primary" pass "$(outcome "$w" "$id" 0-3 primary)"
expect "recovered node passes secondary" pass "$(outcome "$w" "$id" 3-$((N - 1)) secondary)"

# The auditor over a short epoch: every node healthy again, so every challenge passes.
PG=$(cat "${ASSAY_TEST_STATE:?}/pg/url")
dbname="gf16_$$_$RANDOM"
if psql "$PG" -qAtc "CREATE DATABASE $dbname"; then
	DB=${PG%/*}/$dbname
	for f in one mid big; do echo "${ID[$f]} $(stat -c %s "$T/$f")"; done >"$T/blobs.txt"
	(umask 077; echo 0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d >"$T/akey")
	"$A" audit run --epoch 7 --once --db "$DB" --key-file "$T/akey" --seed 0x$(printf '%064d' 7) \
		--committee "$T/g.json" --blobs "$T/blobs.txt" --window-ms 3000 --epoch-start now \
		--batch-timeout-ms 20000 --audit-epoch-ms 120000 --log-level warn >"$T/run.out" 2>"$T/run.err"
	expect "audit run --once exits 0" 0 $?
	got=$(psql "$DB" -qAt -c "SELECT string_agg(DISTINCT outcome, ',') || ' ' || (count(*) > 0)
		FROM challenges WHERE epoch = 7")
	expect "auditor: every challenge passed" "pass true" "$got"
	psql "$PG" -qAtc "DROP DATABASE $dbname" >/dev/null 2>&1
else bad "cannot create a database"; fi

for ((i = 0; i < K; i++)); do stop "g$i"; done
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
