/* rpc.c: JSON-RPC 2.0 over HTTP(S) with libcurl, answers checked strictly with jansson. */
#include "chain/rpc.h"

#include <curl/curl.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/abi.h"
#include "chain/u256.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "core/util.h"

struct chain_rpc {
	CURL *curl;
	struct curl_slist *headers;
	char *url;
	char *shown_url; /* scheme://host:port only: paths and userinfo may carry API keys */
	struct chain_rpc_opts o;
	uint64_t next_id;
	struct buf body;
	bool too_big;
	char curl_err[CURL_ERROR_SIZE];
	enum chain_rpc_status last_status;
	int64_t last_code;
	char last_message[256];
	uint64_t requests, retries;
};

struct chain_rpc_batch {
	json_t *calls;    /* array of request objects */
	char **methods;
	uint64_t *ids;
	size_t n, cap;
	json_t **results; /* after send */
	struct chain_rpc_fault *faults;
	bool sent;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* ---- small text helpers ---- */

/* Copy text from a node into a message: printable ASCII only, bounded. */
static void clean_copy(char *dst, size_t n, const char *src, size_t src_len)
{
	size_t j = 0;
	for (size_t i = 0; i < src_len && j + 1 < n; i++) {
		unsigned char c = (unsigned char)src[i];
		dst[j++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	dst[j] = '\0';
}

static char *redact_url(const char *url)
{
	const char *p = strstr(url, "://");
	const char *host = p ? p + 3 : url;
	const char *end = host + strcspn(host, "/?#");
	const char *at = memchr(host, '@', (size_t)(end - host));
	if (at)
		host = at + 1;
	size_t scheme_len = p ? (size_t)(p + 3 - url) : 0;
	char *s = xmalloc(scheme_len + (size_t)(end - host) + 1);
	memcpy(s, url, scheme_len);
	memcpy(s + scheme_len, host, (size_t)(end - host));
	s[scheme_len + (size_t)(end - host)] = '\0';
	return s;
}

/* ---- the client ---- */

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct chain_rpc *rpc = userdata;
	size_t n = size * nmemb;
	if (rpc->body.len + n > rpc->o.max_response) {
		rpc->too_big = true;
		return 0; /* aborts the transfer: never buffer past the cap */
	}
	buf_append(&rpc->body, ptr, n);
	return n;
}

bool chain_rpc_new(struct chain_rpc **out, const char *url, const struct chain_rpc_opts *opts,
		   struct err *e)
{
	if (!url || !*url)
		return err_set(e, "no JSON-RPC URL given: pass --rpc-url URL or set ASSAY_RPC_URL");
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return err_set(e, "the JSON-RPC URL must start with http:// or https://");
	pthread_once(&curl_once, curl_init_once);
	struct chain_rpc *rpc = xcalloc(1, sizeof(*rpc));
	if (opts)
		rpc->o = *opts;
	if (!rpc->o.timeout_ms)
		rpc->o.timeout_ms = 10000;
	if (!rpc->o.connect_timeout_ms)
		rpc->o.connect_timeout_ms = rpc->o.timeout_ms < 5000 ? rpc->o.timeout_ms : 5000;
	if (!opts)
		rpc->o.retries = 3;
	if (!rpc->o.backoff_ms)
		rpc->o.backoff_ms = 100;
	if (!rpc->o.max_response)
		rpc->o.max_response = CHAIN_RPC_DEFAULT_MAX_RESPONSE;
	rpc->url = xstrdup(url);
	rpc->shown_url = redact_url(url);
	rpc->next_id = 1;
	rpc->curl = curl_easy_init();
	if (!rpc->curl) {
		chain_rpc_free(rpc);
		return err_set(e, "cannot create a libcurl handle");
	}
	rpc->headers = curl_slist_append(NULL, "Content-Type: application/json");
	/* No "Expect: 100-continue" round trip before large batches. */
	rpc->headers = curl_slist_append(rpc->headers, "Expect:");
	CURL *c = rpc->curl;
	curl_easy_setopt(c, CURLOPT_URL, rpc->url);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, rpc->headers);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)rpc->o.timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)rpc->o.connect_timeout_ms);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, rpc);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, rpc->curl_err);
	curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)rpc->o.max_response);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "assay/" ASSAY_VERSION);
	*out = rpc;
	return true;
}

void chain_rpc_free(struct chain_rpc *rpc)
{
	if (!rpc)
		return;
	if (rpc->curl)
		curl_easy_cleanup(rpc->curl);
	curl_slist_free_all(rpc->headers);
	buf_free(&rpc->body);
	free(rpc->url);
	free(rpc->shown_url);
	free(rpc);
}

const char *chain_rpc_url(const struct chain_rpc *rpc)
{
	return rpc->shown_url;
}

enum chain_rpc_status chain_rpc_last_status(const struct chain_rpc *rpc)
{
	return rpc->last_status;
}

int64_t chain_rpc_last_code(const struct chain_rpc *rpc)
{
	return rpc->last_code;
}

const char *chain_rpc_last_message(const struct chain_rpc *rpc)
{
	return rpc->last_message;
}

