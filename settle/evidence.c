/* evidence.c: settle/EVIDENCE.md in C; tests/vectors/evidence.json (an independent
 * implementation's output) is the referee. */
#include "settle/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "audit/merkle.h"
#include "chain/keccak.h"
#include "core/err.h"

static const char TAG[] = "assay.evidence.v1"; /* 17 bytes, no NUL */

/* The outcome codes of EVIDENCE.md are the audit_outcome values; keep them so. */
_Static_assert(AUDIT_OUTCOME_PASS == 0 && AUDIT_OUTCOME_AUDITOR_ERROR == 9,
	       "evidence outcome codes are fixed by EVIDENCE.md");

static uint8_t *put_be(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = bytes - 1; i >= 0; i--)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

static uint64_t get_be(const uint8_t **p, int bytes)
{
	uint64_t v = 0;
	for (int i = 0; i < bytes; i++)
		v = v << 8 | *(*p)++;
	return v;
}

void settle_record_encode(const struct settle_record *r, uint8_t out[SETTLE_EVIDENCE_RECORD_LEN])
{
	uint8_t *p = out;
	memcpy(p, TAG, sizeof(TAG) - 1);
	p += sizeof(TAG) - 1;
	p = put_be(p, r->epoch, 8);
	memcpy(p, r->auditor, 20);
	p += 20;
	p = put_be(p, r->seq, 8);
	*p++ = r->attempt;
	memcpy(p, r->node, 20);
	p += 20;
	memcpy(p, r->blob, 32);
	p += 32;
	p = put_be(p, r->shard, 2);
	p = put_be(p, r->row, 2);
	p = put_be(p, r->col, 2);
	*p++ = r->axis == AUDIT_AXIS_SECONDARY ? 1 : 0;
	*p++ = (uint8_t)r->outcome;
	p = put_be(p, r->latency_ms, 4);
	memcpy(p, r->response_hash, 32);
	p += 32;
	ASSAY_ASSERT(p - out == SETTLE_EVIDENCE_RECORD_LEN);
}

bool settle_record_decode(const uint8_t *data, size_t len, struct settle_record *r, struct err *e)
{
	if (len != SETTLE_EVIDENCE_RECORD_LEN)
		return err_set(e, "an evidence record is %d bytes, not %zu",
			       SETTLE_EVIDENCE_RECORD_LEN, len);
	if (memcmp(data, TAG, sizeof(TAG) - 1) != 0)
		return err_set(e, "not an evidence record (its tag is not %s)", TAG);
	const uint8_t *p = data + sizeof(TAG) - 1;
	memset(r, 0, sizeof(*r));
	r->epoch = get_be(&p, 8);
	memcpy(r->auditor, p, 20);
	p += 20;
	r->seq = get_be(&p, 8);
	r->attempt = *p++;
	memcpy(r->node, p, 20);
	p += 20;
	memcpy(r->blob, p, 32);
	p += 32;
	r->shard = (uint16_t)get_be(&p, 2);
	r->row = (uint16_t)get_be(&p, 2);
	r->col = (uint16_t)get_be(&p, 2);
	uint8_t axis = *p++, outcome = *p++;
	if (axis > 1)
		return err_set(e, "evidence record has axis %u (0 or 1 expected)", axis);
	if (outcome >= AUDIT_OUTCOME_COUNT)
		return err_set(e, "evidence record has outcome code %u (0..9 expected)", outcome);
	r->axis = axis ? AUDIT_AXIS_SECONDARY : AUDIT_AXIS_PRIMARY;
	r->outcome = (enum audit_outcome)outcome;
	r->latency_ms = (uint32_t)get_be(&p, 4);
	memcpy(r->response_hash, p, 32);
	return true;
}

void settle_record_leaf(const struct settle_record *r, uint8_t out[32])
{
	uint8_t buf[1 + SETTLE_EVIDENCE_RECORD_LEN];
	buf[0] = 0x00;
	settle_record_encode(r, buf + 1);
	chain_keccak256(out, buf, sizeof(buf));
}

static void inner(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
	uint8_t buf[65];
	buf[0] = 0x01;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	chain_keccak256(out, buf, sizeof(buf));
}

struct settle_evidence {
	size_t n;
	uint64_t *seqs;          /* leaf i's seq, ascending */
	size_t nlevels;
	uint8_t (**levels)[32];  /* levels[0] = leaves; each padded to an even count */
	size_t *level_len;       /* unpadded count per level */
};

static const uint8_t zeros[32];

