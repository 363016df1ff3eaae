#!/usr/bin/env bash
# network.sh: the README's main command. Installs what is missing, builds, and runs the
# whole local network on this machine: a private PostgreSQL, anvil, the schema, and (as
# they land) the contracts, storage nodes, blobs, audits and settlement; then prints a
# summary. Everything it started is stopped at the end (or on Ctrl-C), by PID.
#   --keep   leave the network running and print how to use and stop it
#   --json   print the summary as JSON
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ASSAY_ROOT"

keep=0; json=0
for a in "$@"; do
	case "$a" in
	--keep) keep=1 ;;
	--json) json=1 ;;
	-h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$a' (try --help)" ;;
	esac
done

STATE="$ASSAY_ROOT/.state/network"
t_start=$SECONDS
say() { [ "$json" = 1 ] || echo "$@"; }

say "== installing what is missing"
deploy/install.sh >&2
say "== building"
cmake -S . -B build >/dev/null
cmake --build build -j "$(nproc)" >/dev/null

stop_all() {
	deploy/anvil.sh stop "$STATE/anvil" || true
	deploy/pg.sh stop "$STATE/pg" || true
}
if [ -d "$STATE" ]; then stop_all; fi
mkdir -p "$STATE"
[ "$keep" = 1 ] || trap stop_all EXIT

say "== starting PostgreSQL and anvil"
deploy/pg.sh start "$STATE/pg" >&2
deploy/anvil.sh start "$STATE/anvil" >&2
export ASSAY_DB; ASSAY_DB=$(cat "$STATE/pg/url")
export ASSAY_RPC_URL; ASSAY_RPC_URL=$(cat "$STATE/anvil/url")

say "== database schema"
build/assay db migrate >&2
version=$(build/assay db status | sed -E 's/schema version ([0-9]+).*/\1/')
chain_id=$(curl -sf -H 'content-type: application/json' \
	-d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' "$ASSAY_RPC_URL" |
	sed -E 's/.*"result":"0x([0-9a-f]+)".*/\1/')
chain_id=$((16#$chain_id))

elapsed=$((SECONDS - t_start))
if [ "$json" = 1 ]; then
	printf '{"postgres":"%s","rpc_url":"%s","chain_id":%d,"schema_version":%d,"seconds":%d}\n' \
		"$ASSAY_DB" "$ASSAY_RPC_URL" "$chain_id" "$version" "$elapsed"
else
	echo
	echo "local network up in ${elapsed}s"
	echo "  PostgreSQL  $ASSAY_DB (schema version $version)"
	echo "  chain       $ASSAY_RPC_URL (chain id $chain_id)"
	if [ "$keep" = 1 ]; then
		echo
		echo "left running; use it with:"
		echo "  export ASSAY_DB=$ASSAY_DB ASSAY_RPC_URL=$ASSAY_RPC_URL"
		echo "stop it with:"
		echo "  deploy/anvil.sh stop $STATE/anvil && deploy/pg.sh stop $STATE/pg"
	fi
fi
