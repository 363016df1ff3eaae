/* store.h: the storage node's on-disk sliver store.
 *
 * Layout under the data directory:
 *   blobs/<blob id hex>/metadata          bare BCS BlobMetadata (already checked against the ID)
 *   blobs/<blob id hex>/primary-<i>       BCS SliverData of primary sliver i
 *   blobs/<blob id hex>/secondary-<j>     BCS SliverData of secondary sliver j
 * Every file is written with write_file_atomic() (temp file, fsync, rename, fsync dir), so a
 * crash leaves either the old file or the new one, never half of one. The store checks
 * nothing about content: callers verify before they put. Thread-safe (the file system
 * serializes renames). */
#ifndef ASSAY_NODE_STORE_H
#define ASSAY_NODE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/bcs.h"
#include "audit/symbol.h"
#include "core/util.h"

struct err;
struct node_store;

/* Creates the directory (and blobs/) if needed. */
bool node_store_open(const char *dir, struct node_store **out, struct err *e) WARN_UNUSED;
void node_store_free(struct node_store *s);

/* Stores bare BlobMetadata bytes; *existed says it was there already (then nothing is
 * rewritten). */
bool node_store_put_metadata(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			     const uint8_t *bcs, size_t len, bool *existed, struct err *e) WARN_UNUSED;
/* *md is NULL (and true is returned) when the blob is unknown. */
bool node_store_get_metadata(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			     struct audit_metadata **md, struct err *e) WARN_UNUSED;

/* Stores a sliver by sliver index (not pair index) as BCS SliverData. */
bool node_store_put_sliver(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			   enum audit_proof_axis axis, uint16_t index, const uint8_t *symbols,
			   size_t len, uint16_t symbol_size, bool *existed, struct err *e) WARN_UNUSED;
/* *out is NULL (and true is returned) when the sliver is not stored. */
bool node_store_get_sliver(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			   enum audit_proof_axis axis, uint16_t index, struct audit_sliver **out,
			   struct err *e) WARN_UNUSED;
bool node_store_has_sliver(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			   enum audit_proof_axis axis, uint16_t index);
/* How many deletions (of a sliver, of a blob) have removed files since open: a reader that
 * saw a sliver stored and sees the same count since knows the node did not remove it. */
uint64_t node_store_deletions(struct node_store *s);
/* Removes one sliver (absent is fine). */
bool node_store_delete_sliver(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			      enum audit_proof_axis axis, uint16_t index, struct err *e) WARN_UNUSED;

/* Removes a blob: its metadata first (so readers see it as not stored, never as half of
 * it), then its slivers. *freed: the bytes it took. */
bool node_store_delete_blob(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			    uint64_t *freed, struct err *e) WARN_UNUSED;

/* Bytes stored (every file of every blob; counted on open, kept up to date) and deleted
 * since open. */
uint64_t node_store_bytes(struct node_store *s);
uint64_t node_store_reclaimed(struct node_store *s);
/* Uploads must leave `bytes` of the file system free (0: none). */
void node_store_set_reserve(struct node_store *s, uint64_t bytes);
/* Whether len more bytes fit above the reserve; *free_bytes: what the file system has. */
bool node_store_has_room(struct node_store *s, uint64_t len, uint64_t *free_bytes);

/* The slivers stored of one blob (malloc'd array of *count; none when the blob has none):
 * one directory read, where asking for each of n slivers was 2n stat calls. */
struct node_store_sliver_ref {
	enum audit_proof_axis axis;
	uint16_t index;
};
bool node_store_list_slivers(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			     struct node_store_sliver_ref **out, size_t *count,
			     struct err *e) WARN_UNUSED;

/* The IDs of every blob with stored metadata (malloc'd array of *count IDs). */
bool node_store_list_blobs(struct node_store *s, uint8_t (**ids)[AUDIT_DIGEST_LEN],
			   size_t *count, struct err *e) WARN_UNUSED;

#endif
