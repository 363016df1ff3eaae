/* schedule.h: the challenge schedule of one auditor in one epoch, exactly as
 * audit/SCHEDULE.md specifies it (a pure function of public inputs and the secret). */
#ifndef ASSAY_AUDIT_SCHEDULE_H
#define ASSAY_AUDIT_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/symbol.h"
#include "core/util.h"

struct err;

#define AUDIT_SCHEDULE_MIN_PER_NODE 200
#define AUDIT_SCHEDULE_PER_SHARD 2
#define AUDIT_SCHEDULE_BATCH_SIZE 16

struct audit_schedule_params {
	uint64_t epoch;
	uint8_t seed[32];
	uint8_t secret[32];
	uint8_t auditor[20];
	uint32_t n;
	uint32_t min_per_node;
	uint32_t per_shard;
	uint32_t batch_size;
	uint64_t window_ms;
};

/* A committee member: its id and the shards it holds in the epoch that are not in grace,
 * in ascending order (the caller's array; borrowed). */
struct audit_schedule_node {
	uint8_t id[20];
	const uint16_t *shards;
	size_t nshards;
};

/* A blob of the snapshot. The caller need not sort them: the schedule orders by ID. */
struct audit_schedule_blob {
	uint8_t id[32];
	uint64_t unencoded_length;
};

struct audit_challenge {
	uint64_t seq;
	uint32_t node;  /* index into the committee */
	uint32_t blob;  /* index into the caller's blob array */
	uint16_t shard;
	uint16_t pair;
	struct audit_symbol_id symbol;
	enum audit_proof_axis axis;
	uint32_t batch; /* batch number within the node */
};

struct audit_batch {
	uint32_t node;
	uint32_t batch;
	uint64_t at_ms;      /* due time after the epoch's start */
	uint64_t first_seq;  /* its challenges are first_seq .. first_seq + count - 1 */
	uint32_t count;
};

struct sorted_blob;

struct audit_schedule {
	struct audit_challenge *challenges; /* in seq order; NULL when built lazily */
	size_t nchallenges;
	struct audit_batch *batches;        /* in issue order: at_ms, node, batch */
	size_t nbatches;
	uint64_t *per_node;                 /* challenges per committee node */
	size_t nnodes;
	/* What audit_schedule_challenge derives a challenge from (private). */
	struct audit_schedule_params params;
	uint64_t *first_seq;                /* per node, and nchallenges at [nnodes] */
	struct audit_schedule_node *nodes;  /* copies; shards point into shards[] */
	uint16_t **shards;
	struct sorted_blob *sorted;         /* the snapshot by ID (borrows the blobs) */
	size_t nsorted;
	uint64_t total;
};

void audit_schedule_params_defaults(struct audit_schedule_params *p);

/* Build the schedule. Fails on inconsistent input (shard >= n, shards not ascending or
 * repeated, a blob too large for n shards, zero batch size) with one sentence. */
bool audit_schedule_build(const struct audit_schedule_params *p,
			  const struct audit_schedule_node *nodes, size_t nnodes,
			  const struct audit_schedule_blob *blobs, size_t nblobs,
			  struct audit_schedule *out, struct err *e) WARN_UNUSED;
/* The same schedule without the array of challenges (32 bytes each): they are derived one
 * at a time by audit_schedule_challenge, so memory grows with batches (one per
 * batch_size challenges) rather than challenges. The blobs array is borrowed until
 * audit_schedule_free. */
bool audit_schedule_build_lazy(const struct audit_schedule_params *p,
			       const struct audit_schedule_node *nodes, size_t nnodes,
			       const struct audit_schedule_blob *blobs, size_t nblobs,
			       struct audit_schedule *out, struct err *e) WARN_UNUSED;
/* The committee node (index) challenge seq (< nchallenges) is for: no hashing. */
uint32_t audit_schedule_node_of(const struct audit_schedule *s, uint64_t seq);
/* Challenge seq (< nchallenges), from either kind of schedule. */
void audit_schedule_challenge(const struct audit_schedule *s, uint64_t seq,
			      struct audit_challenge *out);
/* Challenges seqs[0..n) (each < nchallenges) into out[0..n): the same as
 * audit_schedule_challenge on each, with the PRF of a lazy schedule hashed in vector lanes
 * (the auditor derives a job's challenges at once). */
void audit_schedule_challenges(const struct audit_schedule *s, const uint64_t *seqs, size_t n,
			       struct audit_challenge *out);
/* The challenges the auditor asks in the same recoverySymbols request as challenge seq
 * (SCHEDULE.md, "Batches and timing"): those of seq's batch with its blob and axis, in seq
 * order, cut into runs of max_ids (> 0). Fills out[0..*count) (room for max_ids) with seq's
 * run and *pos with seq's place in it. The body a node answered for seq is its answer to
 * those ids (node/answer.h), what fraud proof 2 rebuilds. */
void audit_schedule_request(const struct audit_schedule *s, uint64_t seq, size_t max_ids,
			    struct audit_challenge *out, size_t *count, size_t *pos);
void audit_schedule_free(struct audit_schedule *s);

/* The secret commitment published before the epoch: keccak256(secret). */
void audit_secret_commitment(const uint8_t secret[32], uint8_t out[32]);

/* Probability that a node missing `fraction` of its symbols passes c challenges. */
double audit_detection_miss(double fraction, uint64_t c);

#endif
