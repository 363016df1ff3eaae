/* test_audit_fanout.c: the fan-out's transport classification and bookkeeping against a
 * real local HTTP server that misbehaves on purpose (tests/harness/hostile_http.h), and the
 * auditor engine's attempt bookkeeping (re-asks, resume, a failing store) with an
 * in-memory store and nodes that refuse connections. */
#include <blake2.h>
#include <stdlib.h>
#include <string.h>

#include "audit/auditor.h"
#include "audit/blob.h"
#include "audit/fanout.h"
#include "audit/schedule.h"
#include "core/buf.h"
#include "core/err.h"
#include "tests/harness/harness.h"
#include "tests/harness/hostile_http.h"

static struct audit_fanout *fan(void)
{
	struct audit_fanout_config cfg = {0};
	struct audit_fanout *f = NULL;
	struct err e;
	ck_assert(audit_fanout_new(&cfg, &f, &e));
	return f;
}

START_TEST(test_transport_classes)
{
	struct hostile_http *h = hostile_http_start(NULL);
	struct audit_fanout *f = fan();
	struct err e;
	struct audit_fanout_request r[1];
	char url[128];
	snprintf(url, sizeof(url), "%s/v1/blobs/x/metadata", hostile_http_url(h));
	char detail[256];

	/* HTTP 500: an answer, transient. */
	hostile_http_set_mode(h, HOSTILE_HTTP500);
	memset(r, 0, sizeof(r));
	r[0].url = url;
	r[0].max_body = 1 << 16;
	ck_assert(audit_fanout_run(f, r, 1, now_ms() + 3000, &e));
	ck_assert_int_eq(r[0].resp.transport, AUDIT_TRANSPORT_OK);
	ck_assert_int_eq(r[0].resp.status, 500);
	enum audit_outcome o = audit_classify_transport(&r[0].resp, detail, sizeof(detail));
	ck_assert_int_eq(o, AUDIT_OUTCOME_HTTP_ERROR);
	ck_assert(audit_outcome_transient(o, r[0].resp.status));
	/* The hash is of the bytes received. */
	uint8_t want[32];
	blake2b(want, r[0].resp.body, NULL, sizeof(want), r[0].resp.body_len, 0);
	ck_assert_mem_eq(want, r[0].body_hash, 32);
	audit_http_response_clear(&r[0].resp);

	/* An endless body ends at the cap: malformed, and no more than the cap is kept. */
	hostile_http_set_mode(h, HOSTILE_HUGE_CHUNKED);
	memset(r, 0, sizeof(r));
	r[0].url = url;
	r[0].max_body = 100000;
	ck_assert(audit_fanout_run(f, r, 1, now_ms() + 5000, &e));
	ck_assert_int_eq(r[0].resp.transport, AUDIT_TRANSPORT_TOO_LARGE);
	ck_assert_int_eq(audit_classify_transport(&r[0].resp, detail, sizeof(detail)),
			 AUDIT_OUTCOME_MALFORMED);
	ck_assert_uint_le(r[0].resp.body_len, 100000);
	audit_http_response_clear(&r[0].resp);

	/* Silence ends at the deadline: timeout. */
	hostile_http_set_mode(h, HOSTILE_SILENT);
	memset(r, 0, sizeof(r));
	r[0].url = url;
	r[0].max_body = 1000;
	ck_assert(audit_fanout_run(f, r, 1, now_ms() + 300, &e));
	ck_assert_int_eq(r[0].resp.transport, AUDIT_TRANSPORT_TIMEOUT);
	ck_assert_int_eq(audit_classify_transport(&r[0].resp, detail, sizeof(detail)),
			 AUDIT_OUTCOME_TIMEOUT);
	audit_http_response_clear(&r[0].resp);

	/* A reset: unreachable (the node's side). */
	hostile_http_set_mode(h, HOSTILE_RESET);
	memset(r, 0, sizeof(r));
	r[0].url = url;
	r[0].max_body = 1000;
	ck_assert(audit_fanout_run(f, r, 1, now_ms() + 3000, &e));
	ck_assert_int_eq(r[0].resp.transport, AUDIT_TRANSPORT_UNREACHABLE);
	audit_http_response_clear(&r[0].resp);

	audit_fanout_free(f);
	hostile_http_stop(h);
}
END_TEST

