/* schedule.c: audit/SCHEDULE.md in C. Keep the two in step; tests/vectors/schedule.json
 * (from an independent implementation) is the referee. */
#include "audit/schedule.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "chain/keccak.h"
#include "core/err.h"

static const char CHALLENGE_TAG[] = "assay.challenge.v1";
static const char BATCH_TAG[] = "assay.batch.v1";

void audit_schedule_params_defaults(struct audit_schedule_params *p)
{
	memset(p, 0, sizeof(*p));
	p->min_per_node = AUDIT_SCHEDULE_MIN_PER_NODE;
	p->per_shard = AUDIT_SCHEDULE_PER_SHARD;
	p->batch_size = AUDIT_SCHEDULE_BATCH_SIZE;
}

static uint64_t be64(const uint8_t *b)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

static void put_be64(uint8_t *b, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
}

/* floor(x * y / 2^64), exact. */
static uint64_t mulhi(uint64_t x, uint64_t y)
{
	return (uint64_t)(((unsigned __int128)x * y) >> 64);
}

/* H(tag ‖ seed ‖ secret ‖ auditor ‖ u64be(epoch) ‖ extra ‖ u64be(k)) */
static void prf(const struct audit_schedule_params *p, const char *tag, const uint8_t *extra,
		size_t extra_len, uint64_t k, uint8_t out[32])
{
	struct chain_keccak h;
	uint8_t num[8];
	chain_keccak_init(&h);
	chain_keccak_update(&h, tag, strlen(tag));
	chain_keccak_update(&h, p->seed, 32);
	chain_keccak_update(&h, p->secret, 32);
	chain_keccak_update(&h, p->auditor, 20);
	put_be64(num, p->epoch);
	chain_keccak_update(&h, num, 8);
	if (extra_len)
		chain_keccak_update(&h, extra, extra_len);
	put_be64(num, k);
	chain_keccak_update(&h, num, 8);
	chain_keccak_final(&h, out);
}

struct sorted_blob {
	const struct audit_schedule_blob *b;
	uint32_t index;
	uint64_t cumulative; /* weight of this and every earlier blob */
	uint32_t rotation;   /* audit_blob_rotation(id, n): 32 divisions, once per blob */
};

static int cmp_blob(const void *a, const void *b)
{
	return memcmp(((const struct sorted_blob *)a)->b->id, ((const struct sorted_blob *)b)->b->id,
		      32);
}

static int cmp_batch(const void *a, const void *b)
{
	const struct audit_batch *x = a, *y = b;
	if (x->at_ms != y->at_ms)
		return x->at_ms < y->at_ms ? -1 : 1;
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	return x->batch < y->batch ? -1 : x->batch > y->batch;
}

/* The first blob whose cumulative weight exceeds t (binary search). */
static const struct sorted_blob *pick_blob(const struct sorted_blob *v, size_t n, uint64_t t)
{
	size_t lo = 0, hi = n - 1;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (v[mid].cumulative > t)
			hi = mid;
		else
			lo = mid + 1;
	}
	return &v[lo];
}

/* The challenge PRF's message for seq (prf with no extra, in one piece): one Keccak block,
 * so many are hashed side by side (chain_keccak256_many). */
#define CHALLENGE_MSG_LEN (sizeof(CHALLENGE_TAG) - 1 + 32 + 32 + 20 + 8 + 8)
_Static_assert(CHALLENGE_MSG_LEN < CHAIN_KECCAK_RATE, "a challenge's PRF input is one block");

static void challenge_msg(const struct audit_schedule_params *p, uint64_t seq,
			  uint8_t m[CHALLENGE_MSG_LEN])
{
	uint8_t *w = m;
	memcpy(w, CHALLENGE_TAG, sizeof(CHALLENGE_TAG) - 1);
	w += sizeof(CHALLENGE_TAG) - 1;
	memcpy(w, p->seed, 32);
	w += 32;
	memcpy(w, p->secret, 32);
	w += 32;
	memcpy(w, p->auditor, 20);
	w += 20;
	put_be64(w, p->epoch);
	put_be64(w + 8, seq);
}

