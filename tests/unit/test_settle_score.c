/* test_settle_score.c: decided records (last attempt of each seq) and per-node counts
 * from hand-made records: auditor_error is not counted as decided, retries decide by
 * their last attempt, nodes outside the committee and records out of order are refused;
 * the evidence tree is built over exactly the decided records. */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "settle/evidence.h"
#include "settle/score.h"
#include "tests/harness/harness.h"

static struct settle_record rec(uint64_t seq, uint8_t attempt, uint8_t node,
				enum audit_outcome o)
{
	struct settle_record r;
	memset(&r, 0, sizeof(r));
	r.epoch = 9;
	memset(r.auditor, 0xaa, 20);
	r.seq = seq;
	r.attempt = attempt;
	memset(r.node, node, 20);
	memset(r.blob, (int)seq, 32);
	r.shard = node;
	r.outcome = o;
	r.latency_ms = 10;
	return r;
}

START_TEST(test_counts)
{
	/* committee: nodes 1, 2, 3 (3 never challenged) */
	uint8_t committee[3][20];
	memset(committee[0], 1, 20);
	memset(committee[1], 2, 20);
	memset(committee[2], 3, 20);
	struct settle_record att[] = {
		rec(4, 0, 2, AUDIT_OUTCOME_NOT_FOUND),
		rec(0, 0, 1, AUDIT_OUTCOME_PASS),
		rec(1, 0, 1, AUDIT_OUTCOME_TIMEOUT),     /* retried: passes later */
		rec(1, 1, 1, AUDIT_OUTCOME_UNREACHABLE),
		rec(1, 2, 1, AUDIT_OUTCOME_PASS),
		rec(2, 0, 1, AUDIT_OUTCOME_AUDITOR_ERROR), /* not the node's fault */
		rec(3, 0, 2, AUDIT_OUTCOME_TIMEOUT),       /* stays a failure */
		rec(3, 1, 2, AUDIT_OUTCOME_TIMEOUT),
		rec(5, 1, 2, AUDIT_OUTCOME_PASS),
		rec(5, 0, 2, AUDIT_OUTCOME_INVALID_PROOF), /* attempt 1 decides, order given */
	};
	struct settle_record *dec = NULL;
	size_t n = 0;
	struct err e = {{0}};
	ck_assert_msg(settle_decided_select(att, ARRAY_LEN(att), &dec, &n, &e), "%s", e.msg);
	ck_assert_uint_eq(n, 6);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(dec[i].seq, i);
	ck_assert_uint_eq(dec[1].attempt, 2);
	ck_assert_uint_eq(dec[5].attempt, 1);

	struct settle_counts c;
	ck_assert_msg(settle_score(dec, n, (const uint8_t(*)[20])committee, 3, &c, &e), "%s", e.msg);
	ck_assert_uint_eq(c.m, 3);
	ck_assert_uint_eq(c.passed[0], 2);
	ck_assert_uint_eq(c.decided[0], 2); /* seq 0, 1; seq 2 was the auditor's error */
	ck_assert_uint_eq(c.passed[1], 1);
	ck_assert_uint_eq(c.decided[1], 3); /* seq 3, 4, 5 */
	ck_assert_uint_eq(c.passed[2], 0);
	ck_assert_uint_eq(c.decided[2], 0);
	ck_assert_uint_eq(c.records, 6);
	ck_assert_uint_eq(c.auditor_errors, 1);

	/* evidence over the decided records: seq 1 proves attempt 2, and each node's subtree
	 * total is its counts */
	struct settle_evidence *ev = NULL;
	ck_assert_msg(settle_evidence_new(&ev, (const uint8_t(*)[20])committee, 3, dec, n, &e), "%s",
		      e.msg);
	ck_assert_uint_eq(settle_evidence_count(ev), 6);
	size_t idx;
	ck_assert(settle_evidence_find(ev, 1, &idx));
	uint8_t root[32];
	struct settle_evidence_proof pr;
	settle_evidence_root(ev, root);
	settle_evidence_proof(ev, idx, &pr);
	ck_assert_msg(settle_evidence_verify(root, &dec[1], &pr, &e), "%s", e.msg);
	struct settle_record first = att[2]; /* attempt 0 of seq 1 is not what was decided */
	ck_assert(!settle_evidence_verify(root, &first, &pr, &e));
	for (size_t i = 0; i < 3; i++) {
		settle_evidence_total_proof(ev, i, &pr);
		ck_assert_msg(settle_evidence_verify_total(root, &pr, &e), "%s", e.msg);
		ck_assert_uint_eq(pr.sub.passed, c.passed[i]);
		ck_assert_uint_eq(pr.sub.decided, c.decided[i]);
	}
	settle_evidence_free(ev);
	settle_counts_clear(&c);

	/* a node outside the committee is refused */
	ck_assert(!settle_score(dec, n, (const uint8_t(*)[20])committee, 1, &c, &e));
	ck_assert(strstr(e.msg, "not in the committee") != NULL);
	/* out of order is refused */
	struct settle_record swapped[2] = {dec[1], dec[0]};
	ck_assert(!settle_score(swapped, 2, (const uint8_t(*)[20])committee, 3, &c, &e));
	free(dec);

	/* duplicates and mixed epochs are refused; nothing is fine */
	struct settle_record dup[2] = {rec(1, 0, 1, AUDIT_OUTCOME_PASS), rec(1, 0, 1, AUDIT_OUTCOME_PASS)};
	ck_assert(!settle_decided_select(dup, 2, &dec, &n, &e));
	dup[1].attempt = 1;
	dup[1].epoch = 10;
	ck_assert(!settle_decided_select(dup, 2, &dec, &n, &e));
	ck_assert(settle_decided_select(NULL, 0, &dec, &n, &e));
	ck_assert_uint_eq(n, 0);
	ck_assert(settle_score(NULL, 0, (const uint8_t(*)[20])committee, 3, &c, &e));
	ck_assert_uint_eq(c.decided[0], 0);
	settle_counts_clear(&c);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("settle_score");
	TCase *tc = tcase_create("score");
	tcase_add_test(tc, test_counts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
