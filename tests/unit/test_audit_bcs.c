/* test_audit_bcs.c: strictness of the BCS parsers (truncations, trailing bytes, overlong
 * ULEB128, lengths beyond the buffer, bad tags) and round trips of every message. */
#include <stdlib.h>
#include <string.h>

#include "audit/bcs.h"
#include "core/buf.h"
#include "core/err.h"
#include "tests/harness/harness.h"

static struct audit_metadata *sample_metadata(uint32_t n)
{
	struct audit_metadata *md = audit_metadata_new(n);
	md->encoding_type = AUDIT_ENCODING_ISAL_RS8;
	md->unencoded_length = 123456789;
	for (uint32_t p = 0; p < n; p++) {
		md->hashes[p].primary.present = true;
		memset(md->hashes[p].primary.digest, (int)p, 32);
		/* Exercise Empty nodes too. */
		md->hashes[p].secondary.present = p % 3 != 0;
		if (md->hashes[p].secondary.present)
			memset(md->hashes[p].secondary.digest, (int)(0x80 + p), 32);
	}
	return md;
}

static void sample_symbol(struct audit_recovery_symbol *s, uint16_t data_len, size_t proof_len)
{
	memset(s, 0, sizeof(*s));
	s->tag = AUDIT_TAG_SECONDARY;
	s->index = 0x1234;
	s->target = 0x0201;
	s->data = xmalloc(data_len ? data_len : 1);
	for (size_t i = 0; i < data_len; i++)
		s->data[i] = (uint8_t)(i * 7);
	s->data_len = data_len;
	s->proof = xcalloc(proof_len ? proof_len : 1, sizeof(*s->proof));
	s->proof_len = proof_len;
	for (size_t i = 0; i < proof_len; i++) {
		s->proof[i].present = i % 2 == 0;
		if (s->proof[i].present)
			memset(s->proof[i].digest, (int)i + 1, 32);
	}
}

START_TEST(test_uleb128)
{
	struct buf b = BUF_INIT;
	static const uint32_t vals[] = {0, 1, 127, 128, 255, 16383, 16384, 65535, 2097151,
					2097152, 268435455, 268435456, UINT32_MAX};
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		buf_reset(&b);
		audit_bcs_write_uleb128(&b, vals[i]);
		struct audit_bcs_reader r;
		uint32_t got;
		struct err e = {{0}};
		audit_bcs_reader_init(&r, b.data, b.len);
		ck_assert_msg(audit_bcs_read_uleb128(&r, UINT32_MAX, "x", &got, &e), "%s", e.msg);
		ck_assert_uint_eq(got, vals[i]);
		ck_assert(audit_bcs_finish(&r, "x", &e));
	}
	struct {
		uint8_t bytes[6];
		size_t len;
	} bad[] = {
		{{0x80, 0x00}, 2},                   /* overlong zero */
		{{0xff, 0x00}, 2},                   /* overlong 127 */
		{{0x80, 0x80, 0x00}, 3},             /* overlong */
		{{0x80}, 1},                         /* truncated */
		{{0xff, 0xff, 0xff, 0xff, 0x1f}, 5}, /* 2^33 - 1 > u32 */
		{{0xff, 0xff, 0xff, 0xff, 0x10}, 5}, /* > u32 */
		{{0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 6}, /* six bytes */
		{{0}, 0},                            /* empty */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct audit_bcs_reader r;
		uint32_t got;
		struct err e = {{0}};
		audit_bcs_reader_init(&r, bad[i].bytes, bad[i].len);
		ck_assert_msg(!audit_bcs_read_uleb128(&r, UINT32_MAX, "x", &got, &e), "case %zu", i);
		ck_assert_uint_gt(strlen(e.msg), 0);
	}
	/* The bound is enforced. */
	uint8_t three[] = {3};
	struct audit_bcs_reader r;
	uint32_t got;
	audit_bcs_reader_init(&r, three, 1);
	ck_assert(!audit_bcs_read_uleb128(&r, 2, "x", &got, NULL));
	buf_free(&b);
}
END_TEST

