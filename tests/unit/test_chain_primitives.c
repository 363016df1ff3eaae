/* test_chain_primitives.c: Keccak-256, 256-bit integers and RLP against published vectors,
 * and the strict RLP decoder's refusals. */
#include <stdlib.h>
#include <string.h>

#include "chain/keccak.h"
#include "chain/rlp.h"
#include "chain/u256.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "tests/harness/harness.h"

static void check_hash(const uint8_t h[32], const char *want)
{
	char got[65];
	hex_encode(got, h, 32);
	ck_assert_str_eq(got, want);
}

START_TEST(keccak_vectors)
{
	uint8_t h[32];
	chain_keccak256(h, "", 0);
	check_hash(h, "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	chain_keccak256(h, "abc", 3);
	check_hash(h, "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
	const char *fox = "The quick brown fox jumps over the lazy dog";
	chain_keccak256(h, fox, strlen(fox));
	check_hash(h, "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15");
	/* Around the 136-byte rate: one byte short, exactly one block, one over, two blocks. */
	static const struct {
		size_t n;
		const char *want;
	} as[] = {
		{135, "34367dc248bbd832f4e3e69dfaac2f92638bd0bbd18f2912ba4ef454919cf446"},
		{136, "a6c4d403279fe3e0af03729caada8374b5ca54d8065329a3ebcaeb4b60aa386e"},
		{137, "d869f639c7046b4929fc92a4d988a8b22c55fbadb802c0c66ebcd484f1915f39"},
		{272, "cf7fcd4f705ee749930d19ca84561a9bf62516bd90a471545fa2f49fdc7e63c8"},
		{300, "5b7e0e47a96f32a88b4f14ca177982790807c40e1a105742ba0fc1babe1ef826"},
	};
	uint8_t a[300];
	memset(a, 'a', sizeof(a));
	for (size_t i = 0; i < ARRAY_LEN(as); i++) {
		chain_keccak256(h, a, as[i].n);
		check_hash(h, as[i].want);
		/* Incremental, split at every point: the same digest. */
		for (size_t cut = 0; cut <= as[i].n; cut += 17) {
			struct chain_keccak k;
			chain_keccak_init(&k);
			chain_keccak_update(&k, a, cut);
			chain_keccak_update(&k, a + cut, as[i].n - cut);
			chain_keccak_final(&k, h);
			check_hash(h, as[i].want);
		}
	}
	/* Byte by byte. */
	struct chain_keccak k;
	chain_keccak_init(&k);
	for (size_t i = 0; i < 272; i++)
		chain_keccak_update(&k, a + i, 1);
	chain_keccak_final(&k, h);
	check_hash(h, "cf7fcd4f705ee749930d19ca84561a9bf62516bd90a471545fa2f49fdc7e63c8");
}
END_TEST

/* Many one-block messages side by side: every path (1, 4, 8 lanes, as the CPU allows) gives
 * chain_keccak256's digests, for every length a block holds and for counts that leave
 * lanes idle. */
START_TEST(keccak_many_lanes)
{
	enum { N = 2 * CHAIN_KECCAK_RATE + 3 };
	uint8_t *data = malloc((size_t)N * CHAIN_KECCAK_RATE);
	uint8_t(*want)[32] = malloc((size_t)N * 32), (*got)[32] = malloc((size_t)N * 32);
	struct chain_keccak_msg *m = malloc((size_t)N * sizeof(*m));
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < (size_t)N * CHAIN_KECCAK_RATE; i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		data[i] = (uint8_t)x;
	}
	for (size_t i = 0; i < N; i++) {
		m[i] = (struct chain_keccak_msg){data + i * CHAIN_KECCAK_RATE,
						  i % CHAIN_KECCAK_RATE, got[i]};
		chain_keccak256(want[i], m[i].data, m[i].len);
	}
	static const unsigned lanes[] = {1, 4, 8};
	static const size_t counts[] = {0, 1, 2, 3, 5, 8, 9, 17, N};
	for (size_t l = 0; l < ARRAY_LEN(lanes); l++)
		for (size_t c = 0; c < ARRAY_LEN(counts); c++) {
			memset(got, 0, (size_t)N * 32);
			unsigned used = chain_keccak256_many_lanes(m, counts[c], lanes[l]);
			ck_assert_uint_le(used, lanes[l]);
			for (size_t i = 0; i < counts[c]; i++)
				ck_assert_msg(!memcmp(got[i], want[i], 32),
					      "lanes %u, %zu messages: message %zu differs", used,
					      counts[c], i);
		}
	/* One known digest through the lanes: "abc" among others. */
	uint8_t h[2][32];
	struct chain_keccak_msg two[2] = {{(const uint8_t *)"abc", 3, h[0]},
					  {(const uint8_t *)"", 0, h[1]}};
	chain_keccak256_many(two, 2);
	check_hash(h[0], "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45");
	check_hash(h[1], "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470");
	free(m);
	free(got);
	free(want);
	free(data);
}
END_TEST

START_TEST(u256_text)
{
	struct chain_u256 v, w;
	struct err e = {{0}};
	char s[CHAIN_U256_STRLEN];
	const char *max = "115792089237316195423570985008687907853269984665640564039457584007913129639935";
	ck_assert(chain_u256_parse(&v, max, &e));
	chain_u256_to_dec(&v, s);
	ck_assert_str_eq(s, max);
	chain_u256_to_hex(&v, s);
	ck_assert_str_eq(s, "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
	ck_assert(!chain_u256_parse(&v, "115792089237316195423570985008687907853269984665640564039457584007913129639936", &e));
	ck_assert(!chain_u256_parse(&v, "0x10000000000000000000000000000000000000000000000000000000000000000", &e));
	ck_assert(!chain_u256_parse(&v, "", &e));
	ck_assert(!chain_u256_parse(&v, "0x", &e));
	ck_assert(!chain_u256_parse(&v, "12a", &e));
	ck_assert(!chain_u256_parse(&v, " 1", &e));
	ck_assert(chain_u256_parse(&v, "0xDeadBeef", &e));
	ck_assert_uint_eq(v.w[0], 0xdeadbeef);
	chain_u256_from_u64(&v, 0);
	chain_u256_to_dec(&v, s);
	ck_assert_str_eq(s, "0");
	chain_u256_to_hex(&v, s);
	ck_assert_str_eq(s, "0x0");

	ck_assert(chain_i256_parse(&v, "-1", 256, &e));
	chain_u256_to_hex(&v, s);
	ck_assert_str_eq(s, "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff");
	chain_i256_to_dec(&v, s);
	ck_assert_str_eq(s, "-1");
	ck_assert(chain_i256_parse(&v, "-128", 8, &e));
	ck_assert(chain_i256_fits_int(&v, 8));
	ck_assert(!chain_i256_parse(&v, "-129", 8, &e));
	ck_assert(chain_i256_parse(&v, "127", 8, &e));
	ck_assert(!chain_i256_parse(&v, "128", 8, &e));
	ck_assert(!chain_i256_parse(&v, "-0x1", 8, &e));
	const char *min = "-57896044618658097711785492504343953926634992332820282019728792003956564819968";
	ck_assert(chain_i256_parse(&v, min, 256, &e));
	chain_i256_to_dec(&v, s);
	ck_assert_str_eq(s, min);

	uint8_t be[32];
	ck_assert(chain_u256_parse(&v, "0x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f20", &e));
	chain_u256_to_be(&v, be);
	for (int i = 0; i < 32; i++)
		ck_assert_uint_eq(be[i], (unsigned)i + 1);
	chain_u256_from_be(&w, be, 32);
	ck_assert_int_eq(chain_u256_cmp(&v, &w), 0);
	chain_u256_from_u64(&w, 1024);
	ck_assert_uint_eq(chain_u256_to_be_min(&w, be), 2);
	ck_assert_uint_eq(be[0], 4);
}
END_TEST

START_TEST(u256_arith)
{
	struct chain_u256 a, b, c;
	struct err e = {{0}};
	char s[CHAIN_U256_STRLEN];
	ck_assert(chain_u256_parse(&a, "340282366920938463463374607431768211455", &e)); /* 2^128-1 */
	chain_u256_from_u64(&b, 1);
	ck_assert(!chain_u256_add(&c, &a, &b));
	chain_u256_to_dec(&c, s);
	ck_assert_str_eq(s, "340282366920938463463374607431768211456");
	ck_assert(chain_u256_mul(&c, &c, &c)); /* (2^128)^2 = 2^256 overflows to 0 */
	ck_assert(chain_u256_is_zero(&c));
	ck_assert(chain_u256_sub(&c, &c, &b)); /* 0 - 1 borrows */
	ck_assert_uint_eq(chain_u256_bits(&c), 256);
	chain_u256_from_u64(&a, 1000000007);
	ck_assert(!chain_u256_mul_small(&a, &a, 1000000009));
	ck_assert_uint_eq(chain_u256_div_small(&b, &a, 1000000009), 0);
	ck_assert_uint_eq(b.w[0], 1000000007);
	ck_assert_uint_eq(chain_u256_div_small(&b, &a, 10), (1000000007ull * 1000000009ull) % 10);
	ck_assert(chain_u256_fits_uint(&a, 64));
	ck_assert(!chain_u256_fits_uint(&a, 32));
	uint64_t x;
	ck_assert(chain_u256_to_u64(&a, &x));
	chain_u256_neg(&b, &a);
	ck_assert(!chain_u256_to_u64(&b, &x));
	ck_assert(chain_i256_is_negative(&b));
	ck_assert(chain_i256_fits_int(&b, 72));
	ck_assert(!chain_i256_fits_int(&b, 56));
}
END_TEST

static char *rlp_hex(struct buf *b)
{
	char *h = xmalloc(2 * b->len + 1);
	hex_encode(h, b->data, b->len);
	buf_reset(b);
	return h;
}

#define EXPECT(b, want)                          \
	do {                                     \
		char *got_ = rlp_hex(b);         \
		ck_assert_str_eq(got_, want);    \
		free(got_);                      \
	} while (0)

START_TEST(rlp_encode_vectors)
{
	struct buf b = BUF_INIT;
	struct chain_u256 v;
	struct err e = {{0}};
	chain_rlp_put_str(&b, "");
	EXPECT(&b, "80");
	chain_rlp_put_str(&b, "dog");
	EXPECT(&b, "83646f67");
	chain_rlp_put_bytes(&b, (const uint8_t *)"\x00", 1);
	EXPECT(&b, "00");
	chain_rlp_put_bytes(&b, (const uint8_t *)"\x7f", 1);
	EXPECT(&b, "7f");
	chain_rlp_put_bytes(&b, (const uint8_t *)"\x80", 1);
	EXPECT(&b, "8180");
	size_t l = chain_rlp_list_begin(&b);
	chain_rlp_put_str(&b, "cat");
	chain_rlp_put_str(&b, "dog");
	chain_rlp_list_end(&b, l);
	EXPECT(&b, "c88363617483646f67");
	l = chain_rlp_list_begin(&b);
	chain_rlp_list_end(&b, l);
	EXPECT(&b, "c0");
	chain_rlp_put_u64(&b, 0);
	EXPECT(&b, "80");
	chain_rlp_put_u64(&b, 1);
	EXPECT(&b, "01");
	chain_rlp_put_u64(&b, 127);
	EXPECT(&b, "7f");
	chain_rlp_put_u64(&b, 128);
	EXPECT(&b, "8180");
	chain_rlp_put_u64(&b, 1024);
	EXPECT(&b, "820400");
	chain_rlp_put_u64(&b, 0xffffff);
	EXPECT(&b, "83ffffff");
	chain_rlp_put_u64(&b, 0xffffffffffffffffull);
	EXPECT(&b, "88ffffffffffffffff");
	ck_assert(chain_u256_parse(&v, "0x0100000000000000000000000000000000000000000000000000000000000000", &e));
	chain_rlp_put_u256(&b, &v);
	EXPECT(&b, "a00100000000000000000000000000000000000000000000000000000000000000");
	chain_rlp_put_str(&b, "Lorem ipsum dolor sit amet, consectetur adipisicing elit");
	EXPECT(&b, "b8384c6f72656d20697073756d20646f6c6f722073697420616d65742c20636f6e7365637465747572206164697069736963696e6720656c6974");
	/* The set theoretical representation of three: [ [], [[]], [ [], [[]] ] ]. */
	size_t o = chain_rlp_list_begin(&b);
	size_t a = chain_rlp_list_begin(&b);
	chain_rlp_list_end(&b, a);
	a = chain_rlp_list_begin(&b);
	size_t c = chain_rlp_list_begin(&b);
	chain_rlp_list_end(&b, c);
	chain_rlp_list_end(&b, a);
	a = chain_rlp_list_begin(&b);
	c = chain_rlp_list_begin(&b);
	chain_rlp_list_end(&b, c);
	c = chain_rlp_list_begin(&b);
	size_t d = chain_rlp_list_begin(&b);
	chain_rlp_list_end(&b, d);
	chain_rlp_list_end(&b, c);
	chain_rlp_list_end(&b, a);
	chain_rlp_list_end(&b, o);
	EXPECT(&b, "c7c0c1c0c3c0c1c0");
	/* ["zw", [4], 1] */
	o = chain_rlp_list_begin(&b);
	chain_rlp_put_str(&b, "zw");
	a = chain_rlp_list_begin(&b);
	chain_rlp_put_u64(&b, 4);
	chain_rlp_list_end(&b, a);
	chain_rlp_put_u64(&b, 1);
	chain_rlp_list_end(&b, o);
	EXPECT(&b, "c6827a77c10401");
	/* A list whose payload needs the long form (56+ bytes). */
	o = chain_rlp_list_begin(&b);
	for (int i = 0; i < 4; i++)
		chain_rlp_put_str(&b, "asdfqwerzxcv");
	chain_rlp_put_str(&b, "asdf");
	chain_rlp_list_end(&b, o);
	ck_assert_uint_eq(b.data[0], 0xc0 + 55 + 1);
	ck_assert_uint_eq(b.data[1], 4 * 13 + 5);
	buf_free(&b);
}
END_TEST

static bool decode_hex(const char *hex, struct buf *store, struct chain_rlp_item *it, struct err *e)
{
	buf_reset(store);
	ck_assert(hex_decode_buf(store, hex, e));
	return chain_rlp_decode(store->data, store->len, it, e);
}

START_TEST(rlp_decode_ok)
{
	struct buf b = BUF_INIT;
	struct chain_rlp_item it, items[3];
	struct err e = {{0}};
	uint64_t x;
	ck_assert(decode_hex("83646f67", &b, &it, &e));
	ck_assert(!it.is_list);
	ck_assert_uint_eq(it.len, 3);
	ck_assert(!memcmp(it.data, "dog", 3));
	ck_assert(decode_hex("c88363617483646f67", &b, &it, &e));
	ck_assert(it.is_list);
	ck_assert_uint_eq(chain_rlp_count(&it), 2);
	size_t n;
	ck_assert(chain_rlp_list_items(&it, items, 0, 3, &n, &e));
	ck_assert_uint_eq(n, 2);
	ck_assert(!memcmp(items[0].data, "cat", 3));
	ck_assert(!memcmp(items[1].data, "dog", 3));
	ck_assert(!chain_rlp_list_items(&it, items, 3, 3, &n, &e));
	ck_assert(decode_hex("c7c0c1c0c3c0c1c0", &b, &it, &e));
	ck_assert_uint_eq(chain_rlp_count(&it), 3);
	ck_assert(decode_hex("820400", &b, &it, &e));
	ck_assert(chain_rlp_to_u64(&it, &x, &e));
	ck_assert_uint_eq(x, 1024);
	ck_assert(decode_hex("80", &b, &it, &e));
	ck_assert(chain_rlp_to_u64(&it, &x, &e));
	ck_assert_uint_eq(x, 0);
	ck_assert(decode_hex("00", &b, &it, &e));
	ck_assert(!chain_rlp_to_u64(&it, &x, &e)); /* 0 must be the empty string */
	ck_assert(decode_hex("820004", &b, &it, &e));
	ck_assert(!chain_rlp_to_u64(&it, &x, &e)); /* leading zero */
	ck_assert(decode_hex("89010000000000000000", &b, &it, &e));
	ck_assert(!chain_rlp_to_u64(&it, &x, &e)); /* 9 bytes */

	/* Round trip of a nested structure with long strings. */
	struct buf enc = BUF_INIT;
	uint8_t big[1000];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	size_t o = chain_rlp_list_begin(&enc);
	chain_rlp_put_bytes(&enc, big, sizeof(big));
	size_t in = chain_rlp_list_begin(&enc);
	chain_rlp_put_bytes(&enc, big, 55);
	chain_rlp_put_bytes(&enc, big, 56);
	chain_rlp_list_end(&enc, in);
	chain_rlp_put_u64(&enc, 300);
	chain_rlp_list_end(&enc, o);
	ck_assert_msg(chain_rlp_decode(enc.data, enc.len, &it, &e), "%s", e.msg);
	ck_assert(chain_rlp_list_items(&it, items, 3, 3, NULL, &e));
	ck_assert_uint_eq(items[0].len, 1000);
	ck_assert(!memcmp(items[0].data, big, 1000));
	ck_assert(items[1].is_list);
	ck_assert_uint_eq(chain_rlp_count(&items[1]), 2);
	ck_assert(chain_rlp_to_u64(&items[2], &x, &e));
	ck_assert_uint_eq(x, 300);
	buf_free(&enc);
	buf_free(&b);
}
END_TEST

START_TEST(rlp_decode_strict)
{
	static const struct {
		const char *hex;
		const char *why;
	} bad[] = {
		{"", "ends"},
		{"8100", "single byte below 0x80"},
		{"817f", "single byte below 0x80"},
		{"b800", "leading zero"},
		{"b837" "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "long length for a short"},
		{"b90038" "00", "leading zero"},
		{"f800", "leading zero"},
		{"f837" "00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000", "long length for a short"},
		{"c1", "runs past"},
		{"83646f", "runs past"},
		{"8000", "trailing"},
		{"c0c0", "trailing"},
		{"c38180", "runs past"},
		{"c2c1", "runs past"},
		{"bf0100000000000000", "runs past"},
		{"b9ffff", "runs past"},
		{"c3c28100", "single byte below"},
		{"ff0000000000000000", "leading zero"},
	};
	struct buf b = BUF_INIT;
	struct chain_rlp_item it;
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		struct err e = {{0}};
		bool ok = decode_hex(bad[i].hex, &b, &it, &e);
		ck_assert_msg(!ok, "%s decoded", bad[i].hex);
		ck_assert_msg(strstr(e.msg, bad[i].why), "%s: '%s' lacks '%s'", bad[i].hex, e.msg,
			      bad[i].why);
	}
	/* Nesting: CHAIN_RLP_MAX_DEPTH levels decode, one more does not. */
	for (int depth = CHAIN_RLP_MAX_DEPTH; depth <= CHAIN_RLP_MAX_DEPTH + 1; depth++) {
		struct buf enc = BUF_INIT;
		size_t marks[CHAIN_RLP_MAX_DEPTH + 1];
		for (int i = 0; i < depth; i++)
			marks[i] = chain_rlp_list_begin(&enc);
		for (int i = depth - 1; i >= 0; i--)
			chain_rlp_list_end(&enc, marks[i]);
		struct err e = {{0}};
		bool ok = chain_rlp_decode(enc.data, enc.len, &it, &e);
		ck_assert_msg(ok == (depth <= CHAIN_RLP_MAX_DEPTH), "depth %d: %s", depth, e.msg);
		buf_free(&enc);
	}
	buf_free(&b);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("chain_primitives");
	TCase *tc = tcase_create("primitives");
	tcase_add_test(tc, keccak_vectors);
	tcase_add_test(tc, keccak_many_lanes);
	tcase_add_test(tc, u256_text);
	tcase_add_test(tc, u256_arith);
	tcase_add_test(tc, rlp_encode_vectors);
	tcase_add_test(tc, rlp_decode_ok);
	tcase_add_test(tc, rlp_decode_strict);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
