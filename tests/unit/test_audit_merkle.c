/* test_audit_merkle.c: trees of every small size, proofs, and the proof-shape rules. */
#include <stdlib.h>
#include <string.h>

#include <blake2.h>

#include "audit/b2many.h"
#include "audit/merkle.h"
#include "core/err.h"
#include "tests/harness/harness.h"

START_TEST(test_depth)
{
	ck_assert_uint_eq(audit_merkle_depth(0), 0);
	ck_assert_uint_eq(audit_merkle_depth(1), 0);
	ck_assert_uint_eq(audit_merkle_depth(2), 1);
	ck_assert_uint_eq(audit_merkle_depth(3), 2);
	ck_assert_uint_eq(audit_merkle_depth(4), 2);
	ck_assert_uint_eq(audit_merkle_depth(5), 3);
	ck_assert_uint_eq(audit_merkle_depth(1000), 10);
	ck_assert_uint_eq(audit_merkle_depth(65535), 16);
}
END_TEST

START_TEST(test_all_sizes_prove_and_verify)
{
	for (size_t n = 0; n <= 70; n++) {
		uint8_t *leaves = xmalloc(n * 3 + 1);
		for (size_t i = 0; i < n * 3; i++)
			leaves[i] = (uint8_t)(i * 31 + n);
		struct audit_merkle_tree *t = audit_merkle_tree_new_fixed(leaves, 3, n);
		uint8_t root[32], root2[32];
		audit_merkle_tree_root(t, root);
		audit_merkle_root_fixed(root2, leaves, 3, n);
		ck_assert_mem_eq(root, root2, 32);
		ck_assert_uint_eq(audit_merkle_tree_leaves(t), n);
		for (size_t i = 0; i < n; i++) {
			struct audit_node path[AUDIT_MERKLE_MAX_DEPTH + 1];
			size_t len;
			struct err e = {{0}};
			audit_merkle_tree_proof(t, i, path, &len);
			ck_assert_uint_eq(len, audit_merkle_depth(n));
			ck_assert_msg(audit_merkle_verify(root, n, i, leaves + 3 * i, 3, path, len, &e),
				      "n=%zu i=%zu: %s", n, i, e.msg);
			/* Wrong data, wrong index, a tampered sibling, a wrong root: all fail. */
			uint8_t bad[3] = {leaves[3 * i] ^ 1, leaves[3 * i + 1], leaves[3 * i + 2]};
			ck_assert(!audit_merkle_verify(root, n, i, bad, 3, path, len, NULL));
			if (n > 1) {
				ck_assert(!audit_merkle_verify(root, n, (i + 1) % n, leaves + 3 * i, 3, path,
							       len, NULL));
				path[len - 1].digest[0] ^= 1;
				ck_assert(!audit_merkle_verify(root, n, i, leaves + 3 * i, 3, path, len,
							       NULL));
				path[len - 1].digest[0] ^= 1;
			}
			/* A longer path (an extra Empty on top) is refused even though it is
			 * shaped like a path. */
			path[len].present = false;
			memset(path[len].digest, 0, 32);
			ck_assert(!audit_merkle_verify(root, n, i, leaves + 3 * i, 3, path, len + 1, &e));
			ck_assert_ptr_nonnull(strstr(e.msg, "nodes"));
			/* A shorter one too. */
			if (len)
				ck_assert(!audit_merkle_verify(root, n, i, leaves + 3 * i, 3, path, len - 1,
							       NULL));
			/* Index out of range. */
			ck_assert(!audit_merkle_verify(root, n, n, leaves + 3 * i, 3, path, len, NULL));
		}
		audit_merkle_tree_free(t);
		free(leaves);
	}
	audit_merkle_tree_free(NULL);
}
END_TEST

