/* challenge.c: one challenge over HTTP, and the classification of what came back. */
#include "audit/challenge.h"

#include <blake2.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit/blob.h"
#include "audit/merkle.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"

static const char *const outcome_names[AUDIT_OUTCOME_COUNT] = {
	"pass",      "invalid_proof", "wrong_size",  "bad_metadata",
	"not_found", "http_error",    "malformed",   "timeout",
	"unreachable", "auditor_error",
};

const char *audit_outcome_name(enum audit_outcome o)
{
	return (unsigned)o < AUDIT_OUTCOME_COUNT ? outcome_names[o] : "unknown";
}

bool audit_outcome_parse(const char *text, enum audit_outcome *o)
{
	for (unsigned i = 0; i < AUDIT_OUTCOME_COUNT; i++)
		if (!strcmp(text, outcome_names[i])) {
			*o = (enum audit_outcome)i;
			return true;
		}
	return false;
}

bool audit_outcome_transient(enum audit_outcome o, long http_status)
{
	if (o == AUDIT_OUTCOME_TIMEOUT || o == AUDIT_OUTCOME_UNREACHABLE)
		return true;
	return o == AUDIT_OUTCOME_HTTP_ERROR && (http_status == 429 || http_status >= 500);
}

enum audit_outcome audit_outcome_of_verdict(enum audit_symbol_verdict v)
{
	switch (v) {
	case AUDIT_SYMBOL_PASS:
		return AUDIT_OUTCOME_PASS;
	case AUDIT_SYMBOL_INVALID_PROOF:
	case AUDIT_SYMBOL_WRONG_ID:
	case AUDIT_SYMBOL_WRONG_AXIS:
		return AUDIT_OUTCOME_INVALID_PROOF;
	case AUDIT_SYMBOL_WRONG_SIZE:
		return AUDIT_OUTCOME_WRONG_SIZE;
	case AUDIT_SYMBOL_OUT_OF_RANGE:
		return AUDIT_OUTCOME_MALFORMED;
	case AUDIT_SYMBOL_MISSING:
		return AUDIT_OUTCOME_NOT_FOUND;
	case AUDIT_SYMBOL_BAD_METADATA:
		return AUDIT_OUTCOME_BAD_METADATA;
	}
	return AUDIT_OUTCOME_MALFORMED;
}

/* ---- HTTP ---- */

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct sink {
	struct buf b;
	size_t max;
	bool too_large;
};

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
	struct sink *s = userdata;
	size_t n = size * nmemb;
	if (s->b.len + n > s->max) {
		s->too_large = true;
		return 0; /* makes curl fail with CURLE_WRITE_ERROR */
	}
	buf_append(&s->b, ptr, n);
	return n;
}

void audit_header_value_copy(char *dst, size_t dst_len, const char *v, size_t len)
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
	struct audit_http_response *r = userdata;
	size_t n = size * nitems;
	static const char ra[] = "retry-after:";
	if (n > sizeof(ra) - 1 && !strncasecmp(ptr, ra, sizeof(ra) - 1))
		audit_header_value_copy(r->retry_after, sizeof(r->retry_after),
					ptr + sizeof(ra) - 1, n - (sizeof(ra) - 1));
	return n;
}

/* errno values of a failed connect() that say the auditor's host could not even try:
 * its interfaces are down, it has no route out, or it ran out of ports or descriptors. */
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

enum audit_transport audit_transport_of_curl(int curl_code, long os_errno, bool too_large)
{
	switch ((CURLcode)curl_code) {
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
		/* Resolution failures, resets, a connection closed before a full response, a
		 * TLS handshake or key-pin failure: the node did not give a usable answer. */
		return AUDIT_TRANSPORT_UNREACHABLE;
	}
}

