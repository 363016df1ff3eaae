// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Governed} from "./Governed.sol";

/// @notice Storage nodes, delegation pools, epochs, committees, sticky shard assignment and
/// epoch seeds. See INTERFACE.md for the byte-level rules the off-chain code follows.
///
/// Stake accounting. Each node has one share-based pool. A deposit made in epoch c is
/// staked from epoch c+1: it waits in a per-node deposit bucket keyed by c+1 and is
/// turned into shares only once every epoch before c+1 is settled (finalized or voided),
/// at the share price of that moment, so it neither earns from nor is slashed for an
/// epoch it was not staked in. A withdrawal requested in epoch c leaves the committee
/// stake at c+1 but its shares stay in the pool (and take epoch c's reward or slash)
/// until epoch c is settled; only then are they priced and paid out. The pool's share
/// price changes only in settleNode, which first converts every bucket that became
/// ready, so converting lazily gives the same result as converting eagerly.
contract Staking is Governed {
    using SafeERC20 for IERC20;

    uint256 public constant SCHEMA_VERSION = 1;
    address public constant BURN_ADDRESS = 0x000000000000000000000000000000000000dEaD;
    uint256 public constant MAX_COMMITTEE = 256;
    /// Bounds that keep advanceEpoch under 15M gas at the committee cap (bench/gas.sh).
    uint256 public constant MAX_CANDIDATES = 1024;
    uint256 public constant MAX_SHARD_MOVES = 250;
    /// Unresolved deposits / withdrawals one delegator may hold on one node.
    uint256 public constant MAX_PENDING = 16;
    uint256 internal constant BPS = 10_000;

    // ---------------------------------------------------------------- types

    struct EpochInfo {
        uint64 startTime;
        uint64 duration;
        uint64 seedBlock;
        uint64 committeeRef; // epoch whose member array this epoch reuses
        uint64 shardRef; // epoch whose shard counts / owners this epoch reuses
        uint8 seedSource; // 0 none yet, 1 blockhash, 2 fallback rule, 3 genesis
        bool hasGrace;
        bytes32 seed;
        bytes32 committeeHash;
    }

    struct Node {
        uint128 nextStake; // stake the node would bring to the next committee
        uint32 candIndex;
        bool registered;
        bool active;
        bool listed; // in `candidates`
        address nodeKey;
        string endpoint;
    }

    struct Pool {
        uint128 stake; // tokens backing `shares`
        uint128 shares; // includes withdrawingShares
        uint128 withdrawingShares;
        uint128 pendingDeposits; // not yet converted to shares
        uint128 commissionOwed; // to the operator
        uint128 withdrawable; // converted withdrawals not yet paid
    }

    /// Deposit bucket: amount in, shares out. Withdrawal bucket: shares in, amount out.
    struct Bucket {
        uint128 amount;
        uint120 shares;
        bool converted;
    }

    struct CommissionPoint {
        uint64 epoch;
        uint16 bps;
    }

    struct Queue {
        uint64[] epochs;
        uint256 head;
    }

    struct PendingDeposit {
        uint64 epoch; // effective epoch
        uint128 amount;
    }

    struct PendingWithdrawal {
        uint64 epoch; // last epoch staked
        uint128 shares;
    }

    struct Position {
        uint128 shares;
        uint128 claimable;
        PendingDeposit[] deposits;
        PendingWithdrawal[] withdrawals;
    }

    // ---------------------------------------------------------------- state

    IERC20 public immutable token;
    uint16 public immutable nShards;
    uint16 public immutable committeeCap;
    uint16 public immutable maxCandidates;
    address private immutable _deployer;
    address public settlement;

    uint64 public epochDuration;
    uint128 public minStake;
    uint16 public maxShardMoves;
    uint16 public driftBoundBps;
    uint32 public seedDelay;

    uint64 public currentEpoch;
    /// Epochs [0, settledCount) are finalized or voided.
    uint64 public settledCount;

    mapping(uint64 => EpochInfo) internal _epochs;
    mapping(uint64 => address[]) internal _committee; // by ref
    mapping(uint64 => uint16[]) internal _shardCounts; // by ref
    mapping(uint64 => bytes) internal _shardOwners; // by ref: committee index of each shard
    mapping(uint64 => uint256[]) internal _grace; // by epoch: bitmap of shards in grace

    mapping(address => Node) internal _nodes;
    mapping(address => Pool) public pools;
    /// Commission history per node: (first epoch it applies to, bps), epochs ascending.
    mapping(address => CommissionPoint[]) internal _commission;
    mapping(address => mapping(uint64 => Bucket)) internal depositBuckets;
    mapping(address => mapping(uint64 => Bucket)) internal withdrawBuckets;
    mapping(address => Queue) internal _depQ;
    mapping(address => Queue) internal _wdQ;
    mapping(address => mapping(address => Position)) internal _positions; // node => delegator
    address[] public candidates;
    bytes32 private transient _committeeHashWritten; // scratch: hash of the committee just written

    // ---------------------------------------------------------------- events

    event EpochAdvanced(
        uint64 indexed epoch, uint64 startTime, uint64 duration, uint64 seedBlock, bytes32 committeeHash, uint256 committeeSize
    );
    event CommitteeChanged(uint64 indexed epoch, bytes32 committeeHash, address[] nodes, uint16[] shardCounts);
    event ShardMoved(uint64 indexed epoch, uint256 shard, address indexed from, address indexed to);
    event SeedRecorded(uint64 indexed epoch, uint64 seedBlock, bytes32 seed, uint8 source);
    event NodeRegistered(address indexed node, address nodeKey, string endpoint, uint16 commissionBps);
    event NodeUpdated(address indexed node, address nodeKey, string endpoint);
    event NodeActiveChanged(address indexed node, bool active);
    event NodeUnlisted(address indexed node);
    event CommissionScheduled(address indexed node, uint64 indexed epoch, uint16 commissionBps);
    event Delegated(address indexed node, address indexed delegator, uint64 indexed epoch, uint256 amount);
    event DepositActivated(address indexed node, uint64 indexed epoch, uint256 amount, uint256 shares);
    event WithdrawalRequested(address indexed node, address indexed delegator, uint64 indexed epoch, uint256 shares);
    event WithdrawalPriced(address indexed node, uint64 indexed epoch, uint256 shares, uint256 amount);
    event Withdrawn(address indexed node, address indexed delegator, uint256 amount);
    event CommissionClaimed(address indexed node, address indexed to, uint256 amount);
    event NodeSettled(
        uint64 indexed epoch, address indexed node, uint256 reward, uint256 commission, uint256 slashed
    );
    event EpochSettled(uint64 indexed epoch);
    event SettlementBound(address settlement);
    event ParamsChanged(uint64 epochDuration, uint128 minStake, uint16 maxShardMoves, uint16 driftBoundBps, uint32 seedDelay);

    // ---------------------------------------------------------------- errors

    error BadParam();
    error NotDeployer();
    error AlreadyBound();
    error NotSettlement();
    error EpochNotOver(uint64 epoch, uint256 endsAt);
    error EpochNotCurrentOrPast(uint64 epoch);
    error SeedNotReady(uint64 epoch);
    error NodeAlreadyRegistered(address node);
    error UnknownNode(address node);
    error TooManyCandidates();
    error StakeBelowMinimum(uint256 amount, uint256 minimum);
    error ZeroAmount();
    error InsufficientShares(uint256 have, uint256 want);
    error TooManyPending();
    error StillInCommittee(address node);
    error NodeStillActive(address node);
    error WrongSettleEpoch(uint64 epoch, uint64 expected);
    error BadCommittee(uint64 epoch, uint256 index);

    modifier onlySettlement() {
        if (msg.sender != settlement) revert NotSettlement();
        _;
    }

    /// @param nShards_ shard count n, fixed for the deployment
    /// @param committeeCap_ committee cap (clamped to min(n, 256))
    /// @param maxCandidates_ bound on registered (listed) nodes scanned by advanceEpoch
    constructor(
        IERC20 token_,
        address governance,
        address guardian_,
        uint16 nShards_,
        uint16 committeeCap_,
        uint16 maxCandidates_,
        uint64 epochDuration_,
        uint128 minStake_,
        uint16 maxShardMoves_,
        uint16 driftBoundBps_,
        uint32 seedDelay_
    ) Governed(governance, guardian_) {
        if (nShards_ < 4 || committeeCap_ == 0 || maxCandidates_ == 0 || maxCandidates_ > MAX_CANDIDATES) revert BadParam();
        token = token_;
        nShards = nShards_;
        uint16 cap = committeeCap_;
        if (cap > nShards_) cap = nShards_;
        if (cap > MAX_COMMITTEE) cap = uint16(MAX_COMMITTEE);
        committeeCap = cap;
        maxCandidates = maxCandidates_;
        _deployer = msg.sender;
        _setParams(epochDuration_, minStake_, maxShardMoves_, driftBoundBps_, seedDelay_);
        EpochInfo storage g = _epochs[0];
        g.startTime = uint64(block.timestamp);
        g.duration = epochDuration_;
        g.seedBlock = uint64(block.number);
        g.seedSource = 3;
        g.seed = keccak256(abi.encode(block.chainid, address(this)));
        g.committeeHash = keccak256(abi.encode(new address[](0)));
        emit EpochAdvanced(0, g.startTime, g.duration, g.seedBlock, g.committeeHash, 0);
        emit SeedRecorded(0, g.seedBlock, g.seed, 3);
    }

    /// One-shot wiring by the deployer: the Settlement contract is deployed after this one.
    function bindSettlement(address settlement_) external {
        if (msg.sender != _deployer) revert NotDeployer();
        if (settlement != address(0)) revert AlreadyBound();
        if (settlement_ == address(0)) revert BadParam();
        settlement = settlement_;
        emit SettlementBound(settlement_);
    }

    // ---------------------------------------------------------------- governance

    function setParams(
        uint64 epochDuration_,
        uint128 minStake_,
        uint16 maxShardMoves_,
        uint16 driftBoundBps_,
        uint32 seedDelay_
    ) external onlyOwner {
        _setParams(epochDuration_, minStake_, maxShardMoves_, driftBoundBps_, seedDelay_);
    }

    function _setParams(uint64 d, uint128 ms, uint16 moves, uint16 drift, uint32 sd) internal {
        if (d == 0 || ms == 0 || moves == 0 || moves > MAX_SHARD_MOVES || drift > BPS || sd == 0 || sd > 200) {
            revert BadParam();
        }
        epochDuration = d;
        minStake = ms;
        maxShardMoves = moves;
        driftBoundBps = drift;
        seedDelay = sd;
        emit ParamsChanged(d, ms, moves, drift, sd);
    }

    // ---------------------------------------------------------------- nodes

    /// Registers msg.sender as a storage node (its id) with a self-stake of at least
    /// minStake, which also makes squatting on the bounded candidate list expensive.
    function registerNode(address nodeKey, string calldata endpoint, uint16 commissionBps, uint256 selfStake)
        external
        whenNotPaused
    {
        Node storage nd = _nodes[msg.sender];
        if (nd.registered) revert NodeAlreadyRegistered(msg.sender);
        if (nodeKey == address(0) || commissionBps > BPS || bytes(endpoint).length == 0) revert BadParam();
        if (selfStake < minStake) revert StakeBelowMinimum(selfStake, minStake);
        if (candidates.length >= maxCandidates) revert TooManyCandidates();
        _tryRecordSeed(currentEpoch);
        nd.registered = true;
        nd.active = true;
        nd.listed = true;
        nd.nodeKey = nodeKey;
        nd.endpoint = endpoint;
        nd.candIndex = uint32(candidates.length);
        candidates.push(msg.sender);
        _commission[msg.sender].push(CommissionPoint(currentEpoch, commissionBps));
        emit NodeRegistered(msg.sender, nodeKey, endpoint, commissionBps);
        _delegate(msg.sender, msg.sender, selfStake);
    }

    function updateNode(address nodeKey, string calldata endpoint) external {
        Node storage nd = _requireNode(msg.sender);
        if (nodeKey == address(0) || bytes(endpoint).length == 0) revert BadParam();
        nd.nodeKey = nodeKey;
        nd.endpoint = endpoint;
        emit NodeUpdated(msg.sender, nodeKey, endpoint);
    }

    /// New commission applies from two epochs after the current one, so delegators
    /// always have a full epoch to leave before it bites.
    function setCommission(uint16 commissionBps) external {
        _requireNode(msg.sender);
        if (commissionBps > BPS) revert BadParam();
        uint64 eff = currentEpoch + 2;
        CommissionPoint[] storage h = _commission[msg.sender];
        if (h[h.length - 1].epoch == eff) h[h.length - 1].bps = commissionBps;
        else h.push(CommissionPoint(eff, commissionBps));
        emit CommissionScheduled(msg.sender, eff, commissionBps);
    }

    /// An inactive node is not eligible for the next committee; it keeps any shards it
    /// still holds (and is still challenged on them) until they have moved away.
    function setActive(bool active) external {
        Node storage nd = _requireNode(msg.sender);
        if (active) {
            _requireNotPaused();
            if (!nd.listed) {
                if (candidates.length >= maxCandidates) revert TooManyCandidates();
                nd.listed = true;
                nd.candIndex = uint32(candidates.length);
                candidates.push(msg.sender);
            }
        }
        nd.active = active;
        emit NodeActiveChanged(msg.sender, active);
    }

    /// Frees the node's slot in the bounded candidate list once it is inactive and out
    /// of the current committee.
    function unlist() external {
        Node storage nd = _requireNode(msg.sender);
        if (nd.active) revert NodeStillActive(msg.sender);
        if (!nd.listed) return;
        address[] storage c = _committee[_epochs[currentEpoch].committeeRef];
        for (uint256 i = 0; i < c.length; i++) {
            if (c[i] == msg.sender) revert StillInCommittee(msg.sender);
        }
        uint256 idx = nd.candIndex;
        address last = candidates[candidates.length - 1];
        candidates[idx] = last;
        _nodes[last].candIndex = uint32(idx);
        candidates.pop();
        nd.listed = false;
        emit NodeUnlisted(msg.sender);
    }

    // ---------------------------------------------------------------- delegation

    /// Stakes `amount` on `node`, effective from the next epoch.
    function delegate(address node, uint256 amount) external whenNotPaused {
        _requireNode(node);
        _tryRecordSeed(currentEpoch);
        _delegate(node, msg.sender, amount);
    }

    function _delegate(address node, address who, uint256 amount) internal {
        if (amount == 0 || amount > type(uint120).max) revert ZeroAmount();
        _syncNode(node);
        Position storage pos = _positions[node][who];
        _resolve(node, pos);
        token.safeTransferFrom(who, address(this), amount);
        uint64 eff = currentEpoch + 1;
        Bucket storage b = depositBuckets[node][eff];
        if (b.amount == 0) _depQ[node].epochs.push(eff);
        b.amount += uint128(amount);
        pools[node].pendingDeposits += uint128(amount);
        uint256 k = pos.deposits.length;
        if (k > 0 && pos.deposits[k - 1].epoch == eff) {
            pos.deposits[k - 1].amount += uint128(amount);
        } else {
            if (k >= MAX_PENDING) revert TooManyPending();
            pos.deposits.push(PendingDeposit(eff, uint128(amount)));
        }
        _refresh(node);
        emit Delegated(node, who, eff, amount);
    }

    /// Starts withdrawing `shares` of the caller's active shares on `node`. They stop
    /// counting for committees from the next epoch but stay exposed to the current
    /// epoch's (and any earlier unsettled epoch's) slash until it is settled.
    function requestWithdrawal(address node, uint256 shares) external {
        _requireNode(node);
        _tryRecordSeed(currentEpoch);
        _syncNode(node);
        Position storage pos = _positions[node][msg.sender];
        _resolve(node, pos);
        if (shares == 0) revert ZeroAmount();
        if (pos.shares < shares) revert InsufficientShares(pos.shares, shares);
        uint64 last = currentEpoch;
        uint256 k = pos.withdrawals.length;
        if (k > 0 && pos.withdrawals[k - 1].epoch == last) {
            pos.withdrawals[k - 1].shares += uint128(shares);
        } else {
            if (k >= MAX_PENDING) revert TooManyPending();
            pos.withdrawals.push(PendingWithdrawal(last, uint128(shares)));
        }
        pos.shares -= uint128(shares);
        Bucket storage b = withdrawBuckets[node][last];
        if (b.shares == 0) _wdQ[node].epochs.push(last);
        b.shares += uint120(shares);
        pools[node].withdrawingShares += uint128(shares);
        _refresh(node);
        emit WithdrawalRequested(node, msg.sender, last, shares);
    }

    /// Pays out every withdrawal of the caller on `node` whose epochs are all settled.
    function withdraw(address node) external returns (uint256 amount) {
        _requireNode(node);
        _syncNode(node);
        Position storage pos = _positions[node][msg.sender];
        _resolve(node, pos);
        amount = pos.claimable;
        if (amount == 0) return 0;
        pos.claimable = 0;
        pools[node].withdrawable -= uint128(amount);
        token.safeTransfer(msg.sender, amount);
        emit Withdrawn(node, msg.sender, amount);
    }

    /// Pays the operator its accrued commission.
    function claimCommission() external returns (uint256 amount) {
        Pool storage p = pools[msg.sender];
        amount = p.commissionOwed;
        if (amount == 0) return 0;
        p.commissionOwed = 0;
        token.safeTransfer(msg.sender, amount);
        emit CommissionClaimed(msg.sender, msg.sender, amount);
    }

    /// Converts the caller's ready buckets on `node` (no transfer); useful before reading.
    function sync(address node, address delegator) external {
        _syncNode(node);
        _resolve(node, _positions[node][delegator]);
    }

    // ---------------------------------------------------------------- settlement hooks

    /// Applies epoch `epoch`'s outcome to one node: reward (commission split off at the
    /// rate in force for that epoch) and slash (burned). Called by Settlement only, in
    /// epoch order; Settlement transfers the reward tokens in the same transaction.
    function settleNode(uint64 epoch, address node, uint256 reward, uint256 slashBps)
        external
        onlySettlement
        returns (uint256 slashed)
    {
        if (epoch != settledCount) revert WrongSettleEpoch(epoch, settledCount);
        _syncNode(node);
        Pool storage p = pools[node];
        uint256 commission;
        if (reward > 0) {
            if (p.shares == 0) {
                commission = reward;
            } else {
                commission = reward * _commissionAt(node, epoch) / BPS;
            }
            p.commissionOwed += uint128(commission);
            p.stake += uint128(reward - commission);
        }
        if (slashBps > 0) {
            slashed = uint256(p.stake) * slashBps / BPS;
            if (slashed > 0) {
                p.stake -= uint128(slashed);
                token.safeTransfer(BURN_ADDRESS, slashed);
            }
        }
        _refresh(node);
        emit NodeSettled(epoch, node, reward, commission, slashed);
    }

    function markSettled(uint64 epoch) external onlySettlement {
        if (epoch != settledCount || epoch >= currentEpoch) revert WrongSettleEpoch(epoch, settledCount);
        settledCount = epoch + 1;
        emit EpochSettled(epoch);
    }

    // ---------------------------------------------------------------- pool internals

    function _syncNode(address node) internal {
        Pool storage p = pools[node];
        uint64 settled = settledCount;
        Queue storage q = _depQ[node];
        uint256 h = q.head;
        uint256 len = q.epochs.length;
        while (h < len) {
            uint64 e = q.epochs[h];
            if (e > settled) break; // needs every epoch before e settled
            Bucket storage b = depositBuckets[node][e];
            uint256 sh = (p.shares == 0 || p.stake == 0) ? b.amount : uint256(b.amount) * p.shares / p.stake;
            b.shares = uint120(sh);
            b.converted = true;
            p.stake += b.amount;
            p.shares += uint128(sh);
            p.pendingDeposits -= b.amount;
            emit DepositActivated(node, e, b.amount, sh);
            h++;
        }
        q.head = h;
        q = _wdQ[node];
        h = q.head;
        len = q.epochs.length;
        while (h < len) {
            uint64 e = q.epochs[h];
            if (e >= settled) break; // needs epoch e itself settled
            Bucket storage b = withdrawBuckets[node][e];
            uint256 amt = uint256(b.shares) * p.stake / p.shares;
            b.amount = uint128(amt);
            b.converted = true;
            p.stake -= uint128(amt);
            p.shares -= b.shares;
            p.withdrawingShares -= b.shares;
            p.withdrawable += uint128(amt);
            emit WithdrawalPriced(node, e, b.shares, amt);
            h++;
        }
        q.head = h;
    }

    /// Moves a delegator's converted buckets into shares / claimable (floor rounding;
    /// the dust stays in the pool).
    function _resolve(address node, Position storage pos) internal {
        uint256 k = pos.deposits.length;
        uint256 i = 0;
        while (i < k) {
            PendingDeposit memory d = pos.deposits[i];
            Bucket storage b = depositBuckets[node][d.epoch];
            if (!b.converted) {
                i++;
                continue;
            }
            pos.shares += uint128(uint256(d.amount) * b.shares / b.amount);
            pos.deposits[i] = pos.deposits[k - 1];
            pos.deposits.pop();
            k--;
        }
        k = pos.withdrawals.length;
        i = 0;
        while (i < k) {
            PendingWithdrawal memory w = pos.withdrawals[i];
            Bucket storage b = withdrawBuckets[node][w.epoch];
            if (!b.converted) {
                i++;
                continue;
            }
            pos.claimable += uint128(uint256(w.shares) * b.amount / b.shares);
            pos.withdrawals[i] = pos.withdrawals[k - 1];
            pos.withdrawals.pop();
            k--;
        }
    }

    function _refresh(address node) internal {
        Pool storage p = pools[node];
        uint256 v = p.pendingDeposits;
        if (p.shares > 0) v += uint256(p.shares - p.withdrawingShares) * p.stake / p.shares;
        _nodes[node].nextStake = uint128(v);
    }

    function _requireNode(address node) internal view returns (Node storage nd) {
        nd = _nodes[node];
        if (!nd.registered) revert UnknownNode(node);
    }

    // ---------------------------------------------------------------- seeds

    /// Records epoch `epoch`'s seed: blockhash(seedBlock) if that block is among the last
    /// 256, otherwise keccak256(abi.encode(seed[epoch-1], epoch)). Needs seed[epoch-1].
    function recordSeed(uint64 epoch) external {
        if (!_tryRecordSeed(epoch)) revert SeedNotReady(epoch);
    }

    /// Cheap hook for other contracts (BlobRegistry) to record the current seed.
    function pokeSeed() external {
        _tryRecordSeed(currentEpoch);
    }

    function _tryRecordSeed(uint64 e) internal returns (bool) {
        EpochInfo storage ep = _epochs[e];
        if (ep.seedSource != 0) return true;
        if (e > currentEpoch || block.number <= ep.seedBlock) return false;
        EpochInfo storage prev = _epochs[e - 1];
        if (prev.seedSource == 0) return false;
        if (block.number - ep.seedBlock <= 256) {
            ep.seed = blockhash(ep.seedBlock);
            ep.seedSource = 1;
        } else {
            ep.seed = keccak256(abi.encode(prev.seed, e));
            ep.seedSource = 2;
        }
        emit SeedRecorded(e, ep.seedBlock, ep.seed, ep.seedSource);
        return true;
    }

    // ---------------------------------------------------------------- epochs

    struct Sel {
        address[] mem;
        uint256[] stake;
        uint256[] cnt;
        bool[] dep;
        uint256[] prevToNew; // prev index -> new index + 1 (0 = dropped)
        uint256 m;
        bool changed;
    }

    /// Starts the next epoch once the current one's time is up. Anyone may call.
    function advanceEpoch() external {
        uint64 cur = currentEpoch;
        EpochInfo storage ce = _epochs[cur];
        uint256 endsAt = uint256(ce.startTime) + ce.duration;
        if (block.timestamp < endsAt) revert EpochNotOver(cur, endsAt);
        _tryRecordSeed(cur);
        uint64 next = cur + 1;
        Sel memory s = _select(ce.committeeRef, ce.shardRef);
        uint8 w = _assign(s, ce.shardRef, next);
        EpochInfo storage ne = _epochs[next];
        ne.startTime = uint64(block.timestamp);
        ne.duration = epochDuration;
        ne.seedBlock = uint64(block.number) + seedDelay;
        ne.committeeRef = w == 2 ? next : ce.committeeRef;
        ne.shardRef = w != 0 ? next : ce.shardRef;
        ne.committeeHash = w == 2 ? _committeeHashWritten : ce.committeeHash;
        currentEpoch = next;
        emit EpochAdvanced(next, ne.startTime, ne.duration, ne.seedBlock, ne.committeeHash, s.m);
    }

    /// Committee for the next epoch: previous members stay (in order) while eligible
    /// (active, stake >= minStake) or while they still hold shards; free seats go to the
    /// eligible outsiders with the most stake (ties: lower candidate index).
    function _select(uint64 prevCommitteeRef, uint64 prevShardRef) internal view returns (Sel memory s) {
        address[] storage P = _committee[prevCommitteeRef];
        uint16[] storage PC = _shardCounts[prevShardRef];
        uint256 mPrev = P.length;
        uint256 cap = committeeCap;
        uint256 minS = minStake;
        uint256 nc = candidates.length;
        s.mem = new address[](cap);
        s.stake = new uint256[](cap);
        s.cnt = new uint256[](cap);
        s.dep = new bool[](cap);
        s.prevToNew = new uint256[](mPrev);
        bool[] memory isPrev = new bool[](nc);
        for (uint256 i = 0; i < mPrev; i++) {
            address a = P[i];
            Node storage nd = _nodes[a];
            if (nd.listed) isPrev[nd.candIndex] = true;
            uint256 st = nd.nextStake;
            bool el = nd.active && st >= minS;
            uint256 c = PC[i];
            if (!el && c == 0) {
                s.changed = true;
                continue;
            }
            s.mem[s.m] = a;
            s.stake[s.m] = st;
            s.cnt[s.m] = c;
            s.dep[s.m] = !el;
            s.prevToNew[i] = s.m + 1;
            s.m++;
        }
        if (s.m >= cap) return s;
        // eligible outsiders, sorted by (stake desc, index asc) packed into one key
        uint256[] memory keys = new uint256[](nc);
        uint256 k = 0;
        for (uint256 c = 0; c < nc; c++) {
            if (isPrev[c]) continue;
            Node storage nd = _nodes[candidates[c]];
            uint256 st = nd.nextStake;
            if (!nd.active || st < minS) continue;
            keys[k++] = (st << 32) | (type(uint32).max - c);
        }
        if (k == 0) return s;
        assembly {
            mstore(keys, k)
        }
        _sortDesc(keys, 0, int256(k) - 1);
        for (uint256 j = 0; j < k && s.m < cap; j++) {
            uint256 c = type(uint32).max - (keys[j] & type(uint32).max);
            s.mem[s.m] = candidates[c];
            s.stake[s.m] = keys[j] >> 32;
            s.m++;
            s.changed = true;
        }
    }

    function _sortDesc(uint256[] memory a, int256 lo, int256 hi) internal pure {
        while (lo < hi) {
            uint256 pivot = a[uint256(lo + (hi - lo) / 2)];
            int256 i = lo;
            int256 j = hi;
            while (i <= j) {
                while (a[uint256(i)] > pivot) i++;
                while (a[uint256(j)] < pivot) j--;
                if (i <= j) {
                    (a[uint256(i)], a[uint256(j)]) = (a[uint256(j)], a[uint256(i)]);
                    i++;
                    j--;
                }
            }
            if (j - lo < hi - i) {
                _sortDesc(a, lo, j);
                lo = i;
            } else {
                _sortDesc(a, i, hi);
                hi = j;
            }
        }
    }

    /// Stake-proportional targets: every eligible member gets 1 + floor((n - m')·stake/S),
    /// the remainder goes one each in committee order; departing members target 0.
    function _targets(Sel memory s) internal view returns (uint256[] memory t, uint256 active) {
        uint256 n = nShards;
        t = new uint256[](s.m);
        uint256 total;
        for (uint256 i = 0; i < s.m; i++) {
            if (!s.dep[i]) {
                active++;
                total += s.stake[i];
            }
        }
        if (active == 0) return (t, 0);
        uint256 sum;
        for (uint256 i = 0; i < s.m; i++) {
            if (s.dep[i]) continue;
            t[i] = 1 + (n - active) * s.stake[i] / total;
            sum += t[i];
        }
        uint256 r = n - sum;
        for (uint256 i = 0; i < s.m && r > 0; i++) {
            if (s.dep[i]) continue;
            t[i]++;
            r--;
        }
    }

    /// Sticky shard assignment. Returns 0 if nothing changed, 1 if only the shard arrays
    /// changed, 2 if the members changed too (changed arrays are written under ref = next).
    function _assign(Sel memory s, uint64 prevShardRef, uint64 next) internal returns (uint8) {
        uint256 n = nShards;
        (uint256[] memory t, uint256 active) = _targets(s);
        uint256 assigned;
        for (uint256 i = 0; i < s.m; i++) {
            assigned += s.cnt[i];
        }
        bytes memory owners;
        if (s.m == 0) {
            if (!s.changed) return 0;
            _writeCommittee(s, next, owners, true);
            return 2;
        }
        if (assigned == 0) {
            // nothing held yet (first committee): contiguous initial assignment, no grace
            owners = new bytes(n);
            uint256 sh = 0;
            for (uint256 i = 0; i < s.m; i++) {
                for (uint256 j = 0; j < t[i]; j++) {
                    owners[sh++] = bytes1(uint8(i));
                }
                s.cnt[i] = t[i];
            }
            _writeCommittee(s, next, owners, true);
            return 2;
        }
        uint256[] memory give = new uint256[](s.m);
        uint256[] memory take = new uint256[](s.m);
        uint256 moves = active == 0 ? 0 : _planMoves(s, t, give, take);
        if (moves == 0 && !s.changed) return 0;
        owners = _shardOwners[prevShardRef];
        if (moves > 0) {
            _grace[next] = _applyMoves(s, owners, give, take, moves, next);
            _epochs[next].hasGrace = true;
        } else {
            for (uint256 sh = 0; sh < n; sh++) {
                owners[sh] = bytes1(uint8(s.prevToNew[uint8(owners[sh])] - 1));
            }
        }
        _writeCommittee(s, next, owners, s.changed);
        return s.changed ? 2 : 1;
    }

    /// Walks shards in index order: a shard whose owner still has to give one moves to
    /// the current receiver (receivers filled in committee order). Returns the grace bitmap.
    function _applyMoves(
        Sel memory s,
        bytes memory owners,
        uint256[] memory give,
        uint256[] memory take,
        uint256 left,
        uint64 next
    ) internal returns (uint256[] memory grace) {
        uint256 n = owners.length;
        grace = new uint256[]((n + 255) / 256);
        uint256 r = 0;
        while (take[r] == 0) r++;
        for (uint256 sh = 0; sh < n; sh++) {
            uint256 o = s.prevToNew[uint8(owners[sh])] - 1;
            if (left > 0 && give[o] > 0) {
                give[o]--;
                take[r]--;
                left--;
                owners[sh] = bytes1(uint8(r));
                grace[sh >> 8] |= uint256(1) << (sh & 255);
                emit ShardMoved(next, sh, s.mem[o], s.mem[r]);
                s.cnt[o]--;
                s.cnt[r]++;
                if (left > 0) {
                    while (take[r] == 0) r++;
                }
            } else {
                owners[sh] = bytes1(uint8(o));
            }
        }
    }

    /// Decides how many shards each member gives / takes this epoch (at most
    /// maxShardMoves in total). Moves happen when a departing member still holds shards,
    /// when an eligible member holds none, or when the misplaced shard count exceeds
    /// driftBoundBps of n. Departing members give first, members without shards take first.
    function _planMoves(Sel memory s, uint256[] memory t, uint256[] memory give, uint256[] memory take)
        internal
        view
        returns (uint256 total)
    {
        bool force;
        uint256 need;
        for (uint256 i = 0; i < s.m; i++) {
            if (s.cnt[i] > t[i]) need += s.cnt[i] - t[i];
            if ((s.dep[i] && s.cnt[i] > 0) || (!s.dep[i] && s.cnt[i] == 0)) force = true;
        }
        if (!force && need * BPS <= uint256(driftBoundBps) * nShards) return 0;
        uint256 budget = maxShardMoves;
        for (uint256 pass = 0; pass < 2; pass++) {
            for (uint256 i = 0; i < s.m && budget > 0; i++) {
                if (s.dep[i] != (pass == 0) || s.cnt[i] <= t[i]) continue;
                uint256 g = s.cnt[i] - t[i];
                if (g > budget) g = budget;
                give[i] = g;
                budget -= g;
                total += g;
            }
        }
        uint256 left = total;
        for (uint256 pass = 0; pass < 2; pass++) {
            for (uint256 i = 0; i < s.m && left > 0; i++) {
                if (s.dep[i] || (pass == 0 && s.cnt[i] != 0)) continue;
                uint256 have = s.cnt[i] + take[i];
                if (have >= t[i]) continue;
                uint256 d = t[i] - have;
                if (d > left) d = left;
                take[i] += d;
                left -= d;
            }
        }
    }

    /// Writes shard counts and owners under `ref`, and the members too if they changed.
    function _writeCommittee(Sel memory s, uint64 ref, bytes memory owners, bool members) internal {
        address[] memory mem = s.mem;
        uint256 m = s.m;
        assembly {
            mstore(mem, m)
        }
        uint16[] memory counts = new uint16[](m);
        for (uint256 i = 0; i < m; i++) {
            counts[i] = uint16(s.cnt[i]);
        }
        _shardCounts[ref] = counts;
        _shardOwners[ref] = owners;
        bytes32 h = _epochs[currentEpoch].committeeHash;
        if (members) {
            _committee[ref] = mem;
            h = keccak256(abi.encode(mem));
            _committeeHashWritten = h;
        }
        emit CommitteeChanged(ref, h, mem, counts);
    }

    // ---------------------------------------------------------------- views

    function epochInfo(uint64 epoch)
        external
        view
        returns (
            uint64 startTime,
            uint64 duration,
            uint64 seedBlock,
            bytes32 seed,
            uint8 seedSource,
            bytes32 hash,
            uint256 size
        )
    {
        _requireKnown(epoch);
        EpochInfo storage e = _epochs[epoch];
        return (
            e.startTime, e.duration, e.seedBlock, e.seed, e.seedSource, e.committeeHash, _committee[e.committeeRef].length
        );
    }

    /// Time at which `epoch` ended (the next epoch's start); 0 while it is still running.
    function epochEndTime(uint64 epoch) external view returns (uint64) {
        if (epoch >= currentEpoch) return 0;
        return _epochs[epoch + 1].startTime;
    }

    function epochSeed(uint64 epoch) external view returns (bytes32 seed, uint64 seedBlock, uint8 source) {
        _requireKnown(epoch);
        EpochInfo storage e = _epochs[epoch];
        return (e.seed, e.seedBlock, e.seedSource);
    }

    function committeeHash(uint64 epoch) external view returns (bytes32) {
        _requireKnown(epoch);
        return _epochs[epoch].committeeHash;
    }

    function committeeSize(uint64 epoch) external view returns (uint256) {
        _requireKnown(epoch);
        return _committee[_epochs[epoch].committeeRef].length;
    }

    /// Committee of `epoch` in committee order (the order counts are indexed by).
    function committee(uint64 epoch) external view returns (address[] memory nodes, uint16[] memory shardCounts) {
        _requireKnown(epoch);
        EpochInfo storage e = _epochs[epoch];
        return (_committee[e.committeeRef], _shardCounts[e.shardRef]);
    }

    function committeeMember(uint64 epoch, uint256 index)
        external
        view
        returns (address node, uint16 shards, address nodeKey)
    {
        _requireKnown(epoch);
        EpochInfo storage e = _epochs[epoch];
        address[] storage c = _committee[e.committeeRef];
        if (index >= c.length) revert BadCommittee(epoch, index);
        node = c[index];
        return (node, _shardCounts[e.shardRef][index], _nodes[node].nodeKey);
    }

    /// n bytes: byte s = committee index of the owner of shard s (empty before the first committee).
    function shardOwnerIndices(uint64 epoch) external view returns (bytes memory) {
        _requireKnown(epoch);
        return _shardOwners[_epochs[epoch].shardRef];
    }

    /// Bitmap (bit s of word s/256) of shards that moved into their owner at the start of
    /// `epoch`; auditors skip them for that epoch. Empty array when none moved.
    function graceBitmap(uint64 epoch) external view returns (uint256[] memory) {
        _requireKnown(epoch);
        return _grace[epoch];
    }

    function inGrace(uint64 epoch, uint256 shard) external view returns (bool) {
        _requireKnown(epoch);
        if (!_epochs[epoch].hasGrace) return false;
        return (_grace[epoch][shard >> 8] >> (shard & 255)) & 1 == 1;
    }

    function nodeInfo(address node)
        external
        view
        returns (
            address operator,
            address nodeKey,
            string memory endpoint,
            uint16 commissionBps,
            bool active,
            uint256 stake,
            uint256 nextStake
        )
    {
        Node storage nd = _nodes[node];
        if (!nd.registered) revert UnknownNode(node);
        return (
            node,
            nd.nodeKey,
            nd.endpoint,
            _commissionAt(node, currentEpoch),
            nd.active,
            pools[node].stake,
            nd.nextStake
        );
    }

    /// Commission (bps) that applies to rewards of `epoch`.
    function commissionAt(address node, uint64 epoch) external view returns (uint16) {
        return _commissionAt(node, epoch);
    }

    function _commissionAt(address node, uint64 epoch) internal view returns (uint16) {
        CommissionPoint[] storage h = _commission[node];
        uint256 i = h.length;
        while (i > 0) {
            CommissionPoint storage pt = h[--i];
            if (pt.epoch <= epoch) return pt.bps;
        }
        return 0;
    }

    function candidateCount() external view returns (uint256) {
        return candidates.length;
    }

    /// A delegator's position on a node as last resolved (call sync() first for fresh
    /// values): active shares, claimable tokens, tokens waiting to become shares, shares
    /// waiting for their epochs to settle.
    function positionOf(address node, address delegator)
        external
        view
        returns (uint256 shares, uint256 claimable, uint256 pendingAmount, uint256 withdrawingShares)
    {
        Position storage p = _positions[node][delegator];
        for (uint256 i = 0; i < p.deposits.length; i++) {
            pendingAmount += p.deposits[i].amount;
        }
        for (uint256 i = 0; i < p.withdrawals.length; i++) {
            withdrawingShares += p.withdrawals[i].shares;
        }
        return (p.shares, p.claimable, pendingAmount, withdrawingShares);
    }

    function _requireKnown(uint64 epoch) internal view {
        if (epoch > currentEpoch) revert EpochNotCurrentOrPast(epoch);
    }
}
