#!/usr/bin/env bash
# fixtures: anvil
# chain_cast_anvil.sh: transactions built and signed offline by `assay chain mktx` are
# accepted by a real node (anvil): a value transfer, a contract creation and a call with
# calldata from `assay chain calldata`, each from a fresh random key; the node reports the
# hash assay computed and the sender assay derived. Uses no dev account, so other tests
# sharing the anvil fixture cannot race it for nonces.
set -uo pipefail

ASSAY=${ASSAY_BIN:?ASSAY_BIN must point at the assay binary}
SRC=${ASSAY_SOURCE_DIR:?ASSAY_SOURCE_DIR must point at the repository}
STATE=${ASSAY_TEST_STATE:?ASSAY_TEST_STATE must be set (run through ctest)}
CAST=${ASSAY_CAST:-$SRC/node_modules/@foundry-rs/cast-linux-amd64/bin/cast}
[ -x "$CAST" ] || { echo "chain_cast_anvil: cast not found at $CAST (run 'npm ci')" >&2; exit 1; }
URL=$(cat "$STATE/anvil/url") || { echo "chain_cast_anvil: the anvil fixture is not running" >&2; exit 1; }
unset ETH_RPC_URL ETH_FROM CHAIN

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pass=0
fail=0
check() { # description, expected, got
	if [ "$2" = "$3" ]; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		printf 'FAIL %s\n  expected: %s\n  got:      %s\n' "$1" "$2" "$3" >&2
	fi
}
lower() { tr '[:upper:]' '[:lower:]'; }

chain=$("$CAST" chain-id --rpc-url "$URL")
key=0x$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
printf '%s\n' "$key" >"$work/key"
chmod 600 "$work/key"
me=$("$ASSAY" chain address --key-file "$work/key")
check "address matches cast" "$("$CAST" wallet address --private-key "$key")" "$me"
"$CAST" rpc --rpc-url "$URL" anvil_setBalance "$me" 0x56bc75e2d63100000 >/dev/null
fees=(--chain-id "$chain" --max-fee 100000000000 --priority-fee 1000000000)

# Send a raw transaction and check what the node says about it.
publish() { # description raw nonce
	local hash status from
	hash=$("$ASSAY" chain keccak "$2")
	"$CAST" publish --rpc-url "$URL" "$2" >"$work/publish" 2>&1 ||
		{ fail=$((fail + 1)); echo "FAIL $1: $(cat "$work/publish")" >&2; return 1; }
	status=$("$CAST" receipt --rpc-url "$URL" "$hash" status 2>&1)
	# cast prints "true" (older versions "1 (success)").
	[ "$status" = "1 (success)" ] && status=true
	check "$1: receipt status" true "$status"
	from=$("$CAST" tx --rpc-url "$URL" "$hash" from 2>&1 | lower)
	check "$1: sender" "$(echo "$me" | lower)" "$from"
	check "$1: nonce" "$3" "$("$CAST" tx --rpc-url "$URL" "$hash" nonce 2>&1)"
}

# 1. A value transfer to a fresh address.
to=0x$(od -An -tx1 -N20 /dev/urandom | tr -d ' \n')
raw=$("$ASSAY" chain mktx --key-file "$work/key" "${fees[@]}" --nonce 0 --to "$to" \
	--value 123456789 --gas-limit 21000)
publish transfer "$raw" 0
check "transfer: recipient balance" 123456789 "$("$CAST" balance --rpc-url "$URL" "$to")"

# 2. A contract creation. The init code returns the runtime 602a60005260206000f3, which
#    answers every call with the word 42.
init=0x600a600c600039600a6000f3602a60005260206000f3
check "empty key variable refused" 1 "$(ASSAY_ANVIL_TEST_KEY= "$ASSAY" chain mktx --key-env ASSAY_ANVIL_TEST_KEY \
	"${fees[@]}" --nonce 1 --create --data "$init" --gas-limit 200000 >/dev/null 2>&1; echo $?)"
raw=$(ASSAY_ANVIL_TEST_KEY=$key "$ASSAY" chain mktx --key-env ASSAY_ANVIL_TEST_KEY "${fees[@]}" \
	--nonce 1 --create --data "$init" --gas-limit 200000)
publish create "$raw" 1
contract=$("$CAST" compute-address --rpc-url "$URL" "$me" --nonce 1 | sed 's/.*: *//')
check "create: runtime code" 0x602a60005260206000f3 "$("$CAST" code --rpc-url "$URL" "$contract")"
check "create: contract address in receipt" "$(echo "$contract" | lower)" \
	"$("$CAST" receipt --rpc-url "$URL" "$("$ASSAY" chain keccak "$raw")" contractAddress | lower)"

# 3. A call with ABI calldata, carrying value.
data=$("$ASSAY" chain calldata 'settle(uint64,address[],(bytes32,string))' 7 "[$me, $to]" \
	"(0x$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n'), epoch seven)")
raw=$("$ASSAY" chain mktx --key-file "$work/key" "${fees[@]}" --nonce 2 --to "$contract" \
	--data "$data" --value 5 --gas-limit 100000)
publish call "$raw" 2
hash=$("$ASSAY" chain keccak "$raw")
check "call: input on chain" "$data" "$("$CAST" tx --rpc-url "$URL" "$hash" input)"

echo "chain_cast_anvil: $pass passed, $fail failed"
[ $fail -eq 0 ]
