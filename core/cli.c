#include "cli.h"
#include "config.h"
#include "err.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_name(const struct command *cmd)
{
	static char name[128];
	snprintf(name, sizeof(name), "assay%s%s%s%s", cmd->group ? " " : "",
		 cmd->group ? cmd->group : "", cmd->name ? " " : "", cmd->name ? cmd->name : "");
	return name;
}

static void print_opt(const struct opt *o)
{
	char flag[96];
	if (o->type == OPT_BOOL)
		snprintf(flag, sizeof(flag), "%s%c%s--%s", o->short_name ? "-" : "",
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name);
	else
		snprintf(flag, sizeof(flag), "%s%c%s--%s %s", o->short_name ? "-" : "",
			 o->short_name ? o->short_name : ' ', o->short_name ? ", " : "  ", o->name,
			 o->metavar ? o->metavar : "VALUE");
	printf("  %-30s %s", flag + (o->short_name ? 0 : 1), o->help ? o->help : "");
	if (o->def && o->type != OPT_BOOL)
		printf(" (default: %s)", o->def);
	putchar('\n');
}

static bool (*help_filter)(const struct command *, const struct opt *);

void cli_set_help_filter(bool (*relevant)(const struct command *cmd, const struct opt *o))
{
	help_filter = relevant;
}

void cli_print_help(const struct command *cmd, const struct opt *local, bool all)
{
	size_t hidden = 0;
	printf("%s: %s\n\nUsage: %s %s\n", cli_name(cmd), cmd->summary, cli_name(cmd),
	       cmd->usage ? cmd->usage : "");
	if (cmd->details)
		printf("\n%s\n", cmd->details);
	if (local && local->name) {
		printf("\nOptions:\n");
		for (const struct opt *o = local; o->name; o++)
			print_opt(o);
	}
	printf("\nSettings (flag, config file key, or ASSAY_<NAME> in the environment):\n");
	printf("    %-28s %s\n", "--config FILE", "read settings from FILE (KEY = VALUE lines)");
	for (const struct opt *const *t = config_tables(); *t; t++)
		for (const struct opt *o = *t; o->name; o++) {
			if (!all && help_filter && !help_filter(cmd, o))
				hidden++;
			else
				print_opt(o);
		}
	printf("  %-30s %s\n", "-h, --help", "show this help");
	if (hidden)
		printf("  %-30s %s (%zu more)\n", "  --help-all",
		       "also list the settings of other commands", hidden);
	if (cmd->example)
		printf("\nExample:\n  %s\n", cmd->example);
}

void cli_usage_error(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cli_name(cmd));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry '%s --help' for more information.\n", cli_name(cmd));
	exit(EXIT_USAGE);
}

int cli_fail(const struct command *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cli_name(cmd));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAIL;
}

