/* chain_cmds.c: assay chain keccak|calldata|mktx|address|sign: the Ethereum primitives on the
 * command line, printing exactly what foundry's cast prints for the same inputs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/eip712.h"
#include "chain/keccak.h"
#include "chain/key.h"
#include "chain/tx.h"
#include "chain/u256.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/encoding.h"
#include "core/err.h"

static void print_hex(const uint8_t *data, size_t len)
{
	char *h = hex_encode_0x_new(data, len);
	puts(h);
	free(h);
}

static int run_keccak(const struct command *cmd, int argc, char **argv)
{
	static bool text;
	static const struct opt local[] = {
		{"text", 0, OPT_BOOL, &text, NULL, "hash INPUT as text even if it starts with 0x", NULL, false},
		OPT_END,
	};
	char **pos;
	int npos;
	text = false;
	cli_parse(cmd, local, argc, argv, 1, 1, &pos, &npos);
	const char *in = pos[0];
	free(pos);
	struct buf b = BUF_INIT;
	struct err e = {{0}};
	uint8_t h[32];
	if (text) {
		buf_append_str(&b, in);
	} else if (!chain_cast_bytes(&b, in, &e)) {
		buf_free(&b);
		cli_usage_error(cmd, "INPUT starts with 0x but is not hex: %s (use --text to hash it as text)",
				e.msg);
	}
	chain_keccak256(h, b.data, b.len);
	buf_free(&b);
	print_hex(h, 32);
	return EXIT_OK;
}

static int run_calldata(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {OPT_END};
	char **pos;
	int npos;
	cli_parse(cmd, local, argc, argv, 1, -1, &pos, &npos);
	struct err e = {{0}};
	struct buf out = BUF_INIT;
	bool bad_text;
	bool ok = chain_abi_calldata_text(pos[0], pos + 1, (size_t)npos - 1, &out, NULL, &bad_text, &e);
	free(pos);
	if (!ok && bad_text) {
		buf_free(&out);
		cli_usage_error(cmd, "%s", e.msg);
	}
	int rc = ok ? EXIT_OK : cli_fail(cmd, "%s", e.msg);
	if (ok)
		print_hex(out.data, out.len);
	buf_free(&out);
	return rc;
}

static struct chain_session_opts keys;

/* Loads the key named by --key-file or --key-env; exits 2 when neither or both are given. */
static bool load_key(const struct command *cmd, struct chain_key **k, struct err *e)
{
	if (!keys.key_file == !keys.key_env)
		cli_usage_error(cmd, "give exactly one of --key-file FILE and --key-env VAR");
	return chain_key_load(k, keys.key_file, keys.key_env, e);
}

static int run_address(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {CHAIN_SESSION_KEY_OPTS(keys), OPT_END};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct chain_key *k = NULL;
	if (!load_key(cmd, &k, &e))
		return cli_fail(cmd, "%s", e.msg);
	uint8_t addr[20];
	char text[43];
	chain_key_address(k, addr);
	chain_key_free(k);
	chain_address_checksum(text, addr);
	puts(text);
	return EXIT_OK;
}

static const char *opt_chain_id, *opt_nonce, *opt_to, *opt_value, *opt_gas_limit, *opt_max_fee,
	*opt_priority_fee, *opt_data;
static bool opt_create;

static uint64_t need_u64(const struct command *cmd, const char *flag, const char *v)
{
	uint64_t x;
	if (!v)
		cli_usage_error(cmd, "--%s is required", flag);
	if (!parse_u64(v, &x))
		cli_usage_error(cmd, "--%s must be a non-negative integer, not '%s'", flag, v);
	return x;
}

static void need_u256(const struct command *cmd, const char *flag, const char *v,
		      struct chain_u256 *out)
{
	struct err e = {{0}};
	if (!v)
		cli_usage_error(cmd, "--%s is required", flag);
	if (!chain_u256_parse(out, v, &e))
		cli_usage_error(cmd, "--%s: %s", flag, e.msg);
}

