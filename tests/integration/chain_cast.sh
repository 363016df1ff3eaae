#!/usr/bin/env bash
# fixtures:
# chain_cast.sh: assay chain keccak|calldata|mktx|address|sign against foundry's cast, on
# a few hundred seeded random inputs: random bytes and texts, random signatures across the
# whole ABI type system with random values, random transactions signed with random keys,
# personal messages, digests and random EIP-712 typed data. Every output must be
# byte-identical. ASSAY_CAST_SEED picks another seed; ASSAY_CAST_CASES
# scales the number of cases.
set -uo pipefail

ASSAY=${ASSAY_BIN:?ASSAY_BIN must point at the assay binary}
SRC=${ASSAY_SOURCE_DIR:?ASSAY_SOURCE_DIR must point at the repository}
CAST=${ASSAY_CAST:-$SRC/node_modules/@foundry-rs/cast-linux-amd64/bin/cast}
SEED=${ASSAY_CAST_SEED:-20260522}
SCALE=${ASSAY_CAST_CASES:-1}
if [ ! -x "$CAST" ]; then
	echo "chain_cast: cast not found at $CAST (run 'npm ci' in $SRC)" >&2
	exit 1
fi
command -v python3 >/dev/null || { echo "chain_cast: python3 is needed to generate cases" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# cast reads these; the test must not depend on the caller's environment.
unset ETH_RPC_URL ETH_GAS_PRICE ETH_PRIORITY_GAS_PRICE ETH_GAS_LIMIT CHAIN ETH_FROM

# One case per line, fields separated by 0x1f: KIND then its arguments.
mkdir -p "$work/typed"
python3 - "$SEED" "$SCALE" "$work/typed" >"$work/cases" <<'PY'
import json, os, random, sys
rng = random.Random(int(sys.argv[1]))
scale = int(sys.argv[2])
typed_dir = sys.argv[3]
SEP = "\x1f"
N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141

def hexs(n):
    return "0x" + bytes(rng.getrandbits(8) for _ in range(n)).hex()

def text():
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .:;!?#%&*+=/_~'é€"
    s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 160)))
    s = s.strip()
    if not s or s[0] in "-" or s.startswith("0x"):
        s = "t" + s
    return s

def word():
    # Strings inside arrays and tuples: no separators, quotes or edge spaces.
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_ "
    s = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 40))).strip()
    return s or "w"

def rtype(depth):
    r = rng.random()
    if depth < 3 and r < 0.25:
        inner = rtype(depth + 1)
        return ("arr", inner, rng.choice([None, None, 1, 2, 3]))
    if depth < 3 and r < 0.40:
        return ("tuple", [rtype(depth + 1) for _ in range(rng.randint(1, 3))])
    k = rng.choice(["uint", "int", "address", "bool", "bytesN", "bytes", "string"])
    if k in ("uint", "int"):
        return (k, 8 * rng.randint(1, 32))
    if k == "bytesN":
        return (k, rng.randint(1, 32))
    return (k,)

def tname(t):
    k = t[0]
    if k in ("uint", "int"):
        return f"{k}{t[1]}"
    if k == "bytesN":
        return f"bytes{t[1]}"
    if k == "arr":
        return tname(t[1]) + (f"[{t[2]}]" if t[2] else "[]")
    if k == "tuple":
        return "(" + ",".join(tname(f) for f in t[1]) + ")"
    return k

def sep():
    return rng.choice([",", ", ", ",  "])

def rvalue(t, top):
    k = t[0]
    if k == "uint":
        bits = rng.randint(0, t[1])
        v = rng.getrandbits(bits) if bits else 0
        return hex(v) if rng.random() < 0.3 else str(v)
    if k == "int":
        bits = rng.randint(0, t[1] - 1)
        v = rng.getrandbits(bits) if bits else 0
        if rng.random() < 0.5:
            return str(-v - 1) if rng.random() < 0.5 else str(-v)
        return hex(v) if rng.random() < 0.3 else str(v)
    if k == "address":
        a = hexs(20)
        return a if rng.random() < 0.8 else a[2:]
    if k == "bool":
        return rng.choice(["true", "false"])
    if k == "bytesN":
        return hexs(t[1])
    if k == "bytes":
        return hexs(rng.randint(0, 70))
    if k == "string":
        return text() if top else word()
    if k == "arr":
        n = t[2] if t[2] else rng.randint(0, 3)
        return "[" + sep().join(rvalue(t[1], False) for _ in range(n)) + "]"
    if k == "tuple":
        return "(" + sep().join(rvalue(f, False) for f in t[1]) + ")"
    raise ValueError(k)

