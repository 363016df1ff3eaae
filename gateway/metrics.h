/* metrics.h: the gateway's counters in Prometheus text format (exposition 0.0.4), served
 * at /metrics:
 *
 *   assay_gateway_requests_total{route,code}        requests answered
 *   assay_gateway_bytes_served_total                body bytes sent
 *   assay_gateway_cache_hits_total / _misses_total  whole-blob cache lookups
 *   assay_gateway_cache_bytes, _cache_entries       what the disk cache holds
 *   assay_gateway_node_bytes_fetched_total{node}    verified answers' bytes, by node
 *   assay_gateway_node_fetch_failures_total{node,reason}
 *   assay_gateway_fetched_per_served                node bytes / bytes served
 *   assay_gateway_ttfb_seconds, _request_seconds    histograms
 *   assay_gateway_inflight_requests, _inflight_fetches
 * Thread-safe; the counters every request touches are lock-free. */
#ifndef ASSAY_GATEWAY_METRICS_H
#define ASSAY_GATEWAY_METRICS_H

#include <stdbool.h>
#include <stdint.h>

struct buf;
struct gateway_metrics;

struct gateway_metrics *gateway_metrics_new(void);
void gateway_metrics_free(struct gateway_metrics *m);

void gateway_metrics_request(struct gateway_metrics *m, const char *route, unsigned code);
void gateway_metrics_served(struct gateway_metrics *m, uint64_t bytes);
void gateway_metrics_cache(struct gateway_metrics *m, bool hit);
void gateway_metrics_cache_size(struct gateway_metrics *m, uint64_t bytes, uint64_t entries);
void gateway_metrics_node_bytes(struct gateway_metrics *m, const char *node, uint64_t bytes);
void gateway_metrics_node_failure(struct gateway_metrics *m, const char *node,
				  const char *reason);
void gateway_metrics_ttfb(struct gateway_metrics *m, double seconds);
void gateway_metrics_duration(struct gateway_metrics *m, double seconds);
void gateway_metrics_inflight(struct gateway_metrics *m, int64_t requests_delta,
			      int64_t fetches_delta);
/* Totals, for tests and logs. */
uint64_t gateway_metrics_node_bytes_total(struct gateway_metrics *m);

void gateway_metrics_render(struct gateway_metrics *m, struct buf *out);

#endif
