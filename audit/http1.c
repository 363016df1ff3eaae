/* http1.c: audit/http1.h. */
#include "audit/http1.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/challenge.h"
#include "core/util.h"

enum {
	S_STATUS,     /* the status line */
	S_HEADER,     /* header lines, up to the empty one */
	S_BODY_LEN,   /* left bytes of a Content-Length body */
	S_BODY_CLOSE, /* a body up to the close */
	S_CHUNK_SIZE, /* a chunk-size line */
	S_CHUNK_DATA, /* left bytes of a chunk */
	S_CHUNK_END,  /* the CRLF after a chunk's data */
	S_TRAILER,    /* trailer lines, up to the empty one */
	S_DONE,
};

void audit_http1_init(struct audit_http1 *p, size_t max_body)
{
	memset(p, 0, offsetof(struct audit_http1, line));
	p->max_body = max_body;
	p->state = S_STATUS;
}

void audit_http1_clear(struct audit_http1 *p)
{
	free(p->body);
	p->body = NULL;
	p->body_len = p->body_cap = 0;
}

static enum audit_http1_step bad(struct audit_http1 *p, const char *why)
{
	snprintf(p->why, sizeof(p->why), "%s", why);
	return AUDIT_HTTP1_BAD;
}

static void reserve(struct audit_http1 *p, size_t want)
{
	if (want <= p->body_cap)
		return;
	p->body = xrealloc(p->body, want);
	p->body_cap = want;
}

static enum audit_http1_step body_add(struct audit_http1 *p, const uint8_t *d, size_t n)
{
	p->body_bytes += n;
	if (n > p->max_body - p->body_len) {
		snprintf(p->why, sizeof(p->why), "response body larger than the cap (%zu bytes)",
			 p->max_body);
		return AUDIT_HTTP1_TOO_LARGE;
	}
	if (p->body_len + n + 1 > p->body_cap) {
		size_t cap = p->body_cap ? p->body_cap * 2 : 16384;
		if (cap < p->body_len + n + 1)
			cap = p->body_len + n + 1;
		if (cap > p->max_body + 1)
			cap = p->max_body + 1;
		reserve(p, cap);
	}
	memcpy(p->body + p->body_len, d, n);
	p->body_len += n;
	return AUDIT_HTTP1_MORE;
}

/* Gathers a line into p->line: 1 when one is complete (CR LF or LF stripped, NUL-ended,
 * p->line_len its length), 0 when in[*i..len) ended first, -1 when it is longer than
 * AUDIT_HTTP1_MAX_LINE, -2 when the head (or trailer) passes AUDIT_HTTP1_MAX_HEAD. */
