/* blob_io_cmds.c: assay blob put|get: publish a blob and read it back, through the
 * publisher (node/publish.h) and the reader (node/read.h). With the payer's key, put
 * registers and pays for the blob on chain, uploads it to the current committee (from the
 * chain, or a committee file), collects the nodes' storage confirmations and certifies
 * it. Without a key (no chain) it only stores the blob on the nodes of a committee file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <inttypes.h>

#include "audit/blob.h"
#include "chain/abi.h"
#include "chain/settings.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/config.h"
#include "core/err.h"
#include "node/client.h"
#include "node/committee.h"
#include "node/confirmations.h"
#include "node/encoder.h"
#include "node/publish.h"
#include "node/read.h"

#define MAX_INPUT (1ull << 34)

/* Progress on stderr: when asked, or on a terminal for blobs of 1 MiB or more. */
struct progress {
	bool forced, on;
	const char *what;
};

static void progress_step(void *arg, size_t done, size_t total, uint64_t blob_len)
{
	struct progress *p = arg;
	if (done == 0)
		p->on = p->forced || (isatty(2) && blob_len >= (1u << 20));
	else if (p->on)
		fprintf(stderr, "\r%s: %zu/%zu slivers", p->what, done, total);
}

static void progress_end(void *arg)
{
	const struct progress *p = arg;
	if (p->on)
		fprintf(stderr, "\n");
}

/* ---- put ---- */

/* After a failed certification: keep what the nodes signed for a second try. */
static void save_for_retry(const struct chain_session_opts *o, const struct node_publish_result *r)
{
	char conf_path[512];
	struct err se = {{0}};
	bool saved = node_publish_save_confirmations(r, conf_path, sizeof(conf_path), &se);
	if (r->stage == NODE_PUBLISH_TOO_FEW_CONFIRMED) {
		if (saved)
			fprintf(stderr, "the confirmations so far are in %s; run 'assay blob put' "
					"again when the nodes are back (it does not pay twice)\n",
				conf_path);
		else
			fprintf(stderr, "run 'assay blob put' again when the nodes are back (it "
					"does not pay twice)\n");
	} else if (saved) {
		fprintf(stderr, "finish it with: assay blob certify %s %s --blob-id %s "
				"--confirmations %s\n",
			o->key_file ? "--key-file" : "--key-env", o->key_file ? o->key_file : o->key_env,
			r->blob_id_text, conf_path);
	} else {
		fprintf(stderr, "could not save the confirmations (%s): run 'assay blob "
				"put' again to certify it (it does not pay twice)\n",
			se.msg);
	}
}

/* Prints what a publish did, on stdout (the blob ID or --json) and stderr. */
static int report_put(const struct command *cmd, const struct chain_session_opts *o,
		      const struct node_publish_result *r, uint64_t epochs, bool chain,
		      const struct err *e)
{
	if (r->stage == NODE_PUBLISH_FAILED_EARLY)
		return cli_fail(cmd, "%s", e->msg);
	fprintf(stderr, "stored on %zu of %u shards, confirmed by nodes holding %zu (%u needed "
			"to certify)\n",
		r->stored_shards, r->n_shards, r->confirmed_shards, r->needed_shards);
	if (o->json && (!chain || r->stage == NODE_PUBLISH_DONE))
		node_publish_print_json(stdout, r, epochs, chain);
	else if (!chain || r->stage == NODE_PUBLISH_DONE)
		printf("%s\n", r->blob_id_text);
	if (r->stage != NODE_PUBLISH_DONE) {
		int rc = cli_fail(cmd, "%s", e->msg);
		if (chain)
			save_for_retry(o, r);
		return rc;
	}
	if (chain)
		fprintf(stderr, "registered for epochs %" PRIu64 " to %" PRIu64 ", certified in epoch "
				"%" PRIu64 " at block %" PRIu64 "%s\n",
			r->reg.start_epoch, r->reg.end_epoch - 1, r->cert.epoch, r->cert.block,
			r->already_certified ? " (earlier)" : "");
	return EXIT_OK;
}

