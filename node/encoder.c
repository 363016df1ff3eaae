/* encoder.c: two-dimensional Reed-Solomon, over GF(2^8) with ISA-L or over GF(2^16) with
 * node/gf16.h (see encoder.h for the layout). */
#include "node/encoder.h"

#include <errno.h>
#include <fcntl.h>
#include <isa-l/erasure_code.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/b2many.h"
#include "audit/bcs.h"
#include "audit/merkle.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"
#include "node/gf16.h"

/* GF(2^16) decoding: what one erasure pattern (k positions) needs, computed once. The
 * sources at positions below k are the received vectors themselves; the e missing ones
 * are inv · resid, where resid = the received parity vectors minus the known sources'
 * share of them. */
struct rs16_plan {
	unsigned refs;
	uint16_t *pos;                  /* the k positions, in the caller's order */
	size_t e;                       /* sources missing */
	size_t *order;                  /* k indices into pos: the known sources, then parity */
	uint16_t *missing;              /* e source numbers */
	struct node_gf16_matrix *resid; /* e × k over the vectors in `order` */
	struct node_gf16_matrix *inv;   /* e × e */
};

/* The mutable side of a GF(2^16) code, behind a shared read-only codec. */
struct rs16_state {
	pthread_mutex_t lock;
	struct node_gf16_matrix *parity; /* the n - k parity rows' tables, built on first use */
	struct rs16_plan *plan;          /* the last erasure pattern decoded */
};

/* One RS(n, k) code: a systematic n × k generator, and for GF(2^8) the ISA-L tables of its
 * n - k parity rows (ec_init_tables lays them out row by row, 32·k bytes each, so a run of
 * parity rows can be encoded on its own). */
struct rs {
	int n, k;
	bool gf16;
	uint8_t *gen;   /* GF(2^8): n × k, top k rows the identity */
	uint8_t *tbls;  /* GF(2^8): 32 · k · (n - k) */
	uint16_t *gen16; /* GF(2^16): n × k, top k rows the identity */
	struct rs16_state *st; /* GF(2^16) */
};

struct node_codec {
	struct audit_params params;
	uint32_t encoding_type;
	unsigned threads;    /* for node_encode() */
	struct rs primary;   /* G_p: RS(n, k_p), along columns */
	struct rs secondary; /* G_s: RS(n, k_s), along rows */
	struct node_codec *alt; /* the same n with the other code, or NULL */
};

static void rs_init(struct rs *r, int n, int k, bool gf16)
{
	memset(r, 0, sizeof(*r));
	r->n = n;
	r->k = k;
	r->gf16 = gf16;
	if (gf16) {
		/* The same construction over GF(2^16): row i >= k, column j < k is 1/(i ^ j),
		 * a Cauchy matrix on the disjoint point sets [k, n) and [0, k), so every square
		 * submatrix of it is invertible and so is every k × k submatrix of [I; C]. */
		r->gen16 = xcalloc((size_t)n * (size_t)k, sizeof(*r->gen16));
		for (int i = 0; i < k; i++)
			r->gen16[(size_t)i * (size_t)k + (size_t)i] = 1;
		for (int i = k; i < n; i++)
			for (int j = 0; j < k; j++)
				r->gen16[(size_t)i * (size_t)k + (size_t)j] =
					node_gf16_inv((uint16_t)(i ^ j));
		r->st = xcalloc(1, sizeof(*r->st));
		pthread_mutex_init(&r->st->lock, NULL);
		return;
	}
	r->gen = xmalloc((size_t)n * (size_t)k);
	/* Cauchy rows 1/(i ^ j) for i in [k, n), j in [0, k): every k × k submatrix of
	 * [I; C] is invertible, which is what "any k of n" needs (gf_gen_rs_matrix's
	 * Vandermonde rows do not guarantee it beyond small sizes). */
	gf_gen_cauchy1_matrix(r->gen, n, k);
	r->tbls = xmalloc((size_t)32 * (size_t)k * (size_t)(n - k > 0 ? n - k : 1));
	if (n > k)
		ec_init_tables(k, n - k, r->gen + (size_t)k * (size_t)k, r->tbls);
}

static void plan_unref(struct rs16_plan *p)
{
	if (!p || --p->refs)
		return;
	free(p->pos);
	free(p->order);
	free(p->missing);
	node_gf16_matrix_free(p->resid);
	node_gf16_matrix_free(p->inv);
	free(p);
}

static void rs_free(struct rs *r)
{
	free(r->gen);
	free(r->tbls);
	free(r->gen16);
	if (r->st) {
		node_gf16_matrix_free(r->st->parity);
		plan_unref(r->st->plan);
		pthread_mutex_destroy(&r->st->lock);
		free(r->st);
	}
}

static const struct node_gf16_matrix *rs16_parity_tables(const struct rs *r)
{
	pthread_mutex_lock(&r->st->lock);
	if (!r->st->parity)
		r->st->parity = node_gf16_matrix_new(r->gen16 + (size_t)r->k * (size_t)r->k,
						     (size_t)(r->n - r->k), (size_t)r->k);
	const struct node_gf16_matrix *t = r->st->parity;
	pthread_mutex_unlock(&r->st->lock);
	return t;
}

/* Parity rows [first, first + rows) (0-based among the n - k) of k source vectors. */
static void rs_parity(const struct rs *r, int first, int rows, size_t len, uint8_t **src,
		      uint8_t **dst)
{
	if (rows <= 0 || len == 0)
		return;
	if (r->gf16) {
		node_gf16_matrix_apply(rs16_parity_tables(r), (size_t)first, (size_t)rows,
				       (const uint8_t *const *)src, dst, len);
		return;
	}
	ASSAY_ASSERT(len <= INT_MAX);
	ec_encode_data((int)len, r->k, rows, r->tbls + (size_t)32 * (size_t)r->k * (size_t)first,
		       src, dst);
}

static struct rs16_plan *plan_new(const struct rs *r, const uint16_t *pos, struct err *e)
{
	const size_t k = (size_t)r->k;
	struct rs16_plan *p = xcalloc(1, sizeof(*p));
	p->refs = 1;
	p->pos = xmalloc(k * sizeof(*p->pos));
	memcpy(p->pos, pos, k * sizeof(*pos));
	p->order = xmalloc((k ? k : 1) * sizeof(*p->order));
	p->missing = xmalloc((k ? k : 1) * sizeof(*p->missing));
	bool *have = xcalloc(k ? k : 1, sizeof(*have));
	size_t known = 0;
	for (size_t t = 0; t < k; t++)
		if (pos[t] < k) {
			have[pos[t]] = true;
			p->order[known++] = t;
		}
	for (size_t t = 0; t < k; t++)
		if (pos[t] >= k)
			p->order[known + p->e++] = t;
	for (size_t s = 0, m = 0; s < k; s++)
		if (!have[s])
			p->missing[m++] = (uint16_t)s;
	free(have);
	if (p->e) {
		const size_t ne = p->e;
		uint16_t *a = xmalloc(ne * ne * sizeof(*a)), *inv = xmalloc(ne * ne * sizeof(*inv));
		uint16_t *res = xcalloc(ne * k, sizeof(*res));
		for (size_t j = 0; j < ne; j++) {
			const uint16_t *row = r->gen16 + (size_t)pos[p->order[known + j]] * k;
			for (size_t m = 0; m < ne; m++)
				a[j * ne + m] = row[p->missing[m]];
			for (size_t i = 0; i < known; i++)
				res[j * k + i] = row[pos[p->order[i]]];
			res[j * k + known + j] = 1;
		}
		bool ok = node_gf16_invert(a, inv, ne);
		if (ok) {
			p->inv = node_gf16_matrix_new(inv, ne, ne);
			p->resid = node_gf16_matrix_new(res, ne, k);
		}
		free(a);
		free(inv);
		free(res);
		if (!ok) {
			/* Cannot happen with a Cauchy generator and distinct positions. */
			plan_unref(p);
			err_set(e, "the decoding matrix is singular (positions not distinct?)");
			return NULL;
		}
	}
	return p;
}

/* GF(2^16) rs_solve: the plan of the last erasure pattern is kept, so that rebuilding many
 * slivers from the same peers inverts once. */
