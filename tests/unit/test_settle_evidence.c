/* test_settle_evidence.c: the evidence tree reproduces tests/vectors/evidence.json (from an
 * independent implementation of settle/EVIDENCE.md); proofs verify and tampering fails. */
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

START_TEST(test_vectors)
{
	const char *src = getenv("ASSAY_SOURCE_DIR");
	char path[1024];
	snprintf(path, sizeof(path), "%s/tests/vectors/evidence.json", src ? src : ".");
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	ck_assert_msg(root, "%s: %s", path, je.text);
	size_t ci;
	json_t *c;
	json_array_foreach(json_object_get(root, "cases"), ci, c) {
		json_t *recs = json_object_get(c, "records");
		size_t n = json_array_size(recs);
		struct settle_record *r = calloc(n + 1, sizeof(*r));
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
		ck_assert_msg(settle_evidence_new(&ev, r, n, &e), "%s", e.msg);
		uint8_t got[32], want[32];
		settle_evidence_root(ev, got);
		hexf(want, 32, json_object_get(c, "root"));
		ck_assert_mem_eq(got, want, 32);
		json_t *proofs = json_object_get(c, "proofs");
		for (size_t i = 0; i < n; i++) {
			uint8_t p[SETTLE_EVIDENCE_MAX_DEPTH][32];
			size_t plen;
			settle_evidence_proof(ev, i, p, &plen);
			json_t *wp = json_object_get(json_array_get(proofs, i), "path");
			ck_assert_uint_eq(plen, json_array_size(wp));
			for (size_t k = 0; k < plen; k++) {
				uint8_t w[32];
				hexf(w, 32, json_array_get(wp, k));
				ck_assert_mem_eq(p[k], w, 32);
			}
			size_t idx;
			ck_assert(settle_evidence_find(ev, r[i].seq, &idx) && idx == i);
			ck_assert_msg(settle_evidence_verify(got, n, i, &r[i], (const uint8_t(*)[32])p,
							     plen, &e), "%s", e.msg);
			/* Tampering with the record, the index or the path fails. */
			struct settle_record bad = r[i];
			bad.outcome = bad.outcome == AUDIT_OUTCOME_PASS ? AUDIT_OUTCOME_TIMEOUT
									: AUDIT_OUTCOME_PASS;
			ck_assert(!settle_evidence_verify(got, n, i, &bad, (const uint8_t(*)[32])p, plen, &e));
			if (n > 1) {
				ck_assert(!settle_evidence_verify(got, n, i ^ 1, &r[i],
								  (const uint8_t(*)[32])p, plen, &e));
				ck_assert(!settle_evidence_verify(got, n, i, &r[i], (const uint8_t(*)[32])p,
								  plen - 1, &e));
				p[0][0] ^= 1;
				ck_assert(!settle_evidence_verify(got, n, i, &r[i],
								  (const uint8_t(*)[32])p, plen, &e));
			}
			ck_assert(!settle_evidence_verify(got, n, n, &r[i], (const uint8_t(*)[32])p, plen, &e));
		}
		size_t idx;
		ck_assert(!settle_evidence_find(ev, 1000000, &idx));
		settle_evidence_free(ev);
		free(r);
	}
	json_decref(root);
}
END_TEST

START_TEST(test_rejects_bad_input)
{
	struct settle_record r[2];
	memset(r, 0, sizeof(r));
	r[0].seq = 5;
	r[1].seq = 5;
	struct settle_evidence *ev = NULL;
	struct err e = {{0}};
	ck_assert(!settle_evidence_new(&ev, r, 2, &e));
	r[1].seq = 6;
	r[1].epoch = 1;
	ck_assert(!settle_evidence_new(&ev, r, 2, &e));
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

static Suite *suite(void)
{
	Suite *s = suite_create("settle_evidence");
	TCase *tc = tcase_create("evidence");
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_rejects_bad_input);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