/* Many requests to one host share a few kept-alive connections, across runs. */
START_TEST(test_keepalive)
{
	struct hostile_http *h = hostile_http_start(NULL);
	hostile_http_set_mode(h, HOSTILE_HTTP500);
	struct audit_fanout_config cfg = {0};
	cfg.max_host_connections = 2;
	struct audit_fanout *f = NULL;
	struct err e;
	ck_assert(audit_fanout_new(&cfg, &f, &e));
	char url[128];
	snprintf(url, sizeof(url), "%s/v1/health", hostile_http_url(h));
	enum { R = 20 };
	struct audit_fanout_request r[R];
	for (int run = 0; run < 3; run++) {
		memset(r, 0, sizeof(r));
		for (int i = 0; i < R; i++) {
			r[i].url = url;
			r[i].max_body = 4096;
		}
		ck_assert(audit_fanout_run(f, r, R, now_ms() + 5000, &e));
		for (int i = 0; i < R; i++) {
			ck_assert_int_eq(r[i].resp.status, 500);
			audit_http_response_clear(&r[i].resp);
		}
	}
	ck_assert_uint_eq(hostile_http_requests(h), 3 * R);
	ck_assert_uint_le(hostile_http_connections(h), 2);
	ck_assert_uint_le(audit_fanout_connections(f), 2);
	audit_fanout_free(f);
	hostile_http_stop(h);
}
END_TEST

/* ---- the fan-out's own HTTP/1.1 client (plain http:// to an IP address) ---- */

struct raw_case {
	const char *name;
	const char *bytes; /* the whole answer; the server closes after it */
	size_t max_body;
	enum audit_transport want;
	long status;       /* when the transport is OK or TOO_LARGE */
	const char *body;  /* when OK: the body expected */
	const char *why;   /* when not OK: a part of the detail */
	bool curl_agrees;  /* libcurl classifies it the same (it is laxer on some) */
};

static const struct raw_case raw_cases[] = {
	{"content-length", "HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
			   "Content-Length: 5\r\n\r\nhello",
	 100, AUDIT_TRANSPORT_OK, 200, "hello", NULL, true},
	{"chunked with extensions and trailer",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n"
	 "0\r\nX-Trailer: 1\r\n\r\n",
	 100, AUDIT_TRANSPORT_OK, 200, "hello world", NULL, true},
	{"body up to the close", "HTTP/1.0 200 OK\r\n\r\nabc", 100, AUDIT_TRANSPORT_OK, 200, "abc",
	 NULL, true},
	{"bare LF line ends", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", 100, AUDIT_TRANSPORT_OK,
	 200, "ok", NULL, true},
	{"interim 100 then 404", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 404 Not Found\r\n"
				 "Content-Length: 2\r\n\r\nno",
	 100, AUDIT_TRANSPORT_OK, 404, "no", NULL, true},
	{"429 with Retry-After", "HTTP/1.1 429 Too Many Requests\r\nRetry-After: 7\r\n"
				 "Content-Length: 0\r\n\r\n",
	 100, AUDIT_TRANSPORT_OK, 429, "", NULL, true},
	{"body over the cap", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"
			      "xxxxxxxxxxxxxxxxxxxx",
	 10, AUDIT_TRANSPORT_TOO_LARGE, 200, NULL, "larger than the cap", true},
	{"a length over the cap, cut short before it", "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n"
						       "\r\nxx",
	 10, AUDIT_TRANSPORT_UNREACHABLE, 0, NULL, "2 bytes into a body of 1000", true},
	{"chunked body over the cap",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n",
	 10, AUDIT_TRANSPORT_TOO_LARGE, 200, NULL, "larger than the cap", true},
	{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc", 1000,
	 AUDIT_TRANSPORT_UNREACHABLE, 0, NULL, "3 bytes into a body of 100", true},
	/* libcurl takes this for a complete 200 with an empty body. */
	{"truncated headers", "HTTP/1.1 200 OK\r\nContent-Len", 1000, AUDIT_TRANSPORT_UNREACHABLE,
	 0, NULL, "before the headers ended", false},
	{"nothing at all", "", 1000, AUDIT_TRANSPORT_UNREACHABLE, 0, NULL,
	 "closed the connection without answering", true},
	{"bad chunk size", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
	 1000, AUDIT_TRANSPORT_UNREACHABLE, 0, NULL, "malformed chunk size", true},
	{"chunk longer than its size",
	 "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhello\r\n0\r\n\r\n", 1000,
	 AUDIT_TRANSPORT_UNREACHABLE, 0, NULL, "longer than its size", true},
	{"chunked body cut short", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel",
	 1000, AUDIT_TRANSPORT_UNREACHABLE, 0, NULL, "middle of the chunked body", true},
	{"garbage status line", "SPDY/9 200 OK\r\nContent-Length: 2\r\n\r\nok", 1000,
	 AUDIT_TRANSPORT_UNREACHABLE, 0, NULL, "status line", false},
	{"two Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok",
	 1000, AUDIT_TRANSPORT_UNREACHABLE, 0, NULL, "two different Content-Lengths", true},
	{"Content-Length not a number", "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok", 1000,
	 AUDIT_TRANSPORT_UNREACHABLE, 0, NULL, "not a number", true},
	{"folded header", "HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 2\r\n\r\nok", 1000,
	 AUDIT_TRANSPORT_UNREACHABLE, 0, NULL, "folds a header", false},
	{"unknown transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nok", 1000,
	 AUDIT_TRANSPORT_UNREACHABLE, 0, NULL, "transfer coding", false},
	{"101 nobody asked for", "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n", 1000,
	 AUDIT_TRANSPORT_UNREACHABLE, 0, NULL, "switched protocols", false},
};

