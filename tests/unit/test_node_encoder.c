/* test_node_encoder.c: the blob encoder end to end: encode -> verify slivers -> expand
 * -> recovery symbols -> audit verification, decoding from subsets of either axis, and
 * rebuilding single slivers from peers' recovery symbols, for n = 4, 7, 10, 31, 100, 255
 * with the GF(2^8) code and n = 4, 10, 100, 256, 300, 1000 with the GF(2^16) one, and
 * blobs from empty to a few hundred KB. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "audit/merkle.h"
#include "audit/symbol.h"
#include "core/buf.h"
#include "core/err.h"
#include "node/encoder.h"
#include "tests/harness/harness.h"

static uint64_t rng = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}

static uint8_t *random_blob(size_t len)
{
	uint8_t *b = xmalloc(len + 1);
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)rnd();
	return b;
}

/* A random permutation's first k entries of [0, n). */
static void random_subset(uint16_t *out, size_t n, size_t k)
{
	uint16_t *all = xmalloc(n * sizeof(*all));
	for (size_t i = 0; i < n; i++)
		all[i] = (uint16_t)i;
	for (size_t i = 0; i < k; i++) {
		size_t j = i + rnd() % (n - i);
		uint16_t t = all[i];
		all[i] = all[j];
		all[j] = t;
		out[i] = all[i];
	}
	free(all);
}

static void check_decode(const struct node_codec *c, const struct node_blob *b,
			 const uint8_t *blob, size_t len, enum audit_proof_axis axis,
			 const uint16_t *idx, size_t count)
{
	const uint8_t **sl = xmalloc(count * sizeof(*sl));
	for (size_t t = 0; t < count; t++)
		sl[t] = node_blob_sliver(b, axis, idx[t]);
	uint8_t *out = NULL;
	struct err e = {{0}};
	ck_assert_msg(node_decode_check(c, b->metadata, b->blob_id, axis, idx, sl, count, &out, &e),
		      "n=%u len=%zu %s: %s", b->n, len, audit_proof_axis_name(axis), e.msg);
	ck_assert_ptr_nonnull(out);
	if (len)
		ck_assert_mem_eq(out, blob, len);
	free(out);
	free(sl);
}