bool audit_http_request(const struct audit_http_request *req, struct audit_http_response *resp,
			struct err *e)
{
	memset(resp, 0, sizeof(*resp));
	pthread_once(&curl_once, curl_init_once);
	struct sink sink = {BUF_INIT, req->max_body ? req->max_body : (1u << 20), false};
	struct curl_slist *headers = NULL;
	bool ok = false;
	uint64_t t0 = now_ms();
	CURL *c = curl_easy_init();
	if (!c) {
		resp->transport = AUDIT_TRANSPORT_LOCAL;
		snprintf(resp->detail, sizeof(resp->detail), "could not create an HTTP handle");
		err_set(e, "could not create an HTTP handle (out of memory?)");
		goto out;
	}
	uint64_t timeout = req->timeout_ms ? req->timeout_ms : 10000;
	uint64_t ctimeout = req->connect_timeout_ms ? req->connect_timeout_ms
						    : (timeout < 5000 ? timeout : 5000);
	const char *method = req->method ? req->method : "GET";
	curl_easy_setopt(c, CURLOPT_URL, req->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)ctimeout);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sink);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	/* A node must not redirect the auditor elsewhere (to someone else's node, say). */
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_USERAGENT, "assay/" ASSAY_VERSION);
	/* As in the fan-out (fanout.c): real Walrus nodes serve self-signed certificates
	 * tied to the node key, so with a pin the pin is the check and the chain of trust is
	 * not asked for; without one the usual verification stays on. */
	if (req->pinned_key) {
		curl_easy_setopt(c, CURLOPT_PINNEDPUBLICKEY, req->pinned_key);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	headers = curl_slist_append(headers, "Accept: application/octet-stream, application/json");
	/* No "Expect: 100-continue" round trip on PUTs. */
	headers = curl_slist_append(headers, "Expect:");
	if (req->body) {
		char ct[128];
		snprintf(ct, sizeof(ct), "Content-Type: %s",
			 req->content_type ? req->content_type : "application/octet-stream");
		headers = curl_slist_append(headers, ct);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)req->body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	}
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	if (!strcmp(method, "GET") && !req->body)
		curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);

	CURLcode rc = curl_easy_perform(c);
	resp->latency_ms = now_ms() - t0;
	long os_errno = 0;
	curl_easy_getinfo(c, CURLINFO_OS_ERRNO, &os_errno);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->transport = audit_transport_of_curl(rc, os_errno, sink.too_large);
	if (rc != CURLE_OK) {
		if (os_errno)
			snprintf(resp->detail, sizeof(resp->detail), "%s %s: %s (%s)", method,
				 req->url, curl_easy_strerror(rc), strerror((int)os_errno));
		else
			snprintf(resp->detail, sizeof(resp->detail), "%s %s: %s", method, req->url,
				 sink.too_large ? "response body larger than the cap"
						: curl_easy_strerror(rc));
		resp->status = resp->transport == AUDIT_TRANSPORT_TOO_LARGE ? resp->status : 0;
	}
	char *ct = NULL;
	if (curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct) == CURLE_OK && ct)
		audit_header_value_copy(resp->content_type, sizeof(resp->content_type), ct,
					strlen(ct));
	buf_cstr(&sink.b);
	resp->body = buf_steal(&sink.b, &resp->body_len);
	ok = true;
out:
	buf_free(&sink.b);
	curl_slist_free_all(headers);
	if (c)
		curl_easy_cleanup(c);
	return ok;
}

void audit_http_response_clear(struct audit_http_response *resp)
{
	if (!resp)
		return;
	free(resp->body);
	memset(resp, 0, sizeof(*resp));
}

bool audit_node_url_normalize(const char *url, char **out, struct err *e)
{
	if (strncmp(url, "http://", 7) && strncmp(url, "https://", 8))
		return err_set(e, "node URL must start with http:// or https://, not '%s'", url);
	if (strpbrk(url, "?# \t\r\n"))
		return err_set(e, "node URL must be a plain base URL without query, fragment or "
				  "spaces: '%s'", url);
	size_t len = strlen(url);
	while (len > 8 && url[len - 1] == '/')
		len--;
	*out = xstrndup(url, len);
	return true;
}

/* ---- classification ---- */

