/* api_cmds.c: assay api serve (the read-only HTTP JSON API, settle/api.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/settings.h"
#include "core/config.h"
#include "core/err.h"
#include "chain/deployment.h"
#include "core/log.h"
#include "settle/api.h"

static unsigned clamp_u(uint64_t v)
{
	return v > 1000000u ? 1000000u : (unsigned)v;
}

static int run_serve(const struct command *cmd, int argc, char **argv)
{
	static const char *listen;
	static const struct opt local[] = {
		{"listen", 0, OPT_STRING, &listen, "HOST:PORT",
		 "address to serve on (port 0: any free one); default: the api-listen setting", NULL,
		 false},
		OPT_END,
	};
	commands_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	if (settings.api_threads < 1 || settings.api_threads > 64)
		cli_usage_error(cmd, "api-threads must be between 1 and 64");
	if (settings.api_rate < 1 || settings.api_burst < 1)
		cli_usage_error(cmd, "api-rate and api-burst must be at least 1");
	if (settings.api_max_limit < 1 || settings.api_page_limit < 1 ||
	    settings.api_page_limit > settings.api_max_limit)
		cli_usage_error(cmd, "api-page-limit must be between 1 and api-max-limit");
	struct settle_api_config cfg = {
		.listen = listen ? listen : settings.api_listen,
		.db_conninfo = settings.db,
		.db_connect_timeout_s = clamp_u(settings.db_connect_timeout_s),
		.statement_timeout_ms = settings.api_statement_timeout_ms,
		.threads = clamp_u(settings.api_threads),
		.max_connections = clamp_u(settings.api_max_connections),
		.max_per_ip = clamp_u(settings.api_max_per_ip),
		.timeout_s = clamp_u(settings.api_timeout_s),
		.rate_per_s = settings.api_rate,
		.burst = settings.api_burst,
		.default_limit = settings.api_page_limit,
		.max_limit = settings.api_max_limit,
		.max_url = settings.api_max_url,
		.rpc_url = settings.rpc_url,
	};
	/* The pages read the chain themselves; without a deployment they only show. */
	struct chain_deployment dep;
	struct err de = {{0}};
	if (settings.deployment && chain_deployment_load(settings.deployment, &dep, &de))
		cfg.deployment = &dep;
	else
		log_info("no deployment (%s): the pages will not check the chain", de.msg);
	commands_catch_stop();
	struct err e = {{0}};
	if (!settle_api_run(&cfg, &commands_stop, &e))
		return cli_fail(cmd, "%s", e.msg);
	return EXIT_OK;
}

const struct command api_commands[] = {
	{"api", "serve", "serve the read-only HTTP JSON API (epochs, payouts, attestations, evidence)",
	 "[--listen HOST:PORT] [--db CONNINFO]",
	 "Endpoints (GET only; JSON; errors are {\"error\": sentence}):\n"
	 "  /v1/epochs?limit=&after=                       epochs, states per auditor, seeds, roots\n"
	 "  /v1/nodes/{node}/payouts?from=&to=&limit=      per epoch: challenges, passes, scores,\n"
	 "                                                 median, reward, penalty, transactions\n"
	 "  /v1/epochs/{epoch}/attestations                every auditor's attestation and counts,\n"
	 "                                                 \"dispute\": null or its conviction\n"
	 "  /v1/epochs/{epoch}/disputes                    the epoch's convictions (from the chain)\n"
	 "  /v1/epochs/{epoch}/nodes/{node}/evidence?limit=&after_seq=&auditor=\n"
	 "                                                 decided records with Merkle proofs\n"
	 "  /v1/health                                     200 with the database up, else 503\n"
	 "  /v1/chain                                      rpc-url and the deployment's contracts\n"
	 "  /v1/network                                    totals paid per epoch, newest committee\n"
	 "Pages (HTML, checked in the browser against the chain at rpc-url): /, /nodes/ADDR,\n"
	 "/epochs/N, /epochs/N/nodes/ADDR/evidence.\n"
	 "Pages follow the cursor in next_after / next_from / next_after_seq. Each client IP\n"
	 "gets api-rate requests per second (bursts of api-burst), then 429 with Retry-After.\n"
	 "While PostgreSQL is unreachable requests get 503; the server reconnects by itself.\n"
	 "SIGTERM or SIGINT stops it.",
	 "assay api serve --listen 127.0.0.1:8080 --db 'host=/run/postgresql dbname=assay'",
	 run_serve},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
