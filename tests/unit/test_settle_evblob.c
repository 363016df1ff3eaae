/* test_settle_evblob.c: the evidence blob (settle/EVIDENCE.md, "The evidence blob"): the
 * encoding has the documented layout, decodes back to what was encoded and rebuilds the
 * same evidence root, and the decoder refuses every malformed variant. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"
#include "settle/evblob.h"
#include "settle/evidence.h"
#include "tests/harness/harness.h"

#define M 3
#define N 5

static uint8_t committee[M][20];
static uint8_t auditor[20];
static struct settle_record recs[N];
static uint32_t passed[M], decided[M];

static void setup_records(void)
{
	memset(committee, 0, sizeof(committee));
	for (int i = 0; i < M; i++)
		committee[i][19] = (uint8_t)(0x10 + i);
	memset(auditor, 0xa5, sizeof(auditor));
	memset(passed, 0, sizeof(passed));
	memset(decided, 0, sizeof(decided));
	for (int i = 0; i < N; i++) {
		struct settle_record *r = &recs[i];
		memset(r, 0, sizeof(*r));
		r->epoch = 9;
		memcpy(r->auditor, auditor, 20);
		r->seq = (uint64_t)(3 * i + 1);
		memcpy(r->node, committee[i % M], 20);
		memset(r->blob, i, 32);
		r->shard = (uint16_t)i;
		r->outcome = i == 3 ? AUDIT_OUTCOME_INVALID_PROOF : AUDIT_OUTCOME_PASS;
		decided[i % M]++;
		passed[i % M] += r->outcome == AUDIT_OUTCOME_PASS;
	}
}

static void encode(struct buf *b)
{
	settle_evblob_encode(b, 9, auditor, (const uint8_t(*)[20])committee, passed, decided, M,
			     recs, N);
}

START_TEST(test_roundtrip)
{
	setup_records();
	struct buf b = BUF_INIT;
	struct err e = {{0}};
	encode(&b);
	ck_assert_uint_eq(b.len, 22 + 8 + 20 + 1 + 4 + 28 * M + 4 + 150 * N);
	ck_assert(!memcmp(b.data, "assay.evidence-blob.v1", 22));
	ck_assert_uint_eq(b.data[22 + 8 + 20], 2); /* tree version */
	struct settle_evblob d;
	ck_assert_msg(settle_evblob_decode(b.data, b.len, &d, &e), "%s", e.msg);
	ck_assert_uint_eq(d.epoch, 9);
	ck_assert(!memcmp(d.auditor, auditor, 20));
	ck_assert_uint_eq(d.m, M);
	ck_assert_uint_eq(d.n, N);
	ck_assert(!memcmp(d.committee, committee, sizeof(committee)));
	ck_assert(!memcmp(d.passed, passed, sizeof(passed)));
	ck_assert(!memcmp(d.decided, decided, sizeof(decided)));
	/* the tree from the blob is the tree from the records */
	struct settle_evidence *a = NULL, *c = NULL;
	uint8_t ra[32], rc[32];
	ck_assert(settle_evidence_new(&a, (const uint8_t(*)[20])committee, M, recs, N, &e));
	ck_assert(settle_evidence_new(&c, (const uint8_t(*)[20])d.committee, d.m, d.records, d.n, &e));
	settle_evidence_root(a, ra);
	settle_evidence_root(c, rc);
	ck_assert(!memcmp(ra, rc, 32));
	settle_evidence_free(a);
	settle_evidence_free(c);
	settle_evblob_clear(&d);
	settle_evblob_clear(NULL);
	buf_free(&b);
}
END_TEST

static void refused(const uint8_t *data, size_t len, const char *why)
{
	struct settle_evblob d;
	struct err e = {{0}};
	ck_assert_msg(!settle_evblob_decode(data, len, &d, &e), "accepted: %s", why);
	ck_assert_msg(e.msg[0], "no sentence for: %s", why);
}

START_TEST(test_refuses_malformed)
{
	setup_records();
	struct buf b = BUF_INIT;
	encode(&b);
	uint8_t *x = malloc(b.len + 1);
	memcpy(x, b.data, b.len);
	refused(x, b.len - 1, "truncated");
	x[b.len] = 0;
	refused(x, b.len + 1, "trailing byte");
	x[0] ^= 1;
	refused(x, b.len, "another tag");
	x[0] ^= 1;
	x[22 + 8 + 20] = 1;
	refused(x, b.len, "tree version 1");
	x[22 + 8 + 20] = 2;
	size_t counts = 22 + 8 + 20 + 1 + 4 + 20 * M;
	x[counts + 3] = 0xff; /* passed[0] > decided[0] */
	refused(x, b.len, "more passes than decided");
	memcpy(x, b.data, b.len);
	size_t rec0 = counts + 8 * M + 4;
	x[rec0 + 17 + 7] ^= 1; /* record 0's epoch */
	refused(x, b.len, "a record of another epoch");
	memcpy(x, b.data, b.len);
	memcpy(x + rec0, b.data + rec0 + 150, 150); /* record 1 twice: not ascending */
	refused(x, b.len, "records not in ascending seq");
	memcpy(x, b.data, b.len);
	x[22 + 8 + 20 + 1] = 0xff; /* m far beyond the data */
	refused(x, b.len, "a committee longer than the blob");
	free(x);
	buf_free(&b);
}
END_TEST

/* The file the settle job writes as the records come holds settle_evblob_encode's bytes:
 * the blob stored from it is the one the in-memory encoding would have stored. */
static void file_same_as_encode(size_t m, size_t n)
{
	char dir[] = "/tmp/assay-evblob-XXXXXX";
	ck_assert(mkdtemp(dir));
	char *path = xasprintf("%s/blob", dir);
	struct settle_evblob_file *f = NULL;
	struct err e = {{0}};
	ck_assert_msg(settle_evblob_file_new(path, 9, auditor, (const uint8_t(*)[20])committee, m,
					     &f, &e),
		      "%s", e.msg);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(settle_evblob_file_add(f, &recs[i], &e), "%s", e.msg);
	ck_assert_msg(settle_evblob_file_finish(f, passed, decided, &e), "%s", e.msg);
	settle_evblob_file_free(f);
	struct buf b = BUF_INIT;
	settle_evblob_encode(&b, 9, auditor, (const uint8_t(*)[20])committee, passed, decided, m,
			     recs, n);
	uint8_t *data = NULL;
	size_t len = 0;
	ck_assert_msg(read_file(path, 1 << 20, &data, &len, &e), "%s", e.msg);
	ck_assert_uint_eq(len, b.len);
	ck_assert(!memcmp(data, b.data, len));
	/* never an existing file: a run's file is its own from the first byte */
	ck_assert(!settle_evblob_file_new(path, 9, auditor, (const uint8_t(*)[20])committee, m,
					  &f, &e));
	ck_assert(unlink(path) == 0 && rmdir(dir) == 0);
	free(data);
	free(path);
	buf_free(&b);
}

START_TEST(test_file_writer)
{
	setup_records();
	file_same_as_encode(M, N);
	file_same_as_encode(M, 0);
	file_same_as_encode(0, 0);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("settle_evblob");
	TCase *tc = tcase_create("evblob");
	tcase_add_test(tc, test_roundtrip);
	tcase_add_test(tc, test_refuses_malformed);
	tcase_add_test(tc, test_file_writer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