def fname():
    return rng.choice("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_") + \
        "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(rng.randint(0, 12)))

def key():
    while True:
        k = rng.getrandbits(256)
        if 0 < k < N:
            return "0x%064x" % k

out = []
for _ in range(50 * scale):
    out.append(["keccak_hex", hexs(rng.choice([0, 1, 31, 32, 33, 135, 136, 137, 271, 272, 273, rng.randint(0, 600)]))])
for i in range(20 * scale):
    # cast takes only a lowercase 0x prefix as hex: "0X..." is text.
    out.append(["keccak_text", ("0X" + text()) if i % 5 == 0 else text()])
for _ in range(120 * scale):
    types = [rtype(0) for _ in range(rng.randint(0, 4))]
    sig = fname() + "(" + ",".join(tname(t) for t in types) + ")"
    out.append(["calldata", sig] + [rvalue(t, True) for t in types])
for _ in range(40 * scale):
    create = rng.random() < 0.15
    maxfee = rng.getrandbits(rng.choice([0, 8, 32, 64, 100, 128]))
    tip = rng.randint(0, maxfee)
    fields = [
        key(),
        str(rng.choice([1, 10, 31337, 11155111, rng.randint(100000, 2**32)])),
        str(rng.getrandbits(rng.choice([0, 8, 16, 32, 63]))),
        str(rng.randint(21000, 30000000)),
        str(maxfee),
        str(tip),
        str(rng.getrandbits(rng.choice([0, 1, 64, 128, 256]))),
        "" if create else hexs(20),
        hexs(rng.randint(1, 80)) if create else (hexs(rng.randint(0, 80)) if rng.random() < 0.6 else ""),
    ]
    out.append(["mktx"] + fields)
for _ in range(20 * scale):
    out.append(["address", key()])
# EIP-712 typed data: a primary struct and up to two others (a struct refers only to later
# ones, so there are no cycles), fields across the atomic types, bytes, string, structs and
# arrays of either.
def atomic():
    k = rng.choice(["uint", "int", "address", "bool", "bytesN", "bytes", "string"])
    if k in ("uint", "int"):
        return f"{k}{8 * rng.randint(1, 32)}"
    if k == "bytesN":
        return f"bytes{rng.randint(1, 32)}"
    return k

def typed_value(ty, structs):
    if ty.endswith("]"):
        base, dim = ty[:ty.rindex("[")], ty[ty.rindex("[") + 1:-1]
        n = int(dim) if dim else rng.randint(0, 3)
        return [typed_value(base, structs) for _ in range(n)]
    if ty in structs:
        return {name: typed_value(fty, structs) for fty, name in structs[ty]}
    if ty.startswith("uint"):
        v = rng.getrandbits(rng.randint(0, int(ty[4:])))
        r = rng.random()
        return v if r < 0.3 and v < 2**53 else (hex(v) if r < 0.6 else str(v))
    if ty.startswith("int"):
        v = rng.getrandbits(rng.randint(0, int(ty[3:]) - 1))
        v = -v if rng.random() < 0.5 else v
        return v if abs(v) < 2**53 and rng.random() < 0.3 else str(v)
    if ty == "address":
        return hexs(20)
    if ty == "bool":
        return rng.random() < 0.5
    if ty == "bytes":
        return hexs(rng.randint(0, 50))
    if ty.startswith("bytes"):
        return hexs(int(ty[5:]))
    if ty == "string":
        return text() if rng.random() < 0.9 else ""
    raise ValueError(ty)