enum audit_outcome audit_classify_transport(const struct audit_http_response *resp,
					    char *detail, size_t detail_len)
{
	switch (resp->transport) {
	case AUDIT_TRANSPORT_OK:
		break;
	case AUDIT_TRANSPORT_TIMEOUT:
		snprintf(detail, detail_len, "%s", resp->detail);
		return AUDIT_OUTCOME_TIMEOUT;
	case AUDIT_TRANSPORT_UNREACHABLE:
		snprintf(detail, detail_len, "%s", resp->detail);
		return AUDIT_OUTCOME_UNREACHABLE;
	case AUDIT_TRANSPORT_TOO_LARGE:
		snprintf(detail, detail_len, "%s", resp->detail);
		return AUDIT_OUTCOME_MALFORMED;
	case AUDIT_TRANSPORT_LOCAL:
		snprintf(detail, detail_len, "%s", resp->detail);
		return AUDIT_OUTCOME_AUDITOR_ERROR;
	}
	if (resp->status == 200)
		return AUDIT_OUTCOME_PASS;
	if (resp->status == 404) {
		snprintf(detail, detail_len, "the node answered 404 Not Found");
		return AUDIT_OUTCOME_NOT_FOUND;
	}
	if (resp->status == 429 || resp->status == 503)
		snprintf(detail, detail_len, "the node answered %ld (transient: rate limited or "
					     "unavailable%s%s)",
			 resp->status, resp->retry_after[0] ? ", retry after " : "",
			 resp->retry_after);
	else
		snprintf(detail, detail_len, "the node answered HTTP %ld", resp->status);
	return AUDIT_OUTCOME_HTTP_ERROR;
}

enum audit_outcome audit_check_metadata_response(const struct audit_http_response *resp,
						 const uint8_t blob_id[AUDIT_DIGEST_LEN],
						 struct audit_metadata **md, char *detail,
						 size_t detail_len)
{
	*md = NULL;
	enum audit_outcome o = audit_classify_transport(resp, detail, detail_len);
	/* Every verdict on a metadata answer is bad_metadata, a body over the cap and one that
	 * does not parse included: fraud proof 2 tells the answer a record judged by its
	 * outcome, and takes only blob_id ‖ metadata for this one (audit_answer_verifies). */
	if (o == AUDIT_OUTCOME_MALFORMED)
		return AUDIT_OUTCOME_BAD_METADATA;
	if (o != AUDIT_OUTCOME_PASS)
		return o;
	struct err e = {{0}};
	uint8_t sent_id[AUDIT_DIGEST_LEN];
	struct audit_metadata *m = NULL;
	if (!audit_metadata_with_id_parse(resp->body, resp->body_len, sent_id, &m, &e)) {
		snprintf(detail, detail_len, "metadata: %s", e.msg);
		return AUDIT_OUTCOME_BAD_METADATA;
	}
	if (memcmp(sent_id, blob_id, AUDIT_DIGEST_LEN)) {
		char a[AUDIT_BLOB_ID_TEXT_LEN + 1], b[AUDIT_BLOB_ID_TEXT_LEN + 1];
		audit_blob_id_text(a, sent_id);
		audit_blob_id_text(b, blob_id);
		snprintf(detail, detail_len, "the node sent metadata for blob %s, not %s", a, b);
		audit_metadata_free(m);
		return AUDIT_OUTCOME_BAD_METADATA;
	}
	if (!audit_metadata_verify_id(m, blob_id, &e)) {
		snprintf(detail, detail_len, "metadata: %s", e.msg);
		audit_metadata_free(m);
		return AUDIT_OUTCOME_BAD_METADATA;
	}
	struct audit_params p;
	uint16_t ss;
	if (!audit_metadata_params(m, &p, &ss, &e)) {
		snprintf(detail, detail_len, "metadata: %s", e.msg);
		audit_metadata_free(m);
		return AUDIT_OUTCOME_BAD_METADATA;
	}
	*md = m;
	return AUDIT_OUTCOME_PASS;
}

size_t audit_check_symbols_response(const struct audit_http_response *resp,
				    const struct audit_metadata *md,
				    const struct audit_symbol_id *ids, size_t count,
				    enum audit_proof_axis axis, enum audit_outcome *outcomes,
				    char *detail, size_t detail_len)
{
	struct audit_symbols_check c = {resp, md, ids, count, axis, outcomes, detail, detail_len};
	return audit_check_symbols_responses(&c, 1, NULL, 0);
}

/* A response being checked: its list (a view of its body) and the symbols' verdicts. */
struct checking {
	struct audit_recovery_symbols *list; /* NULL: decided without checking symbols */
	enum audit_symbol_verdict *verdicts;
	struct err *errs;
};

