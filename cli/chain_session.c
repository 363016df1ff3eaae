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

static void release_db(void *db)
{
	db_close(db);
}

bool cli_store_open(void *memory_warning, struct chain_session *s, struct err *e)
{
	if (!(settings.db && *settings.db)) {
		log_warn("%s", memory_warning ? (const char *)memory_warning
					      : "no --db: signed transactions are kept in memory "
						"only, so a crash would lose track of them");
		return true;
	}
	struct db *db = NULL;
	if (!db_open_current(&db, settings.db, (unsigned)settings.db_connect_timeout_s, e))
		return false;
	s->store_owner = db;
	s->store_release = release_db;
	db_txstore_init(&s->store, db);
	return true;
}

void cli_sender_cfg(struct chain_sender_cfg *c)
{
	chain_sender_cfg_defaults(c);
	c->confirmations = settings.confirmations;
	c->stuck_after_s = settings.stuck_after_s;
	c->fee_cap = settings.fee_cap_gwei * 1000000000ull;
	c->min_tip = settings.min_tip_gwei * 1000000000ull;
}

bool cli_chain_session_open(struct chain_session *s, const struct chain_session_opts *o,
			    bool with_key, bool with_deployment, struct err *e)
{
	struct chain_session_cfg c = {
		.rpc_url = settings.rpc_url,
		.rpc_timeout_ms = (unsigned)settings.rpc_timeout_ms,
		.rpc_retries = 3,
		.deployment = with_deployment ? settings.deployment : NULL,
		.with_key = with_key,
		.key_file = o->key_file,
		.key_env = o->key_env,
		.contracts_dir = o->contracts_dir,
		.open_store = cli_store_open,
	};
	cli_sender_cfg(&c.sender);
	c.sender.wait_timeout_ms = 600000;
	return chain_session_open(s, &c, e);
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

void chain_session_print_json(json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT);
	printf("%s\n", t ? t : "null");
	free(t);
	json_decref(j);
}