static int run_put(const struct command *cmd, int argc, char **argv)
{
	static const char *committee_path;
	static uint64_t epochs, timeout_ms;
	static bool progress_flag;
	static struct chain_session_opts copts;
	static const struct opt local[] = {
		{"committee", 0, OPT_STRING, &committee_path, "FILE",
		 "committee file (default with a key: the current epoch's committee on chain)", NULL,
		 false},
		CHAIN_SESSION_KEY_OPTS(copts),
		{"epochs", 0, OPT_U64, &epochs, "E",
		 "store for the current epoch and E - 1 more (paid now, with a key)", "1", false},
		{"timeout-ms", 0, OPT_U64, &timeout_ms, "MS", "timeout of each request", "30000",
		 false},
		{"progress", 0, OPT_BOOL, &progress_flag, NULL, "show progress even when stderr is not "
		 "a terminal", NULL, false},
		CHAIN_SESSION_COMMON_OPTS(copts),
		OPT_END,
	};
	char **pos;
	int npos;
	cli_parse(cmd, local, argc, argv, 1, 1, &pos, &npos);
	const char *file = pos[0];
	free(pos);
	bool chain = copts.key_file || copts.key_env;
	if (!chain && !committee_path)
		cli_usage_error(cmd, "give --key-file FILE (or --key-env VAR) of the payer to register, "
				     "pay for and certify the blob on chain (--deployment), or "
				     "--committee FILE to only store it on the nodes");
	if (copts.key_file && copts.key_env)
		cli_usage_error(cmd, "give only one of --key-file FILE and --key-env VAR");
	if (epochs == 0)
		cli_usage_error(cmd, "--epochs must be at least 1");
	struct err e = {{0}};
	struct chain_session s;
	memset(&s, 0, sizeof(s));
	struct node_committee *cm = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = EXIT_FAIL;
	struct node_publish_result r;
	memset(&r, 0, sizeof(r));
	struct progress pr = {.forced = progress_flag, .what = "uploading"};
	/* A large file is encoded in two passes through a scratch directory and never held in
	 * memory (node_publish_req.path). */
	struct stat st;
	bool stream = stat(file, &st) == 0 && S_ISREG(st.st_mode) &&
		      (uint64_t)st.st_size >= NODE_STREAM_MIN;
	if ((chain && !cli_chain_session_open(&s, &copts, true, true, &e)) ||
	    !node_committee_current(chain ? &s : NULL, committee_path, copts.contracts_dir,
				    chain_settings.confirmations, &cm, &e) ||
	    (!stream && !read_file(file, MAX_INPUT, &data, &len, &e))) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	struct node_publish_req req = {
		.chain = chain ? &s : NULL,
		.committee = cm,
		.data = data,
		.len = len,
		.path = stream ? file : NULL,
		.epochs = epochs,
		.timeout_ms = timeout_ms,
		.progress = {progress_step, progress_end, &pr},
	};
	bool ok = node_publish(&req, &r, &e);
	rc = report_put(cmd, &copts, &r, epochs, chain, ok ? NULL : &e);
out:
	node_publish_result_clear(&r);
	free(data);
	node_committee_free(cm);
	if (chain)
		chain_session_close(&s);
	return rc;
}

/* ---- get ---- */

