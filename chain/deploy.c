/* deploy.c: a new deployment of the assay contracts (see deploy.h). */
#include "chain/deploy.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/deployment.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "chain/session.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"

/* The schedule's defaults (audit/schedule.h), fixed in Disputes at deployment. */
#define DEPLOY_SCHEDULE_MIN_PER_NODE 200
#define DEPLOY_SCHEDULE_PER_SHARD 2
#define DEPLOY_SCHEDULE_BATCH_SIZE 16

/* "ID:SIGNER[:PAYEE]" */
bool chain_deploy_parse_auditor(const char *text, const uint8_t deflt_payee[20],
				struct chain_deploy_auditor *a, struct err *e)
{
	char buf[200];
	snprintf(buf, sizeof(buf), "%s", text);
	char *c1 = strchr(buf, ':');
	if (!c1)
		return err_set(e, "auditor '%s' is not ID:SIGNER[:PAYEE]", text);
	*c1 = '\0';
	char *c2 = strchr(c1 + 1, ':');
	if (c2)
		*c2 = '\0';
	uint64_t id;
	if (!parse_u64(buf, &id) || id > 255)
		return err_set(e, "auditor '%s': the id must be 0 to 255", text);
	a->id = (uint8_t)id;
	if (!chain_address_parse(a->signer, c1 + 1, e))
		return err_prefix(e, "auditor '%s' signer: ", text);
	if (c2) {
		if (!chain_address_parse(a->payee, c2 + 1, e))
			return err_prefix(e, "auditor '%s' payee: ", text);
	} else {
		memcpy(a->payee, deflt_payee, 20);
	}
	return true;
}

/* Deploys `name` with constructor args (stolen); *addr receives its address. */
static bool deploy_one(struct chain_session *s, const char *contracts_dir, const char *name,
		       struct chain_abi_value *args, uint8_t addr[20], uint64_t *block,
		       struct err *e)
{
	struct chain_compiled *c = NULL;
	struct buf code = BUF_INIT;
	struct chain_receipt rcpt;
	memset(&rcpt, 0, sizeof(rcpt));
	bool ok = false;
	if (!chain_compiled_load(name, contracts_dir, &c, e))
		goto out;
	buf_append(&code, c->bytecode.data, c->bytecode.len);
	if (!chain_abi_encode(c->ctor->inputs, args, &code, e)) {
		err_prefix(e, "%s constructor arguments: ", name);
		goto out;
	}
	char purpose[64];
	snprintf(purpose, sizeof(purpose), "deploy %s", name);
	if (!chain_bind_send_data(s->bind, NULL, code.data, code.len, purpose, &rcpt, e))
		goto out;
	if (!rcpt.has_contract) {
		err_set(e, "deploying %s: the receipt names no contract address", name);
		goto out;
	}
	memcpy(addr, rcpt.contract_address, 20);
	if (block)
		*block = rcpt.block_number;
	char a[43];
	chain_address_checksum(a, addr);
	log_info("deployed %s at %s (block %" PRIu64 ")", name, a, rcpt.block_number);
	ok = true;
out:
	chain_abi_value_free(args);
	chain_receipt_clear(&rcpt);
	chain_compiled_free(c);
	buf_free(&code);
	return ok;
}

static struct chain_abi_value *addr_list1(const uint8_t a[20])
{
	return chain_abi_push(chain_abi_array_new(), chain_abi_address_new(a));
}

/* The token (unless one is given) and the timelock; *first_block is the first block. */
static bool deploy_token_timelock(struct chain_session *s, const struct chain_deploy_params *p,
				  struct chain_deployment *d, uint64_t *first_block, struct err *e)
{
	if (p->has_token) {
		memcpy(d->token, p->token, 20);
	} else {
		if (d->chain_id != 31337 && d->chain_id != 1337)
			log_warn("deploying a TestToken (anyone may mint) on chain %" PRIu64
				 ": give --token ADDR for a real network",
				 d->chain_id);
		struct chain_abi_value *a = chain_abi_tuple_new();
		chain_abi_push(a, chain_abi_string_new("Assay Test"));
		chain_abi_push(a, chain_abi_string_new("TST"));
		if (!deploy_one(s, p->contracts_dir, "TestToken", a, d->token, first_block, e))
			return false;
	}
	/* The timelock: governance proposes, anyone executes once the delay has passed. */
	static const uint8_t zero[20];
	struct chain_abi_value *a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_uint_new(p->timelock_delay_s));
	chain_abi_push(a, addr_list1(p->governance));
	chain_abi_push(a, addr_list1(zero));
	chain_abi_push(a, chain_abi_address_new(zero));
	uint64_t blk;
	if (!deploy_one(s, p->contracts_dir, "AssayTimelock", a, d->timelock, &blk, e))
		return false;
	if (!*first_block)
		*first_block = blk;
	return true;
}

