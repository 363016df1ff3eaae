/* test_chain_bindings.c: the deployment file (parse, format, refusals), the contracts
 * built into the binary (bytecode, constructors, custom errors with names), and revert
 * explanations by the contracts' errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/deployment.h"
#include "core/buf.h"
#include "core/err.h"
#include "tests/harness/harness.h"

static const char good[] =
	"{\"schema\": 1, \"chain_id\": 31337, \"n_shards\": 20, \"start_block\": 7,"
	" \"deployer\": \"0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266\","
	" \"token\": \"0x5FbDB2315678afecb367f032d93F642f64180aa3\","
	" \"timelock\": \"0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512\","
	" \"staking\": \"0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0\","
	" \"blob_registry\": \"0xDc64a140Aa3E981100a9becA4E685f962f0cF6C9\","
	" \"settlement\": \"0xCf7Ed3AccA5a467e9e704C703E8D87F634fB0Fc9\"}";

START_TEST(deployment_round_trip)
{
	struct chain_deployment d, d2;
	struct err e = {{0}};
	ck_assert_msg(chain_deployment_parse(good, strlen(good), &d, &e), "%s", e.msg);
	ck_assert_int_eq(d.chain_id, 31337);
	ck_assert_int_eq(d.n_shards, 20);
	ck_assert_int_eq(d.start_block, 7);
	ck_assert_int_eq(d.staking[0], 0x9f);
	struct buf b = BUF_INIT;
	chain_deployment_format(&d, &b);
	ck_assert_msg(strstr(buf_cstr(&b), "\"staking\": \"0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0\""),
		      "%s", buf_cstr(&b));
	ck_assert_msg(chain_deployment_parse((const char *)b.data, b.len, &d2, &e), "%s", e.msg);
	ck_assert(!memcmp(&d, &d2, sizeof(d)));
	ck_assert_msg(!strstr(buf_cstr(&b), "disputes"), "an older deployment has no Disputes");
	buf_free(&b);
}
END_TEST

/* "disputes" is read when present and written back. */
START_TEST(deployment_disputes)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	buf_append(&in, good, strlen(good) - 1);
	buf_append_str(&in, ", \"disputes\": \"0x0165878A594ca255338adfa4d48449f69242Eb8F\"}");
	struct chain_deployment d;
	struct err e = {{0}};
	ck_assert_msg(chain_deployment_parse((const char *)in.data, in.len, &d, &e), "%s", e.msg);
	ck_assert_int_eq(d.disputes[0], 0x01);
	ck_assert_int_eq(d.disputes[19], 0x8f);
	chain_deployment_format(&d, &out);
	const char *want = "\"disputes\": \"0x0165878A594ca255338adfa4d48449f69242Eb8F\"";
	ck_assert_msg(strstr(buf_cstr(&out), want), "%s", buf_cstr(&out));
	buf_free(&in);
	buf_free(&out);
}
END_TEST

static void refused(const char *from, const char *to, const char *want)
{
	struct buf b = BUF_INIT;
	const char *at = strstr(good, from);
	ck_assert(at);
	buf_append(&b, good, (size_t)(at - good));
	buf_append_str(&b, to);
	buf_append_str(&b, at + strlen(from));
	struct chain_deployment d;
	struct err e = {{0}};
	ck_assert(!chain_deployment_parse((const char *)b.data, b.len, &d, &e));
	ck_assert_msg(strstr(e.msg, want), "'%s' not in: %s", want, e.msg);
	buf_free(&b);
}

START_TEST(deployment_refusals)
{
	refused("\"schema\": 1", "\"schema\": 2", "schema 2");
	refused("\"n_shards\": 20", "\"n_shards\": 3", "n_shards");
	refused("\"n_shards\": 20", "\"n_shards\": -1", "n_shards");
	refused("\"chain_id\": 31337", "\"chain_id\": \"1\"", "chain_id");
	/* A mixed-case address must carry a correct checksum. */
	refused("0x9fE46736679d2D9a65F0992F2272dE9f3c7fa6e0", "0x9Fe46736679d2D9a65F0992F2272dE9f3c7fa6e0",
		"\"staking\"");
	refused(", \"token\": \"0x5FbDB2315678afecb367f032d93F642f64180aa3\"", "", "\"token\" is missing");
	struct chain_deployment d;
	struct err e = {{0}};
	ck_assert(!chain_deployment_parse("{", 1, &d, &e));
	ck_assert(strstr(e.msg, "not JSON"));
	ck_assert(!chain_deployment_parse("[1]", 3, &d, &e));
	ck_assert(strstr(e.msg, "not a JSON object"));
}
END_TEST

