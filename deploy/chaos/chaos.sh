# chaos.sh: `deploy/network.sh --chaos SEED` (sourced by it after demo.sh, not run). The
# main command runs as usual while a schedule drawn from SEED (bash's $RANDOM seeded with
# it: the same seed, the same schedule) injects faults beside its steps:
#   - storage nodes SIGKILLed and started again after a short while (at most two of the
#     committee's seven down at once: f = ⌊(7−1)/3⌋; one during each audit at least; also
#     during the RPC outage, when a node starts from the committee it kept);
#   - the gateway SIGKILLed and started again on its port;
#   - an auditor's `audit run` (once per audited epoch) and `settle run`s SIGKILLed mid-way:
#     the step runs them again, as cron would (rerun in demo.sh, chaos_rerun here);
#   - PostgreSQL restarted once (deploy/pg.sh restart);
#   - the chain's RPC unreachable for 30 s once: every assay process reaches anvil through
#     a TCP proxy (proxy.py), which is killed and started again on its port; anvil runs on.
# A fault belongs to a step (the step runner's FUNCTION ARGS) and falls a drawn delay after
# the step begins; the step ends once its faults are over (the process restarted). Then
# chaos_checks checks the run and the summary prints each check as PASS or FAIL.

CHAOS_RETRY_MS=4000 # audit run --retry-delay-ms: a node down ~3 s is asked again after it is back
CHAOS_OUTAGE_S=30   # the chain's RPC is away this long
CHAOS_RERUN_S=180   # a rerun gives up after this long (cron would go on)

# The steps faults fall in (from the epoch-1 seed, nodes and gateway running, to the last
# finalize), by FUNCTION ARGS.
CHAOS_STEPS=("do_seed 1" "advance_and_settle 2" "do_seed 2" "do_audit 2"
	"settle_at 1 commit_end" "settle_at 1 dispute_end finalized" "advance_and_settle 3"
	"do_seed 3" "do_audit 3" "settle_at 2 commit_end" "settle_at 2 dispute_end finalized"
	"advance_and_settle 4" "settle_at 3 commit_end" "settle_at 3 dispute_end finalized")
# Steps whose every assay command goes through rerun: PostgreSQL or the RPC may go away.
CHAOS_TOLERANT=("do_audit 2" "do_audit 3" "settle_at 1 commit_end"
	"settle_at 1 dispute_end finalized" "settle_at 2 commit_end"
	"settle_at 2 dispute_end finalized" "settle_at 3 commit_end"
	"settle_at 3 dispute_end finalized")
# Steps that run `settle run` for every auditor.
CHAOS_SETTLING=("advance_and_settle 2" "advance_and_settle 3" "advance_and_settle 4"
	"${CHAOS_TOLERANT[@]:2}")

