/* fanout.c: audit/fanout.h on libcurl's multi interface, event-driven: libcurl tells us
 * its sockets and timer (curl_multi_socket_action), we wait on them with epoll.
 *
 * Why not curl_multi_perform + curl_multi_poll: perform walks every running transfer and,
 * for each one not told which of its sockets are ready, polls that socket itself (one
 * poll(2) per transfer per call: 3.4 polls per request in a profile of the auditor under
 * load). socket_action only touches the transfers whose socket has an event, and passes
 * the event along, so libcurl does not ask the kernel again.
 *
 * Plain http:// to an IP address (what nodes on a private network, and the bench, are)
 * skips libcurl: our own keep-alive HTTP/1.1 connections on the same epoll set, the request
 * written from the URL's target and a header block made once per host, the response read
 * by audit/http1.h with the body received in place (one buffer, reserved once from its
 * Content-Length). libcurl's per-transfer bookkeeping, its allocations and its extra
 * polls and recvs cost the auditor more CPU than verifying the symbols. https:// (pinned
 * TLS) and host names (resolving would block the loop) stay on libcurl. Both paths classify
 * failures the same way: a refused or reset connection, a response cut short or not
 * well-formed is UNREACHABLE, silence past the deadline TIMEOUT, a body past its cap
 * TOO_LARGE, the auditor's own errno (no descriptors, no route) LOCAL. */
#include "audit/fanout.h"

#include <arpa/inet.h>
#include <blake2.h>
#include <curl/curl.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "audit/b2many.h"
#include "audit/http1.h"
#include "core/buf.h"
#include "core/err.h"

/* One submitted request: waiting for a slot, then running. */
struct xfer {
	struct audit_fanout_request *req;
	/* The URL's scheme and authority: libcurl parses this short part, and sends the rest
	 * as the request target verbatim (CURLOPT_REQUEST_TARGET). Parsing a recoverySymbols
	 * URL of 64 ids whole, and rebuilding it, was 15 % of the auditor's CPU. */
	char base[256];
	CURL *easy;
	struct buf body;
	bool too_large;
	/* libcurl's transfers hash the body as it comes (initialized when one starts: our own
	 * connections hash the body whole, at the end, and never touch it). */
	blake2b_state hash;
	bool hashing;
	uint64_t submitted_ms, deadline_ms;
	struct xfer *prev, *next; /* in the waiting or the running list */
	/* Plain http:// on our own connections (easy is NULL). */
	struct host *host;
	const char *target;  /* the path and query, in url */
	struct hconn *conn;  /* carrying it, or NULL while it waits in host's queue */
	struct xfer *qnext;  /* in host's queue */
	uint64_t started_ms;
	bool retried;        /* sent again once after a kept-alive connection had closed */
};

/* A node reached over plain HTTP: its address, connections and the requests waiting for
 * one. */
struct host {
	char authority[128];
	struct sockaddr_storage sa;
	socklen_t salen;
	char head[256]; /* the request's header block after the request line */
	size_t head_len;
	size_t nconns;
	struct hconn *idle;
	struct xfer *qhead, *qtail;
	struct host *next; /* in its hash bucket */
	/* In line for room under max_total_connections (below its own cap, requests queued). */
	bool starved;
	struct host *next_starved;
};

enum { C_CONNECTING, C_SENDING, C_RECEIVING, C_IDLE, C_RETIRED };

struct hconn {
	int fd;
	int state;
	struct host *h;
	struct xfer *x;     /* the request it carries (not C_IDLE) */
	bool reused;        /* it carried a request before this one */
	bool got_any;       /* a byte of the current response came */
	uint64_t connect_deadline;
	char *out;          /* the request */
	size_t out_len, out_off, out_cap;
	struct hconn *next_idle;
	struct audit_http1 p;
	/* The head, and the body bytes that come with it (copied into the body): small, as
	 * the rest of a Content-Length body is received in place. */
	uint8_t in[4096];
};

#define HOST_BUCKETS 256
/* epoll data of our own connections: the pointer with the top bit set (libcurl's sockets
 * and the eventfd carry their descriptor). */
#define CONN_TAG (1ull << 63)

struct xlist {
	struct xfer *head, *tail;
	size_t n;
};

struct audit_fanout {
	CURLM *multi;
	struct audit_fanout_config cfg;
	CURL **pool; /* idle easy handles, reused so their TLS session cache survives */
	size_t npool;
	struct xlist waiting, running;
	uint64_t connections;
	int epfd;        /* libcurl's sockets and the wakeup eventfd */
	int wakefd;      /* audit_fanout_wakeup() writes here, from any thread */
	bool timer_set;  /* libcurl asked to be called back at timer_at (now_ms() clock) */
	uint64_t timer_at;
	/* plain http:// */
	struct host *hosts[HOST_BUCKETS];
	size_t plain_conns;
	/* Hosts waiting for room under max_total_connections, first come first served; idle
	 * connections of other hosts give theirs up (evict_idle), from evict_from on. */
	struct host *starved_head, *starved_tail;
	size_t evict_from;
	struct hconn *retired; /* closed, freed after the event batch (conn_close_) */
	struct xlist finished;  /* completed, to be reported by drain() */
	uint64_t plain_next;    /* the earliest deadline of a running plain request, or 0 */
	bool freeing;           /* freeing or failing everything: start nothing more */
};

static void plain_abandon(struct audit_fanout *f, struct xfer *x);
static void plain_free(struct audit_fanout *f);

static void xlist_push(struct xlist *l, struct xfer *x)
{
	x->next = NULL;
	x->prev = l->tail;
	if (l->tail)
		l->tail->next = x;
	else
		l->head = x;
	l->tail = x;
	l->n++;
}

