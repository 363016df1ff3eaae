/* hostile_http.c: see hostile_http.h. Plain sockets, one thread per connection. */
#include "tests/harness/hostile_http.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/util.h"

struct hostile_http {
	int lfd;
	char url[64];
	char *upstream;
	_Atomic int mode;
	_Atomic int stop;
	_Atomic uint64_t requests;
	_Atomic uint64_t connections;
	_Atomic uint64_t huge_sent;
	_Atomic int live; /* connection threads still running */
	pthread_mutex_t raw_lock;
	char *raw; /* HOSTILE_RAW's answer */
	size_t raw_len;
	pthread_t acceptor;
};

struct conn {
	struct hostile_http *h;
	int fd;
};

#define HUGE_BYTES (50ull * 1000 * 1000)

static bool send_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

/* Wait for readability in short steps so that stop is noticed. 1 ready, 0 stop, -1 error. */
static int wait_readable(struct hostile_http *h, int fd)
{
	for (;;) {
		if (atomic_load(&h->stop))
			return 0;
		struct pollfd p = {fd, POLLIN, 0};
		int r = poll(&p, 1, 100);
		if (r > 0)
			return 1;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

/* Read one request; body into out. false when the client went away. */
static bool read_request(struct hostile_http *h, int fd, struct buf *in, struct buf *out)
{
	for (;;) {
		const char *hdr_end = NULL;
		if (in->len)
			hdr_end = memmem(in->data, in->len, "\r\n\r\n", 4);
		if (hdr_end) {
			size_t hlen = (size_t)(hdr_end - (const char *)in->data) + 4;
			size_t clen = 0;
			char *hdr = xstrndup((const char *)in->data, hlen);
			for (char *p = hdr; (p = strcasestr(p, "content-length:")); p++)
				clen = strtoul(p + 15, NULL, 10);
			free(hdr);
			if (in->len >= hlen + clen) {
				buf_reset(out);
				buf_append(out, in->data + hlen, clen);
				size_t rest = in->len - hlen - clen;
				memmove(in->data, in->data + hlen + clen, rest);
				in->len = rest;
				return true;
			}
		}
		if (wait_readable(h, fd) <= 0)
			return false;
		char tmp[65536];
		ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
		if (n <= 0)
			return false;
		buf_append(in, tmp, (size_t)n);
	}
}

static void respond(int fd, int status, const char *reason, const char *body, size_t len)
{
	char head[256];
	int n = snprintf(head, sizeof(head),
			 "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\n"
			 "Content-Length: %zu\r\n\r\n",
			 status, reason, len);
	if (send_all(fd, head, (size_t)n))
		send_all(fd, body, len);
}

/* Valid or subtly wrong answers built from the request. */
static char *answer(const char *req, size_t len, enum hostile_mode mode)
{
	json_t *r = json_loadb(req, len, 0, NULL);
	if (!r)
		return xstrdup("{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32700,"
			       "\"message\":\"parse error\"}}");
	bool batch = json_is_array(r);
	json_t *out = json_array();
	size_t n = batch ? json_array_size(r) : 1;
	for (size_t k = n; k-- > 0;) { /* reversed: answers may come in any order */
		json_t *call = batch ? json_array_get(r, k) : r;
		json_int_t id = json_integer_value(json_object_get(call, "id"));
		if (mode == HOSTILE_WRONG_ID)
			id += 1000;
		json_t *a = json_pack("{s:I, s:s}", "id", id, "result", "0x2a");
		if (mode != HOSTILE_NO_VERSION)
			json_object_set_new(a, "jsonrpc", json_string("2.0"));
		json_array_append_new(out, a);
	}
	char *s = json_dumps(batch ? out : json_array_get(out, 0), JSON_COMPACT);
	json_decref(out);
	json_decref(r);
	return s;
}

static size_t collect(char *p, size_t size, size_t n, void *ud)
{
	buf_append(ud, p, size * n);
	return size * n;
}

/* Forward to the upstream node; HTTP status and body. */
static long forward(struct hostile_http *h, const struct buf *req, struct buf *resp)
{
	CURL *c = curl_easy_init();
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, h->upstream);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)req->data);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)req->len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	long code = 502;
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(hd);
	curl_easy_cleanup(c);
	return code;
}

