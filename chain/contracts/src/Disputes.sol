// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {Settlement} from "./Settlement.sol";
import {Staking} from "./Staking.sol";
import {BlobRegistry} from "./BlobRegistry.sol";
import {EvidenceTree} from "./EvidenceTree.sol";
import {Blake2b} from "./Blake2b.sol";
import {Walrus} from "./Walrus.sol";

/// @notice Fraud proofs against revealed attestations (DESIGN.md "Disputes", INTERFACE.md
/// "Fraud proofs"), each one transaction by anyone while the epoch's dispute window is open.
/// A proof that holds makes Settlement convict the auditor (Settlement.convict: the
/// attestation leaves the epoch, the bond is burned but the disputer's share, paid to the
/// caller); one that does not reverts, NoFraud() when the evidence is what it should be.
/// Fraud proof 1a (node totals against the attested counts) is Settlement.disputeNodeTotal.
contract Disputes {
    uint256 public constant SCHEMA_VERSION = 1;
    uint8 public constant DISPUTE_SUM_NODE = 2; // 1b: an inner node's totals are not its children's
    uint8 public constant DISPUTE_RECORD = 3; // 1b: a record leaf that is not a record of this node
    uint8 public constant DISPUTE_ORDER = 4; // 1b: two records of a node out of seq order
    uint8 public constant DISPUTE_VERDICT = 5; // 2: a failed verdict on an answer that verifies
    uint8 public constant DISPUTE_SCHEDULE = 6; // 3: a record the schedule does not produce
    uint8 public constant DISPUTE_TOO_MANY = 7; // 3: more decided records than the node has challenges

    uint256 internal constant RECORD_LEN = 150;
    bytes17 internal constant TAG = "assay.evidence.v2";
    uint8 internal constant PASS = 0;
    uint8 internal constant INVALID_PROOF = 1;
    uint8 internal constant WRONG_SIZE = 2;
    uint8 internal constant BAD_METADATA = 3;
    uint8 internal constant MALFORMED = 6;
    uint8 internal constant AUDITOR_ERROR = 9;

    Settlement public immutable settlement;
    Staking public immutable staking;
    BlobRegistry public immutable registry;
    uint256 public immutable nShards;
    /// The schedule's min_per_node and per_shard (audit/SCHEDULE.md): fixed for the
    /// deployment so that anyone can recompute which node a sequence number belongs to.
    uint32 public immutable minPerNode;
    uint32 public immutable perShard;
    /// The schedule's batch_size: challenges j·batchSize … of a node go out together, and a
    /// recoverySymbols request holds the ids of one batch, blob and axis (audit/SCHEDULE.md),
    /// so the body a failed verdict hashed can be rebuilt from the public schedule (proof 2).
    uint32 public immutable batchSize;

    /// A node's entry in the evidence top tree: committee position `index`, the node, its
    /// sum subtree's root `sub` and the sibling path to the evidence root.
    struct Entry {
        uint256 index;
        address node;
        EvidenceTree.SumNode sub;
        bytes32[] topPath;
    }

    /// A record leaf (its 150 bytes and the totals its leaf declares) at position `pos` of
    /// the entry's sum subtree, `path` its siblings bottom-up.
    struct RecordProof {
        Entry entry;
        bytes record;
        uint32 passed;
        uint32 decided;
        uint256 pos;
        EvidenceTree.SumNode[] path;
    }

    /// An inner node `x` (totals as declared) of the entry's subtree with its children.
    struct SumProof {
        Entry entry;
        EvidenceTree.SumNode x;
        EvidenceTree.SumNode left;
        EvidenceTree.SumNode right;
        uint256 pos;
        EvidenceTree.SumNode[] path;
    }

    error NoFraud();
    error WrongEvidence(uint64 epoch, uint8 auditorId);
    error BadRecord();
    error BadSecret();
    error NoSeed(uint64 epoch);
    error BodyMismatch();
    error WrongMetadata();
    error Unprovable();
    error BadParam();

    constructor(
        Settlement settlement_,
        BlobRegistry registry_,
        uint32 minPerNode_,
        uint32 perShard_,
        uint32 batchSize_
    ) {
        if (address(registry_.settlement()) != address(settlement_) || minPerNode_ == 0 || batchSize_ == 0) {
            revert BadParam();
        }
        settlement = settlement_;
        staking = settlement_.staking();
        registry = registry_;
        nShards = staking.nShards();
        minPerNode = minPerNode_;
        perShard = perShard_;
        batchSize = batchSize_;
    }

    // ---------------------------------------------------------------- 1b: the evidence tree

    /// An inner node of a node's sum subtree whose totals are not the sums of its
    /// children's (the highest such node on its path is always provable).
    function disputeSumNode(uint64 epoch, uint8 auditorId, SumProof calldata pr) external {
        _checkEntry(epoch, auditorId, pr.entry);
        EvidenceTree.SumNode memory x = pr.x;
        if (x.h != keccak256(abi.encodePacked(uint8(1), EvidenceTree.enc(pr.left), EvidenceTree.enc(pr.right)))) {
            revert EvidenceTree.BadProof();
        }
        _checkInSubtree(epoch, auditorId, pr.entry, x, pr.pos, pr.path);
        if (
            uint256(pr.left.passed) + pr.right.passed == x.passed
                && uint256(pr.left.decided) + pr.right.decided == x.decided
        ) revert NoFraud();
        settlement.convict(epoch, auditorId, DISPUTE_SUM_NODE, msg.sender);
    }

    /// A record leaf that is not a decided record of this node by this auditor: not 150
    /// bytes, another tag, epoch, auditor or node, an unknown outcome, leaf totals other
    /// than (outcome = pass, outcome ≠ auditor_error), or a verdict on a body
    /// (invalid_proof, wrong_size, bad_metadata, malformed) without the body's hash. The
    /// attempt number is not checked (auditors may configure more re-asks).
    function disputeRecord(uint64 epoch, uint8 auditorId, RecordProof calldata rp) external {
        _checkRecord(epoch, auditorId, rp);
        if (_wellFormed(epoch, auditorId, rp)) revert NoFraud();
        settlement.convict(epoch, auditorId, DISPUTE_RECORD, msg.sender);
    }

    /// Two records of one node's subtree, `a` left of `b`, whose seq are not strictly
    /// ascending (a record counted twice, or out of order).
    function disputeOrder(uint64 epoch, uint8 auditorId, RecordProof calldata a, RecordProof calldata b) external {
        _checkRecord(epoch, auditorId, a);
        _checkRecord(epoch, auditorId, b);
        if (a.entry.index != b.entry.index || !_wellFormed(epoch, auditorId, a) || !_wellFormed(epoch, auditorId, b)) {
            revert BadRecord();
        }
        // left-to-right order of two leaves of any depth: their paths read from the root
        if ((a.pos << (32 - a.path.length)) >= (b.pos << (32 - b.path.length))) revert EvidenceTree.BadProof();
        if (_seq(a.record) < _seq(b.record)) revert NoFraud();
        settlement.convict(epoch, auditorId, DISPUTE_ORDER, msg.sender);
    }

    // ---------------------------------------------------------------- 2: verdicts

    /// A record whose outcome is invalid_proof, wrong_size, bad_metadata or malformed while
    /// the answer it hashed (`body`, BLAKE2b-256 = the record's response_hash) verifies
    /// against `metadata` (bare BCS BlobMetadata whose blob ID is the record's blob). The
    /// outcome says which answer decided the record: bad_metadata the metadata request's,
    /// whose answer verifies if it is blob_id ‖ metadata (`metadata` may then be empty: the
    /// body's tail after 32 bytes is taken); the others the recoverySymbols request's, whose
    /// answer verifies if it holds the record's symbol with the right size and a valid proof
    /// (Walrus.checkSymbol). A body of the other form is not an answer to that request.
    function disputeVerdict(
        uint64 epoch,
        uint8 auditorId,
        RecordProof calldata rp,
        bytes calldata metadata,
        bytes calldata body
    ) external {
        _checkRecord(epoch, auditorId, rp);
        if (!_wellFormed(epoch, auditorId, rp)) revert BadRecord();
        bytes calldata rec = rp.record;
        uint8 outcome = uint8(rec[113]);
        if (!_isVerdict(outcome)) revert NoFraud();
        if (Blake2b.hashCalldata(body) != bytes32(rec[118:150])) revert BodyMismatch();
        if (outcome == BAD_METADATA) {
            // the metadata answer carries the metadata itself: it need not be sent twice
            bytes calldata md = metadata.length == 0 && body.length > 32 ? body[32:] : metadata;
            Walrus.Meta memory m = _metadataOf(rec, md);
            bool metadataAnswer = body.length == 32 + md.length && bytes32(body[0:32]) == m.blobId
                && keccak256(body[32:]) == keccak256(md);
            if (!metadataAnswer) revert Walrus.Invalid(Walrus.BAD_BCS);
        } else {
            Walrus.Meta memory m = _metadataOf(rec, metadata);
            Walrus.checkSymbol(body, m, uint8(rec[112]), uint16(bytes2(rec[108:110])), uint16(bytes2(rec[110:112])));
        }
        settlement.convict(epoch, auditorId, DISPUTE_VERDICT, msg.sender);
    }

    /// invalid_proof, wrong_size, bad_metadata, malformed: a verdict on a body received whole.
    function _isVerdict(uint8 outcome) internal pure returns (bool) {
        return outcome == INVALID_PROOF || outcome == WRONG_SIZE || outcome == BAD_METADATA || outcome == MALFORMED;
    }

    /// The metadata of the record's blob, with the sliver hash that proves its symbol.
    function _metadataOf(bytes calldata rec, bytes calldata metadata) internal view returns (Walrus.Meta memory m) {
        uint256 col = uint16(bytes2(rec[110:112]));
        m = Walrus.metadata(metadata, uint8(rec[112]), uint16(bytes2(rec[108:110])), col % nShards);
        if (m.blobId != bytes32(rec[74:106]) || m.n != nShards) revert WrongMetadata();
    }

    // ---------------------------------------------------------------- 3: the schedule

    /// A record whose challenge the schedule (audit/SCHEDULE.md) does not produce, by the
    /// rules checkable on chain: its blob is in the epoch's snapshot, its seq is one of its
    /// node's (min_per_node / per_shard on chain), its shard is that challenge's round-robin
    /// shard, its axis and symbol are the PRF's. `secret` is the auditor's revealed secret.
    function disputeSchedule(uint64 epoch, uint8 auditorId, RecordProof calldata rp, bytes32 secret) external {
        _checkRecord(epoch, auditorId, rp);
        if (!_wellFormed(epoch, auditorId, rp)) revert BadRecord();
        if (keccak256(abi.encodePacked(secret)) != settlement.secretHashes(epoch, auditorId)) revert BadSecret();
        (address member,,) = staking.committeeMember(epoch, rp.entry.index);
        if (member != rp.entry.node) revert BadRecord(); // Settlement.disputeNodeTotal proves that
        if (scheduled(epoch, rp.entry.index, rp.record, secret, settlement.revealSigners(epoch, auditorId))) {
            revert NoFraud();
        }
        settlement.convict(epoch, auditorId, DISPUTE_SCHEDULE, msg.sender);
    }

    /// A node's subtree declares more decided records than the schedule gives the node
    /// challenges (C_i; no secret needed): a bound on what records that no one can open
    /// (a subtree node whose hash has no known preimage) can add.
    function disputeTooMany(uint64 epoch, uint8 auditorId, Entry calldata e) external {
        _checkEntry(epoch, auditorId, e);
        (address member,,) = staking.committeeMember(epoch, e.index);
        if (member != e.node) revert BadRecord(); // Settlement.disputeNodeTotal proves that
        if (e.sub.decided <= challengesOf(epoch, e.index)) revert NoFraud();
        settlement.convict(epoch, auditorId, DISPUTE_TOO_MANY, msg.sender);
    }

    /// C_i of committee position `index` in `epoch` (0 when it holds no challengeable shard).
    function challengesOf(uint64 epoch, uint256 index) public view returns (uint256) {
        bytes memory owners = staking.shardOwnerIndices(epoch);
        uint256[] memory grace = staking.graceBitmap(epoch);
        uint256 m;
        for (uint256 s = 0; s < owners.length; s++) {
            if (uint8(owners[s]) == index && (grace.length == 0 || (grace[s >> 8] >> (s & 255)) & 1 == 0)) m++;
        }
        return _challenges(m);
    }

    /// Whether the schedule of (epoch, secret, auditor) has challenge seq for committee
    /// position `index` with the record's blob, shard, axis and symbol (the checkable rules).
    function scheduled(uint64 epoch, uint256 index, bytes calldata rec, bytes32 secret, address auditor)
        public
        view
        returns (bool)
    {
        return _blobInSnapshot(epoch, bytes32(rec[74:106])) && _shardOk(epoch, index, rec)
            && _symbolMatches(rec, _hashOf(epoch, rec, secret, auditor));
    }

    function _hashOf(uint64 epoch, bytes calldata rec, bytes32 secret, address auditor) internal view returns (uint256) {
        return challengeHash(_seed(epoch), secret, auditor, epoch, _seq(rec));
    }

    function _shardOk(uint64 epoch, uint256 index, bytes calldata rec) internal view returns (bool) {
        (bool inRange, uint256 shard) = _shardOf(epoch, index, _seq(rec));
        return inRange && shard == uint16(bytes2(rec[106:108]));
    }

    function _seed(uint64 epoch) internal view returns (bytes32 seed) {
        uint8 source;
        (seed,, source) = staking.epochSeed(epoch);
        if (source == 0) revert NoSeed(epoch);
    }

    function _symbolMatches(bytes calldata rec, uint256 h) internal view returns (bool) {
        (uint256 axis, uint256 row, uint256 col) =
            symbolOf(h, nShards, bytes32(rec[74:106]), uint16(bytes2(rec[106:108])));
        return uint8(rec[112]) == axis && uint16(bytes2(rec[108:110])) == row && uint16(bytes2(rec[110:112])) == col;
    }

    /// h = keccak256("assay.challenge.v1" ‖ seed ‖ secret ‖ auditor ‖ u64be epoch ‖ u64be seq)
    function challengeHash(bytes32 seed, bytes32 secret, address auditor, uint64 epoch, uint256 seq)
        public
        pure
        returns (uint256)
    {
        return uint256(keccak256(abi.encodePacked("assay.challenge.v1", seed, secret, auditor, epoch, uint64(seq))));
    }

    /// A challenge's axis (0 primary) and symbol row-col once its blob and shard are known
    /// (audit/SCHEDULE.md): pair = (shard − blob mod n) mod n, target = mulhi(be64(h[8..16]), n),
    /// axis = h[16] & 1; primary: pair-target, secondary: target-(n−1−pair).
    function symbolOf(uint256 h, uint256 n, bytes32 blob, uint256 shard)
        public
        pure
        returns (uint256 axis, uint256 row, uint256 col)
    {
        uint256 pair = (shard + n - uint256(blob) % n) % n;
        uint256 target = (((h >> 128) & type(uint64).max) * n) >> 64;
        axis = (h >> 120) & 1;
        (row, col) = axis == 0 ? (pair, target) : (target, n - 1 - pair);
    }

    /// The blob snapshot rule of epoch e (BlobRegistry.isChallengeable). A blob registered
    /// again after e (its lifetime ended) no longer shows its state in e: not provable.
    function _blobInSnapshot(uint64 epoch, bytes32 blob) internal view returns (bool) {
        BlobRegistry.Blob memory b = registry.blobInfo(blob);
        if (b.owner == address(0)) return false;
        if (b.startEpoch > epoch) revert Unprovable();
        return registry.isChallengeable(blob, epoch);
    }

    /// Whether seq is one of committee position `index`'s challenges and, if so, its shard:
    /// node i holds m_i challengeable shards (owned in the epoch, not in grace), gets
    /// C_i = max(minPerNode, perShard·m_i) challenges (0 when m_i = 0) numbered after the
    /// earlier positions', and challenge j asks shard s_i[j mod m_i].
    function _shardOf(uint64 epoch, uint256 index, uint256 seq) internal view returns (bool, uint256) {
        bytes memory owners = staking.shardOwnerIndices(epoch);
        uint256[] memory grace = staking.graceBitmap(epoch);
        uint256[] memory m = new uint256[](staking.committeeSize(epoch));
        for (uint256 s = 0; s < owners.length; s++) {
            if (grace.length == 0 || (grace[s >> 8] >> (s & 255)) & 1 == 0) m[uint8(owners[s])]++;
        }
        uint256 start;
        for (uint256 i = 0; i < index; i++) {
            start += _challenges(m[i]);
        }
        if (seq < start || seq >= start + _challenges(m[index])) return (false, 0);
        uint256 want = (seq - start) % m[index];
        for (uint256 s = 0; s < owners.length; s++) {
            if (uint8(owners[s]) != index || (grace.length != 0 && (grace[s >> 8] >> (s & 255)) & 1 == 1)) continue;
            if (want == 0) return (true, s);
            want--;
        }
        return (false, 0); // unreachable: m[index] shards were counted
    }

    function _challenges(uint256 m) internal view returns (uint256 c) {
        if (m == 0) return 0;
        c = uint256(perShard) * m;
        if (c < minPerNode) c = minPerNode;
    }

    // ---------------------------------------------------------------- evidence

    /// The entry leads by its top path to the auditor's revealed evidence root.
    function _checkEntry(uint64 epoch, uint8 auditorId, Entry calldata e) internal view {
        bytes32 root = settlement.evidenceRoots(epoch, auditorId);
        bytes32 got = EvidenceTree.topRoot(EvidenceTree.entry(e.node, e.sub), e.index, staking.committeeSize(epoch), e.topPath);
        if (root == bytes32(0) || got != root) revert WrongEvidence(epoch, auditorId);
    }

    /// `x` (totals as declared) sits at `pos` of the entry's subtree: its path leads to the
    /// subtree root's hash; with an empty path it is the root itself, totals included.
    function _checkInSubtree(
        uint64 epoch,
        uint8 auditorId,
        Entry calldata e,
        EvidenceTree.SumNode memory x,
        uint256 pos,
        EvidenceTree.SumNode[] calldata path
    ) internal pure {
        bool ok = path.length == 0
            ? pos == 0 && x.h == e.sub.h && x.passed == e.sub.passed && x.decided == e.sub.decided
            : EvidenceTree.sumRoot(x, pos, path).h == e.sub.h;
        if (!ok) revert WrongEvidence(epoch, auditorId);
    }

    function _checkRecord(uint64 epoch, uint8 auditorId, RecordProof calldata rp) internal view {
        _checkEntry(epoch, auditorId, rp.entry);
        EvidenceTree.SumNode memory leaf =
            EvidenceTree.SumNode(keccak256(abi.encodePacked(uint8(0), rp.record)), rp.passed, rp.decided);
        _checkInSubtree(epoch, auditorId, rp.entry, leaf, rp.pos, rp.path);
    }

    /// The leaf is a record of this epoch, auditor (its signer at the reveal) and node, with
    /// a known outcome, the leaf totals its outcome implies, and, when the outcome is a
    /// verdict on a body, the body's hash (fraud proof 2 opens it; settle/EVIDENCE.md says
    /// why an honest auditor always has one).
    function _wellFormed(uint64 epoch, uint8 auditorId, RecordProof calldata rp) internal view returns (bool) {
        bytes calldata r = rp.record;
        if (r.length != RECORD_LEN || bytes17(r[0:17]) != TAG) return false;
        uint8 outcome = uint8(r[113]);
        if (_isVerdict(outcome) && bytes32(r[118:150]) == bytes32(0)) return false;
        return uint64(bytes8(r[17:25])) == epoch && address(bytes20(r[25:45])) == settlement.revealSigners(epoch, auditorId)
            && address(bytes20(r[54:74])) == rp.entry.node && outcome <= AUDITOR_ERROR
            && rp.passed == (outcome == PASS ? 1 : 0) && rp.decided == (outcome != AUDITOR_ERROR ? 1 : 0);
    }

    function _seq(bytes calldata r) internal pure returns (uint256) {
        return uint64(bytes8(r[45:53]));
    }
}