static int take_line(struct audit_http1 *p, const uint8_t *in, size_t len, size_t *i, bool head)
{
	const uint8_t *nl = memchr(in + *i, '\n', len - *i);
	size_t n = (nl ? (size_t)(nl - in) : len) - *i;
	if (head && p->head_len + n + 1 > AUDIT_HTTP1_MAX_HEAD)
		return -2;
	if (p->line_len + n >= sizeof(p->line))
		return -1;
	memcpy(p->line + p->line_len, in + *i, n);
	p->line_len += n;
	p->head_len += n + (nl ? 1 : 0);
	*i += n + (nl ? 1 : 0);
	if (!nl)
		return 0;
	if (p->line_len && p->line[p->line_len - 1] == '\r')
		p->line_len--;
	p->line[p->line_len] = '\0';
	return 1;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static enum audit_http1_step status_line(struct audit_http1 *p)
{
	const char *l = p->line;
	if (p->line_len < 12 || strncmp(l, "HTTP/1.", 7) || (l[7] != '0' && l[7] != '1') ||
	    l[8] != ' ' || !is_digit(l[9]) || !is_digit(l[10]) || !is_digit(l[11]) ||
	    (l[12] != '\0' && l[12] != ' '))
		return bad(p, "the response does not begin with an HTTP/1.x status line");
	p->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
	if (p->status < 100 || p->status > 599)
		return bad(p, "the response's status code is out of range");
	p->http10 = l[7] == '0';
	p->state = S_HEADER;
	return AUDIT_HTTP1_MORE;
}

/* A token of the Connection header (comma-separated, case-insensitive). */
static bool has_token(const char *v, const char *tok)
{
	size_t tl = strlen(tok);
	while (*v) {
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		size_t n = strcspn(v, ",");
		size_t m = n;
		while (m && (v[m - 1] == ' ' || v[m - 1] == '\t'))
			m--;
		if (m == tl && !strncasecmp(v, tok, tl))
			return true;
		v += n;
	}
	return false;
}

static enum audit_http1_step header_line(struct audit_http1 *p)
{
	char *l = p->line;
	if (l[0] == ' ' || l[0] == '\t')
		return bad(p, "the response folds a header over lines (obsolete, refused)");
	char *colon = strchr(l, ':');
	if (!colon || colon == l)
		return bad(p, "the response has a header line without a name and a colon");
	for (char *c = l; c < colon; c++)
		if (*c <= ' ' || *c >= 0x7f || strchr("\"(),/;<=>?@[\\]{}", *c))
			return bad(p, "the response has a header name that is not a token");
	*colon = '\0';
	char *v = colon + 1;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t vl = strlen(v);
	while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t'))
		v[--vl] = '\0';
	if (!strcasecmp(l, "content-length")) {
		uint64_t n = 0;
		if (!vl || vl > 18)
			return bad(p, "the response's Content-Length is not a number");
		for (size_t i = 0; i < vl; i++) {
			if (!is_digit(v[i]))
				return bad(p, "the response's Content-Length is not a number");
			n = n * 10 + (uint64_t)(v[i] - '0');
		}
		if (p->saw_length && n != p->left)
			return bad(p, "the response has two different Content-Lengths");
		p->saw_length = true;
		p->left = n;
	} else if (!strcasecmp(l, "transfer-encoding")) {
		if (strcasecmp(v, "chunked"))
			return bad(p, "the response uses a transfer coding other than chunked");
		p->chunked = true;
	} else if (!strcasecmp(l, "connection")) {
		p->saw_conn_close |= has_token(v, "close");
		p->saw_keep_alive |= has_token(v, "keep-alive");
	} else if (!strcasecmp(l, "content-type")) {
		audit_header_value_copy(p->content_type, sizeof(p->content_type), v, vl);
	} else if (!strcasecmp(l, "retry-after")) {
		audit_header_value_copy(p->retry_after, sizeof(p->retry_after), v, vl);
	}
	return AUDIT_HTTP1_MORE;
}

/* The empty line after the headers: how the body is framed. */
static enum audit_http1_step head_end(struct audit_http1 *p)
{
	if (p->status >= 100 && p->status < 200) {
		if (p->status == 101)
			return bad(p, "the node switched protocols (101), which nobody asked for");
		/* An interim response: the real one follows. */
		p->state = S_STATUS;
		p->saw_length = p->chunked = p->saw_conn_close = p->saw_keep_alive = false;
		p->left = 0;
		p->content_type[0] = p->retry_after[0] = '\0';
		return AUDIT_HTTP1_MORE;
	}
	p->head_done = true;
	p->keep_alive = !p->saw_conn_close && (!p->http10 || p->saw_keep_alive);
	if (p->status == 204 || p->status == 304) {
		p->state = S_DONE;
	} else if (p->chunked) {
		p->saw_length = false; /* chunked framing wins (RFC 9112 6.3) */
		p->state = S_CHUNK_SIZE;
	} else if (p->saw_length) {
		/* A length past the cap is refused when the bytes pass it, not on the node's
		 * word: a body cut short before the cap is a cut, as libcurl sees it. */
		reserve(p, (size_t)(p->left < p->max_body ? p->left : p->max_body) + 1);
		p->state = p->left ? S_BODY_LEN : S_DONE;
	} else {
		p->until_close = true;
		p->keep_alive = false;
		p->state = S_BODY_CLOSE;
	}
	if (p->state == S_DONE) {
		reserve(p, 1);
		p->body[p->body_len] = '\0';
		return AUDIT_HTTP1_DONE;
	}
	return AUDIT_HTTP1_MORE;
}

static enum audit_http1_step chunk_size(struct audit_http1 *p)
{
	uint64_t n = 0;
	size_t i = 0;
	for (; i < p->line_len; i++) {
		char c = p->line[i];
		int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10
					    : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
		if (d < 0)
			break;
		if (i >= 15)
			return bad(p, "the response's chunk size is too large");
		n = n * 16 + (uint64_t)d;
	}
	if (i == 0 || (i < p->line_len && p->line[i] != ';' && p->line[i] != ' ' &&
		       p->line[i] != '\t'))
		return bad(p, "the response's chunked coding has a malformed chunk size");
	p->left = n;
	p->state = n ? S_CHUNK_DATA : S_TRAILER;
	if (!n)
		p->head_len = 0; /* the trailer's own bound */
	return AUDIT_HTTP1_MORE;
}

static enum audit_http1_step done(struct audit_http1 *p)
{
	p->state = S_DONE;
	reserve(p, p->body_len + 1);
	p->body[p->body_len] = '\0';
	return AUDIT_HTTP1_DONE;
}

enum audit_http1_step audit_http1_feed(struct audit_http1 *p, const uint8_t *in, size_t len,
				       size_t *used)
{
	size_t i = 0;
	enum audit_http1_step st = AUDIT_HTTP1_MORE;
	while (st == AUDIT_HTTP1_MORE && p->state != S_DONE && i < len) {
		switch (p->state) {
		case S_STATUS:
		case S_HEADER:
		case S_CHUNK_SIZE:
		case S_CHUNK_END:
		case S_TRAILER: {
			bool head = p->state == S_STATUS || p->state == S_HEADER ||
				    p->state == S_TRAILER;
			int r = take_line(p, in, len, &i, head);
			if (r == -2) {
				st = bad(p, "the response's headers are larger than the auditor "
					    "accepts (16 KiB)");
				break;
			}
			if (r < 0) {
				st = bad(p, head ? "the response has a header line longer than the "
						   "auditor accepts (4 KiB)"
						 : "the response's chunked coding has an overlong line");
				break;
			}
			if (r == 0)
				break;
			size_t ll = p->line_len;
			if (p->state == S_STATUS)
				st = status_line(p);
			else if (p->state == S_HEADER)
				st = ll ? header_line(p) : head_end(p);
			else if (p->state == S_CHUNK_SIZE)
				st = chunk_size(p);
			else if (p->state == S_CHUNK_END)
				st = ll ? bad(p, "the response's chunk is longer than its size")
					: (p->state = S_CHUNK_SIZE, AUDIT_HTTP1_MORE);
			else if (!ll)
				st = done(p);
			p->line_len = 0;
			break;
		}
		case S_BODY_LEN:
		case S_CHUNK_DATA: {
			size_t n = len - i < p->left ? len - i : (size_t)p->left;
			st = body_add(p, in + i, n);
			i += n;
			p->left -= n;
			if (st == AUDIT_HTTP1_MORE && !p->left) {
				if (p->state == S_BODY_LEN)
					st = done(p);
				else
					p->state = S_CHUNK_END;
			}
			break;
		}
		case S_BODY_CLOSE:
			st = body_add(p, in + i, len - i);
			i = len;
			break;
		}
	}
	*used = i;
	if (st == AUDIT_HTTP1_MORE && p->state == S_DONE)
		st = AUDIT_HTTP1_DONE;
	return st;
}

enum audit_http1_step audit_http1_eof(struct audit_http1 *p)
{
	switch (p->state) {
	case S_DONE:
		return AUDIT_HTTP1_DONE;
	case S_BODY_CLOSE:
		return done(p);
	case S_STATUS:
		if (!p->head_len)
			return bad(p, "the node closed the connection without answering");
		return bad(p, "the node closed the connection in the middle of the status line");
	case S_HEADER:
		return bad(p, "the node closed the connection before the headers ended");
	case S_BODY_LEN:
		snprintf(p->why, sizeof(p->why),
			 "the node closed the connection %zu bytes into a body of %llu", p->body_len,
			 (unsigned long long)(p->body_len + p->left));
		return AUDIT_HTTP1_BAD;
	default:
		return bad(p, "the node closed the connection in the middle of the chunked body");
	}
}

uint8_t *audit_http1_room(struct audit_http1 *p, size_t *n)
{
	if (p->state != S_BODY_LEN || !p->left) {
		*n = 0;
		return NULL;
	}
	/* Reserved at the end of the headers, up to the cap; past it, feed finds the excess. */
	size_t room = p->body_cap - 1 - p->body_len;
	*n = p->left < room ? (size_t)p->left : room;
	return *n ? p->body + p->body_len : NULL;
}

enum audit_http1_step audit_http1_wrote(struct audit_http1 *p, size_t k)
{
	p->body_len += k;
	p->body_bytes += k;
	p->left -= k;
	return p->left ? AUDIT_HTTP1_MORE : done(p);
}
