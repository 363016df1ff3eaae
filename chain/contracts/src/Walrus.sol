// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Blake2b} from "./Blake2b.sol";

/// @notice The Walrus wire formats of DESIGN.md ("Wire formats") as far as a fraud proof
/// needs them: BCS BlobMetadata → blob ID, and a recovery-symbol answer (BCS list of
/// GeneralRecoverySymbol) checked against the metadata. Parsing is exactly as strict as the
/// auditor's (audit/bcs.c): canonical ULEB128 of at most 5 bytes, known tags only, no
/// trailing bytes, the same limits. Anything that does not verify reverts Invalid(why).
/// Internal functions only.
library Walrus {
    uint256 internal constant MAX_IDS = 64; // recovery symbols per answer
    uint256 internal constant MAX_PROOF = 16; // Merkle proof nodes per symbol
    uint256 internal constant MAX_SYMBOL = 65534;
    uint256 internal constant MAX_SHARDS = 65535;

    // Invalid(why): what did not verify
    uint8 internal constant BAD_BCS = 1;
    uint8 internal constant BAD_TYPE = 2;
    uint8 internal constant TOO_LARGE = 3;
    uint8 internal constant NO_SYMBOL = 4;
    uint8 internal constant WRONG_SIZE = 5;
    uint8 internal constant BAD_PROOF = 6;

    error Invalid(uint8 why);

    /// A parsed BlobMetadata: its blob ID, shard count, symbol size and the committed
    /// sliver hash a symbol of (axis, row, col) is proven against.
    struct Meta {
        bytes32 blobId;
        uint256 n;
        uint256 symbolSize;
        bytes32 root;
    }

    /// One recovery symbol found in an answer (offsets into the answer).
    struct Found {
        bool found;
        uint256 dataOff;
        uint256 dataLen;
        uint256 target;
        uint256 proofOff;
        uint256 proofLen;
    }

    function uleb(bytes calldata b, uint256 off, uint256 max) internal pure returns (uint256 v, uint256) {
        for (uint256 i = 0;; i++) {
            if (i == 5 || off >= b.length) revert Invalid(BAD_BCS);
            uint256 x = uint8(b[off++]);
            v |= (x & 0x7f) << (7 * i);
            if (x & 0x80 == 0) {
                if (x == 0 && i > 0) revert Invalid(BAD_BCS);
                break;
            }
        }
        if (v > type(uint32).max || v > max) revert Invalid(BAD_BCS);
        return (v, off);
    }

    function u16le(bytes calldata b, uint256 off) internal pure returns (uint256, uint256) {
        if (off + 2 > b.length) revert Invalid(BAD_BCS);
        return (uint256(uint8(b[off])) | (uint256(uint8(b[off + 1])) << 8), off + 2);
    }

    /// A Merkle Node: 0x00 (empty: 32 zero bytes) or 0x01 ‖ 32 bytes.
    function node(bytes calldata b, uint256 off) internal pure returns (bytes32 h, uint256) {
        // the tag is a ULEB128 of value 0 or 1: one byte, 0x00 or 0x01
        if (off >= b.length) revert Invalid(BAD_BCS);
        uint8 tag = uint8(b[off]);
        if (tag == 0) return (bytes32(0), off + 1);
        if (tag != 1 || off + 33 > b.length) revert Invalid(BAD_BCS);
        return (bytes32(b[off + 1:off + 33]), off + 33);
    }

    /// Symbol size of DESIGN.md: ⌈max(len,1) / (k_p·k_s)⌉ rounded up to even, at most 65534.
    function symbolSize(uint256 n, uint256 len) internal pure returns (uint256 s) {
        uint256 f = (n - 1) / 3;
        uint256 src = (n - 2 * f) * (n - f);
        if (len == 0) len = 1;
        s = len / src + (len % src != 0 ? 1 : 0);
        s += s % 2;
        if (s > MAX_SYMBOL) revert Invalid(TOO_LARGE);
    }

    /// Merkle root (leaf hashes given; inner = H(0x01 ‖ l ‖ r), an odd level's missing right
    /// sibling is 32 zero bytes, the empty tree's root is 32 zero bytes). Overwrites `h`.
    function root(bytes32[] memory h) internal view returns (bytes32) {
        uint256 k = h.length;
        if (k == 0) return bytes32(0);
        while (k > 1) {
            uint256 up = (k + 1) / 2;
            for (uint256 j = 0; j < up; j++) {
                bytes32 r = 2 * j + 1 < k ? h[2 * j + 1] : bytes32(0);
                h[j] = Blake2b.hash65(1, h[2 * j], r);
            }
            k = up;
        }
        return h[0];
    }

    function depth(uint256 n) internal pure returns (uint256 d) {
        while ((uint256(1) << d) < n) d++;
    }

    /// Parses a bare BCS BlobMetadata (V1) and computes its blob ID:
    /// BLAKE2b-256(encoding_type ‖ unencoded_length u64 LE ‖ root over n leaves
    /// H(0x00 ‖ primary_hash ‖ secondary_hash)). The encoding type must be one the auditor
    /// knows (1 = RS2; the reference encoder's 2 = RS over GF(2^8), 3 = Cauchy RS over
    /// GF(2^16)); all three share symbolSize (audit/blob.c). `root` is the sliver hash that proves
    /// symbol row-col on `axis`: hashes[row].primary (0) or hashes[n-1-col].secondary (1).
    function metadata(bytes calldata md, uint8 axis, uint256 row, uint256 col)
        internal
        view
        returns (Meta memory m)
    {
        (uint256 version, uint256 off) = uleb(md, 0, type(uint32).max);
        uint256 enc;
        (enc, off) = uleb(md, off, type(uint32).max);
        if (version != 0 || enc == 0 || enc > 3) revert Invalid(BAD_TYPE);
        if (off + 8 > md.length) revert Invalid(BAD_BCS);
        uint256 len;
        for (uint256 i = 0; i < 8; i++) {
            len |= uint256(uint8(md[off + i])) << (8 * i);
        }
        off += 8;
        (m.n, off) = uleb(md, off, MAX_SHARDS);
        if (m.n == 0 || m.n > (md.length - off) / 2) revert Invalid(BAD_BCS);
        uint256 pair = axis == 0 ? row : m.n - 1 - col;
        bytes32[] memory leaves = new bytes32[](m.n);
        for (uint256 p = 0; p < m.n; p++) {
            bytes32 a;
            bytes32 b;
            (a, off) = node(md, off);
            (b, off) = node(md, off);
            if (p == pair) m.root = axis == 0 ? a : b;
            leaves[p] = Blake2b.hash65(0, a, b);
        }
        if (off != md.length) revert Invalid(BAD_BCS);
        m.symbolSize = symbolSize(m.n, len);
        m.blobId = Blake2b.hash(abi.encodePacked(uint8(enc), _le64(len), root(leaves)));
    }

    function _le64(uint256 x) private pure returns (bytes8 r) {
        uint64 y;
        for (uint256 i = 0; i < 8; i++) {
            y = (y << 8) | uint64((x >> (8 * i)) & 0xff);
        }
        return bytes8(y);
    }

    /// Checks an answer to GET .../recoverySymbols (ULEB128 count ‖ items) for symbol
    /// row-col on `axis` (0 primary: tag 1, index = row, target = col; 1 secondary: tag 0,
    /// index = col, target = row): the whole answer parses (at most MAX_IDS items, no more
    /// bytes than the auditor's cap), its first item with that tag and id has the symbol
    /// size and a Merkle proof (exactly ⌈log₂ n⌉ nodes, leaf `target`) that leads to
    /// `m.root`. Reverts Invalid(why) otherwise.
    function checkSymbol(bytes calldata body, Meta memory m, uint8 axis, uint256 row, uint256 col)
        internal
        view
    {
        if (axis > 1 || row >= m.n || col >= m.n) revert Invalid(NO_SYMBOL);
        (uint256 count, uint256 off) = uleb(body, 0, MAX_IDS);
        if (count > (body.length - off) / 7) revert Invalid(BAD_BCS);
        if (body.length > 5 + count * (15 + m.symbolSize + MAX_PROOF * 33) + 64) revert Invalid(TOO_LARGE);
        Found memory f;
        // primary axis: tag 1, index = row, target = col; secondary: tag 0, index = col, target = row
        uint256 want = axis == 0 ? (1 << 32 | row << 16 | col) : (col << 16 | row);
        for (uint256 i = 0; i < count; i++) {
            off = _item(body, off, f, want);
        }
        if (off != body.length) revert Invalid(BAD_BCS);
        if (!f.found) revert Invalid(NO_SYMBOL);
        if (f.dataLen != m.symbolSize) revert Invalid(WRONG_SIZE);
        if (f.proofLen != depth(m.n)) revert Invalid(BAD_PROOF);
        bytes32 cur = Blake2b.leafCalldata(body[f.dataOff:f.dataOff + f.dataLen]);
        uint256 idx = f.target;
        off = f.proofOff;
        for (uint256 k = 0; k < f.proofLen; k++) {
            bytes32 sib;
            (sib, off) = node(body, off);
            cur = idx & 1 == 1 ? Blake2b.hash65(1, sib, cur) : Blake2b.hash65(1, cur, sib);
            idx >>= 1;
        }
        if (cur != m.root) revert Invalid(BAD_PROOF);
    }

    /// Parses one GeneralRecoverySymbol at `off`; records it in `f` if it is the first with
    /// `want` = tag << 32 | index << 16 | target.
    function _item(bytes calldata b, uint256 off, Found memory f, uint256 want) private pure returns (uint256) {
        uint256 tag;
        uint256 index;
        (tag, off) = uleb(b, off, type(uint32).max);
        if (tag > 1) revert Invalid(BAD_BCS);
        (index, off) = u16le(b, off);
        uint256 len;
        (len, off) = uleb(b, off, MAX_SYMBOL);
        if (off + len > b.length) revert Invalid(BAD_BCS);
        uint256 dataOff = off;
        uint256 target;
        (target, off) = u16le(b, off + len);
        uint256 count;
        (count, off) = uleb(b, off, MAX_PROOF);
        if (!f.found && (tag << 32 | index << 16 | target) == want) {
            f.found = true;
            f.dataOff = dataOff;
            f.dataLen = len;
            f.target = target;
            f.proofOff = off;
            f.proofLen = count;
        }
        return _skipNodes(b, off, count);
    }

    function _skipNodes(bytes calldata b, uint256 off, uint256 count) private pure returns (uint256) {
        for (uint256 k = 0; k < count; k++) {
            (, off) = node(b, off);
        }
        return off;
    }
}
