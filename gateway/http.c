/* http.c: Range, conditional requests and content sniffing (see http.h). */
#include "gateway/http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static bool is_ows(char c)
{
	return c == ' ' || c == '\t';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Digits at *p into *v, saturating at UINT64_MAX; false when there are none. */
static bool read_digits(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	if (!is_digit(*s))
		return false;
	for (; is_digit(*s); s++) {
		uint64_t d = (uint64_t)(*s - '0');
		x = x > (UINT64_MAX - d) / 10 ? UINT64_MAX : x * 10 + d;
	}
	*p = s;
	*v = x;
	return true;
}

static int cmp_range(const void *a, const void *b)
{
	const struct gateway_range *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

enum gateway_range_kind gateway_range_parse(const char *header, uint64_t len,
					    struct gateway_range *out)
{
	struct gateway_range r[GATEWAY_MAX_RANGES];
	size_t nr = 0, nspecs = 0;
	if (!header)
		return GATEWAY_RANGE_NONE;
	const char *p = header;
	while (is_ows(*p))
		p++;
	if (strncasecmp(p, "bytes", 5) != 0)
		return GATEWAY_RANGE_NONE;
	p += 5;
	while (is_ows(*p))
		p++;
	if (*p++ != '=')
		return GATEWAY_RANGE_NONE;
	for (;;) {
		while (is_ows(*p))
			p++;
		if (*p == ',') { /* an empty list element */
			p++;
			continue;
		}
		if (*p == '\0')
			break;
		uint64_t a, b;
		if (*p == '-') { /* suffix-range */
			p++;
			if (!read_digits(&p, &b))
				return GATEWAY_RANGE_NONE;
			nspecs++;
			if (b > 0 && len > 0) {
				if (nr == GATEWAY_MAX_RANGES)
					return GATEWAY_RANGE_NONE;
				r[nr].first = b >= len ? 0 : len - b;
				r[nr].last = len - 1;
				nr++;
			}
		} else {
			if (!read_digits(&p, &a) || *p++ != '-')
				return GATEWAY_RANGE_NONE;
			bool has_last = read_digits(&p, &b);
			if (has_last && b < a)
				return GATEWAY_RANGE_NONE; /* invalid: the whole header is ignored */
			nspecs++;
			if (a < len) {
				if (nr == GATEWAY_MAX_RANGES)
					return GATEWAY_RANGE_NONE;
				r[nr].first = a;
				r[nr].last = !has_last || b >= len ? len - 1 : b;
				nr++;
			}
		}
		if (nspecs > GATEWAY_MAX_RANGES)
			return GATEWAY_RANGE_NONE;
		while (is_ows(*p))
			p++;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p != '\0')
			return GATEWAY_RANGE_NONE;
		break;
	}
	if (nspecs == 0)
		return GATEWAY_RANGE_NONE;
	if (nr == 0)
		return GATEWAY_RANGE_UNSATISFIABLE;
	qsort(r, nr, sizeof(r[0]), cmp_range);
	size_t m = 0;
	for (size_t i = 1; i < nr; i++) {
		/* overlapping or adjacent: one range (last + 1 cannot overflow: last < len) */
		if (r[i].first <= r[m].last + 1) {
			if (r[i].last > r[m].last)
				r[m].last = r[i].last;
		} else {
			r[++m] = r[i];
		}
	}
	if (m > 0)
		return GATEWAY_RANGE_MULTI;
	*out = r[0];
	return GATEWAY_RANGE_ONE;
}

/* Next entity-tag in a list at *p: sets [*tag, *tag + *tlen) to the opaque-tag with its
 * quotes, *weak when W/ precedes it. False at the end or on a malformed list. */
static bool next_etag(const char **p, const char **tag, size_t *tlen, bool *weak)
{
	const char *s = *p;
	while (is_ows(*s) || *s == ',')
		s++;
	if (*s == '\0')
		return false;
	*weak = false;
	if (s[0] == 'W' && s[1] == '/') {
		*weak = true;
		s += 2;
	}
	if (*s != '"')
		return false;
	const char *q = strchr(s + 1, '"');
	if (!q)
		return false;
	*tag = s;
	*tlen = (size_t)(q + 1 - s);
	*p = q + 1;
	return true;
}

bool gateway_etag_none_match(const char *inm, const char *etag)
{
	if (!inm)
		return false;
	const char *p = inm;
	while (is_ows(*p))
		p++;
	if (*p == '*')
		return true;
	size_t el = strlen(etag);
	const char *t;
	size_t tl;
	bool weak;
	while (next_etag(&p, &t, &tl, &weak))
		if (tl == el && memcmp(t, etag, el) == 0)
			return true; /* weak comparison: W/ does not matter */
	return false;
}

bool gateway_if_range_match(const char *if_range, const char *etag)
{
	if (!if_range)
		return true; /* no condition */
	const char *p = if_range, *t;
	size_t tl;
	bool weak;
	if (!next_etag(&p, &t, &tl, &weak) || weak)
		return false; /* a date, or a weak tag: never a strong match */
	while (is_ows(*p))
		p++;
	return *p == '\0' && tl == strlen(etag) && memcmp(t, etag, tl) == 0;
}

/* ---- sniffing ---- */

static bool starts(const uint8_t *d, size_t n, const void *magic, size_t m)
{
	return n >= m && memcmp(d, magic, m) == 0;
}

static bool at(const uint8_t *d, size_t n, size_t off, const void *magic, size_t m)
{
	return n >= off + m && memcmp(d + off, magic, m) == 0;
}

/* Valid UTF-8 with no control characters but tab, CR, LF, FF; a sequence cut at the end
 * of the sample is fine. */
static bool looks_text(const uint8_t *d, size_t n)
{
	size_t i = 0;
	while (i < n) {
		uint8_t c = d[i];
		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' && c != '\f')
				return false;
			if (c == 0x7f)
				return false;
			i++;
			continue;
		}
		size_t k = c >= 0xf0 && c <= 0xf4 ? 3 : c >= 0xe0 ? 2 : c >= 0xc2 && c < 0xe0 ? 1 : 0;
		if (k == 0 || c > 0xf4)
			return false;
		for (size_t j = 1; j <= k; j++) {
			if (i + j >= n)
				return true; /* cut by the sample */
			if ((d[i + j] & 0xc0) != 0x80)
				return false;
		}
		i += k + 1;
	}
	return true;
}

