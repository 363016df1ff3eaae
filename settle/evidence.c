/* evidence.c: settle/EVIDENCE.md (tree version 2) in C; tests/vectors/evidence.json (an
 * independent implementation's output) is the referee, and chain/contracts/src/EvidenceTree.sol
 * the verifier it must agree with. */
#include "settle/evidence.h"

#include <stdlib.h>
#include <string.h>

#include "chain/keccak.h"
#include "core/encoding.h"
#include "core/err.h"

static const char TAG[] = "assay.evidence.v2"; /* 17 bytes, no NUL */

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

bool settle_record_hash_missing(const struct settle_record *r)
{
	static const uint8_t zero[32];
	return audit_outcome_on_body(r->outcome) && !memcmp(r->response_hash, zero, 32);
}

void settle_record_leaf(const struct settle_record *r, struct settle_sum *out)
{
	uint8_t buf[1 + SETTLE_EVIDENCE_RECORD_LEN];
	buf[0] = 0x00;
	settle_record_encode(r, buf + 1);
	chain_keccak256(out->h, buf, sizeof(buf));
	out->passed = r->outcome == AUDIT_OUTCOME_PASS;
	out->decided = r->outcome != AUDIT_OUTCOME_AUDITOR_ERROR;
}

/* h ‖ u32be passed ‖ u32be decided: a sum node as its parent hashes it. */
static uint8_t *put_sum(uint8_t *p, const struct settle_sum *s)
{
	memcpy(p, s->h, 32);
	p = put_be(p + 32, s->passed, 4);
	return put_be(p, s->decided, 4);
}

/* The totals add modulo 2^32 as EvidenceTree.combine's uint32 conversion does; an honest
 * tree never wraps (fewer than 2^32 records). */
static void combine(struct settle_sum *out, const struct settle_sum *l, const struct settle_sum *r)
{
	uint8_t buf[1 + 40 + 40];
	buf[0] = 0x01;
	put_sum(put_sum(buf + 1, l), r);
	chain_keccak256(out->h, buf, sizeof(buf));
	out->passed = l->passed + r->passed;
	out->decided = l->decided + r->decided;
}

static void entry(uint8_t out[32], const uint8_t node[20], const struct settle_sum *sub)
{
	uint8_t buf[1 + 20 + 40];
	buf[0] = 0x02;
	memcpy(buf + 1, node, 20);
	put_sum(buf + 21, sub);
	chain_keccak256(out, buf, sizeof(buf));
}

static void top_inner(uint8_t out[32], const uint8_t l[32], const uint8_t r[32])
{
	uint8_t buf[65];
	buf[0] = 0x03;
	memcpy(buf + 1, l, 32);
	memcpy(buf + 33, r, 32);
	chain_keccak256(out, buf, sizeof(buf));
}

static const struct settle_sum zero_sum;
static const uint8_t zeros[32];

/* One node's sum subtree: levels[0] its leaves (records in ascending seq), each level
 * padded on the right with the zero sum node when odd. */
struct subtree {
	size_t nlevels;
	struct settle_sum **levels;
	size_t *len;
};

struct settle_evidence {
	size_t m, n;
	uint8_t (*committee)[20];
	uint64_t *seqs;    /* record i's seq, ascending */
	size_t *rec_node;  /* record i's committee position */
	size_t *rec_pos;   /* record i's leaf position in that node's subtree */
	struct subtree *subs;
	struct settle_sum *sub_roots; /* per position; the zero sum node when it has no record */
	size_t top_nlevels;
	uint8_t (**top)[32]; /* top[0] = entries in committee order */
	size_t *top_len;
	uint8_t root[32];
};

static unsigned ceil_log2(size_t n)
{
	unsigned d = 0;
	while (d < 64 && ((size_t)1 << d) < n)
		d++;
	return d;
}

static void subtree_build(struct subtree *t, struct settle_sum *leaves, size_t count)
{
	t->nlevels = ceil_log2(count) + 1;
	t->levels = xcalloc(t->nlevels, sizeof(*t->levels));
	t->len = xcalloc(t->nlevels, sizeof(*t->len));
	t->levels[0] = leaves;
	t->len[0] = count;
	for (size_t l = 1; l < t->nlevels; l++) {
		size_t below = t->len[l - 1], cnt = (below + 1) / 2;
		t->levels[l] = xcalloc(cnt, sizeof(struct settle_sum));
		t->len[l] = cnt;
		for (size_t i = 0; i < cnt; i++)
			combine(&t->levels[l][i], &t->levels[l - 1][2 * i],
				2 * i + 1 < below ? &t->levels[l - 1][2 * i + 1] : &zero_sum);
	}
}

