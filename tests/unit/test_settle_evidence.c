/* test_settle_evidence.c: the evidence tree (version 2) reproduces tests/vectors/evidence.json
 * (from an independent implementation of settle/EVIDENCE.md): roots, node-total proofs and
 * record proofs; proofs verify, survive their JSON form, and tampering fails. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/encoding.h"
#include "core/err.h"
#include "settle/evidence.h"
#include "tests/harness/harness.h"

static void hexf(uint8_t *out, size_t len, json_t *v)
{
	struct err e = {{0}};
	ck_assert_msg(hex_decode_exact(out, len, json_string_value(v), &e), "%s", e.msg);
}

static void load_record(json_t *j, struct settle_record *r)
{
	memset(r, 0, sizeof(*r));
	r->epoch = (uint64_t)json_integer_value(json_object_get(j, "epoch"));
	hexf(r->auditor, 20, json_object_get(j, "auditor"));
	r->seq = (uint64_t)json_integer_value(json_object_get(j, "seq"));
	r->attempt = (uint8_t)json_integer_value(json_object_get(j, "attempt"));
	hexf(r->node, 20, json_object_get(j, "node"));
	hexf(r->blob, 32, json_object_get(j, "blob"));
	r->shard = (uint16_t)json_integer_value(json_object_get(j, "shard"));
	r->row = (uint16_t)json_integer_value(json_object_get(j, "row"));
	r->col = (uint16_t)json_integer_value(json_object_get(j, "col"));
	r->axis = strcmp(json_string_value(json_object_get(j, "axis")), "primary") ? AUDIT_AXIS_SECONDARY
										 : AUDIT_AXIS_PRIMARY;
	ck_assert(audit_outcome_parse(json_string_value(json_object_get(j, "outcome")), &r->outcome));
	r->latency_ms = (uint32_t)json_integer_value(json_object_get(j, "latency_ms"));
	json_t *rh = json_object_get(j, "response_hash");
	if (json_is_string(rh))
		hexf(r->response_hash, 32, rh);
}

static void load_sum(json_t *j, struct settle_sum *s)
{
	hexf(s->h, 32, json_object_get(j, "h"));
	s->passed = (uint32_t)json_integer_value(json_object_get(j, "passed"));
	s->decided = (uint32_t)json_integer_value(json_object_get(j, "decided"));
}

static void same_sum(const struct settle_sum *got, json_t *want)
{
	struct settle_sum w;
	load_sum(want, &w);
	ck_assert_mem_eq(got->h, w.h, 32);
	ck_assert_uint_eq(got->passed, w.passed);
	ck_assert_uint_eq(got->decided, w.decided);
}

static void same_top_path(const struct settle_evidence_proof *p, json_t *want)
{
	ck_assert_uint_eq(p->top_len, json_array_size(want));
	for (size_t k = 0; k < p->top_len; k++) {
		uint8_t w[32];
		hexf(w, 32, json_array_get(want, k));
		ck_assert_mem_eq(p->top_path[k], w, 32);
	}
}

/* The proof verifies, survives its JSON form, and fails once anything in it is changed. */
static void check_total(const uint8_t root[32], struct settle_evidence_proof *p)
{
	struct err e = {{0}};
	ck_assert_msg(settle_evidence_verify_total(root, p, &e), "%s", e.msg);
	json_t *j = settle_evidence_proof_json(p);
	struct settle_evidence_proof back;
	ck_assert_msg(settle_evidence_proof_parse(j, &back, &e), "%s", e.msg);
	json_decref(j);
	ck_assert_msg(settle_evidence_verify_total(root, &back, &e), "%s", e.msg);
	struct settle_evidence_proof bad = *p;
	bad.sub.passed++; /* a made-up total does not lead to the root */
	ck_assert(!settle_evidence_verify_total(root, &bad, &e));
	bad = *p;
	bad.sub.decided--;
	ck_assert(!settle_evidence_verify_total(root, &bad, &e));
	bad = *p;
	bad.node[19] ^= 1;
	ck_assert(!settle_evidence_verify_total(root, &bad, &e));
	bad = *p;
	bad.index = p->count;
	ck_assert(!settle_evidence_verify_total(root, &bad, &e));
	if (p->count > 1) {
		bad = *p;
		bad.index ^= 1;
		ck_assert(!settle_evidence_verify_total(root, &bad, &e));
		bad = *p;
		bad.top_len--;
		ck_assert(!settle_evidence_verify_total(root, &bad, &e));
		bad = *p;
		bad.top_path[0][0] ^= 1;
		ck_assert(!settle_evidence_verify_total(root, &bad, &e));
	}
}