# ---- the schedule -----------------------------------------------------------------------
# $STATE/chaos/plan.tsv: STEP KIND TARGET DELAY_MS DOWN_MS, one fault a line.
chaos_pick() { R=$((RANDOM % $1)); } # R = 0..N-1 (no $(...): the subshell's draw is lost)
chaos_plan() {
	local seed=$1 out=$STATE/chaos/plan.tsv outage pg e a k i n d down tries
	RANDOM=$seed
	: >"$out"
	chaos_pick ${#CHAOS_TOLERANT[@]}; outage=${CHAOS_TOLERANT[$R]}
	chaos_pick 1500; printf '%s\trpc\tchain\t%d\t%d\n' "$outage" "$R" $((CHAOS_OUTAGE_S * 1000)) >>"$out"
	chaos_pick ${#CHAOS_TOLERANT[@]}; pg=${CHAOS_TOLERANT[$R]}
	chaos_pick 1500; printf '%s\tpostgres\tcluster\t%d\t0\n' "$pg" "$R" >>"$out"
	for e in "${AUDITED[@]}"; do # one auditor killed mid-audit in each audited epoch
		chaos_pick ${#AUDITORS[@]}; a=$R
		chaos_pick 2500; printf 'do_audit %s\taudit\t%s\t%d\t0\n' "$e" "$a" $((300 + R)) >>"$out"
	done
	local settling=("${CHAOS_SETTLING[@]}") # three settle runs, in three steps
	for _ in 1 2 3; do
		chaos_pick ${#settling[@]}; k=${settling[$R]}
		settling=("${settling[@]:0:$R}" "${settling[@]:$((R + 1))}")
		chaos_pick ${#AUDITORS[@]}; a=$R
		chaos_pick 20; printf '%s\tsettle\t%s\t%d\t0\n' "$k" "$a" $((R * 5)) >>"$out"
	done
	# The gateway is not restarted during the outage (it reads the chain as it starts); a
	# node may be (it serves the committee it kept). Nodes: one during each audit, two more.
	local cand=() s
	for s in "${CHAOS_STEPS[@]}"; do [ "$s" = "$outage" ] || cand+=("$s"); done
	chaos_pick ${#cand[@]}; k=${cand[$R]}
	chaos_pick 1500; d=$R; chaos_pick 1500
	printf '%s\tgateway\tgateway\t%d\t%d\n' "$k" "$d" $((500 + R)) >>"$out"
	local steps=()
	for e in "${AUDITED[@]}"; do steps+=("do_audit $e"); done
	while [ ${#steps[@]} -lt 4 ]; do chaos_pick ${#CHAOS_STEPS[@]}; steps+=("${CHAOS_STEPS[$R]}"); done
	for k in "${steps[@]}"; do
		n=$(awk -F'\t' -v k="$k" '$1 == k && $2 == "node"' "$out" | wc -l)
		[ "$n" -lt 2 ] || continue # at most two nodes down at once
		for tries in 1 2 3 4 5 6 7 8; do
			chaos_pick ${#NODES[@]}; i=$R
			awk -F'\t' -v k="$k" -v i="$i" '$1 == k && $2 == "node" && $3 == i { f = 1 } END { exit !f }' "$out" || break
		done
		case "$k" in do_audit*) chaos_pick 2700; d=$((300 + R)) ;; *) chaos_pick 1000; d=$R ;; esac
		chaos_pick 2000; down=$((500 + R))
		printf '%s\tnode\t%s\t%d\t%d\n' "$k" "$i" "$d" "$down" >>"$out"
	done
}
chaos_plan_text() { # the plan, one fault a line
	local k kind t d down
	while IFS=$'\t' read -r k kind t d down; do
		case "$kind" in
		rpc) echo "[$k] +${d}ms: the chain's RPC unreachable for $((down / 1000)) s" ;;
		postgres) echo "[$k] +${d}ms: PostgreSQL restarted" ;;
		audit) echo "[$k] auditor $t's audit run SIGKILLed ${d}ms after it starts; run again" ;;
		settle) echo "[$k] a settle run SIGKILLed ${d}ms after it starts (auditor $t's, else the next's); run again" ;;
		gateway) echo "[$k] +${d}ms: the gateway SIGKILLed, restarted ${down}ms later" ;;
		node) echo "[$k] +${d}ms: node $t SIGKILLed, restarted ${down}ms later" ;;
		esac
	done <"$STATE/chaos/plan.tsv"
}

# ---- carrying it out --------------------------------------------------------------------
chaos_t0=${EPOCHREALTIME/./}
chaos_now() { local t=${EPOCHREALTIME/./}; t=$(((t - chaos_t0) / 1000)); printf '%d.%03d' $((t / 1000)) $((t % 1000)); }
chaos_log() { # STEP KIND TARGET WHAT: a line of the schedule as it happened
	printf '%s\t%s\t%s\t%s\t%s\n' "$(chaos_now)" "$1" "$2" "$3" "$4" >>"$STATE/chaos/events.tsv"
}
chaos_sleep_ms() { sleep "$(printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)))"; }

chaos_rerun() { # NAME ARGS...: assay ARGS again until it exits 0 (rerun in demo.sh)
	local name=$1 rc t0=$SECONDS n=0 pid pf=$STATE/chaos/run/$1.pid
	shift
	while :; do
		n=$((n + 1))
		"$ASSAY" "$@" &
		pid=$!
		echo "$pid" >"$pf"
		echo "$name" >>"$STATE/chaos/run/started"
		rc=0; wait "$pid" || rc=$?
		rm -f "$pf"
		[ "$rc" = 0 ] && return 0
		chaos_log "-" rerun "$name" "exit $rc$([ "$rc" = 137 ] && echo ' (SIGKILL)') on run $n; run again"
		echo "chaos: '$name' exited $rc; run again (as cron would)" >&2
		[ $((SECONDS - t0)) -lt "$CHAOS_RERUN_S" ] || return "$rc"
		sleep $((n < 3 ? n : 3))
	done
}

chaos_proxy_start() { # the TCP proxy to anvil, on $STATE/proxy/port (chosen once)
	local port target t
	mkdir -p "$STATE/proxy"
	[ -f "$STATE/proxy/port" ] || free_port >"$STATE/proxy/port"
	port=$(cat "$STATE/proxy/port")
	target=$(sed 's/.*://' "$STATE/anvil/url")
	for t in $(seq 1 20); do
		setsid python3 "$ASSAY_ROOT/deploy/chaos/proxy.py" "$port" "$target" \
			>>"$STATE/proxy/proxy.log" 2>&1 </dev/null &
		echo $! >"$STATE/proxy/pid"
		for _ in $(seq 1 100); do
			if curl -sf -m 2 -H 'content-type: application/json' \
				-d '{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}' \
				"http://127.0.0.1:$port" >/dev/null 2>&1; then
				echo "http://127.0.0.1:$port" >"$STATE/proxy/url"
				echo "RPC proxy http://127.0.0.1:$port -> anvil port $target (pid $(cat "$STATE/proxy/pid"))"
				return 0
			fi
			kill -0 "$(cat "$STATE/proxy/pid")" 2>/dev/null || break # the port still held, say
			sleep 0.1
		done
		stop_pid_file "$STATE/proxy/pid"
		sleep 0.5
	done
	echo "the RPC proxy did not start on port $port" >&2
	return 1
}
do_chaos_setup() {
	mkdir -p "$STATE/chaos/run"
	: >"$STATE/chaos/events.tsv"
	: >"$STATE/chaos/run/started" # each run rerun starts, by name
	chaos_proxy_start
	chaos_plan "$CHAOS_SEED"
	chaos_plan_text
}

chaos_kill() { # PIDFILE: SIGKILL its process; prints the PID
	local pid
	pid=$(cat "$1" 2>/dev/null) || return 1
	kill -9 "$pid" 2>/dev/null || return 1
	echo "$pid"
}

# chaos_fault STEP KIND TARGET DELAY_MS DOWN_MS: one fault, in the background of its step.
chaos_fault() {
	local k=$1 kind=$2 t=$3 d=$4 down=$5 pid a pf tries end
	case "$kind" in
	node | gateway)
		chaos_sleep_ms "$d"
		if [ "$kind" = node ]; then pf=$STATE/nodes/n$t.pid; else pf=$STATE/gateway.pid; fi
		pid=$(chaos_kill "$pf") || { chaos_log "$k" "$kind" "$t" "FAILED: not running"; return 1; }
		chaos_log "$k" "$kind" "$t" "SIGKILL (pid $pid)"
		chaos_sleep_ms "$down"
		for tries in 1 2 3; do
			if [ "$kind" = node ]; then
				start_node "$t" >>"$STATE/chaos/restarts.log" 2>&1 &&
					wait_node "$t" >>"$STATE/chaos/restarts.log" 2>&1 && break
			else
				GATEWAY_PORT=$(sed 's/.*://' "$STATE/gateway.url") gateway_start gateway \
					>>"$STATE/chaos/restarts.log" 2>&1 && break
			fi
			stop_pid_file "$pf"
			[ "$tries" = 3 ] && { chaos_log "$k" "$kind" "$t" "FAILED: did not start again"; return 1; }
			sleep 1
		done
		chaos_log "$k" "$kind" "$t" "restarted (pid $(cat "$pf"))"
		;;
	audit | settle)
		# The run's PID file appears when rerun starts it: kill it DELAY ms later (a settle
		# run that ended by then, or before it was seen: the next auditor's).
		local names=() n0s=() i
		if [ "$kind" = audit ]; then names=("audit${k#do_audit }-$t")
		else for a in "${AUDITORS[@]}"; do [ "$a" -lt "$t" ] || names+=("settle$a"); done; fi
		# How many times each has started before this step: counted now, before it runs.
		for a in "${names[@]}"; do n0s+=("$(grep -cx "$a" "$STATE/chaos/run/started" || true)"); done
		for i in "${!names[@]}"; do
			a=${names[$i]}
			pf=$STATE/chaos/run/$a.pid
			end=$((SECONDS + 120))
			while [ ! -f "$pf" ] && [ "$SECONDS" -lt "$end" ] &&
				[ "$(grep -cx "$a" "$STATE/chaos/run/started")" = "${n0s[$i]}" ]; do
				sleep 0.02
			done
			chaos_sleep_ms "$d"
			if pid=$(chaos_kill "$pf"); then
				chaos_log "$k" "$kind" "$a" "SIGKILL (pid $pid) ${d}ms after it started"
				return 0
			fi
			# ended before: wait for it to be gone, then the next, killed as soon as seen
			while [ -f "$pf" ]; do sleep 0.02; done
			d=0
		done
		chaos_log "$k" "$kind" "$t" "missed: the runs ended before the kill"
		;;
	postgres)
		chaos_sleep_ms "$d"
		chaos_log "$k" postgres cluster "restart begins"
		if deploy/pg.sh restart "$STATE/pg" >>"$STATE/chaos/restarts.log" 2>&1; then
			chaos_log "$k" postgres cluster "restarted"
		else
			chaos_log "$k" postgres cluster "FAILED: did not restart"; return 1
		fi
		;;
	rpc)
		chaos_sleep_ms "$d"
		pid=$(chaos_kill "$STATE/proxy/pid") || { chaos_log "$k" rpc proxy "FAILED: not running"; return 1; }
		chaos_log "$k" rpc proxy "SIGKILL (pid $pid): the chain's RPC unreachable"
		chaos_sleep_ms "$down"
		if chaos_proxy_start >>"$STATE/chaos/restarts.log" 2>&1; then
			chaos_log "$k" rpc proxy "reachable again (pid $(cat "$STATE/proxy/pid"))"
		else
			chaos_log "$k" rpc proxy "FAILED: the proxy did not start again"; return 1
		fi
		;;
	esac
}

