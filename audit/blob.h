/* blob.h: encoding parameters, symbol size, blob IDs and the shard <-> sliver-pair rotation
 * (DESIGN.md, "Wire formats" and "Blobs and shards"). */
#ifndef ASSAY_AUDIT_BLOB_H
#define ASSAY_AUDIT_BLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/bcs.h"
#include "core/util.h"

struct err;

/* n shards; f = floor((n-1)/3); k_primary = n - 2f; k_secondary = n - f. */
struct audit_params {
	uint32_t n;
	uint32_t f;
	uint32_t k_primary;
	uint32_t k_secondary;
};
/* n must be 1..AUDIT_MAX_SHARDS. */
bool audit_params_init(struct audit_params *p, uint32_t n, struct err *e) WARN_UNUSED;

/* Symbol size: ceil(max(len,1) / (k_primary * k_secondary)) rounded up to an even number;
 * fails when that exceeds AUDIT_MAX_SYMBOL_SIZE (the blob is too large for n shards). */
bool audit_symbol_size(const struct audit_params *p, uint64_t unencoded_length,
		       uint16_t *symbol_size, struct err *e) WARN_UNUSED;
/* The largest blob n shards can hold. */
uint64_t audit_max_blob_size(const struct audit_params *p);

/* Parameters and symbol size of a metadata (known encoding type, n in range, length fits). */
bool audit_metadata_params(const struct audit_metadata *md, struct audit_params *p,
			   uint16_t *symbol_size, struct err *e) WARN_UNUSED;

/* Blob ID = BLAKE2b-256(encoding_type ‖ unencoded_length u64 LE ‖ root), root = Merkle root
 * over n leaves, leaf p = primary_hash_p ‖ secondary_hash_p (empty nodes as zeros). */
void audit_blob_id(const struct audit_metadata *md, uint8_t id[AUDIT_DIGEST_LEN]);
/* Fails (one sentence naming both IDs) when the metadata does not hash to expected. */
bool audit_metadata_verify_id(const struct audit_metadata *md,
			      const uint8_t expected[AUDIT_DIGEST_LEN], struct err *e) WARN_UNUSED;

/* Text form: URL-safe base64 without padding, 43 characters. */
#define AUDIT_BLOB_ID_TEXT_LEN 43
void audit_blob_id_text(char out[AUDIT_BLOB_ID_TEXT_LEN + 1], const uint8_t id[AUDIT_DIGEST_LEN]);
bool audit_blob_id_parse(const char *text, uint8_t id[AUDIT_DIGEST_LEN], struct err *e) WARN_UNUSED;

/* Rotation r = blob ID as a big-endian integer, mod n. Shard s holds pair (s - r) mod n. */
uint32_t audit_blob_rotation(const uint8_t id[AUDIT_DIGEST_LEN], uint32_t n);
uint32_t audit_pair_of_shard(const uint8_t id[AUDIT_DIGEST_LEN], uint32_t n, uint32_t shard);
uint32_t audit_shard_of_pair(const uint8_t id[AUDIT_DIGEST_LEN], uint32_t n, uint32_t pair);

/* Pair p holds primary sliver p and secondary sliver n-1-p (and conversely). */
static inline uint32_t audit_secondary_sliver_of_pair(uint32_t n, uint32_t pair)
{
	return n - 1 - pair;
}
static inline uint32_t audit_pair_of_secondary_sliver(uint32_t n, uint32_t sliver)
{
	return n - 1 - sliver;
}

#endif
