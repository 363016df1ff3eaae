/* auditor.c: the epoch loop (audit/auditor.h). */

#include "audit/auditor.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/b2many.h"
#include "audit/blob.h"
#include "audit/metrics.h"
#include "audit/schedule.h"
#include "chain/keccak.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

/* Most symbol ids in one request (keeps URLs short; a batch has 16 by default): the
 * contract's item limit, so that an answer to all of them fits it. */
#define MAX_IDS_PER_REQUEST AUDIT_MAX_IDS
/* Most schedule batches of one node sent as one job (when that many are due). */
#define JOB_BATCHES 4
/* Verified metadata kept in memory (n = 1000 makes one about 66 KB). */
#define MD_CACHE_MAX_BYTES (256u << 20)
/* Due challenges a node's queue takes from its batches before they wait in the schedule:
 * enough for several full jobs per request slot. */
#define NODE_QUEUE_MAX 4096

enum {
	S_DECIDED = 1, /* the last attempt is final (or the last allowed) */
	S_RETRY = 2,   /* waiting in the re-ask list */
	S_SENT = 4,    /* first attempt taken from its batch */
};

/* Per challenge: three bytes, the only state the engine keeps for every challenge of the
 * epoch (the challenges themselves are derived when sent, audit_schedule_challenge). */
struct seqstate {
	uint8_t attempts; /* attempts whose result is known (recorded or pending) */
	uint8_t flags;
	uint8_t last;     /* enum audit_outcome of the last attempt */
};

/* A challenge waiting for its re-ask. */
struct retry {
	uint64_t seq;
	uint64_t at; /* unix ms */
};

/* What a node's metadata for a blob turned out to be. */
enum { MD_UNKNOWN = 0, MD_OK = 1, MD_BAD = 2 };
struct md_slot {
	uint64_t key; /* node << 32 | blob, +1 so 0 is free */
	uint8_t state;
	char *detail; /* MD_BAD: why */
	/* MD_BAD: BLAKE2b-256 of the metadata answer judged bad, which decides (and is the
	 * response hash of) the node's later challenges on the blob (settle/EVIDENCE.md). */
	uint8_t body_hash[32];
};

/* A node's challenges that are due and not yet sent, oldest first: a ring that grows when
 * full. Batches join it only while it holds fewer than NODE_QUEUE_MAX (admit), so it stays
 * small however many challenges the epoch has; re-asks always join. */
struct nodeq {
	uint64_t *v;
	size_t head, len, cap;
	size_t inflight; /* requests */
	size_t next;     /* its next batch not yet admitted, an index into engine.nbatch_of */
	size_t nbatches;
};

struct engine {
	const struct audit_auditor_config *cfg;
	struct audit_schedule sched;
	struct seqstate *st;
	struct retry *retry; /* challenges waiting for a re-ask */
	size_t nretry, capretry;
	/* The schedule's batches by node, each node's in issue order (batch indices). */
	uint32_t *nbatch_of;
	size_t *nbatch_first;
	size_t batches_left; /* not yet admitted */
	uint64_t epoch_end;
	uint64_t retry_delay;
	unsigned max_attempts;
	/* metadata */
	struct md_slot *slots;
	size_t nslots, capslots;
	struct audit_metadata **md; /* per blob, verified */
	uint16_t *symbol_size;      /* per blob */
	size_t md_bytes;
	/* records */
	struct audit_record *pending;
	size_t npending, cappending;
	uint64_t oldest_pending_ms;
	uint64_t last_flush_ms;
	bool db_down, need_dedupe, warned_full;
	uint64_t db_retry_at, db_backoff;
	uint64_t down_since;
	struct writer *wr; /* the thread that writes them */
	size_t handed;     /* rows of the batch the writer has (the I/O thread's count) */
	struct audit_fanout *fan;
	struct audit_auditor_report *rep;
	/* the pipeline */
	struct nodeq *q;          /* per node: challenges due, not yet sent */
	uint64_t retry_min;       /* earliest retry_at in the re-ask list */
	size_t node_cap;          /* requests in flight per node */
	size_t req_cap;           /* requests in flight in all */
	size_t req_inflight, ch_inflight, jobs_inflight;
	size_t rr;                /* the node to look at first when sending */
	/* verification threads (see struct verifier) */
	struct verifier *ver;
	struct audit_metadata **grave; /* evicted metadata a job may still be checking against */
	size_t ngrave, capgrave;
	/* the canary, asked at most once a second */
	uint64_t last_answer_ms, canary_at;
	bool canary_down;
	char canary_why[256];
	/* Test only (ASSAY_TEST_LIE_VERDICT): the committee position one passing answer of
	 * which is recorded as invalid_proof, or -1. */
	long lie_verdict;
};

uint64_t audit_unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

void audit_node_id_from_url(const char *url, uint8_t id[20])
{
	struct chain_keccak k;
	uint8_t h[32];
	static const char tag[] = "assay.node.v1";
	chain_keccak_init(&k);
	chain_keccak_update(&k, tag, sizeof(tag) - 1);
	chain_keccak_update(&k, url, strlen(url));
	chain_keccak_final(&k, h);
	memcpy(id, h + 12, 20);
}

/* ---- the (node, blob) metadata table: open addressing, grows at 1/2 load ---- */

static struct md_slot *md_slot(struct engine *g, uint32_t node, uint32_t blob, bool create)
{
	uint64_t key = (((uint64_t)node << 32) | blob) + 1;
	if (create && (g->nslots + 1) * 2 > g->capslots) {
		size_t cap = g->capslots ? g->capslots * 2 : 1024;
		struct md_slot *s = xcalloc(cap, sizeof(*s));
		for (size_t i = 0; i < g->capslots; i++) {
			if (!g->slots[i].key)
				continue;
			size_t h = (size_t)(g->slots[i].key * 0x9e3779b97f4a7c15ull) & (cap - 1);
			while (s[h].key)
				h = (h + 1) & (cap - 1);
			s[h] = g->slots[i];
		}
		free(g->slots);
		g->slots = s;
		g->capslots = cap;
	}
	if (!g->capslots)
		return NULL;
	size_t h = (size_t)(key * 0x9e3779b97f4a7c15ull) & (g->capslots - 1);
	while (g->slots[h].key) {
		if (g->slots[h].key == key)
			return &g->slots[h];
		h = (h + 1) & (g->capslots - 1);
	}
	if (!create)
		return NULL;
	g->slots[h].key = key;
	g->nslots++;
	return &g->slots[h];
}

static uint8_t md_state(struct engine *g, uint32_t node, uint32_t blob)
{
	struct md_slot *s = md_slot(g, node, blob, false);
	if (!s)
		return MD_UNKNOWN;
	/* Under memory pressure the cache may have dropped the blob's metadata: then a
	 * node's earlier check has nothing to check symbols against, so ask again. */
	if (s->state == MD_OK && !g->md[blob])
		return MD_UNKNOWN;
	return s->state;
}

static void md_cache_put(struct engine *g, uint32_t blob, struct audit_metadata *md)
{
	if (g->md[blob]) {
		audit_metadata_free(md);
		return;
	}
	size_t bytes = sizeof(*md) + (size_t)md->n_shards * sizeof(md->hashes[0]);
	if (g->md_bytes + bytes > MD_CACHE_MAX_BYTES) {
		/* Jobs being checked may hold these: they are freed once no job is in flight. */
		for (size_t i = 0; i < g->cfg->nblobs; i++) {
			if (!g->md[i])
				continue;
			if (g->ngrave == g->capgrave) {
				g->capgrave = g->capgrave ? g->capgrave * 2 : 64;
				g->grave = xrealloc(g->grave, g->capgrave * sizeof(*g->grave));
			}
			g->grave[g->ngrave++] = g->md[i];
			g->md[i] = NULL;
		}
		g->md_bytes = 0;
	}
	g->md[blob] = md;
	g->md_bytes += bytes;
}

/* ---- records ---- */

static bool retryable(enum audit_outcome o, long status)
{
	return audit_outcome_transient(o, status) || o == AUDIT_OUTCOME_AUDITOR_ERROR;
}

