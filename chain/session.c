/* session.c: open and close a session on a deployment (see session.h). */
#include "chain/session.h"

#include <string.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/key.h"
#include "chain/rpc.h"
#include "chain/u256.h"
#include "core/err.h"

bool chain_session_open(struct chain_session *s, const struct chain_session_cfg *c,
			struct err *e)
{
	memset(s, 0, sizeof(*s));
	struct chain_rpc_opts ro = {.timeout_ms = c->rpc_timeout_ms, .retries = c->rpc_retries};
	if (!chain_rpc_new(&s->rpc, c->rpc_url, &ro, e))
		return false;
	if (c->deployment) {
		if (!chain_deployment_load(c->deployment, &s->dep, e))
			return false;
		uint64_t id;
		if (!chain_rpc_chain_id(s->rpc, &id, e))
			return false;
		if (id != s->dep.chain_id)
			return err_set(e, "%s is a deployment on chain %llu, but %s is chain %llu",
				       c->deployment, (unsigned long long)s->dep.chain_id,
				       c->rpc_url, (unsigned long long)id);
	}
	if (c->with_key) {
		if (!c->key_file == !c->key_env)
			return err_set(e, "give exactly one of --key-file FILE and --key-env VAR");
		if (!chain_key_load(&s->key, c->key_file, c->key_env, e))
			return false;
		chain_key_address(s->key, s->me);
		if (c->open_store && !c->open_store(c->open_store_arg, s, e))
			return false;
		if (!s->store.ops) {
			chain_txstore_memory_new(&s->store);
			s->memstore = true;
		}
		if (!chain_sender_new(&s->sender, s->rpc, s->key, &s->store, &c->sender, e))
			return false;
	}
	return chain_bind_new(&s->bind, s->rpc, s->sender, c->deployment ? &s->dep : NULL,
			      c->contracts_dir, e);
}

void chain_session_close(struct chain_session *s)
{
	chain_bind_free(s->bind);
	chain_sender_free(s->sender);
	if (s->memstore)
		chain_txstore_memory_free(&s->store);
	if (s->store_release)
		s->store_release(s->store_owner);
	chain_key_free(s->key);
	chain_rpc_free(s->rpc);
	memset(s, 0, sizeof(*s));
}

bool chain_session_approve(struct chain_session *s, const uint8_t spender[20],
			   const struct chain_u256 *amount, struct err *e)
{
	struct chain_abi_value *r;
	struct chain_abi_value *args = chain_abi_push(
		chain_abi_push(chain_abi_tuple_new(), chain_abi_address_new(s->me)),
		chain_abi_address_new(spender));
	if (!chain_bind_call(s->bind, s->dep.token, "allowance(address,address)(uint256)", args, &r,
			     e))
		return false;
	struct chain_u256 have;
	bool ok = chain_abi_get_u256(chain_abi_at(r, 0), &have, e);
	chain_abi_value_free(r);
	if (!ok || chain_u256_cmp(&have, amount) >= 0)
		return ok;
	args = chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_address_new(spender)),
			      chain_abi_u256_new(amount));
	return chain_bind_send(s->bind, s->dep.token, "approve(address,uint256)", args,
			       "token approve", NULL, e);
}