static void stream_huge(struct hostile_http *h, int fd, bool chunked)
{
	char head[256];
	int n = chunked ? snprintf(head, sizeof(head),
				   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				   "Transfer-Encoding: chunked\r\n\r\n")
			: snprintf(head, sizeof(head),
				   "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
				   "Content-Length: %llu\r\n\r\n",
				   (unsigned long long)HUGE_BYTES);
	if (!send_all(fd, head, (size_t)n))
		return;
	static char block[65536];
	memset(block, ' ', sizeof(block));
	block[0] = '[';
	uint64_t sent = 0;
	while (sent < HUGE_BYTES && !atomic_load(&h->stop)) {
		if (chunked) {
			char ch[32];
			int m = snprintf(ch, sizeof(ch), "%zx\r\n", sizeof(block));
			if (!send_all(fd, ch, (size_t)m))
				break;
		}
		if (!send_all(fd, block, sizeof(block)))
			break;
		if (chunked && !send_all(fd, "\r\n", 2))
			break;
		sent += sizeof(block);
		atomic_store(&h->huge_sent, sent);
	}
}

/* An eth_getLogs call over more than 10 blocks, as some providers refuse them. */
static bool log_range_too_wide(const struct buf *req, json_int_t *id)
{
	json_t *r = json_loadb((const char *)req->data, req->len, 0, NULL);
	bool wide = false;
	const char *m = json_string_value(json_object_get(r, "method"));
	if (m && !strcmp(m, "eth_getLogs")) {
		json_t *f = json_array_get(json_object_get(r, "params"), 0);
		const char *a = json_string_value(json_object_get(f, "fromBlock"));
		const char *b = json_string_value(json_object_get(f, "toBlock"));
		if (a && b && strtoull(b, NULL, 16) - strtoull(a, NULL, 16) + 1 > 10)
			wide = true;
		*id = json_integer_value(json_object_get(r, "id"));
	}
	json_decref(r);
	return wide;
}

