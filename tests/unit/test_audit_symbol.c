/* test_audit_symbol.c: recovery-symbol verdicts on a toy blob (a random n × n symbol matrix:
 * checking proofs needs no real code), symbol ids, and the blob helpers' edge cases. */
#include <blake2.h>
#include <stdlib.h>
#include <string.h>

#include "audit/b2many.h"
#include "audit/blob.h"
#include "audit/challenge.h"
#include "audit/merkle.h"
#include "audit/symbol.h"
#include "core/buf.h"
#include "core/err.h"
#include "tests/harness/harness.h"

enum { N = 7, SS = 4 };

struct toy {
	uint8_t m[N][N][SS]; /* cell (i, j) */
	struct audit_metadata *md;
};

static void toy_init(struct toy *t)
{
	for (int i = 0; i < N; i++)
		for (int j = 0; j < N; j++)
			for (int b = 0; b < SS; b++)
				t->m[i][j][b] = (uint8_t)(i * 37 + j * 11 + b * 5 + 1);
	t->md = audit_metadata_new(N);
	t->md->encoding_type = AUDIT_ENCODING_ISAL_RS8;
	/* k_p = 3, k_s = 5 for n = 7: 15 source symbols of 4 bytes. */
	t->md->unencoded_length = 15 * 3 + 1;
	for (int p = 0; p < N; p++) {
		audit_merkle_root_fixed(t->md->hashes[p].primary.digest, &t->m[p][0][0], SS, N);
		t->md->hashes[p].primary.present = true;
		uint8_t col[N][SS];
		int j = N - 1 - p; /* pair p holds secondary sliver n-1-p */
		for (int i = 0; i < N; i++)
			memcpy(col[i], t->m[i][j], SS);
		audit_merkle_root_fixed(t->md->hashes[p].secondary.digest, &col[0][0], SS, N);
		t->md->hashes[p].secondary.present = true;
	}
}

/* What an honest node answers for (id, axis). */
static void toy_symbol(const struct toy *t, struct audit_symbol_id id, enum audit_proof_axis axis,
		       struct audit_recovery_symbol *s)
{
	uint8_t leaves[N][SS];
	memset(s, 0, sizeof(*s));
	if (axis == AUDIT_AXIS_PRIMARY) {
		s->tag = AUDIT_TAG_SECONDARY;
		s->index = id.primary;
		s->target = id.secondary;
		memcpy(leaves, t->m[id.primary], sizeof(leaves));
	} else {
		s->tag = AUDIT_TAG_PRIMARY;
		s->index = id.secondary;
		s->target = id.primary;
		for (int i = 0; i < N; i++)
			memcpy(leaves[i], t->m[i][id.secondary], SS);
	}
	s->data = xmalloc(SS);
	memcpy(s->data, leaves[s->target], SS);
	s->data_len = SS;
	struct audit_merkle_tree *tree = audit_merkle_tree_new_fixed(&leaves[0][0], SS, N);
	s->proof = xcalloc(AUDIT_MERKLE_MAX_DEPTH, sizeof(*s->proof));
	audit_merkle_tree_proof(tree, s->target, s->proof, &s->proof_len);
	audit_merkle_tree_free(tree);
}

START_TEST(test_every_cell_both_axes_pass)
{
	struct toy t;
	toy_init(&t);
	for (uint16_t i = 0; i < N; i++)
		for (uint16_t j = 0; j < N; j++)
			for (int a = 0; a < 2; a++) {
				struct audit_symbol_id id = {i, j};
				struct audit_recovery_symbol s;
				struct err e = {{0}};
				toy_symbol(&t, id, (enum audit_proof_axis)a, &s);
				enum audit_symbol_verdict v =
					audit_symbol_verify(t.md, id, (enum audit_proof_axis)a, &s, &e);
				ck_assert_msg(v == AUDIT_SYMBOL_PASS, "%u-%u axis %d: %s", i, j, a, e.msg);
				struct audit_symbol_id got;
				enum audit_proof_axis got_axis;
				audit_recovery_symbol_id(&s, &got, &got_axis);
				ck_assert_uint_eq(got.primary, i);
				ck_assert_uint_eq(got.secondary, j);
				ck_assert_int_eq(got_axis, a);
				audit_recovery_symbol_clear(&s);
			}
	audit_metadata_free(t.md);
}
END_TEST

