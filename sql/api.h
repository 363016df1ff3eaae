/* api.h: the read-only queries behind the HTTP API (settle/api.h).
 *
 * Every query takes plain C arguments, binds them as parameters and returns C rows the
 * caller frees with free(). A failure fills e with a sentence that may name the database
 * error; the API never shows it to a client (it logs it and answers 500/503). */
#ifndef ASSAY_SQL_API_H
#define ASSAY_SQL_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct db;
struct err;

/* Makes the connection read-only and bounds each statement to timeout_ms. */
bool db_api_session_setup(struct db *db, uint64_t timeout_ms, struct err *e) WARN_UNUSED;

/* One row of epochs. Times are Unix seconds. */
struct db_api_epoch {
	uint64_t epoch;
	bool has_start, has_end, has_seed_block, has_seed, has_chain_state;
	int64_t start_unix, end_unix;
	uint64_t seed_block;
	uint8_t seed[32];
	char chain_state[32];
};
/* Epochs with number > after (every epoch when !has_after), ascending, at most limit. */
bool db_api_epochs(struct db *db, bool has_after, uint64_t after, size_t limit,
		   struct db_api_epoch **out, size_t *n, struct err *e) WARN_UNUSED;

/* One auditor's settle state in an epoch (epoch_progress). */
struct db_api_progress {
	uint64_t epoch;
	uint8_t auditor[20];
	char state[16];
	int64_t updated_unix;
};
/* Progress rows of epochs from..to, by epoch then auditor. */
bool db_api_progress(struct db *db, uint64_t from, uint64_t to, struct db_api_progress **out,
		     size_t *n, struct err *e) WARN_UNUSED;

/* One attestation, with the sums of its per-node counts. source: "local" or "chain". */
struct db_api_attestation {
	uint64_t epoch;
	uint8_t auditor[20];
	char source[8];
	uint8_t committee_hash[32], counts_hash[32], evidence_root[32];
	uint8_t evidence_blob[32]; /* zeros: none */
	bool has_sig;
	uint8_t sig[65];
	int64_t created_unix;
	uint64_t nodes, passed, decided;
};
/* Attestations of epochs from..to, by epoch, auditor, source. */
bool db_api_attestations(struct db *db, uint64_t from, uint64_t to,
			 struct db_api_attestation **out, size_t *n, struct err *e) WARN_UNUSED;

/* One node's (passed, decided) in one attestation. */
struct db_api_count {
	uint64_t epoch;
	uint8_t auditor[20];
	char source[8];
	uint8_t node[20];
	uint64_t passed, decided;
};
/* Every count of one epoch, by auditor, source, node. */
bool db_api_epoch_counts(struct db *db, uint64_t epoch, struct db_api_count **out, size_t *n,
			 struct err *e) WARN_UNUSED;
/* The counts of one node over epochs from..to, by epoch, auditor, source. */
bool db_api_node_counts(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			struct db_api_count **out, size_t *n, struct err *e) WARN_UNUSED;

/* Epochs in from..to where the node has counts, challenge records or node scores,
 * ascending, at most limit. */
bool db_api_node_epochs(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			size_t limit, uint64_t **out, size_t *n, struct err *e) WARN_UNUSED;

/* The node's decided challenge records (last attempt of each seq) in our database, per
 * epoch and auditor: decided excludes auditor_error, passed counts pass. */
struct db_api_tally {
	uint64_t epoch;
	uint8_t auditor[20];
	uint64_t passed, decided, auditor_errors;
};
bool db_api_node_tallies(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			 struct db_api_tally **out, size_t *n, struct err *e) WARN_UNUSED;

/* A settlement transaction of an epoch from the sender's table. The epoch is read from the
 * purpose ("... epoch N ..." or "...epoch=N..."); replaced versions are left out. */
struct db_api_tx {
	uint64_t epoch;
	char purpose[64];
	uint8_t hash[32];
	char state[16];
	bool has_block;
	uint64_t block;
};
bool db_api_epoch_txs(struct db *db, uint64_t from, uint64_t to, struct db_api_tx **out,
		      size_t *n, struct err *e) WARN_UNUSED;

/* Auditors with challenge records in the epoch, ascending. */
bool db_api_record_auditors(struct db *db, uint64_t epoch, uint8_t (**out)[20], size_t *n,
			    struct err *e) WARN_UNUSED;

/* ---- for the pages (settle/web.h) ---- */

#define DB_API_AMOUNT_LEN 80 /* a uint256 in decimal, with its NUL */

/* What finalizeEpoch paid in one epoch, summed over node_scores. Amounts in wei. */
struct db_api_epoch_total {
	uint64_t epoch, nodes, penalized;
	char reward[DB_API_AMOUNT_LEN], slashed[DB_API_AMOUNT_LEN];
};
/* Epochs from..to that have node scores, ascending. */
bool db_api_epoch_totals(struct db *db, uint64_t from, uint64_t to,
			 struct db_api_epoch_total **out, size_t *n, struct err *e) WARN_UNUSED;

/* A member of the newest committee recorded (committee_members), with its result in the
 * newest scored epoch (node_scores) when it has one. */
struct db_api_member {
	uint64_t epoch, scored_epoch;
	uint8_t node[20];
	uint64_t position, shards;
	bool has_score, penalized;
	char median[DB_API_AMOUNT_LEN], reward[DB_API_AMOUNT_LEN], slashed[DB_API_AMOUNT_LEN];
};
/* The members in committee order; none when no committee is recorded. */
bool db_api_members(struct db *db, struct db_api_member **out, size_t *n,
		    struct err *e) WARN_UNUSED;

/* How a node's decided challenges (last attempt of each seq) ended, per epoch, auditor and
 * outcome, over epochs from..to. */
struct db_api_outcome {
	uint64_t epoch;
	uint8_t auditor[20];
	char outcome[16];
	uint64_t count;
};
bool db_api_node_outcomes(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			  struct db_api_outcome **out, size_t *n, struct err *e) WARN_UNUSED;

#endif
