// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Governed} from "./Governed.sol";
import {Staking} from "./Staking.sol";
import {EvidenceTree} from "./EvidenceTree.sol";
import {BlobRegistry} from "./BlobRegistry.sol";

/// @notice Auditor commit-reveal attestations, per-epoch reward pools and finalization
/// (median scores, steep reward ramp, slashing, auditor pay). See INTERFACE.md.
///
/// Gas shape: commit and reveal touch O(1) storage; a reveal stores only the hash of
/// its counts and emits the counts. finalizeEpoch takes every revealed auditor's counts
/// again as calldata, checks them against the stored hashes and processes a range of
/// committee positions per call (pagination).
contract Settlement is Governed, EIP712 {
    using SafeERC20 for IERC20;

    uint256 public constant SCHEMA_VERSION = 1;
    bytes32 public constant SECRET_COMMIT_TYPEHASH =
        keccak256("SecretCommit(uint64 epoch,uint8 auditorId,bytes32 secretHash)");
    bytes32 public constant ATTESTATION_COMMIT_TYPEHASH =
        keccak256("AttestationCommit(uint64 epoch,uint8 auditorId,bytes32 attestationDigest)");
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(uint64 epoch,bytes32 committeeHash,bytes32 countsHash,bytes32 evidenceRoot,bytes32 evidenceBlob,bytes32 secret)"
    );
    uint256 public constant SCALE = 1e18; // scores are passed * 1e18 / decided
    uint256 internal constant BPS = 10_000;
    uint256 public constant NO_SCORE = type(uint256).max;

    enum Status {
        Open,
        Finalizing,
        Finalized,
        Voided
    }

    struct Params {
        uint16 r0Bps; // reward ramp starts above this score
        uint16 penaltyBps; // scores below this are slashed
        uint16 slashBps; // share of the node's pool stake burned
        uint16 auditorBps; // share of the epoch pool paid to revealing auditors
        uint8 fA; // auditors that may lie; quorum is 2 fA + 1 reveals
        uint64 commitWindow; // seconds after epoch end for attestation commits
        uint64 revealWindow; // seconds after the commit window for reveals
        uint64 disputeWindow; // seconds after the reveal window before finalization
    }

    struct Auditor {
        address signer;
        address payee;
        bool active;
    }

    struct EpochState {
        uint256 revealedMask; // bit a = auditor a revealed
        uint16 revealedCount;
        bool cancelled; // voided by governance
        Status status;
        uint32 progress; // committee positions [0, progress) processed
        uint128 pool;
        uint128 nodePool;
        uint128 auditorPool;
        uint128 paid;
    }

    /// Fraud proof 1a: committee position index's entry in the evidence top tree.
    struct TotalProof {
        uint256 index;
        address node;
        EvidenceTree.SumNode sub;
        bytes32[] topPath;
    }

    struct Ctx {
        uint64 epoch;
        uint256 nodePool;
        Params p;
        address[] nodes;
        uint16[] shards;
    }

    IERC20 public immutable token;
    Staking public immutable staking;
    uint256 public immutable nShards;

    Params public params;
    mapping(uint8 => Auditor) public auditors;
    mapping(uint8 => uint256) public auditorOwed;

    mapping(uint64 => EpochState) public epochStates;
    mapping(uint64 => mapping(uint8 => bytes32)) public secretHashes;
    mapping(uint64 => mapping(uint8 => bytes32)) public attestationCommits;
    mapping(uint64 => mapping(uint8 => bytes32)) public countsHashes;
    mapping(uint64 => mapping(uint8 => bytes32)) public evidenceRoots;

    /// Where evidence blobs must be certified (settle/EVIDENCE.md, "The evidence blob"):
    /// bound once by the deployer after BlobRegistry exists (it takes this contract's
    /// address). Unbound (older or bare deployments), reveals name no blob.
    BlobRegistry public evidenceRegistry;
    address private immutable _deployer;

    /// Bonds: tokens held here per auditor id; an auditor joins the set only with at least
    /// bondSize, and a proven fraud burns its bond but disputerBps of it, paid to the disputer.
    uint256 public bondSize;
    uint16 public disputerBps;
    mapping(uint8 => uint256) public bonds;
    /// 1 + the last epoch the auditor revealed (0: none); the bond is locked until that
    /// epoch's dispute window is over.
    mapping(uint8 => uint64) public lastRevealedPlus1;
    /// The auditor's signer when it revealed (the `auditor` of its records and schedule).
    mapping(uint64 => mapping(uint8 => address)) public revealSigners;
    /// The fraud-proof verifiers (Disputes.sol), bound once by the deployer; it may convict.
    address public disputes;

    /// Storage fees: a difference array over epochs (fee rate of epoch e =
    /// sum feeStart[<=e] - sum feeEnd[<=e]), read in order as pools open.
    mapping(uint64 => uint256) public feeStart;
    mapping(uint64 => uint256) public feeEnd;
    uint256 public feeRate;
    uint256 public carry; // rolled over into the next pool that opens
    uint64 public poolsOpened; // pools of epochs [0, poolsOpened) are opened
    uint64 public nextToSettle;

    event ParamsChanged(Params params);
    event AuditorSet(uint8 indexed auditorId, address signer, address payee, bool active);
    event PoolFunded(address indexed payer, uint64 indexed fromEpoch, uint64 toEpoch, uint256 perEpoch);
    event SecretCommitted(uint64 indexed epoch, uint8 indexed auditorId, bytes32 secretHash);
    event AttestationCommitted(uint64 indexed epoch, uint8 indexed auditorId, bytes32 attestationDigest);
    event AttestationRevealed(
        uint64 indexed epoch,
        uint8 indexed auditorId,
        bytes32 committeeHash,
        bytes32 countsHash,
        bytes32 evidenceRoot,
        bytes32 evidenceBlob,
        bytes32 secret
    );
    event AttestationCounts(uint64 indexed epoch, uint8 indexed auditorId, uint32[] passed, uint32[] decided);
    event PoolOpened(uint64 indexed epoch, uint256 pool, uint256 nodePool, uint256 auditorPool);
    event NodeScored(
        uint64 indexed epoch, address indexed node, uint256 score, uint256 reward, bool penalized, uint256 slashed
    );
    event EpochFinalized(uint64 indexed epoch, uint256 pool, uint256 paidNodes, uint256 paidAuditors, uint256 rollover);
    event EpochCancelled(uint64 indexed epoch);
    event EpochVoided(uint64 indexed epoch, uint256 rollover);
    event AuditorPaid(uint8 indexed auditorId, address indexed payee, uint256 amount);
    event BondParamsChanged(uint256 bondSize, uint16 disputerBps);
    event BondPosted(uint8 indexed auditorId, address indexed payer, uint256 amount, uint256 bond);
    event BondWithdrawn(uint8 indexed auditorId, address indexed payee, uint256 amount);
    /// A fraud proven against auditorId's attestation of epoch: the attestation is removed
    /// from the epoch, the auditor from the set; reward went to the disputer, burned to BURN_ADDRESS.
    event AttestationDisputed(
        uint64 indexed epoch, uint8 indexed auditorId, address indexed disputer, uint8 kind, uint256 reward, uint256 burned
    );

    error BadParam();
    error NotAuditor(uint8 auditorId);
    error BadSignature();
    error EpochNotOver(uint64 epoch);
    error SecretTooLate(uint64 epoch);
    error AlreadyCommitted(uint64 epoch, uint8 auditorId);
    error NoSecret(uint64 epoch, uint8 auditorId);
    error LateCommit(uint64 epoch);
    error NotRevealPhase(uint64 epoch);
    error NoCommit(uint64 epoch, uint8 auditorId);
    error AlreadyRevealed(uint64 epoch, uint8 auditorId);
    error WrongCommittee(uint64 epoch);
    error BadCounts();
    error CommitMismatch();
    error SecretMismatch();
    error OutOfOrder(uint64 epoch, uint64 expected);
    error NotFinalizable(uint64 epoch);
    error DisputeWindowOpen(uint64 epoch);
    error NoQuorum(uint64 epoch, uint256 revealed, uint256 quorum);
    error BadAuditorList();
    error CountsMismatch(uint8 auditorId);
    error BadRange();
    error NotVoidable(uint64 epoch);
    error DisputeWindowClosed(uint64 epoch);
    error PoolAlreadyOpen(uint64 fromEpoch);
    error NotBonded(uint8 auditorId, uint256 bond, uint256 required);
    error BondLocked(uint8 auditorId, uint64 until);
    error NotPayee(uint8 auditorId);
    error NotRevealed(uint64 epoch, uint8 auditorId);
    error NoFraud();
    error WrongEvidence(uint64 epoch, uint8 auditorId);
    error EvidenceNotCertified(bytes32 blobId);
    error EvidenceExpires(bytes32 blobId, uint64 endEpoch, uint64 needed);
    error NotDeployer();
    error AlreadyBound();
    error NotDisputes();

    uint8 public constant DISPUTE_NODE_TOTAL = 1;

    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;

    constructor(
        IERC20 token_,
        Staking staking_,
        address governance,
        address guardian_,
        Params memory params_
    )
        Governed(governance, guardian_)
        EIP712("assay", "1")
    {
        token = token_;
        staking = staking_;
        nShards = staking_.nShards();
        _deployer = msg.sender;
        _setParams(params_);
    }

    /// Binds the BlobRegistry whose certified blobs reveals must name as their evidence.
    function bindRegistry(BlobRegistry registry_) external {
        if (msg.sender != _deployer) revert NotDeployer();
        if (address(evidenceRegistry) != address(0)) revert AlreadyBound();
        if (address(registry_) == address(0)) revert BadParam();
        evidenceRegistry = registry_;
    }

    // ---------------------------------------------------------------- governance

    function setParams(Params calldata p) external onlyOwner {
        _setParams(p);
    }

    function _setParams(Params memory p) internal {
        if (
            p.r0Bps >= BPS || p.penaltyBps > p.r0Bps || p.slashBps >= BPS || p.auditorBps > BPS / 2
                || p.commitWindow == 0 || p.revealWindow == 0
        ) revert BadParam();
        params = p;
        emit ParamsChanged(p);
    }

    /// Bond every auditor must hold to be (made) active, and the disputer's share of a
    /// burned bond. A larger bondSize applies to auditors (re)activated after the change.
    /// Until governance sets it, bondSize is 0 (no bond required: older deployments).
    function setBondParams(uint256 bondSize_, uint16 disputerBps_) external onlyOwner {
        _setBondParams(bondSize_, disputerBps_);
    }

    function _setBondParams(uint256 bondSize_, uint16 disputerBps_) internal {
        if (bondSize_ == 0 || disputerBps_ > BPS) revert BadParam();
        bondSize = bondSize_;
        disputerBps = disputerBps_;
        emit BondParamsChanged(bondSize_, disputerBps_);
    }

    /// Adds, rotates or deactivates auditor `auditorId` (0..255). Activating needs its
    /// bond (postBond) in place first.
    function setAuditor(uint8 auditorId, address signer, address payee, bool active) external onlyOwner {
        if (signer == address(0) || payee == address(0)) revert BadParam();
        if (active && bonds[auditorId] < bondSize) revert NotBonded(auditorId, bonds[auditorId], bondSize);
        auditors[auditorId] = Auditor(signer, payee, active);
        emit AuditorSet(auditorId, signer, payee, active);
    }

    /// Voids `epoch` (no rewards, no penalties, pool rolls over) while its dispute window
    /// is open and before finalization started. The dispute window must exceed the
    /// timelock delay for this to be usable.
    function cancelEpoch(uint64 epoch) external onlyOwner {
        uint64 end = _endOf(epoch);
        Params memory p = params;
        EpochState storage st = epochStates[epoch];
        if (st.status != Status.Open) revert NotVoidable(epoch);
        if (block.timestamp >= uint256(end) + p.commitWindow + p.revealWindow + p.disputeWindow) {
            revert DisputeWindowClosed(epoch);
        }
        st.cancelled = true;
        emit EpochCancelled(epoch);
    }

    // ---------------------------------------------------------------- bonds

    /// Adds `amount` (pulled from msg.sender) to auditor `auditorId`'s bond; anyone may pay
    /// it, it is released only to the auditor's payee.
    function postBond(uint8 auditorId, uint256 amount) external whenNotPaused {
        if (amount == 0) revert BadParam();
        token.safeTransferFrom(msg.sender, address(this), amount);
        uint256 b = bonds[auditorId] + amount;
        bonds[auditorId] = b;
        emit BondPosted(auditorId, msg.sender, amount, b);
    }

    /// The payee takes the whole bond back once the dispute window of every epoch the
    /// auditor revealed is over; the auditor leaves the set.
    function withdrawBond(uint8 auditorId) external returns (uint256 amount) {
        Auditor storage a = auditors[auditorId];
        if (msg.sender != a.payee) revert NotPayee(auditorId);
        uint64 until = bondLockedUntil(auditorId);
        if (block.timestamp < until) revert BondLocked(auditorId, until);
        amount = bonds[auditorId];
        bonds[auditorId] = 0;
        if (a.active) {
            a.active = false;
            emit AuditorSet(auditorId, a.signer, a.payee, false);
        }
        if (amount > 0) token.safeTransfer(a.payee, amount);
        emit BondWithdrawn(auditorId, a.payee, amount);
    }

    /// When the dispute window of the last epoch the auditor revealed ends (0: nothing revealed).
    function bondLockedUntil(uint8 auditorId) public view returns (uint64) {
        uint64 lp = lastRevealedPlus1[auditorId];
        if (lp == 0) return 0;
        Params memory p = params;
        return _endOf(lp - 1) + p.commitWindow + p.revealWindow + p.disputeWindow;
    }

    /// One-shot wiring by the deployer: the Disputes contract is deployed after this one.
    function bindDisputes(address disputes_) external {
        if (msg.sender != _deployer || disputes != address(0) || disputes_ == address(0)) revert BadParam();
        disputes = disputes_;
    }

    /// A fraud proven by the Disputes contract (kind 2..): convicts as _convict, paying `disputer`.
    function convict(uint64 epoch, uint8 auditorId, uint8 kind, address disputer) external {
        if (msg.sender != disputes) revert NotDisputes();
        _convict(epoch, auditorId, kind, disputer);
    }

    /// A proven fraud of auditorId in `epoch` (kind: which proof): removes the attestation
    /// from the epoch (so finalize, which waits for the window, never counts it), removes
    /// the auditor from the set, burns its bond but the disputer's share.
    function _convict(uint64 epoch, uint8 auditorId, uint8 kind, address disputer) internal {
        EpochState storage st = epochStates[epoch];
        uint256 bit = uint256(1) << auditorId;
        if (st.revealedMask & bit == 0) revert NotRevealed(epoch, auditorId);
        _checkDisputeWindow(epoch, st);
        st.revealedMask &= ~bit;
        st.revealedCount--;
        delete countsHashes[epoch][auditorId];
        delete evidenceRoots[epoch][auditorId];
        Auditor storage a = auditors[auditorId];
        if (a.active) {
            a.active = false;
            emit AuditorSet(auditorId, a.signer, a.payee, false);
        }
        uint256 b = bonds[auditorId];
        bonds[auditorId] = 0;
        uint256 reward = b * disputerBps / BPS;
        if (reward > 0) token.safeTransfer(disputer, reward);
        if (b > reward) token.safeTransfer(BURN_ADDRESS, b - reward);
        emit AttestationDisputed(epoch, auditorId, disputer, kind, reward, b - reward);
    }

    /// Fraud proof 1a: the evidence's entry for committee position `index` (node, subtree
    /// root `sub`, proven by `topPath`) names another node, or its totals differ from the
    /// attested counts (passed, decided: the revealed arrays). Anyone, during the window.
    function disputeNodeTotal(
        uint64 epoch,
        uint8 auditorId,
        uint32[] calldata passed,
        uint32[] calldata decided,
        TotalProof calldata pr
    ) external {
        _checkEvidence(epoch, auditorId, pr.index, EvidenceTree.entry(pr.node, pr.sub), pr.topPath);
        if (keccak256(abi.encode(passed, decided)) != countsHashes[epoch][auditorId]) revert CountsMismatch(auditorId);
        (address member,,) = staking.committeeMember(epoch, pr.index);
        if (member == pr.node && pr.sub.passed == passed[pr.index] && pr.sub.decided == decided[pr.index]) {
            revert NoFraud();
        }
        _convict(epoch, auditorId, DISPUTE_NODE_TOTAL, msg.sender);
    }

    function _checkEvidence(uint64 epoch, uint8 auditorId, uint256 index, bytes32 leaf, bytes32[] calldata topPath)
        internal
        view
    {
        if (epochStates[epoch].revealedMask & (uint256(1) << auditorId) == 0) revert NotRevealed(epoch, auditorId);
        bytes32 root = EvidenceTree.topRoot(leaf, index, staking.committeeSize(epoch), topPath);
        if (root != evidenceRoots[epoch][auditorId]) revert WrongEvidence(epoch, auditorId);
    }

    /// Disputes are accepted while the epoch's dispute window is open and it is still Open
    /// (finalization cannot have started before the window ends).
    function _checkDisputeWindow(uint64 epoch, EpochState storage st) internal view {
        Params memory p = params;
        uint256 end = uint256(_endOf(epoch)) + p.commitWindow + p.revealWindow + p.disputeWindow;
        if (block.timestamp >= end || st.status == Status.Finalizing || st.status == Status.Finalized) {
            revert DisputeWindowClosed(epoch);
        }
    }

    // ---------------------------------------------------------------- fees

    /// Adds `perEpoch` to the reward pools of epochs [fromEpoch, toEpoch), pulling the
    /// total from msg.sender. BlobRegistry pays storage fees through this; anyone may donate.
    function fundEpochs(uint64 fromEpoch, uint64 toEpoch, uint256 perEpoch) external whenNotPaused {
        if (toEpoch <= fromEpoch || perEpoch == 0) revert BadParam();
        if (fromEpoch < poolsOpened) revert PoolAlreadyOpen(fromEpoch);
        token.safeTransferFrom(msg.sender, address(this), perEpoch * (toEpoch - fromEpoch));
        feeStart[fromEpoch] += perEpoch;
        feeEnd[toEpoch] += perEpoch;
        emit PoolFunded(msg.sender, fromEpoch, toEpoch, perEpoch);
    }

    // ---------------------------------------------------------------- auditors

    /// Commits keccak256(abi.encodePacked(secret)) for `epoch`; must land before `epoch` begins.
    function commitSecret(uint64 epoch, uint8 auditorId, bytes32 secretHash, bytes calldata sig) external {
        Auditor storage a = _auditor(auditorId);
        if (staking.currentEpoch() >= epoch) revert SecretTooLate(epoch);
        if (secretHash == bytes32(0)) revert BadParam();
        if (secretHashes[epoch][auditorId] != bytes32(0)) revert AlreadyCommitted(epoch, auditorId);
        _checkSig(
            _hashTypedDataV4(keccak256(abi.encode(SECRET_COMMIT_TYPEHASH, epoch, auditorId, secretHash))), sig, a.signer
        );
        secretHashes[epoch][auditorId] = secretHash;
        emit SecretCommitted(epoch, auditorId, secretHash);
    }

    /// Commits the EIP-712 digest of the auditor's Attestation for `epoch` during the
    /// commit window [end, end + commitWindow).
    function commitAttestation(uint64 epoch, uint8 auditorId, bytes32 digest, bytes calldata sig)
        external
    {
        Auditor storage a = _auditor(auditorId);
        uint64 end = _endOf(epoch);
        if (block.timestamp >= uint256(end) + params.commitWindow) revert LateCommit(epoch);
        if (secretHashes[epoch][auditorId] == bytes32(0)) revert NoSecret(epoch, auditorId);
        if (attestationCommits[epoch][auditorId] != bytes32(0)) revert AlreadyCommitted(epoch, auditorId);
        if (digest == bytes32(0)) revert BadParam();
        _checkSig(
            _hashTypedDataV4(keccak256(abi.encode(ATTESTATION_COMMIT_TYPEHASH, epoch, auditorId, digest))),
            sig,
            a.signer
        );
        attestationCommits[epoch][auditorId] = digest;
        emit AttestationCommitted(epoch, auditorId, digest);
    }

    /// Reveals the signed attestation during [end + commitWindow, end + commitWindow + revealWindow).
    /// passed[i], decided[i] are the counts of committee position i of `epoch`.
    function revealAttestation(
        uint64 epoch,
        uint8 auditorId,
        bytes32 committeeHash,
        uint32[] calldata passed,
        uint32[] calldata decided,
        bytes32 evidenceRoot,
        bytes32 evidenceBlob,
        bytes32 secret,
        bytes calldata sig
    ) external {
        bytes32 countsHash = _hashCheckedCounts(epoch, committeeHash, passed, decided);
        _checkEvidenceBlob(epoch, evidenceBlob);
        _reveal(epoch, auditorId, committeeHash, countsHash, evidenceRoot, evidenceBlob, secret, sig);
        emit AttestationCounts(epoch, auditorId, passed, decided);
    }

    function _hashCheckedCounts(
        uint64 epoch,
        bytes32 committeeHash,
        uint32[] calldata passed,
        uint32[] calldata decided
    ) internal view returns (bytes32) {
        if (committeeHash != staking.committeeHash(epoch)) revert WrongCommittee(epoch);
        uint256 m = staking.committeeSize(epoch);
        if (passed.length != m || decided.length != m) revert BadCounts();
        for (uint256 i = 0; i < m; i++) {
            if (passed[i] > decided[i]) revert BadCounts();
        }
        return keccak256(abi.encode(passed, decided));
    }

    function _reveal(
        uint64 epoch,
        uint8 auditorId,
        bytes32 committeeHash,
        bytes32 countsHash,
        bytes32 evidenceRoot,
        bytes32 evidenceBlob,
        bytes32 secret,
        bytes calldata sig
    ) internal {
        Auditor storage a = _auditor(auditorId);
        _checkRevealPhase(epoch);
        EpochState storage st = epochStates[epoch];
        if (st.revealedMask & (uint256(1) << auditorId) != 0) revert AlreadyRevealed(epoch, auditorId);
        bytes32 commit = attestationCommits[epoch][auditorId];
        if (commit == bytes32(0)) revert NoCommit(epoch, auditorId);
        bytes32 digest = _hashTypedDataV4(
            keccak256(
                abi.encode(ATTESTATION_TYPEHASH, epoch, committeeHash, countsHash, evidenceRoot, evidenceBlob, secret)
            )
        );
        if (digest != commit) revert CommitMismatch();
        _checkSig(digest, sig, a.signer);
        if (keccak256(abi.encodePacked(secret)) != secretHashes[epoch][auditorId]) revert SecretMismatch();
        countsHashes[epoch][auditorId] = countsHash;
        evidenceRoots[epoch][auditorId] = evidenceRoot;
        revealSigners[epoch][auditorId] = a.signer;
        if (lastRevealedPlus1[auditorId] < epoch + 1) lastRevealedPlus1[auditorId] = epoch + 1;
        st.revealedMask |= uint256(1) << auditorId;
        st.revealedCount++;
        emit AttestationRevealed(epoch, auditorId, committeeHash, countsHash, evidenceRoot, evidenceBlob, secret);
    }

    /// With a bound registry, the evidence blob must be certified and stored at least until
    /// the epoch's dispute window closes: epochs last at least epochDuration, so at most
    /// left / epochDuration + 1 of them begin before then, and the epoch current when it
    /// closes is below needed.
    function _checkEvidenceBlob(uint64 epoch, bytes32 blobId) internal view {
        BlobRegistry r = evidenceRegistry;
        if (address(r) == address(0)) return;
        BlobRegistry.Blob memory b = r.blobInfo(blobId);
        if (b.certifiedBlock == 0) revert EvidenceNotCertified(blobId);
        Params memory p = params;
        uint256 disputeEnd = uint256(_endOf(epoch)) + p.commitWindow + p.revealWindow + p.disputeWindow;
        uint256 left = disputeEnd > block.timestamp ? disputeEnd - block.timestamp : 0;
        uint256 needed = uint256(staking.currentEpoch()) + left / staking.epochDuration() + 2;
        if (b.endEpoch < needed) revert EvidenceExpires(blobId, b.endEpoch, uint64(needed));
    }

    function claimAuditor(uint8 auditorId) external returns (uint256 amount) {
        amount = auditorOwed[auditorId];
        if (amount == 0) return 0;
        auditorOwed[auditorId] = 0;
        address payee = auditors[auditorId].payee;
        token.safeTransfer(payee, amount);
        emit AuditorPaid(auditorId, payee, amount);
    }

    // ---------------------------------------------------------------- finalization

    /// Finalizes committee positions [progress, toNode) of `epoch`. `auditorIds` must list
    /// exactly the auditors that revealed, ascending; passed/decided are their revealed
    /// counts in the same order. The call that reaches the committee size completes the
    /// epoch (auditor pay, rollover, Staking.markSettled).
    function finalizeEpoch(
        uint64 epoch,
        uint8[] calldata auditorIds,
        uint32[][] calldata passed,
        uint32[][] calldata decided,
        uint256 toNode
    ) external whenNotPaused {
        EpochState storage st = epochStates[epoch];
        _checkFinalizable(epoch, st);
        _checkCounts(epoch, st, auditorIds, passed, decided);
        if (st.status == Status.Open) {
            _openPool(epoch, st);
            st.status = Status.Finalizing;
        }
        uint256 total = _processRange(epoch, st, passed, decided, toNode);
        if (toNode == total) _complete(epoch, st, auditorIds);
    }

    function _processRange(
        uint64 epoch,
        EpochState storage st,
        uint32[][] calldata passed,
        uint32[][] calldata decided,
        uint256 toNode
    ) internal returns (uint256 m) {
        Ctx memory c;
        (c.nodes, c.shards) = staking.committee(epoch);
        m = c.nodes.length;
        uint256 from = st.progress;
        if (toNode > m || toNode <= from) revert BadRange();
        c.epoch = epoch;
        c.nodePool = st.nodePool;
        c.p = params;
        uint256 paid;
        for (uint256 i = from; i < toNode; i++) {
            paid += _scoreNode(c, i, passed, decided);
        }
        if (paid > 0) token.safeTransfer(address(staking), paid);
        st.paid += uint128(paid);
        st.progress = uint32(toNode);
    }

    /// Voids `epoch` in order when it has no committee, was cancelled by governance, or
    /// its reveal window closed without quorum. Anyone may call.
    function voidEpoch(uint64 epoch) external whenNotPaused {
        EpochState storage st = epochStates[epoch];
        if (epoch != nextToSettle) revert OutOfOrder(epoch, nextToSettle);
        if (st.status != Status.Open) revert NotVoidable(epoch);
        uint64 end = _endOf(epoch);
        Params memory p = params;
        bool noQuorum = block.timestamp >= uint256(end) + p.commitWindow + p.revealWindow
            && st.revealedCount < quorum();
        if (!st.cancelled && !noQuorum && staking.committeeSize(epoch) != 0) revert NotVoidable(epoch);
        _openPool(epoch, st);
        uint256 rolled = st.pool;
        carry += rolled;
        st.status = Status.Voided;
        nextToSettle = epoch + 1;
        staking.markSettled(epoch);
        emit EpochVoided(epoch, rolled);
    }

    function _checkFinalizable(uint64 epoch, EpochState storage st) internal view {
        if (epoch != nextToSettle) revert OutOfOrder(epoch, nextToSettle);
        if (st.cancelled || (st.status != Status.Open && st.status != Status.Finalizing)) {
            revert NotFinalizable(epoch);
        }
        uint64 end = _endOf(epoch);
        Params memory p = params;
        if (block.timestamp < uint256(end) + p.commitWindow + p.revealWindow + p.disputeWindow) {
            revert DisputeWindowOpen(epoch);
        }
        uint256 q = quorum();
        if (st.revealedCount < q) revert NoQuorum(epoch, st.revealedCount, q);
    }

    function _checkCounts(
        uint64 epoch,
        EpochState storage st,
        uint8[] calldata ids,
        uint32[][] calldata passed,
        uint32[][] calldata decided
    ) internal view {
        uint256 k = ids.length;
        if (k != st.revealedCount || passed.length != k || decided.length != k) revert BadAuditorList();
        uint256 mask = st.revealedMask;
        for (uint256 j = 0; j < k; j++) {
            if ((j > 0 && ids[j] <= ids[j - 1]) || mask & (uint256(1) << ids[j]) == 0) revert BadAuditorList();
            if (keccak256(abi.encode(passed[j], decided[j])) != countsHashes[epoch][ids[j]]) {
                revert CountsMismatch(ids[j]);
            }
        }
    }

    function _openPool(uint64 epoch, EpochState storage st) internal {
        uint256 rate = feeRate + feeStart[epoch] - feeEnd[epoch];
        feeRate = rate;
        uint256 pool = rate + carry;
        carry = 0;
        poolsOpened = epoch + 1;
        uint256 auditorPool = pool * params.auditorBps / BPS;
        st.pool = uint128(pool);
        st.auditorPool = uint128(auditorPool);
        st.nodePool = uint128(pool - auditorPool);
        emit PoolOpened(epoch, pool, pool - auditorPool, auditorPool);
    }

    /// Median of the scores of the auditors with decided > 0 (auditors with decided = 0
    /// abstain for that node); with an even count the lower middle value. No scores: no
    /// reward, no penalty.
    function _scoreNode(Ctx memory c, uint256 i, uint32[][] calldata passed, uint32[][] calldata decided)
        internal
        returns (uint256)
    {
        uint256 med = medianScore(i, passed, decided);
        if (med == NO_SCORE) {
            emit NodeScored(c.epoch, c.nodes[i], 0, 0, false, 0);
            return 0;
        }
        return _payNode(c, i, med);
    }

    /// Median over auditors of passed*1e18/decided (floor) for committee position i;
    /// NO_SCORE when every auditor has decided = 0 for it.
    function medianScore(uint256 i, uint32[][] calldata passed, uint32[][] calldata decided)
        public
        pure
        returns (uint256)
    {
        uint256[] memory sc = new uint256[](passed.length);
        uint256 m = 0;
        for (uint256 a = 0; a < sc.length; a++) {
            uint256 s = decided[a][i];
            if (s == 0) continue;
            s = uint256(passed[a][i]) * SCALE / s;
            uint256 j = m++;
            while (j > 0 && sc[j - 1] > s) {
                sc[j] = sc[j - 1];
                j--;
            }
            sc[j] = s;
        }
        return m == 0 ? NO_SCORE : sc[(m - 1) / 2];
    }

    /// reward = floor(nodePool * shards * g / (n * 1e18)), g = floor((s - R0) * 1e18 / (1e18 - R0)).
    function _payNode(Ctx memory c, uint256 i, uint256 med) internal returns (uint256 reward) {
        uint256 r0 = uint256(c.p.r0Bps) * (SCALE / BPS);
        if (med > r0) {
            uint256 g = (med - r0) * SCALE / (SCALE - r0);
            reward = Math.mulDiv(c.nodePool, uint256(c.shards[i]) * g, nShards * SCALE);
        }
        bool penalized = med < uint256(c.p.penaltyBps) * (SCALE / BPS);
        uint256 slashed;
        if (reward > 0 || penalized) {
            slashed = staking.settleNode(c.epoch, c.nodes[i], reward, penalized ? c.p.slashBps : 0);
        }
        emit NodeScored(c.epoch, c.nodes[i], med, reward, penalized, slashed);
    }

    function _complete(uint64 epoch, EpochState storage st, uint8[] calldata ids) internal {
        uint256 k = ids.length;
        uint256 per = st.auditorPool / k;
        for (uint256 j = 0; j < k; j++) {
            auditorOwed[ids[j]] += per;
        }
        uint256 rolled = uint256(st.nodePool) - st.paid + (st.auditorPool - per * k);
        carry += rolled;
        st.status = Status.Finalized;
        nextToSettle = epoch + 1;
        staking.markSettled(epoch);
        emit EpochFinalized(epoch, st.pool, st.paid, per * k, rolled);
    }

    // ---------------------------------------------------------------- helpers and views

    function quorum() public view returns (uint256) {
        return 2 * uint256(params.fA) + 1;
    }

    /// keccak256(abi.encode(passed, decided)), the countsHash of an Attestation.
    function hashCounts(uint32[] calldata passed, uint32[] calldata decided) external pure returns (bytes32) {
        return keccak256(abi.encode(passed, decided));
    }

    function attestationDigest(
        uint64 epoch,
        bytes32 committeeHash,
        bytes32 countsHash,
        bytes32 evidenceRoot,
        bytes32 evidenceBlob,
        bytes32 secret
    ) external view returns (bytes32) {
        return _hashTypedDataV4(
            keccak256(
                abi.encode(ATTESTATION_TYPEHASH, epoch, committeeHash, countsHash, evidenceRoot, evidenceBlob, secret)
            )
        );
    }

    function secretCommitDigest(uint64 epoch, uint8 auditorId, bytes32 secretHash) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(SECRET_COMMIT_TYPEHASH, epoch, auditorId, secretHash)));
    }

    function attestationCommitDigest(uint64 epoch, uint8 auditorId, bytes32 digest) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(ATTESTATION_COMMIT_TYPEHASH, epoch, auditorId, digest)));
    }

    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// (end, commit phase end, reveal phase end, dispute window end) of an ended epoch.
    function phases(uint64 epoch) external view returns (uint64 end, uint64 commitEnd, uint64 revealEnd, uint64 disputeEnd) {
        end = _endOf(epoch);
        Params memory p = params;
        commitEnd = end + p.commitWindow;
        revealEnd = commitEnd + p.revealWindow;
        disputeEnd = revealEnd + p.disputeWindow;
    }

    function _auditor(uint8 auditorId) internal view returns (Auditor storage a) {
        a = auditors[auditorId];
        if (!a.active) revert NotAuditor(auditorId);
    }

    function _endOf(uint64 epoch) internal view returns (uint64 end) {
        end = staking.epochEndTime(epoch);
        if (end == 0) revert EpochNotOver(epoch);
    }

    function _checkRevealPhase(uint64 epoch) internal view {
        uint256 start = uint256(_endOf(epoch)) + params.commitWindow;
        if (block.timestamp < start || block.timestamp >= start + params.revealWindow) revert NotRevealPhase(epoch);
    }

    /// OZ ECDSA.recover rejects high-s and malformed signatures.
    function _checkSig(bytes32 digest, bytes calldata sig, address signer) internal pure {
        if (ECDSA.recover(digest, sig) != signer) revert BadSignature();
    }
}
