/* xcache.h: the node's expanded slivers, kept for the requests to come within a byte budget.
 *
 * A recovery symbol comes from its sliver's expansion (node/encoder.h: n symbols and their
 * Merkle tree). Expanding costs an encode and n leaf hashes (about 0.5 ms at n = 1000 over
 * GF(2^16)); a symbol from a kept expansion costs a copy and a few hashes. Audits ask for
 * every stored sliver a few times an epoch, at random, so a node that keeps the expansions
 * of all its slivers expands each once; one that keeps fewer expands again on nearly every
 * request (the 100-node scale run spent 57 % of node CPU that way with 256 kept).
 *
 * Entries are found by (blob, axis, sliver index) in a hash table and evicted least recently
 * used first once their bytes (node_expanded_bytes()) pass the budget. An expansion is
 * reference counted, so a request keeps using one that was evicted meanwhile. Each entry
 * carries when it was last seen on disk and the store's deletion count then (a mark), so
 * that the server stops serving a deleted sliver (node/server.c cache_get()). */
#ifndef ASSAY_NODE_XCACHE_H
#define ASSAY_NODE_XCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/bcs.h"
#include "audit/symbol.h"

struct node_expanded;

struct node_xcache_key {
	uint8_t id[AUDIT_DIGEST_LEN];
	enum audit_proof_axis axis;
	uint16_t index;
};

struct node_xcache_stats {
	uint64_t entries, bytes, budget;
	uint64_t hits, misses, evictions;
};

struct node_xcache;
/* budget 0: keep nothing (every request expands). */
struct node_xcache *node_xcache_new(uint64_t budget_bytes);
void node_xcache_free(struct node_xcache *c);

/* The expansion under key, with a reference taken (node_expanded_free() drops it), when the
 * entry is fresh: confirmed on disk now (`confirm`; its mark and time are then updated), or
 * last confirmed with this mark less than max_age_ms before now_ms. Otherwise NULL, counted
 * as a miss when nothing is kept under key and `confirm` is set (the caller looked first
 * without it, then on disk). */
struct node_expanded *node_xcache_get(struct node_xcache *c, const struct node_xcache_key *key,
				      uint64_t mark, uint64_t now_ms, uint64_t max_age_ms,
				      bool confirm);
/* Keeps x under key (taking its own reference; an older entry under key is replaced),
 * confirmed on disk at now_ms with this mark, then evicts the least recently used entries
 * until the bytes fit the budget. */
void node_xcache_put(struct node_xcache *c, const struct node_xcache_key *key,
		     struct node_expanded *x, uint64_t mark, uint64_t now_ms);
/* node_xcache_put() only if it fits the budget as things are: an expansion made anyway
 * (an upload's check) is kept while there is room, never in place of one in use. */
void node_xcache_offer(struct node_xcache *c, const struct node_xcache_key *key,
		       struct node_expanded *x, uint64_t mark, uint64_t now_ms);
/* Drops the entry under key, if any (its sliver is gone from disk). */
void node_xcache_drop(struct node_xcache *c, const struct node_xcache_key *key);
/* Drops every entry. */
void node_xcache_clear(struct node_xcache *c);
void node_xcache_stats(struct node_xcache *c, struct node_xcache_stats *out);

#endif