/* Challenge j of node i (seq = its number in the schedule) from its PRF output h, as
 * SCHEDULE.md derives it. */
static void derive_from(const struct audit_schedule *s, size_t i, uint64_t j, uint64_t seq,
			const uint8_t h[32], struct audit_challenge *ch)
{
	const struct audit_schedule_params *p = &s->params;
	const struct audit_schedule_node *nd = &s->nodes[i];
	ch->seq = seq;
	ch->node = (uint32_t)i;
	ch->shard = s->shards[i][j % nd->nshards];
	const struct sorted_blob *b = pick_blob(s->sorted, s->nsorted, mulhi(be64(h), s->total));
	ch->blob = b->index;
	/* audit_pair_of_shard, with the blob's rotation known */
	ch->pair = (uint16_t)(((uint64_t)ch->shard + p->n - b->rotation) % p->n);
	uint16_t target = (uint16_t)mulhi(be64(h + 8), p->n);
	ch->axis = (h[16] & 1) ? AUDIT_AXIS_SECONDARY : AUDIT_AXIS_PRIMARY;
	if (ch->axis == AUDIT_AXIS_PRIMARY) {
		ch->symbol.primary = ch->pair;
		ch->symbol.secondary = target;
	} else {
		ch->symbol.primary = target;
		ch->symbol.secondary = (uint16_t)(p->n - 1 - ch->pair);
	}
	ch->batch = (uint32_t)(j / p->batch_size);
}

static void derive(const struct audit_schedule *s, size_t i, uint64_t j, uint64_t seq,
		   struct audit_challenge *ch)
{
	uint8_t h[32];
	prf(&s->params, CHALLENGE_TAG, NULL, 0, seq, h);
	derive_from(s, i, j, seq, h, ch);
}

/* Challenges seqs[0..n) into out, their PRF hashed in lanes 64 at a time. */
static void derive_many(const struct audit_schedule *s, const uint64_t *seqs, size_t n,
			struct audit_challenge *out)
{
	enum { CHUNK = 64 };
	uint8_t msg[CHUNK][CHALLENGE_MSG_LEN], h[CHUNK][32];
	struct chain_keccak_msg m[CHUNK];
	for (size_t first = 0; first < n; first += CHUNK) {
		size_t cnt = n - first < CHUNK ? n - first : CHUNK;
		for (size_t k = 0; k < cnt; k++) {
			ASSAY_ASSERT(seqs[first + k] < s->nchallenges);
			challenge_msg(&s->params, seqs[first + k], msg[k]);
			m[k] = (struct chain_keccak_msg){msg[k], CHALLENGE_MSG_LEN, h[k]};
		}
		chain_keccak256_many(m, cnt);
		for (size_t k = 0; k < cnt; k++) {
			uint64_t seq = seqs[first + k];
			uint32_t i = audit_schedule_node_of(s, seq);
			derive_from(s, i, seq - s->first_seq[i], seq, h[k], &out[first + k]);
		}
	}
}

