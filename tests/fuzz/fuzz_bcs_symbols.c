/* fuzz_bcs_symbols.c: GeneralRecoverySymbol and list parsers, then verification against a
 * fixed n = 4 metadata on both axes (any verdict is fine; crashes and overreads are not).
 * Whatever parses must write back to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/bcs.h"
#include "audit/symbol.h"
#include "core/buf.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct audit_metadata *metadata(void)
{
	static struct audit_metadata *md;
	if (!md) {
		md = audit_metadata_new(4);
		md->encoding_type = AUDIT_ENCODING_RS2;
		md->unencoded_length = 12; /* symbol size 2 */
		for (uint32_t p = 0; p < 4; p++) {
			md->hashes[p].primary.present = true;
			memset(md->hashes[p].primary.digest, (int)p, AUDIT_DIGEST_LEN);
		}
	}
	return md;
}

/* Nothing forged passes against made-up hashes: a PASS here would be a Merkle bug. */
static void check(enum audit_symbol_verdict v, const struct audit_recovery_symbol *s)
{
	ASSAY_ASSERT(v != AUDIT_SYMBOL_PASS);
	if (v == AUDIT_SYMBOL_INVALID_PROOF)
		ASSAY_ASSERT(s->data_len == 2);
}

static void verify_all(const struct audit_recovery_symbol *s)
{
	struct audit_symbol_id id;
	enum audit_proof_axis axis;
	audit_recovery_symbol_id(s, &id, &axis);
	if (id.primary < 4 && id.secondary < 4) {
		check(audit_symbol_verify(metadata(), id, axis, s, NULL), s);
		check(audit_symbol_verify(metadata(), id, (enum audit_proof_axis)!axis, s, NULL), s);
	}
	struct audit_symbol_id fixed = {1, 2};
	check(audit_symbol_verify(metadata(), fixed, AUDIT_AXIS_PRIMARY, s, NULL), s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT;
	struct audit_recovery_symbol s;
	if (audit_recovery_symbol_parse(data, size, &s, NULL)) {
		audit_recovery_symbol_write(&b, &s);
		ASSAY_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
		verify_all(&s);
		audit_recovery_symbol_clear(&s);
	}
	struct audit_recovery_symbols *list = NULL;
	if (audit_recovery_symbols_parse(data, size, AUDIT_MAX_SHARDS, &list, NULL)) {
		buf_reset(&b);
		audit_recovery_symbols_write(&b, list->items, list->count);
		ASSAY_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
		for (size_t i = 0; i < list->count; i++)
			verify_all(&list->items[i]);
		struct audit_symbol_id ids[2] = {{1, 2}, {3, 0}};
		enum audit_symbol_verdict v[2];
		ASSAY_ASSERT(audit_symbols_verify_list(metadata(), ids, 2, AUDIT_AXIS_SECONDARY, list, v,
						       NULL) == 0);
		audit_recovery_symbols_free(list);
	}
	buf_free(&b);
	return 0;
}
