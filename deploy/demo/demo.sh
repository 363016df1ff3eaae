# demo.sh: the steps of deploy/network.sh (sourced by it, not run). Each do_* function
# runs in a subshell with `set -e`, its output going to the step's log; results pass
# between steps as files under $STATE. Every number the summary prints comes from an
# assay command's output (or the chain through it), never from this script.
#
# Everything the nodes and auditors work from comes from the chain: `node serve` finds its
# shards and peers in the committee by its node key, `audit run` reads the committee, the
# seed (`assay epoch seed` records it) and the certified blobs. Blobs are stored in epoch 1
# and audited from the epoch after the one that certified them (the rule of
# BlobRegistry.isChallengeable): epochs 2 and 3 are audited and settled; epoch 1 is settled
# with nothing decided (no score, no reward, no penalty: its pool rolls over).

N_SHARDS=20          # shards of the deployment (f = 6: certification needs 14)
EPOCH_S=3600         # epoch length on chain; time is moved with evm_increaseTime
WINDOW_S=600         # commit, reveal and dispute windows
SEED_DELAY=200       # (the most allowed) blocks between advanceEpoch and the seed block: room to certify blobs
PRICE_PER_MIB=1000000000000000000   # 1 token per encoded MiB per epoch
R0_BPS=8000          # rewards start above a score of 80 %
PENALTY_BPS=7500     # scores below 75 % are slashed (the default 50 % would spare node 5)
STAKE=1000000000000000000000        # 1000 tokens of self-stake per node,
STAKE0=2000000000000000000000       # and twice that for node 0: shards follow stake (5, 3, 3, 3, 2, 2, 2)
stake_of() { if [ "$1" = 0 ]; then echo "$STAKE0"; else echo "$STAKE"; fi; }
NBLOBS=20
AUDIT_WINDOW_MS=4000 # real time an auditor spreads one epoch's batches over
AUDITED=(2 3)        # the epochs audited, settled and shown in the payout table
NODES=(0 1 2 3 4 5 6)
AUDITORS=(0 1 2 3)
# anvil's first default account (the well-known test mnemonic): deploys and mints.
DEPLOYER_KEY=0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80

# ---- helpers ----------------------------------------------------------------------------
A() { "$ASSAY" "$@"; }
# rerun NAME ARGS...: `assay ARGS` as cron runs it. With --chaos (deploy/chaos/chaos.sh) a
# run that is killed or fails (PostgreSQL restarting, the chain's RPC away) is started
# again, as cron would a minute later, and its PID is kept in $STATE/chaos/run/NAME.pid
# for the schedule to kill; without, it runs once.
rerun() {
	local name=$1; shift
	if [ -z "${CHAOS_SEED:-}" ]; then "$ASSAY" "$@"; else chaos_rerun "$name" "$@"; fi
}
rpc() { # METHOD PARAMS-JSON: the result, or fail with the error (anvil itself, not the
	# proxy that --chaos puts between anvil and the assay processes)
	local out
	out=$(curl -sS -m 10 -H 'content-type: application/json' \
		-d "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"$1\",\"params\":$2}" "$CHAIN_URL")
	jq -e 'has("result")' <<<"$out" >/dev/null || { echo "$1: $out" >&2; return 1; }
	jq -c .result <<<"$out"
}
chain_time() { printf '%d\n' "$(rpc eth_getBlockByNumber '["latest",false]' | jq -r .timestamp)"; }
block_number() { printf '%d\n' "$(rpc eth_blockNumber '[]' | jq -r .)"; }
warp_to() { # T: move the chain's clock to at least T and mine a block there
	local t=$1 now; now=$(chain_time)
	if [ "$t" -gt "$now" ]; then rpc evm_increaseTime "[$((t - now))]" >/dev/null; fi
	rpc anvil_mine '[1]' >/dev/null
	echo "chain time now $(chain_time) (wanted $t)"
}
addr() { # NAME: the address of keys/NAME.key (from the table do_keys wrote)
	local a
	a=$(awk -v n="$1" '$1 == n { print $2 }' "$STATE/addresses" 2>/dev/null)
	[ -n "$a" ] || a=$(A chain address --key-file "$STATE/keys/$1.key")
	echo "$a"
}
lc() { tr 'A-F' 'a-f'; }
load_env() {
	export ASSAY_DB ASSAY_RPC_URL ASSAY_DEPLOYMENT ASSAY_CONFIRMATIONS=1 ASSAY_LOG_LEVEL=info CHAIN_URL
	ASSAY_DB=$(cat "$STATE/pg/url")
	CHAIN_URL=$(cat "$STATE/anvil/url")
	# With --chaos every assay process reaches anvil through the proxy.
	ASSAY_RPC_URL=$CHAIN_URL
	if [ -f "$STATE/proxy/url" ]; then ASSAY_RPC_URL=$(cat "$STATE/proxy/url"); fi
	ASSAY_DEPLOYMENT="$STATE/deployment.json"
	# Scratch files (the settle job's evidence blob and its encode, locked per auditor) in
	# this network's state, on disk: two networks on one machine may use the same keys.
	mkdir -p "$STATE/tmp"
	export TMPDIR="$STATE/tmp"
}
# A free port (deploy/lib.sh) no other node of this network was given: the nodes' ports
# are fixed on chain at registration, some seconds before the nodes listen.
node_port() {
	local p
	for _ in $(seq 1 50); do
		p=$(free_port)
		grep -qx "$p" "$STATE"/nodes/port* 2>/dev/null || { echo "$p"; return 0; }
	done
	echo "no free TCP port for a node" >&2; return 1
}
deployment() { jq -r ".$1" "$STATE/deployment.json"; }