static bool build(const struct audit_schedule_params *p, const struct audit_schedule_node *nodes,
		  size_t nnodes, const struct audit_schedule_blob *blobs, size_t nblobs,
		  bool materialize, struct audit_schedule *out, struct err *e)
{
	bool ok = false;
	struct sorted_blob *sb = NULL;
	struct audit_params ap;
	memset(out, 0, sizeof(*out));

	if (!audit_params_init(&ap, p->n, e))
		return false;
	if (!p->batch_size)
		return err_set(e, "the batch size must be at least 1");
	out->params = *p;

	/* Snapshot in blob ID order, with cumulative byte weights. */
	sb = xcalloc(nblobs ? nblobs : 1, sizeof(*sb));
	for (size_t i = 0; i < nblobs; i++) {
		sb[i].b = &blobs[i];
		sb[i].index = (uint32_t)i;
		sb[i].rotation = audit_blob_rotation(blobs[i].id, p->n);
	}
	qsort(sb, nblobs, sizeof(*sb), cmp_blob);
	uint64_t total = 0;
	for (size_t i = 0; i < nblobs; i++) {
		uint16_t ss;
		if (i && !memcmp(sb[i].b->id, sb[i - 1].b->id, 32)) {
			err_set(e, "blob snapshot lists the same blob twice");
			goto out;
		}
		if (!audit_symbol_size(&ap, sb[i].b->unencoded_length, &ss, e))
			goto out;
		total += (uint64_t)(ap.k_primary + ap.k_secondary) * ss;
		sb[i].cumulative = total;
	}
	out->sorted = sb;
	out->nsorted = nblobs;
	out->total = total;
	sb = NULL;

	/* Counts per node, checking the shard lists; the nodes and their shards are copied,
	 * so challenges can be derived later from the schedule alone. */
	out->per_node = xcalloc(nnodes ? nnodes : 1, sizeof(*out->per_node));
	out->first_seq = xcalloc(nnodes + 1, sizeof(*out->first_seq));
	out->nodes = xcalloc(nnodes ? nnodes : 1, sizeof(*out->nodes));
	out->shards = xcalloc(nnodes ? nnodes : 1, sizeof(*out->shards));
	out->nnodes = nnodes;
	size_t nch = 0, nbt = 0;
	for (size_t i = 0; i < nnodes; i++) {
		const struct audit_schedule_node *nd = &nodes[i];
		for (size_t k = 0; k < nd->nshards; k++) {
			if (nd->shards[k] >= p->n) {
				err_set(e, "committee node %zu holds shard %u, but there are only %u shards",
					i, nd->shards[k], p->n);
				goto out;
			}
			if (k && nd->shards[k] <= nd->shards[k - 1]) {
				err_set(e, "committee node %zu: shards must be ascending and distinct", i);
				goto out;
			}
		}
		out->nodes[i] = *nd;
		out->shards[i] = xcalloc(nd->nshards ? nd->nshards : 1, sizeof(uint16_t));
		if (nd->nshards)
			memcpy(out->shards[i], nd->shards, nd->nshards * sizeof(uint16_t));
		out->nodes[i].shards = out->shards[i];
		uint64_t c = 0;
		if (nd->nshards && nblobs) {
			c = (uint64_t)p->per_shard * nd->nshards;
			if (c < p->min_per_node)
				c = p->min_per_node;
		}
		out->per_node[i] = c;
		out->first_seq[i] = nch;
		nch += c;
		nbt += (c + p->batch_size - 1) / p->batch_size;
	}
	out->first_seq[nnodes] = nch;
	out->nchallenges = nch;

	if (materialize) {
		struct audit_challenge *ch = xcalloc(nch ? nch : 1, sizeof(*ch));
		uint64_t seqs[256];
		for (uint64_t q = 0; q < nch; q += 256) {
			size_t cnt = nch - q < 256 ? (size_t)(nch - q) : 256;
			for (size_t k = 0; k < cnt; k++)
				seqs[k] = q + k;
			derive_many(out, seqs, cnt, ch + q);
		}
		out->challenges = ch;
	}
	out->batches = xcalloc(nbt ? nbt : 1, sizeof(*out->batches));
	for (size_t i = 0; i < nnodes; i++) {
		const struct audit_schedule_node *nd = &nodes[i];
		uint64_t c = out->per_node[i], first = out->first_seq[i];
		for (uint64_t q = 0; q * p->batch_size < c; q++) {
			uint8_t hb[32];
			prf(p, BATCH_TAG, nd->id, 20, q, hb);
			struct audit_batch *bt = &out->batches[out->nbatches++];
			bt->node = (uint32_t)i;
			bt->batch = (uint32_t)q;
			bt->at_ms = mulhi(be64(hb), p->window_ms);
			bt->first_seq = first + q * p->batch_size;
			uint64_t left = c - q * p->batch_size;
			bt->count = (uint32_t)(left < p->batch_size ? left : p->batch_size);
		}
	}
	qsort(out->batches, out->nbatches, sizeof(*out->batches), cmp_batch);
	ok = true;
out:
	free(sb);
	if (!ok)
		audit_schedule_free(out);
	return ok;
}

