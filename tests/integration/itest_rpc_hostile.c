/* fixtures: anvil */
/* itest_rpc_hostile.c: the JSON-RPC client against a real HTTP server that answers badly
 * on purpose (truncated JSON, wrong ids, 50 MB bodies, HTTP 500, silence, resets), and
 * against anvil itself (typed helpers, reverts, getLogs range splitting). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/rpc.h"
#include "chain/u256.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/util.h"
#include "tests/harness/harness.h"
#include "tests/harness/hostile_http.h"

static struct hostile_http *srv;

static void setup(void)
{
	srv = hostile_http_start(harness_anvil_url());
}

static void teardown(void)
{
	hostile_http_stop(srv);
	srv = NULL;
}

static struct chain_rpc *client(const char *url, unsigned timeout_ms, unsigned retries)
{
	struct chain_rpc_opts o = {.timeout_ms = timeout_ms, .retries = retries, .backoff_ms = 10};
	struct chain_rpc *rpc;
	struct err e = {{0}};
	ck_assert_msg(chain_rpc_new(&rpc, url, &o, &e), "%s", e.msg);
	return rpc;
}

START_TEST(echo_keepalive_and_batch)
{
	hostile_http_set_mode(srv, HOSTILE_ECHO);
	struct chain_rpc *rpc = client(hostile_http_url(srv), 2000, 0);
	struct err e = {{0}};
	for (int i = 0; i < 20; i++) {
		uint64_t n;
		ck_assert_msg(chain_rpc_block_number(rpc, &n, &e), "%s", e.msg);
		ck_assert_uint_eq(n, 42);
	}
	/* One connection carried all twenty calls. */
	ck_assert_uint_eq(hostile_http_connections(srv), 1);
	struct chain_rpc_batch *b = chain_rpc_batch_new();
	for (int i = 0; i < 50; i++)
		chain_rpc_batch_add(b, "eth_blockNumber", NULL);
	/* The server answers in reverse order; every answer finds its call. */
	ck_assert_msg(chain_rpc_batch_send(rpc, b, &e), "%s", e.msg);
	for (size_t i = 0; i < 50; i++) {
		json_t *r;
		ck_assert(chain_rpc_batch_result(b, i, &r, NULL, NULL, &e));
		ck_assert_str_eq(json_string_value(r), "0x2a");
	}
	chain_rpc_batch_free(b);
	chain_rpc_free(rpc);
}
END_TEST

START_TEST(bad_answers)
{
	struct chain_rpc *rpc = client(hostile_http_url(srv), 2000, 3);
	struct err e = {{0}};
	uint64_t n;
	hostile_http_set_mode(srv, HOSTILE_TRUNCATED);
	ck_assert(!chain_rpc_block_number(rpc, &n, &e));
	ck_assert_int_eq(chain_rpc_last_status(rpc), CHAIN_RPC_MALFORMED);
	ck_assert_msg(strstr(e.msg, "eth_blockNumber") && strstr(e.msg, "not valid JSON"), "%s",
		      e.msg);
	hostile_http_set_mode(srv, HOSTILE_WRONG_ID);
	ck_assert(!chain_rpc_block_number(rpc, &n, &e));
	ck_assert_int_eq(chain_rpc_last_status(rpc), CHAIN_RPC_MALFORMED);
	ck_assert_msg(strstr(e.msg, "id"), "%s", e.msg);
	struct chain_rpc_batch *b = chain_rpc_batch_new();
	chain_rpc_batch_add(b, "eth_chainId", NULL);
	chain_rpc_batch_add(b, "eth_blockNumber", NULL);
	ck_assert(!chain_rpc_batch_send(rpc, b, &e));
	ck_assert_msg(strstr(e.msg, "matches no call"), "%s", e.msg);
	chain_rpc_batch_free(b);
	hostile_http_set_mode(srv, HOSTILE_NO_VERSION);
	ck_assert(!chain_rpc_block_number(rpc, &n, &e));
	ck_assert_msg(strstr(e.msg, "\"jsonrpc\""), "%s", e.msg);
	/* HTTP 500 is an answer, not a transport failure: reported once, not retried. */
	hostile_http_set_mode(srv, HOSTILE_HTTP500);
	uint64_t before = hostile_http_requests(srv);
	ck_assert(!chain_rpc_block_number(rpc, &n, &e));
	ck_assert_int_eq(chain_rpc_last_status(rpc), CHAIN_RPC_HTTP);
	ck_assert_msg(strstr(e.msg, "HTTP 500") && strstr(e.msg, "upstream exploded"), "%s", e.msg);
	ck_assert_uint_eq(hostile_http_requests(srv) - before, 1);
	chain_rpc_free(rpc);
}
END_TEST