static int run_mktx(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		CHAIN_SESSION_KEY_OPTS(keys),
		{"chain-id", 0, OPT_STRING, &opt_chain_id, "N", "chain id (EIP-155)", NULL, false},
		{"nonce", 0, OPT_STRING, &opt_nonce, "N", "sender's transaction count", NULL, false},
		{"to", 0, OPT_STRING, &opt_to, "ADDR", "recipient or contract called", NULL, false},
		{"create", 0, OPT_BOOL, &opt_create, NULL, "deploy a contract: --data is its init code", NULL, false},
		{"value", 0, OPT_STRING, &opt_value, "WEI", "wei sent with the transaction", "0", false},
		{"gas-limit", 0, OPT_STRING, &opt_gas_limit, "GAS", "gas limit", NULL, false},
		{"max-fee", 0, OPT_STRING, &opt_max_fee, "WEI", "max fee per gas", NULL, false},
		{"priority-fee", 0, OPT_STRING, &opt_priority_fee, "WEI", "max priority fee per gas (tip)", NULL, false},
		{"data", 0, OPT_STRING, &opt_data, "HEX", "calldata or init code, 0x-hex", NULL, false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct chain_tx tx;
	struct chain_key *k = NULL;
	struct buf raw = BUF_INIT;
	chain_tx_init(&tx);
	tx.chain_id = need_u64(cmd, "chain-id", opt_chain_id);
	tx.nonce = need_u64(cmd, "nonce", opt_nonce);
	tx.gas_limit = need_u64(cmd, "gas-limit", opt_gas_limit);
	need_u256(cmd, "value", opt_value, &tx.value);
	need_u256(cmd, "max-fee", opt_max_fee, &tx.max_fee_per_gas);
	need_u256(cmd, "priority-fee", opt_priority_fee, &tx.max_priority_fee_per_gas);
	if (!opt_to == !opt_create)
		cli_usage_error(cmd, "give exactly one of --to ADDR and --create");
	if (opt_to) {
		if (!chain_address_parse(tx.to, opt_to, &e))
			cli_usage_error(cmd, "--to: %s", e.msg);
		tx.has_to = true;
	}
	if (opt_data && !hex_decode_buf(&tx.data, opt_data, &e))
		cli_usage_error(cmd, "--data: %s", e.msg);
	if (chain_u256_cmp(&tx.max_priority_fee_per_gas, &tx.max_fee_per_gas) > 0)
		cli_usage_error(cmd, "--priority-fee must not exceed --max-fee");
	int rc = EXIT_OK;
	if (!load_key(cmd, &k, &e) || !chain_tx_sign(&tx, k, &raw, NULL, &e))
		rc = cli_fail(cmd, "%s", e.msg);
	else
		print_hex(raw.data, raw.len);
	chain_key_free(k);
	buf_free(&raw);
	chain_tx_clear(&tx);
	return rc;
}

static int run_sign(const struct command *cmd, int argc, char **argv)
{
	static bool no_hash, typed;
	static const struct opt local[] = {
		CHAIN_SESSION_KEY_OPTS(keys),
		{"no-hash", 0, OPT_BOOL, &no_hash, NULL, "MESSAGE is a 32-byte 0x digest, signed as it is", NULL, false},
		{"typed-data", 0, OPT_BOOL, &typed, NULL, "MESSAGE names a file of EIP-712 typed data (JSON)", NULL, false},
		OPT_END,
	};
	char **pos;
	int npos;
	no_hash = typed = false;
	cli_parse(cmd, local, argc, argv, 1, 1, &pos, &npos);
	const char *msg = pos[0];
	free(pos);
	if (no_hash && typed)
		cli_usage_error(cmd, "--no-hash and --typed-data exclude each other");
	struct err e = {{0}};
	struct buf b = BUF_INIT;
	uint8_t digest[32];
	if (typed) {
		if (!chain_eip712_hash_file(msg, digest, &e))
			return cli_fail(cmd, "%s", e.msg);
	} else if (no_hash) {
		if (!hex_decode_exact(digest, 32, msg, &e))
			cli_usage_error(cmd, "with --no-hash, MESSAGE must be 32 bytes of 0x-hex: %s", e.msg);
	} else {
		if (!chain_cast_bytes(&b, msg, &e))
			cli_usage_error(cmd, "MESSAGE starts with 0x but is not hex: %s", e.msg);
		chain_eip191_hash(b.data, b.len, digest);
		buf_free(&b);
	}
	struct chain_key *k = NULL;
	struct chain_sig sig;
	if (!load_key(cmd, &k, &e) || !chain_key_sign(k, digest, &sig, &e)) {
		chain_key_free(k);
		return cli_fail(cmd, "%s", e.msg);
	}
	chain_key_free(k);
	uint8_t s65[65];
	chain_sig_to_65(&sig, s65);
	print_hex(s65, sizeof(s65));
	return EXIT_OK;
}

const struct command chain_commands[] = {
	{"chain", "keccak", "print the Keccak-256 hash of hex bytes or text", "[--text] INPUT",
	 "INPUT starting with 0x is hashed as the bytes it spells, anything else as UTF-8 text\n"
	 "(as 'cast keccak' does); --text hashes it as text in every case.",
	 "assay chain keccak 0x616263\n  assay chain keccak --text 'transfer(address,uint256)'",
	 run_keccak},
	{"chain", "calldata", "ABI-encode a function call", "SIGNATURE [ARG...]",
	 "Prints the selector and ABI-encoded arguments, like 'cast calldata'. Arguments: decimal\n"
	 "or 0x integers (negative for intN), 0x hex for addresses and bytes, true/false, bare or\n"
	 "\"quoted\" strings, [a, b] for arrays and (a, b) for tuples, nested as deep as needed.",
	 "assay chain calldata 'f(uint256,address[],(bytes32,string))' 1 \\\n"
	 "    '[0x70997970C51812dc3A010C7d01b50e0d17dc79C8]' '(0x" "0000000000000000000000000000000000000000000000000000000000000001, hello)'",
	 run_calldata},
	{"chain", "mktx", "build and sign an EIP-1559 transaction offline",
	 "(--key-file FILE | --key-env VAR) --chain-id N --nonce N (--to ADDR | --create) "
	 "--gas-limit GAS --max-fee WEI --priority-fee WEI [--value WEI] [--data HEX]",
	 "Prints the signed raw transaction (0x02 || rlp(...)) ready for eth_sendRawTransaction,\n"
	 "byte for byte what 'cast mktx' prints for the same fields. Nothing is sent and no RPC\n"
	 "is needed. The key file must have mode 0600.",
	 "assay chain mktx --key-file key.hex --chain-id 31337 --nonce 0 \\\n"
	 "    --to 0x70997970C51812dc3A010C7d01b50e0d17dc79C8 --value 1000 --gas-limit 21000 \\\n"
	 "    --max-fee 2000000000 --priority-fee 1000000000",
	 run_mktx},
	{"chain", "address", "print the checksummed address of a private key",
	 "(--key-file FILE | --key-env VAR)",
	 "The key file must have mode 0600 and hold the key as 0x-hex. The key is never printed.",
	 "assay chain address --key-file /etc/assay/auditor.key", run_address},
	{"chain", "sign", "sign a message (EIP-191), a digest, or EIP-712 typed data",
	 "(--key-file FILE | --key-env VAR) [--no-hash | --typed-data] MESSAGE",
	 "Prints the 65-byte signature r || s || v (v = 27 or 28), like 'cast wallet sign'.\n"
	 "By default MESSAGE is signed as a personal message (EIP-191; 0x-prefixed messages are\n"
	 "the bytes they spell). --no-hash signs a 32-byte digest as it is; --typed-data reads\n"
	 "eth_signTypedData_v4 JSON from the file MESSAGE and signs its EIP-712 digest.",
	 "assay chain sign --key-file auditor.key --typed-data attestation.json", run_sign},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