static void xlist_remove(struct xlist *l, struct xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		l->head = x->next;
	if (x->next)
		x->next->prev = x->prev;
	else
		l->tail = x->prev;
	x->prev = x->next = NULL;
	l->n--;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* libcurl says which events a socket waits for (CURLMOPT_SOCKETFUNCTION). socketp is
 * non-NULL once the socket is in the epoll set (curl_multi_assign). */
static int sock_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	(void)easy;
	struct audit_fanout *f = userp;
	if (what == CURL_POLL_REMOVE) {
		/* libcurl may have closed it already (then it left the set by itself). */
		epoll_ctl(f->epfd, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	struct epoll_event ev = {0};
	ev.data.fd = s;
	if (what == CURL_POLL_IN || what == CURL_POLL_INOUT)
		ev.events |= EPOLLIN;
	if (what == CURL_POLL_OUT || what == CURL_POLL_INOUT)
		ev.events |= EPOLLOUT;
	if (socketp) {
		if (epoll_ctl(f->epfd, EPOLL_CTL_MOD, s, &ev) == 0)
			return 0;
		/* Closed and reopened under the same number behind our back: add it anew. */
	}
	if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, s, &ev) != 0 &&
	    (errno != EEXIST || epoll_ctl(f->epfd, EPOLL_CTL_MOD, s, &ev) != 0))
		return -1; /* libcurl fails the transfers on this socket */
	curl_multi_assign(f->multi, s, f);
	return 0;
}

/* libcurl wants socket_action(CURL_SOCKET_TIMEOUT) in timeout_ms (-1: never). */
static int timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	(void)multi;
	struct audit_fanout *f = userp;
	f->timer_set = timeout_ms >= 0;
	f->timer_at = timeout_ms >= 0 ? now_ms() + (uint64_t)timeout_ms : 0;
	return 0;
}

bool audit_fanout_new(const struct audit_fanout_config *cfg, struct audit_fanout **out,
		      struct err *e)
{
	pthread_once(&curl_once, curl_init_once);
	struct audit_fanout *f = xcalloc(1, sizeof(*f));
	f->cfg = *cfg;
	if (!f->cfg.max_host_connections)
		f->cfg.max_host_connections = 8;
	if (!f->cfg.max_total_connections)
		f->cfg.max_total_connections = 512;
	if (!f->cfg.max_inflight)
		f->cfg.max_inflight = 256;
	if (!f->cfg.connect_timeout_ms)
		f->cfg.connect_timeout_ms = 5000;
	if (!f->cfg.low_speed_bytes)
		f->cfg.low_speed_bytes = 1;
	if (!f->cfg.low_speed_s)
		f->cfg.low_speed_s = 10;
	f->epfd = epoll_create1(EPOLL_CLOEXEC);
	f->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	struct epoll_event wev = {.events = EPOLLIN, .data.fd = f->wakefd};
	if (f->epfd < 0 || f->wakefd < 0 || epoll_ctl(f->epfd, EPOLL_CTL_ADD, f->wakefd, &wev)) {
		err_set(e, "could not create the fan-out's epoll set: %s", strerror(errno));
		goto fail;
	}
	f->multi = curl_multi_init();
	if (!f->multi) {
		err_set(e, "could not create a libcurl multi handle (out of memory?)");
		goto fail;
	}
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(f->multi, CURLMOPT_SOCKETDATA, f);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(f->multi, CURLMOPT_TIMERDATA, f);
	/* A node gets a few connections, not one per challenge: the rest queue inside
	 * libcurl and reuse them; idle connections stay cached for the next batch. */
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)f->cfg.max_host_connections);
	curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  (long)f->cfg.max_total_connections);
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)f->cfg.max_total_connections);
	*out = f;
	return true;
fail:
	if (f->epfd >= 0)
		close(f->epfd);
	if (f->wakefd >= 0)
		close(f->wakefd);
	free(f);
	return false;
}

void audit_fanout_free(struct audit_fanout *f)
{
	if (!f)
		return;
	struct xfer *x, *next;
	f->freeing = true;
	for (x = f->running.head; x; x = next) {
		next = x->next;
		if (x->host) {
			plain_abandon(f, x);
		} else {
			curl_multi_remove_handle(f->multi, x->easy);
			curl_easy_cleanup(x->easy);
		}
		buf_free(&x->body);
		free(x);
	}
	for (x = f->finished.head; x; x = next) {
		next = x->next;
		audit_http_response_clear(&x->req->resp);
		free(x);
	}
	plain_free(f);
	for (x = f->waiting.head; x; x = next) {
		next = x->next;
		buf_free(&x->body);
		free(x);
	}
	for (size_t i = 0; i < f->npool; i++)
		curl_easy_cleanup(f->pool[i]);
	free(f->pool);
	curl_multi_cleanup(f->multi);
	close(f->epfd);
	close(f->wakefd);
	free(f);
}

uint64_t audit_fanout_connections(const struct audit_fanout *f)
{
	return f->connections;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nmemb;
	if (!x->req->defer_hash)
		blake2b_update(&x->hash, (const uint8_t *)ptr, n);
	x->req->bytes_received += n;
	if (x->body.len + n > x->req->max_body) {
		/* The body is not kept whole: hash what came now, deferred or not. */
		if (x->req->defer_hash) {
			blake2b_update(&x->hash, x->body.data, x->body.len);
			blake2b_update(&x->hash, (const uint8_t *)ptr, n);
		}
		x->too_large = true;
		return 0; /* CURLE_WRITE_ERROR: the transfer ends here */
	}
	buf_append(&x->body, ptr, n);
	return n;
}