static void check_record(const uint8_t root[32], const struct settle_record *r,
			 struct settle_evidence_proof *p)
{
	struct err e = {{0}};
	ck_assert_msg(settle_evidence_verify(root, r, p, &e), "%s", e.msg);
	json_t *j = settle_evidence_proof_json(p);
	struct settle_evidence_proof back;
	ck_assert_msg(settle_evidence_proof_parse(j, &back, &e), "%s", e.msg);
	json_decref(j);
	ck_assert_msg(settle_evidence_verify(root, r, &back, &e), "%s", e.msg);
	/* another outcome changes the leaf's hash and its totals */
	struct settle_record other = *r;
	other.outcome = r->outcome == AUDIT_OUTCOME_PASS ? AUDIT_OUTCOME_TIMEOUT : AUDIT_OUTCOME_PASS;
	ck_assert(!settle_evidence_verify(root, &other, p, &e));
	struct settle_evidence_proof bad = *p;
	bad.has_record = false;
	ck_assert(!settle_evidence_verify(root, r, &bad, &e));
	if (p->sub_len > 0) {
		bad = *p;
		bad.pos ^= 1;
		ck_assert(!settle_evidence_verify(root, r, &bad, &e));
		bad = *p;
		bad.sub_path[0].passed ^= 1; /* a sibling's declared total is hashed above it */
		ck_assert(!settle_evidence_verify(root, r, &bad, &e));
		bad = *p;
		bad.pos = (size_t)1 << p->sub_len;
		ck_assert(!settle_evidence_verify(root, r, &bad, &e));
	}
}