void chain_rpc_stats(const struct chain_rpc *rpc, uint64_t *requests, uint64_t *retries)
{
	if (requests)
		*requests = rpc->requests;
	if (retries)
		*retries = rpc->retries;
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

/* Methods whose repetition cannot change the chain twice (see rpc.h). */
static bool idempotent(const char *method)
{
	return !strncmp(method, "eth_", 4) || !strncmp(method, "net_", 4) ||
	       !strncmp(method, "web3_", 5);
}

/* Did the request surely not reach the node? Then any method may be sent again. */
static bool never_sent(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
	       rc == CURLE_COULDNT_RESOLVE_PROXY;
}

static bool transient(CURLcode rc)
{
	return never_sent(rc) || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_RECV_ERROR ||
	       rc == CURLE_SEND_ERROR || rc == CURLE_GOT_NOTHING || rc == CURLE_PARTIAL_FILE;
}

/* One HTTP POST with retries. On CHAIN_RPC_OK or CHAIN_RPC_HTTP the body is in rpc->body
 * and *http is the status. */
static enum chain_rpc_status post(struct chain_rpc *rpc, const char *what, const char *req,
				  size_t len, bool may_resend, long *http, struct err *e)
{
	unsigned backoff = rpc->o.backoff_ms;
	for (unsigned attempt = 0;; attempt++) {
		buf_reset(&rpc->body);
		rpc->too_big = false;
		rpc->curl_err[0] = '\0';
		curl_easy_setopt(rpc->curl, CURLOPT_POSTFIELDS, req);
		curl_easy_setopt(rpc->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
		CURLcode rc = curl_easy_perform(rpc->curl);
		rpc->requests++;
		long code = 0;
		bool retry = false;
		if (rc == CURLE_OK) {
			curl_easy_getinfo(rpc->curl, CURLINFO_RESPONSE_CODE, &code);
			*http = code;
			if (code == 200)
				return CHAIN_RPC_OK;
			retry = code == 429 || code == 502 || code == 503 || code == 504;
			if (!retry)
				return CHAIN_RPC_HTTP;
		} else if (rpc->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
			err_set(e, "%s: the answer from %s is larger than %zu bytes; refusing it",
				what, rpc->shown_url, rpc->o.max_response);
			return CHAIN_RPC_TOO_LARGE;
		} else {
			retry = transient(rc) && (may_resend || never_sent(rc));
		}
		if (!retry || attempt >= rpc->o.retries) {
			if (rc == CURLE_OK)
				err_set(e, "%s: %s answered HTTP %ld (after %u attempts)", what,
					rpc->shown_url, code, attempt + 1);
			else
				err_set(e, "%s: no answer from %s: %s (after %u attempt%s)", what,
					rpc->shown_url,
					rpc->curl_err[0] ? rpc->curl_err : curl_easy_strerror(rc),
					attempt + 1, attempt ? "s" : "");
			return CHAIN_RPC_TRANSPORT;
		}
		log_debug("%s: transport failure (%s), retrying in %u ms", what,
			  rc == CURLE_OK ? "HTTP error" : curl_easy_strerror(rc), backoff);
		rpc->retries++;
		sleep_ms(backoff);
		backoff = backoff >= 2500 ? 5000 : backoff * 2;
	}
}

/* ---- revert data ---- */

static const char *panic_reason(uint64_t code)
{
	switch (code) {
	case 0x01: return "assertion failed";
	case 0x11: return "arithmetic overflow or underflow";
	case 0x12: return "division or modulo by zero";
	case 0x21: return "invalid enum value";
	case 0x22: return "bad storage byte array encoding";
	case 0x31: return "pop on an empty array";
	case 0x32: return "array index out of bounds";
	case 0x41: return "out of memory";
	case 0x51: return "call to a zero function pointer";
	default: return "unknown panic code";
	}
}

/* A 32-byte ABI word as a size_t, if it fits. */
static bool word_size(const uint8_t *w, size_t *out)
{
	for (int i = 0; i < 24; i++)
		if (w[i])
			return false;
	uint64_t v = 0;
	for (int i = 24; i < 32; i++)
		v = v << 8 | w[i];
	if (v > SIZE_MAX)
		return false;
	*out = (size_t)v;
	return true;
}

void chain_rpc_describe_revert(const uint8_t *data, size_t len, char *out, size_t out_len)
{
	static const uint8_t err_sel[4] = {0x08, 0xc3, 0x79, 0xa0};
	static const uint8_t panic_sel[4] = {0x4e, 0x48, 0x7b, 0x71};
	if (!out_len)
		return;
	out[0] = '\0';
	if (len == 0) {
		snprintf(out, out_len, "no revert data");
		return;
	}
	if (len < 4) {
		snprintf(out, out_len, "%zu bytes of revert data", len);
		return;
	}
	const uint8_t *p = data + 4;
	size_t rest = len - 4;
	if (!memcmp(data, err_sel, 4)) {
		size_t off, slen;
		if (rest >= 64 && word_size(p, &off) && off <= rest - 32 &&
		    word_size(p + off, &slen) && slen <= rest - off - 32) {
			char s[200];
			clean_copy(s, sizeof(s), (const char *)p + off + 32, slen);
			snprintf(out, out_len, "Error(string) \"%s\"%s", s,
				 slen >= sizeof(s) ? " (truncated)" : "");
			return;
		}
		snprintf(out, out_len, "Error(string) with malformed data (%zu bytes)", len);
		return;
	}
	if (!memcmp(data, panic_sel, 4)) {
		size_t code;
		if (rest == 32 && word_size(p, &code)) {
			snprintf(out, out_len, "Panic(0x%02zx) %s", code, panic_reason(code));
			return;
		}
		snprintf(out, out_len, "Panic(uint256) with malformed data (%zu bytes)", len);
		return;
	}
	snprintf(out, out_len, "custom error 0x%02x%02x%02x%02x (+%zu bytes)", data[0], data[1],
		 data[2], data[3], rest);
}

/* ---- answer parsing ---- */

const char *chain_rpc_status_name(enum chain_rpc_status s)
{
	switch (s) {
	case CHAIN_RPC_OK: return "ok";
	case CHAIN_RPC_TRANSPORT: return "transport";
	case CHAIN_RPC_HTTP: return "HTTP";
	case CHAIN_RPC_TOO_LARGE: return "too large";
	case CHAIN_RPC_MALFORMED: return "malformed";
	case CHAIN_RPC_NODE: return "node error";
	}
	return "?";
}

static void fill_fault(const json_t *error, struct chain_rpc_fault *f)
{
	memset(f, 0, sizeof(*f));
	f->code = (int64_t)json_integer_value(json_object_get(error, "code"));
	const json_t *m = json_object_get(error, "message");
	clean_copy(f->message, sizeof(f->message), json_string_value(m), json_string_length(m));
	const json_t *d = json_object_get(error, "data");
	/* geth and anvil send the revert data as a hex string; some nodes nest it. */
	if (json_is_object(d))
		d = json_object_get(d, "data");
	if (json_is_string(d)) {
		const char *s = json_string_value(d);
		if (s[0] == '0' && s[1] == 'x') {
			struct buf b = BUF_INIT;
			struct err ignored;
			char *msg = NULL;
			/* The ABI module knows Error, Panic and selectors; ours is the fallback
			 * for data it finds malformed. */
			if (hex_decode_buf(&b, s, &ignored) && b.len) {
				if (chain_abi_decode_revert(b.data, b.len, NULL, 0, &msg, &ignored))
					clean_copy(f->detail, sizeof(f->detail), msg, strlen(msg));
				else
					chain_rpc_describe_revert(b.data, b.len, f->detail,
								  sizeof(f->detail));
			}
			free(msg);
			buf_free(&b);
		}
	}
}

/* The sentence for a node error. */
static void fault_sentence(const struct chain_rpc_fault *f, const char *method, struct err *e)
{
	if (f->detail[0] && !strncmp(f->message, "execution reverted", 18))
		err_set(e, "%s: execution reverted: %s (JSON-RPC error %" PRId64 ")", method,
			f->detail, f->code);
	else if (f->detail[0])
		err_set(e, "%s: %s: %s (JSON-RPC error %" PRId64 ")", method, f->message,
			f->detail, f->code);
	else
		err_set(e, "%s: %s (JSON-RPC error %" PRId64 ")", method,
			f->message[0] ? f->message : "error without a message", f->code);
}

/* Check one response object. *id_out is its id (has_id false for "id": null). */
static enum chain_rpc_status check_object(json_t *o, bool *has_id, uint64_t *id_out,
					  json_t **result, json_t **error, struct err *e)
{
	if (!json_is_object(o))
		return err_set(e, "a response is not a JSON object"), CHAIN_RPC_MALFORMED;
	const json_t *v = json_object_get(o, "jsonrpc");
	if (!json_is_string(v) || strcmp(json_string_value(v), "2.0"))
		return err_set(e, "a response lacks \"jsonrpc\": \"2.0\""), CHAIN_RPC_MALFORMED;
	const json_t *id = json_object_get(o, "id");
	json_t *res = json_object_get(o, "result");
	json_t *er = json_object_get(o, "error");
	if (res && er)
		return err_set(e, "a response has both a result and an error"), CHAIN_RPC_MALFORMED;
	if (!res && !er)
		return err_set(e, "a response has neither a result nor an error"),
		       CHAIN_RPC_MALFORMED;
	if (er) {
		if (!json_is_object(er) || !json_is_integer(json_object_get(er, "code")) ||
		    !json_is_string(json_object_get(er, "message")))
			return err_set(e, "an error object lacks an integer code or a message"),
			       CHAIN_RPC_MALFORMED;
	}
	if (json_is_null(id) && er) {
		*has_id = false; /* the node could not read our request's id */
	} else if (json_is_integer(id) && json_integer_value(id) >= 0) {
		*has_id = true;
		*id_out = (uint64_t)json_integer_value(id);
	} else {
		return err_set(e, "a response has no usable id"), CHAIN_RPC_MALFORMED;
	}
	*result = res;
	*error = er;
	return CHAIN_RPC_OK;
}

static json_t *load(const char *body, size_t len, struct err *e)
{
	json_error_t jerr;
	/* \u0000 is valid JSON: anvil writes it in error messages that quote revert data
	 * which happens to be UTF-8. Strings are read with their lengths where it matters. */
	json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
	if (!root) {
		char text[120];
		clean_copy(text, sizeof(text), jerr.text, strlen(jerr.text));
		err_set(e, "the answer is not valid JSON (%s at byte %d of %zu)", text,
			jerr.position, len);
	}
	return root;
}

enum chain_rpc_status chain_rpc_parse_response(const char *body, size_t len, uint64_t id,
					       json_t **result, struct chain_rpc_fault *fault,
					       struct err *e)
{
	*result = NULL;
	json_t *root = load(body, len, e);
	if (!root)
		return CHAIN_RPC_MALFORMED;
	enum chain_rpc_status st;
	bool has_id = false;
	uint64_t got = 0;
	json_t *res = NULL, *er = NULL;
	if (json_is_array(root)) {
		st = CHAIN_RPC_MALFORMED;
		err_set(e, "a batch answer to a single call");
		goto out;
	}
	st = check_object(root, &has_id, &got, &res, &er, e);
	if (st != CHAIN_RPC_OK)
		goto out;
	if (has_id && got != id) {
		st = CHAIN_RPC_MALFORMED;
		err_set(e, "the answer has id %" PRIu64 " but the request had id %" PRIu64, got, id);
		goto out;
	}
	if (er) {
		struct chain_rpc_fault tmp;
		fill_fault(er, fault ? fault : &tmp);
		st = CHAIN_RPC_NODE;
		goto out;
	}
	*result = json_incref(res);
out:
	json_decref(root);
	return st;
}

static bool find_id(const uint64_t *ids, size_t n, uint64_t id, size_t *at)
{
	/* Our batches use consecutive ids: try the direct slot first. */
	if (n && id >= ids[0] && id - ids[0] < n && ids[id - ids[0]] == id) {
		*at = (size_t)(id - ids[0]);
		return true;
	}
	for (size_t i = 0; i < n; i++)
		if (ids[i] == id) {
			*at = i;
			return true;
		}
	return false;
}

enum chain_rpc_status chain_rpc_parse_batch(const char *body, size_t len, const uint64_t *ids,
					    size_t n, json_t **results,
					    struct chain_rpc_fault *faults, struct err *e)
{
	for (size_t i = 0; i < n; i++)
		results[i] = NULL;
	json_t *root = load(body, len, e);
	if (!root)
		return CHAIN_RPC_MALFORMED;
	enum chain_rpc_status st = CHAIN_RPC_MALFORMED;
	bool *seen = xcalloc(n ? n : 1, sizeof(*seen));
	if (json_is_object(root)) {
		/* A node that refuses the whole batch answers with one error object. */
		bool has_id;
		uint64_t id;
		json_t *res = NULL, *er = NULL;
		st = check_object(root, &has_id, &id, &res, &er, e);
		if (st == CHAIN_RPC_OK && er) {
			struct chain_rpc_fault f;
			fill_fault(er, &f);
			if (faults)
				for (size_t i = 0; i < n; i++)
					faults[i] = f;
			fault_sentence(&f, "batch", e);
			st = CHAIN_RPC_NODE;
		} else if (st == CHAIN_RPC_OK) {
			st = CHAIN_RPC_MALFORMED;
			err_set(e, "a single result in answer to a batch of %zu calls", n);
		}
		goto out;
	}
	if (!json_is_array(root)) {
		err_set(e, "the batch answer is not a JSON array");
		goto out;
	}
	if (json_array_size(root) != n) {
		err_set(e, "the batch answer has %zu entries for %zu calls", json_array_size(root), n);
		goto out;
	}
	size_t k;
	json_t *o;
	json_array_foreach(root, k, o) {
		bool has_id;
		uint64_t id = 0;
		json_t *res = NULL, *er = NULL;
		if (check_object(o, &has_id, &id, &res, &er, e) != CHAIN_RPC_OK) {
			err_prefix(e, "batch entry %zu: ", k);
			goto out;
		}
		size_t at;
		if (!has_id) {
			err_set(e, "batch entry %zu: an error with a null id cannot be matched to a call",
				k);
			goto out;
		}
		if (!find_id(ids, n, id, &at)) {
			err_set(e, "batch entry %zu: id %" PRIu64 " matches no call", k, id);
			goto out;
		}
		if (seen[at]) {
			err_set(e, "batch entry %zu: id %" PRIu64 " answered twice", k, id);
			goto out;
		}
		seen[at] = true;
		if (er) {
			if (faults)
				fill_fault(er, &faults[at]);
		} else {
			results[at] = json_incref(res);
		}
	}
	st = CHAIN_RPC_OK;
out:
	if (st != CHAIN_RPC_OK)
		for (size_t i = 0; i < n; i++) {
			json_decref(results[i]);
			results[i] = NULL;
		}
	free(seen);
	json_decref(root);
	return st;
}

/* ---- calls ---- */

static void set_last(struct chain_rpc *rpc, enum chain_rpc_status st,
		     const struct chain_rpc_fault *f)
{
	rpc->last_status = st;
	rpc->last_code = f ? f->code : 0;
	snprintf(rpc->last_message, sizeof(rpc->last_message), "%s", f ? f->message : "");
}

/* For a non-200 answer: a JSON-RPC error in the body wins, else the HTTP status. */
static enum chain_rpc_status http_failure(struct chain_rpc *rpc, const char *what, long http,
					  struct err *e)
{
	char text[121];
	clean_copy(text, sizeof(text), (const char *)rpc->body.data, rpc->body.len);
	err_set(e, "%s: %s answered HTTP %ld%s%s%s", what, rpc->shown_url, http,
		text[0] ? " (\"" : "", text, text[0] ? "\")" : "");
	return CHAIN_RPC_HTTP;
}

bool chain_rpc_call_json(struct chain_rpc *rpc, const char *method, json_t *params,
			 json_t **result, struct err *e)
{
	bool ok = false;
	char *req = NULL;
	*result = NULL;
	if (!params)
		params = json_array();
	uint64_t id = rpc->next_id++;
	json_t *o = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id", (json_int_t)id,
			      "method", method, "params", params);
	ASSAY_ASSERT(o);
	req = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	ASSAY_ASSERT(req);
	long http = 0;
	enum chain_rpc_status st = post(rpc, method, req, strlen(req), idempotent(method), &http, e);
	set_last(rpc, st, NULL);
	if (st != CHAIN_RPC_OK && st != CHAIN_RPC_HTTP)
		goto out;
	struct chain_rpc_fault f;
	struct err perr;
	enum chain_rpc_status pst = chain_rpc_parse_response((const char *)rpc->body.data,
							     rpc->body.len, id, result, &f, &perr);
	if (st == CHAIN_RPC_HTTP && pst != CHAIN_RPC_NODE) {
		json_decref(*result);
		*result = NULL;
		set_last(rpc, http_failure(rpc, method, http, e), NULL);
		goto out;
	}
	if (pst == CHAIN_RPC_NODE) {
		set_last(rpc, pst, &f);
		fault_sentence(&f, method, e);
		goto out;
	}
	if (pst != CHAIN_RPC_OK) {
		set_last(rpc, pst, NULL);
		err_set(e, "%s: bad answer from %s: %s", method, rpc->shown_url, perr.msg);
		goto out;
	}
	ok = true;
out:
	free(req);
	return ok;
}

bool chain_rpc_call(struct chain_rpc *rpc, const char *method, const char *params_json,
		    char **result_json, struct err *e)
{
	json_t *params = NULL;
	if (params_json) {
		json_error_t jerr;
		params = json_loads(params_json, 0, &jerr);
		if (!json_is_array(params)) {
			json_decref(params);
			return err_set(e, "%s: the parameters must be a JSON array", method);
		}
	}
	json_t *res;
	if (!chain_rpc_call_json(rpc, method, params, &res, e))
		return false;
	*result_json = json_dumps(res, JSON_COMPACT | JSON_ENCODE_ANY);
	json_decref(res);
	ASSAY_ASSERT(*result_json);
	return true;
}

/* ---- batches ---- */

struct chain_rpc_batch *chain_rpc_batch_new(void)
{
	struct chain_rpc_batch *b = xcalloc(1, sizeof(*b));
	b->calls = json_array();
	return b;
}

static void batch_clear_results(struct chain_rpc_batch *b)
{
	if (b->results)
		for (size_t i = 0; i < b->n; i++)
			json_decref(b->results[i]);
	free(b->results);
	free(b->faults);
	b->results = NULL;
	b->faults = NULL;
	b->sent = false;
}

void chain_rpc_batch_free(struct chain_rpc_batch *b)
{
	if (!b)
		return;
	batch_clear_results(b);
	json_decref(b->calls);
	for (size_t i = 0; i < b->n; i++)
		free(b->methods[i]);
	free(b->methods);
	free(b->ids);
	free(b);
}

size_t chain_rpc_batch_add(struct chain_rpc_batch *b, const char *method, json_t *params)
{
	ASSAY_ASSERT(!b->sent);
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 16;
		b->methods = xrealloc(b->methods, b->cap * sizeof(*b->methods));
		b->ids = xrealloc(b->ids, b->cap * sizeof(*b->ids));
	}
	json_t *o = json_pack("{s:s, s:I, s:s, s:o}", "jsonrpc", "2.0", "id", (json_int_t)0,
			      "method", method, "params", params ? params : json_array());
	ASSAY_ASSERT(o);
	json_array_append_new(b->calls, o);
	b->methods[b->n] = xstrdup(method);
	b->ids[b->n] = 0;
	return b->n++;
}