static bool rs16_solve(const struct rs *r, const uint16_t *pos, uint8_t **src, size_t len,
		       uint8_t **dst, struct err *e)
{
	const size_t k = (size_t)r->k;
	struct rs16_plan *p = NULL;
	pthread_mutex_lock(&r->st->lock);
	if (r->st->plan && !memcmp(r->st->plan->pos, pos, k * sizeof(*pos))) {
		p = r->st->plan;
		p->refs++;
	}
	pthread_mutex_unlock(&r->st->lock);
	if (!p) {
		if (!(p = plan_new(r, pos, e)))
			return false;
		pthread_mutex_lock(&r->st->lock);
		plan_unref(r->st->plan);
		r->st->plan = p;
		p->refs++;
		pthread_mutex_unlock(&r->st->lock);
	}
	const size_t known = k - p->e;
	for (size_t i = 0; i < known; i++)
		if (dst[pos[p->order[i]]] != src[p->order[i]])
			memcpy(dst[pos[p->order[i]]], src[p->order[i]], len);
	if (p->e && len) {
		const uint8_t **in = xmalloc(k * sizeof(*in));
		uint8_t **tmp = xmalloc(p->e * sizeof(*tmp)), **out = xmalloc(p->e * sizeof(*out));
		uint8_t *res = xmalloc(p->e * len);
		for (size_t i = 0; i < k; i++)
			in[i] = src[p->order[i]];
		for (size_t m = 0; m < p->e; m++) {
			tmp[m] = res + m * len;
			out[m] = dst[p->missing[m]];
		}
		node_gf16_matrix_apply(p->resid, 0, p->e, in, tmp, len);
		node_gf16_matrix_apply(p->inv, 0, p->e, (const uint8_t *const *)tmp, out, len);
		free(in);
		free(tmp);
		free(out);
		free(res);
	}
	pthread_mutex_lock(&r->st->lock);
	plan_unref(p);
	pthread_mutex_unlock(&r->st->lock);
	return true;
}

/* Given k encoded vectors at distinct positions pos[] of the code, write the k source
 * vectors to dst[]. */
static bool rs_solve(const struct rs *r, const uint16_t *pos, uint8_t **src, size_t len,
		     uint8_t **dst, struct err *e)
{
	if (r->gf16)
		return rs16_solve(r, pos, src, len, dst, e);
	size_t k = (size_t)r->k;
	uint8_t *b = xmalloc(k * k), *inv = xmalloc(k * k), *tbls = xmalloc(32 * k * k);
	bool ok = false;
	for (size_t i = 0; i < k; i++)
		memcpy(b + i * k, r->gen + (size_t)pos[i] * k, k);
	if (gf_invert_matrix(b, inv, (int)k) != 0) {
		/* Cannot happen with a Cauchy generator and distinct positions. */
		err_set(e, "the decoding matrix is singular (positions not distinct?)");
		goto out;
	}
	if (len) {
		ASSAY_ASSERT(len <= INT_MAX);
		ec_init_tables((int)k, (int)k, inv, tbls);
		ec_encode_data((int)len, (int)k, (int)k, tbls, src, dst);
	}
	ok = true;
out:
	free(b);
	free(inv);
	free(tbls);
	return ok;
}

uint32_t node_encoding_for(uint32_t n)
{
	return n <= NODE_MAX_SHARDS_RS8 ? NODE_ENCODING_RS8 : NODE_ENCODING_RS16;
}

bool node_encoding_supported(uint32_t encoding_type, uint32_t n)
{
	if (n < 1 || n > NODE_MAX_SHARDS)
		return false;
	return encoding_type == NODE_ENCODING_RS16 ||
	       (encoding_type == NODE_ENCODING_RS8 && n <= NODE_MAX_SHARDS_RS8);
}

static struct node_codec *codec_make(const struct audit_params *p, uint32_t type)
{
	struct node_codec *c = xcalloc(1, sizeof(*c));
	c->params = *p;
	c->encoding_type = type;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	node_codec_set_threads(c, cpus > 0 ? (unsigned)cpus : 1);
	bool gf16 = type == NODE_ENCODING_RS16;
	rs_init(&c->primary, (int)p->n, (int)p->k_primary, gf16);
	rs_init(&c->secondary, (int)p->n, (int)p->k_secondary, gf16);
	return c;
}

bool node_codec_new_type(uint32_t n, uint32_t encoding_type, struct node_codec **out,
			 struct err *e)
{
	struct audit_params p;
	if (!audit_params_init(&p, n, e))
		return false;
	if (encoding_type != NODE_ENCODING_RS8 && encoding_type != NODE_ENCODING_RS16)
		return err_set(e, "the reference encoder makes encoding types %u (%s) and %u (%s), "
			       "not %lu", NODE_ENCODING_RS8, audit_encoding_type_name(NODE_ENCODING_RS8),
			       NODE_ENCODING_RS16, audit_encoding_type_name(NODE_ENCODING_RS16),
			       (unsigned long)encoding_type);
	if (n > NODE_MAX_SHARDS)
		return err_set(e, "the reference encoder supports at most %u shards, not %lu",
			       NODE_MAX_SHARDS, (unsigned long)n);
	if (encoding_type == NODE_ENCODING_RS8 && n > NODE_MAX_SHARDS_RS8)
		return err_set(e, "the ISA-L code works over GF(2^8) and supports at most %u shards, "
			       "not %lu (encoding type %u, GF(2^16), goes to %u)",
			       NODE_MAX_SHARDS_RS8, (unsigned long)n, NODE_ENCODING_RS16,
			       NODE_MAX_SHARDS);
	struct node_codec *c = codec_make(&p, encoding_type);
	/* Blobs of the other code for the same n are checked and decoded too. */
	if (encoding_type == NODE_ENCODING_RS8)
		c->alt = codec_make(&p, NODE_ENCODING_RS16);
	*out = c;
	return true;
}

bool node_codec_new(uint32_t n, struct node_codec **out, struct err *e)
{
	if (n > NODE_MAX_SHARDS)
		return err_set(e, "the reference encoder supports at most %u shards, not %lu",
			       NODE_MAX_SHARDS, (unsigned long)n);
	return node_codec_new_type(n, node_encoding_for(n), out, e);
}

void node_codec_free(struct node_codec *c)
{
	if (!c)
		return;
	rs_free(&c->primary);
	rs_free(&c->secondary);
	node_codec_free(c->alt);
	free(c);
}

uint32_t node_codec_encoding_type(const struct node_codec *c)
{
	return c->encoding_type;
}

const struct node_codec *node_codec_for(const struct node_codec *c, uint32_t encoding_type)
{
	if (c->encoding_type == encoding_type)
		return c;
	if (c->alt && c->alt->encoding_type == encoding_type)
		return c->alt;
	return NULL;
}

const struct audit_params *node_codec_params(const struct node_codec *c)
{
	return &c->params;
}

size_t node_sliver_len(const struct node_codec *c, enum audit_proof_axis axis,
		       uint16_t symbol_size)
{
	uint32_t k = axis == AUDIT_AXIS_PRIMARY ? c->params.k_secondary : c->params.k_primary;
	return (size_t)k * symbol_size;
}

/* The code a sliver of this axis is expanded with: a primary sliver (a row of G_p X, k_s
 * symbols) expands along its row with G_s; a secondary sliver with G_p. */
static const struct rs *expansion_code(const struct node_codec *c, enum audit_proof_axis axis)
{
	return axis == AUDIT_AXIS_PRIMARY ? &c->secondary : &c->primary;
}

const uint8_t *node_blob_sliver(const struct node_blob *b, enum audit_proof_axis axis,
				uint32_t index)
{
	ASSAY_ASSERT(index < b->n);
	return axis == AUDIT_AXIS_PRIMARY ? b->primary + (size_t)index * b->primary_len
					  : b->secondary + (size_t)index * b->secondary_len;
}

void node_blob_free(struct node_blob *b)
{
	if (!b)
		return;
	audit_metadata_free(b->metadata);
	free(b->primary);
	free(b->secondary);
	free(b);
}

/* Rows of M are computed at least this many at a time, a multiple of the rows the kernel
 * makes per pass over the sources: six for ISA-L, four for node/gf16.h (a leftover row
 * would take a pass of its own). */
#define ROW_CHUNK_RS8 6
#define ROW_CHUNK_RS16 8
/* More threads than this stop paying: the work is n² leaf hashes and 2n² inner hashes. */
#define MAX_THREADS 16

