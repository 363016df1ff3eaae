/* metrics.c: see metrics.h. One mutex; label sets are small and bounded. */
#include "gateway/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/util.h"

#define MAX_NODES 512
#define MAX_REQ_KEYS 64
#define MAX_FAIL_KEYS 1024

static const double buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
				 1, 2.5, 5, 10, 30, 60};
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct hist {
	uint64_t counts[NBUCKETS + 1];
	double sum;
	uint64_t n;
};

struct req_key {
	char route[24];
	unsigned code;
	uint64_t count;
};

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
	pthread_mutex_t lock;
	struct req_key req[MAX_REQ_KEYS];
	size_t nreq;
	struct node_key nodes[MAX_NODES];
	size_t nnodes;
	struct fail_key fails[MAX_FAIL_KEYS];
	size_t nfails;
	uint64_t served, hits, misses, cache_bytes, cache_entries, node_total;
	int64_t inflight_requests, inflight_fetches;
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
	pthread_mutex_lock(&m->lock);
	size_t i;
	for (i = 0; i < m->nreq; i++)
		if (m->req[i].code == code && !strcmp(m->req[i].route, route))
			break;
	if (i == m->nreq && m->nreq < MAX_REQ_KEYS) {
		snprintf(m->req[i].route, sizeof(m->req[i].route), "%s", route);
		m->req[i].code = code;
		m->nreq++;
	}
	if (i < m->nreq)
		m->req[i].count++;
	pthread_mutex_unlock(&m->lock);
}

#define LOCKED_ADD(m, field, v)                    \
	do {                                       \
		if (!(m))                          \
			return;                    \
		pthread_mutex_lock(&(m)->lock);    \
		(m)->field += (v);                 \
		pthread_mutex_unlock(&(m)->lock);  \
	} while (0)

void gateway_metrics_served(struct gateway_metrics *m, uint64_t bytes)
{
	LOCKED_ADD(m, served, bytes);
}

void gateway_metrics_cache(struct gateway_metrics *m, bool hit)
{
	if (hit)
		LOCKED_ADD(m, hits, 1);
	else
		LOCKED_ADD(m, misses, 1);
}

void gateway_metrics_cache_size(struct gateway_metrics *m, uint64_t bytes, uint64_t entries)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->cache_bytes = bytes;
	m->cache_entries = entries;
	pthread_mutex_unlock(&m->lock);
}

void gateway_metrics_inflight(struct gateway_metrics *m, int64_t dreq, int64_t dfetch)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->inflight_requests += dreq;
	m->inflight_fetches += dfetch;
	pthread_mutex_unlock(&m->lock);
}

void gateway_metrics_node_bytes(struct gateway_metrics *m, const char *node, uint64_t bytes)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	m->node_total += bytes;
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
	h->counts[b]++;
	h->sum += s;
	h->n++;
}

void gateway_metrics_ttfb(struct gateway_metrics *m, double s)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	observe(&m->ttfb, s);
	pthread_mutex_unlock(&m->lock);
}

void gateway_metrics_duration(struct gateway_metrics *m, double s)
{
	if (!m)
		return;
	pthread_mutex_lock(&m->lock);
	observe(&m->dur, s);
	pthread_mutex_unlock(&m->lock);
}

uint64_t gateway_metrics_node_bytes_total(struct gateway_metrics *m)
{
	pthread_mutex_lock(&m->lock);
	uint64_t v = m->node_total;
	pthread_mutex_unlock(&m->lock);
	return v;
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
		cum += h->counts[b];
		buf_printf(out, "%s_bucket{le=\"%g\"} %llu\n", name, buckets[b],
			   (unsigned long long)cum);
	}
	cum += h->counts[NBUCKETS];
	buf_printf(out, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.6f\n%s_count %llu\n", name,
		   (unsigned long long)cum, name, h->sum, name, (unsigned long long)h->n);
}

void gateway_metrics_render(struct gateway_metrics *m, struct buf *out)
{
	pthread_mutex_lock(&m->lock);
	buf_append_str(out, "# HELP assay_gateway_requests_total Requests answered, by route and "
			    "status.\n# TYPE assay_gateway_requests_total counter\n");
	for (size_t i = 0; i < m->nreq; i++)
		buf_printf(out, "assay_gateway_requests_total{route=\"%s\",code=\"%u\"} %llu\n",
			   m->req[i].route, m->req[i].code, (unsigned long long)m->req[i].count);
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
		   (unsigned long long)m->served, (unsigned long long)m->hits,
		   (unsigned long long)m->misses, (unsigned long long)m->cache_bytes,
		   (unsigned long long)m->cache_entries, (long long)m->inflight_requests,
		   (long long)m->inflight_fetches);
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
		   m->served ? (double)m->node_total / (double)m->served : 0.0);
	render_hist(out, "assay_gateway_ttfb_seconds",
		    "Time from a request to its first body byte.", &m->ttfb);
	render_hist(out, "assay_gateway_request_seconds", "Time to answer a request whole.",
		    &m->dur);
	pthread_mutex_unlock(&m->lock);
}