size_t chain_rpc_batch_len(const struct chain_rpc_batch *b)
{
	return b->n;
}

bool chain_rpc_batch_send(struct chain_rpc *rpc, struct chain_rpc_batch *b, struct err *e)
{
	batch_clear_results(b);
	b->results = xcalloc(b->n ? b->n : 1, sizeof(*b->results));
	b->faults = xcalloc(b->n ? b->n : 1, sizeof(*b->faults));
	if (b->n == 0) {
		b->sent = true;
		return true;
	}
	bool resend = true;
	for (size_t i = 0; i < b->n; i++) {
		b->ids[i] = rpc->next_id++;
		json_object_set_new(json_array_get(b->calls, i), "id",
				    json_integer((json_int_t)b->ids[i]));
		resend = resend && idempotent(b->methods[i]);
	}
	char *req = json_dumps(b->calls, JSON_COMPACT);
	ASSAY_ASSERT(req);
	char what[80];
	snprintf(what, sizeof(what), "batch of %zu calls (%s, ...)", b->n, b->methods[0]);
	long http = 0;
	bool ok = false;
	enum chain_rpc_status st = post(rpc, what, req, strlen(req), resend, &http, e);
	free(req);
	set_last(rpc, st, NULL);
	if (st != CHAIN_RPC_OK && st != CHAIN_RPC_HTTP)
		goto out;
	struct err perr;
	enum chain_rpc_status pst = chain_rpc_parse_batch((const char *)rpc->body.data,
							  rpc->body.len, b->ids, b->n, b->results,
							  b->faults, &perr);
	if (st == CHAIN_RPC_HTTP && pst != CHAIN_RPC_NODE) {
		set_last(rpc, http_failure(rpc, what, http, e), NULL);
		goto out;
	}
	if (pst == CHAIN_RPC_NODE) {
		set_last(rpc, pst, &b->faults[0]);
		err_set(e, "%s: the node refused the batch: %s", what, perr.msg);
		goto out;
	}
	if (pst != CHAIN_RPC_OK) {
		set_last(rpc, pst, NULL);
		err_set(e, "%s: bad answer from %s: %s", what, rpc->shown_url, perr.msg);
		goto out;
	}
	b->sent = true;
	ok = true;
out:
	return ok;
}

