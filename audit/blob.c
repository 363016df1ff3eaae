/* blob.c: parameters, symbol size, blob IDs, shard rotation. */
#include "audit/blob.h"

#include <blake2.h>
#include <stdlib.h>
#include <string.h>

#include "audit/merkle.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"

bool audit_params_init(struct audit_params *p, uint32_t n, struct err *e)
{
	if (n < 1 || n > AUDIT_MAX_SHARDS)
		return err_set(e, "the shard count must be between 1 and %u, not %lu", AUDIT_MAX_SHARDS,
			       (unsigned long)n);
	p->n = n;
	p->f = (n - 1) / 3;
	p->k_primary = n - 2 * p->f;
	p->k_secondary = n - p->f;
	return true;
}

uint64_t audit_max_blob_size(const struct audit_params *p)
{
	return (uint64_t)p->k_primary * p->k_secondary * AUDIT_MAX_SYMBOL_SIZE;
}

bool audit_symbol_size(const struct audit_params *p, uint64_t unencoded_length,
		       uint16_t *symbol_size, struct err *e)
{
	uint64_t source = (uint64_t)p->k_primary * p->k_secondary;
	uint64_t len = unencoded_length ? unencoded_length : 1;
	uint64_t size = len / source + (len % source != 0);
	/* RS2 works on 16-bit symbols; we keep its rule. Round up only once the size is known
	 * to be small: UINT64_MAX + 1 wrapped to a symbol size of 0 (fuzz_bcs_metadata). */
	if (size > AUDIT_MAX_SYMBOL_SIZE || (size += size % 2) > AUDIT_MAX_SYMBOL_SIZE)
		return err_set(e, "a blob of %llu bytes is too large for %lu shards (at most %llu bytes)",
			       (unsigned long long)unencoded_length, (unsigned long)p->n,
			       (unsigned long long)audit_max_blob_size(p));
	*symbol_size = (uint16_t)size;
	return true;
}

bool audit_metadata_params(const struct audit_metadata *md, struct audit_params *p,
			   uint16_t *symbol_size, struct err *e)
{
	if (!audit_encoding_type_known(md->encoding_type))
		return err_set(e, "blob metadata: unknown encoding type %lu",
			       (unsigned long)md->encoding_type);
	if (!audit_params_init(p, md->n_shards, e) ||
	    !audit_symbol_size(p, md->unencoded_length, symbol_size, e))
		return err_prefix(e, "blob metadata: ");
	return true;
}

void audit_blob_id(const struct audit_metadata *md, uint8_t id[AUDIT_DIGEST_LEN])
{
	uint8_t (*leaves)[AUDIT_DIGEST_LEN] = xmalloc((md->n_shards ? md->n_shards : 1) *
						       AUDIT_DIGEST_LEN);
	uint8_t leaf[2 * AUDIT_DIGEST_LEN];
	for (uint32_t p = 0; p < md->n_shards; p++) {
		audit_node_bytes(&md->hashes[p].primary, leaf);
		audit_node_bytes(&md->hashes[p].secondary, leaf + AUDIT_DIGEST_LEN);
		audit_merkle_leaf_hash(leaves[p], leaf, sizeof(leaf));
	}
	uint8_t root[AUDIT_DIGEST_LEN];
	audit_merkle_root_from_hashes(root, (const uint8_t(*)[AUDIT_DIGEST_LEN])leaves,
				      md->n_shards);
	free(leaves);

	/* The BCS of (encoding_type, unencoded_length, root): the tag is one ULEB128 byte for
	 * every type below 128. */
	struct buf b = BUF_INIT;
	audit_bcs_write_uleb128(&b, md->encoding_type);
	buf_append_u64le(&b, md->unencoded_length);
	buf_append(&b, root, AUDIT_DIGEST_LEN);
	blake2b(id, b.data, NULL, AUDIT_DIGEST_LEN, b.len, 0);
	buf_free(&b);
}

bool audit_metadata_verify_id(const struct audit_metadata *md,
			      const uint8_t expected[AUDIT_DIGEST_LEN], struct err *e)
{
	uint8_t id[AUDIT_DIGEST_LEN];
	audit_blob_id(md, id);
	if (memcmp(id, expected, AUDIT_DIGEST_LEN) == 0)
		return true;
	char want[AUDIT_BLOB_ID_TEXT_LEN + 1], got[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(want, expected);
	audit_blob_id_text(got, id);
	return err_set(e, "blob metadata hashes to blob ID %s, not %s", got, want);
}

void audit_blob_id_text(char out[AUDIT_BLOB_ID_TEXT_LEN + 1], const uint8_t id[AUDIT_DIGEST_LEN])
{
	base64url_encode(out, id, AUDIT_DIGEST_LEN);
}

bool audit_blob_id_parse(const char *text, uint8_t id[AUDIT_DIGEST_LEN], struct err *e)
{
	struct buf b = BUF_INIT;
	bool ok = false;
	if (strlen(text) != AUDIT_BLOB_ID_TEXT_LEN) {
		err_set(e, "a blob ID is %d characters of URL-safe base64, not %zu",
			AUDIT_BLOB_ID_TEXT_LEN, strlen(text));
		goto out;
	}
	if (!base64url_decode(&b, text, e)) {
		err_prefix(e, "blob ID: ");
		goto out;
	}
	ASSAY_ASSERT(b.len == AUDIT_DIGEST_LEN);
	memcpy(id, b.data, AUDIT_DIGEST_LEN);
	ok = true;
out:
	buf_free(&b);
	return ok;
}

uint32_t audit_blob_rotation(const uint8_t id[AUDIT_DIGEST_LEN], uint32_t n)
{
	ASSAY_ASSERT(n > 0);
	/* Horner's rule mod n: the 256-bit number never needs to exist. */
	uint64_t r = 0;
	for (size_t i = 0; i < AUDIT_DIGEST_LEN; i++)
		r = ((r << 8) | id[i]) % n;
	return (uint32_t)r;
}

uint32_t audit_pair_of_shard(const uint8_t id[AUDIT_DIGEST_LEN], uint32_t n, uint32_t shard)
{
	ASSAY_ASSERT(shard < n);
	uint32_t r = audit_blob_rotation(id, n);
	return (uint32_t)(((uint64_t)shard + n - r) % n);
}

uint32_t audit_shard_of_pair(const uint8_t id[AUDIT_DIGEST_LEN], uint32_t n, uint32_t pair)
{
	ASSAY_ASSERT(pair < n);
	uint32_t r = audit_blob_rotation(id, n);
	return (uint32_t)(((uint64_t)pair + r) % n);
}