static void report_decided(struct engine *g, uint64_t seq)
{
	struct audit_node_summary *ns = &g->rep->nodes[audit_schedule_node_of(&g->sched, seq)];
	ns->decided++;
	ns->outcomes[g->st[seq].last]++;
	if (g->st[seq].last == AUDIT_OUTCOME_PASS)
		ns->passed++;
	g->rep->decided++;
}

static void add_retry(struct engine *g, uint64_t seq, uint64_t at)
{
	if (g->nretry == g->capretry) {
		g->capretry = g->capretry ? g->capretry * 2 : 256;
		g->retry = xrealloc(g->retry, g->capretry * sizeof(*g->retry));
	}
	g->retry[g->nretry].seq = seq;
	g->retry[g->nretry].at = at;
	g->nretry++;
	g->st[seq].flags |= S_RETRY;
	if (at < g->retry_min)
		g->retry_min = at;
}

/* The result of one attempt is known: update the state, queue the record. */
static void settle_attempt(struct engine *g, const struct audit_record *r, uint64_t now_unix)
{
	struct seqstate *s = &g->st[r->seq];
	s->attempts = (uint8_t)(r->attempt + 1);
	s->last = (uint8_t)r->outcome;
	if (retryable(r->outcome, r->http_status) && s->attempts < g->max_attempts) {
		uint64_t at = now_unix + g->retry_delay;
		/* Re-asks must happen inside the epoch; squeeze them in before its end. */
		if (at + g->cfg->batch_timeout_ms > g->epoch_end)
			at = g->epoch_end > g->cfg->batch_timeout_ms + now_unix
				     ? g->epoch_end - g->cfg->batch_timeout_ms
				     : now_unix;
		add_retry(g, r->seq, at);
	} else {
		s->flags |= S_DECIDED;
		report_decided(g, r->seq);
	}
	if (g->cfg->metrics)
		audit_metrics_observe(g->cfg->metrics, audit_schedule_node_of(&g->sched, r->seq),
				      r->outcome,
				      r->latency_ms, (s->flags & S_DECIDED) != 0);
	if (g->npending == g->cappending) {
		g->cappending = g->cappending ? g->cappending * 2 : 1024;
		g->pending = xrealloc(g->pending, g->cappending * sizeof(*g->pending));
	}
	if (g->npending == 0)
		g->oldest_pending_ms = now_unix;
	g->pending[g->npending++] = *r;
}

/* Records are written on their own thread, so the I/O thread never waits for a COPY (nor
 * for a reconnect): the I/O thread hands it everything pending whenever it is idle, and
 * while one COPY runs the next batch grows, so under load COPYs get large. The writer
 * alone uses the store once the run has begun. */
struct writer {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	bool started, quit;
	bool busy;  /* a batch is handed over (the writer owns batch[0..nbatch)) */
	bool done;  /* ... and written, or failed: the I/O thread collects it */
	bool dedupe; /* drop what the store already has before writing */
	bool ok;
	struct audit_record *batch;
	size_t nbatch, capbatch;
	size_t written; /* rows the store took */
	uint64_t oldest_ms; /* when the oldest row of the batch was pending */
	struct err e;
	const struct audit_auditor_config *cfg;
	struct audit_fanout *fan;
};

/* After a failed write the server may have committed the batch without our hearing it:
 * drop what it has before writing again (an attempt is recorded iff the seq's last
 * recorded attempt is at least it). */
static bool dedupe_batch(struct writer *w, struct err *e)
{
	const struct audit_auditor_config *cfg = w->cfg;
	struct audit_recorded *rec = NULL;
	size_t nrec = 0;
	if (!cfg->store.load(cfg->store.ctx, cfg->sched->epoch, cfg->sched->auditor, &rec, &nrec, e))
		return false;
	/* rec is sorted by seq. */
	size_t kept = 0, dropped = 0;
	for (size_t i = 0; i < w->nbatch; i++) {
		const struct audit_record *r = &w->batch[i];
		size_t lo = 0, hi = nrec;
		while (lo < hi) {
			size_t mid = lo + (hi - lo) / 2;
			if (rec[mid].seq < r->seq)
				lo = mid + 1;
			else
				hi = mid;
		}
		if (lo < nrec && rec[lo].seq == r->seq && rec[lo].attempt >= r->attempt) {
			dropped++;
			continue;
		}
		w->batch[kept++] = *r;
	}
	w->nbatch = kept;
	free(rec);
	if (dropped)
		log_info("%zu results were already recorded before the connection broke", dropped);
	return true;
}

/* On the writer thread: batch[0..nbatch) to the store; on failure batch keeps what is not
 * known to be written. */
static bool writer_write(struct writer *w, struct err *e)
{
	const struct audit_auditor_config *cfg = w->cfg;
	w->written = 0;
	if (w->dedupe && (!cfg->store.ping(cfg->store.ctx, e) || !dedupe_batch(w, e)))
		return false;
	/* Write in chunks so one COPY stays a bounded size. */
	size_t n = w->nbatch, done = 0;
	while (done < n) {
		size_t chunk = n - done < 20000 ? n - done : 20000;
		if (!cfg->store.write(cfg->store.ctx, w->batch + done, chunk, e)) {
			memmove(w->batch, w->batch + done, (n - done) * sizeof(*w->batch));
			w->nbatch = n - done;
			w->written = done;
			return false;
		}
		done += chunk;
	}
	w->written = n;
	w->nbatch = 0;
	return true;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->quit && !(w->busy && !w->done))
			pthread_cond_wait(&w->cond, &w->lock);
		if (w->quit)
			break;
		pthread_mutex_unlock(&w->lock);
		struct err e = {{0}};
		bool ok = writer_write(w, &e);
		pthread_mutex_lock(&w->lock);
		w->ok = ok;
		w->e = e;
		w->done = true;
		pthread_cond_broadcast(&w->cond);
		audit_fanout_wakeup(w->fan);
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static bool writer_new(struct engine *g, struct err *e)
{
	struct writer *w = xcalloc(1, sizeof(*w));
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->cfg = g->cfg;
	w->fan = g->fan;
	g->wr = w;
	int rc = pthread_create(&w->thread, NULL, writer_main, w);
	if (rc != 0)
		return err_set(e, "could not start the recording thread: %s", strerror(rc));
	w->started = true;
	return true;
}

/* Stops the thread; the caller has collected its last batch. */
static void writer_free(struct writer *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->lock);
	w->quit = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->started)
		pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w->batch);
	free(w);
}

/* Results not yet recorded: pending, and the batch being written. */
static size_t held(const struct engine *g)
{
	return g->npending + g->handed;
}

/* On the I/O thread: takes the writer's verdict on the batch it was given, if it has one
 * (wait: blocks until it has). What failed goes back to pending. */
static void writer_collect(struct engine *g, bool wait)
{
	const struct audit_auditor_config *cfg = g->cfg;
	struct writer *w = g->wr;
	if (!w->busy)
		return;
	pthread_mutex_lock(&w->lock);
	while (wait && !w->done)
		pthread_cond_wait(&w->cond, &w->lock);
	bool done = w->done;
	pthread_mutex_unlock(&w->lock);
	if (!done)
		return;
	/* The writer waits for the next hand-over: its fields are the I/O thread's now. */
	uint64_t now = audit_unix_ms();
	w->busy = w->done = false;
	g->handed = 0;
	if (w->ok) {
		if (g->db_down) {
			log_info("the database is back after %" PRIu64 " s: wrote %zu results held in "
				 "memory",
				 (now - g->down_since) / 1000, w->written);
			g->db_down = false;
		}
		g->need_dedupe = false;
		g->db_backoff = 0;
		g->warned_full = false;
		return;
	}
	/* Not written (or not known to be): back in front of what came meanwhile. */
	if (w->nbatch) {
		if (g->npending + w->nbatch > g->cappending) {
			g->cappending = g->npending + w->nbatch;
			g->pending = xrealloc(g->pending, g->cappending * sizeof(*g->pending));
		}
		memmove(g->pending + w->nbatch, g->pending, g->npending * sizeof(*g->pending));
		memcpy(g->pending, w->batch, w->nbatch * sizeof(*g->pending));
		if (g->npending == 0 || w->oldest_ms < g->oldest_pending_ms)
			g->oldest_pending_ms = w->oldest_ms;
		g->npending += w->nbatch;
		w->nbatch = 0;
	}
	if (!g->db_down) {
		log_warn("cannot record challenge results (%s); holding %zu in memory (up to %zu) "
			 "and reconnecting",
			 w->e.msg, g->npending, cfg->max_pending);
		g->db_down = true;
		g->down_since = now;
	}
	g->need_dedupe = true;
	g->db_backoff = g->db_backoff ? g->db_backoff * 2 : 250;
	if (g->db_backoff > 5000)
		g->db_backoff = 5000;
	g->db_retry_at = now + g->db_backoff;
}