size_t audit_check_symbols_responses(struct audit_symbols_check *cs, size_t n,
				     const struct audit_b2_msg *extra, size_t nextra)
{
	struct checking *ck = xcalloc(n ? n : 1, sizeof(*ck));
	struct audit_symbols_batch *batch = audit_symbols_batch_new();
	for (size_t r = 0; r < n; r++) {
		const struct audit_symbols_check *c = &cs[r];
		size_t count = c->count;
		enum audit_outcome o = audit_classify_transport(c->resp, c->detail, c->detail_len);
		if (o != AUDIT_OUTCOME_PASS) {
			for (size_t i = 0; i < count; i++)
				c->outcomes[i] = o;
			continue;
		}
		struct err e = {{0}};
		struct audit_params p;
		uint16_t ss;
		/* md passed audit_check_metadata_response: metadata it cannot use is the
		 * auditor's fault, and bad_metadata is a verdict on a metadata answer only. */
		if (!audit_metadata_params(c->md, &p, &ss, &e)) {
			snprintf(c->detail, c->detail_len, "metadata: %s", e.msg);
			for (size_t i = 0; i < count; i++)
				c->outcomes[i] = AUDIT_OUTCOME_AUDITOR_ERROR;
			continue;
		}
		/* Checked in place: the body outlives the list. The item limit is the contract's,
		 * not the number asked: a node may pad its answer with well-formed items. */
		const struct audit_http_response *resp = c->resp;
		if (!audit_recovery_symbols_view(resp->body, resp->body_len, AUDIT_MAX_IDS,
						 &ck[r].list, &e) ||
		    (resp->body_len > audit_symbols_body_limit(ss, ck[r].list->count) &&
		     !err_set(&e, "%zu bytes is more than %zu symbols of %u bytes can take (%zu)",
			      resp->body_len, ck[r].list->count, ss,
			      audit_symbols_body_limit(ss, ck[r].list->count)))) {
			snprintf(c->detail, c->detail_len, "recovery symbols: %s", e.msg);
			for (size_t i = 0; i < count; i++)
				c->outcomes[i] = AUDIT_OUTCOME_MALFORMED;
			audit_recovery_symbols_free(ck[r].list);
			ck[r].list = NULL;
			continue;
		}
		ck[r].verdicts = xcalloc(count ? count : 1, sizeof(*ck[r].verdicts));
		/* Written where a symbol fails, read only then (zeroing 512 bytes a symbol showed). */
		ck[r].errs = xmalloc((count ? count : 1) * sizeof(*ck[r].errs));
		for (size_t i = 0; i < count; i++)
			ck[r].errs[i].msg[0] = '\0';
		audit_symbols_batch_add(batch, c->md, c->ids, count, c->axis, ck[r].list,
					ck[r].verdicts, ck[r].errs);
	}
	audit_symbols_batch_run(batch, extra, nextra);
	size_t passed = 0;
	for (size_t r = 0; r < n; r++) {
		const struct audit_symbols_check *c = &cs[r];
		if (!ck[r].list)
			continue;
		bool first = true;
		for (size_t i = 0; i < c->count; i++) {
			c->outcomes[i] = audit_outcome_of_verdict(ck[r].verdicts[i]);
			if (c->outcomes[i] == AUDIT_OUTCOME_BAD_METADATA)
				c->outcomes[i] = AUDIT_OUTCOME_AUDITOR_ERROR; /* as above */
			if (c->outcomes[i] == AUDIT_OUTCOME_PASS) {
				passed++;
			} else if (first) {
				char idt[AUDIT_SYMBOL_ID_TEXT_MAX];
				audit_symbol_id_text(idt, c->ids[i]);
				snprintf(c->detail, c->detail_len, "symbol %s: %s", idt,
					 ck[r].errs[i].msg);
				first = false;
			}
		}
		free(ck[r].verdicts);
		free(ck[r].errs);
		audit_recovery_symbols_free(ck[r].list);
	}
	audit_symbols_batch_free(batch);
	free(ck);
	return passed;
}

