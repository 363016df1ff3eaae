/* chain_rpc_cmds.c: assay chain send|call: transactions through the sender (saved in
 * PostgreSQL before broadcast when --db is set) and read-only calls decoded like cast. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/key.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "chain/settings.h"
#include "chain/txstore.h"
#include "chain/u256.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/encoding.h"
#include "core/err.h"
#include "sql/txstore.h"

static struct chain_session_opts keys;
static const char *opt_to, *opt_value, *opt_data, *opt_from, *opt_block, *opt_purpose;
static uint64_t opt_gas_limit, opt_timeout_s;
static bool opt_wait, opt_create;

static struct chain_rpc *open_rpc(const struct command *cmd)
{
	struct chain_rpc_opts o = {.timeout_ms = (unsigned)chain_settings.rpc_timeout_ms,
				   .retries = 3};
	struct chain_rpc *rpc = NULL;
	struct err e = {{0}};
	if (!chain_rpc_new(&rpc, chain_settings.rpc_url, &o, &e))
		exit(cli_fail(cmd, "%s", e.msg));
	return rpc;
}

/* Calldata from --data HEX or from SIG ARGS...; *sig_out keeps the signature (for output
 * types) when one was given. Usage errors exit 2. */
static void build_calldata(const struct command *cmd, char **pos, int npos, struct buf *out,
			   struct chain_abi_sig **sig_out)
{
	struct err e = {{0}};
	*sig_out = NULL;
	if (opt_data && npos)
		cli_usage_error(cmd, "give either --data HEX or SIG [ARGS...], not both");
	if (opt_data) {
		if (!hex_decode_buf(out, opt_data, &e))
			cli_usage_error(cmd, "--data: %s", e.msg);
		return;
	}
	if (!npos)
		return;
	bool bad_text;
	if (!chain_abi_calldata_text(pos[0], pos + 1, (size_t)npos - 1, out, sig_out, &bad_text, &e))
		cli_usage_error(cmd, "%s", e.msg);
}

static const struct opt send_opts[] = {
	CHAIN_SESSION_KEY_OPTS(keys),
	{"to", 0, OPT_STRING, &opt_to, "ADDR", "recipient or contract called", NULL, false},
	{"create", 0, OPT_BOOL, &opt_create, NULL, "deploy a contract: --data is its init code",
	 NULL, false},
	{"value", 0, OPT_STRING, &opt_value, "WEI", "wei sent with the transaction", "0", false},
	{"data", 0, OPT_STRING, &opt_data, "HEX", "calldata (instead of SIG ARGS...)", NULL,
	 false},
	{"gas-limit", 0, OPT_U64, &opt_gas_limit, "GAS",
	 "gas limit; 0: eth_estimateGas + 20 %", "0", false},
	{"purpose", 0, OPT_STRING, &opt_purpose, "TEXT", "recorded with the transaction",
	 "assay chain send", false},
	{"wait", 0, OPT_BOOL, &opt_wait, NULL,
	 "wait for --confirmations blocks and print the receipt", NULL, false},
	{"timeout", 0, OPT_U64, &opt_timeout_s, "SECONDS", "give up waiting after this long",
	 "600", false},
	OPT_END,
};

