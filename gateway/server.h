/* server.h: the CDN edge, `assay gateway serve`: blobs over HTTP the way a CDN edge serves
 * them, every byte verified against the blob ID (gateway/fetch.h), streamed as it arrives
 * (gateway/fill.h), cached on disk (gateway/cache.h), with RFC 9110 ranges and conditional
 * requests (gateway/http.h). Routes (compatible with the Walrus aggregator's):
 *
 *   GET|HEAD /v1/blobs/{blob_id}                 the blob; Range, If-None-Match, If-Range;
 *                                                ?content-type=, ?filename=, ?download=true
 *   GET|HEAD /v1/blobs/{blob_id}/byte-range?start=S&length=L   206, as Walrus's route
 *   PUT      /v1/blobs?epochs=N                  the publisher (off unless a payer key is
 *                                                given): stores, pays for and certifies the
 *                                                body as `assay blob put` does
 *   GET      /healthz, /metrics
 *
 * The committee (and each blob's certification and end epoch) comes from the chain and is
 * re-read every poll_ms, or from a committee file for a network that is not ours. */
#ifndef ASSAY_GATEWAY_SERVER_H
#define ASSAY_GATEWAY_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct err;

/* The publish flow the server calls for PUT /v1/blobs (the caller provides it, so this
 * layer needs no chain session of its own): stores len bytes for `epochs` epochs and fills
 * the blob ID's text, whether it was already certified, and its end epoch. */
struct gateway_publish_result {
	char blob_id[64];
	bool already_certified;
	uint64_t end_epoch;
	uint64_t size;
	char tx_register[70], tx_certify[70];
};
typedef bool (*gateway_publish_fn)(void *cls, const uint8_t *body, size_t len, uint64_t epochs,
				   struct gateway_publish_result *out, struct err *e);

struct gateway_config {
	const char *listen;          /* "127.0.0.1:8090" */
	/* where the committee comes from: a file, or the chain */
	const char *committee_path;
	const char *rpc_url;
	const char *deployment_path;
	const char *contracts_dir;   /* NULL: the embedded contracts */
	uint64_t rpc_timeout_ms;
	uint64_t confirmations;      /* 0: 1 */
	uint64_t poll_ms;            /* re-read the committee; 0: 5000 */
	/* cache */
	const char *cache_dir;       /* NULL: a private temporary directory, removed at exit */
	uint64_t cache_bytes;        /* 0: 1 GiB */
	uint64_t memory_cache_bytes; /* small blobs kept in RAM too; 0: cache_bytes / 16, at
					most 256 MiB */
	unsigned threads;            /* event loops answering requests; 0: one per CPU */
	/* limits */
	unsigned max_requests;       /* in flight but /metrics; beyond: 503 + Retry-After; 0: 256 */
	unsigned max_fetches;        /* cold blobs being fetched at once; 0: 16 */
	unsigned parallel;           /* pieces fetched at once per blob; 0: 4 */
	uint64_t client_timeout_s;   /* an idle or slow client is dropped; 0: 30 */
	uint64_t rate_per_s, burst;  /* per client IP; 0: 200 and 400 */
	/* nodes */
	uint64_t node_timeout_ms;    /* 0: 10000 */
	uint64_t hedge_ms;           /* 0: 2000 */
	uint64_t backoff_ms;         /* 0: 5000 */
	/* caching headers */
	uint64_t not_found_ttl_s;    /* max-age of a 404; 0: 5 */
	uint64_t max_age_s;          /* without a chain (a committee file): 0: 3600 */
	/* publisher */
	gateway_publish_fn publish;  /* NULL: PUT answers 405 */
	void *publish_cls;
	const char *publisher_token; /* NULL: no bearer token needed */
	uint64_t max_upload_bytes;   /* 0: 64 MiB */
	uint64_t max_epochs;         /* 0: 53 */
};

/* Runs until *stop becomes non-zero (a signal handler sets it). */
bool gateway_serve(const struct gateway_config *cfg, volatile sig_atomic_t *stop,
		   struct err *e) WARN_UNUSED;

#endif
