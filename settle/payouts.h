/* payouts.h: what a storage node was paid, and whether the database and the chain agree
 * about it. The one home of these numbers: `assay payouts` prints them, the API's
 * GET /v1/nodes/{node}/payouts serves them (settle/api.c), the pages show them.
 *
 * settle_payouts_paid reads what finalizeEpoch paid (the NodeScored events as the
 * database keeps them, table node_scores) and needs only the database; the API calls it.
 * settle_payouts_reconcile first reads those events again from the chain into the
 * database, then takes its paid numbers from settle_payouts_paid, and sets beside them,
 * per epoch, this auditor's counts in its database and in its reveal on chain, the node's
 * shards, and notes on every disagreement and threshold. */
#ifndef ASSAY_SETTLE_PAYOUTS_H
#define ASSAY_SETTLE_PAYOUTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/u256.h"
#include "core/util.h"

struct err;
struct db;
struct settle_ctx;

/* What finalizeEpoch paid a node in one epoch. */
struct settle_payout {
	uint64_t epoch;
	uint8_t node[20];
	struct chain_u256 median; /* wad: 1e18 = every challenge passed */
	struct chain_u256 reward, slashed; /* wei */
	bool penalized;
	uint8_t finalize_tx[32];
};

/* The node's payouts of finalized epochs from..to, ascending; *out is malloc'd. */
bool settle_payouts_paid(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			 struct settle_payout **out, size_t *n, struct err *e) WARN_UNUSED;

#define SETTLE_PAYOUT_NOTES_LEN 512

/* One epoch of the reconciliation. Counts are this auditor's: its database's
 * ("local" attestation) when it has them, else its reveal on chain. */
struct settle_payout_row {
	uint64_t epoch;
	bool in_committee;
	uint64_t shards;
	uint64_t passed, decided;
	bool in_db, on_chain;
	bool has_reveal_tx;
	uint8_t reveal_tx[32];
	bool finalized; /* paid is set */
	struct settle_payout paid;
	bool has_median; /* someone decided a challenge of the node, and the median fits */
	uint64_t median_wad;
	bool has_reward_per_shard;
	struct chain_u256 reward_per_shard;
	char notes[SETTLE_PAYOUT_NOTES_LEN]; /* "; "-terminated sentences, or "" */
};

struct settle_payouts {
	uint8_t node[20];
	uint8_t auditor_id;
	uint64_t from, to;
	struct settle_payout_row *rows; /* epochs where the database or the chain has counts */
	size_t n;
	unsigned disagreements; /* epochs where the database and the chain disagree */
};

/* What a reconciliation needs from the chain first: the current epoch (epochs before it
 * have ended) and the thresholds the notes compare medians with. */
struct settle_payout_terms {
	uint64_t current_epoch;
	uint64_t r0_bps, penalty_bps;
};
bool settle_payout_terms_read(struct settle_ctx *x, struct settle_payout_terms *t,
			      struct err *e) WARN_UNUSED;

/* Reconciles node's epochs from..to for the auditor of x (its database, its signer, its
 * chain). Clear *out either way. */
bool settle_payouts_reconcile(struct settle_ctx *x, const uint8_t node[20],
			      const struct settle_payout_terms *t, uint64_t from, uint64_t to,
			      struct settle_payouts *out, struct err *e) WARN_UNUSED;
void settle_payouts_clear(struct settle_payouts *p);

#endif
