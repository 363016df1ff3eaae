/* config.h: one declarative table per module drives defaults, the config file,
 * environment variables and command-line flags (PgBouncer's bouncer_params[]).
 *
 * Precedence, lowest first: the option's default, the config file (--config FILE or
 * ASSAY_CONFIG), the environment (ASSAY_<NAME>, dashes as underscores, upper case), flags.
 * Only options marked `config` are read from the file and the environment; the rest are
 * flags of one command. A wrong value anywhere is one sentence naming where it came from. */
#ifndef ASSAY_CORE_CONFIG_H
#define ASSAY_CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "util.h"

struct err;

enum opt_type {
	OPT_STRING, /* const char ** */
	OPT_U64,    /* uint64_t * (decimal or 0x hex) */
	OPT_DOUBLE, /* double * */
	OPT_BOOL,   /* bool *: "--name" sets true, "--name=false" clears */
	OPT_LIST,   /* struct strlist *: each use appends */
};

struct strlist {
	const char **v;
	size_t n;
};

struct opt {
	const char *name;     /* long flag without "--"; also the config file key */
	char short_name;      /* 0 for none */
	enum opt_type type;
	void *dst;
	const char *metavar;  /* "URL", "N", ... (NULL for OPT_BOOL) */
	const char *help;
	const char *def;      /* default as text, or NULL */
	bool config;          /* also settable from the config file and environment */
};

#define OPT_END {NULL, 0, OPT_STRING, NULL, NULL, NULL, NULL, false}

/* Register a module's table of config options (called once from main, before parsing). */
void config_register(const struct opt *table);
/* Apply defaults of every registered table and the given local table. */
bool config_apply_defaults(const struct opt *local, struct err *e) WARN_UNUSED;
/* Load KEY = VALUE lines ('#' comments) into registered options marked config. */
bool config_load_file(const char *path, struct err *e) WARN_UNUSED;
/* The same on an open stream; PATH names it in errors (the file parser, fuzzed alone). */
bool config_load_stream(FILE *f, const char *path, struct err *e) WARN_UNUSED;
/* Read ASSAY_<NAME> variables for registered options marked config. */
bool config_load_env(struct err *e) WARN_UNUSED;
/* Set one option from text; `source` names where it came from for the error message. */
bool config_set(const struct opt *o, const char *value, const char *source, struct err *e) WARN_UNUSED;
/* Find an option by long name among the local table and the registered tables. */
const struct opt *config_find(const struct opt *local, const char *name);
const struct opt *config_find_short(const struct opt *local, char c);
/* Registered tables, for --help. NULL-terminated. */
const struct opt *const *config_tables(void);
/* Frees every string the config layer copied (call once at exit). */
void config_free_all(void);
/* Copy a string whose lifetime is the config's (freed by config_free_all). */
const char *config_strdup(const char *s);

#endif
