/* encoding.h: hex and URL-safe base64 (no padding), the text forms of hashes, keys and blob IDs. */
#ifndef ASSAY_CORE_ENCODING_H
#define ASSAY_CORE_ENCODING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "util.h"

struct err;
struct buf;

/* The value of one hex digit (either case), or -1. */
int hex_digit_value(char c);
/* Lowercase hex of len bytes into out (2*len+1 bytes, NUL-terminated). */
void hex_encode(char *out, const uint8_t *data, size_t len);
/* Returns a malloc'd "0x"-prefixed lowercase hex string. */
char *hex_encode_0x_new(const uint8_t *data, size_t len);
/* Decode hex (optional 0x prefix, either case) of exactly out_len bytes. */
bool hex_decode_exact(uint8_t *out, size_t out_len, const char *hex, struct err *e) WARN_UNUSED;
/* Decode hex (optional 0x prefix) of any even length, appending to b. */
bool hex_decode_buf(struct buf *b, const char *hex, struct err *e) WARN_UNUSED;

/* URL-safe base64 without padding (RFC 4648 §5), as Walrus prints blob IDs. */
size_t base64url_encoded_len(size_t len);
void base64url_encode(char *out, const uint8_t *data, size_t len); /* out: encoded_len+1 */
/* Strict: rejects padding, other alphabets, and non-canonical trailing bits. */
bool base64url_decode(struct buf *out, const char *text, struct err *e) WARN_UNUSED;

/* s as a JSON string: quotes, backslashes and control characters (as \u00XX) escaped.
 * For text from outside, such as an endpoint an operator registered on chain. Appended
 * to b, or written to f. */
void json_string_append(struct buf *b, const char *s);
void json_string_write(FILE *f, const char *s);

#endif
