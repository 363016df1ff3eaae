/* read.c: the reader (see read.h). */
#include "node/read.h"

#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "core/err.h"
#include "core/log.h"
#include "node/client.h"
#include "node/committee.h"
#include "node/encoder.h"

struct read_ctx {
	const struct node_read_req *req;
	const struct node_codec *codec;
	const struct audit_metadata *md;
	bool *dead; /* members that failed at the transport level: not asked again */
};

static void report(const struct node_read_req *req, size_t done, size_t total, uint64_t len)
{
	if (req->progress.step)
		req->progress.step(req->progress.arg, done, total, len);
}

/* The slivers gathered for a decode, and their indices. */
static void held_free(uint8_t **slivers, uint16_t *indices, size_t have)
{
	for (size_t i = 0; i < have; i++)
		free(slivers[i]);
	free(slivers);
	free(indices);
}

/* Try to decode from verified slivers of one axis, fetched pair by pair from their owners
 * until enough are in hand. */
static bool fetch_and_decode(const struct read_ctx *c, enum audit_proof_axis axis, size_t need,
			     uint8_t **out, struct err *e)
{
	const struct node_committee *cm = c->req->committee;
	const uint8_t *id = c->req->blob_id;
	uint32_t n = cm->n;
	uint16_t *indices = xcalloc(n, sizeof(*indices));
	uint8_t **slivers = xcalloc(n, sizeof(*slivers));
	size_t have = 0;
	bool ok = false;
	report(c->req, 0, need, c->md->unencoded_length);
	for (uint32_t idx = 0; idx < n && have < need; idx++) {
		if (c->req->cancel && atomic_load(c->req->cancel)) {
			err_set(e, "the read was cancelled");
			goto out;
		}
		uint32_t pair = axis == AUDIT_AXIS_PRIMARY ? idx : audit_pair_of_secondary_sliver(n, idx);
		size_t m = cm->owner[audit_shard_of_pair(id, n, pair)];
		if (c->dead[m])
			continue;
		const struct node_member *mem = &cm->members[m];
		struct node_client cl = {mem->url, mem->pin, c->req->timeout_ms};
		struct audit_sliver *sl = NULL;
		struct err se = {{0}};
		if (!node_client_get_sliver(&cl, id, pair, axis, &sl, &se)) {
			log_info("node %zu: %s sliver %u: %s", m, audit_proof_axis_name(axis), idx,
				 se.msg);
			if (strstr(se.msg, "answered HTTP") == NULL)
				c->dead[m] = true; /* refused, timed out: don't wait on it again */
			continue;
		}
		if (sl->index != idx ||
		    !node_sliver_verify(c->codec, c->md, axis, (uint16_t)idx, sl->symbols, sl->len,
					sl->symbol_size, &se)) {
			log_warn("node %zu: %s sliver %u fails verification%s%s", m,
				 audit_proof_axis_name(axis), idx, se.msg[0] ? ": " : "", se.msg);
			audit_sliver_free(sl);
			continue;
		}
		indices[have] = (uint16_t)idx;
		slivers[have] = sl->symbols;
		sl->symbols = NULL;
		audit_sliver_free(sl);
		have++;
		report(c->req, have, need, c->md->unencoded_length);
	}
	if (have < need) {
		err_set(e, "only %zu verified %s slivers could be read, %zu are needed", have,
			audit_proof_axis_name(axis), need);
		goto out;
	}
	ok = node_decode_check(c->codec, c->md, id, axis, indices, (const uint8_t *const *)slivers,
			       have, out, e);
out:
	held_free(slivers, indices, have);
	return ok;
}

/* The blob from its k source slivers, those holding bytes before req->unverified_from
 * verified (see read.h); false (e says why) when one cannot be had, for the verified read. */