bool chain_rpc_batch_result(const struct chain_rpc_batch *b, size_t i, json_t **result,
			    int64_t *code, const char **message, struct err *e)
{
	ASSAY_ASSERT(b->sent && i < b->n);
	*result = b->results[i];
	if (b->results[i])
		return true;
	if (code)
		*code = b->faults[i].code;
	if (message)
		*message = b->faults[i].message;
	fault_sentence(&b->faults[i], b->methods[i], e);
	return false;
}

/* ---- quantities and bytes ---- */

bool chain_rpc_parse_quantity256(const json_t *v, struct chain_u256 *out, struct err *e)
{
	const char *s = json_string_value(v);
	if (!s || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2])
		return err_set(e, "expected a 0x quantity");
	const char *d = s + 2;
	while (d[0] == '0' && d[1])
		d++; /* tolerate leading zeros from lax nodes */
	if (strlen(d) > 64)
		return err_set(e, "a quantity exceeds 256 bits");
	for (const char *p = d; *p; p++)
		if (hex_digit_value(*p) < 0)
			return err_set(e, "a quantity has a non-hex digit");
	return chain_u256_parse(out, s, e);
}

bool chain_rpc_parse_quantity(const json_t *v, uint64_t *out, struct err *e)
{
	struct chain_u256 w;
	if (!chain_rpc_parse_quantity256(v, &w, e))
		return false;
	if (!chain_u256_to_u64(&w, out))
		return err_set(e, "a quantity exceeds 64 bits");
	return true;
}

