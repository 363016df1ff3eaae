#!/usr/bin/env bash
# network.sh: the README's main command. Installs what is missing, builds, and runs the
# whole local network on this machine: a private PostgreSQL, anvil, the contracts, 7
# storage nodes (2 faulty) following the chain, 20 blobs stored, paid for and certified,
# epochs 2 and 3 audited by 4 auditors from the chain and settled on chain; then prints the
# payout table. Everything it
# started is stopped at the end, on Ctrl-C or on a failure (by PID).
#   --keep   leave the network running and print how to use and stop it
#   --json   print the summary as JSON (the steps go to stderr)
#   --stop   stop a network left running by --keep, and exit
#   --chaos SEED  the same run while a schedule drawn from SEED kills and restarts nodes,
#            the gateway, auditors and settle runs, restarts PostgreSQL and cuts the
#            chain's RPC for 30 s; then checks the run and exits 1 if a check fails
#            (deploy/chaos/chaos.sh)
#   --calm FILE   with --chaos: a calm run's --json summary to compare payouts with
#            (default: run the calm network first)
# ASSAY_BUILD_DIR (default: build) is where it builds and finds the assay program;
# ASSAY_NETWORK_STATE (default: .state/network) where it keeps state and logs.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
cd "$ASSAY_ROOT"

keep=0; json=0; stop=0; CHAOS_SEED=; CHAOS_CALM=
while [ $# -gt 0 ]; do
	case "$1" in
	--keep) keep=1 ;;
	--json) json=1 ;;
	--stop) stop=1 ;;
	--chaos) [[ "${2:-}" =~ ^[0-9]+$ ]] || die "--chaos takes a seed (a number)"; CHAOS_SEED=$2; shift ;;
	--calm) [ -f "${2:-}" ] || die "--calm takes a calm run's --json summary"; CHAOS_CALM=$(realpath "$2"); shift ;;
	-h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown option '$1' (try --help)" ;;
	esac
	shift
done