static bool fetch_source(const struct read_ctx *c, size_t k, uint8_t **out, struct err *e)
{
	const struct node_committee *cm = c->req->committee;
	const uint8_t *id = c->req->blob_id;
	uint32_t n = cm->n;
	uint16_t ss;
	struct audit_params p;
	if (!audit_metadata_params(c->md, &p, &ss, e))
		return false;
	uint64_t sliver_bytes = (uint64_t)p.k_secondary * ss; /* a primary sliver: k_s symbols */
	uint16_t *indices = xcalloc(k ? k : 1, sizeof(*indices));
	uint8_t **slivers = xcalloc(k ? k : 1, sizeof(*slivers));
	size_t have = 0;
	bool ok = false;
	report(c->req, 0, k, c->md->unencoded_length);
	for (uint32_t idx = 0; idx < k; idx++) {
		if (c->req->cancel && atomic_load(c->req->cancel)) {
			err_set(e, "the read was cancelled");
			goto out;
		}
		size_t m = cm->owner[audit_shard_of_pair(id, n, idx)];
		const struct node_member *mem = &cm->members[m];
		struct node_client cl = {mem->url, mem->pin, c->req->timeout_ms};
		struct audit_sliver *sl = NULL;
		struct err se = {{0}};
		if (c->dead[m] ||
		    !node_client_get_sliver(&cl, id, idx, AUDIT_AXIS_PRIMARY, &sl, &se)) {
			err_set(e, "source sliver %u: %s", idx, c->dead[m] ? "its node is down" : se.msg);
			goto out;
		}
		bool verify = (uint64_t)idx * sliver_bytes < c->req->unverified_from;
		if (sl->index != idx || sl->symbol_size != ss || sl->len != sliver_bytes ||
		    (verify && !node_sliver_verify(c->codec, c->md, AUDIT_AXIS_PRIMARY, (uint16_t)idx,
						   sl->symbols, sl->len, sl->symbol_size, &se))) {
			err_set(e, "source sliver %u fails verification%s%s", idx, se.msg[0] ? ": " : "",
				se.msg);
			audit_sliver_free(sl);
			goto out;
		}
		indices[have] = (uint16_t)idx;
		slivers[have++] = sl->symbols;
		sl->symbols = NULL;
		audit_sliver_free(sl);
		report(c->req, have, k, c->md->unencoded_length);
	}
	const struct node_codec *code = node_codec_for(c->codec, c->md->encoding_type);
	if (!code)
		err_set(e, "the blob's encoding type %lu is not one this reader decodes",
			(unsigned long)c->md->encoding_type);
	else
		ok = node_decode(code, AUDIT_AXIS_PRIMARY, ss, c->md->unencoded_length, indices,
				 (const uint8_t *const *)slivers, have, out, e);
out:
	held_free(slivers, indices, have);
	return ok;
}

/* The first metadata a member serves that hashes to the blob ID. */
static struct audit_metadata *first_metadata(const struct node_read_req *req, bool *dead)
{
	const struct node_committee *cm = req->committee;
	struct audit_metadata *md = NULL;
	for (size_t m = 0; m < cm->count && !md; m++) {
		struct node_client cl = {cm->members[m].url, cm->members[m].pin, req->timeout_ms};
		struct err me = {{0}};
		if (!node_client_get_metadata(&cl, req->blob_id, &md, &me)) {
			log_info("node %zu: %s", m, me.msg);
			if (strstr(me.msg, "answered HTTP") == NULL)
				dead[m] = true;
		}
	}
	return md;
}

bool node_read(const struct node_read_req *req, uint8_t **out, size_t *len, struct err *e)
{
	const struct node_committee *cm = req->committee;
	struct node_codec *codec = NULL;
	struct audit_metadata *md = NULL;
	bool *dead = NULL;
	bool ok = false;
	*out = NULL;
	*len = 0;
	if (!node_codec_new(cm->n, &codec, e))
		goto out;
	dead = xcalloc(cm->count, sizeof(*dead));
	md = first_metadata(req, dead);
	if (!md) {
		err_set(e, "no node has metadata that matches the blob ID");
		goto out;
	}
	struct audit_params p;
	uint16_t ss;
	if (!audit_metadata_params(md, &p, &ss, e))
		goto out;
	struct read_ctx c = {req, codec, md, dead};
	struct err se = {{0}};
	bool got = req->unverified_from && fetch_source(&c, p.k_primary, out, &se);
	if (req->unverified_from && !got)
		log_info("reading from the source slivers: %s; reading verified", se.msg);
	/* Primary slivers first: k_p of them decode the blob; secondary ones as a fallback. */
	if (!got && !(got = fetch_and_decode(&c, AUDIT_AXIS_PRIMARY, p.k_primary, out, e))) {
		log_info("primary slivers: %s; trying secondary slivers", e->msg);
		got = fetch_and_decode(&c, AUDIT_AXIS_SECONDARY, p.k_secondary, out, e);
	}
	if (req->progress.end)
		req->progress.end(req->progress.arg);
	if (got) {
		*len = (size_t)md->unencoded_length;
		ok = true;
	}
out:
	free(dead);
	audit_metadata_free(md);
	node_codec_free(codec);
	return ok;
}
