/* test_settle_attest.c: attestation hashes reproduce the vectors that
 * chain/contracts/test/Vectors.t.sol checks against the contracts themselves; the
 * signature matches `cast wallet sign --no-hash`; the secret is deterministic per key and
 * epoch and its commitment is keccak256(secret). */
#include <stdlib.h>
#include <string.h>

#include "chain/keccak.h"
#include "chain/key.h"
#include "core/encoding.h"
#include "core/err.h"
#include "settle/attest.h"
#include "settle/secret.h"
#include "tests/harness/harness.h"

static void hx(uint8_t *out, size_t len, const char *hex)
{
	struct err e = {{0}};
	ck_assert_msg(hex_decode_exact(out, len, hex, &e), "%s", e.msg);
}

static void eq(const uint8_t *got, const char *want_hex, size_t len, const char *what)
{
	uint8_t want[65];
	hx(want, len, want_hex);
	ck_assert_msg(!memcmp(got, want, len), "%s differs", what);
}

static struct settle_domain dom(void)
{
	struct settle_domain d = {.chain_id = 31337};
	hx(d.settlement, 20, "5FbDB2315678afecb367f032d93F642f64180aa3");
	return d;
}

START_TEST(test_vectors)
{
	struct settle_domain d = dom();
	uint8_t out[32];
	settle_domain_separator(&d, out);
	eq(out, "a93e3a96e5010aaa63f3ac3d8f8b615a9e6653fc196956eab5c637b2fcf1a2c3", 32, "domain");

	uint8_t nodes[3][20] = {{0}};
	for (int i = 0; i < 3; i++) {
		nodes[i][17] = 0x01;
		nodes[i][19] = (uint8_t)i;
	}
	struct settle_attestation a = {.epoch = 7};
	settle_committee_hash((const uint8_t(*)[20])nodes, 3, a.committee_hash);
	eq(a.committee_hash, "ba98bdc323c094d9965efd0e8c25548b80ca684b615e1455c08ad5e14e456ad4", 32,
	   "committee hash");
	uint32_t p[3] = {10, 0, 7}, dd[3] = {10, 0, 9};
	settle_counts_hash(p, dd, 3, a.counts_hash);
	eq(a.counts_hash, "bc06a9aac4a0820af62e7b88d8e910ef081667457463f29ef0923aa88731d968", 32,
	   "counts hash");
	chain_keccak256(a.secret, "assay secret", 12);
	uint8_t sh[32];
	settle_secret_hash(a.secret, sh);
	eq(sh, "0efd9fe50c8554f7820e212c9b0931b240fb051d885b7ed41514bf737ddb6d78", 32, "secret hash");
	chain_keccak256(a.evidence_root, "evidence", 8);
	chain_keccak256(a.evidence_blob, "evidence blob", 13);
	uint8_t att[32];
	settle_attestation_digest(&d, &a, att);
	eq(att, "13a8180a10216ef18df144d078b969e82d25530309811ff1bbafb24a213f1ba9", 32,
	   "attestation digest");
	settle_attestation_commit_digest(&d, 7, 2, att, out);
	eq(out, "2d7d36ea9a990196274586dac62a5a289345c96e1b01fc77b928f585b49f8910", 32,
	   "commit digest");
	settle_secret_commit_digest(&d, 8, 2, sh, out);
	eq(out, "d5157412cff6b4403f05120d3fe472cff282ab8b5aaf122eba8f7d9e6afe591a", 32,
	   "secret commit digest");

	/* The signature cast makes over the attestation digest with auditor 0's test key. */
	struct err e = {{0}};
	struct chain_key *k = NULL;
	ck_assert(chain_key_from_hex(&k, "0a0d1700", &e) ||
		  chain_key_from_hex(&k,
				     "000000000000000000000000000000000000000000000000000000000a0d1700",
				     &e));
	uint8_t sig[65], signer[20];
	ck_assert_msg(settle_sign(k, att, sig, &e), "%s", e.msg);
	eq(sig,
	   "5508b36b9e32a0fb1de082a6baa696514a8e0a24cf93923f0526cd561d2c5c705dc4f12f8e901da3436a3f50"
	   "0c6241fa9f5349b5ab9bc368d30c48dd274654ac1b",
	   65, "signature");
	ck_assert_msg(settle_recover(att, sig, signer, &e), "%s", e.msg);
	eq(signer, "323A69C5a1eE73110f5eA1c23D962D5F8756Cf62", 20, "signer");
	/* A tampered digest recovers someone else. */
	att[0] ^= 1;
	ck_assert(settle_recover(att, sig, signer, &e));
	uint8_t want[20];
	hx(want, 20, "323A69C5a1eE73110f5eA1c23D962D5F8756Cf62");
	ck_assert(memcmp(signer, want, 20) != 0);
	chain_key_free(k);
}
END_TEST

START_TEST(test_secret_and_build)
{
	struct err e = {{0}};
	struct chain_key *k1 = NULL, *k2 = NULL;
	ck_assert(chain_key_from_hex(
		&k1, "0x1111111111111111111111111111111111111111111111111111111111111111", &e));
	ck_assert(chain_key_from_hex(
		&k2, "0x2222222222222222222222222222222222222222222222222222222222222222", &e));
	uint8_t s1[32], s1b[32], s2[32], s3[32];
	ck_assert(settle_secret_derive(k1, 5, s1, &e));
	ck_assert(settle_secret_derive(k1, 5, s1b, &e));
	ck_assert(settle_secret_derive(k1, 6, s2, &e));
	ck_assert(settle_secret_derive(k2, 5, s3, &e));
	ck_assert(!memcmp(s1, s1b, 32));
	ck_assert(memcmp(s1, s2, 32) != 0);
	ck_assert(memcmp(s1, s3, 32) != 0);

	struct settle_domain d = dom();
	uint8_t nodes[2][20];
	memset(nodes, 0xab, sizeof(nodes));
	nodes[1][0] = 0xcd;
	uint32_t passed[2] = {3, 0}, decided[2] = {4, 0};
	struct settle_attest_input in = {.epoch = 5, .auditor_id = 1,
					 .committee = (const uint8_t(*)[20])nodes, .m = 2,
					 .passed = passed, .decided = decided};
	memset(in.evidence_root, 0x77, 32);
	struct settle_attestation a;
	uint8_t digest[32], sig[65], signer[20], addr[20];
	ck_assert_msg(settle_attest_build(&d, k1, &in, &a, digest, sig, &e), "%s", e.msg);
	ck_assert(!memcmp(a.secret, s1, 32));
	ck_assert(settle_recover(digest, sig, signer, &e));
	chain_key_address(k1, addr);
	ck_assert(!memcmp(signer, addr, 20));
	uint8_t again[32];
	settle_attestation_digest(&d, &a, again);
	ck_assert(!memcmp(again, digest, 32));
	/* another chain id gives another digest (domain binding) */
	d.chain_id = 1;
	settle_attestation_digest(&d, &a, again);
	ck_assert(memcmp(again, digest, 32) != 0);
	/* passed > decided is refused before signing */
	passed[0] = 5;
	ck_assert(!settle_attest_build(&d, k1, &in, &a, digest, sig, &e));
	ck_assert(strstr(e.msg, "more passes") != NULL);
	chain_key_free(k1);
	chain_key_free(k2);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("settle_attest");
	TCase *tc = tcase_create("attest");
	tcase_add_test(tc, test_vectors);
	tcase_add_test(tc, test_secret_and_build);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
