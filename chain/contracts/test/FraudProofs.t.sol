// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Base.sol";
import {Settlement} from "../src/Settlement.sol";
import {Disputes} from "../src/Disputes.sol";
import {EvidenceTree} from "../src/EvidenceTree.sol";
import {Blake2b} from "../src/Blake2b.sol";
import {Walrus} from "../src/Walrus.sol";

/// Fraud proofs 1b (the evidence tree), 2 (verdicts) and 3 (the schedule) of Disputes.sol:
/// an evidence tree (version 2) of records the schedule of audit/SCHEDULE.md produces for
/// a certified blob whose slivers and metadata are built here; each lie is caught and pays
/// the disputer, and the same proof against the honest evidence reverts (fuzzed records).
contract FraudProofsTest is Fixture {
    uint64 E = 2; // the disputed epoch
    uint32 constant MIN_PER_NODE = 6;
    uint32 constant PER_SHARD = 1;
    uint32 constant BATCH = 16;
    uint64 constant BLOB_LEN = 1000;
    uint256 constant SS = 10; // symbol size of 1000 bytes at n = 20 (k_p = 8, k_s = 14)
    uint256 constant NONE = type(uint256).max;
    uint8 constant PASS = 0;
    uint8 constant INVALID_PROOF = 1;
    uint8 constant WRONG_SIZE = 2;
    uint8 constant BAD_METADATA = 3;
    uint8 constant MALFORMED = 6;
    uint8 constant AUDITOR_ERROR = 9;
    address disputer = address(0xD15);

    Disputes disputes;
    bytes32 blob;
    bytes metadata;

    // the evidence of auditor 0 for epoch E
    bytes[][] recs; // recs[i]: committee position i's records in tree order
    uint256 lieNode = NONE; // an inner node of lieNode's subtree declares one record too many
    uint256 lieLevel;
    uint256 lieIdx;
    uint256 badLeafNode = NONE; // this leaf declares (1, 1) whatever its outcome
    uint256 badLeafPos;
    bytes32[] entries;
    EvidenceTree.SumNode[] subs;

    function setUp() public {
        _deploy();
        for (uint256 i = 0; i < 5; i++) _registerNode(100e18 + i * 100e18);
        disputes = new Disputes(settlement, registry, MIN_PER_NODE, PER_SHARD, BATCH);
        settlement.bindDisputes(address(disputes));
        _commitSecrets(1);
        _advance(); // epoch 1
        settlement.voidEpoch(0);
        _fund(1, 20, 1000e18);
        _makeBlob();
        _commitSecrets(2);
        _advance(); // epoch 2: the blob is in its snapshot
        vm.roll(_blk() + 6);
        staking.recordSeed(E);
        _commitSecrets(3);
        _advance(); // epoch 3: epoch 2 is over
        recs = new bytes[][](staking.committeeSize(E));
    }

    // ------------------------------------------------------------ the blob

    /// Symbol k of primary (axis 0) or secondary (axis 1) sliver `sliver`: made-up bytes (a
    /// proof does not care whether a real code produced them).
    function _sym(uint256 axis, uint256 sliver, uint256 k) internal pure returns (bytes memory s) {
        bytes32 x = keccak256(abi.encode("symbol", axis, sliver, k));
        s = new bytes(SS);
        for (uint256 i = 0; i < SS; i++) s[i] = x[i];
    }

    function _levelsOfSliver(uint256 axis, uint256 sliver) internal view returns (bytes32[][] memory lv) {
        uint256 n = nShards;
        bytes32[] memory l = new bytes32[](n);
        for (uint256 k = 0; k < n; k++) l[k] = Blake2b.hash(abi.encodePacked(uint8(0), _sym(axis, sliver, k)));
        lv = new bytes32[][](6);
        lv[0] = l;
        uint256 d = 0;
        while (lv[d].length > 1) {
            bytes32[] memory up = new bytes32[]((lv[d].length + 1) / 2);
            for (uint256 j = 0; j < up.length; j++) {
                bytes32 r = 2 * j + 1 < lv[d].length ? lv[d][2 * j + 1] : bytes32(0);
                up[j] = Blake2b.hash(abi.encodePacked(uint8(1), lv[d][2 * j], r));
            }
            lv[++d] = up;
        }
    }

    function _sliverRoot(uint256 axis, uint256 sliver) internal view returns (bytes32) {
        return _levelsOfSliver(axis, sliver)[5][0];
    }

    /// Metadata of encoding type `enc` and its blob ID: pair p holds primary sliver p and
    /// secondary sliver n-1-p. The types share the symbol size rule, so the slivers serve all.
    function _metadataOfType(uint8 enc) internal view returns (bytes memory md, bytes32 id) {
        uint256 n = nShards;
        md = abi.encodePacked(uint8(0), enc, _le64(BLOB_LEN), uint8(n));
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 p = 0; p < n; p++) {
            bytes32 a = _sliverRoot(0, p);
            bytes32 b = _sliverRoot(1, n - 1 - p);
            md = abi.encodePacked(md, uint8(1), a, uint8(1), b);
            leaves[p] = Blake2b.hash(abi.encodePacked(uint8(0), a, b));
        }
        while (leaves.length > 1) {
            bytes32[] memory up = new bytes32[]((leaves.length + 1) / 2);
            for (uint256 j = 0; j < up.length; j++) {
                bytes32 r = 2 * j + 1 < leaves.length ? leaves[2 * j + 1] : bytes32(0);
                up[j] = Blake2b.hash(abi.encodePacked(uint8(1), leaves[2 * j], r));
            }
            leaves = up;
        }
        id = Blake2b.hash(abi.encodePacked(enc, _le64(BLOB_LEN), leaves[0]));
    }

    function _makeBlob() internal {
        (metadata, blob) = _metadataOfType(1);
        token.mint(user, 1e24);
        vm.startPrank(user);
        token.approve(address(registry), type(uint256).max);
        registry.registerBlob(blob, BLOB_LEN, 1, 20);
        vm.stopPrank();
        uint64 cur = staking.currentEpoch();
        uint256 m = staking.committeeSize(cur);
        uint16[] memory members = new uint16[](m);
        bytes[] memory sigs = new bytes[](m);
        for (uint256 i = 0; i < m; i++) {
            (,, address key) = staking.committeeMember(cur, i);
            members[i] = uint16(i);
            sigs[i] = _sig(_nodePk(key), registry.confirmationDigest(blob, cur));
        }
        registry.certifyBlob(blob, members, sigs);
    }

    function _nodePk(address key) internal view returns (uint256) {
        for (uint256 j = 0; j < nodePks.length; j++) {
            if (vm.addr(nodePks[j]) == key) return nodePks[j];
        }
        revert("no key");
    }

    function _le64(uint64 x) internal pure returns (bytes8 r) {
        for (uint256 i = 0; i < 8; i++) r |= bytes8(bytes1(uint8(x >> (8 * i)))) >> (8 * i);
    }

    /// The node's answer to symbol row-col on `axis` (a decoy item for another symbol first),
    /// BCS as DESIGN.md "Wire formats" says; `corrupt` flips a data byte, `shortBy` drops bytes
    /// of the data (its length prefix follows).
    function _answer(uint256 axis, uint256 row, uint256 col, bool corrupt, uint256 shortBy)
        internal
        view
        returns (bytes memory)
    {
        uint256 n = nShards;
        (uint256 sliver, uint256 leaf) = axis == 0 ? (row, col) : (col, row);
        bytes memory decoy = _item(axis, sliver, (leaf + 1) % n, false, 0);
        return abi.encodePacked(uint8(2), decoy, _item(axis, sliver, leaf, corrupt, shortBy));
    }

    /// One GeneralRecoverySymbol: symbol `leaf` of sliver `sliver` (primary for axis 0: tag 1;
    /// secondary for axis 1: tag 0) with its Merkle path.
    function _item(uint256 axis, uint256 sliver, uint256 leaf, bool corrupt, uint256 shortBy)
        internal
        view
        returns (bytes memory it)
    {
        bytes memory data = _sym(axis, sliver, leaf);
        if (corrupt) data[0] = bytes1(uint8(data[0]) ^ 1);
        assembly {
            mstore(data, sub(mload(data), shortBy))
        }
        it = abi.encodePacked(uint8(axis == 0 ? 1 : 0), uint16(_swap16(sliver)), uint8(data.length), data);
        it = abi.encodePacked(it, uint16(_swap16(leaf)), uint8(5));
        bytes32[][] memory lv = _levelsOfSliver(axis, sliver);
        uint256 idx = leaf;
        for (uint256 d = 0; d < 5; d++) {
            uint256 sib = idx ^ 1;
            bytes32 s = sib < lv[d].length ? lv[d][sib] : bytes32(0);
            it = s == bytes32(0) ? abi.encodePacked(it, uint8(0)) : abi.encodePacked(it, uint8(1), s);
            idx >>= 1;
        }
    }

    function _swap16(uint256 x) internal pure returns (uint256) {
        return ((x & 0xff) << 8) | (x >> 8);
    }

    // ------------------------------------------------------------ the schedule (audit/SCHEDULE.md)

    /// Committee position i's challengeable shards, ascending, and its first seq.
    function _shardsOf(uint256 i) internal view returns (uint256[] memory s, uint256 start) {
        bytes memory owners = staking.shardOwnerIndices(E);
        uint256[] memory cnt = new uint256[](staking.committeeSize(E));
        for (uint256 k = 0; k < owners.length; k++) {
            if (!staking.inGrace(E, k)) cnt[uint8(owners[k])]++;
        }
        for (uint256 q = 0; q < i; q++) {
            if (cnt[q] > 0) start += cnt[q] * PER_SHARD > MIN_PER_NODE ? cnt[q] * PER_SHARD : MIN_PER_NODE;
        }
        s = new uint256[](cnt[i]);
        uint256 w = 0;
        for (uint256 k = 0; k < owners.length; k++) {
            if (uint8(owners[k]) == i && !staking.inGrace(E, k)) s[w++] = k;
        }
    }

    /// Challenge j of committee position i as the schedule makes it: (seq, shard, axis, row, col).
    function _challenge(uint256 i, uint256 j) internal view returns (uint256[5] memory c) {
        (uint256[] memory s, uint256 start) = _shardsOf(i);
        (bytes32 seed,,) = staking.epochSeed(E);
        bytes32 h = keccak256(
            abi.encodePacked("assay.challenge.v1", seed, _secret(0, E), vm.addr(auditorPks[0]), E, uint64(start + j))
        );
        uint256 n = nShards;
        uint256 shard = s[j % s.length];
        uint256 pair = (shard + n - uint256(blob) % n) % n;
        uint256 target = uint256(uint64(bytes8(h << 64))) * n >> 64;
        bool secondary = uint8(h[16]) & 1 == 1;
        c = [start + j, shard, secondary ? 1 : 0, secondary ? target : pair, secondary ? n - 1 - pair : target];
    }

    function _record(uint256 i, uint256[5] memory c, uint8 outcome, bytes32 hash) internal view returns (bytes memory) {
        bytes memory head = abi.encodePacked(bytes17("assay.evidence.v2"), E, vm.addr(auditorPks[0]), uint64(c[0]));
        head = abi.encodePacked(head, uint8(0), _member(i), blob, uint16(c[1]), uint16(c[3]), uint16(c[4]));
        return abi.encodePacked(head, uint8(c[2]), outcome, uint32(25), hash);
    }

    /// Challenges 0 .. k-1 of position i, all passed.
    function _honest(uint256 i, uint256 k) internal {
        for (uint256 j = 0; j < k; j++) recs[i].push(_record(i, _challenge(i, j), PASS, bytes32(0)));
    }

    function _honestAll(uint256 seed) internal {
        for (uint256 i = 0; i < recs.length; i++) _honest(i, 1 + uint256(keccak256(abi.encode(seed, i))) % 5);
    }

    // ------------------------------------------------------------ the evidence tree (v2)

    function _leafOf(uint256 i, uint256 k) internal view returns (EvidenceTree.SumNode memory x) {
        bytes memory r = recs[i][k];
        uint8 o = r.length == 150 ? uint8(r[113]) : PASS;
        x = EvidenceTree.SumNode(keccak256(abi.encodePacked(uint8(0), r)), o == PASS ? 1 : 0, o != AUDITOR_ERROR ? 1 : 0);
        if (i == badLeafNode && k == badLeafPos) (x.passed, x.decided) = (1, 1);
    }

    /// Position i's sum subtree level by level (an odd level's last node gets a zero sibling).
    function _levels(uint256 i) internal view returns (EvidenceTree.SumNode[][] memory lv) {
        lv = new EvidenceTree.SumNode[][](8);
        lv[0] = new EvidenceTree.SumNode[](recs[i].length);
        for (uint256 k = 0; k < recs[i].length; k++) lv[0][k] = _leafOf(i, k);
        uint256 d = 0;
        while (lv[d].length > 1) {
            EvidenceTree.SumNode[] memory up = new EvidenceTree.SumNode[]((lv[d].length + 1) / 2);
            for (uint256 j = 0; j < up.length; j++) {
                EvidenceTree.SumNode memory r =
                    2 * j + 1 < lv[d].length ? lv[d][2 * j + 1] : EvidenceTree.SumNode(0, 0, 0);
                up[j] = EvidenceTree.combine(lv[d][2 * j], r);
                if (i == lieNode && d + 1 == lieLevel && j == lieIdx) {
                    up[j].passed++;
                    up[j].decided++;
                }
            }
            lv[++d] = up;
        }
        assembly {
            mstore(lv, add(d, 1))
        }
    }

    function _path(EvidenceTree.SumNode[][] memory lv, uint256 level, uint256 pos)
        internal
        pure
        returns (EvidenceTree.SumNode[] memory p)
    {
        p = new EvidenceTree.SumNode[](lv.length - 1 - level);
        for (uint256 d = level; d < lv.length - 1; d++) {
            uint256 sib = pos ^ 1;
            p[d - level] = sib < lv[d].length ? lv[d][sib] : EvidenceTree.SumNode(0, 0, 0);
            pos >>= 1;
        }
    }

    function _up(bytes32[] memory lvl) internal pure returns (bytes32[] memory up) {
        up = new bytes32[]((lvl.length + 1) / 2);
        for (uint256 j = 0; j < up.length; j++) {
            bytes32 r = 2 * j + 1 < lvl.length ? lvl[2 * j + 1] : bytes32(0);
            up[j] = keccak256(abi.encodePacked(uint8(3), lvl[2 * j], r));
        }
    }

    function _topPath(uint256 index) internal view returns (bytes32[] memory path) {
        path = new bytes32[](EvidenceTree.ceilLog2(entries.length));
        bytes32[] memory lvl = entries;
        for (uint256 k = 0; k < path.length; k++) {
            uint256 sib = index ^ 1;
            path[k] = sib < lvl.length ? lvl[sib] : bytes32(0);
            lvl = _up(lvl);
            index >>= 1;
        }
    }

    /// Builds the tree from `recs`, attests its subtree totals as the counts, commits and
    /// reveals it as auditor 0's attestation of E.
    function _attest() internal {
        uint256 m = recs.length;
        uint32[] memory p = new uint32[](m);
        uint32[] memory d = new uint32[](m);
        for (uint256 i = 0; i < m; i++) {
            EvidenceTree.SumNode[][] memory lv = _levels(i);
            EvidenceTree.SumNode memory root = lv[lv.length - 1][0];
            subs.push(root);
            entries.push(EvidenceTree.entry(_member(i), root));
            (p[i], d[i]) = (root.passed, root.decided);
        }
        bytes32[] memory lvl = entries;
        while (lvl.length > 1) lvl = _up(lvl);
        bytes32 ch = staking.committeeHash(E);
        bytes32 digest = settlement.attestationDigest(E, ch, keccak256(abi.encode(p, d)), lvl[0], bytes32(0), _secret(0, E));
        _commitRaw(E, 0, digest);
        _toRevealPhase(E);
        settlement.revealAttestation(E, 0, ch, p, d, lvl[0], bytes32(0), _secret(0, E), _sig(auditorPks[0], digest));
    }

    function _entry(uint256 i) internal view returns (Disputes.Entry memory) {
        return Disputes.Entry(i, _member(i), subs[i], _topPath(i));
    }

    function _proof(uint256 i, uint256 k) internal view returns (Disputes.RecordProof memory) {
        EvidenceTree.SumNode memory leaf = _leafOf(i, k);
        return Disputes.RecordProof(_entry(i), recs[i][k], leaf.passed, leaf.decided, k, _path(_levels(i), 0, k));
    }

    function _sumProof(uint256 i, uint256 level, uint256 j) internal view returns (Disputes.SumProof memory pr) {
        EvidenceTree.SumNode[][] memory lv = _levels(i);
        EvidenceTree.SumNode[] memory below = lv[level - 1];
        EvidenceTree.SumNode memory r = 2 * j + 1 < below.length ? below[2 * j + 1] : EvidenceTree.SumNode(0, 0, 0);
        pr = Disputes.SumProof(_entry(i), lv[level][j], below[2 * j], r, j, _path(lv, level, j));
    }

    function _member(uint256 i) internal view returns (address n) {
        (n,,) = staking.committeeMember(E, i);
    }

    function _convicted(uint8 kind) internal view {
        assertEq(token.balanceOf(disputer), BOND * DISPUTER_BPS / 10_000, "disputer paid");
        assertEq(token.balanceOf(BURN), BOND - BOND * DISPUTER_BPS / 10_000, "rest burned");
        assertEq(settlement.bonds(0), 0, "bond gone");
        (uint256 mask,,,,,,,,) = settlement.epochStates(E);
        assertEq(mask & 1, 0, "attestation removed");
        (,, bool active) = settlement.auditors(0);
        assertTrue(!active, "out of the set");
        assertTrue(kind >= 2, "kind");
    }

    function _noFraud() internal {
        vm.expectRevert(Disputes.NoFraud.selector);
    }

    // ------------------------------------------------------------ 1b: inner nodes

    /// An inner node that declares one more passed record than its children hold (the
    /// counts attested are its subtree's, so 1a sees nothing) is caught, wherever it is.
    function testFuzz_sumNodeLiarCaught(uint256 seed, uint256 node, uint256 where) public {
        _honestAll(seed);
        node %= recs.length;
        recs[node].push(_record(node, _challenge(node, 5), PASS, bytes32(0))); // at least 2 leaves
        lieNode = node;
        EvidenceTree.SumNode[][] memory lv = _levels(node);
        lieLevel = 1 + where % (lv.length - 1);
        lieIdx = (where >> 8) % lv[lieLevel].length;
        _attest();
        Disputes.SumProof memory pr = _sumProof(node, lieLevel, lieIdx);
        vm.prank(disputer);
        disputes.disputeSumNode(E, 0, pr);
        _convicted(disputes.DISPUTE_SUM_NODE());
    }

    /// No inner node of an honest tree can be disputed; a made-up child does not hash to it.
    function testFuzz_sumNodeHonest(uint256 seed, uint256 node, uint256 where) public {
        _honestAll(seed);
        node %= recs.length;
        recs[node].push(_record(node, _challenge(node, 5), PASS, bytes32(0)));
        _attest();
        EvidenceTree.SumNode[][] memory lv = _levels(node);
        uint256 level = 1 + where % (lv.length - 1);
        Disputes.SumProof memory pr = _sumProof(node, level, (where >> 8) % lv[level].length);
        _noFraud();
        disputes.disputeSumNode(E, 0, pr);
        pr.left.passed += 1;
        vm.expectRevert(EvidenceTree.BadProof.selector);
        disputes.disputeSumNode(E, 0, pr);
    }

    // ------------------------------------------------------------ 1b: record leaves

    /// A record of another node, of another epoch, or a failed record whose leaf counts a
    /// pass, placed in a node's subtree, is caught.
    function testFuzz_recordLiarCaught(uint256 seed, uint256 node, uint256 kind) public {
        _honestAll(seed);
        node %= recs.length;
        uint256 k = recs[node].length;
        kind %= 3;
        if (kind == 0) {
            uint256 other = (node + 1) % recs.length;
            recs[node].push(_record(other, _challenge(other, 0), PASS, bytes32(0)));
        } else if (kind == 1) {
            bytes memory r = _record(node, _challenge(node, k), PASS, bytes32(0));
            r[24] = bytes1(uint8(r[24]) ^ 1); // the epoch's last byte
            recs[node].push(r);
        } else {
            recs[node].push(_record(node, _challenge(node, k), INVALID_PROOF, bytes32(uint256(1))));
            (badLeafNode, badLeafPos) = (node, k);
        }
        _attest();
        Disputes.RecordProof memory rp = _proof(node, k);
        vm.prank(disputer);
        disputes.disputeRecord(E, 0, rp);
        _convicted(disputes.DISPUTE_RECORD());
    }

    function testFuzz_recordHonest(uint256 seed, uint256 node, uint256 k) public {
        _honestAll(seed);
        node %= recs.length;
        k %= recs[node].length;
        _attest();
        Disputes.RecordProof memory rp = _proof(node, k);
        _noFraud();
        disputes.disputeRecord(E, 0, rp);
        rp.passed = 0; // not the leaf that was committed
        vm.expectRevert(abi.encodeWithSelector(Disputes.WrongEvidence.selector, E, uint8(0)));
        disputes.disputeRecord(E, 0, rp);
    }

    /// A pass record counted twice (the same seq at two leaves) is caught; two honest
    /// records in order are not.
    function testFuzz_orderLiarCaught(uint256 seed, uint256 node) public {
        _honestAll(seed);
        node %= recs.length;
        uint256 k = recs[node].length;
        recs[node].push(recs[node][k - 1]);
        _attest();
        Disputes.RecordProof memory a = _proof(node, k - 1);
        Disputes.RecordProof memory b = _proof(node, k);
        _noOrderFraudReversed(a, b);
        vm.prank(disputer);
        disputes.disputeOrder(E, 0, a, b);
        _convicted(disputes.DISPUTE_ORDER());
    }

    function _noOrderFraudReversed(Disputes.RecordProof memory a, Disputes.RecordProof memory b) internal {
        vm.expectRevert(EvidenceTree.BadProof.selector); // b is not left of a
        disputes.disputeOrder(E, 0, b, a);
    }

    function testFuzz_orderHonest(uint256 seed, uint256 node, uint256 k) public {
        _honestAll(seed);
        node %= recs.length;
        delete recs[node];
        _honest(node, 5); // at least 2 records
        k %= recs[node].length - 1;
        _attest();
        Disputes.RecordProof memory a = _proof(node, k);
        Disputes.RecordProof memory b = _proof(node, recs[node].length - 1);
        _noFraud();
        disputes.disputeOrder(E, 0, a, b);
    }

    // ------------------------------------------------------------ 2: verdicts

    /// A record of challenge j of `node` whose verdict is `outcome` for `body`.
    function _verdictCase(uint256 seed, uint256 node, uint8 outcome, bytes memory body)
        internal
        returns (Disputes.RecordProof memory rp)
    {
        _honestAll(seed);
        uint256 k = recs[node].length;
        recs[node].push(_record(node, _challenge(node, k), outcome, Blake2b.hash(body)));
        _attest();
        rp = _proof(node, k);
    }

    function _answerTo(uint256 node, uint256 j, bool corrupt, uint256 shortBy) internal view returns (bytes memory) {
        uint256[5] memory c = _challenge(node, j);
        return _answer(c[2], c[3], c[4], corrupt, shortBy);
    }

    /// A valid answer recorded as invalid_proof, wrong_size or malformed is caught.
    function testFuzz_verdictLiarCaught(uint256 seed, uint256 node, uint256 o) public {
        _verdictLiarCaught(seed, node, o);
    }

    function _verdictLiarCaught(uint256 seed, uint256 node, uint256 o) internal {
        node %= 5;
        uint8[3] memory outs = [INVALID_PROOF, 2, 6];
        _honestAll(seed);
        uint256 j = recs[node].length;
        delete recs;
        recs = new bytes[][](staking.committeeSize(E));
        bytes memory body = _answerTo(node, j, false, 0);
        Disputes.RecordProof memory rp = _verdictCase(seed, node, outs[o % 3], body);
        bytes memory md = metadata;
        vm.prank(disputer);
        disputes.disputeVerdict(E, 0, rp, md, body);
        _convicted(disputes.DISPUTE_VERDICT());
    }

    /// A valid metadata answer recorded as bad_metadata is caught.
    function testFuzz_metadataVerdictLiarCaught(uint256 seed, uint256 node) public {
        _metadataVerdictLiarCaught(seed, node);
    }

    function _metadataVerdictLiarCaught(uint256 seed, uint256 node) internal {
        node %= 5;
        bytes memory body = abi.encodePacked(blob, metadata);
        Disputes.RecordProof memory rp = _verdictCase(seed, node, BAD_METADATA, body);
        bytes memory md = seed % 2 == 0 ? metadata : bytes(""); // the body carries it
        vm.prank(disputer);
        disputes.disputeVerdict(E, 0, rp, md, body);
        _convicted(disputes.DISPUTE_VERDICT());
    }

    /// Honest verdicts: a corrupted symbol (invalid_proof), a short one (wrong_size), a
    /// corrupted metadata answer (bad_metadata) cannot be disputed; nor can a pass, nor a
    /// body that is not the one hashed, nor metadata of another blob.
    function testFuzz_verdictHonest(uint256 seed, uint256 node, uint256 which) public {
        _verdictHonest(seed, node, which);
    }

    function _verdictHonest(uint256 seed, uint256 node, uint256 which) internal {
        node %= 5;
        which %= 3;
        _honestAll(seed);
        uint256 j = recs[node].length;
        delete recs;
        recs = new bytes[][](staking.committeeSize(E));
        bytes memory body;
        if (which == 0) body = _answerTo(node, j, true, 0);
        else if (which == 1) body = _answerTo(node, j, false, 2);
        else body = abi.encodePacked(blob, metadata, uint8(0));
        Disputes.RecordProof memory rp =
            _verdictCase(seed, node, which == 0 ? INVALID_PROOF : which == 1 ? 2 : BAD_METADATA, body);
        bytes memory md = metadata;
        bytes memory valid = _answerTo(node, j, false, 0);
        if (which == 2) vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, uint8(1)));
        else vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, which == 0 ? uint8(6) : uint8(5)));
        disputes.disputeVerdict(E, 0, rp, md, body);
        vm.expectRevert(Disputes.BodyMismatch.selector);
        disputes.disputeVerdict(E, 0, rp, md, valid);
        md[20] = bytes1(uint8(md[20]) ^ 1); // a byte of pair 0's primary hash
        vm.expectRevert(Disputes.WrongMetadata.selector);
        disputes.disputeVerdict(E, 0, rp, md, body);
        Disputes.RecordProof memory pass = _proof(node, 0);
        _noFraud();
        disputes.disputeVerdict(E, 0, pass, metadata, body);
    }

    /// The records of the tests that call it name the blob as encoding type 3 (the reference
    /// encoder's Cauchy RS over GF(2^16), what it uses above 255 shards): same slivers and
    /// symbol size, another blob ID. Proof 2 reads no registry, so it is not registered.
    function _useType3() internal {
        (metadata, blob) = _metadataOfType(3);
        assertEq(uint8(metadata[1]), 3, "encoding type 3");
    }

    /// Proof 2 covers blobs of encoding type 3: a lie about a valid symbol answer or a valid
    /// metadata answer is caught; honest verdicts on such a blob revert as for type 1.
    function testFuzz_type3VerdictLiarCaught(uint256 seed, uint256 node, uint256 o) public {
        _useType3();
        _verdictLiarCaught(seed, node, o);
    }

    function testFuzz_type3MetadataVerdictLiarCaught(uint256 seed, uint256 node) public {
        _useType3();
        _metadataVerdictLiarCaught(seed, node);
    }

    function testFuzz_type3VerdictHonest(uint256 seed, uint256 node, uint256 which) public {
        _useType3();
        _verdictHonest(seed, node, which);
    }

    /// The encoding type is part of the blob ID: the type-3 blob's metadata sent as type 2
    /// hashes to another blob (WrongMetadata), and a type the auditor does not know (0, 4,
    /// 128 as a two-byte ULEB128) is refused before any hashing (Invalid(2)).
    function testFuzz_type3OtherTypeRefused(uint256 seed, uint256 node) public {
        _useType3();
        node %= 5;
        _honestAll(seed);
        uint256 j = recs[node].length;
        delete recs;
        recs = new bytes[][](staking.committeeSize(E));
        bytes memory body = _answerTo(node, j, false, 0);
        Disputes.RecordProof memory rp = _verdictCase(seed, node, INVALID_PROOF, body);
        bytes memory md = metadata;
        md[1] = bytes1(uint8(2));
        vm.expectRevert(Disputes.WrongMetadata.selector);
        disputes.disputeVerdict(E, 0, rp, md, body);
        md[1] = bytes1(uint8(seed % 2 == 0 ? 0 : 4));
        vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, uint8(2)));
        disputes.disputeVerdict(E, 0, rp, md, body);
        bytes memory good = metadata;
        bytes memory wide = new bytes(good.length + 1);
        (wide[1], wide[2]) = (bytes1(uint8(0x80)), bytes1(uint8(0x01)));
        for (uint256 i = 2; i < good.length; i++) wide[i + 1] = good[i];
        vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, uint8(2)));
        disputes.disputeVerdict(E, 0, rp, wide, body);
        vm.prank(disputer);
        disputes.disputeVerdict(E, 0, rp, metadata, body);
        _convicted(disputes.DISPUTE_VERDICT());
    }

    /// The metadata answer blob_id ‖ metadata hashed into a record of a recoverySymbols
    /// verdict (invalid_proof, wrong_size, malformed) is not an answer to that request: the
    /// auditor that judged it malformed cannot be convicted, however the metadata is sent.
    function testFuzz_metadataBodyForSymbolsHonest(uint256 seed, uint256 node, uint256 o) public {
        node %= 5;
        uint8[3] memory outs = [INVALID_PROOF, WRONG_SIZE, MALFORMED];
        bytes memory body = abi.encodePacked(blob, metadata);
        Disputes.RecordProof memory rp = _verdictCase(seed, node, outs[o % 3], body);
        vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, uint8(1)));
        disputes.disputeVerdict(E, 0, rp, metadata, body);
        vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, uint8(1)));
        disputes.disputeVerdict(E, 0, rp, "", body);
        (uint256 mask,,,,,,,,) = settlement.epochStates(E);
        assertEq(mask & 1, 1, "attestation kept");
    }

    /// The reverse: a valid symbol answer hashed into a bad_metadata record (the metadata
    /// request decided it) is not the metadata answer.
    function testFuzz_symbolsBodyForMetadataHonest(uint256 seed, uint256 node) public {
        node %= 5;
        _honestAll(seed);
        uint256 j = recs[node].length;
        delete recs;
        recs = new bytes[][](staking.committeeSize(E));
        bytes memory body = _answerTo(node, j, false, 0);
        Disputes.RecordProof memory rp = _verdictCase(seed, node, BAD_METADATA, body);
        vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, uint8(1)));
        disputes.disputeVerdict(E, 0, rp, metadata, body);
    }

    /// A verdict on a body (invalid_proof, wrong_size, bad_metadata, malformed) recorded
    /// without the body's hash is a malformed record (disputeRecord); proof 2 refuses it.
    function testFuzz_verdictWithoutHashCaught(uint256 seed, uint256 node, uint256 o) public {
        node %= 5;
        uint8[4] memory outs = [INVALID_PROOF, WRONG_SIZE, BAD_METADATA, MALFORMED];
        _honestAll(seed);
        uint256 k = recs[node].length;
        recs[node].push(_record(node, _challenge(node, k), outs[o % 4], bytes32(0)));
        _attest();
        Disputes.RecordProof memory rp = _proof(node, k);
        vm.expectRevert(Disputes.BadRecord.selector);
        disputes.disputeVerdict(E, 0, rp, metadata, abi.encodePacked(blob, metadata));
        vm.prank(disputer);
        disputes.disputeRecord(E, 0, rp);
        _convicted(disputes.DISPUTE_RECORD());
    }

    /// Outcomes that are no verdict on a body may carry no hash (and a verdict may carry
    /// one): such records are not disputable.
    function testFuzz_noHashHonest(uint256 seed, uint256 node, uint256 o) public {
        node %= 5;
        uint8[6] memory outs = [PASS, 4, 5, 7, 8, AUDITOR_ERROR];
        _honestAll(seed);
        uint256 k = recs[node].length;
        recs[node].push(_record(node, _challenge(node, k), outs[o % 6], bytes32(0)));
        recs[node].push(_record(node, _challenge(node, k + 1), MALFORMED, bytes32(seed | 1)));
        _attest();
        Disputes.RecordProof memory none = _proof(node, k);
        Disputes.RecordProof memory hashed = _proof(node, k + 1);
        _noFraud();
        disputes.disputeRecord(E, 0, none);
        _noFraud();
        disputes.disputeRecord(E, 0, hashed);
    }

    /// The batch size is fixed at deployment, never 0.
    function test_batchSize() public {
        assertEq(disputes.batchSize(), BATCH, "batch size");
        vm.expectRevert(Disputes.BadParam.selector);
        new Disputes(settlement, registry, MIN_PER_NODE, PER_SHARD, 0);
    }

    // ------------------------------------------------------------ 3: the schedule

    /// Records the schedule does not produce are caught: a seq past the node's challenges,
    /// another shard, another symbol, another axis, a blob that is not in the snapshot.
    function testFuzz_scheduleLiarCaught(uint256 seed, uint256 node, uint256 kind) public {
        _honestAll(seed);
        node %= recs.length;
        uint256 k = recs[node].length;
        uint256[5] memory c = _challenge(node, k);
        kind %= 5;
        if (kind == 0) {
            (uint256[] memory s, uint256 start) = _shardsOf(node);
            uint256 total = s.length * PER_SHARD > MIN_PER_NODE ? s.length * PER_SHARD : MIN_PER_NODE;
            c[0] = start + total; // the next node's first seq
        } else if (kind == 1) {
            c[1] = (c[1] + 1) % nShards;
        } else if (kind == 2) {
            c[3] = (c[3] + 1) % nShards;
        } else if (kind == 3) {
            c[2] ^= 1;
        }
        bytes memory r = _record(node, c, PASS, bytes32(0));
        if (kind == 4) r[80] = bytes1(uint8(r[80]) ^ 1); // a byte of the blob ID
        recs[node].push(r);
        _attest();
        Disputes.RecordProof memory rp = _proof(node, k);
        vm.prank(disputer);
        disputes.disputeSchedule(E, 0, rp, _secret(0, E));
        _convicted(disputes.DISPUTE_SCHEDULE());
    }

    function testFuzz_scheduleHonest(uint256 seed, uint256 node, uint256 k) public {
        _honestAll(seed);
        node %= recs.length;
        _honest(node, MIN_PER_NODE); // every challenge of the node, the last ones included
        k %= recs[node].length;
        _attest();
        Disputes.RecordProof memory rp = _proof(node, k);
        _noFraud();
        disputes.disputeSchedule(E, 0, rp, _secret(0, E));
        vm.expectRevert(Disputes.BadSecret.selector);
        disputes.disputeSchedule(E, 0, rp, _secret(1, E));
    }

    /// A node whose subtree declares more decided records than it has challenges is caught
    /// (here: every challenge plus a copy); a node with all its challenges recorded is not.
    function testFuzz_tooMany(uint256 seed, uint256 node, bool lie) public {
        _honestAll(seed);
        node %= recs.length;
        delete recs[node];
        _honest(node, MIN_PER_NODE); // m_i <= MIN_PER_NODE here: C_i = MIN_PER_NODE
        assertEq(disputes.challengesOf(E, node), MIN_PER_NODE, "C_i");
        if (lie) recs[node].push(recs[node][0]);
        _attest();
        Disputes.Entry memory e = _entry(node);
        if (!lie) {
            _noFraud();
            disputes.disputeTooMany(E, 0, e);
            return;
        }
        vm.prank(disputer);
        disputes.disputeTooMany(E, 0, e);
        _convicted(disputes.DISPUTE_TOO_MANY());
    }

    /// Later epochs (other seeds, committees whose shards may be in grace): an invented
    /// record is caught, the honest records beside it are not.
    function testFuzz_laterEpochs(uint256 seed, uint256 extra, uint256 node) public {
        extra = 1 + extra % 3;
        for (uint256 x = 0; x < extra; x++) {
            _commitSecret(0, staking.currentEpoch() + 1);
            _advance();
            vm.roll(_blk() + 6);
            staking.recordSeed(staking.currentEpoch());
        }
        E = staking.currentEpoch() - 1;
        recs = new bytes[][](staking.committeeSize(E));
        _honestAll(seed);
        node %= recs.length;
        uint256 k = recs[node].length;
        uint256[5] memory c = _challenge(node, k);
        c[1] = (c[1] + 1 + seed % (nShards - 1)) % nShards; // another shard
        recs[node].push(_record(node, c, PASS, bytes32(0)));
        _attest();
        Disputes.RecordProof memory honest = _proof(node, seed % k);
        Disputes.RecordProof memory invented = _proof(node, k);
        _noFraud();
        disputes.disputeSchedule(E, 0, honest, _secret(0, E));
        vm.prank(disputer);
        disputes.disputeSchedule(E, 0, invented, _secret(0, E));
        _convicted(disputes.DISPUTE_SCHEDULE());
    }

    /// After the dispute window nothing can be disputed, lie or not.
    function test_windowCloses() public {
        _honestAll(1);
        recs[0].push(recs[0][0]);
        _attest();
        Disputes.RecordProof memory a = _proof(0, 0);
        Disputes.RecordProof memory b = _proof(0, recs[0].length - 1);
        _toFinalizable(E);
        vm.expectRevert(abi.encodeWithSelector(Settlement.DisputeWindowClosed.selector, E));
        disputes.disputeOrder(E, 0, a, b);
    }

    function test_onlyDisputesConvicts() public {
        vm.expectRevert(Settlement.NotDisputes.selector);
        settlement.convict(E, 0, 2, address(this));
        vm.expectRevert(Settlement.BadParam.selector);
        settlement.bindDisputes(address(1));
    }
}

