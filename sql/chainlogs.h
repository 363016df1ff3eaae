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
