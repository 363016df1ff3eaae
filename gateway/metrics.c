/* metrics.c: see metrics.h. One mutex; label sets are small and bounded. */
#include "gateway/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"

#define MAX_NODES 512
#define MAX_FAIL_KEYS 1024

static const double buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
				 1, 2.5, 5, 10, 30, 60};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct hist {
	atomic_uint_fast64_t counts[NBUCKETS + 1];
	atomic_uint_fast64_t sum_us;
	atomic_uint_fast64_t n;
};

/* Requests are counted without a lock: a fixed table of routes by status codes. */
static const char *const routes[] = {"blob", "byte-range", "put", "healthz", "metrics",
				     "other"};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))
static const unsigned codes[] = {200, 206, 304, 400, 401, 404, 405, 413, 414, 416, 429,
				 431, 500, 503, 507};
#define NCODES (sizeof(codes) / sizeof(codes[0]))

struct node_key {
	char *node;
	uint64_t bytes;
};

struct fail_key {
	char *node;
	char reason[24];
	uint64_t count;
};

struct gateway_metrics {
	pthread_mutex_t lock; /* the per-node tables */
	atomic_uint_fast64_t req[NROUTES][NCODES + 1]; /* last column: any other code */
	struct node_key nodes[MAX_NODES];
	size_t nnodes;
	struct fail_key fails[MAX_FAIL_KEYS];
	size_t nfails;
	atomic_uint_fast64_t served, hits, misses, cache_bytes, cache_entries, node_total;
	atomic_int_fast64_t inflight_requests, inflight_fetches;
	struct hist ttfb, dur;
};

struct gateway_metrics *gateway_metrics_new(void)
{
	struct gateway_metrics *m = xcalloc(1, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	return m;
}

void gateway_metrics_free(struct gateway_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nnodes; i++)
		free(m->nodes[i].node);
	for (size_t i = 0; i < m->nfails; i++)
		free(m->fails[i].node);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void gateway_metrics_request(struct gateway_metrics *m, const char *route, unsigned code)
{
	if (!m)
		return;
	size_t r = 0, c = 0;
	while (r < NROUTES - 1 && strcmp(routes[r], route))
		r++;
	while (c < NCODES && codes[c] != code)
		c++;
	atomic_fetch_add(&m->req[r][c], 1);
}

void gateway_metrics_served(struct gateway_metrics *m, uint64_t bytes)
{
	if (m)
		atomic_fetch_add(&m->served, bytes);
}

void gateway_metrics_cache(struct gateway_metrics *m, bool hit)
{
	if (m)
		atomic_fetch_add(hit ? &m->hits : &m->misses, 1);
}

void gateway_metrics_cache_size(struct gateway_metrics *m, uint64_t bytes, uint64_t entries)
{
	if (!m)
		return;
	atomic_store(&m->cache_bytes, bytes);
	atomic_store(&m->cache_entries, entries);
}

void gateway_metrics_inflight(struct gateway_metrics *m, int64_t dreq, int64_t dfetch)
{
	if (!m)
		return;
	if (dreq)
		atomic_fetch_add(&m->inflight_requests, dreq);
	if (dfetch)
		atomic_fetch_add(&m->inflight_fetches, dfetch);
}

void gateway_metrics_node_bytes(struct gateway_metrics *m, const char *node, uint64_t bytes)
{
	if (!m)
		return;
	atomic_fetch_add(&m->node_total, bytes);
	pthread_mutex_lock(&m->lock);
	size_t i;
	for (i = 0; i < m->nnodes; i++)
		if (!strcmp(m->nodes[i].node, node))
			break;
	if (i == m->nnodes && m->nnodes < MAX_NODES)
		m->nodes[m->nnodes++].node = xstrdup(node);
	if (i < m->nnodes)
		m->nodes[i].bytes += bytes;
	pthread_mutex_unlock(&m->lock);
}

void gateway_metrics_node_failure(struct gateway_metrics *m, const char *node, const char *reason)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	size_t i;
	for (i = 0; i < m->nfails; i++)
		if (!strcmp(m->fails[i].node, node) && !strcmp(m->fails[i].reason, reason))
			break;
	if (i == m->nfails && m->nfails < MAX_FAIL_KEYS) {
		m->fails[i].node = xstrdup(node);
		snprintf(m->fails[i].reason, sizeof(m->fails[i].reason), "%s", reason);
		m->nfails++;
	}
	if (i < m->nfails)
		m->fails[i].count++;
	pthread_mutex_unlock(&m->lock);
}

static void observe(struct hist *h, double s)
{
	size_t b = 0;
	while (b < NBUCKETS && s > buckets[b])
		b++;
	atomic_fetch_add(&h->counts[b], 1);
	atomic_fetch_add(&h->sum_us, (uint64_t)(s * 1e6));
	atomic_fetch_add(&h->n, 1);
}

void gateway_metrics_ttfb(struct gateway_metrics *m, double s)
{
	if (m)
		observe(&m->ttfb, s);
}

void gateway_metrics_duration(struct gateway_metrics *m, double s)
{
	if (m)
		observe(&m->dur, s);
}

uint64_t gateway_metrics_node_bytes_total(struct gateway_metrics *m)
{
	return atomic_load(&m->node_total);
}

/* A label value with \ " and newlines escaped. */
static void label(struct buf *out, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			buf_append_byte(out, '\\');
		if (*v == '\n') {
			buf_append_str(out, "\\n");
			continue;
		}
		buf_append_byte(out, (uint8_t)*v);
	}
}

