/* score.c: decided records and per-node counts (see score.h). */
#include "settle/score.h"

#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "settle/attest.h"
#include "sql/settle.h"

void settle_counts_clear(struct settle_counts *c)
{
	if (!c)
		return;
	free(c->passed);
	free(c->decided);
	memset(c, 0, sizeof(*c));
}

static int cmp_seq_attempt(const void *a, const void *b)
{
	const struct settle_record *x = a, *y = b;
	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	if (x->attempt != y->attempt)
		return x->attempt < y->attempt ? -1 : 1;
	return 0;
}

bool settle_decided_select(const struct settle_record *attempts, size_t n,
			   struct settle_record **out, size_t *nout, struct err *e)
{
	*out = NULL;
	*nout = 0;
	if (n == 0)
		return true;
	struct settle_record *v = xmalloc(n * sizeof(*v));
	memcpy(v, attempts, n * sizeof(*v));
	qsort(v, n, sizeof(*v), cmp_seq_attempt);
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].epoch != v[0].epoch || memcmp(v[i].auditor, v[0].auditor, 20)) {
			err_set(e, "challenge records of several epochs or auditors were mixed (seq %llu)",
				(unsigned long long)v[i].seq);
			free(v);
			return false;
		}
		if (i + 1 < n && v[i + 1].seq == v[i].seq && v[i + 1].attempt == v[i].attempt) {
			err_set(e, "challenge seq %llu has attempt %u twice", (unsigned long long)v[i].seq,
				v[i].attempt);
			free(v);
			return false;
		}
		if (i + 1 < n && v[i + 1].seq == v[i].seq)
			continue; /* a later attempt decides */
		v[k++] = v[i];
	}
	*out = v;
	*nout = k;
	return true;
}

void settle_counts_init(struct settle_counts *c, size_t m)
{
	memset(c, 0, sizeof(*c));
	c->m = m;
	c->passed = xcalloc(m ? m : 1, sizeof(uint32_t));
	c->decided = xcalloc(m ? m : 1, sizeof(uint32_t));
}

bool settle_counts_add(struct settle_counts *c, size_t j, const struct settle_record *r,
		       struct err *e)
{
	ASSAY_ASSERT(j < c->m);
	c->records++;
	if (r->outcome == AUDIT_OUTCOME_AUDITOR_ERROR) {
		c->auditor_errors++;
		return true;
	}
	if (c->decided[j] == UINT32_MAX)
		return err_set(e, "more than 2^32-1 decided challenges for one node");
	c->decided[j]++;
	if (r->outcome == AUDIT_OUTCOME_PASS)
		c->passed[j]++;
	return true;
}

bool settle_score(const struct settle_record *decided, size_t n, const uint8_t (*committee)[20],
		  size_t m, struct settle_counts *out, struct err *e)
{
	settle_counts_init(out, m);
	for (size_t i = 0; i < n; i++) {
		const struct settle_record *r = &decided[i];
		if (i > 0 && r->seq <= decided[i - 1].seq) {
			settle_counts_clear(out);
			return err_set(e, "decided records are not in ascending seq order at seq %llu",
				       (unsigned long long)r->seq);
		}
		size_t j = 0;
		while (j < m && memcmp(committee[j], r->node, 20))
			j++;
		if (j == m) {
			settle_counts_clear(out);
			return err_set(e, "challenge seq %llu names a node that is not in the committee "
					  "of epoch %llu",
				       (unsigned long long)r->seq, (unsigned long long)r->epoch);
		}
		if (!settle_counts_add(out, j, r, e)) {
			settle_counts_clear(out);
			return false;
		}
	}
	return true;
}

/* One attempt as the evidence's record of (epoch, auditor). */
static bool record_from_attempt(uint64_t epoch, const uint8_t auditor[20],
				const struct db_settle_attempt *a, struct settle_record *r,
				struct err *e)
{
	memset(r, 0, sizeof(*r));
	r->epoch = epoch;
	memcpy(r->auditor, auditor, 20);
	r->seq = a->seq;
	if (a->attempt > 255 || a->shard > 65535 || a->row > 65535 || a->col > 65535)
		return err_set(e, "challenge seq %llu has a field out of range for evidence",
			       (unsigned long long)a->seq);
	r->attempt = (uint8_t)a->attempt;
	memcpy(r->node, a->node, 20);
	memcpy(r->blob, a->blob, 32);
	r->shard = (uint16_t)a->shard;
	r->row = (uint16_t)a->row;
	r->col = (uint16_t)a->col;
	r->axis = a->secondary ? AUDIT_AXIS_SECONDARY : AUDIT_AXIS_PRIMARY;
	if (!audit_outcome_parse(a->outcome, &r->outcome))
		return err_set(e, "challenge seq %llu has an unknown outcome",
			       (unsigned long long)a->seq);
	r->latency_ms = a->latency_ms;
	if (a->has_hash)
		memcpy(r->response_hash, a->response_hash, 32);
	return true;
}