bool chain_rpc_parse_bytes_exact(const json_t *v, uint8_t *out, size_t len, struct err *e)
{
	const char *s = json_string_value(v);
	if (!s || s[0] != '0' || s[1] != 'x')
		return err_set(e, "expected 0x-prefixed hex");
	return hex_decode_exact(out, len, s, e);
}

static bool parse_bytes(const json_t *v, struct buf *out, struct err *e)
{
	const char *s = json_string_value(v);
	if (!s || s[0] != '0' || s[1] != 'x')
		return err_set(e, "expected 0x-prefixed hex");
	return hex_decode_buf(out, s, e);
}

void chain_rpc_tag(char out[24], uint64_t block)
{
	snprintf(out, 24, "0x%" PRIx64, block);
}

void chain_rpc_tag_text(char out[24], const char *text)
{
	uint64_t bn;
	if (parse_u64(text, &bn))
		chain_rpc_tag(out, bn);
	else
		snprintf(out, 24, "%s", text);
}

static json_t *hex_json(const uint8_t *data, size_t len)
{
	char *s = hex_encode_0x_new(data, len);
	json_t *j = json_string(s);
	free(s);
	return j;
}

/* Call, expecting a non-null result unless null_ok. */
static bool call_result(struct chain_rpc *rpc, const char *method, json_t *params,
			json_t **result, bool null_ok, struct err *e)
{
	if (!chain_rpc_call_json(rpc, method, params, result, e))
		return false;
	if (!null_ok && json_is_null(*result)) {
		json_decref(*result);
		*result = NULL;
		set_last(rpc, CHAIN_RPC_MALFORMED, NULL);
		return err_set(e, "%s: the node answered null", method);
	}
	return true;
}

