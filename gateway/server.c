/* server.c: the gateway's HTTP server (see server.h).
 *
 * libmicrohttpd runs event loops (epoll, a pool of `threads`), and nothing blocks them:
 * a request that can be answered at once (a cached blob, a 304, 404, 416, /metrics) is
 * answered on the loop; one that must wait (a blob's metadata being loaded, the first
 * verified bytes of a cold blob, a PUT being published) suspends its connection and a
 * thread of its own does the waiting, then resumes it with the answer. A streamed body
 * whose next bytes are not verified yet suspends its connection too, and the fill
 * (gateway/fill.h) resumes it when they are, or when it fails (then the connection is
 * aborted). Requests in flight are bounded by max_requests (503 beyond; /metrics is not
 * counted) and the connection limit. */
#include "gateway/server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit/blob.h"
#include "chain/deployment.h"
#include "chain/reader.h"
#include "chain/rpc.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/net.h"
#include "gateway/cache.h"
#include "gateway/fetch.h"
#include "gateway/fill.h"
#include "gateway/http.h"
#include "gateway/metrics.h"
#include "node/committee.h"
#include "node/follow.h"

#define MAX_BLOBS 4096          /* blob entries kept in memory (metadata, chain info) */
#define MAX_AGE_CAP 29030400u   /* a year of seconds, as IPFS gateways send */
#define READ_WAIT_MS_MIN 30000u /* a reader waits this long at least for the next bytes */

enum blob_state { BLOB_LOADING, BLOB_READY, BLOB_MISSING, BLOB_FAILED };

struct blob_ent {
	uint8_t id[AUDIT_DIGEST_LEN];
	int refs;
	enum blob_state state;
	uint64_t expires_ms; /* MISSING / FAILED: try again after this */
	uint64_t used;       /* LRU clock */
	struct gateway_blob b;
	bool on_chain;
	uint64_t end_epoch;
	char ctype[GATEWAY_CACHE_CTYPE_MAX]; /* sniffed; "" until known */
	struct gateway_fill *fill;           /* the whole blob being fetched, or NULL */
	struct gateway_cache_tmp tmp;        /* its cache entry being written */
	bool has_tmp;
	char why[240];
};

struct gw {
	struct gateway_config cfg;
	struct MHD_Daemon *daemon;
	struct sockaddr_in addr;
	struct gateway_fetcher *fetcher;
	struct gateway_metrics *metrics;
	struct gateway_cache *cache;
	char *tmp_cache_dir; /* ours to remove */
	struct net_limiter limiter;
	atomic_int inflight, fetches;
	atomic_int jobs; /* threads answering a suspended request */

	/* streams suspended until their fill has the next bytes (deadline checked by the
	 * main loop); `stopping` is set under wait_lock, so none suspends after the sweep */
	pthread_mutex_t wait_lock;
	struct stream *waiting;
	atomic_bool stopping;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct gateway_nodes *nodes;
	uint64_t epoch, epoch_start, epoch_duration;
	int64_t chain_clock_offset; /* the chain's clock minus ours, seconds (anvil moves it) */
	struct blob_ent *blobs[MAX_BLOBS];
	size_t nblobs;
	uint64_t clock;

	/* the chain (NULL with a committee file) */
	pthread_mutex_t chain_lock;
	struct chain_rpc *rpc;
	struct chain_deployment dep;
	struct chain_reader *reader;
	pthread_t poller;
	bool poller_started;
	volatile sig_atomic_t *stop;
};

/* ---- per request ---- */

/* What a blob request asked, copied out of the connection so that a job thread can
 * answer it while the connection is suspended. */
struct blob_req {
	char id[64];
	bool head, byte_range;
	char *ct_override, *filename, *download, *start, *length, *if_none_match, *range,
		*if_range;
};

enum job_kind { JOB_NONE, JOB_BLOB, JOB_PUT };

struct request {
	struct gw *g;
	struct MHD_Connection *conn;
	uint64_t t0;
	const char *route;
	unsigned code;
	struct MHD_Response *resp; /* the answer, queued by handle */
	uint64_t size;
	bool checked; /* the limits applied (route, once) */
	bool counted; /* in g->inflight (every request but /metrics) */
	struct buf body; /* PUT */
	bool too_large;
	uint64_t epochs; /* PUT */
	struct blob_req q;
	enum job_kind job; /* a thread answers it; the connection is suspended meanwhile */
};

struct stream {
	struct gw *g;
	struct MHD_Connection *conn;
	struct blob_ent *ent;
	struct gateway_fill *fill;
	uint64_t base; /* blob offset of the body's first byte */
	uint64_t len;
	uint64_t t0;
	bool first;
	uint64_t wait_ms;
	bool private_fill;
	/* suspended waiting for the fill (in g->waiting) */
	struct gateway_fill_watch watch;
	struct stream *wprev, *wnext;
	uint64_t deadline_ms;
	bool timed_out; /* woken by the deadline or the gateway stopping, not the fill */
};

static void ent_unref(struct gw *g, struct blob_ent *ent);

static void set_common(struct MHD_Response *r)
{
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
}

/* Keeps the answer for handle to queue (a job thread builds it while the connection is
 * suspended; only the loop may queue it). */
static enum MHD_Result queue(struct request *rq, unsigned code, struct MHD_Response *r)
{
	ASSAY_ASSERT(!rq->resp);
	rq->code = code;
	rq->resp = r;
	return r ? MHD_YES : MHD_NO;
}

static enum MHD_Result send_text(struct request *rq, unsigned code, const char *ctype,
				 const char *cache_control, unsigned retry_after, const char *fmt,
				 ...) PRINTF_FMT(6, 7);

static enum MHD_Result send_text(struct request *rq, unsigned code, const char *ctype,
				 const char *cache_control, unsigned retry_after, const char *fmt,
				 ...)
{
	struct buf b = BUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	char tmp[1024];
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	buf_append_str(&b, tmp);
	size_t len;
	uint8_t *data = buf_steal(&b, &len);
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(data);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	if (cache_control)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cache_control);
	if (retry_after) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	set_common(r);
	rq->size = len;
	return queue(rq, code, r);
}

/* A JSON error in Walrus's shape: {"error": {"status", "code", "message"}}. */
static enum MHD_Result send_error(struct request *rq, unsigned code, const char *cache_control,
				  unsigned retry_after, const char *msg)
{
	const char *status = code == 400   ? "INVALID_ARGUMENT"
			     : code == 401 ? "UNAUTHENTICATED"
			     : code == 404 ? "NOT_FOUND"
			     : code == 405 ? "METHOD_NOT_ALLOWED"
			     : code == 413 ? "OUT_OF_RANGE"
			     : code == 416 ? "OUT_OF_RANGE"
			     : code == 429 ? "RESOURCE_EXHAUSTED"
			     : code == 503 ? "UNAVAILABLE"
				           : "INTERNAL";
	char esc[600];
	size_t k = 0;
	for (const char *p = msg; *p && k + 7 < sizeof(esc); p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '"' || c == '\\') {
			esc[k++] = '\\';
			esc[k++] = (char)c;
		} else if (c < 0x20) {
			k += (size_t)snprintf(esc + k, sizeof(esc) - k, "\\u%04x", c);
		} else {
			esc[k++] = (char)c;
		}
	}
	esc[k] = '\0';
	return send_text(rq, code, "application/json",
			 cache_control ? cache_control : "no-store", retry_after,
			 "{\"error\":{\"status\":\"%s\",\"code\":%u,\"message\":\"%s\"}}\n", status,
			 code, esc);
}

/* ---- the committee and the chain ---- */

static struct gateway_nodes *nodes_get(struct gw *g)
{
	pthread_mutex_lock(&g->lock);
	struct gateway_nodes *v = g->nodes ? gateway_nodes_ref(g->nodes) : NULL;
	pthread_mutex_unlock(&g->lock);
	return v;
}

