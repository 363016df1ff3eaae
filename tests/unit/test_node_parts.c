/* test_node_parts.c: the storage node's pieces that need no network: the committee file,
 * fault decisions and schedules, the sliver store, outcome names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/challenge.h"
#include "core/buf.h"
#include "core/err.h"
#include "node/committee.h"
#include "node/faults.h"
#include "node/store.h"
#include "tests/harness/harness.h"

static bool parse(const char *json, struct node_committee **c, struct err *e)
{
	return node_committee_parse(json, strlen(json), "test", c, e);
}

START_TEST(test_committee_ok)
{
	struct node_committee *c = NULL;
	struct err e = {{0}};
	ck_assert_msg(parse("{\"n_shards\": 4, \"epoch\": 9, \"nodes\": ["
			    "{\"url\": \"http://a:1/\", \"shards\": [0, 2]},"
			    "{\"url\": \"https://b:2\", \"shards\": [1, 3], \"address\": "
			    "\"0x00000000000000000000000000000000000000aa\"}]}",
			    &c, &e),
		      "%s", e.msg);
	ck_assert_uint_eq(c->n, 4);
	ck_assert_uint_eq(c->epoch, 9);
	ck_assert_uint_eq(c->chain_id, 31337);
	ck_assert_str_eq(c->members[0].url, "http://a:1");
	ck_assert(node_committee_holds(c, 0, 2));
	ck_assert(!node_committee_holds(c, 0, 1));
	ck_assert(c->members[1].has_address && c->members[1].address[19] == 0xaa);
	/* The node id defaults to the address; without either the auditor derives one. */
	ck_assert(!c->members[0].has_id);
	ck_assert(c->members[1].has_id && !memcmp(c->members[1].id, c->members[1].address, 20));
	node_committee_free(c);
	c = NULL;
	/* An explicit id (the operator, on chain) is independent of the node key's address. */
	ck_assert_msg(parse("{\"n_shards\": 1, \"nodes\": [{\"url\": \"http://a\", \"shards\": [0],"
			    " \"address\": \"0x00000000000000000000000000000000000000aa\","
			    " \"id\": \"0x00000000000000000000000000000000000000bb\"}]}",
			    &c, &e),
		      "%s", e.msg);
	ck_assert(c->members[0].has_id && c->members[0].id[19] == 0xbb);
	ck_assert(c->members[0].address[19] == 0xaa);
	node_committee_free(c);
	c = NULL;
	ck_assert(!parse("{\"n_shards\": 1, \"nodes\": [{\"url\": \"http://a\", \"shards\": [0],"
			 " \"id\": \"0x12\"}]}",
			 &c, &e));
	ck_assert_msg(strstr(e.msg, "\"id\" must be a 20-byte"), "%s", e.msg);
}
END_TEST

/* Real Walrus committees have n = 1000 shards: an auditor must be able to describe them. */
START_TEST(test_committee_walrus_size)
{
	struct buf b = BUF_INIT;
	buf_append_str(&b, "{\"n_shards\": 1000, \"nodes\": [");
	for (int m = 0; m < 100; m++) {
		buf_printf(&b, "%s{\"url\": \"https://node%d.example:9185\", \"pin\": \"sha256//AAAA\", "
			       "\"shards\": [", m ? "," : "", m);
		for (int k = 0; k < 10; k++)
			buf_printf(&b, "%s%d", k ? "," : "", m * 10 + k);
		buf_append_str(&b, "]}");
	}
	buf_append_str(&b, "]}");
	struct node_committee *c = NULL;
	struct err e = {{0}};
	ck_assert_msg(parse(buf_cstr(&b), &c, &e), "%s", e.msg);
	ck_assert_uint_eq(c->n, 1000);
	ck_assert_uint_eq(c->count, 100);
	ck_assert_uint_eq(c->owner[999], 99);
	ck_assert_str_eq(c->members[5].pin, "sha256//AAAA");
	node_committee_free(c);
	buf_free(&b);
}
END_TEST