START_TEST(test_verdicts)
{
	struct toy t;
	toy_init(&t);
	struct audit_symbol_id id = {2, 5};
	struct audit_recovery_symbol s;
	struct err e = {{0}};
	toy_symbol(&t, id, AUDIT_AXIS_SECONDARY, &s);

	/* Another cell's honest symbol: wrong id, which the auditor scores invalid_proof. */
	struct audit_symbol_id other = {3, 5};
	ck_assert_int_eq(audit_symbol_verify(t.md, other, AUDIT_AXIS_SECONDARY, &s, &e),
			 AUDIT_SYMBOL_WRONG_ID);
	ck_assert_str_eq(audit_symbol_outcome(AUDIT_SYMBOL_WRONG_ID), "invalid_proof");
	ck_assert_int_eq(audit_symbol_verify(t.md, id, AUDIT_AXIS_PRIMARY, &s, &e),
			 AUDIT_SYMBOL_WRONG_AXIS);

	/* Wrong size: one byte short, one byte long. */
	s.data_len = SS - 1;
	ck_assert_int_eq(audit_symbol_verify(t.md, id, AUDIT_AXIS_SECONDARY, &s, &e),
			 AUDIT_SYMBOL_WRONG_SIZE);
	ck_assert_str_eq(audit_symbol_outcome(AUDIT_SYMBOL_WRONG_SIZE), "wrong_size");
	s.data_len = SS;

	/* Out of range index / target: malformed. */
	s.target = N;
	ck_assert_int_eq(audit_symbol_verify(t.md, id, AUDIT_AXIS_SECONDARY, &s, &e),
			 AUDIT_SYMBOL_OUT_OF_RANGE);
	ck_assert_str_eq(audit_symbol_outcome(AUDIT_SYMBOL_OUT_OF_RANGE), "malformed");
	s.target = 2;
	s.index = 0xffff;
	ck_assert_int_eq(audit_symbol_verify(t.md, id, AUDIT_AXIS_SECONDARY, &s, &e),
			 AUDIT_SYMBOL_OUT_OF_RANGE);
	s.index = 5;

	/* A proof one node too long. */
	s.proof[s.proof_len].present = false;
	s.proof_len++;
	ck_assert_int_eq(audit_symbol_verify(t.md, id, AUDIT_AXIS_SECONDARY, &s, &e),
			 AUDIT_SYMBOL_INVALID_PROOF);
	s.proof_len--;
	ck_assert_int_eq(audit_symbol_verify(t.md, id, AUDIT_AXIS_SECONDARY, &s, &e),
			 AUDIT_SYMBOL_PASS);

	/* The proof checked against the wrong pair (as if n-1-J were forgotten) fails. */
	struct audit_node saved = t.md->hashes[N - 1 - 5].secondary;
	t.md->hashes[N - 1 - 5].secondary = t.md->hashes[5].secondary;
	ck_assert_int_eq(audit_symbol_verify(t.md, id, AUDIT_AXIS_SECONDARY, &s, &e),
			 AUDIT_SYMBOL_INVALID_PROOF);
	t.md->hashes[N - 1 - 5].secondary = saved;

	/* Unusable metadata is not the node's fault. */
	t.md->encoding_type = 77;
	ck_assert_int_eq(audit_symbol_verify(t.md, id, AUDIT_AXIS_SECONDARY, &s, &e),
			 AUDIT_SYMBOL_BAD_METADATA);
	ck_assert_str_eq(audit_symbol_outcome(AUDIT_SYMBOL_BAD_METADATA), "bad_metadata");
	t.md->encoding_type = AUDIT_ENCODING_ISAL_RS8;
	struct audit_symbol_id bad_id = {N, 0};
	ck_assert_int_eq(audit_symbol_verify(t.md, bad_id, AUDIT_AXIS_SECONDARY, &s, &e),
			 AUDIT_SYMBOL_BAD_METADATA);

	audit_recovery_symbol_clear(&s);
	audit_metadata_free(t.md);
}
END_TEST

