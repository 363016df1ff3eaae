/* client.h: the storage-node API from the client side, shared by the publisher (blob put),
 * the reader (blob get) and peer recovery. Built on audit_http_request() (the auditor's
 * HTTP layer, with its caps, deadlines and transport classification); every answer is
 * parsed strictly and checked before it is returned. */
#ifndef ASSAY_NODE_CLIENT_H
#define ASSAY_NODE_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/bcs.h"
#include "audit/symbol.h"
#include "core/util.h"

struct err;

struct node_client {
	const char *url;        /* base URL, no trailing slash */
	const char *pinned_key; /* or NULL */
	uint64_t timeout_ms;
};

/* GET metadata, checked against the blob ID. */
bool node_client_get_metadata(const struct node_client *c, const uint8_t id[AUDIT_DIGEST_LEN],
			      struct audit_metadata **md, struct err *e) WARN_UNUSED;
/* PUT bare BlobMetadata. */
bool node_client_put_metadata(const struct node_client *c, const uint8_t id[AUDIT_DIGEST_LEN],
			      const struct audit_metadata *md, struct err *e) WARN_UNUSED;
/* PUT one sliver (SliverData with the sliver index of that axis). */
bool node_client_put_sliver(const struct node_client *c, const uint8_t id[AUDIT_DIGEST_LEN],
			    uint32_t pair, enum audit_proof_axis axis, uint16_t sliver_index,
			    const uint8_t *symbols, size_t len, uint16_t symbol_size,
			    struct err *e) WARN_UNUSED;
/* GET one sliver; *out is parsed but not verified (see node_sliver_verify()). */
bool node_client_get_sliver(const struct node_client *c, const uint8_t id[AUDIT_DIGEST_LEN],
			    uint32_t pair, enum audit_proof_axis axis, struct audit_sliver **out,
			    struct err *e) WARN_UNUSED;
/* GET recovery symbols for ids on an axis (parsed, not verified). */
bool node_client_get_symbols(const struct node_client *c, const uint8_t id[AUDIT_DIGEST_LEN],
			     const struct audit_symbol_id *ids, size_t count,
			     enum audit_proof_axis axis, struct audit_recovery_symbols **out,
			     struct err *e) WARN_UNUSED;

/* A storage confirmation: the node key's EIP-712 signature over
 * StorageConfirmation(bytes32 blobId, uint64 epoch). */
struct node_confirmation {
	uint64_t epoch;
	uint8_t signer[20];
	uint8_t signature[65]; /* r ‖ s ‖ v (27/28) */
};
/* GET the confirmation and check the signature recovers to its claimed signer (and to
 * expected_signer when not NULL) under the given domain. */
bool node_client_get_confirmation(const struct node_client *c,
				  const uint8_t id[AUDIT_DIGEST_LEN], uint64_t chain_id,
				  const uint8_t registry[20], const uint8_t *expected_signer,
				  struct node_confirmation *out, struct err *e) WARN_UNUSED;

/* The EIP-712 digest a node signs to confirm storage (BlobRegistry.confirmationDigest). */
void node_confirmation_digest(const uint8_t id[AUDIT_DIGEST_LEN], uint64_t epoch,
			      uint64_t chain_id, const uint8_t registry[20], uint8_t out[32]);

#endif