# The step runner calls these around each step: the faults of step KEY start beside it;
# the step is over once they are.
chaos_pids=()
chaos_launch() {
	local k kind t d down
	chaos_pids=()
	[ -f "$STATE/chaos/plan.tsv" ] || return 0
	while IFS=$'\t' read -r k kind t d down; do
		[ "$k" = "$1" ] || continue
		chaos_fault "$k" "$kind" "$t" "$d" "$down" &
		chaos_pids+=($!)
	done <"$STATE/chaos/plan.tsv"
}
chaos_join() {
	local p
	for p in "${chaos_pids[@]}"; do wait "$p" || true; done
	chaos_pids=()
}
chaos_abort() { # on a failure or Ctrl-C: no restart after stop_all
	local p
	for p in "${chaos_pids[@]}"; do kill $(tree_pids "$p") 2>/dev/null || true; done
	chaos_pids=()
}

# ---- the checks -------------------------------------------------------------------------
# Each: a line of $STATE/chaos/checks.jsonl {check, pass, detail}.
chaos_check() { # PASS(0|1) CHECK DETAIL
	jq -nc --argjson p "$1" --arg c "$2" --arg d "$3" '{check: $c, pass: ($p == 1), detail: $d}' \
		>>"$STATE/chaos/checks.jsonl"
	echo "$([ "$1" = 1 ] && echo PASS || echo FAIL): $2 ($3)"
}
chaos_psql() {
	local psql
	psql=$(ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | sort -V | tail -n 1)
	[ -x "$psql" ] || psql=psql
	"$psql" "$ASSAY_DB" -qAtF $'\t' -v ON_ERROR_STOP=1 -c "$1"
}