START_TEST(test_dropped_levels_prove_the_same)
{
	/* A tree that dropped its lowest levels makes the same proofs, from the leaves, as the
	 * whole tree: every size to 70 and a few large ones (1000 shards, odd counts at many
	 * levels), every number of levels up to the cap and past it. */
	static const size_t big[] = {255, 256, 257, 999, 1000, 1001};
	for (size_t k = 0; k < 71 + sizeof(big) / sizeof(big[0]); k++) {
		size_t n = k <= 70 ? k : big[k - 71];
		uint8_t *leaves = xmalloc(n * 2 + 1);
		for (size_t i = 0; i < n * 2; i++)
			leaves[i] = (uint8_t)(i * 7 + n);
		struct audit_merkle_tree *full = audit_merkle_tree_new_fixed(leaves, 2, n);
		uint8_t root[32], root2[32];
		audit_merkle_tree_root(full, root);
		for (unsigned levels = 1; levels <= AUDIT_MERKLE_MAX_SKIP + 2; levels++) {
			struct audit_merkle_tree *t = audit_merkle_tree_new_fixed(leaves, 2, n);
			audit_merkle_tree_drop_levels(t, levels);
			audit_merkle_tree_drop_levels(t, 1); /* fewer than it dropped: no change */
			audit_merkle_tree_root(t, root2);
			ck_assert_mem_eq(root, root2, 32);
			if (n > 8 && levels >= 3)
				ck_assert_uint_lt(audit_merkle_tree_bytes(t),
						  audit_merkle_tree_bytes(full) / 3);
			for (size_t i = 0; i < n; i++) {
				struct audit_node want[AUDIT_MERKLE_MAX_DEPTH], got[AUDIT_MERKLE_MAX_DEPTH];
				size_t wlen, glen;
				audit_merkle_tree_proof(full, i, want, &wlen);
				audit_merkle_tree_proof_fixed(t, leaves, 2, i, got, &glen);
				ck_assert_uint_eq(glen, wlen);
				for (size_t d = 0; d < wlen; d++) {
					ck_assert_msg(got[d].present == want[d].present,
						      "n=%zu levels=%u i=%zu d=%zu", n, levels, i, d);
					ck_assert_mem_eq(got[d].digest, want[d].digest, 32);
				}
				ck_assert(audit_merkle_verify(root, n, i, leaves + 2 * i, 2, got, glen,
							      NULL));
			}
			audit_merkle_tree_free(t);
		}
		audit_merkle_tree_free(full);
		free(leaves);
	}
}
END_TEST

START_TEST(test_padding_siblings_are_empty)
{
	/* 5 leaves: level sizes 5 -> 3 -> 2 -> 1, so leaf 4 has Empty siblings at levels 0, 1. */
	uint8_t leaves[5] = {1, 2, 3, 4, 5};
	struct audit_merkle_tree *t = audit_merkle_tree_new_fixed(leaves, 1, 5);
	struct audit_node path[AUDIT_MERKLE_MAX_DEPTH];
	size_t len;
	audit_merkle_tree_proof(t, 4, path, &len);
	ck_assert_uint_eq(len, 3);
	ck_assert(!path[0].present);
	ck_assert(!path[1].present);
	ck_assert(path[2].present);
	/* A padding sibling sent as a Digest of zeros hashes the same: accepted. */
	uint8_t root[32];
	audit_merkle_tree_root(t, root);
	path[0].present = true;
	ck_assert(audit_merkle_verify(root, 5, 4, leaves + 4, 1, path, len, NULL));
	audit_merkle_tree_free(t);
}
END_TEST

