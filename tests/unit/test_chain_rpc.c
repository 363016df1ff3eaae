/* test_chain_rpc.c: JSON-RPC answer checks, typed parsers and revert descriptions. */
#include <jansson.h>
#include <string.h>

#include "chain/rpc.h"
#include "chain/u256.h"
#include "core/err.h"
#include "tests/harness/harness.h"

static enum chain_rpc_status parse1(const char *body, uint64_t id, json_t **res,
				    struct chain_rpc_fault *f, struct err *e)
{
	return chain_rpc_parse_response(body, strlen(body), id, res, f, e);
}

START_TEST(single_ok)
{
	json_t *r = NULL;
	struct err e = {{0}};
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x10\"}", 7, &r, NULL, &e),
			 CHAIN_RPC_OK);
	ck_assert_str_eq(json_string_value(r), "0x10");
	json_decref(r);
	/* A null result is a valid answer (no receipt yet). */
	ck_assert_int_eq(parse1("{\"id\":3,\"result\":null,\"jsonrpc\":\"2.0\"}", 3, &r, NULL, &e),
			 CHAIN_RPC_OK);
	ck_assert(json_is_null(r));
	json_decref(r);
}
END_TEST

START_TEST(single_bad)
{
	json_t *r = NULL;
	struct err e = {{0}};
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"2.0\",\"id\":8,\"result\":\"0x10\"}", 7, &r, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_ptr_null(r);
	ck_assert_msg(strstr(e.msg, "id 8") && strstr(e.msg, "id 7"), "%s", e.msg);
	ck_assert_int_eq(parse1("{\"id\":7,\"result\":\"0x10\"}", 7, &r, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_msg(strstr(e.msg, "jsonrpc"), "%s", e.msg);
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"1.0\",\"id\":7,\"result\":1}", 7, &r, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"2.0\",\"id\":7}", 7, &r, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1,\"error\":{\"code\":1,"
				"\"message\":\"x\"}}",
				7, &r, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":\"0x1", 7, &r, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_msg(strstr(e.msg, "not valid JSON"), "%s", e.msg);
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"2.0\",\"id\":\"7\",\"result\":1}", 7, &r, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"2.0\",\"id\":7,\"id\":7,\"result\":1}", 7, &r, NULL,
				&e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_int_eq(parse1("[{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":1}]", 7, &r, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"message\":\"x\"}}", 7,
				&r, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_int_eq(parse1("", 7, &r, NULL, &e), CHAIN_RPC_MALFORMED);
}
END_TEST

START_TEST(single_error)
{
	json_t *r = NULL;
	struct err e = {{0}};
	struct chain_rpc_fault f;
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":-32000,"
				"\"message\":\"nonce too low\"}}",
				7, &r, &f, &e),
			 CHAIN_RPC_NODE);
	ck_assert_int_eq(f.code, -32000);
	ck_assert_str_eq(f.message, "nonce too low");
	ck_assert_str_eq(f.detail, "");
	/* Error(string) "not owner" as revert data. */
	const char *body =
		"{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":3,\"message\":\"execution reverted\","
		"\"data\":\"0x08c379a0"
		"0000000000000000000000000000000000000000000000000000000000000020"
		"0000000000000000000000000000000000000000000000000000000000000009"
		"6e6f74206f776e65720000000000000000000000000000000000000000000000\"}}";
	ck_assert_int_eq(parse1(body, 7, &r, &f, &e), CHAIN_RPC_NODE);
	ck_assert_int_eq(f.code, 3);
	ck_assert_msg(strstr(f.detail, "not owner"), "%s", f.detail);
	/* An error with a null id (the node could not read ours) is still an error. */
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
				"\"message\":\"parse error\"}}",
				7, &r, &f, &e),
			 CHAIN_RPC_NODE);
	/* Control characters from the node never reach our messages. */
	ck_assert_int_eq(parse1("{\"jsonrpc\":\"2.0\",\"id\":7,\"error\":{\"code\":1,"
				"\"message\":\"a\\nb\\u0007c\"}}",
				7, &r, &f, &e),
			 CHAIN_RPC_NODE);
	ck_assert_str_eq(f.message, "a?b?c");
}
END_TEST