/* type 0: the code node_codec_new() picks for n. */
static void round_trip_type(uint32_t n, uint32_t type, size_t len, bool thorough)
{
	struct node_codec *c = NULL;
	struct node_blob *b = NULL;
	struct err e = {{0}};
	if (type)
		ck_assert_msg(node_codec_new_type(n, type, &c, &e), "%s", e.msg);
	else
		ck_assert_msg(node_codec_new(n, &c, &e), "%s", e.msg);
	uint32_t want_type = type ? type : n <= 255 ? NODE_ENCODING_RS8 : NODE_ENCODING_RS16;
	ck_assert_uint_eq(node_codec_encoding_type(c), want_type);
	const struct audit_params *p = node_codec_params(c);
	uint8_t *blob = random_blob(len);
	ck_assert_msg(node_encode(c, blob, len, &b, &e), "n=%u len=%zu: %s", n, len, e.msg);
	const size_t ss = b->symbol_size;

	/* Metadata: ours, the right length, its ID, and a clean BCS round trip. */
	ck_assert_uint_eq(b->metadata->encoding_type, want_type);
	ck_assert_uint_eq(b->metadata->unencoded_length, len);
	ck_assert_uint_eq(b->metadata->n_shards, n);
	ck_assert(audit_metadata_verify_id(b->metadata, b->blob_id, &e));
	struct buf bcs = BUF_INIT;
	audit_metadata_write(&bcs, b->metadata);
	struct audit_metadata *md = NULL;
	ck_assert(audit_metadata_parse(bcs.data, bcs.len, &md, &e));
	uint8_t id2[32];
	audit_blob_id(md, id2);
	ck_assert_mem_eq(id2, b->blob_id, 32);
	audit_metadata_free(md);
	buf_free(&bcs);

	/* Systematic: primary slivers 0..k_p-1 are the blob's rows, zero-padded. */
	uint8_t *padded = xcalloc(p->k_primary * p->k_secondary * ss + 1, 1);
	if (len)
		memcpy(padded, blob, len);
	for (uint32_t i = 0; i < p->k_primary; i++)
		ck_assert_mem_eq(node_blob_sliver(b, AUDIT_AXIS_PRIMARY, i),
				 padded + i * b->primary_len, b->primary_len);

	/* Every sliver verifies against the metadata; a flipped byte does not. */
	for (uint32_t i = 0; i < n; i++)
		for (int a = 0; a < 2; a++) {
			enum audit_proof_axis axis = (enum audit_proof_axis)a;
			size_t sl = node_sliver_len(c, axis, b->symbol_size);
			ck_assert_msg(node_sliver_verify(c, b->metadata, axis, (uint16_t)i,
							 node_blob_sliver(b, axis, i), sl,
							 b->symbol_size, &e),
				      "n=%u %s sliver %u: %s", n, audit_proof_axis_name(axis), i, e.msg);
		}
	{
		uint8_t *copy = xmalloc(b->primary_len);
		memcpy(copy, node_blob_sliver(b, AUDIT_AXIS_PRIMARY, n - 1), b->primary_len);
		copy[rnd() % b->primary_len] ^= 0x40;
		ck_assert(!node_sliver_verify(c, b->metadata, AUDIT_AXIS_PRIMARY, (uint16_t)(n - 1),
					      copy, b->primary_len, b->symbol_size, &e));
		/* The right bytes as the wrong sliver (when they differ: an empty blob's are all
		 * zero). */
		if (n > 1 && memcmp(node_blob_sliver(b, AUDIT_AXIS_PRIMARY, 0),
				    node_blob_sliver(b, AUDIT_AXIS_PRIMARY, 1), b->primary_len))
			ck_assert(!node_sliver_verify(c, b->metadata, AUDIT_AXIS_PRIMARY, 0,
						      node_blob_sliver(b, AUDIT_AXIS_PRIMARY, 1),
						      b->primary_len, b->symbol_size, &e));
		free(copy);
	}

	/* Expansions agree cell by cell: row i of M from primary sliver i, column j from
	 * secondary sliver j. Recovery symbols from both pass the auditor's check. */
	uint32_t rows_to_check = thorough ? n : 3;
	struct node_expanded **cols = xcalloc(n, sizeof(*cols));
	for (uint32_t j = 0; j < n; j++)
		ck_assert(node_expanded_new(c, AUDIT_AXIS_SECONDARY, (uint16_t)j,
					    node_blob_sliver(b, AUDIT_AXIS_SECONDARY, j), b->secondary_len,
					    b->symbol_size, &cols[j], &e));
	for (uint32_t r = 0; r < rows_to_check; r++) {
		uint32_t i = thorough ? r : rnd() % n;
		struct node_expanded *row = NULL;
		ck_assert(node_expanded_new(c, AUDIT_AXIS_PRIMARY, (uint16_t)i,
					    node_blob_sliver(b, AUDIT_AXIS_PRIMARY, i), b->primary_len,
					    b->symbol_size, &row, &e));
		uint8_t root[32];
		node_expanded_root(row, root);
		ck_assert_mem_eq(root, b->metadata->hashes[i].primary.digest, 32);
		for (uint32_t j = 0; j < n; j++) {
			if (!thorough && j % 7 != i % 7)
				continue;
			struct audit_symbol_id id = {(uint16_t)i, (uint16_t)j};
			struct audit_recovery_symbol sp, sq;
			ck_assert(node_expanded_symbol(row, (uint16_t)j, &sp, &e));
			ck_assert(node_expanded_symbol(cols[j], (uint16_t)i, &sq, &e));
			ck_assert_uint_eq(sp.data_len, ss);
			ck_assert_mem_eq(sp.data, sq.data, ss);
			ck_assert_msg(audit_symbol_verify(b->metadata, id, AUDIT_AXIS_PRIMARY, &sp, &e) ==
					      AUDIT_SYMBOL_PASS,
				      "n=%u %u-%u primary: %s", n, i, j, e.msg);
			ck_assert_msg(audit_symbol_verify(b->metadata, id, AUDIT_AXIS_SECONDARY, &sq, &e) ==
					      AUDIT_SYMBOL_PASS,
				      "n=%u %u-%u secondary: %s", n, i, j, e.msg);
			/* Through the wire format and back. */
			struct buf w = BUF_INIT;
			audit_recovery_symbols_write(&w, &sp, 1);
			struct audit_recovery_symbols *list = NULL;
			ck_assert(audit_recovery_symbols_parse(w.data, w.len, 1, &list, &e));
			enum audit_symbol_verdict v;
			ck_assert_uint_eq(audit_symbols_verify_list(b->metadata, &id, 1,
								    AUDIT_AXIS_PRIMARY, list, &v, NULL),
					  1);
			audit_recovery_symbols_free(list);
			buf_free(&w);
			audit_recovery_symbol_clear(&sp);
			audit_recovery_symbol_clear(&sq);
		}
		node_expanded_free(row);
	}
	/* The one-shot form, and its refusal of the wrong sliver. */
	{
		struct audit_symbol_id id = {(uint16_t)(n - 1), 0};
		struct audit_recovery_symbol s;
		ck_assert(node_recovery_symbol_new(c, AUDIT_AXIS_SECONDARY, 0,
						   node_blob_sliver(b, AUDIT_AXIS_SECONDARY, 0),
						   b->secondary_len, b->symbol_size, id, &s, &e));
		ck_assert_int_eq(audit_symbol_verify(b->metadata, id, AUDIT_AXIS_SECONDARY, &s, &e),
				 AUDIT_SYMBOL_PASS);
		audit_recovery_symbol_clear(&s);
		if (n > 1)
			ck_assert(!node_recovery_symbol_new(c, AUDIT_AXIS_SECONDARY, 1,
							    node_blob_sliver(b, AUDIT_AXIS_SECONDARY, 1),
							    b->secondary_len, b->symbol_size, id, &s, &e));
	}

	/* Decode from k_p primary slivers / k_s secondary slivers: the systematic ones, the
	 * last ones, and random subsets. */
	uint16_t *idx = xmalloc(n * sizeof(*idx));
	for (int a = 0; a < 2; a++) {
		enum audit_proof_axis axis = (enum audit_proof_axis)a;
		size_t k = axis == AUDIT_AXIS_PRIMARY ? p->k_primary : p->k_secondary;
		for (size_t t = 0; t < k; t++)
			idx[t] = (uint16_t)t;
		check_decode(c, b, blob, len, axis, idx, k);
		for (size_t t = 0; t < k; t++)
			idx[t] = (uint16_t)(n - 1 - t);
		check_decode(c, b, blob, len, axis, idx, k);
		for (int round = 0; round < 3; round++) {
			random_subset(idx, n, k);
			check_decode(c, b, blob, len, axis, idx, k);
		}
		/* One sliver short fails with a sentence. */
		if (k > 1) {
			const uint8_t **sl = xmalloc(k * sizeof(*sl));
			for (size_t t = 0; t < k; t++)
				sl[t] = node_blob_sliver(b, axis, idx[t]);
			uint8_t *out = NULL;
			idx[k - 1] = idx[0]; /* a duplicate does not count */
			ck_assert(!node_decode(c, axis, b->symbol_size, len, idx, sl, k, &out, &e));
			ck_assert_ptr_nonnull(strstr(e.msg, "distinct"));
			free(sl);
		}
	}

	/* Rebuild one primary sliver from k_s recovery symbols taken from secondary slivers
	 * (one of them corrupted and skipped), and one secondary sliver from k_p symbols. */
	for (int a = 0; a < 2; a++) {
		enum audit_proof_axis axis = (enum audit_proof_axis)a;
		uint16_t target = (uint16_t)(rnd() % n);
		size_t k = axis == AUDIT_AXIS_PRIMARY ? p->k_secondary : p->k_primary;
		size_t have = k + 1 <= n ? k + 1 : k;
		random_subset(idx, n, have);
		struct audit_recovery_symbol *syms = xcalloc(have, sizeof(*syms));
		for (size_t t = 0; t < have; t++) {
			/* Peers hold the other axis's slivers. */
			enum audit_proof_axis peer = axis == AUDIT_AXIS_PRIMARY ? AUDIT_AXIS_SECONDARY
										 : AUDIT_AXIS_PRIMARY;
			struct node_expanded *x = NULL;
			size_t sl = node_sliver_len(c, peer, b->symbol_size);
			ck_assert(node_expanded_new(c, peer, idx[t], node_blob_sliver(b, peer, idx[t]),
						    sl, b->symbol_size, &x, &e));
			ck_assert(node_expanded_symbol(x, target, &syms[t], &e));
			node_expanded_free(x);
		}
		if (have > k)
			syms[0].data[0] ^= 1; /* a lying peer */
		size_t sl = node_sliver_len(c, axis, b->symbol_size), rejected = 0;
		uint8_t *out = xmalloc(sl);
		ck_assert_msg(node_sliver_recover_from_symbols(c, b->metadata, axis, target, syms, have,
							      out, &rejected, &e),
			      "n=%u recover %s %u: %s", n, audit_proof_axis_name(axis), target, e.msg);
		ck_assert_uint_eq(rejected, have > k ? 1 : 0);
		ck_assert_mem_eq(out, node_blob_sliver(b, axis, target), sl);
		/* One short (after dropping the liar) fails. */
		if (have > k)
			ck_assert(!node_sliver_recover_from_symbols(c, b->metadata, axis, target, syms,
								    k, out, NULL, &e));
		for (size_t t = 0; t < have; t++)
			audit_recovery_symbol_clear(&syms[t]);
		free(syms);
		free(out);
	}

	for (uint32_t j = 0; j < n; j++)
		node_expanded_free(cols[j]);
	free(cols);
	free(idx);
	free(padded);
	free(blob);
	node_blob_free(b);
	node_codec_free(c);
}