START_TEST(test_plain_http_hostile)
{
	struct hostile_http *h = hostile_http_start(NULL);
	struct audit_fanout *f = fan();
	char url[128];
	snprintf(url, sizeof(url), "%s/v1/blobs/x/recoverySymbols?id=1-2&proofAxis=primary",
		 hostile_http_url(h));
	for (size_t k = 0; k < sizeof(raw_cases) / sizeof(raw_cases[0]); k++) {
		const struct raw_case *c = &raw_cases[k];
		hostile_http_set_raw(h, c->bytes, strlen(c->bytes));
		struct audit_fanout_request r[1];
		struct err e;
		memset(r, 0, sizeof(r));
		r[0].url = url;
		r[0].max_body = c->max_body;
		ck_assert(audit_fanout_run(f, r, 1, now_ms() + 3000, &e));
		ck_assert_msg(r[0].resp.transport == c->want, "%s: transport %d, want %d (%s)", c->name,
			      r[0].resp.transport, c->want, r[0].resp.detail);
		if (c->want == AUDIT_TRANSPORT_OK || c->want == AUDIT_TRANSPORT_TOO_LARGE)
			ck_assert_msg(r[0].resp.status == c->status, "%s: status %ld", c->name,
				      r[0].resp.status);
		else
			ck_assert_int_eq(r[0].resp.status, 0);
		if (c->want == AUDIT_TRANSPORT_OK) {
			ck_assert_msg(r[0].resp.body_len == strlen(c->body) &&
					      !memcmp(r[0].resp.body, c->body, r[0].resp.body_len),
				      "%s: body differs", c->name);
			ck_assert_int_eq(r[0].resp.body[r[0].resp.body_len], '\0');
			uint8_t want[32];
			blake2b(want, c->body, NULL, 32, strlen(c->body), 0);
			ck_assert_mem_eq(want, r[0].body_hash, 32);
		} else {
			ck_assert_msg(strstr(r[0].resp.detail, c->why), "%s: detail '%s'", c->name,
				      r[0].resp.detail);
		}
		if (k == 0)
			ck_assert_str_eq(r[0].resp.content_type, "application/octet-stream");
		if (c->status == 429)
			ck_assert_str_eq(r[0].resp.retry_after, "7");
		/* The same answer through libcurl gets the same transport class. */
		if (c->curl_agrees) {
			struct audit_http_request q = {.url = url, .timeout_ms = 3000,
						       .max_body = c->max_body};
			struct audit_http_response cr;
			ck_assert(audit_http_request(&q, &cr, &e));
			ck_assert_msg(cr.transport == r[0].resp.transport,
				      "%s: libcurl says %d (%s), ours %d", c->name, cr.transport,
				      cr.detail, r[0].resp.transport);
			if (cr.transport == AUDIT_TRANSPORT_OK)
				ck_assert_int_eq(cr.status, r[0].resp.status);
			audit_http_response_clear(&cr);
		}
		audit_http_response_clear(&r[0].resp);
	}

	/* A header line past 4 KiB, and headers past 16 KiB, end the response. */
	struct audit_fanout_request r[1];
	struct err e;
	for (int many = 0; many < 2; many++) {
		struct buf big = BUF_INIT;
		buf_printf(&big, "HTTP/1.1 200 OK\r\n");
		for (int l = 0; l < (many ? 100 : 1); l++) {
			buf_printf(&big, "X-Padding-%d: ", l);
			for (int i = 0; i < (many ? 200 : 5000); i++)
				buf_append_byte(&big, 'a');
			buf_printf(&big, "\r\n");
		}
		buf_printf(&big, "Content-Length: 2\r\n\r\nok");
		hostile_http_set_raw(h, big.data, big.len);
		buf_free(&big);
		memset(r, 0, sizeof(r));
		r[0].url = url;
		r[0].max_body = 1000;
		ck_assert(audit_fanout_run(f, r, 1, now_ms() + 3000, &e));
		ck_assert_int_eq(r[0].resp.transport, AUDIT_TRANSPORT_UNREACHABLE);
		ck_assert_msg(strstr(r[0].resp.detail, many ? "headers are larger than"
							    : "header line longer than"),
			      "%s", r[0].resp.detail);
		audit_http_response_clear(&r[0].resp);
	}

	/* A trickle ends at the deadline. */
	hostile_http_set_mode(h, HOSTILE_TRICKLE);
	memset(r, 0, sizeof(r));
	r[0].url = url;
	r[0].max_body = 1000;
	ck_assert(audit_fanout_run(f, r, 1, now_ms() + 500, &e));
	ck_assert_int_eq(r[0].resp.transport, AUDIT_TRANSPORT_TIMEOUT);
	ck_assert_ptr_nonnull(strstr(r[0].resp.detail, "no answer by the deadline"));
	audit_http_response_clear(&r[0].resp);

	/* A closed port: unreachable. */
	char *end = NULL;
	unsigned long lport = strtoul(strrchr(hostile_http_url(h), ':') + 1, &end, 10);
	ck_assert(end && (*end == '\0' || *end == '/') && lport > 0 && lport <= 65535);
	uint16_t port = (uint16_t)lport;
	hostile_http_stop(h);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/health", (unsigned)port);
	memset(r, 0, sizeof(r));
	r[0].url = url;
	r[0].max_body = 1000;
	ck_assert(audit_fanout_run(f, r, 1, now_ms() + 3000, &e));
	ck_assert_int_eq(r[0].resp.transport, AUDIT_TRANSPORT_UNREACHABLE);
	ck_assert_ptr_nonnull(strstr(r[0].resp.detail, "could not connect"));
	audit_http_response_clear(&r[0].resp);
	audit_fanout_free(f);
}
END_TEST

