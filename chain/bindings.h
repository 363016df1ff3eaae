/* bindings.h: typed C wrappers for the assay contracts (Staking, BlobRegistry,
 * Settlement, the token), on top of chain/abi.h, chain/rpc.h and chain/sender.h.
 *
 * The compiled contracts (ABI and bytecode, from chain/contracts/build.sh) are embedded
 * in the binary at build time (chain/contracts.cmake); a directory of <Name>.json files
 * can replace them. Their custom errors explain reverts: a transaction is simulated
 * (eth_call from the sender) before it is signed, so a call that would revert fails with
 * the error's name and a sentence, and nothing is saved or broadcast.
 *
 * Reads go to the block set with chain_bind_at_block (default "latest"); the reader
 * (chain/reader.h) pins them to a finalized block. */
#ifndef ASSAY_CHAIN_BINDINGS_H
#define ASSAY_CHAIN_BINDINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/deployment.h"
#include "chain/u256.h"
#include "core/buf.h"
#include "core/util.h"

struct err;
struct chain_rpc;
struct chain_sender;
struct chain_receipt;
struct chain_abi_value;
struct chain_abi_sig;
struct chain_bind;

/* ---- compiled contracts ---- */

/* One contract's build output (<Name>.json text), embedded by chain/contracts.cmake. */
struct chain_artifact {
	const char *name;
	const char *json;
};
extern const struct chain_artifact chain_artifacts[];
extern const size_t chain_nartifacts;

struct chain_compiled {
	char *name;
	struct buf bytecode;           /* init code */
	struct chain_abi_sig *ctor;    /* "constructor(...)" inputs; never NULL */
	struct chain_abi_sig **errors; /* custom errors, with parameter names */
	size_t nerrors;
};
/* Loads contract `name` from dir/<name>.json, or from the embedded copy when dir is NULL. */
bool chain_compiled_load(const char *name, const char *dir, struct chain_compiled **out,
			 struct err *e) WARN_UNUSED;
void chain_compiled_free(struct chain_compiled *c);

/* ---- revert explanations ---- */

/* A sentence for a custom error of the assay contracts ("the epoch's time is not up
 * yet"), or NULL for one without. */
const char *chain_error_explain(const char *name);
/* Rewrites an error sentence that names a custom error only by selector ("custom error
 * 0x1234abcd with 68 bytes of data") into its signature and explanation, using errors. */
void chain_explain_revert(struct err *e, struct chain_abi_sig *const *errors, size_t nerrors);

/* ---- a session with a deployment ---- */

/* rpc and sender are lent; sender may be NULL for read-only use. dir as for
 * chain_compiled_load (the ABIs give the custom errors). */
bool chain_bind_new(struct chain_bind **out, struct chain_rpc *rpc, struct chain_sender *sender,
		    const struct chain_deployment *d, const char *contracts_dir,
		    struct err *e) WARN_UNUSED;
void chain_bind_free(struct chain_bind *b);
const struct chain_deployment *chain_bind_deployment(const struct chain_bind *b);
struct chain_rpc *chain_bind_rpc(struct chain_bind *b);
/* Reads as of this block (0: latest). */
void chain_bind_at_block(struct chain_bind *b, uint64_t block);

/* eth_call of sig ("f(uint64)(uint256,bytes32)": outputs after the inputs) with args (a
 * tuple, stolen; NULL for none); *ret is the tuple of outputs. */
bool chain_bind_call(struct chain_bind *b, const uint8_t to[20], const char *sig,
		     struct chain_abi_value *args, struct chain_abi_value **ret,
		     struct err *e) WARN_UNUSED;
/* A transaction through the sender: simulated first (a revert is explained and nothing
 * is signed), then signed, saved, broadcast and waited for; a mined revert is explained
 * too. to NULL: contract creation with data = init code. rcpt may be NULL. */
bool chain_bind_send_data(struct chain_bind *b, const uint8_t *to, const uint8_t *data,
			  size_t len, const char *purpose, struct chain_receipt *rcpt,
			  struct err *e) WARN_UNUSED;
bool chain_bind_send(struct chain_bind *b, const uint8_t to[20], const char *sig,
		     struct chain_abi_value *args, const char *purpose, struct chain_receipt *rcpt,
		     struct err *e) WARN_UNUSED;

/* ---- typed views ---- */