START_TEST(test_list_matching)
{
	struct toy t;
	toy_init(&t);
	struct audit_symbol_id ids[3] = {{0, 1}, {4, 4}, {6, 0}};
	struct audit_recovery_symbols list = {xcalloc(3, sizeof(struct audit_recovery_symbol)), 3, false};
	/* Answered out of order. */
	toy_symbol(&t, ids[2], AUDIT_AXIS_PRIMARY, &list.items[0]);
	toy_symbol(&t, ids[0], AUDIT_AXIS_PRIMARY, &list.items[1]);
	toy_symbol(&t, ids[1], AUDIT_AXIS_PRIMARY, &list.items[2]);
	enum audit_symbol_verdict v[3];
	struct err errs[3];
	ck_assert_uint_eq(audit_symbols_verify_list(t.md, ids, 3, AUDIT_AXIS_PRIMARY, &list, v, errs),
			  3);
	/* One replaced by another cell: positional fallback gives WRONG_ID. */
	audit_recovery_symbol_clear(&list.items[1]);
	struct audit_symbol_id stray = {5, 5};
	toy_symbol(&t, stray, AUDIT_AXIS_PRIMARY, &list.items[1]);
	ck_assert_uint_eq(audit_symbols_verify_list(t.md, ids, 3, AUDIT_AXIS_PRIMARY, &list, v, errs),
			  2);
	ck_assert_int_eq(v[0], AUDIT_SYMBOL_WRONG_ID);
	ck_assert_int_eq(v[1], AUDIT_SYMBOL_PASS);
	ck_assert_int_eq(v[2], AUDIT_SYMBOL_PASS);
	/* One missing from a shorter list. */
	list.count = 2;
	ck_assert_uint_eq(audit_symbols_verify_list(t.md, ids, 3, AUDIT_AXIS_PRIMARY, &list, v, NULL),
			  1);
	ck_assert_int_eq(v[0], AUDIT_SYMBOL_MISSING);
	ck_assert_int_eq(v[1], AUDIT_SYMBOL_MISSING);
	ck_assert_int_eq(v[2], AUDIT_SYMBOL_PASS);
	ck_assert_str_eq(audit_symbol_outcome(AUDIT_SYMBOL_MISSING), "not_found");
	list.count = 3;
	for (int i = 0; i < 3; i++)
		audit_recovery_symbol_clear(&list.items[i]);
	free(list.items);
	audit_metadata_free(t.md);
}
END_TEST

/* Lists verified in one batch, with other messages hashed in the same pass, get the
 * verdicts and sentences each gets alone; the extra digests are BLAKE2b's. */
