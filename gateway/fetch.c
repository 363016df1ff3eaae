/* fetch.c: verified pieces from the storage nodes, with hedging (see fetch.h). */
#include "gateway/fetch.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/blob.h"
#include "audit/symbol.h"
#include "core/err.h"
#include "core/log.h"
#include "gateway/metrics.h"
#include "node/client.h"
#include "node/committee.h"
#include "node/encoder.h"

/* ---- the committee snapshot ---- */

struct gateway_nodes {
	atomic_int refs;
	struct node_committee *cm;
	_Atomic uint64_t *down_until; /* per member, ms */
};

struct gateway_nodes *gateway_nodes_new(struct node_committee *cm)
{
	struct gateway_nodes *v = xcalloc(1, sizeof(*v));
	atomic_init(&v->refs, 1);
	v->cm = cm;
	v->down_until = xcalloc(cm->count ? cm->count : 1, sizeof(*v->down_until));
	return v;
}

struct gateway_nodes *gateway_nodes_ref(struct gateway_nodes *v)
{
	atomic_fetch_add(&v->refs, 1);
	return v;
}

void gateway_nodes_unref(struct gateway_nodes *v)
{
	if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
		return;
	node_committee_free(v->cm);
	free((void *)(uintptr_t)v->down_until);
	free(v);
}

const struct node_committee *gateway_nodes_committee(const struct gateway_nodes *v)
{
	return v->cm;
}

/* ---- the fetcher ---- */

#define MAX_CODECS 4

struct gateway_fetcher {
	struct gateway_fetch_cfg cfg;
	struct gateway_metrics *metrics;
	pthread_mutex_t lock;
	struct node_codec *codecs[MAX_CODECS];
	uint32_t codec_n[MAX_CODECS];
	atomic_int threads; /* attempts and fill workers still running */
};

void gateway_fetcher_hold(struct gateway_fetcher *f)
{
	atomic_fetch_add(&f->threads, 1);
}

void gateway_fetcher_release(struct gateway_fetcher *f)
{
	atomic_fetch_sub(&f->threads, 1);
}

struct gateway_fetcher *gateway_fetcher_new(const struct gateway_fetch_cfg *cfg,
					    struct gateway_metrics *m)
{
	struct gateway_fetcher *f = xcalloc(1, sizeof(*f));
	f->cfg = *cfg;
	if (!f->cfg.timeout_ms)
		f->cfg.timeout_ms = 10000;
	if (!f->cfg.hedge_ms)
		f->cfg.hedge_ms = 2000;
	if (!f->cfg.backoff_ms)
		f->cfg.backoff_ms = 5000;
	f->metrics = m;
	pthread_mutex_init(&f->lock, NULL);
	return f;
}

