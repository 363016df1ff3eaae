/* rlp.h: Ethereum's Recursive Length Prefix encoding (yellow paper, appendix B).
 *
 * Encoding appends to a struct buf; lists are opened and closed around their items.
 * Decoding is strict, because a transaction we sign or recover must have exactly one
 * encoding: canonical length prefixes only (no leading zeros, no long form for short
 * payloads), single bytes below 0x80 written as themselves, nesting depth bounded, nothing
 * read past the buffer and no trailing bytes. Items point into the caller's buffer. */
#ifndef ASSAY_CHAIN_RLP_H
#define ASSAY_CHAIN_RLP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct buf;
struct err;
struct chain_u256;

/* Deepest list nesting chain_rlp_decode accepts. */
#define CHAIN_RLP_MAX_DEPTH 64

/* --- encoding --- */
void chain_rlp_put_bytes(struct buf *b, const uint8_t *data, size_t len);
void chain_rlp_put_str(struct buf *b, const char *s);
/* Integers as minimal big-endian byte strings (0 is the empty string). */
void chain_rlp_put_u64(struct buf *b, uint64_t v);
void chain_rlp_put_u256(struct buf *b, const struct chain_u256 *v);
/* Already-encoded items (for example a list encoded elsewhere) appended verbatim. */
void chain_rlp_put_raw(struct buf *b, const uint8_t *rlp, size_t len);
/* Opens a list: returns a mark to give to chain_rlp_list_end once its items are appended.
 * Lists nest. */
size_t chain_rlp_list_begin(struct buf *b);
void chain_rlp_list_end(struct buf *b, size_t mark);

/* --- decoding --- */
struct chain_rlp_item {
	bool is_list;
	const uint8_t *data; /* payload (a list's payload is its encoded items) */
	size_t len;
	const uint8_t *raw;  /* the whole item, prefix included */
	size_t raw_len;
};

/* The input must be exactly one well-formed item; every nested list is checked too.
 * On failure e says what is wrong and at which byte offset. */
bool chain_rlp_decode(const uint8_t *in, size_t len, struct chain_rlp_item *out, struct err *e) WARN_UNUSED;

/* Walks the items of a list decoded by chain_rlp_decode. */
struct chain_rlp_iter {
	const uint8_t *p, *end;
};
void chain_rlp_iter_init(struct chain_rlp_iter *it, const struct chain_rlp_item *list);
/* False at the end of the list (e untouched) or on malformed input (e set). */
bool chain_rlp_next(struct chain_rlp_iter *it, struct chain_rlp_item *out, struct err *e) WARN_UNUSED;
/* Number of items of a list (0 for a byte string). */
size_t chain_rlp_count(const struct chain_rlp_item *list);
/* Copies the items of a list into items[] (room for max); fails unless the list holds
 * between min and max items. *count (may be NULL) receives how many. */
bool chain_rlp_list_items(const struct chain_rlp_item *list, struct chain_rlp_item *items,
			  size_t min, size_t max, size_t *count, struct err *e) WARN_UNUSED;

/* Canonical integers: a byte string without leading zeros, fitting the target. */
bool chain_rlp_to_u64(const struct chain_rlp_item *it, uint64_t *out, struct err *e) WARN_UNUSED;
bool chain_rlp_to_u256(const struct chain_rlp_item *it, struct chain_u256 *out, struct err *e) WARN_UNUSED;

#endif
