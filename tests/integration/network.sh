#!/usr/bin/env bash
# network.sh: the README's main command, `deploy/network.sh --json`, run whole (its own
# PostgreSQL and anvil, 7 nodes following the chain, 20 blobs, 4 auditors, epochs 2 and 3
# audited and settled) and its summary checked against what issue 7 asks of it:
#   - every auditor decided every scheduled challenge;
#   - the faulty nodes (5 loses 30 % of its slivers, 6 corrupts 60 % of its symbols) get no
#     reward and are slashed, in each audited epoch;
#   - healthy nodes score 100 % and are rewarded in proportion to their shards;
#   - the rewards of an epoch never exceed its pool;
#   - `assay payouts` agrees with the chain for every node (no disagreement);
#   - `assay api serve`'s payouts route gives, for every node and audited epoch, the same
#     reward, penalty, median and finalize transaction as `assay payouts` (issue 16: both
#     take them from settle_payouts_paid). The network is kept running (--keep) for that.
# then, on the network left running (--keep), the pages in headless Chromium
# (tests/web/pages.sh, issue 12), screenshots in $ASSAY_TEST_STATE/web-screenshots.
# Long (about two minutes): labelled slow, so the sanitizer stage leaves it out.
set -uo pipefail
A=${ASSAY_BIN:?run through ctest}
SRC=${ASSAY_SOURCE_DIR:?}
T=$(mktemp -d /tmp/assay-network-test.XXXXXX)
trap 'ASSAY_NETWORK_STATE=$T/state "$SRC/deploy/network.sh" --stop >/dev/null 2>&1; rm -rf "$T"' EXIT

t0=$SECONDS
if ! ASSAY_BUILD_DIR=$(dirname "$A") ASSAY_NETWORK_STATE=$T/state \
	"$SRC/deploy/network.sh" --json --keep >"$T/summary.json" 2>"$T/steps.txt"; then
	cat "$T/steps.txt" >&2
	echo "FAIL: deploy/network.sh --json exited non-zero" >&2
	exit 1
fi
echo "deploy/network.sh --json --keep: exit 0 in $((SECONDS - t0)) s"
sed 's/^/  | /' "$T/steps.txt"

python3 - "$T/summary.json" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
fails = []
def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        fails.append(what)

audited = sorted({a["epoch"] for a in s["audits"]})
check(audited == [2, 3], "epochs 2 and 3 were audited (%s)" % audited)
for a in s["audits"]:
    check(a["challenges"] > 0 and a["decided"] == a["challenges"],
          "epoch %d auditor %d decided %d of %d challenges" % (a["epoch"], a["auditor"], a["decided"], a["challenges"]))
pool = {e["epoch"]: int(e["settlement"]["pool"]) for e in s["epochs"]}
for e in s["epochs"]:
    check(e["settlement"]["status"] == "finalized" and e["settlement"]["revealed"] == 4,
          "epoch %d finalized with 4 reveals (%s, %s)" % (e["epoch"], e["settlement"]["status"], e["settlement"]["revealed"]))
faulty = {5, 6}
for epoch in audited:
    rows = []
    for n in s["nodes"]:
        ep = [x for x in n["epochs"] if x["epoch"] == epoch]
        check(len(ep) == 1, "node %d has one row for epoch %d" % (n["index"], epoch))
        if ep:
            rows.append((n["index"], ep[0]))
    total = sum(int(r["reward"]) for _, r in rows)
    check(total <= pool[epoch], "epoch %d: rewards %d <= pool %d" % (epoch, total, pool[epoch]))
    healthy = [(i, r) for i, r in rows if i not in faulty]
    for i, r in rows:
        if i in faulty:
            check(int(r["reward"]) == 0 and int(r["slashed"]) > 0,
                  "epoch %d: faulty node %d (score %s) gets no reward and is slashed %s" % (epoch, i, r["median"], r["slashed"]))
            check("below the penalty threshold" in r["notes"],
                  "epoch %d: payouts warns faulty node %d: %s" % (epoch, i, r["notes"]))
        else:
            check(r["median"] == "100.00%" and int(r["reward"]) > 0 and int(r["slashed"]) == 0 and r["notes"] == "",
                  "epoch %d: healthy node %d scores %s, reward %s, not slashed" % (epoch, i, r["median"], r["reward"]))
    # In proportion to shards: reward_i = floor(nodePool * shards_i / n) at a full score, so
    # reward_i * shards_j and reward_j * shards_i differ by less than the larger shard count.
    for i, ri in healthy:
        for j, rj in healthy:
            a = int(ri["reward"]) * rj["shards"]
            b = int(rj["reward"]) * ri["shards"]
            if abs(a - b) >= max(ri["shards"], rj["shards"]):
                check(False, "epoch %d: nodes %d and %d are not rewarded in proportion to shards (%s/%d vs %s/%d)"
                      % (epoch, i, j, ri["reward"], ri["shards"], rj["reward"], rj["shards"]))
    check(True, "epoch %d: healthy rewards per shard agree (%s)" % (epoch, ", ".join(
        "node %d: %d shards" % (i, r["shards"]) for i, r in healthy)))
for n in s["nodes"]:
    check(n["disagreements"] == 0, "node %d: assay payouts agrees with the chain" % n["index"])
# The API's payouts route and `assay payouts` give the same numbers for every node.
import urllib.request
for n in s["nodes"]:
    url = "%s/v1/nodes/%s/payouts?from=%d&to=%d" % (s["api"], n["node"], audited[0], audited[-1])
    try:
        api = json.load(urllib.request.urlopen(url, timeout=30))
    except Exception as ex:
        check(False, "node %d: GET %s: %s" % (n["index"], url, ex))
        continue
    by_epoch = {x["epoch"]: x for x in api["epochs"]}
    for r in n["epochs"]:
        a = by_epoch.get(r["epoch"])
        if a is None or a["reward"] is None:
            check(False, "node %d epoch %d: the API has no payout" % (n["index"], r["epoch"]))
            continue
        med = "%.2f%%" % (int(a["median_on_chain"]["score_wad"]) / 1e16)
        same = (a["reward"] == r["reward"] and a["penalty"] == r["slashed"] and
                a["penalized"] == r["penalized"] and med == r["median"] and
                a["finalize_tx"].lower() == r["finalize_tx"].lower())
        check(same, "node %d epoch %d: API and assay payouts agree (reward %s/%s, penalty %s/%s, "
              "penalized %s/%s, median %s/%s)" % (n["index"], r["epoch"], a["reward"], r["reward"],
              a["penalty"], r["slashed"], a["penalized"], r["penalized"], med, r["median"]))
if fails:
    print("network: %d failure(s)" % len(fails), file=sys.stderr)
    sys.exit(1)
print("network: all passed")
PY
[ $? = 0 ] || exit 1

# Every auditor is honest here: the watcher in each settle run (issue 13) reads the others'
# evidence blobs and must find no lie, and nobody is convicted.
if grep -E "dispute: auditor [0-9]+( attested|'s evidence blob)|convicted on chain" "$T/steps.txt" >&2; then
	echo "FAIL: the watcher reported a lie among honest auditors" >&2
	exit 1
fi
echo "ok:   the watcher found no lie among the honest auditors"

# The pages, once, in a real browser, on this network (the EXIT trap stops it).
t0=$SECONDS
bash "$SRC/tests/web/pages.sh" "$T/state" "${ASSAY_TEST_STATE:-$T}/web-screenshots" || exit 1
echo "pages in Chromium: $((SECONDS - t0)) s"