START_TEST(test_metadata_round_trip_and_truncation)
{
	struct audit_metadata *md = sample_metadata(10), *back = NULL;
	struct buf b = BUF_INIT, again = BUF_INIT;
	struct err e = {{0}};
	audit_metadata_write(&b, md);
	ck_assert_msg(audit_metadata_parse(b.data, b.len, &back, &e), "%s", e.msg);
	audit_metadata_write(&again, back);
	ck_assert_uint_eq(again.len, b.len);
	ck_assert_mem_eq(again.data, b.data, b.len);
	ck_assert(!back->hashes[0].secondary.present);
	ck_assert(back->hashes[1].secondary.present);
	audit_metadata_free(back);

	/* Every strict prefix fails, on an exact-size copy so ASan sees any overread. */
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *copy = xmalloc(len ? len : 1);
		memcpy(copy, b.data, len);
		back = NULL;
		ck_assert_msg(!audit_metadata_parse(copy, len, &back, &e), "prefix %zu", len);
		ck_assert_ptr_null(back);
		free(copy);
	}
	/* A trailing byte fails. */
	buf_append_byte(&b, 0);
	ck_assert(!audit_metadata_parse(b.data, b.len, &back, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "trailing"));
	b.len--;

	/* With ID. */
	uint8_t id[32], got[32];
	memset(id, 0xab, 32);
	buf_reset(&again);
	audit_metadata_with_id_write(&again, id, md);
	ck_assert_msg(audit_metadata_with_id_parse(again.data, again.len, got, &back, &e), "%s",
		      e.msg);
	ck_assert_mem_eq(got, id, 32);
	audit_metadata_free(back);
	ck_assert(!audit_metadata_with_id_parse(again.data, 31, got, &back, &e));
	ck_assert(!audit_metadata_with_id_parse(b.data, b.len, got, &back, &e));

	audit_metadata_free(md);
	audit_metadata_free(NULL);
	buf_free(&b);
	buf_free(&again);
}
END_TEST

START_TEST(test_metadata_rejects_bad_fields)
{
	struct audit_metadata *md = sample_metadata(4), *back = NULL;
	struct buf b = BUF_INIT;
	struct err e = {{0}};
	audit_metadata_write(&b, md);

	b.data[0] = 1; /* version V2 does not exist */
	ck_assert(!audit_metadata_parse(b.data, b.len, &back, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "version"));
	b.data[0] = 0;

	b.data[1] = 9; /* unknown encoding type */
	ck_assert(!audit_metadata_parse(b.data, b.len, &back, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "encoding type"));
	b.data[1] = 0; /* RaptorQ: not supported */
	ck_assert(!audit_metadata_parse(b.data, b.len, &back, &e));
	b.data[1] = AUDIT_ENCODING_RS2;
	ck_assert(audit_metadata_parse(b.data, b.len, &back, &e));
	audit_metadata_free(back);

	/* Node tag 2 is not a Node. */
	b.data[11] = 2;
	ck_assert(!audit_metadata_parse(b.data, b.len, &back, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "node tag"));
	b.data[11] = 1;

	/* Count beyond the buffer is refused before allocating. */
	b.data[10] = 100;
	ck_assert(!audit_metadata_parse(b.data, b.len, &back, &e));
	/* Zero pairs. */
	struct buf z = BUF_INIT;
	buf_append_byte(&z, 0);
	buf_append_byte(&z, 1);
	buf_append_u64le(&z, 5);
	buf_append_byte(&z, 0);
	ck_assert(!audit_metadata_parse(z.data, z.len, &back, &e));
	/* A huge count (u32 max) in a tiny buffer. */
	buf_reset(&z);
	buf_append_byte(&z, 0);
	buf_append_byte(&z, 1);
	buf_append_u64le(&z, 5);
	audit_bcs_write_uleb128(&z, 70000);
	ck_assert(!audit_metadata_parse(z.data, z.len, &back, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "limit"));
	buf_free(&z);

	audit_metadata_free(md);
	buf_free(&b);
}
END_TEST

