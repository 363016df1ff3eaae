/* evidence.h: the evidence tree over an auditor's decided challenge records, exactly as
 * settle/EVIDENCE.md specifies it (Keccak-256, so a contract can check a proof). */
#ifndef ASSAY_SETTLE_EVIDENCE_H
#define ASSAY_SETTLE_EVIDENCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/challenge.h"
#include "core/util.h"

struct err;

#define SETTLE_EVIDENCE_RECORD_LEN 150
#define SETTLE_EVIDENCE_MAX_DEPTH 40u

/* One decided challenge record (the last attempt of its seq). */
struct settle_record {
	uint64_t epoch;
	uint8_t auditor[20];
	uint64_t seq;
	uint8_t attempt;
	uint8_t node[20];
	uint8_t blob[32];
	uint16_t shard;
	uint16_t row;
	uint16_t col;
	enum audit_proof_axis axis;
	enum audit_outcome outcome;
	uint32_t latency_ms;
	uint8_t response_hash[32]; /* zeros when none */
};

void settle_record_encode(const struct settle_record *r, uint8_t out[SETTLE_EVIDENCE_RECORD_LEN]);
bool settle_record_decode(const uint8_t *data, size_t len, struct settle_record *r,
			  struct err *e) WARN_UNUSED;
void settle_record_leaf(const struct settle_record *r, uint8_t out[32]);

/* The tree over records given in ascending seq order (the caller's order is the leaf
 * order; the build refuses records out of order or of another epoch/auditor). */
struct settle_evidence;
bool settle_evidence_new(struct settle_evidence **out, const struct settle_record *records,
			 size_t n, struct err *e) WARN_UNUSED;
void settle_evidence_free(struct settle_evidence *ev);
size_t settle_evidence_count(const struct settle_evidence *ev);
void settle_evidence_root(const struct settle_evidence *ev, uint8_t root[32]);
/* The leaf index of seq, or false if seq has no decided record. */
bool settle_evidence_find(const struct settle_evidence *ev, uint64_t seq, size_t *index);
/* Sibling path of leaf `index`, bottom-up; path must hold SETTLE_EVIDENCE_MAX_DEPTH. */
void settle_evidence_proof(const struct settle_evidence *ev, size_t index, uint8_t (*path)[32],
			   size_t *path_len);
/* Checks a record against a root: index < count, path length = ceil(log2 count). */
bool settle_evidence_verify(const uint8_t root[32], size_t count, size_t index,
			    const struct settle_record *r, const uint8_t (*path)[32],
			    size_t path_len, struct err *e) WARN_UNUSED;

#endif