START_TEST(test_batch_matches_one_by_one)
{
	struct toy t;
	toy_init(&t);
	enum { L = 5, K = 4 };
	struct audit_recovery_symbols lists[L];
	struct audit_symbol_id ids[L][K];
	enum audit_symbol_verdict alone[L][K], together[L][K];
	struct err ea[L][K], et[L][K];
	for (int l = 0; l < L; l++) {
		enum audit_proof_axis axis = l % 2 ? AUDIT_AXIS_SECONDARY : AUDIT_AXIS_PRIMARY;
		lists[l] = (struct audit_recovery_symbols){
			xcalloc(K, sizeof(struct audit_recovery_symbol)), K, false};
		for (int k = 0; k < K; k++) {
			ids[l][k] = (struct audit_symbol_id){(uint16_t)((l + k) % N),
							     (uint16_t)((3 * l + 2 * k) % N)};
			toy_symbol(&t, ids[l][k], axis, &lists[l].items[k]);
		}
	}
	lists[1].items[2].data[0] ^= 1; /* a leaf that does not hash to the committed root */
	lists[3].items[0].proof[1].digest[5] ^= 1; /* a sibling off the path */
	lists[4].count = 3;                        /* one missing */
	uint8_t big[5000], digest[2][32], want[32];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 13);
	struct audit_b2_msg extra[2] = {{big, sizeof(big), false, 0, digest[0]},
					{big, 129, false, 0, digest[1]}};
	size_t passed_alone = 0;
	struct audit_symbols_batch *b = audit_symbols_batch_new();
	for (int round = 0; round < 2; round++) { /* the batch is reusable after a run */
		for (int l = 0; l < L; l++) {
			enum audit_proof_axis axis = l % 2 ? AUDIT_AXIS_SECONDARY : AUDIT_AXIS_PRIMARY;
			if (round == 0)
				passed_alone += audit_symbols_verify_list(t.md, ids[l], K, axis, &lists[l],
									  alone[l], ea[l]);
			audit_symbols_batch_add(b, t.md, ids[l], K, axis, &lists[l], together[l], et[l]);
		}
		memset(digest, 0, sizeof(digest));
		ck_assert_uint_eq(audit_symbols_batch_run(b, extra, 2), passed_alone);
		ck_assert_uint_eq(passed_alone, L * K - 3);
		for (int l = 0; l < L; l++)
			for (int k = 0; k < K; k++) {
				ck_assert_int_eq(together[l][k], alone[l][k]);
				if (alone[l][k] != AUDIT_SYMBOL_PASS)
					ck_assert_str_eq(et[l][k].msg, ea[l][k].msg);
			}
		ck_assert_int_eq(together[1][2], AUDIT_SYMBOL_INVALID_PROOF);
		ck_assert_int_eq(together[3][0], AUDIT_SYMBOL_INVALID_PROOF);
		ck_assert_int_eq(together[4][3], AUDIT_SYMBOL_MISSING);
		blake2b(want, big, NULL, 32, sizeof(big), 0);
		ck_assert_mem_eq(digest[0], want, 32);
		blake2b(want, big, NULL, 32, 129, 0);
		ck_assert_mem_eq(digest[1], want, 32);
	}
	audit_symbols_batch_free(b);
	for (int l = 0; l < L; l++) {
		lists[l].count = K;
		for (int k = 0; k < K; k++)
			audit_recovery_symbol_clear(&lists[l].items[k]);
		free(lists[l].items);
	}
	audit_metadata_free(t.md);
}
END_TEST

START_TEST(test_symbol_ids_and_axes)
{
	struct audit_symbol_id id;
	struct err e = {{0}};
	char text[AUDIT_SYMBOL_ID_TEXT_MAX];
	ck_assert(audit_symbol_id_parse("12-3", 1000, &id, &e));
	ck_assert_uint_eq(id.primary, 12);
	ck_assert_uint_eq(id.secondary, 3);
	audit_symbol_id_text(text, id);
	ck_assert_str_eq(text, "12-3");
	ck_assert(audit_symbol_id_parse("0-0", 1, &id, &e));
	id.primary = 65535;
	id.secondary = 65534;
	audit_symbol_id_text(text, id);
	ck_assert_str_eq(text, "65535-65534");
	static const char *bad[] = {"", "-", "1-", "-1", "1-2-3", "01-2", "1-02", "+1-2", "1 -2",
				    "a-b", "1-1000", "1000-1", "99999999-1", "1_2"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!audit_symbol_id_parse(bad[i], 1000, &id, &e), "%s", bad[i]);
	enum audit_proof_axis axis;
	ck_assert(audit_proof_axis_parse("primary", &axis, &e));
	ck_assert_int_eq(axis, AUDIT_AXIS_PRIMARY);
	ck_assert(audit_proof_axis_parse("secondary", &axis, &e));
	ck_assert_int_eq(axis, AUDIT_AXIS_SECONDARY);
	ck_assert(!audit_proof_axis_parse("Primary", &axis, &e));
	ck_assert_str_eq(audit_proof_axis_name(AUDIT_AXIS_SECONDARY), "secondary");
	struct audit_symbol_id c = {2, 5};
	ck_assert_uint_eq(audit_proof_pair(7, c, AUDIT_AXIS_PRIMARY), 2);
	ck_assert_uint_eq(audit_proof_pair(7, c, AUDIT_AXIS_SECONDARY), 1);
}
END_TEST