START_TEST(test_committee_refused)
{
	static const char *const bad[] = {
		"[]",
		"{\"n_shards\": 0, \"nodes\": [{\"url\": \"http://a\", \"shards\": []}]}",
		"{\"n_shards\": 256, \"nodes\": [{\"url\": \"http://a\", \"shards\": [0]}]}",
		"{\"n_shards\": 2, \"nodes\": [{\"url\": \"http://a\", \"shards\": [0]}]}",
		"{\"n_shards\": 2, \"nodes\": [{\"url\": \"http://a\", \"shards\": [0, 0, 1]}]}",
		"{\"n_shards\": 2, \"nodes\": [{\"url\": \"http://a\", \"shards\": [0, 2]}]}",
		"{\"n_shards\": 1, \"nodes\": [{\"url\": \"ftp://a\", \"shards\": [0]}]}",
		"{\"n_shards\": 1, \"nodes\": [{\"url\": \"http://a?x\", \"shards\": [0]}]}",
		"{\"n_shards\": 1, \"nodes\": [{\"url\": \"http://a\", \"shards\": [0], \"address\": \"0x12\"}]}",
		"{\"n_shards\": 1, \"n_shards\": 1, \"nodes\": [{\"url\": \"http://a\", \"shards\": [0]}]}",
		"{\"n_shards\": 1, \"nodes\": [{\"url\": \"http://a\", \"shards\": [0]}, {\"url\": \"http://b\", \"shards\": []}]}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct node_committee *c = NULL;
		struct err e = {{0}};
		ck_assert_msg(!parse(bad[i], &c, &e), "accepted %s", bad[i]);
		ck_assert_ptr_null(c);
		ck_assert_msg(strncmp(e.msg, "test", 4) == 0, "no source in '%s'", e.msg);
	}
}
END_TEST

START_TEST(test_offline_schedule)
{
	struct node_faults f = {0};
	struct err e = {{0}};
	ck_assert(node_faults_parse_offline(&f, "10-20,40-50", &e));
	ck_assert(!node_faults_offline(&f, 9));
	ck_assert(node_faults_offline(&f, 10));
	ck_assert(node_faults_offline(&f, 19));
	ck_assert(!node_faults_offline(&f, 20));
	ck_assert(node_faults_offline(&f, 45));
	ck_assert_uint_eq(node_faults_next_change(&f, 0), 10);
	ck_assert_uint_eq(node_faults_next_change(&f, 15), 5);
	ck_assert(node_faults_parse_offline(&f, "30/10", &e));
	ck_assert(!node_faults_offline(&f, 0));
	ck_assert(!node_faults_offline(&f, 19));
	ck_assert(node_faults_offline(&f, 20));
	ck_assert(node_faults_offline(&f, 29));
	ck_assert(!node_faults_offline(&f, 30));
	ck_assert_uint_eq(node_faults_next_change(&f, 25), 5);
	static const char *const bad[] = {"", "5", "20-10", "5-5", "a-b", "10/0", "10/11", "/3",
					  "1-2,", "1-2,,3-4"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!node_faults_parse_offline(&f, bad[i], &e), "accepted '%s'", bad[i]);
}
END_TEST

START_TEST(test_fault_shares_deterministic)
{
	struct node_faults f = {.seed = 7, .lose = 0.3, .corrupt = 0.2};
	struct node_faults g = f;
	uint8_t id[32] = {1, 2, 3};
	size_t lost = 0, corrupted = 0;
	for (uint16_t i = 0; i < 1000; i++) {
		bool l = node_faults_lost(&f, id, AUDIT_AXIS_PRIMARY, i);
		ck_assert(l == node_faults_lost(&g, id, AUDIT_AXIS_PRIMARY, i));
		lost += l;
		struct audit_symbol_id sid = {i, (uint16_t)(i * 7)};
		corrupted += node_faults_corrupted(&f, id, sid, AUDIT_AXIS_SECONDARY);
	}
	/* Shares near the asked ones (binomial, n = 1000: far outside 5 sigma otherwise). */
	ck_assert_msg(lost > 230 && lost < 370, "lost %zu", lost);
	ck_assert_msg(corrupted > 140 && corrupted < 260, "corrupted %zu", corrupted);
	g.seed = 8;
	size_t same = 0;
	for (uint16_t i = 0; i < 1000; i++)
		same += node_faults_lost(&f, id, AUDIT_AXIS_PRIMARY, i) ==
			node_faults_lost(&g, id, AUDIT_AXIS_PRIMARY, i);
	ck_assert_msg(same < 1000, "another seed must lose other slivers");
	struct node_faults none = {0};
	ck_assert(!node_faults_any(&none));
	ck_assert(!node_faults_lost(&none, id, AUDIT_AXIS_PRIMARY, 0));
	struct node_faults wrong = {.lose = 1.5};
	struct err e = {{0}};
	ck_assert(!node_faults_check(&wrong, &e));
}
END_TEST

