/* chain_deploy_cmds.c: assay chain deploy: the token (or an existing one), the timelock,
 * Staking, Settlement and BlobRegistry, wired and handed to the timelock, through the
 * transaction sender; then the deployment file every other command reads. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "chain/u256.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "cli/settings.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"

static struct chain_session_opts opts;
static const char *opt_out;

struct auditor_cfg {
	uint8_t id;
	uint8_t signer[20];
	uint8_t payee[20];
};

/* "ID:SIGNER[:PAYEE]" */
static bool parse_auditor(const char *text, const uint8_t deflt_payee[20], struct auditor_cfg *a,
			  struct err *e)
{
	char buf[200];
	snprintf(buf, sizeof(buf), "%s", text);
	char *c1 = strchr(buf, ':');
	if (!c1)
		return err_set(e, "auditor '%s' is not ID:SIGNER[:PAYEE]", text);
	*c1 = '\0';
	char *c2 = strchr(c1 + 1, ':');
	if (c2)
		*c2 = '\0';
	uint64_t id;
	if (!parse_u64(buf, &id) || id > 255)
		return err_set(e, "auditor '%s': the id must be 0 to 255", text);
	a->id = (uint8_t)id;
	if (!chain_address_parse(a->signer, c1 + 1, e))
		return err_prefix(e, "auditor '%s' signer: ", text);
	if (c2) {
		if (!chain_address_parse(a->payee, c2 + 1, e))
			return err_prefix(e, "auditor '%s' payee: ", text);
	} else {
		memcpy(a->payee, deflt_payee, 20);
	}
	return true;
}

/* Deploys `name` with constructor args (stolen); *addr receives its address. */
static bool deploy_one(struct chain_session *s, const char *name, struct chain_abi_value *args,
		       uint8_t addr[20], uint64_t *block, struct err *e)
{
	struct chain_compiled *c = NULL;
	struct buf code = BUF_INIT;
	struct chain_receipt rcpt;
	memset(&rcpt, 0, sizeof(rcpt));
	bool ok = false;
	if (!chain_compiled_load(name, opts.contracts_dir, &c, e))
		goto out;
	buf_append(&code, c->bytecode.data, c->bytecode.len);
	if (!chain_abi_encode(c->ctor->inputs, args, &code, e)) {
		err_prefix(e, "%s constructor arguments: ", name);
		goto out;
	}
	char purpose[64];
	snprintf(purpose, sizeof(purpose), "deploy %s", name);
	if (!chain_bind_send_data(s->bind, NULL, code.data, code.len, purpose, &rcpt, e))
		goto out;
	if (!rcpt.has_contract) {
		err_set(e, "deploying %s: the receipt names no contract address", name);
		goto out;
	}
	memcpy(addr, rcpt.contract_address, 20);
	if (block)
		*block = rcpt.block_number;
	char a[43];
	chain_address_checksum(a, addr);
	log_info("deployed %s at %s (block %" PRIu64 ")", name, a, rcpt.block_number);
	ok = true;
out:
	chain_abi_value_free(args);
	chain_receipt_clear(&rcpt);
	chain_compiled_free(c);
	buf_free(&code);
	return ok;
}

static struct chain_abi_value *addr_list1(const uint8_t a[20])
{
	return chain_abi_push(chain_abi_array_new(), chain_abi_address_new(a));
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
	struct auditor_cfg *aud = NULL;
	const char *out_path = opt_out ? opt_out : settings.deployment;

	struct chain_u256 min_stake, price;
	chain_session_amount(cmd, "--min-stake", settings.min_stake, &min_stake);
	chain_session_amount(cmd, "--price-per-mib", settings.price_per_mib, &price);
	if (settings.n_shards < 4 || settings.n_shards > 65535)
		cli_usage_error(cmd, "--n-shards must be 4 to 65535");
	if (!settings.epoch_duration_s)
		cli_usage_error(cmd, "--epoch-duration must be positive");
	if (settings.committee_cap > 65535 || settings.max_candidates > 65535 ||
	    settings.max_shard_moves > 65535 || settings.drift_bound_bps > 10000 ||
	    settings.seed_delay > 200 || settings.r0_bps > 10000 || settings.penalty_bps > 10000 ||
	    settings.slash_bps > 10000 || settings.auditor_bps > 10000 || settings.auditor_fa > 255)
		cli_usage_error(cmd, "a deployment parameter is out of range (bps at most 10000, "
				     "seed delay at most 200, f_a at most 255)");

