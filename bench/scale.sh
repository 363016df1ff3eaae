#!/usr/bin/env bash
# scale.sh: the network at scale on this machine, measured stage by stage. Not part of the
# test suite (it runs for many minutes); its figures go in README.md and the closing notes.
#
# What it runs (the main command's steps from deploy/demo/demo.sh, at another size): a
# private PostgreSQL and anvil, the contracts with NODES nodes staked equally over SHARDS
# shards, NODES `assay node serve` processes (each its own key, data directory and port,
# following the chain), BLOBS blobs stored, paid for and certified, then AUDITORS auditors
# auditing one epoch with at least CHALLENGES challenges each (`audit run --once`), and that
# epoch settled on chain (score and commit, reveal: every auditor's settle job at once, as
# on machines of their own; then finalize). The deployment fixes the schedule's
# min-per-node (Disputes; audit/SCHEDULE.md) to give CHALLENGES per auditor, so one epoch is
# audited; the auditor's memory at other sizes is README's auditor RSS row.
#
# It prints, per stage, the time; the peak RSS per process kind (nodes, auditors, the settle
# job); PostgreSQL bytes per 10^6 challenge records; gas per epoch by transaction kind; and
# a table extrapolating to 1000 nodes that says what grows with what.
#
# Usage: bench/scale.sh [--nodes N] [--shards N] [--blobs N] [--auditors N]
#                       [--challenges N] [--put-lanes N] [--build DIR] [--keep]
#   defaults: 100 nodes, 1000 shards, 300 blobs, 4 auditors, 1000000 challenges per auditor,
#   blobs stored 8 at a time (--put-lanes: each lane its own publisher key, so that every
#   key keeps one writer of its nonces; a put waits on receipts and nodes far more than it
#   computes: at n = 1000, 4 lanes stored 8 blobs in 20 s against 9.6 s a put)
#   (the goal: one epoch of 10^6 challenges per auditor audited and settled in < 3 min).
#   SHARDS above 255 needs the reference encoder's GF(2^16) code. A quick check of the
#   script itself: bench/scale.sh --nodes 10 --shards 40 --blobs 10 --challenges 20000
set -euo pipefail
. "$(dirname "$0")/../deploy/lib.sh"
cd "$ASSAY_ROOT"

S_NODES=100 S_SHARDS=1000 S_BLOBS=300 S_AUDITORS=4 S_CHALLENGES=1000000 S_LANES=8
BUILD=${ASSAY_BUILD_DIR:-build} keep=0
usage() { sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; }
num() { [[ "$2" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ] || die "$1 needs a positive whole number, got '$2'"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--nodes) num "$1" "${2:-}"; S_NODES=$2; shift 2 ;;
	--shards) num "$1" "${2:-}"; S_SHARDS=$2; shift 2 ;;
	--blobs) num "$1" "${2:-}"; S_BLOBS=$2; shift 2 ;;
	--auditors) num "$1" "${2:-}"; S_AUDITORS=$2; shift 2 ;;
	--challenges) num "$1" "${2:-}"; S_CHALLENGES=$2; shift 2 ;;
	--put-lanes) num "$1" "${2:-}"; S_LANES=$2; shift 2 ;;
	--build) BUILD=${2:?--build needs a directory}; shift 2 ;;
	--keep) keep=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