/* Hands pending records to the writer if it is idle and it is time to. force: whatever
 * the size and age. */
static void flush(struct engine *g, bool force)
{
	const struct audit_auditor_config *cfg = g->cfg;
	struct writer *w = g->wr;
	writer_collect(g, false);
	uint64_t now = audit_unix_ms();
	if (w->busy || g->npending == 0)
		goto metrics;
	if (!force && g->npending < cfg->flush_rows && now - g->last_flush_ms < cfg->flush_ms)
		goto metrics;
	if (g->db_down && now < g->db_retry_at)
		goto metrics;
	/* Swap buffers: pending becomes the batch, the old batch buffer the new pending. */
	struct audit_record *b = w->batch;
	size_t cap = w->capbatch;
	w->batch = g->pending;
	w->capbatch = g->cappending;
	w->nbatch = g->npending;
	w->oldest_ms = g->oldest_pending_ms;
	g->pending = b;
	g->cappending = cap;
	g->handed = g->npending;
	g->npending = 0;
	g->last_flush_ms = now;
	pthread_mutex_lock(&w->lock);
	w->dedupe = g->db_down || g->need_dedupe;
	w->busy = true;
	w->done = false;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
metrics:
	if (cfg->metrics) {
		uint64_t oldest = g->npending ? g->oldest_pending_ms : now;
		if (g->handed && w->oldest_ms < oldest)
			oldest = w->oldest_ms;
		audit_metrics_set_db(cfg->metrics, held(g), (double)(now - oldest) / 1000.0,
				     !g->db_down);
	}
}

/* ---- a job: one node's challenges sent together under one deadline ---- */

struct meta_req {
	uint32_t node, blob;
	size_t fi; /* index in the fan-out requests */
	enum audit_outcome outcome;
	struct audit_metadata *md; /* checked by a verifier; the cache takes it */
	char detail[256];
};

struct sym_req {
	uint32_t node, blob;
	enum audit_proof_axis axis;
	size_t first, count; /* in the sorted seqs */
	size_t fi;           /* SIZE_MAX: not sent (metadata known bad) */
	struct meta_req *meta;
	const struct audit_metadata *md; /* cached when sent (no meta), or NULL */
	bool checked;        /* a verifier filled outs[first..first+count) and detail */
	uint8_t bad_md_hash[32]; /* not sent: the hash of the metadata answer judged bad */
	size_t cap;          /* the body cap it was sent with */
	char detail[240];
};

struct job {
	struct engine *g;
	uint32_t node;
	uint64_t *seqs;
	struct audit_challenge *ch; /* the seqs' challenges, in the same order */
	size_t nseqs;
	struct meta_req *metas;
	struct sym_req *syms;
	struct audit_fanout_request *fr;
	char **urls;
	size_t nmeta, nsym, nfr;
	size_t outstanding, answered;
	uint64_t issued_unix, issued_ms;
	enum audit_outcome *outs; /* per seq, from the verifier */
	struct job *next;         /* in a verifier queue */
};

/* Checking answers (parsing metadata and hashing it against the blob ID, a Merkle path per
 * symbol: ~18 us a symbol at n = 1000) runs on its own threads so the I/O thread only
 * moves bytes. A completed job goes to `todo`; a thread checks it, pure functions of the
 * job's responses and of metadata nobody frees meanwhile, and puts it on `done`; the I/O
 * thread, woken through the fan-out, records it. */
struct verifier {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *todo_head, *todo_tail, *done_head, *done_tail;
	bool quit;
	struct audit_fanout *fan;
	const struct audit_auditor_config *cfg;
	pthread_t *threads;
	size_t nthreads;
};

static int cmp_job(const void *a, const void *b)
{
	const struct audit_challenge *x = a;
	const struct audit_challenge *y = b;
	if (x->blob != y->blob)
		return x->blob < y->blob ? -1 : 1;
	if (x->axis != y->axis)
		return x->axis < y->axis ? -1 : 1;
	if (x->batch != y->batch)
		return x->batch < y->batch ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static char *metadata_url_new(const char *base, const uint8_t id[32])
{
	char idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(idt, id);
	return xasprintf("%s/v1/blobs/%s/metadata", base, idt);
}

/* Byte caps from what a correct answer can be: a hostile node cannot make the auditor hold
 * more than that (plus a little for framing). */
static size_t metadata_cap(uint32_t n)
{
	return 32 + 1 + 5 + 8 + 5 + (size_t)n * 66 + 64;
}
static size_t symbols_cap(uint16_t symbol_size)
{
	/* However many ids were asked: a longer body fails the contract's rule too, so a
	 * recorded malformed on it can never be disputed (audit_check_symbols_response). */
	return audit_symbols_body_limit(symbol_size, AUDIT_MAX_IDS);
}
/* The rule's limit is the metadata's symbol size: use it when the metadata is known; else
 * the size the chain registered, which nothing binds to the blob ID (job_check). */
static size_t symbols_cap_for(const struct engine *g, uint32_t blob, const struct audit_metadata *md)
{
	struct audit_params p;
	uint16_t ss;
	struct err e = {{0}};
	if (md && audit_metadata_params(md, &p, &ss, &e))
		return symbols_cap(ss);
	return symbols_cap(g->symbol_size[blob]);
}

/* One answer from the canary within 3 s, asked twice: a loaded machine (or canary) must not
 * turn node failures into auditor_error; an auditor whose network is cut fails both. */
static bool canary_ok(const char *url, char *why, size_t why_len)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct audit_http_request req = {0};
		struct audit_http_response resp;
		struct err e = {{0}};
		req.url = url;
		req.timeout_ms = 3000;
		req.max_body = 1 << 16;
		if (!audit_http_request(&req, &resp, &e)) {
			snprintf(why, why_len, "%.200s", e.msg);
			continue;
		}
		bool ok = resp.transport == AUDIT_TRANSPORT_OK;
		if (!ok)
			snprintf(why, why_len, "%s", resp.detail);
		audit_http_response_clear(&resp);
		if (ok)
			return true;
	}
	return false;
}

/* Whether the auditor's own network is down, seen from a job nobody answered: no node
 * answered anything since it was sent, and the canary fails too. The canary is asked at
 * most once a second (jobs end by the hundred when the network is cut). */
static bool self_down(struct engine *g, const struct job *j)
{
	const struct audit_auditor_config *cfg = g->cfg;
	if (j->nfr == 0 || j->answered > 0 || !cfg->canary_url || g->last_answer_ms >= j->issued_ms)
		return false;
	uint64_t now = now_ms();
	if (g->canary_at && now - g->canary_at < 1000)
		return g->canary_down;
	bool was_down = g->canary_down;
	g->canary_down = !canary_ok(cfg->canary_url, g->canary_why, sizeof(g->canary_why));
	g->canary_at = now_ms();
	if (g->canary_down && !was_down)
		log_warn("no node answered and the canary %s fails too (%s): recording auditor_error, "
			 "not node failures",
			 cfg->canary_url, g->canary_why);
	return g->canary_down;
}

static void job_free(struct job *j)
{
	for (size_t k = 0; k < j->nmeta; k++)
		audit_metadata_free(j->metas[k].md);
	for (size_t k = 0; k < j->nfr; k++) {
		audit_http_response_clear(&j->fr[k].resp);
		free(j->urls[k]);
	}
	free(j->urls);
	free(j->fr);
	free(j->syms);
	free(j->metas);
	free(j->seqs);
	free(j->ch);
	free(j->outs);
	free(j);
}