/* More nodes than the total connections allow: a node left without a connection gets one
 * (an idle one elsewhere closes for it, or the next to finish), it does not wait out its
 * deadline. At 100 nodes x 8 connections against a total of 512, requests to a few nodes
 * timed out for a whole audit. */
START_TEST(test_plain_http_total_cap_shared)
{
	enum { H = 3, PER = 4 };
	struct hostile_http *h[H];
	char url[H][128];
	for (int i = 0; i < H; i++) {
		h[i] = hostile_http_start(NULL);
		hostile_http_set_mode(h[i], HOSTILE_HTTP500);
		snprintf(url[i], sizeof(url[i]), "%s/v1/health", hostile_http_url(h[i]));
	}
	for (unsigned total = 1; total <= 2; total++) {
		struct audit_fanout_config cfg = {0};
		cfg.max_host_connections = 2;
		cfg.max_total_connections = total;
		struct audit_fanout *f = NULL;
		struct err e;
		ck_assert(audit_fanout_new(&cfg, &f, &e));
		/* First the connections fill with one node's, left idle; then all three nodes at
		 * once, so that one request's end must make room for another node. */
		for (int round = 0; round < 2; round++) {
			struct audit_fanout_request r[H * PER];
			memset(r, 0, sizeof(r));
			int nr = round == 0 ? PER : H * PER;
			for (int i = 0; i < nr; i++) {
				r[i].url = url[round == 0 ? 0 : (H - 1 - i % H)];
				r[i].max_body = 4096;
			}
			uint64_t t0 = now_ms();
			ck_assert(audit_fanout_run(f, r, (size_t)nr, t0 + 4000, &e));
			for (int i = 0; i < nr; i++) {
				ck_assert_msg(r[i].resp.transport == AUDIT_TRANSPORT_OK,
					      "total %u round %d request %d: %s", total, round, i,
					      r[i].resp.detail);
				ck_assert_int_eq(r[i].resp.status, 500);
				audit_http_response_clear(&r[i].resp);
			}
			ck_assert_uint_lt(now_ms() - t0, 3000);
		}
		audit_fanout_free(f);
	}
	for (int i = 0; i < H; i++)
		hostile_http_stop(h[i]);
}
END_TEST