stop_all() {
	[ -f "$STATE/api.pid" ] && stop_pid_file "$STATE/api.pid"
	[ -f "$STATE/gateway.pid" ] && stop_pid_file "$STATE/gateway.pid"
	[ -f "$STATE/gateway-f.pid" ] && stop_pid_file "$STATE/gateway-f.pid"
	stop_pid_files "$STATE"/nodes/n*.pid
	[ -f "$STATE/proxy/pid" ] && stop_pid_file "$STATE/proxy/pid"
	deploy/anvil.sh stop "$STATE/anvil" || true
	deploy/pg.sh stop "$STATE/pg" || true
}

# ---- steps ------------------------------------------------------------------------------
do_install() {
	deploy/install.sh
	for tool in jq perl; do
		command -v "$tool" >/dev/null && continue
		echo "installing $tool (the demo reads JSON with jq)"
		if [ "$(id -u)" -eq 0 ]; then apt-get install -y -qq --no-install-recommends "$tool"
		else sudo apt-get install -y -qq --no-install-recommends "$tool"; fi
	done
}
do_build() {
	cmake -S . -B "$BUILD"
	cmake --build "$BUILD" -j "$(nproc)"
	[ -x "$ASSAY" ]
}
do_pg() { deploy/pg.sh start "$STATE/pg"; }
do_anvil() { deploy/anvil.sh start "$STATE/anvil"; }
do_migrate() { A db migrate; A db status; }