/* The lie needs a body the node can rebuild: its request held the ids the schedule names. */
static bool lie_verdict_fits(struct engine *g, uint64_t seq, size_t asked)
{
	struct audit_challenge run[MAX_IDS_PER_REQUEST];
	size_t count, pos;
	audit_schedule_request(&g->sched, seq, MAX_IDS_PER_REQUEST, run, &count, &pos);
	return count == asked;
}

/* Every request of the job is answered (or failed): decide its challenges. */
static void job_finish(struct engine *g, struct job *j)
{
	const struct audit_auditor_config *cfg = g->cfg;
	struct audit_fanout_request *fr = j->fr;
	g->rep->attempts_sent += j->nseqs;
	bool down = self_down(g, j);

	for (size_t k = 0; k < j->nmeta; k++) {
		struct meta_req *m = &j->metas[k];
		struct md_slot *slot;
		if (m->outcome == AUDIT_OUTCOME_PASS) {
			md_cache_put(g, m->blob, m->md);
			m->md = NULL;
			slot = md_slot(g, m->node, m->blob, true);
			slot->state = MD_OK;
		} else if (m->outcome == AUDIT_OUTCOME_BAD_METADATA) {
			slot = md_slot(g, m->node, m->blob, true);
			slot->state = MD_BAD;
			free(slot->detail);
			slot->detail = xstrdup(m->detail);
			memcpy(slot->body_hash, fr[m->fi].body_hash, 32);
		}
	}

	enum audit_outcome outs[MAX_IDS_PER_REQUEST];
	for (size_t k = 0; k < j->nsym; k++) {
		struct sym_req *s = &j->syms[k];
		const struct audit_fanout_request *sr = s->fi != SIZE_MAX ? &fr[s->fi] : NULL;
		const struct audit_fanout_request *decider = sr;
		const uint8_t *bad_md_hash = NULL; /* decided by an earlier metadata answer */
		char detail[512] = "";
		if (!sr) {
			struct md_slot *slot = md_slot(g, s->node, s->blob, false);
			for (size_t t = 0; t < s->count; t++)
				outs[t] = AUDIT_OUTCOME_BAD_METADATA;
			snprintf(detail, sizeof(detail), "%s",
				 slot && slot->detail ? slot->detail : "bad metadata");
			bad_md_hash = s->bad_md_hash;
		} else if (s->meta && s->meta->outcome != AUDIT_OUTCOME_PASS) {
			/* Nothing to check the symbols against: the metadata answer decides. */
			for (size_t t = 0; t < s->count; t++)
				outs[t] = s->meta->outcome;
			snprintf(detail, sizeof(detail), "%.250s", s->meta->detail);
			decider = &fr[s->meta->fi];
		} else if (!s->checked) {
			/* Nothing to check against (the cache dropped it): ask again later. */
			for (size_t t = 0; t < s->count; t++)
				outs[t] = AUDIT_OUTCOME_AUDITOR_ERROR;
			snprintf(detail, sizeof(detail), "the blob's metadata left the cache");
		} else {
			memcpy(outs, j->outs + s->first, s->count * sizeof(*outs));
			snprintf(detail, sizeof(detail), "%s", s->detail);
		}
		long status = decider ? decider->resp.status : 0;
		uint64_t lat = sr ? sr->resp.latency_ms : 0;
		if (s->meta && fr[s->meta->fi].resp.latency_ms > lat)
			lat = fr[s->meta->fi].resp.latency_ms;
		for (size_t t = 0; t < s->count; t++) {
			uint64_t seq = j->seqs[s->first + t];
			const struct audit_challenge *c = &j->ch[s->first + t];
			struct audit_record r;
			memset(&r, 0, sizeof(r));
			r.epoch = cfg->sched->epoch;
			memcpy(r.auditor, cfg->sched->auditor, 20);
			r.seq = seq;
			r.attempt = g->st[seq].attempts;
			memcpy(r.node_id, cfg->nodes[c->node].id, 20);
			memcpy(r.blob_id, cfg->blobs[c->blob].id, 32);
			r.shard = c->shard;
			r.symbol = c->symbol;
			r.axis = c->axis;
			r.issued_at_ms = j->issued_unix;
			r.latency_ms = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
			r.outcome = outs[t];
			r.http_status = status;
			if (down && (r.outcome == AUDIT_OUTCOME_TIMEOUT ||
				     r.outcome == AUDIT_OUTCOME_UNREACHABLE)) {
				r.outcome = AUDIT_OUTCOME_AUDITOR_ERROR;
				snprintf(r.detail, sizeof(r.detail),
					 "the auditor's network is down (canary: %.80s); %.100s",
					 g->canary_why, detail);
			} else if (r.outcome != AUDIT_OUTCOME_PASS) {
				snprintf(r.detail, sizeof(r.detail), "%.230s", detail);
			}
			if (r.outcome == AUDIT_OUTCOME_PASS && g->lie_verdict == (long)c->node &&
			    decider == sr && r.attempt == 0 && lie_verdict_fits(g, seq, s->count)) {
				r.outcome = AUDIT_OUTCOME_INVALID_PROOF;
				snprintf(r.detail, sizeof(r.detail), "TEST ONLY: ASSAY_TEST_LIE_VERDICT");
				log_warn("audit: epoch %" PRIu64 ": TEST ONLY: ASSAY_TEST_LIE_VERDICT: "
					 "recording the passing answer to challenge %" PRIu64
					 " (committee position %u) as invalid_proof",
					 r.epoch, seq, c->node);
				g->lie_verdict = -1;
			}
			/* Every verdict on a body (invalid_proof, wrong_size, bad_metadata,
			 * malformed) carries the hash of the body it judged: one without is a
			 * malformed record (Disputes.disputeRecord). A body over the cap is judged
			 * by the bytes received, more than any answer that verifies can have. */
			if (bad_md_hash) {
				r.has_hash = true;
				memcpy(r.response_hash, bad_md_hash, 32);
			} else if (decider && (decider->resp.transport == AUDIT_TRANSPORT_OK ||
					       decider->bytes_received > 0)) {
				r.has_hash = true;
				memcpy(r.response_hash, decider->body_hash, 32);
			}
			ASSAY_ASSERT(r.has_hash || !audit_outcome_on_body(r.outcome));
			settle_attempt(g, &r, audit_unix_ms());
		}
	}
	g->q[j->node].inflight -= j->nfr;
	g->req_inflight -= j->nfr;
	g->ch_inflight -= j->nseqs;
	g->jobs_inflight--;
	job_free(j);
}

/* Most jobs a verifier checks in one pass (when that many wait). */
#define CHECK_JOBS 4

/* On a verifier thread: hashes the bodies and checks what the answers of jobs (a list
 * through next) say, touching only the jobs. The bodies and every symbol of them are
 * hashed in one pass, side by side: a response's few symbols alone would leave most lanes
 * of audit/b2many.h idle, and the more messages share a pass the less its tail costs. */