/* settle_records_each's reader: rows come by seq then attempt, so the decided record of a
 * seq is the last row of it (settle_decided_select's rule): one record waits until the
 * next seq shows it was the last. */
struct decided_each {
	uint64_t epoch;
	const uint8_t *auditor;
	bool (*fn)(void *ctx, const struct settle_record *r, struct err *e);
	void *ctx;
	bool waiting;
	struct settle_record r;
};

static bool decided_row(void *ctx, const struct db_settle_attempt *a, struct err *e)
{
	struct decided_each *d = ctx;
	struct settle_record r;
	if (!record_from_attempt(d->epoch, d->auditor, a, &r, e))
		return false;
	if (d->waiting && d->r.seq == r.seq) {
		if (d->r.attempt == r.attempt)
			return err_set(e, "challenge seq %llu has attempt %u twice",
				       (unsigned long long)r.seq, r.attempt);
		d->r = r; /* a later attempt decides */
		return true;
	}
	if (d->waiting && !d->fn(d->ctx, &d->r, e))
		return false;
	d->r = r;
	d->waiting = true;
	return true;
}

bool settle_records_each(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			 bool (*fn)(void *ctx, const struct settle_record *r, struct err *e),
			 void *ctx, struct err *e)
{
	struct decided_each d = {.epoch = epoch, .auditor = auditor, .fn = fn, .ctx = ctx};
	return db_settle_attempts_each(db, epoch, auditor, decided_row, &d, e) &&
	       (!d.waiting || fn(ctx, &d.r, e));
}

struct decided_load {
	struct settle_record *v;
	size_t n, cap;
};

static bool decided_push(void *ctx, const struct settle_record *r, struct err *e)
{
	struct decided_load *l = ctx;
	(void)e;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap + l->cap / 2 : 4096;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = *r;
	return true;
}

bool settle_records_load(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			 struct settle_record **out, size_t *n, struct err *e)
{
	struct decided_load l = {0};
	*out = NULL;
	*n = 0;
	if (!settle_records_each(db, epoch, auditor, decided_push, &l, e)) {
		free(l.v);
		return false;
	}
	if (l.n == 0) {
		free(l.v);
		return true;
	}
	*out = l.v;
	*n = l.n;
	return true;
}

bool settle_records_from_attempts(uint64_t epoch, const uint8_t auditor[20],
				  const struct db_settle_attempt *rows, size_t nrows,
				  struct settle_record **out, size_t *n, struct err *e)
{
	struct settle_record *recs = NULL;
	bool ok = false;
	*out = NULL;
	*n = 0;
	recs = xcalloc(nrows ? nrows : 1, sizeof(*recs));
	for (size_t i = 0; i < nrows; i++)
		if (!record_from_attempt(epoch, auditor, &rows[i], &recs[i], e))
			goto out;
	ok = settle_decided_select(recs, nrows, out, n, e);
out:
	free(recs);
	return ok;
}

bool settle_evidence_load(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			  struct settle_evidence **ev, struct settle_record **recs, size_t *n,
			  struct err *e)
{
	struct db_settle_attestation a;
	uint8_t ch[32];
	bool found = false, ok = false;
	*ev = NULL;
	*recs = NULL;
	*n = 0;
	memset(&a, 0, sizeof(a));
	if (!db_settle_attestation_get(db, epoch, auditor, "local", &a, &found, e))
		return false;
	if (!found) {
		ok = true;
		goto out;
	}
	settle_committee_hash((const uint8_t(*)[20])a.nodes, a.m, ch);
	if (memcmp(ch, a.committee_hash, 32)) {
		err_set(e, "the committee order stored with epoch %llu's attestation does not hash to "
			   "its committeeHash (scored before positions were kept?)",
			(unsigned long long)epoch);
		goto out;
	}
	if (!settle_records_load(db, epoch, auditor, recs, n, e) ||
	    !settle_evidence_new(ev, (const uint8_t(*)[20])a.nodes, a.m, *recs, *n, e))
		goto out;
	ok = true;
out:
	if (!ok) {
		free(*recs);
		*recs = NULL;
		*n = 0;
	}
	db_settle_attestation_clear(&a);
	return ok;
}
