/* attest.h: the attestation an auditor commits and reveals (Settlement.sol):
 *
 *   Attestation{uint64 epoch, bytes32 committeeHash, bytes32 countsHash,
 *               bytes32 evidenceRoot, bytes32 evidenceBlob, bytes32 secret}
 *
 * signed with EIP-712 (domain name "assay", version "1", the chain id, the Settlement
 * contract) by the auditor's signing key, which is not the key that pays gas: anyone may
 * relay the signed calls.
 *
 *   committeeHash = keccak256(abi.encode(address[] committee))   (Staking.committeeHash)
 *   countsHash    = keccak256(abi.encode(uint32[] passed, uint32[] decided))
 *   evidenceBlob  = the blob ID of the evidence stored on the network (settle/EVIDENCE.md,
 *                   "The evidence blob"); zero when the contract binds no BlobRegistry
 *   commit        = EIP-712 digest of the Attestation (what commitAttestation stores),
 *                   signed as AttestationCommit{uint64 epoch, uint8 auditorId,
 *                   bytes32 attestationDigest}
 *   secret commit = SecretCommit{uint64 epoch, uint8 auditorId, bytes32 secretHash},
 *                   secretHash = keccak256(secret)
 *
 * Signatures travel as 65 bytes r || s || v (v = 27 or 28), low s. */
#ifndef ASSAY_SETTLE_ATTEST_H
#define ASSAY_SETTLE_ATTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct err;
struct chain_key;

#define SETTLE_ATTESTATION_TYPE                                                              \
	"Attestation(uint64 epoch,bytes32 committeeHash,bytes32 countsHash,bytes32 evidenceRoot," \
	"bytes32 evidenceBlob,bytes32 secret)"
#define SETTLE_ATTESTATION_COMMIT_TYPE \
	"AttestationCommit(uint64 epoch,uint8 auditorId,bytes32 attestationDigest)"
#define SETTLE_SECRET_COMMIT_TYPE "SecretCommit(uint64 epoch,uint8 auditorId,bytes32 secretHash)"

/* Where signatures are bound: chain id and Settlement contract. */
struct settle_domain {
	uint64_t chain_id;
	uint8_t settlement[20];
};

struct settle_attestation {
	uint64_t epoch;
	uint8_t committee_hash[32];
	uint8_t counts_hash[32];
	uint8_t evidence_root[32];
	uint8_t evidence_blob[32];
	uint8_t secret[32];
};

void settle_committee_hash(const uint8_t (*nodes)[20], size_t m, uint8_t out[32]);
void settle_counts_hash(const uint32_t *passed, const uint32_t *decided, size_t m,
			uint8_t out[32]);

void settle_domain_separator(const struct settle_domain *d, uint8_t out[32]);
void settle_attestation_digest(const struct settle_domain *d, const struct settle_attestation *a,
			       uint8_t out[32]);
void settle_attestation_commit_digest(const struct settle_domain *d, uint64_t epoch,
				      uint8_t auditor_id, const uint8_t att_digest[32],
				      uint8_t out[32]);
void settle_secret_commit_digest(const struct settle_domain *d, uint64_t epoch,
				 uint8_t auditor_id, const uint8_t secret_hash[32], uint8_t out[32]);

/* 65-byte signature of digest (low s, v = 27 + parity). */
bool settle_sign(const struct chain_key *signing, const uint8_t digest[32], uint8_t sig[65],
		 struct err *e) WARN_UNUSED;
/* The signer of a 65-byte signature (refuses high s and malformed ones). */
bool settle_recover(const uint8_t digest[32], const uint8_t sig[65], uint8_t signer[20],
		    struct err *e) WARN_UNUSED;

/* What an attestation for (epoch, auditor) is made of, built from counts and evidence:
 * fills a (with the derived secret) and its digest and signature. Wipe a->secret when
 * done if the reveal has not happened yet. */
struct settle_attest_input {
	uint64_t epoch;
	uint8_t auditor_id;
	const uint8_t (*committee)[20];
	size_t m;
	const uint32_t *passed, *decided;
	uint8_t evidence_root[32];
	uint8_t evidence_blob[32];
};
bool settle_attest_build(const struct settle_domain *d, const struct chain_key *signing,
			 const struct settle_attest_input *in, struct settle_attestation *a,
			 uint8_t digest[32], uint8_t sig[65], struct err *e) WARN_UNUSED;

#endif
