/* test_settle_prune.c: which epochs db prune may drop (settle_prune_eligible: ended, past
 * the dispute window, finalized or voided; each refusal one sentence), and the archive
 * reader on files written here by hand from sql/ARCHIVE.md: it gives the decided records
 * (last attempt of each seq) and the evidence root, and refuses a changed byte, a missing
 * or extra row, a cut-off line and another format version. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/bindings.h"
#include "chain/keccak.h"
#include "core/encoding.h"
#include "core/err.h"
#include "settle/archive.h"
#include "settle/evidence.h"
#include "settle/prune.h"
#include "tests/harness/harness.h"

START_TEST(test_eligible)
{
	struct chain_phases ph = {.end = 1000, .commit_end = 1060, .reveal_end = 1120,
				  .dispute_end = 1180};
	char why[300];
	ck_assert(!settle_prune_eligible(7, false, &ph, 0, 5000, why, sizeof(why)));
	ck_assert_str_eq(why, "epoch 7 has not ended on chain.");
	/* Finalized cannot happen before the window closes, but voided can. */
	ck_assert(!settle_prune_eligible(7, true, &ph, 3, 1179, why, sizeof(why)));
	ck_assert_msg(strstr(why, "epoch 7 is inside its dispute window") && strstr(why, "(in 1 s)"),
		      "%s", why);
	ck_assert(!settle_prune_eligible(7, true, &ph, 0, 1180, why, sizeof(why)));
	ck_assert_msg(strstr(why, "not finalized or voided on chain (its status is open)"), "%s",
		      why);
	ck_assert(!settle_prune_eligible(7, true, &ph, 1, 9999, why, sizeof(why)));
	ck_assert_msg(strstr(why, "its status is finalizing"), "%s", why);
	ck_assert(settle_prune_eligible(7, true, &ph, 2, 1180, why, sizeof(why)));
	ck_assert_str_eq(why, "");
	ck_assert(settle_prune_eligible(7, true, &ph, 3, 1180, why, sizeof(why)));
}
END_TEST

#define BLOB "3333333333333333333333333333333333333333333333333333333333333333"
#define NODE "2222222222222222222222222222222222222222"
#define HASH "4444444444444444444444444444444444444444444444444444444444444444"

/* Rows of epoch 5 by auditor 0xaa..: seq 0 pass, seq 1 timeout then pass, seq 2
 * not_found. */
static const char *const ROWS[] = {
	"{\"attempt\":0,\"axis\":\"primary\",\"blob\":\"0x" BLOB "\",\"col\":2,\"detail\":null,"
	"\"http_status\":200,\"issued_at_ms\":1767323045678,\"latency_ms\":12,\"node\":\"0x" NODE "\","
	"\"outcome\":\"pass\",\"response_hash\":\"0x" HASH "\",\"row\":1,\"seq\":0,\"shard\":3}\n",
	"{\"attempt\":0,\"axis\":\"secondary\",\"blob\":\"0x" BLOB "\",\"col\":2,\"detail\":\"slow\","
	"\"http_status\":null,\"issued_at_ms\":1767323045679,\"latency_ms\":5000,\"node\":\"0x" NODE "\","
	"\"outcome\":\"timeout\",\"response_hash\":null,\"row\":1,\"seq\":1,\"shard\":3}\n",
	"{\"attempt\":1,\"axis\":\"secondary\",\"blob\":\"0x" BLOB "\",\"col\":2,\"detail\":null,"
	"\"http_status\":200,\"issued_at_ms\":1767323045680,\"latency_ms\":13,\"node\":\"0x" NODE "\","
	"\"outcome\":\"pass\",\"response_hash\":\"0x" HASH "\",\"row\":1,\"seq\":1,\"shard\":3}\n",
	"{\"attempt\":0,\"axis\":\"primary\",\"blob\":\"0x" BLOB "\",\"col\":4,\"detail\":null,"
	"\"http_status\":404,\"issued_at_ms\":1767323045681,\"latency_ms\":9,\"node\":\"0x" NODE "\","
	"\"outcome\":\"not_found\",\"response_hash\":null,\"row\":0,\"seq\":2,\"shard\":1}\n",
};

static void body_text(char *out, size_t len, size_t nrows)
{
	size_t used = 0;
	out[0] = '\0';
	for (size_t i = 0; i < nrows; i++) {
		int w = snprintf(out + used, len - used, "%s", ROWS[i]);
		ck_assert(w > 0 && (size_t)w < len - used);
		used += (size_t)w;
	}
}

