/* settle.h: the settle job's statements: challenge attempts to score, the per-epoch state
 * machine (epoch_progress), attestations and their counts (ours and the chain's), and
 * the settle transactions found by purpose in the sender's table. */
#ifndef ASSAY_SQL_SETTLE_H
#define ASSAY_SQL_SETTLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct db;
struct err;

/* One challenge attempt, as the evidence needs it. */
struct db_settle_attempt {
	uint64_t seq;
	uint32_t attempt;
	uint8_t node[20];
	uint8_t blob[32];
	uint32_t shard, row, col;
	bool secondary;
	uint32_t latency_ms;
	char outcome[16];
	bool has_hash;
	uint8_t response_hash[32];
};
/* Every attempt of (epoch, auditor), by seq then attempt. *out malloc'd. */
bool db_settle_attempts(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			struct db_settle_attempt **out, size_t *n, struct err *e) WARN_UNUSED;
/* The same rows handed to fn one at a time, read from a cursor a chunk at a time (in a
 * transaction of its own), so that the caller's memory need not follow the records; fn
 * returning false stops the read with its error. */
bool db_settle_attempts_each(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			     bool (*fn)(void *ctx, const struct db_settle_attempt *a,
					struct err *e),
			     void *ctx, struct err *e) WARN_UNUSED;

/* epoch_progress: *found false when the auditor has no row for epoch. state holds one of
 * planned, auditing, audited, scored, committed, revealed, finalized, voided. */
bool db_settle_state_get(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			 char state[16], bool *found, struct err *e) WARN_UNUSED;
/* Creates the epoch and progress rows when missing and sets the state. secret_commitment
 * may be NULL (kept as it is). */
bool db_settle_state_set(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			 const char *state, const uint8_t *secret_commitment,
			 struct err *e) WARN_UNUSED;

struct db_settle_progress {
	uint64_t epoch;
	char state[16];
	uint64_t updated_unix;
};
/* Every progress row of the auditor, ascending epoch. *out malloc'd. */
bool db_settle_progress_list(struct db *db, const uint8_t auditor[20],
			     struct db_settle_progress **out, size_t *n, struct err *e) WARN_UNUSED;

/* An attestation with its per-node counts. source "local" (ours, as built) or "chain"
 * (as read from reveal events). Saved with the nodes' committee positions (the order of
 * nodes); read back in that order. */
struct db_settle_attestation {
	uint64_t epoch;
	uint8_t auditor[20];
	uint8_t committee_hash[32], counts_hash[32], evidence_root[32];
	uint8_t evidence_blob[32]; /* zeros: none */
	bool has_sig;
	uint8_t sig[65];
	size_t m;
	uint8_t (*nodes)[20];
	uint64_t *passed, *decided;
};
void db_settle_attestation_clear(struct db_settle_attestation *a);
/* Replaces the (epoch, auditor, source) attestation and its counts, in one transaction. */
bool db_settle_attestation_save(struct db *db, const char *source,
				const struct db_settle_attestation *a, struct err *e) WARN_UNUSED;
bool db_settle_attestation_get(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			       const char *source, struct db_settle_attestation *out, bool *found,
			       struct err *e) WARN_UNUSED;

/* The hash and state of the newest transaction saved with this purpose (the sender's
 * table), *found false when none. */
bool db_settle_tx_by_purpose(struct db *db, const char *purpose, uint8_t hash[32],
			     char state[16], bool *found, struct err *e) WARN_UNUSED;
/* Transactions of this sender still short of confirmation and older than age_s. */
bool db_settle_stuck_count(struct db *db, const uint8_t sender[20], uint64_t age_s,
			   uint64_t *count, struct err *e) WARN_UNUSED;

#endif
