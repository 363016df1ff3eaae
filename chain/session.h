/* session.h: one open connection to a deployment of the assay contracts: the JSON-RPC
 * client, the deployment file's addresses, optionally a key with its transaction sender
 * (and the store it saves signed transactions in), and the bindings over all of them.
 *
 * It is what every flow that reads or writes the contracts is handed: the contract
 * commands, the publisher (node/publish.h), the gateway. A session is used by one thread
 * at a time (its sender is the one nonce writer of its key). No global state: the caller
 * passes every setting in struct chain_session_cfg. */
#ifndef ASSAY_CHAIN_SESSION_H
#define ASSAY_CHAIN_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "chain/deployment.h"
#include "chain/sender.h"
#include "chain/txstore.h"
#include "core/util.h"

struct err;
struct chain_rpc;
struct chain_key;
struct chain_bind;
struct chain_u256;

struct chain_session {
	struct chain_rpc *rpc;
	struct chain_key *key; /* NULL when read-only */
	uint8_t me[20];        /* the key's address */
	struct chain_txstore store;
	bool memstore;         /* store is the in-memory one, freed by close */
	struct chain_sender *sender;
	struct chain_deployment dep;
	struct chain_bind *bind;
	/* What the store lives on (e.g. a database connection), released by close. */
	void *store_owner;
	void (*store_release)(void *owner);
};

struct chain_session_cfg {
	const char *rpc_url;
	unsigned rpc_timeout_ms;
	unsigned rpc_retries;
	const char *deployment;    /* the deployment file; NULL: no deployment (chain deploy) */
	bool with_key;             /* load key_file or key_env (exactly one) and start a sender */
	const char *key_file;      /* 0x-hex private key, mode 0600 */
	const char *key_env;       /* environment variable holding it */
	const char *contracts_dir; /* NULL: the contracts built into assay */
	struct chain_sender_cfg sender;
	/* Called once the key is loaded, to fill s->store (and s->store_owner/_release);
	 * leaving s->store.ops NULL (or no callback) keeps signed transactions in memory. */
	bool (*open_store)(void *arg, struct chain_session *s, struct err *e);
	void *open_store_arg;
};

/* Opens what cfg asks for: the client, the deployment (checked to be on the client's
 * chain), the key, the store and the sender, and the bindings. On failure *s is left for
 * chain_session_close and e names what failed. */
bool chain_session_open(struct chain_session *s, const struct chain_session_cfg *cfg,
			struct err *e) WARN_UNUSED;
/* Closes everything open; safe on a zeroed or half-opened session. */
void chain_session_close(struct chain_session *s);

/* Approves `spender` for `amount` of the deployment's token (from the session's key) when
 * the allowance is short. */
bool chain_session_approve(struct chain_session *s, const uint8_t spender[20],
			   const struct chain_u256 *amount, struct err *e) WARN_UNUSED;

#endif
