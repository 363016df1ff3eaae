#include "chain/rlp.h"

#include <string.h>

#include "chain/u256.h"
#include "core/buf.h"
#include "core/err.h"

static size_t be_len(uint64_t v)
{
	size_t n = 0;
	while (v) {
		n++;
		v >>= 8;
	}
	return n;
}

/* Writes the prefix for a payload of len bytes into hdr (at most 9 bytes). */
static size_t header(uint8_t hdr[9], uint8_t short_base, uint64_t len)
{
	if (len < 56) {
		hdr[0] = (uint8_t)(short_base + len);
		return 1;
	}
	size_t n = be_len(len);
	hdr[0] = (uint8_t)(short_base + 55 + n);
	for (size_t i = 0; i < n; i++)
		hdr[1 + i] = (uint8_t)(len >> (8 * (n - 1 - i)));
	return 1 + n;
}

void chain_rlp_put_bytes(struct buf *b, const uint8_t *data, size_t len)
{
	if (len == 1 && data[0] < 0x80) {
		buf_append_byte(b, data[0]);
		return;
	}
	uint8_t hdr[9];
	buf_append(b, hdr, header(hdr, 0x80, len));
	if (len)
		buf_append(b, data, len);
}

void chain_rlp_put_str(struct buf *b, const char *s)
{
	chain_rlp_put_bytes(b, (const uint8_t *)s, strlen(s));
}