do_keys() {
	# Deterministic keys: keccak256("assay-demo/<name>"); the deployer is anvil's account 0.
	local k name
	umask 077
	echo "$DEPLOYER_KEY" >"$STATE/keys/deployer.key"
	local names=(publisher) i
	for i in "${NODES[@]}"; do names+=("node$i-op" "node$i-key"); done
	for i in "${AUDITORS[@]}"; do names+=("auditor$i-sign" "auditor$i-gas"); done
	for name in "${names[@]}"; do
		k=$(A chain keccak --text "assay-demo/$name")
		echo "$k" >"$STATE/keys/$name.key"
	done
	chmod 600 "$STATE"/keys/*.key
	for k in "$STATE"/keys/*.key; do echo "$(basename "$k" .key) $(A chain address --key-file "$k")"; done |
		tee "$STATE/addresses"
}

do_deploy() {
	local aud=() a
	for a in "${AUDITORS[@]}"; do
		aud+=(--auditor "$a:$(addr "auditor$a-sign"):$(addr "auditor$a-gas")")
	done
	A chain deploy --key-file "$STATE/keys/deployer.key" --out "$STATE/deployment.json" \
		--n-shards "$N_SHARDS" --epoch-duration "$EPOCH_S" --commit-window "$WINDOW_S" \
		--reveal-window "$WINDOW_S" --dispute-window "$WINDOW_S" --seed-delay "$SEED_DELAY" \
		--price-per-mib "$PRICE_PER_MIB" --r0-bps "$R0_BPS" --penalty-bps "$PENALTY_BPS" --auditor-fa 1 "${aud[@]}" \
		${DEPLOY_EXTRA[@]+"${DEPLOY_EXTRA[@]}"} --json
}

do_fund() {
	local token who a
	token=$(deployment token)
	for who in publisher $(printf 'node%s-op ' "${NODES[@]}") $(printf 'auditor%s-gas ' "${AUDITORS[@]}"); do
		a=$(addr "$who")
		rpc anvil_setBalance "[\"$a\",\"0x56BC75E2D63100000\"]" >/dev/null # 100 ETH for gas
		case "$who" in
		node*) A chain send --key-file "$STATE/keys/deployer.key" --to "$token" \
			'mint(address,uint256)' "$a" "$(stake_of "${who:4:1}")" --wait ;;
		publisher) A chain send --key-file "$STATE/keys/deployer.key" --to "$token" \
			'mint(address,uint256)' "$a" 1000000000000000000000000 --wait ;;
		auditor*) # the gas key pays for storing the auditor's evidence blob each epoch
			A chain send --key-file "$STATE/keys/deployer.key" --to "$token" \
			'mint(address,uint256)' "$a" 1000000000000000000000000 --wait ;;
		esac
		echo "funded $who $a"
	done
}

do_register() {
	local i port
	for i in "${NODES[@]}"; do
		port=$(node_port)
		echo "$port" >"$STATE/nodes/port$i"
		A stake register --key-file "$STATE/keys/node$i-op.key" --node-key "$(addr "node$i-key")" \
			--endpoint "http://127.0.0.1:$port" --commission 1000 --amount "$(stake_of "$i")" --json
	done
	A stake status
}

# settle run by every auditor, each with its own signing and gas key, one database.
settle_all() {
	local a
	for a in "${AUDITORS[@]}"; do
		echo "--- auditor $a"
		rerun "settle$a" settle run --no-advance --signing-key-file "$STATE/keys/auditor$a-sign.key" \
			--gas-key-file "$STATE/keys/auditor$a-gas.key" --warn-margin-s 0 \
			--settle-metrics-file "$STATE/settle-metrics-$a.prom"
	done
	for a in "${AUDITORS[@]}"; do
		rerun "settle-status$a" settle status --signing-key-file "$STATE/keys/auditor$a-sign.key"
	done
}

advance_epoch() { # E: move time to the end of the current epoch and advance to E
	local want=$1 st
	st=$(A epoch status --json)
	warp_to "$(jq .ends_at <<<"$st")"
	A epoch advance --key-file "$STATE/keys/deployer.key" --json
	st=$(A epoch status --json)
	[ "$(jq .current_epoch <<<"$st")" = "$want" ] ||
		{ echo "the chain is in epoch $(jq .current_epoch <<<"$st"), not $want" >&2; return 1; }
	[ "$(jq '.committee | length' <<<"$st")" = "${#NODES[@]}" ] ||
		{ echo "epoch $want has $(jq '.committee | length' <<<"$st") committee members, not ${#NODES[@]}" >&2; return 1; }
	echo "$st" >"$STATE/epoch$want.json"
}
advance_and_settle() { advance_epoch "$1"; settle_all; }

# start_node I: `assay node serve` for node I (its fault, if any), in the background
start_node() {
	local i=$1 port f
	port=$(cat "$STATE/nodes/port$i")
	f=()
	[ "$i" = 5 ] && f=(--fault-lose 0.3 --fault-no-recover)
	[ "$i" = 6 ] && f=(--fault-corrupt 0.6)
	mkdir -p "$STATE/nodes/n$i"
	# No committee file: the node finds itself on chain by its node key
	# (ASSAY_RPC_URL, ASSAY_DEPLOYMENT) and follows the committee epoch by epoch.
	setsid "$ASSAY" node serve --listen "127.0.0.1:$port" --data "$STATE/nodes/n$i" \
		--key-file "$STATE/keys/node$i-key.key" --threads 2 --admin "${f[@]}" \
		>>"$STATE/nodes/n$i.log" 2>&1 </dev/null &
	echo $! >"$STATE/nodes/n$i.pid"
	echo "node $i: http://127.0.0.1:$port, pid $(cat "$STATE/nodes/n$i.pid") ${f[*]}"
}
# wait_node I: until node I answers /v1/health (fails if it exits)
wait_node() {
	local i=$1 port t
	port=$(cat "$STATE/nodes/port$i")
	for t in $(seq 1 300); do
		curl -sf -m 1 "http://127.0.0.1:$port/v1/health" >/dev/null && break
		kill -0 "$(cat "$STATE/nodes/n$i.pid")" 2>/dev/null ||
			{ tail -n 20 "$STATE/nodes/n$i.log"; echo "node $i exited" >&2; return 1; }
		[ "$t" = 300 ] && { echo "node $i did not answer /v1/health" >&2; return 1; }
		sleep 0.1
	done
	curl -sf "http://127.0.0.1:$port/v1/health"; echo
}

do_nodes() {
	local i op idx
	for i in "${NODES[@]}"; do
		op=$(addr "node$i-op" | lc)
		idx=$(jq --arg op "$op" '.committee[] | select((.node | ascii_downcase) == $op) | .index' "$STATE/epoch1.json")
		[ -n "$idx" ] || { echo "node $i ($op) is not in the committee of epoch 1" >&2; return 1; }
		echo "$idx" >"$STATE/nodes/index$i"
		echo "node $i: committee index $idx"
		start_node "$i"
	done
	for i in "${NODES[@]}"; do wait_node "$i"; done
}

BLOB_SIZES=(1 17 1000 4096 10000 33333 65536 100000 150000 200000 262144 300000 400000
	500000 524288 700000 800000 1000000 1048576 1500000)
do_gen_blobs() {
	# Pseudo-random bytes from perl's seeded generator (drand48: the same on every machine).
	local b
	for b in $(seq 0 $((NBLOBS - 1))); do
		perl -e 'srand($ARGV[0]); my $n = $ARGV[1]; print pack("C*", map { int rand 256 } 1 .. $n)' \
			"$((1000 + b))" "${BLOB_SIZES[$b]}" >"$STATE/blobs/blob$b.bin"
		echo "blob$b.bin $(stat -c %s "$STATE/blobs/blob$b.bin") bytes"
	done
}

do_blobs() {
	# For each blob: `blob put` publishes it (registers and pays for 3 epochs, uploads to
	# the committee it reads from the chain, collects the nodes' confirmations, certifies),
	# and `blob status` must say certified.
	local b f id size
	: >"$STATE/blobs.txt"
	for b in $(seq 0 $((NBLOBS - 1))); do
		f="$STATE/blobs/blob$b.bin"
		size=$(stat -c %s "$f")
		A blob put "$f" --key-file "$STATE/keys/publisher.key" --epochs 3 --json >"$STATE/blobs/put$b.json"
		cat "$STATE/blobs/put$b.json"
		id=$(jq -r .blob_id "$STATE/blobs/put$b.json")
		A blob status --blob-id "$id" --json >"$STATE/blobs/status$b.json"
		cat "$STATE/blobs/status$b.json"
		[ "$(jq -r .state "$STATE/blobs/status$b.json")" = certified ] ||
			{ echo "blob $id is not certified" >&2; return 1; }
		echo "$id $size" >>"$STATE/blobs.txt"
	done
}

do_seed() { # E: mine past the seed block, record the seed (`assay epoch seed`), read it
	local e=$1 st sb bn
	st=$(A epoch status --epoch "$e" --json)
	sb=$(jq .seed_block <<<"$st")
	bn=$(block_number)
	[ "$bn" -gt "$sb" ] || rpc anvil_mine "[$((sb - bn + 1))]" >/dev/null
	A epoch seed --key-file "$STATE/keys/deployer.key" --json
	st=$(A epoch status --epoch "$e" --json)
	echo "$st" >"$STATE/epoch$e.json"
	jq -c '{epoch, seed_block, seed_source, seed}' <<<"$st"
	[ "$(jq -r .seed <<<"$st")" != null ] || { echo "epoch $e has no seed on chain" >&2; return 1; }
}

do_audit() { # E: every auditor runs `audit run --once` on the epoch, in parallel
	# Committee, seed and certified blobs from the chain; the schedule runs from now (the
	# chain's clock was moved ahead of the wall clock).
	local e=$1 a pids=() rc=0
	for a in "${AUDITORS[@]}"; do
		rerun "audit$e-$a" audit run --epoch "$e" --once --key-file "$STATE/keys/auditor$a-sign.key" \
			--epoch-start now --window-ms "$AUDIT_WINDOW_MS" ${CHAOS_SEED:+--retry-delay-ms "$CHAOS_RETRY_MS"} \
			>"$STATE/audit$e-$a.out" 2>"$STATE/audit$e-$a.log" &
		pids+=($!)
	done
	for a in "${AUDITORS[@]}"; do
		wait "${pids[$a]}" || { rc=1; echo "auditor $a: audit run exited non-zero" >&2; }
		echo "--- auditor $a"; tail -n 5 "$STATE/audit$e-$a.log"; cat "$STATE/audit$e-$a.out"
	done
	return $rc
}

settle_at() { # E PHASE [STATE]: move time to epoch E's PHASE, settle, check the state
	local e=$1 phase=$2 want=${3:-} t a got
	t=$(rerun "epoch-status$e" epoch status --epoch "$e" --json | jq ".phases.$phase")
	warp_to "$t"
	settle_all
	[ -n "$want" ] || return 0
	for a in "${AUDITORS[@]}"; do
		got=$(rerun "settle-status$a" settle status --json --signing-key-file "$STATE/keys/auditor$a-sign.key" |
			jq -r --argjson e "$e" '.epochs[] | select(.epoch == $e) | .state')
		[ "$got" = "$want" ] || { echo "auditor $a: epoch $e is '$got', not '$want'" >&2; return 1; }
	done
}

do_payouts() {
	local i op
	for i in "${NODES[@]}"; do
		op=$(addr "node$i-op")
		A payouts --node "$op" --epochs "${AUDITED[0]}..${AUDITED[-1]}" \
			--signing-key-file "$STATE/keys/auditor0-sign.key" --json >"$STATE/payouts$i.json"
		cat "$STATE/payouts$i.json"
		A payouts --node "$op" --epochs "${AUDITED[0]}..${AUDITED[-1]}" --signing-key-file "$STATE/keys/auditor0-sign.key"
	done
}

# gateway_start NAME [flags]: `assay gateway serve` following the chain, cache in
# $STATE/NAME-cache, on port $GATEWAY_PORT if set (a restart keeps the gateway's URL)
gateway_start() {
	local name=$1 port t
	shift
	port=${GATEWAY_PORT:-$(free_port)}
	setsid "$ASSAY" gateway serve --listen "127.0.0.1:$port" --cache-dir "$STATE/$name-cache" \
		--gateway-poll-ms 1000 "$@" >>"$STATE/$name.log" 2>&1 </dev/null &
	echo $! >"$STATE/$name.pid"
	for t in $(seq 1 100); do
		curl -sf -m 1 "http://127.0.0.1:$port/healthz" >/dev/null && break
		kill -0 "$(cat "$STATE/$name.pid")" 2>/dev/null || { cat "$STATE/$name.log"; return 1; }
		[ "$t" = 100 ] && { echo "the gateway did not answer /healthz" >&2; return 1; }
		sleep 0.1
	done
	echo "http://127.0.0.1:$port" >"$STATE/$name.url"
	echo "gateway $name: http://127.0.0.1:$port (pid $(cat "$STATE/$name.pid"))"
}

# read_all URL: every blob read through the gateway at URL, whole and one range, byte for
# byte against the file that was stored
read_all() {
	local gw=$1 b id size a z code
	for b in $(seq 0 $((NBLOBS - 1))); do
		read -r id size < <(sed -n "$((b + 1))p" "$STATE/blobs.txt")
		code=$(curl -s -o "$STATE/gw.out" -D "$STATE/gw.h" -w '%{http_code}' "$gw/v1/blobs/$id")
		[ "$code" = 200 ] && cmp -s "$STATE/gw.out" "$STATE/blobs/blob$b.bin" ||
			{ echo "GET blob$b ($id) through $gw: HTTP $code, not the stored bytes" >&2; return 1; }
		a=$((size / 3)); z=$((a + size / 4))
		code=$(curl -s -o "$STATE/gw.out" -w '%{http_code}' -H "Range: bytes=$a-$z" "$gw/v1/blobs/$id")
		[ "$code" = 206 ] && cmp -s "$STATE/gw.out" <(tail -c +$((a + 1)) "$STATE/blobs/blob$b.bin" | head -c $((z - a + 1))) ||
			{ echo "range $a-$z of blob$b through $gw: HTTP $code, not the stored bytes" >&2; return 1; }
		echo "blob$b $id: $size bytes whole and bytes $a-$z match; $(grep -i '^cache-control:' "$STATE/gw.h" | tr -d '\r')"
	done
}

do_gateway() {
	# The CDN edge: every blob read back through `assay gateway serve` (committee and
	# certification from the chain), whole and in a range; then again through a gateway
	# with an empty cache while nodes 4 and 5 are stopped: with node 6 corrupting symbols,
	# that is 6 of 20 shards (f) unusable.
	local i
	gateway_start gateway
	read_all "$(cat "$STATE/gateway.url")"
	local unknown=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA code
	code=$(curl -s -o /dev/null -w '%{http_code}' "$(cat "$STATE/gateway.url")/v1/blobs/$unknown")
	[ "$code" = 404 ] || { echo "a blob that is not on chain: HTTP $code, wanted 404" >&2; return 1; }
	echo "a blob that is not on chain: 404"
	for i in 4 5; do stop_pid_file "$STATE/nodes/n$i.pid"; done
	echo "nodes 4 and 5 stopped"
	gateway_start gateway-f
	read_all "$(cat "$STATE/gateway-f.url")"
	stop_pid_file "$STATE/gateway-f.pid"
	for i in 4 5; do start_node "$i"; done
	for i in 4 5; do wait_node "$i"; done
}

do_gateway_expired() {
	# After epoch 3 the demo's blobs (paid for epochs 1 to 3) have expired: the gateway
	# answers 404, cached for seconds only.
	local id code
	read -r id _ < <(head -n 1 "$STATE/blobs.txt")
	for _ in $(seq 1 50); do
		code=$(curl -s -o /dev/null -D "$STATE/gw.h" -w '%{http_code}' "$(cat "$STATE/gateway.url")/v1/blobs/$id")
		[ "$code" = 404 ] && break
		sleep 0.2 # the gateway re-reads the epoch every second
	done
	[ "$code" = 404 ] || { echo "an expired blob: HTTP $code, wanted 404" >&2; return 1; }
	echo "blob0 in epoch 4: 404 ($(grep -i '^cache-control:' "$STATE/gw.h" | tr -d '\r'))"
}

do_gateway_publish() {
	# The publisher side: the gateway restarted with the publisher's key and a bearer
	# token; PUT /v1/blobs stores, pays for and certifies a new blob (as 'blob put'), which
	# is then read back through it; a second PUT finds it already certified.
	local gw out id code
	stop_pid_file "$STATE/gateway.pid"
	(umask 077; A chain keccak --text "assay-demo/gateway-token" >"$STATE/keys/gateway.token")
	gateway_start gateway --publisher-key-file "$STATE/keys/publisher.key" \
		--publisher-token-file "$STATE/keys/gateway.token"
	gw=$(cat "$STATE/gateway.url")
	perl -e 'srand(4242); print pack("C*", map { int rand 256 } 1 .. 300000)' >"$STATE/blobs/published.bin"
	code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT --data-binary @"$STATE/blobs/published.bin" "$gw/v1/blobs?epochs=5")
	[ "$code" = 401 ] || { echo "PUT without the token: HTTP $code, wanted 401" >&2; return 1; }
	out=$(curl -sS -X PUT -H "Authorization: Bearer $(cat "$STATE/keys/gateway.token")" \
		--data-binary @"$STATE/blobs/published.bin" "$gw/v1/blobs?epochs=5")
	echo "PUT: $out"
	id=$(jq -er .newlyCreated.blobObject.blobId <<<"$out")
	echo "$id" >"$STATE/published.id"
	A blob status --blob-id "$id" --json | tee "$STATE/blobs/published-status.json"
	[ "$(jq -r .state "$STATE/blobs/published-status.json")" = certified ] || { echo "not certified" >&2; return 1; }
	for _ in $(seq 1 50); do
		code=$(curl -s -o "$STATE/gw.out" -w '%{http_code}' "$gw/v1/blobs/$id")
		[ "$code" = 200 ] && break
		sleep 0.2 # a 404 is cached for seconds: the certification may have been too new
	done
	[ "$code" = 200 ] && cmp -s "$STATE/gw.out" "$STATE/blobs/published.bin" ||
		{ echo "GET of the published blob: HTTP $code, not the bytes put" >&2; return 1; }
	echo "GET $id: the 300000 bytes put"
	out=$(curl -sS -X PUT -H "Authorization: Bearer $(cat "$STATE/keys/gateway.token")" \
		--data-binary @"$STATE/blobs/published.bin" "$gw/v1/blobs?epochs=5")
	echo "PUT again: $out"
	[ "$(jq -r .alreadyCertified.blobId <<<"$out")" = "$id" ] || { echo "the second PUT was not alreadyCertified" >&2; return 1; }
}

do_api() {
	local port t
	port=$(free_port)
	setsid "$ASSAY" api serve --listen "127.0.0.1:$port" >"$STATE/api.log" 2>&1 </dev/null &
	echo $! >"$STATE/api.pid"
	for t in $(seq 1 100); do
		curl -sf -m 1 "http://127.0.0.1:$port/v1/health" && break
		kill -0 "$(cat "$STATE/api.pid")" 2>/dev/null || { cat "$STATE/api.log"; return 1; }
		[ "$t" = 100 ] && { echo "the API did not answer /v1/health" >&2; return 1; }
		sleep 0.1
	done
	echo "http://127.0.0.1:$port" >"$STATE/api.url"
}

do_check_views() {
	# What the summary points at, tried once here: attestations verified offline, one
	# evidence record proven and verified against the chain's evidence root.
	local e sk="$STATE/keys/auditor0-sign.key"
	for e in "${AUDITED[@]}"; do
		A attestations --epoch "$e" --signing-key-file "$sk"
		A evidence prove --epoch "$e" --seq 0 --signing-key-file "$sk" >"$STATE/proof$e.json"
		A evidence verify "$STATE/proof$e.json" --signing-key-file "$sk"
	done
}

# Gathers what the commands printed into $STATE/summary.json.
do_collect() {
	local e a i
	for e in "${AUDITED[@]}"; do A epoch status --epoch "$e" --json; done | jq -s . >"$STATE/final-epochs.json"
	for e in "${AUDITED[@]}"; do
		for a in "${AUDITORS[@]}"; do
			head -n 1 "$STATE/audit$e-$a.out" | sed -E 's/^epoch ([0-9]+): ([0-9]+) challenges, ([0-9]+) decided.*/{"epoch":\1,"auditor":'"$a"',"challenges":\2,"decided":\3}/'
		done
	done | jq -s . >"$STATE/audits.json"
	for i in "${NODES[@]}"; do
		jq -c --arg i "$i" --arg fault "$(fault_of "$i")" '{index: ($i | tonumber), fault: $fault} + .' "$STATE/payouts$i.json"
	done | jq -s . >"$STATE/payouts.json"
	# Transactions each auditor's gas key sent (its nonce): a second submission shows here.
	for a in "${AUDITORS[@]}"; do
		printf '{"auditor":%s,"gas":"%s","transactions":%d}\n' "$a" "$(addr "auditor$a-gas")" \
			"$(rpc eth_getTransactionCount "[\"$(addr "auditor$a-gas")\",\"latest\"]" | jq -r .)"
	done | jq -s . >"$STATE/auditors.json"
	jq -n --slurpfile p "$STATE/payouts.json" --slurpfile ep "$STATE/final-epochs.json" \
		--slurpfile au "$STATE/audits.json" --slurpfile ag "$STATE/auditors.json" \
		--slurpfile d "$STATE/deployment.json" --rawfile blobs "$STATE/blobs.txt" \
		--arg db "$ASSAY_DB" --arg rpc "$ASSAY_RPC_URL" --arg api "$(cat "$STATE/api.url")" \
		--arg gateway "$(cat "$STATE/gateway.url")" \
		--arg state "$STATE" '
		def shards($ep; $node): [$ep.committee[] | select((.node | ascii_downcase) == ($node | ascii_downcase)) | .shards][0];
		{
		  postgres: $db, rpc_url: $rpc, api: $api, gateway: $gateway, state_dir: $state,
		  deployment: $d[0],
		  blobs: ($blobs | split("\n") | map(select(length > 0) | split(" ") | {blob_id: .[0], size: (.[1] | tonumber)})),
		  audits: $au[0], auditors: $ag[0],
		  epochs: $ep[0] | map({epoch, committee_hash, seed, phases, settlement}),
		  nodes: [$p[0][] | {index, node, fault,
		    epochs: [.epochs[] as $x | $x + {shards: shards($ep[0][] | select(.epoch == $x.epoch); .node)}],
		    disagreements}]
		}' >"$STATE/summary.json"
	jq -c '.nodes[] | {index, fault, disagreements}' "$STATE/summary.json"
}
fault_of() {
	case "$1" in
	5) echo "loses 30% of slivers" ;;
	6) echo "corrupts 60% of symbols" ;;
	*) echo "none" ;;
	esac
}

