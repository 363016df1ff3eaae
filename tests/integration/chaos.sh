#!/usr/bin/env bash
# chaos.sh: `deploy/network.sh --chaos SEED` with three seeds (issue 14). The calm network
# runs once (`network.sh --json`, its own PostgreSQL and anvil); its summary is the payout
# reference each chaos run compares with (--calm). For every seed, the run must exit 0 and
# every check of its summary hold: every epoch finalized; one commit and one reveal per
# auditor per epoch (the chain's events), no extra transaction; no challenge record lost
# or duplicated (PostgreSQL against `audit plan`); killed healthy nodes paid as in the calm
# run; the nodes never killed paid exactly as in the calm run. And the faults must really
# have happened: nodes, the gateway, both audit runs killed, a settle run killed,
# PostgreSQL restarted, the RPC cut. Prints per seed what was done and the checks.
# The seeds (ASSAY_CHAOS_SEEDS): 3 cuts the RPC before an epoch advance and a PUT through
# the gateway (nodes must catch up with the chain soon after it returns); 7 cuts it during
# the audit of epoch 2 with a node restarted meanwhile, and restarts PostgreSQL during the
# audit of epoch 3 with two nodes down; 25 cuts it during the audit of epoch 3 with a node
# restarted meanwhile, two nodes down during the audit of epoch 2.
# Long (a calm run and three chaos runs, about two minutes each): labelled slow.
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:?}
SEEDS=${ASSAY_CHAOS_SEEDS:-"3 7 25"}
T=$(mktemp -d /tmp/assay-chaos-test.XXXXXX)
cleanup() {
	local d
	for d in "$T"/state*; do
		[ -d "$d" ] && ASSAY_NETWORK_STATE=$d "$SRC/deploy/network.sh" --stop >/dev/null 2>&1
	done
	rm -rf "$T"
}
trap cleanup EXIT
export ASSAY_BUILD_DIR
ASSAY_BUILD_DIR=$(dirname "$A")

t0=$SECONDS
if ! ASSAY_NETWORK_STATE=$T/state-calm "$SRC/deploy/network.sh" --json >"$T/calm.json" 2>"$T/calm.steps"; then
	tail -n 40 "$T/calm.steps" >&2
	echo "FAIL: the calm run (deploy/network.sh --json) exited non-zero" >&2
	exit 1
fi
echo "calm run: exit 0 in $((SECONDS - t0)) s"

fails=0
for seed in $SEEDS; do
	t0=$SECONDS
	ASSAY_NETWORK_STATE=$T/state-$seed "$SRC/deploy/network.sh" --chaos "$seed" --calm "$T/calm.json" \
		--json >"$T/chaos-$seed.json" 2>"$T/chaos-$seed.steps"
	rc=$?
	secs=$((SECONDS - t0))
	echo
	echo "=== seed $seed: deploy/network.sh --chaos $seed: exit $rc in $secs s"
	if ! jq -e .chaos "$T/chaos-$seed.json" >/dev/null 2>&1; then
		tail -n 40 "$T/chaos-$seed.steps" | sed 's/^/  | /'
		echo "FAIL: seed $seed: no chaos summary"
		fails=$((fails + 1))
		continue
	fi
	jq -r '.chaos.events[] | "  \(.t | tostring | .[0:7] | " " * (7 - length) + .) s  \(if .step == "-" then "" else "[\(.step)] " end)\(.kind) \(.target): \(.what)"' \
		"$T/chaos-$seed.json"
	jq -r '.chaos.checks[] | "  \(if .pass then "PASS" else "FAIL" end)  \(.check): \(.detail)"' "$T/chaos-$seed.json"
	python3 - "$T/chaos-$seed.json" "$rc" <<'PY' || fails=$((fails + 1))
import json, sys
s = json.load(open(sys.argv[1]))["chaos"]
rc = int(sys.argv[2])
bad = []
if rc != 0:
    bad.append("network.sh --chaos exited %d" % rc)
for c in s["checks"]:
    if not c["pass"]:
        bad.append("check failed: " + c["check"])
if len(s["checks"]) != 7:
    bad.append("%d checks, not 7" % len(s["checks"]))
ev = s["events"]
def happened(kind, word):
    return [e for e in ev if e["kind"] == kind and word in e["what"]]
# The faults of the schedule really fell: a chaos run without them proves nothing.
for kind, word, least in [("node", "SIGKILL", 3), ("node", "restarted", 3), ("gateway", "SIGKILL", 1),
                          ("gateway", "restarted", 1), ("audit", "SIGKILL", 2), ("settle", "SIGKILL", 1),
                          ("postgres", "restarted", 1), ("rpc", "unreachable", 1), ("rpc", "reachable again", 1)]:
    n = len(happened(kind, word))
    if n < least:
        bad.append("%s '%s': %d times, expected at least %d" % (kind, word, n, least))
reruns = [e for e in ev if e["kind"] == "rerun"]
if not any("SIGKILL" in e["what"] for e in reruns):
    bad.append("no killed run was run again")
print("  figures: %d faults injected, %d reruns, %d settle kills missed" % (
    len([e for e in ev if "SIGKILL" in e["what"] or "restart begins" in e["what"]]), len(reruns),
    len(happened("settle", "missed"))))
for b in bad:
    print("FAIL: seed %s: %s" % (s["seed"], b))
sys.exit(1 if bad else 0)
PY
	if [ "$rc" != 0 ]; then
		echo "  steps:"; sed 's/^/  | /' "$T/chaos-$seed.steps" | tail -n 40
	fi
done
echo
if [ "$fails" != 0 ]; then
	echo "chaos: $fails seed(s) failed" >&2
	exit 1
fi
echo "chaos: every check held for seeds $SEEDS"
