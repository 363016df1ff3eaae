/* session.c: opening what settlement needs (see session.h). */
#include "settle/session.h"

#include <inttypes.h>
#include <string.h>

#include "chain/key.h"
#include "chain/rpc.h"
#include "core/err.h"
#include "core/log.h"
#include "sql/chainevents.h"
#include "sql/db.h"
#include "sql/txstore.h"

/* A key the session needs, from its file; a missing setting says which flag gives it. */
static bool required_key(struct chain_key **k, const char *path, const char *what,
			 const char *flag, struct err *e)
{
	if (!path || !*path)
		return err_set(e, "no %s key: give %s FILE", what, flag);
	return chain_key_from_file(k, path, e);
}

bool settle_session_open(struct settle_session *s, const struct settle_session_cfg *c, int need,
			 struct err *e)
{
	memset(s, 0, sizeof(*s));
	uint64_t chain_id = 0;
	if (!chain_deployment_load(c->deployment, &s->dep, e) ||
	    !chain_rpc_new(&s->rpc, c->rpc_url,
			   &(struct chain_rpc_opts){.timeout_ms = c->rpc_timeout_ms, .retries = 3},
			   e) ||
	    !chain_rpc_chain_id(s->rpc, &chain_id, e))
		goto fail;
	if (chain_id != s->dep.chain_id) {
		err_set(e, "the node at %s is chain %" PRIu64 ", the deployment file says %" PRIu64,
			c->rpc_url, chain_id, s->dep.chain_id);
		goto fail;
	}
	if (need & (SETTLE_NEED_DB | SETTLE_NEED_SENDER)) {
		if (!c->db || !*c->db) {
			err_set(e, "no database: give --db or ASSAY_DB");
			goto fail;
		}
		if (!db_open_current(&s->db, c->db, c->db_connect_timeout_s, e))
			goto fail;
	}
	if (need & SETTLE_NEED_SENDER) {
		if (!required_key(&s->gas, c->gas_key_file, "gas", "--gas-key-file", e))
			goto fail;
		db_txstore_init(&s->store, s->db);
		s->have_store = true;
		struct chain_sender_cfg cfg = c->sender;
		cfg.poll_interval_ms = 200;
		cfg.wait_timeout_ms = 600000;
		/* chain_sender_new recovers and re-sends what an earlier run saved; wait for all
		 * of it, so the chain shows every earlier submission before we decide anything. */
		if (!chain_sender_new(&s->sender, s->rpc, s->gas, &s->store, &cfg, e) ||
		    !chain_sender_wait_all(s->sender, e))
			goto fail;
	}
	if (!settle_chain_new(&s->chain, s->rpc, s->sender, &s->dep, e))
		goto fail;
	if (s->db) {
		/* The settlement contract's events are read once and kept: each run asks the
		 * node for the blocks since the last (all but the unconfirmed tail). */
		db_chainevents_store(s->db, &s->events);
		chain_bind_set_event_store(settle_chain_bind(s->chain), &s->events,
					   c->sender.confirmations, 0);
	}
	s->ctx.db = s->db;
	s->ctx.chain = s->chain;
	s->ctx.warn_margin_s = c->warn_margin_s;
	s->ctx.dom.chain_id = s->dep.chain_id;
	memcpy(s->ctx.dom.settlement, s->dep.settlement, 20);
	s->ctx.confirmations = c->sender.confirmations;
	s->ctx.blob_timeout_ms = c->blob_timeout_ms ? c->blob_timeout_ms : 10000;
	/* Borrowed parts only: settle_session_close frees them, never chain_session_close.
	 * Without a sender it still reads (the committee, evidence blobs). */
	s->pub.rpc = s->rpc;
	s->pub.dep = s->dep;
	s->pub.bind = settle_chain_bind(s->chain);
	if (s->sender) {
		s->pub.key = s->gas;
		chain_key_address(s->gas, s->pub.me);
		s->pub.store = s->store;
		s->pub.sender = s->sender;
		s->ctx.publisher = &s->pub;
	}
	if (need & SETTLE_NEED_SIGNING) {
		if (!required_key(&s->signing, c->signing_key_file, "signing", "--signing-key-file", e))
			goto fail;
		if (c->gas_key_file && *c->gas_key_file && s->gas) {
			uint8_t a[20], b[20];
			chain_key_address(s->signing, a);
			chain_key_address(s->gas, b);
			if (!memcmp(a, b, 20))
				log_warn("the gas key is the signing key; keep them apart so the signing "
					 "key never needs funds");
		}
		if (!settle_ctx_set_signer(&s->ctx, s->signing, c->auditor_id, e))
			goto fail;
	}
	return true;
fail:
	settle_session_close(s);
	return false;
}

void settle_session_close(struct settle_session *s)
{
	chain_sender_free(s->sender);
	settle_chain_free(s->chain);
	chain_key_free(s->signing);
	chain_key_free(s->gas);
	chain_rpc_free(s->rpc);
	db_close(s->db);
	memset(s, 0, sizeof(*s));
}