pointers() { # what to look at next, one command a line
	local s="$STATE/summary.json" n5 sk="$STATE/keys/auditor0-sign.key"
	n5=$(jq -r '.nodes[] | select(.index == 5) | .node' "$s")
	echo "$BUILD/assay payouts --node $n5 --signing-key-file $sk"
	echo "$BUILD/assay attestations --epoch ${AUDITED[0]}"
	echo "$BUILD/assay evidence prove --epoch ${AUDITED[0]} --seq 0 --signing-key-file $sk | $BUILD/assay evidence verify -"
	echo "$BUILD/assay epoch status --json"
	echo "$BUILD/assay settle status --signing-key-file $sk"
	echo "$BUILD/assay blob get -o /tmp/blob0 -- $(jq -r '.blobs[0].blob_id' "$s")"
	echo "curl $(jq -r .api "$s")/v1/epochs"
	echo "curl -I $(cat "$STATE/gateway.url")/v1/blobs/$(jq -r '.blobs[0].blob_id' "$s")   # expired in epoch 4: 404"
	echo "curl -o /tmp/published $(cat "$STATE/gateway.url")/v1/blobs/$(cat "$STATE/published.id")   # the gateway"
	echo "curl -X PUT -H \"Authorization: Bearer \$(cat $STATE/keys/gateway.token)\" --data-binary @FILE '$(cat "$STATE/gateway.url")/v1/blobs?epochs=3'"
	echo "curl $(jq -r .api "$s")/v1/nodes/$n5/payouts"
	# The pages (web/): open them in a browser; they check signatures and proofs against the chain.
	echo "open $(jq -r .api "$s")/   (the network)"
	echo "open $(jq -r .api "$s")/nodes/$n5   (node 5: scores, rewards, slashes, why challenges failed)"
	echo "open $(jq -r .api "$s")/epochs/${AUDITED[0]}   (attestations verified in the browser)"
	echo "open $(jq -r .api "$s")/epochs/${AUDITED[0]}/nodes/$n5/evidence   (challenge records and Merkle proofs)"
}

