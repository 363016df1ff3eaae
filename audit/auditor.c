/* auditor.c: the epoch loop (audit/auditor.h). */

#include "audit/auditor.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/blob.h"
#include "audit/metrics.h"
#include "audit/schedule.h"
#include "chain/keccak.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

/* Most symbol ids in one request (keeps URLs short; a batch has 16 by default). */
#define MAX_IDS_PER_REQUEST 64
/* Verified metadata kept in memory (n = 1000 makes one about 66 KB). */
#define MD_CACHE_MAX_BYTES (256u << 20)

enum {
	S_DECIDED = 1, /* the last attempt is final (or the last allowed) */
	S_RETRY = 2,   /* waiting in the re-ask list */
	S_SENT = 4,    /* first attempt taken from its batch */
};

struct seqstate {
	uint8_t attempts; /* attempts whose result is known (recorded or pending) */
	uint8_t flags;
	uint8_t last;     /* enum audit_outcome of the last attempt */
	uint64_t retry_at;
};

/* What a node's metadata for a blob turned out to be. */
enum { MD_UNKNOWN = 0, MD_OK = 1, MD_BAD = 2 };
struct md_slot {
	uint64_t key; /* node << 32 | blob, +1 so 0 is free */
	uint8_t state;
	char *detail; /* MD_BAD: why */
};

