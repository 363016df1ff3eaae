#!/usr/bin/env bash
# cli_capture.sh BASE_BIN NEW_BIN: byte-level drift check of the command line between two
# builds of assay, for moves of code out of cli/ (issue 16). Runs, with both binaries and
# the same inputs: `assay --help`, every command's --help, --help-all, an unknown option
# and its usage errors, and every command that needs no database and no chain (chain
# keccak|calldata|address|sign|mktx, blob encode|id, audit plan --committee, text and
# --json), plus the errors of commands pointed at a chain or database that is not there.
# Stdout, stderr (log timestamps masked) and the exit code of each run are kept in
# OUT/{base,new}/NN-NAME.{out,err,rc} and compared with diff -r; exit 0 when identical.
# OUT is $CLI_CAPTURE_OUT, else a temporary directory removed at the end.
# With CLI_CAPTURE_CHAIN=1 it also starts anvil (deploy/anvil.sh), deploys our contracts,
# stakes two nodes and a delegator and moves to epoch 1 with the base binary, then
# compares the readers of that chain: epoch status, stake status, blob status, chain call.
# (In lib/ so that CTest does not take it for a test: it needs two builds to compare.)
set -uo pipefail
BASE=$(realpath "${1:?usage: cli_capture.sh BASE_BIN NEW_BIN}")
NEW=$(realpath "${2:?usage: cli_capture.sh BASE_BIN NEW_BIN}")
keep=${CLI_CAPTURE_OUT:-}
OUT=${keep:-$(mktemp -d)}
[ -n "$keep" ] || trap 'rm -rf "$OUT"' EXIT
IN=$OUT/in
mkdir -p "$IN" "$OUT/base" "$OUT/new"
# Nothing from the caller's environment may change the outputs.
for v in $(env | sed -n 's/^\(ASSAY_[A-Z_]*\)=.*/\1/p'); do unset "$v"; done
export ASSAY_CAPTURE_KEY=0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d

# ---- inputs ----
(umask 077; echo "$ASSAY_CAPTURE_KEY" >"$IN/key"; echo 0x$(printf '%064d' 9) >"$IN/secret")
echo 0x1234 >"$IN/open.key" # a key file readable by others: refused
printf 'assay capture blob\n' >"$IN/small"
yes "assay capture blob two" | head -c 70001 >"$IN/big"
: >"$IN/empty"
{
	echo '{"n_shards": 10, "epoch": 7, "nodes": ['
	echo '  {"url": "http://127.0.0.1:1", "shards": [0,3,6,9]},'
	echo '  {"url": "http://127.0.0.1:2", "shards": [1,4,7]},'
	echo '  {"url": "http://127.0.0.1:3", "shards": [2,5,8]}'
	echo ']}'
} >"$IN/committee.json"
echo '{"chain_id": 31337}' >"$IN/deployment.json"
cat >"$IN/typed.json" <<'EOF'
{"types":{"EIP712Domain":[{"name":"name","type":"string"},{"name":"chainId","type":"uint256"}],
 "Mail":[{"name":"to","type":"address"},{"name":"body","type":"string"}]},
 "primaryType":"Mail","domain":{"name":"assay","chainId":1},
 "message":{"to":"0x70997970c51812dc3a010c7d01b50e0d17dc79c8","body":"hello"}}
EOF

# The blob list for audit plan: the IDs the base binary's encoder gives.
for f in small big; do
	"$BASE" blob encode "$IN/$f" --shards 10 --out "$IN/enc-$f" >"$IN/id-$f" 2>/dev/null
	echo "$(cat "$IN/id-$f") $(stat -c %s "$IN/$f")" >>"$IN/blobs.txt"
done

# ---- the runs ----
n=0
run() { # run NAME ARGS...: the same invocation with both binaries, in $IN
	n=$((n + 1))
	local name tag bin
	name=$(printf '%03d-%s' "$n" "$1"); shift
	for tag in base new; do
		[ $tag = base ] && bin=$BASE || bin=$NEW
		rm -rf "$IN/o"
		[ -z "${RUN_PRE:-}" ] || $RUN_PRE
		(cd "$IN" && timeout 60 "$bin" "$@" >"$OUT/$tag/$name.out" 2>"$OUT/$tag/$name.err"
			echo $? >"$OUT/$tag/$name.rc")
		# log lines start with an ISO time; the rest must match byte for byte
		sed -i -E 's/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z?/TIME/g' "$OUT/$tag/$name.err"
		[ -d "$IN/o" ] && (cd "$IN/o" && sha256sum * >"$OUT/$tag/$name.files")
	done
}

