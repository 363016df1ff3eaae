// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Base.sol";
import {Settlement} from "../src/Settlement.sol";
import {EvidenceTree} from "../src/EvidenceTree.sol";

/// Bonds and fraud proof 1 (counts that do not match the evidence tree, version 2).
contract DisputesTest is Fixture {
    uint64 constant E = 1;
    address disputer = address(0xD15);
    bytes32[] entries;
    EvidenceTree.SumNode[] subs;

    function setUp() public {
        _deploy();
        for (uint256 i = 0; i < 5; i++) _registerNode(100e18 + i * 100e18);
        _commitSecrets(1);
        _advance(); // epoch 1
        settlement.voidEpoch(0);
        _fund(1, 20, 1000e18);
        _commitSecrets(2);
        _advance(); // epoch 2: epoch 1 is over
    }

    /// An evidence tree with `recs[i]` pass records for committee position i.
    function _tree(uint256[] memory recs) internal returns (bytes32 root) {
        delete entries;
        delete subs;
        for (uint256 i = 0; i < recs.length; i++) {
            _subtree(_member(i), recs[i]);
        }
        bytes32[] memory lvl = entries;
        while (lvl.length > 1) {
            lvl = _up(lvl);
        }
        root = lvl[0];
    }

    function _up(bytes32[] memory lvl) internal pure returns (bytes32[] memory up) {
        up = new bytes32[]((lvl.length + 1) / 2);
        for (uint256 j = 0; j < up.length; j++) {
            bytes32 r = 2 * j + 1 < lvl.length ? lvl[2 * j + 1] : bytes32(0);
            up[j] = keccak256(abi.encodePacked(uint8(3), lvl[2 * j], r));
        }
    }

    function _subtree(address node, uint256 n) internal {
        EvidenceTree.SumNode memory s;
        for (uint256 k = 0; k < n; k++) {
            EvidenceTree.SumNode memory l =
                EvidenceTree.SumNode(keccak256(abi.encodePacked(uint8(0), _record(node, k))), 1, 1);
            s = k == 0 ? l : EvidenceTree.combine(s, l);
        }
        subs.push(s);
        entries.push(EvidenceTree.entry(node, s));
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

    function _record(address node, uint256 seq) internal view returns (bytes memory) {
        bytes memory head = abi.encodePacked(bytes17("assay.evidence.v2"), E, vm.addr(auditorPks[0]), uint64(seq));
        bytes memory mid = abi.encodePacked(head, uint8(0), node, bytes32(0));
        return abi.encodePacked(mid, uint48(0), uint16(0), uint32(0), bytes32(0));
    }

    function _attest(uint8 a, uint32[] memory p, uint32[] memory d, bytes32 root) internal {
        _commit(a, p, d, root);
        _toRevealPhase(E);
        _reveal(a, p, d, root);
    }

    function _commit(uint8 a, uint32[] memory p, uint32[] memory d, bytes32 root) internal {
        _commitRaw(E, a, _digest(a, p, d, root));
    }

    function _digest(uint8 a, uint32[] memory p, uint32[] memory d, bytes32 root) internal view returns (bytes32) {
        return settlement.attestationDigest(E, staking.committeeHash(E), keccak256(abi.encode(p, d)), root, bytes32(0), _secret(a, E));
    }

    function _reveal(uint8 a, uint32[] memory p, uint32[] memory d, bytes32 root) internal {
        bytes memory sig = _sig(auditorPks[a], _digest(a, p, d, root));
        settlement.revealAttestation(E, a, staking.committeeHash(E), p, d, root, bytes32(0), _secret(a, E), sig);
    }

    function _recs(uint256 seed) internal pure returns (uint256[] memory r) {
        r = new uint256[](5);
        for (uint256 i = 0; i < 5; i++) r[i] = uint256(keccak256(abi.encode(seed, i))) % 4;
    }

    function _honest(uint256[] memory r) internal pure returns (uint32[] memory p) {
        p = new uint32[](r.length);
        for (uint256 i = 0; i < r.length; i++) p[i] = uint32(r[i]);
    }

    function test_bondNeededToJoin() public {
        vm.expectRevert();
        vm.prank(address(timelock));
        settlement.setAuditor(9, address(1), address(2), true);
        assertEq(settlement.bonds(0), BOND, "bond held");
        assertEq(token.balanceOf(address(settlement)) >= 3 * BOND ? 1 : 0, 1, "settlement holds bonds");
    }

    function test_withdrawWaitsForWindow() public {
        uint256[] memory r = _recs(1);
        bytes32 root = _tree(r);
        _attest(0, _honest(r), _honest(r), root);
        (,,, uint64 disputeEnd) = settlement.phases(E);
        vm.prank(vm.addr(0xFA7));
        vm.expectRevert(abi.encodeWithSelector(Settlement.BondLocked.selector, uint8(0), disputeEnd));
        settlement.withdrawBond(0);
        vm.warp(disputeEnd);
        vm.prank(vm.addr(0xFA7));
        settlement.withdrawBond(0);
        assertEq(token.balanceOf(vm.addr(0xFA7)), BOND, "bond back");
        (,, bool active) = settlement.auditors(0);
        assertTrue(!active, "left the set");
    }

    /// A lying attestation (inflated counts for one node) is caught and pays the disputer;
    /// the epoch then has no quorum and moves no payout.
    function testFuzz_liarCaught(uint256 seed, uint256 node) public {
        uint256[] memory r = _recs(seed);
        node %= 5;
        bytes32 root = _tree(r);
        uint32[] memory p = _honest(r);
        p[node] += 1;
        _commit(0, p, p, root);
        for (uint8 a = 1; a < 3; a++) _commit(a, _honest(r), _honest(r), keccak256("other"));
        _toRevealPhase(E);
        _reveal(0, p, p, root);
        for (uint8 a = 1; a < 3; a++) _reveal(a, _honest(r), _honest(r), keccak256("other"));
        uint256 stakingBefore = token.balanceOf(address(staking));
        _disputeCounts(p, node);
        _checkConvicted();
        _noPayout(r, stakingBefore);
    }

    function _noPayout(uint256[] memory r, uint256 stakingBefore) internal {
        _toFinalizable(E);
        uint8[] memory ids = new uint8[](2);
        ids[0] = 1;
        ids[1] = 2;
        uint32[][] memory pp = new uint32[][](2);
        pp[0] = _honest(r);
        pp[1] = pp[0];
        vm.expectRevert(abi.encodeWithSelector(Settlement.NoQuorum.selector, E, uint256(2), uint256(3)));
        settlement.finalizeEpoch(E, ids, pp, pp, 5);
        settlement.voidEpoch(E);
        assertEq(token.balanceOf(address(staking)), stakingBefore, "no payout moved");
    }

    /// Against an honest attestation no node total can be disputed.
    function testFuzz_honestNotDisputable(uint256 seed, uint256 node) public {
        uint256[] memory r = _recs(seed);
        node %= 5;
        _attest(0, _honest(r), _honest(r), _tree(r));
        _dispute(r, node, subs[node], abi.encodeWithSelector(Settlement.NoFraud.selector));
        // a made-up subtree total does not lead to the revealed root
        _dispute(
            r,
            node,
            EvidenceTree.SumNode(subs[node].h, subs[node].passed + 1, subs[node].decided + 1),
            abi.encodeWithSelector(Settlement.WrongEvidence.selector, E, uint8(0))
        );
        // after the window, nothing
        _toFinalizable(E);
        _dispute(r, node, subs[node], "");
    }

    function _disputeCounts(uint32[] memory p, uint256 node) internal {
        Settlement.TotalProof memory pr = Settlement.TotalProof(node, _member(node), subs[node], _topPath(node));
        vm.prank(disputer);
        settlement.disputeNodeTotal(E, 0, p, p, pr);
    }

    function _dispute(uint256[] memory r, uint256 node, EvidenceTree.SumNode memory sub, bytes memory err) internal {
        uint32[] memory h = _honest(r);
        Settlement.TotalProof memory pr = Settlement.TotalProof(node, _member(node), sub, _topPath(node));
        if (err.length == 0) vm.expectRevert();
        else vm.expectRevert(err);
        settlement.disputeNodeTotal(E, 0, h, h, pr);
    }

    function _checkConvicted() internal view {
        assertEq(token.balanceOf(disputer), BOND * DISPUTER_BPS / 10_000, "disputer paid");
        assertEq(token.balanceOf(BURN), BOND - BOND * DISPUTER_BPS / 10_000, "rest burned");
        assertEq(settlement.bonds(0), 0, "bond gone");
        (,, bool active) = settlement.auditors(0);
        assertTrue(!active, "out of the set");
    }

    function _member(uint256 i) internal view returns (address n) {
        (n,,) = staking.committeeMember(E, i);
    }
}