static bool ci_prefix(const uint8_t *d, size_t n, const char *word)
{
	size_t m = strlen(word);
	if (n < m)
		return false;
	for (size_t i = 0; i < m; i++) {
		uint8_t c = d[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c + 32);
		if (c != (uint8_t)word[i])
			return false;
	}
	return true;
}

const char *gateway_sniff(const uint8_t *d, size_t n)
{
	if (n > GATEWAY_SNIFF_BYTES)
		n = GATEWAY_SNIFF_BYTES;
	if (starts(d, n, "\x89PNG\r\n\x1a\n", 8))
		return "image/png";
	if (starts(d, n, "\xff\xd8\xff", 3))
		return "image/jpeg";
	if (starts(d, n, "GIF87a", 6) || starts(d, n, "GIF89a", 6))
		return "image/gif";
	if (starts(d, n, "RIFF", 4) && at(d, n, 8, "WEBP", 4))
		return "image/webp";
	if (starts(d, n, "RIFF", 4) && at(d, n, 8, "WAVE", 4))
		return "audio/wav";
	if (starts(d, n, "RIFF", 4) && at(d, n, 8, "AVI ", 4))
		return "video/x-msvideo";
	if (starts(d, n, "BM", 2) && n >= 14)
		return "image/bmp";
	if (starts(d, n, "\x00\x00\x01\x00", 4))
		return "image/x-icon";
	if (at(d, n, 4, "ftyp", 4)) {
		if (at(d, n, 8, "avif", 4) || at(d, n, 8, "avis", 4))
			return "image/avif";
		if (at(d, n, 8, "heic", 4) || at(d, n, 8, "heix", 4) || at(d, n, 8, "mif1", 4))
			return "image/heic";
		if (at(d, n, 8, "M4A ", 4))
			return "audio/mp4";
		if (at(d, n, 8, "qt  ", 4))
			return "video/quicktime";
		return "video/mp4";
	}
	if (starts(d, n, "\x1a\x45\xdf\xa3", 4))
		return "video/webm";
	if (starts(d, n, "OggS", 4))
		return "audio/ogg";
	if (starts(d, n, "fLaC", 4))
		return "audio/flac";
	if (starts(d, n, "ID3", 3) || (n >= 2 && d[0] == 0xff && (d[1] & 0xe0) == 0xe0))
		return "audio/mpeg";
	if (starts(d, n, "%PDF-", 5))
		return "application/pdf";
	if (starts(d, n, "PK\x03\x04", 4))
		return "application/zip";
	if (starts(d, n, "\x1f\x8b", 2))
		return "application/gzip";
	if (starts(d, n, "\x00" "asm", 4))
		return "application/wasm";
	if (starts(d, n, "wOFF", 4))
		return "font/woff";
	if (starts(d, n, "wOF2", 4))
		return "font/woff2";
	/* text: skip a UTF-8 BOM and leading whitespace */
	size_t i = starts(d, n, "\xef\xbb\xbf", 3) ? 3 : 0;
	while (i < n && (d[i] == ' ' || d[i] == '\t' || d[i] == '\r' || d[i] == '\n'))
		i++;
	const uint8_t *t = d + i;
	size_t tn = n - i;
	if (!looks_text(d, n))
		return "application/octet-stream";
	if (ci_prefix(t, tn, "<!doctype html") || ci_prefix(t, tn, "<html") ||
	    ci_prefix(t, tn, "<head") || ci_prefix(t, tn, "<body") || ci_prefix(t, tn, "<script") ||
	    ci_prefix(t, tn, "<!--"))
		return "text/html; charset=utf-8";
	if (ci_prefix(t, tn, "<svg") ||
	    (ci_prefix(t, tn, "<?xml") && tn >= 5 && memmem(t, tn, "<svg", 4) != NULL))
		return "image/svg+xml";
	if (ci_prefix(t, tn, "<?xml"))
		return "application/xml";
	if (tn > 0 && (t[0] == '{' || t[0] == '['))
		return "application/json";
	if (n == 0)
		return "application/octet-stream";
	return "text/plain; charset=utf-8";
}