bool settle_evidence_new(struct settle_evidence **out, const struct settle_record *records,
			 size_t n, struct err *e)
{
	for (size_t i = 1; i < n; i++) {
		if (records[i].seq <= records[i - 1].seq)
			return err_set(e, "evidence records must be in ascending seq order without "
					  "repeats (seq %llu after %llu)",
				       (unsigned long long)records[i].seq,
				       (unsigned long long)records[i - 1].seq);
		if (records[i].epoch != records[0].epoch ||
		    memcmp(records[i].auditor, records[0].auditor, 20) != 0)
			return err_set(e, "evidence records of one tree must share epoch and auditor");
	}
	struct settle_evidence *ev = xcalloc(1, sizeof(*ev));
	ev->n = n;
	ev->seqs = xcalloc(n ? n : 1, sizeof(*ev->seqs));
	unsigned depth = audit_merkle_depth(n);
	ev->nlevels = depth + 1;
	ev->levels = xcalloc(ev->nlevels, sizeof(*ev->levels));
	ev->level_len = xcalloc(ev->nlevels, sizeof(*ev->level_len));
	ev->levels[0] = xcalloc(n + 1, 32);
	ev->level_len[0] = n;
	for (size_t i = 0; i < n; i++) {
		ev->seqs[i] = records[i].seq;
		settle_record_leaf(&records[i], ev->levels[0][i]);
	}
	for (size_t l = 1; l < ev->nlevels; l++) {
		size_t below = ev->level_len[l - 1];
		size_t cnt = (below + 1) / 2;
		ev->levels[l] = xcalloc(cnt + 1, 32);
		ev->level_len[l] = cnt;
		for (size_t i = 0; i < cnt; i++) {
			const uint8_t *left = ev->levels[l - 1][2 * i];
			const uint8_t *right = 2 * i + 1 < below ? ev->levels[l - 1][2 * i + 1] : zeros;
			inner(ev->levels[l][i], left, right);
		}
	}
	*out = ev;
	return true;
}

void settle_evidence_free(struct settle_evidence *ev)
{
	if (!ev)
		return;
	for (size_t l = 0; l < ev->nlevels; l++)
		free(ev->levels[l]);
	free(ev->levels);
	free(ev->level_len);
	free(ev->seqs);
	free(ev);
}

size_t settle_evidence_count(const struct settle_evidence *ev)
{
	return ev->n;
}

void settle_evidence_root(const struct settle_evidence *ev, uint8_t root[32])
{
	if (ev->n == 0)
		memset(root, 0, 32);
	else
		memcpy(root, ev->levels[ev->nlevels - 1][0], 32);
}

bool settle_evidence_find(const struct settle_evidence *ev, uint64_t seq, size_t *index)
{
	size_t lo = 0, hi = ev->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ev->seqs[mid] < seq)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < ev->n && ev->seqs[lo] == seq) {
		*index = lo;
		return true;
	}
	return false;
}

void settle_evidence_proof(const struct settle_evidence *ev, size_t index, uint8_t (*path)[32],
			   size_t *path_len)
{
	ASSAY_ASSERT(index < ev->n);
	size_t len = 0;
	for (size_t l = 0; l + 1 < ev->nlevels; l++, index >>= 1) {
		size_t sib = index ^ 1;
		memcpy(path[len++], sib < ev->level_len[l] ? ev->levels[l][sib] : zeros, 32);
	}
	*path_len = len;
}

bool settle_evidence_verify(const uint8_t root[32], size_t count, size_t index,
			    const struct settle_record *r, const uint8_t (*path)[32],
			    size_t path_len, struct err *e)
{
	if (index >= count)
		return err_set(e, "leaf index %zu is out of range for %zu records", index, count);
	if (path_len != audit_merkle_depth(count) || path_len > SETTLE_EVIDENCE_MAX_DEPTH)
		return err_set(e, "the proof has %zu steps; a tree of %zu records needs %u", path_len,
			       count, audit_merkle_depth(count));
	if (path_len < 64 && (index >> path_len) != 0)
		return err_set(e, "leaf index %zu does not fit a path of %zu steps", index, path_len);
	uint8_t h[32];
	settle_record_leaf(r, h);
	for (size_t i = 0; i < path_len; i++) {
		if ((index >> i) & 1)
			inner(h, path[i], h);
		else
			inner(h, h, path[i]);
	}
	if (memcmp(h, root, 32) != 0)
		return err_set(e, "the record and its proof do not lead to the evidence root");
	return true;
}
