/* fanout.h: many HTTP GETs at once on one libcurl multi handle.
 *
 * The auditor sends a batch of challenges to a node as several requests (one per blob and
 * proof axis, plus metadata it has not checked yet), and batches of many nodes together.
 * One fan-out object lives for the whole run, so connections to a node are kept alive
 * from one batch to the next (libcurl's connection cache is the multi handle's). Every
 * request of one run shares one absolute deadline; each has its own body cap (a hostile
 * node's endless body ends at the cap) and a low-speed limit (a node trickling bytes ends
 * there or at the deadline), so one node can stall neither the others nor memory.
 *
 * Responses come back as struct audit_http_response (audit/challenge.h), with the
 * transport classified the same way as audit_http_request() does, so the classification
 * functions of challenge.h apply unchanged. */
#ifndef ASSAY_AUDIT_FANOUT_H
#define ASSAY_AUDIT_FANOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/challenge.h"
#include "core/util.h"

struct err;
struct audit_fanout;

struct audit_fanout_config {
	unsigned max_host_connections;  /* per node (host:port); 0: 8 */
	unsigned max_total_connections; /* 0: 512 */
	uint64_t connect_timeout_ms;    /* 0: 5000 (capped by the deadline) */
	/* A transfer slower than low_speed_bytes per second for low_speed_s is abandoned
	 * (as a timeout). 0: 1 byte/s over 10 s. */
	unsigned low_speed_bytes;
	unsigned low_speed_s;
};

struct audit_fanout_request {
	/* in */
	const char *url;
	const char *pinned_key; /* "sha256//..." or NULL */
	size_t max_body;        /* cap on the body; past it: transport TOO_LARGE */
	/* out */
	struct audit_http_response resp;
	uint8_t body_hash[32];  /* BLAKE2b-256 of the bytes received (even past a failure) */
	size_t bytes_received;
};

bool audit_fanout_new(const struct audit_fanout_config *cfg, struct audit_fanout **out,
		      struct err *e) WARN_UNUSED;
void audit_fanout_free(struct audit_fanout *f);

/* Performs reqs[0..n) concurrently; returns when every one is complete or the deadline
 * (now_ms() clock) has passed (those still running end as TIMEOUT). Returns false only
 * when the fan-out itself failed (e set; every request then has transport LOCAL). Clear
 * each response with audit_http_response_clear(). */
bool audit_fanout_run(struct audit_fanout *f, struct audit_fanout_request *reqs, size_t n,
		      uint64_t deadline_ms, struct err *e) WARN_UNUSED;

/* Connections opened so far (to see keep-alive at work). */
uint64_t audit_fanout_connections(const struct audit_fanout *f);

#endif