/* The recoverySymbols URL, byte for byte (written by hand, without printf). */
START_TEST(test_symbols_url)
{
	uint8_t id[AUDIT_DIGEST_LEN];
	memset(id, 0xff, sizeof(id));
	struct audit_symbol_id ids[3] = {{0, 0}, {65535, 12}, {7, 65534}};
	char *url = audit_symbols_url_new("http://127.0.0.1:9", id, ids, 3, AUDIT_AXIS_SECONDARY);
	ck_assert_str_eq(url, "http://127.0.0.1:9/v1/blobs/"
			      "__________________________________________8/recoverySymbols?"
			      "id=0-0&id=65535-12&id=7-65534&proofAxis=secondary");
	free(url);
	url = audit_symbols_url_new("http://h", id, ids, 1, AUDIT_AXIS_PRIMARY);
	ck_assert_str_eq(url, "http://h/v1/blobs/__________________________________________8/"
			      "recoverySymbols?id=0-0&proofAxis=primary");
	free(url);
}
END_TEST

START_TEST(test_blob_helpers)
{
	struct audit_params p;
	struct err e = {{0}};
	uint16_t ss;
	ck_assert(!audit_params_init(&p, 0, &e));
	ck_assert(!audit_params_init(&p, 65536, &e));
	ck_assert(audit_params_init(&p, 1, &e));
	ck_assert_uint_eq(p.k_primary, 1);
	ck_assert_uint_eq(p.k_secondary, 1);
	ck_assert(audit_params_init(&p, 10, &e));
	/* The largest blob fits; one more byte does not. */
	uint64_t max = audit_max_blob_size(&p);
	ck_assert_uint_eq(max, 28ull * 65534);
	ck_assert(audit_symbol_size(&p, max, &ss, &e));
	ck_assert_uint_eq(ss, 65534);
	ck_assert(!audit_symbol_size(&p, max + 1, &ss, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "too large"));
	ck_assert(audit_symbol_size(&p, UINT64_MAX / 2, &ss, NULL) == false);
	ck_assert(audit_symbol_size(&p, UINT64_MAX, &ss, NULL) == false); /* wrapped to 0 once */

	uint8_t id[32];
	ck_assert(!audit_blob_id_parse("short", id, &e));
	ck_assert(!audit_blob_id_parse("1KJyjlTF9tNmDh0xyUablEkOIMTJ+FrJz4rPaj84Ipw", id, &e));
	ck_assert(!audit_blob_id_parse("1KJyjlTF9tNmDh0xyUablEkOIMTJ-FrJz4rPaj84Ipx", id, &e));
	ck_assert(audit_blob_id_parse("1KJyjlTF9tNmDh0xyUablEkOIMTJ-FrJz4rPaj84Ipw", id, &e));
	ck_assert_uint_eq(id[0], 0xd4);

	/* Rotation against a plain big-number computation for small IDs. */
	memset(id, 0, 32);
	id[30] = 0x01;
	id[31] = 0x02; /* 258 */
	ck_assert_uint_eq(audit_blob_rotation(id, 7), 258 % 7);
	ck_assert_uint_eq(audit_blob_rotation(id, 1), 0);
	ck_assert_uint_eq(audit_pair_of_shard(id, 7, 0), (7 - 258 % 7) % 7);
	ck_assert_uint_eq(audit_secondary_sliver_of_pair(7, 0), 6);
	ck_assert_uint_eq(audit_pair_of_secondary_sliver(7, 6), 0);
	memset(id, 0xff, 32);
	/* 2^256 - 1 mod 65535: 65535 = 2^16 - 1 divides 2^256 - 1. */
	ck_assert_uint_eq(audit_blob_rotation(id, 65535), 0);
}
END_TEST

