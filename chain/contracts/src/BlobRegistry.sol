// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Governed} from "./Governed.sol";
import {Staking} from "./Staking.sol";
import {Settlement} from "./Settlement.sol";

/// @notice Blob registration (paid into the reward pools of the epochs the blob is stored
/// for) and certification by storage confirmations of nodes holding >= n - f shards.
/// Only certified blobs are ever challenged. See INTERFACE.md.
contract BlobRegistry is Governed, EIP712 {
    using SafeERC20 for IERC20;

    uint256 public constant SCHEMA_VERSION = 1;
    bytes32 public constant STORAGE_CONFIRMATION_TYPEHASH =
        keccak256("StorageConfirmation(bytes32 blobId,uint64 epoch)");
    uint256 public constant MIB = 1 << 20;
    uint256 public constant MAX_SYMBOL_SIZE = 65534;

    struct Blob {
        address owner;
        uint8 encodingType;
        uint64 unencodedSize;
        uint64 startEpoch;
        uint64 endEpoch; // exclusive
        uint64 certifiedEpoch;
        uint64 certifiedBlock; // 0 = not certified
        uint64 encodedSize;
        uint128 feePerEpoch;
    }

    IERC20 public immutable token;
    Staking public immutable staking;
    Settlement public immutable settlement;
    uint256 public immutable nShards;

    /// Price in token units per MiB (2^20 bytes, rounded up) of encoded size per epoch.
    uint256 public pricePerMiBPerEpoch;
    mapping(bytes32 => Blob) internal _blobs;

    event PriceChanged(uint256 pricePerMiBPerEpoch);
    event BlobRegistered(
        bytes32 indexed blobId,
        address indexed payer,
        uint64 indexed startEpoch,
        uint64 endEpoch,
        uint64 unencodedSize,
        uint8 encodingType,
        uint64 encodedSize,
        uint256 fee
    );
    event BlobCertified(bytes32 indexed blobId, uint64 indexed epoch, uint64 blockNumber, uint256 shards);
    event BlobExtended(bytes32 indexed blobId, address indexed payer, uint64 oldEndEpoch, uint64 newEndEpoch, uint256 fee);

    error BadParam();
    error BlobExists(bytes32 blobId);
    error UnknownBlob(bytes32 blobId);
    error BlobExpired(bytes32 blobId);
    error AlreadyCertified(bytes32 blobId);
    error BadEncodingType(uint8 encodingType);
    error BlobTooLarge(uint64 unencodedSize);
    error BadEndEpoch(uint64 endEpoch);
    error SignersNotAscending();
    error BadSignature(uint256 index);
    error NotEnoughShards(uint256 have, uint256 need);

    constructor(
        IERC20 token_,
        Staking staking_,
        Settlement settlement_,
        address governance,
        address guardian_,
        uint256 pricePerMiBPerEpoch_
    ) Governed(governance, guardian_) EIP712("assay", "1") {
        token = token_;
        staking = staking_;
        settlement = settlement_;
        nShards = staking_.nShards();
        _setPrice(pricePerMiBPerEpoch_);
    }

    function setPrice(uint256 pricePerMiBPerEpoch_) external onlyOwner {
        _setPrice(pricePerMiBPerEpoch_);
    }

    function _setPrice(uint256 p) internal {
        if (p == 0) revert BadParam();
        pricePerMiBPerEpoch = p;
        emit PriceChanged(p);
    }

    // ---------------------------------------------------------------- sizes

    /// Walrus encoded blob length for n shards: n copies of the metadata
    /// (n * 2 * 32-byte hashes + 32-byte blob id) plus n sliver pairs of
    /// (k_p + k_s) symbols each.
    function encodedSize(uint64 unencodedSize) public view returns (uint64) {
        uint256 n = nShards;
        uint256 f = (n - 1) / 3;
        uint256 kp = n - 2 * f;
        uint256 ks = n - f;
        uint256 len = unencodedSize == 0 ? 1 : unencodedSize;
        uint256 sym = (len + kp * ks - 1) / (kp * ks);
        if (sym % 2 == 1) sym++;
        if (sym > MAX_SYMBOL_SIZE) revert BlobTooLarge(unencodedSize);
        uint256 metadata = n * 64 + 32;
        return uint64(n * metadata + n * (kp + ks) * sym);
    }

    /// Fee per epoch: price * ceil(encoded size / MiB).
    function feePerEpoch(uint64 unencodedSize) public view returns (uint256) {
        return pricePerMiBPerEpoch * ((uint256(encodedSize(unencodedSize)) + MIB - 1) / MIB);
    }

    // ---------------------------------------------------------------- blobs

    /// Registers `blobId` for epochs [current, endEpoch), paying fee-per-epoch for each of
    /// them into that epoch's reward pool. A blob whose lifetime ended may be registered again.
    function registerBlob(bytes32 blobId, uint64 unencodedSize, uint8 encodingType, uint64 endEpoch)
        external
        whenNotPaused
    {
        // 1 = Walrus RS2; 2..127 = other Reed-Solomon codes (reference encoder)
        if (encodingType == 0 || encodingType > 127) revert BadEncodingType(encodingType);
        staking.pokeSeed();
        uint64 cur = staking.currentEpoch();
        if (endEpoch <= cur) revert BadEndEpoch(endEpoch);
        Blob storage b = _blobs[blobId];
        if (b.owner != address(0) && b.endEpoch > cur) revert BlobExists(blobId);
        uint256 per = feePerEpoch(unencodedSize);
        uint256 fee = per * (endEpoch - cur);
        _blobs[blobId] = Blob({
            owner: msg.sender,
            encodingType: encodingType,
            unencodedSize: unencodedSize,
            startEpoch: cur,
            endEpoch: endEpoch,
            certifiedEpoch: 0,
            certifiedBlock: 0,
            encodedSize: encodedSize(unencodedSize),
            feePerEpoch: uint128(per)
        });
        _pay(cur, endEpoch, per, fee);
        emit BlobRegistered(blobId, msg.sender, cur, endEpoch, unencodedSize, encodingType, b.encodedSize, fee);
    }

    /// Extends the blob's lifetime to `newEndEpoch` at the fee fixed at registration. Anyone may pay.
    function extendBlob(bytes32 blobId, uint64 newEndEpoch) external whenNotPaused {
        Blob storage b = _blobs[blobId];
        if (b.owner == address(0)) revert UnknownBlob(blobId);
        uint64 cur = staking.currentEpoch();
        uint64 oldEnd = b.endEpoch;
        if (oldEnd <= cur) revert BlobExpired(blobId);
        if (newEndEpoch <= oldEnd) revert BadEndEpoch(newEndEpoch);
        uint256 fee = uint256(b.feePerEpoch) * (newEndEpoch - oldEnd);
        b.endEpoch = newEndEpoch;
        _pay(oldEnd, newEndEpoch, b.feePerEpoch, fee);
        emit BlobExtended(blobId, msg.sender, oldEnd, newEndEpoch, fee);
    }

    function _pay(uint64 fromEpoch, uint64 toEpoch, uint256 per, uint256 fee) internal {
        token.safeTransferFrom(msg.sender, address(this), fee);
        token.forceApprove(address(settlement), fee);
        settlement.fundEpochs(fromEpoch, toEpoch, per);
    }

    /// Certifies `blobId` in the current epoch. `members` are ascending committee positions
    /// of the current epoch and `sigs[i]` the 65-byte (r, s, v) signature of member
    /// members[i]'s node key over StorageConfirmation(blobId, currentEpoch). Their shard
    /// counts must sum to at least n - f.
    function certifyBlob(bytes32 blobId, uint16[] calldata members, bytes[] calldata sigs) external {
        Blob storage b = _blobs[blobId];
        if (b.owner == address(0)) revert UnknownBlob(blobId);
        if (b.certifiedBlock != 0) revert AlreadyCertified(blobId);
        staking.pokeSeed();
        uint64 cur = staking.currentEpoch();
        if (b.endEpoch <= cur) revert BlobExpired(blobId);
        if (members.length != sigs.length) revert BadParam();
        bytes32 digest = confirmationDigest(blobId, cur);
        uint256 total;
        for (uint256 i = 0; i < members.length; i++) {
            if (i > 0 && members[i] <= members[i - 1]) revert SignersNotAscending();
            (, uint16 shards, address key) = staking.committeeMember(cur, members[i]);
            if (ECDSA.recover(digest, sigs[i]) != key) revert BadSignature(i);
            total += shards;
        }
        uint256 need = nShards - (nShards - 1) / 3;
        if (total < need) revert NotEnoughShards(total, need);
        b.certifiedEpoch = cur;
        b.certifiedBlock = uint64(block.number);
        emit BlobCertified(blobId, cur, uint64(block.number), total);
    }

    // ---------------------------------------------------------------- views

    function confirmationDigest(bytes32 blobId, uint64 epoch) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(STORAGE_CONFIRMATION_TYPEHASH, blobId, epoch)));
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    function blobInfo(bytes32 blobId) external view returns (Blob memory) {
        return _blobs[blobId];
    }

    /// True iff the blob was certified at or before `blockNumber` (the snapshot rule).
    function isCertifiedAt(bytes32 blobId, uint256 blockNumber) public view returns (bool) {
        uint64 cb = _blobs[blobId].certifiedBlock;
        return cb != 0 && cb <= blockNumber;
    }

    /// Whether auditors may challenge the blob in `epoch`: certified in an earlier epoch
    /// (so every node had an epoch to recover slivers it did not confirm), no later than
    /// the epoch's seed block, and `epoch` < endEpoch. Uncertified blobs never are.
    function isChallengeable(bytes32 blobId, uint64 epoch) external view returns (bool) {
        Blob storage b = _blobs[blobId];
        if (b.certifiedBlock == 0 || epoch <= b.certifiedEpoch || epoch >= b.endEpoch) return false;
        (, uint64 seedBlock,) = staking.epochSeed(epoch);
        return b.certifiedBlock <= seedBlock;
    }
}
