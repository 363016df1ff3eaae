/* challenges.h: the auditor's challenge records (table `challenges`, one row per attempt,
 * key (epoch, auditor, seq, attempt), never updated).
 *
 * Rows are written in batches with COPY; a batch is all or nothing. Reading back gives the
 * last recorded attempt of every seq, which is what a restarted auditor needs to resume
 * (and what the per-node table at the end of an epoch counts). */
#ifndef ASSAY_SQL_CHALLENGES_H
#define ASSAY_SQL_CHALLENGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct db;
struct err;

#define DB_CHALLENGE_DETAIL_MAX 240

struct db_challenge_row {
	uint64_t epoch;
	uint8_t auditor[20];
	uint64_t seq;
	uint16_t attempt;
	uint8_t node_id[20];
	uint8_t blob_id[32];
	uint32_t shard;
	uint32_t symbol_row;
	uint32_t symbol_col;
	bool secondary;          /* proof axis */
	uint64_t issued_at_ms;   /* unix milliseconds */
	uint32_t latency_ms;
	const char *outcome;     /* static: audit_outcome_name() */
	long http_status;        /* 0: none (NULL) */
	bool has_hash;
	uint8_t response_hash[32];
	char detail[DB_CHALLENGE_DETAIL_MAX]; /* "" : NULL */
};

/* The table is partitioned by epoch (one partition per epoch, so that db prune drops an
 * old epoch whole). db_challenges_copy makes the partitions its rows need; whoever writes
 * rows another way calls this first. */
bool db_challenges_partition_ensure(struct db *db, uint64_t epoch, struct err *e) WARN_UNUSED;

/* Writes rows[0..n) with one COPY in one transaction. On failure nothing was written
 * (unless the server committed and the answer was lost: the caller then drops what
 * db_challenges_last() shows as recorded before trying again). */
bool db_challenges_copy(struct db *db, const struct db_challenge_row *rows, size_t n,
			struct err *e) WARN_UNUSED;

/* The last recorded attempt of one seq. */
struct db_challenge_last {
	uint64_t seq;
	uint16_t attempt;
	uint8_t node_id[20];
	char outcome[16];
	long http_status; /* 0: none */
};
/* Every seq recorded for (epoch, auditor), ascending, with its last attempt. *out is
 * malloc'd (NULL when none). */
bool db_challenges_last(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			struct db_challenge_last **out, size_t *n, struct err *e) WARN_UNUSED;
/* Rows recorded for (epoch, auditor), all attempts. */
bool db_challenges_count(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			 uint64_t *rows, struct err *e) WARN_UNUSED;

/* ---- history: db prune (settle/prune.h) ---- */

/* The epochs that have a partition, ascending. *out malloc'd (NULL when none). */
bool db_challenges_partitions(struct db *db, uint64_t **out, size_t *n,
			      struct err *e) WARN_UNUSED;
/* Drops epoch's partition whole, with every record of every auditor in it (*dropped
 * false when there was none). Only for an epoch whose records are archived. */
bool db_challenges_partition_drop(struct db *db, uint64_t epoch, bool *dropped,
				  struct err *e) WARN_UNUSED;
/* Every row of (epoch, auditor), all columns, by seq then attempt, one at a time (the
 * server sends rows as they come, so an epoch of millions of rows is never held in
 * memory). fn returning false stops the walk with its error. */
bool db_challenges_each(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			bool (*fn)(void *ctx, const struct db_challenge_row *row, struct err *e),
			void *ctx, struct err *e) WARN_UNUSED;

#endif
