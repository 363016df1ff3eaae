/* node_scores.h: the chain's NodeScored results kept in PostgreSQL (table node_scores):
 * per epoch and node, the median score, the reward and the penalty that finalizeEpoch
 * paid. The settle job and `assay payouts` fill it when they read the events; the API
 * serves it. The chain stays the truth: a row is replaced when read again. */
#ifndef ASSAY_SQL_NODE_SCORES_H
#define ASSAY_SQL_NODE_SCORES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct err;
struct db;

#define DB_AMOUNT_LEN 80 /* a uint256 in decimal, with its NUL */

struct db_node_score {
	uint64_t epoch;
	uint8_t node[20];
	char median_score[DB_AMOUNT_LEN]; /* decimal; 1e18 = every challenge passed */
	char reward[DB_AMOUNT_LEN];       /* wei, decimal */
	bool penalized;
	char slashed[DB_AMOUNT_LEN];      /* wei, decimal */
	uint8_t tx_hash[32];              /* the finalizeEpoch transaction */
};

/* Inserts or replaces the rows (one transaction). */
bool db_node_scores_save(struct db *db, const struct db_node_score *v, size_t n,
			 struct err *e) WARN_UNUSED;
/* A node's rows over epochs from..to, ascending. */
bool db_node_scores_get(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			struct db_node_score **out, size_t *n, struct err *e) WARN_UNUSED;

#endif