/* Reads the current epoch and its committee; replaces the view when the epoch changed. */
static bool refresh_chain(struct gw *g, struct err *e)
{
	struct chain_epoch_view v;
	memset(&v, 0, sizeof(v));
	struct node_committee *cm = NULL;
	bool ok = false;
	struct chain_block head;
	bool found = false;
	pthread_mutex_lock(&g->chain_lock);
	bool got = chain_reader_epoch(g->reader, CHAIN_READER_CURRENT, &v, e) &&
		   chain_rpc_get_block(g->rpc, "latest", &head, &found, e);
	pthread_mutex_unlock(&g->chain_lock);
	if (!got)
		goto out;
	if (found) {
		pthread_mutex_lock(&g->lock);
		g->chain_clock_offset = (int64_t)head.timestamp - (int64_t)now_unix();
		pthread_mutex_unlock(&g->lock);
	}
	pthread_mutex_lock(&g->lock);
	bool same = g->nodes && g->epoch == v.epoch;
	pthread_mutex_unlock(&g->lock);
	if (same) {
		ok = true;
		goto out;
	}
	if (v.nnodes == 0 || !v.shard_owner) {
		err_set(e, "epoch %" PRIu64 " has no committee on chain yet", v.epoch);
		goto out;
	}
	if (!node_committee_from_view(&v, g->dep.chain_id, g->dep.blob_registry, &cm, e))
		goto out;
	struct gateway_nodes *nv = gateway_nodes_new(cm);
	pthread_mutex_lock(&g->lock);
	struct gateway_nodes *old = g->nodes;
	g->nodes = nv;
	g->epoch = v.epoch;
	g->epoch_start = v.info.start_time;
	g->epoch_duration = v.info.duration;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
	gateway_nodes_unref(old);
	log_info("committee of epoch %" PRIu64 ": %zu nodes, %u shards", v.epoch, cm->count, cm->n);
	ok = true;
out:
	chain_epoch_view_clear(&v);
	return ok;
}

static void *poll_main(void *arg)
{
	struct gw *g = arg;
	uint64_t last_warn = 0;
	while (!*g->stop) {
		for (uint64_t slept = 0; slept < g->cfg.poll_ms && !*g->stop; slept += 100)
			usleep(100 * 1000);
		if (*g->stop)
			break;
		struct err e = {{0}};
		if (!refresh_chain(g, &e) && now_ms() - last_warn > 60000) {
			log_warn("reading the committee from the chain: %s (serving with the last "
				 "one)", e.msg);
			last_warn = now_ms();
		}
	}
	return NULL;
}

/* Seconds a blob stored until end_epoch has left, by the chain's clock (the latest block's
 * time, carried forward by ours between polls). An epoch that has run over its time (nobody
 * called advanceEpoch yet) leaves the blob at least until the next poll. */
static uint64_t remaining_s(struct gw *g, uint64_t end_epoch)
{
	pthread_mutex_lock(&g->lock);
	uint64_t epoch = g->epoch, start = g->epoch_start, dur = g->epoch_duration;
	int64_t off = g->chain_clock_offset;
	pthread_mutex_unlock(&g->lock);
	if (end_epoch <= epoch)
		return 0;
	int64_t now_s = (int64_t)now_unix() + off;
	uint64_t end = start + (end_epoch - epoch) * dur, now = now_s > 0 ? (uint64_t)now_s : 0;
	return end > now ? end - now : 0;
}

/* ---- blob entries ---- */

static struct blob_ent *find_locked(struct gw *g, const uint8_t id[AUDIT_DIGEST_LEN])
{
	for (size_t i = 0; i < g->nblobs; i++)
		if (!memcmp(g->blobs[i]->id, id, AUDIT_DIGEST_LEN))
			return g->blobs[i];
	return NULL;
}

static void ent_free(struct blob_ent *ent)
{
	gateway_blob_clear(&ent->b);
	gateway_fill_unref(ent->fill);
	free(ent);
}

/* Forget the least recently used idle entry when the table is full. */
static void evict_locked(struct gw *g)
{
	if (g->nblobs < MAX_BLOBS)
		return;
	size_t old = SIZE_MAX;
	for (size_t i = 0; i < g->nblobs; i++) {
		struct blob_ent *b = g->blobs[i];
		if (b->refs == 0 && b->state != BLOB_LOADING && !b->fill &&
		    (old == SIZE_MAX || b->used < g->blobs[old]->used))
			old = i;
	}
	if (old == SIZE_MAX)
		return;
	ent_free(g->blobs[old]);
	g->blobs[old] = g->blobs[--g->nblobs];
}

static void ent_unref(struct gw *g, struct blob_ent *ent)
{
	if (!ent)
		return;
	pthread_mutex_lock(&g->lock);
	ent->refs--;
	pthread_mutex_unlock(&g->lock);
}

/* Loads what is known of a blob: its certification and end epoch on chain, and metadata
 * that hashes to its ID from the nodes. Called without the lock on a LOADING entry. */
