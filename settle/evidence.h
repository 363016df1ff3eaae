/* evidence.h: the evidence tree (version 2) over an auditor's decided challenge records,
 * exactly as settle/EVIDENCE.md specifies it and chain/contracts/src/EvidenceTree.sol checks
 * it: one Merkle-sum subtree per committee node whose every node carries (passed, decided),
 * under a top tree over the committee's entries (Keccak-256, so a contract can check a
 * proof). Offers the record codec, the builder, record proofs and node-total proofs, their
 * JSON form and their verification. */
#ifndef ASSAY_SETTLE_EVIDENCE_H
#define ASSAY_SETTLE_EVIDENCE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/challenge.h"
#include "core/util.h"

struct err;

#define SETTLE_EVIDENCE_RECORD_LEN 150
/* EvidenceTree.MAX_DEPTH: the longest subtree path the contract takes; the top tree of a
 * committee is far shallower. */
#define SETTLE_EVIDENCE_MAX_DEPTH 32u

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

/* A node of a sum subtree: its hash and the totals it declares (EvidenceTree.SumNode). */
struct settle_sum {
	uint8_t h[32];
	uint32_t passed, decided;
};

void settle_record_encode(const struct settle_record *r, uint8_t out[SETTLE_EVIDENCE_RECORD_LEN]);
bool settle_record_decode(const uint8_t *data, size_t len, struct settle_record *r,
			  struct err *e) WARN_UNUSED;
/* Whether r is a verdict on a body (audit_outcome_on_body: invalid_proof, wrong_size,
 * bad_metadata, malformed) without the body's hash: a malformed record, which
 * Disputes.disputeRecord convicts (settle/EVIDENCE.md, "The record"). */
bool settle_record_hash_missing(const struct settle_record *r);
/* The record's leaf: (H(0x00 ‖ record), outcome is pass, outcome is not auditor_error). */
void settle_record_leaf(const struct settle_record *r, struct settle_sum *out);

/* The tree of one (epoch, auditor) over the committee (in committee order, m nodes) and the
 * decided records in ascending seq order. The build refuses records out of order, of
 * another epoch/auditor, or of a node outside the committee. */
struct settle_evidence;
bool settle_evidence_new(struct settle_evidence **out, const uint8_t (*committee)[20], size_t m,
			 const struct settle_record *records, size_t n, struct err *e) WARN_UNUSED;
/* The tree exactly as given, for a disputer rebuilding what a liar committed: records in
 * any seq order, repeated, of any epoch or auditor, each node's subtree taking its records
 * in the order given (only a node outside the committee is refused). Its record indices
 * are the array's; settle_evidence_find needs a tree built by settle_evidence_new. */
bool settle_evidence_new_any(struct settle_evidence **out, const uint8_t (*committee)[20],
			     size_t m, const struct settle_record *records, size_t n,
			     struct err *e) WARN_UNUSED;
void settle_evidence_free(struct settle_evidence *ev);
/* The root alone, built as the records come (ascending seq, one epoch and auditor, nodes of
 * the committee: settle_evidence_new's checks), holding per committee node one pending sum
 * node per level (at most 33 × 40 bytes) instead of its leaves: what the settle job needs
 * to attest an epoch without the records in memory. The root and each node's totals are
 * settle_evidence_new's over the same records. */
struct settle_evidence_stream;
struct settle_evidence_stream *settle_evidence_stream_new(const uint8_t (*committee)[20],
							  size_t m);
void settle_evidence_stream_free(struct settle_evidence_stream *s);
/* Adds the next record; *index (may be NULL) its committee position. */
bool settle_evidence_stream_add(struct settle_evidence_stream *s, const struct settle_record *r,
				size_t *index, struct err *e) WARN_UNUSED;
/* The root over the records added so far (more may follow). */
void settle_evidence_stream_root(const struct settle_evidence_stream *s, uint8_t root[32]);

/* Records in the tree. */
size_t settle_evidence_count(const struct settle_evidence *ev);
/* Committee size m (entries of the top tree). */
size_t settle_evidence_nodes(const struct settle_evidence *ev);
/* The committee member at position index (< settle_evidence_nodes). */
void settle_evidence_member(const struct settle_evidence *ev, size_t index, uint8_t out[20]);
void settle_evidence_root(const struct settle_evidence *ev, uint8_t root[32]);
/* The record index (ascending seq) of seq, or false if seq has no decided record (a tree of
 * settle_evidence_new only). */
bool settle_evidence_find(const struct settle_evidence *ev, uint64_t seq, size_t *index);
/* The committee position whose subtree holds node's records, or false if not a member. */
bool settle_evidence_node_index(const struct settle_evidence *ev, const uint8_t node[20],
				size_t *index);

/* A proof against the root. A node-total proof is the entry of committee position `index`
 * (node, subtree root `sub`) and its top path; a record proof adds the record's position
 * in that subtree and the subtree path (bottom-up sibling sum nodes). */
struct settle_evidence_proof {
	size_t index, count; /* committee position, committee size */
	uint8_t node[20];
	struct settle_sum sub;
	size_t top_len;
	uint8_t top_path[SETTLE_EVIDENCE_MAX_DEPTH][32];
	bool has_record; /* the fields below are set */
	size_t pos, sub_len;
	struct settle_sum sub_path[SETTLE_EVIDENCE_MAX_DEPTH];
};
/* The node-total proof of committee position index (< settle_evidence_nodes). */
void settle_evidence_total_proof(const struct settle_evidence *ev, size_t index,
				 struct settle_evidence_proof *p);
/* The proof of record `index` (< settle_evidence_count). */
void settle_evidence_proof(const struct settle_evidence *ev, size_t index,
			   struct settle_evidence_proof *p);

/* Checks a node-total proof as Settlement.disputeNodeTotal does: index < count, top path of
 * ceil(log2 count) steps from H(0x02 ‖ node ‖ sub) to root. */
bool settle_evidence_verify_total(const uint8_t root[32], const struct settle_evidence_proof *p,
				  struct err *e) WARN_UNUSED;
/* Checks a record proof: the record is of the proof's node, its leaf leads through the
 * subtree path (at most MAX_DEPTH steps, pos >> steps = 0) to the subtree root sub, and sub
 * proves against root as above. */
bool settle_evidence_verify(const uint8_t root[32], const struct settle_record *r,
			    const struct settle_evidence_proof *p, struct err *e) WARN_UNUSED;

/* The proof as JSON ("index", "count", "node", "sub" {h, passed, decided}, "top_path", and
 * for a record "pos", "sub_path"), hex with 0x; and back, refusing anything malformed. */
json_t *settle_evidence_proof_json(const struct settle_evidence_proof *p);
bool settle_evidence_proof_parse(const json_t *j, struct settle_evidence_proof *p,
				 struct err *e) WARN_UNUSED;

#endif
