/* blob_chain_cmds.c: assay blob register|certify|status: a blob's life on chain. It is
 * registered and paid for (the fee funds the reward pools of its epochs), then certified
 * with storage confirmations from nodes holding at least n - f shards; only certified
 * blobs are ever challenged. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/key.h"
#include "chain/rpc.h"
#include "chain/settings.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/encoding.h"
#include "core/err.h"
#include "node/blob_status.h"
#include "node/client.h"
#include "node/confirmations.h"
#include "node/publish.h"

static struct chain_session_opts opts;
static const char *opt_blob_id, *opt_confirmations;
static uint64_t opt_size, opt_encoding_type, opt_epochs;

/* 0x + 64 hex digits, or the Walrus text form (URL-safe base64). */
static void parse_blob_id(const struct command *cmd, uint8_t id[32])
{
	struct err e = {{0}};
	if (!opt_blob_id)
		cli_usage_error(cmd, "--blob-id ID is required");
	if (!strncmp(opt_blob_id, "0x", 2)) {
		if (!hex_decode_exact(id, 32, opt_blob_id, &e))
			cli_usage_error(cmd, "--blob-id: %s", e.msg);
	} else if (!audit_blob_id_parse(opt_blob_id, id, &e)) {
		cli_usage_error(cmd, "--blob-id: %s", e.msg);
	}
}

static int run_register(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		CHAIN_SESSION_KEY_OPTS(opts),
		{"blob-id", 0, OPT_STRING, &opt_blob_id, "ID", "blob ID (Walrus text form or 0x hex)",
		 NULL, false},
		{"size", 0, OPT_U64, &opt_size, "BYTES", "unencoded length of the blob", NULL, false},
		{"encoding-type", 0, OPT_U64, &opt_encoding_type, "T",
		 "1 = Walrus RS2, 2-127 = other codes (the reference encoder's is 2)", "2", false},
		{"epochs", 0, OPT_U64, &opt_epochs, "E",
		 "store for the current epoch and E - 1 more (paid now)", "1", false},
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	uint8_t id[32];
	parse_blob_id(cmd, id);
	if (!opt_epochs)
		cli_usage_error(cmd, "--epochs must be at least 1");
	if (opt_encoding_type == 0 || opt_encoding_type > 127)
		cli_usage_error(cmd, "--encoding-type must be 1 to 127");
	struct err e = {{0}};
	struct chain_session s;
	int rc = EXIT_FAIL;
	struct node_blob_registration reg;
	if (!cli_chain_session_open(&s, &opts, true, true, &e) ||
	    !node_blob_register(&s, id, opt_size, (uint8_t)opt_encoding_type, opt_epochs, &reg,
				 &e))
		goto fail;
	node_blob_registration_print(stdout, &reg, opts.json);
	rc = EXIT_OK;
	goto out;
fail:
	cli_fail(cmd, "%s", e.msg);
out:
	chain_session_close(&s);
	return rc;
}

static int run_certify(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		CHAIN_SESSION_KEY_OPTS(opts),
		{"blob-id", 0, OPT_STRING, &opt_blob_id, "ID", "blob ID (Walrus text form or 0x hex)",
		 NULL, false},
		{"confirmations", 0, OPT_STRING, &opt_confirmations, "FILE",
		 "JSON array of storage confirmations signed by node keys", NULL, false},
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	uint8_t id[32];
	parse_blob_id(cmd, id);
	if (!opt_confirmations)
		cli_usage_error(cmd, "--confirmations FILE is required");
	struct err e = {{0}};
	struct chain_session s;
	struct node_confirmation *conf = NULL;
	size_t nconf = 0;
	int rc = EXIT_FAIL;
	struct node_blob_certification c;
	if (!cli_chain_session_open(&s, &opts, true, true, &e))
		goto fail;
	if (!node_confirmations_load(opt_confirmations, &conf, &nconf, &e))
		goto fail;
	if (!node_blob_certify(&s, id, conf, nconf, &c, &e))
		goto fail;
	node_blob_certification_print(stdout, &c, s.dep.n_shards, opts.json);
	rc = EXIT_OK;
	goto out;
fail:
	cli_fail(cmd, "%s", e.msg);
out:
	free(conf);
	chain_session_close(&s);
	return rc;
}

static int run_status(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		{"blob-id", 0, OPT_STRING, &opt_blob_id, "ID", "blob ID (Walrus text form or 0x hex)",
		 NULL, false},
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	uint8_t id[32];
	parse_blob_id(cmd, id);
	struct err e = {{0}};
	struct chain_session s;
	struct node_blob_status st;
	int rc = EXIT_FAIL;
	if (!cli_chain_session_open(&s, &opts, false, true, &e) ||
	    !node_blob_status_read(&s, id, &st, &e))
		cli_fail(cmd, "%s", e.msg);
	else if (!st.info.registered)
		cli_fail(cmd, "blob %s is not registered", opt_blob_id);
	else
		rc = EXIT_OK;
	if (rc == EXIT_OK && opts.json)
		chain_session_print_json(node_blob_status_json(&st));
	else if (rc == EXIT_OK)
		node_blob_status_print(stdout, &st);
	chain_session_close(&s);
	return rc;
}

const struct command blob_chain_commands[] = {
	{"blob", "register", "register and pay for a blob on chain (approve + registerBlob)",
	 "(--key-file FILE | --key-env VAR) --blob-id ID --size BYTES [--encoding-type T] "
	 "[--epochs E]",
	 "Pays fee-per-epoch x E (price x encoded MiB, from BlobRegistry) into the reward pools\n"
	 "of the current epoch and the next E - 1, approving the token first when needed.",
	 "assay blob register --key-file me.key --blob-id 0x6a1f...c3 --size 1048576 "
	 "--encoding-type 2 --epochs 5",
	 run_register},
	{"blob", "certify", "certify a registered blob with nodes' storage confirmations",
	 "(--key-file FILE | --key-env VAR) --blob-id ID --confirmations FILE",
	 "FILE is a JSON array of confirmations, each {\"signer\": NODE_KEY, \"signature\":\n"
	 "65-byte hex} (or the node's answer to GET /v1/blobs/{id}/confirmation): EIP-712\n"
	 "StorageConfirmation(bytes32 blobId, uint64 epoch) signatures for the current epoch by\n"
	 "the node keys of committee members holding together at least n - f shards. They are\n"
	 "matched to committee positions, sorted, and sent to BlobRegistry.certifyBlob.",
	 "assay blob certify --key-file me.key --blob-id 0x6a1f...c3 --confirmations confs.json",
	 run_certify},
	{"blob", "status", "a blob's registration, certification and whether it is challenged now",
	 "--blob-id ID [--json]", NULL, "assay blob status --blob-id 0x6a1f...c3 --json",
	 run_status},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