void cli_parse(const struct command *cmd, const struct opt *local, int argc, char **argv,
	       int min_pos, int max_pos, char ***pos_out, int *npos_out)
{
	struct err e = {{0}};
	const char *config_path = getenv("ASSAY_CONFIG");

	/* Pass 1: --help and --config, which decide what the rest means. */
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h") ||
		    !strcmp(argv[i], "--help-all")) {
			cli_print_help(cmd, local, !strcmp(argv[i], "--help-all"));
			exit(EXIT_OK);
		}
		if (!strcmp(argv[i], "--config")) {
			if (i + 1 >= argc)
				cli_usage_error(cmd, "--config needs a file name");
			config_path = argv[++i];
		} else if (!strncmp(argv[i], "--config=", 9)) {
			config_path = argv[i] + 9;
		}
	}

	if (!config_apply_defaults(local, &e))
		cli_usage_error(cmd, "%s", e.msg);
	if (config_path && *config_path && !config_load_file(config_path, &e)) {
		fprintf(stderr, "%s: %s\n", cli_name(cmd), e.msg);
		exit(EXIT_USAGE);
	}
	if (!config_load_env(&e)) {
		fprintf(stderr, "%s: %s\n", cli_name(cmd), e.msg);
		exit(EXIT_USAGE);
	}

	char **pos = xcalloc((size_t)argc + 1, sizeof(*pos));
	int npos = 0;
	bool only_pos = false;
	for (int i = 1; i < argc; i++) {
		char *a = argv[i];
		if (only_pos || a[0] != '-' || a[1] == '\0' || (a[1] >= '0' && a[1] <= '9')) {
			pos[npos++] = a;
			continue;
		}
		if (!strcmp(a, "--")) {
			only_pos = true;
			continue;
		}
		const struct opt *o = NULL;
		const char *value = NULL;
		char name[128];
		if (a[1] == '-') {
			const char *eq = strchr(a + 2, '=');
			size_t nl = eq ? (size_t)(eq - (a + 2)) : strlen(a + 2);
			if (nl >= sizeof(name))
				nl = sizeof(name) - 1;
			memcpy(name, a + 2, nl);
			name[nl] = '\0';
			if (eq)
				value = eq + 1;
			if (!strcmp(name, "config")) {
				if (!eq)
					i++;
				continue;
			}
			o = config_find(local, name);
		} else {
			snprintf(name, sizeof(name), "%c", a[1]);
			o = config_find_short(local, a[1]);
			if (a[2])
				value = a + 2;
		}
		if (!o) {
			free(pos);
			/* A blob ID is URL-safe base64: one in 64 begins with '-'. */
			if (a[1] != '-' && strlen(a) > 2)
				cli_usage_error(cmd,
						"unknown option '%s' (an argument that begins with '-', "
						"such as a blob ID, goes after '--')",
						a);
			cli_usage_error(cmd, "unknown option '%s'", a);
		}
		if (o->type == OPT_BOOL && !value) {
			*(bool *)o->dst = true;
			continue;
		}
		if (!value) {
			if (i + 1 >= argc) {
				free(pos);
				cli_usage_error(cmd, "option --%s needs a value (%s)", o->name,
						o->metavar ? o->metavar : "VALUE");
			}
			value = argv[++i];
		}
		char src[160];
		snprintf(src, sizeof(src), "option --%s", o->name);
		if (!config_set(o, value, src, &e)) {
			free(pos);
			cli_usage_error(cmd, "%s", e.msg);
		}
	}
	if (npos < min_pos || (max_pos >= 0 && npos > max_pos)) {
		free(pos);
		if (npos < min_pos)
			cli_usage_error(cmd, "missing argument (usage: %s %s)", cli_name(cmd),
					cmd->usage ? cmd->usage : "");
		cli_usage_error(cmd, "too many arguments (usage: %s %s)", cli_name(cmd),
				cmd->usage ? cmd->usage : "");
	}
	if (!log_settings_apply(cli_name(cmd))) {
		free(pos);
		exit(EXIT_USAGE);
	}
	if (cmd->group)
		log_set_component(cmd->group);
	if (pos_out)
		*pos_out = pos;
	else
		free(pos);
	if (npos_out)
		*npos_out = npos;
}

volatile sig_atomic_t cli_stop;

static void on_stop_signal(int sig)
{
	(void)sig;
	cli_stop = 1;
}