/* What the threads of node_encode() share. A step runs fn over [0, count) split into
 * ranges [first, last), one per worker (part of parts); nothing is written twice.
 *
 * Memory: the primary slivers 0..k_p-1 are X's rows and, back to back, the zero-padded
 * blob itself; the secondary slivers 0..k_s-1 are X's columns. Row r of Y = X G_sᵀ is
 * X's row r (in primary sliver r) followed by z's row r, the transpose of the secondary
 * parity slivers. Rows of M below k_p are Y's; the others are G_p's parity of Y's rows,
 * computed in two parts: the first k_s symbols straight into their primary sliver, the
 * rest into a scratch row. No copy of the blob is made that the slivers do not keep,
 * except z (the secondary parity, (n - k_s) / k_s of the blob). */
struct encode_job {
	const struct node_codec *c;
	struct node_blob *b;
	uint8_t *z;                        /* k_p × (n - k_s) symbols, row-major */
	uint8_t (*leaf)[AUDIT_DIGEST_LEN]; /* n × n leaf hashes of M, row-major */
	uint8_t (*roots)[AUDIT_DIGEST_LEN]; /* n row roots, then n column roots */
	size_t first, last;
	unsigned part, parts;
};

/* Row i's leaves: its first k_s symbols at head, the other n - k_s at tail. */
static void hash_row(const struct encode_job *j, size_t i, const uint8_t *head,
		     const uint8_t *tail)
{
	const size_t n = j->c->params.n, ks = j->c->params.k_secondary, ss = j->b->symbol_size;
	audit_merkle_leaf_hashes(j->leaf + i * n, head, ss, ks);
	audit_merkle_leaf_hashes(j->leaf + i * n + ks, tail, ss, n - ks);
}

/* Cache blocking of the parity rows of M: over GF(2^8) each pass takes a band of columns
 * whose k_p source symbols fill about BAND_BYTES (so that they stay in the core's cache
 * while ISA-L makes every parity row of the band, six at a time), and computes up to
 * SCRATCH_BYTES of parity before hashing it. Over GF(2^16) a band is a whole part of the
 * row, since each band would read the coefficient tables of every parity row again. */
#define BAND_BYTES (256u << 10)
#define SCRATCH_BYTES (1u << 20)

/* Rows of M with their leaf hashes; each worker takes an equal share of the systematic rows
 * (hashing only) and of the parity rows (encoding and hashing), so that none waits. */
static void *encode_rows(void *arg)
{
	struct encode_job *j = arg;
	const struct node_codec *c = j->c;
	struct node_blob *b = j->b;
	const size_t n = c->params.n, kp = c->params.k_primary, ks = c->params.k_secondary;
	const size_t ss = b->symbol_size, pl = b->primary_len, zl = (n - ks) * ss;
	uint8_t *xs[NODE_MAX_SHARDS], *zs[NODE_MAX_SHARDS], *src[NODE_MAX_SHARDS];
	for (size_t r = 0; r < kp; r++) {
		xs[r] = b->primary + r * pl;
		zs[r] = j->z + r * zl;
	}
	for (size_t i = kp * j->part / j->parts; i < kp * (j->part + 1) / j->parts; i++)
		hash_row(j, i, xs[i], zs[i]);

	const size_t first = kp + (n - kp) * j->part / j->parts;
	const size_t end = kp + (n - kp) * (j->part + 1) / j->parts;
	size_t band = c->primary.gf16 ? n : BAND_BYTES / (kp * ss);
	band = band < 1 ? 1 : band;
	const size_t chunk = c->primary.gf16 ? ROW_CHUNK_RS16 : ROW_CHUNK_RS8;
	size_t group = SCRATCH_BYTES / (band * ss);
	group = group < chunk ? chunk : group - group % chunk;
	const size_t scratch_syms = group * (band < n - ks ? band : n - ks);
	uint8_t *scratch = xmalloc(scratch_syms * ss + 1);
	uint8_t **dst = xmalloc(group * sizeof(*dst));
	struct audit_b2_msg *m = xmalloc(group * band * sizeof(*m) + 1);
	/* The columns in two parts: [0, k_s) lands in the primary slivers, [k_s, n) in the
	 * scratch (its sources are z's rows). */
	for (size_t c0 = 0; c0 < n;) {
		const bool head = c0 < ks;
		const size_t part_end = head ? ks : n;
		const size_t c1 = part_end - c0 < band ? part_end : c0 + band, w = c1 - c0;
		for (size_t r = 0; r < kp; r++)
			src[r] = head ? xs[r] + c0 * ss : zs[r] + (c0 - ks) * ss;
		for (size_t i = first; i < end;) {
			const size_t count = end - i < group ? end - i : group;
			size_t k = 0;
			for (size_t t = 0; t < count; t++)
				dst[t] = head ? b->primary + (i + t) * pl + c0 * ss : scratch + t * w * ss;
			rs_parity(&c->primary, (int)(i - kp), (int)count, w * ss, src, dst);
			for (size_t t = 0; t < count; t++)
				for (size_t col = 0; col < w; col++)
					m[k++] = (struct audit_b2_msg){dst[t] + col * ss, ss, true, 0x00,
								       j->leaf[(i + t) * n + c0 + col]};
			audit_b2_many(m, k);
			i += count;
		}
		c0 = c1;
	}
	free(scratch);
	free(dst);
	free(m);
	return NULL;
}

/* Runs fn over [0, count) split into `threads` ranges; falls back to the calling thread
 * when a thread cannot be started (the work gets done either way). */