bool settle_evidence_node_index(const struct settle_evidence *ev, const uint8_t node[20],
				size_t *index)
{
	for (size_t i = 0; i < ev->m; i++)
		if (!memcmp(ev->committee[i], node, 20)) {
			*index = i;
			return true;
		}
	return false;
}

static bool build(struct settle_evidence **out, const uint8_t (*committee)[20], size_t m,
		  const struct settle_record *records, size_t n, bool strict, struct err *e)
{
	for (size_t i = 1; strict && i < n; i++) {
		if (records[i].seq <= records[i - 1].seq)
			return err_set(e, "evidence records must be in ascending seq order without "
					  "repeats (seq %llu after %llu)",
				       (unsigned long long)records[i].seq,
				       (unsigned long long)records[i - 1].seq);
		if (records[i].epoch != records[0].epoch ||
		    memcmp(records[i].auditor, records[0].auditor, 20) != 0)
			return err_set(e, "evidence records of one tree must share epoch and auditor");
	}
	if (n > UINT32_MAX)
		return err_set(e, "%zu evidence records: the tree's totals hold at most 2^32 - 1", n);
	struct settle_evidence *ev = xcalloc(1, sizeof(*ev));
	ev->m = m;
	ev->n = n;
	ev->committee = xcalloc(m ? m : 1, 20);
	if (m)
		memcpy(ev->committee, committee, m * 20);
	ev->seqs = xcalloc(n ? n : 1, sizeof(*ev->seqs));
	ev->rec_node = xcalloc(n ? n : 1, sizeof(*ev->rec_node));
	ev->rec_pos = xcalloc(n ? n : 1, sizeof(*ev->rec_pos));
	ev->subs = xcalloc(m ? m : 1, sizeof(*ev->subs));
	ev->sub_roots = xcalloc(m ? m : 1, sizeof(*ev->sub_roots));
	size_t *count = xcalloc(m ? m : 1, sizeof(*count));
	/* A node's records go under its first committee position (settle_score counts them
	 * there too). */
	for (size_t i = 0; i < n; i++) {
		ev->seqs[i] = records[i].seq;
		if (!settle_evidence_node_index(ev, records[i].node, &ev->rec_node[i])) {
			free(count);
			settle_evidence_free(ev);
			return err_set(e, "challenge seq %llu names a node that is not in the committee",
				       (unsigned long long)records[i].seq);
		}
		ev->rec_pos[i] = count[ev->rec_node[i]]++;
	}
	struct settle_sum **leaves = xcalloc(m ? m : 1, sizeof(*leaves));
	for (size_t j = 0; j < m; j++)
		leaves[j] = xcalloc(count[j] ? count[j] : 1, sizeof(struct settle_sum));
	for (size_t i = 0; i < n; i++)
		settle_record_leaf(&records[i], &leaves[ev->rec_node[i]][ev->rec_pos[i]]);
	for (size_t j = 0; j < m; j++) {
		subtree_build(&ev->subs[j], leaves[j], count[j]);
		if (count[j])
			ev->sub_roots[j] = ev->subs[j].levels[ev->subs[j].nlevels - 1][0];
	}
	free(leaves);
	free(count);
	ev->top_nlevels = ceil_log2(m) + 1;
	ev->top = xcalloc(ev->top_nlevels, sizeof(*ev->top));
	ev->top_len = xcalloc(ev->top_nlevels, sizeof(*ev->top_len));
	ev->top[0] = xcalloc(m ? m : 1, 32);
	ev->top_len[0] = m;
	for (size_t j = 0; j < m; j++)
		entry(ev->top[0][j], ev->committee[j], &ev->sub_roots[j]);
	for (size_t l = 1; l < ev->top_nlevels; l++) {
		size_t below = ev->top_len[l - 1], cnt = (below + 1) / 2;
		ev->top[l] = xcalloc(cnt, 32);
		ev->top_len[l] = cnt;
		for (size_t i = 0; i < cnt; i++)
			top_inner(ev->top[l][i], ev->top[l - 1][2 * i],
				  2 * i + 1 < below ? ev->top[l - 1][2 * i + 1] : zeros);
	}
	if (m)
		memcpy(ev->root, ev->top[ev->top_nlevels - 1][0], 32);
	*out = ev;
	return true;
}

