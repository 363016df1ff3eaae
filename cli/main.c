/* main.c: the assay program: its command tables and settings tables, handed to
 * cli_main (core/cli.h), which finds the subcommand and runs it. */
#include <stdlib.h>

#include "cli/commands.h"
#include "core/config.h"

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

/* The order commands are listed in: from the chain up to what users look at. */
static const char *const group_order[] = {"db", "chain", "epoch", "stake", "blob", "node",
					  "audit", "settle", "evidence", "api",
					  "gateway"};

int main(int argc, char **argv)
{
	for (const struct opt *const *t = settings_tables; *t; t++)
		config_register(*t);
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
