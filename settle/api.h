/* api.h: the read-only HTTP JSON API for storage providers and explorers.
 *
 *   GET /v1/epochs?limit=&after=                         epochs, states, seeds, roots
 *   GET /v1/nodes/{node}/payouts?from=&to=&limit=        per epoch: counts, scores, median,
 *                                                        txs, reward and penalty paid
 *   GET /v1/epochs/{epoch}/attestations                  every auditor's attestation, each
 *                                                        with "dispute": null or its conviction
 *   GET /v1/epochs/{epoch}/disputes                      the epoch's convictions (chain only)
 *   GET /v1/epochs/{epoch}/nodes/{node}/evidence?limit=&after_seq=&auditor=
 *                                                        decided records with Merkle proofs
 *   GET /v1/health
 *   GET /v1/chain                                        rpc_url, chain id, contract addresses
 *   GET /v1/network                                      epoch totals paid, newest committee
 *   GET /, /nodes/…, /epochs/…, /assets/…                the pages (settle/web.h)
 *
 * Disputes live on the chain only (settle/convict.h: AttestationDisputed, the signer that
 * revealed, the bond left): with a deployment and an RPC URL the server reads them per
 * request; /disputes answers 404 without them and 502 when the chain cannot be read, and
 * /attestations then leaves "dispute" out and says why in "disputes_error".
 *
 * Test only: ASSAY_TEST_TAMPER_ATTESTATION=1 in the environment flips one byte of the first
 * signature /v1/epochs/{epoch}/attestations serves, so that a browser test can see the
 * pages mark it as failed. Never set it anywhere else (the server logs a warning).
 *
 * GET only (405 otherwise), no request bodies (413), URL length bounded (414), strict
 * parameters (400 with {"error": sentence}), a token bucket per client IP (429 with
 * Retry-After), PostgreSQL away → 503 until it is back. Errors never carry SQL text. */
#ifndef ASSAY_SETTLE_API_H
#define ASSAY_SETTLE_API_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/util.h"

struct err;
struct chain_deployment;

struct settle_api_config {
	const char *listen;             /* "IPv4:PORT"; port 0 picks a free one */
	const char *db_conninfo;
	unsigned db_connect_timeout_s;
	uint64_t statement_timeout_ms;  /* per query */
	unsigned threads;               /* worker threads, one database connection each */
	unsigned max_connections;       /* open client connections in all */
	unsigned max_per_ip;            /* open client connections per IP */
	unsigned timeout_s;             /* an idle client connection is closed after this */
	uint64_t rate_per_s;            /* requests per second per client IP (refill) */
	uint64_t burst;                 /* bucket size */
	uint64_t default_limit;         /* page size when limit= is absent */
	uint64_t max_limit;             /* largest limit= accepted */
	uint64_t max_url;               /* bytes of path and query together */
	/* For the pages (settle/web.h) and GET /v1/chain: the JSON-RPC URL they read the chain
	 * from by default, and the deployment (NULL: none; the pages then check nothing). */
	const char *rpc_url;
	const struct chain_deployment *deployment;
};

/* Serve until *stop becomes non-zero. Fails only when it cannot listen; a database that
 * is away is answered with 503 and reconnected to on later requests. */
bool settle_api_run(const struct settle_api_config *cfg, volatile sig_atomic_t *stop,
		    struct err *e) WARN_UNUSED;

#endif