static void jobs_check(const struct verifier *v, struct job *jobs)
{
	size_t nseqs = 0, nsym = 0, nfr = 0;
	for (struct job *j = jobs; j; j = j->next) {
		nseqs += j->nseqs;
		nsym += j->nsym;
		nfr += j->nfr;
		for (size_t k = 0; k < j->nmeta; k++) {
			struct meta_req *m = &j->metas[k];
			m->outcome = audit_check_metadata_response(&j->fr[m->fi].resp,
								   v->cfg->blobs[m->blob].id, &m->md,
								   m->detail, sizeof(m->detail));
		}
	}
	struct audit_symbol_id *ids = xmalloc((nseqs ? nseqs : 1) * sizeof(*ids));
	struct audit_symbols_check *cs = xcalloc(nsym ? nsym : 1, sizeof(*cs));
	struct audit_b2_msg *bodies = xmalloc((nfr ? nfr : 1) * sizeof(*bodies));
	struct sym_req **sr = xmalloc((nsym ? nsym : 1) * sizeof(*sr));
	size_t ncs = 0, nbodies = 0, idoff = 0;
	for (struct job *j = jobs; j; j = j->next) {
		struct audit_symbol_id *jids = ids + idoff;
		idoff += j->nseqs;
		for (size_t k = 0; k < j->nsym; k++) {
			struct sym_req *s = &j->syms[k];
			if (s->fi == SIZE_MAX || (s->meta && s->meta->outcome != AUDIT_OUTCOME_PASS))
				continue;
			const struct audit_metadata *md = s->meta ? s->meta->md : s->md;
			if (!md)
				continue;
			for (size_t t = 0; t < s->count; t++)
				jids[s->first + t] = j->ch[s->first + t].symbol;
			sr[ncs] = s;
			cs[ncs++] = (struct audit_symbols_check){&j->fr[s->fi].resp, md,
								 jids + s->first, s->count, s->axis,
								 j->outs + s->first, s->detail,
								 sizeof(s->detail)};
			s->checked = true;
		}
		nbodies += audit_fanout_requests_hash_msgs(j->fr, j->nfr, bodies + nbodies);
	}
	audit_check_symbols_responses(cs, ncs, bodies, nbodies);
	for (size_t k = 0; k < ncs; k++) {
		const struct audit_symbols_check *c = &cs[k];
		struct sym_req *s = sr[k];
		/* Cut off below the rule's limit (the registered size is smaller than the
		 * metadata's): the bytes received might be an answer that verifies, so no
		 * verdict; asked again with the metadata's cap. */
		if (c->resp->transport == AUDIT_TRANSPORT_TOO_LARGE &&
		    symbols_cap_for(jobs->g, s->blob, c->md) > s->cap) {
			for (size_t t = 0; t < s->count; t++)
				c->outcomes[t] = AUDIT_OUTCOME_AUDITOR_ERROR;
			snprintf(s->detail, sizeof(s->detail),
				 "the answer passed a cap below the metadata's symbol size (the blob's "
				 "registered size is smaller): asked again");
		}
	}
	free(sr);
	free(bodies);
	free(cs);
	free(ids);
}

static void *verifier_main(void *arg)
{
	struct verifier *v = arg;
	pthread_mutex_lock(&v->lock);
	for (;;) {
		while (!v->todo_head && !v->quit)
			pthread_cond_wait(&v->cond, &v->lock);
		if (v->quit)
			break;
		/* Up to CHECK_JOBS waiting jobs, checked together. */
		struct job *first = v->todo_head, *last = first;
		for (int k = 1; k < CHECK_JOBS && last->next; k++)
			last = last->next;
		v->todo_head = last->next;
		if (!v->todo_head)
			v->todo_tail = NULL;
		last->next = NULL;
		pthread_mutex_unlock(&v->lock);
		jobs_check(v, first);
		pthread_mutex_lock(&v->lock);
		if (v->done_tail)
			v->done_tail->next = first;
		else
			v->done_head = first;
		v->done_tail = last;
		audit_fanout_wakeup(v->fan);
	}
	pthread_mutex_unlock(&v->lock);
	return NULL;
}

static bool verifier_new(struct engine *g, unsigned nthreads, struct err *e)
{
	struct verifier *v = xcalloc(1, sizeof(*v));
	pthread_mutex_init(&v->lock, NULL);
	pthread_cond_init(&v->cond, NULL);
	v->fan = g->fan;
	v->cfg = g->cfg;
	v->threads = xcalloc(nthreads, sizeof(*v->threads));
	g->ver = v;
	for (; v->nthreads < nthreads; v->nthreads++) {
		int rc = pthread_create(&v->threads[v->nthreads], NULL, verifier_main, v);
		if (rc != 0)
			return err_set(e, "could not start a verification thread: %s", strerror(rc));
	}
	return true;
}

