#!/usr/bin/env python3
"""Reference implementation of settle/EVIDENCE.md (evidence tree version 2), written from that
page alone, to produce tests/vectors/evidence.json:
    python3 tests/vectors/evidence_ref.py > tests/vectors/evidence.json"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedule_ref import keccak256  # noqa: E402  (Keccak-256, also written from its spec)

OUTCOMES = ["pass", "invalid_proof", "wrong_size", "bad_metadata", "not_found", "http_error",
            "malformed", "timeout", "unreachable", "auditor_error"]
ZERO_SUM = (b"\x00" * 32, 0, 0)
M32 = (1 << 32) - 1


def record_bytes(r):
    return (b"assay.evidence.v2" + r["epoch"].to_bytes(8, "big") + bytes.fromhex(r["auditor"]) +
            r["seq"].to_bytes(8, "big") + bytes([r["attempt"]]) + bytes.fromhex(r["node"]) +
            bytes.fromhex(r["blob"]) + r["shard"].to_bytes(2, "big") +
            r["row"].to_bytes(2, "big") + r["col"].to_bytes(2, "big") +
            bytes([0 if r["axis"] == "primary" else 1]) + bytes([OUTCOMES.index(r["outcome"])]) +
            min(r["latency_ms"], 2**32 - 1).to_bytes(4, "big") +
            bytes.fromhex(r["response_hash"] or "00" * 32))


def enc(s):
    """A sum node (hash, passed, decided) as the 40 bytes hashed above it."""
    return s[0] + s[1].to_bytes(4, "big") + s[2].to_bytes(4, "big")


def leaf(r):
    o = r["outcome"]
    return (keccak256(b"\x00" + record_bytes(r)), 1 if o == "pass" else 0,
            0 if o == "auditor_error" else 1)


def combine(a, b):
    return (keccak256(b"\x01" + enc(a) + enc(b)), (a[1] + b[1]) & M32, (a[2] + b[2]) & M32)


def sum_levels(leaves):
    levels = [leaves]
    while len(levels[-1]) > 1:
        cur = levels[-1]
        if len(cur) % 2:
            cur = cur + [ZERO_SUM]
        levels.append([combine(cur[i], cur[i + 1]) for i in range(0, len(cur), 2)])
    return levels


def top_levels(entries):
    levels = [entries]
    while len(levels[-1]) > 1:
        cur = levels[-1]
        if len(cur) % 2:
            cur = cur + [b"\x00" * 32]
        levels.append([keccak256(b"\x03" + cur[i] + cur[i + 1]) for i in range(0, len(cur), 2)])
    return levels


def path(levels, i, pad):
    out = []
    for lvl in levels[:-1]:
        sib = i ^ 1
        out.append(lvl[sib] if sib < len(lvl) else pad)
        i >>= 1
    return out


def sum_json(s):
    return {"h": s[0].hex(), "passed": s[1], "decided": s[2]}


def build(committee, records):
    # records go to the first committee position holding their node, in the given (ascending
    # seq) order
    per = [[] for _ in committee]
    for k, r in enumerate(records):
        per[committee.index(r["node"])].append(k)
    subs, sub_levels = [], []
    for i in range(len(committee)):
        if not per[i]:
            subs.append(ZERO_SUM)
            sub_levels.append(None)
            continue
        lv = sum_levels([leaf(records[k]) for k in per[i]])
        sub_levels.append(lv)
        subs.append(lv[-1][0])
    entries = [keccak256(b"\x02" + bytes.fromhex(committee[i]) + enc(subs[i]))
               for i in range(len(committee))]
    if not entries:
        return "00" * 32, [], []
    top = top_levels(entries)
    totals = []
    for i in range(len(committee)):
        totals.append({"index": i, "node": committee[i], "sub": sum_json(subs[i]),
                       "entry": entries[i].hex(),
                       "top_path": [p.hex() for p in path(top, i, b"\x00" * 32)]})
    proofs = [None] * len(records)
    for i in range(len(committee)):
        for pos, k in enumerate(per[i]):
            proofs[k] = {"record": k, "index": i, "pos": pos,
                         "sub_path": [sum_json(s) for s in path(sub_levels[i], pos, ZERO_SUM)],
                         "top_path": totals[i]["top_path"]}
    return top[-1][0].hex(), totals, proofs


def h(label, i):
    return keccak256(f"{label}{i}".encode()).hex()


def make(count, seed):
    recs = []
    for k in range(count):
        recs.append({"epoch": 5, "auditor": h("aud", seed)[:40], "seq": k * 2 + (seed % 2),
                     "attempt": k % 3, "node": h("node", k % 4)[:40], "blob": h("blob", k % 3),
                     "shard": k % 7, "row": (k * 3) % 7, "col": (k * 5) % 7,
                     "axis": "primary" if k % 2 == 0 else "secondary",
                     "outcome": OUTCOMES[(k * 7) % len(OUTCOMES)], "latency_ms": k * 37 + 1,
                     "response_hash": None if k % 5 == 4 else h("resp", k)})
    return recs


cases = []
# (records, committee size): an empty committee, a committee without records, one record,
# odd and even committees, a node without records, every outcome (auditor_error included)
for count, m, seed in [(0, 0, 0), (0, 3, 6), (1, 1, 1), (2, 2, 2), (3, 3, 3), (10, 4, 4),
                       (33, 5, 5)]:
    recs = make(count, seed)
    committee = [h("node", j)[:40] for j in range(m)]
    root, totals, proofs = build(committee, recs)
    cases.append({"committee": committee, "records": recs,
                  "record_hex": [record_bytes(r).hex() for r in recs],
                  "root": root, "totals": totals, "proofs": proofs})
json.dump({"about": "Evidence trees (version 2) computed by tests/vectors/evidence_ref.py from "
                    "settle/EVIDENCE.md, independently of the C implementation. totals[i] proves "
                    "committee position i's subtree root (a node-total proof, as "
                    "Settlement.disputeNodeTotal takes it); proofs[k] proves record k.",
           "cases": cases}, sys.stdout, indent=1)
sys.stdout.write("\n")
