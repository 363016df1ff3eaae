/* metrics.c: audit/metrics.h. */
#include "audit/metrics.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"

/* Latency buckets in milliseconds: a local read answers in a few; the deadline is seconds. */
static const uint64_t buckets_ms[] = {5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
#define NBUCKETS (sizeof(buckets_ms) / sizeof(buckets_ms[0]))

struct audit_metrics {
	pthread_mutex_t lock;
	size_t nnodes;
	char **labels;
	uint64_t *by_outcome; /* nnodes x AUDIT_OUTCOME_COUNT */
	uint64_t *decided;    /* nnodes */
	uint64_t hist[NBUCKETS + 1];
	uint64_t hist_sum_ms, hist_count;
	uint64_t epoch, queue, inflight, pending;
	double lag_s;
	bool db_up;
	uint64_t last_tick_ms, last_tick_unix;
};

/* Prometheus label values escape backslash, quote and newline. */
static char *label_escape(const char *s)
{
	struct buf b = BUF_INIT;
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			buf_append_byte(&b, '\\');
		if (*s == '\n') {
			buf_append_str(&b, "\\n");
			continue;
		}
		buf_append_byte(&b, (uint8_t)*s);
	}
	buf_cstr(&b);
	return (char *)buf_steal(&b, NULL);
}

struct audit_metrics *audit_metrics_new(size_t nnodes, const char *const *node_labels)
{
	struct audit_metrics *m = xcalloc(1, sizeof(*m));
	pthread_mutex_init(&m->lock, NULL);
	m->nnodes = nnodes;
	m->labels = xcalloc(nnodes ? nnodes : 1, sizeof(*m->labels));
	for (size_t i = 0; i < nnodes; i++)
		m->labels[i] = label_escape(node_labels[i]);
	m->by_outcome = xcalloc((nnodes ? nnodes : 1) * AUDIT_OUTCOME_COUNT, sizeof(uint64_t));
	m->decided = xcalloc(nnodes ? nnodes : 1, sizeof(uint64_t));
	m->db_up = true;
	m->last_tick_ms = now_ms();
	return m;
}

void audit_metrics_free(struct audit_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nnodes; i++)
		free(m->labels[i]);
	free(m->labels);
	free(m->by_outcome);
	free(m->decided);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

void audit_metrics_set_epoch(struct audit_metrics *m, uint64_t epoch)
{
	pthread_mutex_lock(&m->lock);
	m->epoch = epoch;
	pthread_mutex_unlock(&m->lock);
}

void audit_metrics_observe(struct audit_metrics *m, size_t node, enum audit_outcome o,
			   uint64_t latency_ms, bool decided)
{
	if (node >= m->nnodes || (unsigned)o >= AUDIT_OUTCOME_COUNT)
		return;
	pthread_mutex_lock(&m->lock);
	m->by_outcome[node * AUDIT_OUTCOME_COUNT + o]++;
	if (decided)
		m->decided[node]++;
	size_t b = 0;
	while (b < NBUCKETS && latency_ms > buckets_ms[b])
		b++;
	m->hist[b]++;
	m->hist_sum_ms += latency_ms;
	m->hist_count++;
	pthread_mutex_unlock(&m->lock);
}

void audit_metrics_set_queue(struct audit_metrics *m, uint64_t due, uint64_t inflight)
{
	pthread_mutex_lock(&m->lock);
	m->queue = due;
	m->inflight = inflight;
	pthread_mutex_unlock(&m->lock);
}

void audit_metrics_set_db(struct audit_metrics *m, uint64_t pending, double lag_s, bool up)
{
	pthread_mutex_lock(&m->lock);
	m->pending = pending;
	m->lag_s = lag_s;
	m->db_up = up;
	pthread_mutex_unlock(&m->lock);
}

void audit_metrics_tick(struct audit_metrics *m)
{
	pthread_mutex_lock(&m->lock);
	m->last_tick_ms = now_ms();
	m->last_tick_unix = now_unix();
	pthread_mutex_unlock(&m->lock);
}

