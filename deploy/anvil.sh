#!/usr/bin/env bash
# anvil.sh: a local EVM chain for tests and the local network.
#   anvil.sh start STATE_DIR [ANVIL ARGS...]  start anvil on a free 127.0.0.1 port;
#                                            writes STATE_DIR/url and STATE_DIR/pid
#   anvil.sh stop STATE_DIR                  stop it by its PID
set -euo pipefail
. "$(dirname "$0")/lib.sh"

cmd=${1:-}; state=${2:-}
[ -n "$cmd" ] && [ -n "$state" ] || die "usage: anvil.sh start|stop STATE_DIR [ANVIL ARGS]"
shift 2

case "$cmd" in
start)
	mkdir -p "$state"
	if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
		die "anvil is already running for $state (anvil.sh stop $state first)"
	fi
	anvil=$(foundry_bin anvil)
	for attempt in 1 2 3 4 5; do
		port=$(free_port)
		setsid "$anvil" --host 127.0.0.1 --port "$port" "$@" \
			>"$state/anvil.log" 2>&1 </dev/null &
		echo $! > "$state/pid"
		url="http://127.0.0.1:$port"
		for _ in $(seq 1 100); do
			if curl -sf -m 2 -H 'content-type: application/json' \
				-d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' \
				"$url" >/dev/null 2>&1; then
				echo "$url" > "$state/url"
				echo "anvil on $url (pid $(cat "$state/pid"))"
				exit 0
			fi
			kill -0 "$(cat "$state/pid")" 2>/dev/null || break
			sleep 0.1
		done
		stop_pid_file "$state/pid"
	done
	tail -n 20 "$state/anvil.log" >&2
	die "anvil did not start"
	;;
stop)
	stop_pid_file "$state/pid"
	rm -f "$state/url"
	;;
*)
	die "usage: anvil.sh start|stop STATE_DIR [ANVIL ARGS]"
	;;
esac
