/* recover.h: peer recovery. A node missing slivers of a blob it should hold (wiped disk,
 * a shard newly assigned to it, an upload that skipped it) rebuilds each one from recovery
 * symbols: primary sliver i from k_s symbols "i-j" proven on the secondary axis (peers'
 * secondary slivers j), secondary sliver j from k_p symbols "i-j" proven on the primary
 * axis (peers' primary slivers i). Each symbol is checked against the metadata before it is
 * used and the rebuilt sliver against its committed hash before it is stored
 * (node_sliver_recover_from_symbols()). The node's own slivers count as sources too, and
 * passes repeat while they make progress (a rebuilt primary sliver can feed a secondary). */
#ifndef ASSAY_NODE_RECOVER_H
#define ASSAY_NODE_RECOVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/bcs.h"
#include "core/util.h"

struct err;
struct node_store;
struct node_committee;
struct node_codec;

struct node_recover_ctx {
	struct node_store *store;
	const struct node_committee *committee;
	const struct node_codec *codec;
	uint32_t self;       /* this node's index in the committee */
	uint64_t timeout_ms; /* per peer request */
};

struct node_recover_stats {
	size_t blobs;     /* blobs looked at */
	size_t missing;   /* slivers found missing */
	size_t recovered; /* slivers rebuilt, verified and stored */
	size_t failed;    /* slivers still missing */
	size_t rejected;  /* peer symbols that failed verification */
};

/* Recover what this node lacks of one blob. When the node has no metadata for it, the
 * metadata is fetched from peers and checked against the blob ID first. */
bool node_recover_blob(const struct node_recover_ctx *c, const uint8_t id[AUDIT_DIGEST_LEN],
		       struct node_recover_stats *st, struct err *e) WARN_UNUSED;
/* Every blob whose metadata the node has. */
bool node_recover_all(const struct node_recover_ctx *c, struct node_recover_stats *st,
		      struct err *e) WARN_UNUSED;

#endif
