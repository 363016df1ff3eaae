/* fuzz_abi.c: the ABI decoder (calldata, eth_call results, logs, revert data) and the
 * signature, argument and EIP-712 typed-data parsers on arbitrary input. The first byte
 * picks a type; the rest is the encoding. Whatever decodes must re-encode, and decode
 * again to the same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/eip712.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const types[] = {
	"(uint256)",
	"(uint8,int16,bool,address,bytes3)",
	"(bytes)",
	"(string)",
	"(uint256[])",
	"(address[],uint16[])",
	"(bytes32[2],string[])",
	"((uint64,bytes32)[],bytes)",
	"(uint256[][])",
	"(string[][2],(bool,bytes)[3])",
	"((uint8,(string,int256[])[])[])",
	"(int8[3][],bytes1)",
	"(uint256[][][][])",
	"((((bytes))))",
};

static void roundtrip(const struct chain_abi_type *t, const uint8_t *data, size_t size)
{
	struct chain_abi_value *v = NULL, *w = NULL;
	struct err e = {{0}};
	if (!chain_abi_decode(t, data, size, &v, &e)) {
		ASSAY_ASSERT(e.msg[0] != '\0');
		return;
	}
	struct buf a = BUF_INIT, b = BUF_INIT, f = BUF_INIT;
	ASSAY_ASSERT(chain_abi_encode(t, v, &a, &e));
	ASSAY_ASSERT(chain_abi_decode(t, a.data, a.len, &w, &e));
	ASSAY_ASSERT(chain_abi_encode(t, w, &b, &e));
	ASSAY_ASSERT(a.len == b.len && !memcmp(a.data, b.data, a.len));
	chain_abi_value_format(t, v, &f);
	buf_free(&a);
	buf_free(&b);
	buf_free(&f);
	chain_abi_value_free(v);
	chain_abi_value_free(w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct err e = {{0}};
	if (size == 0)
		return 0;
	struct chain_abi_type *t;
	ASSAY_ASSERT(chain_abi_type_parse(types[data[0] % ARRAY_LEN(types)], &t, &e));
	roundtrip(t, data + 1, size - 1);
	chain_abi_type_free(t);

	/* Revert data and logs. */
	struct chain_abi_sig *custom, *ev;
	char *msg = NULL;
	ASSAY_ASSERT(chain_abi_sig_parse("error Bad(uint256,string[],(address,bytes))", &custom, &e));
	if (chain_abi_decode_revert(data, size, &custom, 1, &msg, &e))
		free(msg);
	ASSAY_ASSERT(chain_abi_sig_parse("event E(uint8 indexed a, string indexed s, bytes b, uint16[] c)", &ev, &e));
	if (size >= 64) {
		uint8_t topics[3][32];
		memcpy(topics[0], ev->topic, 32);
		memcpy(topics[1], data, 32);
		memcpy(topics[2], data + 32, 32);
		struct chain_abi_value *lv;
		if (chain_abi_decode_log(ev, (const uint8_t(*)[32])topics, 3, data + 64, size - 64, &lv, &e))
			chain_abi_value_free(lv);
	}
	chain_abi_sig_free(ev);
	chain_abi_sig_free(custom);

	/* The text parsers: signatures, types, cast-syntax arguments, EIP-712 types. */
	char *text = xstrndup((const char *)data + 1, size - 1);
	struct chain_abi_sig *sig;
	if (chain_abi_sig_parse(text, &sig, &e))
		chain_abi_sig_free(sig);
	if (chain_abi_type_parse(text, &t, &e))
		chain_abi_type_free(t);
	ASSAY_ASSERT(chain_abi_type_parse(types[data[0] % ARRAY_LEN(types)], &t, &e));
	struct chain_abi_value *v;
	if (chain_abi_value_parse(t, text, &v, &e)) {
		struct buf b = BUF_INIT;
		bool encoded = chain_abi_encode(t, v, &b, &e);
		ASSAY_ASSERT(encoded || e.msg[0]);
		buf_free(&b);
		chain_abi_value_free(v);
	}
	chain_abi_type_free(t);
	struct chain_eip712_types *et = chain_eip712_types_new();
	if (chain_eip712_types_add(et, text, &e)) {
		struct buf b = BUF_INIT;
		if (chain_eip712_encode_type(et, "A", &b, &e))
			ASSAY_ASSERT(b.len > 0);
		buf_free(&b);
	}
	chain_eip712_types_free(et);
	/* The whole input as eth_signTypedData_v4 JSON. */
	uint8_t digest[32];
	err_clear(&e);
	bool hashed = chain_eip712_hash_json((const char *)data, size, digest, &e);
	ASSAY_ASSERT(hashed || e.msg[0]);
	free(text);
	return 0;
}