static void load(struct gw *g, struct blob_ent *ent)
{
	enum blob_state st = BLOB_FAILED;
	uint64_t ttl_ms = g->cfg.not_found_ttl_s * 1000;
	struct err e = {{0}};
	struct gateway_blob b;
	memset(&b, 0, sizeof(b));
	bool on_chain = false;
	uint64_t end_epoch = 0;
	if (g->reader) {
		struct chain_audit_blob cb;
		bool certified = false;
		pthread_mutex_lock(&g->chain_lock);
		bool got = chain_reader_blob(g->reader, ent->id, &cb, &certified, &e);
		pthread_mutex_unlock(&g->chain_lock);
		if (!got) {
			err_prefix(&e, "the chain cannot be read");
			goto out;
		}
		pthread_mutex_lock(&g->lock);
		uint64_t epoch = g->epoch;
		pthread_mutex_unlock(&g->lock);
		if (!certified) {
			st = BLOB_MISSING;
			err_set(&e, "this blob is not registered and certified on chain");
			goto out;
		}
		if (cb.end_epoch <= epoch) {
			st = BLOB_MISSING;
			err_set(&e, "this blob expired at the start of epoch %" PRIu64, cb.end_epoch);
			goto out;
		}
		on_chain = true;
		end_epoch = cb.end_epoch;
	}
	struct gateway_nodes *v = nodes_get(g);
	if (!v) {
		err_set(&e, "the gateway has no committee yet");
		goto out;
	}
	enum gateway_fetch_status fs = gateway_fetch_metadata(g->fetcher, v, ent->id, &b, &e);
	gateway_nodes_unref(v);
	if (fs == GATEWAY_FETCH_OK)
		st = BLOB_READY;
	else if (fs == GATEWAY_FETCH_NOT_FOUND && !on_chain)
		st = BLOB_MISSING;
out:
	pthread_mutex_lock(&g->lock);
	ent->state = st;
	if (st == BLOB_READY) {
		ent->b = b;
		ent->on_chain = on_chain;
		ent->end_epoch = end_epoch;
	} else {
		gateway_blob_clear(&b);
		ent->expires_ms = now_ms() + (ttl_ms ? ttl_ms : 1000);
		snprintf(ent->why, sizeof(ent->why), "%.200s", e.msg);
	}
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

/* The entry for id with a reference, loaded (one load however many requests ask). NULL
 * when the table is full of entries in use, or (*blocks) when !may_block and the entry is
 * not loaded yet: loading waits for the chain and the nodes. */
static struct blob_ent *ent_get(struct gw *g, const uint8_t id[AUDIT_DIGEST_LEN],
				bool may_block, bool *blocks)
{
	*blocks = false;
	pthread_mutex_lock(&g->lock);
	struct blob_ent *ent = find_locked(g, id);
	if (!may_block && (!ent || ent->state == BLOB_LOADING ||
			   (ent->state != BLOB_READY && ent->expires_ms <= now_ms()))) {
		pthread_mutex_unlock(&g->lock);
		*blocks = true;
		return NULL;
	}
	for (;;) {
		if (!ent) {
			evict_locked(g);
			if (g->nblobs == MAX_BLOBS) {
				pthread_mutex_unlock(&g->lock);
				return NULL;
			}
			ent = xcalloc(1, sizeof(*ent));
			memcpy(ent->id, id, AUDIT_DIGEST_LEN);
			g->blobs[g->nblobs++] = ent;
			ent->state = BLOB_MISSING; /* expired: loaded below */
		}
		if (ent->state == BLOB_LOADING) {
			ent->refs++;
			while (ent->state == BLOB_LOADING)
				pthread_cond_wait(&g->cond, &g->lock);
			ent->refs--;
			continue;
		}
		bool stale = ent->state != BLOB_READY && ent->expires_ms <= now_ms();
		if (ent->state == BLOB_READY && ent->on_chain && ent->end_epoch <= g->epoch) {
			ent->state = BLOB_MISSING; /* expired since it was loaded */
			ent->expires_ms = now_ms() + g->cfg.not_found_ttl_s * 1000;
			snprintf(ent->why, sizeof(ent->why), "this blob expired at the start of "
				 "epoch %" PRIu64, ent->end_epoch);
		}
		if (stale) {
			ent->state = BLOB_LOADING;
			ent->refs++;
			pthread_mutex_unlock(&g->lock);
			load(g, ent);
			pthread_mutex_lock(&g->lock);
			ent->refs--;
			continue;
		}
		break;
	}
	ent->refs++;
	ent->used = ++g->clock;
	pthread_mutex_unlock(&g->lock);
	return ent;
}

/* ---- whole-blob fills, shared, and their cache entries ---- */

struct fill_job {
	struct gw *g;
	struct blob_ent *ent; /* a reference */
	struct gateway_cache_tmp tmp;
	bool has_tmp;
};

/* The last worker of a whole-blob fill: the entry is committed to the cache (or dropped),
 * and the content type is sniffed from the first bytes if nobody has yet. */
static void fill_done(void *cls, struct gateway_fill *fl, bool ok)
{
	struct fill_job *j = cls;
	struct gw *g = j->g;
	struct blob_ent *ent = j->ent;
	pthread_mutex_lock(&g->lock);
	char ctype[GATEWAY_CACHE_CTYPE_MAX];
	snprintf(ctype, sizeof(ctype), "%s", ent->ctype);
	uint64_t len = ent->b.len;
	pthread_mutex_unlock(&g->lock);
	if (ok && !ctype[0])
		snprintf(ctype, sizeof(ctype), "%s",
			 gateway_sniff(gateway_fill_data(fl),
				       (size_t)(len < GATEWAY_SNIFF_BYTES ? len : GATEWAY_SNIFF_BYTES)));
	if (ok)
		gateway_cache_mem_put(g->cache, ent->id, gateway_fill_data(fl), len, ctype);
	if (j->has_tmp) {
		struct err e = {{0}};
		if (!ok)
			gateway_cache_abort(g->cache, &j->tmp);
		else if (!gateway_cache_commit(g->cache, &j->tmp, gateway_fill_data(fl), ctype, &e))
			log_warn("cache: %s", e.msg);
		uint64_t bytes, entries;
		gateway_cache_stats(g->cache, &bytes, &entries);
		gateway_metrics_cache_size(g->metrics, bytes, entries);
	}
	pthread_mutex_lock(&g->lock);
	if (ok && !ent->ctype[0])
		snprintf(ent->ctype, sizeof(ent->ctype), "%s", ctype);
	/* From now on requests are answered from the cache (or fetch again if the blob was
	 * not cached); until here they shared this fill. */
	struct gateway_fill *mine = NULL;
	if (ent->fill == fl) {
		mine = ent->fill;
		ent->fill = NULL;
	}
	pthread_mutex_unlock(&g->lock);
	gateway_fill_unref(mine);
	gateway_metrics_inflight(g->metrics, 0, -1);
	ent_unref(g, ent);
	free(j);
	atomic_fetch_sub(&g->fetches, 1); /* last: the gateway may be freed once it is 0 */
}

/* A reference to the whole-blob fill of ent (len > 0), shared by every request for it:
 * the running one, or a new one. NULL when max_fetches run already (*busy) or it cannot
 * start (*e). The entry keeps its fill until fill_done has cached it. */
static struct gateway_fill *whole_fill(struct gw *g, struct blob_ent *ent, bool *busy,
				       struct err *e)
{
	*busy = false;
	pthread_mutex_lock(&g->lock);
	if (ent->fill) {
		struct gateway_fill *f = ent->fill;
		if (gateway_fill_state(f) >= 0) { /* running, or complete and being cached */
			gateway_fill_ref(f);
			pthread_mutex_unlock(&g->lock);
			return f;
		}
		ent->fill = NULL; /* failed: fetch again */
		gateway_fill_unref(f);
	}
	if (atomic_load(&g->fetches) >= (int)g->cfg.max_fetches) {
		pthread_mutex_unlock(&g->lock);
		*busy = true;
		return NULL;
	}
	struct gateway_nodes *v = g->nodes ? gateway_nodes_ref(g->nodes) : NULL;
	if (!v) {
		pthread_mutex_unlock(&g->lock);
		err_set(e, "the gateway has no committee yet");
		return NULL;
	}
	atomic_fetch_add(&g->fetches, 1);
	gateway_metrics_inflight(g->metrics, 0, 1);
	struct fill_job *j = xcalloc(1, sizeof(*j));
	j->g = g;
	j->ent = ent;
	ent->refs++;
	struct gateway_fill_opts o = {.parallel = g->cfg.parallel, .fd = -1, .done = fill_done,
				      .done_cls = j};
	if (gateway_cache_wants(g->cache, ent->b.len)) {
		struct err ce = {{0}};
		if (gateway_cache_begin(g->cache, ent->id, ent->b.len, &j->tmp, &ce)) {
			j->has_tmp = true;
		} else {
			log_warn("cache: %s (serving without caching)", ce.msg);
		}
	}
	struct gateway_fill *fl = NULL;
	/* Started under the lock, so that no second fill of the same blob can start; the
	 * workers take the lock only in fill_done, after their first piece. */
	bool ok = gateway_fill_start(g->fetcher, v, &ent->b, 0, ent->b.len, &o, &fl, e);
	gateway_nodes_unref(v);
	if (!ok) {
		if (j->has_tmp)
			gateway_cache_abort(g->cache, &j->tmp);
		ent->refs--;
		free(j);
		pthread_mutex_unlock(&g->lock);
		atomic_fetch_sub(&g->fetches, 1);
		gateway_metrics_inflight(g->metrics, 0, -1);
		return NULL;
	}
	ent->fill = fl; /* the creation reference is the entry's */
	gateway_fill_ref(fl);
	pthread_mutex_unlock(&g->lock);
	return fl;
}

/* A private fill of blob bytes [a, end) for one range request (counted as a fetch). */
static struct gateway_fill *range_fill(struct gw *g, struct blob_ent *ent, uint64_t a,
				       uint64_t end, bool *busy, struct err *e)
{
	*busy = false;
	if (atomic_fetch_add(&g->fetches, 1) >= (int)g->cfg.max_fetches) {
		atomic_fetch_sub(&g->fetches, 1);
		*busy = true;
		return NULL;
	}
	gateway_metrics_inflight(g->metrics, 0, 1);
	struct gateway_nodes *v = nodes_get(g);
	struct gateway_fill *fl = NULL;
	struct gateway_fill_opts o = {.parallel = g->cfg.parallel, .fd = -1};
	bool ok = v && gateway_fill_start(g->fetcher, v, &ent->b, a, end, &o, &fl, e);
	if (!v)
		err_set(e, "the gateway has no committee yet");
	gateway_nodes_unref(v);
	if (!ok) {
		atomic_fetch_sub(&g->fetches, 1);
		gateway_metrics_inflight(g->metrics, 0, -1);
		return NULL;
	}
	return fl;
}

static void range_fill_release(struct gw *g, struct gateway_fill *fl)
{
	if (!fl)
		return;
	gateway_fill_cancel(fl);
	gateway_fill_unref(fl);
	atomic_fetch_sub(&g->fetches, 1);
	gateway_metrics_inflight(g->metrics, 0, -1);
}

/* ---- streaming a response ---- */

static void wait_link_locked(struct gw *g, struct stream *s)
{
	s->wprev = NULL;
	s->wnext = g->waiting;
	if (g->waiting)
		g->waiting->wprev = s;
	g->waiting = s;
}

static void wait_unlink_locked(struct gw *g, struct stream *s)
{
	if (s->wprev)
		s->wprev->wnext = s->wnext;
	else
		g->waiting = s->wnext;
	if (s->wnext)
		s->wnext->wprev = s->wprev;
	s->wprev = s->wnext = NULL;
}

/* The fill has the bytes a suspended stream waits for (or has failed). */
static void stream_wake(void *cls)
{
	struct stream *s = cls;
	struct MHD_Connection *conn = s->conn;
	pthread_mutex_lock(&s->g->wait_lock);
	wait_unlink_locked(s->g, s);
	pthread_mutex_unlock(&s->g->wait_lock);
	MHD_resume_connection(conn); /* s may be gone once the loop has it back */
}

/* Suspends the stream's connection until blob byte pos is verified (the fill resumes it)
 * or its deadline passes (expire_waits resumes it). */
static void stream_suspend(struct stream *s, uint64_t pos)
{
	struct gw *g = s->g;
	MHD_suspend_connection(s->conn);
	s->watch.fn = stream_wake;
	s->watch.cls = s;
	s->watch.pos = pos;
	s->deadline_ms = now_ms() + s->wait_ms;
	pthread_mutex_lock(&g->wait_lock);
	bool wait = !g->stopping;
	if (wait) {
		wait_link_locked(g, s);
		wait = gateway_fill_watch(s->fill, &s->watch);
		if (!wait)
			wait_unlink_locked(g, s);
	}
	pthread_mutex_unlock(&g->wait_lock);
	if (!wait)
		MHD_resume_connection(s->conn); /* it came meanwhile: the reader is called again */
}

/* Resumes the streams whose deadline has passed (all of them when the gateway stops);
 * their reader then aborts the connection. */
static void expire_waits(struct gw *g)
{
	uint64_t now = now_ms();
	struct stream *due = NULL;
	pthread_mutex_lock(&g->wait_lock);
	for (struct stream *s = g->waiting, *next; s; s = next) {
		next = s->wnext;
		if ((g->stopping || s->deadline_ms <= now) &&
		    gateway_fill_unwatch(s->fill, &s->watch)) {
			wait_unlink_locked(g, s);
			s->timed_out = true;
			s->wnext = due;
			due = s;
		}
	}
	pthread_mutex_unlock(&g->wait_lock);
	while (due) {
		struct stream *s = due;
		due = s->wnext;
		MHD_resume_connection(s->conn);
	}
}

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	if (pos >= s->len)
		return MHD_CONTENT_READER_END_OF_STREAM;
	const uint8_t *p = NULL;
	struct err e = {{0}};
	int64_t got = -1;
	if (!s->timed_out)
		got = gateway_fill_peek(s->fill, s->base + pos, &p, &e);
	else
		err_set(&e, "no verified bytes arrived from the nodes in %" PRIu64 " ms%s",
			s->wait_ms, s->g->stopping ? " (the gateway is stopping)" : "");
	if (got == 0) {
		stream_suspend(s, s->base + pos);
		return 0;
	}
	if (got < 0) {
		/* the response has started: abort the connection, never end it short */
		log_warn("aborting a response at byte %" PRIu64 " of %" PRIu64 ": %s", pos, s->len,
			 e.msg);
		gateway_metrics_node_failure(s->g->metrics, "-", "aborted_response");
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (!s->first) {
		s->first = true;
		gateway_metrics_ttfb(s->g->metrics, (double)(now_ms() - s->t0) / 1000.0);
	}
	size_t n = (uint64_t)got < max ? (size_t)got : max;
	if (n > s->len - pos)
		n = (size_t)(s->len - pos);
	memcpy(buf, p, n);
	return (ssize_t)n;
}

static void stream_free(void *cls)
{
	struct stream *s = cls;
	if (!s)
		return;
	if (s->private_fill)
		range_fill_release(s->g, s->fill); /* cancelled; its fetch slot returned */
	else
		gateway_fill_unref(s->fill); /* a whole-blob fill goes on for the cache */
	ent_unref(s->g, s->ent);
	free(s);
}

/* ---- GET|HEAD /v1/blobs/{id}[/byte-range] ---- */

static const char *arg(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, name);
}