/* Staking, Settlement, BlobRegistry and Disputes, owned by the deployer while it wires
 * them. */
static bool deploy_core(struct chain_session *s, const struct chain_deploy_params *p,
			struct chain_deployment *d, struct err *e)
{
	struct chain_abi_value *a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_address_new(d->token));
	chain_abi_push(a, chain_abi_address_new(s->me));
	chain_abi_push(a, chain_abi_address_new(p->guardian));
	chain_abi_push(a, chain_abi_uint_new(p->n_shards));
	chain_abi_push(a, chain_abi_uint_new(p->committee_cap));
	chain_abi_push(a, chain_abi_uint_new(p->max_candidates));
	chain_abi_push(a, chain_abi_uint_new(p->epoch_duration_s));
	chain_abi_push(a, chain_abi_u256_new(&p->min_stake));
	chain_abi_push(a, chain_abi_uint_new(p->max_shard_moves));
	chain_abi_push(a, chain_abi_uint_new(p->drift_bound_bps));
	chain_abi_push(a, chain_abi_uint_new(p->seed_delay));
	if (!deploy_one(s, p->contracts_dir, "Staking", a, d->staking, NULL, e))
		return false;
	struct chain_abi_value *params = chain_abi_tuple_new();
	chain_abi_push(params, chain_abi_uint_new(p->r0_bps));
	chain_abi_push(params, chain_abi_uint_new(p->penalty_bps));
	chain_abi_push(params, chain_abi_uint_new(p->slash_bps));
	chain_abi_push(params, chain_abi_uint_new(p->auditor_bps));
	chain_abi_push(params, chain_abi_uint_new(p->auditor_fa));
	chain_abi_push(params, chain_abi_uint_new(p->commit_window_s));
	chain_abi_push(params, chain_abi_uint_new(p->reveal_window_s));
	chain_abi_push(params, chain_abi_uint_new(p->dispute_window_s));
	a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_address_new(d->token));
	chain_abi_push(a, chain_abi_address_new(d->staking));
	chain_abi_push(a, chain_abi_address_new(s->me));
	chain_abi_push(a, chain_abi_address_new(p->guardian));
	chain_abi_push(a, params);
	if (!deploy_one(s, p->contracts_dir, "Settlement", a, d->settlement, NULL, e))
		return false;
	a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_address_new(d->token));
	chain_abi_push(a, chain_abi_address_new(d->staking));
	chain_abi_push(a, chain_abi_address_new(d->settlement));
	chain_abi_push(a, chain_abi_address_new(s->me));
	chain_abi_push(a, chain_abi_address_new(p->guardian));
	chain_abi_push(a, chain_abi_u256_new(&p->price_per_mib));
	if (!deploy_one(s, p->contracts_dir, "BlobRegistry", a, d->blob_registry, NULL, e))
		return false;
	/* The fraud proofs; the schedule's min_per_node and per_shard are fixed on chain so
	 * that anyone can tell which node a challenge belongs to, its batch_size so that
	 * anyone can tell which ids a request held (audit/SCHEDULE.md). */
	a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_address_new(d->settlement));
	chain_abi_push(a, chain_abi_address_new(d->blob_registry));
	chain_abi_push(a, chain_abi_uint_new(p->min_per_node ? p->min_per_node
							 : DEPLOY_SCHEDULE_MIN_PER_NODE));
	chain_abi_push(a, chain_abi_uint_new(p->min_per_node ? p->per_shard
							 : DEPLOY_SCHEDULE_PER_SHARD));
	chain_abi_push(a, chain_abi_uint_new(p->batch_size ? p->batch_size
							   : DEPLOY_SCHEDULE_BATCH_SIZE));
	return deploy_one(s, p->contracts_dir, "Disputes", a, d->disputes, NULL, e);
}

