// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Assertions} from "./Base.sol";
import {Blake2b} from "../src/Blake2b.sol";
import {Walrus} from "../src/Walrus.sol";

/// Exposes the libraries with calldata arguments.
contract WalrusHarness {
    function blake(bytes calldata b) external view returns (bytes32) {
        return Blake2b.hashCalldata(b);
    }

    function blakeMem(bytes memory b) external view returns (bytes32) {
        return Blake2b.hash(b);
    }

    function root(bytes[] calldata leaves) external view returns (bytes32) {
        bytes32[] memory h = new bytes32[](leaves.length);
        for (uint256 i = 0; i < h.length; i++) h[i] = Blake2b.leafCalldata(leaves[i]);
        return Walrus.root(h);
    }

    function blobId(bytes calldata md) external view returns (bytes32, uint256, uint256) {
        Walrus.Meta memory m = Walrus.metadata(md, 0, 0, 0);
        return (m.blobId, m.n, m.symbolSize);
    }

    function check(bytes calldata md, bytes calldata body, uint8 axis, uint256 row, uint256 col) external view {
        Walrus.checkSymbol(body, Walrus.metadata(md, axis, row, col), axis, row, col);
    }
}

/// BLAKE2b-256 through the EIP-152 precompile against hashlib.blake2b(digest_size=32), and
/// the Walrus formats against ../shared/vectors/walrus.json (values computed independently
/// of any assay code).
contract Blake2bTest is Assertions {
    WalrusHarness h;

    function setUp() public {
        h = new WalrusHarness();
    }

    /// Bytes (7i + 3) mod 256, i = 0 .. n-1 (the Python side builds the same).
    function _msg(uint256 n) internal pure returns (bytes memory m) {
        m = new bytes(n);
        for (uint256 i = 0; i < n; i++) m[i] = bytes1(uint8((i * 7 + 3) % 256));
    }

    function _check(uint256 n, bytes32 want) internal view {
        assertEq(h.blake(_msg(n)), want, "blake2b calldata");
        assertEq(h.blakeMem(_msg(n)), want, "blake2b memory");
    }

    /// Expected values: hashlib.blake2b(bytes((7*i+3) % 256 for i in range(n)), digest_size=32).
    function test_blake2bLengths() public view {
        _check(0, 0x0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8);
        _check(1, 0xe88bd757ad5b9bedf372d8d3f0cf6c962a469db61a265f6418e1ffed86da29ec);
        _check(2, 0x0cb598051233e8caf83cd4382939b8324fbbc70ccc32ae5e14e7a0536186a5f6);
        _check(64, 0x586c0dd87616ec042093edc5f87f880d37ca73618e99b03d5850ce9be478721f);
        _check(127, 0xc9ae3859964b35f04c54b36d33cf299d7290ee621005d28e51598a943560aaaa);
        _check(128, 0xf0501d06597880592bc49234eef100ec1ff349058d0e9d9b753504e24af86dd6);
        _check(129, 0xa34a4e1e03c541dfbf3099c4b6c143c022ced65c28bd7e8a10e0a098461aecf0);
        _check(255, 0xf2d64a40e9412a3414161ff6250075225418fd7c271c1123e162e1bca0de9f93);
        _check(256, 0xd93ebb9c802f5630ab22516fd82b6c21bc8bd551d531349b715f046ed11ed871);
        _check(1000, 0xd62b6c768ce1afc8367e0498ab2f8e3f7c178c35b1429f14c4604b545d200f52);
    }

    function test_merkleVectors() public view {
        bytes[] memory l = new bytes[](1);
        l[0] = hex"54657374";
        assertEq(h.root(l), hex"6ef5fbb3faab506502b680cd9ab8be827b955e1f9171b82b1c5b3914870bf982", "one leaf");
        l = new bytes[](3);
        l[0] = hex"61";
        l[1] = hex"62";
        l[2] = hex"63";
        assertEq(h.root(l), hex"a3dd32d607debce875c8dcfb1417d07c9bc4c5cccd0bacefd0a4a9473d958e37", "three leaves");
        l = new bytes[](10);
        l[0] = hex"0000000000";
        l[1] = hex"0101010101";
        l[2] = hex"0202020202";
        l[3] = hex"0303030303";
        l[4] = hex"0404040404";
        l[5] = hex"0505050505";
        l[6] = hex"0606060606";
        l[7] = hex"0707070707";
        l[8] = hex"0808080808";
        l[9] = hex"0909090909";
        assertEq(h.root(l), hex"d58432790087f8b649e784e5f8edcb34c31f5f8e4a8fec49b6c641715fd16fb9", "ten leaves");
        assertEq(h.root(new bytes[](0)), bytes32(0), "empty");
    }

    bytes constant MD7 = hex"0001e8030000000000000701556287beab7f3fc72e03ff24bbb7cc4e7866f42d21a222597041674b42a48a5201a44e7a134b346de7067b3a6ed777413e068d1924e9ca03f3dec3fa0ad7be4ce201c448e3423e679da283b0dcae81ece517befd814e604bc0bec96f54c00ab3ead2011ad9908ac713b2b59b3161a5658d2e87ce7e58a99c355995b17995f0cd21a685011c51c4ea08e8119f9f20c9fc2da8f4924590d3b742c9fc6dcbe71d031db651a80122f47952bde8e54a1b3ac98a294e0d8b564e001f0b3aebf1706326a4d59af8dd01c50ab9a81677478d04c89111b27af9f365d466c7e7660d2ec6a97d3581c4b5e201107fc5c1cde58db4146f7b9e30f8b95930faf99a86d165613e5ba29cef805ce70105671faa8abebb7072b76a090f23b3c5dbf99fd9c6a001e4675367d1b1c36a1c01551c32576a03eace6a9b75439faa2c6a9eceb41912b1ab20521e9602465ce6410188a079ee1931bb8117357f65864f9b409d725aa1623516c34a66016d591569cf010895f9d3b0190eec73622e2a81d33fde25215c3f23c930352a20b62eaf34923901e06d6b91cef9fa14f2b0d621cde00e529523313b4f7055ab3de530a38e769aee01aff892c0127c3a581bde102f522ffc49e7b021121df0f3a1dec0c3a96b850df7";
    bytes constant MD4 = hex"00010c0000000000000004011e268633a4f920d21099af725474a73cbed41af560d3643c018763f84734fe2d0189bc8d2863a2101b4f92ea67473eade729b73d488689bda2df754a22085770ea0157ea5b6c6822780d2a8d62f96229380bcf5095998fc7d22a1118b85387112d9001d9a23256d6ab42bced39a484a1f62b4146a38bcb26eb3929ed8bfc52b93b3f0b01344ea230d4df769dee374d46e84d80ed0870e0713e626514e34927ea7d11994101c046771ff5986395dd67f3f48eb3126ad19008db85b20f6dd42ead7abb4c25f50157693ae2e88fff21cc17e5ed539ae3f87b49aecb63c31a9d510bd8b19b70d0d8013c0b9231cf2ec5d816aac8b65a835b47bea8a38c35b8efc1c7dd640f722d7247";
    bytes constant PRIMARY = hex"010101000265da020002018618a0fd1b23577304d8570f7cbca4e0e6bfdd702458772cd660c36b3e12ca1b01102561e789a7d5ef82acc0a025e432d52c1d35912d6a66fd7828540acde68bac";
    bytes constant SECONDARY = hex"010002000265da0100020172ab5631e71729dcc0b8e58eef67e3fbf23b4b8bc4a51733cae2f41bfe4da5bd012f573fa2a7ae2a4539aa3799c3ee24598748263b96b9c5a0b65635b74e68bdb7";

    function test_blobIdVectors() public view {
        (bytes32 id, uint256 n, uint256 ss) = h.blobId(MD7);
        assertEq(id, hex"d4a2728e54c5f6d3660e1d31c9469b94490e20c4c9f85ac9cf8acf6a3f38229c", "n=7 blob id");
        assertEq(n, 7, "n");
        assertEq(ss, 68, "symbol size of 1000 bytes at n=7");
        (id, n, ss) = h.blobId(MD4);
        assertEq(id, hex"4f99cc3aa974f36860b9b759e39c9b5161cbc993fe5d3434ea736c9deae46377", "n=4 blob id");
        assertEq(ss, 2, "symbol size");
    }

    /// The vector's answers for symbol 1-2 verify on their axis, not on the other one, and
    /// not for another id; a flipped data byte or a truncated answer does not verify.
    function test_recoverySymbolVectors() public {
        h.check(MD4, PRIMARY, 0, 1, 2);
        h.check(MD4, SECONDARY, 1, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, uint8(4)));
        h.check(MD4, PRIMARY, 1, 1, 2);
        vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, uint8(4)));
        h.check(MD4, PRIMARY, 0, 2, 1);
        bytes memory bad = PRIMARY;
        bad[5] = bytes1(uint8(bad[5]) ^ 1);
        vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, uint8(6)));
        h.check(MD4, bad, 0, 1, 2);
        bytes memory cut = new bytes(PRIMARY.length - 1);
        for (uint256 i = 0; i < cut.length; i++) cut[i] = PRIMARY[i];
        vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, uint8(1)));
        h.check(MD4, cut, 0, 1, 2);
        bytes memory trailing = abi.encodePacked(PRIMARY, uint8(0));
        vm.expectRevert(abi.encodeWithSelector(Walrus.Invalid.selector, uint8(1)));
        h.check(MD4, trailing, 0, 1, 2);
    }
}
