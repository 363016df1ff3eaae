/* test_settle_dispute.c: the watcher's pure parts (settle/dispute.h). A record is scheduled
 * exactly when its seq, node, blob, shard, axis and symbol are the schedule's challenge,
 * lazy schedule or not, and a change to any one field is named; the record proof of an
 * invented record (what Disputes.disputeSchedule takes) verifies against the evidence root
 * of the tree that holds it and not against a tree without it. A blob the strict decoder
 * refuses (a record repeated, out of order, of another epoch or auditor) whose tree as
 * given has the revealed root yields the 1b finding with proofs that verify; an honest blob
 * or one of another root yields none. */
#include <stdlib.h>
#include <string.h>

#include "audit/schedule.h"
#include "core/buf.h"
#include "core/err.h"
#include "settle/chainio.h"
#include "settle/evblob.h"
#include "settle/dispute.h"
#include "settle/evidence.h"
#include "tests/harness/harness.h"

#define NODES 3

static const uint16_t shards0[] = {0, 3, 6, 9}, shards1[] = {1, 4, 7}, shards2[] = {2, 5, 8};
static struct audit_schedule_node nodes[NODES] = {
	{{0x11}, shards0, 4}, {{0x22}, shards1, 3}, {{0x33}, shards2, 3}};
static struct audit_schedule_blob blobs[3] = {
	{{0xaa}, 100000}, {{0x11, 1}, 3000}, {{0x5c, 2}, 70000}};

static void params(struct audit_schedule_params *p)
{
	audit_schedule_params_defaults(p);
	p->epoch = 7;
	p->n = 10;
	p->window_ms = 60000;
	p->min_per_node = 20;
	memset(p->seed, 3, 32);
	memset(p->secret, 4, 32);
	memset(p->auditor, 0xa5, 20);
}

/* The record an honest auditor keeps of challenge ch. */
static void record_of(const struct audit_challenge *ch, const struct audit_schedule_params *p,
		      struct settle_record *r)
{
	memset(r, 0, sizeof(*r));
	r->epoch = p->epoch;
	memcpy(r->auditor, p->auditor, 20);
	r->seq = ch->seq;
	memcpy(r->node, nodes[ch->node].id, 20);
	memcpy(r->blob, blobs[ch->blob].id, 32);
	r->shard = ch->shard;
	r->row = ch->symbol.primary;
	r->col = ch->symbol.secondary;
	r->axis = ch->axis;
	r->outcome = ch->seq % 5 ? AUDIT_OUTCOME_PASS : AUDIT_OUTCOME_TIMEOUT;
}

START_TEST(test_record_scheduled)
{
	struct audit_schedule_params p;
	struct audit_schedule full, lazy;
	struct err e = {{0}};
	char why[160];
	params(&p);
	ck_assert_msg(audit_schedule_build(&p, nodes, NODES, blobs, 3, &full, &e), "%s", e.msg);
	ck_assert_msg(audit_schedule_build_lazy(&p, nodes, NODES, blobs, 3, &lazy, &e), "%s", e.msg);
	ck_assert_uint_eq(full.nchallenges, 60);
	for (size_t k = 0; k < full.nchallenges; k++) {
		struct settle_record r;
		record_of(&full.challenges[k], &p, &r);
		ck_assert_msg(settle_dispute_record_scheduled(&full, blobs, &r, why, sizeof(why)),
			      "seq %zu: %s", k, why);
		ck_assert_msg(settle_dispute_record_scheduled(&lazy, blobs, &r, why, sizeof(why)),
			      "lazy seq %zu: %s", k, why);
	}
	/* each field changed on its own is named */
	static const char *const fields[] = {"node", "blob", "shard", "axis", "symbol", "symbol"};
	for (size_t f = 0; f < ARRAY_LEN(fields); f++) {
		struct settle_record r;
		record_of(&full.challenges[13], &p, &r);
		switch (f) {
		case 0: memcpy(r.node, nodes[(full.challenges[13].node + 1) % NODES].id, 20); break;
		case 1: r.blob[31] ^= 1; break;
		case 2: r.shard = (uint16_t)((r.shard + 1) % 10); break;
		case 3: r.axis = r.axis == AUDIT_AXIS_PRIMARY ? AUDIT_AXIS_SECONDARY : AUDIT_AXIS_PRIMARY; break;
		case 4: r.row = (uint16_t)((r.row + 1) % 10); break;
		default: r.col = (uint16_t)((r.col + 1) % 10); break;
		}
		ck_assert(!settle_dispute_record_scheduled(&lazy, blobs, &r, why, sizeof(why)));
		ck_assert_msg(strstr(why, fields[f]) && strstr(why, "13"), "field %s: %s", fields[f],
			      why);
	}
	/* a seq past the schedule */
	struct settle_record r;
	record_of(&full.challenges[59], &p, &r);
	r.seq = 60;
	ck_assert(!settle_dispute_record_scheduled(&full, blobs, &r, why, sizeof(why)));
	ck_assert_msg(strstr(why, "60 challenges"), "%s", why);
	/* another secret: another schedule, so the honest records mostly stop matching */
	struct audit_schedule other;
	memset(p.secret, 5, 32);
	ck_assert(audit_schedule_build_lazy(&p, nodes, NODES, blobs, 3, &other, &e));
	size_t still = 0;
	for (size_t k = 0; k < full.nchallenges; k++) {
		struct settle_record q;
		struct audit_schedule_params p0;
		params(&p0);
		record_of(&full.challenges[k], &p0, &q);
		still += settle_dispute_record_scheduled(&other, blobs, &q, why, sizeof(why));
	}
	ck_assert_uint_lt(still, 30);
	audit_schedule_free(&other);
	audit_schedule_free(&full);
	audit_schedule_free(&lazy);
}
END_TEST

