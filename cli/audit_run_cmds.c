/* audit_run_cmds.c: assay audit plan|run: the challenge schedule of an epoch, and the
 * auditor daemon that carries it out (audit/daemon.h around audit/auditor.h), recording
 * into PostgreSQL and keeping the chain state there (sql/auditstore.h) and serving
 * /metrics and /healthz. Inputs come from our chain (no --committee) or from a committee
 * file (node/committee.h), a blob list and a seed. This file parses the options, builds
 * the auditor's identity (its key or secret), and prints the schedule and the reports. */

#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/auditor.h"
#include "audit/blob.h"
#include "audit/challenge.h"
#include "audit/daemon.h"
#include "audit/plan.h"
#include "audit/schedule.h"
#include "audit/settings.h"
#include "chain/reader.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/encoding.h"
#include "core/err.h"
#include "node/committee.h"
#include "settle/secret.h"
#include "sql/auditstore.h"
#include "sql/db.h"

#define EPOCH_UNSET UINT64_MAX

struct input_opts {
	const char *committee; /* NULL: from the chain */
	const char *blobs;
	const char *seed;
	const char *secret; /* the epoch's secret itself (plan, after the reveal) */
	const char *auditor;
	const char *key_file; /* signing key: the epoch secret derives from it */
	uint64_t epoch;       /* EPOCH_UNSET: not given */
};

/* The option rows plan and run share: where the inputs come from, who audits. */
#define INPUT_OPTS(o)                                                                          \
	{"committee", 0, OPT_STRING, &(o).committee, "FILE",                                    \
	 "committee file (node/committee.h), with --blobs and --seed: nodes not on our "        \
	 "chain; without it everything comes from the chain (--rpc-url, --deployment)",         \
	 NULL, false},                                                                         \
	{"blobs", 0, OPT_STRING, &(o).blobs, "FILE",                                            \
	 "certified blobs, one \"BLOB_ID LENGTH\" per line", NULL, false},                      \
	{"seed", 0, OPT_STRING, &(o).seed, "HEX", "the epoch's seed (32 bytes)", NULL, false},  \
	{"key-file", 0, OPT_STRING, &(o).key_file, "FILE",                                      \
	 "the auditor's signing key (0x-hex, mode 0600): the epoch secret derives from it "     \
	 "(settle/secret.h) and the address is its own", NULL, false},                         \
	{"auditor", 0, OPT_STRING, &(o).auditor, "ADDR",                                        \
	 "the auditor's signing address (default: the auditor-address setting)", NULL, false}

/* Whether the inputs come from the chain; usage errors for --blobs and --seed without
 * --committee, or --committee without them (run checks --seed when it reads the files). */
static bool check_inputs(const struct command *cmd, const struct input_opts *io, bool need_seed)
{
	bool from_chain = !io->committee;
	if (from_chain && (io->blobs || io->seed))
		cli_usage_error(cmd, "--blobs and --seed go with --committee FILE; without it the "
				     "blobs and the seed are the chain's");
	if (!from_chain && (!io->blobs || (need_seed && !io->seed)))
		cli_usage_error(cmd, "--committee FILE needs --blobs FILE and --seed HEX");
	return from_chain;
}

/* --key-file, or --auditor with --secret, --secret-file (the setting). */
static bool ident_open(struct settle_identity *x, const struct input_opts *o, struct err *e)
{
	const char *auditor = o->auditor ? o->auditor : audit_settings.auditor_address;
	struct settle_identity_cfg c = {o->key_file, auditor, o->secret,
					audit_settings.secret_file};
	return settle_identity_open(x, &c, e);
}

/* ---- where the inputs come from ---- */

/* A committee file, a blob list and a seed (nodes that are not on our chain). */
static bool load_file_inputs(void *arg, struct audit_inputs *in, struct err *e)
{
	const struct input_opts *o = arg;
	if (!o->seed || !hex_decode_exact(in->params.seed, 32, o->seed, e))
		return err_set(e, "--seed must be the epoch's 32-byte seed in hex");
	return node_committee_audit_inputs(o->committee, in, e) &&
	       audit_blobs_load(o->blobs, &in->blobs, &in->nblobs, e);
}

/* plan's inputs: from the chain (the epoch given, or the current one), or the files. */
static bool plan_inputs(struct input_opts *io, struct settle_identity *id,
			struct audit_chain_src *src, struct db_auditstore *st, struct audit_inputs *in,
			struct err *e)
{
	struct audit_schedule_params tmpl;
	audit_schedule_params_from_settings(&tmpl);
	if (io->committee)
		return ident_open(id, io, e) &&
		       audit_inputs_begin(in, &tmpl, &id->id,
					  io->epoch == EPOCH_UNSET ? 0 : io->epoch, e) &&
		       load_file_inputs(io, in, e);
	struct audit_chaincache cache = {0};
	if (st)
		db_auditstore_chaincache(st, &cache);
	return audit_chain_src_open_settings(src, e) && ident_open(id, io, e) &&
	       audit_inputs_plan(in, &tmpl, &id->id, &src->c, &cache, io->epoch != EPOCH_UNSET,
				 io->epoch, e);
}

