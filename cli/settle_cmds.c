/* settle_cmds.c: `assay settle run` (the cron job) and `assay settle status`. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/key.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "cli/commands.h"
#include "cli/settings.h"
#include "cli/settle_session.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "settle/run.h"
#include "sql/db.h"
#include "sql/txstore.h"

bool settle_session_open(const struct command *cmd, struct settle_session *s, int need)
{
	struct err e = {{0}};
	memset(s, 0, sizeof(*s));
	uint64_t chain_id = 0;
	if (!chain_deployment_load(settings.deployment, &s->dep, &e) ||
	    !chain_rpc_new(&s->rpc, settings.rpc_url,
			   &(struct chain_rpc_opts){.timeout_ms = (unsigned)settings.rpc_timeout_ms,
						    .retries = 3},
			   &e) ||
	    !chain_rpc_chain_id(s->rpc, &chain_id, &e))
		goto fail;
	if (chain_id != s->dep.chain_id) {
		err_set(&e, "the node at %s is chain %" PRIu64 ", the deployment file says %" PRIu64,
			settings.rpc_url, chain_id, s->dep.chain_id);
		goto fail;
	}
	if (need & (SETTLE_NEED_DB | SETTLE_NEED_SENDER)) {
		int version = 0;
		if (!settings.db || !*settings.db) {
			err_set(&e, "no database: give --db or ASSAY_DB");
			goto fail;
		}
		if (!db_open(&s->db, settings.db, (unsigned)settings.db_connect_timeout_s, &e) ||
		    !db_schema_version(s->db, &version, &e))
			goto fail;
		if (version < db_latest_version()) {
			err_set(&e, "the database schema is at version %d, not %d: run 'assay db "
				    "migrate' first",
				version, db_latest_version());
			goto fail;
		}
	}
	if (need & SETTLE_NEED_SENDER) {
		if (!settings.gas_key_file || !*settings.gas_key_file) {
			err_set(&e, "no gas key: give --gas-key-file FILE");
			goto fail;
		}
		if (!chain_key_from_file(&s->gas, settings.gas_key_file, &e))
			goto fail;
		db_txstore_init(&s->store, s->db);
		s->have_store = true;
		struct chain_sender_cfg cfg;
		chain_sender_cfg_defaults(&cfg);
		cfg.confirmations = settings.confirmations;
		cfg.stuck_after_s = settings.stuck_after_s;
		cfg.fee_cap = settings.fee_cap_gwei * 1000000000ull;
		cfg.min_tip = settings.min_tip_gwei * 1000000000ull;
		cfg.poll_interval_ms = 200;
		cfg.wait_timeout_ms = 600000;
		/* chain_sender_new recovers and re-sends what an earlier run saved; wait for all
		 * of it, so the chain shows every earlier submission before we decide anything. */
		if (!chain_sender_new(&s->sender, s->rpc, s->gas, &s->store, &cfg, &e) ||
		    !chain_sender_wait_all(s->sender, &e))
			goto fail;
	}
	if (!settle_chain_new(&s->chain, s->rpc, s->sender, &s->dep, &e))
		goto fail;
	s->ctx.db = s->db;
	s->ctx.chain = s->chain;
	s->ctx.warn_margin_s = settings.settle_warn_margin_s;
	s->ctx.dom.chain_id = s->dep.chain_id;
	memcpy(s->ctx.dom.settlement, s->dep.settlement, 20);
	if (need & SETTLE_NEED_SIGNING) {
		if (!settings.signing_key_file || !*settings.signing_key_file) {
			err_set(&e, "no signing key: give --signing-key-file FILE");
			goto fail;
		}
		if (!chain_key_from_file(&s->signing, settings.signing_key_file, &e))
			goto fail;
		if (settings.gas_key_file && *settings.gas_key_file && s->gas) {
			uint8_t a[20], b[20];
			chain_key_address(s->signing, a);
			chain_key_address(s->gas, b);
			if (!memcmp(a, b, 20))
				log_warn("the gas key is the signing key; keep them apart so the signing "
					 "key never needs funds");
		}
		if (!settle_ctx_set_signer(&s->ctx, s->signing, settings.settle_auditor_id, &e))
			goto fail;
	}
	return true;
fail:
	cli_fail(cmd, "%s", e.msg);
	settle_session_close(s);
	return false;
}

void settle_session_close(struct settle_session *s)
{
	chain_sender_free(s->sender);
	settle_chain_free(s->chain);
	chain_key_free(s->signing);
	chain_key_free(s->gas);
	chain_rpc_free(s->rpc);
	db_close(s->db);
	memset(s, 0, sizeof(*s));
}

static bool opt_no_advance;

static int run_run(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		{"no-advance", 0, OPT_BOOL, &opt_no_advance, NULL,
		 "do not call advanceEpoch when the epoch's time is up", NULL, false},
		OPT_END,
	};
	commands_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct settle_session s;
	if (!settle_session_open(cmd, &s, SETTLE_NEED_DB | SETTLE_NEED_SIGNING | SETTLE_NEED_SENDER))
		return EXIT_FAIL;
	struct err e = {{0}};
	struct settle_run_opts o = {
		.advance = !opt_no_advance,
		.metrics_path = settings.settle_metrics_file && *settings.settle_metrics_file
					? settings.settle_metrics_file
					: NULL,
		.stuck_after_s = settings.stuck_after_s,
	};
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
	commands_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct settle_session s;
	if (!settle_session_open(cmd, &s, SETTLE_NEED_DB | SETTLE_NEED_SIGNING))
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
