/* settle_session.h: what the settle and view commands open: database, JSON-RPC client,
 * deployment, keys, the sender (with recovery of anything an earlier run left in flight). */
#ifndef ASSAY_CLI_SETTLE_SESSION_H
#define ASSAY_CLI_SETTLE_SESSION_H

#include <stdbool.h>
#include "chain/deployment.h"
#include "chain/txstore.h"
#include "settle/chainio.h"
#include "settle/epoch.h"

struct command;
struct chain_rpc;
struct chain_key;
struct chain_sender;
struct db;

struct settle_session {
	struct db *db;
	struct chain_rpc *rpc;
	struct chain_deployment dep;
	struct chain_key *signing, *gas;
	struct chain_txstore store;
	bool have_store;
	struct chain_sender *sender;
	struct settle_chain *chain;
	struct settle_ctx ctx;
};

enum {
	SETTLE_NEED_DB = 1,
	SETTLE_NEED_SIGNING = 2, /* and the auditor id */
	SETTLE_NEED_SENDER = 4,  /* gas key + sender, in-flight transactions finished */
};
/* Opens what `need` asks for; prints the failure (cli_fail) and returns false. */
bool settle_session_open(const struct command *cmd, struct settle_session *s, int need);
void settle_session_close(struct settle_session *s);

#endif