/* The decided records of ROWS, as settle_records_load would give them. */
static void expected(struct settle_record out[3])
{
	memset(out, 0, 3 * sizeof(*out));
	for (int i = 0; i < 3; i++) {
		out[i].epoch = 5;
		memset(out[i].auditor, 0xaa, 20);
		out[i].seq = (uint64_t)i;
		memset(out[i].node, 0x22, 20);
		memset(out[i].blob, 0x33, 32);
	}
	out[0].shard = 3, out[0].row = 1, out[0].col = 2, out[0].latency_ms = 12;
	memset(out[0].response_hash, 0x44, 32);
	out[1].attempt = 1, out[1].shard = 3, out[1].row = 1, out[1].col = 2;
	out[1].axis = AUDIT_AXIS_SECONDARY, out[1].latency_ms = 13;
	memset(out[1].response_hash, 0x44, 32);
	out[2].shard = 1, out[2].row = 0, out[2].col = 4, out[2].latency_ms = 9;
	out[2].outcome = AUDIT_OUTCOME_NOT_FOUND;
}

/* Writes an archive: the header claims `claimed_rows` rows and the checksum of `body`. */
static void write_archive(const char *path, int version, const char *body, size_t claimed_rows)
{
	struct settle_record rec[3];
	struct settle_evidence *ev = NULL;
	struct err e = {{0}};
	uint8_t root[32], sum[32];
	char root_hex[65], sum_hex[65];
	/* The committee: the records' node and one without records, in that order. */
	uint8_t committee[2][20];
	memset(committee[0], 0x22, 20);
	memset(committee[1], 0x11, 20);
	expected(rec);
	ck_assert(settle_evidence_new(&ev, (const uint8_t(*)[20])committee, 2, rec, 3, &e));
	settle_evidence_root(ev, root);
	settle_evidence_free(ev);
	chain_keccak256(sum, body, strlen(body));
	hex_encode(root_hex, root, 32);
	hex_encode(sum_hex, sum, 32);
	FILE *f = fopen(path, "w");
	ck_assert(f != NULL);
	fprintf(f,
		"{\"auditor\":\"0x%s\",\"body_keccak256\":\"0x%s\",\"committee\":[\"0x%s\","
		"\"0x%s\"],\"decided\":3,\"epoch\":5,"
		"\"evidence_root\":\"0x%s\",\"format\":\"assay.challenges.archive\",\"rows\":%zu,"
		"\"version\":%d}\n%s",
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", sum_hex,
		"2222222222222222222222222222222222222222", "1111111111111111111111111111111111111111",
		root_hex, claimed_rows, version,
		body);
	ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_archive_read)
{
	char path[] = "/tmp/assay-test-archive-XXXXXX";
	int fd = mkstemp(path);
	ck_assert(fd >= 0);
	close(fd);
	char body[4096];
	body_text(body, sizeof(body), 4);
	struct settle_archive_header h;
	struct settle_record *recs = NULL, want[3];
	size_t n = 0;
	struct err e = {{0}};

	write_archive(path, 2, body, 4);
	ck_assert_msg(settle_archive_load(path, &h, &recs, &n, &e), "%s", e.msg);
	ck_assert_int_eq(h.epoch, 5);
	ck_assert_int_eq(h.rows, 4);
	ck_assert_int_eq(h.m, 2);
	ck_assert_int_eq(n, 3);
	expected(want);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(!memcmp(&recs[i], &want[i], sizeof(want[i])), "record %zu differs", i);
	free(recs);

	/* One digit changed in a row: the checksum no longer holds. */
	char bad[4096];
	snprintf(bad, sizeof(bad), "%s", body);
	char *lat = strstr(bad, "\"latency_ms\":12");
	ck_assert(lat != NULL);
	lat[14] = '3';
	write_archive(path, 2, body, 4);
	/* the same header (the original's checksum) over the changed body */
	char *header = NULL;
	size_t hlen = 0;
	FILE *f = fopen(path, "r");
	ck_assert(f != NULL && getline(&header, &hlen, f) > 0);
	fclose(f);
	f = fopen(path, "w");
	ck_assert(f != NULL);
	fprintf(f, "%s%s", header, bad);
	ck_assert_int_eq(fclose(f), 0);
	free(header);
	ck_assert(!settle_archive_load(path, &h, NULL, NULL, &e));
	ck_assert_msg(strstr(e.msg, "is damaged"), "%s", e.msg);

	/* A row missing (header says 4, checksum of 3 rows). */
	char three[4096];
	body_text(three, sizeof(three), 3);
	write_archive(path, 2, three, 4);
	ck_assert(!settle_archive_load(path, &h, NULL, NULL, &e));
	ck_assert_msg(strstr(e.msg, "holds 3 rows; its header says 4"), "%s", e.msg);

	/* A cut-off last line. */
	body[strlen(body) - 1] = '\0';
	write_archive(path, 2, body, 4);
	ck_assert(!settle_archive_load(path, &h, NULL, NULL, &e));
	ck_assert_msg(strstr(e.msg, "cut short"), "%s", e.msg);

	/* Another version of the format. */
	body_text(body, sizeof(body), 4);
	write_archive(path, 1, body, 4);
	ck_assert(!settle_archive_load(path, &h, NULL, NULL, &e));
	ck_assert_msg(strstr(e.msg, "version 1"), "%s", e.msg);
	unlink(path);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("settle_prune");
	TCase *tc = tcase_create("prune");
	tcase_add_test(tc, test_eligible);
	tcase_add_test(tc, test_archive_read);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
