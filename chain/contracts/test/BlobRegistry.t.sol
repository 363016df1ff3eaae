// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Base.sol";
import {BlobRegistry} from "../src/BlobRegistry.sol";
import {Staking} from "../src/Staking.sol";
import {Governed} from "../src/Governed.sol";
import {Settlement} from "../src/Settlement.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

contract BlobRegistryTest is Fixture {
    bytes32 constant BLOB = keccak256("blob one");

    function setUp() public {
        _deploy();
        // committee positions by stake: 0 = op4 (9 shards), 1 = op3 (5), 2 = op2 (3), 3 = op1 (2), 4 = op0 (1)
        _registerNode(100e18);
        _registerNode(200e18);
        _registerNode(300e18);
        _registerNode(400e18);
        _registerNode(1000e18);
        _advance(); // epoch 1
        token.mint(user, 1e30);
        vm.prank(user);
        token.approve(address(registry), type(uint256).max);
    }

    /// Reference Walrus encoded length (crates/walrus-core encoded_blob_length_for_n_shards).
    function _refEncoded(uint256 n, uint256 len) internal pure returns (uint256) {
        uint256 f = (n - 1) / 3;
        uint256 kp = n - 2 * f;
        uint256 ks = n - f;
        if (len == 0) len = 1;
        uint256 sym = len / (kp * ks) + (len % (kp * ks) == 0 ? 0 : 1);
        sym += sym % 2;
        return n * (n * 32 * 2 + 32) + n * (kp + ks) * sym;
    }

    function test_encodedSizeVectors() public {
        // n = 20: f = 6, k_p = 8, k_s = 14
        assertEq(registry.encodedSize(0), 20 * 1312 + 20 * 22 * 2, "empty blob: symbol size 2");
        assertEq(registry.encodedSize(1000), 30640, "n=20, 1000 bytes: symbol 9 -> 10");
        // n = 1000, Walrus mainnet: f = 333, k_p = 334, k_s = 667
        Staking big = new Staking(token, gov, guardian, 1000, 256, 300, 1 days, 1, 1, 0, 5);
        BlobRegistry r = new BlobRegistry(token, big, settlement, gov, guardian, 1);
        assertEq(r.encodedSize(1), 66_034_000, "n=1000, 1 byte");
        assertEq(r.encodedSize(1 << 20), 70_038_000, "n=1000, 1 MiB: symbol 5 -> 6");
        assertEq(r.encodedSize(334 * 667 * 65534), 64_032_000 + 1000 * 1001 * 65534, "largest blob");
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.BlobTooLarge.selector, uint64(334 * 667 * 65534 + 1)));
        r.encodedSize(334 * 667 * 65534 + 1);
    }

    function testFuzz_encodedSizeMatchesReference(uint64 len) public view {
        len = uint64(bound(len, 0, 8 * 14 * 65534));
        assertEq(registry.encodedSize(len), _refEncoded(20, len), "encoded size");
    }

    function test_registerPaysIntoPools() public {
        uint256 enc = registry.encodedSize(5_000_000);
        uint256 per = price * ((enc + (1 << 20) - 1) >> 20);
        uint256 before = token.balanceOf(address(settlement));
        vm.prank(user);
        registry.registerBlob(BLOB, 5_000_000, 1, 11);
        assertEq(token.balanceOf(address(settlement)) - before, per * 10, "fee for epochs 1..10");
        assertEq(settlement.feeStart(1), per, "difference array start");
        assertEq(settlement.feeEnd(11), per, "difference array end");
        assertEq(token.balanceOf(address(registry)), 0, "registry holds nothing");
        // re-registering a live blob is refused
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.BlobExists.selector, BLOB));
        registry.registerBlob(BLOB, 5_000_000, 1, 12);
        // extending pays the same per-epoch fee
        vm.prank(user);
        registry.extendBlob(BLOB, 15);
        assertEq(token.balanceOf(address(settlement)) - before, per * 14, "extended to 15");
        assertEq(settlement.feeEnd(15), per, "moved end");
        // bad encoding types and end epochs
        vm.startPrank(user);
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.BadEncodingType.selector, uint8(0)));
        registry.registerBlob(keccak256("b2"), 1, 0, 5);
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.BadEndEpoch.selector, uint64(1)));
        registry.registerBlob(keccak256("b2"), 1, 1, 1);
        vm.stopPrank();
    }

    function _confirm(uint256[] memory positions, uint64 epoch) internal view returns (uint16[] memory m, bytes[] memory sigs) {
        (address[] memory nodes,) = staking.committee(staking.currentEpoch());
        m = new uint16[](positions.length);
        sigs = new bytes[](positions.length);
        bytes32 d = registry.confirmationDigest(BLOB, epoch);
        for (uint256 i = 0; i < positions.length; i++) {
            m[i] = uint16(positions[i]);
            // op index of committee position
            uint256 opIdx = uint160(nodes[positions[i]]) - 0x10000;
            sigs[i] = _sig(nodePks[opIdx], d);
        }
    }

    function _pos(uint256 a, uint256 b) internal pure returns (uint256[] memory x) {
        x = new uint256[](2);
        (x[0], x[1]) = (a, b);
    }

    function test_certifyNeedsTwoThirdsOfShards() public {
        vm.prank(user);
        registry.registerBlob(BLOB, 1000, 1, 10);
        (uint16[] memory m, bytes[] memory s) = _confirm(_pos(1, 2), 1); // 5 + 3 = 8 < 14
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.NotEnoughShards.selector, 8, 14));
        registry.certifyBlob(BLOB, m, s);
        assertTrue(!registry.isChallengeable(BLOB, 2), "uncertified blob never challenged");
        (m, s) = _confirm(_pos(0, 1), 1); // 9 + 5 = 14
        vm.prank(address(0xC0FFEE)); // anyone can submit
        registry.certifyBlob(BLOB, m, s);
        BlobRegistry.Blob memory b = registry.blobInfo(BLOB);
        assertEq(b.certifiedEpoch, 1, "certified epoch");
        assertEq(b.certifiedBlock, _blk(), "certified block");
        assertTrue(registry.isCertifiedAt(BLOB, _blk()), "snapshot at this block");
        assertTrue(!registry.isCertifiedAt(BLOB, _blk() - 1), "not before");
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.AlreadyCertified.selector, BLOB));
        registry.certifyBlob(BLOB, m, s);
        // challengeable from the next epoch (certified before its seed block), until its end
        assertTrue(!registry.isChallengeable(BLOB, 1), "not in epoch 1 (after its seed block)");
        _advance();
        assertTrue(registry.isChallengeable(BLOB, 2), "epoch 2");
        assertTrue(!registry.isChallengeable(BLOB, 10), "expired at endEpoch");
    }

    function test_certifyRejectsBadConfirmations() public {
        vm.prank(user);
        registry.registerBlob(BLOB, 1000, 1, 10);
        (uint16[] memory m, bytes[] memory s) = _confirm(_pos(0, 1), 1);
        // duplicate signer
        uint16[] memory dup = new uint16[](2);
        (dup[0], dup[1]) = (0, 0);
        bytes[] memory ds = new bytes[](2);
        (ds[0], ds[1]) = (s[0], s[0]);
        vm.expectRevert(BlobRegistry.SignersNotAscending.selector);
        registry.certifyBlob(BLOB, dup, ds);
        // high-s
        bytes[] memory hs = new bytes[](2);
        (hs[0], hs[1]) = (s[0], _highS(s[1]));
        vm.expectRevert();
        registry.certifyBlob(BLOB, m, hs);
        // signed for another epoch (replay)
        (, bytes[] memory s2) = _confirm(_pos(0, 1), 2);
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.BadSignature.selector, 0));
        registry.certifyBlob(BLOB, m, s2);
        // signed for another chain
        bytes32 sh = keccak256(abi.encode(registry.STORAGE_CONFIRMATION_TYPEHASH(), BLOB, uint64(1)));
        bytes32 dom = keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("assay"),
                keccak256("1"),
                block.chainid + 1,
                address(registry)
            )
        );
        bytes[] memory oc = new bytes[](2);
        oc[0] = _sig(nodePks[4], keccak256(abi.encodePacked("\x19\x01", dom, sh)));
        oc[1] = s[1];
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.BadSignature.selector, 0));
        registry.certifyBlob(BLOB, m, oc);
        // signed by the operator key instead of the node key
        bytes[] memory wk = new bytes[](2);
        wk[0] = _sig(0xBAD, registry.confirmationDigest(BLOB, 1));
        wk[1] = s[1];
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.BadSignature.selector, 0));
        registry.certifyBlob(BLOB, m, wk);
        // unknown blob
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.UnknownBlob.selector, keccak256("nope")));
        registry.certifyBlob(keccak256("nope"), m, s);
        registry.certifyBlob(BLOB, m, s);
    }

    function test_expiredBlobCannotBeCertifiedOrExtended() public {
        vm.prank(user);
        registry.registerBlob(BLOB, 1000, 1, 2);
        _advance(); // epoch 2 = endEpoch
        (uint16[] memory m, bytes[] memory s) = _confirm(_pos(0, 1), 2);
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.BlobExpired.selector, BLOB));
        registry.certifyBlob(BLOB, m, s);
        vm.prank(user);
        vm.expectRevert(abi.encodeWithSelector(BlobRegistry.BlobExpired.selector, BLOB));
        registry.extendBlob(BLOB, 5);
        // and may be registered again
        vm.prank(user);
        registry.registerBlob(BLOB, 1000, 1, 5);
    }

    function test_pauseAndPriceGovernance() public {
        vm.prank(guardian);
        registry.pause();
        vm.prank(user);
        vm.expectRevert(Pausable.EnforcedPause.selector);
        registry.registerBlob(BLOB, 1000, 1, 10);
        vm.expectRevert();
        registry.setPrice(5);
        vm.prank(guardian);
        vm.expectRevert();
        registry.setPrice(5);
        _gov(address(registry), abi.encodeCall(Governed.unpause, ()));
        _gov(address(registry), abi.encodeCall(BlobRegistry.setPrice, (5)));
        assertEq(registry.pricePerMiBPerEpoch(), 5, "price");
        vm.prank(user);
        registry.registerBlob(BLOB, 1000, 1, 10);
    }

    /// With the registry bound, a reveal must name an evidence blob that is certified and
    /// stored until the epoch's dispute window closes (settle/EVIDENCE.md, the evidence blob).
    function test_revealNeedsCertifiedEvidenceBlob() public {
        vm.expectRevert(Settlement.NotDeployer.selector);
        vm.prank(user);
        settlement.bindRegistry(registry);
        settlement.bindRegistry(registry);
        vm.expectRevert(Settlement.AlreadyBound.selector);
        settlement.bindRegistry(registry);
        vm.prank(user);
        registry.registerBlob(BLOB, 1000, 1, 4);
        _commitSecret(0, 2);
        _advance(); // epoch 2
        _advance(); // epoch 3: epoch 2 ended
        uint32[] memory f = _fill(staking.committeeSize(2), 0);
        bytes32 ch = staking.committeeHash(2);
        bytes32 d = settlement.attestationDigest(2, ch, keccak256(abi.encode(f, f)), _evidence(0, 2), BLOB, _secret(0, 2));
        _commitRaw(2, 0, d);
        _toRevealPhase(2);
        bytes memory sig = _sig(auditorPks[0], d);
        vm.expectRevert(abi.encodeWithSelector(Settlement.EvidenceNotCertified.selector, BLOB));
        settlement.revealAttestation(2, 0, ch, f, f, _evidence(0, 2), BLOB, _secret(0, 2), sig);
        (uint16[] memory m, bytes[] memory s) = _confirm(_pos(0, 1), 3);
        registry.certifyBlob(BLOB, m, s);
        // stored in epochs [1, 4); the window closes within 3 h of a 1-day epoch: needs 5
        vm.expectRevert(abi.encodeWithSelector(Settlement.EvidenceExpires.selector, BLOB, uint64(4), uint64(5)));
        settlement.revealAttestation(2, 0, ch, f, f, _evidence(0, 2), BLOB, _secret(0, 2), sig);
        vm.prank(user);
        registry.extendBlob(BLOB, 5);
        settlement.revealAttestation(2, 0, ch, f, f, _evidence(0, 2), BLOB, _secret(0, 2), sig);
        assertTrue(settlement.evidenceRoots(2, 0) == _evidence(0, 2), "revealed");
    }
}
