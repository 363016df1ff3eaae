/* chain_session.c: shared plumbing of the contract commands (see chain_session.h). */
#include "cli/chain_session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/settings.h"
#include "chain/u256.h"
#include "core/cli.h"
#include "core/err.h"
#include "sql/txstore.h"

bool cli_chain_session_open(struct chain_session *s, const struct chain_session_opts *o,
			    bool with_key, bool with_deployment, struct err *e)
{
	struct chain_session_cfg c;
	chain_session_cfg_from_settings(&c, with_deployment);
	c.with_key = with_key;
	c.key_file = o->key_file;
	c.key_env = o->key_env;
	c.contracts_dir = o->contracts_dir;
	c.open_store = db_txstore_open_settings;
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