def typed_data():
    names = ["Main"] + rng.sample(["Alpha", "Beta", "Zed", "Node", "Blob"], rng.randint(0, 2))
    structs = {}
    for i in reversed(range(len(names))):
        fields = []
        for j in range(rng.randint(1, 5)):
            later = names[i + 1:]
            ty = rng.choice(later) if later and rng.random() < 0.35 else atomic()
            if rng.random() < 0.2:
                ty += rng.choice(["[]", "[2]", "[1]"])
            fields.append((ty, f"f{j}_{rng.randint(0, 99)}"))
        structs[names[i]] = fields
    domain_fields = [("name", "string"), ("version", "string"), ("chainId", "uint256"),
                     ("verifyingContract", "address"), ("salt", "bytes32")]
    chosen = [f for f in domain_fields if rng.random() < 0.7] or [domain_fields[0]]
    domain = {}
    for name, ty in chosen:
        domain[name] = {"name": word, "version": lambda: str(rng.randint(1, 9)),
                        "chainId": lambda: rng.choice([1, 31337, rng.randint(1, 2**40)]),
                        "verifyingContract": lambda: hexs(20),
                        "salt": lambda: hexs(32)}[name]()
    types = {"EIP712Domain": [{"name": n, "type": t} for n, t in chosen]}
    for name, fields in structs.items():
        types[name] = [{"name": n, "type": t} for t, n in fields]
    return {"types": types, "primaryType": "Main", "domain": domain,
            "message": typed_value("Main", structs)}

for i in range(10 * scale):
    out.append(["sign_text", key(), ("0X" + text()) if i % 5 == 0 else text()])
for i in range(10 * scale):
    out.append(["sign_text", key(), hexs(rng.randint(0, 100))])
for i in range(10 * scale):
    out.append(["sign_hash", key(), hexs(32)])
for i in range(40 * scale):
    path = os.path.join(typed_dir, f"typed{i}.json")
    with open(path, "w") as f:
        json.dump(typed_data(), f, ensure_ascii=False)
    out.append(["sign_typed", key(), path])
for case in out:
    assert all("\n" not in f and SEP not in f for f in case)
    print(SEP.join(case))
PY
[ -s "$work/cases" ] || { echo "chain_cast: case generation failed" >&2; exit 1; }

# Runs the cases of one file; prints "PASS kind" or a mismatch report per case. Two of
# these run side by side: most of the time goes into starting cast.
run_cases() { # cases-file worker-dir
	local keyfile=$2/key n=0
	local -a f common castdest assaydest
	local kind want got desc to data
	while IFS=$'\x1f' read -r -a f; do
		kind=${f[0]}
		n=$((n + 1))
		case $kind in
		keccak_hex)
			want=$("$CAST" keccak "${f[1]}" 2>&1)
			got=$("$ASSAY" chain keccak "${f[1]}" 2>&1)
			desc="keccak ${f[1]:0:40}..."
			;;
		keccak_text)
			want=$("$CAST" keccak "${f[1]}" 2>&1)
			if [ $((n % 2)) -eq 0 ]; then
				got=$("$ASSAY" chain keccak --text "${f[1]}" 2>&1)
			else
				got=$("$ASSAY" chain keccak "${f[1]}" 2>&1)
			fi
			desc="keccak text '${f[1]:0:40}'"
			;;
		calldata)
			want=$("$CAST" calldata "${f[@]:1}" 2>&1)
			got=$("$ASSAY" chain calldata -- "${f[@]:1}" 2>&1)
			desc="calldata $(printf "'%s' " "${f[@]:1}")"
			;;
		mktx)
			# key chain nonce gas maxfee tip value to data (read drops empty trailing fields)
			to=${f[8]:-}
			data=${f[9]:-}
			printf '%s\n' "${f[1]}" >"$keyfile"
			chmod 600 "$keyfile"
			common=(--nonce "${f[3]}" --gas-limit "${f[4]}" --value "${f[7]}")
			if [ -n "$to" ]; then
				castdest=("$to")
				assaydest=(--to "$to")
				if [ -n "$data" ]; then
					castdest+=("$data")
					assaydest+=(--data "$data")
				fi
			else
				castdest=(--create "$data")
				assaydest=(--create --data "$data")
			fi
			want=$("$CAST" mktx --private-key "${f[1]}" --chain "${f[2]}" "${common[@]}" \
				--gas-price "${f[5]}" --priority-gas-price "${f[6]}" "${castdest[@]}" 2>&1)
			if [ $((n % 3)) -eq 0 ]; then
				got=$(ASSAY_CAST_TEST_KEY=${f[1]} "$ASSAY" chain mktx --key-env ASSAY_CAST_TEST_KEY \
					--chain-id "${f[2]}" "${common[@]}" --max-fee "${f[5]}" \
					--priority-fee "${f[6]}" "${assaydest[@]}" 2>&1)
			else
				got=$("$ASSAY" chain mktx --key-file "$keyfile" --chain-id "${f[2]}" \
					"${common[@]}" --max-fee "${f[5]}" --priority-fee "${f[6]}" \
					"${assaydest[@]}" 2>&1)
			fi
			desc="mktx chain ${f[2]} nonce ${f[3]} value ${f[7]} to ${to:-create} data ${data:0:24}"
			;;
		sign_text | sign_hash | sign_typed)
			printf '%s\n' "${f[1]}" >"$keyfile"
			chmod 600 "$keyfile"
			case $kind in
			sign_text)
				want=$("$CAST" wallet sign --private-key "${f[1]}" "${f[2]}" 2>&1)
				got=$("$ASSAY" chain sign --key-file "$keyfile" -- "${f[2]}" 2>&1)
				;;
			sign_hash)
				want=$("$CAST" wallet sign --private-key "${f[1]}" --no-hash "${f[2]}" 2>&1)
				got=$("$ASSAY" chain sign --key-file "$keyfile" --no-hash "${f[2]}" 2>&1)
				;;
			sign_typed)
				want=$("$CAST" wallet sign --private-key "${f[1]}" --data --from-file "${f[2]}" 2>&1)
				got=$("$ASSAY" chain sign --key-file "$keyfile" --typed-data "${f[2]}" 2>&1)
				;;
			esac
			desc="$kind ${f[2]:0:60}"
			;;
		address)
			printf '%s\n' "${f[1]}" >"$keyfile"
			chmod 600 "$keyfile"
			want=$("$CAST" wallet address --private-key "${f[1]}" 2>&1)
			got=$("$ASSAY" chain address --key-file "$keyfile" 2>&1)
			desc="address of a random key"
			;;
		*)
			want="known case kind"
			got="unknown case kind $kind"
			desc=$kind
			;;
		esac
		if [ "$want" = "$got" ] && [[ $want == 0x* ]]; then
			echo "PASS $kind"
		else
			printf 'MISMATCH %s: %s\n  cast:  %s\n  assay: %s\n' "$kind" "$desc" "$want" "$got"
		fi
	done <"$1"
}

