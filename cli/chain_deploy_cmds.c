/* chain_deploy_cmds.c: assay chain deploy: the deployment's parameters from the
 * settings, chain/deploy.h to deploy and wire the contracts, then the deployment file
 * every other command reads. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/settings.h"
#include "chain/abi.h"
#include "chain/deploy.h"
#include "chain/deployment.h"
#include "chain/settings.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"

static struct chain_session_opts opts;
static const char *opt_out;

static int run_deploy(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		CHAIN_SESSION_KEY_OPTS(opts),
		{"out", 0, OPT_STRING, &opt_out, "FILE",
		 "where to write the deployment file (default: --deployment)", NULL, false},
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct chain_session s;
	int rc = EXIT_FAIL;
	struct chain_deploy_auditor *aud = NULL;
	const char *out_path = opt_out ? opt_out : chain_settings.deployment;
	struct chain_deploy_params p;
	if (!chain_deploy_params_from_settings(&p, &e))
		cli_usage_error(cmd, "%s", e.msg);
	/* Disputes fixes the auditors' schedule (audit/SCHEDULE.md): the audit settings' */
	if (!audit_settings.min_per_node || audit_settings.min_per_node > UINT32_MAX ||
	    audit_settings.per_shard > UINT32_MAX || !audit_settings.batch_size ||
	    audit_settings.batch_size > UINT32_MAX)
		cli_usage_error(cmd, "a deployment parameter is out of range (min-per-node and "
				     "batch-size 1 to 2^32-1, per-shard at most 2^32-1)");
	p.min_per_node = (uint32_t)audit_settings.min_per_node;
	p.per_shard = (uint32_t)audit_settings.per_shard;
	p.batch_size = (uint32_t)audit_settings.batch_size;
	p.contracts_dir = opts.contracts_dir;
	if (!cli_chain_session_open(&s, &opts, true, false, &e)) {
		cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	if (!chain_deploy_addresses_from_settings(&p, s.me, &aud, &e))
		cli_usage_error(cmd, "%s", e.msg);
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