static size_t header_cb(char *ptr, size_t size, size_t nitems, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nitems;
	static const char ra[] = "retry-after:", cl[] = "content-length:";
	if (n > sizeof(ra) - 1 && !strncasecmp(ptr, ra, sizeof(ra) - 1))
		audit_header_value_copy(x->req->resp.retry_after, sizeof(x->req->resp.retry_after),
					ptr + sizeof(ra) - 1, n - (sizeof(ra) - 1));
	/* Room for the whole body at once (growing it copies the bytes again and again); the
	 * node's word is trusted no further than the cap. */
	if (n > sizeof(cl) - 1 && n < 64 && !strncasecmp(ptr, cl, sizeof(cl) - 1) && !x->body.len) {
		char v[48];
		uint64_t len;
		audit_header_value_copy(v, sizeof(v), ptr + sizeof(cl) - 1, n - (sizeof(cl) - 1));
		if (parse_u64(v, &len) && len > 0)
			buf_reserve(&x->body, (size_t)(len < x->req->max_body ? len : x->req->max_body) + 1);
	}
	return n;
}

/* Options every transfer shares, set once per easy handle. */
static void setup_common(struct audit_fanout *f, CURL *c)
{
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)f->cfg.low_speed_bytes);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)f->cfg.low_speed_s);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	/* A node must not send the auditor to someone else's node. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "assay/" ASSAY_VERSION);
	/* Wait for a cached connection rather than opening another while one is free. */
	curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
	/* No compressed bodies: the cap must count bytes as the node sends them. */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL);
}

/* Handles keep their options between transfers (setting ~20 per request shows in a
 * profile); what differs per request is set by setup(). */
static CURL *easy_get(struct audit_fanout *f)
{
	if (f->npool)
		return f->pool[--f->npool];
	CURL *c = curl_easy_init();
	if (c)
		setup_common(f, c);
	return c;
}

static void easy_put(struct audit_fanout *f, CURL *c)
{
	if (!c)
		return;
	/* Keep as many idle handles as transfers can run at once, no more. */
	if (f->npool >= f->cfg.max_inflight) {
		curl_easy_cleanup(c);
		return;
	}
	if (!f->pool)
		f->pool = xcalloc(f->cfg.max_inflight, sizeof(*f->pool));
	f->pool[f->npool++] = c;
}

static void finish(struct audit_fanout *f, struct xfer *x, CURLcode rc)
{
	struct audit_http_response *r = &x->req->resp;
	long os_errno = 0, conns = 0;
	curl_off_t total_us = 0;
	curl_easy_getinfo(x->easy, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_getinfo(x->easy, CURLINFO_NUM_CONNECTS, &conns);
	curl_easy_getinfo(x->easy, CURLINFO_TOTAL_TIME_T, &total_us);
	f->connections += (uint64_t)conns;
	r->latency_ms = (uint64_t)total_us / 1000;
	r->transport = audit_transport_of_curl(rc, os_errno, x->too_large);
	if (rc != CURLE_OK) {
		if (os_errno)
			snprintf(r->detail, sizeof(r->detail), "GET %s: %s (%s)", x->req->url,
				 curl_easy_strerror(rc), strerror((int)os_errno));
		else
			snprintf(r->detail, sizeof(r->detail), "GET %s: %s", x->req->url,
				 x->too_large ? "response body larger than the cap"
					      : curl_easy_strerror(rc));
		if (r->transport != AUDIT_TRANSPORT_TOO_LARGE)
			r->status = 0;
	}
	char *ct = NULL;
	if (curl_easy_getinfo(x->easy, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		audit_header_value_copy(r->content_type, sizeof(r->content_type), ct, strlen(ct));
	if (x->req->defer_hash && !x->too_large)
		x->req->hash_pending = true; /* the body is kept whole: hashed later */
	else
		blake2b_final(&x->hash, x->req->body_hash, sizeof(x->req->body_hash));
	buf_cstr(&x->body);
	r->body = buf_steal(&x->body, &r->body_len);
}

void audit_fanout_request_hash(struct audit_fanout_request *req)
{
	if (!req->hash_pending)
		return;
	blake2b(req->body_hash, req->resp.body, NULL, sizeof(req->body_hash), req->resp.body_len,
		0);
	req->hash_pending = false;
}

size_t audit_fanout_requests_hash_msgs(struct audit_fanout_request *reqs, size_t n,
				       struct audit_b2_msg *out)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!reqs[i].hash_pending)
			continue;
		out[k++] = (struct audit_b2_msg){reqs[i].resp.body, reqs[i].resp.body_len, false, 0,
						 reqs[i].body_hash};
		reqs[i].hash_pending = false;
	}
	return k;
}

void audit_fanout_requests_hash(struct audit_fanout_request *reqs, size_t n)
{
	struct audit_b2_msg stack[16] = {{0}}, *m = n <= 16 ? stack : xcalloc(n, sizeof(*m));
	audit_b2_many(m, audit_fanout_requests_hash_msgs(reqs, n, m));
	if (m != stack)
		free(m);
}

/* A request that ended without libcurl's verdict (never started, or past the backstop). */
static void fail_xfer(struct xfer *x, enum audit_transport t, const char *why)
{
	struct audit_http_response *r = &x->req->resp;
	r->transport = t;
	r->status = 0;
	snprintf(r->detail, sizeof(r->detail), "GET %.100s: %.140s", x->req->url, why);
	if (!x->hashing)
		blake2b_init(&x->hash, sizeof(x->req->body_hash));
	if (x->req->defer_hash && !x->too_large && x->body.len)
		blake2b_update(&x->hash, x->body.data, x->body.len); /* the body goes unkept */
	blake2b_final(&x->hash, x->req->body_hash, sizeof(x->req->body_hash));
	r->latency_ms = now_ms() - x->submitted_ms;
}

/* The request is answered: report it (the callback may submit more). */
static void complete(struct xfer *x, audit_fanout_done_fn done, void *arg)
{
	struct audit_fanout_request *req = x->req;
	buf_free(&x->body);
	free(x);
	if (done)
		done(arg, req);
}

