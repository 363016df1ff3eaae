/* route.h: what a request to the storage node names, parsed without the server: the
 * endpoint a URL path names (with its blob ID, sliver pair and axis) and the query of a
 * recoverySymbols request. Pure functions on outside input: node/server.c routes with them
 * and tests/fuzz/fuzz_node_request.c feeds them hostile paths and queries. */
#ifndef ASSAY_NODE_ROUTE_H
#define ASSAY_NODE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/bcs.h"
#include "audit/symbol.h"
#include "core/util.h"

#define NODE_MAX_IDS_PER_REQUEST 1024u

enum node_endpoint {
	NODE_EP_HEALTH,       /* GET /v1/health */
	NODE_EP_METRICS,      /* GET /metrics */
	NODE_EP_RECOVER,      /* POST /v1/admin/recover */
	NODE_EP_METADATA,     /* /v1/blobs/{id}/metadata */
	NODE_EP_SYMBOLS,      /* /v1/blobs/{id}/recoverySymbols */
	NODE_EP_CONFIRMATION, /* /v1/blobs/{id}/confirmation[/permanent] */
	NODE_EP_SLIVER,       /* /v1/blobs/{id}/slivers/{pair}/{primary|secondary} */
};

struct node_route {
	enum node_endpoint ep;
	uint8_t id[AUDIT_DIGEST_LEN]; /* the blob endpoints' */
	uint32_t pair;                /* NODE_EP_SLIVER's */
	enum audit_proof_axis axis;   /* NODE_EP_SLIVER's */
};

/* Parses a request's URL path for a node of n shards. On false, *status is the HTTP
 * status to answer (400 for a malformed blob ID or sliver, 404 for no such endpoint) and
 * why says what is wrong. */
bool node_route_parse(const char *url, uint32_t n, struct node_route *r, unsigned *status,
		      char *why, size_t why_len) WARN_UNUSED;

/* The query of a recoverySymbols request: id=I-J (repeatable) and proofAxis. */
struct node_symbol_query {
	uint32_t n;
	struct audit_symbol_id *ids; /* NODE_MAX_IDS_PER_REQUEST of them */
	size_t count;
	bool has_axis;
	enum audit_proof_axis axis;
	bool bad;
	char why[600];
};

void node_symbol_query_init(struct node_symbol_query *q, uint32_t n);
/* Adds one query argument (value NULL when the argument has no '='); false once any
 * argument was bad, with q->why saying which and why. */
bool node_symbol_query_add(struct node_symbol_query *q, const char *key, const char *value);
void node_symbol_query_clear(struct node_symbol_query *q);

#endif
