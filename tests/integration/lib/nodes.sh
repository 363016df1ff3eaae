# nodes.sh: storage nodes from a committee file, for the shell tests (sourced).
# Needs: A (the assay binary) and T (the test's temp dir). Gives the test's scaffolding too:
# PID and PORT (associative arrays: the nodes started), the counters fails and passes with
# ok/bad/expect, and an EXIT trap that stops every node (after cleanup_extra, when the test
# defines one for what else it started) and removes T.
declare -gA PID PORT
fails=0
passes=0
ok() { echo "ok   $1 (${SECONDS}s)"; passes=$((passes + 1)); }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
expect() { # expect NAME WANTED GOT
	if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: wanted '$2', got '$3'"; fi
}
nodes_cleanup() {
	if declare -F cleanup_extra >/dev/null; then cleanup_extra; fi
	for k in "${!PID[@]}"; do kill "${PID[$k]}" 2>/dev/null; done
	for k in "${!PID[@]}"; do wait "${PID[$k]}" 2>/dev/null; done
	rm -rf "$T"
}
trap nodes_cleanup EXIT

# committee FILE N PORT... : shard s goes to node s mod (number of ports)
committee() {
	local file=$1 n=$2; shift 2
	local ports=("$@") k=${#@}
	{
		echo "{\"n_shards\": $n, \"epoch\": 7, \"nodes\": ["
		for ((i = 0; i < k; i++)); do
			local sh=""
			for ((s = i; s < n; s += k)); do sh="$sh${sh:+,}$s"; done
			echo "  {\"url\": \"http://127.0.0.1:${ports[$i]}\", \"shards\": [$sh]}$([ $i -lt $((k - 1)) ] && echo ,)"
		done
		echo "]}"
	} >"$file"
}

# start NAME COMMITTEE INDEX PORT DATA [flags...]: start a node and wait for /v1/health
# (unless it starts offline).
start() {
	local name=$1 cm=$2 idx=$3 port=$4 data=$5; shift 5
	[ -f "$T/key-$name" ] || (umask 077; head -c32 /dev/urandom | xxd -p -c64 >"$T/key-$name")
	"$A" node serve --listen "127.0.0.1:$port" --data "$data" --committee "$cm" --index "$idx" \
		--key-file "$T/key-$name" --admin --peer-timeout-ms 2000 "$@" >>"$T/log-$name" 2>&1 &
	PID[$name]=$!
	PORT[$name]=$port
	case " $* " in *" --fault-offline "*) return 0 ;; esac
	# Healthy means this process answers as this node: another program may have taken
	# the port between free_port and the bind (other test suites run nodes too).
	for _ in $(seq 1 300); do
		kill -0 "${PID[$name]}" 2>/dev/null || { unset "PID[$name]"; echo "node $name did not start: $(tail -1 "$T/log-$name")"; return 1; }
		curl -sf "http://127.0.0.1:$port/v1/health" 2>/dev/null | grep -q "\"index\":$idx," && return 0
		sleep 0.05
	done
	echo "node $name never became healthy"
	return 1
}

stop() {
	local name=$1
	[ -n "${PID[$name]:-}" ] || return 0
	kill "${PID[$name]}" 2>/dev/null
	wait "${PID[$name]}" 2>/dev/null
	unset "PID[$name]"
}

# cluster PREFIX N K: a committee of K nodes for N shards, started; ports in P_<i>
# (new ports and another try when one of them was taken meanwhile)
cluster() {
	local pre=$1 n=$2 k=$3
	for _ in 1 2 3 4 5; do
		local ports=() up=1
		for ((i = 0; i < k; i++)); do ports+=("$(free_port)"); done
		committee "$T/$pre.json" "$n" "${ports[@]}"
		for ((i = 0; i < k; i++)); do
			start "$pre$i" "$T/$pre.json" "$i" "${ports[$i]}" "$T/$pre-data$i" || { up=0; break; }
		done
		[ $up = 1 ] && return 0
		for ((i = 0; i < k; i++)); do stop "$pre$i"; rm -rf "$T/$pre-data$i"; done
	done
	bad "cluster $pre never came up"
	return 1
}

