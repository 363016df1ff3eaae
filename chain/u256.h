/* u256.h: 256-bit unsigned integers for EVM values (wei amounts, uint256/int256 ABI words).
 *
 * Four little-endian 64-bit limbs. Signed values (intN) are kept in two's complement over
 * 256 bits, exactly as the EVM stores them; the _i256 functions read them that way. */
#ifndef ASSAY_CHAIN_U256_H
#define ASSAY_CHAIN_U256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

struct json_t;
struct err;

struct chain_u256 {
	uint64_t w[4]; /* w[0] least significant */
};

/* Enough for "-" and 78 decimal digits, or "0x" and 64 hex digits, and the NUL. */
#define CHAIN_U256_STRLEN 80

void chain_u256_from_u64(struct chain_u256 *out, uint64_t v);
/* Decimal or 0x/0X hex, no sign, no whitespace; the whole string must be used. */
bool chain_u256_parse(struct chain_u256 *out, const char *s, struct err *e) WARN_UNUSED;
/* Like chain_u256_parse, also accepting a leading '-' (stored as two's complement).
 * bits (8..256) bounds the range to that of intN; negative hex is refused. */
bool chain_i256_parse(struct chain_u256 *out, const char *s, unsigned bits, struct err *e) WARN_UNUSED;
/* Big-endian bytes, len <= 32 (shorter input is the low bytes). */
void chain_u256_from_be(struct chain_u256 *out, const uint8_t *be, size_t len);
void chain_u256_to_be(const struct chain_u256 *v, uint8_t out[32]);
/* Minimal big-endian bytes (0 → 0 bytes), as RLP wants integers; returns the length. */
size_t chain_u256_to_be_min(const struct chain_u256 *v, uint8_t out[32]);
void chain_u256_to_dec(const struct chain_u256 *v, char out[CHAIN_U256_STRLEN]);
/* The decimal form as a new JSON string (amounts exceed JSON's safe integers). */
struct json_t *chain_u256_json(const struct chain_u256 *v);
/* The two's complement value as signed decimal ("-1" for all ones). */
void chain_i256_to_dec(const struct chain_u256 *v, char out[CHAIN_U256_STRLEN]);
/* "0x" and minimal lowercase hex ("0x0" for zero), as JSON-RPC quantities are written. */
void chain_u256_to_hex(const struct chain_u256 *v, char out[CHAIN_U256_STRLEN]);

bool chain_u256_is_zero(const struct chain_u256 *v);
int chain_u256_cmp(const struct chain_u256 *a, const struct chain_u256 *b);
/* The value fits in 64 bits; then *out holds it. */
bool chain_u256_to_u64(const struct chain_u256 *v, uint64_t *out) WARN_UNUSED;
/* Number of significant bits (0 for zero). */
unsigned chain_u256_bits(const struct chain_u256 *v);
/* Fits in uintN / intN (two's complement, sign-extended to 256 bits). */
bool chain_u256_fits_uint(const struct chain_u256 *v, unsigned bits);
bool chain_i256_fits_int(const struct chain_u256 *v, unsigned bits);
bool chain_i256_is_negative(const struct chain_u256 *v);

/* Arithmetic modulo 2^256; the return value says whether it wrapped (carry, borrow,
 * overflow), so callers that must not wrap can refuse. out may alias the inputs. */
bool chain_u256_add(struct chain_u256 *out, const struct chain_u256 *a, const struct chain_u256 *b);
bool chain_u256_sub(struct chain_u256 *out, const struct chain_u256 *a, const struct chain_u256 *b);
bool chain_u256_mul(struct chain_u256 *out, const struct chain_u256 *a, const struct chain_u256 *b);
bool chain_u256_mul_small(struct chain_u256 *out, const struct chain_u256 *a, uint64_t m);
/* out = a / d, returns a % d; d must not be 0. */
uint64_t chain_u256_div_small(struct chain_u256 *out, const struct chain_u256 *a, uint64_t d);
/* Two's complement negation. */
void chain_u256_neg(struct chain_u256 *out, const struct chain_u256 *a);

#endif
