/* chaincache.h: keeps what chain/reader.h read about an epoch in PostgreSQL (tables
 * nodes, committee_members, shard_assignments, epochs, blobs), so that an auditor
 * restarted mid-epoch builds the same schedule from the same state, and so that the
 * settle job and the API can show it without the chain.
 *
 * Uses the reader's plain structs (types only: no chain/ function is called here). */
#ifndef ASSAY_SQL_CHAINCACHE_H
#define ASSAY_SQL_CHAINCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct db;
struct err;
struct chain_epoch_view;
struct chain_audit_blob;

/* Stores the epoch (times, seed, committee hash, the block it was read at), its
 * committee in order, each shard's owner and grace, the members' node rows, and the
 * blobs, all in one transaction. Storing an epoch again replaces its committee and
 * shards. */
bool db_chaincache_store(struct db *db, const struct chain_epoch_view *v,
			 const struct chain_audit_blob *blobs, size_t nblobs,
			 struct err *e) WARN_UNUSED;

/* Refreshes the row of an epoch stored whole before (db_chaincache_store) from a later
 * read: its end time, chain_state ("running" or "ended"), seed and the block it was read
 * at; its committee, shards and blobs stay as stored. An epoch never stored is left
 * alone (nothing is written). */
bool db_chaincache_epoch_refresh(struct db *db, const struct chain_epoch_view *v,
				 struct err *e) WARN_UNUSED;

/* Loads an epoch stored before: v as chain_reader_epoch fills it (without
 * current_epoch, which is set to v->epoch), and the blobs challengeable in it (certified
 * at or before its seed block in an earlier epoch, stored in it). *found is false when it was never stored.
 * The caller clears v (chain_epoch_view_clear) and frees *blobs. */
bool db_chaincache_load(struct db *db, uint64_t epoch, uint32_t n_shards,
			struct chain_epoch_view *v, struct chain_audit_blob **blobs, size_t *nblobs,
			bool *found, struct err *e) WARN_UNUSED;

#endif
