/* views.h: settlement as `assay payouts`, `assay attestations` and `assay evidence verify`
 * show it, for storage providers and explorers. The numbers come from their one home (settle/payouts.h for
 * payouts, the chain's reveals checked by settle_chain_verify_reveal for attestations);
 * this is only how they are written: a table, or one JSON object on one line. */
#ifndef ASSAY_SETTLE_VIEWS_H
#define ASSAY_SETTLE_VIEWS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/util.h"
#include "settle/evidence.h"

struct db;
struct err;
struct settle_chain;
struct settle_domain;
struct settle_payouts;
struct settle_record;
struct json_t;

/* A node's reconciled payouts (settle_payouts_reconcile): per epoch its shards, the
 * auditor's counts and score, the median, reward, penalty and notes, then whether the
 * database and the chain agree. */
void settle_payouts_print(FILE *f, const struct settle_payouts *p, bool json);

/* Every revealed attestation of epoch, each verified against the chain and itself
 * (signer, counts, committee, secret, commit) with its evidence blob, its counts per
 * committee member, and its conviction if a fraud proof removed it;
 * *bad is the number that failed verification. Fails only on a chain read (what was
 * written by then stays written). */
bool settle_attestations_print(FILE *f, struct settle_chain *c, const struct settle_domain *dom,
			       uint64_t epoch, bool json, unsigned *bad, struct err *e) WARN_UNUSED;

/* What a checked proof showed: a record (under node proof.node) or, for a node-total
 * proof (total), the node's (passed, decided) at committee position proof.index. */
struct settle_proof_checked {
	uint64_t epoch;
	uint8_t auditor[20];
	uint8_t auditor_id;
	bool total;
	struct settle_record record;
	struct settle_evidence_proof proof;
};

/* Checks a proof as `assay evidence prove` prints it (a JSON object: a record's or a node
 * total's, evidence tree version 2) against the evidence root its auditor revealed on
 * chain for its epoch. Fails with a sentence: the proof malformed, no such reveal, or a
 * proof that does not lead to the root. */
bool settle_evidence_proof_verify(struct settle_chain *c, struct json_t *proof,
				  struct settle_proof_checked *out, struct err *e) WARN_UNUSED;

/* What `assay evidence prove` proves: the record of challenge seq of epoch or, when node is
 * set, the node's subtree total (node_name is how an error names it). */
struct settle_prove_what {
	uint64_t epoch, seq;
	const uint8_t *node;
	const char *node_name;
};

/* The proof as `assay evidence prove` prints it: {epoch, auditor, root, kind, [seq, outcome,
 * record], proof} over auditor's decided records in db or, with archive set, over the
 * records of that file (`assay db prune`; db and auditor unused): the same JSON either way.
 * NULL with a sentence: the source unreadable, the epoch not scored, or nothing to prove. */
struct json_t *settle_evidence_prove(struct db *db, const uint8_t auditor[20],
				     const char *archive, const struct settle_prove_what *w,
				     struct err *e) WARN_UNUSED;

#endif