/* Requests past the per-host connections wait for one and share it; a node that closes
 * kept-alive connections (each answer ends with a close) costs a connection each, no
 * failure. */
START_TEST(test_plain_http_queue_and_close)
{
	struct hostile_http *h = hostile_http_start(NULL);
	struct audit_fanout_config cfg = {0};
	cfg.max_host_connections = 2;
	struct audit_fanout *f = NULL;
	struct err e;
	ck_assert(audit_fanout_new(&cfg, &f, &e));
	char url[128];
	snprintf(url, sizeof(url), "%s/v1/health", hostile_http_url(h));
	static const char ans[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
	hostile_http_set_raw(h, ans, strlen(ans));
	enum { R = 12 };
	struct audit_fanout_request r[R];
	memset(r, 0, sizeof(r));
	for (int i = 0; i < R; i++) {
		r[i].url = url;
		r[i].max_body = 100;
		r[i].defer_hash = i % 2 == 0;
	}
	ck_assert(audit_fanout_run(f, r, R, now_ms() + 5000, &e));
	audit_fanout_requests_hash(r, R);
	uint8_t want[32];
	blake2b(want, "ok", NULL, 32, 2, 0);
	for (int i = 0; i < R; i++) {
		ck_assert_msg(r[i].resp.transport == AUDIT_TRANSPORT_OK, "%s", r[i].resp.detail);
		ck_assert_int_eq(r[i].resp.status, 200);
		ck_assert_mem_eq(r[i].body_hash, want, 32);
		audit_http_response_clear(&r[i].resp);
	}
	ck_assert_uint_eq(hostile_http_requests(h), R);
	ck_assert_uint_eq(hostile_http_connections(h), R);

	/* A kept-alive connection the node closed while the fan-out was idle: the next
	 * request finds it closed before any answer and goes again on a fresh one. */
	static const char keep[] = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
	hostile_http_set_raw(h, keep, strlen(keep));
	uint64_t conns0 = hostile_http_connections(h);
	for (int run = 0; run < 3; run++) {
		memset(r, 0, sizeof(r));
		r[0].url = url;
		r[0].max_body = 100;
		ck_assert(audit_fanout_run(f, r, 1, now_ms() + 5000, &e));
		ck_assert_msg(r[0].resp.transport == AUDIT_TRANSPORT_OK, "%s", r[0].resp.detail);
		ck_assert_int_eq(r[0].resp.status, 200);
		audit_http_response_clear(&r[0].resp);
	}
	ck_assert_uint_eq(hostile_http_requests(h), R + 3);
	ck_assert_uint_eq(hostile_http_connections(h), conns0 + 3);
	audit_fanout_free(f);
	hostile_http_stop(h);
}
END_TEST

/* ---- the engine with an in-memory store ---- */

struct memstore {
	struct audit_record *rows;
	size_t n, cap;
	int fail_writes; /* fail this many writes first */
	int writes_failed;
};

static bool mem_write(void *ctx, const struct audit_record *rows, size_t n, struct err *e)
{
	struct memstore *m = ctx;
	if (m->fail_writes > 0) {
		m->fail_writes--;
		m->writes_failed++;
		return err_set(e, "the store is down (test)");
	}
	for (size_t i = 0; i < n; i++)
		for (size_t k = 0; k < m->n; k++)
			ck_assert_msg(!(m->rows[k].seq == rows[i].seq &&
					m->rows[k].attempt == rows[i].attempt),
				      "seq %llu attempt %u written twice",
				      (unsigned long long)rows[i].seq, rows[i].attempt);
	if (m->n + n > m->cap) {
		m->cap = (m->n + n) * 2;
		m->rows = realloc(m->rows, m->cap * sizeof(*m->rows));
	}
	memcpy(m->rows + m->n, rows, n * sizeof(*rows));
	m->n += n;
	return true;
}

static bool mem_load(void *ctx, uint64_t epoch, const uint8_t auditor[20],
		     struct audit_recorded **out, size_t *n, struct err *e)
{
	(void)epoch;
	(void)auditor;
	(void)e;
	struct memstore *m = ctx;
	/* Last attempt per seq, ascending by seq. */
	struct audit_recorded *v = calloc(m->n + 1, sizeof(*v));
	size_t nv = 0;
	for (size_t i = 0; i < m->n; i++) {
		size_t k;
		for (k = 0; k < nv; k++)
			if (v[k].seq == m->rows[i].seq)
				break;
		if (k == nv)
			nv++;
		if (k == nv - 1 || m->rows[i].attempt > v[k].attempt) {
			v[k].seq = m->rows[i].seq;
			v[k].attempt = m->rows[i].attempt;
			v[k].outcome = m->rows[i].outcome;
			v[k].http_status = m->rows[i].http_status;
		}
	}
	for (size_t a = 1; a < nv; a++)
		for (size_t b = a; b > 0 && v[b - 1].seq > v[b].seq; b--) {
			struct audit_recorded t = v[b];
			v[b] = v[b - 1];
			v[b - 1] = t;
		}
	*out = v;
	*n = nv;
	return true;
}

static bool mem_ping(void *ctx, struct err *e)
{
	(void)ctx;
	(void)e;
	return true;
}

START_TEST(test_engine_bookkeeping)
{
	/* Three nodes that refuse connections (a port nobody listens on). */
	uint16_t sh[3][2] = {{0, 1}, {2, 3}, {4, 5}};
	struct audit_auditor_node nodes[3];
	memset(nodes, 0, sizeof(nodes));
	for (int i = 0; i < 3; i++) {
		nodes[i].url = "http://127.0.0.1:1";
		nodes[i].shards = sh[i];
		nodes[i].nshards = 2;
		nodes[i].id[0] = (uint8_t)(i + 1);
	}
	struct audit_schedule_blob blobs[2];
	memset(blobs, 0, sizeof(blobs));
	blobs[0].id[0] = 1;
	blobs[0].unencoded_length = 1000;
	blobs[1].id[0] = 2;
	blobs[1].unencoded_length = 5000;
	struct audit_schedule_params p;
	audit_schedule_params_defaults(&p);
	p.epoch = 3;
	p.n = 6;
	p.min_per_node = 20;
	p.window_ms = 50;

	struct memstore ms = {0};
	ms.fail_writes = 2;
	struct audit_auditor_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.sched = &p;
	cfg.nodes = nodes;
	cfg.nnodes = 3;
	cfg.blobs = blobs;
	cfg.nblobs = 2;
	cfg.epoch_start_ms = audit_unix_ms();
	cfg.batch_timeout_ms = 500;
	cfg.retry_delay_ms = 1;
	cfg.flush_rows = 5;
	cfg.store = (struct audit_store){&ms, mem_write, mem_load, mem_ping};
	cfg.once = true;
	struct audit_auditor_report rep;
	struct err e;
	ck_assert_msg(audit_auditor_run(&cfg, &rep, &e), "%s", e.msg);
	/* Every challenge asked three times (unreachable is transient), every attempt
	 * recorded once although the store failed twice. */
	ck_assert_uint_eq(rep.challenges, 60);
	ck_assert_uint_eq(rep.decided, 60);
	ck_assert_uint_eq(rep.unrecorded, 0);
	ck_assert_int_eq(ms.writes_failed, 2);
	ck_assert_uint_eq(ms.n, 180);
	for (size_t i = 0; i < 3; i++)
		ck_assert_uint_eq(rep.nodes[i].outcomes[AUDIT_OUTCOME_UNREACHABLE], 20);
	audit_auditor_report_clear(&rep);

	/* A restart over the same store resumes: nothing is asked again. */
	ck_assert(audit_auditor_run(&cfg, &rep, &e));
	ck_assert_uint_eq(rep.resumed, 60);
	ck_assert_uint_eq(rep.attempts_sent, 0);
	ck_assert_uint_eq(ms.n, 180);
	audit_auditor_report_clear(&rep);

	/* A store holding only first attempts: each seq gets exactly its two re-asks. */
	size_t keep = 0;
	for (size_t i = 0; i < ms.n; i++)
		if (ms.rows[i].attempt == 0)
			ms.rows[keep++] = ms.rows[i];
	ms.n = keep;
	ck_assert(audit_auditor_run(&cfg, &rep, &e));
	ck_assert_uint_eq(rep.attempts_sent, 120);
	ck_assert_uint_eq(ms.n, 180);
	audit_auditor_report_clear(&rep);
	free(ms.rows);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("audit_fanout");
	TCase *tc = tcase_create("fanout");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_transport_classes);
	tcase_add_test(tc, test_keepalive);
	tcase_add_test(tc, test_plain_http_hostile);
	tcase_add_test(tc, test_plain_http_queue_and_close);
	tcase_add_test(tc, test_plain_http_total_cap_shared);
	tcase_add_test(tc, test_engine_bookkeeping);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