mkdir -p "$work/w0" "$work/w1"
awk 'NR % 2 == 1' "$work/cases" >"$work/w0/cases"
awk 'NR % 2 == 0' "$work/cases" >"$work/w1/cases"
run_cases "$work/w0/cases" "$work/w0" >"$work/w0/out" &
pid0=$!
run_cases "$work/w1/cases" "$work/w1" >"$work/w1/out" &
pid1=$!
wait "$pid0" "$pid1"
cat "$work/w0/out" "$work/w1/out" >"$work/out"

pass=$(grep -c '^PASS ' "$work/out")
fail=$(grep -c '^MISMATCH ' "$work/out")
grep -A2 '^MISMATCH ' "$work/out" | head -40 >&2
ncases=$(wc -l <"$work/cases")
if [ $((pass + fail)) -ne "$ncases" ]; then
	echo "chain_cast: ran $((pass + fail)) of $ncases cases" >&2
	fail=$((fail + 1))
fi
summary=$(sed -n 's/^PASS //p' "$work/out" | sort | uniq -c | awk '{printf " %s=%s", $2, $1}')
report() { # kind, description, expected, got
	fail=$((fail + 1))
	printf 'MISMATCH %s: %s\n  expected: %s\n  got:      %s\n' "$1" "$2" "$3" "$4" >&2
}

keyfile=$work/key
# The key file must be private: a world-readable one is refused without echoing the key.
printf '%s\n' 0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80 >"$keyfile"
chmod 644 "$keyfile"
msg=$("$ASSAY" chain address --key-file "$keyfile" 2>&1)
rc=$?
if [ $rc -ne 1 ] || [[ $msg == *ac0974bec39a17e3* ]] || [[ $msg != *"chmod 600"* ]]; then
	report mode "0644 key file" "exit 1 and a chmod hint" "exit $rc: $msg"
else
	pass=$((pass + 1))
fi
# Usage errors exit 2.
for args in "keccak" "calldata" "mktx --nonce 1" "address" "calldata f(uint8) 256" "keccak 0xzz"; do
	# shellcheck disable=SC2086
	"$ASSAY" chain $args >/dev/null 2>&1
	rc=$?
	if [ $rc -ne 2 ]; then
		report usage "assay chain $args" "exit 2" "exit $rc"
	else
		pass=$((pass + 1))
	fi
done

echo "chain_cast: seed $SEED, $pass passed, $fail failed (matching cast:$summary)"
[ $fail -eq 0 ]