/* Splits url into base (scheme://authority) and the target it returns (the path and
 * query, from the first '/' after the authority); NULL when it has no such split, the
 * authority does not fit, or the URL needs what libcurl would do to it (drop a fragment,
 * encode a space, remove dot segments): then libcurl gets the URL whole. */
static const char *split_target(const char *url, char *base, size_t base_size)
{
	const char *a = strstr(url, "://");
	if (!a)
		return NULL;
	const char *t = strchr(a + 3, '/');
	if (!t || (size_t)(t - url) >= base_size || strpbrk(url, "# ") || strstr(t, "/."))
		return NULL;
	memcpy(base, url, (size_t)(t - url));
	base[t - url] = '\0';
	return t;
}

static void setup(struct audit_fanout *f, struct xfer *x, uint64_t timeout_ms)
{
	CURL *c = x->easy;
	const char *target = split_target(x->req->url, x->base, sizeof(x->base));
	curl_easy_setopt(c, CURLOPT_URL, target ? x->base : x->req->url);
	/* NULL when the URL goes whole: the handle may keep the last request's target. */
	curl_easy_setopt(c, CURLOPT_REQUEST_TARGET, target);
	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(timeout_ms < f->cfg.connect_timeout_ms ? timeout_ms
								       : f->cfg.connect_timeout_ms));
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	/* Real Walrus nodes serve self-signed certificates tied to the node key: the pin
	 * is the check, so the chain of trust is not asked for; without a pin the usual
	 * verification stays on. Set every time: the handle may have served another node. */
	curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, x->req->pinned_key);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, x->req->pinned_key ? 0L : 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, x->req->pinned_key ? 0L : 2L);
}

/* ---- plain http:// on our own connections ---- */

static uint32_t str_hash(const char *s, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 16777619u;
	return h;
}

/* The authority as an IP address and port: false for a host name (or anything odd). */
static bool parse_ip_authority(const char *a, size_t n, struct sockaddr_storage *ss,
			       socklen_t *len)
{
	char host[64];
	const char *port = NULL;
	size_t hl;
	if (n && a[0] == '[') {
		const char *rb = memchr(a, ']', n);
		if (!rb)
			return false;
		hl = (size_t)(rb - a) - 1;
		if (hl >= sizeof(host))
			return false;
		memcpy(host, a + 1, hl);
		if (rb + 1 < a + n) {
			if (rb[1] != ':')
				return false;
			port = rb + 2;
		}
	} else {
		const char *colon = memchr(a, ':', n);
		hl = colon ? (size_t)(colon - a) : n;
		if (hl >= sizeof(host))
			return false;
		memcpy(host, a, hl);
		if (colon)
			port = colon + 1;
	}
	host[hl] = '\0';
	unsigned long pv = 80;
	if (port) {
		size_t pl = (size_t)(a + n - port);
		if (pl == 0 || pl > 5)
			return false;
		pv = 0;
		for (size_t i = 0; i < pl; i++) {
			if (port[i] < '0' || port[i] > '9')
				return false;
			pv = pv * 10 + (unsigned long)(port[i] - '0');
		}
		if (pv == 0 || pv > 65535)
			return false;
	}
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
	if (a[0] != '[' && inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
		v4->sin_family = AF_INET;
		v4->sin_port = htons((uint16_t)pv);
		*len = sizeof(*v4);
		return true;
	}
	if (a[0] == '[' && inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)pv);
		*len = sizeof(*v6);
		return true;
	}
	return false;
}

/* The host a plain request goes to, and its target; NULL when it goes through libcurl
 * (https, a host name, userinfo, or a target libcurl would rewrite). */
static struct host *plain_host(struct audit_fanout *f, const char *url, const char **target)
{
	if (strncmp(url, "http://", 7))
		return NULL;
	const char *a = url + 7, *t = strchr(a, '/');
	if (!t || t == a || (size_t)(t - a) >= sizeof(((struct host *)0)->authority) ||
	    memchr(a, '@', (size_t)(t - a)) || strpbrk(t, "# \t\r\n") || strstr(t, "/."))
		return NULL;
	size_t n = (size_t)(t - a);
	uint32_t b = str_hash(a, n) % HOST_BUCKETS;
	for (struct host *h = f->hosts[b]; h; h = h->next)
		if (!strncmp(h->authority, a, n) && h->authority[n] == '\0') {
			*target = t;
			return h;
		}
	struct sockaddr_storage ss;
	socklen_t sl;
	if (!parse_ip_authority(a, n, &ss, &sl))
		return NULL;
	struct host *h = xcalloc(1, sizeof(*h));
	memcpy(h->authority, a, n);
	h->authority[n] = '\0';
	h->sa = ss;
	h->salen = sl;
	int hl = snprintf(h->head, sizeof(h->head),
			  " HTTP/1.1\r\nHost: %s\r\nUser-Agent: assay/" ASSAY_VERSION
			  "\r\nAccept: */*\r\n\r\n",
			  h->authority);
	ASSAY_ASSERT(hl > 0 && (size_t)hl < sizeof(h->head));
	h->head_len = (size_t)hl;
	h->next = f->hosts[b];
	f->hosts[b] = h;
	*target = t;
	return h;
}

/* Closes c; with `later` its memory stays until the event loop's batch is done
 * (free_retired()), because an event for it may still be in that batch (an idle connection
 * closed to give its room to another host while the loop handles some other one's). */
