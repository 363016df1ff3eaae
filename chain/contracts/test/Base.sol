// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {TestToken} from "../src/TestToken.sol";
import {Staking} from "../src/Staking.sol";
import {Settlement} from "../src/Settlement.sol";
import {BlobRegistry} from "../src/BlobRegistry.sol";
import {AssayTimelock} from "../src/AssayTimelock.sol";

/// Minimal forge cheatcode interface (no forge-std).
interface Vm {
    function warp(uint256) external;
    function roll(uint256) external;
    function prank(address) external;
    function startPrank(address) external;
    function stopPrank() external;
    function expectRevert() external;
    function expectRevert(bytes4) external;
    function expectRevert(bytes calldata) external;
    function sign(uint256 pk, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    function addr(uint256 pk) external pure returns (address);
    function assume(bool) external pure;
    function chainId(uint256) external;
    function label(address, string calldata) external;
    function pauseGasMetering() external;
    function getBlockTimestamp() external view returns (uint256);
    function getBlockNumber() external view returns (uint256);
    function resumeGasMetering() external;
}

/// Tiny assertion helpers.
abstract contract Assertions {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    error AssertionFailed(string what, uint256 a, uint256 b);

    function assertEq(uint256 a, uint256 b, string memory what) internal pure {
        if (a != b) revert AssertionFailed(what, a, b);
    }

    function assertEq(address a, address b, string memory what) internal pure {
        if (a != b) revert AssertionFailed(what, uint160(a), uint160(b));
    }

    function assertEq(bytes32 a, bytes32 b, string memory what) internal pure {
        if (a != b) revert AssertionFailed(what, uint256(a), uint256(b));
    }

    function assertTrue(bool c, string memory what) internal pure {
        if (!c) revert AssertionFailed(what, 0, 1);
    }

    function assertLe(uint256 a, uint256 b, string memory what) internal pure {
        if (a > b) revert AssertionFailed(what, a, b);
    }

    function assertGe(uint256 a, uint256 b, string memory what) internal pure {
        if (a < b) revert AssertionFailed(what, a, b);
    }

    /// block.timestamp / block.number read through cheatcodes: via-IR may reuse a value
    /// read before a vm.warp / vm.roll in the same function.
    function _now() internal view returns (uint256) {
        return vm.getBlockTimestamp();
    }

    function _blk() internal view returns (uint256) {
        return vm.getBlockNumber();
    }

    function bound(uint256 x, uint256 lo, uint256 hi) internal pure returns (uint256) {
        if (hi <= lo) return lo;
        return lo + x % (hi - lo + 1);
    }
}

/// Deploys the whole system the way INTERFACE.md describes and offers the flow helpers
/// (register, advance, secrets, commit, reveal, finalize).
abstract contract Fixture is Assertions {
    uint256 internal constant SECP_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
    address internal constant BURN = 0x000000000000000000000000000000000000dEaD;
    uint256 internal constant DAY = 1 days;
    uint256 internal constant TL_DELAY = 1 hours;
    uint256 internal constant BOND = 1000e18;
    uint16 internal constant DISPUTER_BPS = 2000;

    TestToken internal token;
    AssayTimelock internal timelock;
    Staking internal staking;
    Settlement internal settlement;
    BlobRegistry internal registry;

    address internal gov = address(0x600D);
    address internal guardian = address(0x6A4D);
    address internal user = address(0xB0B);

    uint16 internal nShards = 20;
    uint16 internal cap = 256;
    uint16 internal maxCand = 300;
    uint128 internal minStake = 100e18;
    uint16 internal maxMoves = 50;
    uint16 internal driftBps = 500;
    uint256 internal nAuditors = 3;
    uint8 internal fA = 1;
    uint256 internal price = 1e15;

    address[] internal ops;
    uint256[] internal nodePks;
    uint256[] internal auditorPks;
    uint256 internal saltNonce;

    function _defaultParams() internal view returns (Settlement.Params memory) {
        return Settlement.Params({
            r0Bps: 8000,
            penaltyBps: 5000,
            slashBps: 1000,
            auditorBps: 500,
            fA: fA,
            commitWindow: 1 hours,
            revealWindow: 1 hours,
            disputeWindow: 2 hours
        });
    }

    function _deploy() internal {
        vm.warp(1_700_000_000);
        vm.roll(1000);
        token = new TestToken("Assay Test", "TST");
        address[] memory proposers = new address[](1);
        proposers[0] = gov;
        address[] memory executors = new address[](1);
        executors[0] = address(0);
        timelock = new AssayTimelock(TL_DELAY, proposers, executors, address(0));
        staking = new Staking(
            token, address(timelock), guardian, nShards, cap, maxCand, uint64(DAY), minStake, maxMoves, driftBps, 5
        );
        settlement = new Settlement(token, staking, address(timelock), guardian, _defaultParams());
        staking.bindSettlement(address(settlement));
        registry = new BlobRegistry(token, staking, settlement, address(timelock), guardian, price);
        _gov(address(settlement), abi.encodeCall(Settlement.setBondParams, (BOND, DISPUTER_BPS)));
        for (uint256 a = 0; a < nAuditors; a++) {
            auditorPks.push(0xA0D1700 + a);
            _postBond(uint8(a), BOND);
            _gov(
                address(settlement),
                abi.encodeCall(Settlement.setAuditor, (uint8(a), vm.addr(0xA0D1700 + a), vm.addr(0xFA7 + a), true))
            );
        }
    }

    /// Mints `amount` to the auditor's payee and posts it as the auditor's bond.
    function _postBond(uint8 a, uint256 amount) internal {
        address payee = vm.addr(0xFA7 + a);
        token.mint(payee, amount);
        vm.startPrank(payee);
        token.approve(address(settlement), amount);
        settlement.postBond(a, amount);
        vm.stopPrank();
    }

    /// Runs `data` on `target` through the timelock (schedule, wait, execute).
    function _gov(address target, bytes memory data) internal {
        bytes32 salt = bytes32(++saltNonce);
        vm.prank(gov);
        timelock.schedule(target, 0, data, bytes32(0), salt, TL_DELAY);
        vm.warp(_now() + TL_DELAY);
        timelock.execute(target, 0, data, bytes32(0), salt);
    }

    function _op(uint256 i) internal pure returns (address) {
        return address(uint160(0x10000 + i));
    }

    function _registerNodes(uint256 k, uint256 stakeEach) internal {
        for (uint256 i = 0; i < k; i++) {
            _registerNode(stakeEach);
        }
    }

    function _registerNode(uint256 stakeAmt) internal returns (address op) {
        uint256 i = ops.length;
        op = _op(i);
        uint256 pk = 0x5EED0000 + i;
        ops.push(op);
        nodePks.push(pk);
        token.mint(op, stakeAmt);
        vm.startPrank(op);
        token.approve(address(staking), type(uint256).max);
        staking.registerNode(vm.addr(pk), "https://node.example:9185", 1000, stakeAmt);
        vm.stopPrank();
    }

    function _delegate(address who, address node, uint256 amount) internal {
        token.mint(who, amount);
        vm.startPrank(who);
        token.approve(address(staking), type(uint256).max);
        staking.delegate(node, amount);
        vm.stopPrank();
    }

    function _fund(uint64 fromEpoch, uint64 toEpoch, uint256 perEpoch) internal {
        token.mint(user, perEpoch * (toEpoch - fromEpoch));
        vm.startPrank(user);
        token.approve(address(settlement), type(uint256).max);
        settlement.fundEpochs(fromEpoch, toEpoch, perEpoch);
        vm.stopPrank();
    }

    function _advance() internal {
        uint64 cur = staking.currentEpoch();
        (uint64 start, uint64 dur,,,,,) = staking.epochInfo(cur);
        if (_now() < start + dur) vm.warp(start + dur);
        vm.roll(_blk() + 10);
        staking.advanceEpoch();
    }

    function _sig(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function _highS(bytes memory sig) internal pure returns (bytes memory) {
        bytes32 r;
        bytes32 s;
        uint8 v;
        assembly {
            r := mload(add(sig, 32))
            s := mload(add(sig, 64))
            v := byte(0, mload(add(sig, 96)))
        }
        return abi.encodePacked(r, bytes32(SECP_N - uint256(s)), v == 27 ? uint8(28) : uint8(27));
    }

    function _secret(uint8 a, uint64 e) internal pure returns (bytes32) {
        return keccak256(abi.encode("secret", a, e));
    }

    function _commitSecret(uint8 a, uint64 e) internal {
        bytes32 h = keccak256(abi.encodePacked(_secret(a, e)));
        bytes memory sig = _sig(auditorPks[a], settlement.secretCommitDigest(e, a, h));
        settlement.commitSecret(e, a, h, sig);
    }

    function _commitSecrets(uint64 e) internal {
        for (uint256 a = 0; a < nAuditors; a++) {
            _commitSecret(uint8(a), e);
        }
    }

    function _evidence(uint8 a, uint64 e) internal pure returns (bytes32) {
        return keccak256(abi.encode("evidence", a, e));
    }

    function _attDigest(uint8 a, uint64 e, uint32[] memory passed, uint32[] memory decided)
        internal
        view
        returns (bytes32)
    {
        return settlement.attestationDigest(
            e, staking.committeeHash(e), keccak256(abi.encode(passed, decided)), _evidence(a, e), bytes32(0), _secret(a, e)
        );
    }

    function _commitAtt(uint8 a, uint64 e, uint32[] memory passed, uint32[] memory decided) internal {
        _commitRaw(e, a, _attDigest(a, e, passed, decided));
    }

    function _commitRaw(uint64 e, uint8 a, bytes32 d) internal {
        bytes memory sig = _sig(auditorPks[a], settlement.attestationCommitDigest(e, a, d));
        settlement.commitAttestation(e, a, d, sig);
    }

    function _revealAtt(uint8 a, uint64 e, uint32[] memory passed, uint32[] memory decided) internal {
        bytes memory sig = _sig(auditorPks[a], _attDigest(a, e, passed, decided));
        bytes32 ch = staking.committeeHash(e);
        settlement.revealAttestation(e, a, ch, passed, decided, _evidence(a, e), bytes32(0), _secret(a, e), sig);
    }

    function _toRevealPhase(uint64 e) internal {
        (, uint64 commitEnd,,) = settlement.phases(e);
        if (_now() < commitEnd) vm.warp(commitEnd);
    }

    function _toFinalizable(uint64 e) internal {
        (,,, uint64 disputeEnd) = settlement.phases(e);
        if (_now() < disputeEnd) vm.warp(disputeEnd);
    }

    /// Commits and reveals for auditors [0, k) with the given counts, then finalizes in one call.
    function _settle(uint64 e, uint256 k, uint32[][] memory passed, uint32[][] memory decided) internal {
        for (uint256 a = 0; a < k; a++) {
            _commitAtt(uint8(a), e, passed[a], decided[a]);
        }
        _toRevealPhase(e);
        for (uint256 a = 0; a < k; a++) {
            _revealAtt(uint8(a), e, passed[a], decided[a]);
        }
        _toFinalizable(e);
        uint8[] memory ids = new uint8[](k);
        for (uint256 a = 0; a < k; a++) {
            ids[a] = uint8(a);
        }
        settlement.finalizeEpoch(e, ids, passed, decided, staking.committeeSize(e));
    }

    /// Same counts for every auditor.
    function _uniform(uint256 k, uint32[] memory p, uint32[] memory d)
        internal
        pure
        returns (uint32[][] memory passed, uint32[][] memory decided)
    {
        passed = new uint32[][](k);
        decided = new uint32[][](k);
        for (uint256 a = 0; a < k; a++) {
            passed[a] = p;
            decided[a] = d;
        }
    }

    function _fill(uint256 m, uint32 v) internal pure returns (uint32[] memory x) {
        x = new uint32[](m);
        for (uint256 i = 0; i < m; i++) {
            x[i] = v;
        }
    }

    /// Staking's token balance equals everything it owes (pool stakes, pending deposits,
    /// commission, priced withdrawals).
    function _checkStakingBooks() internal view {
        uint256 owed;
        for (uint256 i = 0; i < ops.length; i++) {
            (uint128 st,,, uint128 pend, uint128 comm, uint128 wd) = staking.pools(ops[i]);
            owed += uint256(st) + pend + comm + wd;
        }
        assertEq(token.balanceOf(address(staking)), owed, "staking books");
    }

    /// epoch 0 has no committee: void it so later epochs can settle.
    /// Voids `e` once its reveal window closed without reveals.
    function _voidNoQuorum(uint64 e) internal {
        (,, uint64 revealEnd,) = settlement.phases(e);
        if (_now() < revealEnd) vm.warp(revealEnd);
        settlement.voidEpoch(e);
    }

    function _voidGenesis() internal {
        if (staking.currentEpoch() == 0) _advance();
        settlement.voidEpoch(0);
    }
}
