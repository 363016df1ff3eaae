/* test_audit_schedule.c: the schedule reproduces tests/vectors/schedule.json, computed by an
 * independent implementation of audit/SCHEDULE.md; and its properties hold. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/schedule.h"
#include "core/encoding.h"
#include "core/err.h"
#include "tests/harness/harness.h"

static json_t *load_vectors(void)
{
	const char *src = getenv("ASSAY_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/vectors/schedule.json", src ? src : ".");
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	ck_assert_msg(root != NULL, "%s: %s", path, je.text);
	return root;
}

static void hex_field(uint8_t *out, size_t len, json_t *obj, const char *key)
{
	struct err e = {{0}};
	const char *s = json_string_value(json_object_get(obj, key));
	ck_assert_msg(s && hex_decode_exact(out, len, s, &e), "%s: %s", key, e.msg);
}

START_TEST(test_vectors)
{
	json_t *root = load_vectors();
	json_t *cases = json_object_get(root, "cases");
	size_t ci;
	json_t *c;
	int checked = 0;
	json_array_foreach(cases, ci, c) {
		json_t *in = json_object_get(c, "input");
		json_t *pp = json_object_get(in, "params");
		struct audit_schedule_params p;
		audit_schedule_params_defaults(&p);
		p.epoch = (uint64_t)json_integer_value(json_object_get(in, "epoch"));
		p.n = (uint32_t)json_integer_value(json_object_get(in, "n"));
		hex_field(p.seed, 32, in, "seed");
		hex_field(p.secret, 32, in, "secret");
		hex_field(p.auditor, 20, in, "auditor");
		p.min_per_node = (uint32_t)json_integer_value(json_object_get(pp, "min_per_node"));
		p.per_shard = (uint32_t)json_integer_value(json_object_get(pp, "per_shard"));
		p.batch_size = (uint32_t)json_integer_value(json_object_get(pp, "batch_size"));
		p.window_ms = (uint64_t)json_integer_value(json_object_get(pp, "window_ms"));

		json_t *jc = json_object_get(in, "committee");
		size_t nn = json_array_size(jc);
		struct audit_schedule_node *nodes = calloc(nn + 1, sizeof(*nodes));
		uint16_t(*shards)[64] = calloc(nn + 1, sizeof(*shards));
		for (size_t i = 0; i < nn; i++) {
			json_t *nd = json_array_get(jc, i);
			hex_field(nodes[i].id, 20, nd, "node_id");
			json_t *sh = json_object_get(nd, "shards");
			for (size_t k = 0; k < json_array_size(sh); k++)
				shards[i][k] = (uint16_t)json_integer_value(json_array_get(sh, k));
			nodes[i].shards = shards[i];
			nodes[i].nshards = json_array_size(sh);
		}
		json_t *jb = json_object_get(in, "blobs");
		size_t nb = json_array_size(jb);
		struct audit_schedule_blob *blobs = calloc(nb + 1, sizeof(*blobs));
		for (size_t i = 0; i < nb; i++) {
			json_t *b = json_array_get(jb, i);
			hex_field(blobs[i].id, 32, b, "blob_id");
			blobs[i].unencoded_length =
				(uint64_t)json_integer_value(json_object_get(b, "unencoded_length"));
		}

		struct audit_schedule s;
		struct err e = {{0}};
		ck_assert_msg(audit_schedule_build(&p, nodes, nn, blobs, nb, &s, &e), "%s", e.msg);
		json_t *want = json_object_get(c, "challenges");
		ck_assert_uint_eq(s.nchallenges, json_array_size(want));
		for (size_t k = 0; k < s.nchallenges; k++) {
			json_t *w = json_array_get(want, k);
			const struct audit_challenge *ch = &s.challenges[k];
			ck_assert_uint_eq(ch->seq, (uint64_t)json_integer_value(json_object_get(w, "seq")));
			ck_assert_uint_eq(ch->node, (uint64_t)json_integer_value(json_object_get(w, "node")));
			ck_assert_uint_eq(ch->shard, (uint64_t)json_integer_value(json_object_get(w, "shard")));
			ck_assert_uint_eq(ch->pair, (uint64_t)json_integer_value(json_object_get(w, "pair")));
			ck_assert_uint_eq(ch->batch, (uint64_t)json_integer_value(json_object_get(w, "batch")));
			uint8_t bid[32];
			hex_field(bid, 32, w, "blob");
			ck_assert_mem_eq(blobs[ch->blob].id, bid, 32);
			ck_assert_str_eq(audit_proof_axis_name(ch->axis),
					 json_string_value(json_object_get(w, "axis")));
			char sym[AUDIT_SYMBOL_ID_TEXT_MAX];
			audit_symbol_id_text(sym, ch->symbol);
			ck_assert_str_eq(sym, json_string_value(json_object_get(w, "symbol")));
			checked++;
		}
		/* The lazy schedule derives the same challenges one at a time, and the same
		 * batches, without holding the array. */
		struct audit_schedule lz;
		ck_assert_msg(audit_schedule_build_lazy(&p, nodes, nn, blobs, nb, &lz, &e), "%s", e.msg);
		ck_assert_ptr_null(lz.challenges);
		ck_assert_uint_eq(lz.nchallenges, s.nchallenges);
		ck_assert_uint_eq(lz.nbatches, s.nbatches);
		ck_assert_mem_eq(lz.batches, s.batches, s.nbatches * sizeof(*s.batches));
		for (size_t k = 0; k < s.nchallenges; k++) {
			struct audit_challenge got;
			memset(&got, 0, sizeof(got));
			audit_schedule_challenge(&lz, k, &got);
			ck_assert_mem_eq(&got, &s.challenges[k], sizeof(got));
			ck_assert_uint_eq(audit_schedule_node_of(&lz, k), s.challenges[k].node);
		}
		/* ... and many at once, in any order (the PRF in vector lanes). */
		uint64_t *seqs = xmalloc((s.nchallenges + 1) * sizeof(*seqs));
		struct audit_challenge *many = xcalloc(s.nchallenges + 1, sizeof(*many));
		for (size_t k = 0; k < s.nchallenges; k++)
			seqs[k] = s.nchallenges - 1 - k;
		audit_schedule_challenges(&lz, seqs, s.nchallenges, many);
		for (size_t k = 0; k < s.nchallenges; k++)
			ck_assert_mem_eq(&many[k], &s.challenges[seqs[k]], sizeof(*many));
		free(many);
		free(seqs);
		audit_schedule_free(&lz);
		/* Batches: the same set, in issue order. */
		json_t *wb = json_object_get(c, "batches");
		ck_assert_uint_eq(s.nbatches, json_array_size(wb));
		for (size_t k = 0; k < s.nbatches; k++) {
			const struct audit_batch *bt = &s.batches[k];
			bool found = false;
			for (size_t q = 0; q < json_array_size(wb); q++) {
				json_t *w = json_array_get(wb, q);
				if ((uint64_t)json_integer_value(json_object_get(w, "node")) == bt->node &&
				    (uint64_t)json_integer_value(json_object_get(w, "batch")) == bt->batch) {
					ck_assert_uint_eq(bt->at_ms,
							  (uint64_t)json_integer_value(json_object_get(w, "at_ms")));
					found = true;
				}
			}
			ck_assert(found);
			if (k)
				ck_assert(s.batches[k - 1].at_ms <= bt->at_ms);
		}
		audit_schedule_free(&s);
		free(blobs);
		free(shards);
		free(nodes);
	}
	ck_assert_int_gt(checked, 100);
	json_decref(root);
}
END_TEST