static void conn_close_(struct audit_fanout *f, struct hconn *c, bool later)
{
	struct host *h = c->h;
	if (c->state == C_IDLE) {
		struct hconn **pp = &h->idle;
		while (*pp && *pp != c)
			pp = &(*pp)->next_idle;
		if (*pp)
			*pp = c->next_idle;
	}
	if (c->x)
		c->x->conn = NULL;
	epoll_ctl(f->epfd, EPOLL_CTL_DEL, c->fd, NULL);
	close(c->fd);
	audit_http1_clear(&c->p);
	free(c->out);
	h->nconns--;
	f->plain_conns--;
	if (later) {
		c->state = C_RETIRED;
		c->next_idle = f->retired;
		f->retired = c;
	} else {
		free(c);
	}
}

static void conn_close(struct audit_fanout *f, struct hconn *c)
{
	conn_close_(f, c, false);
}

static void free_retired(struct audit_fanout *f)
{
	while (f->retired) {
		struct hconn *c = f->retired;
		f->retired = c->next_idle;
		free(c);
	}
}

/* The request is answered or failed: its response filled, it waits for drain(). */
static void plain_finish(struct audit_fanout *f, struct xfer *x, enum audit_transport t,
			 struct audit_http1 *p, const char *why)
{
	struct audit_fanout_request *req = x->req;
	struct audit_http_response *r = &req->resp;
	r->transport = t;
	r->latency_ms = now_ms() - x->started_ms;
	if (p) {
		r->status = t == AUDIT_TRANSPORT_OK || t == AUDIT_TRANSPORT_TOO_LARGE ? p->status : 0;
		memcpy(r->content_type, p->content_type, sizeof(r->content_type));
		memcpy(r->retry_after, p->retry_after, sizeof(r->retry_after));
		req->bytes_received = p->body_bytes;
		if (p->body) {
			if (t != AUDIT_TRANSPORT_OK)
				p->body[p->body_len] = '\0'; /* DONE ended it; room is reserved */
			r->body = p->body;
			r->body_len = p->body_len;
			p->body = NULL;
			p->body_len = p->body_cap = 0;
		}
	}
	if (t != AUDIT_TRANSPORT_OK)
		snprintf(r->detail, sizeof(r->detail), "GET %.100s: %.140s", req->url, why);
	if (req->defer_hash && t == AUDIT_TRANSPORT_OK)
		req->hash_pending = true;
	else
		blake2b(req->body_hash, r->body, NULL, sizeof(req->body_hash), r->body_len, 0);
	if (x->conn)
		x->conn->x = NULL;
	x->conn = NULL;
	xlist_remove(&f->running, x);
	xlist_push(&f->finished, x);
}

static void conn_io(struct audit_fanout *f, struct hconn *c, uint32_t events);

/* Gives c the request x, and starts sending it. */
static void conn_assign(struct audit_fanout *f, struct hconn *c, struct xfer *x)
{
	struct host *h = c->h;
	size_t tl = strlen(x->target), need = 4 + tl + h->head_len;
	if (need > c->out_cap) {
		c->out_cap = need + 256;
		c->out = xrealloc(c->out, c->out_cap);
	}
	memcpy(c->out, "GET ", 4);
	memcpy(c->out + 4, x->target, tl);
	memcpy(c->out + 4 + tl, h->head, h->head_len);
	c->out_len = need;
	c->out_off = 0;
	c->x = x;
	c->got_any = false;
	x->conn = c;
	audit_http1_clear(&c->p);
	audit_http1_init(&c->p, x->req->max_body);
	if (c->state == C_CONNECTING)
		return; /* sent once connected */
	c->state = C_SENDING;
	conn_io(f, c, EPOLLOUT);
}

static void dispatch(struct audit_fanout *f, struct xfer *x);
static void host_kick(struct audit_fanout *f, struct host *h);

/* A connection that ends for the request it carries: a kept-alive one the node closed
 * before answering gets the request again once on a fresh one (the node may close idle
 * connections whenever it likes); otherwise the request fails with why. */
static void conn_fail(struct audit_fanout *f, struct hconn *c, enum audit_transport t,
		      const char *why)
{
	struct xfer *x = c->x;
	bool again = x && c->reused && !c->got_any && !x->retried && t == AUDIT_TRANSPORT_UNREACHABLE;
	struct host *h = c->h;
	char w[160];
	snprintf(w, sizeof(w), "%s", why); /* it may be c's own, freed below */
	why = w;
	c->x = NULL;
	if (x)
		x->conn = NULL;
	conn_close(f, c);
	if (x && again) {
		x->retried = true;
		dispatch(f, x);
	} else if (x) {
		plain_finish(f, x, t, NULL, why);
	}
	host_kick(f, h);
}

/* The transport class of a failed connect(), as libcurl's would be. */
static enum audit_transport connect_class(int err)
{
	return audit_transport_of_curl(CURLE_COULDNT_CONNECT, err, false);
}