	if (!cli_chain_session_open(&s, &opts, true, false, &e)) {
		cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	uint8_t governance[20], guardian[20], token[20];
	memcpy(governance, s.me, 20);
	memcpy(guardian, s.me, 20);
	if (settings.governance && *settings.governance)
		chain_session_address(cmd, "--governance", settings.governance, governance);
	if (settings.guardian && *settings.guardian)
		chain_session_address(cmd, "--guardian", settings.guardian, guardian);
	aud = xcalloc(settings.auditors.n + 1, sizeof(*aud));
	for (size_t i = 0; i < settings.auditors.n; i++)
		if (!parse_auditor(settings.auditors.v[i], s.me, &aud[i], &e))
			cli_usage_error(cmd, "%s", e.msg);

	struct chain_deployment d;
	memset(&d, 0, sizeof(d));
	d.chain_id = chain_sender_chain_id(s.sender);
	d.n_shards = (uint32_t)settings.n_shards;
	memcpy(d.deployer, s.me, 20);
	uint64_t first_block = 0;

	if (settings.token && *settings.token) {
		chain_session_address(cmd, "--token", settings.token, token);
	} else {
		if (d.chain_id != 31337 && d.chain_id != 1337)
			log_warn("deploying a TestToken (anyone may mint) on chain %" PRIu64
				 ": give --token ADDR for a real network",
				 d.chain_id);
		struct chain_abi_value *a = chain_abi_tuple_new();
		chain_abi_push(a, chain_abi_string_new("Assay Test"));
		chain_abi_push(a, chain_abi_string_new("TST"));
		if (!deploy_one(&s, "TestToken", a, token, &first_block, &e))
			goto fail;
	}
	memcpy(d.token, token, 20);

	/* The timelock: governance proposes, anyone executes once the delay has passed. */
	static const uint8_t zero[20];
	struct chain_abi_value *a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_uint_new(settings.timelock_delay_s));
	chain_abi_push(a, addr_list1(governance));
	chain_abi_push(a, addr_list1(zero));
	chain_abi_push(a, chain_abi_address_new(zero));
	uint64_t blk;
	if (!deploy_one(&s, "AssayTimelock", a, d.timelock, &blk, &e))
		goto fail;
	if (!first_block)
		first_block = blk;

