/* fanout.h: many HTTP GETs at once, as a pipeline: plain http:// to an IP address on the
 * fan-out's own keep-alive HTTP/1.1 connections (audit/http1.h), the rest (https with its
 * pinned key, host names) on one libcurl multi handle, both on one epoll loop.
 *
 * The auditor sends a batch of challenges to a node as several requests (one per blob and
 * proof axis, plus metadata it has not checked yet). Requests are submitted one by one,
 * each with its own absolute deadline, and up to max_inflight run at once; as soon as one
 * completes the next waiting one starts, so a slow node delays only its own requests. One
 * fan-out object lives for the whole run: easy handles are reused and connections to a
 * node are kept alive from one request to the next (libcurl's connection cache is the
 * multi handle's). Each request has its own body cap (a hostile node's endless body ends
 * at the cap) and, on libcurl, a low-speed limit (a node trickling bytes ends there or at
 * its deadline; on our own connections at its deadline), so one node can stall neither
 * the others nor memory.
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
struct audit_b2_msg;
struct audit_fanout;

struct audit_fanout_config {
	unsigned max_host_connections;  /* per node (host:port), on each path; 0: 8 */
	unsigned max_total_connections; /* on each path; 0: 512 */
	unsigned max_inflight;          /* transfers running at once; 0: 256 */
	uint64_t connect_timeout_ms;    /* 0: 5000 (capped by the deadline) */
	/* A libcurl transfer slower than low_speed_bytes per second for low_speed_s is
	 * abandoned (as a timeout). 0: 1 byte/s over 10 s. */
	unsigned low_speed_bytes;
	unsigned low_speed_s;
};

struct audit_fanout_request {
	/* in */
	const char *url;
	const char *pinned_key; /* "sha256//..." or NULL */
	size_t max_body;        /* cap on the body; past it: transport TOO_LARGE */
	void *user;             /* the caller's, untouched */
	/* Leave hashing a body kept whole to audit_fanout_request_hash(), so it can run on
	 * another thread than the I/O (hashing every byte shows in the I/O thread's profile). */
	bool defer_hash;
	/* out */
	struct audit_http_response resp;
	/* BLAKE2b-256 of the body received (past a failure: of what was kept; a body past
	 * its cap, with libcurl, also of the piece that passed it) */
	uint8_t body_hash[32];
	size_t bytes_received;
	bool hash_pending;      /* defer_hash: body_hash waits for audit_fanout_request_hash() */
};

/* Fills body_hash of a reported request if it was deferred (hash_pending); any thread. */
void audit_fanout_request_hash(struct audit_fanout_request *req);
/* The same for reqs[0..n), the bodies hashed side by side (audit/b2many.h). */
void audit_fanout_requests_hash(struct audit_fanout_request *reqs, size_t n);
/* The same left to the caller: out[k] (room for n) is the message whose digest fills a
 * deferred body_hash, to hash with other messages (audit_b2_many); the requests count as
 * hashed from here on. Returns how many it wrote. */
size_t audit_fanout_requests_hash_msgs(struct audit_fanout_request *reqs, size_t n,
				       struct audit_b2_msg *out);

bool audit_fanout_new(const struct audit_fanout_config *cfg, struct audit_fanout **out,
		      struct err *e) WARN_UNUSED;
/* Transfers still running are abandoned without a callback. */
void audit_fanout_free(struct audit_fanout *f);

/* Queues req (the caller keeps it alive until it is reported done) to be answered by
 * deadline_ms (now_ms() clock); it starts at once when fewer than max_inflight run. */
void audit_fanout_submit(struct audit_fanout *f, struct audit_fanout_request *req,
			 uint64_t deadline_ms);

/* Called once per completed request, outside libcurl's callbacks: it may submit more. */
typedef void (*audit_fanout_done_fn)(void *arg, struct audit_fanout_request *req);

/* Moves transfers along for at most wait_ms (less when one completes first; with nothing
 * submitted it just waits) and reports each completed request through done. Returns false
 * only when the fan-out itself failed: e is set, and every submitted request has been
 * reported with transport LOCAL. Clear each response with audit_http_response_clear(). */
bool audit_fanout_perform(struct audit_fanout *f, uint64_t wait_ms, audit_fanout_done_fn done,
			  void *arg, struct err *e) WARN_UNUSED;

/* Makes a running audit_fanout_perform() return early; safe from any thread. */
void audit_fanout_wakeup(struct audit_fanout *f);

/* Requests submitted and not yet reported. */
size_t audit_fanout_pending(const struct audit_fanout *f);

/* Performs reqs[0..n) concurrently; returns when every one is complete (those still
 * running at their deadline end as TIMEOUT). Returns false only when the fan-out itself
 * failed (e set; every request then has transport LOCAL). The fan-out must be idle
 * (audit_fanout_pending() == 0). */
bool audit_fanout_run(struct audit_fanout *f, struct audit_fanout_request *reqs, size_t n,
		      uint64_t deadline_ms, struct err *e) WARN_UNUSED;

/* Connections opened so far (to see keep-alive at work). */
uint64_t audit_fanout_connections(const struct audit_fanout *f);

#endif
