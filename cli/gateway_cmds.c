/* gateway_cmds.c: assay gateway serve (the CDN edge, gateway/server.h). */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "chain/settings.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/err.h"
#include "core/util.h"
#include "gateway/publish.h"
#include "gateway/server.h"
#include "gateway/settings.h"

static int run_serve(const struct command *cmd, int argc, char **argv)
{
	static const char *listen, *committee, *token_file;
	static struct chain_session_opts copts;
	static const struct opt local[] = {
		{"listen", 0, OPT_STRING, &listen, "HOST:PORT",
		 "address to serve on; default: the gateway-listen setting", NULL, false},
		{"committee", 0, OPT_STRING, &committee, "FILE",
		 "read the committee from FILE (a network that is not ours) instead of the chain",
		 NULL, false},
		{"contracts", 0, OPT_STRING, &copts.contracts_dir, "DIR",
		 "read <Name>.json (ABI + bytecode) from DIR instead of the copies built into assay",
		 NULL, false},
		{"publisher-key-file", 0, OPT_STRING, &copts.key_file, "FILE",
		 "turn on PUT /v1/blobs, paying from this key (0x-hex, mode 0600)", NULL, false},
		{"publisher-token-file", 0, OPT_STRING, &token_file, "FILE",
		 "PUT /v1/blobs needs 'Authorization: Bearer <the token in FILE>' (mode 0600)", NULL,
		 false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	if (!committee && !(chain_settings.deployment && *chain_settings.deployment))
		cli_usage_error(cmd, "give --deployment FILE (and --rpc-url) to follow the chain, or "
				     "--committee FILE");
	struct gateway_config cfg;
	struct err e = {{0}};
	if (!gateway_config_from_settings(&cfg, listen, &e))
		cli_usage_error(cmd, "%s", e.msg);
	cfg.committee_path = committee;
	cfg.contracts_dir = copts.contracts_dir;
	cli_catch_stop();
	struct chain_session s;
	memset(&s, 0, sizeof(s));
	struct gateway_publisher *pub = NULL;
	char *token = NULL;
	int rc = EXIT_FAIL;
	if (token_file && !copts.key_file)
		cli_usage_error(cmd, "--publisher-token-file guards the publisher: give "
				     "--publisher-key-file too");
	if (copts.key_file) {
		if (committee)
			cli_usage_error(cmd, "the publisher pays on chain: drop --committee");
		if (token_file) {
			if (!read_secret_file(token_file, "token file", 4096, &token, &e)) {
				rc = cli_fail(cmd, "%s", e.msg);
				goto out;
			}
			cfg.publisher_token = token;
		}
		if (!cli_chain_session_open(&s, &copts, true, true, &e)) {
			rc = cli_fail(cmd, "the publisher's chain session: %s", e.msg);
			goto out;
		}
		pub = gateway_publisher_new(&s, copts.contracts_dir, chain_settings.confirmations,
					    gateway_settings.node_timeout_ms);
		cfg.publish = gateway_publisher_publish;
		cfg.publish_cls = pub;
	}
	if (!gateway_serve(&cfg, &cli_stop, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	rc = EXIT_OK;
out:
	gateway_publisher_free(pub);
	if (copts.key_file)
		chain_session_close(&s);
	if (token) {
		wipe(token, strlen(token));
		free(token);
	}
	return rc;
}

const struct command gateway_commands[] = {
	{"gateway", "serve", "serve blobs over HTTP as a CDN edge: verified, streamed, ranged, cached",
	 "[--listen HOST:PORT] [--committee FILE] [--cache-dir DIR] [--cache-mib N]\n"
	 "  [--publisher-key-file FILE [--publisher-token-file FILE]]",
	 "Routes (compatible with the Walrus aggregator's):\n"
	 "  GET|HEAD /v1/blobs/{blob_id}        the blob. Range (a-b, a-, -n; several ranges get\n"
	 "                                      the whole body), If-None-Match (304), If-Range;\n"
	 "                                      ?content-type= overrides the sniffed type,\n"
	 "                                      ?filename= sets Content-Disposition (?download=true:\n"
	 "                                      attachment)\n"
	 "  GET|HEAD /v1/blobs/{blob_id}/byte-range?start=S&length=L   206 with those bytes\n"
	 "  PUT      /v1/blobs?epochs=N         with --publisher-key-file only: stores, pays for and\n"
	 "                                      certifies the body as 'assay blob put' does; answers\n"
	 "                                      {\"newlyCreated\"|\"alreadyCertified\": {\"blobId\", ...}}\n"
	 "                                      (body up to max-upload-mib; a bearer token with\n"
	 "                                      --publisher-token-file)\n"
	 "  GET      /healthz, /metrics         liveness (503 until a committee is read); Prometheus\n"
	 "Every byte is verified: metadata must hash to the blob ID and every symbol must check\n"
	 "against it, so a lying node's answer is dropped and the piece asked of another node; a\n"
	 "node slower than hedge-ms is hedged. Bytes stream out as they are verified; a response\n"
	 "that cannot be finished is aborted, never ended short. A range fetches only the symbols\n"
	 "that hold it. Cache-Control: public, immutable, max-age no longer than the blob's\n"
	 "remaining lifetime on chain; a blob not certified, expired or unknown is a 404 cached\n"
	 "for not-found-ttl-s. The committee and each blob's lifetime come from the chain\n"
	 "(--deployment, --rpc-url), or --committee FILE for a network that is not ours.\n"
	 "SIGTERM or SIGINT stops it.",
	 "assay gateway serve --listen 127.0.0.1:8090 --deployment deployment.json "
	 "--cache-dir /var/cache/assay-gateway",
	 run_serve},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