static void round_trip(uint32_t n, size_t len, bool thorough)
{
	round_trip_type(n, 0, len, thorough);
}

START_TEST(test_round_trip_small_n)
{
	static const uint32_t ns[] = {4, 7, 10};
	static const size_t lens[] = {0, 1, 2, 29, 1000, 4097, 100000};
	for (size_t a = 0; a < 3; a++)
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
			round_trip(ns[a], lens[l], true);
}
END_TEST

START_TEST(test_round_trip_n31)
{
	static const size_t lens[] = {0, 1, 231 * 2 + 1, 50000};
	for (size_t l = 0; l < 4; l++)
		round_trip(31, lens[l], l < 2);
}
END_TEST

START_TEST(test_round_trip_n100)
{
	round_trip(100, 0, false);
	round_trip(100, 1, false);
	round_trip(100, 300000, false);
}
END_TEST

START_TEST(test_round_trip_n255)
{
	round_trip(255, 0, false);
	round_trip(255, 1, false);
	round_trip(255, 200001, false);
}
END_TEST

START_TEST(test_gf16_round_trip_small_n)
{
	static const uint32_t ns[] = {4, 7, 10};
	static const size_t lens[] = {0, 1, 2, 29, 1000, 4097, 100000};
	for (size_t a = 0; a < 3; a++)
		for (size_t l = 0; l < sizeof(lens) / sizeof(lens[0]); l++)
			round_trip_type(ns[a], NODE_ENCODING_RS16, lens[l], true);
	for (uint32_t n = 1; n <= 3; n++)
		round_trip_type(n, NODE_ENCODING_RS16, 77, true);
}
END_TEST

