/* main.c: the assay program: finds the subcommand and hands over to it. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static void usage_line(FILE *f, const struct command *c)
{
	char name[64];
	snprintf(name, sizeof(name), "%s%s%s", c->group ? c->group : "",
		 c->group && c->name ? " " : "", c->name ? c->name : "");
	fprintf(f, "  %-22s %s\n", name, c->summary);
}

static bool group_listed(const char *group)
{
	for (size_t g = 0; g < ARRAY_LEN(group_order); g++)
		if (!strcmp(group, group_order[g]))
			return true;
	return false;
}

static void usage(FILE *f)
{
	fprintf(f, "assay %s: the audit and settlement layer of a Walrus-style storage network\n\n"
		   "Usage: assay COMMAND [SUBCOMMAND] [OPTIONS]\n\nCommands:\n",
		ASSAY_VERSION);
	for (size_t g = 0; g < ARRAY_LEN(group_order); g++) {
		for (size_t t = 0; t < ARRAY_LEN(tables); t++)
			for (const struct command *c = tables[t]; c->run; c++)
				if (c->group && !strcmp(c->group, group_order[g]))
					usage_line(f, c);
		/* Provider and explorer views stand beside the settle job. */
		if (!strcmp(group_order[g], "settle"))
			for (size_t t = 0; t < ARRAY_LEN(tables); t++)
				for (const struct command *c = tables[t]; c->run; c++)
					if (!c->group)
						usage_line(f, c);
	}
	for (size_t t = 0; t < ARRAY_LEN(tables); t++)
		for (const struct command *c = tables[t]; c->run; c++)
			if (c->group && !group_listed(c->group))
				usage_line(f, c);
	fprintf(f, "\nRun 'assay COMMAND [SUBCOMMAND] --help' for the options and an example.\n"
		   "Settings come from flags, ASSAY_* environment variables and --config FILE.\n");
}

static const struct command *find(const char *group, const char *name)
{
	for (size_t t = 0; t < ARRAY_LEN(tables); t++)
		for (const struct command *c = tables[t]; c->run; c++) {
			if (c->group && group && !strcmp(c->group, group) && c->name && name &&
			    !strcmp(c->name, name))
				return c;
			if (!c->group && c->name && group && !strcmp(c->name, group) && !name)
				return c;
		}
	return NULL;
}

static bool group_exists(const char *group)
{
	for (size_t t = 0; t < ARRAY_LEN(tables); t++)
		for (const struct command *c = tables[t]; c->run; c++)
			if (c->group && !strcmp(c->group, group))
				return true;
	return false;
}

static void group_usage(FILE *f, const char *group)
{
	fprintf(f, "Usage: assay %s SUBCOMMAND [OPTIONS]\n\nSubcommands:\n", group);
	for (size_t t = 0; t < ARRAY_LEN(tables); t++)
		for (const struct command *c = tables[t]; c->run; c++)
			if (c->group && !strcmp(c->group, group))
				fprintf(f, "  %-14s %s\n", c->name, c->summary);
	fprintf(f, "\nRun 'assay %s SUBCOMMAND --help' for its options and an example.\n", group);
}

int main(int argc, char **argv)
{
	for (size_t t = 0; t < ARRAY_LEN(settings_tables); t++)
		config_register(settings_tables[t]);
	cli_set_help_filter(settings_relevant);
	atexit(config_free_all);

	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	const char *first = argv[1];
	if (!strcmp(first, "--help") || !strcmp(first, "-h") || !strcmp(first, "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(first, "--version") || !strcmp(first, "version")) {
		printf("assay %s\n", ASSAY_VERSION);
		return EXIT_OK;
	}
	if (first[0] == '-') {
		fprintf(stderr, "assay: unknown option '%s'\nTry 'assay --help'.\n", first);
		return EXIT_USAGE;
	}

	/* A top-level command ("assay payouts ...") takes argv from its name on. */
	const struct command *cmd = find(first, NULL);
	if (cmd)
		return cmd->run(cmd, argc - 1, argv + 1);

	if (!group_exists(first)) {
		fprintf(stderr, "assay: unknown command '%s'\nTry 'assay --help'.\n", first);
		return EXIT_USAGE;
	}
	if (argc < 3 || !strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")) {
		group_usage(argc < 3 ? stderr : stdout, first);
		return argc < 3 ? EXIT_USAGE : EXIT_OK;
	}
	cmd = find(first, argv[2]);
	if (!cmd) {
		fprintf(stderr, "assay %s: unknown subcommand '%s'\nTry 'assay %s --help'.\n", first,
			argv[2], first);
		return EXIT_USAGE;
	}
	return cmd->run(cmd, argc - 2, argv + 2);
}

volatile sig_atomic_t commands_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	commands_stop = 1;
}

void commands_catch_stop(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

void commands_parse(const struct command *cmd, const struct opt *local, int argc, char **argv,
		    int min_pos, int max_pos, char ***pos, int *npos)
{
	cli_parse(cmd, local, argc, argv, min_pos, max_pos, pos, npos);
	if (!log_settings_apply(cli_name(cmd)))
		exit(EXIT_USAGE);
	if (cmd->group)
		log_set_component(cmd->group);
}