static bool call_quantity(struct chain_rpc *rpc, const char *method, json_t *params,
			  uint64_t *out, struct err *e)
{
	json_t *r;
	if (!call_result(rpc, method, params, &r, false, e))
		return false;
	bool ok = chain_rpc_parse_quantity(r, out, e);
	json_decref(r);
	return ok ? true : err_prefix(e, "%s: ", method);
}

bool chain_rpc_chain_id(struct chain_rpc *rpc, uint64_t *out, struct err *e)
{
	return call_quantity(rpc, "eth_chainId", NULL, out, e);
}

bool chain_rpc_block_number(struct chain_rpc *rpc, uint64_t *out, struct err *e)
{
	return call_quantity(rpc, "eth_blockNumber", NULL, out, e);
}

bool chain_rpc_parse_block(const json_t *v, struct chain_block *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(v))
		return err_set(e, "a block is not an object");
	if (!chain_rpc_parse_quantity(json_object_get(v, "number"), &out->number, e))
		return err_prefix(e, "block number: ");
	if (!chain_rpc_parse_quantity(json_object_get(v, "timestamp"), &out->timestamp, e))
		return err_prefix(e, "block timestamp: ");
	if (!chain_rpc_parse_bytes_exact(json_object_get(v, "hash"), out->hash, 32, e))
		return err_prefix(e, "block hash: ");
	if (!chain_rpc_parse_bytes_exact(json_object_get(v, "parentHash"), out->parent_hash, 32, e))
		return err_prefix(e, "block parentHash: ");
	const json_t *bf = json_object_get(v, "baseFeePerGas");
	if (bf && !json_is_null(bf)) {
		if (!chain_rpc_parse_quantity(bf, &out->base_fee, e))
			return err_prefix(e, "block baseFeePerGas: ");
		out->has_base_fee = true;
	}
	return true;
}

bool chain_rpc_get_block(struct chain_rpc *rpc, const char *tag, struct chain_block *out,
			 bool *found, struct err *e)
{
	json_t *r;
	if (!call_result(rpc, "eth_getBlockByNumber", json_pack("[s, b]", tag, 0), &r, true, e))
		return false;
	*found = !json_is_null(r);
	bool ok = !*found || chain_rpc_parse_block(r, out, e);
	json_decref(r);
	return ok ? true : err_prefix(e, "eth_getBlockByNumber: ");
}

bool chain_rpc_get_transaction_count(struct chain_rpc *rpc, const uint8_t addr[20],
				     const char *tag, uint64_t *out, struct err *e)
{
	return call_quantity(rpc, "eth_getTransactionCount",
			     json_pack("[o, s]", hex_json(addr, 20), tag), out, e);
}

bool chain_rpc_get_balance(struct chain_rpc *rpc, const uint8_t addr[20], const char *tag,
			   struct chain_u256 *out, struct err *e)
{
	json_t *r;
	if (!call_result(rpc, "eth_getBalance", json_pack("[o, s]", hex_json(addr, 20), tag), &r,
			 false, e))
		return false;
	bool ok = chain_rpc_parse_quantity256(r, out, e);
	json_decref(r);
	return ok ? true : err_prefix(e, "eth_getBalance: ");
}

static json_t *call_object(const uint8_t *from, const uint8_t *to, const struct chain_u256 *value,
			   const uint8_t *data, size_t data_len)
{
	json_t *o = json_object();
	if (from)
		json_object_set_new(o, "from", hex_json(from, 20));
	if (to)
		json_object_set_new(o, "to", hex_json(to, 20));
	if (value) {
		char q[CHAIN_U256_STRLEN];
		chain_u256_to_hex(value, q);
		json_object_set_new(o, "value", json_string(q));
	}
	json_object_set_new(o, "input", hex_json(data, data_len));
	return o;
}

bool chain_rpc_eth_call(struct chain_rpc *rpc, const uint8_t *from, const uint8_t to[20],
			const uint8_t *data, size_t data_len, const char *tag, struct buf *out,
			struct err *e)
{
	json_t *r;
	json_t *params = json_pack("[o, s]", call_object(from, to, NULL, data, data_len),
				   tag ? tag : "latest");
	if (!call_result(rpc, "eth_call", params, &r, false, e))
		return false;
	bool ok = parse_bytes(r, out, e);
	json_decref(r);
	return ok ? true : err_prefix(e, "eth_call: ");
}

bool chain_rpc_estimate_gas(struct chain_rpc *rpc, const uint8_t from[20], const uint8_t *to,
			    const struct chain_u256 *value, const uint8_t *data, size_t data_len,
			    uint64_t *gas, struct err *e)
{
	return call_quantity(rpc, "eth_estimateGas",
			     json_pack("[o]", call_object(from, to, value, data, data_len)), gas, e);
}

void chain_fee_history_clear(struct chain_fee_history *h)
{
	if (!h)
		return;
	free(h->base_fee);
	free(h->gas_used_ratio);
	free(h->reward);
	memset(h, 0, sizeof(*h));
}

