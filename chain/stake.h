/* stake.h: storage nodes and their delegators on the Staking contract (`assay stake`):
 * the transactions (register a node, delegate, undelegate, withdraw, claim commission)
 * and the status: each node's key, endpoint, commission, whether it is active, its pool
 * stake now and for the next committee; and one delegator's position on a node. Stake
 * takes effect from the next epoch; a withdrawal pays out once every epoch it was staked
 * in is settled. */
#ifndef ASSAY_CHAIN_STAKE_H
#define ASSAY_CHAIN_STAKE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "chain/u256.h"
#include "core/util.h"

struct chain_bind;
struct chain_receipt;
struct chain_session;
struct err;
struct json_t;

enum chain_stake_op {
	CHAIN_STAKE_REGISTER,   /* registerNode: the key's address becomes a node */
	CHAIN_STAKE_DELEGATE,   /* delegate: tokens join node's pool */
	CHAIN_STAKE_UNDELEGATE, /* requestWithdrawal of shares from node */
	CHAIN_STAKE_WITHDRAW,   /* withdraw: pay out node's settled withdrawals */
	CHAIN_STAKE_CLAIM,      /* claimCommission: the operator's */
};
struct chain_stake_req {
	enum chain_stake_op op;
	uint8_t node[20];         /* delegate, undelegate, withdraw */
	uint8_t node_key[20];     /* register: signs storage confirmations */
	const char *endpoint;     /* register: the node's REST API */
	uint16_t commission_bps;  /* register */
	struct chain_u256 amount; /* register, delegate: tokens; undelegate: shares */
	bool all;                 /* undelegate: every active share (amount unused) */
};
/* Sends r from s's key: register and delegate approve the token first when the allowance
 * is short; undelegate with all reads the key's position first. purpose is recorded with
 * the transaction; *rcpt is its receipt (the caller clears it). */
bool chain_stake_send(struct chain_session *s, const struct chain_stake_req *r,
		      const char *purpose, struct chain_receipt *rcpt, struct err *e) WARN_UNUSED;

/* {"nodes":[...]} for node (NULL: every candidate), with "position" of delegator on node
 * when delegator is given (it needs node). Amounts are decimal strings, addresses in
 * checksum form. *out is the caller's. */
bool chain_stake_status_json(struct chain_bind *b, const uint8_t *node, const uint8_t *delegator,
			     struct json_t **out, struct err *e) WARN_UNUSED;

/* The same as text, one line per node and one for the position. */
void chain_stake_status_print(FILE *f, const struct json_t *status);

#endif
