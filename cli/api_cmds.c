/* api_cmds.c: assay api serve (the read-only HTTP JSON API, settle/api.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "chain/deployment.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/err.h"
#include "settle/api.h"
#include "settle/settings.h"

static int run_serve(const struct command *cmd, int argc, char **argv)
{
	static const char *listen;
	static const struct opt local[] = {
		{"listen", 0, OPT_STRING, &listen, "HOST:PORT",
		 "address to serve on (port 0: any free one); default: the api-listen setting", NULL,
		 false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct settle_api_config cfg;
	struct chain_deployment dep;
	struct err e = {{0}};
	if (!settle_api_config_from_settings(&cfg, listen, &dep, &e))
		cli_usage_error(cmd, "%s", e.msg);
	cli_catch_stop();
	if (!settle_api_run(&cfg, &cli_stop, &e))
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
