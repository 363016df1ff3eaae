/* dispute.h: the watcher (`assay dispute check|submit`, and `assay settle run` policing the
 * other auditors): for each attestation revealed for an epoch, read its evidence blob from
 * the network (settle/evblob.h; every byte verified against the blob ID), rebuild the
 * evidence tree (settle/evidence.h) and compare it with what the auditor revealed on
 * chain. Each disagreement is a finding; those the contract can judge come with their proof
 * and are sent as one transaction (settle_dispute_submit).
 *
 * What is checked, and what proves it:
 *   - the blob's tree root is not the revealed evidenceRoot (or the blob is unreadable,
 *     or its header is not this epoch, auditor and committee): reported; no proof on chain
 *     takes a whole blob, so it is evidence for governance (voidEpoch), not a conviction;
 *   - a committee position whose subtree totals differ from the revealed counts: fraud
 *     proof 1a, Settlement.disputeNodeTotal, provable from the tree the blob rebuilds;
 *   - the schedule (fraud proof 3): the epoch's inputs are read from the chain once
 *     (audit_inputs_from_chain, as `assay audit plan` does) and each auditor's schedule is
 *     rebuilt with its revealed secret and signer (lazily: no array of challenges). A
 *     record whose seq the schedule does not have, or whose node, blob, shard, axis or
 *     symbol differ from the scheduled challenge, is a `schedule` fraud; the contract's own
 *     view Disputes.scheduled says whether its checkable rules see it (then the record
 *     proof goes to Disputes.disputeSchedule) or only the weighted blob draw differs,
 *     which no proof on chain can show (reported, not provable). A position whose subtree
 *     declares more decided records than its challenge count C_i is `too_many`
 *     (Disputes.disputeTooMany when Disputes.challengesOf agrees). Scheduled challenges
 *     with no record are `unrecorded`, a note: a challenge still undecided when the epoch
 *     ended legitimately has none;
 *   - records with a failed verdict (invalid_proof, wrong_size, bad_metadata, malformed):
 *     only the node can supply the body it sent (fraud proof 2), so they are listed as
 *     needing the node, never as fraud found; one without the body's hash is a `record`
 *     fraud (settle_record_hash_missing; Disputes.disputeRecord).
 * Fraud proofs 1b: a blob the decoder refuses because a record is of another epoch or
 * auditor, or its records are out of seq order or repeated, is read again as given
 * (settle_evblob_decode_any) and its tree rebuilt as the liar built it, each node's subtree
 * taking that node's records in blob order (settle_evidence_new_any). When that tree has
 * the revealed root, the first such record is `record` (Disputes.disputeRecord) or the
 * first pair of neighbours in a subtree whose seqs do not ascend is `order`
 * (Disputes.disputeOrder), both provable; otherwise the blob is `blob_unreadable`. What the
 * blob cannot express is not checked, because it cannot occur in a tree the blob
 * rebuilds: a record under another node's subtree, leaf totals other than its outcome
 * implies, a record with another tag or an unknown outcome (the decoder refuses it), and a
 * sum node whose totals are not its children's (disputeSumNode): the blob holds records
 * only, and the builder computes every leaf and sum from them. A liar that commits such a
 * tree publishes a blob that rebuilds another root (`evidence_root`, for governance), and
 * disputeTooMany bounds what its unopenable nodes can claim.
 *
 * Fraud proof 2 (settle/verdict.h): with ask_nodes (settle run), each committee position
 * with failed verdicts is re-checked by asking the node again for each record's request
 * (the public schedule names its ids: audit_schedule_request); the first record whose body
 * hashes to its response hash and verifies is a VERDICT finding, provable
 * (Disputes.disputeVerdict). `assay dispute verdict` does it for one record, from the node's
 * store or over HTTP; `assay node answer --epoch E --auditor A --seq K` rebuilds the body
 * from the node's store. */
#ifndef ASSAY_SETTLE_DISPUTE_H
#define ASSAY_SETTLE_DISPUTE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/util.h"
#include "settle/evidence.h"

struct err;
struct settle_chain;
struct settle_verdict;
struct chain_session;

enum settle_finding_kind {
	SETTLE_FINDING_NODE_TOTAL, /* 1a: a subtree total differs from the revealed counts */
	SETTLE_FINDING_ROOT,       /* the blob rebuilds another root than the one revealed */
	SETTLE_FINDING_HEADER,     /* the blob names another epoch, auditor or committee */
	SETTLE_FINDING_BLOB_COUNTS, /* the blob's own counts differ from its records' */
	SETTLE_FINDING_UNREADABLE, /* the blob could not be read or decoded */
	SETTLE_FINDING_NEEDS_NODE, /* failed verdicts only the node can dispute (not fraud) */
	SETTLE_FINDING_SCHEDULE,   /* 3: a record the schedule does not contain */
	SETTLE_FINDING_TOO_MANY,   /* 3: a node's decided records above its challenge count */
	SETTLE_FINDING_UNRECORDED, /* scheduled challenges with no record (a note) */
	SETTLE_FINDING_RECORD,     /* 1b: a record of another epoch or auditor in the tree, or
				    * one the contract calls malformed (a verdict on a body
				    * without its hash: settle_record_hash_missing) */
	SETTLE_FINDING_ORDER,      /* 1b: two records of a node out of seq order, or repeated */
	SETTLE_FINDING_VERDICT,    /* 2: a failed verdict on an answer that verifies (the node
				    * asked again: settle/verdict.h) */
};
const char *settle_finding_kind_name(enum settle_finding_kind k);