START_TEST(embedded_contracts)
{
	static const char *const names[] = {"TestToken", "AssayTimelock", "Staking", "BlobRegistry",
					    "Settlement"};
	struct err e = {{0}};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct chain_compiled *c;
		ck_assert_msg(chain_compiled_load(names[i], NULL, &c, &e), "%s", e.msg);
		ck_assert(c->bytecode.len > 100);
		ck_assert(c->ctor && c->ctor->inputs);
		chain_compiled_free(c);
	}
	struct chain_compiled *c;
	ck_assert_msg(chain_compiled_load("Settlement", NULL, &c, &e), "%s", e.msg);
	/* The Params struct is a tuple argument of the constructor. */
	ck_assert_str_eq(c->ctor->canonical,
			 "constructor(address,address,address,address,(uint16,uint16,uint16,uint16,"
			 "uint8,uint64,uint64,uint64))");
	bool found = false;
	for (size_t i = 0; i < c->nerrors; i++)
		if (!strcmp(c->errors[i]->canonical, "NoQuorum(uint64,uint256,uint256)")) {
			found = true;
			ck_assert_str_eq(c->errors[i]->inputs->fields[1]->name, "revealed");
		}
	ck_assert(found);
	chain_compiled_free(c);
	ck_assert(!chain_compiled_load("Nope", NULL, &c, &e));
	ck_assert(strstr(e.msg, "not embedded"));
	ck_assert(!chain_compiled_load("Staking", "/nonexistent-dir", &c, &e));
}
END_TEST

START_TEST(revert_explained)
{
	struct err e = {{0}};
	struct chain_compiled *c;
	ck_assert_msg(chain_compiled_load("BlobRegistry", NULL, &c, &e), "%s", e.msg);
	/* NotEnoughShards(uint256,uint256) = 0x… : the selector the node reports. */
	const struct chain_abi_sig *nes = NULL;
	for (size_t i = 0; i < c->nerrors; i++)
		if (!strcmp(c->errors[i]->name, "NotEnoughShards"))
			nes = c->errors[i];
	ck_assert(nes);
	char sel[9];
	snprintf(sel, sizeof(sel), "%02x%02x%02x%02x", nes->selector[0], nes->selector[1],
		 nes->selector[2], nes->selector[3]);
	err_set(&e, "eth_call: execution reverted: custom error 0x%s with 68 bytes of data "
		    "(JSON-RPC error 3)",
		sel);
	chain_explain_revert(&e, c->errors, c->nerrors);
	ck_assert_str_eq(e.msg, "eth_call: execution reverted: NotEnoughShards(uint256 have, "
				"uint256 need): the confirming nodes hold fewer than n - f shards "
				"(JSON-RPC error 3)");
	/* Unknown selectors and other sentences stay as they were. */
	err_set(&e, "eth_call: execution reverted: custom error 0xdeadbeef with 4 bytes of data");
	chain_explain_revert(&e, c->errors, c->nerrors);
	ck_assert(strstr(e.msg, "0xdeadbeef"));
	err_set(&e, "custom error 0x12");
	chain_explain_revert(&e, c->errors, c->nerrors);
	ck_assert_str_eq(e.msg, "custom error 0x12");
	ck_assert_str_eq(chain_error_explain("EpochNotOver"), "the epoch's time is not up yet");
	ck_assert(chain_error_explain("NoSuchError") == NULL);
	chain_compiled_free(c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("chain_bindings");
	TCase *tc = tcase_create("bindings");
	tcase_add_test(tc, deployment_round_trip);
	tcase_add_test(tc, deployment_disputes);
	tcase_add_test(tc, deployment_refusals);
	tcase_add_test(tc, embedded_contracts);
	tcase_add_test(tc, revert_explained);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
