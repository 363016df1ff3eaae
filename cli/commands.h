/* commands.h: the command tables of each group, one file per group in cli/. */
#ifndef ASSAY_CLI_COMMANDS_H
#define ASSAY_CLI_COMMANDS_H

#include <stdio.h>

#include "core/cli.h"

/* Each table ends with a row whose run is NULL. */
extern const struct command db_commands[];
extern const struct command chain_commands[];
extern const struct command chain_rpc_commands[];
extern const struct command blob_commands[];
extern const struct command node_commands[];
extern const struct command audit_commands[];
extern const struct command audit_run_commands[];
extern const struct command blob_io_commands[];
extern const struct command settle_commands[];
extern const struct command views_commands[];
extern const struct command dispute_commands[];
extern const struct command api_commands[];
extern const struct command chain_deploy_commands[];
extern const struct command epoch_commands[];
extern const struct command stake_commands[];
extern const struct command blob_chain_commands[];
extern const struct command gateway_commands[];

/* The settings tables of the layers, NULL-terminated (cli/settings_tables.c). */
extern const struct opt *const settings_tables[];

/* Whether a setting belongs in a command's --help (cli/settings_help.c). */
bool settings_relevant(const struct command *cmd, const struct opt *o);

#endif
