/* cli.h: subcommands, their flags and --help.
 *
 * Every command is one row in a module's table; `assay GROUP NAME --help` prints the
 * summary, usage, options and an example. Exit codes: 0 success, 1 the operation failed,
 * 2 the command line was wrong. */
#ifndef ASSAY_CORE_CLI_H
#define ASSAY_CORE_CLI_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include "util.h"

struct opt;

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct command {
	const char *group;   /* "chain"; NULL for top-level commands such as "payouts" */
	const char *name;    /* "keccak"; NULL for a group's default command */
	const char *summary; /* one line */
	const char *usage;   /* "[--text] INPUT" (after "assay GROUP NAME") */
	const char *details; /* longer text, or NULL */
	const char *example; /* one or more example lines */
	int (*run)(const struct command *cmd, int argc, char **argv);
};

/* The program: its command tables (each ends with a row whose run is NULL) and the order
 * `assay --help` lists the groups in; top-level commands (group NULL) are listed after
 * the group views_after, groups not in group_order last. */
struct cli_program {
	const char *about;   /* "the audit and settlement layer of ..." */
	const char *version;
	const struct command *const *tables;
	size_t ntables;
	const char *const *group_order;
	size_t ngroups;
	const char *views_after;
};

/* Finds the command of argv ("assay GROUP NAME ..." or "assay NAME ...") and runs it;
 * --help, --version, unknown commands and a group without a subcommand are answered
 * here. Returns the exit code. */
int cli_main(const struct cli_program *p, int argc, char **argv);

/* The servers' stop flag: cli_catch_stop() makes SIGINT and SIGTERM set it (and ignores
 * SIGPIPE, so a client that goes away is an error on its write, not a death). */
extern volatile sig_atomic_t cli_stop;
void cli_catch_stop(void);

/* Parse argv (argv[0] is the command) against the command's local options and the
 * registered config tables. Handles --help (prints and exits 0), --config FILE, the
 * environment and flags; positional arguments are returned in order. Prints a clear
 * message and exits 2 on a usage error. min_pos/max_pos bound the positionals
 * (max_pos < 0: unbounded). Then applies the logging settings (log_settings_apply) and
 * names the log's component after the command's group. */
void cli_parse(const struct command *cmd, const struct opt *local, int argc, char **argv,
	       int min_pos, int max_pos, char ***pos, int *npos);
/* Print the help of one command to stdout; `all` also lists the settings the help filter
 * says the command does not use. */
void cli_print_help(const struct command *cmd, const struct opt *local, bool all);
/* Which registered settings a command's --help lists (the rest: --help-all). Without a
 * filter every setting is listed. */
void cli_set_help_filter(bool (*relevant)(const struct command *cmd, const struct opt *o));
/* Print "assay GROUP NAME: message" and a hint to use --help, then exit 2. */
_Noreturn void cli_usage_error(const struct command *cmd, const char *fmt, ...) PRINTF_FMT(2, 3);
/* Report a failure (one sentence) to stderr, prefixed with the command; returns EXIT_FAIL. */
int cli_fail(const struct command *cmd, const char *fmt, ...) PRINTF_FMT(2, 3);
/* Full command name "assay chain keccak" (static storage). */
const char *cli_name(const struct command *cmd);

#endif