static struct hconn *conn_open(struct audit_fanout *f, struct host *h, int *err)
{
	int fd = socket(h->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	bool now = connect(fd, (const struct sockaddr *)&h->sa, h->salen) == 0;
	if (!now && errno != EINPROGRESS) {
		*err = errno;
		close(fd);
		return NULL;
	}
	struct hconn *c = xmalloc(sizeof(*c));
	memset(c, 0, offsetof(struct hconn, in));
	c->fd = fd;
	c->h = h;
	c->state = now ? C_SENDING : C_CONNECTING;
	c->connect_deadline = now_ms() + f->cfg.connect_timeout_ms;
	struct epoll_event ev = {0};
	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.u64 = (uint64_t)(uintptr_t)c | CONN_TAG;
	if (epoll_ctl(f->epfd, EPOLL_CTL_ADD, fd, &ev) != 0) {
		*err = errno;
		close(fd);
		free(c);
		return NULL;
	}
	h->nconns++;
	f->plain_conns++;
	f->connections++;
	return c;
}

static void starve(struct audit_fanout *f, struct host *h)
{
	if (h->starved)
		return;
	h->starved = true;
	h->next_starved = NULL;
	if (f->starved_tail)
		f->starved_tail->next_starved = h;
	else
		f->starved_head = h;
	f->starved_tail = h;
}

/* Closes an idle connection of a host other than h, making room under the total for h. A
 * kept-alive connection is worth keeping only while nobody else needs its room: at 100
 * nodes and 8 connections each, the 512 allowed were all taken, mostly idle, and requests
 * to a node left without one waited out their deadline. */
static bool evict_idle(struct audit_fanout *f, const struct host *h)
{
	for (size_t i = 0; i < HOST_BUCKETS; i++) {
		size_t b = (f->evict_from + i) % HOST_BUCKETS;
		for (struct host *o = f->hosts[b]; o; o = o->next)
			if (o != h && o->idle) {
				conn_close_(f, o->idle, true);
				f->evict_from = b + 1;
				return true;
			}
	}
	return false;
}

static void queue_on(struct host *h, struct xfer *x)
{
	x->qnext = NULL;
	if (h->qtail)
		h->qtail->qnext = x;
	else
		h->qhead = x;
	h->qtail = x;
}

/* Starts x on an idle connection to its host, a new one, or queues it for the next free. */
static void dispatch(struct audit_fanout *f, struct xfer *x)
{
	struct host *h = x->host;
	struct hconn *c = h->idle;
	if (c) {
		h->idle = c->next_idle;
		c->next_idle = NULL;
		c->state = C_SENDING;
		conn_assign(f, c, x);
		return;
	}
	if (h->nconns >= f->cfg.max_host_connections) {
		queue_on(h, x);
		return;
	}
	if (f->plain_conns >= f->cfg.max_total_connections && !evict_idle(f, h)) {
		queue_on(h, x);
		starve(f, h);
		return;
	}
	int err = 0;
	c = conn_open(f, h, &err);
	if (!c) {
		char why[160];
		snprintf(why, sizeof(why), "could not connect: %s", strerror(err));
		plain_finish(f, x, connect_class(err), NULL, why);
		return;
	}
	conn_assign(f, c, x);
}

/* Starts what waits for a connection to h while it may open one; what the total's cap
 * holds back puts h in line for room. */
static void host_kick_one(struct audit_fanout *f, struct host *h)
{
	while (h->qhead && h->nconns < f->cfg.max_host_connections &&
	       f->plain_conns < f->cfg.max_total_connections) {
		struct xfer *x = h->qhead;
		h->qhead = x->qnext;
		if (!h->qhead)
			h->qtail = NULL;
		x->qnext = NULL;
		dispatch(f, x);
	}
	if (h->qhead && h->nconns < f->cfg.max_host_connections)
		starve(f, h);
}

/* Gives room under the total to the hosts in line, closing idle connections for it. */
static void kick_starved(struct audit_fanout *f)
{
	while (f->starved_head && !f->freeing) {
		struct host *h = f->starved_head;
		if (f->plain_conns >= f->cfg.max_total_connections && !evict_idle(f, h))
			return;
		f->starved_head = h->next_starved;
		if (!f->starved_head)
			f->starved_tail = NULL;
		h->starved = false;
		host_kick_one(f, h);
	}
}

/* After a connection to h closed or went idle: its queue first, then the hosts in line. */
static void host_kick(struct audit_fanout *f, struct host *h)
{
	host_kick_one(f, h);
	kick_starved(f);
}

/* c's request is done and c may carry another: the next waiting, or it idles. */
static void conn_idle(struct audit_fanout *f, struct hconn *c)
{
	struct host *h = c->h;
	c->reused = true;
	c->x = NULL;
	struct xfer *x = h->qhead;
	if (x) {
		h->qhead = x->qnext;
		if (!h->qhead)
			h->qtail = NULL;
		c->state = C_SENDING;
		conn_assign(f, c, x);
		return;
	}
	c->state = C_IDLE;
	c->next_idle = h->idle;
	h->idle = c;
	kick_starved(f);
}

/* Moves c along after events (edge-triggered: it reads and writes until the kernel says
 * EAGAIN). */
static void conn_io(struct audit_fanout *f, struct hconn *c, uint32_t events)
{
	if (c->state == C_RETIRED)
		return;
	if (c->state == C_IDLE) {
		/* Nothing is asked: the node closed it, or sent what nobody asked for. */
		if (events & (EPOLLIN | EPOLLRDHUP | EPOLLERR | EPOLLHUP))
			conn_close(f, c);
		return;
	}
	if (c->state == C_CONNECTING) {
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
			err = errno;
		if (err) {
			char why[160];
			snprintf(why, sizeof(why), "could not connect: %s", strerror(err));
			conn_fail(f, c, connect_class(err), why);
			return;
		}
		c->state = C_SENDING;
	}
	if (c->state == C_SENDING) {
		while (c->out_off < c->out_len) {
			ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
					 MSG_NOSIGNAL);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0 && errno == EAGAIN)
				return;
			if (n <= 0) {
				char why[160];
				snprintf(why, sizeof(why), "sending the request failed: %s",
					 strerror(errno));
				conn_fail(f, c, AUDIT_TRANSPORT_UNREACHABLE, why);
				return;
			}
			c->out_off += (size_t)n;
		}
		c->state = C_RECEIVING;
	}
	for (;;) {
		size_t room = 0;
		uint8_t *dst = audit_http1_room(&c->p, &room);
		ssize_t n = dst ? recv(c->fd, dst, room, 0) : recv(c->fd, c->in, sizeof(c->in), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		enum audit_http1_step st;
		bool leftover = false;
		if (n < 0) {
			char why[160];
			snprintf(why, sizeof(why), "receiving the response failed: %s",
				 strerror(errno));
			conn_fail(f, c, AUDIT_TRANSPORT_UNREACHABLE, why);
			return;
		}
		if (n == 0) {
			st = audit_http1_eof(&c->p);
			if (st == AUDIT_HTTP1_BAD && !c->got_any) {
				conn_fail(f, c, AUDIT_TRANSPORT_UNREACHABLE, c->p.why);
				return;
			}
		} else {
			c->got_any = true;
			if (dst) {
				st = audit_http1_wrote(&c->p, (size_t)n);
			} else {
				size_t used = 0;
				st = audit_http1_feed(&c->p, c->in, (size_t)n, &used);
				leftover = used < (size_t)n;
			}
		}
		if (st == AUDIT_HTTP1_MORE)
			continue;
		struct xfer *x = c->x;
		enum audit_transport t = st == AUDIT_HTTP1_DONE	     ? AUDIT_TRANSPORT_OK
					 : st == AUDIT_HTTP1_TOO_LARGE ? AUDIT_TRANSPORT_TOO_LARGE
								       : AUDIT_TRANSPORT_UNREACHABLE;
		/* Bytes past the response (no pipelining was asked for) spoil the connection. */
		bool reuse = st == AUDIT_HTTP1_DONE && c->p.keep_alive && !leftover && n > 0;
		plain_finish(f, x, t, &c->p, c->p.why);
		if (reuse) {
			conn_idle(f, c);
		} else {
			struct host *h = c->h;
			conn_close(f, c);
			host_kick(f, h);
		}
		return;
	}
}