/* Stops the threads; jobs still queued are dropped (the caller has none in flight). */
static void verifier_free(struct verifier *v)
{
	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	v->quit = true;
	pthread_cond_broadcast(&v->cond);
	pthread_mutex_unlock(&v->lock);
	for (size_t i = 0; i < v->nthreads; i++)
		pthread_join(v->threads[i], NULL);
	free(v->threads);
	pthread_cond_destroy(&v->cond);
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static void verifier_push(struct verifier *v, struct job *j)
{
	j->next = NULL;
	pthread_mutex_lock(&v->lock);
	if (v->todo_tail)
		v->todo_tail->next = j;
	else
		v->todo_head = j;
	v->todo_tail = j;
	pthread_cond_signal(&v->cond);
	pthread_mutex_unlock(&v->lock);
}

/* On the I/O thread: records the jobs the verifiers are done with. */
static void verifier_collect(struct engine *g)
{
	struct verifier *v = g->ver;
	pthread_mutex_lock(&v->lock);
	struct job *j = v->done_head;
	v->done_head = v->done_tail = NULL;
	pthread_mutex_unlock(&v->lock);
	while (j) {
		struct job *next = j->next;
		job_finish(g, j);
		j = next;
	}
	if (g->jobs_inflight == 0 && g->ngrave) {
		for (size_t i = 0; i < g->ngrave; i++)
			audit_metadata_free(g->grave[i]);
		g->ngrave = 0;
	}
}

/* The fan-out reports one request answered. */
static void on_done(void *arg, struct audit_fanout_request *req)
{
	struct job *j = req->user;
	struct engine *g = arg;
	if (req->resp.transport == AUDIT_TRANSPORT_OK ||
	    req->resp.transport == AUDIT_TRANSPORT_TOO_LARGE) {
		j->answered++;
		g->last_answer_ms = now_ms();
	}
	if (--j->outstanding == 0)
		verifier_push(g->ver, j);
}

/* Whether two challenges (sorted by cmp_job) go in one recoverySymbols request: one per
 * (blob, axis, batch), so that the public schedule names every request's ids
 * (audit_schedule_request) and a node can rebuild the body it answered (fraud proof 2). */
static bool same_request(const struct audit_challenge *a, const struct audit_challenge *b)
{
	return a->blob == b->blob && a->axis == b->axis && a->batch == b->batch;
}

/* Sends seqs[0..n) of one node (taken over) as one job: metadata it has not checked, then
 * one request per (blob, axis, batch) with several ids each, all under one deadline. */
static void job_start(struct engine *g, uint32_t node, uint64_t *seqs, size_t n)
{
	const struct audit_auditor_config *cfg = g->cfg;
	const struct audit_auditor_node *nd = &cfg->nodes[node];
	struct audit_challenge *ch = xmalloc(n * sizeof(*ch));
	audit_schedule_challenges(&g->sched, seqs, n, ch);
	qsort(ch, n, sizeof(*ch), cmp_job);
	for (size_t i = 0; i < n; i++)
		seqs[i] = ch[i].seq;

	struct job *j = xcalloc(1, sizeof(*j));
	j->g = g;
	j->node = node;
	j->seqs = seqs;
	j->ch = ch;
	j->nseqs = n;
	/* As many as the loop below can use: a request for each blob's metadata and one per
	 * (blob, axis, batch) and MAX_IDS_PER_REQUEST ids (a request is some 500 bytes: zeroing room
	 * for 2 n of them cost more than the requests it was for). */
	size_t nblobs = 0, ngroups = 0;
	for (size_t i = 0; i < n;) {
		size_t k = i;
		while (k < n && k - i < MAX_IDS_PER_REQUEST && same_request(&ch[k], &ch[i]))
			k++;
		nblobs += i == 0 || ch[i].blob != ch[i - 1].blob;
		ngroups++;
		i = k;
	}
	j->metas = xcalloc(nblobs, sizeof(*j->metas));
	j->syms = xcalloc(ngroups, sizeof(*j->syms));
	j->fr = xcalloc(nblobs + ngroups, sizeof(*j->fr));
	j->urls = xcalloc(nblobs + ngroups, sizeof(*j->urls));
	j->outs = xcalloc(n, sizeof(*j->outs));
	struct audit_fanout_request *fr = j->fr;

	for (size_t i = 0; i < n;) {
		uint32_t blob = ch[i].blob;
		const uint8_t *bid = cfg->blobs[blob].id;
		uint8_t state = md_state(g, node, blob);
		struct meta_req *m = NULL;
		if (state == MD_UNKNOWN) {
			m = &j->metas[j->nmeta++];
			m->node = node;
			m->blob = blob;
			m->fi = j->nfr;
			j->urls[j->nfr] = metadata_url_new(nd->url, bid);
			fr[j->nfr].url = j->urls[j->nfr];
			fr[j->nfr].pinned_key = nd->pin;
			fr[j->nfr].max_body = metadata_cap(cfg->sched->n);
			j->nfr++;
		}
		/* One request per (blob, axis, batch), several ids each: the public schedule
		 * names every request's ids (audit_schedule_request), so a node can rebuild the
		 * body it answered for fraud proof 2. */
		while (i < n && ch[i].blob == blob) {
			enum audit_proof_axis axis = ch[i].axis;
			size_t k = i;
			while (k < n && k - i < MAX_IDS_PER_REQUEST && same_request(&ch[k], &ch[i]))
				k++;
			struct sym_req *s = &j->syms[j->nsym++];
			s->node = node;
			s->blob = blob;
			s->axis = axis;
			s->first = i;
			s->count = k - i;
			s->meta = m;
			s->md = m ? NULL : g->md[blob];
			s->fi = SIZE_MAX;
			if (state == MD_BAD)
				memcpy(s->bad_md_hash, md_slot(g, node, blob, false)->body_hash, 32);
			else {
				struct audit_symbol_id ids[MAX_IDS_PER_REQUEST];
				for (size_t t = 0; t < s->count; t++)
					ids[t] = ch[i + t].symbol;
				s->fi = j->nfr;
				j->urls[j->nfr] = audit_symbols_url_new(nd->url, bid, ids, s->count, axis);
				fr[j->nfr].url = j->urls[j->nfr];
				fr[j->nfr].pinned_key = nd->pin;
				s->cap = symbols_cap_for(g, blob, g->md[blob]);
				fr[j->nfr].max_body = s->cap;
				j->nfr++;
			}
			i = k;
		}
	}

	j->issued_unix = audit_unix_ms();
	j->issued_ms = now_ms();
	g->q[node].inflight += j->nfr;
	g->req_inflight += j->nfr;
	g->ch_inflight += n;
	g->jobs_inflight++;
	if (j->nfr == 0) {
		/* Known bad metadata decides every challenge: nothing to send. */
		job_finish(g, j);
		return;
	}
	j->outstanding = j->nfr;
	uint64_t deadline = j->issued_ms + cfg->batch_timeout_ms;
	for (size_t k = 0; k < j->nfr; k++) {
		fr[k].user = j;
		fr[k].defer_hash = true; /* the verifier hashes the bodies */
		audit_fanout_submit(g->fan, &fr[k], deadline);
	}
}

/* ---- the loop ---- */

static void enqueue(struct engine *g, uint64_t seq)
{
	struct nodeq *q = &g->q[audit_schedule_node_of(&g->sched, seq)];
	if (q->len == q->cap) {
		/* Grow the ring, unwrapping it. */
		size_t cap = q->cap ? q->cap * 2 : 64;
		uint64_t *v = xmalloc(cap * sizeof(*v));
		for (size_t i = 0; i < q->len; i++)
			v[i] = q->v[(q->head + i) % q->cap];
		free(q->v);
		q->v = v;
		q->head = 0;
		q->cap = cap;
	}
	q->v[(q->head + q->len) % q->cap] = seq;
	q->len++;
}

/* Moves what is due now into the nodes' queues: re-asks first (they are older), then each
 * node's batches in schedule order while its queue is short. A node that answers slowly
 * thus keeps its batches in the schedule, not in memory, and never holds up another. */
static void admit(struct engine *g, uint64_t now)
{
	const struct audit_auditor_config *cfg = g->cfg;
	if (g->nretry && g->retry_min <= now) {
		size_t kept = 0;
		uint64_t min = UINT64_MAX;
		for (size_t i = 0; i < g->nretry; i++) {
			struct retry r = g->retry[i];
			if (r.at <= now) {
				g->st[r.seq].flags &= (uint8_t)~S_RETRY;
				enqueue(g, r.seq);
			} else {
				g->retry[kept++] = r;
				if (r.at < min)
					min = r.at;
			}
		}
		g->nretry = kept;
		g->retry_min = min;
	}
	if (!g->batches_left)
		return;
	for (size_t node = 0; node < cfg->nnodes; node++) {
		struct nodeq *q = &g->q[node];
		while (q->next < q->nbatches && q->len < NODE_QUEUE_MAX) {
			const struct audit_batch *b =
				&g->sched.batches[g->nbatch_of[g->nbatch_first[node] + q->next]];
			if (cfg->epoch_start_ms + b->at_ms > now)
				break;
			for (uint64_t seq = b->first_seq; seq < b->first_seq + b->count; seq++) {
				struct seqstate *s = &g->st[seq];
				/* A restart resumed this one already (decided, or queued for a re-ask). */
				if (s->attempts > 0 || (s->flags & (S_DECIDED | S_RETRY | S_SENT)))
					continue;
				s->flags |= S_SENT;
				enqueue(g, seq);
			}
			q->next++;
			g->batches_left--;
		}
	}
}

/* Sends jobs while there is room: up to node_cap requests per node, so a slow node holds
 * only its own slots, and req_cap requests and max_wave challenges in all. Nodes take
 * turns so none waits behind another's backlog. */
static void issue(struct engine *g)
{
	const struct audit_auditor_config *cfg = g->cfg;
	/* A node with a backlog gets up to JOB_BATCHES batches in one job: more ids per
	 * request, fewer requests (each costs the auditor and the node far more than an id). */
	size_t nn = cfg->nnodes,
	       per_job = JOB_BATCHES * (cfg->sched->batch_size ? cfg->sched->batch_size : 1);
	bool progress = true;
	while (progress) {
		progress = false;
		for (size_t k = 0; k < nn; k++) {
			if (g->req_inflight >= g->req_cap || g->ch_inflight >= cfg->max_wave)
				return;
			uint32_t node = (uint32_t)((g->rr + k) % nn);
			struct nodeq *q = &g->q[node];
			if (!q->len || q->inflight >= g->node_cap)
				continue;
			size_t n = q->len < per_job ? q->len : per_job;
			uint64_t *seqs = xmalloc(n * sizeof(*seqs));
			for (size_t t = 0; t < n; t++)
				seqs[t] = q->v[(q->head + t) % q->cap];
			q->head = (q->head + n) % q->cap;
			q->len -= n;
			job_start(g, node, seqs, n);
			progress = true;
		}
		g->rr = nn ? (g->rr + 1) % nn : 0;
	}
}

/* The earliest time something falls due: a re-ask, or the next batch of a node whose
 * queue has room (a full queue drains as its jobs are sent, which wakes the loop anyway). */
static uint64_t next_due(const struct engine *g)
{
	uint64_t t = g->nretry ? g->retry_min : UINT64_MAX;
	if (!g->batches_left)
		return t;
	for (size_t node = 0; node < g->cfg->nnodes; node++) {
		const struct nodeq *q = &g->q[node];
		if (q->next >= q->nbatches || q->len >= NODE_QUEUE_MAX)
			continue;
		uint64_t b = g->cfg->epoch_start_ms +
			     g->sched.batches[g->nbatch_of[g->nbatch_first[node] + q->next]].at_ms;
		if (b < t)
			t = b;
	}
	return t;
}

static uint64_t queue_depth(const struct engine *g)
{
	uint64_t d = 0;
	for (size_t i = 0; i < g->cfg->nnodes; i++)
		d += g->q[i].len;
	return d;
}

/* What a restart finds recorded. */
static bool resume(struct engine *g, struct err *e)
{
	const struct audit_auditor_config *cfg = g->cfg;
	struct audit_recorded *rec = NULL;
	size_t nrec = 0;
	uint64_t backoff = 250;
	struct err le = {{0}};
	/* Without knowing what is recorded the auditor could ask twice: wait for the store. */
	while (!cfg->store.load(cfg->store.ctx, cfg->sched->epoch, cfg->sched->auditor, &rec, &nrec,
				&le)) {
		if (cfg->stop && *cfg->stop)
			return err_set(e, "stopped before the recorded challenges could be read: %s",
				       le.msg);
		log_warn("cannot read recorded challenges yet (%s); retrying in %" PRIu64 " ms",
			 le.msg, backoff);
		sleep_ms(backoff);
		backoff = backoff * 2 > 5000 ? 5000 : backoff * 2;
		struct err pe;
		if (!cfg->store.ping(cfg->store.ctx, &pe))
			continue;
	}
	uint64_t now = audit_unix_ms();
	for (size_t i = 0; i < nrec; i++) {
		if (rec[i].seq >= g->sched.nchallenges) {
			free(rec);
			return err_set(e,
				       "the database has challenge seq %" PRIu64 " of epoch %" PRIu64
				       " recorded, but the schedule has only %zu: different inputs "
				       "(committee, blobs, seed or secret) than the run that recorded it",
				       rec[i].seq, cfg->sched->epoch, g->sched.nchallenges);
		}
		struct seqstate *s = &g->st[rec[i].seq];
		s->attempts = (uint8_t)(rec[i].attempt + 1);
		s->last = (uint8_t)rec[i].outcome;
		g->rep->resumed++;
		if (retryable(rec[i].outcome, rec[i].http_status) && s->attempts < g->max_attempts)
			add_retry(g, rec[i].seq, now);
		else {
			s->flags |= S_DECIDED;
			report_decided(g, rec[i].seq);
		}
	}
	if (nrec)
		log_info("resuming epoch %" PRIu64 ": %zu challenges already recorded, %zu of them "
			 "waiting for a re-ask",
			 cfg->sched->epoch, nrec, g->nretry);
	free(rec);
	return true;
}

static bool all_decided(const struct engine *g)
{
	return g->rep->decided == g->sched.nchallenges;
}

bool audit_auditor_schedule(const struct audit_schedule_params *p,
			    const struct audit_auditor_node *nodes, size_t nnodes,
			    const struct audit_schedule_blob *blobs, size_t nblobs, bool lazy,
			    struct audit_schedule *out, struct err *e)
{
	struct audit_schedule_node *sn = xcalloc(nnodes ? nnodes : 1, sizeof(*sn));
	for (size_t i = 0; i < nnodes; i++) {
		memcpy(sn[i].id, nodes[i].id, 20);
		sn[i].shards = nodes[i].shards;
		sn[i].nshards = nodes[i].nshards;
	}
	bool built = lazy ? audit_schedule_build_lazy(p, sn, nnodes, blobs, nblobs, out, e)
			  : audit_schedule_build(p, sn, nnodes, blobs, nblobs, out, e);
	free(sn);
	return built;
}

bool audit_auditor_run(const struct audit_auditor_config *cfg_in,
		       struct audit_auditor_report *rep, struct err *e)
{
	struct audit_auditor_config cfgv = *cfg_in;
	struct audit_auditor_config *cfg = &cfgv;
	const struct audit_schedule_params *sp = cfg->sched;
	if (!cfg->batch_timeout_ms)
		cfg->batch_timeout_ms = 5000;
	if (!cfg->max_pending)
		cfg->max_pending = 100000;
	if (!cfg->max_wave)
		cfg->max_wave = 4096;
	if (!cfg->flush_rows)
		cfg->flush_rows = 5000;
	if (!cfg->flush_ms)
		cfg->flush_ms = 500;

	memset(rep, 0, sizeof(*rep));
	struct engine eng;
	struct engine *g = &eng;
	memset(g, 0, sizeof(*g));
	g->cfg = cfg;
	g->rep = rep;
	g->max_attempts = cfg->max_attempts ? cfg->max_attempts : 3;
	if (g->max_attempts > 200)
		g->max_attempts = 200;
	g->epoch_end = cfg->epoch_end_ms ? cfg->epoch_end_ms
					  : cfg->epoch_start_ms + sp->window_ms * 5 / 4;
	g->retry_delay = cfg->retry_delay_ms ? cfg->retry_delay_ms : sp->window_ms / 20;
	if (g->retry_delay < 500 && !cfg->retry_delay_ms)
		g->retry_delay = 500;
	bool ok = false;
	g->retry_min = UINT64_MAX;
	g->lie_verdict = -1;
	const char *lie = getenv("ASSAY_TEST_LIE_VERDICT");
	if (lie && *lie) {
		uint64_t pos;
		if (!parse_u64(lie, &pos) || pos >= cfg->nnodes) {
			err_set(e, "ASSAY_TEST_LIE_VERDICT must be a committee position below %zu, not "
				   "'%.40s'",
				cfg->nnodes, lie);
			goto out;
		}
		g->lie_verdict = (long)pos;
		log_warn("audit: epoch %" PRIu64 ": TEST ONLY: ASSAY_TEST_LIE_VERDICT=%" PRIu64
			 " is armed: one passing answer of committee position %" PRIu64
			 " will be recorded as invalid_proof",
			 sp->epoch, pos, pos);
	}

	if (!audit_auditor_schedule(sp, cfg->nodes, cfg->nnodes, cfg->blobs, cfg->nblobs, true,
				    &g->sched, e))
		goto out;
	g->st = xcalloc(g->sched.nchallenges ? g->sched.nchallenges : 1, sizeof(*g->st));
	g->md = xcalloc(cfg->nblobs ? cfg->nblobs : 1, sizeof(*g->md));
	g->symbol_size = xcalloc(cfg->nblobs ? cfg->nblobs : 1, sizeof(*g->symbol_size));
	struct audit_params params;
	if (!audit_params_init(&params, sp->n, e))
		goto out;
	for (size_t i = 0; i < cfg->nblobs; i++)
		if (!audit_symbol_size(&params, cfg->blobs[i].unencoded_length, &g->symbol_size[i], e))
			goto out;
	rep->nnodes = cfg->nnodes;
	rep->nodes = xcalloc(cfg->nnodes ? cfg->nnodes : 1, sizeof(*rep->nodes));
	for (size_t i = 0; i < cfg->nnodes && i < g->sched.nnodes; i++)
		rep->nodes[i].challenges = g->sched.per_node[i];
	rep->challenges = g->sched.nchallenges;
	if (!audit_fanout_new(&cfg->fanout, &g->fan, e))
		goto out;
	if (!verifier_new(g, cfg->verify_threads ? cfg->verify_threads : 2, e))
		goto out;
	if (cfg->metrics)
		audit_metrics_set_epoch(cfg->metrics, sp->epoch);
	if (!resume(g, e))
		goto out;
	/* From here on only the writer uses the store. */
	if (!writer_new(g, e))
		goto out;
	log_info("epoch %" PRIu64 ": %zu challenges in %zu batches over %zu nodes and %zu blobs",
		 sp->epoch, g->sched.nchallenges, g->sched.nbatches, cfg->nnodes, cfg->nblobs);

	g->q = xcalloc(cfg->nnodes ? cfg->nnodes : 1, sizeof(*g->q));
	/* Each node's batches in issue order: counted, then placed (a stable pass). */
	g->nbatch_of = xcalloc(g->sched.nbatches ? g->sched.nbatches : 1, sizeof(*g->nbatch_of));
	g->nbatch_first = xcalloc(cfg->nnodes + 1, sizeof(*g->nbatch_first));
	for (size_t b = 0; b < g->sched.nbatches; b++)
		g->q[g->sched.batches[b].node].nbatches++;
	for (size_t i = 0; i < cfg->nnodes; i++)
		g->nbatch_first[i + 1] = g->nbatch_first[i] + g->q[i].nbatches;
	for (size_t b = 0; b < g->sched.nbatches; b++) {
		struct nodeq *q = &g->q[g->sched.batches[b].node];
		g->nbatch_of[g->nbatch_first[g->sched.batches[b].node] + q->next++] = (uint32_t)b;
	}
	for (size_t i = 0; i < cfg->nnodes; i++)
		g->q[i].next = 0;
	g->batches_left = g->sched.nbatches;
	/* Enough requests per node to keep its connections busy while answers are read and
	 * the next ones go out; more would only queue inside libcurl. */
	g->req_cap = cfg->fanout.max_inflight ? cfg->fanout.max_inflight : 256;
	g->node_cap = 4u * (cfg->fanout.max_host_connections ? cfg->fanout.max_host_connections : 8);
	if (g->node_cap > g->req_cap)
		g->node_cap = g->req_cap;
	g->last_flush_ms = audit_unix_ms();
	for (;;) {
		bool stopping = cfg->stop && *cfg->stop;
		uint64_t now = audit_unix_ms();
		if (cfg->metrics) {
			audit_metrics_tick(cfg->metrics);
			audit_metrics_set_queue(cfg->metrics, queue_depth(g), g->ch_inflight);
		}
		if (stopping) {
			/* Let what is in flight end (by its deadline) so its results are kept. */
			if (g->jobs_inflight == 0)
				break;
		} else if (all_decided(g) && held(g) == 0 && g->jobs_inflight == 0) {
			if (cfg->once)
				break;
			/* A daemon waits for its next epoch's input: the caller restarts it. */
			sleep_ms(200);
			continue;
		} else {
			admit(g, now);
			if (held(g) >= cfg->max_pending) {
				if (!g->warned_full) {
					log_warn("%zu results wait for the database (the bound): issuing "
						 "no new challenges until they are recorded",
						 held(g));
					g->warned_full = true;
				}
			} else {
				issue(g);
			}
		}
		/* Wait for answers, or for the next batch or re-ask to fall due; the fan-out
		 * returns as soon as a transfer completes. */
		uint64_t wait = g->jobs_inflight ? 100 : 200;
		uint64_t t = next_due(g);
		if (!stopping && t != UINT64_MAX && t < now + wait)
			wait = t > now ? t - now : 0;
		if (held(g) && wait > cfg->flush_ms)
			wait = cfg->flush_ms;
		struct err fe = {{0}};
		if (!audit_fanout_perform(g->fan, wait, on_done, g, &fe))
			log_error("%s", fe.msg);
		verifier_collect(g);
		flush(g, false);
	}
	/* Whatever is left goes to the store before returning (a stop tries once more). */
	flush(g, true);
	writer_collect(g, true);
	if (g->npending && !(cfg->stop && *cfg->stop)) {
		for (int i = 0; i < 20 && g->npending; i++) {
			sleep_ms(g->db_backoff ? g->db_backoff : 250);
			flush(g, true);
			writer_collect(g, true);
		}
	}
	rep->unrecorded = g->npending;
	rep->connections = audit_fanout_connections(g->fan);
	if (g->npending)
		log_error("%zu challenge results could not be recorded; they will be asked again "
			  "on the next run",
			  g->npending);
	ok = true;
out:
	if (g->wr)
		writer_collect(g, true);
	writer_free(g->wr);
	verifier_free(g->ver);
	audit_fanout_free(g->fan);
	for (size_t i = 0; i < g->ngrave; i++)
		audit_metadata_free(g->grave[i]);
	free(g->grave);
	if (g->q)
		for (size_t i = 0; i < cfg->nnodes; i++)
			free(g->q[i].v);
	free(g->q);
	for (size_t i = 0; i < g->capslots; i++)
		free(g->slots[i].detail);
	free(g->slots);
	if (g->md)
		for (size_t i = 0; i < cfg->nblobs; i++)
			audit_metadata_free(g->md[i]);
	free(g->md);
	free(g->symbol_size);
	free(g->st);
	free(g->retry);
	free(g->nbatch_of);
	free(g->nbatch_first);
	free(g->pending);
	audit_schedule_free(&g->sched);
	if (!ok) {
		free(rep->nodes);
		rep->nodes = NULL;
	}
	return ok;
}

void audit_auditor_report_clear(struct audit_auditor_report *r)
{
	if (!r)
		return;
	free(r->nodes);
	memset(r, 0, sizeof(*r));
}

void audit_auditor_report_print(FILE *f, const struct audit_auditor_report *r,
				const struct audit_auditor_node *nodes)
{
	fprintf(f, "%-4s %-30s %10s %8s %8s %7s  %s\n", "node", "url", "challenges", "decided",
		"passed", "score", "outcomes");
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct audit_node_summary *s = &r->nodes[i];
		uint64_t scored = s->decided - s->outcomes[AUDIT_OUTCOME_AUDITOR_ERROR];
		char score[16];
		if (scored)
			snprintf(score, sizeof(score), "%.1f%%", 100.0 * (double)s->passed / (double)scored);
		else
			snprintf(score, sizeof(score), "-");
		fprintf(f, "%-4zu %-30.30s %10" PRIu64 " %8" PRIu64 " %8" PRIu64 " %7s ", i,
			nodes ? nodes[i].url : "", s->challenges, s->decided, s->passed, score);
		bool first = true;
		for (unsigned o = 0; o < AUDIT_OUTCOME_COUNT; o++) {
			if (!s->outcomes[o])
				continue;
			fprintf(f, "%s%s=%" PRIu64, first ? " " : ",",
				audit_outcome_name((enum audit_outcome)o), s->outcomes[o]);
			first = false;
		}
		fputc('\n', f);
	}
}

