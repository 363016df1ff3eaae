/* sender.c: see sender.h. In memory the sender keeps one slot per nonce in flight, each
 * with its saved versions (the first transaction and its replacements); the store has the
 * same rows, so a restart rebuilds the slots from it. */
#include "chain/sender.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/key.h"
#include "chain/rpc.h"
#include "chain/tx.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"

struct vers {
	struct chain_txrec rec;
	bool rebroadcast;   /* send the saved bytes again at the next broadcast step */
	bool cap_logged;    /* the fee cap already stopped its replacement once */
	char last_error[512];
};

struct slot {
	uint64_t nonce;
	struct vers *v;
	size_t nv;
	unsigned drop_strikes; /* polls in a row that found its nonce used with no receipt */
};

struct chain_sender {
	struct chain_rpc *rpc;
	const struct chain_key *key;
	struct chain_txstore store;
	struct chain_sender_cfg cfg;
	uint64_t chain_id;
	uint8_t addr[20];
	bool locked;
	uint64_t next_nonce;
	struct slot *slots; /* sorted by nonce */
	size_t nslots, cap;
	uint64_t head;
	struct chain_sender_stats st;
	/* Updates waiting for the store (flushed at the end of each step). */
	struct chain_txupdate *pending;
	size_t npending, cappending;
};

void chain_sender_cfg_defaults(struct chain_sender_cfg *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->confirmations = 3;
	cfg->stuck_after_s = 180;
	cfg->fee_cap = 500000000000ull;
	cfg->min_tip = 1000000000ull;
	cfg->tip_percentile = 50;
	cfg->fee_blocks = 10;
	cfg->recheck_blocks = 64;
	cfg->batch = 200;
	cfg->gas_margin_pct = 20;
	cfg->poll_interval_ms = 1000;
}

/* Test hook: ASSAY_TEST_CRASH_AT=after_save|after_broadcast kills the process there, the
 * way a power cut would (no cleanup, no flush). */
static void crash_point(const char *name)
{
	const char *at = getenv("ASSAY_TEST_CRASH_AT");
	if (at && !strcmp(at, name)) {
		fprintf(stderr, "ASSAY_TEST_CRASH_AT=%s: killing the process\n", name);
		raise(SIGKILL);
	}
}

