/* views_cmds.c: views on settlement for storage providers and explorers:
 * `assay payouts`, `assay attestations`, `assay evidence prove|verify`. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/key.h"
#include "cli/commands.h"
#include "cli/settle_session.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "settle/evidence.h"
#include "settle/payouts.h"
#include "settle/views.h"

static const char *opt_node, *opt_epochs;
static uint64_t opt_epoch, opt_seq;
static bool opt_json;

static int run_payouts(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		{"node", 0, OPT_STRING, &opt_node, "ADDR", "the storage node", NULL, false},
		{"epochs", 0, OPT_STRING, &opt_epochs, "A..B", "epoch range (default: all ended)", NULL,
		 false},
		{"json", 0, OPT_BOOL, &opt_json, NULL, "print JSON", NULL, false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	uint8_t node[20];
	struct err e = {{0}};
	if (!opt_node || !chain_address_parse(node, opt_node, &e))
		cli_usage_error(cmd, "--node ADDR is required (%s)", opt_node ? e.msg : "missing");
	struct settle_session s;
	if (!cli_settle_session_open(cmd, &s, SETTLE_NEED_DB | SETTLE_NEED_SIGNING))
		return EXIT_FAIL;
	struct settle_payouts p;
	memset(&p, 0, sizeof(p));
	struct settle_payout_terms terms;
	int rc = EXIT_FAIL;
	if (!settle_payout_terms_read(&s.ctx, &terms, &e)) {
		cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	uint64_t from = 0, to = terms.current_epoch ? terms.current_epoch - 1 : 0;
	if (opt_epochs) {
		const char *dots = strstr(opt_epochs, "..");
		char a[24] = "", b[24] = "";
		if (dots && (size_t)(dots - opt_epochs) < sizeof(a)) {
			memcpy(a, opt_epochs, (size_t)(dots - opt_epochs));
			snprintf(b, sizeof(b), "%s", dots + 2);
		}
		if (!dots || !parse_u64(a, &from) || !parse_u64(b, &to) || from > to)
			cli_usage_error(cmd, "--epochs must be A..B with A <= B");
	}
	if (!settle_payouts_reconcile(&s.ctx, node, &terms, from, to, &p, &e)) {
		cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	settle_payouts_print(stdout, &p, opt_json);
	rc = p.disagreements ? EXIT_FAIL : EXIT_OK;
out:
	settle_payouts_clear(&p);
	settle_session_close(&s);
	return rc;
}

static int run_attestations(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		{"epoch", 0, OPT_U64, &opt_epoch, "N", "the epoch", NULL, true},
		{"json", 0, OPT_BOOL, &opt_json, NULL, "print JSON", NULL, false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct settle_session s;
	if (!cli_settle_session_open(cmd, &s, 0))
		return EXIT_FAIL;
	struct err e = {{0}};
	unsigned bad = 0;
	int rc;
	if (!settle_attestations_print(stdout, s.chain, &s.ctx.dom, opt_epoch, opt_json, &bad, &e))
		rc = cli_fail(cmd, "%s", e.msg);
	else
		rc = bad ? cli_fail(cmd, "%u attestation(s) failed verification", bad) : EXIT_OK;
	settle_session_close(&s);
	return rc;
}

static const char *opt_archive;

static int run_prove(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		{"epoch", 0, OPT_U64, &opt_epoch, "N", "the epoch", NULL, true},
		{"seq", 0, OPT_U64, &opt_seq, "K", "prove the record of challenge K of the schedule",
		 NULL, false},
		{"node", 0, OPT_STRING, &opt_node, "ADDR",
		 "prove the node's subtree total (what Settlement.disputeNodeTotal takes)", NULL, false},
		{"archive", 0, OPT_STRING, &opt_archive, "FILE",
		 "read the records from this archive (assay db prune) instead of the database", NULL,
		 false},
		OPT_END,
	};
	opt_seq = UINT64_MAX; /* unset: 0 is a challenge */
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	uint8_t node[20];
	if ((opt_seq == UINT64_MAX) == !opt_node)
		cli_usage_error(cmd, "give one of --seq K (a record) or --node ADDR (a node's total)");
	if (opt_node && !chain_address_parse(node, opt_node, &e))
		cli_usage_error(cmd, "--node: %s", e.msg);
	struct settle_session s;
	memset(&s, 0, sizeof(s));
	if (!opt_archive && !cli_settle_session_open(cmd, &s, SETTLE_NEED_DB | SETTLE_NEED_SIGNING))
		return EXIT_FAIL;
	const struct settle_prove_what w = {opt_epoch, opt_seq, opt_node ? node : NULL, opt_node};
	json_t *out = settle_evidence_prove(s.db, s.ctx.signer, opt_archive, &w, &e);
	bool ok = out != NULL;
	if (ok) {
		char *t = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		printf("%s\n", t);
		free(t);
		json_decref(out);
	}
	settle_session_close(&s);
	return ok ? EXIT_OK : cli_fail(cmd, "%s", e.msg);
}