done
[ "$S_NODES" -ge 4 ] || die "--nodes must be at least 4"
[ "$S_SHARDS" -ge "$S_NODES" ] || die "--shards must be at least --nodes (every node holds a shard)"
[ "$S_LANES" -le 16 ] || die "--put-lanes must be 1 to 16"
[ "$S_AUDITORS" -ge 3 ] && [ "$S_AUDITORS" -le 16 ] || die "--auditors must be 3 to 16 (a quorum of 2f+1 with f = 1)"
case "$BUILD" in /*) ASSAY="$BUILD/assay" ;; *) ASSAY="$ASSAY_ROOT/$BUILD/assay" ;; esac
[ -x "$ASSAY" ] || die "no assay program at $ASSAY: build first (cmake --build $BUILD)"
command -v /usr/bin/time >/dev/null || die "needs GNU time (/usr/bin/time; Debian package 'time')"

STATE=${ASSAY_SCALE_STATE:-$ASSAY_ROOT/.state/scale}
# The main command's steps, at this size (the globals below are what they read).
. deploy/demo/demo.sh
N_SHARDS=$S_SHARDS
NBLOBS=$S_BLOBS
NODES=($(seq 0 $((S_NODES - 1))))
AUDITORS=($(seq 0 $((S_AUDITORS - 1))))
PENALTY_BPS=5000
stake_of() { echo "$STAKE"; } # equal stakes: SHARDS / NODES shards each
start_node() { # no faults at scale; one thread per node (there are NODES of them)
	local i=$1 port
	port=$(cat "$STATE/nodes/port$i")
	mkdir -p "$STATE/nodes/n$i"
	setsid "$ASSAY" node serve --listen "127.0.0.1:$port" --data "$STATE/nodes/n$i" \
		--key-file "$STATE/keys/node$i-key.key" --threads 1 \
		>>"$STATE/nodes/n$i.log" 2>&1 </dev/null &
	echo $! >"$STATE/nodes/n$i.pid"
}
do_nodes_scale() {
	local i
	for i in "${NODES[@]}"; do start_node "$i"; done
	for i in "${NODES[@]}"; do wait_node "$i" >/dev/null; done
	echo "${#NODES[@]} nodes answer /v1/health"
}
do_gen_blobs() { # sizes from 1 KiB to 1 MiB, seeded
	local b size
	for b in $(seq 0 $((NBLOBS - 1))); do
		size=$(( (b * 7919 % 1024 + 1) * 1024 ))
		perl -e 'srand($ARGV[0]); my $n = $ARGV[1]; print pack("C*", map { int rand 256 } 1 .. $n)' \
			"$((1000 + b))" "$size" >"$STATE/blobs/blob$b.bin"
	done
	du -sb "$STATE/blobs" | awk '{ print $1 " bytes of blobs" }'
}
# Publisher keys for the lanes after the first (which uses the main command's publisher),
# each with gas and tokens.
do_fund_lanes() {
	local l k a token
	token=$(deployment token)
	for l in $(seq 1 $((S_LANES - 1))); do
		k=$(A chain keccak --text "assay-demo/publisher$l")
		(umask 077; echo "$k" >"$STATE/keys/publisher$l.key")
		a=$(A chain address --key-file "$STATE/keys/publisher$l.key")
		rpc anvil_setBalance "[\"$a\",\"0x56BC75E2D63100000\"]" >/dev/null
		A chain send --key-file "$STATE/keys/deployer.key" --to "$token" \
			'mint(address,uint256)' "$a" 1000000000000000000000000 --wait >/dev/null
		echo "funded publisher$l $a"
	done
}
lane_key() { if [ "$1" = 0 ]; then echo "$STATE/keys/publisher.key"; else echo "$STATE/keys/publisher$1.key"; fi; }
# put_lane L: blob put of blobs L, L+LANES, ... one after the other with lane L's key,
# each timed (seconds in put$b.secs).
put_lane() {
	local l=$1 b f t0
	for ((b = l; b < NBLOBS; b += S_LANES)); do
		f="$STATE/blobs/blob$b.bin"
		t0=$EPOCHREALTIME
		A blob put "$f" --key-file "$(lane_key "$l")" --epochs 4 --json \
			--log-level warn >"$STATE/blobs/put$b.json" 2>"$STATE/blobs/put$b.log" ||
			{ echo "blob put of blob $b (lane $l) failed:" >&2; tail -n 5 "$STATE/blobs/put$b.log" >&2; return 1; }
		awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f\n", b - a }' >"$STATE/blobs/put$b.secs"
	done
}
do_blobs_scale() { # blob put, LANES at a time; the first failure stops the other lanes
	local l b pids=() rc=0 left
	for l in $(seq 0 $((S_LANES - 1))); do
		put_lane "$l" &
		pids+=($!)
	done
	# the lanes are this subshell's only jobs: wait -n takes each as it ends
	for ((left = ${#pids[@]}; left > 0; left--)); do
		wait -n || { rc=1; break; }
	done
	if [ "$rc" != 0 ]; then
		for l in "${pids[@]}"; do kill_tree "$l"; done
		wait || true
		return 1
	fi
	: >"$STATE/blobs.txt"
	for b in $(seq 0 $((NBLOBS - 1))); do
		echo "$(jq -r .blob_id "$STATE/blobs/put$b.json") $(stat -c %s "$STATE/blobs/blob$b.bin")" >>"$STATE/blobs.txt"
	done
	echo "$(wc -l <"$STATE/blobs.txt") blobs certified, $S_LANES at a time;" \
		"seconds per put min / mean / max: $(cat "$STATE"/blobs/put*.secs |
		awk '{ s += $1; if (n == 0 || $1 < lo) lo = $1; if ($1 > hi) hi = $1; n++ }
		     END { printf "%.1f / %.1f / %.1f", lo, s / n, hi }')"
}
# audit_epoch E PER_AUDITOR: every auditor audits E with at least PER_AUDITOR challenges,
# in parallel, each under GNU time (peak RSS).
audit_epoch() {
	local e=$1 per=$2 a pids=() rc=0
	local per_node=$(( (per + ${#NODES[@]} - 1) / ${#NODES[@]} ))
	[ "$per_node" = "$PER_NODE" ] || { echo "the deployment fixes min-per-node $PER_NODE" >&2; return 1; }
	for a in "${AUDITORS[@]}"; do
		/usr/bin/time -f '%M %e %U %S' -o "$STATE/rss-audit$e-$a" \
			"$ASSAY" audit run --epoch "$e" --once --key-file "$STATE/keys/auditor$a-sign.key" \
			--epoch-start now --window-ms 2000 --min-per-node "$per_node" --log-level warn \
			>"$STATE/audit$e-$a.out" 2>"$STATE/audit$e-$a.log" &
		pids+=($!)
	done
	for a in "${AUDITORS[@]}"; do
		wait "${pids[$a]}" || { rc=1; echo "auditor $a: audit run failed" >&2; tail -n 5 "$STATE/audit$e-$a.log" >&2; }
	done
	for a in "${AUDITORS[@]}"; do head -n 1 "$STATE/audit$e-$a.out"; done
	return $rc
}
settle_one() { # TAG AUDITOR: one settle run under GNU time
	/usr/bin/time -f '%M %e %U %S' -o "$STATE/rss-settle-$1-$2" \
		"$ASSAY" settle run --no-advance --signing-key-file "$STATE/keys/auditor$2-sign.key" \
		--gas-key-file "$STATE/keys/auditor$2-gas.key" --warn-margin-s 0 --log-level warn \
		--settle-metrics-file "$STATE/settle-metrics-$2.prom"
}
# settle_timed TAG: settle run by every auditor, one after the other
settle_timed() {
	local a
	for a in "${AUDITORS[@]}"; do settle_one "$1" "$a"; done
}
# settle_par TAG: the same, all at once, as auditors on machines of their own run it
# (scoring, storing the evidence blob, committing; revealing and checking the others'
# evidence). Finalizing stays in turn: one auditor's call finalizes for all.
settle_par() {
	local a pids=() rc=0
	for a in "${AUDITORS[@]}"; do
		settle_one "$1" "$a" >"$STATE/settle-$1-$a.log" 2>&1 &
		pids+=($!)
	done
	for a in "${AUDITORS[@]}"; do
		wait "${pids[$a]}" || { rc=1; echo "auditor $a: settle run failed:" >&2; tail -n 5 "$STATE/settle-$1-$a.log" >&2; }
	done
	return $rc
}
# watch_par TAG: every auditor's settle run at once after the reveals, each checking the
# others' evidence (fetching their blobs, rebuilding their trees); fails when none did.
watch_par() {
	local a n
	settle_par "$1" || return 1
	for a in "${AUDITORS[@]}"; do
		n=$(sed -n 's/^assay_dispute_checked_total \([0-9]*\)$/\1/p' "$STATE/settle-metrics-$a.prom")
		[ "${n:-0}" -gt 0 ] || { echo "auditor $a checked no other auditor's evidence" >&2; return 1; }
		echo "auditor $a checked $n attestations' evidence"
	done
}
settle_at_timed() { # E PHASE TAG [par]
	local t
	t=$(A epoch status --epoch "$1" --json | jq ".phases.$2")
	warp_to "$t" >/dev/null
	if [ "${4:-}" = par ]; then settle_par "$3"; else settle_timed "$3"; fi
}
advance_scale() { # E: advance, then every auditor settles (scores and commits E-1)
	local st
	st=$(A epoch status --json)
	warp_to "$(jq .ends_at <<<"$st")" >/dev/null
	A epoch advance --key-file "$STATE/keys/deployer.key" --json >/dev/null
	[ "$(A epoch status --json | jq .current_epoch)" = "$1" ] || { echo "not in epoch $1" >&2; return 1; }
}

# ---- stages: timed, with the chain's gas used over each ---------------------------------
declare -a st_name=() st_secs=() st_gas=() st_cpu=()
# kill_tree PID: PID and every process under it (children first listed, then it), by id.
kill_tree() {
	local p=$1 c
	for c in $(ps -o pid= --ppid "$p" 2>/dev/null); do kill_tree "$c"; done
	kill "$p" 2>/dev/null || true
}
# CPU seconds used so far by the long-lived kinds: "nodes postgres anvil" (a process's own
# and its reaped children's: PostgreSQL's backends are the postmaster's children).
proc_ticks() { # PID [children too: 1]: clock ticks
	awk -v kids="${2:-0}" '{ sub(/^.*\) /, ""); t = $12 + $13; if (kids) t += $14 + $15; print t }' \
		"/proc/$1/stat" 2>/dev/null || echo 0
}
cpu_kinds() {
	local f t=0 pg=0 pm c hz
	hz=$(getconf CLK_TCK)
	for f in "$STATE"/nodes/n*.pid; do
		[ -f "$f" ] && t=$((t + $(proc_ticks "$(cat "$f")")))
	done
	if [ -f "$STATE/pg/pid" ]; then
		pm=$(cat "$STATE/pg/pid")
		pg=$(proc_ticks "$pm" 1)
		for c in $(ps -o pid= --ppid "$pm" 2>/dev/null); do pg=$((pg + $(proc_ticks "$c"))); done
	fi
	echo "$t $pg $(proc_ticks "$(cat "$STATE/anvil/pid" 2>/dev/null || echo 0)")" |
		awk -v hz="$hz" '{ printf "%.1f %.1f %.1f\n", $1 / hz, $2 / hz, $3 / hz }'
}
STAGE_PID=
stage() {
	local title=$1 t0 b0 b1 gas=0 b log
	shift
	log="$STATE/logs/$(printf '%02d' "${#st_name[@]}")-$(tr -c 'a-z0-9\n' '-' <<<"${title,,}" | cut -c1-40).log"
	b0=$(block_number)
	read -r c0n c0p c0a < <(cpu_kinds)
	t0=$EPOCHREALTIME
	# In the background and waited for, so that a signal to this script runs cleanup at
	# once (which stops the stage's processes too).
	( set -euo pipefail; "$@" ) >"$log" 2>&1 </dev/null &
	STAGE_PID=$!
	if ! wait "$STAGE_PID"; then
		STAGE_PID=
		echo "scale.sh: stage '$title' failed; last lines of $log:" >&2
		tail -n 20 "$log" | sed 's/^/  | /' >&2
		exit 1
	fi
	STAGE_PID=
	local secs
	secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	b1=$(block_number)
	for b in $(seq $((b0 + 1)) "$b1"); do
		gas=$((gas + $(rpc eth_getBlockByNumber "[\"$(printf '0x%x' "$b")\",false]" | jq -r .gasUsed)))
	done
	read -r c1n c1p c1a < <(cpu_kinds)
	st_name+=("$title"); st_secs+=("$secs"); st_gas+=("$gas")
	st_cpu+=("$(awk -v a="$c0n $c0p $c0a" -v b="$c1n $c1p $c1a" 'BEGIN {
		split(a, x); split(b, y); printf "%.1f / %.1f / %.1f", y[1] - x[1], y[2] - x[2], y[3] - x[3] }')")
	printf '  %-62s %8ss %14s gas  %s\n' "$title" "$secs" "$gas" "${st_cpu[-1]}"
}
cleanup() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$STAGE_PID" ]; then kill_tree "$STAGE_PID"; wait "$STAGE_PID" 2>/dev/null || true; fi
	if [ "$keep" = 0 ] || [ "$rc" != 0 ]; then
		stop_all >/dev/null 2>&1 || true
		[ "$rc" = 0 ] || echo "scale.sh: failed (exit $rc); every process it started is stopped; logs in $STATE/logs" >&2
	fi
	exit "$rc"
}

if [ -d "$STATE" ]; then stop_all >/dev/null 2>&1 || true; fi
rm -rf "$STATE"
mkdir -p "$STATE/logs" "$STATE/keys" "$STATE/nodes" "$STATE/blobs"
trap cleanup EXIT
trap 'exit 130' INT TERM

# Disputes fixes the schedule's min-per-node at deploy (audit/SCHEDULE.md): every audited
# epoch has the same size, so epoch 2 is not audited (its settlement has nothing decided) and
# the auditor's memory at another size comes from another run (README's auditor RSS row).
PER_NODE=$(( (S_CHALLENGES + S_NODES - 1) / S_NODES ))
DEPLOY_EXTRA=(--min-per-node "$PER_NODE")
echo "scale run: ${S_NODES} nodes, ${S_SHARDS} shards, ${S_BLOBS} blobs, ${S_AUDITORS} auditors," \
	"${S_CHALLENGES} challenges per auditor (min-per-node ${PER_NODE}), blobs put" \
	"${S_LANES} at a time; state in $STATE"
printf '  %-62s %9s %18s  %s\n' "stage" "time" "gas" "CPU s: nodes / PostgreSQL / anvil"
do_pg >/dev/null
do_anvil >/dev/null
load_env
ASSAY_LOG_LEVEL=warn
do_migrate >/dev/null
stage "keys (${S_NODES} operators and node keys, ${S_AUDITORS} auditors)" do_keys
stage "deploy contracts (n=${S_SHARDS})" do_deploy
stage "fund operators, auditors, publisher" do_fund
if [ "$S_LANES" -gt 1 ]; then stage "fund $((S_LANES - 1)) more publisher keys (one per put lane)" do_fund_lanes; fi
stage "register and stake ${S_NODES} nodes" do_register
stage "auditors commit secrets for epoch 1" settle_all
stage "advance to epoch 1 (shard assignment of ${S_SHARDS} shards)" advance_epoch 1
stage "start ${S_NODES} storage nodes (following the chain)" do_nodes_scale
stage "generate ${S_BLOBS} blobs" do_gen_blobs
stage "store, pay for and certify ${S_BLOBS} blobs (${S_LANES} at a time)" do_blobs_scale
stage "epoch 1 seed; secrets for epoch 2" eval 'do_seed 1 && settle_all'
stage "advance to epoch 2; settle epoch 1 (nothing decided)" eval 'advance_scale 2 && settle_timed e1'
stage "epoch 2 seed" do_seed 2
stage "epoch 1 reveal and finalize" eval 'settle_at_timed 1 commit_end e1r && settle_at_timed 1 dispute_end e1f'
stage "advance to epoch 3" advance_scale 3
stage "score and commit epoch 2 (auditors at once)" settle_par e2c
stage "epoch 3 seed" do_seed 3
stage "audit epoch 3: >= ${S_CHALLENGES} challenges per auditor" audit_epoch 3 "$S_CHALLENGES"
stage "epoch 2 reveal (auditors at once) and finalize" eval 'settle_at_timed 2 commit_end e2r par && settle_at_timed 2 dispute_end e2f'
stage "advance to epoch 4" advance_scale 4
stage "score and commit epoch 3 (the big epoch; auditors at once)" settle_par e3c
stage "epoch 3 reveal (auditors at once)" settle_at_timed 3 commit_end e3r par
stage "epoch 3 evidence: each auditor checks the others' (at once)" watch_par e3w
stage "epoch 3 finalize" settle_at_timed 3 dispute_end e3f

# ---- figures -------------------------------------------------------------------------------
psqlq() { psql "$ASSAY_DB" -Atc "$1"; }
rows3=$(psqlq "select count(*) from challenges where epoch = 3")
bytes_all=$(psqlq "select pg_total_relation_size('challenges') + coalesce((select sum(pg_total_relation_size(relid)) from pg_partition_tree('challenges') where relid <> 'challenges'::regclass), 0)")
rows_all=$(psqlq "select count(*) from challenges")
state3=$(A settle status --json --signing-key-file "$STATE/keys/auditor0-sign.key" |
	jq -r '.epochs[] | select(.epoch == 3) | .state')
node_rss=()
for i in "${NODES[@]}"; do
	node_rss+=("$(awk '/^VmHWM:/ { print $2 }' "/proc/$(cat "$STATE/nodes/n$i.pid")/status" 2>/dev/null || echo 0)")
done
rss_stats() { # values (KiB) -> "max MiB / mean MiB"
	printf '%s\n' "$@" | awk '{ s += $1; if ($1 > m) m = $1; n++ } END { printf "%.1f / %.1f", m / 1024, s / n / 1024 }'
}
aud_rss() { local e=$1; rss_stats $(for a in "${AUDITORS[@]}"; do awk '{ print $1 }' "$STATE/rss-audit$e-$a"; done); }
# aud_cpu E: the auditors' CPU seconds, together
aud_cpu() { local e=$1; for a in "${AUDITORS[@]}"; do awk '{ print $3 + $4 }' "$STATE/rss-audit$e-$a"; done | awk '{ s += $1 } END { printf "%.1f", s }'; }
settle_rss=$(rss_stats $(cat "$STATE"/rss-settle-e3c-* | awk '{ print $1 }'))
watch_rss=$(rss_stats $(cat "$STATE"/rss-settle-e3w-* | awk '{ print $1 }'))
t_of() { local i; for i in "${!st_name[@]}"; do [[ "${st_name[$i]}" == $1* ]] && { echo "${st_secs[$i]}"; return; }; done; echo 0; }
g_of() { local i; for i in "${!st_name[@]}"; do [[ "${st_name[$i]}" == $1* ]] && { echo "${st_gas[$i]}"; return; }; done; echo 0; }
t_audit=$(t_of "audit epoch 3"); t_commit=$(t_of "score and commit epoch 3")
t_reveal=$(t_of "epoch 3 reveal"); t_final=$(t_of "epoch 3 finalize"); t_watch=$(t_of "epoch 3 evidence")
t_epoch=$(awk -v a="$t_audit" -v b="$t_commit" -v c="$t_reveal" -v d="$t_final" -v w="$t_watch" 'BEGIN { printf "%.1f", a + b + c + w + d }')
g_commit=$(g_of "score and commit epoch 3"); g_reveal=$(g_of "epoch 3 reveal")
g_final=$(g_of "epoch 3 finalize"); g_adv=$(g_of "advance to epoch 4")
per_m=$(awk -v b="$bytes_all" -v r="$rows_all" 'BEGIN { if (r) printf "%.0f", b / r * 1e6; else print 0 }')

echo
echo "figures (${S_NODES} nodes, ${S_SHARDS} shards, ${S_AUDITORS} auditors; 2 shared cores):"
printf '  %-58s %s\n' "challenge records, epoch 3 (all auditors)" "$rows3"
printf '  %-58s %s\n' "epoch 3 audited and settled (audit to finalize)" "${t_epoch} s (goal < 180 s), state: $state3"
printf '  %-58s %s\n' "  audit / score+commit / reveal / evidence checks / finalize" "$t_audit / $t_commit / $t_reveal / $t_watch / $t_final s"
printf '  %-58s %s\n' "  without the evidence checks (each auditor's own path)" "$(awk -v e="$t_epoch" -v w="$t_watch" 'BEGIN { printf "%.1f", e - w }') s (the checks are the other auditors' watching, on their own machines elsewhere)"
printf '  %-58s %s\n' "auditor peak RSS max / mean, epoch 3 ($S_CHALLENGES per auditor)" "$(aud_rss 3) MiB (CPU $(aud_cpu 3) s)"
printf '  %-58s %s\n' "node peak RSS max / mean" "$(rss_stats "${node_rss[@]}") MiB"
printf '  %-58s %s\n' "settle job peak RSS max / mean (epoch 3 score+commit)" "$settle_rss MiB"
printf '  %-58s %s\n' "settle job peak RSS max / mean (checking the others' evidence)" "$watch_rss MiB"
printf '  %-58s %s\n' "PostgreSQL bytes per 10^6 challenge records" "$per_m ($bytes_all bytes for $rows_all rows, indexes included)"
printf '  %-58s %s\n' "gas: commit / reveal / finalize / advanceEpoch" "$g_commit / $g_reveal / $g_final / $g_adv"

# Extrapolation to 1000 nodes. The contracts cap the committee at 256 members
# (Staking.MAX_COMMITTEE; DESIGN.md), so what follows committee members (challenges, with a
# floor per member; records; reveal counts; finalize, a median and a payout per member)
# grows by min(1000, 256) / min(NODES, 256), and stops growing at 256 nodes; what each node
# process holds stays per node; what is per auditor or per epoch stays.
cm=$(( S_NODES < 256 ? S_NODES : 256 ))
fc=$(awk -v c="$cm" 'BEGIN { printf "%.4f", 256 / c }')
x() { awk -v v="$1" -v f="$2" 'BEGIN { printf "%.0f", v * f }'; }
echo
echo "extrapolated to 1000 nodes (256 of them in the committee: x$fc where it grows with members;"
echo "linear, fixed costs scaled too, so upper bounds: the closer NODES is to 256, the truer):"
printf '  %-44s %-16s %-16s %s\n' quantity "at ${S_NODES}" "at 1000" "grows with"
printf '  %-44s %-16s %-16s %s\n' "challenges per auditor per epoch" "$S_CHALLENGES" "$(x "$S_CHALLENGES" "$fc")" "committee members (a floor each; SCHEDULE.md)"
printf '  %-44s %-16s %-16s %s\n' "PostgreSQL bytes per epoch" "$bytes_all" "$(x "$bytes_all" "$fc")" "challenges (one row per attempt)"
printf '  %-44s %-16s %-16s %s\n' "audit time per epoch (s)" "$t_audit" "$(x "$t_audit" "$fc")" "challenges (each auditor on its own machine)"
printf '  %-44s %-16s %-16s %s\n' "score+commit time (s)" "$t_commit" "$(x "$t_commit" "$fc")" "records (evidence tree and blob)"
printf '  %-44s %-16s %-16s %s\n' "settle job peak RSS (MiB, max)" "$(cut -d' ' -f1 <<<"$settle_rss")" "$(x "$(cut -d' ' -f1 <<<"$settle_rss")" "$fc")" "records / n x upload lanes (a sliver in upload per lane, 16; EVIDENCE.md Memory)"
printf '  %-44s %-16s %-16s %s\n' "auditor peak RSS (MiB, max)" "$(aud_rss 3 | cut -d' ' -f1)" "~ same" "connections (per member), not challenges"
printf '  %-44s %-16s %-16s %s\n' "node peak RSS (MiB, max)" "$(rss_stats "${node_rss[@]}" | cut -d' ' -f1)" "same per node" "its own shards and blobs"
printf '  %-44s %-16s %-16s %s\n' "gas: commit, with the evidence blobs stored" "$g_commit" "$(x "$g_commit" "$fc")" "members, at most (certify checks n-f shards' confirmations; commit itself is constant)"
printf '  %-44s %-16s %-16s %s\n' "gas: reveal" "$g_reveal" "$(x "$g_reveal" "$fc")" "members (per-member counts in calldata)"
printf '  %-44s %-16s %-16s %s\n' "gas: finalize" "$g_final" "$(x "$g_final" "$fc")" "members (a median and a payout each; 128 per tx)"
printf '  %-44s %-16s %-16s %s\n' "gas: advanceEpoch" "$g_adv" "$(x "$g_adv" "$fc")" "members and shards moved"
# What does not fit as it grows: one transaction's gas against a block's limit.
glimit=$(rpc eth_getBlockByNumber '["latest",false]' | jq -r .gasLimit); glimit=$((glimit))
echo
for kind in reveal finalize advanceEpoch; do
	case $kind in # one transaction of each at 1000 nodes (256 members)
	reveal) x1000=$(x "$((g_reveal / ${#AUDITORS[@]}))" "$fc") ;;         # one per auditor
	finalize) x1000=$(x "$g_final" "$(awk -v c="$cm" 'BEGIN { print 128 / c }')") ;; # a page: 128 members
	advanceEpoch) x1000=$(x "$g_adv" "$fc") ;;
	esac
	if [ "$x1000" -gt "$glimit" ]; then
		echo "  note: one $kind transaction at 1000 nodes (~$x1000 gas) would not fit a block ($glimit gas): it needs batching"
	else
		echo "  one $kind transaction at 1000 nodes: ~$x1000 gas (block limit $glimit)"
	fi
done
echo "  note: the contracts cap the committee at 256 members: the other 744 of 1000 nodes wait as candidates, unchallenged and unpaid"
[ "$keep" = 1 ] && { echo; echo "left running; state in $STATE; stop with: ASSAY_NETWORK_STATE=$STATE deploy/network.sh --stop"; }
exit 0