static uint64_t clock_s(const struct chain_sender *s)
{
	return s->cfg.now ? s->cfg.now(s->cfg.now_arg) : now_unix();
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* ---- pure parts ---- */

uint64_t chain_sender_bump(uint64_t fee)
{
	uint64_t add = fee / 10 + 1;
	return fee > UINT64_MAX - add ? UINT64_MAX : fee + add;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

bool chain_sender_fees(const struct chain_fee_history *h, const struct chain_sender_cfg *cfg,
		       uint64_t *max_fee, uint64_t *tip, bool *capped, struct err *e)
{
	if (!h->base_fee)
		return err_set(e, "the fee history has no base fee");
	uint64_t base = h->base_fee[h->nblocks];
	/* The percentile reward of blocks that carried transactions; median over blocks. */
	uint64_t t = 0;
	if (h->reward && h->npercentiles && h->nblocks) {
		uint64_t *r = xcalloc(h->nblocks, sizeof(*r));
		size_t n = 0;
		for (size_t i = 0; i < h->nblocks; i++)
			if (h->gas_used_ratio[i] > 0)
				r[n++] = h->reward[i * h->npercentiles];
		if (n) {
			qsort(r, n, sizeof(*r), cmp_u64);
			t = r[n / 2];
		}
		free(r);
	}
	if (t < cfg->min_tip)
		t = cfg->min_tip;
	uint64_t m = base > (UINT64_MAX - t) / 2 ? UINT64_MAX : 2 * base + t;
	*capped = false;
	if (cfg->fee_cap && m > cfg->fee_cap) {
		m = cfg->fee_cap;
		*capped = true;
	}
	if (t > m)
		t = m;
	*max_fee = m;
	*tip = t;
	return true;
}

/* ---- slots ---- */

static struct slot *find_slot(struct chain_sender *s, uint64_t nonce)
{
	size_t lo = 0, hi = s->nslots;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (s->slots[mid].nonce < nonce)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < s->nslots && s->slots[lo].nonce == nonce ? &s->slots[lo] : NULL;
}

static struct slot *add_slot(struct chain_sender *s, uint64_t nonce)
{
	struct slot *sl = find_slot(s, nonce);
	if (sl)
		return sl;
	if (s->nslots == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->slots = xrealloc(s->slots, s->cap * sizeof(*s->slots));
	}
	size_t at = s->nslots;
	while (at > 0 && s->slots[at - 1].nonce > nonce)
		at--;
	memmove(&s->slots[at + 1], &s->slots[at], (s->nslots - at) * sizeof(*s->slots));
	s->nslots++;
	sl = &s->slots[at];
	memset(sl, 0, sizeof(*sl));
	sl->nonce = nonce;
	return sl;
}

/* Takes ownership of rec's raw bytes. */
static struct vers *add_version(struct slot *sl, struct chain_txrec *rec)
{
	sl->v = xrealloc(sl->v, (sl->nv + 1) * sizeof(*sl->v));
	struct vers *v = &sl->v[sl->nv++];
	memset(v, 0, sizeof(*v));
	v->rec = *rec;
	rec->raw = NULL;
	rec->raw_len = 0;
	return v;
}

static void free_slot(struct slot *sl)
{
	for (size_t i = 0; i < sl->nv; i++)
		chain_txrec_clear(&sl->v[i].rec);
	free(sl->v);
}

static bool dead_state(enum chain_txstate st)
{
	return st == CHAIN_TX_REPLACED || st == CHAIN_TX_FAILED || st == CHAIN_TX_DROPPED;
}

/* The version that is mined or confirmed, if any. */
static struct vers *mined_version(struct slot *sl)
{
	for (size_t i = 0; i < sl->nv; i++)
		if (sl->v[i].rec.state == CHAIN_TX_MINED || sl->v[i].rec.state == CHAIN_TX_CONFIRMED)
			return &sl->v[i];
	return NULL;
}

/* The newest version still in the running (signed or broadcast). */
static struct vers *live_version(struct slot *sl)
{
	for (size_t i = sl->nv; i-- > 0;)
		if (!dead_state(sl->v[i].rec.state))
			return &sl->v[i];
	return NULL;
}

static void set_state(struct chain_sender *s, struct vers *v, enum chain_txstate st)
{
	v->rec.state = st;
	if (st != CHAIN_TX_MINED && st != CHAIN_TX_CONFIRMED)
		v->rec.has_block = false;
	if (s->npending == s->cappending) {
		s->cappending = s->cappending ? s->cappending * 2 : 64;
		s->pending = xrealloc(s->pending, s->cappending * sizeof(*s->pending));
	}
	struct chain_txupdate *u = &s->pending[s->npending++];
	memset(u, 0, sizeof(*u));
	u->id = v->rec.id;
	u->state = st;
	u->has_block = v->rec.has_block;
	u->block_number = v->rec.block_number;
	memcpy(u->block_hash, v->rec.block_hash, 32);
	u->receipt_status = v->rec.receipt_status;
}

static bool flush(struct chain_sender *s, struct err *e)
{
	if (!s->npending)
		return true;
	bool ok = s->store.ops->update(s->store.ctx, s->pending, s->npending, e);
	s->npending = 0;
	return ok ? true : err_prefix(e, "recording transaction states: ");
}

/* ---- fees, gas, signing ---- */

static bool market_fees(struct chain_sender *s, uint64_t *max_fee, uint64_t *tip,
			struct err *e)
{
	struct chain_fee_history h;
	double pct = s->cfg.tip_percentile;
	if (!chain_rpc_fee_history(s->rpc, s->cfg.fee_blocks ? s->cfg.fee_blocks : 10, "latest",
				   &pct, 1, &h, e))
		return false;
	bool capped;
	bool ok = chain_sender_fees(&h, &s->cfg, max_fee, tip, &capped, e);
	if (ok && capped) {
		s->st.fee_cap_hits++;
		log_warn("fee cap hit: the market asks more than the cap of %" PRIu64
			 " wei per gas; transactions may wait",
			 s->cfg.fee_cap);
	}
	chain_fee_history_clear(&h);
	return ok;
}

static bool sign_tx(struct chain_sender *s, struct chain_tx *tx, struct chain_txrec *rec,
		    struct err *e)
{
	struct buf raw = BUF_INIT;
	if (!chain_tx_sign(tx, s->key, &raw, rec->hash, e)) {
		buf_free(&raw);
		return false;
	}
	rec->raw = buf_steal(&raw, &rec->raw_len);
	rec->chain_id = s->chain_id;
	memcpy(rec->sender, s->addr, 20);
	rec->nonce = tx->nonce;
	ASSAY_ASSERT(chain_u256_to_u64(&tx->max_fee_per_gas, &rec->max_fee));
	ASSAY_ASSERT(chain_u256_to_u64(&tx->max_priority_fee_per_gas, &rec->max_tip));
	rec->state = CHAIN_TX_SIGNED;
	rec->receipt_status = -1;
	return true;
}

/* ---- broadcast ---- */

static bool contains(const char *hay, const char *needle)
{
	return hay && strcasestr(hay, needle) != NULL;
}

/* Send the given versions' saved bytes in batches and record what the node said. */
static bool broadcast(struct chain_sender *s, struct vers **list, size_t n, struct err *e)
{
	size_t step = s->cfg.batch ? s->cfg.batch : 200;
	for (size_t at = 0; at < n; at += step) {
		size_t m = n - at < step ? n - at : step;
		struct chain_rpc_batch *b = chain_rpc_batch_new();
		for (size_t i = 0; i < m; i++) {
			struct vers *v = list[at + i];
			char *hex = hex_encode_0x_new(v->rec.raw, v->rec.raw_len);
			chain_rpc_batch_add(b, "eth_sendRawTransaction", json_pack("[s]", hex));
			free(hex);
		}
		s->st.rpc_batches++;
		if (!chain_rpc_batch_send(s->rpc, b, e)) {
			chain_rpc_batch_free(b);
			return err_prefix(e, "broadcasting (the transactions stay saved and will be "
					     "sent again): ");
		}
		crash_point("after_broadcast");
		for (size_t i = 0; i < m; i++) {
			struct vers *v = list[at + i];
			json_t *r;
			const char *msg = NULL;
			struct err ie;
			bool accepted = chain_rpc_batch_result(b, i, &r, NULL, &msg, &ie);
			/* A node that already has it, or whose nonce moved past it (perhaps
			 * because it is mined), needs nothing more: receipts settle it. */
			if (!accepted && (contains(msg, "already known") ||
					  contains(msg, "known transaction") ||
					  contains(msg, "already imported") ||
					  contains(msg, "nonce too low") ||
					  contains(msg, "nonce is too low")))
				accepted = true;
			if (accepted) {
				if (v->rebroadcast)
					s->st.rebroadcasts++;
				s->st.broadcasts++;
				v->rebroadcast = false;
				v->last_error[0] = '\0';
				if (v->rec.state == CHAIN_TX_SIGNED)
					set_state(s, v, CHAIN_TX_BROADCAST);
				continue;
			}
			snprintf(v->last_error, sizeof(v->last_error), "%s", ie.msg);
			if (v->rec.replaces && contains(msg, "underpriced")) {
				/* The replacement is refused: the version it replaces stays live. */
				log_warn("replacement of nonce %" PRIu64 " refused: %s", v->rec.nonce,
					 ie.msg);
				set_state(s, v, CHAIN_TX_FAILED);
				struct slot *sl = find_slot(s, v->rec.nonce);
				for (size_t k = 0; sl && k < sl->nv; k++)
					if (sl->v[k].rec.id == v->rec.replaces &&
					    sl->v[k].rec.state == CHAIN_TX_REPLACED)
						set_state(s, &sl->v[k], CHAIN_TX_BROADCAST);
				continue;
			}
			log_warn("broadcast of nonce %" PRIu64 " refused (kept, will retry): %s",
				 v->rec.nonce, ie.msg);
		}
		chain_rpc_batch_free(b);
		if (!flush(s, e))
			return false;
	}
	return true;
}

/* ---- lifecycle ---- */

bool chain_sender_new(struct chain_sender **out, struct chain_rpc *rpc,
		      const struct chain_key *key, const struct chain_txstore *store,
		      const struct chain_sender_cfg *cfg, struct err *e)
{
	struct chain_sender *s = xcalloc(1, sizeof(*s));
	s->rpc = rpc;
	s->key = key;
	s->store = *store;
	if (cfg)
		s->cfg = *cfg;
	else
		chain_sender_cfg_defaults(&s->cfg);
	if (!s->cfg.confirmations)
		s->cfg.confirmations = 1;
	chain_key_address(key, s->addr);
	if (!chain_rpc_chain_id(rpc, &s->chain_id, e))
		goto fail;
	if (!s->store.ops->lock_sender(s->store.ctx, s->chain_id, s->addr, s->cfg.wait_for_lock,
				       e))
		goto fail;
	s->locked = true;
	if (!chain_sender_recover(s, e))
		goto fail;
	*out = s;
	return true;
fail:
	chain_sender_free(s);
	return false;
}

void chain_sender_free(struct chain_sender *s)
{
	if (!s)
		return;
	if (s->locked)
		s->store.ops->unlock_sender(s->store.ctx, s->chain_id, s->addr);
	for (size_t i = 0; i < s->nslots; i++)
		free_slot(&s->slots[i]);
	free(s->slots);
	free(s->pending);
	free(s);
}

bool chain_sender_recover(struct chain_sender *s, struct err *e)
{
	for (size_t i = 0; i < s->nslots; i++)
		free_slot(&s->slots[i]);
	s->nslots = 0;
	uint64_t head, pending_count, store_next;
	if (!chain_rpc_block_number(s->rpc, &head, e) ||
	    !chain_rpc_get_transaction_count(s->rpc, s->addr, "pending", &pending_count, e))
		return err_prefix(e, "recovering the sender: ");
	s->head = head;
	if (!s->store.ops->next_nonce(s->store.ctx, s->chain_id, s->addr, &store_next, e))
		return err_prefix(e, "recovering the sender: ");
	s->next_nonce = store_next > pending_count ? store_next : pending_count;
	struct chain_txrec *recs = NULL;
	size_t n = 0;
	uint64_t from = head > s->cfg.recheck_blocks ? head - s->cfg.recheck_blocks : 0;
	if (!s->store.ops->list_open(s->store.ctx, s->chain_id, s->addr, from, &recs, &n, e))
		return err_prefix(e, "recovering the sender: ");
	size_t resend = 0;
	for (size_t i = 0; i < n; i++) {
		struct slot *sl = add_slot(s, recs[i].nonce);
		struct vers *v = add_version(sl, &recs[i]);
		/* The node may have lost what we broadcast before the crash. */
		if (v->rec.state == CHAIN_TX_BROADCAST)
			v->rebroadcast = true;
		resend += v->rec.state == CHAIN_TX_SIGNED || v->rec.state == CHAIN_TX_BROADCAST;
	}
	free(recs);
	if (n)
		log_info("recovered %zu saved transactions over %zu nonces (%zu to send again); "
			 "next nonce %" PRIu64,
			 n, s->nslots, resend, s->next_nonce);
	return chain_sender_poll(s, e);
}

/* ---- submit ---- */

bool chain_sender_submit_many(struct chain_sender *s, const struct chain_send_req *reqs,
			      size_t n, int64_t *ids, struct err *e)
{
	bool ok = false;
	uint64_t max_fee, tip;
	struct chain_txrec *recs = xcalloc(n ? n : 1, sizeof(*recs));
	if (!market_fees(s, &max_fee, &tip, e))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct chain_send_req *q = &reqs[i];
		uint64_t gas = q->gas_limit;
		if (!gas) {
			if (!chain_rpc_estimate_gas(s->rpc, s->addr, q->to, &q->value, q->data,
						    q->data_len, &gas, e))
				goto out;
			gas += gas * s->cfg.gas_margin_pct / 100;
		}
		struct chain_tx tx;
		chain_tx_init(&tx);
		tx.chain_id = s->chain_id;
		tx.nonce = s->next_nonce + i;
		chain_u256_from_u64(&tx.max_fee_per_gas, max_fee);
		chain_u256_from_u64(&tx.max_priority_fee_per_gas, tip);
		tx.gas_limit = gas;
		tx.has_to = q->to != NULL;
		if (q->to)
			memcpy(tx.to, q->to, 20);
		tx.value = q->value;
		if (q->data_len)
			buf_append(&tx.data, q->data, q->data_len);
		bool signed_ok = sign_tx(s, &tx, &recs[i], e);
		chain_tx_clear(&tx);
		if (!signed_ok)
			goto out;
		snprintf(recs[i].purpose, sizeof(recs[i].purpose), "%s",
			 q->purpose ? q->purpose : "");
	}
	/* Saved before anything is broadcast: the one rule that makes a crash harmless. */
	if (!s->store.ops->save(s->store.ctx, recs, n, e)) {
		err_prefix(e, "nothing was sent: ");
		goto out;
	}
	s->next_nonce += n;
	s->st.submitted += n;
	crash_point("after_save");
	struct vers **list = xcalloc(n ? n : 1, sizeof(*list));
	for (size_t i = 0; i < n; i++) {
		ids[i] = recs[i].id;
		list[i] = add_version(add_slot(s, recs[i].nonce), &recs[i]);
	}
	struct err be;
	if (!broadcast(s, list, n, &be))
		log_warn("%s", be.msg);
	free(list);
	ok = true;
out:
	for (size_t i = 0; i < n; i++)
		chain_txrec_clear(&recs[i]);
	free(recs);
	return ok;
}

bool chain_sender_submit(struct chain_sender *s, const uint8_t *to,
			 const struct chain_u256 *value, const uint8_t *data, size_t data_len,
			 uint64_t gas_limit, const char *purpose, int64_t *id, struct err *e)
{
	struct chain_send_req q = {.to = to, .data = data, .data_len = data_len,
				   .gas_limit = gas_limit, .purpose = purpose};
	if (value)
		q.value = *value;
	return chain_sender_submit_many(s, &q, 1, id, e);
}

/* ---- poll ---- */

/* Replace the live version of a stuck nonce with higher fees. */
static bool replace(struct chain_sender *s, struct slot *sl, struct vers *old, uint64_t mkt_max,
		    uint64_t mkt_tip, struct err *e)
{
	uint64_t need_max = chain_sender_bump(old->rec.max_fee);
	uint64_t need_tip = chain_sender_bump(old->rec.max_tip);
	uint64_t max_fee = need_max > mkt_max ? need_max : mkt_max;
	uint64_t tip = need_tip > mkt_tip ? need_tip : mkt_tip;
	if (s->cfg.fee_cap && max_fee > s->cfg.fee_cap)
		max_fee = s->cfg.fee_cap;
	if (tip > max_fee)
		tip = max_fee;
	if (max_fee < need_max || tip < need_tip) {
		if (!old->cap_logged) {
			s->st.fee_cap_hits++;
			log_warn("fee cap hit: nonce %" PRIu64 " is stuck but a replacement needs a "
				 "max fee of %" PRIu64 " wei per gas, above the cap of %" PRIu64,
				 sl->nonce, need_max, s->cfg.fee_cap);
			old->cap_logged = true;
		}
		return true;
	}
	struct chain_tx tx;
	chain_tx_init(&tx);
	if (!chain_tx_decode(old->rec.raw, old->rec.raw_len, &tx, NULL, NULL, e)) {
		chain_tx_clear(&tx);
		return err_prefix(e, "re-reading saved transaction %" PRId64 ": ", old->rec.id);
	}
	chain_u256_from_u64(&tx.max_fee_per_gas, max_fee);
	chain_u256_from_u64(&tx.max_priority_fee_per_gas, tip);
	struct chain_txrec rec;
	memset(&rec, 0, sizeof(rec));
	bool ok = sign_tx(s, &tx, &rec, e);
	chain_tx_clear(&tx);
	if (!ok)
		return false;
	rec.replaces = old->rec.id;
	snprintf(rec.purpose, sizeof(rec.purpose), "%s", old->rec.purpose);
	if (!s->store.ops->save(s->store.ctx, &rec, 1, e)) {
		chain_txrec_clear(&rec);
		return err_prefix(e, "saving a replacement: ");
	}
	int64_t old_id = old->rec.id;
	set_state(s, old, CHAIN_TX_REPLACED); /* still watched: it may be mined after all */
	add_version(sl, &rec);
	s->st.replacements++;
	log_info("nonce %" PRIu64 " stuck: transaction %" PRId64 " replaced by %" PRId64
		 " (max fee %" PRIu64 ", tip %" PRIu64 ")",
		 sl->nonce, old_id, rec.id, max_fee, tip);
	return true;
}

static bool fetch_receipts(struct chain_sender *s, struct vers **list, size_t n,
			   struct chain_receipt *rcpt, bool *found, struct err *e)
{
	size_t step = s->cfg.batch ? s->cfg.batch : 200;
	for (size_t at = 0; at < n; at += step) {
		size_t m = n - at < step ? n - at : step;
		struct chain_rpc_batch *b = chain_rpc_batch_new();
		for (size_t i = 0; i < m; i++) {
			char *hex = hex_encode_0x_new(list[at + i]->rec.hash, 32);
			chain_rpc_batch_add(b, "eth_getTransactionReceipt", json_pack("[s]", hex));
			free(hex);
		}
		s->st.rpc_batches++;
		if (!chain_rpc_batch_send(s->rpc, b, e)) {
			chain_rpc_batch_free(b);
			return false;
		}
		for (size_t i = 0; i < m; i++) {
			json_t *r;
			found[at + i] = false;
			if (!chain_rpc_batch_result(b, i, &r, NULL, NULL, e)) {
				chain_rpc_batch_free(b);
				return false;
			}
			if (json_is_null(r))
				continue;
			if (!chain_rpc_parse_receipt(r, &rcpt[at + i], e)) {
				chain_rpc_batch_free(b);
				return err_prefix(e, "eth_getTransactionReceipt: ");
			}
			found[at + i] = true;
		}
		chain_rpc_batch_free(b);
	}
	return true;
}

/* Confirm mined versions deep enough. Their block hash came from a receipt fetched in this
 * same poll (a receipt is only served for the canonical chain), so a block that a reorg
 * replaced has already shown up as a moved or missing receipt. */
static bool confirm(struct chain_sender *s, struct err *e)
{
	for (size_t i = 0; i < s->nslots; i++) {
		struct vers *v = mined_version(&s->slots[i]);
		if (v && v->rec.state == CHAIN_TX_MINED &&
		    s->head + 1 >= v->rec.block_number + s->cfg.confirmations) {
			set_state(s, v, CHAIN_TX_CONFIRMED);
			s->st.confirmed++;
		}
	}
	return flush(s, e);
}

bool chain_sender_poll(struct chain_sender *s, struct err *e)
{
	bool ok = false;
	uint64_t latest_count;
	struct vers **list = NULL;
	struct chain_receipt *rcpt = NULL;
	bool *found = NULL;
	/* The count first: a nonce it shows as used must show a receipt below, unless a
	 * transaction we never saved took it. */
	if (!chain_rpc_get_transaction_count(s->rpc, s->addr, "latest", &latest_count, e) ||
	    !chain_rpc_block_number(s->rpc, &s->head, e))
		return false;

	/* 1. Receipts of every version that may be on chain. */
	size_t n = 0;
	for (size_t i = 0; i < s->nslots; i++)
		n += s->slots[i].nv;
	list = xcalloc(n ? n : 1, sizeof(*list));
	rcpt = xcalloc(n ? n : 1, sizeof(*rcpt));
	found = xcalloc(n ? n : 1, sizeof(*found));
	n = 0;
	for (size_t i = 0; i < s->nslots; i++)
		for (size_t k = 0; k < s->slots[i].nv; k++) {
			struct vers *v = &s->slots[i].v[k];
			if (v->rec.state != CHAIN_TX_FAILED && v->rec.state != CHAIN_TX_DROPPED &&
			    (v->rec.state != CHAIN_TX_SIGNED || v->rebroadcast))
				list[n++] = v;
		}
	if (!fetch_receipts(s, list, n, rcpt, found, e))
		goto out;

	/* 2. Mined, replaced, reorged. */
	size_t at = 0;
	for (size_t i = 0; i < s->nslots; i++) {
		struct slot *sl = &s->slots[i];
		struct vers *hit = NULL;
		const struct chain_receipt *hr = NULL;
		size_t first = at;
		while (at < n && list[at]->rec.nonce == sl->nonce) {
			if (found[at] && !hit) {
				hit = list[at];
				hr = &rcpt[at];
			}
			at++;
		}
		if (hit) {
			bool moved = hit->rec.has_block &&
				     memcmp(hit->rec.block_hash, hr->block_hash, 32) != 0;
			if (moved) {
				s->st.reorgs++;
				log_warn("reorg: nonce %" PRIu64 " moved from block %" PRIu64
					 " to %" PRIu64,
					 sl->nonce, hit->rec.block_number, hr->block_number);
			}
			if (moved || (hit->rec.state != CHAIN_TX_MINED &&
				      hit->rec.state != CHAIN_TX_CONFIRMED)) {
				hit->rec.has_block = true;
				hit->rec.block_number = hr->block_number;
				memcpy(hit->rec.block_hash, hr->block_hash, 32);
				hit->rec.receipt_status = hr->status;
				set_state(s, hit, CHAIN_TX_MINED);
			}
			for (size_t k = 0; k < sl->nv; k++)
				if (&sl->v[k] != hit && !dead_state(sl->v[k].rec.state))
					set_state(s, &sl->v[k], CHAIN_TX_REPLACED);
			sl->drop_strikes = 0;
			continue;
		}
		for (size_t k = first; k < at; k++) {
			struct vers *v = list[k];
			if (v->rec.state == CHAIN_TX_MINED || v->rec.state == CHAIN_TX_CONFIRMED) {
				s->st.reorgs++;
				log_warn("reorg: transaction %" PRId64 " (nonce %" PRIu64
					 ") left block %" PRIu64 "; broadcasting it again",
					 v->rec.id, sl->nonce, v->rec.block_number);
				if (v->rec.state == CHAIN_TX_CONFIRMED && s->st.confirmed)
					s->st.confirmed--;
				set_state(s, v, CHAIN_TX_BROADCAST);
				v->rebroadcast = true;
			}
		}
		/* Used by a transaction we never saved: twice in a row, to be sure. */
		struct vers *live = live_version(sl);
		if (latest_count > sl->nonce && live && live->rec.state == CHAIN_TX_BROADCAST &&
		    ++sl->drop_strikes >= 2) {
			log_warn("nonce %" PRIu64 " was used by another transaction; dropping ours",
				 sl->nonce);
			for (size_t k = 0; k < sl->nv; k++)
				if (!dead_state(sl->v[k].rec.state) ||
				    sl->v[k].rec.state == CHAIN_TX_REPLACED)
					set_state(s, &sl->v[k], CHAIN_TX_DROPPED);
			s->st.dropped++;
		}
	}
	if (!flush(s, e))
		goto out;

	/* 3. Confirmations. */
	if (!confirm(s, e))
		goto out;

	/* 4. Stuck transactions get a replacement. */
	uint64_t now = clock_s(s), mkt_max = 0, mkt_tip = 0;
	bool have_fees = false;
	for (size_t i = 0; i < s->nslots; i++) {
		struct slot *sl = &s->slots[i];
		struct vers *live = live_version(sl);
		if (mined_version(sl) || !live || live->rec.state != CHAIN_TX_BROADCAST ||
		    now < live->rec.created_unix + s->cfg.stuck_after_s)
			continue;
		if (!have_fees && !market_fees(s, &mkt_max, &mkt_tip, e))
			goto out;
		have_fees = true;
		if (!replace(s, sl, live, mkt_max, mkt_tip, e))
			goto out;
	}
	if (!flush(s, e))
		goto out;

	/* 5. Broadcast what is saved and not out, and what a reorg or a restart put back. */
	size_t nb = 0;
	for (size_t i = 0; i < s->nslots; i++) {
		struct slot *sl = &s->slots[i];
		struct vers *live = live_version(sl);
		if (mined_version(sl) || !live)
			continue;
		if (live->rec.state == CHAIN_TX_SIGNED || live->rebroadcast)
			list[nb++] = live;
	}
	if (nb) {
		struct err be;
		if (!broadcast(s, list, nb, &be))
			log_warn("%s", be.msg);
	}

	/* 6. Forget nonces that are settled and past the re-check window. */
	size_t keep = 0;
	for (size_t i = 0; i < s->nslots; i++) {
		struct slot *sl = &s->slots[i];
		struct vers *m = mined_version(sl);
		bool settled = (m && m->rec.state == CHAIN_TX_CONFIRMED &&
				s->head >= m->rec.block_number + s->cfg.confirmations +
						   s->cfg.recheck_blocks) ||
			       (!m && !live_version(sl));
		if (settled)
			free_slot(sl);
		else
			s->slots[keep++] = *sl;
	}
	s->nslots = keep;
	ok = true;
out:
	for (size_t i = 0; i < n; i++)
		if (found && found[i])
			chain_receipt_clear(&rcpt[i]);
	free(list);
	free(rcpt);
	free(found);
	return ok;
}

/* ---- waiting and looking up ---- */

static struct slot *slot_of_id(struct chain_sender *s, int64_t id)
{
	for (size_t i = 0; i < s->nslots; i++)
		for (size_t k = 0; k < s->slots[i].nv; k++)
			if (s->slots[i].v[k].rec.id == id)
				return &s->slots[i];
	return NULL;
}

bool chain_sender_lookup(struct chain_sender *s, int64_t id, enum chain_txstate *state,
			 uint8_t hash[32], struct err *e)
{
	struct slot *sl = slot_of_id(s, id);
	if (sl) {
		struct vers *v = mined_version(sl);
		if (!v)
			v = live_version(sl);
		if (!v)
			v = &sl->v[sl->nv - 1];
		*state = v->rec.state;
		if (hash)
			memcpy(hash, v->rec.hash, 32);
		return true;
	}
	struct chain_txrec r;
	bool found;
	if (!s->store.ops->get(s->store.ctx, id, &r, &found, e))
		return false;
	if (!found)
		return err_set(e, "no saved transaction has id %" PRId64, id);
	*state = r.state;
	if (hash)
		memcpy(hash, r.hash, 32);
	chain_txrec_clear(&r);
	return true;
}

const char *chain_sender_last_error(struct chain_sender *s, int64_t id)
{
	struct slot *sl = slot_of_id(s, id);
	struct vers *v = sl ? live_version(sl) : NULL;
	return v ? v->last_error : "";
}

static void pause_between(struct chain_sender *s)
{
	if (s->cfg.between_polls)
		s->cfg.between_polls(s->cfg.between_polls_arg);
	else
		sleep_ms(s->cfg.poll_interval_ms ? s->cfg.poll_interval_ms : 1000);
}

bool chain_sender_wait(struct chain_sender *s, int64_t id, struct chain_receipt *out,
		       struct err *e)
{
	uint64_t start = now_ms();
	for (;;) {
		if (!chain_sender_poll(s, e))
			return false;
		enum chain_txstate st;
		uint8_t hash[32];
		if (!chain_sender_lookup(s, id, &st, hash, e))
			return false;
		if (st == CHAIN_TX_CONFIRMED) {
			if (!out)
				return true;
			bool found;
			if (!chain_rpc_get_receipt(s->rpc, hash, out, &found, e))
				return false;
			if (found)
				return true;
			/* A reorg between the poll and now: keep waiting. */
		}
		if (st == CHAIN_TX_FAILED || st == CHAIN_TX_DROPPED)
			return err_set(e, "transaction %" PRId64 " was %s%s%s", id,
				       chain_txstate_name(st),
				       chain_sender_last_error(s, id)[0] ? ": " : "",
				       chain_sender_last_error(s, id));
		if (s->cfg.wait_timeout_ms && now_ms() - start >= s->cfg.wait_timeout_ms) {
			const char *le = chain_sender_last_error(s, id);
			return err_set(e, "transaction %" PRId64 " is still %s after %" PRIu64
					  " ms%s%s",
				       id, chain_txstate_name(st), s->cfg.wait_timeout_ms,
				       le[0] ? "; last error: " : "", le);
		}
		pause_between(s);
	}
}

size_t chain_sender_in_flight(const struct chain_sender *s)
{
	size_t n = 0;
	for (size_t i = 0; i < s->nslots; i++) {
		struct slot *sl = &s->slots[i];
		struct vers *m = mined_version(sl);
		if (m ? m->rec.state != CHAIN_TX_CONFIRMED : live_version(sl) != NULL)
			n++;
	}
	return n;
}

bool chain_sender_wait_all(struct chain_sender *s, struct err *e)
{
	uint64_t start = now_ms();
	for (;;) {
		if (!chain_sender_poll(s, e))
			return false;
		size_t left = chain_sender_in_flight(s);
		if (!left)
			return true;
		if (s->cfg.wait_timeout_ms && now_ms() - start >= s->cfg.wait_timeout_ms)
			return err_set(e, "%zu transactions still unconfirmed after %" PRIu64 " ms",
				       left, s->cfg.wait_timeout_ms);
		pause_between(s);
	}
}

void chain_sender_stats(const struct chain_sender *s, struct chain_sender_stats *out)
{
	*out = s->st;
}

void chain_sender_address(const struct chain_sender *s, uint8_t out[20])
{
	memcpy(out, s->addr, 20);
}

uint64_t chain_sender_chain_id(const struct chain_sender *s)
{
	return s->chain_id;
}

/* ---- the in-memory store ---- */

struct memstore {
	struct chain_txrec *v;
	size_t n, cap;
};

static bool mem_lock(void *ctx, uint64_t chain_id, const uint8_t sender[20], bool wait,
		     struct err *e)
{
	(void)ctx, (void)chain_id, (void)sender, (void)wait, (void)e;
	return true; /* one process, one store: nothing to share */
}

static void mem_unlock(void *ctx, uint64_t chain_id, const uint8_t sender[20])
{
	(void)ctx, (void)chain_id, (void)sender;
}

static bool mem_next_nonce(void *ctx, uint64_t chain_id, const uint8_t sender[20],
			   uint64_t *out, struct err *e)
{
	struct memstore *m = ctx;
	(void)e;
	*out = 0;
	for (size_t i = 0; i < m->n; i++)
		if (m->v[i].chain_id == chain_id && !memcmp(m->v[i].sender, sender, 20) &&
		    m->v[i].nonce + 1 > *out)
			*out = m->v[i].nonce + 1;
	return true;
}

static void copy_rec(struct chain_txrec *dst, const struct chain_txrec *src)
{
	*dst = *src;
	dst->raw = xmalloc(src->raw_len ? src->raw_len : 1);
	memcpy(dst->raw, src->raw, src->raw_len);
}

static bool mem_save(void *ctx, struct chain_txrec *recs, size_t n, struct err *e)
{
	struct memstore *m = ctx;
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < m->n; k++)
			if (!recs[i].replaces && !m->v[k].replaces &&
			    m->v[k].chain_id == recs[i].chain_id &&
			    !memcmp(m->v[k].sender, recs[i].sender, 20) &&
			    m->v[k].nonce == recs[i].nonce)
				return err_set(e, "nonce %" PRIu64 " already has a saved transaction",
					       recs[i].nonce);
	for (size_t i = 0; i < n; i++) {
		if (m->n == m->cap)
			m->v = xrealloc(m->v, (m->cap = m->cap ? m->cap * 2 : 64) * sizeof(*m->v));
		recs[i].id = (int64_t)m->n + 1;
		recs[i].created_unix = now_unix();
		copy_rec(&m->v[m->n++], &recs[i]);
	}
	return true;
}