static void run_parallel(void *(*fn)(void *), struct encode_job *tmpl, size_t count,
			 unsigned threads)
{
	struct encode_job jobs[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	bool started[MAX_THREADS] = {false};
	if (threads > count)
		threads = count ? (unsigned)count : 1;
	for (unsigned t = 0; t < threads; t++) {
		jobs[t] = *tmpl;
		jobs[t].first = count * t / threads;
		jobs[t].last = count * (t + 1) / threads;
		jobs[t].part = t;
		jobs[t].parts = threads;
		if (t > 0)
			started[t] = pthread_create(&tid[t], NULL, fn, &jobs[t]) == 0;
	}
	fn(&jobs[0]);
	for (unsigned t = 1; t < threads; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			fn(&jobs[t]);
	}
}

/* The 2n roots, trees [first, last) of: n rows of M (primary slivers), then n columns
 * (secondary slivers), hashed level by level across trees. */
static void *encode_roots(void *arg)
{
	struct encode_job *j = arg;
	const size_t n = j->c->params.n;
	const size_t rows_to = j->last < n ? j->last : n, cols_from = j->first > n ? j->first : n;
	if (j->first < rows_to)
		audit_merkle_roots_many(j->roots + j->first,
					(const uint8_t(*)[AUDIT_DIGEST_LEN])j->leaf + j->first * n, n,
					rows_to - j->first, n, 1);
	if (cols_from < j->last)
		audit_merkle_roots_many(j->roots + cols_from,
					(const uint8_t(*)[AUDIT_DIGEST_LEN])j->leaf + (cols_from - n),
					n, j->last - cols_from, 1, n);
	return NULL;
}

/* Secondary slivers [first, last) below k_s: the columns of X (in the primary slivers). */
static void *encode_columns(void *arg)
{
	struct encode_job *j = arg;
	const struct node_blob *b = j->b;
	const size_t kp = j->c->params.k_primary, ss = b->symbol_size;
	for (size_t col = j->first; col < j->last; col++) {
		uint8_t *s = b->secondary + col * b->secondary_len;
		for (size_t r = 0; r < kp; r++)
			memcpy(s + r * ss, b->primary + r * b->primary_len + col * ss, ss);
	}
	return NULL;
}

/* A byte range of every secondary parity sliver (RS works symbol position by symbol
 * position, so the threads split the sliver length). */
#define SPLIT_UNIT 64u
static void *encode_secondary(void *arg)
{
	struct encode_job *j = arg;
	const size_t n = j->c->params.n, ks = j->c->params.k_secondary;
	const size_t sl = j->b->secondary_len;
	/* [first, last) counts SPLIT_UNIT-byte units: even for GF(2^16) words, whole vectors
	 * for the SIMD kernels. */
	const size_t from = j->first * SPLIT_UNIT, to = j->last * SPLIT_UNIT < sl
		? j->last * SPLIT_UNIT : sl;
	uint8_t *src[NODE_MAX_SHARDS], *dst[NODE_MAX_SHARDS];
	if (from >= to)
		return NULL;
	/* Over GF(2^8), a band of the range at a time, its k_s sources in BAND_BYTES. */
	size_t step = j->c->secondary.gf16 ? to - from : BAND_BYTES / ks / SPLIT_UNIT * SPLIT_UNIT;
	step = step < SPLIT_UNIT ? SPLIT_UNIT : step;
	for (size_t at = from; at < to; at += step) {
		for (size_t i = 0; i < ks; i++)
			src[i] = j->b->secondary + i * sl + at;
		for (size_t i = ks; i < n; i++)
			dst[i - ks] = j->b->secondary + i * sl + at;
		rs_parity(&j->c->secondary, 0, (int)(n - ks), to - at < step ? to - at : step, src,
			  dst);
	}
	return NULL;
}

/* z's rows [first, last): row r is symbol r of each secondary parity sliver. */
static void *encode_transpose(void *arg)
{
	struct encode_job *j = arg;
	const size_t n = j->c->params.n, ks = j->c->params.k_secondary, ss = j->b->symbol_size;
	const size_t zl = (n - ks) * ss, sl = j->b->secondary_len;
	for (size_t r = j->first; r < j->last; r++)
		for (size_t c = ks; c < n; c++)
			memcpy(j->z + r * zl + (c - ks) * ss, j->b->secondary + c * sl + r * ss, ss);
	return NULL;
}

void node_codec_set_threads(struct node_codec *c, unsigned threads)
{
	c->threads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
	if (c->alt)
		node_codec_set_threads(c->alt, threads);
}

/* A buffer of the encoder's size: in 2 MiB pages where the kernel gives them on request
 * (transparent huge pages, "madvise" mode), since faulting in the slivers 4 KiB at a time
 * costs as much as encoding small blobs. Freed with free(). */
static void *big_alloc(size_t len)
{
	enum { HUGE = 2u << 20 };
	if (len < HUGE)
		return xmalloc(len ? len : 1);
	len += (HUGE - len % HUGE) % HUGE; /* whole pages: the last one too */
	void *p = NULL;
	if (posix_memalign(&p, HUGE, len) != 0)
		return xmalloc(len);
#ifdef MADV_HUGEPAGE
	(void)madvise(p, len, MADV_HUGEPAGE); /* a hint: 4 KiB pages otherwise */
#endif
	return p;
}

bool node_encode(const struct node_codec *c, const uint8_t *blob, size_t len,
		 struct node_blob **out, struct err *e)
{
	const struct audit_params *p = &c->params;
	const size_t n = p->n, kp = p->k_primary, ks = p->k_secondary;
	uint16_t ss16;
	if (!audit_symbol_size(p, len, &ss16, e))
		return false;
	const size_t ss = ss16;

	struct node_blob *b = xcalloc(1, sizeof(*b));
	b->n = p->n;
	b->symbol_size = ss16;
	b->primary_len = ks * ss;
	b->secondary_len = kp * ss;
	b->primary = big_alloc(n * b->primary_len);
	b->secondary = big_alloc(n * b->secondary_len);
	b->metadata = audit_metadata_new(p->n);
	b->metadata->encoding_type = c->encoding_type;
	b->metadata->unencoded_length = len;

	uint8_t *z = big_alloc(kp * (n - ks) * ss + 1);
	uint8_t (*leaf)[AUDIT_DIGEST_LEN] = big_alloc(n * n * AUDIT_DIGEST_LEN);
	uint8_t (*roots)[AUDIT_DIGEST_LEN] = xmalloc(2 * n * AUDIT_DIGEST_LEN);
	struct encode_job job = {c, b, z, leaf, roots, 0, 0, 0, 1};

	/* 1. Primary slivers 0..k_p-1 are X's rows: the blob, zero-padded. Secondary slivers
	 *    0..k_s-1 are X's columns. */
	if (len)
		memcpy(b->primary, blob, len);
	memset(b->primary + len, 0, kp * b->primary_len - len);
	run_parallel(encode_columns, &job, ks, c->threads);
	/* 2. Secondary slivers k_s..n-1: the rows' parity, all rows at once (each secondary
	 *    sliver is a contiguous vector of k_p symbols), split by byte range. 3. z, their
	 *    transpose, split by row. */
	run_parallel(encode_secondary, &job, (b->secondary_len + SPLIT_UNIT - 1) / SPLIT_UNIT,
		     c->threads);
	run_parallel(encode_transpose, &job, kp, c->threads);
	/* 4. M row by row with its leaf hashes, then the 2n roots: the BLAKE2b work, which
	 *    dominates, split over the codec's threads. */
	run_parallel(encode_rows, &job, n, c->threads);
	run_parallel(encode_roots, &job, 2 * n, c->threads);
	for (size_t i = 0; i < n; i++) {
		memcpy(b->metadata->hashes[i].primary.digest, roots[i], AUDIT_DIGEST_LEN);
		b->metadata->hashes[i].primary.present = true;
		memcpy(b->metadata->hashes[n - 1 - i].secondary.digest, roots[n + i],
		       AUDIT_DIGEST_LEN);
		b->metadata->hashes[n - 1 - i].secondary.present = true;
	}
	audit_blob_id(b->metadata, b->blob_id);

	free(z);
	free(leaf);
	free(roots);
	*out = b;
	return true;
}

static bool check_sliver_len(const struct node_codec *c, enum audit_proof_axis axis, size_t len,
			     uint16_t symbol_size, struct err *e)
{
	if (symbol_size == 0)
		return err_set(e, "the symbol size is zero");
	if (c->encoding_type == NODE_ENCODING_RS16 && symbol_size % 2)
		return err_set(e, "a GF(2^16) code needs even symbol sizes, not %u", symbol_size);
	size_t want = node_sliver_len(c, axis, symbol_size);
	if (len != want)
		return err_set(e, "a %s sliver of %u-byte symbols for %lu shards has %zu bytes, not %zu",
			       audit_proof_axis_name(axis), symbol_size, (unsigned long)c->params.n,
			       want, len);
	return true;
}

bool node_sliver_expand(const struct node_codec *c, enum audit_proof_axis axis,
			const uint8_t *sliver, size_t len, uint16_t symbol_size, uint8_t *out,
			struct err *e)
{
	if (!check_sliver_len(c, axis, len, symbol_size, e))
		return false;
	const struct rs *r = expansion_code(c, axis);
	const size_t ss = symbol_size, n = (size_t)r->n, k = (size_t)r->k;
	uint8_t **src = xmalloc(n * sizeof(*src)), **dst = src + k;
	memcpy(out, sliver, len); /* systematic: the sliver is the first k symbols */
	for (size_t t = 0; t < n; t++)
		src[t] = out + t * ss;
	rs_parity(r, 0, (int)(n - k), ss, src, dst);
	free(src);
	return true;
}

bool node_sliver_hash(const struct node_codec *c, enum audit_proof_axis axis,
		      const uint8_t *sliver, size_t len, uint16_t symbol_size,
		      uint8_t hash[AUDIT_DIGEST_LEN], struct err *e)
{
	uint8_t *x = xmalloc((size_t)c->params.n * symbol_size + 1);
	bool ok = node_sliver_expand(c, axis, sliver, len, symbol_size, x, e);
	if (ok)
		audit_merkle_root_fixed(hash, x, symbol_size, c->params.n);
	free(x);
	return ok;
}

/* The code of the blob's encoding type (c or its sibling), after checking the metadata's
 * parameters against it; NULL with a sentence otherwise. */
static const struct node_codec *check_metadata(const struct node_codec *c,
					       const struct audit_metadata *md,
					       uint16_t *symbol_size, struct err *e)
{
	struct audit_params p;
	if (!audit_metadata_params(md, &p, symbol_size, e))
		return NULL;
	const struct node_codec *code = node_codec_for(c, md->encoding_type);
	if (!code) {
		err_set(e, "the blob uses encoding %s, which this encoder cannot check "
			"(it makes %s%s%s for %lu shards)", audit_encoding_type_name(md->encoding_type),
			audit_encoding_type_name(c->encoding_type), c->alt ? " and " : "",
			c->alt ? audit_encoding_type_name(c->alt->encoding_type) : "",
			(unsigned long)c->params.n);
		return NULL;
	}
	if (md->n_shards != c->params.n) {
		err_set(e, "the blob was encoded for %lu shards, this codec for %lu",
			(unsigned long)md->n_shards, (unsigned long)c->params.n);
		return NULL;
	}
	return code;
}

bool node_sliver_verify(const struct node_codec *c, const struct audit_metadata *md,
			enum audit_proof_axis axis, uint16_t index, const uint8_t *sliver,
			size_t len, uint16_t symbol_size, struct err *e)
{
	return node_sliver_verify_expanded(c, md, axis, index, sliver, len, symbol_size, NULL, e);
}

bool node_sliver_verify_expanded(const struct node_codec *c, const struct audit_metadata *md,
				 enum audit_proof_axis axis, uint16_t index,
				 const uint8_t *sliver, size_t len, uint16_t symbol_size,
				 struct node_expanded **out, struct err *e)
{
	struct node_expanded *x = NULL;
	if (out)
		*out = NULL;
	uint16_t want_ss;
	if (!(c = check_metadata(c, md, &want_ss, e)))
		return false;
	if (index >= c->params.n)
		return err_set(e, "sliver index %u is out of range for %lu shards", index,
			       (unsigned long)c->params.n);
	if (symbol_size != want_ss)
		return err_set(e, "the sliver's symbol size is %u but the blob's is %u", symbol_size,
			       want_ss);
	uint8_t hash[AUDIT_DIGEST_LEN], want[AUDIT_DIGEST_LEN];
	if (out) {
		/* the same expansion and hashes as the root alone, kept */
		if (!node_expanded_new(c, axis, index, sliver, len, symbol_size, &x, e))
			return false;
		node_expanded_root(x, hash);
	} else if (!node_sliver_hash(c, axis, sliver, len, symbol_size, hash, e)) {
		return false;
	}
	const struct audit_pair_hashes *h =
		&md->hashes[axis == AUDIT_AXIS_PRIMARY ? index : c->params.n - 1u - index];
	audit_node_bytes(axis == AUDIT_AXIS_PRIMARY ? &h->primary : &h->secondary, want);
	if (memcmp(hash, want, AUDIT_DIGEST_LEN) != 0) {
		node_expanded_free(x);
		return err_set(e, "%s sliver %u does not match the hash in the blob's metadata",
			       audit_proof_axis_name(axis), index);
	}
	if (out)
		*out = x;
	return true;
}

struct node_expanded {
	atomic_uint refs;
	enum audit_proof_axis axis;
	uint16_t index;
	uint16_t symbol_size;
	uint32_t n;
	uint8_t *symbols; /* n × symbol_size */
	struct audit_merkle_tree *tree;
};

bool node_expanded_new(const struct node_codec *c, enum audit_proof_axis axis, uint16_t index,
		       const uint8_t *sliver, size_t len, uint16_t symbol_size,
		       struct node_expanded **out, struct err *e)
{
	if (index >= c->params.n)
		return err_set(e, "sliver index %u is out of range for %lu shards", index,
			       (unsigned long)c->params.n);
	struct node_expanded *x = xcalloc(1, sizeof(*x));
	atomic_init(&x->refs, 1);
	x->axis = axis;
	x->index = index;
	x->symbol_size = symbol_size;
	x->n = c->params.n;
	x->symbols = xmalloc((size_t)x->n * symbol_size + 1);
	if (!node_sliver_expand(c, axis, sliver, len, symbol_size, x->symbols, e)) {
		node_expanded_free(x);
		return false;
	}
	x->tree = audit_merkle_tree_new_fixed(x->symbols, symbol_size, x->n);
	/* At n shards the whole tree is 2n digests (64 KB at 1000), ten times the symbols of a
	 * small blob's sliver; a node keeping its slivers' expansions (node/xcache.h) keeps
	 * a quarter of that, and a proof hashes 8 leaves again (about 4 µs). */
	if (x->n >= NODE_EXPANDED_DROP_FROM)
		audit_merkle_tree_drop_levels(x->tree, NODE_EXPANDED_DROP_LEVELS);
	*out = x;
	return true;
}

struct node_expanded *node_expanded_ref(struct node_expanded *x)
{
	atomic_fetch_add(&x->refs, 1);
	return x;
}

void node_expanded_free(struct node_expanded *x)
{
	if (!x || atomic_fetch_sub(&x->refs, 1) != 1)
		return;
	free(x->symbols);
	audit_merkle_tree_free(x->tree);
	free(x);
}

size_t node_expanded_bytes(const struct node_expanded *x)
{
	return sizeof(*x) + (size_t)x->n * x->symbol_size + audit_merkle_tree_bytes(x->tree);
}

void node_expanded_root(const struct node_expanded *x, uint8_t root[AUDIT_DIGEST_LEN])
{
	audit_merkle_tree_root(x->tree, root);
}

bool node_expanded_symbol(const struct node_expanded *x, uint16_t target,
			  struct audit_recovery_symbol *out, struct err *e)
{
	if (target >= x->n)
		return err_set(e, "symbol %u is out of range for %lu shards", target,
			       (unsigned long)x->n);
	struct audit_recovery_symbol s = {0};
	/* A primary sliver's symbols decode secondary slivers (tag 1), and conversely. */
	s.tag = x->axis == AUDIT_AXIS_PRIMARY ? AUDIT_TAG_SECONDARY : AUDIT_TAG_PRIMARY;
	s.index = x->index;
	s.target = target;
	s.data_len = x->symbol_size;
	s.data = xmalloc(s.data_len);
	memcpy(s.data, x->symbols + (size_t)target * x->symbol_size, s.data_len);
	s.proof = xcalloc(AUDIT_MERKLE_MAX_DEPTH, sizeof(*s.proof));
	audit_merkle_tree_proof_fixed(x->tree, x->symbols, x->symbol_size, target, s.proof,
				      &s.proof_len);
	*out = s;
	return true;
}

bool node_recovery_symbol_new(const struct node_codec *c, enum audit_proof_axis axis,
			      uint16_t index, const uint8_t *sliver, size_t len,
			      uint16_t symbol_size, struct audit_symbol_id id,
			      struct audit_recovery_symbol *out, struct err *e)
{
	uint16_t holder = axis == AUDIT_AXIS_PRIMARY ? id.primary : id.secondary;
	uint16_t target = axis == AUDIT_AXIS_PRIMARY ? id.secondary : id.primary;
	if (holder != index)
		return err_set(e, "symbol %u-%u on the %s axis comes from %s sliver %u, not %u",
			       id.primary, id.secondary, audit_proof_axis_name(axis),
			       audit_proof_axis_name(axis), holder, index);
	struct node_expanded *x = NULL;
	if (!node_expanded_new(c, axis, index, sliver, len, symbol_size, &x, e))
		return false;
	bool ok = node_expanded_symbol(x, target, out, e);
	node_expanded_free(x);
	return ok;
}

/* The first k entries of positions[] with distinct values < n, as indices into it. */
static bool pick_distinct(const uint16_t *positions, size_t count, size_t n, size_t k,
			  size_t *picked, const char *what, struct err *e)
{
	bool *seen = xcalloc(n, sizeof(bool));
	size_t got = 0;
	for (size_t t = 0; t < count && got < k; t++) {
		if (positions[t] >= n || seen[positions[t]])
			continue;
		seen[positions[t]] = true;
		picked[got++] = t;
	}
	free(seen);
	if (got < k)
		return err_set(e, "%s needs %zu distinct positions below %zu but got %zu", what, k, n,
			       got);
	return true;
}

bool node_decode(const struct node_codec *c, enum audit_proof_axis axis, uint16_t symbol_size,
		 uint64_t unencoded_length, const uint16_t *indices,
		 const uint8_t *const *slivers, size_t count, uint8_t **blob_out, struct err *e)
{
	const struct audit_params *p = &c->params;
	const size_t kp = p->k_primary, ks = p->k_secondary, ss = symbol_size;
	uint16_t want_ss;
	if (!audit_symbol_size(p, unencoded_length, &want_ss, e))
		return false;
	if (want_ss != symbol_size)
		return err_set(e, "a blob of %llu bytes has %u-byte symbols, not %u",
			       (unsigned long long)unencoded_length, want_ss, symbol_size);
	/* Decoding along an axis inverts that axis's own code: primary slivers are G_p X. */
	const struct rs *r = axis == AUDIT_AXIS_PRIMARY ? &c->primary : &c->secondary;
	size_t k = (size_t)r->k;
	size_t *picked = xmalloc(k * sizeof(*picked));
	uint16_t *pos = xmalloc(k * sizeof(*pos));
	uint8_t **src = xmalloc(k * sizeof(*src)), **dst = xmalloc(k * sizeof(*dst));
	uint8_t *x = xmalloc(kp * ks * ss + 1), *cols = NULL;
	bool ok = false;
	if (!pick_distinct(indices, count, p->n, k, picked, "decoding", e))
		goto out;
	for (size_t t = 0; t < k; t++) {
		pos[t] = indices[picked[t]];
		src[t] = (uint8_t *)(uintptr_t)slivers[picked[t]]; /* ISA-L only reads sources */
	}
	if (axis == AUDIT_AXIS_PRIMARY) {
		/* The source vectors are X's rows: the blob itself, row by row. */
		for (size_t t = 0; t < k; t++)
			dst[t] = x + t * ks * ss;
		if (!rs_solve(r, pos, src, ks * ss, dst, e))
			goto out;
	} else {
		/* The source vectors are X's columns; transpose back into rows. */
		cols = xmalloc(ks * kp * ss + 1);
		for (size_t t = 0; t < k; t++)
			dst[t] = cols + t * kp * ss;
		if (!rs_solve(r, pos, src, kp * ss, dst, e))
			goto out;
		for (size_t col = 0; col < ks; col++)
			for (size_t row = 0; row < kp; row++)
				memcpy(x + (row * ks + col) * ss, cols + (col * kp + row) * ss, ss);
	}
	/* Keep the blob, drop the padding (x is at least as long). */
	*blob_out = x;
	x = NULL;
	ok = true;
out:
	free(picked);
	free(pos);
	free(src);
	free(dst);
	free(x);
	free(cols);
	return ok;
}

bool node_decode_check(const struct node_codec *c, const struct audit_metadata *md,
		       const uint8_t blob_id[AUDIT_DIGEST_LEN], enum audit_proof_axis axis,
		       const uint16_t *indices, const uint8_t *const *slivers, size_t count,
		       uint8_t **blob_out, struct err *e)
{
	uint16_t ss;
	uint8_t *blob = NULL;
	struct node_blob *again = NULL;
	bool ok = false;
	if (!(c = check_metadata(c, md, &ss, e)) ||
	    !node_decode(c, axis, ss, md->unencoded_length, indices, slivers, count, &blob, e))
		goto out;
	if (md->unencoded_length > SIZE_MAX ||
	    !node_encode(c, blob, (size_t)md->unencoded_length, &again, e))
		goto out;
	if (memcmp(again->blob_id, blob_id, AUDIT_DIGEST_LEN) != 0) {
		err_set(e, "the decoded blob does not re-encode to its blob ID: it was encoded "
			"inconsistently");
		goto out;
	}
	*blob_out = blob;
	blob = NULL;
	ok = true;
out:
	free(blob);
	node_blob_free(again);
	return ok;
}

bool node_sliver_recover(const struct node_codec *c, enum audit_proof_axis axis,
			 uint16_t symbol_size, const uint16_t *positions,
			 const uint8_t *const *symbols, size_t count, uint8_t *out, struct err *e)
{
	/* Sliver i's expansion is its own code's codeword (row i = G_s · primary sliver i;
	 * column j = G_p · secondary sliver j): any k of its n symbols give the sliver back. */
	const struct rs *r = expansion_code(c, axis);
	size_t k = (size_t)r->k;
	size_t *picked = xmalloc(k * sizeof(*picked));
	uint16_t *pos = xmalloc(k * sizeof(*pos));
	uint8_t **src = xmalloc(k * sizeof(*src)), **dst = xmalloc(k * sizeof(*dst));
	bool ok = false;
	if (symbol_size == 0 || (r->gf16 && symbol_size % 2)) {
		err_set(e, "the symbol size is %u: not one of this code's", symbol_size);
		goto out;
	}
	if (!pick_distinct(positions, count, c->params.n, k, picked, "recovering a sliver", e))
		goto out;
	for (size_t t = 0; t < k; t++) {
		pos[t] = positions[picked[t]];
		src[t] = (uint8_t *)(uintptr_t)symbols[picked[t]];
		dst[t] = out + t * symbol_size;
	}
	ok = rs_solve(r, pos, src, symbol_size, dst, e);
out:
	free(picked);
	free(pos);
	free(src);
	free(dst);
	return ok;
}

bool node_sliver_recover_from_symbols(const struct node_codec *c, const struct audit_metadata *md,
				      enum audit_proof_axis axis, uint16_t index,
				      const struct audit_recovery_symbol *symbols, size_t count,
				      uint8_t *out, size_t *rejected, struct err *e)
{
	uint16_t ss;
	if (!(c = check_metadata(c, md, &ss, e)))
		return false;
	if (index >= c->params.n)
		return err_set(e, "sliver index %u is out of range for %lu shards", index,
			       (unsigned long)c->params.n);
	/* Rebuilding a primary sliver takes symbols proven on the secondary axis, and the
	 * other way round. */
	enum audit_proof_axis sym_axis =
		axis == AUDIT_AXIS_PRIMARY ? AUDIT_AXIS_SECONDARY : AUDIT_AXIS_PRIMARY;
	uint16_t *pos = xmalloc((count ? count : 1) * sizeof(*pos));
	const uint8_t **data = xmalloc((count ? count : 1) * sizeof(*data));
	size_t good = 0, bad = 0;
	bool ok = false;
	for (size_t t = 0; t < count; t++) {
		const struct audit_recovery_symbol *s = &symbols[t];
		struct audit_symbol_id id;
		if (axis == AUDIT_AXIS_PRIMARY) {
			id.primary = index;
			id.secondary = s->index;
		} else {
			id.primary = s->index;
			id.secondary = index;
		}
		if (audit_symbol_verify(md, id, sym_axis, s, NULL) != AUDIT_SYMBOL_PASS) {
			bad++;
			continue;
		}
		pos[good] = s->index;
		data[good++] = s->data;
	}
	if (rejected)
		*rejected = bad;
	if (!node_sliver_recover(c, axis, ss, pos, data, good, out, e)) {
		err_prefix(e, "%zu of %zu symbols failed verification; ", bad, count);
		goto out;
	}
	if (!node_sliver_verify(c, md, axis, index, out, node_sliver_len(c, axis, ss), ss, e))
		goto out;
	ok = true;
out:
	free(pos);
	free(data);
	return ok;
}

/* Writes DIR/NAME atomically. */
static bool write_out(const char *dir, const char *name, const uint8_t *data, size_t len,
		      struct err *e)
{
	char *path = xasprintf("%s/%s", dir, name);
	bool ok = write_file_atomic(path, data, len, 0644, e);
	free(path);
	return ok;
}

bool node_blob_write_dir(const struct node_blob *b, const char *dir, struct err *e)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return err_set(e, "cannot create %s: %s", dir, strerror(errno));
	struct buf bcs = BUF_INIT;
	audit_metadata_write(&bcs, b->metadata);
	bool ok = write_out(dir, "metadata.bcs", bcs.data, bcs.len, e);
	for (uint32_t i = 0; ok && i < b->n; i++)
		for (int a = 0; ok && a < 2; a++) {
			enum audit_proof_axis axis = (enum audit_proof_axis)a;
			char name[64];
			snprintf(name, sizeof(name), "%s-%u.bcs", audit_proof_axis_name(axis), i);
			buf_reset(&bcs);
			audit_sliver_write_parts(&bcs, node_blob_sliver(b, axis, i),
						 axis == AUDIT_AXIS_PRIMARY ? b->primary_len
									    : b->secondary_len,
						 b->symbol_size, (uint16_t)i);
			ok = write_out(dir, name, bcs.data, bcs.len, e);
		}
	buf_free(&bcs);
	return ok;
}

