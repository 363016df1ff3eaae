/* chain_session.h: what the contract commands (chain deploy, stake, epoch, blob
 * register|certify|status) share: the JSON-RPC client, the key, the transaction store
 * (PostgreSQL with --db, else memory), the sender and the bindings of the deployment. */
#ifndef ASSAY_CLI_CHAIN_SESSION_H
#define ASSAY_CLI_CHAIN_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "chain/deployment.h"
#include "chain/session.h"
#include "chain/txstore.h"
#include "chain/u256.h"
#include "core/util.h"

struct command;
struct err;
struct db;
struct chain_rpc;
struct chain_key;
struct chain_sender;
struct chain_bind;
struct chain_u256;

/* The options each contract command takes (set by the command's option table). */
struct chain_session_opts {
	const char *key_file;
	const char *key_env;
	const char *contracts_dir; /* NULL: the embedded contracts */
	bool json;
};

/* Key options rows for a command's local table. */
#define CHAIN_SESSION_KEY_OPTS(o)                                                             \
	{"key-file", 0, OPT_STRING, &(o).key_file, "FILE",                                    \
	 "file holding the private key as 0x-hex (mode 0600)", NULL, false},                 \
	{"key-env", 0, OPT_STRING, &(o).key_env, "VAR",                                       \
	 "environment variable holding the private key as 0x-hex", NULL, false}
#define CHAIN_SESSION_COMMON_OPTS(o)                                                          \
	{"json", 0, OPT_BOOL, &(o).json, NULL, "print the result as one JSON object", NULL,   \
	 false},                                                                              \
	{"contracts", 0, OPT_STRING, &(o).contracts_dir, "DIR",                               \
	 "read <Name>.json (ABI + bytecode) from DIR instead of the copies built into assay", \
	 NULL, false}

/* Opens what a command needs (chain/session.h) from the settings: with_key for
 * transactions (the sender, the store: PostgreSQL with --db, else memory),
 * with_deployment to read the deployment file (--deployment). Fails with one sentence;
 * chain_session_close closes it either way. */
bool cli_chain_session_open(struct chain_session *s, const struct chain_session_opts *o,
			    bool with_key, bool with_deployment, struct err *e) WARN_UNUSED;

/* Parses a token amount (base units, decimal or 0x); usage error on a bad one. */
void chain_session_amount(const struct command *cmd, const char *flag, const char *text,
			  struct chain_u256 *out);
/* Parses an address flag; usage error on a bad one. */
void chain_session_address(const struct command *cmd, const char *flag, const char *text,
			   uint8_t out[20]);
/* Prints j as one compact JSON line on stdout and drops the reference. */
void chain_session_print_json(json_t *j);
#endif
