/* settings_help.c: which settings each command's --help lists.
 *
 * The settings tables (one per layer, registered in main.c) list every setting of the
 * program; a command uses a few sections of them. A setting that no section names is
 * listed everywhere (database, chain, logging), so a new setting is never hidden by
 * mistake. --help-all lists them all. */
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "core/config.h"

struct section {
	const char *settings; /* space-separated setting names */
	const char *commands; /* '|'-separated: "group", "group name" or a top-level name */
};

static const struct section sections[] = {
	{"fee-cap-gwei min-tip-gwei stuck-after-s",
	 "chain send|chain deploy|stake|blob register|blob certify|epoch|settle"},
	{"confirmations",
	 "chain send|chain deploy|stake|blob register|blob certify|epoch|settle|node|audit run|"
	 "audit plan|gateway"},
	{"n-shards epoch-duration min-stake price-per-mib committee-cap max-candidates "
	 "max-shard-moves drift-bound-bps seed-delay r0-bps penalty-bps slash-bps auditor-bps "
	 "auditor-fa commit-window reveal-window dispute-window timelock-delay token governance "
	 "guardian auditor",
	 "chain deploy"},
	{"auditor-address secret-file window-ms audit-epoch-ms batch-timeout-ms retry-delay-ms "
	 "max-pending canary-url max-host-connections max-inflight verify-threads flush-rows "
	 "metrics-listen min-per-node per-shard batch-size audit-poll-ms",
	 "audit run|audit plan"},
	{"api-listen api-threads api-max-connections api-max-per-ip api-timeout-s api-rate "
	 "api-burst api-page-limit api-max-limit api-max-url api-statement-timeout-ms",
	 "api"},
	{"signing-key-file gas-key-file auditor-id settle-metrics-file warn-margin-s",
	 "settle|payouts|attestations|evidence"},
	{"node-poll-ms", "node serve"},
	{"gateway-listen cache-dir cache-mib memory-cache-mib gateway-threads max-requests "
	 "max-fetches fetch-parallel node-timeout-ms hedge-ms client-timeout-s gateway-rate "
	 "gateway-burst not-found-ttl-s "
	 "max-age-s max-upload-mib gateway-poll-ms",
	 "gateway"},
};

/* Is `word` one of the `sep`-separated items of `list`? */
static bool in_list(const char *list, char sep, const char *word, size_t wlen)
{
	for (const char *p = list; *p;) {
		const char *end = strchr(p, sep);
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == wlen && !strncmp(p, word, wlen))
			return true;
		if (!end)
			break;
		p = end + 1;
	}
	return false;
}

static bool command_in(const char *commands, const struct command *cmd)
{
	char full[96];
	const char *group = cmd->group ? cmd->group : "";
	const char *name = cmd->name ? cmd->name : "";
	if (*group && in_list(commands, '|', group, strlen(group)))
		return true;
	int n = *group ? snprintf(full, sizeof(full), "%s %s", group, name)
		       : snprintf(full, sizeof(full), "%s", name);
	return n > 0 && (size_t)n < sizeof(full) && in_list(commands, '|', full, (size_t)n);
}

bool settings_relevant(const struct command *cmd, const struct opt *o)
{
	for (size_t i = 0; i < ARRAY_LEN(sections); i++)
		if (in_list(sections[i].settings, ' ', o->name, strlen(o->name)))
			return command_in(sections[i].commands, cmd);
	return true;
}