void settle_evidence_free(struct settle_evidence *ev)
{
	if (!ev)
		return;
	for (size_t j = 0; j < ev->m && ev->subs; j++) {
		for (size_t l = 0; l < ev->subs[j].nlevels; l++)
			free(ev->subs[j].levels[l]);
		free(ev->subs[j].levels);
		free(ev->subs[j].len);
	}
	for (size_t l = 0; l < ev->top_nlevels && ev->top; l++)
		free(ev->top[l]);
	free(ev->top);
	free(ev->top_len);
	free(ev->subs);
	free(ev->sub_roots);
	free(ev->committee);
	free(ev->seqs);
	free(ev->rec_node);
	free(ev->rec_pos);
	free(ev);
}

size_t settle_evidence_count(const struct settle_evidence *ev)
{
	return ev->n;
}

size_t settle_evidence_nodes(const struct settle_evidence *ev)
{
	return ev->m;
}

void settle_evidence_member(const struct settle_evidence *ev, size_t index, uint8_t out[20])
{
	ASSAY_ASSERT(index < ev->m);
	memcpy(out, ev->committee[index], 20);
}

void settle_evidence_root(const struct settle_evidence *ev, uint8_t root[32])
{
	memcpy(root, ev->root, 32);
}

bool settle_evidence_new(struct settle_evidence **out, const uint8_t (*committee)[20], size_t m,
			 const struct settle_record *records, size_t n, struct err *e)
{
	return build(out, committee, m, records, n, true, e);
}