static bool parse_fee_history(const json_t *r, size_t np, struct chain_fee_history *out,
			      struct err *e)
{
	if (!json_is_object(r))
		return err_set(e, "the fee history is not an object");
	if (!chain_rpc_parse_quantity(json_object_get(r, "oldestBlock"), &out->oldest_block, e))
		return err_prefix(e, "oldestBlock: ");
	const json_t *bf = json_object_get(r, "baseFeePerGas");
	const json_t *gr = json_object_get(r, "gasUsedRatio");
	const json_t *rw = json_object_get(r, "reward");
	if (!json_is_array(bf) || !json_is_array(gr))
		return err_set(e, "baseFeePerGas or gasUsedRatio is missing");
	size_t nb = json_array_size(gr);
	if (json_array_size(bf) != nb + 1)
		return err_set(e, "baseFeePerGas has %zu entries for %zu blocks",
			       json_array_size(bf), nb);
	if (np && nb && (!json_is_array(rw) || json_array_size(rw) != nb))
		return err_set(e, "reward does not have one row per block");
	out->nblocks = nb;
	out->npercentiles = np;
	out->base_fee = xcalloc(nb + 1, sizeof(*out->base_fee));
	out->gas_used_ratio = xcalloc(nb ? nb : 1, sizeof(double));
	out->reward = np ? xcalloc(nb * np + 1, sizeof(uint64_t)) : NULL;
	for (size_t i = 0; i <= nb; i++)
		if (!chain_rpc_parse_quantity(json_array_get(bf, i), &out->base_fee[i], e))
			return err_prefix(e, "baseFeePerGas[%zu]: ", i);
	for (size_t i = 0; i < nb; i++) {
		const json_t *x = json_array_get(gr, i);
		if (!json_is_number(x))
			return err_set(e, "gasUsedRatio[%zu] is not a number", i);
		out->gas_used_ratio[i] = json_number_value(x);
		if (!np)
			continue;
		const json_t *row = json_array_get(rw, i);
		if (!json_is_array(row) || json_array_size(row) != np)
			return err_set(e, "reward[%zu] does not have %zu entries", i, np);
		for (size_t j = 0; j < np; j++)
			if (!chain_rpc_parse_quantity(json_array_get(row, j), &out->reward[i * np + j],
						      e))
				return err_prefix(e, "reward[%zu][%zu]: ", i, j);
	}
	return true;
}

bool chain_rpc_fee_history(struct chain_rpc *rpc, unsigned blocks, const char *newest,
			   const double *percentiles, size_t npercentiles,
			   struct chain_fee_history *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	json_t *pc = json_array();
	for (size_t i = 0; i < npercentiles; i++)
		json_array_append_new(pc, json_real(percentiles[i]));
	char nb[24];
	snprintf(nb, sizeof(nb), "0x%x", blocks);
	json_t *r;
	if (!call_result(rpc, "eth_feeHistory", json_pack("[s, s, o]", nb, newest, pc), &r, false,
			 e))
		return false;
	bool ok = parse_fee_history(r, npercentiles, out, e);
	json_decref(r);
	if (!ok) {
		chain_fee_history_clear(out);
		return err_prefix(e, "eth_feeHistory: ");
	}
	return true;
}

bool chain_rpc_send_raw(struct chain_rpc *rpc, const uint8_t *raw, size_t len, uint8_t hash[32],
			struct err *e)
{
	json_t *r;
	if (!call_result(rpc, "eth_sendRawTransaction", json_pack("[o]", hex_json(raw, len)), &r,
			 false, e))
		return false;
	uint8_t h[32];
	bool ok = chain_rpc_parse_bytes_exact(r, h, 32, e);
	json_decref(r);
	if (!ok)
		return err_prefix(e, "eth_sendRawTransaction: ");
	if (hash)
		memcpy(hash, h, 32);
	return true;
}

void chain_log_clear(struct chain_log *l)
{
	if (!l)
		return;
	free(l->data);
	memset(l, 0, sizeof(*l));
}

bool chain_rpc_parse_log(const json_t *v, struct chain_log *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(v))
		return err_set(e, "a log is not an object");
	if (!chain_rpc_parse_bytes_exact(json_object_get(v, "address"), out->address, 20, e))
		return err_prefix(e, "log address: ");
	const json_t *topics = json_object_get(v, "topics");
	if (!json_is_array(topics) || json_array_size(topics) > 4)
		return err_set(e, "log topics: expected an array of at most 4");
	out->ntopics = json_array_size(topics);
	for (size_t i = 0; i < out->ntopics; i++)
		if (!chain_rpc_parse_bytes_exact(json_array_get(topics, i), out->topics[i], 32, e))
			return err_prefix(e, "log topic %zu: ", i);
	struct buf d = BUF_INIT;
	if (!parse_bytes(json_object_get(v, "data"), &d, e)) {
		buf_free(&d);
		return err_prefix(e, "log data: ");
	}
	out->data = buf_steal(&d, &out->data_len);
	if (!chain_rpc_parse_quantity(json_object_get(v, "blockNumber"), &out->block_number, e) ||
	    !chain_rpc_parse_bytes_exact(json_object_get(v, "blockHash"), out->block_hash, 32, e) ||
	    !chain_rpc_parse_bytes_exact(json_object_get(v, "transactionHash"), out->tx_hash, 32,
					 e) ||
	    !chain_rpc_parse_quantity(json_object_get(v, "logIndex"), &out->log_index, e)) {
		chain_log_clear(out);
		return err_prefix(e, "log position: ");
	}
	out->removed = json_is_true(json_object_get(v, "removed"));
	return true;
}

void chain_receipt_clear(struct chain_receipt *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nlogs; i++)
		chain_log_clear(&r->logs[i]);
	free(r->logs);
	memset(r, 0, sizeof(*r));
}