/* ---- plan ---- */

static int run_plan(const struct command *cmd, int argc, char **argv)
{
	struct input_opts io = {0};
	io.epoch = EPOCH_UNSET;
	bool json = false;
	const struct opt local[] = {
		{"epoch", 0, OPT_U64, &io.epoch, "N",
		 "the epoch (default: from the chain, the current one; with --committee, 0)", NULL,
		 false},
		INPUT_OPTS(io),
		{"secret", 0, OPT_STRING, &io.secret, "HEX",
		 "the epoch's revealed secret (else derived from --secret-file)", NULL, false},
		{"json", 0, OPT_BOOL, &json, NULL, "print every challenge as JSON", NULL, false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	check_inputs(cmd, &io, true);
	struct err e = {{0}};
	struct audit_inputs in;
	struct audit_schedule s = {0};
	struct audit_chain_src src;
	struct settle_identity id;
	struct db_auditstore *st = db_auditstore_new_settings();
	int rc = EXIT_FAIL;
	memset(&in, 0, sizeof(in));
	memset(&src, 0, sizeof(src));
	memset(&id, 0, sizeof(id));
	if (!plan_inputs(&io, &id, &src, st, &in, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	if (!audit_auditor_schedule(&in.params, in.nodes, in.nnodes, in.blobs, in.nblobs, false, &s, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	audit_plan_print(stdout, &in, &s, json);
	rc = EXIT_OK;
out:
	audit_schedule_free(&s);
	audit_inputs_clear(&in);
	settle_identity_close(&id);
	audit_chain_src_close(&src);
	db_auditstore_free(st);
	return rc;
}

/* ---- run ---- */

/* From the chain (--once: one epoch; else following it), or from the files. */
static bool run_daemon(struct audit_daemon_config *d, struct input_opts *io, struct err *e)
{
	struct settle_identity id;
	memset(&id, 0, sizeof(id));
	bool ok = false;
	d->id = &id.id;
	if (io->committee) {
		ok = ident_open(&id, io, e) &&
		     audit_daemon_repeat(d, io->epoch == EPOCH_UNSET ? 0 : io->epoch, load_file_inputs,
					 io, io->committee, e);
		settle_identity_close(&id);
		return ok;
	}
	struct audit_chain_src src;
	struct audit_inputs probe;
	memset(&probe, 0, sizeof(probe));
	/* A key or secret that cannot work is a mistake to say now, not to retry. */
	ok = audit_chain_src_open_settings(&src, e) && ident_open(&id, io, e) &&
	     audit_inputs_begin(&probe, &d->sched, &id.id, io->epoch == EPOCH_UNSET ? 0 : io->epoch,
				e);
	audit_inputs_clear(&probe);
	ok = ok && audit_daemon_follow(d, &src.c, io->epoch, io->epoch != EPOCH_UNSET, e);
	audit_chain_src_close(&src);
	settle_identity_close(&id);
	return ok;
}

static int run_run(const struct command *cmd, int argc, char **argv)
{
	struct input_opts io = {0};
	io.epoch = EPOCH_UNSET;
	bool once = false;
	const char *start_text = NULL;
	const struct opt local[] = {
		{"epoch", 0, OPT_U64, &io.epoch, "N",
		 "the epoch to audit (the first, as a daemon; default: from the chain, the current "
		 "one; with --committee, 0)",
		 NULL, false},
		{"once", 0, OPT_BOOL, &once, NULL,
		 "run the epoch's schedule to completion, print the table, exit (cron, tests)", NULL,
		 false},
		INPUT_OPTS(io),
		{"epoch-start", 0, OPT_STRING, &start_text, "MS|now|chain",
		 "when the epoch's schedule starts: unix milliseconds (the first epoch), now (each "
		 "epoch when the auditor begins it), chain (the chain's epoch start; the default "
		 "from the chain, else now)",
		 NULL, false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	bool from_chain = check_inputs(cmd, &io, false);
	if (from_chain && !once && !io.key_file)
		cli_usage_error(cmd, "the daemon needs --key-file: each epoch's secret derives from "
				     "the signing key (with --secret-file, audit one epoch at a time "
				     "with --once)");
	struct audit_daemon_config d;
	audit_daemon_config_from_settings(&d);
	d.stop = &cli_stop;
	d.on_report = audit_daemon_report_print;
	d.report_arg = stdout;
	d.once = once;
	if (!audit_start_parse(start_text, &d.start, &d.start_at))
		cli_usage_error(cmd, "--epoch-start must be unix milliseconds, \"now\" or \"chain\"");
	if (audit_settings.window_ms == 0)
		cli_usage_error(cmd, "--window-ms must be positive");

	struct err e = {{0}};
	struct audit_metrics_holder h;
	struct MHD_Daemon *mhd = NULL;
	struct db_auditstore *st = NULL;
	int rc = EXIT_FAIL;
	audit_metrics_holder_init(&h);
	d.metrics = &h;
	if (!db_settings_given()) {
		rc = cli_fail(cmd, "no database configured: pass --db CONNINFO or set ASSAY_DB");
		goto out;
	}
	if (audit_settings.metrics_listen && *audit_settings.metrics_listen &&
	    !audit_metrics_serve(audit_settings.metrics_listen, &h, &mhd, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	st = db_auditstore_new_settings();
	db_auditstore_records(st, &d.store);
	db_auditstore_chaincache(st, &d.cache);
	struct chain_log_store logs;
	db_auditstore_logstore(st, &logs);
	d.logs = &logs;
	cli_catch_stop();
	rc = run_daemon(&d, &io, &e) ? EXIT_OK : cli_fail(cmd, "%s", e.msg);
out:
	if (mhd)
		MHD_stop_daemon(mhd);
	audit_metrics_holder_clear(&h);
	db_auditstore_free(st);
	return rc;
}

const struct command audit_run_commands[] = {
	{"audit", "plan", "print an epoch's challenge schedule and detection power per node",
	 "[--epoch N] (--key-file FILE | --auditor ADDR (--secret HEX | --secret-file F)) "
	 "[--committee FILE --blobs FILE --seed HEX] [--json]",
	 "The schedule is a pure function of public inputs and the auditor's secret "
	 "(audit/SCHEDULE.md): after the reveal anyone can recompute it with --secret and check "
	 "that every recorded challenge was scheduled. Without --committee the inputs are our "
	 "chain's (--rpc-url, --deployment, read --confirmations blocks deep): the epoch's "
	 "committee in order (node id = the operator's address), the shards not in grace, the "
	 "seed once final, and the certified blobs; with --db, the state the auditor kept for "
	 "the epoch. With --committee, --blobs and --seed: nodes that are not on our chain. Per "
	 "node: challenges, batches, the first batch's due time (ms after the epoch's start) "
	 "and the probability that a node missing 10% of its symbols passes them all. --json "
	 "prints every challenge.",
	 "assay audit plan --epoch 3 --key-file auditor.key --deployment deployment.json\n"
	 "  assay audit plan --epoch 3 --auditor 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 \\\n"
	 "    --seed 0x$(printf '%064d' 7) --secret 0x$(printf '%064d' 9) \\\n"
	 "    --committee committee.json --blobs blobs.txt",
	 run_plan},
	{"audit", "run", "challenge storage nodes on the epoch's schedule and record every attempt",
	 "[--epoch N] [--once] (--key-file FILE | --auditor ADDR --secret-file FILE) "
	 "[--committee FILE --blobs FILE --seed HEX] [--epoch-start MS|now|chain] "
	 "[--window-ms MS] [--metrics-listen HOST:PORT]",
	 "Without --committee it audits our chain (--rpc-url, --deployment; state read "
	 "--confirmations blocks deep and kept in the database, so a restart schedules from the "
	 "same state): each epoch's committee in order (node id = the operator's address, "
	 "endpoint, the shards not in grace), its seed and its certified blobs. As a daemon "
	 "(no --once; needs --key-file) it starts at --epoch or the current epoch, audits each "
	 "epoch once its seed is final, then polls the chain every --audit-poll-ms for the "
	 "next; SIGTERM or SIGINT stop it after recording what is in flight. --once audits one "
	 "epoch and refuses while its seed is not final. The epoch's row in table epochs is "
	 "written, and refreshed when it ends.\n"
	 "Sends each batch when it is due, all challenges of a batch under one deadline, over "
	 "kept-alive connections; checks metadata against the blob ID once per blob and node and "
	 "every symbol against it; asks transient failures again later in the epoch; records "
	 "every attempt in PostgreSQL (COPY, in batches). If PostgreSQL goes away, results wait in "
	 "memory (up to --max-pending, then no new challenges) and are written when it returns. "
	 "A restart resumes without asking again what is recorded. At the end of an epoch it "
	 "prints the availability table.\n"
	 "With --committee FILE, --blobs FILE and --seed HEX it audits nodes that are not on our "
	 "chain, such as real Walrus storage nodes (HTTPS, key pin \"sha256//...\"; the node id "
	 "is the file's \"id\", else \"address\"); that path is tested against the Walrus wire "
	 "format here, not against the live network.",
	 "assay audit run --db postgresql://localhost/assay --key-file auditor.key \\\n"
	 "    --rpc-url http://127.0.0.1:8545 --deployment deployment.json \\\n"
	 "    --metrics-listen 127.0.0.1:9464\n"
	 "  assay audit run --epoch 3 --once --db postgresql://localhost/assay \\\n"
	 "    --key-file auditor.key --seed 0x$(printf '%064d' 7) \\\n"
	 "    --committee committee.json --blobs blobs.txt \\\n"
	 "    --epoch-start now --window-ms 20000",
	 run_run},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