static int run_verify(const struct command *cmd, int argc, char **argv)
{
	char **pos = NULL;
	int npos = 0;
	cli_parse(cmd, NULL, argc, argv, 1, 1, &pos, &npos);
	struct err e = {{0}};
	json_error_t je;
	json_t *j = strcmp(pos[0], "-") ? json_load_file(pos[0], 0, &je) : json_loadf(stdin, 0, &je);
	free(pos);
	if (!j)
		return cli_fail(cmd, "reading the proof: %s", je.text);
	struct settle_session s;
	int rc = EXIT_FAIL;
	if (!cli_settle_session_open(cmd, &s, 0)) {
		json_decref(j);
		return EXIT_FAIL;
	}
	struct settle_proof_checked v;
	if (settle_evidence_proof_verify(s.chain, j, &v, &e)) {
		char na[43];
		chain_address_checksum(na, v.proof.node);
		if (v.total)
			printf("verified: in epoch %" PRIu64 " auditor %u's revealed evidence gives node "
			       "%s (committee position %zu) %" PRIu32 " passed of %" PRIu32 " decided\n",
			       v.epoch, v.auditor_id, na, v.proof.index, v.proof.sub.passed,
			       v.proof.sub.decided);
		else
			printf("verified: epoch %" PRIu64 " seq %" PRIu64 " (%s) is in auditor %u's "
			       "revealed evidence, under node %s\n",
			       v.record.epoch, v.record.seq, audit_outcome_name(v.record.outcome),
			       v.auditor_id, na);
		rc = EXIT_OK;
	} else {
		cli_fail(cmd, "%s", e.msg);
	}
	settle_session_close(&s);
	json_decref(j);
	return rc;
}

const struct command views_commands[] = {
	{NULL, "payouts", "a node's shards, challenges, scores, median, reward and penalty per epoch",
	 "--node ADDR [--epochs A..B] [--json]",
	 "Reconciles this auditor's database with the chain's events and says plainly where they "
	 "disagree (exit 1 then). The node's shard count is its committee's, and rewards are in "
	 "proportion to shards (reward_per_shard in --json). The NodeScored results it reads are "
	 "kept in the database (node_scores) for the API.",
	 "assay payouts --node 0x... --epochs 1..4 --db postgresql:///assay --signing-key-file "
	 "auditor.key",
	 run_payouts},
	{NULL, "attestations", "every revealed attestation of an epoch, verified offline",
	 "--epoch N [--json]",
	 "Reads reveals from chain events and checks each signature, countsHash, committeeHash, "
	 "secret commitment and commit.",
	 "assay attestations --epoch 3", run_attestations},
	{"evidence", "prove", "a decided record or a node's total with its evidence proof, as JSON",
	 "--epoch N (--seq K | --node ADDR) [--archive FILE]",
	 "The proof is against evidence tree version 2 (settle/EVIDENCE.md): --seq proves one "
	 "record up its node's sum subtree and the top tree; --node proves the node's subtree "
	 "total (passed, decided), the entry Settlement.disputeNodeTotal takes. The records come "
	 "from the database (the signing key's), or with --archive from the file that 'assay db "
	 "prune' wrote for the epoch and auditor: the same JSON either way.",
	 "assay evidence prove --epoch 3 --seq 17 --db postgresql:///assay --signing-key-file "
	 "auditor.key > proof.json",
	 run_prove},
	{"evidence", "verify", "check a proof of 'evidence prove' against the evidence root on chain",
	 "FILE|-", NULL, "assay evidence verify proof.json", run_verify},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
