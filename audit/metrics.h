/* metrics.h: the auditor's counters in Prometheus text format (exposition 0.0.4).
 *
 * The engine updates them from its loop; an HTTP thread renders them, hence the lock
 * inside. Families:
 *   assay_audit_challenges_total{node,outcome}   attempts by outcome
 *   assay_audit_latency_seconds{...}             histogram of attempt latency
 *   assay_audit_queue_depth                      challenges due and not yet sent
 *   assay_audit_inflight                         challenges sent, not yet answered
 *   assay_audit_db_pending                       results waiting for the database
 *   assay_audit_db_lag_seconds                   age of the oldest of them
 *   assay_audit_db_up                            1 while records are being written
 *   assay_audit_epoch, assay_audit_decided_total, assay_audit_last_loop_timestamp_seconds */
#ifndef ASSAY_AUDIT_METRICS_H
#define ASSAY_AUDIT_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/challenge.h"

struct buf;
struct audit_metrics;

/* node_labels[i] names node i (copied). */
struct audit_metrics *audit_metrics_new(size_t nnodes, const char *const *node_labels);
void audit_metrics_free(struct audit_metrics *m);

void audit_metrics_set_epoch(struct audit_metrics *m, uint64_t epoch);
void audit_metrics_observe(struct audit_metrics *m, size_t node, enum audit_outcome o,
			   uint64_t latency_ms, bool decided);
void audit_metrics_set_queue(struct audit_metrics *m, uint64_t due, uint64_t inflight);
void audit_metrics_set_db(struct audit_metrics *m, uint64_t pending, double lag_s, bool up);
/* The loop is alive (for /healthz). */
void audit_metrics_tick(struct audit_metrics *m);

void audit_metrics_render(struct audit_metrics *m, struct buf *out);
/* Healthy: the loop ticked within stale_ms and the database is up. Else why says. */
bool audit_metrics_healthy(struct audit_metrics *m, uint64_t stale_ms, char *why, size_t why_len);

#endif
