// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice The evidence tree, version 2 (settle/EVIDENCE.md): per committee node a
/// Merkle-sum tree over its decided records whose every node carries (passed, decided),
/// and a top tree over the committee's node entries. Internal functions only (inlined
/// into Settlement).
library EvidenceTree {
    /// A sum-tree node: its hash and the totals it declares.
    struct SumNode {
        bytes32 h;
        uint32 passed;
        uint32 decided;
    }

    uint256 internal constant RECORD_LEN = 150;
    uint256 internal constant MAX_DEPTH = 32;
    bytes17 internal constant TAG = "assay.evidence.v2";
    uint8 internal constant PASS = 0;
    uint8 internal constant AUDITOR_ERROR = 9;

    error BadProof();

    function enc(SumNode memory x) internal pure returns (bytes memory) {
        return abi.encodePacked(x.h, x.passed, x.decided);
    }

    /// inner(l, r) = (H(0x01 ‖ l ‖ r), l.passed + r.passed, l.decided + r.decided); reverts
    /// when a total does not fit u32 (no honest tree has one).
    function combine(SumNode memory l, SumNode memory r) internal pure returns (SumNode memory) {
        return SumNode(
            keccak256(abi.encodePacked(uint8(1), enc(l), enc(r))),
            uint32(uint256(l.passed) + r.passed),
            uint32(uint256(l.decided) + r.decided)
        );
    }

    /// entry(node, subroot) = H(0x02 ‖ node ‖ subroot)
    function entry(address node, SumNode memory sub) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(uint8(2), node, enc(sub)));
    }

    /// The top tree's root from entry `index` and its sibling path (inner = H(0x03 ‖ l ‖ r)).
    function topRoot(bytes32 leaf, uint256 index, uint256 count, bytes32[] calldata path)
        internal
        pure
        returns (bytes32 h)
    {
        if (index >= count || path.length != ceilLog2(count)) revert BadProof();
        h = leaf;
        for (uint256 k = 0; k < path.length; k++) {
            h = (index >> k) & 1 == 0
                ? keccak256(abi.encodePacked(uint8(3), h, path[k]))
                : keccak256(abi.encodePacked(uint8(3), path[k], h));
        }
    }

    /// The sum subtree's root from node `x` at position `pos` below it (path bottom-up).
    function sumRoot(SumNode memory x, uint256 pos, SumNode[] calldata path)
        internal
        pure
        returns (SumNode memory cur)
    {
        if (path.length > MAX_DEPTH || pos >> path.length != 0) revert BadProof();
        cur = x;
        for (uint256 k = 0; k < path.length; k++) {
            SumNode memory sib = path[k];
            cur = (pos >> k) & 1 == 0 ? combine(cur, sib) : combine(sib, cur);
        }
    }

    function ceilLog2(uint256 n) internal pure returns (uint256 r) {
        while ((uint256(1) << r) < n) r++;
    }
}
