/* verdict.h: fraud proof 2, a failed verdict on an answer that verifies (chain/contracts/
 * INTERFACE.md, "What 'the answer verifies' means"; Disputes.disputeVerdict).
 *
 * Given an epoch, a revealed auditor and the seq of one of its records: the auditor's
 * evidence blob is read from the network (settle/evblob.h) and its tree rebuilt against
 * the revealed root (settle/evidence.h) for the record and its RecordProof; the record's
 * request is taken from the public schedule, rebuilt from the chain with the revealed
 * secret (audit_schedule_request: the ids of its batch with its blob and axis); the body
 * is rebuilt either from a node's own store (node/answer.h: `assay node answer|dispute`)
 * or by asking the node again over HTTP (the watcher in `settle run`); the answer of the
 * form the record's outcome names (bad_metadata: the metadata answer blob_id ‖ metadata;
 * the others: the symbols answer) must hash to the record's response hash, and is checked
 * by the contract's rule (audit_answer_verifies) before anything is sent. The schedule is
 * rebuilt with the deployment's min_per_node, per_shard and batch_size (Disputes). */
#ifndef ASSAY_SETTLE_VERDICT_H
#define ASSAY_SETTLE_VERDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/util.h"

struct err;
struct audit_inputs;
struct chain_session;
struct node_store;
struct settle_chain;
struct settle_evblob;
struct settle_evidence;

/* One proof ready to send, and what it rests on. */
struct settle_verdict;
void settle_verdict_free(struct settle_verdict *v);

struct settle_verdict_opts {
	uint64_t confirmations; /* of the chain reads (the schedule's inputs) */
	uint64_t timeout_ms;    /* of each request to a storage node (0: 10 s) */
	struct node_store *store; /* the node's own store, or NULL: ask the node over HTTP */
};

/* The body of record seq of auditor_id's evidence of epoch, rebuilt and checked
 * (settle_verdict_provable says whether it proves a lie, settle_verdict_what why not).
 * Fails when the record cannot be had (no reveal, no evidence blob, no such record, a
 * record the schedule does not have at its seq) or its metadata cannot be had from the
 * node. s: a session on the deployment (nothing is sent here). */
bool settle_verdict_build(struct chain_session *s, const struct settle_verdict_opts *o,
			  uint64_t epoch, uint8_t auditor_id, uint64_t seq,
			  struct settle_verdict **out, struct err *e) WARN_UNUSED;

/* The watcher's hook (settle/dispute.c): the first record of committee position index in
 * an evidence blob already read and rebuilt (b, ev; revealed by auditor_id with secret)
 * whose failed verdict is a provable lie, asking the node again; *out NULL when none is.
 * in: the epoch's schedule inputs the watcher read once for every auditor (lent; their
 * secret and auditor are not used), or NULL: they are read from the chain here when a
 * record needs them. Fails only when the schedule's inputs cannot be read. */
bool settle_verdict_find(struct chain_session *s, const struct settle_verdict_opts *o,
			 uint64_t epoch, uint8_t auditor_id, const uint8_t secret[32],
			 const struct audit_inputs *in, const struct settle_evblob *b,
			 const struct settle_evidence *ev, size_t index,
			 struct settle_verdict **out, struct err *e) WARN_UNUSED;

/* Sends Disputes.disputeVerdict(epoch, auditorId, RecordProof, metadata, body) through c's
 * sender (simulated first: a proof the contract refuses is explained, nothing is sent). */
bool settle_verdict_submit(struct settle_chain *c, const struct settle_verdict *v,
			   struct err *e) WARN_UNUSED;

/* Whether the contract takes it: a failed verdict with a response hash, a body that hashes
 * to it, and that body verifies. */
bool settle_verdict_provable(const struct settle_verdict *v);
/* What it proves (or why it proves nothing), one sentence. */
const char *settle_verdict_what(const struct settle_verdict *v);
uint64_t settle_verdict_seq(const struct settle_verdict *v);
/* The rebuilt body and its length (lent). */
const uint8_t *settle_verdict_body(const struct settle_verdict *v, size_t *len);
/* `assay node answer|dispute --epoch`: a line, or one JSON object {epoch, auditor_id, seq,
 * node, outcome, response_hash, body_bytes, answer ("symbols"|"metadata"), ids, verifies,
 * submitted (when submitted is not NULL)}. */
void settle_verdict_print(FILE *f, const struct settle_verdict *v, const bool *submitted,
			  bool json);

#endif
