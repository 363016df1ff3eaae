/* apiroute.c: request parsing for the API (see apiroute.h). */
#include "settle/apiroute.h"

#include <stdio.h>
#include <string.h>

#include "core/encoding.h"

void settle_api_args_add(struct settle_api_args *q, const char *key, const char *value)
{
	q->bytes += strlen(key) + 2 + (value ? strlen(value) : 0);
	if (!value)
		q->no_value = true;
	if (q->n >= SETTLE_API_MAX_ARGS) {
		q->too_many = true;
		return;
	}
	q->key[q->n] = key;
	q->val[q->n] = value;
	q->n++;
}

bool settle_api_args_check(const struct settle_api_args *q, const char *const *allowed,
			   char *why, size_t n)
{
	if (q->too_many) {
		snprintf(why, n, "too many query parameters");
		return false;
	}
	if (q->no_value) {
		snprintf(why, n, "every query parameter needs a value (name=value)");
		return false;
	}
	for (size_t i = 0; i < q->n; i++) {
		bool known = false;
		for (const char *const *a = allowed; *a; a++)
			known = known || !strcmp(*a, q->key[i]);
		if (!known) {
			snprintf(why, n, "unknown query parameter '%.40s'", q->key[i]);
			return false;
		}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(q->key[i], q->key[j])) {
				snprintf(why, n, "query parameter '%.40s' is given twice", q->key[i]);
				return false;
			}
	}
	return true;
}

const char *settle_api_args_get(const struct settle_api_args *q, const char *key)
{
	for (size_t i = 0; i < q->n; i++)
		if (!strcmp(q->key[i], key))
			return q->val[i];
	return NULL;
}

bool settle_api_parse_number(const char *s, uint64_t *v)
{
	size_t len = strlen(s);
	if (len == 0 || len > 18)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return parse_u64(s, v);
}

bool settle_api_parse_id(const char *s, uint8_t out[20])
{
	if (strncmp(s, "0x", 2) || strlen(s) != 42)
		return false;
	for (const char *p = s + 2; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))
			return false;
	return hex_decode_exact(out, 20, s, NULL);
}

bool settle_api_arg_number(const struct settle_api_args *q, const char *key, bool *has,
			   uint64_t *v, char *why, size_t n)
{
	const char *s = settle_api_args_get(q, key);
	*has = s != NULL;
	if (!s)
		return true;
	if (!settle_api_parse_number(s, v)) {
		snprintf(why, n, "%s must be a decimal number below 10^18", key);
		return false;
	}
	return true;
}

/* Splits path (after "/v1/") into at most 5 segments; false when more or empty ones. */
static bool split_path(const char *path, char seg[5][48], size_t *n)
{
	*n = 0;
	const char *p = path;
	for (;;) {
		const char *slash = strchr(p, '/');
		size_t len = slash ? (size_t)(slash - p) : strlen(p);
		if (len == 0 || len >= 48 || *n == 5)
			return false;
		memcpy(seg[*n], p, len);
		seg[*n][len] = '\0';
		(*n)++;
		if (!slash)
			return true;
		p = slash + 1;
	}
}

static bool refuse(unsigned *status, unsigned code, char *why, size_t why_len, const char *msg)
{
	*status = code;
	snprintf(why, why_len, "%s", msg);
	return false;
}

bool settle_api_route_parse(const char *url, struct settle_api_route *r, unsigned *status,
			    char *why, size_t why_len)
{
	static const char bad_node[] = "the node must be 0x followed by 40 hex digits";
	char seg[5][48];
	size_t n = 0;
	memset(r, 0, sizeof(*r));
	if (strncmp(url, "/v1/", 4) && strcmp(url, "/v1")) {
		r->kind = SETTLE_API_WEB;
		return true;
	}
	if (strncmp(url, "/v1/", 4) || !split_path(url + 4, seg, &n))
		return refuse(status, 404, why, why_len, "no such endpoint");
	if (n == 1 && !strcmp(seg[0], "chain")) {
		r->kind = SETTLE_API_CHAIN;
		return true;
	}
	if (n == 1 && !strcmp(seg[0], "network")) {
		r->kind = SETTLE_API_NETWORK;
		return true;
	}
	if (n == 1 && !strcmp(seg[0], "health")) {
		r->kind = SETTLE_API_HEALTH;
		return true;
	}
	if (n == 1 && !strcmp(seg[0], "epochs")) {
		r->kind = SETTLE_API_EPOCHS;
		return true;
	}
	if (n == 3 && !strcmp(seg[0], "nodes") &&
	    (!strcmp(seg[2], "payouts") || !strcmp(seg[2], "outcomes"))) {
		if (!settle_api_parse_id(seg[1], r->node))
			return refuse(status, 400, why, why_len, bad_node);
		r->kind = seg[2][0] == 'o' ? SETTLE_API_OUTCOMES : SETTLE_API_PAYOUTS;
		return true;
	}
	bool epoch_route =
		(n == 3 && (!strcmp(seg[2], "attestations") || !strcmp(seg[2], "disputes"))) ||
		(n == 5 && !strcmp(seg[2], "nodes") && !strcmp(seg[4], "evidence"));
	if (!strcmp(seg[0], "epochs") && epoch_route) {
		if (!settle_api_parse_number(seg[1], &r->epoch))
			return refuse(status, 400, why, why_len,
				      "the epoch must be a decimal number below 10^18");
		if (n == 3) {
			r->kind = seg[2][0] == 'd' ? SETTLE_API_DISPUTES : SETTLE_API_ATTESTATIONS;
			return true;
		}
		if (!settle_api_parse_id(seg[3], r->node))
			return refuse(status, 400, why, why_len, bad_node);
		r->kind = SETTLE_API_EVIDENCE;
		return true;
	}
	return refuse(status, 404, why, why_len, "no such endpoint");
}
