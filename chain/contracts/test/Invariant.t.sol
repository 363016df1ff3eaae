// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture, Vm} from "./Base.sol";
import {TestToken} from "../src/TestToken.sol";
import {Staking} from "../src/Staking.sol";
import {Settlement} from "../src/Settlement.sol";
import {BlobRegistry} from "../src/BlobRegistry.sol";
import {EvidenceTree} from "../src/EvidenceTree.sol";

/// Random sequences of stake, delegate, withdraw, register blob, advance, attest/finalize or
/// void, and claims. Every token minted is always somewhere accounted for.
contract Handler {
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));
    address internal constant BURN = 0x000000000000000000000000000000000000dEaD;

    TestToken public token;
    Staking public staking;
    Settlement public settlement;
    BlobRegistry public registry;
    address[] public nodes;
    uint256[] internal auditorPks;
    address[] public actors;
    address[] public payees;
    uint256 public minted;
    uint256 public finalized;
    uint256 public voided;
    uint256 public disputed;
    address internal timelock;
    address internal constant GOV = address(0x600D);

    constructor(TestToken t, Staking s, Settlement st, BlobRegistry r, address[] memory ns, uint256[] memory aPks, address[] memory pays) {
        (token, staking, settlement, registry) = (t, s, st, r);
        nodes = ns;
        auditorPks = aPks;
        payees = pays;
        for (uint256 i = 0; i < 4; i++) {
            actors.push(address(uint160(0xAC7000 + i)));
        }
        for (uint256 i = 0; i < ns.length; i++) {
            actors.push(ns[i]);
        }
    }

    function actorCount() external view returns (uint256) {
        return actors.length;
    }

    function nodeCount() external view returns (uint256) {
        return nodes.length;
    }

    function payeeCount() external view returns (uint256) {
        return payees.length;
    }

    address internal immutable owner = msg.sender;

    function noteMint(uint256 a) external {
        require(msg.sender == owner, "test only");
        minted += a;
    }

    function setTimelock(address t) external {
        require(msg.sender == owner, "test only");
        timelock = t;
    }

    function _now() internal view returns (uint256) {
        return vm.getBlockTimestamp();
    }

    function _sig(uint256 pk, bytes32 d) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, d);
        return abi.encodePacked(r, s, v);
    }

    function delegate(uint256 who, uint256 node, uint256 amount) external {
        address a = actors[who % actors.length];
        address n = nodes[node % nodes.length];
        amount = 1 + amount % 500e18;
        token.mint(a, amount);
        minted += amount;
        vm.startPrank(a);
        token.approve(address(staking), amount);
        staking.delegate(n, amount);
        vm.stopPrank();
    }

    function requestWithdrawal(uint256 who, uint256 node, uint256 frac) external {
        address a = actors[who % actors.length];
        address n = nodes[node % nodes.length];
        staking.sync(n, a);
        (uint256 sh,,,) = staking.positionOf(n, a);
        if (sh == 0) return;
        uint256 part = 1 + frac % sh;
        vm.prank(a);
        staking.requestWithdrawal(n, part);
    }

    function withdraw(uint256 who, uint256 node) external {
        address a = actors[who % actors.length];
        vm.prank(a);
        staking.withdraw(nodes[node % nodes.length]);
    }

    function claimCommission(uint256 node) external {
        vm.prank(nodes[node % nodes.length]);
        staking.claimCommission();
    }

    function claimAuditor(uint256 a) external {
        settlement.claimAuditor(uint8(a % auditorPks.length));
    }

    function registerBlob(uint256 seed, uint64 size, uint64 epochs) external {
        uint64 cur = staking.currentEpoch();
        uint64 end = cur + 1 + epochs % 10;
        size = size % (1 << 22);
        uint256 fee = registry.feePerEpoch(size) * (end - cur);
        address a = actors[seed % actors.length];
        token.mint(a, fee);
        minted += fee;
        vm.startPrank(a);
        token.approve(address(registry), fee);
        registry.registerBlob(keccak256(abi.encode(seed, cur, minted)), size, 1, end);
        vm.stopPrank();
    }

    function advance() external {
        uint64 cur = staking.currentEpoch();
        (uint64 start, uint64 dur,,,,,) = staking.epochInfo(cur);
        if (_now() < start + dur) vm.warp(start + dur);
        vm.roll(vm.getBlockNumber() + 10);
        // secrets for the epoch after the next one can be committed now too
        for (uint256 a = 0; a < auditorPks.length; a++) {
            uint64 e = cur + 1;
            if (settlement.secretHashes(e, uint8(a)) == bytes32(0)) {
                bytes32 h = keccak256(abi.encodePacked(_secret(uint8(a), e)));
                settlement.commitSecret(e, uint8(a), h, _sig(auditorPks[a], settlement.secretCommitDigest(e, uint8(a), h)));
            }
        }
        staking.advanceEpoch();
    }

    function _secret(uint8 a, uint64 e) internal pure returns (bytes32) {
        return keccak256(abi.encode("inv secret", a, e));
    }

    /// Settles the next epoch: attest + finalize with random counts when still possible,
    /// void otherwise.
    function settle(uint256 seed) external {
        uint64 e = settlement.nextToSettle();
        if (e >= staking.currentEpoch()) return;
        (, uint64 commitEnd, uint64 revealEnd,) = settlement.phases(e);
        uint256 m = staking.committeeSize(e);
        if (m == 0 || _now() >= commitEnd || !_secretsIn(e) || seed % 5 == 0) {
            if (m != 0 && _now() < revealEnd) vm.warp(revealEnd);
            settlement.voidEpoch(e);
            voided++;
            return;
        }
        _attest(e, seed, m);
        finalized++;
    }

    function _secretsIn(uint64 e) internal view returns (bool) {
        for (uint256 a = 0; a < 3; a++) {
            if (settlement.secretHashes(e, uint8(a)) == bytes32(0)) return false;
        }
        return true;
    }

    /// Sometimes (seed % 6 == 2) auditor 0 lies: its evidence gives committee position 0
    /// other totals than it attests. A disputer (an actor) proves it, the epoch has no quorum
    /// and is voided (no payout), and the auditor is bonded and admitted again.
    function _attest(uint64 e, uint256 seed, uint256 m) internal {
        uint32[][] memory p = new uint32[][](3);
        uint32[][] memory d = new uint32[][](3);
        bool lie = seed % 6 == 2 && timelock != address(0);
        bytes32[] memory ent;
        bytes32 root;
        for (uint256 a = 0; a < 3; a++) {
            (p[a], d[a]) = _randomCounts(seed, a, m);
            if (a == 0 && lie) (ent, root) = _evidence(e, p[0], d[0]);
            _commit(e, uint8(a), _digest(uint8(a), e, p[a], d[a], a == 0 ? root : bytes32(0)));
        }
        (, uint64 commitEnd,, uint64 disputeEnd) = settlement.phases(e);
        vm.warp(commitEnd);
        for (uint256 a = 0; a < 3; a++) {
            _reveal(e, uint8(a), p[a], d[a], a == 0 ? root : bytes32(0));
        }
        if (lie) {
            _dispute(e, ent, p[0], d[0], seed);
            vm.warp(disputeEnd);
            settlement.voidEpoch(e);
            voided++;
            _readmit();
            return;
        }
        vm.warp(disputeEnd);
        uint8[] memory ids = new uint8[](3);
        (ids[0], ids[1], ids[2]) = (0, 1, 2);
        settlement.finalizeEpoch(e, ids, p, d, m);
    }

    /// Entries: position i with totals (passed, decided) but position 0 with one more decided.
    function _evidence(uint64 e, uint32[] memory p, uint32[] memory d)
        internal
        view
        returns (bytes32[] memory ent, bytes32 root)
    {
        ent = new bytes32[](p.length);
        for (uint256 i = 0; i < p.length; i++) {
            (address n,,) = staking.committeeMember(e, i);
            ent[i] = EvidenceTree.entry(n, _sub(i, p[i], d[i]));
        }
        bytes32[] memory lvl = ent;
        while (lvl.length > 1) lvl = _up(lvl);
        root = lvl[0];
    }

    function _sub(uint256 i, uint32 p, uint32 d) internal pure returns (EvidenceTree.SumNode memory) {
        return EvidenceTree.SumNode(keccak256(abi.encode("sub", i)), p, i == 0 ? d + 1 : d);
    }

    function _up(bytes32[] memory lvl) internal pure returns (bytes32[] memory up) {
        up = new bytes32[]((lvl.length + 1) / 2);
        for (uint256 j = 0; j < up.length; j++) {
            bytes32 r = 2 * j + 1 < lvl.length ? lvl[2 * j + 1] : bytes32(0);
            up[j] = keccak256(abi.encodePacked(uint8(3), lvl[2 * j], r));
        }
    }

    function _dispute(uint64 e, bytes32[] memory ent, uint32[] memory p, uint32[] memory d, uint256 seed) internal {
        bytes32[] memory path = new bytes32[](EvidenceTree.ceilLog2(ent.length));
        bytes32[] memory lvl = ent;
        for (uint256 k = 0; k < path.length; k++) {
            path[k] = 1 < lvl.length ? lvl[1] : bytes32(0);
            lvl = _up(lvl);
        }
        (address n,,) = staking.committeeMember(e, 0);
        vm.prank(actors[seed % actors.length]);
        settlement.disputeNodeTotal(e, 0, p, d, Settlement.TotalProof(0, n, _sub(0, p[0], d[0]), path));
        disputed++;
    }

    /// Auditor 0's payee posts a new bond (minted) and governance admits it again.
    function _readmit() internal {
        uint256 bond = settlement.bondSize();
        address payee = payees[0];
        token.mint(payee, bond);
        minted += bond;
        vm.startPrank(payee);
        token.approve(address(settlement), bond);
        settlement.postBond(0, bond);
        vm.stopPrank();
        (address signer,,) = settlement.auditors(0);
        bytes memory data = abi.encodeCall(Settlement.setAuditor, (uint8(0), signer, payee, true));
        bytes32 salt = keccak256(abi.encode(minted, disputed));
        vm.prank(GOV);
        TimelockLike(timelock).schedule(address(settlement), 0, data, bytes32(0), salt, 1 hours);
        vm.warp(_now() + 1 hours);
        TimelockLike(timelock).execute(address(settlement), 0, data, bytes32(0), salt);
    }

    function _commit(uint64 e, uint8 a, bytes32 dg) internal {
        bytes memory sig = _sig(auditorPks[a], settlement.attestationCommitDigest(e, a, dg));
        settlement.commitAttestation(e, a, dg, sig);
    }

    function _reveal(uint64 e, uint8 a, uint32[] memory p, uint32[] memory d, bytes32 root) internal {
        _revealP = p;
        _revealD = d;
        _revealSigned(e, a, root, _sig(auditorPks[a], _digest(a, e, p, d, root)));
    }

    // The counts pass through storage: the legacy code generator runs out of stack slots
    // with nine arguments of an external call in one frame.
    uint32[] internal _revealP;
    uint32[] internal _revealD;

    function _revealSigned(uint64 e, uint8 a, bytes32 root, bytes memory sig) internal {
        settlement.revealAttestation(e, a, staking.committeeHash(e), _revealP, _revealD, root, bytes32(0), _secret(a, e), sig);
    }

    function _randomCounts(uint256 seed, uint256 a, uint256 m) internal pure returns (uint32[] memory p, uint32[] memory d) {
        p = new uint32[](m);
        d = new uint32[](m);
        for (uint256 i = 0; i < m; i++) {
            uint256 r = uint256(keccak256(abi.encode(seed, a, i)));
            d[i] = uint32(r % 100);
            uint256 mode = (r >> 16) % 4;
            p[i] = mode == 0 ? 0 : (mode == 3 ? uint32((r >> 32) % (uint256(d[i]) + 1)) : d[i]);
        }
    }

    function _digest(uint8 a, uint64 e, uint32[] memory p, uint32[] memory d, bytes32 root)
        internal
        view
        returns (bytes32)
    {
        return settlement.attestationDigest(e, staking.committeeHash(e), keccak256(abi.encode(p, d)), root, bytes32(0), _secret(a, e));
    }
}

