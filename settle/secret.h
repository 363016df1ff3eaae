/* secret.h: the auditor's per-epoch secret (DESIGN.md, "Secret").
 *
 * The secret of epoch e is derived, not drawn and stored:
 *
 *   m      = keccak256("assay.secret.v1" || u64be(e))
 *   sig    = ECDSA signature of m by the auditor's signing key (RFC 6979 nonce: the same
 *            key and message always give the same signature)
 *   secret = keccak256("assay.secret.v1" || r || s)
 *
 * Why: the secret must stay unknown until the reveal and must survive a crash between
 * the secret commitment and the reveal (months of cron runs, machine swaps). Deriving it
 * from the signing key means nothing secret is ever written to disk or to PostgreSQL, a
 * restarted job recomputes the same value, and only the holder of the signing key can.
 * The derivation goes through a signature because the key API never exposes the private
 * scalar; the message is domain-separated so no other assay signature equals it. The
 * secret lives in memory only as long as it is needed and is wiped after use; it is
 * public anyway after the reveal. The commitment put on chain is keccak256(secret). */
#ifndef ASSAY_SETTLE_SECRET_H
#define ASSAY_SETTLE_SECRET_H

#include <stdbool.h>
#include <stdint.h>
#include "audit/daemon.h"
#include "core/util.h"

struct err;
struct chain_key;

#define SETTLE_SECRET_TAG "assay.secret.v1"

/* secret[32] of epoch for the signing key; the caller wipes it. */
bool settle_secret_derive(const struct chain_key *signing, uint64_t epoch, uint8_t secret[32],
			  struct err *e) WARN_UNUSED;
/* The on-chain commitment keccak256(secret). */
void settle_secret_hash(const uint8_t secret[32], uint8_t out[32]);

/* ---- the auditor's identity for the daemon (audit/daemon.h) ---- */

/* Where it comes from: the signing key (key_file; the secrets derive from it, auditor if
 * given must be its address), or the auditor's address with one epoch's secret given as
 * hex (secret_hex) or in a file (secret_file: 32 bytes hex, owner-only mode). */
struct settle_identity_cfg {
	const char *key_file, *auditor, *secret_hex, *secret_file;
};
struct settle_identity {
	struct audit_identity id; /* what the daemon takes; its arg points back here */
	struct chain_key *key;
	uint8_t secret[32];
};
/* Opens x in place (it must not move while open). The messages name the command-line
 * options. settle_identity_close wipes it, open or not. */
bool settle_identity_open(struct settle_identity *x, const struct settle_identity_cfg *c,
			  struct err *e) WARN_UNUSED;
void settle_identity_close(struct settle_identity *x);

#endif