static bool mem_update(void *ctx, const struct chain_txupdate *u, size_t n, struct err *e)
{
	struct memstore *m = ctx;
	for (size_t i = 0; i < n; i++) {
		if (u[i].id < 1 || (size_t)u[i].id > m->n)
			return err_set(e, "no saved transaction has id %" PRId64, u[i].id);
		struct chain_txrec *r = &m->v[u[i].id - 1];
		r->state = u[i].state;
		r->has_block = u[i].has_block;
		r->block_number = u[i].block_number;
		memcpy(r->block_hash, u[i].block_hash, 32);
		r->receipt_status = u[i].receipt_status;
	}
	return true;
}

static bool mem_open(const struct chain_txrec *r, uint64_t recheck_from)
{
	return r->state == CHAIN_TX_SIGNED || r->state == CHAIN_TX_BROADCAST ||
	       r->state == CHAIN_TX_MINED ||
	       (r->state == CHAIN_TX_CONFIRMED && r->block_number >= recheck_from);
}

static bool mem_list_open(void *ctx, uint64_t chain_id, const uint8_t sender[20],
			  uint64_t recheck_from, struct chain_txrec **out, size_t *n,
			  struct err *e)
{
	struct memstore *m = ctx;
	(void)e;
	*out = xcalloc(m->n ? m->n : 1, sizeof(**out));
	*n = 0;
	/* Rows are in id order and nonces grow with ids, except replacements: sort after. */
	for (size_t i = 0; i < m->n; i++) {
		const struct chain_txrec *r = &m->v[i];
		if (r->chain_id != chain_id || memcmp(r->sender, sender, 20))
			continue;
		bool open = false;
		for (size_t k = 0; k < m->n && !open; k++)
			open = m->v[k].nonce == r->nonce && m->v[k].chain_id == chain_id &&
			       !memcmp(m->v[k].sender, sender, 20) && mem_open(&m->v[k], recheck_from);
		if (open)
			copy_rec(&(*out)[(*n)++], r);
	}
	for (size_t i = 1; i < *n; i++)
		for (size_t k = i; k > 0 && (*out)[k - 1].nonce > (*out)[k].nonce; k--) {
			struct chain_txrec t = (*out)[k];
			(*out)[k] = (*out)[k - 1];
			(*out)[k - 1] = t;
		}
	return true;
}

static bool mem_get(void *ctx, int64_t id, struct chain_txrec *out, bool *found, struct err *e)
{
	struct memstore *m = ctx;
	(void)e;
	*found = id >= 1 && (size_t)id <= m->n;
	if (*found)
		copy_rec(out, &m->v[id - 1]);
	return true;
}

static const struct chain_txstore_ops mem_ops = {
	.lock_sender = mem_lock,
	.unlock_sender = mem_unlock,
	.next_nonce = mem_next_nonce,
	.save = mem_save,
	.update = mem_update,
	.list_open = mem_list_open,
	.get = mem_get,
};

void chain_txstore_memory_new(struct chain_txstore *out)
{
	out->ops = &mem_ops;
	out->ctx = xcalloc(1, sizeof(struct memstore));
}

void chain_txstore_memory_free(struct chain_txstore *store)
{
	if (!store || !store->ctx)
		return;
	struct memstore *m = store->ctx;
	for (size_t i = 0; i < m->n; i++)
		chain_txrec_clear(&m->v[i]);
	free(m->v);
	free(m);
	store->ctx = NULL;
}