tokens() { # WEI (decimal string) -> tokens with 4 decimals, exact (truncated)
	local w=$1
	[[ "$w" =~ ^[0-9]+$ ]] || { echo "$w"; return; }
	while [ ${#w} -lt 19 ]; do w="0$w"; done
	echo "${w:0:${#w}-18}.${w:${#w}-18:4}"
}

summary() { # ELAPSED
	local s="$STATE/summary.json"
	if [ "$json" = 1 ]; then
		jq -c --argjson t "$1" --argjson keep "$keep" --arg next "$(pointers)" \
			--arg stop "deploy/network.sh --stop" '. + {seconds: $t, kept_running: ($keep == 1),
			next: ($next | split("\n")), env: {ASSAY_DB: .postgres, ASSAY_RPC_URL: .rpc_url,
			ASSAY_DEPLOYMENT: (.state_dir + "/deployment.json")}}
			+ (if $keep == 1 then {stop: $stop} else {} end)' "$s"
		return
	fi
	local nb bytes
	nb=$(jq '.blobs | length' "$s"); bytes=$(jq '[.blobs[].size] | add' "$s")
	echo
	echo "local network: the whole loop in ${1}s"
	echo "  PostgreSQL  $ASSAY_DB"
	echo "  chain       $ASSAY_RPC_URL (chain id $(jq .deployment.chain_id "$s"), n = $(jq .deployment.n_shards "$s") shards)"
	echo "  contracts   staking $(jq -r .deployment.staking "$s"), settlement $(jq -r .deployment.settlement "$s")"
	echo "  blobs       $nb stored in epoch 1, paid for epochs 1 to 3 and certified ($bytes bytes)"
	echo "  gateway     $(jq -r .gateway "$s") read each whole and in a range in epoch 1, also with nodes 4 and 5 down"
	jq -r '.audits | group_by(.epoch)[] | "  audits      epoch \(.[0].epoch): " + (map("auditor \(.auditor) \(.decided)/\(.challenges)") | join(", ")) + " challenges decided"' "$s"
	while IFS=$'\t' read -r e st rv pool; do
		echo "  epoch $e     $st, $rv attestations revealed, reward pool $(tokens "$pool") tokens"
	done < <(jq -r '.epochs[] | [.epoch, .settlement.status, .settlement.revealed, .settlement.pool] | @tsv' "$s")
	echo
	echo "payouts (median score of the 4 auditors; rewards and slashes in tokens, from the chain's NodeScored, via 'assay payouts'):"
	printf '  %-4s %-42s %-24s %6s  %-8s %10s %9s  %-8s %10s %9s\n' node address fault shards \
		"e${AUDITED[0]} score" "e${AUDITED[0]} reward" "e${AUDITED[0]} slash" \
		"e${AUDITED[1]} score" "e${AUDITED[1]} reward" "e${AUDITED[1]} slash"
	local row
	while IFS=$'\t' read -r idx node fault sh m1 r1 p1 m2 r2 p2; do
		printf '  %-4s %-42s %-24s %6s  %-8s %10s %9s  %-8s %10s %9s\n' "$idx" "$node" "$fault" "$sh" \
			"$m1" "$(tokens "$r1")" "$(tokens "$p1")" "$m2" "$(tokens "$r2")" "$(tokens "$p2")"
	done < <(jq -r '.nodes[] | [.index, .node, .fault, (.epochs[0].shards | tostring),
		(.epochs[] | select(.epoch == $a) | .median, .reward, .slashed),
		(.epochs[] | select(.epoch == $b) | .median, .reward, .slashed)] | @tsv' \
		--argjson a "${AUDITED[0]}" --argjson b "${AUDITED[1]}" "$s")
	echo
	if [ "$keep" = 1 ]; then
		echo "left running. Use it with:"
		echo "  export ASSAY_DB=$ASSAY_DB ASSAY_RPC_URL=$ASSAY_RPC_URL ASSAY_DEPLOYMENT=$ASSAY_DEPLOYMENT"
	else
		echo "everything is stopped now; run 'deploy/network.sh --keep' to try these on the live network:"
	fi
	pointers | sed 's/^/  /'
	echo "  logs of every step: $STATE/logs/; nodes' logs: $STATE/nodes/"
	if [ "$keep" = 1 ]; then
		echo "stop it with:"
		echo "  deploy/network.sh --stop"
	fi
}
