#include "encoding.h"
#include "buf.h"
#include "err.h"

#include <string.h>

static const char hexdigits[] = "0123456789abcdef";

void hex_encode(char *out, const uint8_t *data, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hexdigits[data[i] >> 4];
		out[2 * i + 1] = hexdigits[data[i] & 15];
	}
	out[2 * len] = '\0';
}

char *hex_encode_0x_new(const uint8_t *data, size_t len)
{
	char *s = xmalloc(2 * len + 3);
	s[0] = '0';
	s[1] = 'x';
	hex_encode(s + 2, data, len);
	return s;
}

int hex_digit_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char *skip_0x(const char *hex)
{
	if (hex[0] == '0' && (hex[1] == 'x' || hex[1] == 'X'))
		return hex + 2;
	return hex;
}

static bool decode_into(uint8_t *out, const char *h, size_t nbytes, struct err *e)
{
	for (size_t i = 0; i < nbytes; i++) {
		int hi = hex_digit_value(h[2 * i]), lo = hex_digit_value(h[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return err_set(e, "invalid hex digit at position %zu", 2 * i + (hi < 0 ? 0 : 1));
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool hex_decode_exact(uint8_t *out, size_t out_len, const char *hex, struct err *e)
{
	const char *h = skip_0x(hex);
	size_t n = strlen(h);
	if (n != 2 * out_len)
		return err_set(e, "expected %zu hex digits, got %zu", 2 * out_len, n);
	return decode_into(out, h, out_len, e);
}

bool hex_decode_buf(struct buf *b, const char *hex, struct err *e)
{
	const char *h = skip_0x(hex);
	size_t n = strlen(h);
	if (n % 2)
		return err_set(e, "hex string has an odd number of digits (%zu)", n);
	buf_reserve(b, n / 2);
	if (!decode_into(b->data + b->len, h, n / 2, e))
		return false;
	b->len += n / 2;
	return true;
}

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

size_t base64url_encoded_len(size_t len)
{
	return len / 3 * 4 + (len % 3 ? len % 3 + 1 : 0);
}

void base64url_encode(char *out, const uint8_t *data, size_t len)
{
	size_t o = 0, i = 0;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)data[i] << 16;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
	}
	out[o] = '\0';
}

static int b64val(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;
	return p ? (int)(p - b64url) : -1;
}

bool base64url_decode(struct buf *out, const char *text, struct err *e)
{
	size_t n = strlen(text);
	if (n % 4 == 1)
		return err_set(e, "base64 text has an impossible length (%zu)", n);
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val(text[i]);
		if (v < 0)
			return err_set(e, "invalid URL-safe base64 character at position %zu", i);
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_append_byte(out, (uint8_t)(acc >> bits));
			acc &= (1u << bits) - 1;
		}
	}
	if (acc != 0)
		return err_set(e, "base64 text is not canonical (non-zero trailing bits)");
	return true;
}

void json_string_append(struct buf *b, const char *s)
{
	buf_append_byte(b, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			buf_printf(b, "\\%c", ch);
		else if (ch < 0x20)
			buf_printf(b, "\\u%04x", ch);
		else
			buf_append_byte(b, ch);
	}
	buf_append_byte(b, '"');
}

void json_string_write(FILE *f, const char *s)
{
	struct buf b = BUF_INIT;
	json_string_append(&b, s);
	fwrite(b.data, 1, b.len, f);
	buf_free(&b);
}
