/* answer.c: a recoverySymbols body rebuilt from the store (see answer.h). */
#include "node/answer.h"

#include <blake2.h>
#include <stdlib.h>

#include "audit/bcs.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "node/encoder.h"
#include "node/store.h"

bool node_answer_symbols(struct node_store *st, uint32_t n, const uint8_t id[AUDIT_DIGEST_LEN],
			 enum audit_proof_axis axis, const struct audit_symbol_id *ids,
			 size_t count, struct buf *out, size_t *found, struct err *e)
{
	struct node_codec *codec = NULL;
	struct audit_recovery_symbol *items = xcalloc(count ? count : 1, sizeof(*items));
	size_t k = 0;
	bool ok = false;
	*found = 0;
	if (!node_codec_new(n, &codec, e))
		goto out;
	for (size_t i = 0; i < count; i++) {
		uint16_t index = axis == AUDIT_AXIS_PRIMARY ? ids[i].primary : ids[i].secondary;
		struct audit_sliver *sl = NULL;
		if (!node_store_get_sliver(st, id, axis, index, &sl, e))
			goto out;
		if (!sl)
			continue; /* not held: the server leaves it out too */
		bool got = node_recovery_symbol_new(codec, axis, index, sl->symbols, sl->len,
						    sl->symbol_size, ids[i], &items[k], e);
		audit_sliver_free(sl);
		if (!got)
			goto out;
		k++;
	}
	if (!k) {
		err_set(e, "none of the requested symbols is stored here");
		goto out;
	}
	audit_recovery_symbols_write(out, items, k);
	*found = k;
	ok = true;
out:
	for (size_t i = 0; i < k; i++)
		audit_recovery_symbol_clear(&items[i]);
	free(items);
	node_codec_free(codec);
	return ok;
}

void node_answer_print(FILE *f, size_t found, const uint8_t *body, size_t len, bool json)
{
	uint8_t h[AUDIT_DIGEST_LEN];
	char hx[2 * AUDIT_DIGEST_LEN + 1];
	blake2b(h, body, NULL, sizeof(h), len, 0);
	hex_encode(hx, h, sizeof(h));
	if (json)
		fprintf(f, "{\"symbols\":%zu,\"bytes\":%zu,\"blake2b\":\"0x%s\"}\n", found, len, hx);
	else
		fprintf(f, "%zu symbol(s), %zu bytes, BLAKE2b-256 0x%s\n", found, len, hx);
}
