/* fanout.c: audit/fanout.h on libcurl's multi interface (curl_multi_perform + poll). */
#include "audit/fanout.h"

#include <blake2.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/buf.h"
#include "core/err.h"

struct audit_fanout {
	CURLM *multi;
	struct audit_fanout_config cfg;
	CURL **pool; /* idle easy handles, reused so their TLS session cache survives */
	size_t npool;
	uint64_t connections;
};

/* One transfer in flight. */
struct xfer {
	struct audit_fanout_request *req;
	CURL *easy;
	struct buf body;
	bool too_large;
	blake2b_state hash;
	bool done;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
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
	if (!f->cfg.connect_timeout_ms)
		f->cfg.connect_timeout_ms = 5000;
	if (!f->cfg.low_speed_bytes)
		f->cfg.low_speed_bytes = 1;
	if (!f->cfg.low_speed_s)
		f->cfg.low_speed_s = 10;
	f->multi = curl_multi_init();
	if (!f->multi) {
		free(f);
		return err_set(e, "could not create a libcurl multi handle (out of memory?)");
	}
	/* A node gets a few connections, not one per challenge: the rest queue inside
	 * libcurl and reuse them; idle connections stay cached for the next batch. */
	curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)f->cfg.max_host_connections);
	curl_multi_setopt(f->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  (long)f->cfg.max_total_connections);
	curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)f->cfg.max_total_connections);
	*out = f;
	return true;
}

void audit_fanout_free(struct audit_fanout *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->npool; i++)
		curl_easy_cleanup(f->pool[i]);
	free(f->pool);
	curl_multi_cleanup(f->multi);
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
	blake2b_update(&x->hash, (const uint8_t *)ptr, n);
	x->req->bytes_received += n;
	if (x->body.len + n > x->req->max_body) {
		x->too_large = true;
		return 0; /* CURLE_WRITE_ERROR: the transfer ends here */
	}
	buf_append(&x->body, ptr, n);
	return n;
}

static void copy_header_value(char *dst, size_t dst_len, const char *v, size_t len)
{
	while (len && (*v == ' ' || *v == '\t')) {
		v++;
		len--;
	}
	while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
		len--;
	if (len >= dst_len)
		len = dst_len - 1;
	for (size_t i = 0; i < len; i++)
		dst[i] = (v[i] >= 0x20 && v[i] < 0x7f) ? v[i] : '?';
	dst[len] = '\0';
}

static size_t header_cb(char *ptr, size_t size, size_t nitems, void *userdata)
{
	struct xfer *x = userdata;
	size_t n = size * nitems;
	static const char ra[] = "retry-after:";
	if (n > sizeof(ra) - 1 && !strncasecmp(ptr, ra, sizeof(ra) - 1))
		copy_header_value(x->req->resp.retry_after, sizeof(x->req->resp.retry_after),
				  ptr + sizeof(ra) - 1, n - (sizeof(ra) - 1));
	return n;
}

/* connect() errors that mean the auditor's own host could not try (same rule as
 * audit_http_request()): no interface, no route out, no ports or descriptors. */
static bool local_errno(long err)
{
	switch (err) {
	case ENETDOWN:
	case ENETUNREACH:
	case EADDRNOTAVAIL:
	case EMFILE:
	case ENFILE:
	case ENOBUFS:
	case ENOMEM:
	case EACCES:
	case EPERM:
		return true;
	default:
		return false;
	}
}

static enum audit_transport transport_of(CURLcode rc, long os_errno, bool too_large)
{
	switch (rc) {
	case CURLE_OK:
		return AUDIT_TRANSPORT_OK;
	case CURLE_OPERATION_TIMEDOUT:
		return AUDIT_TRANSPORT_TIMEOUT;
	case CURLE_WRITE_ERROR:
		return too_large ? AUDIT_TRANSPORT_TOO_LARGE : AUDIT_TRANSPORT_LOCAL;
	case CURLE_COULDNT_CONNECT:
		return local_errno(os_errno) ? AUDIT_TRANSPORT_LOCAL : AUDIT_TRANSPORT_UNREACHABLE;
	case CURLE_OUT_OF_MEMORY:
	case CURLE_FAILED_INIT:
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_READ_ERROR:
	case CURLE_INTERFACE_FAILED:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_CACERT_BADFILE:
		return AUDIT_TRANSPORT_LOCAL;
	default:
		/* Resets, a connection closed early, a TLS or key-pin failure, an answer that
		 * is not HTTP: the node did not give a usable answer. */
		return AUDIT_TRANSPORT_UNREACHABLE;
	}
}

static CURL *easy_get(struct audit_fanout *f)
{
	if (f->npool) {
		CURL *c = f->pool[--f->npool];
		curl_easy_reset(c);
		return c;
	}
	return curl_easy_init();
}