size_t audit_symbols_body_limit(uint16_t symbol_size, size_t count)
{
	return 5 + count * (15 + (size_t)symbol_size + AUDIT_MAX_PROOF_NODES * 33) + 64;
}

bool audit_body_is_metadata_answer(const uint8_t *body, size_t len,
				   const uint8_t blob_id[AUDIT_DIGEST_LEN],
				   const struct audit_metadata *md)
{
	if (len <= AUDIT_DIGEST_LEN || memcmp(body, blob_id, AUDIT_DIGEST_LEN))
		return false;
	/* Only canonical BCS parses, here and on chain: the bytes are md's own writing. */
	struct buf b = BUF_INIT;
	audit_metadata_write(&b, md);
	bool same = b.len == len - AUDIT_DIGEST_LEN && !memcmp(b.data, body + AUDIT_DIGEST_LEN, b.len);
	buf_free(&b);
	return same;
}

bool audit_outcome_on_body(enum audit_outcome o)
{
	return o == AUDIT_OUTCOME_INVALID_PROOF || o == AUDIT_OUTCOME_WRONG_SIZE ||
	       o == AUDIT_OUTCOME_BAD_METADATA || o == AUDIT_OUTCOME_MALFORMED;
}

bool audit_answer_verifies(const uint8_t *body, size_t len, const uint8_t blob_id[AUDIT_DIGEST_LEN],
			   const struct audit_metadata *md, uint32_t n_shards,
			   struct audit_symbol_id symbol, enum audit_proof_axis axis,
			   bool metadata_answer, struct err *e)
{
	struct audit_params p;
	uint16_t ss;
	struct audit_recovery_symbols *list = NULL;
	bool ok = false;
	/* The contract knows the encoding types 1 to 3 (Walrus.metadata), one symbol size rule
	 * for all three, as audit_metadata_params. */
	if (md->encoding_type != AUDIT_ENCODING_RS2 && md->encoding_type != AUDIT_ENCODING_ISAL_RS8 &&
	    md->encoding_type != AUDIT_ENCODING_CAUCHY_RS16)
		return err_set(e, "the contract knows encoding types 1 to 3, not %lu",
			       (unsigned long)md->encoding_type);
	if (md->n_shards != n_shards)
		return err_set(e, "the metadata has %lu shards, the deployment %lu",
			       (unsigned long)md->n_shards, (unsigned long)n_shards);
	if (!audit_metadata_params(md, &p, &ss, e) || !audit_metadata_verify_id(md, blob_id, e))
		return false;
	if (metadata_answer) {
		if (!audit_body_is_metadata_answer(body, len, blob_id, md))
			return err_set(e, "the body is not the metadata answer blob_id ‖ metadata");
		return true;
	}
	if (symbol.primary >= p.n || symbol.secondary >= p.n)
		return err_set(e, "symbol %u-%u is out of range for %lu shards", symbol.primary,
			       symbol.secondary, (unsigned long)p.n);
	if (!audit_recovery_symbols_view(body, len, AUDIT_MAX_IDS, &list, e))
		return false;
	if (len > audit_symbols_body_limit(ss, list->count)) {
		err_set(e, "%zu bytes is more than %zu symbols of %u bytes can take", len,
			list->count, ss);
		goto out;
	}
	const struct audit_recovery_symbol *match = NULL;
	for (size_t k = 0; k < list->count && !match; k++) {
		struct audit_symbol_id got;
		enum audit_proof_axis got_axis;
		audit_recovery_symbol_id(&list->items[k], &got, &got_axis);
		if (got_axis == axis && got.primary == symbol.primary &&
		    got.secondary == symbol.secondary)
			match = &list->items[k];
	}
	char idt[AUDIT_SYMBOL_ID_TEXT_MAX];
	audit_symbol_id_text(idt, symbol);
	if (!match) {
		err_set(e, "the answer has no recovery symbol %s on the %s axis", idt,
			audit_proof_axis_name(axis));
		goto out;
	}
	if (match->data_len != ss) {
		err_set(e, "recovery symbol %s has %zu bytes, not the symbol size %u", idt,
			match->data_len, ss);
		goto out;
	}
	if (match->proof_len != audit_merkle_depth(p.n)) {
		err_set(e, "recovery symbol %s has a path of %zu nodes, not %u", idt,
			match->proof_len, audit_merkle_depth(p.n));
		goto out;
	}
	uint8_t root[AUDIT_DIGEST_LEN];
	uint32_t pair = audit_proof_pair(p.n, symbol, axis);
	audit_node_bytes(axis == AUDIT_AXIS_PRIMARY ? &md->hashes[pair].primary
						    : &md->hashes[pair].secondary,
			 root);
	if (!audit_merkle_verify(root, p.n, match->target, match->data, match->data_len,
				 match->proof, match->proof_len, e)) {
		err_prefix(e, "recovery symbol %s: ", idt);
		goto out;
	}
	ok = true;
out:
	audit_recovery_symbols_free(list);
	return ok;
}