START_TEST(test_gf16_round_trip_n100_n255)
{
	round_trip_type(100, NODE_ENCODING_RS16, 300001, false);
	round_trip_type(255, NODE_ENCODING_RS16, 1, false);
}
END_TEST

START_TEST(test_gf16_round_trip_n256_n300)
{
	/* Past GF(2^8): node_codec_new() picks the GF(2^16) code. */
	round_trip(256, 0, false);
	round_trip(256, 200001, false);
	round_trip(300, 1, false);
	round_trip(300, 500000, false);
}
END_TEST

START_TEST(test_gf16_round_trip_n1000)
{
	round_trip(1000, 1, false);
	round_trip(1000, 700001, false);
}
END_TEST

START_TEST(test_gf16_blob_on_gf8_codec)
{
	/* A GF(2^16) blob at n = 10 is a different blob from the GF(2^8) one of the same bytes,
	 * and the default (GF(2^8)) codec for n = 10 still verifies, decodes and rebuilds it by
	 * its encoding type. */
	struct node_codec *c8 = NULL, *c16 = NULL;
	struct node_blob *b8 = NULL, *b16 = NULL;
	struct err e = {{0}};
	const size_t len = 20000;
	uint8_t *blob = random_blob(len);
	ck_assert(node_codec_new(10, &c8, &e));
	ck_assert(node_codec_new_type(10, NODE_ENCODING_RS16, &c16, &e));
	ck_assert(node_encode(c8, blob, len, &b8, &e));
	ck_assert(node_encode(c16, blob, len, &b16, &e));
	ck_assert_uint_eq(b16->metadata->encoding_type, NODE_ENCODING_RS16);
	ck_assert(memcmp(b8->blob_id, b16->blob_id, 32) != 0);
	/* Systematic slivers agree; parity slivers differ between the codes. */
	ck_assert_mem_eq(node_blob_sliver(b8, AUDIT_AXIS_PRIMARY, 0),
			 node_blob_sliver(b16, AUDIT_AXIS_PRIMARY, 0), b8->primary_len);
	ck_assert(memcmp(node_blob_sliver(b8, AUDIT_AXIS_PRIMARY, 9),
			 node_blob_sliver(b16, AUDIT_AXIS_PRIMARY, 9), b8->primary_len) != 0);
	for (uint16_t i = 0; i < 10; i++) {
		ck_assert_msg(node_sliver_verify(c8, b16->metadata, AUDIT_AXIS_PRIMARY, i,
						 node_blob_sliver(b16, AUDIT_AXIS_PRIMARY, i),
						 b16->primary_len, b16->symbol_size, &e),
			      "%s", e.msg);
		/* A GF(2^8) sliver does not pass for the GF(2^16) blob's (parity ones differ). */
		if (i >= 4)
			ck_assert(!node_sliver_verify(c8, b16->metadata, AUDIT_AXIS_PRIMARY, i,
						      node_blob_sliver(b8, AUDIT_AXIS_PRIMARY, i),
						      b8->primary_len, b8->symbol_size, &e));
	}
	uint16_t idx[4] = {9, 3, 7, 5};
	const uint8_t *sl[4];
	for (int t = 0; t < 4; t++)
		sl[t] = node_blob_sliver(b16, AUDIT_AXIS_PRIMARY, idx[t]);
	uint8_t *out = NULL;
	ck_assert_msg(node_decode_check(c8, b16->metadata, b16->blob_id, AUDIT_AXIS_PRIMARY, idx,
					sl, 4, &out, &e),
		      "%s", e.msg);
	ck_assert_mem_eq(out, blob, len);
	free(out);
	/* A corrupted recovery symbol of the GF(2^16) blob fails the auditor's check. */
	struct node_expanded *x = NULL;
	struct audit_recovery_symbol s;
	struct audit_symbol_id id = {8, 2};
	ck_assert(node_expanded_new(node_codec_for(c8, NODE_ENCODING_RS16), AUDIT_AXIS_PRIMARY, 8,
				    node_blob_sliver(b16, AUDIT_AXIS_PRIMARY, 8), b16->primary_len,
				    b16->symbol_size, &x, &e));
	ck_assert(node_expanded_symbol(x, 2, &s, &e));
	ck_assert_int_eq(audit_symbol_verify(b16->metadata, id, AUDIT_AXIS_PRIMARY, &s, &e),
			 AUDIT_SYMBOL_PASS);
	s.data[s.data_len - 1] ^= 0x80;
	ck_assert_int_ne(audit_symbol_verify(b16->metadata, id, AUDIT_AXIS_PRIMARY, &s, &e),
			 AUDIT_SYMBOL_PASS);
	audit_recovery_symbol_clear(&s);
	node_expanded_free(x);
	/* Odd symbol sizes have no GF(2^16) words. */
	uint8_t odd[30] = {0};
	ck_assert(!node_sliver_expand(c16, AUDIT_AXIS_PRIMARY, odd, 21, 3, odd, &e));
	free(blob);
	node_blob_free(b8);
	node_blob_free(b16);
	node_codec_free(c8);
	node_codec_free(c16);
}
END_TEST

