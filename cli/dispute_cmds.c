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
#include "node/store.h"
#include "settle/dispute.h"
#include "settle/verdict.h"

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

static int run_verdict(const struct command *cmd, int argc, char **argv)
{
	static uint64_t seq = UINT64_MAX;
	static const char *data;
	static const struct opt local[] = {
		{"epoch", 0, OPT_U64, &opt_epoch, "E", "the epoch", NULL, true},
		{"auditor", 0, OPT_U64, &opt_auditor, "ID", "the auditor whose record it is", "256",
		 false},
		{"seq", 0, OPT_U64, &seq, "K", "the record's challenge seq", NULL, false},
		{"data", 0, OPT_STRING, &data, "DIR",
		 "rebuild the body from this node's sliver store (default: ask the node again)",
		 NULL, false},
		{"timeout-ms", 0, OPT_U64, &opt_timeout_ms, "MS",
		 "timeout of each request to a storage node", "10000", false},
		{"json", 0, OPT_BOOL, &opt_json, NULL, "print JSON", NULL, false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	if (opt_auditor > 255 || seq == UINT64_MAX)
		cli_usage_error(cmd, "--auditor ID (0 to 255) and --seq K are required");
	struct settle_session s;
	struct node_store *store = NULL;
	struct settle_verdict *v = NULL;
	struct err e = {{0}};
	int rc = EXIT_FAIL;
	if (!cli_settle_session_open(cmd, &s, SETTLE_NEED_DB | SETTLE_NEED_SENDER))
		return EXIT_FAIL;
	struct settle_verdict_opts o = {chain_settings.confirmations, opt_timeout_ms, NULL};
	if (data && !node_store_open(data, &store, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	o.store = store;
	if (!settle_verdict_build(&s.pub, &o, opt_epoch, (uint8_t)opt_auditor, seq, &v, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	if (!settle_verdict_provable(v)) {
		settle_verdict_print(stdout, v, NULL, opt_json);
		rc = cli_fail(cmd, "nothing to prove: %s", settle_verdict_what(v));
		goto out;
	}
	bool sent = settle_verdict_submit(s.chain, v, &e);
	settle_verdict_print(stdout, v, &sent, opt_json);
	rc = sent ? EXIT_OK : cli_fail(cmd, "%s", e.msg);
out:
	settle_verdict_free(v);
	node_store_free(store);
	settle_session_close(&s);
	return rc;
}

const struct command dispute_commands[] = {
	{"dispute", "check", "check every revealed attestation of an epoch against its evidence blob",
	 "--epoch E [--auditor ID] [--json]",
	 "Reads each revealed attestation's evidence blob from the storage nodes (every byte "
	 "verified against its blob ID), rebuilds the evidence tree (settle/EVIDENCE.md) and the "
	 "auditor's schedule from the chain with its revealed secret, and compares them with what "
	 "the auditor revealed: the root, each node's totals against the attested counts "
	 "(provable: Settlement.disputeNodeTotal), every record against the schedule (provable: "
	 "Disputes.disputeSchedule, disputeTooMany), records repeated, out of order or of "
	 "another epoch in the tree as committed (disputeOrder, disputeRecord), the blob's own "
	 "header. Failed verdicts only the node can re-check and scheduled challenges with no "
	 "record are listed as notes. Exit 0: no fraud, 1: fraud found (or the chain could not be "
	 "read), 2: usage.",
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
	{"dispute", "verdict", "prove one failed verdict a lie (fraud proof 2) and send the proof",
	 "--epoch E --auditor ID --seq K [--data DIR] [--json]",
	 "Reads the auditor's record K from its evidence blob, takes the record's request (the ids "
	 "of its batch with its blob and axis) from the public schedule rebuilt with the revealed "
	 "secret, rebuilds the body the node answered (from the node's sliver store with --data, "
	 "else by asking the node again) and, when the body hashes to the record's response hash "
	 "and verifies by the contract's rule, sends Disputes.disputeVerdict through the sender "
	 "(--gas-key-file pays, --db keeps the signed transactions). Exit 1 when there is nothing "
	 "to prove (the output says why). 'settle run' does the same for the other auditors.",
	 "assay dispute verdict --epoch 7 --auditor 2 --seq 4711 --data /var/lib/assay/n0 --db "
	 "postgresql:///assay --gas-key-file gas.key",
	 run_verdict},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
