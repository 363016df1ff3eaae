/* chain_deploy_cmds.c: assay chain deploy: the deployment's parameters from the
 * settings, chain/deploy.h to deploy and wire the contracts, then the deployment file
 * every other command reads. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/deploy.h"
#include "chain/deployment.h"
#include "chain/u256.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "cli/settings.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"

static struct chain_session_opts opts;
static const char *opt_out;

/* The parameters from the settings; usage errors for those out of range. */
static void deploy_settings(const struct command *cmd, struct chain_deploy_params *p)
{
	memset(p, 0, sizeof(*p));
	chain_session_amount(cmd, "--min-stake", settings.min_stake, &p->min_stake);
	chain_session_amount(cmd, "--price-per-mib", settings.price_per_mib, &p->price_per_mib);
	chain_session_amount(cmd, "--auditor-bond", settings.auditor_bond, &p->auditor_bond);
	if (settings.n_shards < 4 || settings.n_shards > 65535)
		cli_usage_error(cmd, "--n-shards must be 4 to 65535");
	if (!settings.epoch_duration_s)
		cli_usage_error(cmd, "--epoch-duration must be positive");
	if (settings.committee_cap > 65535 || settings.max_candidates > 65535 ||
	    settings.max_shard_moves > 65535 || settings.drift_bound_bps > 10000 ||
	    settings.seed_delay > 200 || settings.r0_bps > 10000 || settings.penalty_bps > 10000 ||
	    settings.slash_bps > 10000 || settings.auditor_bps > 10000 || settings.auditor_fa > 255 ||
	    settings.disputer_bps > 10000 || settings.audit_min_per_node == 0 ||
	    settings.audit_min_per_node > UINT32_MAX || settings.audit_per_shard > UINT32_MAX ||
	    settings.audit_batch_size == 0 || settings.audit_batch_size > UINT32_MAX)
		cli_usage_error(cmd, "a deployment parameter is out of range (bps at most 10000, "
				     "seed delay at most 200, f_a at most 255, min-per-node and "
				     "batch-size 1 to 2^32-1)");
	p->n_shards = (uint32_t)settings.n_shards;
	p->committee_cap = settings.committee_cap;
	p->max_candidates = settings.max_candidates;
	p->epoch_duration_s = settings.epoch_duration_s;
	p->max_shard_moves = settings.max_shard_moves;
	p->drift_bound_bps = settings.drift_bound_bps;
	p->seed_delay = settings.seed_delay;
	p->r0_bps = settings.r0_bps;
	p->penalty_bps = settings.penalty_bps;
	p->slash_bps = settings.slash_bps;
	p->auditor_bps = settings.auditor_bps;
	p->auditor_fa = settings.auditor_fa;
	p->commit_window_s = settings.commit_window_s;
	p->reveal_window_s = settings.reveal_window_s;
	p->dispute_window_s = settings.dispute_window_s;
	p->timelock_delay_s = settings.timelock_delay_s;
	p->disputer_bps = settings.disputer_bps;
	p->min_per_node = (uint32_t)settings.audit_min_per_node;
	p->per_shard = (uint32_t)settings.audit_per_shard;
	p->batch_size = (uint32_t)settings.audit_batch_size;
	p->contracts_dir = opts.contracts_dir;
}

/* The addresses that default to the deployer's: governance, guardian, auditor payees. */
static struct chain_deploy_auditor *deploy_addresses(const struct command *cmd,
						     const uint8_t me[20],
						     struct chain_deploy_params *p)
{
	struct err e = {{0}};
	memcpy(p->governance, me, 20);
	memcpy(p->guardian, me, 20);
	if (settings.governance && *settings.governance)
		chain_session_address(cmd, "--governance", settings.governance, p->governance);
	if (settings.guardian && *settings.guardian)
		chain_session_address(cmd, "--guardian", settings.guardian, p->guardian);
	struct chain_deploy_auditor *aud = xcalloc(settings.auditors.n + 1, sizeof(*aud));
	for (size_t i = 0; i < settings.auditors.n; i++)
		if (!chain_deploy_parse_auditor(settings.auditors.v[i], me, &aud[i], &e))
			cli_usage_error(cmd, "%s", e.msg);
	p->auditors = aud;
	p->nauditors = settings.auditors.n;
	if (settings.token && *settings.token) {
		chain_session_address(cmd, "--token", settings.token, p->token);
		p->has_token = true;
	}
	return aud;
}

static int run_deploy(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		CHAIN_SESSION_KEY_OPTS(opts),
		{"out", 0, OPT_STRING, &opt_out, "FILE",
		 "where to write the deployment file (default: --deployment)", NULL, false},
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	commands_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct chain_session s;
	int rc = EXIT_FAIL;
	struct chain_deploy_auditor *aud = NULL;
	const char *out_path = opt_out ? opt_out : settings.deployment;
	struct chain_deploy_params p;
	deploy_settings(cmd, &p);
	if (!cli_chain_session_open(&s, &opts, true, false, &e)) {
		cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	aud = deploy_addresses(cmd, s.me, &p);
	struct chain_deployment d;
	if (!chain_deploy(&s, &p, &d, &e)) {
		cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	if (!chain_deployment_save(out_path, &d, &e)) {
		cli_fail(cmd, "the contracts are deployed but the deployment file could not be "
			      "written: %s",
			 e.msg);
		chain_deployment_print(stderr, &d, NULL, true);
		goto out;
	}
	chain_deployment_print(stdout, &d, out_path, opts.json);
	rc = EXIT_OK;
out:
	free(aud);
	chain_session_close(&s);
	return rc;
}

const struct command chain_deploy_commands[] = {
	{"chain", "deploy", "deploy the assay contracts and write the deployment file",
	 "(--key-file FILE | --key-env VAR) [--config FILE] [--out FILE] [--auditor ID:SIGNER] "
	 "[--json]",
	 "Deploys, in order: a TestToken (unless --token names an existing ERC-20; local\n"
	 "networks only), the AssayTimelock (--governance proposes, anyone executes after\n"
	 "--timelock-delay), Staking with --n-shards shards, Settlement, BlobRegistry; binds\n"
	 "Settlement to Staking, registers each --auditor, and hands ownership of the three\n"
	 "contracts to the timelock. Every transaction goes through the sender (saved in\n"
	 "PostgreSQL with --db before broadcast) and is waited for (--confirmations; use 1 on\n"
	 "anvil). Then it writes the deployment file (chain id, addresses, start block, n,\n"
	 "deployer) atomically to --out or --deployment.\n"
	 "Parameters (n-shards, epoch-duration, min-stake, price-per-mib, r0-bps, penalty-bps,\n"
	 "slash-bps, auditor-fa, commit/reveal/dispute-window, min-per-node, per-shard and\n"
	 "batch-size, which Disputes fixes for the auditors' schedule, ...) come from flags, ASSAY_*\n"
	 "variables or a --config file of KEY = VALUE lines; the defaults suit a local network.\n"
	 "The contract bytecode is built into assay (chain/contracts, compiled with the pinned\n"
	 "solc at build time); --contracts DIR deploys DIR/<Name>.json instead.",
	 "assay chain deploy --rpc-url http://127.0.0.1:8545 --key-file deployer.key \\\n"
	 "    --confirmations 1 --auditor 0:0x70997970C51812dc3A010C7d01b50e0d17dc79C8 \\\n"
	 "    --config network.conf --out deployment.json",
	 run_deploy},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