static bool is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) ||
	       (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

bool gateway_media_type_ok(const char *s)
{
	size_t n = strlen(s), i = 0;
	if (n == 0 || n > 127)
		return false;
	for (size_t k = 0; k < n; k++)
		if ((unsigned char)s[k] < 0x20 || (unsigned char)s[k] > 0x7e)
			return false;
	while (i < n && is_tchar(s[i]))
		i++;
	if (i == 0 || s[i] != '/')
		return false;
	size_t j = ++i;
	while (i < n && is_tchar(s[i]))
		i++;
	if (i == j)
		return false;
	/* parameters: printable already; no quotes games needed for a header value */
	return i == n || s[i] == ';' || s[i] == ' ';
}

bool gateway_content_disposition(const char *name, bool attachment, char *out, size_t n)
{
	size_t len = strlen(name);
	if (len == 0 || len > 255 || !looks_text((const uint8_t *)name, len))
		return false;
	char safe[256], enc[3 * 255 + 1];
	size_t s = 0, q = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c < 0x20 || c == 0x7f)
			return false;
		/* the quoted form: ASCII only, without quote, backslash, or path separators */
		safe[s++] = c >= 0x80 || c == '"' || c == '\\' || c == '/' ? '_' : (char)c;
		/* RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~" */
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit((char)c) ||
		    strchr("!#$&+-.^_`|~", (char)c))
			enc[q++] = (char)c;
		else
			q += (size_t)snprintf(enc + q, sizeof(enc) - q, "%%%02X", c);
	}
	safe[s] = '\0';
	enc[q] = '\0';
	int w = snprintf(out, n, "%s; filename=\"%s\"; filename*=UTF-8''%s",
			 attachment ? "attachment" : "inline", safe, enc);
	return w > 0 && (size_t)w < n;
}