static const char *header(struct MHD_Connection *conn, const char *name)
{
	return MHD_lookup_connection_value(conn, MHD_HEADER_KIND, name);
}

static void add_caching(struct MHD_Response *r, const char *etag, const char *cc)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_ETAG, etag);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, cc);
	MHD_add_response_header(r, MHD_HTTP_HEADER_ACCEPT_RANGES, "bytes");
}

static void blobmem_release(void *cls)
{
	gateway_blobmem_unref(cls);
}

static ssize_t never_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	(void)pos;
	(void)buf;
	(void)max;
	return MHD_CONTENT_READER_END_WITH_ERROR; /* HEAD: MHD sends no body */
}

/* Waits until the first `need` bytes of fill fl (starting at blob offset `from`) are in. */
static bool wait_prefix(struct gateway_fill *fl, uint64_t from, uint64_t need, uint64_t wait_ms,
			const uint8_t **p, struct err *e)
{
	for (;;) {
		int64_t got = gateway_fill_wait(fl, from, wait_ms, p, e);
		if (got < 0)
			return false;
		if ((uint64_t)got >= need)
			return true;
		/* not all of it yet: wait for the byte after what is there */
		const uint8_t *q;
		if (gateway_fill_wait(fl, from + (uint64_t)got, wait_ms, &q, e) < 0)
			return false;
	}
}

static char *dup_or_null(const char *v)
{
	return v ? xstrdup(v) : NULL;
}

/* Copies what serve_blob reads from the request (the loop's memory) into rq->q. */
static void blob_req_take(struct MHD_Connection *conn, struct request *rq, const char *idtext,
			  bool head, bool byte_range)
{
	struct blob_req *q = &rq->q;
	snprintf(q->id, sizeof(q->id), "%s", idtext);
	q->head = head;
	q->byte_range = byte_range;
	q->ct_override = dup_or_null(arg(conn, "content-type"));
	q->filename = dup_or_null(arg(conn, "filename"));
	q->download = dup_or_null(arg(conn, "download"));
	q->start = dup_or_null(arg(conn, "start"));
	q->length = dup_or_null(arg(conn, "length"));
	q->if_none_match = dup_or_null(header(conn, MHD_HTTP_HEADER_IF_NONE_MATCH));
	q->range = dup_or_null(header(conn, MHD_HTTP_HEADER_RANGE));
	q->if_range = dup_or_null(header(conn, MHD_HTTP_HEADER_IF_RANGE));
}

static void blob_req_clear(struct blob_req *q)
{
	free(q->ct_override);
	free(q->filename);
	free(q->download);
	free(q->start);
	free(q->length);
	free(q->if_none_match);
	free(q->range);
	free(q->if_range);
	memset(q, 0, sizeof(*q));
}

/* Answers GET|HEAD of a blob (rq->q). With !may_block (on the loop) it answers only what
 * needs no waiting and sets *blocks for the rest, which a job thread then answers. */