START_TEST(test_vectors)
{
	const char *src = getenv("ASSAY_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/vectors/evidence.json", src ? src : ".");
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	ck_assert_msg(root, "%s: %s", path, je.text);
	size_t ci, checked_records = 0, checked_totals = 0;
	json_t *c;
	json_array_foreach(json_object_get(root, "cases"), ci, c) {
		json_t *recs = json_object_get(c, "records"), *jcom = json_object_get(c, "committee");
		size_t n = json_array_size(recs), m = json_array_size(jcom);
		struct settle_record *r = calloc(n + 1, sizeof(*r));
		uint8_t(*committee)[20] = calloc(m + 1, 20);
		for (size_t i = 0; i < m; i++)
			hexf(committee[i], 20, json_array_get(jcom, i));
		for (size_t i = 0; i < n; i++) {
			load_record(json_array_get(recs, i), &r[i]);
			uint8_t enc[SETTLE_EVIDENCE_RECORD_LEN], want[SETTLE_EVIDENCE_RECORD_LEN];
			settle_record_encode(&r[i], enc);
			hexf(want, sizeof(want), json_array_get(json_object_get(c, "record_hex"), i));
			ck_assert_mem_eq(enc, want, sizeof(want));
			struct settle_record back;
			struct err e = {{0}};
			ck_assert_msg(settle_record_decode(enc, sizeof(enc), &back, &e), "%s", e.msg);
			ck_assert_mem_eq(&back, &r[i], sizeof(back));
		}
		struct settle_evidence *ev;
		struct err e = {{0}};
		ck_assert_msg(settle_evidence_new(&ev, (const uint8_t(*)[20])committee, m, r, n, &e),
			      "%s", e.msg);
		ck_assert_uint_eq(settle_evidence_count(ev), n);
		ck_assert_uint_eq(settle_evidence_nodes(ev), m);
		uint8_t got[32], want[32];
		settle_evidence_root(ev, got);
		hexf(want, 32, json_object_get(c, "root"));
		ck_assert_mem_eq(got, want, 32);
		/* the root built as the records come is the referee's too */
		struct settle_evidence_stream *st =
			settle_evidence_stream_new((const uint8_t(*)[20])committee, m);
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(settle_evidence_stream_add(st, &r[i], NULL, &e), "%s", e.msg);
		settle_evidence_stream_root(st, got);
		settle_evidence_stream_free(st);
		ck_assert_mem_eq(got, want, 32);
		json_t *totals = json_object_get(c, "totals");
		ck_assert_uint_eq(json_array_size(totals), m);
		for (size_t i = 0; i < m; i++) {
			json_t *t = json_array_get(totals, i);
			struct settle_evidence_proof p;
			settle_evidence_total_proof(ev, i, &p);
			ck_assert_uint_eq(p.index, i);
			ck_assert_uint_eq(p.count, m);
			ck_assert_mem_eq(p.node, committee[i], 20);
			same_sum(&p.sub, json_object_get(t, "sub"));
			same_top_path(&p, json_object_get(t, "top_path"));
			ck_assert(!p.has_record);
			check_total(got, &p);
			checked_totals++;
		}
		json_t *proofs = json_object_get(c, "proofs");
		ck_assert_uint_eq(json_array_size(proofs), n);
		for (size_t i = 0; i < n; i++) {
			json_t *w = json_array_get(proofs, i);
			struct settle_evidence_proof p;
			settle_evidence_proof(ev, i, &p);
			ck_assert_uint_eq(p.index, (size_t)json_integer_value(json_object_get(w, "index")));
			ck_assert_uint_eq(p.pos, (size_t)json_integer_value(json_object_get(w, "pos")));
			same_top_path(&p, json_object_get(w, "top_path"));
			json_t *sp = json_object_get(w, "sub_path");
			ck_assert_uint_eq(p.sub_len, json_array_size(sp));
			for (size_t k = 0; k < p.sub_len; k++)
				same_sum(&p.sub_path[k], json_array_get(sp, k));
			size_t idx;
			ck_assert(settle_evidence_find(ev, r[i].seq, &idx) && idx == i);
			check_record(got, &r[i], &p);
			/* the record does not prove under another node's entry */
			if (m > 1) {
				struct settle_evidence_proof q;
				settle_evidence_total_proof(ev, (p.index + 1) % m, &q);
				q.has_record = true;
				q.pos = p.pos;
				q.sub_len = p.sub_len;
				memcpy(q.sub_path, p.sub_path, sizeof(q.sub_path));
				ck_assert(!settle_evidence_verify(got, &r[i], &q, &e));
			}
			checked_records++;
		}
		size_t idx;
		ck_assert(!settle_evidence_find(ev, 1000000, &idx));
		settle_evidence_free(ev);
		free(committee);
		free(r);
	}
	/* the vectors hold node-total and record proofs (not an empty file that passes) */
	ck_assert_uint_ge(checked_totals, 10);
	ck_assert_uint_ge(checked_records, 40);
	json_decref(root);
}
END_TEST

START_TEST(test_rejects_bad_input)
{
	struct settle_record r[2];
	memset(r, 0, sizeof(r));
	r[0].seq = 5;
	r[1].seq = 5;
	uint8_t committee[1][20] = {{0}};
	struct settle_evidence *ev = NULL;
	struct err e = {{0}};
	ck_assert(!settle_evidence_new(&ev, (const uint8_t(*)[20])committee, 1, r, 2, &e));
	r[1].seq = 6;
	r[1].epoch = 1;
	ck_assert(!settle_evidence_new(&ev, (const uint8_t(*)[20])committee, 1, r, 2, &e));
	r[1].epoch = 0;
	r[1].node[0] = 7; /* not a committee member */
	ck_assert(!settle_evidence_new(&ev, (const uint8_t(*)[20])committee, 1, r, 2, &e));
	ck_assert(strstr(e.msg, "not in the committee") != NULL);
	r[1].node[0] = 0;
	ck_assert_msg(settle_evidence_new(&ev, (const uint8_t(*)[20])committee, 1, r, 2, &e), "%s",
		      e.msg);
	settle_evidence_free(ev);
	uint8_t enc[SETTLE_EVIDENCE_RECORD_LEN];
	r[0].outcome = AUDIT_OUTCOME_PASS;
	settle_record_encode(&r[0], enc);
	struct settle_record back;
	ck_assert(!settle_record_decode(enc, sizeof(enc) - 1, &back, &e));
	enc[SETTLE_EVIDENCE_RECORD_LEN - 37] = 10; /* outcome code out of range */
	ck_assert(!settle_record_decode(enc, sizeof(enc), &back, &e));
	enc[0] = 'X';
	ck_assert(!settle_record_decode(enc, sizeof(enc), &back, &e));
}
END_TEST