static int run_send(const struct command *cmd, int argc, char **argv)
{
	char **pos = NULL;
	int npos = 0;
	cli_parse(cmd, send_opts, argc, argv, 0, -1, &pos, &npos);
	int rc = EXIT_FAIL;
	struct err e = {{0}};
	struct chain_session cs;
	struct chain_abi_sig *sig = NULL;
	struct buf data = BUF_INIT;
	struct chain_receipt rcpt;
	memset(&rcpt, 0, sizeof(rcpt));

	if (!keys.key_file == !keys.key_env)
		cli_usage_error(cmd, "give exactly one of --key-file FILE and --key-env VAR");
	if (!opt_to == !opt_create)
		cli_usage_error(cmd, "give exactly one of --to ADDR and --create");
	uint8_t to[20];
	if (opt_to && !chain_address_parse(to, opt_to, &e))
		cli_usage_error(cmd, "--to: %s", e.msg);
	struct chain_u256 value;
	if (!chain_u256_parse(&value, opt_value, &e))
		cli_usage_error(cmd, "--value: %s", e.msg);
	build_calldata(cmd, pos, npos, &data, &sig);
	free(pos);

	struct chain_session_cfg c;
	chain_session_cfg_from_settings(&c, false);
	c.with_key = true;
	c.key_file = keys.key_file;
	c.key_env = keys.key_env;
	c.open_store = db_txstore_open_settings;
	c.open_store_arg = "no --db: the signed transaction is kept in memory only, so a crash "
			   "would lose track of it";
	c.sender.wait_timeout_ms = opt_timeout_s * 1000;
	int64_t id;
	enum chain_txstate st;
	uint8_t hash[32];
	if (!chain_session_open(&cs, &c, &e) ||
	    !chain_sender_submit(cs.sender, opt_to ? to : NULL, &value, data.data, data.len,
				 opt_gas_limit, opt_purpose, &id, &e) ||
	    !chain_sender_lookup(cs.sender, id, &st, hash, &e)) {
		cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	char hex[67] = "0x";
	hex_encode(hex + 2, hash, 32);
	printf("%s\n", hex);
	fflush(stdout);
	if (st == CHAIN_TX_SIGNED) {
		const char *le = chain_sender_last_error(cs.sender, id);
		cli_fail(cmd, "the node did not take the transaction%s%s%s", le[0] ? ": " : "", le,
			 cs.memstore ? ""
				     : " (it is saved and the next run with this key and --db sends "
				       "it again)");
		goto out;
	}
	if (opt_wait) {
		if (!chain_sender_wait(cs.sender, id, &rcpt, &e)) {
			cli_fail(cmd, "%s", e.msg);
			goto out;
		}
		chain_receipt_print(stdout, &rcpt);
		if (!rcpt.status) {
			cli_fail(cmd, "the transaction was mined but reverted");
			goto out;
		}
	}
	rc = EXIT_OK;
out:
	chain_receipt_clear(&rcpt);
	chain_session_close(&cs);
	chain_abi_sig_free(sig);
	buf_free(&data);
	return rc;
}

static int run_call(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		{"to", 0, OPT_STRING, &opt_to, "ADDR", "the contract called", NULL, false},
		{"data", 0, OPT_STRING, &opt_data, "HEX", "calldata (instead of SIG ARGS...)", NULL,
		 false},
		{"from", 0, OPT_STRING, &opt_from, "ADDR", "caller address (msg.sender)", NULL, false},
		{"block", 0, OPT_STRING, &opt_block, "TAG",
		 "latest, pending, safe, finalized or a block number", "latest", false},
		OPT_END,
	};
	char **pos = NULL;
	int npos = 0;
	cli_parse(cmd, local, argc, argv, 0, -1, &pos, &npos);
	struct err e = {{0}};
	if (!opt_to)
		cli_usage_error(cmd, "--to ADDR is required");
	uint8_t to[20], from[20];
	if (!chain_address_parse(to, opt_to, &e))
		cli_usage_error(cmd, "--to: %s", e.msg);
	if (opt_from && !chain_address_parse(from, opt_from, &e))
		cli_usage_error(cmd, "--from: %s", e.msg);
	char tag[24];
	chain_rpc_tag_text(tag, opt_block);
	struct buf data = BUF_INIT, out = BUF_INIT;
	struct chain_abi_sig *sig = NULL;
	if (!opt_data && !npos)
		cli_usage_error(cmd, "give SIG [ARGS...] or --data HEX");
	build_calldata(cmd, pos, npos, &data, &sig);
	free(pos);
	int rc = EXIT_FAIL;
	struct chain_rpc *rpc = open_rpc(cmd);
	if (!chain_rpc_eth_call(rpc, opt_from ? from : NULL, to, data.data, data.len, tag, &out,
				&e)) {
		cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	if (!sig || !sig->outputs) {
		char *h = hex_encode_0x_new(out.data, out.len);
		printf("%s\n", h);
		free(h);
		rc = EXIT_OK;
		goto out;
	}
	struct buf text = BUF_INIT;
	if (!chain_abi_format_output(sig, out.data, out.len, &text, &e)) {
		cli_fail(cmd, "decoding the answer with the signature's return types: %s", e.msg);
		goto out;
	}
	fputs(buf_cstr(&text), stdout);
	buf_free(&text);
	rc = EXIT_OK;
out:
	chain_abi_sig_free(sig);
	chain_rpc_free(rpc);
	buf_free(&data);
	buf_free(&out);
	return rc;
}

const struct command chain_rpc_commands[] = {
	{"chain", "send", "sign and send a transaction through the sender (saved before broadcast)",
	 "(--key-file FILE | --key-env VAR) (--to ADDR | --create) [--value WEI] "
	 "[--data HEX | SIG [ARGS...]] [--wait]",
	 "Signs an EIP-1559 transaction with fees from eth_feeHistory (max fee = 2 x base fee +\n"
	 "tip, never above --fee-cap-gwei), saves it in PostgreSQL when --db is set, then\n"
	 "broadcasts it and prints its hash. With --wait it polls until --confirmations blocks\n"
	 "hold it (replacing it with higher fees if it is stuck past --stuck-after-s) and prints\n"
	 "the receipt. Only one process may send for a key and chain at a time; a run killed\n"
	 "midway is finished by the next one with the same key and --db, never sent twice.\n"
	 "Against anvil (one block per transaction) use --confirmations 1 with --wait.",
	 "assay chain send --key-file me.key --to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 \\\n"
	 "    --value 1000000000000000000 --db postgresql://postgres@127.0.0.1/assay --wait\n"
	 "  assay chain send --key-env ASSAY_KEY --to $TOKEN 'transfer(address,uint256)' \\\n"
	 "    0x70997970C51812dc3A010C7d01b50e0d17dc79C8 5 --confirmations 1 --wait",
	 run_send},
	{"chain", "call", "call a contract without a transaction (eth_call) and decode the answer",
	 "--to ADDR (SIG [ARGS...] | --data HEX) [--from ADDR] [--block TAG]",
	 "Output types after the signature, as cast writes them ('balanceOf(address)(uint256)'),\n"
	 "decode the answer one value per line; without them the raw bytes are printed in hex.\n"
	 "A revert is reported with its reason (Error(string), Panic(uint256) or the custom\n"
	 "error's selector).",
	 "assay chain call --to $TOKEN 'balanceOf(address)(uint256)' "
	 "0x70997970C51812dc3A010C7d01b50e0d17dc79C8",
	 run_call},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
