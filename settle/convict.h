/* convict.h: the convictions of an epoch as the chain records them, for `assay
 * attestations` and the API: every AttestationDisputed event (a fraud proof that removed an
 * attestation, burned its auditor's bond and paid the disputer), with the signer that
 * revealed the attestation (so that an attestation kept by signer, as the database keeps
 * them, finds its conviction) and what is left of the auditor's bond. */
#ifndef ASSAY_SETTLE_CONVICT_H
#define ASSAY_SETTLE_CONVICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/u256.h"
#include "core/util.h"

struct err;
struct json_t;
struct settle_chain;

struct settle_conviction {
	uint8_t auditor_id;
	uint8_t signer[20]; /* Settlement.revealSigners(epoch, auditor_id) */
	uint8_t kind;       /* AttestationDisputed.kind (settle_dispute_kind_name) */
	uint8_t disputer[20];
	struct chain_u256 reward, burned; /* reward = bond x disputerBps / 10^4; burned the rest */
	uint8_t tx_hash[32];
	uint64_t block;
	struct chain_u256 bond;     /* the auditor's bond now (Settlement.bonds) */
	uint64_t bond_locked_until; /* Settlement.bondLockedUntil */
};

struct settle_convictions {
	struct settle_conviction *v;
	size_t n;
};

/* Every conviction of epoch's attestations, in chain order (none: n = 0). Fails with a
 * sentence on a chain read. */
bool settle_convictions_read(struct settle_chain *c, uint64_t epoch, struct settle_convictions *out,
			     struct err *e) WARN_UNUSED;
void settle_convictions_clear(struct settle_convictions *cv);
/* The conviction of the attestation of auditor_id (>= 0) or, with auditor_id < 0, of the one
 * signer revealed; NULL when it stands. Lent from cv. */
const struct settle_conviction *settle_conviction_find(const struct settle_convictions *cv,
						       int auditor_id, const uint8_t *signer);
/* "node_total", "sum_node", "record", "order", "verdict", "schedule", "too_many" for kinds 1-7
 * (chain/contracts/INTERFACE.md, "Fraud proofs"); "unknown" otherwise. */
const char *settle_dispute_kind_name(unsigned kind);
/* {auditor_id, signer, kind, kind_code, disputer, reward, burned, tx, block, bond,
 * bond_locked_until}; amounts in wei as decimal strings, addresses checksummed. */
struct json_t *settle_conviction_json(const struct settle_conviction *v);

#endif
