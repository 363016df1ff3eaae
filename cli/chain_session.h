/* chain_session.h: what the contract commands (chain deploy, stake, epoch, blob
 * register|certify|status) share: the JSON-RPC client, the key, the transaction store
 * (PostgreSQL with --db, else memory), the sender and the bindings of the deployment. */
#ifndef ASSAY_CLI_CHAIN_SESSION_H
#define ASSAY_CLI_CHAIN_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "chain/deployment.h"
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

struct chain_session {
	struct chain_rpc *rpc;
	struct chain_key *key; /* NULL when read-only */
	uint8_t me[20];        /* the key's address */
	struct db *db;
	struct chain_txstore store;
	bool memstore;
	struct chain_sender *sender;
	struct chain_deployment dep;
	struct chain_bind *bind;
};

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

/* Opens what a command needs: with_key for transactions (the sender, the store),
 * with_deployment to read the deployment file (--deployment). Fails with one sentence. */
bool chain_session_open(struct chain_session *s, const struct chain_session_opts *o,
			bool with_key, bool with_deployment, struct err *e) WARN_UNUSED;
void chain_session_close(struct chain_session *s);

/* Parses a token amount (base units, decimal or 0x); usage error on a bad one. */
void chain_session_amount(const struct command *cmd, const char *flag, const char *text,
			  struct chain_u256 *out);
/* Parses an address flag; usage error on a bad one. */
void chain_session_address(const struct command *cmd, const char *flag, const char *text,
			   uint8_t out[20]);
/* Prints j as one compact JSON line on stdout and drops the reference. */
void chain_session_print_json(json_t *j);
/* An address as a JSON string in EIP-55 checksum form. */
json_t *chain_session_addr_json(const uint8_t a[20]);

/* Approves `spender` for `amount` of the deployment's token when the allowance is short. */
bool chain_session_approve(struct chain_session *s, const uint8_t spender[20],
			   const struct chain_u256 *amount, struct err *e) WARN_UNUSED;

/* ---- a blob on chain: the code paths of `blob register` and `blob certify`, shared
 * with `blob put` (implemented in cli/blob_chain_cmds.c) ---- */

struct node_confirmation;

struct blob_registration {
	uint64_t start_epoch, end_epoch; /* stored in [start, end) */
	uint64_t encoded_size;
	struct chain_u256 fee;
	uint8_t tx_hash[32];
};
/* Approves the fee (plus one epoch's, in case the epoch advances meanwhile) and sends
 * registerBlob for the current epoch and epochs - 1 more. A revert is explained. */
bool blob_chain_register(struct chain_session *s, const uint8_t id[32], uint64_t size,
			 uint8_t encoding_type, uint64_t epochs, struct blob_registration *out,
			 struct err *e) WARN_UNUSED;

/* epoch of a confirmation that names none */
#define BLOB_CONFIRMATION_ANY_EPOCH UINT64_MAX

struct blob_certification {
	uint64_t epoch, block;
	size_t confirmations; /* distinct committee members */
	uint64_t shards;      /* the shards they hold */
	uint8_t tx_hash[32];
};
/* Matches each confirmation's signer to the current committee's node keys (fails on a
 * stranger or a confirmation of another epoch), sorts them by committee position and
 * sends certifyBlob. */
bool blob_chain_certify(struct chain_session *s, const uint8_t id[32],
			const struct node_confirmation *conf, size_t n,
			struct blob_certification *out, struct err *e) WARN_UNUSED;

#endif
