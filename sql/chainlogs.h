/* chainlogs.h: chain/reader.h's log store in PostgreSQL (tables chain_log_cursors and
 * certified_blob_ids): the BlobCertified events a reader has read and how far, so that it
 * goes on from there, after a restart too. */
#ifndef ASSAY_SQL_CHAINLOGS_H
#define ASSAY_SQL_CHAINLOGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct db;
struct err;

/* A log cursor (table chain_log_cursors): how far the events of (chain_id, contract, event)
 * are kept, for every log store (this one; sql/chainevents.h keeps a contract's events
 * under event "*"). *found false when there is none. */
bool db_log_cursor_get(struct db *db, uint64_t chain_id, const uint8_t contract[20],
		       const char *event, bool *found, uint64_t *through, struct err *e) WARN_UNUSED;
/* Begins the transaction that keeps events and moves the cursor: readers sharing the
 * database take turns (an advisory lock: before the first cursor row exists there is no
 * row to lock), and it fails, changing nothing, when another reader moved the cursor from
 * `prev` (none when !found_prev) meanwhile; the caller then reads again from there. */
bool db_log_cursor_begin(struct db *db, uint64_t chain_id, const uint8_t contract[20],
			 const char *event, bool found_prev, uint64_t prev, struct err *e) WARN_UNUSED;
/* Moves the cursor to `through` and commits what the transaction kept. */
bool db_log_cursor_commit(struct db *db, uint64_t chain_id, const uint8_t contract[20],
			  const char *event, uint64_t through, struct err *e) WARN_UNUSED;
/* Rolls the transaction back (after a failure between begin and commit). */
void db_log_cursor_abort(struct db *db);

/* *found false when nothing is kept for (chain_id, registry); else the block read through
 * and the ids (malloc'd) in first-event order. */
bool db_chainlogs_load(struct db *db, uint64_t chain_id, const uint8_t registry[20],
		       bool *found, uint64_t *through, uint8_t (**ids)[32], size_t *n,
		       struct err *e) WARN_UNUSED;
/* In one transaction: checks the cursor is still `prev` (none when !found_prev), appends
 * ids after the kept ones, moves the cursor to `through`. */
bool db_chainlogs_append(struct db *db, uint64_t chain_id, const uint8_t registry[20],
			 bool found_prev, uint64_t prev, uint64_t through,
			 const uint8_t (*ids)[32], size_t n, struct err *e) WARN_UNUSED;

#endif