/* A plain request leaves without an answer (deadline, or the fan-out failing): its
 * connection, if it has one, closes (it is mid-response). */
static void plain_abandon(struct audit_fanout *f, struct xfer *x)
{
	if (x->conn) {
		struct hconn *c = x->conn;
		c->x = NULL;
		x->conn = NULL;
		conn_close(f, c);
		if (!f->freeing)
			host_kick(f, x->host);
		return;
	}
	struct host *h = x->host;
	struct xfer **pp = &h->qhead, *prev = NULL;
	while (*pp && *pp != x) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (*pp) {
		*pp = x->qnext;
		if (h->qtail == x)
			h->qtail = prev;
	}
	x->qnext = NULL;
}

static void plain_free(struct audit_fanout *f)
{
	free_retired(f);
	for (size_t b = 0; b < HOST_BUCKETS; b++) {
		struct host *h = f->hosts[b];
		while (h) {
			while (h->idle)
				conn_close(f, h->idle);
			struct host *next = h->next;
			free(h);
			h = next;
		}
	}
}

void audit_fanout_submit(struct audit_fanout *f, struct audit_fanout_request *req,
			 uint64_t deadline_ms)
{
	memset(&req->resp, 0, sizeof(req->resp));
	memset(req->body_hash, 0, sizeof(req->body_hash));
	req->bytes_received = 0;
	req->hash_pending = false;
	struct xfer *x = xcalloc(1, sizeof(*x));
	x->req = req;
	x->submitted_ms = now_ms();
	x->deadline_ms = deadline_ms;
	xlist_push(&f->waiting, x);
}

void audit_fanout_wakeup(struct audit_fanout *f)
{
	uint64_t one = 1;
	/* EAGAIN: the counter is already non-zero, the waiter wakes anyway. */
	if (write(f->wakefd, &one, sizeof(one)) < 0)
		return;
}

size_t audit_fanout_pending(const struct audit_fanout *f)
{
	return f->waiting.n + f->running.n + f->finished.n;
}

/* Fills free slots from the waiting list, oldest first. */
static void start_waiting(struct audit_fanout *f, audit_fanout_done_fn done, void *arg)
{
	while (f->waiting.head && f->running.n < f->cfg.max_inflight) {
		struct xfer *x = f->waiting.head;
		xlist_remove(&f->waiting, x);
		uint64_t now = now_ms();
		if (now >= x->deadline_ms) {
			fail_xfer(x, AUDIT_TRANSPORT_TIMEOUT, "no answer by the deadline");
			complete(x, done, arg);
			continue;
		}
		x->host = plain_host(f, x->req->url, &x->target);
		if (x->host) {
			x->started_ms = now;
			xlist_push(&f->running, x);
			dispatch(f, x);
			continue;
		}
		x->easy = easy_get(f);
		if (!x->easy) {
			fail_xfer(x, AUDIT_TRANSPORT_LOCAL, "could not create an HTTP handle");
			complete(x, done, arg);
			continue;
		}
		blake2b_init(&x->hash, sizeof(x->req->body_hash));
		x->hashing = true;
		setup(f, x, x->deadline_ms - now);
		if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK) {
			curl_easy_cleanup(x->easy);
			fail_xfer(x, AUDIT_TRANSPORT_LOCAL, "could not start an HTTP transfer");
			complete(x, done, arg);
			continue;
		}
		xlist_push(&f->running, x);
	}
}

/* Reports the plain requests that are done; returns how many. */
static size_t drain_finished(struct audit_fanout *f, audit_fanout_done_fn done, void *arg)
{
	size_t n = 0;
	while (f->finished.head) {
		struct xfer *x = f->finished.head;
		xlist_remove(&f->finished, x);
		complete(x, done, arg);
		n++;
	}
	return n;
}

/* Reports the transfers libcurl has finished (and the plain ones); returns how many. */
static size_t drain(struct audit_fanout *f, audit_fanout_done_fn done, void *arg)
{
	size_t n = drain_finished(f, done, arg);
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(f->multi, &left)) != NULL) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct xfer *x = NULL;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		CURLcode rc = msg->data.result;
		curl_multi_remove_handle(f->multi, x->easy);
		xlist_remove(&f->running, x);
		finish(f, x, rc);
		easy_put(f, x->easy);
		complete(x, done, arg);
		n++;
	}
	return n;
}