static void *conn_main(void *arg)
{
	struct conn *c = arg;
	struct hostile_http *h = c->h;
	struct buf in = BUF_INIT, req = BUF_INIT;
	while (read_request(h, c->fd, &in, &req)) {
		atomic_fetch_add(&h->requests, 1);
		enum hostile_mode mode = (enum hostile_mode)atomic_load(&h->mode);
		if (mode == HOSTILE_PROXY_NO_SEND &&
		    memmem(req.data, req.len, "eth_sendRawTransaction", 22)) {
			respond(c->fd, 500, "Internal Server Error", "broadcast refused", 17);
			continue;
		}
		json_int_t id = 0;
		if (mode == HOSTILE_PROXY_LOG_LIMIT && log_range_too_wide(&req, &id)) {
			char body[200];
			int n = snprintf(body, sizeof(body),
					 "{\"jsonrpc\":\"2.0\",\"id\":%lld,\"error\":{\"code\":"
					 "-32005,\"message\":\"query exceeds max block range 10\"}}",
					 (long long)id);
			respond(c->fd, 200, "OK", body, (size_t)n);
			continue;
		}
		if (mode == HOSTILE_PROXY || mode == HOSTILE_PROXY_NO_SEND ||
		    mode == HOSTILE_PROXY_LOG_LIMIT) {
			struct buf resp = BUF_INIT;
			buf_append_byte(&req, 0);
			req.len--;
			long code = forward(h, &req, &resp);
			respond(c->fd, (int)code, code == 200 ? "OK" : "Error",
				resp.data ? (const char *)resp.data : "", resp.len);
			buf_free(&resp);
			continue;
		}
		if (mode == HOSTILE_SILENT) {
			while (wait_readable(h, c->fd) == 1) {
				char tmp[4096];
				if (recv(c->fd, tmp, sizeof(tmp), 0) <= 0)
					break;
			}
			break;
		}
		if (mode == HOSTILE_RESET)
			break;
		if (mode == HOSTILE_HUGE || mode == HOSTILE_HUGE_CHUNKED) {
			stream_huge(h, c->fd, mode == HOSTILE_HUGE_CHUNKED);
			break;
		}
		if (mode == HOSTILE_RAW) {
			pthread_mutex_lock(&h->raw_lock);
			char *raw = h->raw_len ? xmalloc(h->raw_len) : NULL;
			size_t rl = h->raw_len;
			if (rl)
				memcpy(raw, h->raw, rl);
			pthread_mutex_unlock(&h->raw_lock);
			send_all(c->fd, raw, rl);
			free(raw);
			break;
		}
		if (mode == HOSTILE_TRICKLE) {
			static const char slow[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
			bool ok = true;
			for (size_t i = 0; i < sizeof(slow) - 1 && ok && !atomic_load(&h->stop); i++) {
				ok = send_all(c->fd, slow + i, 1);
				usleep(200000);
			}
			break;
		}
		if (mode == HOSTILE_HTTP500) {
			respond(c->fd, 500, "Internal Server Error", "upstream exploded", 17);
			continue;
		}
		char *body = answer((const char *)req.data, req.len, mode);
		size_t len = strlen(body);
		if (mode == HOSTILE_TRUNCATED)
			len /= 2;
		respond(c->fd, 200, "OK", body, len);
		free(body);
	}
	buf_free(&in);
	buf_free(&req);
	close(c->fd);
	free(c);
	atomic_fetch_sub(&h->live, 1);
	return NULL;
}

static void *accept_main(void *arg)
{
	struct hostile_http *h = arg;
	while (!atomic_load(&h->stop)) {
		struct pollfd p = {h->lfd, POLLIN, 0};
		if (poll(&p, 1, 100) <= 0)
			continue;
		int fd = accept(h->lfd, NULL, NULL);
		if (fd < 0)
			continue;
		atomic_fetch_add(&h->connections, 1);
		struct conn *c = xmalloc(sizeof(*c));
		c->h = h;
		c->fd = fd;
		atomic_fetch_add(&h->live, 1);
		pthread_t t;
		if (pthread_create(&t, NULL, conn_main, c) != 0) {
			atomic_fetch_sub(&h->live, 1);
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(t);
	}
	return NULL;
}

struct hostile_http *hostile_http_start(const char *upstream)
{
	struct hostile_http *h = xcalloc(1, sizeof(*h));
	h->upstream = upstream ? xstrdup(upstream) : NULL;
	pthread_mutex_init(&h->raw_lock, NULL);
	h->lfd = socket(AF_INET, SOCK_STREAM, 0);
	ASSAY_ASSERT(h->lfd >= 0);
	int one = 1;
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	struct sockaddr_in a = {0};
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSAY_ASSERT(bind(h->lfd, (struct sockaddr *)&a, sizeof(a)) == 0);
	ASSAY_ASSERT(listen(h->lfd, 64) == 0);
	socklen_t al = sizeof(a);
	ASSAY_ASSERT(getsockname(h->lfd, (struct sockaddr *)&a, &al) == 0);
	snprintf(h->url, sizeof(h->url), "http://127.0.0.1:%u", (unsigned)ntohs(a.sin_port));
	ASSAY_ASSERT(pthread_create(&h->acceptor, NULL, accept_main, h) == 0);
	return h;
}

void hostile_http_set_mode(struct hostile_http *h, enum hostile_mode mode)
{
	atomic_store(&h->mode, (int)mode);
}

void hostile_http_set_raw(struct hostile_http *h, const void *bytes, size_t len)
{
	pthread_mutex_lock(&h->raw_lock);
	free(h->raw);
	h->raw = xmalloc(len ? len : 1);
	memcpy(h->raw, bytes, len);
	h->raw_len = len;
	pthread_mutex_unlock(&h->raw_lock);
	atomic_store(&h->mode, (int)HOSTILE_RAW);
}

const char *hostile_http_url(const struct hostile_http *h)
{
	return h->url;
}

uint64_t hostile_http_requests(const struct hostile_http *h)
{
	return atomic_load(&h->requests);
}

uint64_t hostile_http_connections(const struct hostile_http *h)
{
	return atomic_load(&h->connections);
}

uint64_t hostile_http_huge_sent(const struct hostile_http *h)
{
	return atomic_load(&h->huge_sent);
}

void hostile_http_stop(struct hostile_http *h)
{
	if (!h)
		return;
	atomic_store(&h->stop, 1);
	pthread_join(h->acceptor, NULL);
	close(h->lfd);
	while (atomic_load(&h->live) > 0)
		usleep(10000);
	free(h->upstream);
	free(h->raw);
	pthread_mutex_destroy(&h->raw_lock);
	free(h);
}