START_TEST(test_small_and_odd_n)
{
	/* n = 1..3 has no redundancy (f = 0) but must still be consistent. */
	for (uint32_t n = 1; n <= 3; n++)
		round_trip(n, 77, true);
	round_trip(5, 333, true);
}
END_TEST

START_TEST(test_limits)
{
	struct node_codec *c = NULL;
	struct err e = {{0}};
	/* GF(2^8) stops at 255 shards; GF(2^16) takes over (node_codec_new) up to 1024. */
	ck_assert(!node_codec_new_type(256, NODE_ENCODING_RS8, &c, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "255"));
	ck_assert(!node_codec_new_type(10, AUDIT_ENCODING_RS2, &c, &e));
	ck_assert(!node_codec_new(NODE_MAX_SHARDS + 1, &c, &e));
	ck_assert(!node_codec_new_type(NODE_MAX_SHARDS + 1, NODE_ENCODING_RS16, &c, &e));
	ck_assert(node_codec_new(256, &c, &e));
	ck_assert_uint_eq(node_codec_encoding_type(c), NODE_ENCODING_RS16);
	ck_assert_ptr_null(node_codec_for(c, NODE_ENCODING_RS8));
	node_codec_free(c);
	ck_assert(node_codec_new(255, &c, &e));
	ck_assert_uint_eq(node_codec_encoding_type(c), NODE_ENCODING_RS8);
	ck_assert_ptr_nonnull(node_codec_for(c, NODE_ENCODING_RS16));
	ck_assert_ptr_null(node_codec_for(c, AUDIT_ENCODING_RS2));
	node_codec_free(c);
	ck_assert(!node_codec_new(0, &c, &e));
	ck_assert(node_codec_new(4, &c, &e));
	/* n = 4: 2 × 3 source symbols of at most 65534 bytes. */
	struct node_blob *b = NULL;
	size_t too_big = 6 * 65534 + 1;
	uint8_t *blob = xcalloc(too_big, 1);
	ck_assert(!node_encode(c, blob, too_big, &b, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "too large"));
	ck_assert(node_encode(c, blob, too_big - 1, &b, &e));
	ck_assert_uint_eq(b->symbol_size, 65534);
	/* Wrong lengths and symbol sizes are refused with a sentence. */
	ck_assert(!node_sliver_verify(c, b->metadata, AUDIT_AXIS_PRIMARY, 0, b->primary,
				      b->primary_len - 1, b->symbol_size, &e));
	ck_assert(!node_sliver_verify(c, b->metadata, AUDIT_AXIS_PRIMARY, 4, b->primary,
				      b->primary_len, b->symbol_size, &e));
	ck_assert(!node_sliver_verify(c, b->metadata, AUDIT_AXIS_PRIMARY, 0, b->primary,
				      b->primary_len, 2, &e));
	b->metadata->encoding_type = AUDIT_ENCODING_RS2;
	ck_assert(!node_sliver_verify(c, b->metadata, AUDIT_AXIS_PRIMARY, 0, b->primary,
				      b->primary_len, b->symbol_size, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "RS2"));
	node_blob_free(b);
	node_blob_free(NULL);
	free(blob);
	node_codec_free(c);
	node_codec_free(NULL);
	node_expanded_free(NULL);
}
END_TEST