run help --help
run noargs
run unknown frobnicate
run topflag --frob
while read -r group sub; do
	run "$group-$sub-help" "$group" "$sub" --help
	run "$group-$sub-helpall" "$group" "$sub" --help-all
	run "$group-$sub-badopt" "$group" "$sub" --no-such-option
	run "$group-$sub-extra" "$group" "$sub" extra-arg extra-arg2
	case "$group $sub" in # the daemons would wait for what is not there
	"node serve" | "audit run" | "settle run" | "api serve" | "gateway serve") continue ;;
	esac
	run "$group-$sub-bare" "$group" "$sub" --rpc-url http://127.0.0.1:1 --db "host=127.0.0.1 port=1 connect_timeout=1" --deployment "$IN/deployment.json"
	run "$group-$sub-json" "$group" "$sub" --json --rpc-url http://127.0.0.1:1 --db "host=127.0.0.1 port=1 connect_timeout=1" --deployment "$IN/nodeployment.json"
done < <("$BASE" --help | sed -nE 's/^  ([a-z]+) ([a-z-]+)  .*/\1 \2/p')
for top in payouts attestations; do
	run "$top-help" $top --help
	run "$top-badopt" $top --no-such-option
	run "$top-extra" $top extra-arg
done

# chain: offline tools
run keccak-hex chain keccak 0x00ff
run keccak-text chain keccak --text hello
run keccak-empty chain keccak ""
run keccak-badhex chain keccak 0xzz
run keccak-0X chain keccak 0Xff
run keccak-text-hex chain keccak --text 0x00
run sign-badhex chain sign --key-file key 0xzz
run sign-hex chain sign --key-file key 0x00ff
for args in "transfer(address,uint256) 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 5" \
	"f(uint8[],string,(bool,bytes32)) [1,2,3] hi (true,0x$(printf '%064d' 1))" \
	"g()" "h(uint8) 300" "bad(" "f(uint256) notanumber" "f(address) 0x12" "f(int8) -128" \
	"f(bytes) 0x" "f(uint256,uint256) 1"; do
	read -ra a <<<"$args"
	run calldata chain calldata -- "${a[@]}"
done
run calldata-none chain calldata
run address chain address --key-file key
run address-env chain address --key-env ASSAY_CAPTURE_KEY
run address-open chain address --key-file open.key
run address-both chain address --key-file key --key-env ASSAY_CAPTURE_KEY
run address-missing chain address --key-file nosuch
run sign chain sign --key-file key hello
run sign-nohash chain sign --key-file key --no-hash 0x$(printf '%064d' 5)
run sign-nohash-bad chain sign --key-file key --no-hash 0x12
run sign-typed chain sign --key-file key --typed-data typed.json
run sign-typed-missing chain sign --key-file key --typed-data nosuch.json
run sign-typed-bad chain sign --key-file key --typed-data committee.json
for args in "--chain-id 1 --nonce 0 --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --gas-limit 21000 --max-fee 100 --priority-fee 1" \
	"--chain-id 31337 --nonce 5 --create --data 0x6000 --gas-limit 100000 --max-fee 7 --priority-fee 2 --value 9" \
	"--chain-id 1 --nonce 0 --gas-limit 21000 --max-fee 100 --priority-fee 1" \
	"--chain-id 1 --nonce x --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --gas-limit 21000 --max-fee 100 --priority-fee 1" \
	"--chain-id 1 --nonce 0 --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --gas-limit 21000 --max-fee 100 --priority-fee 1 --data 0xzz"; do
	read -ra a <<<"$args"
	run mktx chain mktx --key-file key "${a[@]}"
done
run mktx-sig chain mktx --key-file key --chain-id 1 --nonce 0 --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --gas-limit 50000 --max-fee 100 --priority-fee 1 -- "transfer(address,uint256)" 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 5

# chain send|call: usage errors before any connection
run send-nokey chain send --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8
run send-noto chain send --key-file key
run send-both chain send --key-file key --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --create
run send-badto chain send --key-file key --to 0x12
run send-badvalue chain send --key-file key --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --value x
run send-databoth chain send --key-file key --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --data 0x00 "f()"
run send-badsig chain send --key-file key --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 "f("
run send-badarg chain send --key-file key --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 "f(uint8)" 999
run send-baddata chain send --key-file key --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --data 0xz
run send-norpc chain send --key-file key --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --rpc-url http://127.0.0.1:1 --rpc-timeout-ms 200
run call-noto chain call "f()"
run call-norpc chain call --to 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 "f()(uint256)" --rpc-url http://127.0.0.1:1

# blob: encoder and IDs
for f in small big empty; do
	for s in 1 4 10 255; do run "encode-$f-$s" blob encode "$f" --shards $s --out o; done
done
run encode-noshards blob encode small --out o
run encode-toomany blob encode small --shards 256 --out o
run encode-noout blob encode small --shards 4
run encode-missing blob encode nosuch --shards 4 --out o
run id blob id --metadata enc-small/metadata.bcs
run id-hex blob id --metadata enc-big/metadata.bcs --hex
run id-bad blob id --metadata small
run id-none blob id