/* The auditor's judge (audit_check_symbols_response) and the contract's rule
 * (audit_answer_verifies) on one body asked for ids[0..nids) on axis: the verdict of ids[0]
 * and whether the rule takes the body for ids[0]. */
static enum audit_outcome judge(const struct toy *t, const struct buf *body,
				const struct audit_symbol_id *ids, size_t nids,
				enum audit_proof_axis axis, bool *verifies)
{
	struct audit_http_response resp;
	memset(&resp, 0, sizeof(resp));
	resp.transport = AUDIT_TRANSPORT_OK;
	resp.status = 200;
	resp.body = body->data;
	resp.body_len = body->len;
	enum audit_outcome out[AUDIT_MAX_IDS + 1];
	char detail[512];
	uint8_t blob[32];
	struct err e = {{0}};
	audit_check_symbols_response(&resp, t->md, ids, nids, axis, out, detail, sizeof(detail));
	audit_blob_id(t->md, blob);
	*verifies = audit_answer_verifies(body->data, body->len, blob, t->md, N, ids[0], axis, false,
					  &e);
	return out[0];
}

static void write_list(struct buf *b, struct audit_recovery_symbol *items, size_t n)
{
	buf_reset(b);
	audit_recovery_symbols_write(b, items, n);
}

/* The rule on the contract's three encoding types (the same symbol size rule, the same
 * proofs): every case below agrees with the auditor's judge whichever the blob's type. */
static const uint32_t rule_types[] = {AUDIT_ENCODING_ISAL_RS8, AUDIT_ENCODING_CAUCHY_RS16,
				      AUDIT_ENCODING_RS2};

