/* sender.h: the transaction sender: nonces, fees, saving before broadcast, receipts,
 * confirmations, replacement of stuck transactions, reorgs and crash recovery.
 *
 * Rules it keeps:
 * - every signed raw transaction is saved in the store before it is broadcast;
 * - one nonce writer per key and chain (the store's lock, taken by chain_sender_new);
 * - a nonce that has a saved transaction never gets a second independent one: only a
 *   replacement (same nonce, fees raised by >= 10 % + 1 wei) after the stuck deadline;
 * - fees from eth_feeHistory: max fee = 2 x next base fee + tip, tip = the history's
 *   reward percentile or the configured minimum, never above the cap (a "fee cap hit"
 *   is logged and counted when the cap binds);
 * - a transaction is confirmed after N blocks and re-checked for recheck_blocks more: if
 *   a reorg removes it, it goes back in flight and its saved bytes are broadcast again;
 * - after a crash, chain_sender_recover finishes what was in flight: saved transactions
 *   the node may not know are broadcast again (the same bytes: the chain holds them at
 *   most once).
 *
 * Pipelining: chain_sender_submit_many signs and saves many transactions in one store
 * call and broadcasts them in JSON-RPC batches; chain_sender_poll checks all receipts in
 * batches. */
#ifndef ASSAY_CHAIN_SENDER_H
#define ASSAY_CHAIN_SENDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/txstore.h"
#include "chain/u256.h"
#include "core/util.h"

struct err;
struct chain_rpc;
struct chain_key;
struct chain_receipt;
struct chain_fee_history;
struct chain_sender;

struct chain_sender_cfg {
	uint64_t confirmations;    /* blocks, counting the one holding the tx */
	uint64_t stuck_after_s;    /* replace a transaction unmined this long after saving */
	uint64_t fee_cap;          /* max fee per gas, wei */
	uint64_t min_tip;          /* wei per gas */
	double tip_percentile;     /* of eth_feeHistory rewards */
	unsigned fee_blocks;       /* blocks of fee history */
	uint64_t recheck_blocks;   /* keep re-checking confirmed transactions this long */
	size_t batch;              /* calls per JSON-RPC batch */
	unsigned gas_margin_pct;   /* added to eth_estimateGas */
	bool wait_for_lock;        /* wait for another process using the key, else refuse */
	unsigned poll_interval_ms; /* chain_sender_wait between polls */
	uint64_t wait_timeout_ms;  /* chain_sender_wait gives up after this (0: never) */
	/* Called by chain_sender_wait between polls instead of sleeping (tests mine a block). */
	void (*between_polls)(void *arg);
	void *between_polls_arg;
	/* Seconds clock for the stuck deadline (tests move it); NULL: wall clock. */
	uint64_t (*now)(void *arg);
	void *now_arg;
};

/* confirmations 3, stuck after 180 s, cap 500 gwei, min tip 1 gwei, 50th percentile over
 * 10 blocks, re-check 64 blocks, batches of 200, +20 % gas, refuse a held lock, poll each
 * second, no wait timeout. */
void chain_sender_cfg_defaults(struct chain_sender_cfg *cfg);

struct chain_sender_stats {
	uint64_t submitted;
	uint64_t broadcasts;    /* transactions the node accepted (first time or again) */
	uint64_t rebroadcasts;  /* saved bytes sent again (recovery, reorgs) */
	uint64_t replacements;
	uint64_t fee_cap_hits;
	uint64_t reorgs;        /* mined/confirmed transactions that lost their block */
	uint64_t confirmed;
	uint64_t dropped;
	uint64_t rpc_batches;
};

/* Reads the chain id, takes the store's lock for the key's address, then recovers
 * (chain_sender_recover). rpc, key and store are lent and must outlive the sender. */
bool chain_sender_new(struct chain_sender **out, struct chain_rpc *rpc,
		      const struct chain_key *key, const struct chain_txstore *store,
		      const struct chain_sender_cfg *cfg, struct err *e) WARN_UNUSED;
/* Releases the lock; NULL is fine. */
void chain_sender_free(struct chain_sender *s);

/* Loads everything still open from the store, sets the next nonce to the larger of the
 * store's and the chain's pending count, and broadcasts saved transactions again. */
bool chain_sender_recover(struct chain_sender *s, struct err *e) WARN_UNUSED;

struct chain_send_req {
	const uint8_t *to;      /* 20 bytes, NULL for a contract creation */
	struct chain_u256 value;
	const uint8_t *data;
	size_t data_len;
	uint64_t gas_limit;     /* 0: eth_estimateGas + margin */
	const char *purpose;    /* recorded with the transaction */
};

/* Sign, save (all in one store call), then broadcast in batches. A broadcast that fails
 * leaves the transactions saved; chain_sender_poll sends them later. ids (n entries)
 * receive the store ids. Fails, with nothing saved, if fees, gas or signing fail. */
bool chain_sender_submit_many(struct chain_sender *s, const struct chain_send_req *reqs,
			      size_t n, int64_t *ids, struct err *e) WARN_UNUSED;
bool chain_sender_submit(struct chain_sender *s, const uint8_t *to,
			 const struct chain_u256 *value, const uint8_t *data, size_t data_len,
			 uint64_t gas_limit, const char *purpose, int64_t *id,
			 struct err *e) WARN_UNUSED;

/* One round: receipts, confirmations, reorg checks, replacements, broadcasts. */
bool chain_sender_poll(struct chain_sender *s, struct err *e) WARN_UNUSED;
/* Poll until id is confirmed; out (may be NULL) receives its receipt (clear it). Fails
 * when the transaction is dropped or failed, or on the wait timeout. */
bool chain_sender_wait(struct chain_sender *s, int64_t id, struct chain_receipt *out,
		       struct err *e) WARN_UNUSED;
/* Poll until nothing submitted is short of its confirmations. */
bool chain_sender_wait_all(struct chain_sender *s, struct err *e) WARN_UNUSED;

/* The current state and hash of the live version of id's nonce (the mined one once
 * mined). Looks in the store for transactions no longer in memory. */
bool chain_sender_lookup(struct chain_sender *s, int64_t id, enum chain_txstate *state,
			 uint8_t hash[32], struct err *e) WARN_UNUSED;
/* The last node error for id's broadcast ("" if none). */
const char *chain_sender_last_error(struct chain_sender *s, int64_t id);
void chain_sender_stats(const struct chain_sender *s, struct chain_sender_stats *out);
/* Nonces not yet confirmed. */
size_t chain_sender_in_flight(const struct chain_sender *s);
void chain_sender_address(const struct chain_sender *s, uint8_t out[20]);
uint64_t chain_sender_chain_id(const struct chain_sender *s);

/* ---- pure parts, for the unit tests ---- */

/* Fees from a fee history: *capped says the cap bound the max fee. */
bool chain_sender_fees(const struct chain_fee_history *h, const struct chain_sender_cfg *cfg,
		       uint64_t *max_fee, uint64_t *tip, bool *capped, struct err *e) WARN_UNUSED;
/* A replacement fee: old + old/10 + 1 (at least 10 % more, rounding up), saturating. */
uint64_t chain_sender_bump(uint64_t fee);

/* An in-memory store (no persistence: for callers without a database, and tests). */
void chain_txstore_memory_new(struct chain_txstore *out);
void chain_txstore_memory_free(struct chain_txstore *store);

#endif
