#include "chain/u256.h"

#include <jansson.h>
#include <string.h>

#include "core/encoding.h"
#include "core/err.h"

typedef unsigned __int128 u128;

void chain_u256_from_u64(struct chain_u256 *out, uint64_t v)
{
	memset(out, 0, sizeof(*out));
	out->w[0] = v;
}

bool chain_u256_is_zero(const struct chain_u256 *v)
{
	return !(v->w[0] | v->w[1] | v->w[2] | v->w[3]);
}

int chain_u256_cmp(const struct chain_u256 *a, const struct chain_u256 *b)
{
	for (int i = 3; i >= 0; i--)
		if (a->w[i] != b->w[i])
			return a->w[i] < b->w[i] ? -1 : 1;
	return 0;
}

bool chain_u256_to_u64(const struct chain_u256 *v, uint64_t *out)
{
	if (v->w[1] | v->w[2] | v->w[3])
		return false;
	*out = v->w[0];
	return true;
}

unsigned chain_u256_bits(const struct chain_u256 *v)
{
	for (int i = 3; i >= 0; i--)
		if (v->w[i])
			return (unsigned)i * 64 + 64 - (unsigned)__builtin_clzll(v->w[i]);
	return 0;
}

bool chain_i256_is_negative(const struct chain_u256 *v)
{
	return v->w[3] >> 63;
}

bool chain_u256_fits_uint(const struct chain_u256 *v, unsigned bits)
{
	return chain_u256_bits(v) <= bits;
}

bool chain_i256_fits_int(const struct chain_u256 *v, unsigned bits)
{
	if (bits >= 256)
		return true;
	/* In range iff bits bits-1..255 are all equal (a sign extension). */
	struct chain_u256 t = *v;
	if (chain_i256_is_negative(&t))
		for (int i = 0; i < 4; i++)
			t.w[i] = ~t.w[i];
	return chain_u256_bits(&t) <= bits - 1;
}

bool chain_u256_add(struct chain_u256 *out, const struct chain_u256 *a, const struct chain_u256 *b)
{
	u128 carry = 0;
	for (int i = 0; i < 4; i++) {
		carry += (u128)a->w[i] + b->w[i];
		out->w[i] = (uint64_t)carry;
		carry >>= 64;
	}
	return carry != 0;
}

bool chain_u256_sub(struct chain_u256 *out, const struct chain_u256 *a, const struct chain_u256 *b)
{
	uint64_t borrow = 0;
	for (int i = 0; i < 4; i++) {
		uint64_t ai = a->w[i], bi = b->w[i];
		uint64_t d = ai - bi - borrow;
		borrow = (ai < bi) || (ai - bi < borrow);
		out->w[i] = d;
	}
	return borrow != 0;
}

bool chain_u256_mul(struct chain_u256 *out, const struct chain_u256 *a, const struct chain_u256 *b)
{
	uint64_t r[8] = {0};
	for (int i = 0; i < 4; i++) {
		u128 carry = 0;
		for (int j = 0; j < 4; j++) {
			carry += (u128)a->w[i] * b->w[j] + r[i + j];
			r[i + j] = (uint64_t)carry;
			carry >>= 64;
		}
		r[i + 4] = (uint64_t)carry;
	}
	memcpy(out->w, r, sizeof(out->w));
	return (r[4] | r[5] | r[6] | r[7]) != 0;
}

bool chain_u256_mul_small(struct chain_u256 *out, const struct chain_u256 *a, uint64_t m)
{
	u128 carry = 0;
	for (int i = 0; i < 4; i++) {
		carry += (u128)a->w[i] * m;
		out->w[i] = (uint64_t)carry;
		carry >>= 64;
	}
	return carry != 0;
}

uint64_t chain_u256_div_small(struct chain_u256 *out, const struct chain_u256 *a, uint64_t d)
{
	ASSAY_ASSERT(d != 0);
	u128 rem = 0;
	for (int i = 3; i >= 0; i--) {
		u128 cur = (rem << 64) | a->w[i];
		out->w[i] = (uint64_t)(cur / d);
		rem = cur % d;
	}
	return (uint64_t)rem;
}

void chain_u256_neg(struct chain_u256 *out, const struct chain_u256 *a)
{
	struct chain_u256 zero = {{0}};
	(void)chain_u256_sub(out, &zero, a);
}