START_TEST(test_contract_rule)
{
	struct toy t;
	toy_init(&t);
	const uint32_t type = rule_types[_i];
	t.md->encoding_type = type;
	enum audit_proof_axis ax = AUDIT_AXIS_PRIMARY;
	struct audit_symbol_id want = {2, 3};
	struct audit_recovery_symbol items[AUDIT_MAX_IDS + 1];
	struct buf b = BUF_INIT;
	bool ok;
	toy_symbol(&t, want, ax, &items[0]);
	for (size_t i = 1; i <= AUDIT_MAX_IDS; i++) {
		struct audit_symbol_id other = {(uint16_t)(i % N), (uint16_t)(i / N % N)};
		toy_symbol(&t, other, ax, &items[i]);
	}

	/* Asked for one id, answered with it and 63 more well-formed ones: a pass, as on chain
	 * (the old item limit, the number asked, made it malformed). */
	write_list(&b, items, AUDIT_MAX_IDS);
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_PASS);
	ck_assert(ok);
	/* The symbol asked for after two others: still a pass. */
	struct audit_recovery_symbol swapped[3] = {items[5], items[6], items[0]};
	write_list(&b, swapped, 3);
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_PASS);
	ck_assert(ok);

	/* Invalid(1) BCS: 65 items, a truncated body, a trailing byte, an unknown tag. */
	write_list(&b, items, AUDIT_MAX_IDS + 1);
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_MALFORMED);
	ck_assert(!ok);
	write_list(&b, items, 2);
	b.len--;
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_MALFORMED);
	ck_assert(!ok);
	b.len++;
	buf_append_byte(&b, 0);
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_MALFORMED);
	ck_assert(!ok);
	write_list(&b, items, 1);
	b.data[1] = 2; /* the first item's tag */
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_MALFORMED);
	ck_assert(!ok);

	/* Invalid(3) too large: a padding item far longer than a symbol pushes the body past
	 * 5 + count·(15 + symbol size + 16·33) + 64. */
	struct audit_recovery_symbol big = items[1];
	uint8_t *fat = xcalloc(1, 2000);
	big.data = fat;
	big.data_len = 2000;
	struct audit_recovery_symbol two[2] = {items[0], big};
	write_list(&b, two, 2);
	ck_assert_uint_gt(b.len, audit_symbols_body_limit(SS, 2));
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_MALFORMED);
	ck_assert(!ok);
	big.data_len = 40; /* within the limit: allowed padding */
	two[1] = big;
	write_list(&b, two, 2);
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_PASS);
	ck_assert(ok);
	free(fat);

	/* Invalid(4) no such symbol: another cell, or the right cell on the other axis. */
	write_list(&b, &items[1], 1);
	ck_assert_int_ne(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_PASS);
	ck_assert(!ok);
	struct audit_recovery_symbol other_axis;
	toy_symbol(&t, want, AUDIT_AXIS_SECONDARY, &other_axis);
	write_list(&b, &other_axis, 1);
	ck_assert_int_ne(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_PASS);
	ck_assert(!ok);
	audit_recovery_symbol_clear(&other_axis);

	/* Invalid(5) wrong size. */
	struct audit_recovery_symbol s = items[0];
	s.data_len = SS - 2;
	write_list(&b, &s, 1);
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_WRONG_SIZE);
	ck_assert(!ok);

	/* Invalid(6) bad proof: a flipped byte, a path one node short, one node long. */
	s = items[0];
	uint8_t flipped[SS];
	memcpy(flipped, s.data, SS);
	flipped[0] ^= 1;
	s.data = flipped;
	write_list(&b, &s, 1);
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_INVALID_PROOF);
	ck_assert(!ok);
	s = items[0];
	s.proof_len--;
	write_list(&b, &s, 1);
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_INVALID_PROOF);
	ck_assert(!ok);
	struct audit_node longer[AUDIT_MERKLE_MAX_DEPTH] = {{0}};
	memcpy(longer, items[0].proof, items[0].proof_len * sizeof(longer[0]));
	s = items[0];
	s.proof = longer;
	s.proof_len++;
	write_list(&b, &s, 1);
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_INVALID_PROOF);
	ck_assert(!ok);

	/* Invalid(2) type: metadata of an encoding the contract does not know is refused by the
	 * rule whatever the body. The auditor never checks symbols against metadata it cannot
	 * use (the metadata request judged it): its own error, never bad_metadata, which is a
	 * verdict on a metadata answer. */
	write_list(&b, items, 1);
	t.md->encoding_type = 77;
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_AUDITOR_ERROR);
	ck_assert(!ok);
	t.md->encoding_type = type;

	/* The metadata answer verifies as the answer of a bad_metadata record only: sent for
	 * symbols it is malformed, hashed like any body, and the rule does not take it. */
	uint8_t blob[32];
	struct err e = {{0}};
	audit_blob_id(t.md, blob);
	buf_reset(&b);
	audit_metadata_with_id_write(&b, blob, t.md);
	ck_assert(audit_body_is_metadata_answer(b.data, b.len, blob, t.md));
	ck_assert(audit_answer_verifies(b.data, b.len, blob, t.md, N, want, ax, true, &e));
	ck_assert_int_eq(judge(&t, &b, &want, 1, ax, &ok), AUDIT_OUTCOME_MALFORMED);
	ck_assert(!ok);
	ck_assert(!audit_answer_verifies(b.data, b.len, blob, t.md, N + 1, want, ax, true, &e));
	/* and a symbol answer is not the metadata answer */
	write_list(&b, items, 1);
	ck_assert(!audit_answer_verifies(b.data, b.len, blob, t.md, N, want, ax, true, &e));
	buf_reset(&b);
	audit_metadata_with_id_write(&b, blob, t.md);
	blob[0] ^= 1;
	ck_assert(!audit_body_is_metadata_answer(b.data, b.len, blob, t.md));
	ck_assert(!audit_answer_verifies(b.data, b.len, blob, t.md, N, want, ax, true, &e));

	for (size_t i = 0; i <= AUDIT_MAX_IDS; i++)
		audit_recovery_symbol_clear(&items[i]);
	buf_free(&b);
	audit_metadata_free(t.md);
}
END_TEST

/* Which answer a record judged shows in its outcome (fraud proof 2 takes the answer of that
 * form only): every verdict on a metadata answer is bad_metadata, whether the body does not
 * parse, is over the cap, or is another blob's; transport failures stay what they are. */
