// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Base.sol";
import {Staking} from "../src/Staking.sol";
import {Settlement} from "../src/Settlement.sol";
import {BlobRegistry} from "../src/BlobRegistry.sol";

/// Gas figures for bench/gas.sh (run with -vv to see the table). Every measured call is
/// also asserted to fit the 15,000,000 gas per-call budget. "exec" is the gas used inside
/// the call; "tx" adds the 21,000 base cost and the calldata cost (16 / nonzero byte,
/// 4 / zero byte).
abstract contract GasBenchBase is Fixture {
    uint256 constant BUDGET = 15_000_000;
    address constant CONSOLE = 0x000000000000000000636F6e736F6c652e6c6f67;
    uint256 internal mNodes;
    uint256 internal nCand;

    function _log(string memory s) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string)", s));
        ok;
    }

    /// One table row for bench/gas.sh: "GAS|<label>|<exec>|<tx>".
    function _row(string memory label, uint256 used, uint256 txGas) internal view {
        (bool ok,) = CONSOLE.staticcall(abi.encodeWithSignature("log(string,uint256,uint256)", string.concat("GAS|", label, "|"), used, txGas));
        ok;
    }

    function _calldataGas(bytes memory data) internal pure returns (uint256 g) {
        for (uint256 i = 0; i < data.length; i++) {
            g += data[i] == 0 ? 4 : 16;
        }
    }

    function _measure(string memory what, address target, bytes memory data) internal returns (uint256 used) {
        uint256 g = gasleft();
        (bool ok, bytes memory ret) = target.call(data);
        used = g - gasleft();
        if (!ok) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
        uint256 txGas = used + 21_000 + _calldataGas(data);
        assertLe(txGas, BUDGET, what);
        _row(what, used, txGas);
    }

    function _u(uint256 v) internal pure returns (string memory) {
        if (v == 0) return "0";
        bytes memory b;
        while (v > 0) {
            b = abi.encodePacked(bytes1(uint8(48 + v % 10)), b);
            v /= 10;
        }
        return string(b);
    }

    function _tag(string memory s) internal view returns (string memory) {
        return string.concat(s, " [", _u(mNodes), "x", _u(nAuditors), "]");
    }

    function _run() internal {
        nShards = 1000;
        cap = 256;
        maxCand = uint16(nCand);
        maxMoves = 100;
        _deploy();
        _log(string.concat("CASE|", _u(mNodes), " committee nodes x ", _u(nAuditors), " auditors, n = 1000 shards, ", _u(nCand), " registered nodes"));
        vm.pauseGasMetering();
        for (uint256 i = 0; i < nCand; i++) {
            _registerNode(100e18 + (nCand - i) * 1e18); // op0 has the most stake
        }
        _commitSecrets(1);
        _commitSecrets(2);
        vm.resumeGasMetering();
        (uint64 start, uint64 dur,,,,,) = staking.epochInfo(0);
        vm.warp(start + dur);
        vm.roll(_blk() + 10);
        _measure(string.concat("advanceEpoch: first committee of ", _u(mNodes), ", all shards assigned"), address(staking), abi.encodeCall(Staking.advanceEpoch, ()));
        assertEq(staking.committeeSize(1), mNodes, "committee size");
        settlement.voidEpoch(0);

        // blobs
        token.mint(user, 1e30);
        vm.prank(user);
        token.approve(address(registry), type(uint256).max);
        bytes32 blob = keccak256("bench blob");
        vm.prank(user);
        _measure("registerBlob (10 MiB, 52 epochs)", address(registry), abi.encodeCall(BlobRegistry.registerBlob, (blob, 10 << 20, 1, 53)));
        _certify(blob);

        // epoch 2: one member leaves, an outsider (if any) joins, shards move (bounded)
        vm.prank(ops[0]);
        staking.setActive(false);
        (start, dur,,,,,) = staking.epochInfo(1);
        vm.warp(start + dur);
        vm.roll(_blk() + 10);
        _measure("advanceEpoch: a member leaves, 100 shard moves", address(staking), abi.encodeCall(Staking.advanceEpoch, ()));
        _attestAndFinalize(1);
        _commitSecrets(3);
        (start, dur,,,,,) = staking.epochInfo(2);
        vm.warp(start + dur);
        vm.roll(_blk() + 10);
        _measure("advanceEpoch: drained member drops out (new member list)", address(staking), abi.encodeCall(Staking.advanceEpoch, ()));

        // let the assignment converge, then measure an epoch where nothing changes
        for (uint256 i = 0; i < 20 && staking.graceBitmap(staking.currentEpoch()).length != 0; i++) {
            (start, dur,,,,,) = staking.epochInfo(staking.currentEpoch());
            vm.warp(start + dur);
            vm.roll(_blk() + 10);
            staking.advanceEpoch();
        }
        assertEq(staking.graceBitmap(staking.currentEpoch()).length, 0, "converged");
        (start, dur,,,,,) = staking.epochInfo(staking.currentEpoch());
        vm.warp(start + dur);
        vm.roll(_blk() + 10);
        _measure("advanceEpoch: steady, nothing changes", address(staking), abi.encodeCall(Staking.advanceEpoch, ()));

        // claims
        _measure("claimAuditor", address(settlement), abi.encodeCall(Settlement.claimAuditor, (uint8(0))));
        vm.prank(ops[1]);
        _measure("claimCommission", address(staking), abi.encodeCall(Staking.claimCommission, ()));
        vm.prank(ops[1]);
        staking.requestWithdrawal(ops[1], 10e18);
        (,, uint64 revealEnd,) = settlement.phases(2);
        vm.warp(revealEnd);
        settlement.voidEpoch(2);
        vm.prank(ops[1]);
        _measure("withdraw (after the epoch settled)", address(staking), abi.encodeCall(Staking.withdraw, (ops[1])));
    }

    function _certify(bytes32 blob) internal {
        (address[] memory nodes, uint16[] memory counts) = staking.committee(1);
        uint256 need = 1000 - 333;
        uint256 k;
        uint256 total;
        while (total < need) {
            total += counts[k++];
        }
        uint16[] memory members = new uint16[](k);
        bytes[] memory sigs = new bytes[](k);
        bytes32 d = registry.confirmationDigest(blob, 1);
        for (uint256 i = 0; i < k; i++) {
            members[i] = uint16(i);
            sigs[i] = _sig(nodePks[uint160(nodes[i]) - 0x10000], d);
        }
        _measure(
            string.concat("certifyBlob (", _u(k), " confirmations)"),
            address(registry),
            abi.encodeCall(BlobRegistry.certifyBlob, (blob, members, sigs))
        );
    }

    function _counts(uint256 a, uint256 m) internal pure returns (uint32[] memory p, uint32[] memory d) {
        p = new uint32[](m);
        d = new uint32[](m);
        for (uint256 i = 0; i < m; i++) {
            d[i] = 200 + uint32(a);
            if (i % 10 == 3) p[i] = 80; // penalized: slash path
            else if (i % 10 == 5) p[i] = 180; // partial reward
            else p[i] = d[i];
        }
    }

    function _revealData(uint64 e, uint8 a, bytes32 ch, uint32[] memory p, uint32[] memory d)
        internal
        view
        returns (bytes memory)
    {
        bytes memory sig = _sig(auditorPks[a], _attDigest(a, e, p, d));
        return abi.encodeCall(Settlement.revealAttestation, (e, a, ch, p, d, _evidence(a, e), bytes32(0), _secret(a, e), sig));
    }

    function _attestAndFinalize(uint64 e) internal {
        uint256 m = staking.committeeSize(e);
        uint32[][] memory passed = new uint32[][](nAuditors);
        uint32[][] memory decided = new uint32[][](nAuditors);
        uint8[] memory ids = new uint8[](nAuditors);
        bytes32 ch = staking.committeeHash(e);
        for (uint256 a = 0; a < nAuditors; a++) {
            (passed[a], decided[a]) = _counts(a, m);
            ids[a] = uint8(a);
            bytes32 d = _attDigest(uint8(a), e, passed[a], decided[a]);
            bytes memory sig = _sig(auditorPks[a], settlement.attestationCommitDigest(e, uint8(a), d));
            string memory label = a == 0 ? "commitAttestation (first auditor)" : "commitAttestation (last auditor)";
            if (a == 0 || a == nAuditors - 1) {
                _measure(label, address(settlement), abi.encodeCall(Settlement.commitAttestation, (e, uint8(a), d, sig)));
            } else {
                settlement.commitAttestation(e, uint8(a), d, sig);
            }
        }
        _toRevealPhase(e);
        for (uint256 a = 0; a < nAuditors; a++) {
            bytes memory data = _revealData(e, uint8(a), ch, passed[a], decided[a]);
            if (a == 0 || a == nAuditors - 1) {
                _measure(
                    string.concat(a == 0 ? "revealAttestation (first auditor), " : "revealAttestation (last auditor), ", _u(m), " nodes"),
                    address(settlement),
                    data
                );
            } else {
                (bool ok,) = address(settlement).call(data);
                assertTrue(ok, "reveal");
            }
        }
        _toFinalizable(e);
        uint256 page = m > 128 ? 128 : m;
        for (uint256 from = 0; from < m; from += page) {
            uint256 to = from + page > m ? m : from + page;
            _measure(
                string.concat("finalizeEpoch positions ", _u(from), "..", _u(to - 1), " of ", _u(m)),
                address(settlement),
                abi.encodeCall(Settlement.finalizeEpoch, (e, ids, passed, decided, to))
            );
        }
        assertEq(staking.settledCount(), e + 1, "settled");
    }
}

contract GasBench100x4 is GasBenchBase {
    function setUp() public {
        mNodes = 100;
        nCand = 100;
        nAuditors = 4;
        fA = 1;
    }

    function test_gas() public {
        _run();
    }
}

contract GasBench256x7 is GasBenchBase {
    function setUp() public {
        mNodes = 256;
        nCand = 300;
        nAuditors = 7;
        fA = 2;
    }

    function test_gas() public {
        _run();
    }
}
