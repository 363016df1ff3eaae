/* settle_cmds.c: `assay settle run` (the cron job) and `assay settle status`. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/settle_session.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "settle/run.h"
#include "settle/settings.h"

bool cli_settle_session_open(const struct command *cmd, struct settle_session *s, int need)
{
	struct err e = {{0}};
	if (settle_session_open_settings(s, need, &e))
		return true;
	cli_fail(cmd, "%s", e.msg);
	return false;
}

static bool opt_no_advance;

static int run_run(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		{"no-advance", 0, OPT_BOOL, &opt_no_advance, NULL,
		 "do not call advanceEpoch when the epoch's time is up", NULL, false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct settle_session s;
	if (!cli_settle_session_open(cmd, &s, SETTLE_NEED_DB | SETTLE_NEED_SIGNING | SETTLE_NEED_SENDER))
		return EXIT_FAIL;
	struct err e = {{0}};
	struct settle_run_opts o = {.advance = !opt_no_advance};
	settle_run_opts_from_settings(&o);
	int rc = EXIT_OK;
	if (!settle_run(&s.ctx, s.sender, &o, &e))
		rc = cli_fail(cmd, "%s", e.msg);
	else if (s.ctx.errors)
		rc = cli_fail(cmd, "%u step(s) failed (see the log above); the next run takes them up "
				   "again",
			      s.ctx.errors);
	settle_session_close(&s);
	return rc;
}

static bool opt_json;

static int run_status(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		{"json", 0, OPT_BOOL, &opt_json, NULL, "print JSON", NULL, false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct settle_session s;
	if (!cli_settle_session_open(cmd, &s, SETTLE_NEED_DB | SETTLE_NEED_SIGNING))
		return EXIT_FAIL;
	struct err e = {{0}};
	struct buf out = BUF_INIT;
	int rc = EXIT_OK;
	if (!settle_status(&s.ctx, &out, opt_json, &e))
		rc = cli_fail(cmd, "%s", e.msg);
	else
		fwrite(out.data, 1, out.len, stdout);
	buf_free(&out);
	settle_session_close(&s);
	return rc;
}

const struct command settle_commands[] = {
	{"settle", "run", "settle epochs: advance, commit secrets, score, commit, reveal, finalize",
	 "[--no-advance]",
	 "What cron runs. Idempotent and crash-safe: each epoch moves through states kept in "
	 "PostgreSQL (audited, scored, committed, revealed, finalized or voided); every "
	 "transaction goes through the sender (saved before broadcast) and the chain is read "
	 "before anything is sent, so a run killed at any point and started again finishes "
	 "without a second submission. Needs --signing-key-file (attestations, secrets) and "
	 "--gas-key-file (pays gas), --db, --rpc-url, --deployment. Metrics go to "
	 "--settle-metrics-file.",
	 "assay settle run --db postgresql:///assay --signing-key-file auditor.key "
	 "--gas-key-file gas.key --settle-metrics-file /var/lib/assay/settle.prom",
	 run_run},
	{"settle", "status", "this auditor's epochs: state, chain status, open window", "[--json]",
	 NULL, "assay settle status --db postgresql:///assay --signing-key-file auditor.key",
	 run_status},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
