/* http1.h: the response side of HTTP/1.1 as the auditor's own client reads it, without I/O.
 *
 * The fan-out (audit/fanout.c) speaks plain http:// to nodes itself, on its epoll loop:
 * libcurl, its allocations and its per-transfer bookkeeping cost more CPU than all the
 * rest of a challenge's checking. This is its parser: fed the bytes of one response as
 * they arrive, it reads the status line and headers (bounded), the body by Content-Length,
 * chunked coding or up to the close, and keeps the body in one buffer reserved once. It is
 * strict: anything that is not a well-formed response ends it with one sentence saying
 * what was wrong, and the caller maps that to the outcome libcurl's errors get (the node
 * did not give a usable answer). https:// stays on libcurl (pinned TLS). */
#ifndef ASSAY_AUDIT_HTTP1_H
#define ASSAY_AUDIT_HTTP1_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The status line and headers together: more is refused. */
#define AUDIT_HTTP1_MAX_HEAD 16384u
/* A chunk-size line or a trailer line (chunk extensions are skipped, not kept). */
#define AUDIT_HTTP1_MAX_LINE 4096u

enum audit_http1_step {
	AUDIT_HTTP1_MORE,      /* the response goes on: feed more */
	AUDIT_HTTP1_DONE,      /* complete */
	AUDIT_HTTP1_BAD,       /* not a well-formed response: why says what */
	AUDIT_HTTP1_TOO_LARGE, /* the body passed max_body */
};

struct audit_http1 {
	/* in */
	size_t max_body;
	/* out */
	long status;
	bool keep_alive;       /* the connection may carry the next request */
	char content_type[96];
	char retry_after[32];
	uint8_t *body;         /* malloc'd, NUL-terminated (not counted); the caller takes it */
	size_t body_len;
	uint64_t body_bytes;   /* body bytes received (past the cap too) */
	bool head_done;        /* the status line and headers are in */
	char why[160];         /* AUDIT_HTTP1_BAD, TOO_LARGE: one sentence */
	/* state */
	int state;
	size_t body_cap;
	uint64_t left;         /* of the Content-Length or the current chunk */
	size_t line_len;       /* bytes of the current line seen (head, chunk size, trailer) */
	size_t head_len;
	bool until_close, chunked, http10, saw_length, saw_conn_close, saw_keep_alive;
	char line[AUDIT_HTTP1_MAX_LINE];
};

/* Ready for a response to a GET (max_body: the cap on its body); what it held before is
 * forgotten, not freed (audit_http1_clear() first). */
void audit_http1_init(struct audit_http1 *p, size_t max_body);
/* Frees the body if nobody took it. */
void audit_http1_clear(struct audit_http1 *p);

/* Feeds in[0..len): *used says how many bytes belonged to this response (the rest, on DONE,
 * is whatever the server sent after it). */
enum audit_http1_step audit_http1_feed(struct audit_http1 *p, const uint8_t *in, size_t len,
				       size_t *used);
/* The server closed the connection: DONE for a body read up to the close, else BAD (the
 * response was cut short). */
enum audit_http1_step audit_http1_eof(struct audit_http1 *p);

/* Where body bytes of a Content-Length body may be received directly, without passing
 * through audit_http1_feed(): room for *n bytes (0: none now; feed instead). After
 * receiving k bytes there, call audit_http1_wrote(p, k). */
uint8_t *audit_http1_room(struct audit_http1 *p, size_t *n);
enum audit_http1_step audit_http1_wrote(struct audit_http1 *p, size_t k);

#endif