do_chaos_checks() {
	local s=$STATE/summary.json calm=$CHAOS_CALM ok d e a n want sig name topic
	: >"$STATE/chaos/checks.jsonl"
	[ -f "$calm" ] || { echo "no calm summary at $calm" >&2; return 1; }

	# 1. Every epoch settled here (1, 2, 3) finalized.
	ok=1; d=
	for e in 1 "${AUDITED[@]}"; do
		st=$(A epoch status --epoch "$e" --json | jq -r .settlement.status)
		d+="epoch $e $st; "
		[ "$st" = finalized ] || ok=0
	done
	chaos_check "$ok" "every epoch finalized" "${d%; }"

	# 2. One secret, one commit and one reveal per auditor per epoch: the chain's events.
	ok=1; d=
	for name in "SecretCommitted(uint64,uint8,bytes32)" "AttestationCommitted(uint64,uint8,bytes32)" \
		"AttestationRevealed(uint64,uint8,bytes32,bytes32,bytes32,bytes32,bytes32)"; do
		topic=$(A chain keccak --text "$name")
		rpc eth_getLogs "[{\"address\":\"$(deployment settlement)\",\"fromBlock\":\"0x0\",\"toBlock\":\"latest\",\"topics\":[\"$topic\"]}]" |
			jq -r '.[] | "\(.topics[1]) \(.topics[2])"' |
			while read -r e a; do echo "$((16#${e#0x})) $((16#${a#0x}))"; done >"$STATE/chaos/logs.txt"
		local counts=""
		for e in 1 "${AUDITED[@]}"; do
			for a in "${AUDITORS[@]}"; do
				n=$(awk -v e="$e" -v a="$a" '$1 == e && $2 == a { c++ } END { print c + 0 }' "$STATE/chaos/logs.txt")
				[ "$n" = 1 ] || { ok=0; counts+=" epoch $e auditor $a: $n"; }
			done
		done
		d+="${name%%(*}: $(wc -l <"$STATE/chaos/logs.txt") events${counts:+ (not 1:$counts)}; "
	done
	chaos_check "$ok" "exactly one commit and one reveal per auditor per epoch" "${d%; }"

	# 2b. No second submission, even one the contract refused: each auditor's gas key sent
	# as many transactions as in the calm run.
	ok=1; d=
	for a in "${AUDITORS[@]}"; do
		n=$(jq --argjson a "$a" '.auditors[] | select(.auditor == $a) | .transactions' "$s")
		want=$(jq --argjson a "$a" '.auditors[] | select(.auditor == $a) | .transactions' "$calm")
		d+="auditor $a: $n (calm $want); "
		[ "$n" = "$want" ] || ok=0
	done
	chaos_check "$ok" "no extra transaction from any auditor" "${d%; }"

	# 3. Challenge records: per auditor and epoch the decided seqs run 0..N-1, N the
	# schedule's (`audit plan`), attempts 0..k of each seq all there, none twice, none left
	# undecided (a transient last attempt before the third).
	ok=1; d=
	chaos_psql "SELECT epoch, encode(auditor, 'hex'), count(*), min(seq), max(seq), sum(n),
		sum(CASE WHEN n <> m + 1 THEN 1 ELSE 0 END), sum(CASE WHEN m > 0 THEN 1 ELSE 0 END)
		FROM (SELECT epoch, auditor, seq, count(*) AS n, max(attempt) AS m FROM challenges
		      GROUP BY 1, 2, 3) s GROUP BY 1, 2 ORDER BY 1, 2" >"$STATE/chaos/records.tsv"
	local dup undecided
	dup=$(chaos_psql "SELECT count(*) - count(DISTINCT (epoch, auditor, seq, attempt)) FROM challenges")
	undecided=$(chaos_psql "SELECT count(*) FROM (SELECT DISTINCT ON (epoch, auditor, seq) outcome,
		attempt, http_status FROM challenges ORDER BY epoch, auditor, seq, attempt DESC) l
		WHERE attempt < 2 AND (outcome IN ('timeout', 'unreachable', 'auditor_error')
		OR (outcome = 'http_error' AND (http_status = 429 OR http_status >= 500)))")
	[ "$dup" = 0 ] && [ "$undecided" = 0 ] || ok=0
	local reasks=0
	for e in "${AUDITED[@]}"; do
		for a in "${AUDITORS[@]}"; do
			local hex row seqs lo hi rows gaps re
			hex=$(addr "auditor$a-sign" | sed 's/^0x//' | lc)
			want=$(A audit plan --epoch "$e" --key-file "$STATE/keys/auditor$a-sign.key" --json | jq '.challenges | length')
			row=$(awk -F'\t' -v e="$e" -v h="$hex" '$1 == e && $2 == h' "$STATE/chaos/records.tsv")
			IFS=$'\t' read -r _ _ seqs lo hi rows gaps re <<<"$row"
			reasks=$((reasks + ${re:-0}))
			if [ -z "$row" ] || [ "$seqs" != "$want" ] || [ "$lo" != 0 ] || [ "$hi" != $((want - 1)) ] || [ "$gaps" != 0 ]; then
				ok=0; d+="epoch $e auditor $a: ${seqs:-0} seqs ${lo:-?}..${hi:-?} of $want scheduled, $gaps with an attempt missing; "
			else
				d+="e$e/a$a $seqs/$want; "
			fi
		done
	done
	d+="$reasks challenges re-asked; $dup duplicates; $undecided undecided"
	chaos_check "$ok" "no challenge record lost or duplicated" "$d"

	# 4 and 5. Payouts against the calm run's: a healthy node killed during the run is
	# paid as in the calm run (full score, same reward, no slash); so is every node never
	# killed, faulty or not.
	local killed
	killed=$(awk -F'\t' '$2 == "node" { print $3 }' "$STATE/chaos/plan.tsv" | sort -un | tr '\n' ' ')
	local ok4=1 d4= ok5=1 d5= i mine theirs
	for i in "${NODES[@]}"; do
		mine=$(jq -c --argjson i "$i" '[.nodes[] | select(.index == $i) | .epochs[] | {epoch, median, reward, slashed}]' "$s")
		theirs=$(jq -c --argjson i "$i" '[.nodes[] | select(.index == $i) | .epochs[] | {epoch, median, reward, slashed}]' "$calm")
		if [[ " $killed " == *" $i "* ]]; then
			[ "$(fault_of "$i")" = none ] || continue
			local rw
			rw=$(jq -r 'map("e\(.epoch) \(.median) \(.reward)") | join(", ")' <<<"$mine")
			if [ "$(jq -c 'map({epoch, reward, slashed})' <<<"$mine")" = "$(jq -c 'map({epoch, reward, slashed})' <<<"$theirs")" ] &&
				[ "$(jq '[.[] | select(.median != "100.00%" or .slashed != "0")] | length' <<<"$mine")" = 0 ]; then
				d4+="node $i: $rw as calm; "
			else
				ok4=0; d4+="node $i: $rw, calm $(jq -r 'map("e\(.epoch) \(.median) \(.reward) slashed \(.slashed)") | join(", ")' <<<"$theirs"); "
			fi
		else
			if [ "$(jq -c 'map({epoch, reward, slashed})' <<<"$mine")" = "$(jq -c 'map({epoch, reward, slashed})' <<<"$theirs")" ]; then
				d5+="node $i same; "
			else
				ok5=0; d5+="node $i: $mine, calm $theirs; "
			fi
		fi
	done
	d4=${d4%; }; d5=${d5%; }
	chaos_check "$ok4" "no node slashed or unrewarded for being down briefly" "${d4:-no healthy node was killed}"
	chaos_check "$ok5" "payouts of the nodes never killed equal the calm run's" "${d5:-every node was killed}"

	# 6. Every fault was carried out and recovered from (restarts answered, reruns ended).
	local failed
	failed=$(awk -F'\t' '$5 ~ /^FAILED/' "$STATE/chaos/events.tsv" | wc -l)
	chaos_check "$([ "$failed" = 0 ] && echo 1 || echo 0)" "every fault injected was recovered from" \
		"$(awk -F'\t' '$2 != "-"' "$STATE/chaos/events.tsv" | wc -l) fault events, $(awk -F'\t' '$2 == "-"' "$STATE/chaos/events.tsv" | wc -l) reruns, $failed failed"
}