START_TEST(batch_out_of_order)
{
	const char *body = "[{\"jsonrpc\":\"2.0\",\"id\":12,\"result\":\"c\"},"
			   "{\"jsonrpc\":\"2.0\",\"id\":10,\"result\":\"a\"},"
			   "{\"jsonrpc\":\"2.0\",\"id\":11,\"error\":{\"code\":-32000,"
			   "\"message\":\"already known\"}}]";
	uint64_t ids[3] = {10, 11, 12};
	json_t *res[3];
	struct chain_rpc_fault f[3];
	struct err e = {{0}};
	ck_assert_int_eq(chain_rpc_parse_batch(body, strlen(body), ids, 3, res, f, &e),
			 CHAIN_RPC_OK);
	ck_assert_str_eq(json_string_value(res[0]), "a");
	ck_assert_ptr_null(res[1]);
	ck_assert_str_eq(f[1].message, "already known");
	ck_assert_str_eq(json_string_value(res[2]), "c");
	json_decref(res[0]);
	json_decref(res[2]);
}
END_TEST

START_TEST(batch_bad)
{
	uint64_t ids[2] = {1, 2};
	json_t *res[2];
	struct err e = {{0}};
	const char *missing = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}]";
	ck_assert_int_eq(chain_rpc_parse_batch(missing, strlen(missing), ids, 2, res, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	const char *dup = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1},"
			  "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}]";
	ck_assert_int_eq(chain_rpc_parse_batch(dup, strlen(dup), ids, 2, res, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_msg(strstr(e.msg, "twice"), "%s", e.msg);
	const char *unknown = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1},"
			      "{\"jsonrpc\":\"2.0\",\"id\":9,\"result\":1}]";
	ck_assert_int_eq(chain_rpc_parse_batch(unknown, strlen(unknown), ids, 2, res, NULL, &e),
			 CHAIN_RPC_MALFORMED);
	ck_assert_ptr_null(res[0]);
	const char *refused = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,"
			      "\"message\":\"batch too large\"}}";
	struct chain_rpc_fault f[2];
	ck_assert_int_eq(chain_rpc_parse_batch(refused, strlen(refused), ids, 2, res, f, &e),
			 CHAIN_RPC_NODE);
	ck_assert_str_eq(f[1].message, "batch too large");
	const char *single = "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":1}";
	ck_assert_int_eq(chain_rpc_parse_batch(single, strlen(single), ids, 2, res, f, &e),
			 CHAIN_RPC_MALFORMED);
}
END_TEST

START_TEST(revert_descriptions)
{
	char out[200];
	uint8_t panic[36] = {0x4e, 0x48, 0x7b, 0x71};
	panic[35] = 0x11;
	chain_rpc_describe_revert(panic, sizeof(panic), out, sizeof(out));
	ck_assert_msg(strstr(out, "0x11") && strstr(out, "overflow"), "%s", out);
	uint8_t custom[8] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};
	chain_rpc_describe_revert(custom, sizeof(custom), out, sizeof(out));
	ck_assert_str_eq(out, "custom error 0xdeadbeef (+4 bytes)");
	/* Error(string) whose length points past the data. */
	uint8_t bad[4 + 64] = {0x08, 0xc3, 0x79, 0xa0};
	bad[4 + 31] = 0x20;
	bad[4 + 63] = 0xff;
	chain_rpc_describe_revert(bad, sizeof(bad), out, sizeof(out));
	ck_assert_msg(strstr(out, "malformed"), "%s", out);
	chain_rpc_describe_revert(NULL, 0, out, sizeof(out));
	ck_assert_str_eq(out, "no revert data");
}
END_TEST

