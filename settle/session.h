/* session.h: what the settle job and the views on settlement open: the database, the
 * JSON-RPC client (checked against the deployment's chain id), the deployment, the
 * signing and gas keys, the sender (with recovery of anything an earlier run left in
 * flight) and the settlement context on them. */
#ifndef ASSAY_SETTLE_SESSION_H
#define ASSAY_SETTLE_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "chain/bindings.h"
#include "chain/deployment.h"
#include "chain/session.h"
#include "chain/sender.h"
#include "chain/txstore.h"
#include "core/util.h"
#include "settle/chainio.h"
#include "settle/epoch.h"

struct chain_rpc;
struct chain_key;
struct db;
struct err;

struct settle_session {
	struct db *db;
	struct chain_rpc *rpc;
	struct chain_deployment dep;
	struct chain_key *signing, *gas;
	struct chain_txstore store;
	bool have_store;
	struct chain_sender *sender;
	struct settle_chain *chain;
	struct chain_event_store events; /* on db, for the settlement contract's logs */
	struct chain_session pub; /* a view on the parts above: node_publish (with the gas
				     key and sender) and node_read */
	struct settle_ctx ctx;
};

/* Where each part comes from (the settings, in the CLI). */
struct settle_session_cfg {
	const char *deployment; /* the deployment file */
	const char *rpc_url;
	unsigned rpc_timeout_ms;
	const char *db; /* conninfo; NULL or empty: none */
	unsigned db_connect_timeout_s;
	const char *gas_key_file;
	const char *signing_key_file;
	uint64_t auditor_id; /* 256: look it up from the signing key */
	uint64_t warn_margin_s;
	uint64_t blob_timeout_ms; /* of each request to a storage node (evidence blobs) */
	struct chain_sender_cfg sender; /* confirmations, fees; the rest is the session's */
};

enum {
	SETTLE_NEED_DB = 1,
	SETTLE_NEED_SIGNING = 2, /* and the auditor id */
	SETTLE_NEED_SENDER = 4,  /* gas key + sender, in-flight transactions finished */
};

/* Opens what `need` asks for. Fails with one sentence, having closed what it opened;
 * settle_session_close is safe either way. */
bool settle_session_open(struct settle_session *s, const struct settle_session_cfg *c, int need,
			 struct err *e) WARN_UNUSED;
void settle_session_close(struct settle_session *s);

#endif
