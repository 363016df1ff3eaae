/* committee.h: the committee file: who holds which shard, where to reach them, with which
 * node key. It is what `assay node serve` and `assay blob put/get` use when there is no
 * chain to read the committee from, and what `assay audit run|plan` audit when the nodes
 * are not on our chain (real Walrus storage nodes).
 *
 *   {
 *     "n_shards": 7,
 *     "epoch": 1,                       optional, default 1: the epoch confirmations name
 *     "chain_id": 31337,                optional (EIP-712 domain of confirmations)
 *     "blob_registry": "0x…20 bytes",   optional (EIP-712 verifyingContract)
 *     "nodes": [
 *       {"url": "http://127.0.0.1:9100", "shards": [0, 1],
 *        "address": "0x…",              optional: the node key's address (checks confirmations)
 *        "id": "0x…20 bytes",           optional: the node id that challenge records, scores
 *                                       and attestations name (on our chain: the operator's
 *                                       address); default: "address" when given, else the
 *                                       auditor derives one from the url
 *        "pin": "sha256//…"}            optional: TLS public-key pin (curl syntax)
 *     ]
 *   }
 *
 * Every shard 0..n-1 is held by exactly one node, and there are at most min(n, 256) nodes.
 * n may be up to AUDIT_MAX_SHARDS, so that an auditor can describe real Walrus committees
 * (n = 1000); the reference node and encoder refuse more than NODE_MAX_SHARDS themselves. */
#ifndef ASSAY_NODE_COMMITTEE_H
#define ASSAY_NODE_COMMITTEE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct err;

struct node_member {
	char *url; /* normalized: no trailing slash */
	uint32_t *shards;
	size_t shard_count;
	bool has_address;
	uint8_t address[20];
	bool has_id;    /* "id" given, or else "address" (then id = address) */
	uint8_t id[20]; /* the node id audits name */
	char *pin; /* or NULL */
};

struct node_committee {
	uint32_t n;
	uint64_t epoch;
	uint64_t chain_id;
	uint8_t blob_registry[20];
	struct node_member *members;
	size_t count;
	uint32_t *owner; /* owner[shard] = member index */
};

bool node_committee_load(const char *path, struct node_committee **out, struct err *e) WARN_UNUSED;
/* Parse the JSON text (for tests and fuzzing); `source` names it in errors. */
bool node_committee_parse(const char *text, size_t len, const char *source,
			  struct node_committee **out, struct err *e) WARN_UNUSED;
void node_committee_free(struct node_committee *c);
/* True when member m holds the shard. */
bool node_committee_holds(const struct node_committee *c, size_t m, uint32_t shard);

/* The committee file at path as the auditor's inputs (audit/daemon.h): n, and per member
 * its node id ("id", else "address", else derived from the url), url, pin and shards
 * (ascending). Fills in (begun with audit_inputs_begin) with copies it owns. */
struct audit_inputs;
bool node_committee_audit_inputs(const char *path, struct audit_inputs *in,
				 struct err *e) WARN_UNUSED;

#endif
