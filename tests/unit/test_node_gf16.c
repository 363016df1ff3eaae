/* test_node_gf16.c: GF(2^16) arithmetic (field axioms on random elements, checked against a
 * carry-less multiply written here), the region products of every kernel the CPU runs
 * (portable, AVX2, AVX2+GFNI) against a word by word reference, and matrix inversion. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "node/gf16.h"
#include "tests/harness/harness.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

/* Shift-and-add multiply, reduced by x^16 + x^12 + x^3 + x + 1: independent of the log
 * tables the module uses. */
static uint16_t slow_mul(uint16_t a, uint16_t b)
{
	uint32_t p = 0;
	for (int i = 0; i < 16; i++)
		if (b & (1u << i))
			p ^= (uint32_t)a << i;
	for (int i = 31; i >= 16; i--)
		if (p & (1u << i))
			p ^= 0x1100bu << (i - 16);
	return (uint16_t)p;
}

START_TEST(test_field_axioms)
{
	for (int t = 0; t < 200000; t++) {
		uint16_t a = (uint16_t)rnd(), b = (uint16_t)rnd(), c = (uint16_t)rnd();
		ck_assert_uint_eq(node_gf16_mul(a, b), slow_mul(a, b));
		ck_assert_uint_eq(node_gf16_mul(a, b), node_gf16_mul(b, a));
		ck_assert_uint_eq(node_gf16_mul(node_gf16_mul(a, b), c),
				  node_gf16_mul(a, node_gf16_mul(b, c)));
		ck_assert_uint_eq(node_gf16_mul(a, (uint16_t)(b ^ c)),
				  node_gf16_mul(a, b) ^ node_gf16_mul(a, c));
		ck_assert_uint_eq(node_gf16_mul(a, 1), a);
		ck_assert_uint_eq(node_gf16_mul(a, 0), 0);
		if (a) {
			ck_assert_uint_eq(node_gf16_mul(a, node_gf16_inv(a)), 1);
			ck_assert_uint_eq(node_gf16_inv(node_gf16_inv(a)), a);
		}
	}
	/* Every non-zero element has an inverse. */
	for (uint32_t a = 1; a < 65536; a++)
		ck_assert_uint_eq(slow_mul((uint16_t)a, node_gf16_inv((uint16_t)a)), 1);
}
END_TEST

/* dst = m · src word by word with slow_mul. */
static void reference(const uint16_t *m, size_t rows, size_t cols, uint8_t **src,
		      uint8_t **dst, size_t len)
{
	for (size_t r = 0; r < rows; r++)
		for (size_t w = 0; w < len; w += 2) {
			uint16_t acc = 0;
			for (size_t c = 0; c < cols; c++) {
				uint16_t x = (uint16_t)(src[c][w] | src[c][w + 1] << 8);
				acc ^= slow_mul(m[r * cols + c], x);
			}
			dst[r][w] = (uint8_t)acc;
			dst[r][w + 1] = (uint8_t)(acc >> 8);
		}
}

static void check_apply(size_t rows, size_t cols, size_t len, enum node_gf16_kernel kernel)
{
	uint16_t *m = xmalloc(rows * cols * sizeof(*m) + 1);
	for (size_t i = 0; i < rows * cols; i++) /* zeros and ones take shortcuts: have some */
		m[i] = rnd() % 8 == 0 ? (uint16_t)(rnd() % 2) : (uint16_t)rnd();
	uint8_t **src = xmalloc(cols * sizeof(*src)), **want = xmalloc(rows * sizeof(*want)),
		**got = xmalloc(rows * sizeof(*got));
	for (size_t c = 0; c < cols; c++) {
		src[c] = xmalloc(len + 1);
		for (size_t i = 0; i < len; i++)
			src[c][i] = (uint8_t)rnd();
	}
	for (size_t r = 0; r < rows; r++) {
		want[r] = xmalloc(len + 1);
		got[r] = xmalloc(len + 1);
		memset(got[r], 0xa5, len + 1);
	}
	reference(m, rows, cols, src, want, len);
	enum node_gf16_kernel was = node_gf16_set_kernel(kernel);
	ck_assert_int_eq(node_gf16_kernel(), kernel);
	struct node_gf16_matrix *t = node_gf16_matrix_new(m, rows, cols);
	/* All rows at once, then a middle run of rows on its own. */
	node_gf16_matrix_apply(t, 0, rows, (const uint8_t *const *)src, got, len);
	for (size_t r = 0; r < rows; r++) {
		ck_assert_mem_eq(got[r], want[r], len);
		ck_assert_uint_eq(got[r][len], 0xa5); /* nothing past the end */
	}
	if (rows > 2) {
		memset(got[0], 0, len);
		node_gf16_matrix_apply(t, 1, rows - 2, (const uint8_t *const *)src, got, len);
		for (size_t r = 1; r + 1 < rows; r++)
			ck_assert_mem_eq(got[r - 1], want[r], len);
	}
	node_gf16_set_kernel(was);
	node_gf16_matrix_free(t);
	for (size_t c = 0; c < cols; c++)
		free(src[c]);
	for (size_t r = 0; r < rows; r++) {
		free(want[r]);
		free(got[r]);
	}
	free(src);
	free(want);
	free(got);
	free(m);
}

START_TEST(test_region_products)
{
	static const size_t lens[] = {0, 2, 62, 64, 66, 128, 1000, 4096, 20002, 40000};
	static const size_t shapes[][2] = {{1, 1}, {3, 5}, {4, 4}, {9, 7}, {13, 30}};
	/* Every kernel this CPU runs, each against the word-by-word reference. */
	enum node_gf16_kernel best = node_gf16_kernel();
	for (int k = NODE_GF16_PORTABLE; k <= (int)best; k++)
		for (size_t s = 0; s < ARRAY_LEN(shapes); s++)
			for (size_t l = 0; l < ARRAY_LEN(lens); l++)
				check_apply(shapes[s][0], shapes[s][1], lens[l],
					    (enum node_gf16_kernel)k);
}
END_TEST

START_TEST(test_invert)
{
	static const size_t ks[] = {1, 2, 5, 40};
	for (size_t t = 0; t < ARRAY_LEN(ks); t++) {
		size_t k = ks[t];
		uint16_t *a = xmalloc(k * k * sizeof(*a)), *inv = xmalloc(k * k * sizeof(*a));
		/* A Cauchy matrix 1/(x_i + y_j) on disjoint point sets is invertible. */
		for (size_t i = 0; i < k; i++)
			for (size_t j = 0; j < k; j++)
				a[i * k + j] = node_gf16_inv((uint16_t)((1000 + i) ^ j));
		ck_assert(node_gf16_invert(a, inv, k));
		for (size_t i = 0; i < k; i++)
			for (size_t j = 0; j < k; j++) {
				uint16_t s = 0;
				for (size_t x = 0; x < k; x++)
					s ^= slow_mul(a[i * k + x], inv[x * k + j]);
				ck_assert_uint_eq(s, i == j);
			}
		/* Two equal rows: singular. */
		if (k > 1) {
			memcpy(a + k, a, k * sizeof(*a));
			ck_assert(!node_gf16_invert(a, inv, k));
		}
		free(a);
		free(inv);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("node_gf16");
	TCase *tc = tcase_create("gf16");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_field_axioms);
	tcase_add_test(tc, test_region_products);
	tcase_add_test(tc, test_invert);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