STATE=${ASSAY_NETWORK_STATE:-$ASSAY_ROOT/.state/network}
BUILD=${ASSAY_BUILD_DIR:-build}
case "$BUILD" in /*) ASSAY="$BUILD/assay" ;; *) ASSAY="$ASSAY_ROOT/$BUILD/assay" ;; esac
. deploy/demo/demo.sh
[ -z "$CHAOS_SEED" ] || . deploy/chaos/chaos.sh
if [ "$stop" = 1 ]; then
	[ -d "$STATE" ] && stop_all
	echo "network.sh: stopped the network in $STATE"
	exit 0
fi

# ---- the step runner ------------------------------------------------------------------
# step TITLE FUNCTION ARGS...: runs FUNCTION in a subshell with `set -e`, its output in
# $STATE/logs/NN-<slug>.log; prints the title and its duration. On failure: which step,
# the last lines of its log, then everything is stopped (EXIT trap) and the exit is 1.
nstep=0; cur_step=; cur_log=; step_pid=
t_start=$EPOCHREALTIME
msg() { if [ "$json" = 1 ]; then echo "$@" >&2; else echo "$@"; fi; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
step() {
	local title=$1; shift
	nstep=$((nstep + 1))
	cur_step=$title
	cur_log="$STATE/logs/$(printf '%02d' "$nstep")-$(tr -c 'a-z0-9\n' '-' <<<"${title,,}" | cut -c1-40).log"
	local t0=$EPOCHREALTIME rc
	# In the background and waited for: a signal interrupts `wait` at once (a foreground
	# child that handles SIGINT itself would make bash carry on); on_signal ends it.
	set +e
	( set -euo pipefail; "$@" ) >"$cur_log" 2>&1 </dev/null &
	step_pid=$!
	# --chaos: this step's faults, beside it; the step is over once they are.
	[ -z "$CHAOS_SEED" ] || chaos_launch "$*"
	wait "$step_pid"
	rc=$?
	step_pid=
	[ -z "$CHAOS_SEED" ] || chaos_join
	set -e
	if [ "$rc" != 0 ]; then
		msg "$(printf '%-58s FAILED after %ss' "$title" "$(secs "$t0" "$EPOCHREALTIME")")"
		failed=1
		exit 1
	fi
	msg "$(printf '%-58s %6ss' "$title" "$(secs "$t0" "$EPOCHREALTIME")")"
	cur_step=
}
failed=0
on_exit() {
	local rc=$?
	trap - EXIT INT TERM
	if [ -n "$cur_step" ]; then
		{
			echo
			echo "network.sh: step '$cur_step' failed (exit $rc); last lines of $cur_log:"
			tail -n 25 "$cur_log" 2>/dev/null | sed 's/^/  | /'
		} >&2
		rc=1
	fi
	[ -z "$CHAOS_SEED" ] || chaos_abort
	if [ "$keep" = 0 ] || [ "$rc" != 0 ]; then
		stop_all >&2
		[ "$rc" = 0 ] || echo "network.sh: stopped everything it started" >&2
	fi
	exit "$rc"
}
# The PIDs of a process and all its descendants, children first.
tree_pids() {
	local c
	for c in $(ps -o pid= --ppid "$1" 2>/dev/null); do tree_pids "$c"; done
	echo "$1"
}
on_signal() {
	echo >&2
	echo "network.sh: interrupted${cur_step:+ during step '$cur_step'}; stopping everything" >&2
	if [ -n "$step_pid" ]; then
		kill $(tree_pids "$step_pid") 2>/dev/null || true
		wait "$step_pid" 2>/dev/null || true
	fi
	[ -z "$CHAOS_SEED" ] || chaos_abort
	cur_step=; stop_all >&2; trap - EXIT; exit 130
}

# ---- run ------------------------------------------------------------------------------
if [ -n "$CHAOS_SEED" ] && [ -z "$CHAOS_CALM" ]; then
	# The payouts to compare with: the calm network's, run first.
	CHAOS_CALM=$STATE-calm.json
	msg "chaos: the calm network first (its payouts are the reference), state in $STATE-calm"
	ASSAY_NETWORK_STATE=$STATE-calm "$0" --json >"$CHAOS_CALM" 2>"$STATE-calm.steps" ||
		{ tail -n 30 "$STATE-calm.steps" >&2; die "the calm run failed"; }
fi
if [ -d "$STATE" ]; then stop_all >/dev/null 2>&1 || true; fi
rm -rf "$STATE"
mkdir -p "$STATE/logs" "$STATE/keys" "$STATE/nodes" "$STATE/blobs"
trap on_exit EXIT
trap on_signal INT TERM

msg "assay local network: state and logs in $STATE"
[ -z "$CHAOS_SEED" ] || chaos_t0=${EPOCHREALTIME/./}
step "install what is missing" do_install
step "build ($BUILD/assay)" do_build
step "start PostgreSQL" do_pg
step "start anvil" do_anvil
[ -z "$CHAOS_SEED" ] || step "chaos: RPC proxy; the schedule of seed $CHAOS_SEED" do_chaos_setup
load_env
step "database schema" do_migrate
step "keys (deployer, 7 operators, 7 node keys, 4 auditors)" do_keys
step "deploy contracts (epoch ${EPOCH_S}s, n=$N_SHARDS, 4 auditors)" do_deploy
step "fund operators, auditors' gas, publisher" do_fund
step "register and stake 7 nodes" do_register
step "auditors commit their secrets for epoch 1" settle_all
step "advance to epoch 1 (committee of 7)" advance_epoch 1
step "start 7 storage nodes (node 5 loses 30%, node 6 corrupts)" do_nodes
step "generate $NBLOBS blobs (seeded)" do_gen_blobs
step "store, pay for and certify $NBLOBS blobs" do_blobs
step "read every blob through the gateway, also with 2 nodes stopped" do_gateway
step "epoch 1 seed (seeds are recorded in order)" do_seed 1
step "auditors commit their secrets for epoch 2" settle_all
step "advance to epoch 2; auditors attest epoch 1 (nothing to audit yet)" advance_and_settle 2
step "epoch 2 seed (block hash, recorded with 'assay epoch seed')" do_seed 2
step "audit epoch 2 (4 auditors; committee, seed and blobs from the chain)" do_audit 2
step "epoch 1: reveal window; auditors reveal" settle_at 1 commit_end
step "epoch 1: dispute window over; finalize (pool rolls over)" settle_at 1 dispute_end finalized
step "advance to epoch 3; auditors score and commit epoch 2" advance_and_settle 3
step "epoch 3 seed" do_seed 3
step "audit epoch 3 (4 auditors)" do_audit 3
step "epoch 2: reveal window; auditors reveal" settle_at 2 commit_end
step "epoch 2: dispute window over; finalize" settle_at 2 dispute_end finalized
step "advance to epoch 4; auditors score and commit epoch 3" advance_and_settle 4
step "epoch 3: reveal window; auditors reveal" settle_at 3 commit_end
step "epoch 3: dispute window over; finalize" settle_at 3 dispute_end finalized
step "payouts of every node, checked against the chain" do_payouts
step "the gateway answers 404 for the expired blobs" do_gateway_expired
step "publish a blob through the gateway (PUT), read it back" do_gateway_publish
step "start the read-only API" do_api
step "attestations verified, evidence proven against the chain" do_check_views
step "collect the summary" do_collect
if [ -n "$CHAOS_SEED" ]; then
	step "chaos: check the run" do_chaos_checks
	step "chaos: collect the schedule and the checks" chaos_collect
fi
cur_step=

elapsed=$(secs "$t_start" "$EPOCHREALTIME")
[ "$keep" = 1 ] || stop_all >"$STATE/logs/stop.log" 2>&1
summary "$elapsed"
if [ -n "$CHAOS_SEED" ]; then
	[ "$json" = 1 ] || chaos_summary
	[ "$(jq .chaos.passed "$STATE/summary.json")" = true ] || exit 1
fi