START_TEST(test_inconsistent_encoding_is_caught)
{
	/* A publisher that tampers with a parity primary sliver and recomputes its hash
	 * (so the sliver verifies) makes a blob that decodes differently from different
	 * subsets: node_decode_check refuses it. */
	struct node_codec *c = NULL;
	struct node_blob *b = NULL;
	struct err e = {{0}};
	ck_assert(node_codec_new(7, &c, &e));
	uint8_t *blob = random_blob(500);
	ck_assert(node_encode(c, blob, 500, &b, &e));
	uint8_t *bad = (uint8_t *)(uintptr_t)node_blob_sliver(b, AUDIT_AXIS_PRIMARY, 6);
	bad[0] ^= 0xff;
	ck_assert(node_sliver_hash(c, AUDIT_AXIS_PRIMARY, bad, b->primary_len, b->symbol_size,
				   b->metadata->hashes[6].primary.digest, &e));
	audit_blob_id(b->metadata, b->blob_id);
	uint16_t idx[3] = {4, 5, 6};
	const uint8_t *sl[3] = {node_blob_sliver(b, AUDIT_AXIS_PRIMARY, 4),
				node_blob_sliver(b, AUDIT_AXIS_PRIMARY, 5), bad};
	uint8_t *out = NULL;
	ck_assert(!node_decode_check(c, b->metadata, b->blob_id, AUDIT_AXIS_PRIMARY, idx, sl, 3,
				     &out, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "inconsistently"));
	free(blob);
	node_blob_free(b);
	node_codec_free(c);
}
END_TEST

