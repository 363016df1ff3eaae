/* stake.c: nodes and delegators on Staking (see stake.h). */
#include "chain/stake.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/session.h"
#include "chain/u256.h"
#include "core/err.h"

bool chain_stake_send(struct chain_session *s, const struct chain_stake_req *r,
		      const char *purpose, struct chain_receipt *rcpt, struct err *e)
{
	static const char *const sigs[] = {
		[CHAIN_STAKE_REGISTER] = "registerNode(address,string,uint16,uint256)",
		[CHAIN_STAKE_DELEGATE] = "delegate(address,uint256)",
		[CHAIN_STAKE_UNDELEGATE] = "requestWithdrawal(address,uint256)",
		[CHAIN_STAKE_WITHDRAW] = "withdraw(address)",
		[CHAIN_STAKE_CLAIM] = "claimCommission()",
	};
	struct chain_u256 shares = r->amount;
	if (r->op == CHAIN_STAKE_UNDELEGATE && r->all) {
		struct chain_position p;
		if (!chain_staking_position(s->bind, r->node, s->me, &p, e))
			return false;
		shares = p.shares;
	}
	struct chain_abi_value *a = NULL;
	switch (r->op) {
	case CHAIN_STAKE_REGISTER:
		a = chain_abi_tuple_new();
		chain_abi_push(a, chain_abi_address_new(r->node_key));
		chain_abi_push(a, chain_abi_string_new(r->endpoint));
		chain_abi_push(a, chain_abi_uint_new(r->commission_bps));
		chain_abi_push(a, chain_abi_u256_new(&r->amount));
		break;
	case CHAIN_STAKE_DELEGATE:
	case CHAIN_STAKE_UNDELEGATE:
		a = chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_address_new(r->node)),
				   chain_abi_u256_new(r->op == CHAIN_STAKE_DELEGATE ? &r->amount : &shares));
		break;
	case CHAIN_STAKE_WITHDRAW:
		a = chain_abi_push(chain_abi_tuple_new(), chain_abi_address_new(r->node));
		break;
	case CHAIN_STAKE_CLAIM:
		break;
	}
	bool approve = r->op == CHAIN_STAKE_REGISTER || r->op == CHAIN_STAKE_DELEGATE;
	if (approve && !chain_session_approve(s, s->dep.staking, &r->amount, e)) {
		chain_abi_value_free(a);
		return false;
	}
	/* chain_bind_send takes a */
	return chain_bind_send(s->bind, s->dep.staking, sigs[r->op], a, purpose, rcpt, e);
}

static bool node_json(struct chain_bind *b, const uint8_t node[20], json_t **out, struct err *e)
{
	struct chain_node_info ni;
	bool found;
	*out = NULL;
	if (!chain_staking_node_info(b, node, &ni, &found, e))
		return false;
	if (!found) {
		char x[43];
		chain_address_checksum(x, node);
		return err_set(e, "%s is not a registered node", x);
	}
	*out = json_pack("{s:o,s:o,s:s,s:I,s:b,s:o,s:o}", "node", chain_address_json(ni.node),
			 "node_key", chain_address_json(ni.node_key), "endpoint", ni.endpoint,
			 "commission_bps", (json_int_t)ni.commission_bps, "active", ni.active,
			 "stake", chain_u256_json(&ni.stake), "next_stake",
			 chain_u256_json(&ni.next_stake));
	chain_node_info_clear(&ni);
	return true;
}

/* node, or every candidate, appended to nodes. */
static bool nodes_json(struct chain_bind *b, const uint8_t *node, json_t *nodes, struct err *e)
{
	json_t *j = NULL;
	if (node) {
		if (!node_json(b, node, &j, e))
			return false;
		json_array_append_new(nodes, j);
		return true;
	}
	uint8_t(*cand)[20] = NULL;
	size_t n = 0;
	if (!chain_staking_candidates(b, &cand, &n, e))
		return false;
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		ok = node_json(b, cand[i], &j, e);
		if (ok)
			json_array_append_new(nodes, j);
	}
	free(cand);
	return ok;
}

bool chain_stake_status_json(struct chain_bind *b, const uint8_t *node, const uint8_t *delegator,
			     json_t **out, struct err *e)
{
	*out = NULL;
	json_t *nodes = json_array();
	if (!nodes_json(b, node, nodes, e)) {
		json_decref(nodes);
		return false;
	}
	json_t *j = json_pack("{s:o}", "nodes", nodes);
	if (delegator) {
		struct chain_position p;
		if (!chain_staking_position(b, node, delegator, &p, e)) {
			json_decref(j);
			return false;
		}
		json_object_set_new(j, "position",
				    json_pack("{s:o,s:o,s:o,s:o,s:o}", "delegator",
					      chain_address_json(delegator), "shares",
					      chain_u256_json(&p.shares), "claimable",
					      chain_u256_json(&p.claimable), "pending",
					      chain_u256_json(&p.pending), "withdrawing_shares",
					      chain_u256_json(&p.withdrawing_shares)));
	}
	*out = j;
	return true;
}

static const char *str(const json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

void chain_stake_status_print(FILE *f, const json_t *status)
{
	size_t i;
	json_t *n;
	json_array_foreach(json_object_get(status, "nodes"), i, n)
		fprintf(f, "%s  key %s  %s  commission %" PRId64 " bps  %s  stake %s  next %s\n",
			str(n, "node"), str(n, "node_key"), str(n, "endpoint"),
			(int64_t)json_integer_value(json_object_get(n, "commission_bps")),
			json_is_true(json_object_get(n, "active")) ? "active" : "inactive",
			str(n, "stake"), str(n, "next_stake"));
	json_t *p = json_object_get(status, "position");
	if (p)
		fprintf(f, "position of %s: %s shares, %s claimable, %s pending, %s shares "
			   "withdrawing\n",
			str(p, "delegator"), str(p, "shares"), str(p, "claimable"), str(p, "pending"),
			str(p, "withdrawing_shares"));
}
