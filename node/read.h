/* read.h: the reader: a blob back from the storage nodes, trusting none of them.
 *
 * node_read is the one entry `assay blob get` calls (and what a gateway's whole-blob read
 * may call): metadata is used only once it hashes to the blob ID, each sliver only once it
 * verifies against the metadata; nodes that are down or lie are skipped; the first k
 * verified primary slivers are decoded (secondary ones as a fallback) and the result is
 * re-encoded to check the blob ID. No global state, no printing: it logs, reports progress
 * through an optional callback, and may run on any number of threads at once. */
#ifndef ASSAY_NODE_READ_H
#define ASSAY_NODE_READ_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "node/publish.h"

struct err;
struct node_committee;

struct node_read_req {
	const struct node_committee *committee; /* from node_committee_current */
	uint8_t blob_id[32];
	uint64_t timeout_ms;           /* of each request to a node */
	struct node_progress progress; /* optional: over the slivers fetched */
	const atomic_bool *cancel;     /* optional: stops at the next request */
	/* 0: every byte is verified here (each sliver against the metadata, the blob
	 * re-encoded to its ID). Otherwise the caller checks every byte from this offset on
	 * against a commitment of its own, and reads again with 0 when they do not match (the
	 * dispute watcher: an evidence blob's records against the revealed evidence root). The
	 * blob then comes from its source slivers (primary 0 .. k_p-1) when every one of them
	 * is served, only those holding bytes before the offset verified, and is not
	 * re-encoded; any missing source sliver falls back to the verified read. At 1000
	 * shards that is the difference between about 0.3 s and 30 s for a 150 MB blob. */
	uint64_t unverified_from;
};

/* Reads and verifies the blob: *out (the caller frees it) holds *len bytes. */
bool node_read(const struct node_read_req *req, uint8_t **out, size_t *len,
	       struct err *e) WARN_UNUSED;

#endif