struct chain_epoch_info {
	uint64_t epoch;
	uint64_t start_time, duration, seed_block;
	uint8_t seed[32];
	uint8_t seed_source; /* 0 none yet, 1 blockhash, 2 fallback rule, 3 genesis */
	uint8_t committee_hash[32];
	uint64_t committee_size;
};
bool chain_staking_current_epoch(struct chain_bind *b, uint64_t *out, struct err *e) WARN_UNUSED;
/* The shortest an epoch lasts (seconds). */
bool chain_staking_epoch_duration(struct chain_bind *b, uint64_t *out, struct err *e) WARN_UNUSED;
bool chain_staking_epoch_info(struct chain_bind *b, uint64_t epoch, struct chain_epoch_info *out,
			      struct err *e) WARN_UNUSED;

struct chain_committee {
	size_t n;
	uint8_t (*nodes)[20]; /* committee order (the order counts are indexed by) */
	uint16_t *shards;     /* shard count of each member */
	uint8_t (*node_keys)[20]; /* filled by chain_staking_committee_keys */
};
bool chain_staking_committee(struct chain_bind *b, uint64_t epoch, struct chain_committee *out,
			     struct err *e) WARN_UNUSED;
/* Fills node_keys (one committeeMember call per member). */
bool chain_staking_committee_keys(struct chain_bind *b, uint64_t epoch,
				  struct chain_committee *c, struct err *e) WARN_UNUSED;
void chain_committee_clear(struct chain_committee *c);
/* n bytes (appended): byte s = committee index of shard s's owner; empty before the
 * first committee. */
bool chain_staking_shard_owners(struct chain_bind *b, uint64_t epoch, struct buf *out,
				struct err *e) WARN_UNUSED;
/* in_grace[s] for s < n (false when no shard moved into its owner this epoch). */
bool chain_staking_grace(struct chain_bind *b, uint64_t epoch, bool *in_grace, size_t n,
			 struct err *e) WARN_UNUSED;

struct chain_node_info {
	uint8_t node[20];
	uint8_t node_key[20];
	char *endpoint; /* malloc'd */
	uint16_t commission_bps;
	bool active;
	struct chain_u256 stake, next_stake;
};
/* *found false for an address that never registered. */
bool chain_staking_node_info(struct chain_bind *b, const uint8_t node[20],
			     struct chain_node_info *out, bool *found, struct err *e) WARN_UNUSED;
/* Every member's node key (into c->node_keys) and record (infos[i], found[i]; c->n each,
 * endpoints owned by the caller) in JSON-RPC batches of eth_calls: one round trip per 50
 * members instead of two per member. An answer a batch does not give is asked alone. */
bool chain_staking_members(struct chain_bind *b, uint64_t epoch, struct chain_committee *c,
			   struct chain_node_info *infos, bool *found, struct err *e) WARN_UNUSED;
void chain_node_info_clear(struct chain_node_info *n);

/* Every registered candidate node (Staking.candidates), in order; *out malloc'd. */
bool chain_staking_candidates(struct chain_bind *b, uint8_t (**out)[20], size_t *n,
			      struct err *e) WARN_UNUSED;

struct chain_position {
	struct chain_u256 shares, claimable, pending, withdrawing_shares;
};
bool chain_staking_position(struct chain_bind *b, const uint8_t node[20],
			    const uint8_t delegator[20], struct chain_position *out,
			    struct err *e) WARN_UNUSED;

struct chain_phases {
	uint64_t end, commit_end, reveal_end, dispute_end;
};
/* *ended false while the epoch is still running (no phases yet). */
bool chain_settlement_phases(struct chain_bind *b, uint64_t epoch, struct chain_phases *out,
			     bool *ended, struct err *e) WARN_UNUSED;

struct chain_epoch_state {
	uint8_t revealed_mask[32]; /* big-endian uint256: bit a = auditor a revealed */
	uint8_t status; /* 0 open, 1 finalizing, 2 finalized, 3 voided */
	uint16_t revealed;
	bool cancelled;
	uint32_t progress;
	struct chain_u256 pool, node_pool, auditor_pool, paid;
};
bool chain_settlement_epoch_state(struct chain_bind *b, uint64_t epoch,
				  struct chain_epoch_state *out, struct err *e) WARN_UNUSED;
const char *chain_epoch_status_name(uint8_t status);

struct chain_blob_info {
	bool registered;
	uint8_t owner[20];
	uint8_t encoding_type;
	uint64_t unencoded_size, start_epoch, end_epoch, certified_epoch, certified_block;
	uint64_t encoded_size;
	struct chain_u256 fee_per_epoch;
};
bool chain_registry_blob_info(struct chain_bind *b, const uint8_t blob_id[32],
			      struct chain_blob_info *out, struct err *e) WARN_UNUSED;