/* ---- node_encode_file_stream: the blob never in memory ----
 *
 * Two passes, each holding a bounded batch (about STREAM_BATCH bytes) plus the n² leaf
 * hashes:
 *   A. X's rows in file order: row r of Y = X G_sᵀ (the row and its parity) is hashed as
 *      row r of M, written as primary sliver r, and its symbols go to the secondary slivers
 *      (symbol r of each), which wait in one scratch file of n · k_p symbols;
 *   B. the secondary slivers from the scratch file, a batch of columns at a time: each is
 *      written as its sliver file and expanded with G_p into column c of M, whose parity
 *      cells are hashed and, for c < k_s, are symbol c of the primary parity slivers
 *      k_p..n-1 (written in place into their files, created with header and trailer).
 * The 2n roots come from the leaf hashes at the end; every file is written as NAME.part,
 * synced, and renamed once all are complete, metadata.bcs last. */
#define STREAM_BATCH (16u << 20)

struct stream_job {
	const struct node_codec *c;
	uint16_t ss;
	uint8_t *buf;                       /* the batch: vectors of n symbols */
	size_t base;                        /* first row (pass A) or column (pass B) */
	uint8_t (*leaf)[AUDIT_DIGEST_LEN];  /* n × n */
};

struct stream_part {
	struct stream_job *j;
	size_t first, last;
};