/* ---- the blob list file ---- */

static int cmp_blob(const void *a, const void *b)
{
	return memcmp(((const struct audit_schedule_blob *)a)->id,
		      ((const struct audit_schedule_blob *)b)->id, 32);
}

bool audit_blobs_load(const char *path, struct audit_schedule_blob **out, size_t *n,
		      struct err *e)
{
	*out = NULL;
	*n = 0;
	uint8_t *text = NULL;
	size_t len = 0;
	if (!read_file(path, 64u << 20, &text, &len, e))
		return err_prefix(e, "blob list: ");
	struct audit_schedule_blob *v = NULL;
	size_t nv = 0, cap = 0, lineno = 0;
	bool ok = false;
	char *p = (char *)text, *end = (char *)text + len;
	while (p < end) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		char *le = nl ? nl : end;
		lineno++;
		char line[256];
		size_t ll = (size_t)(le - p);
		char *hash = memchr(p, '#', ll);
		if (hash)
			ll = (size_t)(hash - p);
		if (ll >= sizeof(line)) {
			err_set(e, "blob list %s, line %zu: too long", path, lineno);
			goto out;
		}
		memcpy(line, p, ll);
		line[ll] = '\0';
		p = nl ? nl + 1 : end;
		char *a = line;
		while (*a == ' ' || *a == '\t' || *a == '\r')
			a++;
		if (!*a)
			continue;
		char *sp = a;
		while (*sp && *sp != ' ' && *sp != '\t')
			sp++;
		if (!*sp) {
			err_set(e, "blob list %s, line %zu: expected \"BLOB_ID LENGTH\"", path, lineno);
			goto out;
		}
		*sp++ = '\0';
		while (*sp == ' ' || *sp == '\t')
			sp++;
		char *t = sp + strlen(sp);
		while (t > sp && (t[-1] == ' ' || t[-1] == '\t' || t[-1] == '\r'))
			*--t = '\0';
		if (nv == cap) {
			cap = cap ? cap * 2 : 64;
			v = xrealloc(v, cap * sizeof(*v));
		}
		struct err le2;
		if (!audit_blob_id_parse(a, v[nv].id, &le2)) {
			err_set(e, "blob list %s, line %zu: %s", path, lineno, le2.msg);
			goto out;
		}
		if (!parse_u64(sp, &v[nv].unencoded_length)) {
			err_set(e, "blob list %s, line %zu: the length must be a number of bytes, not '%s'",
				path, lineno, sp);
			goto out;
		}
		nv++;
	}
	/* Sorted by ID, as the snapshot is; a blob listed twice would weigh double. */
	qsort(v, nv, sizeof(*v), cmp_blob);
	for (size_t k = 1; k < nv; k++)
		if (!memcmp(v[k - 1].id, v[k].id, 32)) {
			char idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
			audit_blob_id_text(idt, v[k].id);
			err_set(e, "blob list %s: blob %s is listed twice", path, idt);
			goto out;
		}
	*out = v;
	*n = nv;
	v = NULL;
	ok = true;
out:
	free(v);
	free(text);
	return ok;
}