START_TEST(quantities)
{
	struct err e = {{0}};
	uint64_t v;
	json_t *j = json_string("0x1a");
	ck_assert(chain_rpc_parse_quantity(j, &v, &e));
	ck_assert_uint_eq(v, 26);
	json_decref(j);
	j = json_string("0x10000000000000000");
	ck_assert(!chain_rpc_parse_quantity(j, &v, &e));
	struct chain_u256 w;
	ck_assert(chain_rpc_parse_quantity256(j, &w, &e));
	ck_assert_uint_eq(w.w[1], 1);
	json_decref(j);
	const char *bad[] = {"0x", "12", "0xg", "", "0x-1"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		j = json_string(bad[i]);
		ck_assert_msg(!chain_rpc_parse_quantity(j, &v, &e), "%s", bad[i]);
		json_decref(j);
	}
	j = json_integer(5);
	ck_assert(!chain_rpc_parse_quantity(j, &v, &e));
	json_decref(j);
	char tag[24];
	chain_rpc_tag(tag, 255);
	ck_assert_str_eq(tag, "0xff");
}
END_TEST

START_TEST(receipt_and_block)
{
	const char *rc =
		"{\"transactionHash\":\"0x" "1111111111111111111111111111111111111111111111111111111111111111\","
		"\"blockHash\":\"0x" "2222222222222222222222222222222222222222222222222222222222222222\","
		"\"blockNumber\":\"0x5\",\"gasUsed\":\"0x5208\",\"status\":\"0x1\","
		"\"effectiveGasPrice\":\"0x3b9aca00\",\"contractAddress\":null,\"logs\":[{"
		"\"address\":\"0x5fbdb2315678afecb367f032d93f642f64180aa3\","
		"\"topics\":[\"0x" "3333333333333333333333333333333333333333333333333333333333333333\"],"
		"\"data\":\"0x00ff\",\"blockNumber\":\"0x5\","
		"\"blockHash\":\"0x" "2222222222222222222222222222222222222222222222222222222222222222\","
		"\"transactionHash\":\"0x" "1111111111111111111111111111111111111111111111111111111111111111\","
		"\"logIndex\":\"0x0\",\"removed\":false}]}";
	json_t *j = json_loads(rc, 0, NULL);
	ck_assert_ptr_nonnull(j);
	struct chain_receipt r;
	struct err e = {{0}};
	ck_assert_msg(chain_rpc_parse_receipt(j, &r, &e), "%s", e.msg);
	ck_assert_uint_eq(r.block_number, 5);
	ck_assert_uint_eq(r.gas_used, 21000);
	ck_assert_int_eq(r.status, 1);
	ck_assert(!r.has_contract);
	ck_assert_uint_eq(r.nlogs, 1);
	ck_assert_uint_eq(r.logs[0].data_len, 2);
	ck_assert_uint_eq(r.logs[0].topics[0][0], 0x33);
	chain_receipt_clear(&r);
	/* A receipt with a status of 2 is refused. */
	json_object_set_new(j, "status", json_string("0x2"));
	ck_assert(!chain_rpc_parse_receipt(j, &r, &e));
	json_decref(j);

	const char *bl =
		"{\"number\":\"0x10\",\"timestamp\":\"0x6553f100\","
		"\"hash\":\"0x" "4444444444444444444444444444444444444444444444444444444444444444\","
		"\"parentHash\":\"0x" "5555555555555555555555555555555555555555555555555555555555555555\","
		"\"baseFeePerGas\":\"0x7\"}";
	j = json_loads(bl, 0, NULL);
	struct chain_block b;
	ck_assert_msg(chain_rpc_parse_block(j, &b, &e), "%s", e.msg);
	ck_assert_uint_eq(b.number, 16);
	ck_assert(b.has_base_fee);
	ck_assert_uint_eq(b.base_fee, 7);
	ck_assert_uint_eq(b.parent_hash[31], 0x55);
	json_decref(j);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("chain_rpc");
	TCase *tc = tcase_create("parse");
	tcase_add_test(tc, single_ok);
	tcase_add_test(tc, single_bad);
	tcase_add_test(tc, single_error);
	tcase_add_test(tc, batch_out_of_order);
	tcase_add_test(tc, batch_bad);
	tcase_add_test(tc, revert_descriptions);
	tcase_add_test(tc, quantities);
	tcase_add_test(tc, receipt_and_block);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