/* Pass A, rows [first, last) of the batch: Y's parity, then row base + t of M's leaves. */
static void *stream_rows(void *arg)
{
	struct stream_part *p = arg;
	const struct node_codec *c = p->j->c;
	const size_t n = c->params.n, ks = c->params.k_secondary, ss = p->j->ss;
	uint8_t *src[NODE_MAX_SHARDS];
	for (size_t t = p->first; t < p->last; t++) {
		uint8_t *row = p->j->buf + t * n * ss;
		for (size_t q = 0; q < n; q++)
			src[q] = row + q * ss;
		rs_parity(&c->secondary, 0, (int)(n - ks), ss, src, src + ks);
		audit_merkle_leaf_hashes(p->j->leaf + (p->j->base + t) * n, row, ss, n);
	}
	return NULL;
}

/* Pass B, columns [first, last) of the batch: the expansion and its parity cells' leaves. */
static void *stream_cols(void *arg)
{
	enum { BATCH = 64 };
	struct stream_part *p = arg;
	const struct node_codec *c = p->j->c;
	const size_t n = c->params.n, kp = c->params.k_primary, ss = p->j->ss;
	uint8_t *src[NODE_MAX_SHARDS];
	struct audit_b2_msg m[BATCH];
	for (size_t t = p->first; t < p->last; t++) {
		uint8_t *col = p->j->buf + t * n * ss;
		for (size_t q = 0; q < n; q++)
			src[q] = col + q * ss;
		rs_parity(&c->primary, 0, (int)(n - kp), ss, src, src + kp);
		for (size_t i = kp; i < n;) {
			size_t k = 0;
			for (; k < BATCH && i < n; k++, i++)
				m[k] = (struct audit_b2_msg){col + i * ss, ss, true, 0x00,
							     p->j->leaf[i * n + p->j->base + t]};
			audit_b2_many(m, k);
		}
	}
	return NULL;
}

