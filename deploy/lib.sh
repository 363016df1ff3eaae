# lib.sh: shared by the deploy scripts (sourced, not run).
ASSAY_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export ASSAY_ROOT

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# A TCP port on 127.0.0.1 that nobody listens on now, below the kernel's ephemeral range:
# every outgoing connection on this machine (tests, curl, PostgreSQL clients) takes its
# local port from that range, and one may hold the port a server is about to bind (it did:
# "cannot listen ... in use" under load). The caller retries if it loses a race.
free_port() {
	local p lo
	lo=$(awk '{ print $1 }' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
	[ "$lo" -gt 12000 ] 2>/dev/null || lo=32768
	for _ in $(seq 1 200); do
		p=$((10000 + (RANDOM << 15 | RANDOM) % (lo - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	die "no free TCP port found on 127.0.0.1 below $lo"
}

# The foundry binaries shipped inside the npm packages (no node wrapper in between).
foundry_bin() {
	local b="$ASSAY_ROOT/node_modules/@foundry-rs/$1-linux-amd64/bin/$1"
	[ -x "$b" ] || b="$ASSAY_ROOT/node_modules/.bin/$1"
	[ -x "$b" ] || die "$1 is not installed: run deploy/install.sh"
	echo "$b"
}

# stop_pid_files FILE...: stop the processes of PID files: TERM to all, then up to 10 s for
# them together (100 nodes stopped one after the other took minutes), KILL to the rest.
stop_pid_files() {
	local f pids=() p left
	for f in "$@"; do
		[ -f "$f" ] || continue
		p=$(cat "$f")
		[ -n "$p" ] && kill "$p" 2>/dev/null && pids+=("$p")
	done
	for _ in $(seq 1 100); do
		left=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && left=1 && break; done
		[ "$left" = 0 ] && break
		sleep 0.1
	done
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done
	rm -f "$@"
}
# Stop a process by PID file: TERM, wait up to 10 s, then KILL.
stop_pid_file() { stop_pid_files "$1"; }
