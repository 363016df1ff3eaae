/* stake_cmds.c: assay stake register|delegate|undelegate|withdraw|claim|status: storage
 * nodes and their delegators on the Staking contract. Stake takes effect from the next
 * epoch; a withdrawal pays out only once every epoch it was staked in is settled. */
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/rpc.h"
#include "chain/stake.h"
#include "chain/u256.h"
#include "chain/settings.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/err.h"

static struct chain_session_opts opts;
static const char *opt_node, *opt_node_key, *opt_endpoint, *opt_amount, *opt_shares,
	*opt_delegator;
static uint64_t opt_commission;
static bool opt_all;
/* Sends r (chain/stake.h) from the key; prints the outcome. */
static int send_staking(const struct command *cmd, const struct chain_stake_req *r,
			const char *done)
{
	struct err e = {{0}};
	struct chain_session s;
	int rc = EXIT_FAIL;
	struct chain_receipt rcpt;
	memset(&rcpt, 0, sizeof(rcpt));
	if (!cli_chain_session_open(&s, &opts, true, true, &e) ||
	    !chain_stake_send(&s, r, cli_name(cmd) + 6, &rcpt, &e)) {
		cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	char me[43];
	chain_address_checksum(me, s.me);
	if (opts.json)
		chain_session_print_json(json_pack("{s:s,s:s,s:I}", "result", done, "from", me, "block",
				     (json_int_t)rcpt.block_number));
	else
		printf("%s (%s, block %" PRIu64 ")\n", done, me, rcpt.block_number);
	rc = EXIT_OK;
out:
	chain_receipt_clear(&rcpt);
	chain_session_close(&s);
	return rc;
}

static int run_register(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		CHAIN_SESSION_KEY_OPTS(opts),
		{"node-key", 0, OPT_STRING, &opt_node_key, "ADDR",
		 "address of the key the node signs storage confirmations with", NULL, false},
		{"endpoint", 0, OPT_STRING, &opt_endpoint, "URL", "the node's REST API", NULL, false},
		{"commission", 0, OPT_U64, &opt_commission, "BPS",
		 "operator's share of rewards, in basis points", "1000", false},
		{"amount", 0, OPT_STRING, &opt_amount, "TOKENS",
		 "self-stake in token base units (at least the minimum stake)", NULL, false},
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct chain_stake_req r = {.op = CHAIN_STAKE_REGISTER, .endpoint = opt_endpoint};
	chain_session_address(cmd, "--node-key", opt_node_key, r.node_key);
	chain_session_amount(cmd, "--amount", opt_amount, &r.amount);
	if (!opt_endpoint || !*opt_endpoint)
		cli_usage_error(cmd, "--endpoint URL is required");
	if (opt_commission > 10000)
		cli_usage_error(cmd, "--commission is in basis points: 0 to 10000");
	r.commission_bps = (uint16_t)opt_commission;
	return send_staking(cmd, &r, "registered: a candidate from the next epoch");
}

static int run_delegate(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		CHAIN_SESSION_KEY_OPTS(opts),
		{"node", 0, OPT_STRING, &opt_node, "ADDR", "the node (its operator address)", NULL,
		 false},
		{"amount", 0, OPT_STRING, &opt_amount, "TOKENS", "token base units", NULL, false},
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct chain_stake_req r = {.op = CHAIN_STAKE_DELEGATE};
	chain_session_address(cmd, "--node", opt_node, r.node);
	chain_session_amount(cmd, "--amount", opt_amount, &r.amount);
	return send_staking(cmd, &r, "delegated: staked from the next epoch");
}

static int run_undelegate(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		CHAIN_SESSION_KEY_OPTS(opts),
		{"node", 0, OPT_STRING, &opt_node, "ADDR", "the node", NULL, false},
		{"shares", 0, OPT_STRING, &opt_shares, "N", "pool shares to withdraw", NULL, false},
		{"all", 0, OPT_BOOL, &opt_all, NULL, "withdraw every active share", NULL, false},
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct chain_stake_req r = {.op = CHAIN_STAKE_UNDELEGATE, .all = opt_all};
	chain_session_address(cmd, "--node", opt_node, r.node);
	if (!opt_shares == !opt_all)
		cli_usage_error(cmd, "give exactly one of --shares N and --all");
	if (opt_shares)
		chain_session_amount(cmd, "--shares", opt_shares, &r.amount);
	return send_staking(cmd, &r,
			    "withdrawal requested: 'assay stake withdraw' once its epoch is settled");
}

static int run_withdraw(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		CHAIN_SESSION_KEY_OPTS(opts),
		{"node", 0, OPT_STRING, &opt_node, "ADDR", "the node", NULL, false},
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct chain_stake_req r = {.op = CHAIN_STAKE_WITHDRAW};
	chain_session_address(cmd, "--node", opt_node, r.node);
	return send_staking(cmd, &r, "withdrawn: every settled withdrawal paid out");
}

static int run_claim(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		CHAIN_SESSION_KEY_OPTS(opts),
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct chain_stake_req r = {.op = CHAIN_STAKE_CLAIM};
	return send_staking(cmd, &r, "commission claimed by the operator");
}

static int run_status(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		{"node", 0, OPT_STRING, &opt_node, "ADDR", "one node (default: every candidate)",
		 NULL, false},
		{"delegator", 0, OPT_STRING, &opt_delegator, "ADDR",
		 "also show this delegator's position on --node", NULL, false},
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	uint8_t node[20], del[20];
	if (opt_node)
		chain_session_address(cmd, "--node", opt_node, node);
	if (opt_delegator) {
		if (!opt_node)
			cli_usage_error(cmd, "--delegator needs --node");
		chain_session_address(cmd, "--delegator", opt_delegator, del);
	}
	struct err e = {{0}};
	struct chain_session s;
	json_t *j = NULL;
	int rc = EXIT_OK;
	if (!cli_chain_session_open(&s, &opts, false, true, &e) ||
	    !chain_stake_status_json(s.bind, opt_node ? node : NULL, opt_delegator ? del : NULL,
				     &j, &e))
		rc = cli_fail(cmd, "%s", e.msg);
	else if (opts.json)
		chain_session_print_json(json_incref(j));
	else
		chain_stake_status_print(stdout, j);
	json_decref(j);
	chain_session_close(&s);
	return rc;
}

const struct command stake_commands[] = {
	{"stake", "register", "register the key's address as a storage node, with its self-stake",
	 "(--key-file FILE | --key-env VAR) --node-key ADDR --endpoint URL --commission BPS "
	 "--amount TOKENS",
	 "Approves the token and calls Staking.registerNode: the operator address (the key's) is\n"
	 "the node id; --node-key signs storage confirmations. The self-stake (at least the\n"
	 "minimum stake) counts from the next epoch, when the node can join the committee.",
	 "assay stake register --key-file op.key --node-key 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 \\\n"
	 "    --endpoint http://10.0.0.5:9185 --commission 1000 --amount 100000000000000000000",
	 run_register},
	{"stake", "delegate", "stake tokens on a node (from the next epoch)",
	 "(--key-file FILE | --key-env VAR) --node ADDR --amount TOKENS",
	 "Approves the token and calls Staking.delegate: the amount joins the node's pool at the\n"
	 "share price of the moment every earlier epoch is settled.",
	 "assay stake delegate --key-file me.key --node 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC "
	 "--amount 5000000000000000000",
	 run_delegate},
	{"stake", "undelegate", "start withdrawing shares from a node",
	 "(--key-file FILE | --key-env VAR) --node ADDR (--shares N | --all)",
	 "Calls Staking.requestWithdrawal: the shares leave the next committee's stake but stay\n"
	 "exposed to the current epoch's outcome until it is settled; then 'assay stake\n"
	 "withdraw' pays them out.",
	 "assay stake undelegate --key-file me.key --node 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC --all",
	 run_undelegate},
	{"stake", "withdraw", "pay out withdrawals whose epochs are settled",
	 "(--key-file FILE | --key-env VAR) --node ADDR", NULL,
	 "assay stake withdraw --key-file me.key --node 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC",
	 run_withdraw},
	{"stake", "claim", "pay the node operator its accrued commission",
	 "(--key-file FILE | --key-env VAR)", NULL, "assay stake claim --key-file op.key",
	 run_claim},
	{"stake", "status", "nodes (all candidates or one) and a delegator's position",
	 "[--node ADDR [--delegator ADDR]] [--json]",
	 "Shows each node's key, endpoint, commission, whether it is active, its pool stake now\n"
	 "and the stake it would bring to the next committee; with --delegator, that\n"
	 "delegator's shares, claimable tokens, pending deposits and withdrawing shares (as last\n"
	 "resolved on chain).",
	 "assay stake status --node 0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC --json", run_status},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