/* v in decimal, as %u writes it. */
static void append_u16(struct buf *b, uint16_t v)
{
	char d[5];
	size_t n = 0;
	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		buf_append_byte(b, (uint8_t)d[--n]);
}

char *audit_symbols_url_new(const char *base, const uint8_t blob_id[AUDIT_DIGEST_LEN],
			    const struct audit_symbol_id *ids, size_t count,
			    enum audit_proof_axis axis)
{
	char idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(idt, blob_id);
	static const char path[] = "/v1/blobs/", query[] = "/recoverySymbols?";
	const char *axis_name = audit_proof_axis_name(axis);
	size_t base_len = strlen(base), axis_len = strlen(axis_name);
	struct buf b = BUF_INIT;
	/* Room for all of it at once, written by hand (a printf per id, and then the two left
	 * for the rest, showed in a profile: a request has 2-3 ids). */
	buf_reserve(&b, base_len + sizeof(path) + AUDIT_BLOB_ID_TEXT_LEN + sizeof(query) +
				count * (3 + 5 + 1 + 5 + 1) + sizeof("proofAxis=") + axis_len);
	buf_append(&b, base, base_len);
	buf_append(&b, path, sizeof(path) - 1);
	buf_append(&b, idt, AUDIT_BLOB_ID_TEXT_LEN);
	buf_append(&b, query, sizeof(query) - 1);
	for (size_t i = 0; i < count; i++) {
		buf_append(&b, "id=", 3);
		append_u16(&b, ids[i].primary);
		buf_append_byte(&b, '-');
		append_u16(&b, ids[i].secondary);
		buf_append_byte(&b, '&');
	}
	buf_append(&b, "proofAxis=", sizeof("proofAxis=") - 1);
	buf_append(&b, axis_name, axis_len);
	buf_cstr(&b);
	return (char *)buf_steal(&b, NULL);
}

/* ---- the challenge ---- */

static void finish(struct audit_challenge_req_result *r, enum audit_outcome o, long status,
		   uint64_t t0)
{
	r->outcome = o;
	r->http_status = status;
	r->latency_ms = now_ms() - t0;
	r->transient = audit_outcome_transient(o, status);
}

bool audit_challenge_req_run(const struct audit_challenge_req *c,
			     struct audit_challenge_req_result *r)
{
	memset(r, 0, sizeof(*r));
	uint64_t t0 = now_ms();
	uint64_t timeout = c->timeout_ms ? c->timeout_ms : 10000;
	struct err e = {{0}};
	struct audit_http_response resp = {0};
	struct audit_metadata *md = NULL;
	char *base = NULL, *url = NULL;
	enum audit_outcome o;

