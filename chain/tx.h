/* tx.h: EIP-1559 (type 2) transactions: encoding, signing, decoding.
 *
 *   signing hash = keccak(0x02 || rlp([chain_id, nonce, max_priority_fee_per_gas,
 *                          max_fee_per_gas, gas_limit, to, value, data, access_list]))
 *   raw          = 0x02 || rlp([... the same nine ..., y_parity, r, s])
 *   tx hash      = keccak(raw)
 *
 * A chain_tx owns its data and access list (chain_tx_clear frees them), so a decoded
 * transaction and one built by a caller are handled the same way. */
#ifndef ASSAY_CHAIN_TX_H
#define ASSAY_CHAIN_TX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/u256.h"
#include "core/buf.h"
#include "core/util.h"

struct err;
struct chain_key;
struct chain_sig;

struct chain_access_entry {
	uint8_t address[20];
	uint8_t (*keys)[32];
	size_t nkeys;
};

struct chain_tx {
	uint64_t chain_id;
	uint64_t nonce;
	struct chain_u256 max_priority_fee_per_gas;
	struct chain_u256 max_fee_per_gas;
	uint64_t gas_limit;
	bool has_to;       /* false: contract creation */
	uint8_t to[20];
	struct chain_u256 value;
	struct buf data;   /* calldata or init code */
	struct chain_access_entry *access_list;
	size_t naccess;
};

/* Zeroes tx (an empty contract creation on chain 0) so fields can be filled in. */
void chain_tx_init(struct chain_tx *tx);
/* Frees data and the access list; tx can be reused after chain_tx_init. */
void chain_tx_clear(struct chain_tx *tx);
/* Appends an access list entry (copying keys). */
void chain_tx_add_access(struct chain_tx *tx, const uint8_t address[20], const uint8_t (*keys)[32],
			 size_t nkeys);

/* keccak(0x02 || rlp(fields)): what the sender signs. */
void chain_tx_signing_hash(const struct chain_tx *tx, uint8_t out[32]);
/* Appends 0x02 || rlp(fields + [y_parity, r, s]). */
void chain_tx_encode_signed(const struct chain_tx *tx, const struct chain_sig *sig, struct buf *out);
/* Signs tx with key and appends the raw transaction to raw; hash (may be NULL) receives
 * the transaction hash. */
bool chain_tx_sign(const struct chain_tx *tx, const struct chain_key *key, struct buf *raw,
		   uint8_t hash[32], struct err *e) WARN_UNUSED;
/* keccak(raw). */
void chain_tx_hash(const uint8_t *raw, size_t len, uint8_t out[32]);

/* Decodes a raw signed type-2 transaction (strict RLP, canonical integers). tx must be
 * initialized; on success the caller clears it. sig and from (the recovered sender, low s
 * required) may be NULL. */
bool chain_tx_decode(const uint8_t *raw, size_t len, struct chain_tx *tx, struct chain_sig *sig,
		     uint8_t from[20], struct err *e) WARN_UNUSED;

#endif