/* Sampling by bytes: a blob with 9x the bytes of the others draws about 9x the challenges;
 * every shard is covered; counts follow max(min_per_node, per_shard * shards). */
START_TEST(test_weighting_and_coverage)
{
	struct audit_schedule_params p;
	audit_schedule_params_defaults(&p);
	p.n = 10;
	p.epoch = 3;
	p.window_ms = 1000;
	memset(p.seed, 1, 32);
	memset(p.secret, 2, 32);
	static const uint16_t a[] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
	static const uint16_t b[] = {9};
	struct audit_schedule_node nodes[2] = {{{1}, a, 9}, {{2}, b, 1}};
	struct audit_schedule_blob blobs[2] = {{{0xaa}, 9u * 100000}, {{0x11}, 100000}};
	p.min_per_node = 5000;
	struct audit_schedule s;
	struct err e = {{0}};
	ck_assert_msg(audit_schedule_build(&p, nodes, 2, blobs, 2, &s, &e), "%s", e.msg);
	ck_assert_uint_eq(s.per_node[0], 5000);
	ck_assert_uint_eq(s.per_node[1], 5000);
	size_t big = 0, covered[10] = {0};
	for (size_t k = 0; k < s.nchallenges; k++) {
		if (s.challenges[k].blob == 0)
			big++;
		covered[s.challenges[k].shard]++;
		ck_assert_uint_lt(s.challenges[k].symbol.primary, 10);
		ck_assert_uint_lt(s.challenges[k].symbol.secondary, 10);
	}
	double share = (double)big / (double)s.nchallenges;
	ck_assert_msg(share > 0.87 && share < 0.93, "big blob share %f", share);
	for (int i = 0; i < 10; i++)
		ck_assert_uint_gt(covered[i], 0);
	audit_schedule_free(&s);

	/* A different secret gives a different schedule. */
	p.min_per_node = 10;
	struct audit_schedule s1, s2;
	ck_assert(audit_schedule_build(&p, nodes, 2, blobs, 2, &s1, &e));
	p.secret[0] ^= 1;
	ck_assert(audit_schedule_build(&p, nodes, 2, blobs, 2, &s2, &e));
	ck_assert_uint_eq(s1.nchallenges, s2.nchallenges);
	size_t same = 0;
	for (size_t k = 0; k < s1.nchallenges; k++)
		same += !memcmp(&s1.challenges[k].symbol, &s2.challenges[k].symbol,
				sizeof(s1.challenges[k].symbol));
	ck_assert_uint_lt(same, s1.nchallenges);
	audit_schedule_free(&s1);
	audit_schedule_free(&s2);
}
END_TEST