/* Binds Settlement to Staking, BlobRegistry (reveals must name a certified evidence blob)
 * and Disputes (the fraud proofs), sets the bond and registers the auditors, each bonded
 * (auditors need the owner), then hands the three owned contracts to the timelock. */
static bool wire(struct chain_session *s, const struct chain_deploy_params *p,
		 const struct chain_deployment *d, struct err *e)
{
	if (!chain_bind_send(s->bind, d->staking, "bindSettlement(address)",
			     chain_abi_push(chain_abi_tuple_new(), chain_abi_address_new(d->settlement)),
			     "bind settlement", NULL, e) ||
	    !chain_bind_send(s->bind, d->settlement, "bindRegistry(address)",
			     chain_abi_push(chain_abi_tuple_new(),
					    chain_abi_address_new(d->blob_registry)),
			     "bind the evidence registry", NULL, e))
		return false;
	if (!chain_bind_send(s->bind, d->settlement, "bindDisputes(address)",
			     chain_abi_push(chain_abi_tuple_new(), chain_abi_address_new(d->disputes)),
			     "bind disputes", NULL, e))
		return false;
	bool bonded = !chain_u256_is_zero(&p->auditor_bond);
	if (bonded) {
		struct chain_abi_value *a = chain_abi_tuple_new();
		chain_abi_push(a, chain_abi_u256_new(&p->auditor_bond));
		chain_abi_push(a, chain_abi_uint_new(p->disputer_bps));
		if (!chain_bind_send(s->bind, d->settlement, "setBondParams(uint256,uint16)", a,
				     "set the auditor bond", NULL, e))
			return false;
	}
	for (size_t i = 0; i < p->nauditors; i++) {
		/* setAuditor activates only an auditor whose bond is in place */
		struct chain_abi_value *a;
		if (bonded && !p->has_token) {
			a = chain_abi_tuple_new();
			chain_abi_push(a, chain_abi_address_new(s->me));
			chain_abi_push(a, chain_abi_u256_new(&p->auditor_bond));
			if (!chain_bind_send(s->bind, d->token, "mint(address,uint256)", a,
					     "mint an auditor bond", NULL, e))
				return false;
		}
		if (bonded) {
			a = chain_abi_tuple_new();
			chain_abi_push(a, chain_abi_address_new(d->settlement));
			chain_abi_push(a, chain_abi_u256_new(&p->auditor_bond));
			struct chain_abi_value *pb = chain_abi_tuple_new();
			chain_abi_push(pb, chain_abi_uint_new(p->auditors[i].id));
			chain_abi_push(pb, chain_abi_u256_new(&p->auditor_bond));
			if (!chain_bind_send(s->bind, d->token, "approve(address,uint256)", a,
					     "approve an auditor bond", NULL, e) ||
			    !chain_bind_send(s->bind, d->settlement, "postBond(uint8,uint256)", pb,
					     "post an auditor bond", NULL, e))
				return false;
		}
		a = chain_abi_tuple_new();
		chain_abi_push(a, chain_abi_uint_new(p->auditors[i].id));
		chain_abi_push(a, chain_abi_address_new(p->auditors[i].signer));
		chain_abi_push(a, chain_abi_address_new(p->auditors[i].payee));
		chain_abi_push(a, chain_abi_bool_new(true));
		if (!chain_bind_send(s->bind, d->settlement, "setAuditor(uint8,address,address,bool)", a,
				     "set auditor", NULL, e))
			return false;
	}
	const uint8_t *owned[] = {d->staking, d->settlement, d->blob_registry};
	for (size_t i = 0; i < ARRAY_LEN(owned); i++)
		if (!chain_bind_send(s->bind, owned[i], "transferOwnership(address)",
				     chain_abi_push(chain_abi_tuple_new(),
						    chain_abi_address_new(d->timelock)),
				     "hand over to the timelock", NULL, e))
			return false;
	return true;
}

bool chain_deploy(struct chain_session *s, const struct chain_deploy_params *p,
		  struct chain_deployment *d, struct err *e)
{
	memset(d, 0, sizeof(*d));
	d->chain_id = chain_sender_chain_id(s->sender);
	d->n_shards = p->n_shards;
	memcpy(d->deployer, s->me, 20);
	uint64_t first_block = 0;
	if (!deploy_token_timelock(s, p, d, &first_block, e) || !deploy_core(s, p, d, e) ||
	    !wire(s, p, d, e))
		return false;
	d->start_block = first_block;
	return true;
}