START_TEST(test_empty_and_single)
{
	uint8_t root[32], zero[32] = {0};
	audit_merkle_root_from_hashes(root, NULL, 0);
	ck_assert_mem_eq(root, zero, 32);
	struct audit_merkle_tree *t = audit_merkle_tree_new(NULL, 0);
	audit_merkle_tree_root(t, root);
	ck_assert_mem_eq(root, zero, 32);
	audit_merkle_tree_free(t);
	/* A single leaf: the root is the leaf hash, the proof is empty, index 1 refused. */
	uint8_t leaf[32];
	audit_merkle_leaf_hash(leaf, (const uint8_t *)"", 0);
	t = audit_merkle_tree_new((const uint8_t(*)[32])leaf, 1);
	audit_merkle_tree_root(t, root);
	ck_assert_mem_eq(root, leaf, 32);
	ck_assert(audit_merkle_verify(root, 1, 0, NULL, 0, NULL, 0, NULL));
	ck_assert(!audit_merkle_verify(root, 1, 1, NULL, 0, NULL, 0, NULL));
	audit_merkle_tree_free(t);
}
END_TEST


/* Many messages at once, on every path the CPU has (8 lanes, 4, one by one): each digest is
 * libb2's. Lengths around block edges, with and without the prefix byte, more messages
 * than lanes and fewer, lanes refilled with messages of other lengths. */
START_TEST(test_b2_many_matches_libb2)
{
	enum { N = 61 };
	static uint8_t data[N][700];
	static const size_t lens[] = {0, 1, 2, 63, 64, 65, 126, 127, 128, 129, 255, 256, 257, 383, 384, 385, 699};
	struct audit_b2_msg m[N];
	uint8_t out[N][32], want[N][32];
	for (size_t i = 0; i < N; i++)
		for (size_t k = 0; k < sizeof(data[i]); k++)
			data[i][k] = (uint8_t)(i * 7 + k * 13 + (k >> 8));
	for (unsigned lanes = 1; lanes <= 8; lanes *= 2) {
		for (size_t n = 0; n <= N; n += (n < 10 ? 1 : 17)) {
			for (size_t i = 0; i < n; i++) {
				m[i].data = data[i];
				m[i].len = lens[(i * 5 + n) % (sizeof(lens) / sizeof(lens[0]))];
				m[i].has_prefix = (i + n) % 3 != 0;
				m[i].prefix = (uint8_t)(i % 2);
				m[i].out = out[i];
				blake2b_state s;
				blake2b_init(&s, 32);
				if (m[i].has_prefix)
					blake2b_update(&s, &m[i].prefix, 1);
				blake2b_update(&s, m[i].data, m[i].len);
				blake2b_final(&s, want[i], 32);
			}
			memset(out, 0xee, sizeof(out));
			audit_b2_many_lanes(m, n, lanes);
			for (size_t i = 0; i < n; i++)
				ck_assert_msg(!memcmp(out[i], want[i], 32),
					      "lanes %u, n %zu, message %zu (%zu bytes, prefix %d)", lanes,
					      n, i, m[i].len, m[i].has_prefix);
		}
	}
}
END_TEST

/* The roots built level by level side by side (audit/b2many.h) equal a plain one-hash-at-a-
 * time reference for every size up to 300, through each entry that builds one. */
static void naive_root(uint8_t root[AUDIT_DIGEST_LEN], const uint8_t *leaves, size_t leaf_len,
		       size_t n)
{
	static const uint8_t zero[AUDIT_DIGEST_LEN];
	uint8_t (*h)[AUDIT_DIGEST_LEN] = xcalloc(n ? n : 1, AUDIT_DIGEST_LEN);
	for (size_t i = 0; i < n; i++)
		audit_merkle_leaf_hash(h[i], leaves + i * leaf_len, leaf_len);
	for (size_t m = n; m > 1; m = (m + 1) / 2)
		for (size_t i = 0; i < (m + 1) / 2; i++)
			audit_merkle_inner_hash(h[i], h[2 * i], 2 * i + 1 < m ? h[2 * i + 1] : zero);
	memcpy(root, n ? h[0] : zero, AUDIT_DIGEST_LEN);
	free(h);
}