void chain_rlp_put_u64(struct buf *b, uint64_t v)
{
	uint8_t be[8];
	size_t n = be_len(v);
	for (size_t i = 0; i < n; i++)
		be[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	chain_rlp_put_bytes(b, be, n);
}

void chain_rlp_put_u256(struct buf *b, const struct chain_u256 *v)
{
	uint8_t be[32];
	size_t n = chain_u256_to_be_min(v, be);
	chain_rlp_put_bytes(b, be, n);
}

void chain_rlp_put_raw(struct buf *b, const uint8_t *rlp, size_t len)
{
	buf_append(b, rlp, len);
}

size_t chain_rlp_list_begin(struct buf *b)
{
	return b->len;
}

void chain_rlp_list_end(struct buf *b, size_t mark)
{
	ASSAY_ASSERT(mark <= b->len);
	uint8_t hdr[9];
	size_t payload = b->len - mark;
	size_t n = header(hdr, 0xc0, payload);
	/* The prefix depends on the payload length, so it goes in front afterwards. */
	buf_reserve(b, n);
	memmove(b->data + mark + n, b->data + mark, payload);
	memcpy(b->data + mark, hdr, n);
	b->len += n;
}

/* Reads one item's prefix at p (within [base, end)) without looking inside lists. */
static bool read_item(const uint8_t *base, const uint8_t *p, const uint8_t *end,
		      struct chain_rlp_item *out, struct err *e)
{
	size_t off = (size_t)(p - base);
	size_t avail = (size_t)(end - p);
	if (avail == 0)
		return err_set(e, "RLP ends where an item was expected (offset %zu)", off);
	uint8_t b0 = p[0];
	size_t hdr, len;
	bool list = b0 >= 0xc0;
	if (b0 < 0x80) {
		hdr = 0;
		len = 1;
	} else if (b0 <= 0xb7 || (b0 >= 0xc0 && b0 <= 0xf7)) {
		hdr = 1;
		len = (size_t)(b0 - (list ? 0xc0 : 0x80));
	} else {
		size_t nlen = (size_t)(b0 - (list ? 0xf7 : 0xb7));
		if (avail < 1 + nlen)
			return err_set(e, "RLP length prefix runs past the end (offset %zu)", off);
		if (p[1] == 0)
			return err_set(e, "RLP length has a leading zero (offset %zu)", off);
		if (nlen > sizeof(size_t))
			return err_set(e, "RLP length does not fit in memory (offset %zu)", off);
		uint64_t l = 0;
		for (size_t i = 0; i < nlen; i++)
			l = (l << 8) | p[1 + i];
		if (l < 56)
			return err_set(e, "RLP uses a long length for a short payload (offset %zu)", off);
		hdr = 1 + nlen;
		len = (size_t)l;
	}
	if (len > avail - hdr)
		return err_set(e, "RLP item of %zu bytes runs past the end (offset %zu)", len, off);
	if (!list && hdr == 1 && len == 1 && p[1] < 0x80)
		return err_set(e, "RLP encodes a single byte below 0x80 with a prefix (offset %zu)", off);
	out->is_list = list;
	out->data = p + hdr;
	out->len = len;
	out->raw = p;
	out->raw_len = hdr + len;
	return true;
}

static bool check_list(const uint8_t *base, const struct chain_rlp_item *list, unsigned depth,
		       struct err *e)
{
	if (depth > CHAIN_RLP_MAX_DEPTH)
		return err_set(e, "RLP lists nest deeper than %d levels", CHAIN_RLP_MAX_DEPTH);
	const uint8_t *p = list->data, *end = list->data + list->len;
	while (p < end) {
		struct chain_rlp_item it;
		if (!read_item(base, p, end, &it, e))
			return false;
		if (it.is_list && !check_list(base, &it, depth + 1, e))
			return false;
		p += it.raw_len;
	}
	return true;
}

bool chain_rlp_decode(const uint8_t *in, size_t len, struct chain_rlp_item *out, struct err *e)
{
	struct chain_rlp_item it;
	if (!read_item(in, in, in + len, &it, e))
		return false;
	if (it.raw_len != len)
		return err_set(e, "RLP has %zu trailing bytes after the item", len - it.raw_len);
	if (it.is_list && !check_list(in, &it, 1, e))
		return false;
	*out = it;
	return true;
}

void chain_rlp_iter_init(struct chain_rlp_iter *it, const struct chain_rlp_item *list)
{
	it->p = list->is_list ? list->data : NULL;
	it->end = list->is_list ? list->data + list->len : NULL;
}

bool chain_rlp_next(struct chain_rlp_iter *it, struct chain_rlp_item *out, struct err *e)
{
	if (!it->p || it->p >= it->end)
		return false;
	if (!read_item(it->p, it->p, it->end, out, e)) {
		it->p = NULL;
		return false;
	}
	it->p += out->raw_len;
	return true;
}

size_t chain_rlp_count(const struct chain_rlp_item *list)
{
	struct chain_rlp_iter it;
	struct chain_rlp_item item;
	size_t n = 0;
	chain_rlp_iter_init(&it, list);
	while (chain_rlp_next(&it, &item, NULL))
		n++;
	return n;
}

bool chain_rlp_list_items(const struct chain_rlp_item *list, struct chain_rlp_item *items,
			  size_t min, size_t max, size_t *count, struct err *e)
{
	if (!list->is_list)
		return err_set(e, "RLP item is a byte string where a list was expected");
	struct chain_rlp_iter it;
	struct chain_rlp_item item;
	struct err ie = {{0}};
	size_t n = 0;
	chain_rlp_iter_init(&it, list);
	while (chain_rlp_next(&it, &item, &ie)) {
		if (n == max)
			return err_set(e, "RLP list has more than %zu items", max);
		items[n++] = item;
	}
	if (ie.msg[0])
		return err_set(e, "%s", ie.msg);
	if (n < min)
		return err_set(e, "RLP list has %zu items, expected at least %zu", n, min);
	if (count)
		*count = n;
	return true;
}

static bool check_int(const struct chain_rlp_item *it, size_t max, struct err *e)
{
	if (it->is_list)
		return err_set(e, "RLP list where an integer was expected");
	if (it->len > max)
		return err_set(e, "RLP integer of %zu bytes is larger than %zu bytes", it->len, max);
	if (it->len && it->data[0] == 0)
		return err_set(e, "RLP integer has a leading zero byte");
	return true;
}

bool chain_rlp_to_u64(const struct chain_rlp_item *it, uint64_t *out, struct err *e)
{
	if (!check_int(it, 8, e))
		return false;
	uint64_t v = 0;
	for (size_t i = 0; i < it->len; i++)
		v = (v << 8) | it->data[i];
	*out = v;
	return true;
}

bool chain_rlp_to_u256(const struct chain_rlp_item *it, struct chain_u256 *out, struct err *e)
{
	if (!check_int(it, 32, e))
		return false;
	chain_u256_from_be(out, it->data, it->len);
	return true;
}