static enum MHD_Result serve_blob(struct gw *g, struct request *rq, bool may_block,
				  bool *blocks)
{
	const struct blob_req *q = &rq->q;
	const char *idtext = q->id;
	bool head = q->head, byte_range = q->byte_range;
	uint8_t id[AUDIT_DIGEST_LEN];
	struct err e = {{0}};
	char msg[400];
	*blocks = false;
	if (!audit_blob_id_parse(idtext, id, &e))
		return send_error(rq, 400, NULL, 0, e.msg);
	const char *ct_override = q->ct_override;
	if (ct_override && !gateway_media_type_ok(ct_override))
		return send_error(rq, 400, NULL, 0,
				  "content-type must be a media type such as image/png");
	const char *filename = q->filename, *download = q->download;
	char disposition[1200];
	disposition[0] = '\0';
	bool attachment = download && (!strcmp(download, "true") || !strcmp(download, "1"));
	if (filename && !gateway_content_disposition(filename, attachment, disposition,
						     sizeof(disposition)))
		return send_error(rq, 400, NULL, 0,
				  "filename must be 1 to 255 bytes of UTF-8 text without control "
				  "characters");
	if (!filename && attachment)
		snprintf(disposition, sizeof(disposition), "attachment");
	uint64_t br_start = 0, br_len = 0;
	if (byte_range) {
		const char *s = q->start, *l = q->length;
		if (!s || !l || !parse_u64(s, &br_start) || !parse_u64(l, &br_len) || br_len == 0)
			return send_error(rq, 400, NULL, 0,
					  "byte-range needs start=S and length=L (decimal, L >= 1)");
	}

	struct blob_ent *ent = ent_get(g, id, may_block, blocks);
	if (*blocks)
		return MHD_YES;
	if (!ent)
		return send_error(rq, 503, NULL, 1, "the gateway is busy with other blobs");
	enum MHD_Result ret;
	struct gateway_fill *fl = NULL;
	bool private_fill = false;
	char cc[96];
	if (ent->state == BLOB_MISSING) {
		snprintf(cc, sizeof(cc), "public, max-age=%" PRIu64, g->cfg.not_found_ttl_s);
		ret = send_error(rq, 404, cc, 0, ent->why[0] ? ent->why : "no such blob");
		goto out;
	}
	if (ent->state != BLOB_READY) {
		snprintf(msg, sizeof(msg), "the storage nodes could not supply this blob: %s",
			 ent->why);
		ret = send_error(rq, 503, NULL, 5, msg);
		goto out;
	}
	uint64_t len = ent->b.len;
	char etag[AUDIT_BLOB_ID_TEXT_LEN + 3];
	snprintf(etag, sizeof(etag), "\"%.43s\"", idtext);
	uint64_t max_age = ent->on_chain ? remaining_s(g, ent->end_epoch) : g->cfg.max_age_s;
	if (max_age > MAX_AGE_CAP)
		max_age = MAX_AGE_CAP;
	snprintf(cc, sizeof(cc), "public, max-age=%" PRIu64 ", immutable", max_age);

	if (gateway_etag_none_match(q->if_none_match, etag)) {
		struct MHD_Response *r =
			MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
		add_caching(r, etag, cc);
		set_common(r);
		ret = queue(rq, 304, r);
		goto out;
	}

	/* what part of the blob */
	struct gateway_range rg = {0, len ? len - 1 : 0};
	bool partial = false;
	if (byte_range) {
		if (br_start >= len) {
			snprintf(msg, sizeof(msg), "start %" PRIu64 " is not below the blob's length %"
				 PRIu64, br_start, len);
			ret = send_error(rq, 416, NULL, 0, msg);
			goto out;
		}
		rg.first = br_start;
		rg.last = br_len > len - br_start ? len - 1 : br_start + br_len - 1;
		partial = true;
	} else {
		const char *range = q->range;
		if (range && !gateway_if_range_match(q->if_range, etag))
			range = NULL; /* the client's copy is not this one: send it whole */
		enum gateway_range_kind k = gateway_range_parse(range, len, &rg);
		if (k == GATEWAY_RANGE_UNSATISFIABLE) {
			char cr[48];
			snprintf(cr, sizeof(cr), "bytes */%" PRIu64, len);
			snprintf(msg, sizeof(msg), "no range of the request is within the blob's %"
				 PRIu64 " bytes", len);
			struct buf b = BUF_INIT;
			buf_printf(&b, "{\"error\":{\"status\":\"OUT_OF_RANGE\",\"code\":416,"
				       "\"message\":\"%s\"}}\n", msg);
			size_t bl;
			uint8_t *bd = buf_steal(&b, &bl);
			struct MHD_Response *r =
				MHD_create_response_from_buffer(bl, bd, MHD_RESPMEM_MUST_FREE);
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
			add_caching(r, etag, cc);
			set_common(r);
			rq->size = bl;
			ret = queue(rq, 416, r);
			goto out;
		}
		if (k == GATEWAY_RANGE_ONE) {
			partial = true;
		} else {
			rg.first = 0;
			rg.last = len ? len - 1 : 0;
		}
	}
	uint64_t first = rg.first, body_len = len ? rg.last - rg.first + 1 : 0;

	char ctype[GATEWAY_CACHE_CTYPE_MAX];
	ctype[0] = '\0';
	struct MHD_Response *r = NULL;
	int fd = -1;
	uint64_t clen;
	bool must_check = false;
	struct gateway_blobmem *mem = gateway_cache_mem_get(g->cache, id);
	if (mem && mem->len == len) {
		gateway_metrics_cache(g->metrics, true);
		snprintf(ctype, sizeof(ctype), "%s", mem->ctype);
		r = MHD_create_response_from_buffer_with_free_callback_cls(
			(size_t)body_len, mem->data + first, blobmem_release, mem);
		if (!r)
			gateway_blobmem_unref(mem);
	} else if (gateway_cache_get(g->cache, id, may_block, &fd, &clen, ctype, &must_check) &&
		   clen == len) {
		gateway_blobmem_unref(mem);
		gateway_metrics_cache(g->metrics, true);
		if (len <= GATEWAY_MEM_ENTRY_MAX)
			gateway_cache_mem_load(g->cache, id, fd); /* the next hits come from memory */
		r = MHD_create_response_from_fd_at_offset64(body_len, fd,
							    GATEWAY_CACHE_HEADER + first);
	} else {
		gateway_blobmem_unref(mem);
		if (fd >= 0)
			close(fd);
		if (!may_block) { /* a job thread waits for the nodes (or hashes a changed file,
				     must_check) */
			*blocks = true;
			ret = MHD_YES;
			goto out;
		}
		gateway_metrics_cache(g->metrics, false);
		pthread_mutex_lock(&g->lock);
		snprintf(ctype, sizeof(ctype), "%s", ent->ctype);
		bool shared = ent->fill != NULL;
		pthread_mutex_unlock(&g->lock);
		uint64_t sniff_need = len < GATEWAY_SNIFF_BYTES ? len : GATEWAY_SNIFF_BYTES;
		bool need_sniff = !ct_override && !ctype[0] && len > 0;
		bool busy = false;
		if (len == 0) {
			snprintf(ctype, sizeof(ctype), "%s", gateway_sniff(NULL, 0));
		} else if (!head && (!partial || shared || body_len * 2 > len)) {
			fl = whole_fill(g, ent, &busy, &e);
		} else if (!head) {
			fl = range_fill(g, ent, first, first + body_len, &busy, &e);
			private_fill = fl != NULL;
		}
		if (busy) {
			ret = send_error(rq, 503, NULL, 1,
					 "the gateway is fetching as many blobs as it may; retry");
			goto out;
		}
		if (!head && len > 0 && !fl) {
			snprintf(msg, sizeof(msg), "cannot fetch this blob: %.300s", e.msg);
			ret = send_error(rq, 503, NULL, 5, msg);
			goto out;
		}
		uint64_t wait_ms = g->cfg.node_timeout_ms * 3 > READ_WAIT_MS_MIN
					   ? g->cfg.node_timeout_ms * 3
					   : READ_WAIT_MS_MIN;
		if (need_sniff) {
			const uint8_t *p;
			bool got;
			if (fl && gateway_fill_start_offset(fl) == 0) {
				got = wait_prefix(fl, 0, sniff_need, wait_ms, &p, &e);
			} else {
				/* a range elsewhere in the blob (or HEAD): the first bytes alone */
				struct gateway_fill *sf = range_fill(g, ent, 0, sniff_need, &busy, &e);
				got = sf && wait_prefix(sf, 0, sniff_need, wait_ms, &p, &e);
				if (got)
					snprintf(ctype, sizeof(ctype), "%s", gateway_sniff(p, sniff_need));
				range_fill_release(g, sf);
				p = NULL;
			}
			if (!got) {
				snprintf(msg, sizeof(msg), "the storage nodes could not supply this "
					 "blob: %.300s", e.msg);
				ret = send_error(rq, 503, NULL, 5, msg);
				goto out;
			}
			if (p)
				snprintf(ctype, sizeof(ctype), "%s", gateway_sniff(p, sniff_need));
			pthread_mutex_lock(&g->lock);
			if (!ent->ctype[0])
				snprintf(ent->ctype, sizeof(ent->ctype), "%s", ctype);
			pthread_mutex_unlock(&g->lock);
		}
		if (head || len == 0) {
			r = MHD_create_response_from_callback(body_len, 4096, never_read, NULL, NULL);
		} else {
			/* the first byte is verified before the status goes out: a blob nobody can
			 * supply is a 503, not a 200 cut short */
			const uint8_t *p;
			if (gateway_fill_wait(fl, first, wait_ms, &p, &e) < 0) {
				snprintf(msg, sizeof(msg), "the storage nodes could not supply this "
					 "blob: %.300s", e.msg);
				ret = send_error(rq, 503, NULL, 5, msg);
				goto out;
			}
			struct stream *s = xcalloc(1, sizeof(*s));
			s->g = g;
			s->conn = rq->conn;
			s->ent = ent;
			s->fill = fl;
			s->private_fill = private_fill;
			s->base = first;
			s->len = body_len;
			s->t0 = rq->t0;
			s->wait_ms = wait_ms;
			ent = NULL;
			fl = NULL; /* the stream's now */
			r = MHD_create_response_from_callback(body_len, 256 * 1024, stream_read, s,
							      stream_free);
		}
	}
	if (!r) {
		ret = send_error(rq, 500, NULL, 0, "cannot create a response");
		goto out;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				ct_override ? ct_override
					    : ctype[0] ? ctype : "application/octet-stream");
	add_caching(r, etag, cc);
	set_common(r);
	if (disposition[0])
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition);
	if (partial) {
		char cr[80];
		snprintf(cr, sizeof(cr), "bytes %" PRIu64 "-%" PRIu64 "/%" PRIu64, rg.first, rg.last,
			 len);
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_RANGE, cr);
	}
	rq->size = head ? 0 : body_len;
	ret = queue(rq, partial ? 206 : 200, r);