START_TEST(test_roots_match_one_at_a_time)
{
	enum { MAXN = 300, LEN = 37 };
	uint8_t *leaves = xmalloc(MAXN * LEN);
	for (size_t i = 0; i < MAXN * LEN; i++)
		leaves[i] = (uint8_t)(i * 131 + 7);
	for (size_t n = 0; n <= MAXN; n++) {
		uint8_t want[AUDIT_DIGEST_LEN], got[AUDIT_DIGEST_LEN];
		naive_root(want, leaves, LEN, n);
		audit_merkle_root_fixed(got, leaves, LEN, n);
		ck_assert_msg(memcmp(got, want, sizeof(got)) == 0, "root_fixed differs at n = %zu", n);
		struct audit_merkle_tree *t = audit_merkle_tree_new_fixed(leaves, LEN, n);
		audit_merkle_tree_root(t, got);
		audit_merkle_tree_free(t);
		ck_assert_msg(memcmp(got, want, sizeof(got)) == 0, "tree root differs at n = %zu", n);
	}
	free(leaves);
}
END_TEST

/* Roots of the rows and of the columns of a matrix of leaf hashes, all trees at once, are
 * the roots built one tree at a time from naive hashing (odd sizes, groups of trees that
 * do not divide the count). */
START_TEST(test_roots_many_rows_and_columns)
{
	static const size_t sizes[] = {0, 1, 2, 3, 5, 33, 64, 100, 129};
	enum { LEN = 9 };
	for (size_t s = 0; s < ARRAY_LEN(sizes); s++) {
		size_t n = sizes[s], trees = n ? n : 3;
		uint8_t *cells = xmalloc(trees * (n ? n : 1) * LEN + 1);
		for (size_t i = 0; i < trees * n * LEN; i++)
			cells[i] = (uint8_t)(i * 29 + n);
		uint8_t (*h)[AUDIT_DIGEST_LEN] = xmalloc((trees * n + 1) * AUDIT_DIGEST_LEN);
		audit_merkle_leaf_hashes(h, cells, LEN, trees * n);
		uint8_t (*rows)[AUDIT_DIGEST_LEN] = xmalloc(trees * AUDIT_DIGEST_LEN);
		uint8_t (*cols)[AUDIT_DIGEST_LEN] = xmalloc(trees * AUDIT_DIGEST_LEN);
		audit_merkle_roots_many(rows, (const uint8_t(*)[AUDIT_DIGEST_LEN])h, n, trees, n, 1);
		if (n == trees)
			audit_merkle_roots_many(cols, (const uint8_t(*)[AUDIT_DIGEST_LEN])h, n, n, 1, n);
		uint8_t *col = xmalloc(n * LEN + 1);
		for (size_t t = 0; t < trees; t++) {
			uint8_t want[AUDIT_DIGEST_LEN];
			naive_root(want, cells + t * n * LEN, LEN, n);
			ck_assert_msg(memcmp(rows[t], want, AUDIT_DIGEST_LEN) == 0,
				      "row root %zu differs at n = %zu", t, n);
			if (n != trees)
				continue;
			for (size_t i = 0; i < n; i++)
				memcpy(col + i * LEN, cells + (i * n + t) * LEN, LEN);
			naive_root(want, col, LEN, n);
			ck_assert_msg(memcmp(cols[t], want, AUDIT_DIGEST_LEN) == 0,
				      "column root %zu differs at n = %zu", t, n);
		}
		free(cells);
		free(h);
		free(rows);
		free(cols);
		free(col);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_merkle");
	TCase *tc = tcase_create("merkle");
	tcase_add_test(tc, test_depth);
	tcase_add_test(tc, test_all_sizes_prove_and_verify);
	tcase_add_test(tc, test_padding_siblings_are_empty);
	tcase_add_test(tc, test_dropped_levels_prove_the_same);
	tcase_add_test(tc, test_empty_and_single);
	tcase_add_test(tc, test_b2_many_matches_libb2);
	tcase_add_test(tc, test_roots_match_one_at_a_time);
	tcase_add_test(tc, test_roots_many_rows_and_columns);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