bool chain_u256_parse(struct chain_u256 *out, const char *s, struct err *e)
{
	struct chain_u256 v = {{0}};
	bool hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
	const char *p = hex ? s + 2 : s;
	if (!*p)
		return err_set(e, "'%.80s' is not a number", s);
	for (; *p; p++) {
		int d = hex ? hex_digit_value(*p) : (*p >= '0' && *p <= '9' ? *p - '0' : -1);
		if (d < 0)
			return err_set(e, "'%.80s' is not a %s number", s, hex ? "hex" : "decimal");
		if (chain_u256_mul_small(&v, &v, hex ? 16 : 10))
			return err_set(e, "'%.80s' does not fit in 256 bits", s);
		struct chain_u256 dv;
		chain_u256_from_u64(&dv, (uint64_t)d);
		if (chain_u256_add(&v, &v, &dv))
			return err_set(e, "'%.80s' does not fit in 256 bits", s);
	}
	*out = v;
	return true;
}

bool chain_i256_parse(struct chain_u256 *out, const char *s, unsigned bits, struct err *e)
{
	ASSAY_ASSERT(bits >= 8 && bits <= 256);
	bool neg = s[0] == '-';
	struct chain_u256 v;
	if (neg && s[1] == '0' && (s[2] == 'x' || s[2] == 'X'))
		return err_set(e, "'%.80s': negative numbers must be decimal", s);
	if (!chain_u256_parse(&v, neg ? s + 1 : s, e))
		return false;
	if (neg) {
		/* |min| = 2^(bits-1) */
		struct chain_u256 lim = {{0}};
		lim.w[(bits - 1) / 64] = 1ull << ((bits - 1) % 64);
		if (chain_u256_cmp(&v, &lim) > 0)
			return err_set(e, "'%.80s' is below the range of int%u", s, bits);
		chain_u256_neg(&v, &v);
	} else if (chain_u256_bits(&v) > bits - 1) {
		return err_set(e, "'%.80s' is above the range of int%u", s, bits);
	}
	*out = v;
	return true;
}

void chain_u256_from_be(struct chain_u256 *out, const uint8_t *be, size_t len)
{
	ASSAY_ASSERT(len <= 32);
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < len; i++) {
		size_t bit = (len - 1 - i) * 8;
		out->w[bit / 64] |= (uint64_t)be[i] << (bit % 64);
	}
}

void chain_u256_to_be(const struct chain_u256 *v, uint8_t out[32])
{
	for (size_t i = 0; i < 32; i++) {
		size_t bit = (31 - i) * 8;
		out[i] = (uint8_t)(v->w[bit / 64] >> (bit % 64));
	}
}

size_t chain_u256_to_be_min(const struct chain_u256 *v, uint8_t out[32])
{
	uint8_t be[32];
	chain_u256_to_be(v, be);
	size_t skip = 0;
	while (skip < 32 && be[skip] == 0)
		skip++;
	memcpy(out, be + skip, 32 - skip);
	return 32 - skip;
}

static void to_dec(const struct chain_u256 *v, char *out)
{
	char tmp[CHAIN_U256_STRLEN];
	size_t n = 0;
	struct chain_u256 t = *v;
	do {
		tmp[n++] = (char)('0' + chain_u256_div_small(&t, &t, 10));
	} while (!chain_u256_is_zero(&t));
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

void chain_u256_to_dec(const struct chain_u256 *v, char out[CHAIN_U256_STRLEN])
{
	to_dec(v, out);
}

void chain_i256_to_dec(const struct chain_u256 *v, char out[CHAIN_U256_STRLEN])
{
	if (!chain_i256_is_negative(v)) {
		to_dec(v, out);
		return;
	}
	struct chain_u256 m;
	chain_u256_neg(&m, v);
	out[0] = '-';
	to_dec(&m, out + 1); /* at most 78 digits, so the sign fits */
}

void chain_u256_to_hex(const struct chain_u256 *v, char out[CHAIN_U256_STRLEN])
{
	static const char digits[] = "0123456789abcdef";
	size_t n = 0;
	out[n++] = '0';
	out[n++] = 'x';
	bool started = false;
	for (int i = 63; i >= 0; i--) {
		unsigned nib = (unsigned)(v->w[i / 16] >> ((i % 16) * 4)) & 15;
		if (nib || started || i == 0) {
			out[n++] = digits[nib];
			started = true;
		}
	}
	out[n] = '\0';
}

struct json_t *chain_u256_json(const struct chain_u256 *v)
{
	char d[CHAIN_U256_STRLEN];
	chain_u256_to_dec(v, d);
	return json_string(d);
}