START_TEST(test_metadata_verdicts)
{
	struct toy t;
	toy_init(&t);
	uint8_t blob[32];
	audit_blob_id(t.md, blob);
	struct buf b = BUF_INIT;
	audit_metadata_with_id_write(&b, blob, t.md);
	struct audit_http_response resp;
	memset(&resp, 0, sizeof(resp));
	resp.transport = AUDIT_TRANSPORT_OK;
	resp.status = 200;
	resp.body = b.data;
	resp.body_len = b.len;
	struct audit_metadata *md = NULL;
	char detail[256];
	ck_assert_int_eq(audit_check_metadata_response(&resp, blob, &md, detail, sizeof(detail)),
			 AUDIT_OUTCOME_PASS);
	audit_metadata_free(md);
	/* a trailing byte: does not parse */
	buf_append_byte(&b, 0);
	resp.body = b.data;
	resp.body_len = b.len;
	ck_assert_int_eq(audit_check_metadata_response(&resp, blob, &md, detail, sizeof(detail)),
			 AUDIT_OUTCOME_BAD_METADATA);
	ck_assert_ptr_null(md);
	/* garbage */
	uint8_t junk[100];
	memset(junk, 0xab, sizeof(junk));
	resp.body = junk;
	resp.body_len = sizeof(junk);
	ck_assert_int_eq(audit_check_metadata_response(&resp, blob, &md, detail, sizeof(detail)),
			 AUDIT_OUTCOME_BAD_METADATA);
	/* another blob's ID in front */
	resp.body = b.data;
	resp.body_len = b.len - 1;
	b.data[0] ^= 1;
	ck_assert_int_eq(audit_check_metadata_response(&resp, blob, &md, detail, sizeof(detail)),
			 AUDIT_OUTCOME_BAD_METADATA);
	/* over the cap (the transport's verdict) */
	resp.transport = AUDIT_TRANSPORT_TOO_LARGE;
	ck_assert_int_eq(audit_check_metadata_response(&resp, blob, &md, detail, sizeof(detail)),
			 AUDIT_OUTCOME_BAD_METADATA);
	/* no body judged: not a verdict */
	resp.transport = AUDIT_TRANSPORT_TIMEOUT;
	ck_assert_int_eq(audit_check_metadata_response(&resp, blob, &md, detail, sizeof(detail)),
			 AUDIT_OUTCOME_TIMEOUT);
	resp.transport = AUDIT_TRANSPORT_OK;
	resp.status = 404;
	ck_assert_int_eq(audit_check_metadata_response(&resp, blob, &md, detail, sizeof(detail)),
			 AUDIT_OUTCOME_NOT_FOUND);

	/* the verdicts on a body, which must carry its hash */
	for (int o = 0; o < AUDIT_OUTCOME_COUNT; o++)
		ck_assert_int_eq(audit_outcome_on_body((enum audit_outcome)o),
				 o == AUDIT_OUTCOME_INVALID_PROOF || o == AUDIT_OUTCOME_WRONG_SIZE ||
					 o == AUDIT_OUTCOME_BAD_METADATA ||
					 o == AUDIT_OUTCOME_MALFORMED);
	buf_free(&b);
	audit_metadata_free(t.md);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_symbol");
	TCase *tc = tcase_create("symbol");
	tcase_add_test(tc, test_every_cell_both_axes_pass);
	tcase_add_test(tc, test_verdicts);
	tcase_add_test(tc, test_list_matching);
	tcase_add_test(tc, test_batch_matches_one_by_one);
	tcase_add_test(tc, test_symbol_ids_and_axes);
	tcase_add_test(tc, test_symbols_url);
	tcase_add_test(tc, test_blob_helpers);
	tcase_add_loop_test(tc, test_contract_rule, 0,
			    (int)(sizeof(rule_types) / sizeof(rule_types[0])));
	tcase_add_test(tc, test_metadata_verdicts);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
