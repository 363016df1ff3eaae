/* key.h: secp256k1 signing keys and Ethereum signatures.
 *
 * A chain_key holds a private key; it comes from a file of mode 0600 (or stricter) or
 * from an environment variable, holding 0x-hex. It is wiped when freed and never appears
 * in a log line or an error message. One randomized secp256k1 context serves the whole
 * process (created on first use, thread-safe).
 *
 * Signatures are recoverable (r, s, y parity) over a 32-byte digest, with low s (EIP-2);
 * recovering or verifying someone else's signature refuses high s. */
#ifndef ASSAY_CHAIN_KEY_H
#define ASSAY_CHAIN_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct err;
struct chain_key;

struct chain_sig {
	uint8_t r[32];
	uint8_t s[32];
	uint8_t y_parity; /* 0 or 1 (v = 27 + y_parity in the 65-byte form) */
};

/* From a file holding 0x-hex (64 digits; a trailing newline is fine). The file must not
 * be readable or writable by group or others. */
bool chain_key_from_file(struct chain_key **out, const char *path, struct err *e) WARN_UNUSED;
/* From the environment variable named var. */
bool chain_key_from_env(struct chain_key **out, const char *var, struct err *e) WARN_UNUSED;
/* From the file when one is named, else from the environment variable env: the two ways
 * a command is given a key (--key-file, --key-env). */
bool chain_key_load(struct chain_key **out, const char *file, const char *env,
		    struct err *e) WARN_UNUSED;
/* From hex text (optional 0x) or 32 raw bytes; for tests and callers that hold the
 * secret already. */
bool chain_key_from_hex(struct chain_key **out, const char *hex, struct err *e) WARN_UNUSED;
bool chain_key_from_bytes(struct chain_key **out, const uint8_t secret[32], struct err *e) WARN_UNUSED;
/* Wipes and frees; NULL is fine. */
void chain_key_free(struct chain_key *k);

/* The key's Ethereum address: last 20 bytes of keccak(uncompressed public key[1:]). */
void chain_key_address(const struct chain_key *k, uint8_t out[20]);
/* The 64-byte uncompressed public key without its 0x04 prefix. */
void chain_key_pubkey(const struct chain_key *k, uint8_t out[64]);

/* Signs a 32-byte digest (deterministic nonce, RFC 6979; low s). */
bool chain_key_sign(const struct chain_key *k, const uint8_t digest[32], struct chain_sig *sig,
		    struct err *e) WARN_UNUSED;

/* The address that signed digest. Refuses high s, r or s zero or out of range. */
bool chain_sig_recover(const uint8_t digest[32], const struct chain_sig *sig, uint8_t addr[20],
		       struct err *e) WARN_UNUSED;
/* True when sig is a valid low-s signature of digest by addr. */
bool chain_sig_verify(const uint8_t digest[32], const struct chain_sig *sig, const uint8_t addr[20],
		      struct err *e) WARN_UNUSED;
/* The 65-byte r || s || v form with v = 27 + y parity (what personal_sign and ecrecover
 * callers expect), and back (v may be 27/28 or 0/1). */
void chain_sig_to_65(const struct chain_sig *sig, uint8_t out[65]);
bool chain_sig_from_65(struct chain_sig *sig, const uint8_t in[65], struct err *e) WARN_UNUSED;

/* Address from a 64-byte public key (x || y). */
void chain_pubkey_to_address(const uint8_t pub[64], uint8_t out[20]);

#endif