out:
	if (private_fill)
		range_fill_release(g, fl);
	else
		gateway_fill_unref(fl);
	ent_unref(g, ent);
	return ret;
}

/* ---- PUT /v1/blobs (the publisher) ---- */

static bool token_ok(struct gw *g, struct MHD_Connection *conn)
{
	if (!g->cfg.publisher_token)
		return true;
	const char *h = header(conn, MHD_HTTP_HEADER_AUTHORIZATION);
	if (!h || strncmp(h, "Bearer ", 7) != 0)
		return false;
	const char *t = h + 7, *want = g->cfg.publisher_token;
	size_t tl = strlen(t), wl = strlen(want);
	unsigned char diff = (unsigned char)(tl != wl);
	for (size_t i = 0; i < wl; i++)
		diff |= (unsigned char)(want[i] ^ (i < tl ? t[i] : 0));
	return diff == 0;
}

/* Whether ?epochs= is acceptable; rq->epochs is set (1 without it). */
static bool put_epochs(struct gw *g, struct MHD_Connection *conn, struct request *rq)
{
	const char *ep = arg(conn, "epochs");
	rq->epochs = 1;
	return !ep || (parse_u64(ep, &rq->epochs) && rq->epochs >= 1 &&
		       rq->epochs <= g->cfg.max_epochs);
}

/* Publishes the body (a job thread: it takes as long as the chain and the nodes do). */
static enum MHD_Result serve_put(struct gw *g, struct request *rq)
{
	uint64_t epochs = rq->epochs;
	char msg[700];
	struct gateway_publish_result res;
	memset(&res, 0, sizeof(res));
	struct err e = {{0}};
	log_info("publishing %zu bytes for %" PRIu64 " epochs", rq->body.len, epochs);
	if (!g->cfg.publish(g->cfg.publish_cls, rq->body.data, rq->body.len, epochs, &res, &e)) {
		snprintf(msg, sizeof(msg), "storing the blob failed: %s", e.msg);
		return send_error(rq, 500, NULL, 0, msg);
	}
	if (res.already_certified)
		return send_text(rq, 200, "application/json", "no-store", 0,
				 "{\"alreadyCertified\":{\"blobId\":\"%s\",\"endEpoch\":%" PRIu64
				 "}}\n", res.blob_id, res.end_epoch);
	return send_text(rq, 200, "application/json", "no-store", 0,
			 "{\"newlyCreated\":{\"blobObject\":{\"blobId\":\"%s\",\"size\":%" PRIu64
			 ",\"storage\":{\"endEpoch\":%" PRIu64 "}},\"registerTx\":\"%s\","
			 "\"certifyTx\":\"%s\"}}\n",
			 res.blob_id, res.size, res.end_epoch, res.tx_register, res.tx_certify);
}

/* ---- routing ---- */

