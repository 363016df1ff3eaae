/* chain_session.c: shared plumbing of the contract commands (see chain_session.h). */
#include "cli/chain_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/key.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "chain/u256.h"
#include "cli/settings.h"
#include "core/cli.h"
#include "core/err.h"
#include "core/log.h"
#include "sql/db.h"
#include "sql/txstore.h"

bool chain_session_open(struct chain_session *s, const struct chain_session_opts *o,
			bool with_key, bool with_deployment, struct err *e)
{
	memset(s, 0, sizeof(*s));
	struct chain_rpc_opts ro = {.timeout_ms = (unsigned)settings.rpc_timeout_ms, .retries = 3};
	if (!chain_rpc_new(&s->rpc, settings.rpc_url, &ro, e))
		return false;
	if (with_deployment) {
		if (!chain_deployment_load(settings.deployment, &s->dep, e))
			return false;
		uint64_t id;
		if (!chain_rpc_chain_id(s->rpc, &id, e))
			return false;
		if (id != s->dep.chain_id)
			return err_set(e, "%s is a deployment on chain %llu, but %s is chain %llu",
				       settings.deployment, (unsigned long long)s->dep.chain_id,
				       settings.rpc_url, (unsigned long long)id);
	}
	if (with_key) {
		if (!o->key_file == !o->key_env)
			return err_set(e, "give exactly one of --key-file FILE and --key-env VAR");
		if (!(o->key_file ? chain_key_from_file(&s->key, o->key_file, e)
				  : chain_key_from_env(&s->key, o->key_env, e)))
			return false;
		chain_key_address(s->key, s->me);
		if (settings.db && *settings.db) {
			int version = 0;
			if (!db_open(&s->db, settings.db, (unsigned)settings.db_connect_timeout_s, e) ||
			    !db_schema_version(s->db, &version, e))
				return false;
			if (version < db_latest_version())
				return err_set(e, "the database schema is at version %d, not %d: run "
						  "'assay db migrate' first",
					       version, db_latest_version());
			db_txstore_init(&s->store, s->db);
		} else {
			log_warn("no --db: signed transactions are kept in memory only, so a crash "
				 "would lose track of them");
			chain_txstore_memory_new(&s->store);
			s->memstore = true;
		}
		struct chain_sender_cfg cfg;
		chain_sender_cfg_defaults(&cfg);
		cfg.confirmations = settings.confirmations;
		cfg.stuck_after_s = settings.stuck_after_s;
		cfg.fee_cap = settings.fee_cap_gwei * 1000000000ull;
		cfg.min_tip = settings.min_tip_gwei * 1000000000ull;
		cfg.wait_timeout_ms = 600000;
		if (!chain_sender_new(&s->sender, s->rpc, s->key, &s->store, &cfg, e))
			return false;
	}
	return chain_bind_new(&s->bind, s->rpc, s->sender, with_deployment ? &s->dep : NULL,
			      o->contracts_dir, e);
}

void chain_session_close(struct chain_session *s)
{
	chain_bind_free(s->bind);
	chain_sender_free(s->sender);
	if (s->memstore)
		chain_txstore_memory_free(&s->store);
	db_close(s->db);
	chain_key_free(s->key);
	chain_rpc_free(s->rpc);
	memset(s, 0, sizeof(*s));
}

void chain_session_amount(const struct command *cmd, const char *flag, const char *text,
			  struct chain_u256 *out)
{
	struct err e = {{0}};
	if (!text)
		cli_usage_error(cmd, "%s is required", flag);
	if (!chain_u256_parse(out, text, &e))
		cli_usage_error(cmd, "%s: %s", flag, e.msg);
}

void chain_session_address(const struct command *cmd, const char *flag, const char *text,
			   uint8_t out[20])
{
	struct err e = {{0}};
	if (!text)
		cli_usage_error(cmd, "%s is required", flag);
	if (!chain_address_parse(out, text, &e))
		cli_usage_error(cmd, "%s: %s", flag, e.msg);
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

void chain_session_print_json(json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT);
	printf("%s\n", t ? t : "null");
	free(t);
	json_decref(j);
}

json_t *chain_session_addr_json(const uint8_t a[20])
{
	char x[43];
	chain_address_checksum(x, a);
	return json_string(x);
}
