/* dispute_cmds.c: `assay dispute check|submit`: the watcher of settle/dispute.h, parsed and
 * printed. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/settings.h"
#include "cli/commands.h"
#include "cli/settle_session.h"
#include "core/config.h"
#include "core/err.h"
#include "settle/dispute.h"

static uint64_t opt_epoch, opt_auditor = 256, opt_timeout_ms;
static bool opt_json;

static const struct opt dispute_opts[] = {
	{"epoch", 0, OPT_U64, &opt_epoch, "E", "the epoch", NULL, true},
	{"auditor", 0, OPT_U64, &opt_auditor, "ID",
	 "only this auditor's attestation (default: every revealed one)", "256", false},
	{"timeout-ms", 0, OPT_U64, &opt_timeout_ms, "MS",
	 "timeout of each request to a storage node", "10000", false},
	{"json", 0, OPT_BOOL, &opt_json, NULL, "print JSON", NULL, false},
	OPT_END,
};

static void print_fail(void *arg, const struct settle_finding *f, const char *msg)
{
	(void)arg;
	fprintf(stderr, "assay dispute submit: auditor %u: %s\n", f->auditor_id, msg);
}

static bool check(const struct command *cmd, struct settle_session *s,
		  struct settle_dispute_report *r)
{
	struct err e = {{0}};
	struct settle_dispute_opts o = {
		.only_auditor = opt_auditor < 256 ? (int)opt_auditor : -1,
		.skip_auditor = -1,
		.confirmations = chain_settings.confirmations,
		.timeout_ms = opt_timeout_ms,
	};
	if (!settle_dispute_check(s->chain, &s->pub, opt_epoch, &o, r, &e)) {
		cli_fail(cmd, "%s", e.msg);
		return false;
	}
	return true;
}

static int run_check(const struct command *cmd, int argc, char **argv)
{
	cli_parse(cmd, dispute_opts, argc, argv, 0, 0, NULL, NULL);
	struct settle_session s;
	struct settle_dispute_report r = {0};
	if (!cli_settle_session_open(cmd, &s, 0))
		return EXIT_FAIL;
	int rc = EXIT_FAIL;
	if (check(cmd, &s, &r)) {
		settle_dispute_report_print(stdout, &r, opt_epoch, NULL, opt_json);
		rc = settle_dispute_report_frauds(&r) ? EXIT_FAIL : EXIT_OK;
	}
	settle_dispute_report_clear(&r);
	settle_session_close(&s);
	return rc;
}

static int run_submit(const struct command *cmd, int argc, char **argv)
{
	cli_parse(cmd, dispute_opts, argc, argv, 0, 0, NULL, NULL);
	struct settle_session s;
	struct settle_dispute_report r = {0};
	if (!cli_settle_session_open(cmd, &s, SETTLE_NEED_DB | SETTLE_NEED_SENDER))
		return EXIT_FAIL;
	int rc = EXIT_FAIL;
	bool *sent = NULL;
	if (!check(cmd, &s, &r))
		goto out;
	sent = xcalloc(r.n ? r.n : 1, sizeof(bool));
	size_t failed = settle_dispute_submit_all(s.chain, &r, sent, print_fail, NULL);
	settle_dispute_report_print(stdout, &r, opt_epoch, sent, opt_json);
	rc = failed ? cli_fail(cmd, "%zu proof(s) could not be submitted", failed) : EXIT_OK;
out:
	free(sent);
	settle_dispute_report_clear(&r);
	settle_session_close(&s);
	return rc;
}

const struct command dispute_commands[] = {
	{"dispute", "check", "check every revealed attestation of an epoch against its evidence blob",
	 "--epoch E [--auditor ID] [--json]",
	 "Reads each revealed attestation's evidence blob from the storage nodes (every byte "
	 "verified against its blob ID), rebuilds the evidence tree (settle/EVIDENCE.md) and "
	 "compares it with what the auditor revealed: the root, each node's totals against the "
	 "attested counts (provable: Settlement.disputeNodeTotal), the blob's own header. Failed "
	 "verdicts only the node can re-check are listed as notes. Exit 0: no fraud, 1: fraud "
	 "found (or the chain could not be read), 2: usage.",
	 "assay dispute check --epoch 7 --json", run_check},
	{"dispute", "submit", "check an epoch and send the proof of every provable fraud",
	 "--epoch E [--auditor ID] [--json]",
	 "Runs 'dispute check', then sends one proof per lying auditor through the sender "
	 "(--gas-key-file pays, --db keeps the signed transactions): the contract burns the "
	 "auditor's bond but the disputer's share, pays that share to the gas key and takes the "
	 "attestation out of the epoch. 'settle run' does the same each epoch for the other "
	 "auditors.",
	 "assay dispute submit --epoch 7 --db postgresql:///assay --gas-key-file gas.key",
	 run_submit},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
