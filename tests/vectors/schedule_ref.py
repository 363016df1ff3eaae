#!/usr/bin/env python3
"""Reference implementation of the challenge schedule (audit/SCHEDULE.md), written from the
specification alone, independently of the C code, to produce tests/vectors/schedule.json.

    python3 tests/vectors/schedule_ref.py > tests/vectors/schedule.json

Keccak-256 is implemented here (hashlib's sha3_256 pads differently)."""
import json
import sys

# ---- Keccak-256 (the original padding 0x01, as Ethereum uses it) ----
RC = [0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000,
      0x000000000000808B, 0x0000000080000001, 0x8000000080008081, 0x8000000000008009,
      0x000000000000008A, 0x0000000000000088, 0x0000000080008009, 0x000000008000000A,
      0x000000008000808B, 0x800000000000008B, 0x8000000000008089, 0x8000000000008003,
      0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
      0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008]
ROT = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56],
       [27, 20, 39, 8, 14]]
M64 = (1 << 64) - 1


def rol(v, r):
    return ((v << r) | (v >> (64 - r))) & M64 if r else v


def keccak_f(a):
    for rnd in range(24):
        c = [a[x][0] ^ a[x][1] ^ a[x][2] ^ a[x][3] ^ a[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ rol(c[(x + 1) % 5], 1) for x in range(5)]
        a = [[a[x][y] ^ d[x] for y in range(5)] for x in range(5)]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = rol(a[x][y], ROT[x][y])
        a = [[b[x][y] ^ ((~b[(x + 1) % 5][y]) & b[(x + 2) % 5][y]) for y in range(5)]
             for x in range(5)]
        a[0][0] ^= RC[rnd]
    return a


def keccak256(data: bytes) -> bytes:
    rate = 136
    msg = bytearray(data) + b"\x01"
    while len(msg) % rate:
        msg += b"\x00"
    msg[-1] |= 0x80
    a = [[0] * 5 for _ in range(5)]
    for off in range(0, len(msg), rate):
        block = msg[off:off + rate]
        for i in range(rate // 8):
            x, y = i % 5, i // 5
            a[x][y] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        a = keccak_f(a)
    out = b"".join(a[i % 5][i // 5].to_bytes(8, "little") for i in range(4))
    return out


assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"

# ---- The schedule, as audit/SCHEDULE.md specifies it ----


def params(n):
    f = (n - 1) // 3
    return f, n - 2 * f, n - f


def symbol_size(n, length):
    _, kp, ks = params(n)
    s = -(-max(length, 1) // (kp * ks))
    if s % 2:
        s += 1
    assert s <= 65534
    return s


def u64be(v):
    return v.to_bytes(8, "big")


def schedule(inp):
    seed = bytes.fromhex(inp["seed"])
    secret = bytes.fromhex(inp["secret"])
    auditor = bytes.fromhex(inp["auditor"])
    epoch = inp["epoch"]
    n = inp["n"]
    p = inp["params"]
    _, kp, ks = params(n)
    blobs = sorted(inp["blobs"], key=lambda b: bytes.fromhex(b["blob_id"]))
    weights = [(kp + ks) * symbol_size(n, b["unencoded_length"]) for b in blobs]
    total = sum(weights)
    out = []
    batches = []
    seq = 0
    for ni, node in enumerate(inp["committee"]):
        shards = sorted(node["shards"])
        m = len(shards)
        count = 0 if (m == 0 or not blobs) else max(p["min_per_node"], p["per_shard"] * m)
        nbatches = -(-count // p["batch_size"]) if count else 0
        for batch in range(nbatches):
            hb = keccak256(b"assay.batch.v1" + seed + secret + auditor + u64be(epoch) +
                           bytes.fromhex(node["node_id"]) + u64be(batch))
            at = (int.from_bytes(hb[:8], "big") * p["window_ms"]) >> 64
            batches.append({"node": ni, "batch": batch, "at_ms": at})
        for j in range(count):
            h = keccak256(b"assay.challenge.v1" + seed + secret + auditor + u64be(epoch) +
                          u64be(seq))
            shard = shards[j % m]
            t = (int.from_bytes(h[0:8], "big") * total) >> 64
            acc = 0
            for bi, w in enumerate(weights):
                acc += w
                if acc > t:
                    break
            blob_id = bytes.fromhex(blobs[bi]["blob_id"])
            r = int.from_bytes(blob_id, "big") % n
            pair = (shard - r) % n
            target = (int.from_bytes(h[8:16], "big") * n) >> 64
            axis = "primary" if h[16] & 1 == 0 else "secondary"
            if axis == "primary":
                row, col = pair, target
            else:
                row, col = target, n - 1 - pair
            out.append({"seq": seq, "node": ni, "shard": shard, "blob": blobs[bi]["blob_id"],
                        "pair": pair, "axis": axis, "symbol": f"{row}-{col}",
                        "batch": j // p["batch_size"]})
            seq += 1
    return out, batches


def h(label, i):
    return keccak256(f"{label}{i}".encode()).hex()


def case(name, n, nodes_shards, nblobs, lengths, min_per_node, per_shard, batch_size, window):
    inp = {
        "epoch": 7,
        "seed": h("seed", name),
        "secret": h("secret", name),
        "auditor": h("auditor", name)[:40],
        "n": n,
        "params": {"min_per_node": min_per_node, "per_shard": per_shard,
                   "batch_size": batch_size, "window_ms": window},
        "committee": [{"node_id": h("node", i)[:40], "shards": s}
                      for i, s in enumerate(nodes_shards)],
        "blobs": [{"blob_id": h("blob" + name, i), "unencoded_length": lengths[i % len(lengths)]}
                  for i in range(nblobs)],
    }
    ch, b = schedule(inp)
    return {"name": name, "input": inp, "challenges": ch, "batches": b}


if __name__ == "__main__":
    cases = [
        case("small", 7, [[0, 1], [2], [3, 4], [5], [6]], 3, [1000, 1, 70000], 10, 2, 4, 60000),
        case("weighted", 10, [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9]], 5, [0, 10, 1 << 20, 123457, 9],
             40, 3, 16, 3600000),
        case("grace_and_empty", 4, [[0], [], [2, 3]], 2, [12, 4096], 5, 1, 3, 1000),
        case("no_blobs", 4, [[0, 1], [2, 3]], 0, [1], 5, 1, 3, 1000),
    ]
    json.dump({"about": "Challenge schedules computed by tests/vectors/schedule_ref.py from "
                        "audit/SCHEDULE.md, independently of the C implementation.",
               "cases": cases}, sys.stdout, indent=1)
    sys.stdout.write("\n")