/* A verdict on a body without the body's hash is what Disputes._wellFormed refuses
 * (disputeRecord convicts it); any other outcome may go without one. */
START_TEST(test_hash_missing)
{
	struct settle_record r;
	memset(&r, 0, sizeof(r));
	for (int o = 0; o < AUDIT_OUTCOME_COUNT; o++) {
		r.outcome = (enum audit_outcome)o;
		memset(r.response_hash, 0, 32);
		bool verdict = o == AUDIT_OUTCOME_INVALID_PROOF || o == AUDIT_OUTCOME_WRONG_SIZE ||
			       o == AUDIT_OUTCOME_BAD_METADATA || o == AUDIT_OUTCOME_MALFORMED;
		ck_assert_int_eq(settle_record_hash_missing(&r), verdict);
		r.response_hash[31] = 1;
		ck_assert(!settle_record_hash_missing(&r));
	}
}
END_TEST

/* The streamed root is settle_evidence_new's over every subtree shape: empty nodes, one
 * leaf, powers of two and the sizes around them (each level's zero padding), and it refuses
 * what the builder refuses. */
START_TEST(test_stream_root)
{
	static const size_t sizes[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 33, 100, 257};
	static const size_t ms[] = {1, 2, 3, 5, 8};
	uint64_t rng = 0x9e3779b97f4a7c15ull;
	for (size_t a = 0; a < ARRAY_LEN(ms); a++) {
		size_t m = ms[a];
		uint8_t committee[8][20];
		memset(committee, 0, sizeof(committee));
		for (size_t j = 0; j < m; j++)
			committee[j][0] = (uint8_t)(0x40 + j);
		for (size_t b = 0; b < ARRAY_LEN(sizes); b++) {
			size_t n = sizes[b];
			struct settle_record *r = calloc(n + 1, sizeof(*r));
			struct settle_evidence_stream *st =
				settle_evidence_stream_new((const uint8_t(*)[20])committee, m);
			struct err e = {{0}};
			for (size_t i = 0; i < n; i++) {
				rng = rng * 6364136223846793005ull + 1442695040888963407ull;
				r[i].epoch = 4;
				r[i].seq = 2 * i + (rng >> 63);
				/* node 0 takes most records, the last node none when m > 1 */
				size_t j = (rng >> 33) % (m > 1 ? 2 * (m - 1) : 1);
				memcpy(r[i].node, committee[j < m - 1 ? j : 0], 20);
				r[i].outcome = (enum audit_outcome)((rng >> 40) % AUDIT_OUTCOME_COUNT);
				r[i].latency_ms = (uint32_t)i;
				ck_assert_msg(settle_evidence_stream_add(st, &r[i], NULL, &e), "%s", e.msg);
			}
			struct settle_evidence *ev = NULL;
			ck_assert_msg(settle_evidence_new(&ev, (const uint8_t(*)[20])committee, m, r, n,
							  &e),
				      "%s", e.msg);
			uint8_t got[32], want[32];
			settle_evidence_stream_root(st, got);
			settle_evidence_root(ev, want);
			ck_assert_msg(!memcmp(got, want, 32), "m %zu n %zu: another root", m, n);
			if (n) {
				struct settle_record bad = r[n - 1];
				ck_assert(!settle_evidence_stream_add(st, &bad, NULL, &e)); /* repeat */
				bad.seq += 10;
				bad.node[19] = 0xee;
				ck_assert(!settle_evidence_stream_add(st, &bad, NULL, &e)); /* stranger */
				memcpy(bad.node, committee[0], 20);
				bad.epoch = 5;
				ck_assert(!settle_evidence_stream_add(st, &bad, NULL, &e)); /* epoch */
			}
			settle_evidence_stream_free(st);
			settle_evidence_free(ev);
			free(r);
		}
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("settle_evidence");
	TCase *tc = tcase_create("evidence");
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_rejects_bad_input);
	tcase_add_test(tc, test_hash_missing);
	tcase_add_test(tc, test_stream_root);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
