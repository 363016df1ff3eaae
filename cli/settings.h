/* settings.h: the program-wide settings table (database, chain, logging, ...).
 *
 * Modules below the CLI take their configuration as explicit arguments; this table is the
 * one place where defaults, the config file, ASSAY_* variables and flags are declared.
 * Add a setting by adding a field here and a row in settings.c. */
#ifndef ASSAY_CLI_SETTINGS_H
#define ASSAY_CLI_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

struct settings {
	/* core */
	const char *log_level;
	const char *log_format;
	/* database */
	const char *db;
	uint64_t db_connect_timeout_s;
	/* chain */
	const char *rpc_url;
	const char *deployment;
	uint64_t rpc_timeout_ms;
	/* sender (chain/sender.h: assay chain send, the settle job's submissions) */
	uint64_t fee_cap_gwei;
	uint64_t min_tip_gwei;
	uint64_t confirmations;
	uint64_t stuck_after_s;
};

extern struct settings settings;
extern const struct opt settings_table[];

/* Validates and applies logging settings; prints one sentence and returns false if wrong. */
bool settings_apply_logging(const char *cmdname);

#endif