START_TEST(test_symbol_round_trip_and_truncation)
{
	struct audit_recovery_symbol s, back;
	struct buf b = BUF_INIT, again = BUF_INIT;
	struct err e = {{0}};
	sample_symbol(&s, 300, 5);
	audit_recovery_symbol_write(&b, &s);
	ck_assert_msg(audit_recovery_symbol_parse(b.data, b.len, &back, &e), "%s", e.msg);
	audit_recovery_symbol_write(&again, &back);
	ck_assert_uint_eq(again.len, b.len);
	ck_assert_mem_eq(again.data, b.data, b.len);
	ck_assert_uint_eq(back.index, 0x1234);
	ck_assert_uint_eq(back.target, 0x0201);
	ck_assert(!back.proof[1].present);
	audit_recovery_symbol_clear(&back);
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *copy = xmalloc(len ? len : 1);
		memcpy(copy, b.data, len);
		ck_assert_msg(!audit_recovery_symbol_parse(copy, len, &back, &e), "prefix %zu", len);
		free(copy);
	}
	buf_append_byte(&b, 0);
	ck_assert(!audit_recovery_symbol_parse(b.data, b.len, &back, &e));

	/* Bad tag. */
	b.len--;
	b.data[0] = 2;
	ck_assert(!audit_recovery_symbol_parse(b.data, b.len, &back, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "tag"));
	audit_recovery_symbol_clear(&s);

	/* Data longer than 65534 is refused by its length alone. */
	buf_reset(&b);
	buf_append_byte(&b, 0);
	buf_append_u16le(&b, 0);
	audit_bcs_write_uleb128(&b, 65535);
	ck_assert(!audit_recovery_symbol_parse(b.data, b.len, &back, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "limit"));
	/* Data length beyond the buffer. */
	buf_reset(&b);
	buf_append_byte(&b, 0);
	buf_append_u16le(&b, 0);
	audit_bcs_write_uleb128(&b, 100);
	buf_append(&b, "abc", 3);
	ck_assert(!audit_recovery_symbol_parse(b.data, b.len, &back, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "remain"));
	/* A proof longer than 16 nodes. */
	sample_symbol(&s, 2, 17);
	buf_reset(&b);
	audit_recovery_symbol_write(&b, &s);
	ck_assert(!audit_recovery_symbol_parse(b.data, b.len, &back, &e));
	audit_recovery_symbol_clear(&s);
	sample_symbol(&s, 0, 16);
	buf_reset(&b);
	audit_recovery_symbol_write(&b, &s);
	ck_assert(audit_recovery_symbol_parse(b.data, b.len, &back, &e));
	audit_recovery_symbol_clear(&back);
	audit_recovery_symbol_clear(&s);
	audit_recovery_symbol_clear(NULL);
	buf_free(&b);
	buf_free(&again);
}
END_TEST

START_TEST(test_symbol_list)
{
	struct audit_recovery_symbol items[3];
	struct audit_recovery_symbols *list = NULL;
	struct buf b = BUF_INIT, again = BUF_INIT;
	struct err e = {{0}};
	for (int i = 0; i < 3; i++)
		sample_symbol(&items[i], (uint16_t)(2 * i + 2), (size_t)i);
	items[1].tag = AUDIT_TAG_PRIMARY;
	audit_recovery_symbols_write(&b, items, 3);
	ck_assert_msg(audit_recovery_symbols_parse(b.data, b.len, 3, &list, &e), "%s", e.msg);
	ck_assert_uint_eq(list->count, 3);
	audit_recovery_symbols_write(&again, list->items, list->count);
	ck_assert_mem_eq(again.data, b.data, b.len);
	audit_recovery_symbols_free(list);
	list = NULL;
	/* A view reads the same items, their data in place. */
	ck_assert_msg(audit_recovery_symbols_view(b.data, b.len, 3, &list, &e), "%s", e.msg);
	ck_assert(list->view);
	buf_reset(&again);
	audit_recovery_symbols_write(&again, list->items, list->count);
	ck_assert_mem_eq(again.data, b.data, b.len);
	for (size_t i = 0; i < list->count; i++)
		ck_assert(list->items[i].data >= b.data &&
			  list->items[i].data + list->items[i].data_len <= b.data + b.len);
	audit_recovery_symbols_free(list);
	list = NULL;
	/* More items than asked for. */
	ck_assert(!audit_recovery_symbols_parse(b.data, b.len, 2, &list, &e));
	ck_assert(!audit_recovery_symbols_view(b.data, b.len, 2, &list, &e));
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *copy = xmalloc(len ? len : 1);
		memcpy(copy, b.data, len);
		ck_assert(!audit_recovery_symbols_parse(copy, len, 3, &list, &e));
		ck_assert(!audit_recovery_symbols_view(copy, len, 3, &list, &e));
		free(copy);
	}
	buf_append_byte(&b, 7);
	ck_assert(!audit_recovery_symbols_parse(b.data, b.len, 3, &list, &e));
	/* A count the buffer cannot hold. */
	buf_reset(&b);
	audit_bcs_write_uleb128(&b, 60000);
	ck_assert(!audit_recovery_symbols_parse(b.data, b.len, AUDIT_MAX_SHARDS, &list, &e));
	/* Empty list. */
	buf_reset(&b);
	buf_append_byte(&b, 0);
	ck_assert(audit_recovery_symbols_parse(b.data, b.len, 3, &list, &e));
	ck_assert_uint_eq(list->count, 0);
	audit_recovery_symbols_free(list);
	audit_recovery_symbols_free(NULL);
	for (int i = 0; i < 3; i++)
		audit_recovery_symbol_clear(&items[i]);
	buf_free(&b);
	buf_free(&again);
}
END_TEST

