/* audit_cmds.c: assay audit challenge (one challenge of one node, by hand). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "audit/challenge.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/encoding.h"
#include "core/err.h"

static int run_challenge(const struct command *cmd, int argc, char **argv)
{
	static const char *node, *blob, *symbol, *axis_text, *pin;
	static uint64_t timeout_ms;
	static bool json;
	static const struct opt local[] = {
		{"node", 0, OPT_STRING, &node, "URL", "base URL of the storage node", NULL, false},
		{"blob", 0, OPT_STRING, &blob, "BLOB_ID", "blob ID (URL-safe base64)", NULL, false},
		{"symbol", 0, OPT_STRING, &symbol, "I-J", "symbol id: primary sliver I, secondary J",
		 NULL, false},
		{"axis", 0, OPT_STRING, &axis_text, "AXIS", "proof axis: primary or secondary",
		 "primary", false},
		{"timeout-ms", 0, OPT_U64, &timeout_ms, "MS", "deadline for the whole challenge",
		 "10000", false},
		{"pin", 0, OPT_STRING, &pin, "sha256//BASE64", "pin the node's TLS public key", NULL,
		 false},
		{"json", 0, OPT_BOOL, &json, NULL, "print one JSON object", NULL, false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct audit_challenge_req c = {.node_url = node, .timeout_ms = timeout_ms, .pinned_key = pin};
	if (!node || !blob || !symbol)
		cli_usage_error(cmd, "--node URL, --blob BLOB_ID and --symbol I-J are required");
	char *base = NULL;
	if (!audit_node_url_normalize(node, &base, &e))
		cli_usage_error(cmd, "--node: %s", e.msg);
	free(base);
	if (!audit_blob_id_parse(blob, c.blob_id, &e))
		cli_usage_error(cmd, "--blob: %s", e.msg);
	if (!audit_symbol_id_parse(symbol, AUDIT_MAX_SHARDS, &c.symbol, &e))
		cli_usage_error(cmd, "--symbol: %s", e.msg);
	if (!audit_proof_axis_parse(axis_text, &c.axis, &e))
		cli_usage_error(cmd, "--axis: %s", e.msg);
	if (timeout_ms == 0)
		cli_usage_error(cmd, "--timeout-ms must be positive");

	struct audit_challenge_req_result r;
	bool pass = audit_challenge_req_run(&c, &r);
	audit_challenge_req_print(stdout, &c, &r, blob, symbol, json);
	return pass ? EXIT_OK : EXIT_FAIL;
}

const struct command audit_commands[] = {
	{"audit", "challenge", "challenge one storage node for one recovery symbol",
	 "--node URL --blob BLOB_ID --symbol I-J [--axis primary|secondary] [--timeout-ms MS] "
	 "[--json]",
	 "Fetches the blob's metadata from the node and checks it against the blob ID, asks for\n"
	 "recovery symbol I-J with a proof on the given axis, verifies it and prints the outcome:\n"
	 "pass, invalid_proof, wrong_size, bad_metadata, not_found, http_error (429/5xx are\n"
	 "transient), malformed, timeout, unreachable, or auditor_error (the auditor's own\n"
	 "network or setup failed, not the node). Works against any node speaking the Walrus\n"
	 "storage-node API. Exit 0 on pass, 1 on any other outcome, 2 on a usage error.",
	 "assay audit challenge --node http://127.0.0.1:9100 --blob "
	 "S3mB1ExRz3WdBOqUE9w6a4XJwAQ9cyRA1m8_sOuXJkM --symbol 3-5 --axis secondary --json",
	 run_challenge},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