	if (!audit_node_url_normalize(c->node_url, &base, &e)) {
		snprintf(r->detail, sizeof(r->detail), "%s", e.msg);
		finish(r, AUDIT_OUTCOME_AUDITOR_ERROR, 0, t0);
		goto out;
	}
	char idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(idt, c->blob_id);
	url = xasprintf("%s/v1/blobs/%s/metadata", base, idt);
	struct audit_http_request req = {
		.url = url,
		.timeout_ms = timeout,
		.max_body = AUDIT_HTTP_MAX_METADATA,
		.pinned_key = c->pinned_key,
	};
	if (!audit_http_request(&req, &resp, &e)) {
		snprintf(r->detail, sizeof(r->detail), "%s", e.msg);
		finish(r, AUDIT_OUTCOME_AUDITOR_ERROR, 0, t0);
		goto out;
	}
	o = audit_check_metadata_response(&resp, c->blob_id, &md, r->detail, sizeof(r->detail));
	snprintf(r->retry_after, sizeof(r->retry_after), "%s", resp.retry_after);
	if (o != AUDIT_OUTCOME_PASS) {
		finish(r, o, resp.status, t0);
		goto out;
	}
	if (c->symbol.primary >= md->n_shards || c->symbol.secondary >= md->n_shards) {
		char st[AUDIT_SYMBOL_ID_TEXT_MAX];
		audit_symbol_id_text(st, c->symbol);
		snprintf(r->detail, sizeof(r->detail),
			 "symbol %s is out of range for the blob's %u shards", st, md->n_shards);
		finish(r, AUDIT_OUTCOME_AUDITOR_ERROR, 0, t0);
		goto out;
	}
	audit_http_response_clear(&resp);
	free(url);
	url = audit_symbols_url_new(base, c->blob_id, &c->symbol, 1, c->axis);
	uint64_t spent = now_ms() - t0;
	req.url = url;
	req.max_body = AUDIT_HTTP_MAX_SYMBOLS_BODY;
	/* One deadline for the whole challenge: the symbol request gets what is left. */
	req.timeout_ms = spent < timeout ? timeout - spent : 1;
	if (!audit_http_request(&req, &resp, &e)) {
		snprintf(r->detail, sizeof(r->detail), "%s", e.msg);
		finish(r, AUDIT_OUTCOME_AUDITOR_ERROR, 0, t0);
		goto out;
	}
	r->symbol_latency_ms = resp.latency_ms;
	snprintf(r->retry_after, sizeof(r->retry_after), "%s", resp.retry_after);
	if (resp.transport == AUDIT_TRANSPORT_OK) {
		blake2b(r->body_hash, resp.body, NULL, AUDIT_DIGEST_LEN, resp.body_len, 0);
		r->have_body_hash = true;
	}
	audit_check_symbols_response(&resp, md, &c->symbol, 1, c->axis, &o, r->detail,
				     sizeof(r->detail));
	finish(r, o, resp.status, t0);
out:
	audit_http_response_clear(&resp);
	audit_metadata_free(md);
	free(base);
	free(url);
	return r->outcome == AUDIT_OUTCOME_PASS;
}

void audit_challenge_req_print(FILE *f, const struct audit_challenge_req *c,
			       const struct audit_challenge_req_result *r, const char *blob,
			       const char *symbol, bool json)
{
	bool pass = r->outcome == AUDIT_OUTCOME_PASS;
	if (!json) {
		fprintf(f, "%s", audit_outcome_name(r->outcome));
		if (r->http_status && !pass)
			fprintf(f, " (HTTP %ld%s)", r->http_status, r->transient ? ", transient" : "");
		fprintf(f, " in %llu ms", (unsigned long long)r->latency_ms);
		if (!pass)
			fprintf(f, ": %s", r->detail);
		fprintf(f, "\n");
		return;
	}
	fprintf(f, "{\"outcome\":\"%s\",\"latency_ms\":%llu,\"symbol_latency_ms\":%llu,"
		   "\"http_status\":%ld,\"transient\":%s,\"node\":",
		audit_outcome_name(r->outcome), (unsigned long long)r->latency_ms,
		(unsigned long long)r->symbol_latency_ms, r->http_status,
		r->transient ? "true" : "false");
	json_string_write(f, c->node_url);
	fprintf(f, ",\"blob\":\"%s\",\"symbol\":\"%s\",\"axis\":\"%s\"", blob, symbol,
		audit_proof_axis_name(c->axis));
	if (r->have_body_hash) {
		char h[2 * AUDIT_DIGEST_LEN + 1];
		hex_encode(h, r->body_hash, AUDIT_DIGEST_LEN);
		fprintf(f, ",\"response_blake2b\":\"%s\"", h);
	}
	if (r->retry_after[0]) {
		fprintf(f, ",\"retry_after\":");
		json_string_write(f, r->retry_after);
	}
	if (!pass) {
		fprintf(f, ",\"detail\":");
		json_string_write(f, r->detail);
	}
	fprintf(f, "}\n");
}
