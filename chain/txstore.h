/* txstore.h: where the transaction sender keeps signed transactions.
 *
 * chain/ declares the store and never speaks SQL: sql/txstore.c implements it on the
 * `transactions` table, and chain/sender.c has an in-memory one for callers without a
 * database (and for unit tests). Every raw signed transaction is saved here before it is
 * broadcast, so a crash at any point leaves enough to finish the job without signing a
 * second transaction for the same nonce.
 *
 * A nonce may have several versions (rows): the first, and replacements with higher fees,
 * each naming the version it replaces. At most one of them is ever mined.
 *
 * This header is self-contained (no chain/ library symbols) so that sql/ can implement it
 * without linking chain/. */
#ifndef ASSAY_CHAIN_TXSTORE_H
#define ASSAY_CHAIN_TXSTORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct err;

enum chain_txstate {
	CHAIN_TX_SIGNED,    /* saved, not known to be broadcast */
	CHAIN_TX_BROADCAST, /* the node accepted it (or already knew it) */
	CHAIN_TX_MINED,     /* in a block, fewer than N confirmations */
	CHAIN_TX_CONFIRMED, /* N confirmations (still re-checked for a while) */
	CHAIN_TX_REPLACED,  /* another version of its nonce superseded it */
	CHAIN_TX_FAILED,    /* the node refused it for good (a replacement underpriced) */
	CHAIN_TX_DROPPED,   /* its nonce was used by a transaction we never saved */
};

static inline const char *chain_txstate_name(enum chain_txstate s)
{
	static const char *const names[] = {"signed",   "broadcast", "mined",  "confirmed",
					    "replaced", "failed",    "dropped"};
	return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static inline bool chain_txstate_parse(const char *text, enum chain_txstate *out)
{
	for (int s = CHAIN_TX_SIGNED; s <= CHAIN_TX_DROPPED; s++)
		if (!strcmp(text, chain_txstate_name((enum chain_txstate)s))) {
			*out = (enum chain_txstate)s;
			return true;
		}
	return false;
}

struct chain_txrec {
	int64_t id;             /* assigned by save */
	int64_t replaces;       /* id of the version this one replaces; 0 for a first one */
	uint64_t chain_id;
	uint8_t sender[20];
	uint64_t nonce;
	uint8_t hash[32];
	uint8_t *raw;           /* owned: the signed transaction as broadcast */
	size_t raw_len;
	char purpose[64];
	uint64_t max_fee;       /* wei per gas */
	uint64_t max_tip;
	enum chain_txstate state;
	bool has_block;         /* mined/confirmed: where */
	uint64_t block_number;
	uint8_t block_hash[32];
	int receipt_status;     /* 1 success, 0 reverted, -1 unknown */
	uint64_t created_unix;  /* when it was saved: the stuck deadline counts from here */
};

static inline void chain_txrec_clear(struct chain_txrec *r)
{
	if (r) {
		free(r->raw);
		r->raw = NULL;
		r->raw_len = 0;
	}
}

/* A state change, with the block when there is one. */
struct chain_txupdate {
	int64_t id;
	enum chain_txstate state;
	bool has_block;
	uint64_t block_number;
	uint8_t block_hash[32];
	int receipt_status;
};

struct chain_txstore_ops {
	/* Become the only nonce writer for (chain, sender) while the store lives: with wait,
	 * block until another holder is gone; without, fail at once naming the reason. */
	bool (*lock_sender)(void *ctx, uint64_t chain_id, const uint8_t sender[20], bool wait,
			    struct err *e);
	void (*unlock_sender)(void *ctx, uint64_t chain_id, const uint8_t sender[20]);
	/* One past the highest nonce ever saved for (chain, sender); 0 when none. */
	bool (*next_nonce)(void *ctx, uint64_t chain_id, const uint8_t sender[20], uint64_t *out,
			   struct err *e);
	/* Save n new records, all or none, and fill their ids and created_unix. Refuses a
	 * second first version (replaces == 0) of a nonce. */
	bool (*save)(void *ctx, struct chain_txrec *recs, size_t n, struct err *e);
	/* Apply n state changes, all or none. */
	bool (*update)(void *ctx, const struct chain_txupdate *u, size_t n, struct err *e);
	/* Every version of every nonce that is still open: one version signed, broadcast or
	 * mined, or confirmed in a block >= recheck_from. Sorted by nonce, then id; *out is
	 * malloc'd (free each with chain_txrec_clear, then the array). */
	bool (*list_open)(void *ctx, uint64_t chain_id, const uint8_t sender[20],
			  uint64_t recheck_from, struct chain_txrec **out, size_t *n,
			  struct err *e);
	/* One record by id (raw included). */
	bool (*get)(void *ctx, int64_t id, struct chain_txrec *out, bool *found, struct err *e);
};

struct chain_txstore {
	const struct chain_txstore_ops *ops;
	void *ctx;
};

#endif
