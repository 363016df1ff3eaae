/* attest.c: attestation hashing and signing, matching Settlement.sol byte for byte. */
#include "settle/attest.h"

#include <string.h>

#include "chain/eip712.h"
#include "chain/keccak.h"
#include "chain/key.h"
#include "core/err.h"
#include "settle/secret.h"

static void word_u64(uint8_t w[32], uint64_t v)
{
	memset(w, 0, 32);
	for (int i = 0; i < 8; i++)
		w[31 - i] = (uint8_t)(v >> (8 * i));
}

void settle_committee_hash(const uint8_t (*nodes)[20], size_t m, uint8_t out[32])
{
	struct chain_keccak k;
	uint8_t w[32];
	chain_keccak_init(&k);
	word_u64(w, 32);
	chain_keccak_update(&k, w, 32);
	word_u64(w, m);
	chain_keccak_update(&k, w, 32);
	for (size_t i = 0; i < m; i++) {
		memset(w, 0, 12);
		memcpy(w + 12, nodes[i], 20);
		chain_keccak_update(&k, w, 32);
	}
	chain_keccak_final(&k, out);
}

void settle_counts_hash(const uint32_t *passed, const uint32_t *decided, size_t m,
			uint8_t out[32])
{
	struct chain_keccak k;
	uint8_t w[32];
	chain_keccak_init(&k);
	word_u64(w, 64);
	chain_keccak_update(&k, w, 32);
	word_u64(w, 64 + 32 * (1 + (uint64_t)m));
	chain_keccak_update(&k, w, 32);
	const uint32_t *arrays[2] = {passed, decided};
	for (int a = 0; a < 2; a++) {
		word_u64(w, m);
		chain_keccak_update(&k, w, 32);
		for (size_t i = 0; i < m; i++) {
			word_u64(w, arrays[a][i]);
			chain_keccak_update(&k, w, 32);
		}
	}
	chain_keccak_final(&k, out);
}

void settle_domain_separator(const struct settle_domain *d, uint8_t out[32])
{
	struct chain_eip712_domain dom = {0};
	dom.name = "assay";
	dom.version = "1";
	dom.has_chain_id = true;
	dom.chain_id = d->chain_id;
	dom.has_verifying_contract = true;
	memcpy(dom.verifying_contract, d->settlement, 20);
	chain_eip712_domain_separator(&dom, out);
}

/* keccak(typehash || words...) then the EIP-712 digest. */
static void typed_digest(const struct settle_domain *d, const char *type,
			 const uint8_t (*words)[32], size_t nwords, uint8_t out[32])
{
	uint8_t th[32], sh[32], ds[32];
	struct chain_keccak k;
	chain_keccak256(th, type, strlen(type));
	chain_keccak_init(&k);
	chain_keccak_update(&k, th, 32);
	for (size_t i = 0; i < nwords; i++)
		chain_keccak_update(&k, words[i], 32);
	chain_keccak_final(&k, sh);
	settle_domain_separator(d, ds);
	chain_eip712_digest(ds, sh, out);
}

void settle_attestation_digest(const struct settle_domain *d, const struct settle_attestation *a,
			       uint8_t out[32])
{
	uint8_t w[6][32];
	word_u64(w[0], a->epoch);
	memcpy(w[1], a->committee_hash, 32);
	memcpy(w[2], a->counts_hash, 32);
	memcpy(w[3], a->evidence_root, 32);
	memcpy(w[4], a->evidence_blob, 32);
	memcpy(w[5], a->secret, 32);
	typed_digest(d, SETTLE_ATTESTATION_TYPE, (const uint8_t(*)[32])w, 6, out);
	wipe(w, sizeof(w));
}

void settle_attestation_commit_digest(const struct settle_domain *d, uint64_t epoch,
				      uint8_t auditor_id, const uint8_t att_digest[32],
				      uint8_t out[32])
{
	uint8_t w[3][32];
	word_u64(w[0], epoch);
	word_u64(w[1], auditor_id);
	memcpy(w[2], att_digest, 32);
	typed_digest(d, SETTLE_ATTESTATION_COMMIT_TYPE, (const uint8_t(*)[32])w, 3, out);
}

void settle_secret_commit_digest(const struct settle_domain *d, uint64_t epoch,
				 uint8_t auditor_id, const uint8_t secret_hash[32], uint8_t out[32])
{
	uint8_t w[3][32];
	word_u64(w[0], epoch);
	word_u64(w[1], auditor_id);
	memcpy(w[2], secret_hash, 32);
	typed_digest(d, SETTLE_SECRET_COMMIT_TYPE, (const uint8_t(*)[32])w, 3, out);
}

bool settle_sign(const struct chain_key *signing, const uint8_t digest[32], uint8_t sig[65],
		 struct err *e)
{
	struct chain_sig s;
	if (!chain_key_sign(signing, digest, &s, e))
		return false;
	chain_sig_to_65(&s, sig);
	return true;
}

bool settle_recover(const uint8_t digest[32], const uint8_t sig[65], uint8_t signer[20],
		    struct err *e)
{
	struct chain_sig s;
	if (!chain_sig_from_65(&s, sig, e) || !chain_sig_recover(digest, &s, signer, e))
		return err_prefix(e, "checking a signature: ");
	return true;
}

bool settle_attest_build(const struct settle_domain *d, const struct chain_key *signing,
			 const struct settle_attest_input *in, struct settle_attestation *a,
			 uint8_t digest[32], uint8_t sig[65], struct err *e)
{
	memset(a, 0, sizeof(*a));
	for (size_t i = 0; i < in->m; i++)
		if (in->passed[i] > in->decided[i])
			return err_set(e, "committee position %zu has more passes (%u) than decided "
					  "challenges (%u)",
				       i, in->passed[i], in->decided[i]);
	a->epoch = in->epoch;
	settle_committee_hash(in->committee, in->m, a->committee_hash);
	settle_counts_hash(in->passed, in->decided, in->m, a->counts_hash);
	memcpy(a->evidence_root, in->evidence_root, 32);
	memcpy(a->evidence_blob, in->evidence_blob, 32);
	if (!settle_secret_derive(signing, in->epoch, a->secret, e))
		return false;
	settle_attestation_digest(d, a, digest);
	if (!settle_sign(signing, digest, sig, e)) {
		wipe(a->secret, 32);
		return err_prefix(e, "signing the attestation of epoch %llu: ",
				  (unsigned long long)in->epoch);
	}
	return true;
}
