#!/usr/bin/env python3
"""Reference implementation of settle/EVIDENCE.md, written from that page alone, to produce
tests/vectors/evidence.json:  python3 tests/vectors/evidence_ref.py > tests/vectors/evidence.json"""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from schedule_ref import keccak256  # noqa: E402  (Keccak-256, also written from its spec)

OUTCOMES = ["pass", "invalid_proof", "wrong_size", "bad_metadata", "not_found", "http_error",
            "malformed", "timeout", "unreachable", "auditor_error"]


def record_bytes(r):
    return (b"assay.evidence.v1" + r["epoch"].to_bytes(8, "big") + bytes.fromhex(r["auditor"]) +
            r["seq"].to_bytes(8, "big") + bytes([r["attempt"]]) + bytes.fromhex(r["node"]) +
            bytes.fromhex(r["blob"]) + r["shard"].to_bytes(2, "big") +
            r["row"].to_bytes(2, "big") + r["col"].to_bytes(2, "big") +
            bytes([0 if r["axis"] == "primary" else 1]) + bytes([OUTCOMES.index(r["outcome"])]) +
            min(r["latency_ms"], 2**32 - 1).to_bytes(4, "big") +
            bytes.fromhex(r["response_hash"] or "00" * 32))


def tree(leaves):
    """All levels, bottom-up."""
    levels = [leaves]
    while len(levels[-1]) > 1:
        cur = levels[-1]
        if len(cur) % 2:
            cur = cur + [b"\x00" * 32]
        levels.append([keccak256(b"\x01" + cur[i] + cur[i + 1]) for i in range(0, len(cur), 2)])
    return levels


def root_and_proofs(records):
    leaves = [keccak256(b"\x00" + record_bytes(r)) for r in records]
    if not leaves:
        return "00" * 32, []
    levels = tree(leaves)
    proofs = []
    for i in range(len(leaves)):
        path, idx = [], i
        for lvl in levels[:-1]:
            sib = idx ^ 1
            path.append((lvl[sib] if sib < len(lvl) else b"\x00" * 32).hex())
            idx >>= 1
        proofs.append({"index": i, "path": path})
    return levels[-1][0].hex(), proofs


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
for count, seed in [(0, 0), (1, 1), (2, 2), (3, 3), (10, 4), (33, 5)]:
    recs = make(count, seed)
    root, proofs = root_and_proofs(recs)
    cases.append({"records": recs, "record_hex": [record_bytes(r).hex() for r in recs],
                  "root": root, "proofs": proofs})
json.dump({"about": "Evidence trees computed by tests/vectors/evidence_ref.py from "
                    "settle/EVIDENCE.md, independently of the C implementation.",
           "cases": cases}, sys.stdout, indent=1)
sys.stdout.write("\n")
