/* test_node_parts.c: the storage node's pieces that need no network: the committee file,
 * fault decisions and schedules, the sliver store, the kept expansions, outcome names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/challenge.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "node/committee.h"
#include "node/faults.h"
#include "node/encoder.h"
#include "node/store.h"
#include "node/xcache.h"
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
	/* The collector lists what a blob holds; names that are not a whole sliver's (a
	 * file being written, a stray) are left out. */
	ck_assert(node_store_put_sliver(s, id, AUDIT_AXIS_PRIMARY, 1, sym, 8, 4, &existed, &e));
	char *blobdir = NULL;
	{
		char hex[65];
		hex_encode(hex, id, 32);
		blobdir = xasprintf("%s/blobs/%s", dir, hex);
	}
	static const char *const strays[] = {"primary-1.tmp", "primary-", "secondary-01",
					     "primary-65536", "tertiary-2", "primary-x"};
	for (size_t k = 0; k < sizeof(strays) / sizeof(strays[0]); k++) {
		char *p = xasprintf("%s/%s", blobdir, strays[k]);
		FILE *fp = fopen(p, "w");
		ck_assert_ptr_nonnull(fp);
		fclose(fp);
		free(p);
	}
	struct node_store_sliver_ref *held = NULL;
	size_t nheld = 0;
	ck_assert(node_store_list_slivers(s, id, &held, &nheld, &e));
	ck_assert_uint_eq(nheld, 2);
	bool saw_p1 = false, saw_s2 = false;
	for (size_t k = 0; k < nheld; k++) {
		saw_p1 |= held[k].axis == AUDIT_AXIS_PRIMARY && held[k].index == 1;
		saw_s2 |= held[k].axis == AUDIT_AXIS_SECONDARY && held[k].index == 2;
	}
	ck_assert(saw_p1 && saw_s2);
	free(held);
	ck_assert(node_store_delete_sliver(s, id, AUDIT_AXIS_PRIMARY, 1, &e));
	uint8_t other[32] = {9};
	ck_assert(node_store_list_slivers(s, other, &held, &nheld, &e));
	ck_assert_uint_eq(nheld, 0);
	free(blobdir);
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

/* An expansion of primary sliver `index` of a blob of n shards encoded with GF(2^8). */
static struct node_expanded *expansion(const struct node_codec *c, const struct node_blob *b,
				       uint16_t index)
{
	struct node_expanded *x = NULL;
	struct err e = {{0}};
	ck_assert_msg(node_expanded_new(c, AUDIT_AXIS_PRIMARY, index,
					node_blob_sliver(b, AUDIT_AXIS_PRIMARY, index),
					b->primary_len, b->symbol_size, &x, &e),
		      "%s", e.msg);
	return x;
}

