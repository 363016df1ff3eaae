/* epoch.h: one auditor's settlement of one epoch, as a state machine kept in PostgreSQL
 * (epoch_progress):
 *
 *   audited -> scored -> committed -> revealed -> finalized | voided
 *
 * Each step is idempotent and safe to crash in: before sending anything it reads the
 * chain (already committed? revealed? finalized?), and the caller has let the sender
 * finish every transaction saved by an earlier run (chain_sender_new recovers them;
 * wait for them before stepping), so a killed run started again never submits twice.
 * Nothing secret is stored: the secret is derived again from the signing key. */
#ifndef ASSAY_SETTLE_EPOCH_H
#define ASSAY_SETTLE_EPOCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"
#include "settle/attest.h"

struct err;
struct db;
struct chain_key;
struct settle_chain;
struct chain_session;

/* enum settle_finding_kind's members (settle/dispute.h) */
#define SETTLE_DISPUTE_KINDS 8

struct settle_ctx {
	struct db *db;
	struct settle_chain *chain;
	const struct chain_key *signing;
	uint8_t signer[20];
	uint8_t auditor_id;
	struct settle_domain dom;
	uint64_t warn_margin_s; /* warn when a window closes within this and we are behind */
	/* Lent: stores and pays for the evidence blob (settle/evblob.h) when the contract
	 * binds a BlobRegistry; NULL: this context cannot score such an epoch. */
	struct chain_session *publisher;
	uint64_t confirmations;   /* of the chain reads behind the committee it publishes to */
	uint64_t blob_timeout_ms; /* of each request to a storage node */
	/* the watcher's counts over the run (settle/dispute.h; kinds as its enum) */
	uint64_t dispute_checked, dispute_submitted;
	uint64_t dispute_found[SETTLE_DISPUTE_KINDS];
	unsigned warnings;      /* counted over the run */
	unsigned errors;
};

enum settle_state {
	SETTLE_NONE = -1,
	SETTLE_PLANNED,
	SETTLE_AUDITING,
	SETTLE_AUDITED,
	SETTLE_SCORED,
	SETTLE_COMMITTED,
	SETTLE_REVEALED,
	SETTLE_FINALIZED,
	SETTLE_VOIDED,
};
const char *settle_state_name(enum settle_state s);
enum settle_state settle_state_parse(const char *s);

bool settle_state_load(struct settle_ctx *x, uint64_t epoch, enum settle_state *out,
		       struct err *e) WARN_UNUSED;

/* Moves an ended epoch as far as the chain's clock (now, the latest block's time) allows.
 * Failing here fails this epoch only; the caller goes on with the others. */
bool settle_epoch_step(struct settle_ctx *x, uint64_t epoch, uint64_t now,
		       struct err *e) WARN_UNUSED;

/* The NodeScored events of epochs from..to (node NULL: every node) read from the chain
 * and kept in the database (node_scores), for the API. *out may be NULL; else free it. */
struct settle_node_scored;
bool settle_scores_cache(struct settle_ctx *x, uint64_t from, uint64_t to, const uint8_t *node,
			 struct settle_node_scored **out, size_t *n, struct err *e) WARN_UNUSED;

/* Makes `signing` the auditor of x (x->chain set): its address, and its auditor id, as
 * given (id < 256) or looked up on chain by signer; the id must be active and signed by
 * that address (only a warning under ASSAY_TEST_SKIP_LOCAL_CHECKS). */
bool settle_ctx_set_signer(struct settle_ctx *x, const struct chain_key *signing, uint64_t id,
			   struct err *e) WARN_UNUSED;

/* Commits the secret hash of a coming epoch if it is not on chain yet. */
bool settle_secret_commit(struct settle_ctx *x, uint64_t epoch, struct err *e) WARN_UNUSED;

#endif