# audit plan: committee file inputs
common=(--committee committee.json --blobs blobs.txt --seed 0x$(printf '%064d' 7))
for ep in 0 7 123; do
	run "plan-key-$ep" audit plan --epoch $ep --key-file key "${common[@]}"
	run "plan-key-json-$ep" audit plan --epoch $ep --key-file key "${common[@]}" --json
	run "plan-secret-$ep" audit plan --epoch $ep --auditor 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --secret 0x$(printf '%064d' 9) "${common[@]}" --json
done
run plan-window audit plan --key-file key "${common[@]}" --window-ms 1500 --per-shard 3 --json
run plan-minnode audit plan --key-file key "${common[@]}" --min-per-node 50 --batch-size 7
run plan-secretfile audit plan --auditor 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --secret-file secret "${common[@]}"
run plan-secretfile-open audit plan --auditor 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --secret-file open.key "${common[@]}"
run plan-mismatch audit plan --key-file key --auditor 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 "${common[@]}"
run plan-nosecret audit plan --auditor 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 "${common[@]}"
run plan-badauditor audit plan --auditor 0x12 --secret 0x00 "${common[@]}"
run plan-badsecret audit plan --auditor 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --secret 0x00 "${common[@]}"
run plan-noseed audit plan --key-file key --committee committee.json --blobs blobs.txt
run plan-badseed audit plan --key-file key --committee committee.json --blobs blobs.txt --seed 0x12
run plan-blobsonly audit plan --key-file key --blobs blobs.txt
run plan-nocommittee audit plan --key-file key --rpc-url http://127.0.0.1:1 --deployment deployment.json
run plan-badcommittee audit plan --key-file key --committee typed.json --blobs blobs.txt --seed 0x$(printf '%064d' 7)
run run-nodb audit run --once --key-file key "${common[@]}"
run run-nokey audit run --rpc-url http://127.0.0.1:1
run run-badstart audit run --once --key-file key "${common[@]}" --epoch-start soon
run run-nowindow audit run --once --key-file key "${common[@]}" --window-ms 0

# views and chain readers with nothing to reach
run payouts-nonode payouts
run payouts-badnode payouts --node 0x12
run payouts-badepochs payouts --node 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --epochs 5..2
run payouts-nodb payouts --node 0x70997970c51812dc3a010c7d01b50e0d17dc79c8
run attestations-noepoch attestations
run attestations-nochain attestations --epoch 1 --rpc-url http://127.0.0.1:1 --deployment deployment.json
run stake-deleg stake status --delegator 0x70997970c51812dc3a010c7d01b50e0d17dc79c8
run stake-badnode stake status --node 0x12
run stake-register-noendpoint stake register --key-file key --node-key 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --amount 5
run stake-register-commission stake register --key-file key --node-key 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --amount 5 --endpoint http://x --commission 10001
run stake-undelegate-both stake undelegate --key-file key --node 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 --all --shares 1
run stake-status-nochain stake status --rpc-url http://127.0.0.1:1 --deployment deployment.json
run epoch-status-badepoch epoch status --epoch x --rpc-url http://127.0.0.1:1 --deployment deployment.json