bool chain_token_balance(struct chain_bind *b, const uint8_t who[20], struct chain_u256 *out,
			 struct err *e) WARN_UNUSED;

/* Whether auditor id's bit is set in a revealed mask. */
bool chain_mask_has(const uint8_t mask[32], uint8_t id);

/* ---- Settlement: auditors, secrets, attestations ---- */

bool chain_settlement_auditor(struct chain_bind *b, uint8_t id, uint8_t signer[20],
			      uint8_t payee[20], bool *active, struct err *e) WARN_UNUSED;
bool chain_settlement_next_to_settle(struct chain_bind *b, uint64_t *out,
				     struct err *e) WARN_UNUSED;
bool chain_settlement_quorum(struct chain_bind *b, uint64_t *out, struct err *e) WARN_UNUSED;
/* The BlobRegistry where reveals' evidence blobs must be certified; zeros: none bound
 * (reveals then name no blob). */
bool chain_settlement_evidence_registry(struct chain_bind *b, uint8_t out[20],
					struct err *e) WARN_UNUSED;
/* Settlement.params(): rewards start above r0_bps, scores below penalty_bps are slashed
 * (basis points of a score of 1). */
bool chain_settlement_thresholds(struct chain_bind *b, uint64_t *r0_bps, uint64_t *penalty_bps,
				 struct err *e) WARN_UNUSED;
/* secretHashes / attestationCommits of (epoch, auditor): zero when none. */
bool chain_settlement_secret_hash(struct chain_bind *b, uint64_t epoch, uint8_t id,
				  uint8_t out[32], struct err *e) WARN_UNUSED;
bool chain_settlement_commit(struct chain_bind *b, uint64_t epoch, uint8_t id, uint8_t out[32],
			     struct err *e) WARN_UNUSED;

/* ---- events ---- */

struct chain_logs;
/* The logs of event (full text, "event E(uint64 indexed epoch, ...)") emitted by address,
 * from the deployment's start block to the block reads go to (chain_bind_at_block; the
 * head for latest); t1, t2: the first two indexed topics, NULL for any. Removed logs are
 * left out. *sig receives the parsed event, for chain_abi_decode_log (free it). */
bool chain_bind_logs(struct chain_bind *b, const uint8_t address[20], const char *event,
		     const uint8_t *t1, const uint8_t *t2, struct chain_abi_sig **sig,
		     struct chain_logs *out, struct err *e) WARN_UNUSED;
/* Where chain_bind_logs keeps every log of a contract it has read and the block it has
 * read them through, so that each read, in this process or the next, asks the node only
 * for the blocks since (in ranges of at most log_chunk blocks) instead of the chain from
 * the deployment's start. The last keep_back blocks before the block read to are never
 * kept (read each time), so what is kept is as final as the caller's confirmations make
 * it. sql/chainevents.h keeps it in PostgreSQL; chain/ only declares it. A store that
 * fails is logged and the read scans the node as without one. */
struct chain_event_store {
	void *ctx;
	/* *found false when nothing is kept for the contract yet; else *through. */
	bool (*cursor)(void *ctx, uint64_t chain_id, const uint8_t contract[20], bool *found,
		       uint64_t *through, struct err *e);
	/* Keeps logs (of the blocks after `prev`, none when !found_prev) and moves the cursor
	 * to `through`, all or nothing; fails, changing nothing, if the cursor is no longer
	 * `prev` (another reader moved it). */
	bool (*append)(void *ctx, uint64_t chain_id, const uint8_t contract[20], bool found_prev,
		       uint64_t prev, uint64_t through, const struct chain_logs *logs,
		       struct err *e);
	/* The kept logs in blocks [from, to] whose topics 0..2 match (NULL: any), in chain
	 * order, appended to *out. */
	bool (*query)(void *ctx, uint64_t chain_id, const uint8_t contract[20],
		      const uint8_t *const topics[3], uint64_t from, uint64_t to,
		      struct chain_logs *out, struct err *e);
};
/* s is lent (NULL: scan from the start block each time); log_chunk 0: 2000. */
void chain_bind_set_event_store(struct chain_bind *b, const struct chain_event_store *s,
				uint64_t keep_back, uint64_t log_chunk);
/* Blocks this binding has asked the node for logs of, over all chain_bind_logs calls. */
uint64_t chain_bind_log_blocks_scanned(const struct chain_bind *b);

/* A topic holding an unsigned integer / an address. */
void chain_topic_u64(uint8_t t[32], uint64_t v);
void chain_topic_address(uint8_t t[32], const uint8_t a[20]);

#endif