START_TEST(test_xcache_budget_lru_refs)
{
	struct err e = {{0}};
	struct node_codec *c = NULL;
	ck_assert_msg(node_codec_new(10, &c, &e), "%s", e.msg);
	uint8_t data[4000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 13);
	struct node_blob *b = NULL;
	ck_assert_msg(node_encode(c, data, sizeof(data), &b, &e), "%s", e.msg);
	struct node_expanded *x0 = expansion(c, b, 0);
	size_t one = node_expanded_bytes(x0);
	/* Room for three entries (each also costs its table entry), not four. */
	struct node_xcache *xc = node_xcache_new(3 * one + 3 * 128);
	struct node_xcache_key k[5];
	for (int i = 0; i < 5; i++) {
		k[i] = (struct node_xcache_key){.axis = AUDIT_AXIS_PRIMARY, .index = (uint16_t)i};
		memcpy(k[i].id, b->blob_id, 32);
	}
	struct node_xcache_stats st;
	/* Nothing kept: a miss, counted once per confirmed look. */
	ck_assert_ptr_null(node_xcache_get(xc, &k[0], 1, 100, 1000, false));
	ck_assert_ptr_null(node_xcache_get(xc, &k[0], 1, 100, 1000, true));
	node_xcache_put(xc, &k[0], x0, 1, 100);
	for (uint16_t i = 1; i < 3; i++) {
		struct node_expanded *x = expansion(c, b, i);
		node_xcache_put(xc, &k[i], x, 1, 100);
		node_expanded_free(x);
	}
	node_xcache_stats(xc, &st);
	ck_assert_uint_eq(st.entries, 3);
	ck_assert_uint_eq(st.misses, 1);
	ck_assert_uint_eq(st.evictions, 0);
	/* Fresh: the same mark within the age; stale: another mark or too old, unless
	 * confirmed, which renews it. */
	struct node_expanded *got = node_xcache_get(xc, &k[0], 1, 500, 1000, false);
	ck_assert_ptr_eq(got, x0);
	node_expanded_free(got);
	ck_assert_ptr_null(node_xcache_get(xc, &k[1], 2, 500, 1000, false));
	ck_assert_ptr_null(node_xcache_get(xc, &k[1], 1, 1100, 1000, false));
	got = node_xcache_get(xc, &k[1], 2, 1100, 1000, true);
	ck_assert_ptr_nonnull(got);
	node_expanded_free(got);
	got = node_xcache_get(xc, &k[1], 2, 1200, 1000, false);
	ck_assert_ptr_nonnull(got);
	/* The least recently used (2: 0 and 1 were used since) goes for a fourth, while 1,
	 * held here, outlives its own eviction later. */
	struct node_expanded *x3 = expansion(c, b, 3);
	node_xcache_put(xc, &k[3], x3, 1, 100);
	node_expanded_free(x3);
	ck_assert_ptr_null(node_xcache_get(xc, &k[2], 1, 100, 1000, true));
	node_xcache_stats(xc, &st);
	ck_assert_uint_eq(st.entries, 3);
	ck_assert_uint_eq(st.evictions, 1);
	ck_assert_uint_le(st.bytes, st.budget);
	node_xcache_clear(xc);
	struct audit_recovery_symbol sym;
	ck_assert_msg(node_expanded_symbol(got, 4, &sym, &e), "%s", e.msg);
	ck_assert_int_eq(audit_symbol_verify(b->metadata, (struct audit_symbol_id){1, 4},
					     AUDIT_AXIS_PRIMARY, &sym, &e),
			 AUDIT_SYMBOL_PASS);
	audit_recovery_symbol_clear(&sym);
	node_expanded_free(got);
	/* An offer is taken only into free room. */
	struct node_expanded *x2 = expansion(c, b, 2);
	node_xcache_put(xc, &k[0], x0, 1, 100);
	node_xcache_put(xc, &k[1], x0, 1, 100);
	node_xcache_put(xc, &k[3], x0, 1, 100);
	node_xcache_offer(xc, &k[2], x2, 1, 100);
	ck_assert_ptr_null(node_xcache_get(xc, &k[2], 1, 100, 1000, true));
	node_xcache_clear(xc);
	node_xcache_offer(xc, &k[2], x2, 1, 100);
	got = node_xcache_get(xc, &k[2], 1, 100, 1000, false);
	ck_assert_ptr_eq(got, x2);
	node_expanded_free(got);
	node_expanded_free(x2);
	node_xcache_clear(xc);
	/* A dropped entry is gone (and dropping what is not kept does nothing). */
	node_xcache_put(xc, &k[1], x0, 1, 100);
	node_xcache_drop(xc, &k[1]);
	node_xcache_drop(xc, &k[1]);
	ck_assert_ptr_null(node_xcache_get(xc, &k[1], 1, 100, 1000, true));
	/* Replacing an entry keeps one; an expansion larger than the budget is not kept. */
	node_xcache_put(xc, &k[4], x0, 1, 100);
	node_xcache_put(xc, &k[4], x0, 1, 100);
	node_xcache_stats(xc, &st);
	ck_assert_uint_eq(st.entries, 1);
	node_xcache_free(xc);
	xc = node_xcache_new(one / 2);
	node_xcache_put(xc, &k[0], x0, 1, 100);
	node_xcache_stats(xc, &st);
	ck_assert_uint_eq(st.entries, 0);
	node_xcache_free(xc);
	node_expanded_free(x0);
	node_blob_free(b);
	node_codec_free(c);
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
	tcase_add_test(tc, test_xcache_budget_lru_refs);
	tcase_add_test(tc, test_outcome_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