START_TEST(huge_bodies)
{
	struct chain_rpc *rpc = client(hostile_http_url(srv), 20000, 3);
	struct err e = {{0}};
	uint64_t n;
	hostile_http_set_mode(srv, HOSTILE_HUGE);
	ck_assert(!chain_rpc_block_number(rpc, &n, &e));
	ck_assert_int_eq(chain_rpc_last_status(rpc), CHAIN_RPC_TOO_LARGE);
	ck_assert_msg(strstr(e.msg, "larger than 16777216 bytes"), "%s", e.msg);
	chain_rpc_free(rpc);
	/* Without a Content-Length the cap stops the transfer mid-stream. */
	rpc = client(hostile_http_url(srv), 20000, 3);
	hostile_http_set_mode(srv, HOSTILE_HUGE_CHUNKED);
	ck_assert(!chain_rpc_block_number(rpc, &n, &e));
	ck_assert_int_eq(chain_rpc_last_status(rpc), CHAIN_RPC_TOO_LARGE);
	ck_assert_msg(strstr(e.msg, "larger than"), "%s", e.msg);
	uint64_t req;
	chain_rpc_stats(rpc, &req, NULL);
	ck_assert_uint_eq(req, 1); /* not retried */
	chain_rpc_free(rpc);
}
END_TEST

START_TEST(silence_and_resets)
{
	struct err e = {{0}};
	uint64_t n;
	/* A server that never answers: each attempt times out, idempotent reads retry. */
	hostile_http_set_mode(srv, HOSTILE_SILENT);
	struct chain_rpc *rpc = client(hostile_http_url(srv), 300, 2);
	ck_assert(!chain_rpc_block_number(rpc, &n, &e));
	ck_assert_int_eq(chain_rpc_last_status(rpc), CHAIN_RPC_TRANSPORT);
	ck_assert_msg(strstr(e.msg, "no answer") && strstr(e.msg, "after 3 attempts"), "%s",
		      e.msg);
	uint64_t req, retries;
	chain_rpc_stats(rpc, &req, &retries);
	ck_assert_uint_eq(req, 3);
	ck_assert_uint_eq(retries, 2);
	/* A method that changes state is not sent twice after a timeout. */
	char *out = NULL;
	ck_assert(!chain_rpc_call(rpc, "anvil_mine", "[1]", &out, &e));
	chain_rpc_stats(rpc, &req, NULL);
	ck_assert_uint_eq(req, 4);
	chain_rpc_free(rpc);

	hostile_http_set_mode(srv, HOSTILE_RESET);
	rpc = client(hostile_http_url(srv), 2000, 2);
	ck_assert(!chain_rpc_block_number(rpc, &n, &e));
	ck_assert_int_eq(chain_rpc_last_status(rpc), CHAIN_RPC_TRANSPORT);
	chain_rpc_stats(rpc, &req, NULL);
	ck_assert_uint_eq(req, 3);
	chain_rpc_free(rpc);

	/* Nobody listening: refused, retried (the request surely never left), then a clear
	 * sentence. */
	struct hostile_http *gone = hostile_http_start(NULL);
	char url[64];
	snprintf(url, sizeof(url), "%s", hostile_http_url(gone));
	hostile_http_stop(gone);
	rpc = client(url, 1000, 2);
	ck_assert(!chain_rpc_call(rpc, "anvil_mine", "[1]", &out, &e));
	ck_assert_msg(strstr(e.msg, "no answer from http://127.0.0.1:") &&
			      strstr(e.msg, "after 3 attempts"),
		      "%s", e.msg);
	chain_rpc_free(rpc);
}
END_TEST

static void raw_call(struct chain_rpc *rpc, const char *method, const char *params)
{
	char *out = NULL;
	struct err e = {{0}};
	ck_assert_msg(chain_rpc_call(rpc, method, params, &out, &e), "%s: %s", method, e.msg);
	free(out);
}