START_TEST(test_invented_record_proof)
{
	struct audit_schedule_params p;
	struct audit_schedule s;
	struct err e = {{0}};
	char why[160];
	params(&p);
	ck_assert(audit_schedule_build(&p, nodes, NODES, blobs, 3, &s, &e));
	/* the auditor decided the even seqs and invents seq 7 for node 1 */
	struct settle_record recs[40];
	size_t n = 0, invented = 0;
	for (size_t k = 0; k < 40; k++) {
		if (k % 2 == 0) {
			record_of(&s.challenges[k], &p, &recs[n++]);
		} else if (k == 7) {
			record_of(&s.challenges[k], &p, &recs[n]);
			memcpy(recs[n].node, nodes[1].id, 20);
			memset(recs[n].blob, 0xee, 32);
			recs[n].outcome = AUDIT_OUTCOME_PASS;
			invented = n++;
		}
	}
	uint8_t committee[NODES][20];
	for (int i = 0; i < NODES; i++)
		memcpy(committee[i], nodes[i].id, 20);
	struct settle_evidence *ev = NULL;
	ck_assert_msg(settle_evidence_new(&ev, (const uint8_t(*)[20])committee, NODES, recs, n, &e),
		      "%s", e.msg);
	for (size_t i = 0; i < n; i++)
		ck_assert_uint_eq(settle_dispute_record_scheduled(&s, blobs, &recs[i], why,
								  sizeof(why)),
				  i != invented);
	size_t idx = 0;
	ck_assert(settle_evidence_find(ev, 7, &idx));
	struct settle_evidence_proof pr;
	uint8_t root[32];
	settle_evidence_proof(ev, idx, &pr);
	settle_evidence_root(ev, root);
	ck_assert_uint_eq(pr.index, 1);
	ck_assert(pr.has_record);
	ck_assert_msg(settle_evidence_verify(root, &recs[invented], &pr, &e), "%s", e.msg);
	/* not the proof of another record, nor against the tree without the invented one */
	ck_assert(!settle_evidence_verify(root, &recs[invented - 1], &pr, &e));
	struct settle_evidence *honest = NULL;
	memmove(&recs[invented], &recs[invented + 1], (n - invented - 1) * sizeof(recs[0]));
	ck_assert(settle_evidence_new(&honest, (const uint8_t(*)[20])committee, NODES, recs, n - 1,
				      &e));
	uint8_t honest_root[32];
	settle_evidence_root(honest, honest_root);
	ck_assert(memcmp(root, honest_root, 32));
	struct settle_record inv;
	record_of(&s.challenges[7], &p, &inv);
	memcpy(inv.node, nodes[1].id, 20);
	memset(inv.blob, 0xee, 32);
	inv.outcome = AUDIT_OUTCOME_PASS;
	ck_assert(!settle_evidence_verify(honest_root, &inv, &pr, &e));
	settle_evidence_free(honest);
	settle_evidence_free(ev);
	audit_schedule_free(&s);
}
END_TEST


/* Four records of an epoch-7 auditor over the committee of `nodes`, changed by `lie`:
 * 0 honest, 1 seq 1 repeated, 2 node 1's seqs 5 then 3, 3 a record of epoch 6. Encodes
 * the blob, builds the tree as given and makes rv the reveal of that root. */
