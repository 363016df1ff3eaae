/* main.c: the assay program: its command tables and settings tables, handed to
 * cli_main (core/cli.h), which finds the subcommand and runs it. */
#include <stdlib.h>

#include "audit/settings.h"
#include "chain/settings.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/log.h"
#include "gateway/settings.h"
#include "node/settings.h"
#include "settle/settings.h"
#include "sql/db.h"

#ifndef ASSAY_VERSION
#define ASSAY_VERSION "dev"
#endif

static const struct command *const tables[] = {
	db_commands,
	chain_commands,
	chain_rpc_commands,
	blob_commands,
	node_commands,
	audit_commands,
	audit_run_commands,
	blob_io_commands,
	settle_commands,
	views_commands,
	dispute_commands,
	api_commands,
	chain_deploy_commands,
	epoch_commands,
	stake_commands,
	blob_chain_commands,
	gateway_commands,
};

/* The settings each layer reads (flags, ASSAY_* variables, --config FILE), in the order
 * --help lists them. */
static const struct opt *const settings_tables[] = {
	log_settings_table,
	db_settings_table,
	chain_settings_table,
	audit_settings_table,
	chain_deploy_settings_table,
	settle_api_settings_table,
	settle_settings_table,
	node_settings_table,
	gateway_settings_table,
};

/* The order commands are listed in: from the chain up to what users look at. */
static const char *const group_order[] = {"db", "chain", "epoch", "stake", "blob", "node",
					  "audit", "settle", "evidence", "api",
					  "gateway"};

int main(int argc, char **argv)
{
	for (size_t t = 0; t < ARRAY_LEN(settings_tables); t++)
		config_register(settings_tables[t]);
	cli_set_help_filter(settings_relevant);
	atexit(config_free_all);
	const struct cli_program program = {
		.about = "the audit and settlement layer of a Walrus-style storage network",
		.version = ASSAY_VERSION,
		.tables = tables,
		.ntables = ARRAY_LEN(tables),
		.group_order = group_order,
		.ngroups = ARRAY_LEN(group_order),
		/* Provider and explorer views stand beside the settle job. */
		.views_after = "settle",
	};
	return cli_main(&program, argc, argv);
}
