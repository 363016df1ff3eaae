/* hostile_http.h: a real HTTP server on 127.0.0.1 that answers JSON-RPC badly on purpose.
 *
 * It runs in threads inside the test process (one per connection, keep-alive honoured),
 * so a test can switch its behaviour between calls and count what reached it. In
 * HOSTILE_PROXY mode it forwards each request to a real node (anvil) and returns the
 * node's answer unchanged. */
#ifndef ASSAY_TESTS_HOSTILE_HTTP_H
#define ASSAY_TESTS_HOSTILE_HTTP_H

#include <stddef.h>
#include <stdint.h>

enum hostile_mode {
	HOSTILE_ECHO,          /* valid answers: result "0x2a" per call, batches reversed */
	HOSTILE_TRUNCATED,     /* a JSON body cut in the middle (Content-Length agrees) */
	HOSTILE_WRONG_ID,      /* valid JSON-RPC with id + 1000 */
	HOSTILE_NO_VERSION,    /* no "jsonrpc" member */
	HOSTILE_HUGE,          /* announces and streams 50 MB (Content-Length) */
	HOSTILE_HUGE_CHUNKED,  /* streams 50 MB chunked, no length announced */
	HOSTILE_HTTP500,       /* HTTP 500 with a short text body */
	HOSTILE_SILENT,        /* reads the request, never answers */
	HOSTILE_RESET,         /* closes the connection without answering */
	HOSTILE_PROXY,         /* forwards to the upstream node */
	HOSTILE_PROXY_NO_SEND, /* forwards, but HTTP 500 for any eth_sendRawTransaction */
	HOSTILE_PROXY_LOG_LIMIT, /* forwards, but refuses eth_getLogs over more than 10 blocks */
	HOSTILE_RAW,           /* sends the bytes of hostile_http_set_raw(), then closes */
	HOSTILE_TRICKLE,       /* a valid response, one byte every 200 ms (slow loris) */
};

struct hostile_http;

/* Start on a free port; upstream (may be NULL) is the node for the proxy modes. */
struct hostile_http *hostile_http_start(const char *upstream);
void hostile_http_set_mode(struct hostile_http *h, enum hostile_mode mode);
/* HOSTILE_RAW with these bytes (copied) as the whole answer to every request. */
void hostile_http_set_raw(struct hostile_http *h, const void *bytes, size_t len);
/* "http://127.0.0.1:PORT" */
const char *hostile_http_url(const struct hostile_http *h);
/* HTTP requests received so far. */
uint64_t hostile_http_requests(const struct hostile_http *h);
/* TCP connections accepted so far (keep-alive shows as 1 for many requests). */
uint64_t hostile_http_connections(const struct hostile_http *h);
/* Bytes of body sent in the huge modes before the client hung up. */
uint64_t hostile_http_huge_sent(const struct hostile_http *h);
void hostile_http_stop(struct hostile_http *h);

#endif