/* The request of a challenge (what fraud proof 2 rebuilds): the challenges of its batch
 * with its blob and axis, ascending, in runs of max_ids; the lazy schedule agrees. */
START_TEST(test_request)
{
	struct audit_schedule_params p;
	audit_schedule_params_defaults(&p);
	p.n = 10;
	p.epoch = 4;
	p.window_ms = 1000;
	p.min_per_node = 300;
	p.batch_size = 40;
	memset(p.seed, 3, 32);
	memset(p.secret, 4, 32);
	static const uint16_t a[] = {0, 1, 2, 3, 4};
	static const uint16_t b[] = {5, 6, 7, 8, 9};
	struct audit_schedule_node nodes[2] = {{{1}, a, 5}, {{2}, b, 5}};
	struct audit_schedule_blob blobs[2] = {{{0xaa}, 100000}, {{0x11}, 100000}};
	struct audit_schedule s, lz;
	struct err e = {{0}};
	ck_assert_msg(audit_schedule_build(&p, nodes, 2, blobs, 2, &s, &e), "%s", e.msg);
	ck_assert_msg(audit_schedule_build_lazy(&p, nodes, 2, blobs, 2, &lz, &e), "%s", e.msg);
	struct audit_challenge run[8], run2[8];
	for (size_t max = 1; max <= 8; max += 7)
		for (uint64_t seq = 0; seq < s.nchallenges; seq++) {
			const struct audit_challenge *me = &s.challenges[seq];
			size_t count, pos, count2, pos2;
			audit_schedule_request(&s, seq, max, run, &count, &pos);
			audit_schedule_request(&lz, seq, max, run2, &count2, &pos2);
			ck_assert_uint_eq(count, count2);
			ck_assert_uint_eq(pos, pos2);
			ck_assert(!memcmp(run, run2, count * sizeof(run[0])));
			ck_assert_uint_ge(count, 1);
			ck_assert_uint_le(count, max);
			ck_assert_uint_lt(pos, count);
			ck_assert_uint_eq(run[pos].seq, seq);
			for (size_t t = 0; t < count; t++) {
				ck_assert_uint_eq(run[t].node, me->node);
				ck_assert_uint_eq(run[t].batch, me->batch);
				ck_assert_uint_eq(run[t].blob, me->blob);
				ck_assert_int_eq(run[t].axis, me->axis);
				if (t)
					ck_assert_uint_gt(run[t].seq, run[t - 1].seq);
			}
			/* Every other challenge of the batch with this blob and axis is in one of
			 * the runs: with max 8, the runs before hold 8 each. */
			size_t same = 0, before = 0;
			for (uint64_t q = 0; q < s.nchallenges; q++) {
				const struct audit_challenge *c = &s.challenges[q];
				if (c->node == me->node && c->batch == me->batch && c->blob == me->blob &&
				    c->axis == me->axis) {
					same++;
					before += q < run[0].seq;
				}
			}
			ck_assert_uint_eq(before % max, 0);
			ck_assert_uint_eq(count, same - before < max ? same - before : max);
		}
	audit_schedule_free(&s);
	audit_schedule_free(&lz);
}
END_TEST

START_TEST(test_bad_input)
{
	struct audit_schedule_params p;
	audit_schedule_params_defaults(&p);
	p.n = 4;
	static const uint16_t bad[] = {1, 1};
	static const uint16_t big[] = {4};
	struct audit_schedule_node n1 = {{1}, bad, 2}, n2 = {{1}, big, 1};
	struct audit_schedule_blob blob = {{1}, 10};
	struct audit_schedule s;
	struct err e = {{0}};
	ck_assert(!audit_schedule_build(&p, &n1, 1, &blob, 1, &s, &e));
	ck_assert(!audit_schedule_build(&p, &n2, 1, &blob, 1, &s, &e));
	ck_assert_msg(strstr(e.msg, "only 4 shards") != NULL, "%s", e.msg);
	struct audit_schedule_blob dup[2] = {{{1}, 10}, {{1}, 20}};
	static const uint16_t ok[] = {0};
	struct audit_schedule_node n3 = {{1}, ok, 1};
	ck_assert(!audit_schedule_build(&p, &n3, 1, dup, 2, &s, &e));
	p.batch_size = 0;
	ck_assert(!audit_schedule_build(&p, &n3, 1, &blob, 1, &s, &e));
}
END_TEST

START_TEST(test_detection_power)
{
	/* DESIGN.md: c >= 200 makes a node missing 10% fail to hide with p >= 1 - 1e-9. */
	ck_assert(audit_detection_miss(0.10, AUDIT_SCHEDULE_MIN_PER_NODE) < 1e-9);
	ck_assert(audit_detection_miss(0.10, 150) > 1e-9);
	ck_assert(fabs(audit_detection_miss(0.5, 2) - 0.25) < 1e-12);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_schedule");
	TCase *tc = tcase_create("schedule");
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_weighting_and_coverage);
	tcase_add_test(tc, test_request);
	tcase_add_test(tc, test_bad_input);
	tcase_add_test(tc, test_detection_power);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
