/* chainio.h: what the settle job reads from and sends to the Staking and Settlement
 * contracts beyond the typed views of chain/bindings.h: the committee with its hash, the
 * attestation and NodeScored events, and the settle transactions, each sent through
 * chain_bind_send with its own crash point for the tests.
 *
 * Transactions are simulated (eth_call from the gas key's address) before they are
 * signed, so a call the contract would refuse fails with the contract's error named and
 * explained (chain_explain_revert), and nothing is signed, saved or sent. */
#ifndef ASSAY_SETTLE_CHAINIO_H
#define ASSAY_SETTLE_CHAINIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "chain/u256.h"
#include "core/util.h"

struct err;
struct chain_rpc;
struct chain_sender;
struct chain_receipt;

struct chain_deployment;
struct chain_bind;

struct settle_chain;
/* rpc and sender are lent; sender may be NULL for reading only. Contract calls go
 * through chain/bindings.h (settle_chain_bind), auditors through chain/reader.h. */
bool settle_chain_new(struct settle_chain **out, struct chain_rpc *rpc,
		      struct chain_sender *sender, const struct chain_deployment *d,
		      struct err *e) WARN_UNUSED;
void settle_chain_free(struct settle_chain *c);
struct chain_rpc *settle_chain_rpc(struct settle_chain *c);
struct chain_bind *settle_chain_bind(struct settle_chain *c);

/* ---- views the bindings do not have ---- */
bool settle_chain_now(struct settle_chain *c, uint64_t *block, uint64_t *timestamp,
		      struct err *e) WARN_UNUSED;
/* Committee of epoch (committee order) and the chain's committeeHash. */
bool settle_chain_committee(struct settle_chain *c, uint64_t epoch, uint8_t (**nodes)[20],
			    uint16_t **shards, size_t *m, uint8_t hash[32],
			    struct err *e) WARN_UNUSED;
/* The auditor id whose signer is addr (as last set, active or not). */
bool settle_chain_find_auditor(struct settle_chain *c, const uint8_t signer[20], uint8_t *id,
			       bool *found, struct err *e) WARN_UNUSED;

/* ---- events ---- */
struct settle_reveal {
	uint64_t epoch;
	uint8_t auditor_id;
	uint8_t committee_hash[32], counts_hash[32], evidence_root[32], evidence_blob[32],
		secret[32];
	size_t m;
	uint32_t *passed, *decided; /* from the AttestationCounts event of the same tx */
	uint8_t sig[65];            /* from the transaction's calldata */
	uint8_t tx_hash[32];
	uint64_t block;
};
void settle_reveals_free(struct settle_reveal *v, size_t n);
/* Every reveal of epoch, ascending auditor id. with_sig also fetches each reveal's
 * transaction to read its signature from the calldata. */
bool settle_chain_reveals(struct settle_chain *c, uint64_t epoch, bool with_sig,
			  struct settle_reveal **out, size_t *n, struct err *e) WARN_UNUSED;
/* AttestationDisputed: a fraud proven against auditor_id's attestation of epoch. */
struct settle_dispute_event {
	uint8_t auditor_id;
	uint8_t disputer[20];
	uint8_t kind; /* 1a node total = Settlement.DISPUTE_NODE_TOTAL, ... */
	struct chain_u256 reward, burned;
	uint8_t tx_hash[32];
	uint64_t block;
};
/* Every AttestationDisputed event of epoch, in chain order. */
bool settle_chain_disputes(struct settle_chain *c, uint64_t epoch,
			   struct settle_dispute_event **out, size_t *n, struct err *e) WARN_UNUSED;
/* Settlement.bonds(id) (what is left of the auditor's bond) and bondLockedUntil(id) (when
 * its payee may withdraw it; 0: it never revealed). */
bool settle_chain_bond(struct settle_chain *c, uint8_t auditor_id, struct chain_u256 *bond,
		       uint64_t *locked_until, struct err *e) WARN_UNUSED;
/* Settlement.revealSigners(epoch, id): the signer that revealed (zeros: none). */
bool settle_chain_reveal_signer(struct settle_chain *c, uint64_t epoch, uint8_t auditor_id,
				uint8_t signer[20], struct err *e) WARN_UNUSED;
