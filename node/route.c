/* route.c: request parsing for the storage node (see route.h). */
#include "node/route.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "core/err.h"

static bool refuse(unsigned *status, unsigned code, char *why, size_t why_len, const char *msg)
{
	*status = code;
	snprintf(why, why_len, "%s", msg);
	return false;
}

/* "slivers/{pair}/{primary|secondary}" */
static bool parse_sliver(const char *p, uint32_t n, struct node_route *r, unsigned *status,
			 char *why, size_t why_len)
{
	const char *sl2 = strchr(p, '/');
	char num[8];
	uint64_t pair;
	struct err e = {{0}};
	if (!sl2 || (size_t)(sl2 - p) >= sizeof(num) || sl2 == p)
		return refuse(status, 400, why, why_len,
			      "expected slivers/{pair}/{primary|secondary}");
	memcpy(num, p, (size_t)(sl2 - p));
	num[sl2 - p] = '\0';
	if (num[0] < '0' || num[0] > '9' || !parse_u64(num, &pair) || pair >= n) {
		*status = 400;
		snprintf(why, why_len, "sliver pair index '%s' is not below %u", num, n);
		return false;
	}
	if (!audit_proof_axis_parse(sl2 + 1, &r->axis, &e)) {
		*status = 400;
		snprintf(why, why_len, "sliver type: %s", e.msg);
		return false;
	}
	r->pair = (uint32_t)pair;
	r->ep = NODE_EP_SLIVER;
	return true;
}

bool node_route_parse(const char *url, uint32_t n, struct node_route *r, unsigned *status,
		      char *why, size_t why_len)
{
	memset(r, 0, sizeof(*r));
	if (!strcmp(url, "/v1/health")) {
		r->ep = NODE_EP_HEALTH;
		return true;
	}
	if (!strcmp(url, "/metrics")) {
		r->ep = NODE_EP_METRICS;
		return true;
	}
	if (!strcmp(url, "/v1/admin/recover")) {
		r->ep = NODE_EP_RECOVER;
		return true;
	}
	if (strncmp(url, "/v1/blobs/", 10))
		return refuse(status, 404, why, why_len, "no such endpoint");
	const char *rest = url + 10;
	const char *slash = strchr(rest, '/');
	if (!slash)
		return refuse(status, 404, why, why_len, "no such endpoint");
	char idt[64];
	size_t idl = (size_t)(slash - rest);
	struct err e = {{0}};
	if (idl >= sizeof(idt))
		return refuse(status, 400, why, why_len,
			      "the blob ID is not 43 characters of URL-safe base64");
	memcpy(idt, rest, idl);
	idt[idl] = '\0';
	if (!audit_blob_id_parse(idt, r->id, &e))
		return refuse(status, 400, why, why_len, e.msg);
	const char *what = slash + 1;
	if (!strcmp(what, "metadata")) {
		r->ep = NODE_EP_METADATA;
		return true;
	}
	if (!strcmp(what, "recoverySymbols")) {
		r->ep = NODE_EP_SYMBOLS;
		return true;
	}
	if (!strcmp(what, "confirmation") || !strcmp(what, "confirmation/permanent")) {
		r->ep = NODE_EP_CONFIRMATION;
		return true;
	}
	if (!strncmp(what, "slivers/", 8))
		return parse_sliver(what + 8, n, r, status, why, why_len);
	return refuse(status, 404, why, why_len, "no such endpoint");
}

void node_symbol_query_init(struct node_symbol_query *q, uint32_t n)
{
	memset(q, 0, sizeof(*q));
	q->n = n;
	q->ids = xmalloc(NODE_MAX_IDS_PER_REQUEST * sizeof(*q->ids)); /* count says what is set */
}

bool node_symbol_query_add(struct node_symbol_query *q, const char *key, const char *value)
{
	struct err e = {{0}};
	if (q->bad)
		return false;
	if (!strcmp(key, "id")) {
		if (q->count == NODE_MAX_IDS_PER_REQUEST) {
			snprintf(q->why, sizeof(q->why), "at most %u ids per request",
				 NODE_MAX_IDS_PER_REQUEST);
			q->bad = true;
		} else if (!value || !audit_symbol_id_parse(value, q->n, &q->ids[q->count], &e)) {
			snprintf(q->why, sizeof(q->why), "%s", value ? e.msg : "empty id");
			q->bad = true;
		} else {
			q->count++;
		}
	} else if (!strcmp(key, "proofAxis")) {
		if (!value || !audit_proof_axis_parse(value, &q->axis, &e)) {
			snprintf(q->why, sizeof(q->why), "%s", value ? e.msg : "empty proofAxis");
			q->bad = true;
		}
		q->has_axis = true;
	} else {
		snprintf(q->why, sizeof(q->why), "unknown query parameter '%.40s'", key);
		q->bad = true;
	}
	return !q->bad;
}

void node_symbol_query_clear(struct node_symbol_query *q)
{
	free(q->ids);
	q->ids = NULL;
}