static void liar_blob(int lie, struct buf *blob, struct settle_reveal *rv, uint8_t signer[20],
		      uint8_t committee[NODES][20], struct settle_record recs[5], size_t *n)
{
	static const uint64_t seqs[4][5] = {{0, 1, 3, 7}, {0, 1, 1, 7}, {0, 5, 3, 7}, {0, 1, 3, 7}};
	static const int node_of[5] = {0, 1, 1, 2};
	struct err e = {{0}};
	memset(signer, 0xa5, 20);
	for (int i = 0; i < NODES; i++)
		memcpy(committee[i], nodes[i].id, 20);
	*n = 4;
	for (size_t i = 0; i < *n; i++) {
		memset(&recs[i], 0, sizeof(recs[i]));
		recs[i].epoch = lie == 3 && i == 2 ? 6 : 7;
		memcpy(recs[i].auditor, signer, 20);
		recs[i].seq = seqs[lie][i];
		memcpy(recs[i].node, committee[node_of[i]], 20);
		recs[i].outcome = AUDIT_OUTCOME_PASS;
	}
	uint32_t passed[NODES] = {1, 2, 1}, decided[NODES] = {1, 2, 1};
	settle_evblob_encode(blob, 7, signer, (const uint8_t(*)[20])committee, passed, decided,
			     NODES, recs, *n);
	struct settle_evidence *ev = NULL;
	ck_assert_msg(settle_evidence_new_any(&ev, (const uint8_t(*)[20])committee, NODES, recs,
					      *n, &e),
		      "%s", e.msg);
	memset(rv, 0, sizeof(*rv));
	rv->epoch = 7;
	rv->auditor_id = 3;
	settle_evidence_root(ev, rv->evidence_root);
	settle_evidence_free(ev);
}

START_TEST(test_as_built)
{
	static const enum settle_finding_kind want[] = {0, SETTLE_FINDING_ORDER,
							SETTLE_FINDING_ORDER, SETTLE_FINDING_RECORD};
	for (int lie = 0; lie < 4; lie++) {
		struct buf blob = BUF_INIT;
		struct settle_reveal rv;
		uint8_t signer[20], committee[NODES][20];
		struct settle_record recs[5];
		size_t n = 0;
		struct settle_evblob b;
		struct settle_dispute_report r = {0};
		struct err e = {{0}};
		liar_blob(lie, &blob, &rv, signer, committee, recs, &n);
		bool strict = settle_evblob_decode(blob.data, blob.len, &b, &e);
		settle_evblob_clear(&b);
		ck_assert_msg(strict == (lie == 0), "lie %d: strict decode %d", lie, strict);
		ck_assert(settle_evblob_decode_any(blob.data, blob.len, &b, &e));
		ck_assert_uint_eq(b.n, n);
		settle_evblob_clear(&b);
		bool found = settle_dispute_check_as_built(&rv, signer, (const uint8_t(*)[20])committee,
							   NODES, blob.data, blob.len, &r);
		ck_assert_msg(found == (lie != 0) && r.n == (lie != 0), "lie %d: %zu findings", lie,
			      r.n);
		if (lie) {
			const struct settle_finding *f = &r.v[0];
			ck_assert_int_eq(f->kind, want[lie]);
			ck_assert(f->provable && f->fraud);
			ck_assert_msg(settle_evidence_verify(rv.evidence_root, &f->record, &f->proof, &e),
				      "lie %d: %s", lie, e.msg);
			if (f->kind == SETTLE_FINDING_ORDER) {
				ck_assert_uint_eq(f->index, 1);
				ck_assert_msg(settle_evidence_verify(rv.evidence_root, &f->record2,
								     &f->proof2, &e),
					      "lie %d: %s", lie, e.msg);
				ck_assert_uint_lt(f->proof.pos, f->proof2.pos);
				ck_assert_uint_ge(f->record.seq, f->record2.seq);
				ck_assert(strstr(f->what, lie == 1 ? "counted twice" : "out of order"));
			} else {
				ck_assert_uint_eq(f->record.epoch, 6);
				ck_assert_uint_eq(f->index, 1);
			}
		}
		settle_dispute_report_clear(&r);
		/* another root: the tree as given is not what was revealed, nothing provable */
		rv.evidence_root[0] ^= 1;
		ck_assert(!settle_dispute_check_as_built(&rv, signer, (const uint8_t(*)[20])committee,
							 NODES, blob.data, blob.len, &r));
		ck_assert_uint_eq(r.n, 0);
		buf_free(&blob);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("settle_dispute");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_record_scheduled);
	tcase_add_test(tc, test_invented_record_proof);
	tcase_add_test(tc, test_as_built);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