START_TEST(test_blob_commands)
{
	/* The assay program under test (CTest sets ASSAY_BIN); skipped when run by hand. */
	if (!getenv("ASSAY_BIN"))
		return;
	const char *bin = harness_assay_bin();
	char dir[] = "/tmp/assay-blob-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *file = xasprintf("%s/blob.bin", dir), *out = xasprintf("%s/out", dir);
	uint8_t *blob = random_blob(5000);
	struct err e = {{0}};
	ck_assert(write_file_atomic(file, blob, 5000, 0600, &e));

	char *stdout_text = NULL;
	ck_assert_int_eq(harness_run(&stdout_text, "%s blob encode %s --shards 7 --out %s 2>/dev/null",
				     bin, file, out), 0);
	struct node_codec *c = NULL;
	struct node_blob *b = NULL;
	ck_assert(node_codec_new(7, &c, &e));
	ck_assert(node_encode(c, blob, 5000, &b, &e));
	char id_text[AUDIT_BLOB_ID_TEXT_LEN + 1], want[AUDIT_BLOB_ID_TEXT_LEN + 2];
	audit_blob_id_text(id_text, b->blob_id);
	snprintf(want, sizeof(want), "%s\n", id_text);
	ck_assert_str_eq(stdout_text, want);
	free(stdout_text);
	ck_assert_int_eq(harness_run(&stdout_text, "%s blob id --metadata %s/metadata.bcs", bin, out),
			 0);
	ck_assert_str_eq(stdout_text, want);
	free(stdout_text);

	/* A sliver file is BCS SliverData that verifies against the metadata. */
	char *path = xasprintf("%s/secondary-3.bcs", out);
	uint8_t *data = NULL;
	size_t len = 0;
	struct audit_sliver *sl = NULL;
	ck_assert(read_file(path, 1 << 20, &data, &len, &e));
	ck_assert_msg(audit_sliver_parse(data, len, &sl, &e), "%s", e.msg);
	ck_assert_uint_eq(sl->index, 3);
	ck_assert(node_sliver_verify(c, b->metadata, AUDIT_AXIS_SECONDARY, sl->index, sl->symbols,
				     sl->len, sl->symbol_size, &e));
	audit_sliver_free(sl);
	free(data);
	free(path);

	/* Usage errors exit 2, failures 1. */
	ck_assert_int_eq(harness_run(NULL, "%s blob encode %s --out %s 2>/dev/null", bin, file, out),
			 2);
	ck_assert_int_eq(harness_run(NULL, "%s blob encode %s --shards 1025 --out %s 2>/dev/null", bin,
				     file, out), 2);
	ck_assert_int_eq(harness_run(NULL, "%s blob encode %s/none --shards 4 --out %s 2>/dev/null",
				     bin, dir, out), 1);
	ck_assert_int_eq(harness_run(NULL, "%s blob id --metadata %s 2>/dev/null", bin, file), 1);
	ck_assert_int_eq(harness_run(NULL, "%s blob id 2>/dev/null", bin), 2);

	ck_assert_int_eq(harness_run(NULL, "rm -rf %s", dir), 0);
	free(file);
	free(out);
	free(blob);
	node_blob_free(b);
	node_codec_free(c);
}
END_TEST

/* Two directories hold the same files, byte for byte: metadata.bcs and n × 2 slivers. */
static void check_same_dir(const char *a, const char *b, uint32_t n)
{
	for (uint32_t i = 0; i <= 2 * n; i++) {
		char *name = i == 2 * n ? xstrdup("metadata.bcs")
				 : xasprintf("%s-%u.bcs", i % 2 ? "secondary" : "primary", i / 2);
		char *pa = xasprintf("%s/%s", a, name), *pb = xasprintf("%s/%s", b, name);
		uint8_t *da = NULL, *db = NULL;
		size_t la = 0, lb = 0;
		struct err e = {{0}};
		ck_assert_msg(read_file(pa, 1u << 30, &da, &la, &e), "%s", e.msg);
		ck_assert_msg(read_file(pb, 1u << 30, &db, &lb, &e), "%s", e.msg);
		ck_assert_msg(la == lb && memcmp(da, db, la) == 0, "%s differs (n = %u)", name, n);
		free(da);
		free(db);
		free(pa);
		free(pb);
		free(name);
	}
}