bool chain_rpc_parse_receipt(const json_t *v, struct chain_receipt *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(v))
		return err_set(e, "a receipt is not an object");
	uint64_t status;
	if (!chain_rpc_parse_bytes_exact(json_object_get(v, "transactionHash"), out->tx_hash, 32,
					 e))
		return err_prefix(e, "receipt transactionHash: ");
	if (!chain_rpc_parse_bytes_exact(json_object_get(v, "blockHash"), out->block_hash, 32, e))
		return err_prefix(e, "receipt blockHash: ");
	if (!chain_rpc_parse_quantity(json_object_get(v, "blockNumber"), &out->block_number, e))
		return err_prefix(e, "receipt blockNumber: ");
	if (!chain_rpc_parse_quantity(json_object_get(v, "gasUsed"), &out->gas_used, e))
		return err_prefix(e, "receipt gasUsed: ");
	if (!chain_rpc_parse_quantity(json_object_get(v, "status"), &status, e) || status > 1)
		return err_prefix(e, "receipt status: ");
	out->status = (int)status;
	const json_t *egp = json_object_get(v, "effectiveGasPrice");
	if (egp && !chain_rpc_parse_quantity(egp, &out->effective_gas_price, e))
		return err_prefix(e, "receipt effectiveGasPrice: ");
	const json_t *ca = json_object_get(v, "contractAddress");
	if (ca && !json_is_null(ca)) {
		if (!chain_rpc_parse_bytes_exact(ca, out->contract_address, 20, e))
			return err_prefix(e, "receipt contractAddress: ");
		out->has_contract = true;
	}
	const json_t *logs = json_object_get(v, "logs");
	if (!json_is_array(logs))
		return err_set(e, "receipt logs: expected an array");
	size_t n = json_array_size(logs);
	out->logs = xcalloc(n ? n : 1, sizeof(*out->logs));
	for (size_t i = 0; i < n; i++) {
		if (!chain_rpc_parse_log(json_array_get(logs, i), &out->logs[i], e)) {
			chain_receipt_clear(out);
			return err_prefix(e, "receipt log %zu: ", i);
		}
		out->nlogs = i + 1;
	}
	return true;
}

bool chain_rpc_get_receipt(struct chain_rpc *rpc, const uint8_t hash[32],
			   struct chain_receipt *out, bool *found, struct err *e)
{
	json_t *r;
	memset(out, 0, sizeof(*out));
	if (!call_result(rpc, "eth_getTransactionReceipt", json_pack("[o]", hex_json(hash, 32)),
			 &r, true, e))
		return false;
	*found = !json_is_null(r);
	bool ok = !*found || chain_rpc_parse_receipt(r, out, e);
	json_decref(r);
	return ok ? true : err_prefix(e, "eth_getTransactionReceipt: ");
}

void chain_logs_clear(struct chain_logs *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		chain_log_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static json_t *log_filter_json(const struct chain_log_filter *f, uint64_t from, uint64_t to)
{
	char a[24], b[24];
	chain_rpc_tag(a, from);
	chain_rpc_tag(b, to);
	json_t *o = json_pack("{s:s, s:s}", "fromBlock", a, "toBlock", b);
	if (f->address)
		json_object_set_new(o, "address", hex_json(f->address, 20));
	size_t last = 0;
	for (size_t i = 0; i < 4; i++)
		if (f->topics[i])
			last = i + 1;
	if (last) {
		json_t *t = json_array();
		for (size_t i = 0; i < last; i++)
			json_array_append_new(t, f->topics[i] ? hex_json(f->topics[i], 32)
							      : json_null());
		json_object_set_new(o, "topics", t);
	}
	return o;
}

bool chain_rpc_get_logs(struct chain_rpc *rpc, const struct chain_log_filter *f,
			struct chain_logs *out, struct err *e)
{
	out->n = 0;
	out->v = NULL;
	if (f->to_block < f->from_block)
		return err_set(e, "eth_getLogs: the range ends (%" PRIu64 ") before it starts (%" PRIu64
				  ")", f->to_block, f->from_block);
	uint64_t size = f->chunk ? f->chunk : 2000;
	size_t cap = 0;
	uint64_t cur = f->from_block;
	for (;;) {
		uint64_t end = f->to_block - cur < size - 1 ? f->to_block : cur + size - 1;
		json_t *r;
		if (!chain_rpc_call_json(rpc, "eth_getLogs",
					 json_pack("[o]", log_filter_json(f, cur, end)), &r, e)) {
			enum chain_rpc_status st = chain_rpc_last_status(rpc);
			/* Nodes cap ranges and result counts in their own words; any refusal
			 * of a multi-block range is worth splitting before giving up. */
			if ((st == CHAIN_RPC_NODE || st == CHAIN_RPC_TOO_LARGE) && end > cur) {
				size = (end - cur + 1) / 2;
				log_debug("eth_getLogs: range %" PRIu64 "-%" PRIu64
					  " refused, trying %" PRIu64 " blocks", cur, end, size);
				continue;
			}
			chain_logs_clear(out);
			return false;
		}
		if (!json_is_array(r)) {
			json_decref(r);
			chain_logs_clear(out);
			return err_set(e, "eth_getLogs: the answer is not an array");
		}
		size_t k;
		json_t *l;
		json_array_foreach(r, k, l) {
			if (out->n == cap) {
				cap = cap ? cap * 2 : 64;
				out->v = xrealloc(out->v, cap * sizeof(*out->v));
			}
			if (!chain_rpc_parse_log(l, &out->v[out->n], e)) {
				json_decref(r);
				chain_logs_clear(out);
				return err_prefix(e, "eth_getLogs: ");
			}
			out->n++;
		}
		json_decref(r);
		if (end == f->to_block)
			break;
		cur = end + 1;
	}
	return true;
}


void chain_receipt_print(FILE *f, const struct chain_receipt *r)
{
	char hex[67] = "0x";
	hex_encode(hex + 2, r->block_hash, 32);
	fprintf(f, "status %s\nblock %" PRIu64 " %s\ngas used %" PRIu64 "\n",
		r->status ? "success" : "reverted", r->block_number, hex, r->gas_used);
	if (r->has_contract) {
		char addr[43];
		chain_address_checksum(addr, r->contract_address);
		fprintf(f, "contract %s\n", addr);
	}
}