void cli_catch_stop(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* ---- the program: finding the command, the lists of commands ---- */

static void usage_line(FILE *f, const struct command *c)
{
	char name[64];
	snprintf(name, sizeof(name), "%s%s%s", c->group ? c->group : "",
		 c->group && c->name ? " " : "", c->name ? c->name : "");
	fprintf(f, "  %-22s %s\n", name, c->summary);
}

static bool group_listed(const struct cli_program *p, const char *group)
{
	for (size_t g = 0; g < p->ngroups; g++)
		if (!strcmp(group, p->group_order[g]))
			return true;
	return false;
}

static void usage(const struct cli_program *p, FILE *f)
{
	fprintf(f, "assay %s: %s\n\nUsage: assay COMMAND [SUBCOMMAND] [OPTIONS]\n\nCommands:\n",
		p->version, p->about);
	for (size_t g = 0; g < p->ngroups; g++) {
		for (size_t t = 0; t < p->ntables; t++)
			for (const struct command *c = p->tables[t]; c->run; c++)
				if (c->group && !strcmp(c->group, p->group_order[g]))
					usage_line(f, c);
		if (!strcmp(p->group_order[g], p->views_after))
			for (size_t t = 0; t < p->ntables; t++)
				for (const struct command *c = p->tables[t]; c->run; c++)
					if (!c->group)
						usage_line(f, c);
	}
	for (size_t t = 0; t < p->ntables; t++)
		for (const struct command *c = p->tables[t]; c->run; c++)
			if (c->group && !group_listed(p, c->group))
				usage_line(f, c);
	fprintf(f, "\nRun 'assay COMMAND [SUBCOMMAND] --help' for the options and an example.\n"
		   "Settings come from flags, ASSAY_* environment variables and --config FILE.\n");
}

static const struct command *find(const struct cli_program *p, const char *group,
				  const char *name)
{
	for (size_t t = 0; t < p->ntables; t++)
		for (const struct command *c = p->tables[t]; c->run; c++) {
			if (c->group && group && !strcmp(c->group, group) && c->name && name &&
			    !strcmp(c->name, name))
				return c;
			if (!c->group && c->name && group && !strcmp(c->name, group) && !name)
				return c;
		}
	return NULL;
}

static bool group_exists(const struct cli_program *p, const char *group)
{
	for (size_t t = 0; t < p->ntables; t++)
		for (const struct command *c = p->tables[t]; c->run; c++)
			if (c->group && !strcmp(c->group, group))
				return true;
	return false;
}

static void group_usage(const struct cli_program *p, FILE *f, const char *group)
{
	fprintf(f, "Usage: assay %s SUBCOMMAND [OPTIONS]\n\nSubcommands:\n", group);
	for (size_t t = 0; t < p->ntables; t++)
		for (const struct command *c = p->tables[t]; c->run; c++)
			if (c->group && !strcmp(c->group, group))
				fprintf(f, "  %-14s %s\n", c->name, c->summary);
	fprintf(f, "\nRun 'assay %s SUBCOMMAND --help' for its options and an example.\n", group);
}

int cli_main(const struct cli_program *p, int argc, char **argv)
{
	if (argc < 2) {
		usage(p, stderr);
		return EXIT_USAGE;
	}
	const char *first = argv[1];
	if (!strcmp(first, "--help") || !strcmp(first, "-h") || !strcmp(first, "help")) {
		usage(p, stdout);
		return EXIT_OK;
	}
	if (!strcmp(first, "--version") || !strcmp(first, "version")) {
		printf("assay %s\n", p->version);
		return EXIT_OK;
	}
	if (first[0] == '-') {
		fprintf(stderr, "assay: unknown option '%s'\nTry 'assay --help'.\n", first);
		return EXIT_USAGE;
	}

	/* A top-level command ("assay payouts ...") takes argv from its name on. */
	const struct command *cmd = find(p, first, NULL);
	if (cmd)
		return cmd->run(cmd, argc - 1, argv + 1);

	if (!group_exists(p, first)) {
		fprintf(stderr, "assay: unknown command '%s'\nTry 'assay --help'.\n", first);
		return EXIT_USAGE;
	}
	if (argc < 3 || !strcmp(argv[2], "--help") || !strcmp(argv[2], "-h")) {
		group_usage(p, argc < 3 ? stderr : stdout, first);
		return argc < 3 ? EXIT_USAGE : EXIT_OK;
	}
	cmd = find(p, first, argv[2]);
	if (!cmd) {
		fprintf(stderr, "assay %s: unknown subcommand '%s'\nTry 'assay %s --help'.\n", first,
			argv[2], first);
		return EXIT_USAGE;
	}
	return cmd->run(cmd, argc - 2, argv + 2);
}