static int run_get(const struct command *cmd, int argc, char **argv)
{
	static const char *committee_path, *output;
	static uint64_t timeout_ms;
	static bool progress_flag;
	static struct chain_session_opts copts;
	static const struct opt local[] = {
		{"committee", 0, OPT_STRING, &committee_path, "FILE",
		 "committee file (default: the current epoch's committee on chain, --deployment)",
		 NULL, false},
		{"contracts", 0, OPT_STRING, &copts.contracts_dir, "DIR",
		 "read <Name>.json (ABI + bytecode) from DIR instead of the copies built into assay",
		 NULL, false},
		{"output", 'o', OPT_STRING, &output, "FILE", "where to write the blob", NULL, false},
		{"timeout-ms", 0, OPT_U64, &timeout_ms, "MS", "timeout of each request", "10000",
		 false},
		{"progress", 0, OPT_BOOL, &progress_flag, NULL, "show progress even when stderr is not "
		 "a terminal", NULL, false},
		OPT_END,
	};
	char **pos;
	int npos;
	cli_parse(cmd, local, argc, argv, 1, 1, &pos, &npos);
	const char *blob_text = pos[0];
	free(pos);
	if (!output)
		cli_usage_error(cmd, "-o FILE is required");
	if (!committee_path && !(chain_settings.deployment && *chain_settings.deployment))
		cli_usage_error(cmd, "give --deployment FILE (and --rpc-url) to read the committee "
				     "from the chain, or --committee FILE");
	struct err e = {{0}};
	struct node_read_req req = {.timeout_ms = timeout_ms};
	if (!audit_blob_id_parse(blob_text, req.blob_id, &e))
		cli_usage_error(cmd, "BLOB_ID: %s", e.msg);
	struct node_committee *cm = NULL;
	uint8_t *blob = NULL;
	size_t len = 0;
	int rc = EXIT_FAIL;
	struct progress pr = {.forced = progress_flag, .what = "reading"};
	if (committee_path) {
		if (!node_committee_current(NULL, committee_path, NULL, 0, &cm, &e))
			goto fail;
	} else {
		struct chain_session s;
		bool got = cli_chain_session_open(&s, &copts, false, true, &e);
		if (!got)
			err_prefix(&e, "the committee: ");
		got = got && node_committee_current(&s, NULL, copts.contracts_dir,
						    chain_settings.confirmations, &cm, &e);
		chain_session_close(&s);
		if (!got)
			goto fail;
	}
	req.committee = cm;
	req.progress = (struct node_progress){progress_step, progress_end, &pr};
	bool ok = node_read(&req, &blob, &len, &e);
	if (!ok || !write_file_atomic(output, blob, len, 0644, &e))
		goto fail;
	rc = EXIT_OK;
	goto out;
fail:
	rc = cli_fail(cmd, "%s", e.msg);
out:
	free(blob);
	node_committee_free(cm);
	return rc;
}

const struct command blob_io_commands[] = {
	{"blob", "put", "publish a file: register and pay, upload to the nodes, certify",
	 "FILE (--key-file FILE | --key-env VAR) [--committee FILE] [--epochs E] [--json]\n"
	 "  or: FILE --committee FILE [--json] [--progress]   (no chain: store only)",
	 "With the payer's key: encodes FILE, registers it and pays for the current epoch and\n"
	 "E - 1 more (approve + registerBlob, as 'blob register'), uploads the metadata and each\n"
	 "sliver pair to the node holding its shard (the current committee from the chain, or\n"
	 "--committee FILE), collects the nodes' signed storage confirmations and, once nodes\n"
	 "holding n - f shards confirmed, certifies the blob (certifyBlob, as 'blob certify').\n"
	 "Prints the blob ID (--json: also the transactions and shard counts). A blob already\n"
	 "registered is not paid for again, so a failed put can simply be run again.\n"
	 "Without a key: only stores FILE on the nodes of the committee file; succeeds when\n"
	 "nodes holding n - f shards stored it.\n"
	 "A file of 64 MiB or more is never held in memory: it is encoded in two passes into a\n"
	 "scratch directory in $TMPDIR (or /tmp; about six times the file's size, removed\n"
	 "after) and uploaded from there one sliver at a time.",
	 "assay blob put photo.jpg --key-file me.key --epochs 5", run_put},
	{"blob", "get", "read a blob back from the storage nodes, verifying every sliver",
	 "BLOB_ID -o FILE [--committee FILE] [--progress]",
	 "Fetches metadata that hashes to BLOB_ID, then slivers from the nodes holding them\n"
	 "(the current committee on chain with --deployment and --rpc-url, or a committee file),\n"
	 "verifying each against the metadata and skipping nodes that are down or lie, decodes\n"
	 "from the first k that verify, and re-encodes to check the blob ID before writing FILE.",
	 "assay blob get S3mB1ExRz3WdBOqUE9w6a4XJwAQ9cyRA1m8_sOuXJkM -o photo.jpg "
	 "--deployment deployment.json",
	 run_get},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
