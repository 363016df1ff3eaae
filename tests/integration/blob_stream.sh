#!/usr/bin/env bash
# fixtures:
# blob_stream.sh: a file larger than memory allows to hold twice is stored and read back.
# Under an address-space limit of 448 MiB (prlimit --as), less than two copies of the
# 256 MiB file, `blob encode` and `blob put` (n = 255, four real nodes from a committee
# file) encode it in two passes through a scratch directory and never hold it; the same
# limit makes `blob get`, which holds the blob, fail (so the limit bites), and without it
# `blob get` reads the blob back byte for byte. Address-space limits do not work under
# AddressSanitizer (it reserves terabytes up front): a sanitizer build prints SKIP.
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:?run through ctest}
# shellcheck source=../../deploy/lib.sh
source "$SRC/deploy/lib.sh"
if ldd "$A" 2>/dev/null | grep -q -E 'libasan|libtsan'; then
	echo "SKIP: $A is a sanitizer build, where prlimit --as cannot limit memory"
	exit 0
fi
command -v prlimit >/dev/null || { echo "SKIP: no prlimit (util-linux)"; exit 0; }
T=$(mktemp -d /tmp/assay-stream-test.XXXXXX)
# shellcheck source=lib/nodes.sh
source "$SRC/tests/integration/lib/nodes.sh"

N=255
K=4
MIB=256
LIMIT=$((448 << 20))
limited() { prlimit --as=$LIMIT -- "$@"; }
peak_kb() { sed -n 's/.*Maximum resident set size (kbytes): //p' "$1"; }

cluster g $N $K || exit 1
head -c $((MIB << 20)) /dev/urandom >"$T/blob" || { bad "cannot write a $MIB MiB file"; exit 1; }

id_enc=$(TMPDIR="$T" /usr/bin/time -v -o "$T/enc.time" prlimit --as=$LIMIT -- \
	"$A" blob encode "$T/blob" --shards $N --out "$T/enc" 2>"$T/enc.err")
if [ $? -eq 0 ] && [ -n "$id_enc" ]; then
	ok "blob encode of $MIB MiB under a $((LIMIT >> 20)) MiB address space (peak RSS $(peak_kb "$T/enc.time") kB)"
else bad "blob encode under the limit: $(tail -2 "$T/enc.err")"; fi
expect "2n sliver files and the metadata" $((2 * N + 1)) "$(ls "$T/enc" | grep -c -E '^(primary|secondary)-[0-9]+\.bcs$|^metadata\.bcs$')"
expect "no scratch or partial files left" 0 "$(ls -A "$T/enc" | grep -c -E '\.part$|^\.')"
rm -rf "$T/enc"

id=$(TMPDIR="$T" /usr/bin/time -v -o "$T/put.time" prlimit --as=$LIMIT -- \
	"$A" blob put "$T/blob" --committee "$T/g.json" 2>"$T/put.err")
if [ $? -eq 0 ] && [ -n "$id" ]; then
	ok "blob put of $MIB MiB under the limit (peak RSS $(peak_kb "$T/put.time") kB)"
else bad "blob put under the limit: $(tail -3 "$T/put.err")"; fi
grep -q "confirmed by nodes holding $N " "$T/put.err" && ok "put confirmed by all" ||
	bad "put confirmations: $(tail -2 "$T/put.err")"
expect "blob put's ID is blob encode's" "$id_enc" "$id"
expect "the scratch directory is gone" 0 "$(ls -d "$T"/assay-put-* 2>/dev/null | wc -l)"

# The limit bites: reading the blob back holds it (and its slivers) in memory.
if limited "$A" blob get -o "$T/out" --committee "$T/g.json" -- "$id" >/dev/null 2>"$T/get1.err"; then
	bad "blob get under the limit succeeded: the limit does not test streaming"
else ok "blob get, which holds the blob, fails under the same limit"; fi
if "$A" blob get -o "$T/out" --committee "$T/g.json" -- "$id" 2>"$T/get.err" &&
	cmp -s "$T/blob" "$T/out"; then
	ok "get back byte for byte"
else bad "get: $(tail -2 "$T/get.err")"; fi

for ((i = 0; i < K; i++)); do stop "g$i"; done
echo "$passes passed, $fails failed"
[ "$fails" -eq 0 ]
