// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {GasBenchBase} from "./GasBench.t.sol";
import {Staking} from "../src/Staking.sol";
import {Settlement} from "../src/Settlement.sol";
import {Disputes} from "../src/Disputes.sol";
import {EvidenceTree} from "../src/EvidenceTree.sol";
import {Blake2b} from "../src/Blake2b.sol";

/// Calls `target` from a fresh frame and returns the gas used inside the call (the test
/// contract's own memory, megabytes here, would otherwise be charged to the measurement).
contract GasMeter {
    function measure(address target, bytes calldata data) external returns (uint256 used) {
        bytes memory d = data;
        bool ok;
        uint256 g = gasleft();
        assembly {
            ok := call(gas(), target, 0, add(d, 32), mload(d), 0, 0)
        }
        used = g - gasleft();
        if (!ok) {
            assembly {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
        }
    }
}

/// Gas of every dispute call (bench/gas.sh) at n = 1000 shards, a committee of 256 and a
/// 10^6-record epoch: the disputed node's sum subtree holds 2^20 records (sum paths of 20
/// siblings), the top tree 256 entries (paths of 8). Eight auditors each lie one way and
/// each lie is proven once; the worst case of each proof is measured (the disputed node is
/// the last committee position, the symbol answer holds 16 symbols with the asked one last,
/// the metadata answer is the whole n = 1000 metadata, the schedule check fails only at the
/// last rule). The symbol answer is proven for the blob as encoding type 1 (Walrus RS2, the
/// snapshot's blob) and as type 3 (the reference encoder's code at n = 1000: same slivers,
/// another blob ID; proof 2 reads no registry).
contract GasBenchDisputes is GasBenchBase {
    uint64 constant E = 2;
    uint256 constant DEPTH = 20;
    uint256 constant P = 255; // the disputed committee position
    uint64 constant BLOB_LEN = 10 << 20;
    uint256 constant ROW = 7; // the verdict case's symbol: primary axis, ROW-COL
    uint256 constant COL = 500;

    uint256 constant DISPUTE_BUDGET = 5_000_000; // issue 13: every dispute call
    Disputes disputes;
    GasMeter meter;
    bytes32 blob;
    bytes metadata;
    bytes32 blob3; // the same blob as encoding type 3
    bytes metadata3;
    uint256 ss;
    bytes32[] entries;
    EvidenceTree.SumNode[] subs; // per auditor: the disputed node's subtree root

    function setUp() public {
        mNodes = 256;
        nCand = 256;
        nAuditors = 8;
        fA = 2;
    }

    function test_gas() public {
        nShards = 1000;
        cap = 256;
        maxCand = uint16(nCand);
        maxMoves = 100;
        _deploy();
        _log("CASE|dispute calls: 256 committee nodes x 8 auditors, n = 1000 shards, 10^6 records");
        vm.pauseGasMetering();
        for (uint256 i = 0; i < nCand; i++) {
            _registerNode(100e18 + (nCand - i) * 1e18);
        }
        disputes = new Disputes(settlement, registry, 200, 2, 16);
        settlement.bindDisputes(address(disputes));
        meter = new GasMeter();
        _commitSecrets(1);
        _commitSecrets(2);
        _next();
        settlement.voidEpoch(0);
        _makeBlob();
        _next(); // epoch 2
        vm.roll(_blk() + 6);
        staking.recordSeed(E);
        _commitSecrets(3);
        _next(); // epoch 3: epoch 2 is over
        _attestAll();
        vm.resumeGasMetering();
        _disputeAll();
    }

    function _next() internal {
        (uint64 start, uint64 dur,,,,,) = staking.epochInfo(staking.currentEpoch());
        vm.warp(start + dur);
        vm.roll(_blk() + 10);
        staking.advanceEpoch();
    }

    // ------------------------------------------------------------ the blob (n = 1000)

    function _sym(uint256 k) internal view returns (bytes memory s) {
        s = new bytes(ss);
        for (uint256 i = 0; i < ss; i++) s[i] = bytes1(uint8(uint256(keccak256(abi.encode(k, i / 32))) >> (8 * (i % 32))));
    }

    /// Primary sliver ROW's Merkle tree over its 1000 symbols, level by level.
    function _sliverLevels() internal view returns (bytes32[][] memory lv) {
        bytes32[] memory l = new bytes32[](1000);
        for (uint256 k = 0; k < 1000; k++) l[k] = Blake2b.hash(abi.encodePacked(uint8(0), _sym(k)));
        lv = new bytes32[][](11);
        lv[0] = l;
        for (uint256 d = 0; d < 10; d++) {
            bytes32[] memory up = new bytes32[]((lv[d].length + 1) / 2);
            for (uint256 j = 0; j < up.length; j++) {
                bytes32 r = 2 * j + 1 < lv[d].length ? lv[d][2 * j + 1] : bytes32(0);
                up[j] = Blake2b.hash(abi.encodePacked(uint8(1), lv[d][2 * j], r));
            }
            lv[d + 1] = up;
        }
    }

    function _makeBlob() internal {
        ss = (uint256(BLOB_LEN) + 334 * 667 - 1) / (334 * 667);
        ss += ss % 2;
        bytes32 sliverRoot = _sliverLevels()[10][0];
        bytes memory md = abi.encodePacked(uint8(0), uint8(1), _le64(BLOB_LEN), uint8(0xe8), uint8(0x07));
        bytes32[] memory leaves = new bytes32[](1000);
        for (uint256 p = 0; p < 1000; p++) {
            bytes32 a = p == ROW ? sliverRoot : keccak256(abi.encode("primary", p));
            bytes32 b = keccak256(abi.encode("secondary", p));
            md = abi.encodePacked(md, uint8(1), a, uint8(1), b);
            leaves[p] = Blake2b.hash(abi.encodePacked(uint8(0), a, b));
        }
        metadata = md;
        metadata3 = md;
        metadata3[1] = bytes1(uint8(3));
        while (leaves.length > 1) {
            bytes32[] memory up = new bytes32[]((leaves.length + 1) / 2);
            for (uint256 j = 0; j < up.length; j++) {
                bytes32 r = 2 * j + 1 < leaves.length ? leaves[2 * j + 1] : bytes32(0);
                up[j] = Blake2b.hash(abi.encodePacked(uint8(1), leaves[2 * j], r));
            }
            leaves = up;
        }
        blob = Blake2b.hash(abi.encodePacked(uint8(1), _le64(BLOB_LEN), leaves[0]));
        blob3 = Blake2b.hash(abi.encodePacked(uint8(3), _le64(BLOB_LEN), leaves[0]));
        token.mint(user, 1e30);
        vm.startPrank(user);
        token.approve(address(registry), type(uint256).max);
        registry.registerBlob(blob, BLOB_LEN, 1, 20);
        vm.stopPrank();
        (address[] memory nodes, uint16[] memory counts) = staking.committee(1);
        uint256 k;
        uint256 total;
        while (total < 667) total += counts[k++];
        uint16[] memory members = new uint16[](k);
        bytes[] memory sigs = new bytes[](k);
        bytes32 d = registry.confirmationDigest(blob, 1);
        for (uint256 i = 0; i < k; i++) {
            members[i] = uint16(i);
            sigs[i] = _sig(nodePks[uint160(nodes[i]) - 0x10000], d);
        }
        registry.certifyBlob(blob, members, sigs);
    }

    function _le64(uint64 x) internal pure returns (bytes8 r) {
        for (uint256 i = 0; i < 8; i++) r |= bytes8(bytes1(uint8(x >> (8 * i)))) >> (8 * i);
    }

    /// An answer of 16 symbols of primary sliver ROW, the asked one (ROW-COL) last.
    function _answer() internal view returns (bytes memory body) {
        bytes32[][] memory lv = _sliverLevels();
        body = abi.encodePacked(uint8(16));
        for (uint256 q = 0; q < 16; q++) {
            uint256 leaf = q == 15 ? COL : COL + 1 + q;
            body = abi.encodePacked(body, uint8(1), uint16((ROW & 0xff) << 8 | ROW >> 8), uint8(ss), _sym(leaf));
            body = abi.encodePacked(body, uint16((leaf & 0xff) << 8 | leaf >> 8), uint8(10));
            uint256 idx = leaf;
            for (uint256 d = 0; d < 10; d++) {
                uint256 sib = idx ^ 1;
                bytes32 s = sib < lv[d].length ? lv[d][sib] : bytes32(0);
                body = s == bytes32(0) ? abi.encodePacked(body, uint8(0)) : abi.encodePacked(body, uint8(1), s);
                idx >>= 1;
            }
        }
    }

    // ------------------------------------------------------------ records and evidence

    function _member(uint256 i) internal view returns (address n) {
        (n,,) = staking.committeeMember(E, i);
    }

    function _record(uint8 a, uint256 node, uint256[5] memory c, uint8 outcome, bytes32 hash)
        internal
        view
        returns (bytes memory)
    {
        bytes memory head = abi.encodePacked(bytes17("assay.evidence.v2"), E, vm.addr(auditorPks[a]), uint64(c[0]));
        bytes32 b = a == 7 ? blob3 : blob;
        head = abi.encodePacked(head, uint8(0), _member(node), b, uint16(c[1]), uint16(c[3]), uint16(c[4]));
        return abi.encodePacked(head, uint8(c[2]), outcome, uint32(25), hash);
    }

    /// Challenge 0 of position P in auditor a's schedule: (seq, shard, axis, row, col).
    function _challenge(uint8 a) internal view returns (uint256[5] memory c) {
        bytes memory owners = staking.shardOwnerIndices(E);
        uint256[] memory cnt = new uint256[](256);
        for (uint256 k = 0; k < 1000; k++) {
            if (!staking.inGrace(E, k)) cnt[uint8(owners[k])]++;
        }
        uint256 start;
        for (uint256 q = 0; q < P; q++) {
            if (cnt[q] > 0) start += cnt[q] * 2 > 200 ? cnt[q] * 2 : 200;
        }
        uint256 shard;
        for (uint256 k = 0; k < 1000; k++) {
            if (uint8(owners[k]) == P && !staking.inGrace(E, k)) {
                shard = k;
                break;
            }
        }
        (bytes32 seed,,) = staking.epochSeed(E);
        uint256 h = disputes.challengeHash(seed, _secret(a, E), vm.addr(auditorPks[a]), E, start);
        (uint256 axis, uint256 row, uint256 col) = disputes.symbolOf(h, 1000, blob, shard);
        c = [start, shard, axis, row, col];
    }

    function _sib(uint256 a, uint256 d) internal pure returns (EvidenceTree.SumNode memory) {
        return EvidenceTree.SumNode(keccak256(abi.encode("sibling", a, d)), uint32((1 << d) - 1), uint32(1 << d));
    }

    function _randomPath(uint256 a, uint256 from) internal pure returns (EvidenceTree.SumNode[] memory p) {
        p = new EvidenceTree.SumNode[](DEPTH - from);
        for (uint256 d = from; d < DEPTH; d++) p[d - from] = _sib(a, d);
    }

    function _leaf(bytes memory r) internal pure returns (EvidenceTree.SumNode memory) {
        uint8 o = uint8(r[113]);
        return EvidenceTree.SumNode(keccak256(abi.encodePacked(uint8(0), r)), o == 0 ? 1 : 0, o != 9 ? 1 : 0);
    }

    uint256 constant POS = (1 << DEPTH) - 2; // near the right edge of the subtree

    /// Auditor a's lie: its record(s) / inner node at POS, and the subtree root they lead to.
    function _lie(uint8 a) internal view returns (bytes memory r, bytes memory r2) {
        uint256[5] memory c = _challenge(a);
        if (a == 2) {
            (bytes memory o,) = (_record(a, P - 1, c, 0, bytes32(0)), 0); // another node's record
            r = o;
        } else if (a == 4 || a == 7) {
            r = _record(a, P, [c[0], c[1], 0, ROW, COL], 1, Blake2b.hash(_answer()));
        } else if (a == 5) {
            r = _record(a, P, [c[0], c[1], 0, ROW, COL], 3, Blake2b.hash(abi.encodePacked(blob, metadata)));
        } else if (a == 6) {
            c[2] ^= 1; // every rule holds but the axis
            r = _record(a, P, c, 0, bytes32(0));
        } else {
            r = _record(a, P, c, 0, bytes32(0));
        }
        r2 = r;
    }

    function _sub(uint8 a) internal view returns (EvidenceTree.SumNode memory) {
        (bytes memory r,) = _lie(a);
        EvidenceTree.SumNode memory leaf = _leaf(r);
        if (a == 1) {
            // an inner node at level 1 counting one record too many
            EvidenceTree.SumNode memory x = EvidenceTree.combine(leaf, leaf);
            x.passed++;
            x.decided++;
            return _sumRoot(x, POS >> 1, _randomPath(a, 1));
        }
        if (a == 3) {
            // the same record twice, side by side
            return _sumRoot(EvidenceTree.combine(leaf, leaf), POS >> 1, _randomPath(a, 1));
        }
        return _sumRoot(leaf, POS, _randomPath(a, 0));
    }

    function _sumRoot(EvidenceTree.SumNode memory x, uint256 pos, EvidenceTree.SumNode[] memory path)
        internal
        pure
        returns (EvidenceTree.SumNode memory cur)
    {
        cur = x;
        for (uint256 k = 0; k < path.length; k++) {
            cur = (pos >> k) & 1 == 0 ? EvidenceTree.combine(cur, path[k]) : EvidenceTree.combine(path[k], cur);
        }
    }

    function _up(bytes32[] memory lvl) internal pure returns (bytes32[] memory up) {
        up = new bytes32[]((lvl.length + 1) / 2);
        for (uint256 j = 0; j < up.length; j++) {
            bytes32 r = 2 * j + 1 < lvl.length ? lvl[2 * j + 1] : bytes32(0);
            up[j] = keccak256(abi.encodePacked(uint8(3), lvl[2 * j], r));
        }
    }

    function _entries(uint8 a) internal {
        delete entries;
        for (uint256 i = 0; i < 256; i++) {
            entries.push(i == P ? EvidenceTree.entry(_member(P), subs[a]) : keccak256(abi.encode("entry", a, i)));
        }
    }

    function _topPath() internal view returns (bytes32[] memory path) {
        path = new bytes32[](8);
        bytes32[] memory lvl = entries;
        uint256 index = P;
        for (uint256 k = 0; k < 8; k++) {
            path[k] = lvl[index ^ 1];
            lvl = _up(lvl);
            index >>= 1;
        }
    }

    function _root() internal view returns (bytes32) {
        bytes32[] memory lvl = entries;
        while (lvl.length > 1) lvl = _up(lvl);
        return lvl[0];
    }

    function _counts(uint8 a) internal view returns (uint32[] memory p, uint32[] memory d) {
        p = new uint32[](256);
        d = new uint32[](256);
        for (uint256 i = 0; i < 256; i++) (p[i], d[i]) = (3900, 3906);
        (p[P], d[P]) = (subs[a].passed, subs[a].decided);
        if (a == 0) p[P] = d[P]; // 1a: the attested count is not the evidence's
    }

    function _attestAll() internal {
        bytes32 ch = staking.committeeHash(E);
        bytes32[] memory roots = new bytes32[](nAuditors);
        for (uint8 a = 0; a < nAuditors; a++) {
            subs.push(_sub(a));
            _entries(a);
            roots[a] = _root();
            (uint32[] memory p, uint32[] memory d) = _counts(a);
            _commitRaw(E, a, settlement.attestationDigest(E, ch, keccak256(abi.encode(p, d)), roots[a], bytes32(0), _secret(a, E)));
        }
        _toRevealPhase(E);
        for (uint8 a = 0; a < nAuditors; a++) {
            (uint32[] memory p, uint32[] memory d) = _counts(a);
            bytes32 digest = settlement.attestationDigest(E, ch, keccak256(abi.encode(p, d)), roots[a], bytes32(0), _secret(a, E));
            settlement.revealAttestation(E, a, ch, p, d, roots[a], bytes32(0), _secret(a, E), _sig(auditorPks[a], digest));
        }
    }

    // ------------------------------------------------------------ the disputes

    function _measureD(string memory what, address target, bytes memory data) internal {
        uint256 used = meter.measure(target, data);
        uint256 txGas = used + 21_000 + _calldataGas(data);
        assertLe(txGas, DISPUTE_BUDGET, what);
        _row(what, used, txGas);
    }

    function _entry(uint8 a) internal returns (Disputes.Entry memory) {
        _entries(a);
        return Disputes.Entry(P, _member(P), subs[a], _topPath());
    }

    function _recordProof(uint8 a, uint256 pos) internal returns (Disputes.RecordProof memory rp) {
        (bytes memory r,) = _lie(a);
        EvidenceTree.SumNode memory leaf = _leaf(r);
        EvidenceTree.SumNode[] memory path;
        if (a == 3) {
            path = new EvidenceTree.SumNode[](DEPTH);
            path[0] = leaf;
            EvidenceTree.SumNode[] memory above = _randomPath(a, 1);
            for (uint256 d = 1; d < DEPTH; d++) path[d] = above[d - 1];
        } else {
            path = _randomPath(a, 0);
        }
        rp = Disputes.RecordProof(_entry(a), r, leaf.passed, leaf.decided, pos, path);
    }

    function _disputeAll() internal {
        vm.pauseGasMetering();
        (uint32[] memory p, uint32[] memory d) = _counts(0);
        _entries(0);
        Settlement.TotalProof memory tp = Settlement.TotalProof(P, _member(P), subs[0], _topPath());
        vm.resumeGasMetering();
        _measureD("disputeNodeTotal (1a), 256 nodes", address(settlement), abi.encodeCall(Settlement.disputeNodeTotal, (E, 0, p, d, tp)));

        vm.pauseGasMetering();
        (bytes memory r,) = _lie(1);
        EvidenceTree.SumNode memory leaf = _leaf(r);
        EvidenceTree.SumNode memory x = EvidenceTree.combine(leaf, leaf);
        x.passed++;
        x.decided++;
        Disputes.SumProof memory sp = Disputes.SumProof(_entry(1), x, leaf, leaf, POS >> 1, _randomPath(1, 1));
        vm.resumeGasMetering();
        _measureD("disputeSumNode (1b), depth 19", address(disputes), abi.encodeCall(Disputes.disputeSumNode, (E, 1, sp)));

        vm.pauseGasMetering();
        Disputes.RecordProof memory rp = _recordProof(2, POS);
        vm.resumeGasMetering();
        _measureD("disputeRecord (1b), depth 20", address(disputes), abi.encodeCall(Disputes.disputeRecord, (E, 2, rp)));

        vm.pauseGasMetering();
        Disputes.RecordProof memory ra = _recordProof(3, POS);
        Disputes.RecordProof memory rb = _recordProof(3, POS + 1);
        vm.resumeGasMetering();
        _measureD("disputeOrder (1b), two records at depth 20", address(disputes), abi.encodeCall(Disputes.disputeOrder, (E, 3, ra, rb)));

        _disputeVerdicts();

        vm.pauseGasMetering();
        rp = _recordProof(6, POS);
        vm.resumeGasMetering();
        _measureD("disputeSchedule (3), position 255, n = 1000",
            address(disputes),
            abi.encodeCall(Disputes.disputeSchedule, (E, 6, rp, _secret(6, E)))
        );
        (uint256 mask,,,,,,,,) = settlement.epochStates(E);
        assertEq(mask, 0, "every lie convicted");
        // disputeTooMany = an entry check (as in disputeNodeTotal) + this count
        _row(
            "challengesOf (disputeTooMany's count), n = 1000",
            meter.measure(address(disputes), abi.encodeCall(Disputes.challengesOf, (E, P))),
            0
        );
    }

    function _disputeVerdicts() internal {
        vm.pauseGasMetering();
        Disputes.RecordProof memory rp = _recordProof(4, POS);
        bytes memory body = _answer();
        bytes memory md = metadata;
        vm.resumeGasMetering();
        _measureD("disputeVerdict (2), 16-symbol answer, n = 1000",
            address(disputes),
            abi.encodeCall(Disputes.disputeVerdict, (E, 4, rp, md, body))
        );
        vm.pauseGasMetering();
        rp = _recordProof(7, POS);
        md = metadata3;
        vm.resumeGasMetering();
        _measureD("disputeVerdict (2), 16-symbol answer, type 3, n = 1000",
            address(disputes),
            abi.encodeCall(Disputes.disputeVerdict, (E, 7, rp, md, body))
        );
        vm.pauseGasMetering();
        rp = _recordProof(5, POS);
        body = abi.encodePacked(blob, metadata);
        vm.resumeGasMetering();
        _measureD("disputeVerdict (2), metadata answer, n = 1000",
            address(disputes),
            abi.encodeCall(Disputes.disputeVerdict, (E, 5, rp, bytes(""), body))
        );
    }
}
