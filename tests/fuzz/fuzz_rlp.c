/* fuzz_rlp.c: the strict RLP decoder and the EIP-1559 transaction decoder on arbitrary
 * bytes. Whatever decodes must re-encode to exactly the input (the decoder only accepts
 * canonical encodings), and nothing may read outside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/key.h"
#include "chain/rlp.h"
#include "chain/tx.h"
#include "chain/u256.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void reencode(const struct chain_rlp_item *it, struct buf *out)
{
	if (!it->is_list) {
		uint64_t x, y;
		struct chain_u256 v;
		/* Whatever reads as a u64 reads as the same u256. */
		if (chain_rlp_to_u64(it, &x, NULL)) {
			ASSAY_ASSERT(chain_rlp_to_u256(it, &v, NULL));
			ASSAY_ASSERT(chain_u256_to_u64(&v, &y) && x == y);
		}
		chain_rlp_put_bytes(out, it->data, it->len);
		return;
	}
	size_t mark = chain_rlp_list_begin(out);
	struct chain_rlp_iter iter;
	struct chain_rlp_item child;
	struct err e = {{0}};
	chain_rlp_iter_init(&iter, it);
	while (chain_rlp_next(&iter, &child, &e))
		reencode(&child, out);
	/* chain_rlp_decode checked every nested list already. */
	ASSAY_ASSERT(e.msg[0] == '\0');
	chain_rlp_list_end(out, mark);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chain_rlp_item it;
	struct err e = {{0}};
	if (chain_rlp_decode(data, size, &it, &e)) {
		struct buf out = BUF_INIT;
		reencode(&it, &out);
		ASSAY_ASSERT(out.len == size && !memcmp(out.data, data, size));
		buf_free(&out);
		struct chain_rlp_item items[16];
		size_t n = 0;
		if (chain_rlp_list_items(&it, items, 0, 16, &n, NULL))
			ASSAY_ASSERT(n == chain_rlp_count(&it));
	} else {
		ASSAY_ASSERT(e.msg[0] != '\0');
	}

	/* As a signed type-2 transaction (with and without the type byte in front). */
	struct chain_tx tx;
	struct chain_sig sig;
	uint8_t from[20];
	chain_tx_init(&tx);
	if (chain_tx_decode(data, size, &tx, &sig, from, NULL)) {
		struct buf again = BUF_INIT;
		chain_tx_encode_signed(&tx, &sig, &again);
		ASSAY_ASSERT(again.len == size && !memcmp(again.data, data, size));
		buf_free(&again);
	}
	chain_tx_clear(&tx);
	uint8_t *typed = xmalloc(size + 1);
	typed[0] = 0x02;
	if (size)
		memcpy(typed + 1, data, size);
	if (chain_tx_decode(typed, size + 1, &tx, &sig, NULL, NULL)) {
		struct buf again = BUF_INIT;
		chain_tx_encode_signed(&tx, &sig, &again);
		ASSAY_ASSERT(again.len == size + 1 && !memcmp(again.data, typed, size + 1));
		buf_free(&again);
	}
	chain_tx_clear(&tx);
	free(typed);
	return 0;
}