/* The streaming encoder writes what node_encode() and node_blob_write_dir() write, for
 * both codes, the empty blob, and a blob whose rows and columns take several batches. */
START_TEST(test_stream_matches_memory)
{
	static const struct {
		uint32_t n, type;
		size_t len;
	} cases[] = {
		{4, NODE_ENCODING_RS8, 0},         {7, NODE_ENCODING_RS8, 5000},
		{10, NODE_ENCODING_RS16, 99999},  {100, NODE_ENCODING_RS8, 12u << 20},
		{255, NODE_ENCODING_RS8, 3u << 20}, {300, NODE_ENCODING_RS16, 1u << 20},
	};
	char dir[] = "/tmp/assay-stream-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char *file = xasprintf("%s/blob.bin", dir), *mem = xasprintf("%s/mem", dir);
	char *str = xasprintf("%s/stream", dir);
	for (size_t k = 0; k < ARRAY_LEN(cases); k++) {
		struct node_codec *c = NULL;
		struct node_blob *b = NULL;
		struct err e = {{0}};
		uint8_t *blob = random_blob(cases[k].len);
		uint8_t id[AUDIT_DIGEST_LEN];
		ck_assert(write_file_atomic(file, blob, cases[k].len, 0600, &e));
		ck_assert(node_codec_new_type(cases[k].n, cases[k].type, &c, &e));
		ck_assert(node_encode(c, blob, cases[k].len, &b, &e));
		ck_assert_msg(node_blob_write_dir(b, mem, &e), "%s", e.msg);
		ck_assert_msg(node_encode_file_stream(c, file, str, id, &e), "%s", e.msg);
		ck_assert_mem_eq(id, b->blob_id, AUDIT_DIGEST_LEN);
		check_same_dir(mem, str, cases[k].n);
		ck_assert_int_eq(harness_run(NULL, "rm -rf %s %s", mem, str), 0);
		free(blob);
		node_blob_free(b);
		node_codec_free(c);
	}
	/* Bad input: a missing file, a directory, a file too large for n shards. */
	struct node_codec *c = NULL;
	struct err e = {{0}};
	uint8_t id[AUDIT_DIGEST_LEN];
	ck_assert(node_codec_new(4, &c, &e));
	ck_assert(!node_encode_file_stream(c, mem, str, id, &e));
	ck_assert(!node_encode_file_stream(c, dir, str, id, &e));
	ck_assert_msg(strstr(e.msg, "not a regular file") != NULL, "%s", e.msg);
	ck_assert_int_eq(harness_run(NULL, "truncate -s %llu %s", (unsigned long long)
				     audit_max_blob_size(node_codec_params(c)) + 1, file), 0);
	ck_assert(!node_encode_file_stream(c, file, str, id, &e));
	ck_assert_msg(strstr(e.msg, "holds at most") != NULL, "%s", e.msg);
	node_codec_free(c);
	ck_assert_int_eq(harness_run(NULL, "rm -rf %s", dir), 0);
	free(file);
	free(mem);
	free(str);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("node_encoder");
	TCase *tc = tcase_create("encoder");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_round_trip_small_n);
	tcase_add_test(tc, test_round_trip_n31);
	tcase_add_test(tc, test_round_trip_n100);
	tcase_add_test(tc, test_round_trip_n255);
	tcase_add_test(tc, test_small_and_odd_n);
	tcase_add_test(tc, test_gf16_round_trip_small_n);
	tcase_add_test(tc, test_gf16_round_trip_n100_n255);
	tcase_add_test(tc, test_gf16_round_trip_n256_n300);
	tcase_add_test(tc, test_gf16_round_trip_n1000);
	tcase_add_test(tc, test_gf16_blob_on_gf8_codec);
	tcase_add_test(tc, test_limits);
	tcase_add_test(tc, test_inconsistent_encoding_is_caught);
	tcase_add_test(tc, test_blob_commands);
	tcase_add_test(tc, test_stream_matches_memory);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