struct settle_finding {
	uint64_t epoch;
	uint8_t auditor_id;
	enum settle_finding_kind kind;
	bool fraud;    /* a lie shown (exit status 1 of dispute check) */
	bool provable; /* the contract takes its proof now (settle_dispute_submit) */
	char what[400]; /* one sentence */
	uint8_t evidence_blob[32];
	size_t index;   /* committee position (NODE_TOTAL, NEEDS_NODE, SCHEDULE, TOO_MANY) */
	uint32_t attested_passed, attested_decided;
	uint64_t records; /* NEEDS_NODE, SCHEDULE, UNRECORDED: how many */
	uint64_t challenges; /* TOO_MANY: the node's challenge count C_i */
	/* NODE_TOTAL, TOO_MANY: the node-total proof; SCHEDULE: the record proof of record */
	struct settle_evidence_proof proof;
	struct settle_record record; /* SCHEDULE: the first record not scheduled; RECORD, ORDER */
	/* ORDER: the record right of `record` in the same subtree, and its proof */
	struct settle_evidence_proof proof2;
	struct settle_record record2;
	struct settle_verdict *verdict;     /* VERDICT: the proof (owned by the report) */
};

struct settle_dispute_report {
	size_t checked; /* attestations whose blob was read and compared */
	struct settle_finding *v;
	size_t n;
};
void settle_dispute_report_clear(struct settle_dispute_report *r);
/* Findings with fraud set. */
size_t settle_dispute_report_frauds(const struct settle_dispute_report *r);

struct settle_dispute_opts {
	int only_auditor;  /* < 0: every revealed auditor */
	int skip_auditor;  /* < 0: none (settle run skips itself) */
	uint64_t confirmations;
	uint64_t timeout_ms; /* of each request to a storage node */
	bool ask_nodes;      /* ask each node again for the bodies of failed verdicts (2) */
};

/* Checks every attestation of epoch still counted on chain (revealed and not convicted).
 * reader gives the chain (committee, blob registry) the blobs are read through. Fails only
 * when the chain cannot be read; a blob that cannot be read is a finding. */
bool settle_dispute_check(struct settle_chain *c, struct chain_session *reader, uint64_t epoch,
			  const struct settle_dispute_opts *o, struct settle_dispute_report *out,
			  struct err *e) WARN_UNUSED;

/* Whether the schedule s (built with the records' auditor and secret; lazy or not) has
 * challenge r->seq with r's node, blob, shard, axis and symbol; blobs is the array s was
 * built from. If not, why says which field differs (one phrase). */
struct audit_schedule;
struct audit_schedule_blob;
bool settle_dispute_record_scheduled(const struct audit_schedule *s,
				     const struct audit_schedule_blob *blobs,
				     const struct settle_record *r, char *why, size_t why_len);

/* Fraud proofs 1b from the bytes of an evidence blob the strict decoder refused (no
 * chain): read as given, when the tree it rebuilds as given has rv's evidenceRoot (and its
 * header is rv's epoch, signer and the committee nodes[m]), adds the first record of
 * another epoch or auditor (RECORD) or else the first neighbours in a subtree whose seqs
 * do not ascend (ORDER), with their proofs, and returns true; false: nothing shown so. */
struct settle_reveal;
bool settle_dispute_check_as_built(const struct settle_reveal *rv, const uint8_t signer[20],
				   const uint8_t (*nodes)[20], size_t m, const uint8_t *data,
				   size_t len, struct settle_dispute_report *r);

/* Sends the proof of a provable finding (through c's sender): Settlement.disputeNodeTotal
 * for NODE_TOTAL, Disputes.disputeSchedule (with the revealed secret) for SCHEDULE and
 * Disputes.disputeTooMany for TOO_MANY, disputeRecord for RECORD, disputeOrder for ORDER. */
bool settle_dispute_submit(struct settle_chain *c, const struct settle_finding *f,
			   struct err *e) WARN_UNUSED;

/* Sends the proof of each provable finding, one per auditor (the first conviction takes
 * its attestation out): sent[i] (r->n of them) says which went through; on_fail hears of
 * each that did not. Returns how many failed. */
typedef void settle_dispute_fail_fn(void *arg, const struct settle_finding *f, const char *msg);
size_t settle_dispute_submit_all(struct settle_chain *c, const struct settle_dispute_report *r,
				 bool *sent, settle_dispute_fail_fn *on_fail, void *arg);

/* The report of `assay dispute check|submit`: a line per finding, or one JSON object
 * {epoch, checked, frauds, findings}; sent (NULL: nothing submitted) adds to each provable
 * finding whether its proof was submitted. */
void settle_dispute_report_print(FILE *f, const struct settle_dispute_report *r,
				 uint64_t epoch, const bool *sent, bool json);

/* {"epoch", "auditor_id", "kind", "fraud", "provable", "what", "evidence_blob", and per kind
 * "index", "attested" {passed, decided}, "proof" (settle_evidence_proof_json), "records",
 * "challenges", "record" {seq, node, blob, shard, axis, row, col, outcome}, ORDER's "record2"
 * and "proof2", "needs"}. */
json_t *settle_finding_json(const struct settle_finding *f);

#endif