struct settle_node_scored {
	uint64_t epoch;
	uint8_t node[20];
	struct chain_u256 score, reward, slashed;
	bool penalized;
	uint8_t tx_hash[32];
};
/* NodeScored events of [from_epoch, to_epoch] (node NULL: all nodes). */
bool settle_chain_node_scored(struct settle_chain *c, uint64_t from_epoch, uint64_t to_epoch,
			      const uint8_t *node, struct settle_node_scored **out, size_t *n,
			      struct err *e) WARN_UNUSED;
/* AttestationCommitted / SecretCommitted transaction hashes, for payouts. */
bool settle_chain_commit_tx(struct settle_chain *c, uint64_t epoch, uint8_t auditor_id,
			    uint8_t tx_hash[32], bool *found, struct err *e) WARN_UNUSED;

/* ---- transactions (through the sender; purpose recorded with each) ---- */
/* Test hook: ASSAY_TEST_CRASH_AT=<step>:after_save|after_broadcast kills the process at
 * the sender's point for the transaction of that step (advance, secret, commit, reveal,
 * finalize, void, dispute); ASSAY_TEST_CRASH_AT=<point> for settle_crash_point. */
void settle_crash_point(const char *name);
/* Test hook: ASSAY_TEST_SKIP_LOCAL_CHECKS=1 skips the checks assay makes before sending
 * what the contract would refuse anyway (a signing key that is not the auditor's, a
 * reveal that is not what was committed), so the tests can see the contract's own
 * refusal and how assay reports it. Never set it in production. */
bool settle_test_skip_local_checks(void);

/* Checks a revealed attestation against the chain and itself: its signature is the
 * registered auditor's (*signer: that auditor's registered signer), its counts hash to
 * countsHash, committeeHash is the epoch's (committee_hash), the secret matches its
 * commitment and the attestation its commit. *problems is "" when all hold, else
 * "; "-terminated sentences (the caller frees it). Fails only on a chain read. */
struct settle_domain;
bool settle_chain_verify_reveal(struct settle_chain *c, const struct settle_domain *dom,
				uint64_t epoch, const struct settle_reveal *r,
				const uint8_t committee_hash[32], uint8_t signer[20],
				char **problems, struct err *e) WARN_UNUSED;

bool settle_chain_advance(struct settle_chain *c, uint64_t to_epoch, struct err *e) WARN_UNUSED;
bool settle_chain_commit_secret(struct settle_chain *c, uint64_t epoch, uint8_t auditor_id,
				const uint8_t secret_hash[32], const uint8_t sig[65],
				struct err *e) WARN_UNUSED;
bool settle_chain_commit_attestation(struct settle_chain *c, uint64_t epoch, uint8_t auditor_id,
				     const uint8_t digest[32], const uint8_t sig[65],
				     struct err *e) WARN_UNUSED;
bool settle_chain_reveal(struct settle_chain *c, uint64_t epoch, uint8_t auditor_id,
			 const uint8_t committee_hash[32], const uint32_t *passed,
			 const uint32_t *decided, size_t m, const uint8_t evidence_root[32],
			 const uint8_t evidence_blob[32], const uint8_t secret[32], const uint8_t sig[65],
			 struct err *e) WARN_UNUSED;
/* finalizeEpoch for committee positions [from, to) (from: the epoch's progress on
 * chain); the epoch is finalized by the call whose `to` is the committee's size. */
bool settle_chain_finalize(struct settle_chain *c, uint64_t epoch,
			   const struct settle_reveal *reveals, size_t k, size_t from, size_t to,
			   struct err *e) WARN_UNUSED;
bool settle_chain_void(struct settle_chain *c, uint64_t epoch, struct err *e) WARN_UNUSED;
/* Fraud proof 1a (Settlement.disputeNodeTotal): auditor_id's revealed counts (passed,
 * decided, m entries) and the node-total proof p from its evidence. */
struct settle_evidence_proof;
bool settle_chain_dispute_node_total(struct settle_chain *c, uint64_t epoch, uint8_t auditor_id,
				     const uint32_t *passed, const uint32_t *decided, size_t m,
				     const struct settle_evidence_proof *p,
				     struct err *e) WARN_UNUSED;

#endif