static void render_hist(struct buf *out, const char *name, const char *help,
			const struct hist *h)
{
	buf_printf(out, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
	uint64_t cum = 0;
	for (size_t b = 0; b < NBUCKETS; b++) {
		cum += atomic_load(&h->counts[b]);
		buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, buckets[b],
			   (unsigned long long)cum);
	}
	cum += atomic_load(&h->counts[NBUCKETS]);
	/* the count is the buckets' total, so the two never disagree mid-update */
	buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
		   (unsigned long long)cum, name, (double)atomic_load(&h->sum_us) / 1e6, name,
		   (unsigned long long)cum);
}

void gateway_metrics_render(struct gateway_metrics *m, struct buf *out)
{
	pthread_mutex_lock(&m->lock);
	buf_append_str(out, "# HELP assay_gateway_requests_total Requests answered, by route and "
			    "status.\n# TYPE assay_gateway_requests_total counter\n");
	for (size_t r = 0; r < NROUTES; r++)
		for (size_t c = 0; c <= NCODES; c++) {
			uint64_t v = atomic_load(&m->req[r][c]);
			if (!v)
				continue;
			if (c < NCODES)
				buf_printf(out, "assay_gateway_requests_total{route=\"%s\",code=\"%u\"} "
					   "%llu\n", routes[r], codes[c], (unsigned long long)v);
			else
				buf_printf(out, "assay_gateway_requests_total{route=\"%s\",code=\"other\"} "
					   "%llu\n", routes[r], (unsigned long long)v);
		}
	buf_printf(out,
		   "# HELP assay_gateway_bytes_served_total Body bytes sent to clients.\n"
		   "# TYPE assay_gateway_bytes_served_total counter\n"
		   "assay_gateway_bytes_served_total %llu\n"
		   "# HELP assay_gateway_cache_hits_total Requests answered from the disk cache.\n"
		   "# TYPE assay_gateway_cache_hits_total counter\n"
		   "assay_gateway_cache_hits_total %llu\n"
		   "# HELP assay_gateway_cache_misses_total Requests whose blob was not cached.\n"
		   "# TYPE assay_gateway_cache_misses_total counter\n"
		   "assay_gateway_cache_misses_total %llu\n"
		   "# HELP assay_gateway_cache_bytes Bytes the disk cache holds.\n"
		   "# TYPE assay_gateway_cache_bytes gauge\nassay_gateway_cache_bytes %llu\n"
		   "# HELP assay_gateway_cache_entries Blobs the disk cache holds.\n"
		   "# TYPE assay_gateway_cache_entries gauge\nassay_gateway_cache_entries %llu\n"
		   "# HELP assay_gateway_inflight_requests Requests being answered.\n"
		   "# TYPE assay_gateway_inflight_requests gauge\n"
		   "assay_gateway_inflight_requests %lld\n"
		   "# HELP assay_gateway_inflight_fetches Blob fetches from the nodes running.\n"
		   "# TYPE assay_gateway_inflight_fetches gauge\n"
		   "assay_gateway_inflight_fetches %lld\n",
		   (unsigned long long)atomic_load(&m->served),
		   (unsigned long long)atomic_load(&m->hits),
		   (unsigned long long)atomic_load(&m->misses),
		   (unsigned long long)atomic_load(&m->cache_bytes),
		   (unsigned long long)atomic_load(&m->cache_entries),
		   (long long)atomic_load(&m->inflight_requests),
		   (long long)atomic_load(&m->inflight_fetches));
	buf_append_str(out, "# HELP assay_gateway_node_bytes_fetched_total Bytes of verified "
			    "answers fetched from storage nodes.\n"
			    "# TYPE assay_gateway_node_bytes_fetched_total counter\n");
	for (size_t i = 0; i < m->nnodes; i++) {
		buf_append_str(out, "assay_gateway_node_bytes_fetched_total{node=\"");
		label(out, m->nodes[i].node);
		buf_printf(out, "\"} %llu\n", (unsigned long long)m->nodes[i].bytes);
	}
	buf_append_str(out, "# HELP assay_gateway_node_fetch_failures_total Node requests that "
			    "failed or were dropped, by node and reason.\n"
			    "# TYPE assay_gateway_node_fetch_failures_total counter\n");
	for (size_t i = 0; i < m->nfails; i++) {
		buf_append_str(out, "assay_gateway_node_fetch_failures_total{node=\"");
		label(out, m->fails[i].node);
		buf_printf(out, "\",reason=\"%s\"} %llu\n", m->fails[i].reason,
			   (unsigned long long)m->fails[i].count);
	}
	buf_printf(out,
		   "# HELP assay_gateway_fetched_per_served Bytes fetched from nodes per byte "
		   "served.\n# TYPE assay_gateway_fetched_per_served gauge\n"
		   "assay_gateway_fetched_per_served %.6f\n",
		   atomic_load(&m->served) ? (double)atomic_load(&m->node_total) /
						     (double)atomic_load(&m->served)
					   : 0.0);
	render_hist(out, "assay_gateway_ttfb_seconds",
		    "Time from a request to its first body byte.", &m->ttfb);
	render_hist(out, "assay_gateway_request_seconds", "Time to answer a request whole.",
		    &m->dur);
	pthread_mutex_unlock(&m->lock);
}