START_TEST(anvil_typed_and_revert)
{
	struct chain_rpc *rpc = client(harness_anvil_url(), 10000, 3);
	struct err e = {{0}};
	uint64_t id, n;
	ck_assert_msg(chain_rpc_chain_id(rpc, &id, &e), "%s", e.msg);
	ck_assert_uint_eq(id, 31337);
	ck_assert(chain_rpc_block_number(rpc, &n, &e));
	struct chain_block blk;
	bool found;
	ck_assert_msg(chain_rpc_get_block(rpc, "latest", &blk, &found, &e), "%s", e.msg);
	ck_assert(found && blk.has_base_fee);
	ck_assert_uint_ge(blk.number, n);
	ck_assert(chain_rpc_get_block(rpc, "0xffffffff", &blk, &found, &e));
	ck_assert(!found);

	/* A contract whose every call reverts with Error("nope"). */
	const char *addr = "0x00000000000000000000000000000000000a55a1";
	raw_call(rpc, "anvil_setCode",
		 "[\"0x00000000000000000000000000000000000a55a1\","
		 "\"0x6308c379a060e01b60005260206004526004602452636e6f706560e01b60445260646000fd\"]");
	uint8_t to[20];
	ck_assert(hex_decode_exact(to, 20, addr, &e));
	struct buf out = BUF_INIT;
	ck_assert(!chain_rpc_eth_call(rpc, NULL, to, (const uint8_t *)"\x12\x34\x56\x78", 4,
				      "latest", &out, &e));
	ck_assert_int_eq(chain_rpc_last_status(rpc), CHAIN_RPC_NODE);
	ck_assert_msg(strstr(e.msg, "execution reverted") && strstr(e.msg, "nope"), "%s", e.msg);
	buf_free(&out);

	/* Balances are 256-bit. */
	raw_call(rpc, "anvil_setBalance",
		 "[\"0x00000000000000000000000000000000000a55a2\","
		 "\"0x100000000000000000000000000000000\"]");
	uint8_t who[20];
	ck_assert(hex_decode_exact(who, 20, "0x00000000000000000000000000000000000a55a2", &e));
	struct chain_u256 bal;
	ck_assert_msg(chain_rpc_get_balance(rpc, who, "latest", &bal, &e), "%s", e.msg);
	ck_assert_uint_eq(bal.w[2], 1);
	ck_assert_uint_eq(bal.w[0], 0);

	struct chain_fee_history fh;
	double pct[2] = {25, 50};
	ck_assert_msg(chain_rpc_fee_history(rpc, 4, "latest", pct, 2, &fh, &e), "%s", e.msg);
	ck_assert_uint_ge(fh.nblocks, 1);
	ck_assert_uint_gt(fh.base_fee[fh.nblocks], 0);
	chain_fee_history_clear(&fh);
	chain_rpc_free(rpc);
}
END_TEST

START_TEST(get_logs_split)
{
	/* Through a proxy that refuses eth_getLogs over more than 10 blocks. */
	hostile_http_set_mode(srv, HOSTILE_PROXY_LOG_LIMIT);
	struct chain_rpc *rpc = client(hostile_http_url(srv), 10000, 3);
	struct err e = {{0}};
	/* A contract that logs its calldata under topic 0x..01, and a fresh sender. */
	const char *emitter = "0x00000000000000000000000000000000000a55a3";
	const char *from = "0x00000000000000000000000000000000000a55a4";
	char params[512];
	snprintf(params, sizeof(params),
		 "[\"%s\",\"0x366000600037"
		 "7f0000000000000000000000000000000000000000000000000000000000000001"
		 "366000a100\"]",
		 emitter);
	raw_call(rpc, "anvil_setCode", params);
	snprintf(params, sizeof(params), "[\"%s\",\"0x1000000000000000000\"]", from);
	raw_call(rpc, "anvil_setBalance", params);
	snprintf(params, sizeof(params), "[\"%s\"]", from);
	raw_call(rpc, "anvil_impersonateAccount", params);
	uint64_t start;
	ck_assert(chain_rpc_block_number(rpc, &start, &e));
	for (int i = 0; i < 30; i++) {
		snprintf(params, sizeof(params),
			 "[{\"from\":\"%s\",\"to\":\"%s\",\"input\":\"0x%064x\",\"gas\":\"0x186a0\"}]",
			 from, emitter, i);
		raw_call(rpc, "eth_sendTransaction", params);
		/* Spread the logs over blocks even if others' transactions share them. */
		raw_call(rpc, "anvil_mine", "[\"0x1\"]");
	}
	uint64_t end;
	ck_assert(chain_rpc_block_number(rpc, &end, &e));
	uint8_t addr[20];
	ck_assert(hex_decode_exact(addr, 20, emitter, &e));
	struct chain_log_filter f = {.from_block = start + 1, .to_block = end, .address = addr};
	struct chain_logs logs;
	ck_assert_msg(chain_rpc_get_logs(rpc, &f, &logs, &e), "%s", e.msg);
	ck_assert_uint_eq(logs.n, 30);
	for (size_t i = 0; i < logs.n; i++) {
		ck_assert_uint_eq(logs.v[i].ntopics, 1);
		ck_assert_uint_eq(logs.v[i].topics[0][31], 1);
		ck_assert_uint_eq(logs.v[i].data_len, 32);
		ck_assert_uint_eq(logs.v[i].data[31], i);
	}
	chain_logs_clear(&logs);
	chain_rpc_free(rpc);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("rpc_hostile");
	TCase *tc = tcase_create("hostile");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, echo_keepalive_and_batch);
	tcase_add_test(tc, bad_answers);
	tcase_add_test(tc, huge_bodies);
	tcase_add_test(tc, silence_and_resets);
	tcase_add_test(tc, anvil_typed_and_revert);
	tcase_add_test(tc, get_logs_split);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
