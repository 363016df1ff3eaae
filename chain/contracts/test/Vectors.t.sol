// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Fixture} from "./Base.sol";

/// The hash vectors printed in INTERFACE.md (tools/vectors.js), recomputed with Solidity's
/// abi.encode and the contracts' own type hashes, so the document cannot drift.
contract VectorsTest is Fixture {
    address constant SETTLEMENT = 0x5FbDB2315678afecb367f032d93F642f64180aa3;
    address constant REGISTRY = 0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512;

    function setUp() public {
        _deploy();
    }

    function _domain(address v) internal pure returns (bytes32) {
        return keccak256(
            abi.encode(
                keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
                keccak256("assay"),
                keccak256("1"),
                uint256(31337),
                v
            )
        );
    }

    function _digest(bytes32 d, bytes32 sh) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(hex"1901", d, sh));
    }

    function test_vectors() public view {
        assertEq(settlement.ATTESTATION_TYPEHASH(), 0x275e6de5f84830f6f41d6a8329f46888132eb242a1f3724646dddf9b0fe1698b, "att type");
        assertEq(settlement.ATTESTATION_COMMIT_TYPEHASH(), 0x54168c7def0f7ab825fbd7a091cb7bddd16984725311fc990f1f9a3d95855d43, "ac type");
        assertEq(settlement.SECRET_COMMIT_TYPEHASH(), 0x09e49d2628b54ae6f844f3e5682108f36b303d2f88dc93634492461dae7d6154, "sc type");
        assertEq(registry.STORAGE_CONFIRMATION_TYPEHASH(), 0xc15ec87a120d4eea0a616eaab2d5be89871b9bb2d6fe6109bbcab64ebdca0f3e, "st type");
        bytes32 dS = _domain(SETTLEMENT);
        bytes32 dR = _domain(REGISTRY);
        assertEq(dS, 0xa93e3a96e5010aaa63f3ac3d8f8b615a9e6653fc196956eab5c637b2fcf1a2c3, "domain S");
        assertEq(dR, 0xf7369d7b936da16e9591082643fa1ca44f326776fb9515ea48e7dabc5fc1e5e2, "domain R");
        address[] memory nodes = new address[](3);
        (nodes[0], nodes[1], nodes[2]) = (address(0x10000), address(0x10001), address(0x10002));
        bytes32 ch = keccak256(abi.encode(nodes));
        assertEq(ch, 0xba98bdc323c094d9965efd0e8c25548b80ca684b615e1455c08ad5e14e456ad4, "committee");
        uint32[] memory p = new uint32[](3);
        uint32[] memory d = new uint32[](3);
        (p[0], p[1], p[2]) = (10, 0, 7);
        (d[0], d[1], d[2]) = (10, 0, 9);
        bytes32 cnt = settlement.hashCounts(p, d);
        assertEq(cnt, 0xbc06a9aac4a0820af62e7b88d8e910ef081667457463f29ef0923aa88731d968, "counts");
        bytes32 secret = keccak256("assay secret");
        bytes32 sHash = keccak256(abi.encodePacked(secret));
        assertEq(sHash, 0x0efd9fe50c8554f7820e212c9b0931b240fb051d885b7ed41514bf737ddb6d78, "secret hash");
        bytes32 ev = keccak256("evidence");
        bytes32 attD = _digest(dS, keccak256(abi.encode(settlement.ATTESTATION_TYPEHASH(), uint64(7), ch, cnt, ev, secret)));
        assertEq(attD, 0x3468ef3cce4f50b9f175b21613754f9e8798d59ae2a44679664b9b8345901b4b, "attestation digest");
        bytes32 acD = _digest(dS, keccak256(abi.encode(settlement.ATTESTATION_COMMIT_TYPEHASH(), uint64(7), uint8(2), attD)));
        assertEq(acD, 0x82e22deb9632a6da1bf3196fed5ab1179bb3276af54cb861219f2cbe1420bd04, "commit digest");
        bytes32 scD = _digest(dS, keccak256(abi.encode(settlement.SECRET_COMMIT_TYPEHASH(), uint64(8), uint8(2), sHash)));
        assertEq(scD, 0xd5157412cff6b4403f05120d3fe472cff282ab8b5aaf122eba8f7d9e6afe591a, "secret digest");
        bytes32 stD = _digest(dR, keccak256(abi.encode(registry.STORAGE_CONFIRMATION_TYPEHASH(), keccak256("blob"), uint64(7))));
        assertEq(stD, 0x05a024f628edf40091eb8080f07c30be81ff944dbb55c693d3b2033df532f208, "confirmation digest");
        assertEq(
            keccak256(abi.encode(keccak256("prev seed"), uint64(7))),
            0x1e0897182d325c1629c195874221f024c0d2196d1355dbf6bc4070a4ea29952a,
            "fallback seed"
        );
        // the live contracts use the same construction for their own domain
        assertEq(settlement.domainSeparator(), keccak256(abi.encode(
            keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"),
            keccak256("assay"), keccak256("1"), block.chainid, address(settlement))), "live domain");
    }
}
