// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Base.sol";
import {Settlement} from "../src/Settlement.sol";
import {Staking} from "../src/Staking.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {Governed} from "../src/Governed.sol";

contract SettlementTest is Fixture {
    uint256 constant POOL = 1000e18;

    function setUp() public {
        _deploy();
        _registerNode(100e18);
        _registerNode(200e18);
        _registerNode(300e18);
        _registerNode(400e18);
        _registerNode(1000e18);
        _commitSecrets(1);
        _advance(); // epoch 1
        settlement.voidEpoch(0);
        _fund(1, 20, POOL);
        _commitSecrets(2);
    }

    /// Pool stake after converting ready buckets (pools are updated lazily).
    function _stakeOf(address node) internal returns (uint256 st) {
        staking.sync(node, node);
        (st,,,,,) = staking.pools(node);
    }

    // Committee order is by stake: position 0 = op4 (1000, 9 shards), 1 = op3 (400, 5),
    // 2 = op2 (300, 3), 3 = op1 (200, 2), 4 = op0 (100, 1).
    function _counts()
        internal
        pure
        returns (uint32[][] memory passed, uint32[][] memory decided)
    {
        passed = new uint32[][](3);
        decided = new uint32[][](3);
        // pos0 (9 shards): 1, 1, 0 -> 1.0
        // pos1 (5): .90 .95 .85 -> .90
        // pos2 (3): .40 x3 -> .40 (penalized)
        // pos3 (2): nobody decided -> no score
        // pos4 (1): 1.0, .99, abstain -> lower median .99
        passed[0] = _arr(100, 90, 40, 0, 100);
        decided[0] = _arr(100, 100, 100, 0, 100);
        passed[1] = _arr(100, 95, 40, 0, 99);
        decided[1] = _arr(100, 100, 100, 0, 100);
        passed[2] = _arr(0, 85, 40, 0, 0);
        decided[2] = _arr(100, 100, 100, 0, 0);
    }

    function _arr(uint32 a, uint32 b, uint32 c, uint32 d, uint32 e) internal pure returns (uint32[] memory x) {
        x = new uint32[](5);
        (x[0], x[1], x[2], x[3], x[4]) = (a, b, c, d, e);
    }

    // ------------------------------------------------------------------ reference computation

    /// Independent reference: median by sorting the fractions (cross-multiplication, no
    /// fixed point), then the ramp in the contract's documented fixed point.
    function _refReward(uint256 nodePool, uint256 shards, uint32[] memory p, uint32[] memory d)
        internal
        pure
        returns (bool scored, uint256 med, uint256 reward)
    {
        uint256 m;
        uint256[] memory idx = new uint256[](p.length);
        for (uint256 a = 0; a < p.length; a++) {
            if (d[a] > 0) idx[m++] = a;
        }
        if (m == 0) return (false, 0, 0);
        for (uint256 i = 0; i < m; i++) {
            for (uint256 j = i + 1; j < m; j++) {
                // p_i/d_i > p_j/d_j
                if (uint256(p[idx[i]]) * d[idx[j]] > uint256(p[idx[j]]) * d[idx[i]]) {
                    (idx[i], idx[j]) = (idx[j], idx[i]);
                }
            }
        }
        uint256 k = idx[(m - 1) / 2];
        med = uint256(p[k]) * 1e18 / d[k];
        if (med > 0.8e18) reward = nodePool * shards * ((med - 0.8e18) * 1e18 / 0.2e18) / (20 * 1e18);
        return (true, med, reward);
    }

    /// Checks one node's pool against the reference; returns (reward, burned).
    function _checkNode(
        uint256 i,
        address node,
        uint256 shards,
        uint256 stakeBefore,
        uint256 nodePool
    ) internal view returns (uint256 reward, uint256 burned) {
        (uint32[][] memory passed, uint32[][] memory decided) = _counts();
        uint32[] memory p = new uint32[](3);
        uint32[] memory d = new uint32[](3);
        for (uint256 a = 0; a < 3; a++) {
            p[a] = passed[a][i];
            d[a] = decided[a][i];
        }
        bool scored;
        uint256 med;
        (scored, med, reward) = _refReward(nodePool, shards, p, d);
        (uint128 st,,,, uint128 comm,) = staking.pools(node);
        uint256 c = reward * 1000 / 10_000;
        assertEq(comm, c, "commission");
        uint256 expect = stakeBefore + reward - c;
        if (scored && med < 0.5e18) {
            burned = expect * 1000 / 10_000;
            expect -= burned;
        }
        assertEq(st, expect, "pool stake");
    }

    function test_finalizeMatchesReference() public {
        _advance(); // epoch 2; epoch 1 is over
        (uint32[][] memory passed, uint32[][] memory decided) = _counts();
        (address[] memory nodes, uint16[] memory shards) = staking.committee(1);
        assertEq(nodes.length, 5, "committee");
        uint256[] memory stakeBefore = new uint256[](5);
        for (uint256 i = 0; i < 5; i++) {
            stakeBefore[i] = _stakeOf(nodes[i]);
        }
        uint256 burnedBefore = token.balanceOf(BURN);
        _settle(1, 3, passed, decided);

        uint256 nodePool = POOL - POOL * 500 / 10_000;
        uint256 paid;
        uint256 burned;
        for (uint256 i = 0; i < 5; i++) {
            (uint256 r, uint256 b) = _checkNode(i, nodes[i], shards[i], stakeBefore[i], nodePool);
            paid += r;
            burned += b;
        }
        assertEq(paid, 427.5e18 + 118.75e18 + 45.125e18, "hand-computed total");
        assertEq(burned, 30e18, "slash");
        assertEq(token.balanceOf(BURN) - burnedBefore, burned, "burned");
        uint256 per = (POOL * 500 / 10_000) / 3;
        for (uint256 a = 0; a < 3; a++) {
            assertEq(settlement.auditorOwed(uint8(a)), per, "auditor pay");
        }
        assertEq(settlement.carry(), nodePool - paid + (POOL * 500 / 10_000 - per * 3), "rollover");
        assertEq(staking.settledCount(), 2, "settled");
        _checkStakingBooks();
        // claims
        settlement.claimAuditor(0);
        assertEq(token.balanceOf(vm.addr(0xFA7)), per, "auditor paid");
        vm.prank(nodes[0]);
        staking.claimCommission();
        assertEq(token.balanceOf(nodes[0]), 42.75e18, "commission paid");
        _checkStakingBooks();
    }

    function test_paginatedFinalizeEqualsSingle() public {
        _advance();
        (uint32[][] memory passed, uint32[][] memory decided) = _counts();
        for (uint256 a = 0; a < 3; a++) {
            _commitAtt(uint8(a), 1, passed[a], decided[a]);
        }
        _toRevealPhase(1);
        for (uint256 a = 0; a < 3; a++) {
            _revealAtt(uint8(a), 1, passed[a], decided[a]);
        }
        _toFinalizable(1);
        uint8[] memory ids = new uint8[](3);
        (ids[0], ids[1], ids[2]) = (0, 1, 2);
        settlement.finalizeEpoch(1, ids, passed, decided, 2);
        assertEq(staking.settledCount(), 1, "not yet settled");
        vm.expectRevert(Settlement.BadRange.selector);
        settlement.finalizeEpoch(1, ids, passed, decided, 2);
        settlement.finalizeEpoch(1, ids, passed, decided, 5);
        assertEq(staking.settledCount(), 2, "settled");
        (uint128 st,,,,,) = staking.pools(_op(4));
        assertEq(st, 1000e18 + 427.5e18 - 42.75e18, "node4 paid once");
    }

    function test_oneLiarCannotMoveMedian() public {
        _advance();
        uint32[] memory honestP = _arr(97, 90, 60, 100, 85);
        uint32[] memory d = _fill(5, 100);
        uint32[][] memory passed = new uint32[][](3);
        uint32[][] memory decided = new uint32[][](3);
        passed[0] = honestP;
        passed[1] = honestP;
        passed[2] = _arr(0, 100, 100, 0, 0); // the liar
        decided[0] = d;
        decided[1] = d;
        decided[2] = d;
        _settle(1, 3, passed, decided);
        // pos0 = op4: honest 0.97, 9 shards: 950 * 9/20 * 0.85, less 10% commission
        assertEq(_stakeOf(_op(4)), 1000e18 + (363.375e18 - 36.3375e18), "pos0 reward unmoved");
        assertEq(_stakeOf(_op(2)), 300e18, "pos2 not raised above 0.8 by the liar");
        // pos3 = op1: honest 1.0, 2 shards: 950 * 2/20
        assertEq(_stakeOf(_op(1)), 200e18 + (95e18 - 9.5e18), "pos3 not lowered");
    }

    function test_noQuorumVoidsAndRollsOver() public {
        _advance();
        uint32[][] memory passed;
        uint32[][] memory decided;
        (passed, decided) = _uniform(2, _fill(5, 100), _fill(5, 100));
        _commitAtt(0, 1, passed[0], decided[0]);
        _commitAtt(1, 1, passed[1], decided[1]);
        _toRevealPhase(1);
        _revealAtt(0, 1, passed[0], decided[0]);
        _revealAtt(1, 1, passed[1], decided[1]);
        vm.expectRevert(abi.encodeWithSelector(Settlement.NotVoidable.selector, uint64(1)));
        settlement.voidEpoch(1);
        _toFinalizable(1);
        uint8[] memory ids = new uint8[](2);
        ids[1] = 1;
        vm.expectRevert(abi.encodeWithSelector(Settlement.NoQuorum.selector, uint64(1), 2, 3));
        settlement.finalizeEpoch(1, ids, passed, decided, 5);
        settlement.voidEpoch(1);
        assertEq(settlement.carry(), POOL, "pool rolled over");
        assertEq(_stakeOf(_op(4)), 1000e18, "no reward");
        assertEq(staking.settledCount(), 2, "settled");
    }

    function test_governanceCancelDuringDisputeWindow() public {
        _advance();
        (uint32[][] memory passed, uint32[][] memory decided) = _counts();
        for (uint256 a = 0; a < 3; a++) {
            _commitAtt(uint8(a), 1, passed[a], decided[a]);
        }
        _toRevealPhase(1);
        for (uint256 a = 0; a < 3; a++) {
            _revealAtt(uint8(a), 1, passed[a], decided[a]);
        }
        // not directly
        vm.expectRevert();
        settlement.cancelEpoch(1);
        vm.prank(gov);
        vm.expectRevert();
        settlement.cancelEpoch(1);
        // through the timelock, inside the window
        _gov(address(settlement), abi.encodeCall(Settlement.cancelEpoch, (uint64(1))));
        _toFinalizable(1);
        uint8[] memory ids = new uint8[](3);
        (ids[0], ids[1], ids[2]) = (0, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(Settlement.NotFinalizable.selector, uint64(1)));
        settlement.finalizeEpoch(1, ids, passed, decided, 5);
        settlement.voidEpoch(1);
        assertEq(settlement.carry(), POOL, "rolled over");
        assertEq(_stakeOf(_op(2)), 300e18, "no slash");
    }

    function test_cancelAfterDisputeWindowRejected() public {
        _advance();
        (,,, uint64 disputeEnd) = settlement.phases(1);
        bytes memory data = abi.encodeCall(Settlement.cancelEpoch, (uint64(1)));
        vm.prank(gov);
        timelock.schedule(address(settlement), 0, data, bytes32(0), bytes32(uint256(77)), TL_DELAY);
        vm.warp(disputeEnd);
        vm.expectRevert();
        timelock.execute(address(settlement), 0, data, bytes32(0), bytes32(uint256(77)));
    }

    // ------------------------------------------------------------------ signature / commitment checks

    function test_rejectsNonAuditor() public {
        _gov(address(settlement), abi.encodeCall(Settlement.setAuditor, (uint8(2), vm.addr(auditorPks[2]), user, false)));
        _advance();
        uint32[] memory f = _fill(5, 1);
        bytes32 d = _attDigest(0, 1, f, f);
        uint256 rogue = 0xBAD;
        // unknown id
        bytes memory s9 = _sig(rogue, settlement.attestationCommitDigest(1, 9, d));
        vm.expectRevert(abi.encodeWithSelector(Settlement.NotAuditor.selector, uint8(9)));
        settlement.commitAttestation(1, 9, d, s9);
        // registered id, wrong key
        bytes memory s0 = _sig(rogue, settlement.attestationCommitDigest(1, 0, d));
        vm.expectRevert(Settlement.BadSignature.selector);
        settlement.commitAttestation(1, 0, d, s0);
        // a deactivated auditor is refused
        bytes32 d2 = _attDigest(2, 1, f, f);
        bytes memory s2 = _sig(auditorPks[2], settlement.attestationCommitDigest(1, 2, d2));
        vm.expectRevert(abi.encodeWithSelector(Settlement.NotAuditor.selector, uint8(2)));
        settlement.commitAttestation(1, 2, d2, s2);
        // a relayer (anyone) can submit a correctly signed one
        vm.prank(address(0xCAFE));
        _commitRaw(1, 0, d);
    }

    function test_rejectsDuplicateCommitAndReveal() public {
        _advance();
        uint32[] memory f = _fill(5, 1);
        _commitAtt(0, 1, f, f);
        bytes32 d = _attDigest(0, 1, f, f);
        bytes memory s = _sig(auditorPks[0], settlement.attestationCommitDigest(1, 0, d));
        vm.expectRevert(abi.encodeWithSelector(Settlement.AlreadyCommitted.selector, uint64(1), uint8(0)));
        settlement.commitAttestation(1, 0, d, s);
        _toRevealPhase(1);
        _revealAtt(0, 1, f, f);
        bytes32 ch = staking.committeeHash(1);
        bytes memory rs = _sig(auditorPks[0], d);
        vm.expectRevert(abi.encodeWithSelector(Settlement.AlreadyRevealed.selector, uint64(1), uint8(0)));
        settlement.revealAttestation(1, 0, ch, f, f, _evidence(0, 1), bytes32(0), _secret(0, 1), rs);
        // duplicate secret commitment
        bytes32 h = keccak256(abi.encodePacked(_secret(0, 2)));
        bytes memory ss = _sig(auditorPks[0], settlement.secretCommitDigest(2, 0, h));
        vm.expectRevert();
        settlement.commitSecret(2, 0, h, ss);
    }

    function test_rejectsHighS() public {
        _advance();
        uint32[] memory f = _fill(5, 1);
        bytes32 d = _attDigest(0, 1, f, f);
        bytes memory good = _sig(auditorPks[0], settlement.attestationCommitDigest(1, 0, d));
        bytes memory bad = _highS(good);
        vm.expectRevert();
        settlement.commitAttestation(1, 0, d, bad);
        settlement.commitAttestation(1, 0, d, good);
        _toRevealPhase(1);
        bytes memory rs = _sig(auditorPks[0], d);
        bytes memory rsHigh = _highS(rs);
        bytes32 ch = staking.committeeHash(1);
        vm.expectRevert();
        settlement.revealAttestation(1, 0, ch, f, f, _evidence(0, 1), bytes32(0), _secret(0, 1), rsHigh);
        settlement.revealAttestation(1, 0, ch, f, f, _evidence(0, 1), bytes32(0), _secret(0, 1), rs);
    }

    function _foreignDigest(uint256 chainId, address verifying, bytes32 structHash) internal pure returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("assay"),
                keccak256("1"),
                chainId,
                verifying
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function test_rejectsOtherChainAndContract() public {
        _advance();
        bytes32 d = keccak256("attestation");
        bytes32 sh = keccak256(abi.encode(settlement.ATTESTATION_COMMIT_TYPEHASH(), uint64(1), uint8(0), d));
        // our own computation matches the contract's for the right domain
        assertEq(_foreignDigest(block.chainid, address(settlement), sh), settlement.attestationCommitDigest(1, 0, d), "domain");
        bytes memory otherChain = _sig(auditorPks[0], _foreignDigest(block.chainid + 1, address(settlement), sh));
        vm.expectRevert(Settlement.BadSignature.selector);
        settlement.commitAttestation(1, 0, d, otherChain);
        bytes memory otherContract = _sig(auditorPks[0], _foreignDigest(block.chainid, address(registry), sh));
        vm.expectRevert(Settlement.BadSignature.selector);
        settlement.commitAttestation(1, 0, d, otherContract);
        // the same contract seen from another chain id (fork) rejects a signature made for this one
        bytes memory here = _sig(auditorPks[0], settlement.attestationCommitDigest(1, 0, d));
        vm.chainId(block.chainid + 5);
        vm.expectRevert(Settlement.BadSignature.selector);
        settlement.commitAttestation(1, 0, d, here);
    }

    function test_rejectsReplayIntoAnotherEpoch() public {
        _advance(); // epoch 2
        uint32[] memory f = _fill(5, 1);
        bytes32 d = _attDigest(0, 1, f, f);
        bytes memory s1 = _sig(auditorPks[0], settlement.attestationCommitDigest(1, 0, d));
        settlement.commitAttestation(1, 0, d, s1);
        _toRevealPhase(1);
        bytes memory r1 = _sig(auditorPks[0], d);
        settlement.revealAttestation(1, 0, staking.committeeHash(1), f, f, _evidence(0, 1), bytes32(0), _secret(0, 1), r1);
        _commitSecrets(3);
        _advance(); // epoch 3; epoch 2 over
        // the epoch-1 commit signature does not verify for epoch 2
        bytes32 ch2 = staking.committeeHash(2);
        vm.expectRevert(Settlement.BadSignature.selector);
        settlement.commitAttestation(2, 0, d, s1);
        // nor does the epoch-1 reveal (commit a proper digest for epoch 2 first)
        bytes32 d2 = _attDigest(0, 2, f, f);
        _commitRaw(2, 0, d2);
        _toRevealPhase(2);
        vm.expectRevert(Settlement.CommitMismatch.selector);
        settlement.revealAttestation(2, 0, ch2, f, f, _evidence(0, 1), bytes32(0), _secret(0, 1), r1);
    }

    function test_rejectsRevealNotMatchingCommit() public {
        _advance();
        uint32[] memory f = _fill(5, 1);
        uint32[] memory g = _fill(5, 2);
        _commitAtt(0, 1, f, f);
        _toRevealPhase(1);
        // different counts, correctly signed: not what was committed
        bytes32 dg = _attDigest(0, 1, g, g);
        bytes32 ch = staking.committeeHash(1);
        bytes memory sg = _sig(auditorPks[0], dg);
        vm.expectRevert(Settlement.CommitMismatch.selector);
        settlement.revealAttestation(1, 0, ch, g, g, _evidence(0, 1), bytes32(0), _secret(0, 1), sg);
        // wrong committee hash
        vm.expectRevert(abi.encodeWithSelector(Settlement.WrongCommittee.selector, uint64(1)));
        settlement.revealAttestation(1, 0, bytes32(0), f, f, _evidence(0, 1), bytes32(0), _secret(0, 1), sg);
        // passed > decided
        vm.expectRevert(Settlement.BadCounts.selector);
        settlement.revealAttestation(1, 0, ch, g, f, _evidence(0, 1), bytes32(0), _secret(0, 1), sg);
    }

    function test_rejectsWrongSecret() public {
        _advance();
        uint32[] memory f = _fill(5, 1);
        bytes32 wrong = keccak256("not the committed secret");
        bytes32 d = settlement.attestationDigest(1, staking.committeeHash(1), keccak256(abi.encode(f, f)), bytes32(0), bytes32(0), wrong);
        _commitRaw(1, 0, d);
        _toRevealPhase(1);
        bytes32 ch = staking.committeeHash(1);
        bytes memory rs = _sig(auditorPks[0], d);
        vm.expectRevert(Settlement.SecretMismatch.selector);
        settlement.revealAttestation(1, 0, ch, f, f, bytes32(0), bytes32(0), wrong, rs);
    }

    function test_rejectsLateCommitAndEarlyOrLateReveal() public {
        uint32[] memory f = _fill(5, 1);
        bytes32 d = _attDigest(0, 1, f, f);
        bytes memory s = _sig(auditorPks[0], settlement.attestationCommitDigest(1, 0, d));
        // epoch 1 not over
        vm.expectRevert(abi.encodeWithSelector(Settlement.EpochNotOver.selector, uint64(1)));
        settlement.commitAttestation(1, 0, d, s);
        _advance();
        (, uint64 commitEnd, uint64 revealEnd,) = settlement.phases(1);
        // reveal before reveal phase
        settlement.commitAttestation(1, 0, d, s);
        bytes32 ch = staking.committeeHash(1);
        bytes memory rs = _sig(auditorPks[0], d);
        vm.expectRevert(abi.encodeWithSelector(Settlement.NotRevealPhase.selector, uint64(1)));
        settlement.revealAttestation(1, 0, ch, f, f, _evidence(0, 1), bytes32(0), _secret(0, 1), rs);
        vm.warp(commitEnd);
        bytes32 d1 = _attDigest(1, 1, f, f);
        bytes memory s1 = _sig(auditorPks[1], settlement.attestationCommitDigest(1, 1, d1));
        vm.expectRevert(abi.encodeWithSelector(Settlement.LateCommit.selector, uint64(1)));
        settlement.commitAttestation(1, 1, d1, s1);
        vm.warp(revealEnd);
        vm.expectRevert(abi.encodeWithSelector(Settlement.NotRevealPhase.selector, uint64(1)));
        settlement.revealAttestation(1, 0, ch, f, f, _evidence(0, 1), bytes32(0), _secret(0, 1), rs);
    }

    function test_secretMustPrecedeEpoch() public {
        // epoch 2's secret was committed in setUp (during epoch 1); epoch 1's cannot be now
        bytes32 h = keccak256(abi.encodePacked(bytes32("x")));
        bytes memory s = _sig(auditorPks[0], settlement.secretCommitDigest(1, 0, h));
        vm.expectRevert(abi.encodeWithSelector(Settlement.SecretTooLate.selector, uint64(1)));
        settlement.commitSecret(1, 0, h, s);
        // an auditor without a secret for the epoch cannot commit an attestation
        token.mint(address(this), BOND);
        token.approve(address(settlement), BOND);
        settlement.postBond(7, BOND);
        _gov(address(settlement), abi.encodeCall(Settlement.setAuditor, (uint8(7), vm.addr(0x777), vm.addr(0x778), true)));
        _advance();
        uint32[] memory f = _fill(5, 1);
        bytes32 d = keccak256("att");
        bytes memory cs = _sig(0x777, settlement.attestationCommitDigest(1, 7, d));
        vm.expectRevert(abi.encodeWithSelector(Settlement.NoSecret.selector, uint64(1), uint8(7)));
        settlement.commitAttestation(1, 7, d, cs);
        f;
    }

    function test_finalizeRejectsWrongCountsOrAuditorList() public {
        _advance();
        (uint32[][] memory passed, uint32[][] memory decided) = _uniform(3, _fill(5, 90), _fill(5, 100));
        for (uint256 a = 0; a < 3; a++) {
            _commitAtt(uint8(a), 1, passed[a], decided[a]);
        }
        _toRevealPhase(1);
        for (uint256 a = 0; a < 3; a++) {
            _revealAtt(uint8(a), 1, passed[a], decided[a]);
        }
        uint8[] memory ids = new uint8[](3);
        (ids[0], ids[1], ids[2]) = (0, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(Settlement.DisputeWindowOpen.selector, uint64(1)));
        settlement.finalizeEpoch(1, ids, passed, decided, 5);
        _toFinalizable(1);
        // tampered counts
        uint32[][] memory p2 = new uint32[][](3);
        (p2[0], p2[1], p2[2]) = (passed[0], passed[1], _fill(5, 100));
        uint32[][] memory d2 = new uint32[][](3);
        (d2[0], d2[1], d2[2]) = (decided[0], decided[1], _fill(5, 100));
        vm.expectRevert(abi.encodeWithSelector(Settlement.CountsMismatch.selector, uint8(2)));
        settlement.finalizeEpoch(1, ids, p2, d2, 5);
        // cherry-picked auditors
        uint8[] memory two = new uint8[](2);
        (two[0], two[1]) = (0, 1);
        uint32[][] memory pp = new uint32[][](2);
        uint32[][] memory dd = new uint32[][](2);
        (pp[0], pp[1], dd[0], dd[1]) = (passed[0], passed[1], decided[0], decided[1]);
        vm.expectRevert(Settlement.BadAuditorList.selector);
        settlement.finalizeEpoch(1, two, pp, dd, 5);
        // duplicate id
        (ids[0], ids[1], ids[2]) = (0, 0, 1);
        vm.expectRevert(Settlement.BadAuditorList.selector);
        settlement.finalizeEpoch(1, ids, passed, decided, 5);
        // out of order epochs
        (ids[0], ids[1], ids[2]) = (0, 1, 2);
        _commitSecrets(3);
        _advance();
        vm.expectRevert(abi.encodeWithSelector(Settlement.OutOfOrder.selector, uint64(2), uint64(1)));
        settlement.finalizeEpoch(2, ids, passed, decided, 5);
        settlement.finalizeEpoch(1, ids, passed, decided, 5);
    }

    // ------------------------------------------------------------------ stake timing

    function test_stakeAddedAfterScoresPublicEarnsNothing() public {
        _advance(); // epoch 2: epoch 1's scores get revealed now
        (uint32[][] memory passed, uint32[][] memory decided) = _uniform(3, _fill(5, 100), _fill(5, 100));
        for (uint256 a = 0; a < 3; a++) {
            _commitAtt(uint8(a), 1, passed[a], decided[a]);
        }
        _toRevealPhase(1);
        for (uint256 a = 0; a < 3; a++) {
            _revealAtt(uint8(a), 1, passed[a], decided[a]);
        }
        // everyone can see node4 scored 100%: a late staker joins before finalization
        address late = address(0x1A7E);
        _delegate(late, _op(4), 1000e18);
        _toFinalizable(1);
        uint8[] memory ids = new uint8[](3);
        (ids[0], ids[1], ids[2]) = (0, 1, 2);
        settlement.finalizeEpoch(1, ids, passed, decided, 5);
        (uint128 st, uint128 sh,,,,) = staking.pools(_op(4));
        assertEq(st, 1000e18 + 384.75e18, "operator got epoch 1's reward (427.5 - 10%)");
        // epoch 2 settles without scores (void), then the late deposit converts at the post-epoch-1 price
        _commitSecrets(3);
        _advance();
        (,, uint64 revealEnd,) = settlement.phases(2);
        vm.warp(revealEnd);
        settlement.voidEpoch(2);
        staking.sync(_op(4), late);
        (uint256 lateShares,,,) = staking.positionOf(_op(4), late);
        (st, sh,,,,) = staking.pools(_op(4));
        uint256 value = lateShares * st / sh;
        assertLe(value, 1000e18, "late staker earned nothing from epoch 1");
        assertGe(value + 2, 1000e18, "late staker lost nothing");
        _checkStakingBooks();
    }

    function test_withdrawalCannotDodgePendingSlash() public {
        address op2 = _op(2);
        staking.sync(op2, op2);
        (uint256 shares,,,) = staking.positionOf(op2, op2);
        assertEq(shares, 300e18, "active");
        vm.prank(op2);
        staking.requestWithdrawal(op2, shares); // during epoch 1, which will be slashed
        vm.prank(op2);
        assertEq(staking.withdraw(op2), 0, "nothing before settlement");
        _advance();
        vm.prank(op2);
        assertEq(staking.withdraw(op2), 0, "nothing before epoch 1 is settled");
        (uint32[][] memory passed, uint32[][] memory decided) = _counts();
        _settle(1, 3, passed, decided);
        uint256 before = token.balanceOf(op2);
        vm.prank(op2);
        uint256 got = staking.withdraw(op2);
        assertEq(got, 270e18, "slashed 10% before paying out");
        assertEq(token.balanceOf(op2) - before, 270e18, "paid");
        _checkStakingBooks();
    }

    function _valueOf(address node, address who) internal returns (uint256) {
        staking.sync(node, who);
        (uint256 sh,,,) = staking.positionOf(node, who);
        (uint128 st, uint128 tot,,,,) = staking.pools(node);
        return sh * st / tot;
    }

    /// Deposits in consecutive epochs wait in separate buckets while settlement lags; each
    /// takes exactly the slashes of the epochs it was staked in.
    function test_depositsTakeOnlyTheirEpochsSlashes() public {
        address op4 = _op(4); // committee position 0
        address d1 = address(0xD1);
        address d2 = address(0xD2);
        _delegate(d1, op4, 500e18); // epoch 1 -> staked from 2
        _advance(); // epoch 2
        _commitSecrets(3);
        _delegate(d1, op4, 300e18); // epoch 2 -> staked from 3
        _delegate(d2, op4, 500e18); // epoch 2 -> staked from 3
        uint32[] memory p = _fill(5, 100);
        p[0] = 40; // position 0 (op4) fails
        (uint32[][] memory passed, uint32[][] memory decided) = _uniform(3, p, _fill(5, 100));
        _settle(1, 3, passed, decided); // slashes op4's epoch-1 stake only: 1000 -> 900
        // 1000 staked in epoch 1, slashed to 900; the 500 staked from epoch 2 joins unslashed
        assertEq(_stakeOf(op4), 1400e18, "epoch 1 slash hits only the 1000 staked in epoch 1");
        _advance(); // epoch 3
        (address[] memory c2,) = staking.committee(2);
        assertEq(c2[0], op4, "still position 0");
        (passed, decided) = _uniform(3, p, _fill(5, 100));
        _settle(2, 3, passed, decided); // slashes 10% of (900 + 500)
        uint256 v1 = _valueOf(op4, d1);
        uint256 v2 = _valueOf(op4, d2);
        uint256 vo = _valueOf(op4, op4);
        assertLe(v1, 750e18, "d1: 500 slashed once (450) + 300 untouched");
        assertGe(v1 + 2, 750e18, "d1 rounding");
        assertLe(v2, 500e18, "d2 untouched");
        assertGe(v2 + 2, 500e18, "d2 rounding");
        assertLe(vo, 810e18, "operator slashed twice");
        assertGe(vo + 2, 810e18, "operator rounding");
        _checkStakingBooks();
    }

    /// A commission change applies to rewards from two epochs later, not to the epoch
    /// being settled now.
    function test_commissionChangeAppliesTwoEpochsLater() public {
        address op4 = _op(4);
        vm.prank(op4);
        staking.setCommission(5000); // in epoch 1: applies from epoch 3
        _advance(); // epoch 2
        (uint32[][] memory passed, uint32[][] memory decided) = _uniform(3, _fill(5, 100), _fill(5, 100));
        _settle(1, 3, passed, decided);
        (,,,, uint128 comm,) = staking.pools(op4);
        assertEq(comm, 42.75e18, "epoch 1 at 10%");
        assertEq(staking.commissionAt(op4, 3), 5000, "from 3");
        assertEq(staking.commissionAt(op4, 2), 1000, "not at 2");
    }

    // ------------------------------------------------------------------ pause and roles

    function test_pauseStopsFinalizationAndFunding() public {
        _advance();
        (uint32[][] memory passed, uint32[][] memory decided) = _uniform(3, _fill(5, 100), _fill(5, 100));
        for (uint256 a = 0; a < 3; a++) {
            _commitAtt(uint8(a), 1, passed[a], decided[a]);
        }
        _toRevealPhase(1);
        for (uint256 a = 0; a < 3; a++) {
            _revealAtt(uint8(a), 1, passed[a], decided[a]);
        }
        _toFinalizable(1);
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(Governed.NotGuardian.selector, user));
        settlement.pause();
        vm.prank(guardian);
        settlement.pause();
        uint8[] memory ids = new uint8[](3);
        (ids[0], ids[1], ids[2]) = (0, 1, 2);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        settlement.finalizeEpoch(1, ids, passed, decided, 5);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        settlement.fundEpochs(5, 6, 1);
        // the guardian cannot unpause; the timelock can
        vm.prank(guardian);
        vm.expectRevert();
        settlement.unpause();
        _gov(address(settlement), abi.encodeCall(Governed.unpause, ()));
        settlement.finalizeEpoch(1, ids, passed, decided, 5);
        assertEq(staking.settledCount(), 2, "settled after unpause");
    }

    function test_paramsOnlyThroughTimelock() public {
        Settlement.Params memory p = _defaultParams();
        p.r0Bps = 9000;
        vm.expectRevert();
        settlement.setParams(p);
        vm.prank(gov);
        vm.expectRevert();
        settlement.setParams(p);
        vm.prank(guardian);
        vm.expectRevert();
        settlement.setParams(p);
        vm.prank(gov);
        vm.expectRevert();
        settlement.setAuditor(5, address(1), address(1), true);
        // scheduling then executing before the delay fails
        bytes memory data = abi.encodeCall(Settlement.setParams, (p));
        vm.prank(gov);
        timelock.schedule(address(settlement), 0, data, bytes32(0), bytes32(uint256(99)), TL_DELAY);
        vm.expectRevert();
        timelock.execute(address(settlement), 0, data, bytes32(0), bytes32(uint256(99)));
        vm.warp(_now() + TL_DELAY);
        timelock.execute(address(settlement), 0, data, bytes32(0), bytes32(uint256(99)));
        (uint16 r0,,,,,,,) = settlement.params();
        assertEq(r0, 9000, "r0 changed");
        // invalid values are refused even from the timelock
        p.penaltyBps = 9500;
        data = abi.encodeCall(Settlement.setParams, (p));
        vm.prank(gov);
        timelock.schedule(address(settlement), 0, data, bytes32(0), bytes32(uint256(100)), TL_DELAY);
        vm.warp(_now() + TL_DELAY);
        vm.expectRevert();
        timelock.execute(address(settlement), 0, data, bytes32(0), bytes32(uint256(100)));
    }

    function test_onlySettlementMovesStakes() public {
        vm.expectRevert(Staking.NotSettlement.selector);
        staking.settleNode(1, _op(0), 1, 0);
        vm.expectRevert(Staking.NotSettlement.selector);
        staking.markSettled(1);
        vm.expectRevert(Staking.NotDeployer.selector);
        vm.prank(user);
        staking.bindSettlement(user);
    }

    // ------------------------------------------------------------------ fuzz

    /// With 2f+1 = 3 auditors of which two are honest and agree, the third cannot move
    /// the median anywhere.
    function testFuzz_liarCannotMoveMedian(uint32 hp, uint32 hd, uint32 lp, uint32 ld, uint8 liarPos) public view {
        hd = uint32(bound(hd, 1, 1e6));
        hp = uint32(bound(hp, 0, hd));
        ld = uint32(bound(ld, 0, 1e6));
        lp = uint32(bound(lp, 0, ld));
        uint32[][] memory p = new uint32[][](3);
        uint32[][] memory d = new uint32[][](3);
        for (uint256 a = 0; a < 3; a++) {
            p[a] = new uint32[](1);
            d[a] = new uint32[](1);
            (p[a][0], d[a][0]) = (hp, hd);
        }
        uint256 l = liarPos % 3;
        (p[l][0], d[l][0]) = (lp, ld);
        assertEq(settlement.medianScore(0, p, d), uint256(hp) * 1e18 / hd, "median");
    }

    /// 2f+1 = 7 auditors (f = 3): up to f liars keep the median within the honest range.
    function testFuzz_fLiarsStayInHonestRange(uint256 seed) public view {
        uint32[][] memory p = new uint32[][](7);
        uint32[][] memory d = new uint32[][](7);
        uint256 lo = type(uint256).max;
        uint256 hi = 0;
        for (uint256 a = 0; a < 7; a++) {
            p[a] = new uint32[](1);
            d[a] = new uint32[](1);
            uint256 r = uint256(keccak256(abi.encode(seed, a)));
            d[a][0] = uint32(1 + r % 1000);
            p[a][0] = uint32((r >> 64) % (uint256(d[a][0]) + 1));
            if (a >= 3) {
                uint256 s = uint256(p[a][0]) * 1e18 / d[a][0];
                if (s < lo) lo = s;
                if (s > hi) hi = s;
            } else if (r % 2 == 0) {
                (p[a][0], d[a][0]) = (0, 1); // liar says 0
            } else {
                (p[a][0], d[a][0]) = (1, 1); // liar says 1
            }
        }
        uint256 med = settlement.medianScore(0, p, d);
        assertGe(med, lo, "above honest min");
        assertLe(med, hi, "below honest max");
    }

    /// Total rewards never exceed the node pool, whatever the scores.
    function testFuzz_rewardsNeverExceedPool(uint256 seed) public {
        _advance();
        uint32[][] memory passed = new uint32[][](3);
        uint32[][] memory decided = new uint32[][](3);
        for (uint256 a = 0; a < 3; a++) {
            passed[a] = new uint32[](5);
            decided[a] = new uint32[](5);
            for (uint256 i = 0; i < 5; i++) {
                uint256 r = uint256(keccak256(abi.encode(seed, a, i)));
                decided[a][i] = uint32(r % 300);
                passed[a][i] = uint32(r % 2 == 0 ? decided[a][i] : (r >> 32) % (uint256(decided[a][i]) + 1));
            }
        }
        uint256 before = token.balanceOf(address(settlement));
        _settle(1, 3, passed, decided);
        (uint128 pool, uint128 nodePool, uint128 auditorPool, uint128 paid) = _state(1);
        assertLe(paid, nodePool, "paid <= node pool");
        assertEq(pool, uint256(nodePool) + auditorPool, "split");
        // Settlement's balance: what it held, minus what went to Staking
        assertEq(token.balanceOf(address(settlement)), before - paid, "settlement balance");
        _checkStakingBooks();
    }

    function _state(uint64 e) internal view returns (uint128 pool, uint128 nodePool, uint128 auditorPool, uint128 paid) {
        (,,,,, pool, nodePool, auditorPool, paid) = settlement.epochStates(e);
    }
}