struct engine {
	const struct audit_auditor_config *cfg;
	struct audit_schedule sched;
	struct seqstate *st;
	uint64_t *retry; /* seqs waiting for a re-ask */
	size_t nretry, capretry;
	size_t batch_cursor;
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
	struct audit_fanout *fan;
	struct audit_auditor_report *rep;
	uint64_t inflight;
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
		for (size_t i = 0; i < g->cfg->nblobs; i++) {
			audit_metadata_free(g->md[i]);
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
	const struct audit_challenge *c = &g->sched.challenges[seq];
	struct audit_node_summary *ns = &g->rep->nodes[c->node];
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
	g->retry[g->nretry++] = seq;
	g->st[seq].flags |= S_RETRY;
	g->st[seq].retry_at = at;
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
		audit_metrics_observe(g->cfg->metrics, g->sched.challenges[r->seq].node, r->outcome,
				      r->latency_ms, (s->flags & S_DECIDED) != 0);
	if (g->npending == g->cappending) {
		g->cappending = g->cappending ? g->cappending * 2 : 1024;
		g->pending = xrealloc(g->pending, g->cappending * sizeof(*g->pending));
	}
	if (g->npending == 0)
		g->oldest_pending_ms = now_unix;
	g->pending[g->npending++] = *r;
}

/* After a failed write the server may have committed the batch without our hearing it:
 * drop what it has before writing again (an attempt is recorded iff the seq's last
 * recorded attempt is at least it). */
static bool dedupe_pending(struct engine *g, struct err *e)
{
	const struct audit_auditor_config *cfg = g->cfg;
	struct audit_recorded *rec = NULL;
	size_t nrec = 0;
	if (!cfg->store.load(cfg->store.ctx, cfg->sched->epoch, cfg->sched->auditor, &rec, &nrec, e))
		return false;
	/* rec is sorted by seq. */
	size_t kept = 0, dropped = 0;
	for (size_t i = 0; i < g->npending; i++) {
		const struct audit_record *r = &g->pending[i];
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
		g->pending[kept++] = *r;
	}
	g->npending = kept;
	free(rec);
	if (dropped)
		log_info("%zu results were already recorded before the connection broke", dropped);
	return true;
}

/* Writes pending records if it is time to. force: whatever the size and age. */
static void flush(struct engine *g, bool force)
{
	const struct audit_auditor_config *cfg = g->cfg;
	uint64_t now = audit_unix_ms();
	if (g->npending == 0)
		goto metrics;
	if (!force && g->npending < cfg->flush_rows && now - g->last_flush_ms < cfg->flush_ms)
		goto metrics;
	if (g->db_down && now < g->db_retry_at)
		goto metrics;
	struct err e = {{0}};
	if (g->db_down || g->need_dedupe) {
		if (!cfg->store.ping(cfg->store.ctx, &e) || !dedupe_pending(g, &e))
			goto failed;
		g->need_dedupe = false;
	}
	size_t n = g->npending;
	/* Write in chunks so one COPY stays a bounded size. */
	size_t done = 0;
	while (done < n) {
		size_t chunk = n - done < 20000 ? n - done : 20000;
		if (!cfg->store.write(cfg->store.ctx, g->pending + done, chunk, &e)) {
			memmove(g->pending, g->pending + done, (n - done) * sizeof(*g->pending));
			g->npending = n - done;
			g->need_dedupe = true;
			goto failed;
		}
		done += chunk;
	}
	if (g->db_down) {
		log_info("the database is back after %" PRIu64 " s: wrote %zu results held in memory",
			 (now - g->down_since) / 1000, n);
		g->db_down = false;
	}
	g->npending = 0;
	g->db_backoff = 0;
	g->warned_full = false;
	g->last_flush_ms = now;
	goto metrics;
failed:
	if (!g->db_down) {
		log_warn("cannot record challenge results (%s); holding %zu in memory (up to %zu) "
			 "and reconnecting",
			 e.msg, g->npending, cfg->max_pending);
		g->db_down = true;
		g->down_since = now;
	}
	g->need_dedupe = true;
	g->db_backoff = g->db_backoff ? g->db_backoff * 2 : 250;
	if (g->db_backoff > 5000)
		g->db_backoff = 5000;
	g->db_retry_at = now + g->db_backoff;
metrics:
	if (cfg->metrics)
		audit_metrics_set_db(cfg->metrics, g->npending,
				     g->npending ? (double)(now - g->oldest_pending_ms) / 1000.0 : 0.0,
				     !g->db_down);
}

/* ---- one wave: the challenges due now, sent together under one deadline ---- */

struct meta_req {
	uint32_t node, blob;
	size_t fi; /* index in the fan-out requests */
	enum audit_outcome outcome;
	char detail[256];
};

struct sym_req {
	uint32_t node, blob;
	enum audit_proof_axis axis;
	size_t first, count; /* in the sorted wave */
	size_t fi;           /* SIZE_MAX: not sent (metadata known bad) */
	struct meta_req *meta;
};

static const struct audit_challenge *g_sort_ch;
static int cmp_wave(const void *a, const void *b)
{
	const struct audit_challenge *x = &g_sort_ch[*(const uint64_t *)a];
	const struct audit_challenge *y = &g_sort_ch[*(const uint64_t *)b];
	if (x->node != y->node)
		return x->node < y->node ? -1 : 1;
	if (x->blob != y->blob)
		return x->blob < y->blob ? -1 : 1;
	if (x->axis != y->axis)
		return x->axis < y->axis ? -1 : 1;
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
static size_t symbols_cap(uint16_t symbol_size, size_t count)
{
	return 5 + count * (1 + 2 + 5 + (size_t)symbol_size + 2 + 5 + AUDIT_MAX_PROOF_NODES * 33) + 64;
}

static bool canary_ok(const char *url, char *why, size_t why_len)
{
	struct audit_http_request req = {0};
	struct audit_http_response resp;
	struct err e = {{0}};
	req.url = url;
	req.timeout_ms = 2000;
	req.max_body = 1 << 16;
	if (!audit_http_request(&req, &resp, &e)) {
		snprintf(why, why_len, "%.200s", e.msg);
		return false;
	}
	bool ok = resp.transport == AUDIT_TRANSPORT_OK;
	if (!ok)
		snprintf(why, why_len, "%s", resp.detail);
	audit_http_response_clear(&resp);
	return ok;
}

static void run_wave(struct engine *g, uint64_t *wave, size_t nwave)
{
	const struct audit_auditor_config *cfg = g->cfg;
	const struct audit_challenge *ch = g->sched.challenges;
	g_sort_ch = ch;
	qsort(wave, nwave, sizeof(*wave), cmp_wave);

	struct meta_req *metas = xcalloc(nwave, sizeof(*metas));
	struct sym_req *syms = xcalloc(nwave, sizeof(*syms));
	struct audit_fanout_request *fr = xcalloc(2 * nwave, sizeof(*fr));
	char **urls = xcalloc(2 * nwave, sizeof(*urls));
	size_t nmeta = 0, nsym = 0, nfr = 0;

	for (size_t i = 0; i < nwave;) {
		const struct audit_challenge *c = &ch[wave[i]];
		uint32_t node = c->node, blob = c->blob;
		const struct audit_auditor_node *nd = &cfg->nodes[node];
		const uint8_t *bid = cfg->blobs[blob].id;
		uint8_t state = md_state(g, node, blob);
		struct meta_req *m = NULL;
		if (state == MD_UNKNOWN) {
			m = &metas[nmeta++];
			m->node = node;
			m->blob = blob;
			m->fi = nfr;
			urls[nfr] = metadata_url_new(nd->url, bid);
			fr[nfr].url = urls[nfr];
			fr[nfr].pinned_key = nd->pin;
			fr[nfr].max_body = metadata_cap(cfg->sched->n);
			nfr++;
		}
		/* One request per (blob, axis), several ids each. */
		while (i < nwave && ch[wave[i]].node == node && ch[wave[i]].blob == blob) {
			enum audit_proof_axis axis = ch[wave[i]].axis;
			size_t j = i;
			while (j < nwave && j - i < MAX_IDS_PER_REQUEST && ch[wave[j]].node == node &&
			       ch[wave[j]].blob == blob && ch[wave[j]].axis == axis)
				j++;
			struct sym_req *s = &syms[nsym++];
			s->node = node;
			s->blob = blob;
			s->axis = axis;
			s->first = i;
			s->count = j - i;
			s->meta = m;
			s->fi = SIZE_MAX;
			if (state != MD_BAD) {
				struct audit_symbol_id ids[MAX_IDS_PER_REQUEST];
				for (size_t k = 0; k < s->count; k++)
					ids[k] = ch[wave[i + k]].symbol;
				s->fi = nfr;
				urls[nfr] = audit_symbols_url_new(nd->url, bid, ids, s->count, axis);
				fr[nfr].url = urls[nfr];
				fr[nfr].pinned_key = nd->pin;
				fr[nfr].max_body = symbols_cap(g->symbol_size[blob], s->count);
				nfr++;
			}
			i = j;
		}
	}

	uint64_t issued = audit_unix_ms();
	g->inflight = nwave;
	if (cfg->metrics)
		audit_metrics_set_queue(cfg->metrics, 0, nwave);
	struct err fe = {{0}};
	bool fan_ok = audit_fanout_run(g->fan, fr, nfr, now_ms() + cfg->batch_timeout_ms, &fe);
	if (!fan_ok)
		log_error("HTTP fan-out failed: %s", fe.msg);
	g->rep->attempts_sent += nwave;

	/* The auditor's own network: nobody answered anything, and the canary fails too. */
	bool self_down = false;
	char why[256] = "";
	size_t answered = 0;
	for (size_t k = 0; k < nfr; k++)
		if (fr[k].resp.transport == AUDIT_TRANSPORT_OK ||
		    fr[k].resp.transport == AUDIT_TRANSPORT_TOO_LARGE)
			answered++;
	if (nfr > 0 && answered == 0 && cfg->canary_url && !canary_ok(cfg->canary_url, why, sizeof(why))) {
		self_down = true;
		log_warn("no node answered and the canary %s fails too (%s): recording auditor_error, "
			 "not node failures",
			 cfg->canary_url, why);
	}

	for (size_t k = 0; k < nmeta; k++) {
		struct meta_req *m = &metas[k];
		struct audit_metadata *md = NULL;
		m->outcome = audit_check_metadata_response(&fr[m->fi].resp, cfg->blobs[m->blob].id,
							   &md, m->detail, sizeof(m->detail));
		struct md_slot *slot;
		if (m->outcome == AUDIT_OUTCOME_PASS) {
			md_cache_put(g, m->blob, md);
			slot = md_slot(g, m->node, m->blob, true);
			slot->state = MD_OK;
		} else if (m->outcome == AUDIT_OUTCOME_BAD_METADATA) {
			slot = md_slot(g, m->node, m->blob, true);
			slot->state = MD_BAD;
			free(slot->detail);
			slot->detail = xstrdup(m->detail);
		}
	}

	enum audit_outcome outs[MAX_IDS_PER_REQUEST];
	struct audit_symbol_id ids[MAX_IDS_PER_REQUEST];
	for (size_t k = 0; k < nsym; k++) {
		struct sym_req *s = &syms[k];
		const struct audit_fanout_request *sr = s->fi != SIZE_MAX ? &fr[s->fi] : NULL;
		const struct audit_fanout_request *decider = sr;
		char detail[512] = "";
		if (!sr) {
			struct md_slot *slot = md_slot(g, s->node, s->blob, false);
			for (size_t t = 0; t < s->count; t++)
				outs[t] = AUDIT_OUTCOME_BAD_METADATA;
			snprintf(detail, sizeof(detail), "%s",
				 slot && slot->detail ? slot->detail : "bad metadata");
		} else if (s->meta && s->meta->outcome != AUDIT_OUTCOME_PASS) {
			/* Nothing to check the symbols against: the metadata answer decides. */
			for (size_t t = 0; t < s->count; t++)
				outs[t] = s->meta->outcome;
			snprintf(detail, sizeof(detail), "%.250s", s->meta->detail);
			decider = &fr[s->meta->fi];
		} else if (!g->md[s->blob]) {
			/* Evicted under memory pressure within this wave: ask again later. */
			for (size_t t = 0; t < s->count; t++)
				outs[t] = AUDIT_OUTCOME_AUDITOR_ERROR;
			snprintf(detail, sizeof(detail), "the blob's metadata left the cache");
		} else {
			for (size_t t = 0; t < s->count; t++)
				ids[t] = ch[wave[s->first + t]].symbol;
			audit_check_symbols_response(&sr->resp, g->md[s->blob], ids, s->count, s->axis,
						     outs, detail, sizeof(detail));
		}
		long status = decider ? decider->resp.status : 0;
		uint64_t lat = sr ? sr->resp.latency_ms : 0;
		if (s->meta && fr[s->meta->fi].resp.latency_ms > lat)
			lat = fr[s->meta->fi].resp.latency_ms;
		for (size_t t = 0; t < s->count; t++) {
			uint64_t seq = wave[s->first + t];
			const struct audit_challenge *c = &ch[seq];
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
			r.issued_at_ms = issued;
			r.latency_ms = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
			r.outcome = outs[t];
			r.http_status = status;
			if (self_down && (r.outcome == AUDIT_OUTCOME_TIMEOUT ||
					  r.outcome == AUDIT_OUTCOME_UNREACHABLE)) {
				r.outcome = AUDIT_OUTCOME_AUDITOR_ERROR;
				snprintf(r.detail, sizeof(r.detail),
					 "the auditor's network is down (canary: %.80s); %.100s", why,
					 detail);
			} else if (r.outcome != AUDIT_OUTCOME_PASS) {
				snprintf(r.detail, sizeof(r.detail), "%.230s", detail);
			}
			if (decider && (decider->resp.transport == AUDIT_TRANSPORT_OK ||
					decider->bytes_received > 0)) {
				r.has_hash = true;
				memcpy(r.response_hash, decider->body_hash, 32);
			}
			settle_attempt(g, &r, audit_unix_ms());
		}
	}

	for (size_t k = 0; k < nfr; k++) {
		audit_http_response_clear(&fr[k].resp);
		free(urls[k]);
	}
	free(urls);
	free(fr);
	free(syms);
	free(metas);
	g->inflight = 0;
}

/* ---- the loop ---- */

/* Challenges due now, up to the wave size. */
static size_t gather(struct engine *g, uint64_t now, uint64_t *wave, size_t max)
{
	const struct audit_auditor_config *cfg = g->cfg;
	size_t n = 0;
	/* Re-asks first: they are older. */
	size_t kept = 0;
	for (size_t i = 0; i < g->nretry; i++) {
		uint64_t seq = g->retry[i];
		if (n < max && g->st[seq].retry_at <= now) {
			g->st[seq].flags &= (uint8_t)~S_RETRY;
			wave[n++] = seq;
		} else {
			g->retry[kept++] = seq;
		}
	}
	g->nretry = kept;
	while (g->batch_cursor < g->sched.nbatches) {
		const struct audit_batch *b = &g->sched.batches[g->batch_cursor];
		if (cfg->epoch_start_ms + b->at_ms > now)
			break;
		if (n > 0 && n + b->count > max)
			break;
		for (uint64_t seq = b->first_seq; seq < b->first_seq + b->count; seq++) {
			struct seqstate *s = &g->st[seq];
			/* A restart resumed this one already (decided, or queued for a re-ask). */
			if (s->attempts > 0 || (s->flags & (S_DECIDED | S_RETRY | S_SENT)))
				continue;
			s->flags |= S_SENT;
			wave[n++] = seq;
		}
		g->batch_cursor++;
	}
	return n;
}

static uint64_t next_due(const struct engine *g)
{
	uint64_t t = UINT64_MAX;
	if (g->batch_cursor < g->sched.nbatches)
		t = g->cfg->epoch_start_ms + g->sched.batches[g->batch_cursor].at_ms;
	for (size_t i = 0; i < g->nretry; i++)
		if (g->st[g->retry[i]].retry_at < t)
			t = g->st[g->retry[i]].retry_at;
	return t;
}

static uint64_t queue_depth(const struct engine *g, uint64_t now)
{
	uint64_t d = 0;
	for (size_t i = g->batch_cursor; i < g->sched.nbatches; i++) {
		if (g->cfg->epoch_start_ms + g->sched.batches[i].at_ms > now)
			break;
		d += g->sched.batches[i].count;
	}
	for (size_t i = 0; i < g->nretry; i++)
		if (g->st[g->retry[i]].retry_at <= now)
			d++;
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
		cfg->flush_rows = 1000;
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
	uint64_t *wave = NULL;

	struct audit_schedule_node *sn = xcalloc(cfg->nnodes ? cfg->nnodes : 1, sizeof(*sn));
	for (size_t i = 0; i < cfg->nnodes; i++) {
		memcpy(sn[i].id, cfg->nodes[i].id, 20);
		sn[i].shards = cfg->nodes[i].shards;
		sn[i].nshards = cfg->nodes[i].nshards;
	}
	bool built = audit_schedule_build(sp, sn, cfg->nnodes, cfg->blobs, cfg->nblobs, &g->sched, e);
	free(sn);
	if (!built)
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
	if (cfg->metrics)
		audit_metrics_set_epoch(cfg->metrics, sp->epoch);
	if (!resume(g, e))
		goto out;
	log_info("epoch %" PRIu64 ": %zu challenges in %zu batches over %zu nodes and %zu blobs",
		 sp->epoch, g->sched.nchallenges, g->sched.nbatches, cfg->nnodes, cfg->nblobs);

	wave = xcalloc(cfg->max_wave, sizeof(*wave));
	g->last_flush_ms = audit_unix_ms();
	for (;;) {
		if (cfg->stop && *cfg->stop)
			break;
		uint64_t now = audit_unix_ms();
		if (cfg->metrics) {
			audit_metrics_tick(cfg->metrics);
			audit_metrics_set_queue(cfg->metrics, queue_depth(g, now), 0);
		}
		if (all_decided(g) && g->npending == 0) {
			if (cfg->once)
				break;
			/* A daemon waits for its next epoch's input: the caller restarts it. */
			sleep_ms(200);
			continue;
		}
		size_t n = 0;
		if (g->npending >= cfg->max_pending) {
			if (!g->warned_full) {
				log_warn("%zu results wait for the database (the bound): issuing no new "
					 "challenges until they are recorded",
					 g->npending);
				g->warned_full = true;
			}
		} else {
			n = gather(g, now, wave, cfg->max_wave);
		}
		if (n > 0)
			run_wave(g, wave, n);
		flush(g, false);
		if (n == 0) {
			uint64_t t = next_due(g);
			uint64_t wait = 200;
			now = audit_unix_ms();
			if (t != UINT64_MAX && t > now && t - now < wait)
				wait = t - now;
			if (t != UINT64_MAX && t <= now && g->npending < cfg->max_pending)
				wait = 0;
			if (wait)
				sleep_ms(wait);
		}
	}
	/* Whatever is left goes to the store before returning (a stop tries once more). */
	flush(g, true);
	if (g->npending && !(cfg->stop && *cfg->stop)) {
		for (int i = 0; i < 20 && g->npending; i++) {
			sleep_ms(g->db_backoff ? g->db_backoff : 250);
			flush(g, true);
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
	free(wave);
	audit_fanout_free(g->fan);
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
