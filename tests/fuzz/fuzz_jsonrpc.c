/* fuzz_jsonrpc.c: JSON-RPC answers from an untrusted node: single and batch envelopes,
 * then the typed parsers (receipt, block, log, quantities) on whatever result came out.
 * The first input byte picks the mode so one corpus covers both shapes. */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/rpc.h"
#include "chain/u256.h"
#include "core/err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void typed(const json_t *r)
{
	struct err e;
	struct chain_receipt rc;
	if (chain_rpc_parse_receipt(r, &rc, &e))
		chain_receipt_clear(&rc);
	struct chain_block b;
	(void)!chain_rpc_parse_block(r, &b, &e);
	struct chain_log l;
	if (chain_rpc_parse_log(r, &l, &e))
		chain_log_clear(&l);
	uint64_t q;
	(void)!chain_rpc_parse_quantity(r, &q, &e);
	struct chain_u256 w;
	(void)!chain_rpc_parse_quantity256(r, &w, &e);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *body = (const char *)data + 1;
	size_t len = size - 1;
	struct err e;
	if (data[0] & 1) {
		uint64_t ids[4] = {1, 2, 3, 7};
		json_t *res[4];
		struct chain_rpc_fault f[4];
		if (chain_rpc_parse_batch(body, len, ids, 4, res, f, &e) == CHAIN_RPC_OK)
			for (size_t i = 0; i < 4; i++) {
				if (res[i])
					typed(res[i]);
				json_decref(res[i]);
			}
	} else {
		json_t *r = NULL;
		struct chain_rpc_fault f;
		if (chain_rpc_parse_response(body, len, 1, &r, &f, &e) == CHAIN_RPC_OK)
			typed(r);
		json_decref(r);
	}
	return 0;
}