/* libcurl enforces each transfer's timeout; this is the backstop. */
static void expire(struct audit_fanout *f, audit_fanout_done_fn done, void *arg)
{
	uint64_t now = now_ms();
	struct xfer *x = f->running.head, *next;
	f->plain_next = 0;
	for (; x; x = next) {
		next = x->next;
		if (x->host) {
			/* Ours: no one else keeps the deadline. */
			bool connecting = x->conn && x->conn->state == C_CONNECTING;
			uint64_t d = x->deadline_ms;
			if (connecting && x->conn->connect_deadline < d)
				d = x->conn->connect_deadline;
			if (now < d) {
				if (!f->plain_next || d < f->plain_next)
					f->plain_next = d;
				continue;
			}
			plain_abandon(f, x);
			plain_finish(f, x, AUDIT_TRANSPORT_TIMEOUT, NULL,
				     connecting ? "could not connect by the deadline"
						: "no answer by the deadline");
			/* Its connection's end may have started (or failed) others: look again. */
			next = f->running.head;
			f->plain_next = 0;
			continue;
		}
		if (now < x->deadline_ms + 1000)
			continue;
		curl_multi_remove_handle(f->multi, x->easy);
		curl_easy_cleanup(x->easy);
		xlist_remove(&f->running, x);
		fail_xfer(x, AUDIT_TRANSPORT_TIMEOUT, "no answer by the deadline");
		complete(x, done, arg);
	}
	drain_finished(f, done, arg);
}

/* Calls libcurl back if its timer is due. */
static CURLMcode run_timer(struct audit_fanout *f)
{
	int running = 0;
	if (!f->timer_set || now_ms() < f->timer_at)
		return CURLM_OK;
	f->timer_set = false; /* timer_cb sets it again if libcurl wants it */
	return curl_multi_socket_action(f->multi, CURL_SOCKET_TIMEOUT, 0, &running);
}

/* Waits up to wait_ms (less if libcurl's timer comes first) for events, and hands libcurl
 * each ready socket with what it is ready for. */
static CURLMcode wait_events(struct audit_fanout *f, uint64_t wait_ms)
{
	struct epoll_event ev[64];
	if (f->timer_set) {
		uint64_t now = now_ms();
		uint64_t until = f->timer_at > now ? f->timer_at - now : 0;
		if (until < wait_ms)
			wait_ms = until;
	}
	if (f->plain_next) {
		uint64_t now = now_ms();
		uint64_t until = f->plain_next > now ? f->plain_next - now : 0;
		if (until < wait_ms)
			wait_ms = until;
	}
	int nev = epoll_wait(f->epfd, ev, 64, wait_ms > 60000 ? 60000 : (int)wait_ms);
	for (int i = 0; i < nev; i++) {
		if (ev[i].data.u64 & CONN_TAG) {
			conn_io(f, (struct hconn *)(uintptr_t)(ev[i].data.u64 & ~CONN_TAG),
				ev[i].events);
			continue;
		}
		int fd = ev[i].data.fd, running = 0;
		if (fd == f->wakefd) {
			uint64_t v;
			if (read(fd, &v, sizeof(v)) < 0) { /* EAGAIN: someone read it first */
			}
			continue;
		}
		int mask = 0;
		if (ev[i].events & EPOLLIN)
			mask |= CURL_CSELECT_IN;
		if (ev[i].events & EPOLLOUT)
			mask |= CURL_CSELECT_OUT;
		if (ev[i].events & (EPOLLERR | EPOLLHUP))
			mask |= CURL_CSELECT_ERR;
		CURLMcode mc = curl_multi_socket_action(f->multi, fd, mask, &running);
		if (mc != CURLM_OK) {
			free_retired(f);
			return mc;
		}
	}
	free_retired(f);
	return run_timer(f);
}

bool audit_fanout_perform(struct audit_fanout *f, uint64_t wait_ms, audit_fanout_done_fn done,
			  void *arg, struct err *e)
{
	start_waiting(f, done, arg);
	CURLMcode mc = run_timer(f); /* new transfers set a timer of 0: they start here */
	if (mc != CURLM_OK)
		goto fail;
	if (drain(f, done, arg) == 0) {
		/* With nothing to wait for, this waits the whole time (a plain sleep). */
		mc = wait_events(f, wait_ms);
		if (mc != CURLM_OK)
			goto fail;
		drain(f, done, arg);
	}
	expire(f, done, arg);
	start_waiting(f, done, arg);
	return true;
fail:
	err_set(e, "HTTP fan-out failed: %s", curl_multi_strerror(mc));
	drain_finished(f, done, arg);
	f->freeing = true; /* an abandoned request's connection must not start the next */
	while (f->running.head || f->waiting.head) {
		struct xfer *x = f->running.head;
		if (x && x->host) {
			plain_abandon(f, x);
			xlist_remove(&f->running, x);
		} else if (x) {
			curl_multi_remove_handle(f->multi, x->easy);
			curl_easy_cleanup(x->easy);
			xlist_remove(&f->running, x);
		} else {
			x = f->waiting.head;
			xlist_remove(&f->waiting, x);
		}
		fail_xfer(x, AUDIT_TRANSPORT_LOCAL, e ? e->msg : "the fan-out failed");
		complete(x, done, arg);
	}
	f->freeing = false;
	return false;
}

static void run_done(void *arg, struct audit_fanout_request *req)
{
	(void)req;
	(*(size_t *)arg)--;
}

bool audit_fanout_run(struct audit_fanout *f, struct audit_fanout_request *reqs, size_t n,
		      uint64_t deadline_ms, struct err *e)
{
	ASSAY_ASSERT(audit_fanout_pending(f) == 0);
	for (size_t i = 0; i < n; i++)
		audit_fanout_submit(f, &reqs[i], deadline_ms);
	size_t left = n;
	while (left > 0)
		if (!audit_fanout_perform(f, 100, run_done, &left, e))
			return false;
	return true;
}
