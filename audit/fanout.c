/* fanout.c: audit/fanout.h on libcurl's multi interface, event-driven: libcurl tells us
 * its sockets and timer (curl_multi_socket_action), we wait on them with epoll.
 *
 * Why not curl_multi_perform + curl_multi_poll: perform walks every running transfer and,
 * for each one not told which of its sockets are ready, polls that socket itself (one
 * poll(2) per transfer per call: 3.4 polls per request in a profile of the auditor under
 * load). socket_action only touches the transfers whose socket has an event, and passes
 * the event along, so libcurl does not ask the kernel again. */
#include "audit/fanout.h"

#include <blake2.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "audit/b2many.h"
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
	blake2b_state hash;
	uint64_t submitted_ms, deadline_ms;
	struct xfer *prev, *next; /* in the waiting or the running list */
};

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
};

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
	for (x = f->running.head; x; x = next) {
		next = x->next;
		curl_multi_remove_handle(f->multi, x->easy);
		curl_easy_cleanup(x->easy);
		buf_free(&x->body);
		free(x);
	}
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

void audit_fanout_submit(struct audit_fanout *f, struct audit_fanout_request *req,
			 uint64_t deadline_ms)
{
	memset(&req->resp, 0, sizeof(req->resp));
	memset(req->body_hash, 0, sizeof(req->body_hash));
	req->bytes_received = 0;
	req->hash_pending = false;
	struct xfer *x = xcalloc(1, sizeof(*x));
	x->req = req;
	blake2b_init(&x->hash, sizeof(req->body_hash));
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
	return f->waiting.n + f->running.n;
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
		x->easy = easy_get(f);
		if (!x->easy) {
			fail_xfer(x, AUDIT_TRANSPORT_LOCAL, "could not create an HTTP handle");
			complete(x, done, arg);
			continue;
		}
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

/* Reports the transfers libcurl has finished; returns how many. */
static size_t drain(struct audit_fanout *f, audit_fanout_done_fn done, void *arg)
{
	size_t n = 0;
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
	for (; x; x = next) {
		next = x->next;
		if (now < x->deadline_ms + 1000)
			continue;
		curl_multi_remove_handle(f->multi, x->easy);
		curl_easy_cleanup(x->easy);
		xlist_remove(&f->running, x);
		fail_xfer(x, AUDIT_TRANSPORT_TIMEOUT, "no answer by the deadline");
		complete(x, done, arg);
	}
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
	int nev = epoll_wait(f->epfd, ev, 64, wait_ms > 60000 ? 60000 : (int)wait_ms);
	for (int i = 0; i < nev; i++) {
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
		if (mc != CURLM_OK)
			return mc;
	}
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
	while (f->running.head || f->waiting.head) {
		struct xfer *x = f->running.head;
		if (x) {
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