void gateway_fetcher_free(struct gateway_fetcher *f)
{
	if (!f)
		return;
	/* every thread ends within a node timeout (two, for a hedge that decodes) */
	uint64_t deadline = now_ms() + 3 * f->cfg.timeout_ms + 1000;
	while (atomic_load(&f->threads) > 0 && now_ms() < deadline) {
		struct timespec ts = {0, 20 * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (atomic_load(&f->threads) > 0) {
		log_warn("%d fetch threads still running at exit; leaving the fetcher to them",
			 atomic_load(&f->threads));
		return;
	}
	for (size_t i = 0; i < MAX_CODECS; i++)
		node_codec_free(f->codecs[i]);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

/* The decoder for n shards (ISA-L RS8 only), made once. */
static const struct node_codec *codec_for(struct gateway_fetcher *f, uint32_t n, struct err *e)
{
	const struct node_codec *c = NULL;
	pthread_mutex_lock(&f->lock);
	size_t i;
	for (i = 0; i < MAX_CODECS && f->codecs[i]; i++)
		if (f->codec_n[i] == n) {
			c = f->codecs[i];
			break;
		}
	if (!c) {
		struct node_codec *nc = NULL;
		if (node_codec_new(n, &nc, e)) {
			node_codec_set_threads(nc, 1);
			if (i == MAX_CODECS) { /* full: replace the oldest (rare: one n per network) */
				node_codec_free(f->codecs[0]);
				memmove(&f->codecs[0], &f->codecs[1],
					(MAX_CODECS - 1) * sizeof(f->codecs[0]));
				memmove(&f->codec_n[0], &f->codec_n[1],
					(MAX_CODECS - 1) * sizeof(f->codec_n[0]));
				i = MAX_CODECS - 1;
			}
			f->codecs[i] = nc;
			f->codec_n[i] = n;
			c = nc;
		}
	}
	pthread_mutex_unlock(&f->lock);
	return c;
}

void gateway_blob_clear(struct gateway_blob *b)
{
	if (!b)
		return;
	audit_metadata_free(b->md);
	memset(b, 0, sizeof(*b));
}

static bool member_up(const struct gateway_nodes *v, size_t m)
{
	return atomic_load(&v->down_until[m]) <= now_ms();
}

/* A failed request: transport failures take the node out for backoff_ms. */
static void member_failed(struct gateway_fetcher *f, struct gateway_nodes *v, size_t m,
			  const char *reason, const char *msg)
{
	bool transport = strstr(msg, "answered HTTP") == NULL;
	if (transport)
		atomic_store(&v->down_until[m], now_ms() + f->cfg.backoff_ms);
	gateway_metrics_node_failure(f->metrics, v->cm->members[m].url,
				     transport ? "unreachable" : reason);
	log_info("node %s: %s", v->cm->members[m].url, msg);
}

static struct node_client client_of(const struct gateway_fetcher *f,
				    const struct gateway_nodes *v, size_t m, uint64_t timeout_ms)
{
	struct node_client c = {v->cm->members[m].url, v->cm->members[m].pin,
				timeout_ms ? timeout_ms : f->cfg.timeout_ms};
	return c;
}

enum gateway_fetch_status gateway_fetch_metadata(struct gateway_fetcher *f,
						 struct gateway_nodes *v,
						 const uint8_t id[AUDIT_DIGEST_LEN],
						 struct gateway_blob *out, struct err *e)
{
	const struct node_committee *cm = v->cm;
	memset(out, 0, sizeof(*out));
	if (cm->count == 0) {
		err_set(e, "the committee has no nodes");
		return GATEWAY_FETCH_FAILED;
	}
	size_t start = audit_blob_rotation(id, (uint32_t)cm->count);
	size_t not_found = 0, asked = 0;
	struct audit_metadata *md = NULL;
	/* Two passes: first a short deadline per node (a slow node is passed over, as a
	 * hedge would), then the full one for those that were slow or down. */
	for (int pass = 0; pass < 2 && !md; pass++) {
		for (size_t k = 0; k < cm->count && !md; k++) {
			size_t m = (start + k) % cm->count;
			if (pass == 0 && !member_up(v, m))
				continue;
			struct node_client cl =
				client_of(f, v, m, pass == 0 ? f->cfg.hedge_ms : f->cfg.timeout_ms);
			struct err me = {{0}};
			asked++;
			if (node_client_get_metadata(&cl, id, &md, &me))
				break;
			if (strstr(me.msg, "answered HTTP 404")) {
				not_found++;
				continue;
			}
			member_failed(f, v, m, "bad_metadata", me.msg);
		}
		if (!md && pass == 0 && not_found == cm->count)
			break;
	}
	if (!md) {
		if (not_found > 0 && not_found >= cm->count) {
			err_set(e, "no storage node stores this blob");
			return GATEWAY_FETCH_NOT_FOUND;
		}
		err_set(e, "no storage node answered with metadata that hashes to the blob ID "
			   "(%zu asked, %zu said not found)", asked, not_found);
		return not_found > 0 && not_found * 3 > cm->count * 2 ? GATEWAY_FETCH_NOT_FOUND
								     : GATEWAY_FETCH_FAILED;
	}
	struct audit_params p;
	uint16_t ss;
	if (md->n_shards != cm->n || !audit_metadata_params(md, &p, &ss, e)) {
		if (md->n_shards != cm->n)
			err_set(e, "the blob's metadata is for %u shards, the committee has %u",
				md->n_shards, cm->n);
		audit_metadata_free(md);
		return GATEWAY_FETCH_FAILED;
	}
	memcpy(out->id, id, AUDIT_DIGEST_LEN);
	out->md = md;
	out->n = md->n_shards;
	out->k_p = p.k_primary;
	out->k_s = p.k_secondary;
	out->ss = ss;
	out->len = md->unencoded_length;
	return GATEWAY_FETCH_OK;
}

/* ---- pieces ---- */

/* Ask member m for (row, cols[0..count)) on axis; verified symbols' data go to
 * got[col] (ss bytes each, at out + (col - c0)·ss when the col is in [c0, c1)) or are kept
 * in keep[] for decoding. Returns how many verified. */
struct gather {
	const struct gateway_blob *b;
	uint32_t row, c0, c1;
	uint8_t *out;              /* (c1 - c0)·ss */
	bool *have;                /* n entries: column j verified */
	struct audit_recovery_symbol *keep; /* n entries (secondary axis, for decoding) */
	size_t nkeep;
};

static size_t ask(struct gateway_fetcher *f, struct gateway_nodes *v, size_t m,
		  struct gather *g, const uint16_t *cols, size_t count, enum audit_proof_axis axis)
{
	const struct gateway_blob *b = g->b;
	struct audit_symbol_id *ids = xcalloc(count, sizeof(*ids));
	for (size_t i = 0; i < count; i++)
		ids[i] = (struct audit_symbol_id){(uint16_t)g->row, cols[i]};
	struct node_client cl = client_of(f, v, m, 0);
	struct audit_recovery_symbols *list = NULL;
	struct err e = {{0}};
	size_t good = 0;
	if (!node_client_get_symbols(&cl, b->id, ids, count, axis, &list, &e)) {
		member_failed(f, v, m, "http_error", e.msg);
		goto out;
	}
	enum audit_symbol_verdict *verdicts = xcalloc(count, sizeof(*verdicts));
	audit_symbols_verify_list(b->md, ids, count, axis, list, verdicts, NULL);
	uint64_t bytes = 0;
	for (size_t i = 0; i < count; i++) {
		if (verdicts[i] != AUDIT_SYMBOL_PASS)
			continue;
		/* find the item that passed for ids[i] (the verifier matched it by id) */
		struct audit_recovery_symbol *sym = NULL;
		for (size_t k = 0; k < list->count; k++) {
			struct audit_symbol_id sid;
			enum audit_proof_axis sax;
			audit_recovery_symbol_id(&list->items[k], &sid, &sax);
			if (sax == axis && sid.primary == ids[i].primary &&
			    sid.secondary == ids[i].secondary) {
				sym = &list->items[k];
				break;
			}
		}
		if (!sym || sym->data_len != b->ss || g->have[cols[i]])
			continue;
		uint32_t c = cols[i];
		if (c >= g->c0 && c < g->c1)
			memcpy(g->out + (size_t)(c - g->c0) * b->ss, sym->data, b->ss);
		g->have[c] = true;
		bytes += sym->data_len;
		if (g->keep && axis == AUDIT_AXIS_SECONDARY) {
			g->keep[g->nkeep++] = *sym;
			memset(sym, 0, sizeof(*sym)); /* moved */
		}
		good++;
	}
	if (good < count) {
		log_warn("node %s: %zu of %zu symbols of blob row %u fail verification; dropped",
			 v->cm->members[m].url, count - good, count, g->row);
		gateway_metrics_node_failure(f->metrics, v->cm->members[m].url, "invalid_symbol");
	}
	gateway_metrics_node_bytes(f->metrics, v->cm->members[m].url, bytes);
	free(verdicts);
out:
	audit_recovery_symbols_free(list);
	free(ids);
	return good;
}

/* Primary path: the node holding primary sliver row. All symbols must verify. */
static bool piece_primary(struct gateway_fetcher *f, struct gateway_nodes *v,
			  const struct gateway_blob *b, uint32_t row, uint32_t c0, uint32_t c1,
			  uint8_t *out, struct err *e)
{
	const struct node_committee *cm = v->cm;
	size_t m = cm->owner[audit_shard_of_pair(b->id, b->n, row)];
	if (!member_up(v, m))
		return err_set(e, "the node holding primary sliver %u is down", row);
	size_t count = c1 - c0;
	uint16_t *cols = xcalloc(count, sizeof(*cols));
	for (size_t i = 0; i < count; i++)
		cols[i] = (uint16_t)(c0 + i);
	bool *have = xcalloc(b->n, sizeof(*have));
	struct gather g = {b, row, c0, c1, out, have, NULL, 0};
	size_t good = ask(f, v, m, &g, cols, count, AUDIT_AXIS_PRIMARY);
	free(cols);
	free(have);
	if (good != count)
		return err_set(e, "the node holding primary sliver %u gave %zu of %zu verified "
				  "symbols", row, good, count);
	return true;
}

/* Fallback: symbols of row `row` from the secondary slivers' holders, decoding the primary
 * sliver when some columns' holders are gone. */
static bool piece_secondary(struct gateway_fetcher *f, struct gateway_nodes *v,
			    const struct gateway_blob *b, uint32_t row, uint32_t c0, uint32_t c1,
			    uint8_t *out, struct err *e)
{
	const struct node_committee *cm = v->cm;
	uint32_t n = b->n;
	bool *have = xcalloc(n, sizeof(*have));
	bool *asked = xcalloc(n, sizeof(*asked));
	struct audit_recovery_symbol *keep = xcalloc(n, sizeof(*keep));
	uint16_t *cols = xcalloc(n, sizeof(*cols));
	struct gather g = {b, row, c0, c1, out, have, keep, 0};
	uint8_t *sliver = NULL;
	bool ok = false;
	/* round 0: the columns wanted; round 1: any other columns, to decode */
	for (int round = 0; round < 2; round++) {
		size_t missing = 0;
		for (uint32_t c = c0; c < c1; c++)
			missing += !have[c];
		if (missing == 0) {
			ok = true;
			goto out;
		}
		if (round == 1) {
			if (!node_encoding_supported(b->md->encoding_type, n)) {
				err_set(e, "%zu symbols of row %u are unavailable and this gateway "
					   "decodes only encoding types %u and %u", missing, row,
					NODE_ENCODING_RS8, NODE_ENCODING_RS16);
				goto out;
			}
		}
		for (size_t m = 0; m < cm->count; m++) {
			if (round == 1 && g.nkeep >= b->k_s)
				break;
			if (!member_up(v, m))
				continue;
			size_t count = 0;
			for (uint32_t c = round == 0 ? c0 : 0; c < (round == 0 ? c1 : n); c++) {
				uint32_t pair = audit_pair_of_secondary_sliver(n, c);
				if (asked[c] || cm->owner[audit_shard_of_pair(b->id, n, pair)] != m)
					continue;
				asked[c] = true;
				cols[count++] = (uint16_t)c;
			}
			if (count)
				(void)ask(f, v, m, &g, cols, count, AUDIT_AXIS_SECONDARY);
		}
	}
	/* decode the primary sliver from k_s verified symbols of its row */
	if (g.nkeep < b->k_s) {
		err_set(e, "row %u: only %zu verified symbols could be had, %u are needed to decode",
			row, g.nkeep, b->k_s);
		goto out;
	}
	const struct node_codec *codec = codec_for(f, n, e);
	if (!codec)
		goto out;
	size_t len = (size_t)b->k_s * b->ss;
	sliver = xmalloc(len);
	size_t rejected = 0;
	if (!node_sliver_recover_from_symbols(codec, b->md, AUDIT_AXIS_PRIMARY, (uint16_t)row,
					      keep, g.nkeep, sliver, &rejected, e))
		goto out;
	memcpy(out, sliver + (size_t)c0 * b->ss, (size_t)(c1 - c0) * b->ss);
	ok = true;
out:
	for (size_t i = 0; i < g.nkeep; i++)
		audit_recovery_symbol_clear(&keep[i]);
	free(keep);
	free(sliver);
	free(cols);
	free(asked);
	free(have);
	return ok;
}

/* One hedged piece: the attempts run on their own threads; the first verified answer is
 * copied out, a late one is dropped with the job. */
struct job {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	bool done, ok;
	int running;
	struct gateway_fetcher *f;
	struct gateway_nodes *v;
	const struct gateway_blob *b;
	struct gateway_blob blob; /* the job's own copy of the layout (md shared, see below) */
	uint32_t row, c0, c1;
	uint8_t *result;
	char errs[2][200];
};

struct attempt {
	struct job *j;
	int which; /* 0 primary, 1 secondary */
};

static void job_unref(struct job *j)
{
	pthread_mutex_lock(&j->lock);
	bool last = --j->refs == 0;
	pthread_mutex_unlock(&j->lock);
	if (!last)
		return;
	gateway_nodes_unref(j->v);
	audit_metadata_free(j->blob.md);
	pthread_mutex_destroy(&j->lock);
	pthread_cond_destroy(&j->cond);
	free(j->result);
	free(j);
}

static void *attempt_run(void *arg)
{
	struct attempt *a = arg;
	struct job *j = a->j;
	size_t len = (size_t)(j->c1 - j->c0) * j->blob.ss;
	uint8_t *buf = xmalloc(len ? len : 1);
	struct err e = {{0}};
	bool ok = a->which == 0
			  ? piece_primary(j->f, j->v, &j->blob, j->row, j->c0, j->c1, buf, &e)
			  : piece_secondary(j->f, j->v, &j->blob, j->row, j->c0, j->c1, buf, &e);
	struct gateway_fetcher *f = j->f;
	pthread_mutex_lock(&j->lock);
	j->running--;
	if (ok && !j->done) {
		j->done = j->ok = true;
		j->result = buf;
		buf = NULL;
	} else if (!ok) {
		snprintf(j->errs[a->which], sizeof(j->errs[0]), "%.190s", e.msg);
	}
	pthread_cond_broadcast(&j->cond);
	pthread_mutex_unlock(&j->lock);
	free(buf);
	free(a);
	job_unref(j);
	gateway_fetcher_release(f);
	return NULL;
}

static bool attempt_start(struct job *j, int which)
{
	struct attempt *a = xmalloc(sizeof(*a));
	a->j = j;
	a->which = which;
	pthread_mutex_lock(&j->lock);
	j->refs++;
	j->running++;
	pthread_mutex_unlock(&j->lock);
	gateway_fetcher_hold(j->f);
	if (!thread_start_detached(attempt_run, a)) {
		gateway_fetcher_release(j->f);
		pthread_mutex_lock(&j->lock);
		j->refs--;
		j->running--;
		pthread_mutex_unlock(&j->lock);
		free(a);
		return false;
	}
	return true;
}

static struct audit_metadata *metadata_copy(const struct audit_metadata *md)
{
	struct audit_metadata *c = audit_metadata_new(md->n_shards);
	c->encoding_type = md->encoding_type;
	c->unencoded_length = md->unencoded_length;
	memcpy(c->hashes, md->hashes, md->n_shards * sizeof(*md->hashes));
	return c;
}

bool gateway_fetch_piece(struct gateway_fetcher *f, struct gateway_nodes *v,
			 const struct gateway_blob *b, uint32_t row, uint32_t c0, uint32_t c1,
			 uint8_t *out, struct err *e)
{
	ASSAY_ASSERT(row < b->k_p && c0 < c1 && c1 <= b->k_s);
	struct job *j = xcalloc(1, sizeof(*j));
	pthread_mutex_init(&j->lock, NULL);
	cond_init_monotonic(&j->cond);
	j->refs = 1;
	j->f = f;
	j->v = gateway_nodes_ref(v);
	/* An attempt may outlive this call (a hedge that lost): it works on its own copy. */
	j->blob = *b;
	j->blob.md = metadata_copy(b->md);
	j->row = row;
	j->c0 = c0;
	j->c1 = c1;
	bool ok = false;
	bool hedged = false;
	if (!attempt_start(j, 0)) {
		err_set(e, "cannot start a fetch thread");
		goto out;
	}
	struct timespec dl = monotonic_in_ms(f->cfg.hedge_ms);
	pthread_mutex_lock(&j->lock);
	for (;;) {
		if (j->done)
			break;
		bool hedge_now = false;
		if (j->running == 0) {
			if (hedged)
				break; /* every attempt failed */
			hedge_now = true;
		} else if (!hedged) {
			if (pthread_cond_timedwait(&j->cond, &j->lock, &dl) == ETIMEDOUT &&
			    !j->done) {
				hedge_now = true;
				/* too slow to wait for: the fallback, and other requests for
				 * backoff_ms, ask other nodes (its answer may still win) */
				size_t m = v->cm->owner[audit_shard_of_pair(b->id, b->n, row)];
				uint64_t until = now_ms() + f->cfg.backoff_ms;
				if (atomic_load(&v->down_until[m]) < until)
					atomic_store(&v->down_until[m], until);
				gateway_metrics_node_failure(f->metrics, v->cm->members[m].url,
							     "hedged");
			}
		} else {
			pthread_cond_wait(&j->cond, &j->lock);
		}
		if (hedge_now) {
			hedged = true;
			pthread_mutex_unlock(&j->lock);
			bool started = attempt_start(j, 1);
			pthread_mutex_lock(&j->lock);
			if (!started && j->running == 0)
				break;
		}
	}
	if (j->done && j->ok) {
		memcpy(out, j->result, (size_t)(c1 - c0) * b->ss);
		ok = true;
	} else {
		err_set(e, "row %u, symbols %u..%u: %s; %s", row, c0, c1 - 1,
			j->errs[0][0] ? j->errs[0] : "no answer in time",
			j->errs[1][0] ? j->errs[1] : "no fallback answer");
	}
	pthread_mutex_unlock(&j->lock);
out:
	job_unref(j);
	return ok;
}
