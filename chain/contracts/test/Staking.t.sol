// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Base.sol";
import {Staking} from "../src/Staking.sol";
import {Governed} from "../src/Governed.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

contract StakingTest is Fixture {
    function setUp() public {
        maxMoves = 3;
        _deploy();
    }

    function _counts(uint64 e) internal view returns (address[] memory nodes, uint16[] memory counts) {
        return staking.committee(e);
    }

    /// Shard counts agree with the owner array, and sum to n.
    function _checkShards(uint64 e) internal view {
        (address[] memory nodes, uint16[] memory counts) = staking.committee(e);
        bytes memory owners = staking.shardOwnerIndices(e);
        if (nodes.length == 0) {
            assertEq(owners.length, 0, "no owners");
            return;
        }
        assertEq(owners.length, nShards, "owner array length");
        uint256[] memory seen = new uint256[](nodes.length);
        for (uint256 s = 0; s < owners.length; s++) {
            seen[uint8(owners[s])]++;
        }
        uint256 total;
        for (uint256 i = 0; i < nodes.length; i++) {
            assertEq(seen[i], counts[i], "count matches owners");
            total += counts[i];
        }
        assertEq(total, nShards, "all shards assigned");
    }

    function test_committeeFromNextEpoch() public {
        _registerNodes(3, 100e18);
        (address[] memory n0,) = _counts(0);
        assertEq(n0.length, 0, "genesis committee empty");
        _advance();
        (address[] memory n1, uint16[] memory c1) = _counts(1);
        assertEq(n1.length, 3, "committee of 3");
        assertEq(c1[0] + c1[1] + c1[2], 20, "20 shards");
        _checkShards(1);
        assertEq(staking.committeeHash(1), keccak256(abi.encode(n1)), "committee hash rule");
        // the initial assignment is not a move: nothing in grace
        assertEq(staking.graceBitmap(1).length, 0, "no grace");
        // a delegation made now only counts from the next epoch
        address d = address(0xD1);
        _delegate(d, _op(0), 5000e18);
        (,,,,, uint256 stakeNow, uint256 next) = staking.nodeInfo(_op(0));
        assertEq(stakeNow, 0, "pool untouched until epochs settle");
        assertEq(next, 5100e18, "counts for the next committee");
    }

    function test_minStakeAndCandidates() public {
        token.mint(user, 50e18);
        vm.startPrank(user);
        token.approve(address(staking), type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(Staking.StakeBelowMinimum.selector, 50e18, 100e18));
        staking.registerNode(address(1), "https://x", 0, 50e18);
        vm.stopPrank();
        _registerNodes(2, 100e18);
        vm.prank(_op(0));
        vm.expectRevert(abi.encodeWithSelector(Staking.NodeAlreadyRegistered.selector, _op(0)));
        staking.registerNode(address(1), "https://x", 0, 100e18);
        // a node whose stake drops below the minimum leaves (once its shards moved)
        _advance();
        _voidGenesis();
        staking.sync(_op(1), _op(1));
        vm.prank(_op(1));
        staking.requestWithdrawal(_op(1), 1e18);
        _advance();
        (address[] memory n2, uint16[] memory c2) = _counts(2);
        assertEq(n2.length, 2, "still there while holding shards");
        assertTrue(c2[1] < 10, "shards moving away");
        _checkShards(2);
    }

    function test_committeeCapTakesLargestStake() public {
        // cap = min(n, 256) = 20 here; register 23 nodes with distinct stakes
        for (uint256 i = 0; i < 23; i++) {
            _registerNode(100e18 + i * 1e18);
        }
        _advance();
        (address[] memory nodes, uint16[] memory counts) = _counts(1);
        assertEq(nodes.length, 20, "capped at n");
        assertEq(nodes[0], _op(22), "largest first");
        for (uint256 i = 0; i < 20; i++) {
            assertEq(counts[i], 1, "one shard each");
            assertTrue(nodes[i] != _op(0) && nodes[i] != _op(1) && nodes[i] != _op(2), "smallest left out");
        }
        _checkShards(1);
    }

    function test_stickyAssignment() public {
        _registerNodes(4, 100e18);
        _advance();
        bytes memory o1 = staking.shardOwnerIndices(1);
        _voidGenesis();
        // a small drift (within 5% of shards misplaced) moves nothing
        _delegate(user, _op(0), 10e18);
        _advance();
        bytes memory o2 = staking.shardOwnerIndices(2);
        assertEq(keccak256(o1), keccak256(o2), "no move");
        assertEq(staking.graceBitmap(2).length, 0, "no grace");
        assertEq(staking.committeeHash(2), staking.committeeHash(1), "same committee");
    }

    function test_driftBeyondBoundMovesBoundedShards() public {
        _registerNodes(4, 100e18); // 5 shards each
        _advance();
        _voidGenesis();
        _delegate(user, _op(3), 700e18); // op3 now wants 1 + 16*800/1100 = 12 shards
        _advance();
        (address[] memory nodes, uint16[] memory counts) = _counts(2);
        uint256 j = nodes[0] == _op(3) ? 0 : (nodes[1] == _op(3) ? 1 : (nodes[2] == _op(3) ? 2 : 3));
        assertEq(nodes[j], _op(3), "op3 found");
        assertEq(counts[j], 5 + 3, "at most maxShardMoves = 3 moved");
        _checkShards(2);
        uint256[] memory g = staking.graceBitmap(2);
        uint256 inGrace;
        bytes memory owners = staking.shardOwnerIndices(2);
        bytes memory before = staking.shardOwnerIndices(1);
        for (uint256 s = 0; s < nShards; s++) {
            bool moved = owners[s] != before[s];
            assertTrue(moved == staking.inGrace(2, s), "grace = moved shards");
            assertTrue(moved == ((g[0] >> s) & 1 == 1), "bitmap");
            if (moved) {
                inGrace++;
                assertEq(uint8(owners[s]), j, "moved to op3");
            }
        }
        assertEq(inGrace, 3, "three in grace");
        // next epoch: the drift continues to close
        _voidNoQuorum(1);
        _advance();
        (, counts) = _counts(3);
        assertEq(counts[j], 11, "three more");
        _checkShards(3);
    }

    function test_leavingNodeDrainsThenDrops() public {
        _registerNodes(3, 100e18); // 7, 7, 6
        _advance();
        _voidGenesis();
        vm.prank(_op(0));
        staking.setActive(false);
        vm.prank(_op(0));
        vm.expectRevert(abi.encodeWithSelector(Staking.StillInCommittee.selector, _op(0)));
        staking.unlist();
        uint64 e = 1;
        uint256 left = 7;
        while (left > 0) {
            _advance();
            e++;
            _voidNoQuorum(e - 1);
            (address[] memory nodes, uint16[] memory counts) = _counts(e);
            _checkShards(e);
            left = left > 3 ? left - 3 : 0;
            if (left > 0) {
                assertEq(nodes[0], _op(0), "departing stays while holding shards");
                assertEq(counts[0], left, "drained by at most 3 per epoch");
            }
        }
        _advance();
        (address[] memory last,) = _counts(e + 1);
        assertEq(last.length, 2, "dropped once drained");
        vm.prank(_op(0));
        staking.unlist();
        assertEq(staking.candidateCount(), 2, "slot freed");
    }

    function test_seedRecordedAndFallback() public {
        _registerNodes(1, 100e18);
        _advance(); // epoch 1
        (bytes32 seed, uint64 seedBlock, uint8 src) = staking.epochSeed(1);
        assertEq(src, 0, "not yet");
        assertEq(seedBlock, _blk() + 5, "seed block = advance block + seedDelay");
        vm.expectRevert(abi.encodeWithSelector(Staking.SeedNotReady.selector, uint64(1)));
        staking.recordSeed(1);
        vm.roll(seedBlock + 1);
        staking.recordSeed(1);
        (seed,, src) = staking.epochSeed(1);
        assertEq(src, 1, "blockhash");
        assertEq(seed, blockhash(seedBlock), "seed = blockhash(seedBlock)");
        // epoch 2: nobody touches it for more than 256 blocks -> fallback rule
        vm.warp(_now() + DAY);
        staking.advanceEpoch();
        (, uint64 sb2,) = staking.epochSeed(2);
        vm.roll(sb2 + 300);
        staking.recordSeed(2);
        bytes32 s2;
        (s2,, src) = staking.epochSeed(2);
        assertEq(src, 2, "fallback");
        assertEq(s2, keccak256(abi.encode(seed, uint64(2))), "seed = keccak(prevSeed, epoch)");
        // the next advance records opportunistically
        vm.warp(_now() + DAY);
        staking.advanceEpoch();
        (, uint64 sb3,) = staking.epochSeed(3);
        vm.roll(sb3 + 1);
        _delegate(user, _op(0), 1e18); // any touching transaction records it
        (,, src) = staking.epochSeed(3);
        assertEq(src, 1, "recorded by delegate");
    }

    function test_advanceOnlyWhenTimeIsUp() public {
        (uint64 start, uint64 dur,,,,,) = staking.epochInfo(0);
        vm.warp(start + dur - 1);
        vm.expectRevert(abi.encodeWithSelector(Staking.EpochNotOver.selector, uint64(0), uint256(start + dur)));
        staking.advanceEpoch();
        vm.warp(start + dur);
        vm.prank(address(0xAAAA)); // anyone
        staking.advanceEpoch();
        assertEq(staking.currentEpoch(), 1, "advanced");
    }

    function test_commissionTwoEpochsLater() public {
        _registerNodes(1, 100e18);
        assertEq(staking.commissionAt(_op(0), 0), 1000, "initial");
        vm.prank(_op(0));
        staking.setCommission(2500);
        assertEq(staking.commissionAt(_op(0), 1), 1000, "unchanged next epoch");
        assertEq(staking.commissionAt(_op(0), 2), 2500, "two epochs later");
        _advance();
        vm.prank(_op(0));
        staking.setCommission(500);
        assertEq(staking.commissionAt(_op(0), 2), 2500, "history kept");
        assertEq(staking.commissionAt(_op(0), 3), 500, "new one at 3");
    }

    function test_withdrawWaitsForSettlement() public {
        _registerNodes(1, 100e18);
        address d = address(0xD1);
        _delegate(d, _op(0), 50e18);
        _advance(); // epoch 1: d staked
        _voidGenesis();
        staking.sync(_op(0), d);
        (uint256 sh,,,) = staking.positionOf(_op(0), d);
        assertEq(sh, 50e18, "shares at 1:1");
        vm.prank(d);
        staking.requestWithdrawal(_op(0), sh);
        vm.prank(d);
        assertEq(staking.withdraw(_op(0)), 0, "epoch 1 not settled");
        _advance();
        vm.prank(d);
        assertEq(staking.withdraw(_op(0)), 0, "epoch 1 still not settled");
        (,, uint64 revealEnd,) = settlement.phases(1);
        vm.warp(revealEnd);
        settlement.voidEpoch(1);
        vm.prank(d);
        assertEq(staking.withdraw(_op(0)), 50e18, "paid once settled");
        assertEq(token.balanceOf(d), 50e18, "balance");
        _checkStakingBooks();
    }

    function test_pauseStopsDepositsAndRegistrations() public {
        _registerNodes(1, 100e18);
        vm.prank(guardian);
        staking.pause();
        token.mint(user, 200e18);
        vm.startPrank(user);
        token.approve(address(staking), type(uint256).max);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        staking.delegate(_op(0), 1e18);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        staking.registerNode(address(1), "https://x", 0, 100e18);
        vm.stopPrank();
        vm.prank(guardian);
        vm.expectRevert();
        staking.unpause();
        _gov(address(staking), abi.encodeCall(Governed.unpause, ()));
        _delegate(user, _op(0), 1e18);
    }

    function test_paramsOnlyThroughTimelock() public {
        vm.expectRevert();
        staking.setParams(2 days, 1e18, 10, 100, 5);
        vm.prank(gov);
        vm.expectRevert();
        staking.setParams(2 days, 1e18, 10, 100, 5);
        vm.prank(guardian);
        vm.expectRevert();
        staking.setParams(2 days, 1e18, 10, 100, 5);
        vm.prank(gov);
        vm.expectRevert();
        staking.renounceOwnership();
        _gov(address(staking), abi.encodeCall(Staking.setParams, (2 days, 1e18, 10, 100, 5)));
        assertEq(staking.epochDuration(), 2 days, "duration");
        assertEq(staking.minStake(), 1e18, "min stake");
    }

    function _ownerAddrs(uint64 e) internal view returns (address[] memory a) {
        (address[] memory nodes,) = staking.committee(e);
        bytes memory idx = staking.shardOwnerIndices(e);
        a = new address[](idx.length);
        for (uint256 s = 0; s < idx.length; s++) {
            a[s] = nodes[uint8(idx[s])];
        }
    }

    /// Random stakes, joins, leaves and stake changes over several epochs: every shard is
    /// always owned, counts match owners, at most maxShardMoves shards change owner per
    /// epoch, and exactly those are in grace.
    function testFuzz_assignmentStaysConsistent(uint256 seed) public {
        for (uint256 i = 0; i < 6; i++) {
            _registerNode(100e18 + (uint256(keccak256(abi.encode(seed, i))) % 900e18));
        }
        _advance();
        _checkShards(1);
        for (uint64 e = 2; e <= 7; e++) {
            uint256 r = uint256(keccak256(abi.encode(seed, "epoch", e)));
            if (r % 3 == 0) {
                vm.prank(_op(r % ops.length));
                staking.setActive(false);
            } else if (r % 3 == 1) {
                _registerNode(100e18 + (r >> 8) % 900e18);
            } else {
                _delegate(user, _op((r >> 16) % ops.length), (r >> 24) % 2000e18 + 1);
            }
            if (r % 5 == 0) {
                vm.prank(_op((r >> 40) % ops.length));
                staking.setActive(true);
            }
            address[] memory before = _ownerAddrs(e - 1);
            _advance();
            _checkShards(e);
            address[] memory afterOwners = _ownerAddrs(e);
            uint256 moved;
            for (uint256 s = 0; s < nShards; s++) {
                bool m = before.length > 0 && afterOwners.length > 0 && before[s] != afterOwners[s];
                assertTrue(m == staking.inGrace(e, s), "grace = moved");
                if (m) moved++;
            }
            assertLe(moved, maxMoves, "bounded moves");
        }
    }

    /// Deposits and withdrawals across voided epochs give back exactly what went in.
    function testFuzz_stakeConservation(uint96 a1, uint96 a2, uint96 w1) public {
        _registerNodes(2, 100e18);
        uint256 x = bound(a1, 1, 1e27);
        uint256 y = bound(a2, 1, 1e27);
        address d1 = address(0xD1);
        address d2 = address(0xD2);
        _delegate(d1, _op(0), x);
        _advance();
        _voidGenesis();
        _delegate(d2, _op(0), y);
        staking.sync(_op(0), d1);
        (uint256 sh1,,,) = staking.positionOf(_op(0), d1);
        uint256 part = bound(w1, 1, sh1);
        vm.prank(d1);
        staking.requestWithdrawal(_op(0), part);
        _checkStakingBooks();
        _advance();
        (,, uint64 revealEnd,) = settlement.phases(1);
        vm.warp(revealEnd);
        settlement.voidEpoch(1);
        _checkStakingBooks();
        staking.sync(_op(0), d1);
        staking.sync(_op(0), d2);
        (uint256 rest,,,) = staking.positionOf(_op(0), d1);
        (uint256 sh2,,,) = staking.positionOf(_op(0), d2);
        if (rest > 0) {
            vm.prank(d1);
            staking.requestWithdrawal(_op(0), rest);
        }
        vm.prank(d2);
        staking.requestWithdrawal(_op(0), sh2);
        _advance();
        (,, revealEnd,) = settlement.phases(2);
        vm.warp(revealEnd);
        settlement.voidEpoch(2);
        vm.prank(d1);
        staking.withdraw(_op(0));
        vm.prank(d1);
        staking.withdraw(_op(0));
        vm.prank(d2);
        staking.withdraw(_op(0));
        assertEq(token.balanceOf(d1), x, "d1 whole");
        assertEq(token.balanceOf(d2), y, "d2 whole");
        _checkStakingBooks();
    }
}

contract StakingCapTest is Fixture {
    function setUp() public {
        nShards = 40;
        cap = 8;
        maxCand = 12;
        _deploy();
    }

    function test_explicitCapAndCandidateBound() public {
        for (uint256 i = 0; i < 12; i++) {
            _registerNode(100e18 + i * 1e18);
        }
        token.mint(user, 100e18);
        vm.startPrank(user);
        token.approve(address(staking), type(uint256).max);
        vm.expectRevert(Staking.TooManyCandidates.selector);
        staking.registerNode(address(1), "https://x", 0, 100e18);
        vm.stopPrank();
        _advance();
        (address[] memory nodes, uint16[] memory counts) = staking.committee(1);
        assertEq(nodes.length, 8, "cap 8");
        uint256 total;
        for (uint256 i = 0; i < 8; i++) {
            assertEq(nodes[i], _op(11 - i), "by stake");
            total += counts[i];
        }
        assertEq(total, 40, "all shards");
    }
}