void audit_metrics_render(struct audit_metrics *m, struct buf *out)
{
	pthread_mutex_lock(&m->lock);
	buf_append_str(out, "# HELP assay_audit_challenges_total Challenge attempts by node and outcome.\n"
			    "# TYPE assay_audit_challenges_total counter\n");
	for (size_t i = 0; i < m->nnodes; i++)
		for (unsigned o = 0; o < AUDIT_OUTCOME_COUNT; o++)
			buf_printf(out, "assay_audit_challenges_total{node=\"%s\",outcome=\"%s\"} %" PRIu64 "\n",
				   m->labels[i], audit_outcome_name((enum audit_outcome)o),
				   m->by_outcome[i * AUDIT_OUTCOME_COUNT + o]);
	buf_append_str(out, "# HELP assay_audit_decided_total Challenges decided (final outcome) by node.\n"
			    "# TYPE assay_audit_decided_total counter\n");
	for (size_t i = 0; i < m->nnodes; i++)
		buf_printf(out, "assay_audit_decided_total{node=\"%s\"} %" PRIu64 "\n", m->labels[i],
			   m->decided[i]);
	buf_append_str(out, "# HELP assay_audit_latency_seconds Latency of challenge attempts.\n"
			    "# TYPE assay_audit_latency_seconds histogram\n");
	uint64_t cum = 0;
	for (size_t b = 0; b < NBUCKETS; b++) {
		cum += m->hist[b];
		buf_printf(out, "assay_audit_latency_seconds_bucket{le=\"%.3f\"} %" PRIu64 "\n",
			   (double)buckets_ms[b] / 1000.0, cum);
	}
	cum += m->hist[NBUCKETS];
	buf_printf(out, "assay_audit_latency_seconds_bucket{le=\"+Inf\"} %" PRIu64 "\n", cum);
	buf_printf(out, "assay_audit_latency_seconds_sum %.3f\n", (double)m->hist_sum_ms / 1000.0);
	buf_printf(out, "assay_audit_latency_seconds_count %" PRIu64 "\n", m->hist_count);
	buf_printf(out,
		   "# HELP assay_audit_epoch The epoch being audited.\n# TYPE assay_audit_epoch gauge\n"
		   "assay_audit_epoch %" PRIu64 "\n"
		   "# HELP assay_audit_queue_depth Challenges due and not yet sent.\n"
		   "# TYPE assay_audit_queue_depth gauge\nassay_audit_queue_depth %" PRIu64 "\n"
		   "# HELP assay_audit_inflight Challenges sent and not yet answered.\n"
		   "# TYPE assay_audit_inflight gauge\nassay_audit_inflight %" PRIu64 "\n"
		   "# HELP assay_audit_db_pending Results waiting to be recorded.\n"
		   "# TYPE assay_audit_db_pending gauge\nassay_audit_db_pending %" PRIu64 "\n"
		   "# HELP assay_audit_db_lag_seconds Age of the oldest result waiting to be recorded.\n"
		   "# TYPE assay_audit_db_lag_seconds gauge\nassay_audit_db_lag_seconds %.3f\n"
		   "# HELP assay_audit_db_up 1 while results are being recorded.\n"
		   "# TYPE assay_audit_db_up gauge\nassay_audit_db_up %d\n"
		   "# HELP assay_audit_last_loop_timestamp_seconds When the loop last ran.\n"
		   "# TYPE assay_audit_last_loop_timestamp_seconds gauge\n"
		   "assay_audit_last_loop_timestamp_seconds %" PRIu64 "\n",
		   m->epoch, m->queue, m->inflight, m->pending, m->lag_s, m->db_up ? 1 : 0,
		   m->last_tick_unix);
	pthread_mutex_unlock(&m->lock);
}

bool audit_metrics_healthy(struct audit_metrics *m, uint64_t stale_ms, char *why, size_t why_len)
{
	pthread_mutex_lock(&m->lock);
	uint64_t age = now_ms() - m->last_tick_ms;
	bool up = m->db_up;
	pthread_mutex_unlock(&m->lock);
	if (age > stale_ms) {
		snprintf(why, why_len, "the audit loop has not run for %" PRIu64 " ms", age);
		return false;
	}
	if (!up) {
		snprintf(why, why_len, "results are not being recorded (database unreachable)");
		return false;
	}
	snprintf(why, why_len, "ok");
	return true;
}