START_TEST(test_sliver)
{
	uint8_t sym[12];
	for (int i = 0; i < 12; i++)
		sym[i] = (uint8_t)i;
	struct buf b = BUF_INIT, again = BUF_INIT;
	struct audit_sliver *s = NULL;
	struct err e = {{0}};
	audit_sliver_write_parts(&b, sym, sizeof(sym), 4, 9);
	ck_assert_msg(audit_sliver_parse(b.data, b.len, &s, &e), "%s", e.msg);
	ck_assert_uint_eq(s->len, 12);
	ck_assert_uint_eq(s->symbol_size, 4);
	ck_assert_uint_eq(s->index, 9);
	ck_assert_mem_eq(s->symbols, sym, 12);
	audit_sliver_write(&again, s);
	ck_assert_mem_eq(again.data, b.data, b.len);
	audit_sliver_free(s);
	audit_sliver_free(NULL);
	for (size_t len = 0; len < b.len; len++) {
		uint8_t *copy = xmalloc(len ? len : 1);
		memcpy(copy, b.data, len);
		ck_assert(!audit_sliver_parse(copy, len, &s, &e));
		free(copy);
	}
	buf_append_byte(&b, 0);
	ck_assert(!audit_sliver_parse(b.data, b.len, &s, &e));

	/* Symbol size 0, 5 (12 % 5 != 0), 65535. */
	static const uint16_t bad_sizes[] = {0, 5, 65535};
	for (size_t i = 0; i < 3; i++) {
		buf_reset(&b);
		audit_sliver_write_parts(&b, sym, sizeof(sym), bad_sizes[i], 1);
		ck_assert(!audit_sliver_parse(b.data, b.len, &s, &e));
	}
	/* Length beyond the buffer; overlong length. */
	buf_reset(&b);
	audit_bcs_write_uleb128(&b, 1000000);
	buf_append(&b, sym, 12);
	ck_assert(!audit_sliver_parse(b.data, b.len, &s, &e));
	static const uint8_t overlong[] = {0x8c, 0x00, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11,
					   4, 0, 1, 0};
	ck_assert(!audit_sliver_parse(overlong, sizeof(overlong), &s, &e));
	ck_assert_ptr_nonnull(strstr(e.msg, "non-canonical"));
	buf_free(&b);
	buf_free(&again);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_bcs");
	TCase *tc = tcase_create("bcs");
	tcase_add_test(tc, test_uleb128);
	tcase_add_test(tc, test_metadata_round_trip_and_truncation);
	tcase_add_test(tc, test_metadata_rejects_bad_fields);
	tcase_add_test(tc, test_symbol_round_trip_and_truncation);
	tcase_add_test(tc, test_symbol_list);
	tcase_add_test(tc, test_sliver);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