interface TimelockLike {
    function schedule(address, uint256, bytes calldata, bytes32, bytes32, uint256) external;
    function execute(address, uint256, bytes calldata, bytes32, bytes32) external payable;
}

contract InvariantTest is Fixture {
    Handler internal handler;

    function setUp() public {
        _deploy();
        _registerNodes(4, 150e18);
        address[] memory pays = new address[](nAuditors);
        for (uint256 a = 0; a < nAuditors; a++) {
            pays[a] = vm.addr(0xFA7 + a);
        }
        handler = new Handler(token, staking, settlement, registry, ops, auditorPks, pays);
        handler.noteMint(4 * 150e18 + nAuditors * BOND); // stakes and the auditors' bonds (held by Settlement)
        handler.setTimelock(address(timelock));
        // the handler commits the auditors' secrets (at each advance) and attests for them
    }

    /// The handler's attest-and-finalize path works (so the campaign exercises rewards and
    /// slashes, not only voids).
    function test_handlerFinalizes() public {
        handler.registerBlob(1, 5 << 20, 8);
        handler.advance(); // epoch 1
        handler.settle(1); // voids epoch 0 (no committee)
        handler.delegate(0, 1, 50e18);
        handler.advance(); // epoch 2
        handler.settle(1); // finalizes epoch 1
        assertEq(handler.voided(), 1, "voided genesis");
        assertEq(handler.finalized(), 1, "finalized epoch 1");
        invariant_tokensConserved();
        invariant_stakingBooks();
        invariant_settlementSolvent();
        // a liar caught before finalize: its epoch is voided, no payout moves, tokens stay conserved
        handler.advance(); // epoch 3
        uint256 stakingBefore = token.balanceOf(address(staking));
        handler.settle(2); // epoch 2: seed 2 makes auditor 0 lie
        assertEq(handler.disputed(), 1, "disputed");
        assertEq(handler.voided(), 2, "voided the liar's epoch");
        assertEq(token.balanceOf(address(staking)), stakingBefore, "no payout moved");
        (,, bool active) = settlement.auditors(0);
        assertTrue(active, "readmitted with a new bond");
        assertEq(settlement.bonds(0), BOND, "new bond");
        invariant_tokensConserved();
        invariant_stakingBooks();
        invariant_settlementSolvent();
    }

    function targetContracts() public view returns (address[] memory t) {
        t = new address[](1);
        t[0] = address(handler);
    }

    /// Every minted token is held by an actor, a payee, the burn address, Staking,
    /// Settlement or BlobRegistry (which must hold nothing between calls).
    function invariant_tokensConserved() public view {
        uint256 sum = token.balanceOf(address(staking)) + token.balanceOf(address(settlement))
            + token.balanceOf(address(registry)) + token.balanceOf(BURN);
        for (uint256 i = 0; i < handler.actorCount(); i++) {
            sum += token.balanceOf(handler.actors(i));
        }
        for (uint256 i = 0; i < handler.payeeCount(); i++) {
            sum += token.balanceOf(handler.payees(i));
        }
        assertEq(sum, handler.minted(), "conservation");
        assertEq(token.totalSupply(), handler.minted(), "supply");
        assertEq(token.balanceOf(address(registry)), 0, "registry passes fees through");
    }

    /// Staking holds exactly what it owes (pool stake, pending deposits, commission, priced
    /// withdrawals).
    function invariant_stakingBooks() public view {
        _checkStakingBooks();
    }

    /// Settlement can always pay what it owes: carried-over pool and auditor balances.
    function invariant_settlementSolvent() public view {
        uint256 owed = settlement.carry();
        for (uint256 a = 0; a < nAuditors; a++) {
            owed += settlement.auditorOwed(uint8(a));
        }
        assertGe(token.balanceOf(address(settlement)), owed, "settlement solvent");
        assertTrue(staking.settledCount() == settlement.nextToSettle(), "settled in lockstep");
    }

    /// Committee shard counts always sum to n and match the owner array.
    function invariant_shardsAssigned() public view {
        uint64 e = staking.currentEpoch();
        (address[] memory nodes, uint16[] memory counts) = staking.committee(e);
        if (nodes.length == 0) return;
        bytes memory owners = staking.shardOwnerIndices(e);
        uint256 total;
        for (uint256 i = 0; i < counts.length; i++) {
            total += counts[i];
        }
        assertEq(total, nShards, "sum");
        assertEq(owners.length, nShards, "owners");
    }
}