bool audit_schedule_build(const struct audit_schedule_params *p,
			  const struct audit_schedule_node *nodes, size_t nnodes,
			  const struct audit_schedule_blob *blobs, size_t nblobs,
			  struct audit_schedule *out, struct err *e)
{
	return build(p, nodes, nnodes, blobs, nblobs, true, out, e);
}

bool audit_schedule_build_lazy(const struct audit_schedule_params *p,
			       const struct audit_schedule_node *nodes, size_t nnodes,
			       const struct audit_schedule_blob *blobs, size_t nblobs,
			       struct audit_schedule *out, struct err *e)
{
	return build(p, nodes, nnodes, blobs, nblobs, false, out, e);
}

uint32_t audit_schedule_node_of(const struct audit_schedule *s, uint64_t seq)
{
	ASSAY_ASSERT(seq < s->nchallenges);
	/* The last i with first_seq[i] <= seq: nodes without challenges share the next one's
	 * first_seq, so the last of equals is the one that has seq. */
	size_t lo = 0, hi = s->nnodes;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (s->first_seq[mid] <= seq)
			lo = mid;
		else
			hi = mid;
	}
	ASSAY_ASSERT(seq < s->first_seq[lo] + s->per_node[lo]);
	return (uint32_t)lo;
}

void audit_schedule_challenge(const struct audit_schedule *s, uint64_t seq,
			      struct audit_challenge *out)
{
	ASSAY_ASSERT(seq < s->nchallenges);
	if (s->challenges) {
		*out = s->challenges[seq];
		return;
	}
	uint32_t i = audit_schedule_node_of(s, seq);
	derive(s, i, seq - s->first_seq[i], seq, out);
}

void audit_schedule_challenges(const struct audit_schedule *s, const uint64_t *seqs, size_t n,
			       struct audit_challenge *out)
{
	if (s->challenges) {
		for (size_t k = 0; k < n; k++) {
			ASSAY_ASSERT(seqs[k] < s->nchallenges);
			out[k] = s->challenges[seqs[k]];
		}
		return;
	}
	derive_many(s, seqs, n, out);
}

void audit_schedule_request(const struct audit_schedule *s, uint64_t seq, size_t max_ids,
			    struct audit_challenge *out, size_t *count, size_t *pos)
{
	ASSAY_ASSERT(max_ids > 0);
	struct audit_challenge me;
	audit_schedule_challenge(s, seq, &me);
	uint32_t bs = s->params.batch_size;
	uint64_t first = s->first_seq[me.node] + (uint64_t)me.batch * bs;
	uint64_t end = s->first_seq[me.node] + s->per_node[me.node];
	if (end > first + bs)
		end = first + bs;
	/* Runs of max_ids among the batch's challenges of this blob and axis, in seq order. */
	size_t k = 0, mine = SIZE_MAX;
	*count = 0;
	for (uint64_t q = first; q < end; q++) {
		struct audit_challenge c;
		audit_schedule_challenge(s, q, &c);
		if (c.blob != me.blob || c.axis != me.axis)
			continue;
		if (k == max_ids) {
			if (mine != SIZE_MAX)
				break;
			k = 0;
		}
		if (q == seq)
			mine = k;
		out[k++] = c;
	}
	*count = k;
	*pos = mine;
}

void audit_schedule_free(struct audit_schedule *s)
{
	if (!s)
		return;
	free(s->challenges);
	free(s->batches);
	free(s->per_node);
	free(s->first_seq);
	if (s->shards)
		for (size_t i = 0; i < s->nnodes; i++)
			free(s->shards[i]);
	free(s->shards);
	free(s->nodes);
	free(s->sorted);
	memset(s, 0, sizeof(*s));
}

void audit_secret_commitment(const uint8_t secret[32], uint8_t out[32])
{
	chain_keccak256(out, secret, 32);
}

double audit_detection_miss(double fraction, uint64_t c)
{
	return pow(1.0 - fraction, (double)c);
}
