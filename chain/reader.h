/* reader.h: the chain state the auditor and the settle job work from, read only from
 * finalized blocks (the head minus N - 1 confirmations), so a reorg can never change a
 * schedule after it was built.
 *
 * For an epoch: its times and seed (usable once the seed block is finalized), the
 * committee in order with node ids, node keys, endpoints and shard counts, each shard's
 * owner and grace, and the snapshot of certified blobs the schedule samples from: every
 * blob certified at or before the seed block and in an earlier epoch, and stored in the
 * epoch (BlobCertified events, read with eth_getLogs in chunks, checked against
 * blobInfo; the rule of BlobRegistry.isChallengeable). Also the registered auditors.
 *
 * Plain structs, owned by the caller (chain_reader_*_clear). The fields of
 * chain_audit_node (id, shards, nshards) and chain_audit_blob (id, unencoded_length) are
 * those of struct audit_schedule_node / audit_schedule_blob (audit/schedule.h), which this
 * layer may not include: the auditor copies them over field by field. */
#ifndef ASSAY_CHAIN_READER_H
#define ASSAY_CHAIN_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/bindings.h"
#include "core/util.h"

struct err;
struct chain_rpc;
struct chain_reader;

#define CHAIN_READER_CURRENT UINT64_MAX

/* A committee member and the shards it is challenged on (in grace ones left out). */
struct chain_audit_node {
	uint8_t id[20];        /* operator address: the node id */
	uint16_t *shards;      /* ascending, not in grace */
	size_t nshards;
	uint16_t *grace_shards; /* received this epoch: not challenged */
	size_t ngrace;
	uint16_t shard_count;  /* all shards it holds (= nshards + ngrace) */
	uint8_t node_key[20];
	char *endpoint;
	uint16_t commission_bps;
};

struct chain_audit_blob {
	uint8_t id[32];
	uint64_t unencoded_length;
	uint8_t encoding_type;
	uint64_t certified_epoch, certified_block;
	uint64_t start_epoch, end_epoch; /* stored in [start, end) */
};

struct chain_epoch_view {
	uint64_t epoch;
	uint64_t as_of_block;  /* the finalized block everything was read at */
	uint64_t current_epoch;
	struct chain_epoch_info info;
	bool seed_final;       /* the seed is recorded and its block finalized */
	uint64_t end_time;     /* 0 while the epoch runs */
	uint32_t n_shards;
	uint8_t *shard_owner;  /* n_shards entries: committee index (absent: no committee) */
	bool *in_grace;        /* n_shards entries */
	struct chain_audit_node *nodes; /* committee order */
	size_t nnodes;
};

struct chain_auditor {
	uint8_t id;
	uint8_t signer[20];
	uint8_t payee[20];
	bool active;
};

/* Where a reader keeps the BlobCertified events it has read (the blob ids, in the order
 * of their first event) and the block it has read them through, so that each read of the
 * snapshot, in this process or the next one, scans only the blocks since instead of the
 * chain from the deployment's start. Only finalized blocks are ever read, so what is kept
 * never needs undoing after a reorg. sql/chainlogs.h keeps it in PostgreSQL; chain/ only
 * declares it. A store that fails is logged and the reader rescans, as without one. */
struct chain_log_store {
	void *ctx;
	/* *found false when nothing is kept for this registry (chain id and address) yet;
	 * else *through and the ids (malloc'd, first-event order). */
	bool (*load)(void *ctx, uint64_t chain_id, const uint8_t registry[20], bool *found,
		     uint64_t *through, uint8_t (**ids)[32], size_t *n, struct err *e);
	/* Appends ids (not kept before, first-event order) and moves the cursor from `prev`
	 * (found_prev false: none) to `through`, all or nothing. Fails, changing nothing, if
	 * the cursor kept is no longer `prev` (another reader moved it). */
	bool (*append)(void *ctx, uint64_t chain_id, const uint8_t registry[20], bool found_prev,
		       uint64_t prev, uint64_t through, const uint8_t (*ids)[32], size_t n,
		       struct err *e);
};

/* confirmations >= 1 (1: the head itself); log_chunk: blocks per eth_getLogs (0: 2000). */
bool chain_reader_new(struct chain_reader **out, struct chain_rpc *rpc,
		      const struct chain_deployment *d, const char *contracts_dir,
		      uint64_t confirmations, uint64_t log_chunk, struct err *e) WARN_UNUSED;
void chain_reader_free(struct chain_reader *r);
/* Follow BlobCertified events incrementally with this store (lent; NULL: rescan each
 * time). */
void chain_reader_set_log_store(struct chain_reader *r, const struct chain_log_store *s);

/* The newest finalized block number. */
bool chain_reader_finalized(struct chain_reader *r, uint64_t *block, struct err *e) WARN_UNUSED;

/* Epoch `epoch` (CHAIN_READER_CURRENT: the current one) as of the finalized block. */
bool chain_reader_epoch(struct chain_reader *r, uint64_t epoch, struct chain_epoch_view *out,
			struct err *e) WARN_UNUSED;
void chain_epoch_view_clear(struct chain_epoch_view *v);

/* The blobs challengeable in v's epoch: certified at or before its seed block in an
 * earlier epoch, and stored in the epoch. Fails when the seed is not final yet (nothing can be scheduled then). */
bool chain_reader_blobs(struct chain_reader *r, const struct chain_epoch_view *v,
			struct chain_audit_blob **out, size_t *n, struct err *e) WARN_UNUSED;

/* Auditors as last set (AuditorSet events up to the finalized block), by id. */
bool chain_reader_auditors(struct chain_reader *r, struct chain_auditor **out, size_t *n,
			   struct err *e) WARN_UNUSED;
/* The event chain_reader_auditors reads, and the auditors as last set by its logs (chain
 * order; removed ones skipped), by id: for a caller that reads the logs its own way. */
#define CHAIN_AUDITOR_SET_EVENT \
	"event AuditorSet(uint8 indexed auditorId, address signer, address payee, bool active)"
struct chain_abi_sig;
struct chain_logs;
bool chain_auditors_from_logs(const struct chain_abi_sig *sig, const struct chain_logs *logs,
			      struct chain_auditor **out, size_t *n, struct err *e) WARN_UNUSED;

/* Blobs with a BlobCertified event in blocks [from, to] (to at most the finalized block),
 * each checked against blobInfo as of the finalized block: only those still registered and
 * certified are listed, once each, in event order; *as_of_block says which block that was.
 * Whether a blob is still stored is the caller's call (end_epoch). A storage node follows
 * the chain with it, a few chunks at a time. */
bool chain_reader_certified(struct chain_reader *r, uint64_t from, uint64_t to,
			    struct chain_audit_blob **out, size_t *n, uint64_t *as_of_block,
			    struct err *e) WARN_UNUSED;
/* One blob as of the finalized block: *certified false when it is not registered or not
 * certified (then *out holds what is known). */
bool chain_reader_blob(struct chain_reader *r, const uint8_t id[32], struct chain_audit_blob *out,
		       bool *certified, struct err *e) WARN_UNUSED;

#endif