	/* The deployer owns the contracts while wiring them (auditors need the owner), then
	 * hands them to the timelock. */
	a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_address_new(token));
	chain_abi_push(a, chain_abi_address_new(s.me));
	chain_abi_push(a, chain_abi_address_new(guardian));
	chain_abi_push(a, chain_abi_uint_new(settings.n_shards));
	chain_abi_push(a, chain_abi_uint_new(settings.committee_cap));
	chain_abi_push(a, chain_abi_uint_new(settings.max_candidates));
	chain_abi_push(a, chain_abi_uint_new(settings.epoch_duration_s));
	chain_abi_push(a, chain_abi_u256_new(&min_stake));
	chain_abi_push(a, chain_abi_uint_new(settings.max_shard_moves));
	chain_abi_push(a, chain_abi_uint_new(settings.drift_bound_bps));
	chain_abi_push(a, chain_abi_uint_new(settings.seed_delay));
	if (!deploy_one(&s, "Staking", a, d.staking, NULL, &e))
		goto fail;

	struct chain_abi_value *params = chain_abi_tuple_new();
	chain_abi_push(params, chain_abi_uint_new(settings.r0_bps));
	chain_abi_push(params, chain_abi_uint_new(settings.penalty_bps));
	chain_abi_push(params, chain_abi_uint_new(settings.slash_bps));
	chain_abi_push(params, chain_abi_uint_new(settings.auditor_bps));
	chain_abi_push(params, chain_abi_uint_new(settings.auditor_fa));
	chain_abi_push(params, chain_abi_uint_new(settings.commit_window_s));
	chain_abi_push(params, chain_abi_uint_new(settings.reveal_window_s));
	chain_abi_push(params, chain_abi_uint_new(settings.dispute_window_s));
	a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_address_new(token));
	chain_abi_push(a, chain_abi_address_new(d.staking));
	chain_abi_push(a, chain_abi_address_new(s.me));
	chain_abi_push(a, chain_abi_address_new(guardian));
	chain_abi_push(a, params);
	if (!deploy_one(&s, "Settlement", a, d.settlement, NULL, &e))
		goto fail;

	a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_address_new(token));
	chain_abi_push(a, chain_abi_address_new(d.staking));
	chain_abi_push(a, chain_abi_address_new(d.settlement));
	chain_abi_push(a, chain_abi_address_new(s.me));
	chain_abi_push(a, chain_abi_address_new(guardian));
	chain_abi_push(a, chain_abi_u256_new(&price));
	if (!deploy_one(&s, "BlobRegistry", a, d.blob_registry, NULL, &e))
		goto fail;

	if (!chain_bind_send(s.bind, d.staking, "bindSettlement(address)",
			     chain_abi_push(chain_abi_tuple_new(), chain_abi_address_new(d.settlement)),
			     "bind settlement", NULL, &e))
		goto fail;
	for (size_t i = 0; i < settings.auditors.n; i++) {
		a = chain_abi_tuple_new();
		chain_abi_push(a, chain_abi_uint_new(aud[i].id));
		chain_abi_push(a, chain_abi_address_new(aud[i].signer));
		chain_abi_push(a, chain_abi_address_new(aud[i].payee));
		chain_abi_push(a, chain_abi_bool_new(true));
		if (!chain_bind_send(s.bind, d.settlement, "setAuditor(uint8,address,address,bool)", a,
				     "set auditor", NULL, &e))
			goto fail;
	}
	const uint8_t *owned[] = {d.staking, d.settlement, d.blob_registry};
	for (size_t i = 0; i < ARRAY_LEN(owned); i++)
		if (!chain_bind_send(s.bind, owned[i], "transferOwnership(address)",
				     chain_abi_push(chain_abi_tuple_new(),
						    chain_abi_address_new(d.timelock)),
				     "hand over to the timelock", NULL, &e))
			goto fail;

	d.start_block = first_block;
	if (!chain_deployment_save(out_path, &d, &e)) {
		cli_fail(cmd, "the contracts are deployed but the deployment file could not be "
			      "written: %s",
			 e.msg);
		struct buf b = BUF_INIT;
		chain_deployment_format(&d, &b);
		fputs(buf_cstr(&b), stderr);
		buf_free(&b);
		goto out;
	}
	if (opts.json) {
		struct buf b = BUF_INIT;
		chain_deployment_format(&d, &b);
		fputs(buf_cstr(&b), stdout);
		buf_free(&b);
	} else {
		char x[43];
		printf("deployment written to %s (chain %" PRIu64 ", n = %u, from block %" PRIu64
		       ")\n",
		       out_path, d.chain_id, d.n_shards, d.start_block);
		const struct {
			const char *n;
			const uint8_t *a;
		} rows[] = {{"token", d.token},       {"timelock", d.timelock},
			    {"staking", d.staking},   {"blob_registry", d.blob_registry},
			    {"settlement", d.settlement}};
		for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
			chain_address_checksum(x, rows[i].a);
			printf("%-14s %s\n", rows[i].n, x);
		}
	}
	rc = EXIT_OK;
	goto out;
fail:
	cli_fail(cmd, "%s", e.msg);
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
	 "slash-bps, auditor-fa, commit/reveal/dispute-window, ...) come from flags, ASSAY_*\n"
	 "variables or a --config file of KEY = VALUE lines; the defaults suit a local network.\n"
	 "The contract bytecode is built into assay (chain/contracts, compiled with the pinned\n"
	 "solc at build time); --contracts DIR deploys DIR/<Name>.json instead.",
	 "assay chain deploy --rpc-url http://127.0.0.1:8545 --key-file deployer.key \\\n"
	 "    --confirmations 1 --auditor 0:0x70997970C51812dc3A010C7d01b50e0d17dc79C8 \\\n"
	 "    --config network.conf --out deployment.json",
	 run_deploy},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