static void easy_put(struct audit_fanout *f, CURL *c)
{
	if (!c)
		return;
	/* Keep as many idle handles as the largest run needed, no more than the total cap. */
	if (f->npool >= f->cfg.max_total_connections * 4u) {
		curl_easy_cleanup(c);
		return;
	}
	f->pool = xrealloc(f->pool, (f->npool + 1) * sizeof(*f->pool));
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
	r->transport = transport_of(rc, os_errno, x->too_large);
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
		copy_header_value(r->content_type, sizeof(r->content_type), ct, strlen(ct));
	blake2b_final(&x->hash, x->req->body_hash, sizeof(x->req->body_hash));
	buf_cstr(&x->body);
	r->body = buf_steal(&x->body, &r->body_len);
	x->done = true;
}

static void setup(struct audit_fanout *f, struct xfer *x, uint64_t timeout_ms)
{
	CURL *c = x->easy;
	curl_easy_setopt(c, CURLOPT_URL, x->req->url);
	curl_easy_setopt(c, CURLOPT_PRIVATE, x);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
			 (long)(timeout_ms < f->cfg.connect_timeout_ms ? timeout_ms
								       : f->cfg.connect_timeout_ms));
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)f->cfg.low_speed_bytes);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)f->cfg.low_speed_s);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	/* A node must not send the auditor to someone else's node. */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "assay/" ASSAY_VERSION);
	/* Wait for a cached connection rather than opening another while one is free. */
	curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
	/* No compressed bodies: the cap must count bytes as the node sends them. */
	curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, NULL);
	if (x->req->pinned_key)
		curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, x->req->pinned_key);
	/* Real Walrus nodes serve self-signed certificates tied to the node key: the pin
	 * is the check, so the chain of trust is not asked for; without a pin the usual
	 * verification stays on. */
	if (x->req->pinned_key) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

bool audit_fanout_run(struct audit_fanout *f, struct audit_fanout_request *reqs, size_t n,
		      uint64_t deadline_ms, struct err *e)
{
	bool ok = false;
	struct xfer *xs = n ? xcalloc(n, sizeof(*xs)) : NULL;
	size_t added = 0;
	uint64_t now = now_ms();
	uint64_t timeout = deadline_ms > now ? deadline_ms - now : 1;
	for (size_t i = 0; i < n; i++) {
		xs[i].req = &reqs[i];
		memset(&reqs[i].resp, 0, sizeof(reqs[i].resp));
		reqs[i].bytes_received = 0;
		blake2b_init(&xs[i].hash, sizeof(reqs[i].body_hash));
	}
	for (size_t i = 0; i < n; i++) {
		struct xfer *x = &xs[i];
		x->easy = easy_get(f);
		if (!x->easy) {
			err_set(e, "could not create an HTTP handle (out of memory?)");
			goto fail;
		}
		setup(f, x, timeout);
		if (curl_multi_add_handle(f->multi, x->easy) != CURLM_OK) {
			err_set(e, "could not start an HTTP transfer");
			goto fail;
		}
		added++;
	}

	int running = 1;
	size_t remaining = n;
	while (remaining > 0) {
		CURLMcode mc = curl_multi_perform(f->multi, &running);
		if (mc != CURLM_OK) {
			err_set(e, "HTTP fan-out failed: %s", curl_multi_strerror(mc));
			goto fail;
		}
		CURLMsg *msg;
		int left;
		while ((msg = curl_multi_info_read(f->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			struct xfer *x = NULL;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&x);
			CURLcode rc = msg->data.result;
			curl_multi_remove_handle(f->multi, x->easy);
			finish(f, x, rc);
			easy_put(f, x->easy);
			x->easy = NULL;
			remaining--;
		}
		if (remaining == 0)
			break;
		now = now_ms();
		/* libcurl enforces each transfer's timeout; this is the backstop. */
		if (now >= deadline_ms + 1000)
			break;
		uint64_t wait = deadline_ms + 1000 - now;
		if (wait > 100)
			wait = 100;
		mc = curl_multi_poll(f->multi, NULL, 0, (int)wait, NULL);
		if (mc != CURLM_OK) {
			err_set(e, "HTTP fan-out failed: %s", curl_multi_strerror(mc));
			goto fail;
		}
	}
	ok = true;
fail:
	for (size_t i = 0; i < n; i++) {
		struct xfer *x = &xs[i];
		if (x->done)
			continue;
		if (x->easy) {
			if (i < added)
				curl_multi_remove_handle(f->multi, x->easy);
			struct audit_http_response *r = &x->req->resp;
			if (ok) {
				r->transport = AUDIT_TRANSPORT_TIMEOUT;
				snprintf(r->detail, sizeof(r->detail), "GET %s: no answer by the deadline",
					 x->req->url);
			} else {
				r->transport = AUDIT_TRANSPORT_LOCAL;
				snprintf(r->detail, sizeof(r->detail), "GET %.100s: %.120s",
					 x->req->url, e ? e->msg : "the fan-out failed");
			}
			blake2b_final(&x->hash, x->req->body_hash, sizeof(x->req->body_hash));
			r->latency_ms = now_ms() - (deadline_ms - timeout);
			curl_easy_cleanup(x->easy);
			x->easy = NULL;
		} else {
			x->req->resp.transport = AUDIT_TRANSPORT_LOCAL;
			snprintf(x->req->resp.detail, sizeof(x->req->resp.detail),
				 "the fan-out failed before this request was sent");
		}
		buf_free(&x->body);
	}
	free(xs);
	return ok;
}