bool settle_evidence_new_any(struct settle_evidence **out, const uint8_t (*committee)[20],
			     size_t m, const struct settle_record *records, size_t n,
			     struct err *e)
{
	return build(out, committee, m, records, n, false, e);
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

void settle_evidence_total_proof(const struct settle_evidence *ev, size_t index,
				 struct settle_evidence_proof *p)
{
	ASSAY_ASSERT(index < ev->m);
	memset(p, 0, sizeof(*p));
	p->index = index;
	p->count = ev->m;
	memcpy(p->node, ev->committee[index], 20);
	p->sub = ev->sub_roots[index];
	for (size_t l = 0; l + 1 < ev->top_nlevels; l++, index >>= 1) {
		size_t sib = index ^ 1;
		memcpy(p->top_path[p->top_len++], sib < ev->top_len[l] ? ev->top[l][sib] : zeros, 32);
	}
}

void settle_evidence_proof(const struct settle_evidence *ev, size_t index,
			   struct settle_evidence_proof *p)
{
	ASSAY_ASSERT(index < ev->n);
	settle_evidence_total_proof(ev, ev->rec_node[index], p);
	const struct subtree *t = &ev->subs[ev->rec_node[index]];
	size_t pos = ev->rec_pos[index];
	p->has_record = true;
	p->pos = pos;
	for (size_t l = 0; l + 1 < t->nlevels; l++, pos >>= 1) {
		size_t sib = pos ^ 1;
		p->sub_path[p->sub_len++] = sib < t->len[l] ? t->levels[l][sib] : zero_sum;
	}
}

bool settle_evidence_verify_total(const uint8_t root[32], const struct settle_evidence_proof *p,
				  struct err *e)
{
	if (p->index >= p->count)
		return err_set(e, "committee position %zu is out of range for %zu nodes", p->index,
			       p->count);
	if (p->top_len != ceil_log2(p->count) || p->top_len > SETTLE_EVIDENCE_MAX_DEPTH)
		return err_set(e, "the top path has %zu steps; a committee of %zu needs %u",
			       p->top_len, p->count, ceil_log2(p->count));
	uint8_t h[32];
	entry(h, p->node, &p->sub);
	for (size_t k = 0; k < p->top_len; k++) {
		if ((p->index >> k) & 1)
			top_inner(h, p->top_path[k], h);
		else
			top_inner(h, h, p->top_path[k]);
	}
	if (memcmp(h, root, 32) != 0)
		return err_set(e, "the node's entry and its proof do not lead to the evidence root");
	return true;
}

bool settle_evidence_verify(const uint8_t root[32], const struct settle_record *r,
			    const struct settle_evidence_proof *p, struct err *e)
{
	if (!p->has_record)
		return err_set(e, "the proof has no subtree path for a record");
	if (memcmp(r->node, p->node, 20))
		return err_set(e, "the record is of another node than the proof's subtree");
	if (p->sub_len > SETTLE_EVIDENCE_MAX_DEPTH || (p->pos >> p->sub_len) != 0)
		return err_set(e, "leaf position %zu does not fit a subtree path of %zu steps",
			       p->pos, p->sub_len);
	struct settle_sum cur;
	settle_record_leaf(r, &cur);
	for (size_t k = 0; k < p->sub_len; k++) {
		struct settle_sum up;
		if ((p->pos >> k) & 1)
			combine(&up, &p->sub_path[k], &cur);
		else
			combine(&up, &cur, &p->sub_path[k]);
		cur = up;
	}
	if (memcmp(cur.h, p->sub.h, 32) || cur.passed != p->sub.passed ||
	    cur.decided != p->sub.decided)
		return err_set(e, "the record and its subtree path do not lead to the node's "
				  "subtree root");
	return settle_evidence_verify_total(root, p, e);
}

/* ---- the root as records come ---- */

#define STREAM_LEVELS 33 /* a subtree of fewer than 2^32 leaves */

/* One node's subtree in the making: pending[l] is a complete level-l sum node waiting for
 * its right sibling, set exactly where bit l of count is. */
struct stream_sub {
	uint64_t count;
	struct settle_sum pending[STREAM_LEVELS];
};

struct settle_evidence_stream {
	size_t m;
	uint8_t (*committee)[20];
	struct stream_sub *subs;
	bool any;
	struct settle_record first; /* its epoch and auditor bind the rest */
	uint64_t last_seq;
};

struct settle_evidence_stream *settle_evidence_stream_new(const uint8_t (*committee)[20],
							  size_t m)
{
	struct settle_evidence_stream *s = xcalloc(1, sizeof(*s));
	s->m = m;
	s->committee = xcalloc(m ? m : 1, 20);
	if (m)
		memcpy(s->committee, committee, m * 20);
	s->subs = xcalloc(m ? m : 1, sizeof(*s->subs));
	return s;
}

void settle_evidence_stream_free(struct settle_evidence_stream *s)
{
	if (!s)
		return;
	free(s->committee);
	free(s->subs);
	free(s);
}

bool settle_evidence_stream_add(struct settle_evidence_stream *s, const struct settle_record *r,
				size_t *index, struct err *e)
{
	if (s->any && r->seq <= s->last_seq)
		return err_set(e, "evidence records must be in ascending seq order without repeats "
				  "(seq %llu after %llu)",
			       (unsigned long long)r->seq, (unsigned long long)s->last_seq);
	if (s->any && (r->epoch != s->first.epoch || memcmp(r->auditor, s->first.auditor, 20)))
		return err_set(e, "evidence records of one tree must share epoch and auditor");
	size_t j = 0;
	while (j < s->m && memcmp(s->committee[j], r->node, 20))
		j++;
	if (j == s->m)
		return err_set(e, "challenge seq %llu names a node that is not in the committee",
			       (unsigned long long)r->seq);
	struct stream_sub *t = &s->subs[j];
	if (t->count == UINT32_MAX)
		return err_set(e, "more than 2^32 - 1 evidence records for one node");
	if (!s->any)
		s->first = *r;
	s->any = true;
	s->last_seq = r->seq;
	struct settle_sum cur;
	settle_record_leaf(r, &cur);
	unsigned l = 0;
	for (; (t->count >> l) & 1; l++) {
		struct settle_sum up;
		combine(&up, &t->pending[l], &cur);
		cur = up;
	}
	t->pending[l] = cur;
	t->count++;
	if (index)
		*index = j;
	return true;
}

/* The subtree's root as subtree_build makes it: every level padded on the right with the
 * zero sum node, so a partial node left over below level l pairs with pending[l] when bit
 * l is set and with the zero sum node when it is not. */
static void stream_sub_root(const struct stream_sub *t, struct settle_sum *out)
{
	if (t->count == 0) {
		*out = zero_sum;
		return;
	}
	unsigned depth = ceil_log2((size_t)t->count);
	bool carry = false;
	struct settle_sum c;
	for (unsigned l = 0; l < depth; l++) {
		struct settle_sum up;
		bool have = (t->count >> l) & 1;
		if (have && carry)
			combine(&up, &t->pending[l], &c);
		else if (have)
			combine(&up, &t->pending[l], &zero_sum);
		else if (carry)
			combine(&up, &c, &zero_sum);
		else
			continue;
		c = up;
		carry = true;
	}
	*out = carry ? c : t->pending[depth];
}

void settle_evidence_stream_root(const struct settle_evidence_stream *s, uint8_t root[32])
{
	size_t m = s->m;
	memset(root, 0, 32);
	if (!m)
		return;
	uint8_t(*level)[32] = xcalloc(m, 32);
	for (size_t j = 0; j < m; j++) {
		struct settle_sum sub;
		stream_sub_root(&s->subs[j], &sub);
		entry(level[j], s->committee[j], &sub);
	}
	for (size_t len = m; len > 1; len = (len + 1) / 2)
		for (size_t i = 0; i < (len + 1) / 2; i++)
			top_inner(level[i], level[2 * i], 2 * i + 1 < len ? level[2 * i + 1] : zeros);
	memcpy(root, level[0], 32);
	free(level);
}

/* ---- JSON ---- */

static json_t *jhex(const uint8_t *b, size_t len)
{
	char *h = hex_encode_0x_new(b, len);
	json_t *j = json_string(h);
	free(h);
	return j;
}

static json_t *sum_json(const struct settle_sum *s)
{
	return json_pack("{s:o,s:I,s:I}", "h", jhex(s->h, 32), "passed", (json_int_t)s->passed,
			 "decided", (json_int_t)s->decided);
}

json_t *settle_evidence_proof_json(const struct settle_evidence_proof *p)
{
	json_t *top = json_array();
	for (size_t k = 0; k < p->top_len; k++)
		json_array_append_new(top, jhex(p->top_path[k], 32));
	json_t *j = json_pack("{s:I,s:I,s:o,s:o,s:o}", "index", (json_int_t)p->index, "count",
			      (json_int_t)p->count, "node", jhex(p->node, 20), "sub",
			      sum_json(&p->sub), "top_path", top);
	if (p->has_record) {
		json_t *sp = json_array();
		for (size_t k = 0; k < p->sub_len; k++)
			json_array_append_new(sp, sum_json(&p->sub_path[k]));
		json_object_set_new(j, "pos", json_integer((json_int_t)p->pos));
		json_object_set_new(j, "sub_path", sp);
	}
	return j;
}

static bool get_size(const json_t *j, const char *key, size_t *out, struct err *e)
{
	json_t *v = json_object_get(j, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0)
		return err_set(e, "the proof's %s is not a non-negative integer", key);
	*out = (size_t)json_integer_value(v);
	return true;
}

static bool sum_parse(const json_t *j, struct settle_sum *s, const char *what, struct err *e)
{
	json_t *p = json_object_get(j, "passed"), *d = json_object_get(j, "decided");
	if (!json_is_object(j) || !json_is_integer(p) || !json_is_integer(d) ||
	    json_integer_value(p) < 0 || json_integer_value(p) > UINT32_MAX ||
	    json_integer_value(d) < 0 || json_integer_value(d) > UINT32_MAX)
		return err_set(e, "%s is not {h, passed, decided} with u32 totals", what);
	s->passed = (uint32_t)json_integer_value(p);
	s->decided = (uint32_t)json_integer_value(d);
	const char *h = json_string_value(json_object_get(j, "h"));
	if (!h || !hex_decode_exact(s->h, 32, h, e))
		return err_set(e, "%s's h is not 32 bytes of hex", what);
	return true;
}

bool settle_evidence_proof_parse(const json_t *j, struct settle_evidence_proof *p, struct err *e)
{
	memset(p, 0, sizeof(*p));
	if (!json_is_object(j))
		return err_set(e, "the proof is not a JSON object");
	const char *node = json_string_value(json_object_get(j, "node"));
	json_t *top = json_object_get(j, "top_path");
	if (!get_size(j, "index", &p->index, e) || !get_size(j, "count", &p->count, e))
		return false;
	if (!node || !hex_decode_exact(p->node, 20, node, e))
		return err_set(e, "the proof's node is not an address");
	if (!sum_parse(json_object_get(j, "sub"), &p->sub, "the proof's sub", e))
		return false;
	if (!json_is_array(top) || json_array_size(top) > SETTLE_EVIDENCE_MAX_DEPTH)
		return err_set(e, "the proof's top_path is not an array of at most %u hashes",
			       SETTLE_EVIDENCE_MAX_DEPTH);
	p->top_len = json_array_size(top);
	for (size_t k = 0; k < p->top_len; k++) {
		const char *h = json_string_value(json_array_get(top, k));
		if (!h || !hex_decode_exact(p->top_path[k], 32, h, e))
			return err_set(e, "top_path step %zu is not 32 bytes of hex", k);
	}
	json_t *sp = json_object_get(j, "sub_path");
	if (!sp)
		return true;
	p->has_record = true;
	if (!get_size(j, "pos", &p->pos, e))
		return false;
	if (!json_is_array(sp) || json_array_size(sp) > SETTLE_EVIDENCE_MAX_DEPTH)
		return err_set(e, "the proof's sub_path is not an array of at most %u sum nodes",
			       SETTLE_EVIDENCE_MAX_DEPTH);
	p->sub_len = json_array_size(sp);
	for (size_t k = 0; k < p->sub_len; k++)
		if (!sum_parse(json_array_get(sp, k), &p->sub_path[k], "a sub_path step", e))
			return false;
	return true;
}