/* fn over the batch's [0, count) on the codec's threads (the caller's thread too). */
static void stream_parallel(void *(*fn)(void *), struct stream_job *j, size_t count)
{
	unsigned threads = j->c->threads;
	struct stream_part parts[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	bool started[MAX_THREADS] = {false};
	if (threads > count)
		threads = count ? (unsigned)count : 1;
	for (unsigned t = 0; t < threads; t++) {
		parts[t] = (struct stream_part){j, count * t / threads, count * (t + 1) / threads};
		if (t > 0)
			started[t] = pthread_create(&tid[t], NULL, fn, &parts[t]) == 0;
	}
	fn(&parts[0]);
	for (unsigned t = 1; t < threads; t++) {
		if (started[t])
			pthread_join(tid[t], NULL);
		else
			fn(&parts[t]);
	}
}

static bool pwrite_all(int fd, const uint8_t *p, size_t len, off_t off, const char *path,
		       struct err *e)
{
	while (len) {
		ssize_t w = pwrite(fd, p, len, off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return err_set(e, "cannot write %s: %s", path, w < 0 ? strerror(errno) :
				       "no space written");
		p += w;
		len -= (size_t)w;
		off += w;
	}
	return true;
}

/* Reads up to len bytes at off; what lies past the end of the file reads as zeros. */
static bool pread_all(int fd, uint8_t *p, size_t len, off_t off, const char *path,
		      struct err *e)
{
	while (len) {
		ssize_t r = pread(fd, p, len, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return err_set(e, "cannot read %s: %s", path, strerror(errno));
		if (r == 0) {
			memset(p, 0, len);
			return true;
		}
		p += r;
		len -= (size_t)r;
		off += r;
	}
	return true;
}

static char *sliver_path(const char *dir, enum audit_proof_axis axis, size_t i, bool part)
{
	return xasprintf("%s/%s-%zu.bcs%s", dir, audit_proof_axis_name(axis), i, part ? ".part" : "");
}

/* The BCS SliverData around len symbol bytes: its head (ULEB128 length) and its tail. */
static void sliver_frame(size_t len, uint16_t ss, size_t index, struct buf *head,
			 uint8_t tail[4])
{
	buf_reset(head);
	audit_bcs_write_uleb128(head, (uint32_t)len);
	tail[0] = (uint8_t)ss;
	tail[1] = (uint8_t)(ss >> 8);
	tail[2] = (uint8_t)index;
	tail[3] = (uint8_t)(index >> 8);
}

/* Opens path (O_CREAT | flags), or says why not. */
static int open_part(const char *path, int flags, struct err *e)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0644);
	if (fd < 0)
		err_set(e, "cannot create %s: %s", path, strerror(errno));
	return fd;
}

/* A whole sliver file: head, the symbols, tail; synced. */
static bool write_sliver_part(const char *dir, enum audit_proof_axis axis, size_t index,
			      const uint8_t *symbols, size_t len, uint16_t ss, struct buf *head,
			      struct err *e)
{
	uint8_t tail[4];
	char *path = sliver_path(dir, axis, index, true);
	int fd = open_part(path, O_TRUNC, e);
	sliver_frame(len, ss, index, head, tail);
	bool ok = fd >= 0 && pwrite_all(fd, head->data, head->len, 0, path, e) &&
		  pwrite_all(fd, symbols, len, (off_t)head->len, path, e) &&
		  pwrite_all(fd, tail, 4, (off_t)(head->len + len), path, e);
	if (ok && fsync(fd) != 0)
		ok = err_set(e, "cannot fsync %s: %s", path, strerror(errno));
	if (fd >= 0)
		close(fd);
	free(path);
	return ok;
}

/* Syncs the primary parity sliver files (written in place) and renames every .part. */
static bool stream_finish_files(const char *dir, size_t n, size_t kp, struct err *e)
{
	for (size_t i = 0; i < n; i++)
		for (int a = 0; a < 2; a++) {
			enum audit_proof_axis axis = (enum audit_proof_axis)a;
			char *part = sliver_path(dir, axis, i, true), *path = sliver_path(dir, axis, i, false);
			bool ok = true;
			if (axis == AUDIT_AXIS_PRIMARY && i >= kp) {
				int fd = open(part, O_WRONLY | O_CLOEXEC);
				ok = fd >= 0 && fsync(fd) == 0;
				if (!ok)
					err_set(e, "cannot sync %s: %s", part, strerror(errno));
				if (fd >= 0)
					close(fd);
			}
			if (ok && rename(part, path) != 0)
				ok = err_set(e, "cannot rename %s to %s: %s", part, path, strerror(errno));
			free(part);
			free(path);
			if (!ok)
				return false;
		}
	return true;
}

static void stream_remove_parts(const char *dir, size_t n, const char *raw)
{
	for (size_t i = 0; i < n; i++)
		for (int a = 0; a < 2; a++) {
			char *part = sliver_path(dir, (enum audit_proof_axis)a, i, true);
			(void)unlink(part);
			free(part);
		}
	(void)unlink(raw);
}

bool node_encode_file_stream(const struct node_codec *c, const char *path, const char *dir,
			     uint8_t id[AUDIT_DIGEST_LEN], struct err *e)
{
	const struct audit_params *p = &c->params;
	const size_t n = p->n, kp = p->k_primary, ks = p->k_secondary;
	struct stream_job j = {c, 0, NULL, 0, NULL};
	struct audit_metadata *md = NULL;
	struct buf head = BUF_INIT;
	uint8_t (*roots)[AUDIT_DIGEST_LEN] = NULL;
	uint8_t *gather = NULL;
	char *raw = xasprintf("%s/.secondary.raw.part", dir);
	int in = -1, rawfd = -1;
	bool ok = false, made = false;
	struct stat st;

	if ((in = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(in, &st) != 0) {
		err_set(e, "cannot read %s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, "%s is not a regular file (streaming reads it twice)", path);
		goto out;
	}
	const uint64_t len = (uint64_t)st.st_size, max = audit_max_blob_size(p);
	if (len > max) {
		err_set(e, "%s has %llu bytes, and a blob for %zu shards holds at most %llu", path,
			(unsigned long long)len, n, (unsigned long long)max);
		goto out;
	}
	if (!audit_symbol_size(p, len, &j.ss, e))
		goto out;
	const size_t ss = j.ss, pl = ks * ss, sl = kp * ss, vec = n * ss;
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		err_set(e, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	made = true;
	if ((rawfd = open(raw, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		err_set(e, "cannot create %s: %s", raw, strerror(errno));
		goto out;
	}
	const size_t batch = STREAM_BATCH / vec ? STREAM_BATCH / vec : 1;
	j.buf = xmalloc(batch * vec);
	j.leaf = xmalloc(n * n * AUDIT_DIGEST_LEN);
	gather = xmalloc(batch * ss);

	/* A. X's rows: Y's rows, primary slivers 0..k_p-1, symbols of the secondary ones. */
	for (size_t r0 = 0; r0 < kp; r0 += batch) {
		const size_t rows = kp - r0 < batch ? kp - r0 : batch;
		for (size_t t = 0; t < rows; t++)
			if (!pread_all(in, j.buf + t * vec, pl, (off_t)((r0 + t) * pl), path, e))
				goto out;
		/* the file's last row may hold bytes past the blob if it changed meanwhile */
		for (size_t t = 0; t < rows; t++) {
			uint64_t off = (uint64_t)(r0 + t) * pl;
			if (off + pl > len)
				memset(j.buf + t * vec + (off < len ? len - off : 0), 0,
				       off < len ? pl - (size_t)(len - off) : pl);
		}
		j.base = r0;
		stream_parallel(stream_rows, &j, rows);
		for (size_t t = 0; t < rows; t++)
			if (!write_sliver_part(dir, AUDIT_AXIS_PRIMARY, r0 + t, j.buf + t * vec, pl,
					       j.ss, &head, e))
				goto out;
		for (size_t col = 0; col < n; col++) {
			for (size_t t = 0; t < rows; t++)
				memcpy(gather + t * ss, j.buf + t * vec + col * ss, ss);
			if (!pwrite_all(rawfd, gather, rows * ss, (off_t)(col * sl + r0 * ss), raw, e))
				goto out;
		}
	}

	/* B. The primary parity slivers' files first get their frame, then the columns. */
	for (size_t i = kp; i < n; i++) {
		uint8_t tail[4];
		char *part = sliver_path(dir, AUDIT_AXIS_PRIMARY, i, true);
		int fd = open_part(part, O_TRUNC, e);
		sliver_frame(pl, j.ss, i, &head, tail);
		bool w = fd >= 0 && pwrite_all(fd, head.data, head.len, 0, part, e) &&
			 pwrite_all(fd, tail, 4, (off_t)(head.len + pl), part, e);
		if (fd >= 0)
			close(fd);
		free(part);
		if (!w)
			goto out;
	}
	const size_t phead = head.len;
	for (size_t c0 = 0; c0 < n; c0 += batch) {
		const size_t cols = n - c0 < batch ? n - c0 : batch;
		for (size_t t = 0; t < cols; t++)
			if (!pread_all(rawfd, j.buf + t * vec, sl, (off_t)((c0 + t) * sl), raw, e) ||
			    !write_sliver_part(dir, AUDIT_AXIS_SECONDARY, c0 + t, j.buf + t * vec, sl,
					       j.ss, &head, e))
				goto out;
		j.base = c0;
		stream_parallel(stream_cols, &j, cols);
		if (c0 >= ks)
			continue;
		const size_t in_primary = ks - c0 < cols ? ks - c0 : cols;
		for (size_t i = kp; i < n; i++) {
			char *part = sliver_path(dir, AUDIT_AXIS_PRIMARY, i, true);
			int fd = open_part(part, 0, e);
			for (size_t t = 0; t < in_primary; t++)
				memcpy(gather + t * ss, j.buf + t * vec + i * ss, ss);
			bool w = fd >= 0 && pwrite_all(fd, gather, in_primary * ss,
						       (off_t)(phead + c0 * ss), part, e);
			if (fd >= 0)
				close(fd);
			free(part);
			if (!w)
				goto out;
		}
	}

	/* The roots, the metadata, and the files under their names. */
	roots = xmalloc(2 * n * AUDIT_DIGEST_LEN);
	audit_merkle_roots_many(roots, (const uint8_t(*)[AUDIT_DIGEST_LEN])j.leaf, n, n, n, 1);
	audit_merkle_roots_many(roots + n, (const uint8_t(*)[AUDIT_DIGEST_LEN])j.leaf, n, n, 1, n);
	md = audit_metadata_new(p->n);
	md->encoding_type = c->encoding_type;
	md->unencoded_length = len;
	for (size_t i = 0; i < n; i++) {
		memcpy(md->hashes[i].primary.digest, roots[i], AUDIT_DIGEST_LEN);
		md->hashes[i].primary.present = true;
		memcpy(md->hashes[n - 1 - i].secondary.digest, roots[n + i], AUDIT_DIGEST_LEN);
		md->hashes[n - 1 - i].secondary.present = true;
	}
	audit_blob_id(md, id);
	buf_reset(&head);
	audit_metadata_write(&head, md);
	if (!stream_finish_files(dir, n, kp, e) ||
	    !write_out(dir, "metadata.bcs", head.data, head.len, e))
		goto out;
	log_info("encoded %llu bytes for %zu shards in two passes: symbol size %zu, %zu pairs "
		 "written to %s", (unsigned long long)len, n, ss, n, dir);
	ok = true;
out:
	if (!ok && made)
		stream_remove_parts(dir, n, raw);
	else if (made)
		(void)unlink(raw);
	if (in >= 0)
		close(in);
	if (rawfd >= 0)
		close(rawfd);
	free(raw);
	free(j.buf);
	free(j.leaf);
	free(gather);
	free(roots);
	buf_free(&head);
	audit_metadata_free(md);
	return ok;
}

bool node_encode_file(uint32_t n, const char *path, const char *dir,
		      uint8_t id[AUDIT_DIGEST_LEN], struct err *e)
{
	struct node_codec *codec = NULL;
	struct node_blob *b = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	bool ok = false;
	if (!node_codec_new(n, &codec, e))
		return false;
	struct stat st;
	if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size >= NODE_STREAM_MIN) {
		ok = node_encode_file_stream(codec, path, dir, id, e);
		goto out;
	}
	uint64_t max = audit_max_blob_size(node_codec_params(codec));
	struct err re = {{0}};
	if (!read_file(path, max > SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)max, &data, &len, &re)) {
		err_set(e, "%s (a blob for %u shards holds at most %llu bytes)", re.msg, n,
			(unsigned long long)max);
		goto out;
	}
	if (!node_encode(codec, data, len, &b, e) || !node_blob_write_dir(b, dir, e))
		goto out;
	memcpy(id, b->blob_id, AUDIT_DIGEST_LEN);
	log_info("encoded %zu bytes for %u shards: symbol size %u, %u pairs written to %s", len, n,
		 b->symbol_size, b->n, dir);
	ok = true;
out:
	free(data);
	node_blob_free(b);
	node_codec_free(codec);
	return ok;
}

bool node_metadata_file_id(const char *path, uint8_t id[AUDIT_DIGEST_LEN], struct err *e)
{
	uint8_t *data = NULL;
	size_t len = 0;
	struct audit_metadata *md = NULL;
	/* The largest metadata: tag, type, length, count, 65535 pairs of two full nodes. */
	const size_t max = 1 + 5 + 8 + 5 + (size_t)AUDIT_MAX_SHARDS * 2 * (1 + AUDIT_DIGEST_LEN);
	bool ok = read_file(path, max, &data, &len, e) && audit_metadata_parse(data, len, &md, e);
	if (ok)
		audit_blob_id(md, id);
	free(data);
	audit_metadata_free(md);
	return ok;
}
