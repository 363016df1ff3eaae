// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @notice BLAKE2b-256 (RFC 7693, unkeyed, 32-byte digest) on the EIP-152 BLAKE2F precompile
/// at address 0x09: 128-byte blocks, 12 rounds, the byte counter t and the final-block flag.
/// Internal functions only (inlined into the caller). Scratch memory past the free memory
/// pointer is used and never allocated.
library Blake2b {
    /// The initial state h[0..7] as the precompile takes it (eight u64 little-endian): the
    /// BLAKE2b IV with h[0] ^= 0x01010000 ^ (key length 0 << 8) ^ digest length 32.
    bytes32 internal constant H0 = 0x28c9bdf267e6096a3ba7ca8485ae67bb2bf894fe72f36e3cf1361d5f3af54fa5;
    bytes32 internal constant H1 = 0xd182e6ad7f520e511f6c3e2b8c68059b6bbd41fbabd9831f79217e1319cde05b;

    error Blake2fFailed();

    /// BLAKE2b-256 of `len` bytes of memory at `src`. The 213-byte precompile input
    /// (rounds u32be ‖ h ‖ m ‖ t ‖ f) sits at the free memory pointer; the output (the new h)
    /// is written over h in place.
    function hashAt(uint256 src, uint256 len) internal view returns (bytes32 digest) {
        bool ok = true;
        assembly ("memory-safe") {
            // the counter t as 16 bytes little-endian (t < 2^64), with f = 0 after it
            function counter(p, x) {
                x := or(shl(8, and(x, 0x00FF00FF00FF00FF)), and(shr(8, x), 0x00FF00FF00FF00FF))
                x := or(shl(16, and(x, 0x0000FFFF0000FFFF)), and(shr(16, x), 0x0000FFFF0000FFFF))
                x := or(shl(32, and(x, 0x00000000FFFFFFFF)), and(shr(32, x), 0x00000000FFFFFFFF))
                mstore(p, shl(192, x))
            }
            let buf := mload(0x40)
            mstore(buf, shl(224, 12))
            mstore(add(buf, 4), H0)
            mstore(add(buf, 36), H1)
            let off := 0
            for {} gt(sub(len, off), 128) {} {
                mcopy(add(buf, 68), add(src, off), 128)
                off := add(off, 128)
                counter(add(buf, 196), off)
                ok := and(ok, staticcall(gas(), 0x09, buf, 213, add(buf, 4), 64))
            }
            let rem := sub(len, off)
            mstore(add(buf, 68), 0)
            mstore(add(buf, 100), 0)
            mstore(add(buf, 132), 0)
            mstore(add(buf, 164), 0)
            mcopy(add(buf, 68), add(src, off), rem)
            counter(add(buf, 196), len)
            mstore8(add(buf, 212), 1)
            ok := and(ok, staticcall(gas(), 0x09, buf, 213, add(buf, 4), 64))
            digest := mload(add(buf, 4))
        }
        if (!ok) revert Blake2fFailed();
    }

    function hash(bytes memory data) internal view returns (bytes32 digest) {
        uint256 src;
        assembly ("memory-safe") {
            src := add(data, 32)
        }
        return hashAt(src, data.length);
    }

    /// BLAKE2b-256 of calldata bytes (copied past the free pointer, 256 bytes above the
    /// precompile input).
    function hashCalldata(bytes calldata data) internal view returns (bytes32) {
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(mload(0x40), 256)
            calldatacopy(dst, data.offset, data.length)
        }
        return hashAt(dst, data.length);
    }

    /// H(prefix ‖ a ‖ b): a Walrus Merkle inner node (prefix 1) or a metadata leaf of a
    /// sliver pair's two hashes (prefix 0).
    function hash65(uint8 prefix, bytes32 a, bytes32 b) internal view returns (bytes32 digest) {
        bool ok;
        assembly ("memory-safe") {
            let buf := mload(0x40)
            mstore(buf, shl(224, 12))
            mstore(add(buf, 4), H0)
            mstore(add(buf, 36), H1)
            mstore8(add(buf, 68), prefix)
            mstore(add(buf, 69), a)
            mstore(add(buf, 101), b)
            mstore(add(buf, 133), 0)
            mstore(add(buf, 165), 0)
            mstore(add(buf, 196), shl(248, 65)) // t = 65, then zeros
            mstore8(add(buf, 212), 1)
            ok := staticcall(gas(), 0x09, buf, 213, add(buf, 4), 64)
            digest := mload(add(buf, 4))
        }
        if (!ok) revert Blake2fFailed();
    }

    /// H(0x00 ‖ data[off .. off + len)) for calldata: a Walrus Merkle leaf.
    function leafCalldata(bytes calldata data) internal view returns (bytes32) {
        uint256 dst;
        assembly ("memory-safe") {
            dst := add(mload(0x40), 256)
            mstore8(dst, 0)
            calldatacopy(add(dst, 1), data.offset, data.length)
        }
        return hashAt(dst, data.length + 1);
    }
}