static uint32_t client_ip(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return 0;
	return ntohl(((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr.s_addr);
}

static enum MHD_Result serve_metrics(struct gw *g, struct request *rq)
{
	uint64_t bytes, entries;
	gateway_cache_stats(g->cache, &bytes, &entries);
	gateway_metrics_cache_size(g->metrics, bytes, entries);
	struct buf b = BUF_INIT;
	gateway_metrics_render(g->metrics, &b);
	size_t len;
	uint8_t *data = buf_steal(&b, &len);
	struct MHD_Response *r = MHD_create_response_from_buffer(len, data, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	rq->size = len;
	return queue(rq, 200, r);
}

static enum MHD_Result serve_health(struct gw *g, struct request *rq)
{
	pthread_mutex_lock(&g->lock);
	bool up = g->nodes != NULL;
	uint64_t epoch = g->epoch;
	size_t n = up ? gateway_nodes_committee(g->nodes)->count : 0;
	pthread_mutex_unlock(&g->lock);
	if (!up)
		return send_text(rq, 503, "application/json", "no-store", 5,
				 "{\"status\":\"starting\",\"reason\":\"no committee read yet\"}\n");
	return send_text(rq, 200, "application/json", "no-store", 0,
			 "{\"status\":\"ok\",\"epoch\":%" PRIu64 ",\"nodes\":%zu,\"publisher\":%s}\n",
			 epoch, n, g->cfg.publish ? "true" : "false");
}

/* A job thread: answers a request that must wait, then gives the connection back to the
 * loop, which queues the answer (handle). */
static void *job_main(void *arg)
{
	struct request *rq = arg;
	struct gw *g = rq->g;
	struct MHD_Connection *conn = rq->conn;
	if (rq->job == JOB_PUT) {
		(void)serve_put(g, rq);
	} else {
		bool blocks;
		(void)serve_blob(g, rq, true, &blocks);
	}
	MHD_resume_connection(conn); /* rq may be gone once the loop has it back */
	atomic_fetch_sub(&g->jobs, 1); /* last: the gateway may stop once it is 0 */
	return NULL;
}

static enum MHD_Result start_job(struct gw *g, struct MHD_Connection *conn, struct request *rq,
				 enum job_kind kind)
{
	if (atomic_load(&g->stopping))
		return send_error(rq, 503, NULL, 1, "the gateway is stopping");
	rq->job = kind;
	atomic_fetch_add(&g->jobs, 1);
	MHD_suspend_connection(conn);
	if (!thread_start_detached(job_main, rq)) {
		MHD_resume_connection(conn);
		atomic_fetch_sub(&g->jobs, 1);
		rq->job = JOB_NONE;
		return send_error(rq, 503, NULL, 1, "cannot start a thread for this request");
	}
	return MHD_YES;
}

static enum MHD_Result route(struct gw *g, struct MHD_Connection *conn, struct request *rq,
			     const char *url, const char *method, const char *upload_data,
			     size_t *upload_data_size)
{
	bool get = !strcmp(method, MHD_HTTP_METHOD_GET), headm = !strcmp(method, MHD_HTTP_METHOD_HEAD),
	     put = !strcmp(method, MHD_HTTP_METHOD_PUT);
	bool is_put_route = !strcmp(url, "/v1/blobs") || !strcmp(url, "/v1/blobs/");
	if (!rq->checked) {
		rq->checked = true;
		/* /metrics is answered at once and is not counted: monitoring must see a gateway
		 * at its limit (and the tests wait on its gauges for the state they need). */
		if (strcmp(url, "/metrics")) {
			rq->counted = true;
			int now_in = atomic_fetch_add(&g->inflight, 1) + 1;
			gateway_metrics_inflight(g->metrics, 1, 0);
			if (now_in > (int)g->cfg.max_requests)
				return send_error(rq, 503, NULL, 1,
						  "the gateway is answering as many requests as it "
						  "may");
		}
		unsigned retry = 0;
		if (!net_limiter_take(&g->limiter, client_ip(conn), &retry)) {
			char m[80];
			snprintf(m, sizeof(m), "too many requests from this address; retry after %u s",
				 retry);
			return send_error(rq, 429, NULL, retry, m);
		}
		if (strlen(url) > 1024)
			return send_error(rq, 414, NULL, 0, "the URL is too long");
		if (put && is_put_route) {
			rq->route = "put";
			if (!g->cfg.publish)
				return send_error(rq, 405, NULL, 0,
						  "this gateway does not publish (start it with "
						  "--publisher-key-file)");
			if (!token_ok(g, conn))
				return send_error(rq, 401, NULL, 0,
						  "a bearer token is needed to publish");
			const char *clh = header(conn, MHD_HTTP_HEADER_CONTENT_LENGTH);
			uint64_t cl;
			if (clh && parse_u64(clh, &cl) && cl > g->cfg.max_upload_bytes) {
				char m[120];
				snprintf(m, sizeof(m), "the body is larger than the %" PRIu64
					 " bytes this gateway takes", g->cfg.max_upload_bytes);
				return send_error(rq, 413, NULL, 0, m);
			}
			return MHD_YES; /* the body follows */
		}
		/* Answered on the next call, once MHD has the whole request: a response queued
		 * earlier makes it close the connection (no keep-alive). */
		return MHD_YES;
	}
	if (rq->route && !strcmp(rq->route, "put") && put) {
		if (*upload_data_size) {
			if (rq->body.len + *upload_data_size > g->cfg.max_upload_bytes)
				rq->too_large = true;
			else
				buf_append(&rq->body, upload_data, *upload_data_size);
			*upload_data_size = 0;
			return MHD_YES;
		}
		if (rq->too_large) {
			char m[120];
			snprintf(m, sizeof(m), "the body is larger than the %" PRIu64
				 " bytes this gateway takes", g->cfg.max_upload_bytes);
			return send_error(rq, 413, NULL, 0, m);
		}
		if (!put_epochs(g, conn, rq)) {
			char m[80];
			snprintf(m, sizeof(m), "epochs must be between 1 and %" PRIu64,
				 g->cfg.max_epochs);
			return send_error(rq, 400, NULL, 0, m);
		}
		return start_job(g, conn, rq, JOB_PUT);
	}
	if (!strcmp(url, "/healthz") || !strcmp(url, "/metrics")) {
		rq->route = url + 1;
		if (!get && !headm)
			return send_error(rq, 405, NULL, 0, "GET only");
		return url[1] == 'h' ? serve_health(g, rq) : serve_metrics(g, rq);
	}
	if (!strncmp(url, "/v1/blobs/", 10)) {
		const char *rest = url + 10;
		const char *slash = strchr(rest, '/');
		char idt[64];
		size_t idl = slash ? (size_t)(slash - rest) : strlen(rest);
		bool br = slash && !strcmp(slash, "/byte-range");
		rq->route = br ? "byte-range" : "blob";
		if (slash && !br)
			return send_error(rq, 404, NULL, 0, "no such endpoint");
		if (!get && !headm) {
			rq->route = "blob";
			return send_error(rq, 405, NULL, 0, "blobs are read with GET or HEAD");
		}
		if (idl >= sizeof(idt))
			return send_error(rq, 400, NULL, 0,
					  "the blob ID is not 43 characters of URL-safe base64");
		memcpy(idt, rest, idl);
		idt[idl] = '\0';
		blob_req_take(conn, rq, idt, headm, br);
		bool blocks;
		enum MHD_Result ret = serve_blob(g, rq, false, &blocks);
		return blocks ? start_job(g, conn, rq, JOB_BLOB) : ret;
	}
	if (is_put_route)
		return send_error(rq, 405, NULL, 0, "PUT /v1/blobs?epochs=N stores a blob");
	return send_error(rq, 404, NULL, 0, "no such endpoint");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct gw *g = cls;
	struct request *rq = *con_cls;
	enum MHD_Result ret = MHD_YES;
	if (!rq) {
		rq = xcalloc(1, sizeof(*rq));
		rq->g = g;
		rq->conn = conn;
		rq->t0 = now_ms();
		rq->route = "other";
		*con_cls = rq;
	}
	if (rq->job != JOB_NONE) { /* resumed: the job's answer is in rq->resp */
		rq->job = JOB_NONE;
		if (!rq->resp)
			return MHD_NO; /* it could not build one: close the connection */
	} else {
		ret = route(g, conn, rq, url, method, upload_data, upload_data_size);
	}
	if (rq->resp) {
		ret = MHD_queue_response(conn, rq->code, rq->resp);
		MHD_destroy_response(rq->resp);
		rq->resp = NULL;
	}
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	struct gw *g = cls;
	struct request *rq = *con_cls;
	if (!rq)
		return;
	if (rq->code) {
		gateway_metrics_request(g->metrics, rq->route, rq->code);
		if (toe == MHD_REQUEST_TERMINATED_COMPLETED_OK)
			gateway_metrics_served(g->metrics, rq->size);
		gateway_metrics_duration(g->metrics, (double)(now_ms() - rq->t0) / 1000.0);
	}
	if (rq->counted) {
		atomic_fetch_sub(&g->inflight, 1);
		gateway_metrics_inflight(g->metrics, -1, 0);
	}
	if (rq->resp)
		MHD_destroy_response(rq->resp);
	blob_req_clear(&rq->q);
	buf_free(&rq->body);
	free(rq);
	*con_cls = NULL;
}

/* ---- lifecycle ---- */

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
				continue;
			char *p = xasprintf("%s/%s", dir, de->d_name);
			unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static bool open_chain(struct gw *g, struct err *e)
{
	struct chain_rpc_opts ro = {.timeout_ms = (unsigned)(g->cfg.rpc_timeout_ms
								 ? g->cfg.rpc_timeout_ms : 10000),
				    .retries = 2};
	if (!g->cfg.rpc_url || !*g->cfg.rpc_url)
		return err_set(e, "give --rpc-url and --deployment (or --committee FILE)");
	if (!chain_rpc_new(&g->rpc, g->cfg.rpc_url, &ro, e) ||
	    !chain_deployment_load(g->cfg.deployment_path, &g->dep, e))
		return false;
	uint64_t chain_id;
	if (!chain_rpc_chain_id(g->rpc, &chain_id, e))
		return err_prefix(e, "%s", g->cfg.rpc_url);
	if (chain_id != g->dep.chain_id)
		return err_set(e, "%s is a deployment on chain %" PRIu64 ", but %s is chain %" PRIu64,
			       g->cfg.deployment_path, g->dep.chain_id, g->cfg.rpc_url, chain_id);
	return chain_reader_new(&g->reader, g->rpc, &g->dep, g->cfg.contracts_dir,
				g->cfg.confirmations ? g->cfg.confirmations : 1, 0, e);
}

static void defaults(struct gateway_config *c)
{
	if (!c->cache_bytes)
		c->cache_bytes = (uint64_t)1 << 30;
	if (!c->memory_cache_bytes) {
		c->memory_cache_bytes = c->cache_bytes / 16;
		if (c->memory_cache_bytes > ((uint64_t)256 << 20))
			c->memory_cache_bytes = (uint64_t)256 << 20;
	}
	if (!c->max_requests)
		c->max_requests = 256;
	if (!c->max_fetches)
		c->max_fetches = 16;
	if (!c->parallel)
		c->parallel = 4;
	if (!c->client_timeout_s)
		c->client_timeout_s = 30;
	if (!c->rate_per_s)
		c->rate_per_s = 200;
	if (!c->burst)
		c->burst = 2 * c->rate_per_s;
	if (!c->node_timeout_ms)
		c->node_timeout_ms = 10000;
	if (!c->hedge_ms)
		c->hedge_ms = 2000;
	if (!c->backoff_ms)
		c->backoff_ms = 5000;
	if (!c->not_found_ttl_s)
		c->not_found_ttl_s = 5;
	if (!c->max_age_s)
		c->max_age_s = 3600;
	if (!c->poll_ms)
		c->poll_ms = 5000;
	if (!c->max_upload_bytes)
		c->max_upload_bytes = (uint64_t)64 << 20;
	if (!c->max_epochs)
		c->max_epochs = 53;
}

bool gateway_serve(const struct gateway_config *cfg, volatile sig_atomic_t *stop, struct err *e)
{
	bool ok = false;
	struct gw *g = xcalloc(1, sizeof(*g));
	g->cfg = *cfg;
	defaults(&g->cfg);
	g->stop = stop;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->cond, NULL);
	pthread_mutex_init(&g->chain_lock, NULL);
	pthread_mutex_init(&g->wait_lock, NULL);
	net_limiter_init(&g->limiter, (double)g->cfg.rate_per_s, (double)g->cfg.burst);
	g->metrics = gateway_metrics_new();
	struct gateway_fetch_cfg fc = {g->cfg.node_timeout_ms, g->cfg.hedge_ms, g->cfg.backoff_ms};
	g->fetcher = gateway_fetcher_new(&fc, g->metrics);
	if (!net_parse_listen(g->cfg.listen, "--listen", "127.0.0.1:8090", &g->addr, e))
		goto out;
	const char *dir = g->cfg.cache_dir;
	if (!dir || !*dir) {
		char tmpl[] = "/tmp/assay-gateway-cache.XXXXXX";
		if (!mkdtemp(tmpl)) {
			err_set(e, "cannot create a temporary cache directory: %s", strerror(errno));
			goto out;
		}
		g->tmp_cache_dir = xstrdup(tmpl);
		dir = g->tmp_cache_dir;
	}
	if (!gateway_cache_open(dir, g->cfg.cache_bytes, &g->cache, e))
		goto out;
	gateway_cache_set_memory(g->cache, g->cfg.memory_cache_bytes);
	if (g->cfg.committee_path) {
		struct node_committee *cm = NULL;
		if (!node_committee_load(g->cfg.committee_path, &cm, e))
			goto out;
		g->nodes = gateway_nodes_new(cm);
		g->epoch = cm->epoch;
	} else {
		if (!open_chain(g, e))
			goto out;
		struct err re = {{0}};
		if (!refresh_chain(g, &re))
			log_warn("the committee cannot be read yet (%s); trying again every %" PRIu64
				 " ms", re.msg, g->cfg.poll_ms);
		if (pthread_create(&g->poller, NULL, poll_main, g) != 0) {
			err_set(e, "cannot start the chain poller");
			goto out;
		}
		g->poller_started = true;
	}
	unsigned threads = g->cfg.threads;
	if (!threads) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		threads = cpus > 0 ? (unsigned)cpus : 1;
	}
	/* Event loops, as nginx runs: a thread per connection costs a context switch per
	 * request; nothing waits on these threads (see the top of this file). */
	g->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
			MHD_ALLOW_SUSPEND_RESUME,
		0,
		NULL, NULL, handle, g, MHD_OPTION_THREAD_POOL_SIZE, threads,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&g->addr,
		MHD_OPTION_NOTIFY_COMPLETED, completed, g, MHD_OPTION_CONNECTION_TIMEOUT,
		(unsigned)g->cfg.client_timeout_s, MHD_OPTION_CONNECTION_LIMIT,
		g->cfg.max_requests * 2 + 16, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
		(size_t)16 * 1024, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
	if (!g->daemon) {
		err_set(e, "cannot listen on %s (in use, or not an address of this host)",
			g->cfg.listen);
		goto out;
	}
	log_info("gateway listening on http://%s (cache %s, %" PRIu64 " bytes, %u threads%s)",
		 g->cfg.listen, dir, g->cfg.cache_bytes, threads,
		 g->cfg.publish ? ", publisher on" : "");
	while (!*stop) {
		usleep(100 * 1000);
		expire_waits(g);
	}
	log_info("gateway stopping");
	ok = true;
out:
	if (g->daemon) {
		/* libmicrohttpd must not stop with a connection suspended: no new waits, the
		 * fills cancelled (their waiters resume and abort), the jobs finished */
		pthread_mutex_lock(&g->wait_lock);
		atomic_store(&g->stopping, true);
		pthread_mutex_unlock(&g->wait_lock);
		/* cancelled outside the lock: a cancel resumes connections (libmicrohttpd's locks) */
		struct gateway_fill **fills = xcalloc(MAX_BLOBS, sizeof(*fills));
		size_t nf = 0;
		pthread_mutex_lock(&g->lock);
		for (size_t i = 0; i < g->nblobs; i++)
			if (g->blobs[i]->fill)
				fills[nf++] = gateway_fill_ref(g->blobs[i]->fill);
		pthread_mutex_unlock(&g->lock);
		for (size_t i = 0; i < nf; i++) {
			gateway_fill_cancel(fills[i]);
			gateway_fill_unref(fills[i]);
		}
		free(fills);
		for (int i = 0; i < 1200; i++) {
			expire_waits(g);
			pthread_mutex_lock(&g->wait_lock);
			bool idle = !g->waiting && atomic_load(&g->jobs) == 0;
			pthread_mutex_unlock(&g->wait_lock);
			if (idle)
				break;
			usleep(50 * 1000);
		}
		MHD_stop_daemon(g->daemon);
	}
	if (g->poller_started)
		pthread_join(g->poller, NULL);
	/* fills still running (their workers hold the gateway): cancel and wait for them */
	pthread_mutex_lock(&g->lock);
	for (size_t i = 0; i < g->nblobs; i++)
		if (g->blobs[i]->fill)
			gateway_fill_cancel(g->blobs[i]->fill);
	pthread_mutex_unlock(&g->lock);
	for (int i = 0; i < 600 && atomic_load(&g->fetches) > 0; i++)
		usleep(100 * 1000);
	for (size_t i = 0; i < g->nblobs; i++)
		ent_free(g->blobs[i]);
	gateway_nodes_unref(g->nodes);
	chain_reader_free(g->reader);
	chain_rpc_free(g->rpc);
	gateway_cache_free(g->cache);
	if (g->tmp_cache_dir) {
		remove_tree(g->tmp_cache_dir);
		free(g->tmp_cache_dir);
	}
	gateway_fetcher_free(g->fetcher);
	gateway_metrics_free(g->metrics);
	net_limiter_destroy(&g->limiter);
	pthread_mutex_destroy(&g->chain_lock);
	pthread_mutex_destroy(&g->wait_lock);
	pthread_cond_destroy(&g->cond);
	pthread_mutex_destroy(&g->lock);
	free(g);
	return ok;
}