/// The PRF part of the schedule (Disputes.challengeHash / symbolOf) against
/// tests/vectors/schedule.json, produced by tests/vectors/schedule_ref.py (an independent
/// implementation of audit/SCHEDULE.md).
contract ScheduleVectorsTest is Fixture {
    Disputes disputes;

    function setUp() public {
        _deploy();
        disputes = new Disputes(settlement, registry, 200, 2, 16);
    }

    function _check(bytes32 seed, bytes32 secret, address auditor, uint64 epoch, uint256 n, uint256[6] memory c)
        internal
        view
    {
        // c = [seq, shard, blob, axis, row, col]
        uint256 h = disputes.challengeHash(seed, secret, auditor, epoch, c[0]);
        (uint256 axis, uint256 row, uint256 col) = disputes.symbolOf(h, n, bytes32(c[2]), c[1]);
        assertEq(axis, c[3], "axis");
        assertEq(row, c[4], "row");
        assertEq(col, c[5], "col");
    }


    function test_small() public view {
        bytes32 seed = 0xd3ab4a5d28e203b5a015ca2dd1d7ef8ed75344ac155f13db76d2789797c5f4a9;
        bytes32 secret = 0xa7b36d51d8161ae76c42399e8688fe1aba38c3b9c05b300b1684c39401a598bc;
        address auditor = address(bytes20(hex"56b28e7e12fa86e5df2b7f252e2cef5f1f24f0d8"));
        _check(seed, secret, auditor, 7, 7, [uint256(0), 0, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 2, 4]);
        _check(seed, secret, auditor, 7, 7, [uint256(1), 1, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 1, 3]);
        _check(seed, secret, auditor, 7, 7, [uint256(2), 0, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 6, 4]);
        _check(seed, secret, auditor, 7, 7, [uint256(3), 1, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 0, 3]);
        _check(seed, secret, auditor, 7, 7, [uint256(4), 0, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 0, 2, 1]);
        _check(seed, secret, auditor, 7, 7, [uint256(5), 1, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 0, 3, 1]);
        _check(seed, secret, auditor, 7, 7, [uint256(6), 0, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 4, 4]);
        _check(seed, secret, auditor, 7, 7, [uint256(7), 1, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 0, 3, 6]);
        _check(seed, secret, auditor, 7, 7, [uint256(8), 0, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 0, 2, 5]);
        _check(seed, secret, auditor, 7, 7, [uint256(9), 1, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 0, 3, 1]);
        _check(seed, secret, auditor, 7, 7, [uint256(10), 2, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 0, 4, 4]);
        _check(seed, secret, auditor, 7, 7, [uint256(11), 2, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 1, 2]);
        _check(seed, secret, auditor, 7, 7, [uint256(12), 2, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 2, 2]);
        _check(seed, secret, auditor, 7, 7, [uint256(13), 2, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 6, 2]);
        _check(seed, secret, auditor, 7, 7, [uint256(14), 2, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 4, 2]);
        _check(seed, secret, auditor, 7, 7, [uint256(15), 2, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 4, 2]);
        _check(seed, secret, auditor, 7, 7, [uint256(16), 2, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 0, 4, 5]);
        _check(seed, secret, auditor, 7, 7, [uint256(17), 2, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 0, 4, 6]);
        _check(seed, secret, auditor, 7, 7, [uint256(18), 2, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 6, 2]);
        _check(seed, secret, auditor, 7, 7, [uint256(19), 2, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 6, 2]);
        _check(seed, secret, auditor, 7, 7, [uint256(20), 3, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 0, 5, 0]);
        _check(seed, secret, auditor, 7, 7, [uint256(21), 4, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 0, 6, 3]);
        _check(seed, secret, auditor, 7, 7, [uint256(22), 3, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 4, 1]);
        _check(seed, secret, auditor, 7, 7, [uint256(23), 4, 0xa62b8f2dc8106d4b9d4752ef0e3c351f878b455482475cd29fefa9675535514e, 1, 0, 0]);
    }

    function test_weighted() public view {
        bytes32 seed = 0x83a57d79b55e5bba18c509a7f4e469a22e2a9fbd0a859c27a8501442b4ce30d3;
        bytes32 secret = 0x2021d862edd3da7edf83b4c0a8721850f8bb88fc0fc85913d9f617e531ac4633;
        address auditor = address(bytes20(hex"ac1389c64e6754fd3352a58318e4ba93d7b41557"));
        _check(seed, secret, auditor, 7, 10, [uint256(0), 0, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 0, 5, 2]);
        _check(seed, secret, auditor, 7, 10, [uint256(1), 1, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 1, 5, 3]);
        _check(seed, secret, auditor, 7, 10, [uint256(2), 2, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 1, 5, 2]);
        _check(seed, secret, auditor, 7, 10, [uint256(3), 3, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 1, 5, 1]);
        _check(seed, secret, auditor, 7, 10, [uint256(4), 4, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 1, 1, 0]);
        _check(seed, secret, auditor, 7, 10, [uint256(5), 0, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 1, 5, 4]);
        _check(seed, secret, auditor, 7, 10, [uint256(6), 1, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 0, 6, 3]);
        _check(seed, secret, auditor, 7, 10, [uint256(7), 2, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 1, 0, 2]);
        _check(seed, secret, auditor, 7, 10, [uint256(8), 3, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 0, 8, 6]);
        _check(seed, secret, auditor, 7, 10, [uint256(9), 4, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 0, 9, 2]);
        _check(seed, secret, auditor, 7, 10, [uint256(10), 0, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 0, 5, 7]);
        _check(seed, secret, auditor, 7, 10, [uint256(11), 1, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 0, 6, 6]);
        _check(seed, secret, auditor, 7, 10, [uint256(12), 2, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 0, 7, 9]);
        _check(seed, secret, auditor, 7, 10, [uint256(13), 3, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 0, 8, 3]);
        _check(seed, secret, auditor, 7, 10, [uint256(14), 4, 0xcc7f10243bd5878b9e83d4ebf1f9affa173e8d0dfff9d64c6319a0844bbc6103, 1, 1, 2]);
        _check(seed, secret, auditor, 7, 10, [uint256(15), 0, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 0, 5, 3]);
        _check(seed, secret, auditor, 7, 10, [uint256(16), 1, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 0, 6, 6]);
        _check(seed, secret, auditor, 7, 10, [uint256(17), 2, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 1, 0, 2]);
        _check(seed, secret, auditor, 7, 10, [uint256(18), 3, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 1, 1, 1]);
        _check(seed, secret, auditor, 7, 10, [uint256(19), 4, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 1, 6, 0]);
        _check(seed, secret, auditor, 7, 10, [uint256(20), 0, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 0, 5, 6]);
        _check(seed, secret, auditor, 7, 10, [uint256(21), 1, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 1, 1, 3]);
        _check(seed, secret, auditor, 7, 10, [uint256(22), 2, 0xb81994e76546a3a588a900461225658f69ffc47cb9441099aa35df2321932a63, 1, 9, 2]);
        _check(seed, secret, auditor, 7, 10, [uint256(23), 3, 0xcc7f10243bd5878b9e83d4ebf1f9affa173e8d0dfff9d64c6319a0844bbc6103, 0, 6, 4]);
    }

    function test_grace_and_empty() public view {
        bytes32 seed = 0xe717a375bf99710478dfc6adeb9360757d3f43b5da15a8bd408ceb4a9f39e559;
        bytes32 secret = 0x4ed96cc93af3ea856a3bc5e6338ad3a0196b783e9bacecb57cf2758557fe4985;
        address auditor = address(bytes20(hex"83025bfa8281f4ef156ecdfe15ff36490753e95a"));
        _check(seed, secret, auditor, 7, 4, [uint256(0), 0, 0x67900749fba07d3a81a0e94b6bb802b86f7a74dae5bdc1c0baac0548938e72a5, 1, 0, 0]);
        _check(seed, secret, auditor, 7, 4, [uint256(1), 0, 0x67900749fba07d3a81a0e94b6bb802b86f7a74dae5bdc1c0baac0548938e72a5, 0, 3, 1]);
        _check(seed, secret, auditor, 7, 4, [uint256(2), 0, 0x67900749fba07d3a81a0e94b6bb802b86f7a74dae5bdc1c0baac0548938e72a5, 0, 3, 2]);
        _check(seed, secret, auditor, 7, 4, [uint256(3), 0, 0x67900749fba07d3a81a0e94b6bb802b86f7a74dae5bdc1c0baac0548938e72a5, 1, 2, 0]);
        _check(seed, secret, auditor, 7, 4, [uint256(4), 0, 0x67900749fba07d3a81a0e94b6bb802b86f7a74dae5bdc1c0baac0548938e72a5, 0, 3, 3]);
        _check(seed, secret, auditor, 7, 4, [uint256(5), 2, 0x67900749fba07d3a81a0e94b6bb802b86f7a74dae5bdc1c0baac0548938e72a5, 0, 1, 3]);
        _check(seed, secret, auditor, 7, 4, [uint256(6), 3, 0x67900749fba07d3a81a0e94b6bb802b86f7a74dae5bdc1c0baac0548938e72a5, 1, 0, 1]);
        _check(seed, secret, auditor, 7, 4, [uint256(7), 2, 0x67900749fba07d3a81a0e94b6bb802b86f7a74dae5bdc1c0baac0548938e72a5, 1, 1, 2]);
        _check(seed, secret, auditor, 7, 4, [uint256(8), 3, 0x67900749fba07d3a81a0e94b6bb802b86f7a74dae5bdc1c0baac0548938e72a5, 1, 0, 1]);
        _check(seed, secret, auditor, 7, 4, [uint256(9), 2, 0x67900749fba07d3a81a0e94b6bb802b86f7a74dae5bdc1c0baac0548938e72a5, 0, 1, 1]);
    }
}
