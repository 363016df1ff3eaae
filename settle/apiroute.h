/* apiroute.h: what a request to `assay api serve` asks for, parsed without the server:
 * the route a URL path names (with its epoch and node) and the strict query parameters
 * (known names only, none twice, every one with a value). Pure functions on outside
 * input: settle/api.c answers with them and tests/fuzz/fuzz_api_request.c feeds them
 * hostile paths and queries. */
#ifndef ASSAY_SETTLE_APIROUTE_H
#define ASSAY_SETTLE_APIROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

#define SETTLE_API_MAX_ARGS 8

/* A request's query parameters, as the server hands them over (pointers lent). */
struct settle_api_args {
	size_t n;
	const char *key[SETTLE_API_MAX_ARGS];
	const char *val[SETTLE_API_MAX_ARGS];
	size_t bytes; /* of all of them, for the URL length limit */
	bool too_many, no_value;
};

/* Adds one parameter (value NULL when it has no '='); past the limit it only counts. */
void settle_api_args_add(struct settle_api_args *q, const char *key, const char *value);
/* Every parameter one of allowed (NULL-terminated), none twice, each with a value;
 * false with why otherwise. */
bool settle_api_args_check(const struct settle_api_args *q, const char *const *allowed,
			   char *why, size_t why_len) WARN_UNUSED;
/* The value of key, or NULL. */
const char *settle_api_args_get(const struct settle_api_args *q, const char *key);
/* An optional decimal parameter: false (with why) when present and not a number. */
bool settle_api_arg_number(const struct settle_api_args *q, const char *key, bool *has,
			   uint64_t *v, char *why, size_t why_len) WARN_UNUSED;

/* A decimal number of at most 18 digits (so it fits a bigint), nothing else. */
bool settle_api_parse_number(const char *s, uint64_t *v) WARN_UNUSED;
/* A node or auditor id: 0x and 40 hex digits. */
bool settle_api_parse_id(const char *s, uint8_t out[20]) WARN_UNUSED;

enum settle_api_route_kind {
	SETTLE_API_WEB,          /* anything outside /v1: a page or an asset */
	SETTLE_API_CHAIN,        /* /v1/chain */
	SETTLE_API_NETWORK,      /* /v1/network */
	SETTLE_API_HEALTH,       /* /v1/health */
	SETTLE_API_EPOCHS,       /* /v1/epochs */
	SETTLE_API_PAYOUTS,      /* /v1/nodes/{node}/payouts */
	SETTLE_API_OUTCOMES,     /* /v1/nodes/{node}/outcomes */
	SETTLE_API_ATTESTATIONS, /* /v1/epochs/{epoch}/attestations */
	SETTLE_API_DISPUTES,     /* /v1/epochs/{epoch}/disputes */
	SETTLE_API_EVIDENCE,     /* /v1/epochs/{epoch}/nodes/{node}/evidence */
};

struct settle_api_route {
	enum settle_api_route_kind kind;
	uint64_t epoch;   /* ATTESTATIONS, DISPUTES, EVIDENCE */
	uint8_t node[20]; /* PAYOUTS, OUTCOMES, EVIDENCE */
};

/* Parses a URL path. On false, *status is the HTTP status to answer (404 for no such
 * endpoint, 400 for a malformed epoch or node) and why says what is wrong. */
bool settle_api_route_parse(const char *url, struct settle_api_route *r, unsigned *status,
			    char *why, size_t why_len) WARN_UNUSED;

#endif