# ---- readers of a chain (optional) ----
if [ -n "${CLI_CAPTURE_CHAIN:-}" ]; then
	ROOT=$(cd "$(dirname "$0")/../../.." && pwd)
	"$ROOT/deploy/anvil.sh" start "$OUT/anvil" >/dev/null || exit 1
	trap '"$ROOT/deploy/anvil.sh" stop "$OUT/anvil" >/dev/null; [ -n "$keep" ] || rm -rf "$OUT"' EXIT
	export ASSAY_RPC_URL ASSAY_DEPLOYMENT="$IN/chain.json" ASSAY_CONFIRMATIONS=1 ASSAY_LOG_LEVEL=warn
	ASSAY_RPC_URL=$(cat "$OUT/anvil/url")
	rpc() { curl -sS -m 10 -H 'content-type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$ASSAY_RPC_URL" >/dev/null; }
	B() { "$BASE" "$@" >>"$OUT/setup.log" 2>&1 || { echo "setup failed: $*"; tail "$OUT/setup.log"; exit 1; }; }
	keys=(0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80
		0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d
		0x5de4111afa1a4b94908f83ee1e3f5b3f5d1f1b6b2d1f3d1b1c1d1e1f2a2b2c2d
		0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6)
	for i in 0 1 2 3; do (umask 077; echo "${keys[$i]}" >"$IN/k$i"); done
	for i in 1 2 3; do rpc anvil_setBalance "[\"$("$BASE" chain address --key-file "$IN/k$i")\",\"0x56BC75E2D63100000\"]"; done
	B chain deploy --key-file "$IN/k0" --out "$IN/chain.json" --n-shards 10 --epoch-duration 60 \
		--commit-window 60 --reveal-window 60 --dispute-window 60 --price-per-mib 1000000000000000000
	token=$(sed -nE 's/.*"token": *"([^"]*)".*/\1/p' "$IN/chain.json")
	for i in 1 2 3; do
		B chain send --key-file "$IN/k0" --to "$token" 'mint(address,uint256)' \
			"$("$BASE" chain address --key-file "$IN/k$i")" 10000000000000000000000 --wait
	done
	for i in 1 2; do
		B stake register --key-file "$IN/k$i" --node-key "$("$BASE" chain address --key-file "$IN/k$((3 - i))")" \
			--endpoint "http://127.0.0.1:$i \"quoted\"" --commission $((i * 500)) --amount 1000000000000000000000
	done
	n1=$("$BASE" chain address --key-file "$IN/k1")
	d3=$("$BASE" chain address --key-file "$IN/k3")
	B stake delegate --key-file "$IN/k3" --node "$n1" --amount 5000000000000000000
	rpc evm_increaseTime '[61]'; rpc anvil_mine '[1]'
	B epoch advance --key-file "$IN/k0"
	rpc anvil_mine '[6]'
	B epoch seed --key-file "$IN/k0"
	B blob register --key-file "$IN/k3" --blob-id "$(cat "$IN/id-big")" --size 70001 --epochs 3
	for j in "" --json; do
		run chain-epoch-status epoch status $j
		run chain-epoch-status-0 epoch status --epoch 0 $j
		run chain-epoch-status-1 epoch status --epoch 1 $j
		run chain-epoch-status-9 epoch status --epoch 9 $j
		run chain-stake-status stake status $j
		run chain-stake-status-node stake status --node "$n1" $j
		run chain-stake-status-deleg stake status --node "$n1" --delegator "$d3" $j
		run chain-stake-status-none stake status --node "$d3" $j
		run chain-blob-status blob status --blob-id AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA $j
		run chain-epoch-seed epoch seed --key-file k0 $j
		run chain-epoch-advance-early epoch advance --key-file k0 $j
		run chain-blob-status-reg blob status --blob-id "$(cat "$IN/id-big")" $j
	done
	# Transactions whose output names no hash: each binary from the same chain state (an
	# anvil snapshot, taken again after each revert), so the same block numbers come out.
	snap=""
	fresh() {
		[ -z "$snap" ] || rpc evm_revert "[\"$snap\"]"
		snap=$(curl -sS -m 10 -H 'content-type: application/json' \
			-d '{"jsonrpc":"2.0","id":1,"method":"evm_snapshot","params":[]}' "$ASSAY_RPC_URL" |
			sed -nE 's/.*"result":"([^"]*)".*/\1/p')
	}
	RUN_PRE=fresh
	for j in "" --json; do
		run chain-stake-delegate stake delegate --key-file k3 --node "$n1" --amount 7000 $j
		run chain-stake-undelegate-all stake undelegate --key-file k3 --node "$n1" --all $j
		run chain-stake-undelegate stake undelegate --key-file k3 --node "$n1" --shares 1 $j
		run chain-stake-withdraw stake withdraw --key-file k3 --node "$n1" $j
		run chain-stake-claim stake claim --key-file k1 $j
		run chain-stake-register stake register --key-file k3 --node-key "$d3" --endpoint http://x \
			--commission 7 --amount 1000000000000000000000 $j
		run chain-epoch-advance epoch advance --key-file k0 $j
		run chain-blob-register blob register --key-file k3 --blob-id "$(cat "$IN/id-small")" \
			--size 19 --epochs 2 $j
	done
	RUN_PRE=
	echo '{"record":"0x00","index":0,"count":1,"proof":[]}' >"$IN/proof-short.json"
	echo '{"index":0,"count":1,"proof":[]}' >"$IN/proof-norecord.json"
	echo 'not json' >"$IN/proof-bad.json"
	for f in proof-short proof-norecord proof-bad proof-none; do
		run "chain-evidence-verify-$f" evidence verify "$f.json"
	done
	run chain-attestations attestations --epoch 0
	run chain-attestations-json attestations --epoch 0 --json
	run chain-call chain call --to "$token" "balanceOf(address)(uint256)" "$d3"
	run chain-call-name chain call --to "$token" "name()(string)"
fi

echo "cli_capture: $n invocations, $(find "$OUT/base" -type f | wc -l) captured files per binary"
if diff -r "$OUT/base" "$OUT/new"; then
	echo "cli_capture: identical"
	exit 0
fi
echo "cli_capture: DIFFERENT"
exit 1
