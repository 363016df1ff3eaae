/* eip712.h: EIP-191 personal messages and EIP-712 typed structured data hashing.
 *
 *   personal_sign digest = keccak("\x19Ethereum Signed Message:\n" || len || message)
 *   typed data digest    = keccak(0x19 0x01 || domainSeparator || hashStruct(message))
 *
 * Struct types are declared in their encodeType form ("Mail(Person from,Person to,string
 * contents)"); a struct value is a chain_abi_value tuple with one item per field, nested
 * structs as nested tuples and arrays as lists. Atomic fields are ABI words, bytes and
 * string are hashed, arrays hash the concatenation of their items' encodings. */
#ifndef ASSAY_CHAIN_EIP712_H
#define ASSAY_CHAIN_EIP712_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct buf;
struct err;
struct chain_abi_value;
struct chain_eip712_types;

/* EIP-191 version 0x45 ("personal_sign", what `cast wallet sign` signs by default). */
void chain_eip191_hash(const uint8_t *msg, size_t len, uint8_t out[32]);

/* The EIP712Domain fields; absent ones are left out of the domain type, in the
 * order the EIP gives (name, version, chainId, verifyingContract, salt). */
struct chain_eip712_domain {
	const char *name;    /* NULL: absent */
	const char *version; /* NULL: absent */
	bool has_chain_id;
	uint64_t chain_id;
	bool has_verifying_contract;
	uint8_t verifying_contract[20];
	bool has_salt;
	uint8_t salt[32];
};
void chain_eip712_domain_separator(const struct chain_eip712_domain *d, uint8_t out[32]);

struct chain_eip712_types *chain_eip712_types_new(void);
void chain_eip712_types_free(struct chain_eip712_types *t);
/* Declares one struct type: "Name(type1 name1,type2 name2,...)" (spaces after commas
 * are tolerated). Field types are ABI types, declared struct names, or arrays of either. */
bool chain_eip712_types_add(struct chain_eip712_types *t, const char *def, struct err *e) WARN_UNUSED;
/* encodeType: the primary type followed by the types it references, sorted by name. */
bool chain_eip712_encode_type(const struct chain_eip712_types *t, const char *primary,
			      struct buf *out, struct err *e) WARN_UNUSED;
bool chain_eip712_type_hash(const struct chain_eip712_types *t, const char *primary,
			    uint8_t out[32], struct err *e) WARN_UNUSED;
/* hashStruct(value) = keccak(typeHash || encodeData(value)). */
bool chain_eip712_hash_struct(const struct chain_eip712_types *t, const char *primary,
			      const struct chain_abi_value *value, uint8_t out[32],
			      struct err *e) WARN_UNUSED;
/* keccak(0x1901 || domain_separator || struct_hash). */
void chain_eip712_digest(const uint8_t domain_separator[32], const uint8_t struct_hash[32],
			 uint8_t out[32]);

/* The digest of typed data in the JSON form of eth_signTypedData_v4 (what wallets and
 * `cast wallet sign --data` take): {"types": {...}, "primaryType": "...", "domain": {...},
 * "message": {...}}. Integers may be JSON numbers or decimal/0x strings; bytes are 0x-hex.
 * Without an EIP712Domain entry in types, the domain type is made of the domain's fields
 * in the EIP's order. */
bool chain_eip712_hash_json(const char *json, size_t len, uint8_t digest[32], struct err *e) WARN_UNUSED;
/* The same from a file of at most 1 MiB (`assay chain sign --typed-data`); a digest error
 * names the file. */
bool chain_eip712_hash_file(const char *path, uint8_t digest[32], struct err *e) WARN_UNUSED;

#endif