# The chaos part of the summary: $STATE/chaos/chaos.json (also merged into summary.json).
chaos_collect() {
	jq -n --argjson seed "$CHAOS_SEED" --rawfile plan "$STATE/chaos/plan.tsv" \
		--rawfile ev "$STATE/chaos/events.tsv" --slurpfile checks "$STATE/chaos/checks.jsonl" '
		def rows($t): $t | split("\n") | map(select(length > 0) | split("\t"));
		{seed: $seed,
		 plan: [rows($plan)[] | {step: .[0], kind: .[1], target: .[2], delay_ms: (.[3] | tonumber), down_ms: (.[4] | tonumber)}],
		 events: [rows($ev)[] | {t: (.[0] | tonumber), step: .[1], kind: .[2], target: .[3], what: .[4]}],
		 checks: $checks, passed: ($checks | all(.pass))}' >"$STATE/chaos/chaos.json"
	jq --slurpfile c "$STATE/chaos/chaos.json" '. + {chaos: $c[0]}' "$STATE/summary.json" >"$STATE/summary.json.new"
	mv "$STATE/summary.json.new" "$STATE/summary.json"
}
chaos_summary() { # text
	echo
	echo "chaos (seed $CHAOS_SEED): what was done, seconds from the start"
	jq -r '.chaos.events[] | "  \(.t | tostring | .[0:7] | " " * (7 - length) + .) s  \(if .step == "-" then "" else "[\(.step)] " end)\(.kind) \(.target): \(.what)"' "$STATE/summary.json"
	echo "checks:"
	jq -r '.chaos.checks[] | "  \(if .pass then "PASS" else "FAIL" end)  \(.check): \(.detail)"' "$STATE/summary.json"
}
