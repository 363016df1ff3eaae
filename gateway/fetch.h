/* fetch.h: verified pieces of a blob from the storage nodes, for the gateway.
 *
 * The gateway trusts no node. Metadata is used only once it hashes to the blob ID; a
 * symbol only once its Merkle proof checks against that metadata (audit/symbol.h), so a
 * lying node's answer is dropped and never becomes a byte of a response.
 *
 * Where bytes live (DESIGN.md, "Gateway"): the blob fills the k_p × k_s matrix row by row
 * and both generators are systematic, so blob bytes [g·ss, (g+1)·ss) are symbol (i, j) with
 * g = i·k_s + j, i < k_p, j < k_s: cell (i, j) of the expanded matrix. A piece (row i,
 * columns [c0, c1)) is fetched:
 *
 *   1. from the node holding primary sliver i: one recoverySymbols request for ids i-c0 ..
 *      i-(c1-1) on the primary axis, each symbol proven against hashes[i].primary;
 *   2. if that node is marked down, fails, lies, or has not answered within hedge_ms (the
 *      hedge: both run, the first verified answer wins): from the nodes holding secondary
 *      slivers c0 .. c1-1 (ids on the secondary axis, proven against their hashes), and
 *      when some of those are gone too, from any k_s secondary slivers' symbols of row i,
 *      decoding primary sliver i (node_sliver_recover_from_symbols: checked against the
 *      metadata before use; ISA-L RS8 blobs only).
 *
 * A node that fails at the transport level is skipped for backoff_ms by every request. */
#ifndef ASSAY_GATEWAY_FETCH_H
#define ASSAY_GATEWAY_FETCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/bcs.h"
#include "core/util.h"

struct err;
struct node_committee;
struct gateway_metrics;

/* A committee snapshot with the nodes' health; shared by requests (reference counted). */
struct gateway_nodes;
/* Takes ownership of cm. */
struct gateway_nodes *gateway_nodes_new(struct node_committee *cm);
struct gateway_nodes *gateway_nodes_ref(struct gateway_nodes *v);
void gateway_nodes_unref(struct gateway_nodes *v);
const struct node_committee *gateway_nodes_committee(const struct gateway_nodes *v);

struct gateway_fetch_cfg {
	uint64_t timeout_ms; /* one node request; 0: 10000 */
	uint64_t hedge_ms;   /* ask elsewhere too after this long; 0: 2000 */
	uint64_t backoff_ms; /* skip a node this long after a transport failure; 0: 5000 */
};

/* The fetch side of the gateway: configuration, codecs (made on first use, per n) and the
 * metrics it reports fetched bytes and node failures to (may be NULL). Thread-safe. */
struct gateway_fetcher;
struct gateway_fetcher *gateway_fetcher_new(const struct gateway_fetch_cfg *cfg,
					    struct gateway_metrics *m);
/* Waits for the threads still working for it (hedges that lost, cancelled fills: each ends
 * within a node timeout), then frees it. */
void gateway_fetcher_free(struct gateway_fetcher *f);
/* A thread that uses f holds it for as long (gateway/fill.c's workers do). */
void gateway_fetcher_hold(struct gateway_fetcher *f);
void gateway_fetcher_release(struct gateway_fetcher *f);

/* A blob's verified metadata and the layout derived from it. */
struct gateway_blob {
	uint8_t id[AUDIT_DIGEST_LEN];
	struct audit_metadata *md;
	uint32_t n, k_p, k_s;
	uint16_t ss;       /* symbol size */
	uint64_t len;      /* unencoded length */
};
void gateway_blob_clear(struct gateway_blob *b);

enum gateway_fetch_status {
	GATEWAY_FETCH_OK,
	GATEWAY_FETCH_NOT_FOUND, /* every node that answered said 404 */
	GATEWAY_FETCH_FAILED,    /* nodes down, lying or unusable metadata */
};
/* Metadata that hashes to id, from the first node that has it (spread over the committee
 * by blob ID), into *out. */
enum gateway_fetch_status gateway_fetch_metadata(struct gateway_fetcher *f,
						 struct gateway_nodes *v,
						 const uint8_t id[AUDIT_DIGEST_LEN],
						 struct gateway_blob *out, struct err *e) WARN_UNUSED;

/* Symbols (row, c0 .. c1-1), verified, into out ((c1 - c0)·ss bytes). row < k_p,
 * c0 < c1 <= k_s. */
bool gateway_fetch_piece(struct gateway_fetcher *f, struct gateway_nodes *v,
			 const struct gateway_blob *b, uint32_t row, uint32_t c0, uint32_t c1,
			 uint8_t *out, struct err *e) WARN_UNUSED;

#endif