START_TEST(test_store_roundtrip)
{
	char dir[] = "/tmp/assay-store-test.XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	struct node_store *s = NULL;
	struct err e = {{0}};
	ck_assert_msg(node_store_open(dir, &s, &e), "%s", e.msg);
	uint8_t id[32];
	memset(id, 0xab, sizeof(id));
	struct audit_metadata *md = audit_metadata_new(3), *back = NULL;
	md->encoding_type = 2;
	md->unencoded_length = 5;
	struct buf b = BUF_INIT;
	audit_metadata_write(&b, md);
	bool existed = true;
	ck_assert(node_store_get_metadata(s, id, &back, &e) && back == NULL);
	ck_assert(node_store_put_metadata(s, id, b.data, b.len, &existed, &e) && !existed);
	ck_assert(node_store_put_metadata(s, id, b.data, b.len, &existed, &e) && existed);
	ck_assert(node_store_get_metadata(s, id, &back, &e) && back);
	ck_assert_uint_eq(back->unencoded_length, 5);
	ck_assert_uint_eq(back->n_shards, 3);
	uint8_t sym[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	struct audit_sliver *sl = NULL;
	ck_assert(!node_store_has_sliver(s, id, AUDIT_AXIS_SECONDARY, 2));
	ck_assert(node_store_put_sliver(s, id, AUDIT_AXIS_SECONDARY, 2, sym, 8, 4, &existed, &e));
	ck_assert(node_store_has_sliver(s, id, AUDIT_AXIS_SECONDARY, 2));
	ck_assert(!node_store_has_sliver(s, id, AUDIT_AXIS_PRIMARY, 2));
	ck_assert(node_store_get_sliver(s, id, AUDIT_AXIS_SECONDARY, 2, &sl, &e) && sl);
	ck_assert_uint_eq(sl->len, 8);
	ck_assert_uint_eq(sl->symbol_size, 4);
	ck_assert_uint_eq(sl->index, 2);
	ck_assert_mem_eq(sl->symbols, sym, 8);
	uint8_t (*ids)[32] = NULL;
	size_t count = 0;
	ck_assert(node_store_list_blobs(s, &ids, &count, &e));
	ck_assert_uint_eq(count, 1);
	ck_assert_mem_eq(ids[0], id, 32);
	/* The server's cache trusts a sliver it saw on disk while this count stays. */
	uint64_t dels = node_store_deletions(s);
	ck_assert(node_store_delete_sliver(s, id, AUDIT_AXIS_PRIMARY, 2, &e)); /* absent */
	ck_assert_uint_eq(node_store_deletions(s), dels);
	ck_assert(node_store_delete_sliver(s, id, AUDIT_AXIS_SECONDARY, 2, &e));
	ck_assert(!node_store_has_sliver(s, id, AUDIT_AXIS_SECONDARY, 2));
	ck_assert_uint_eq(node_store_deletions(s), dels + 1);
	free(ids);
	audit_sliver_free(sl);
	audit_metadata_free(md);
	audit_metadata_free(back);
	buf_free(&b);
	node_store_free(s);
	char *cmd = xasprintf("rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
	free(cmd);
}
END_TEST

START_TEST(test_outcome_names)
{
	for (unsigned i = 0; i < AUDIT_OUTCOME_COUNT; i++) {
		enum audit_outcome o;
		ck_assert(audit_outcome_parse(audit_outcome_name((enum audit_outcome)i), &o));
		ck_assert_uint_eq(o, i);
	}
	ck_assert(audit_outcome_transient(AUDIT_OUTCOME_HTTP_ERROR, 429));
	ck_assert(audit_outcome_transient(AUDIT_OUTCOME_HTTP_ERROR, 503));
	ck_assert(!audit_outcome_transient(AUDIT_OUTCOME_HTTP_ERROR, 400));
	ck_assert(audit_outcome_transient(AUDIT_OUTCOME_TIMEOUT, 0));
	ck_assert(!audit_outcome_transient(AUDIT_OUTCOME_INVALID_PROOF, 200));
	ck_assert_uint_eq(audit_outcome_of_verdict(AUDIT_SYMBOL_WRONG_ID), AUDIT_OUTCOME_INVALID_PROOF);
	ck_assert_uint_eq(audit_outcome_of_verdict(AUDIT_SYMBOL_MISSING), AUDIT_OUTCOME_NOT_FOUND);
	ck_assert_uint_eq(audit_outcome_of_verdict(AUDIT_SYMBOL_WRONG_SIZE), AUDIT_OUTCOME_WRONG_SIZE);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("node_parts");
	TCase *tc = tcase_create("parts");
	tcase_add_test(tc, test_committee_ok);
	tcase_add_test(tc, test_committee_walrus_size);
	tcase_add_test(tc, test_committee_refused);
	tcase_add_test(tc, test_offline_schedule);
	tcase_add_test(tc, test_fault_shares_deterministic);
	tcase_add_test(tc, test_store_roundtrip);
	tcase_add_test(tc, test_outcome_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
