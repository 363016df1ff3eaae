/* stake_status.h: the Staking contract's view of nodes and delegators, as `assay stake
 * status` prints it: each node's key, endpoint, commission, whether it is active, its
 * pool stake now and for the next committee; and one delegator's position on a node. */
#ifndef ASSAY_CHAIN_STAKE_STATUS_H
#define ASSAY_CHAIN_STAKE_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "core/util.h"

struct chain_bind;
struct err;
struct json_t;

/* {"nodes":[...]} for node (NULL: every candidate), with "position" of delegator on node
 * when delegator is given (it needs node). Amounts are decimal strings, addresses in
 * checksum form. *out is the caller's. */
bool chain_stake_status_json(struct chain_bind *b, const uint8_t *node, const uint8_t *delegator,
			     struct json_t **out, struct err *e) WARN_UNUSED;

/* The same as text, one line per node and one for the position. */
void chain_stake_status_print(FILE *f, const struct json_t *status);

#endif
