/* server.c: the storage node's HTTP API (libmicrohttpd, thread pool). */
#include "node/server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/blob.h"
#include "chain/key.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "core/net.h"
#include "node/client.h"
#include "node/committee.h"
#include "node/encoder.h"
#include "node/follow.h"
#include "node/recover.h"
#include "node/route.h"
#include "node/store.h"
#include "node/xcache.h"

#define DEFAULT_MAX_BODY (32u << 20)
/* A kept expansion is looked for on disk again after this long, or at once after the node
 * deleted anything: a file removed by hand stops being served within it. Looking every
 * request (a path built and a stat) was 17 % of the node's CPU per symbol request. */
#define CACHE_RECHECK_MS 1000
#define DEFAULT_CACHE_MIB 256u
#define GARBAGE_LEN 300

struct node_server {
	struct node_server_config cfg;
	struct node_store *store;
	/* The committee as request threads see it: swapped whole (a file's once, the chain's
	 * each time it changes), taken with a reference for a request's duration. */
	struct node_view *view;
	pthread_mutex_t view_lock;
	struct node_follow *follow; /* NULL with a committee file */
	bool follow_started;
	uint32_t n;                 /* shards: fixed for the deployment */
	struct node_codec *codec;
	struct chain_key *key;
	uint8_t address[20];
	struct sockaddr_in addr;
	struct MHD_Daemon *daemon;
	uint64_t started_ms;
	atomic_uint_fast64_t requests;
	/* served, for /v1/health: what a reader (the gateway) cost this node */
	atomic_uint_fast64_t served_metadata, served_symbol_requests, served_symbols,
		served_slivers;
	struct node_xcache *cache; /* expanded slivers (node/xcache.h) */
	pthread_mutex_t recover_lock;
};

struct upload {
	struct buf body;
	bool too_large;
};

/* ---- responses ---- */

static enum MHD_Result send_bytes(struct MHD_Connection *conn, unsigned status, const char *ctype,
				  uint8_t *data, size_t len)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len, data ? data : (uint8_t *)"", data ? MHD_RESPMEM_MUST_FREE
										   : MHD_RESPMEM_PERSISTENT);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_buf(struct MHD_Connection *conn, unsigned status, const char *ctype,
				struct buf *b)
{
	size_t len;
	uint8_t *d = buf_steal(b, &len);
	return send_bytes(conn, status, ctype, d, len);
}

static const char *status_name(unsigned status)
{
	switch (status) {
	case 400: return "INVALID_ARGUMENT";
	case 403: return "PERMISSION_DENIED";
	case 404: return "NOT_FOUND";
	case 405: return "METHOD_NOT_ALLOWED";
	case 409: return "FAILED_PRECONDITION";
	case 413: return "PAYLOAD_TOO_LARGE";
	case 503: return "UNAVAILABLE";
	case 507: return "RESOURCE_EXHAUSTED";
	default: return "INTERNAL";
	}
}

static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *fmt,
				  ...) PRINTF_FMT(3, 4);
static enum MHD_Result send_error(struct MHD_Connection *conn, unsigned status, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct buf b = BUF_INIT;
	buf_printf(&b, "{\"error\":{\"status\":\"%s\",\"code\":%u,\"message\":", status_name(status),
		   status);
	json_string_append(&b, msg);
	buf_append_str(&b, "}}");
	log_debug("answer %u: %s", status, msg);
	return send_buf(conn, status, "application/json", &b);
}

static enum MHD_Result send_success(struct MHD_Connection *conn, unsigned status, const char *msg)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "{\"success\":{\"code\":%u,\"data\":", status);
	json_string_append(&b, msg);
	buf_append_str(&b, "}}");
	return send_buf(conn, status, "application/json", &b);
}

/* ---- helpers ---- */

static struct node_view *view_get(struct node_server *s)
{
	pthread_mutex_lock(&s->view_lock);
	struct node_view *k = node_view_ref(s->view);
	pthread_mutex_unlock(&s->view_lock);
	return k;
}

/* Called by the follower with a new reference. */
static void view_publish(void *arg, struct node_view *k)
{
	struct node_server *s = arg;
	pthread_mutex_lock(&s->view_lock);
	struct node_view *old = s->view;
	s->view = k;
	pthread_mutex_unlock(&s->view_lock);
	node_view_unref(old);
}

/* A non-member holds nothing (node_committee_holds is false for any index past the end). */
static bool holds_pair(const struct node_view *k, const uint8_t id[AUDIT_DIGEST_LEN],
		       uint32_t pair)
{
	uint32_t shard = audit_shard_of_pair(id, k->committee->n, pair);
	return node_committee_holds(k->committee, k->self, shard);
}

static const struct node_member *self_member(const struct node_view *k)
{
	return k->self == NODE_NOT_MEMBER ? NULL : &k->committee->members[k->self];
}

static uint32_t pair_of_sliver(uint32_t n, enum audit_proof_axis axis, uint32_t index)
{
	return axis == AUDIT_AXIS_PRIMARY ? index : audit_pair_of_secondary_sliver(n, index);
}

static struct node_xcache_key xkey(const uint8_t id[AUDIT_DIGEST_LEN],
				   enum audit_proof_axis axis, uint16_t index)
{
	struct node_xcache_key key = {.axis = axis, .index = index};
	memcpy(key.id, id, AUDIT_DIGEST_LEN);
	return key;
}

/* The expansion of a stored sliver (a reference: node_expanded_free() drops it), or NULL
 * (with *missing set) when the node does not have it. */
static bool cache_get(struct node_server *s, const uint8_t id[AUDIT_DIGEST_LEN],
		      enum audit_proof_axis axis, uint16_t index, struct node_expanded **x_out,
		      bool *missing, struct err *e)
{
	*x_out = NULL;
	*missing = false;
	struct node_xcache_key key = xkey(id, axis, index);
	/* A sliver deleted from disk must stop being served even if it is kept: by the node
	 * at once (the store counts its deletions), by hand within CACHE_RECHECK_MS. */
	uint64_t dels = node_store_deletions(s->store), now = now_ms();
	if ((*x_out = node_xcache_get(s->cache, &key, dels, now, CACHE_RECHECK_MS, false)))
		return true;
	if (!node_store_has_sliver(s->store, id, axis, index)) {
		node_xcache_drop(s->cache, &key); /* deleted: its memory goes too */
		*missing = true;
		return true;
	}
	if ((*x_out = node_xcache_get(s->cache, &key, dels, now, CACHE_RECHECK_MS, true)))
		return true;

	struct audit_sliver *sl = NULL;
	struct node_expanded *x = NULL;
	if (!node_store_get_sliver(s->store, id, axis, index, &sl, e))
		return false;
	if (!sl) {
		*missing = true;
		return true;
	}
	/* The blob's own code expands it (its metadata was checked when it was stored). */
	struct audit_metadata *md = NULL;
	const struct node_codec *code = NULL;
	bool ok = node_store_get_metadata(s->store, id, &md, e);
	if (ok && !md) {
		*missing = true;
		audit_sliver_free(sl);
		return true;
	}
	if (ok && !(code = node_codec_for(s->codec, md->encoding_type)))
		ok = err_set(e, "the blob's encoding type %lu is not one this node stores",
			     (unsigned long)md->encoding_type);
	if (ok)
		ok = node_expanded_new(code, axis, index, sl->symbols, sl->len, sl->symbol_size, &x,
				       e);
	audit_metadata_free(md);
	audit_sliver_free(sl);
	if (!ok)
		return false;
	node_xcache_put(s->cache, &key, x, dels, now);
	*x_out = x;
	return true;
}

/* ---- handlers ---- */

static enum MHD_Result get_health(struct node_server *s, const struct node_view *k,
				  struct MHD_Connection *conn)
{
	struct buf b = BUF_INIT;
	char *addr = s->key ? hex_encode_0x_new(s->address, 20) : NULL;
	buf_printf(&b,
		   "{\"success\":{\"code\":200,\"data\":{\"nodeStatus\":\"Active\",\"uptimeMs\":%llu,"
		   "\"index\":",
		   (unsigned long long)(now_ms() - s->started_ms));
	if (k->self == NODE_NOT_MEMBER)
		buf_append_str(&b, "null");
	else
		buf_printf(&b, "%u", k->self);
	buf_printf(&b, ",\"nShards\":%u,\"epoch\":%llu,\"shards\":[", s->n,
		   (unsigned long long)k->epoch);
	const struct node_member *m = self_member(k);
	for (size_t i = 0; m && i < m->shard_count; i++)
		buf_printf(&b, "%s%u", i ? "," : "", m->shards[i]);
	buf_printf(&b, "],\"address\":%s%s%s,\"served\":{\"metadata\":%llu,"
		   "\"symbolRequests\":%llu,\"symbols\":%llu,\"slivers\":%llu}}}}",
		   addr ? "\"" : "", addr ? addr : "null", addr ? "\"" : "",
		   (unsigned long long)atomic_load(&s->served_metadata),
		   (unsigned long long)atomic_load(&s->served_symbol_requests),
		   (unsigned long long)atomic_load(&s->served_symbols),
		   (unsigned long long)atomic_load(&s->served_slivers));
	free(addr);
	return send_buf(conn, 200, "application/json", &b);
}

/* Prometheus text: what the node stores, has reclaimed and has served. */
static enum MHD_Result get_metrics(struct node_server *s, struct MHD_Connection *conn)
{
	uint64_t free_bytes;
	(void)node_store_has_room(s->store, 0, &free_bytes);
	struct node_xcache_stats xs;
	node_xcache_stats(s->cache, &xs);
	struct buf b = BUF_INIT;
	buf_printf(&b,
		   "# HELP assay_node_stored_bytes Bytes of metadata and slivers stored.\n"
		   "# TYPE assay_node_stored_bytes gauge\nassay_node_stored_bytes %llu\n"
		   "# HELP assay_node_reclaimed_bytes_total Bytes deleted (expired blobs, shards "
		   "handed over).\n"
		   "# TYPE assay_node_reclaimed_bytes_total counter\n"
		   "assay_node_reclaimed_bytes_total %llu\n"
		   "# HELP assay_node_free_bytes Bytes free on the store's file system.\n"
		   "# TYPE assay_node_free_bytes gauge\nassay_node_free_bytes %llu\n"
		   "# HELP assay_node_served_total Answers served, by kind.\n"
		   "# TYPE assay_node_served_total counter\n"
		   "assay_node_served_total{kind=\"metadata\"} %llu\n"
		   "assay_node_served_total{kind=\"symbol_requests\"} %llu\n"
		   "assay_node_served_total{kind=\"symbols\"} %llu\n"
		   "assay_node_served_total{kind=\"slivers\"} %llu\n"
		   "# HELP assay_node_expansions Expanded slivers kept to answer symbol requests.\n"
		   "# TYPE assay_node_expansions gauge\nassay_node_expansions %llu\n"
		   "# HELP assay_node_expansion_bytes Bytes of the kept expansions, and their "
		   "budget (--cache-mib).\n"
		   "# TYPE assay_node_expansion_bytes gauge\n"
		   "assay_node_expansion_bytes %llu\nassay_node_expansion_budget_bytes %llu\n"
		   "# HELP assay_node_expansion_lookups_total Symbol requests' slivers found kept "
		   "(hit) or expanded (miss).\n"
		   "# TYPE assay_node_expansion_lookups_total counter\n"
		   "assay_node_expansion_lookups_total{result=\"hit\"} %llu\n"
		   "assay_node_expansion_lookups_total{result=\"miss\"} %llu\n"
		   "# HELP assay_node_expansion_evictions_total Kept expansions dropped for the "
		   "budget.\n"
		   "# TYPE assay_node_expansion_evictions_total counter\n"
		   "assay_node_expansion_evictions_total %llu\n",
		   (unsigned long long)node_store_bytes(s->store),
		   (unsigned long long)node_store_reclaimed(s->store),
		   (unsigned long long)free_bytes,
		   (unsigned long long)atomic_load(&s->served_metadata),
		   (unsigned long long)atomic_load(&s->served_symbol_requests),
		   (unsigned long long)atomic_load(&s->served_symbols),
		   (unsigned long long)atomic_load(&s->served_slivers),
		   (unsigned long long)xs.entries, (unsigned long long)xs.bytes,
		   (unsigned long long)xs.budget, (unsigned long long)xs.hits,
		   (unsigned long long)xs.misses, (unsigned long long)xs.evictions);
	return send_buf(conn, 200, "text/plain; version=0.0.4", &b);
}

static enum MHD_Result get_metadata(struct node_server *s, struct MHD_Connection *conn,
				    const uint8_t id[AUDIT_DIGEST_LEN])
{
	struct err e = {{0}};
	struct audit_metadata *md = NULL;
	if (!node_store_get_metadata(s->store, id, &md, &e)) {
		log_error("%s", e.msg);
		return send_error(conn, 500, "the node cannot read its store");
	}
	if (!md)
		return send_error(conn, 404, "the metadata of this blob is not stored on this node");
	struct buf b = BUF_INIT;
	audit_metadata_with_id_write(&b, id, md);
	audit_metadata_free(md);
	atomic_fetch_add(&s->served_metadata, 1);
	return send_buf(conn, 200, "application/octet-stream", &b);
}

/* An upload of len bytes: 507 (as Walrus nodes answer) when it would leave less than the
 * reserve free; the node keeps serving what it has. */
static bool refuse_full(struct node_server *s, struct MHD_Connection *conn, size_t len,
			enum MHD_Result *ret)
{
	uint64_t free_bytes;
	if (node_store_has_room(s->store, len, &free_bytes))
		return false;
	*ret = send_error(conn, 507,
			  "the node's disk is full: %llu bytes free, %zu needed beyond the "
			  "%llu-byte reserve; nothing was stored",
			  (unsigned long long)free_bytes, len,
			  (unsigned long long)s->cfg.min_free_bytes);
	return true;
}

static enum MHD_Result put_metadata(struct node_server *s, struct MHD_Connection *conn,
				    const uint8_t id[AUDIT_DIGEST_LEN], const struct buf *body)
{
	struct err e = {{0}};
	struct audit_metadata *md = NULL;
	struct audit_params p;
	uint16_t ss;
	enum MHD_Result ret;
	if (refuse_full(s, conn, body->len, &ret))
		return ret;
	if (!audit_metadata_parse(body->data, body->len, &md, &e)) {
		ret = send_error(conn, 400, "the body is not a BCS BlobMetadata: %s", e.msg);
		goto out;
	}
	if (!audit_metadata_verify_id(md, id, &e)) {
		ret = send_error(conn, 400, "%s", e.msg);
		goto out;
	}
	if (md->n_shards != s->n || !node_codec_for(s->codec, md->encoding_type)) {
		/* Up to 255 shards both codes, above only GF(2^16) (node_codec_for). */
		bool both = node_codec_for(s->codec, NODE_ENCODING_RS8) != NULL;
		ret = send_error(conn, 400,
				 "this node stores blobs of %u shards in encoding type %s%u, not "
				 "type %u with %u shards",
				 s->n, both ? "2 or " : "", NODE_ENCODING_RS16, md->encoding_type,
				 md->n_shards);
		goto out;
	}
	if (!audit_metadata_params(md, &p, &ss, &e)) {
		ret = send_error(conn, 400, "%s", e.msg);
		goto out;
	}
	bool existed;
	if (!node_store_put_metadata(s->store, id, body->data, body->len, &existed, &e)) {
		log_error("%s", e.msg);
		ret = send_error(conn, 500, "the node could not store the metadata");
		goto out;
	}
	ret = existed ? send_success(conn, 200, "metadata already stored")
		      : send_success(conn, 201, "metadata successfully stored");
out:
	audit_metadata_free(md);
	return ret;
}

static void corrupt_sliver(const struct node_server *s, const uint8_t id[AUDIT_DIGEST_LEN],
			   enum audit_proof_axis axis, uint16_t index, struct audit_sliver *sl)
{
	for (size_t t = 0; t * sl->symbol_size < sl->len; t++) {
		struct audit_symbol_id sid = axis == AUDIT_AXIS_PRIMARY
			? (struct audit_symbol_id){index, (uint16_t)t}
			: (struct audit_symbol_id){(uint16_t)t, index};
		if (node_faults_corrupted(&s->cfg.faults, id, sid, axis))
			sl->symbols[t * sl->symbol_size] ^= 0x01;
	}
}

static enum MHD_Result get_sliver(struct node_server *s, const struct node_view *k,
				  struct MHD_Connection *conn,
				  const uint8_t id[AUDIT_DIGEST_LEN], uint32_t pair,
				  enum audit_proof_axis axis)
{
	uint32_t n = s->n;
	uint16_t index = (uint16_t)(axis == AUDIT_AXIS_PRIMARY ? pair
							      : audit_secondary_sliver_of_pair(n, pair));
	if (!holds_pair(k, id, pair))
		return send_error(conn, 404, "sliver pair %u of this blob is not on a shard of "
					     "this node", pair);
	if (node_faults_lost(&s->cfg.faults, id, axis, index))
		return send_error(conn, 404, "the sliver is not stored on this node");
	struct err e = {{0}};
	struct audit_sliver *sl = NULL;
	if (!node_store_get_sliver(s->store, id, axis, index, &sl, &e)) {
		log_error("%s", e.msg);
		return send_error(conn, 500, "the node cannot read its store");
	}
	if (!sl)
		return send_error(conn, 404, "the sliver is not stored on this node");
	corrupt_sliver(s, id, axis, index, sl);
	struct buf b = BUF_INIT;
	audit_sliver_write(&b, sl);
	audit_sliver_free(sl);
	atomic_fetch_add(&s->served_slivers, 1);
	return send_buf(conn, 200, "application/octet-stream", &b);
}

static enum MHD_Result put_sliver(struct node_server *s, const struct node_view *k,
				  struct MHD_Connection *conn,
				  const uint8_t id[AUDIT_DIGEST_LEN], uint32_t pair,
				  enum audit_proof_axis axis, const struct buf *body)
{
	uint32_t n = s->n;
	uint16_t index = (uint16_t)(axis == AUDIT_AXIS_PRIMARY ? pair
							      : audit_secondary_sliver_of_pair(n, pair));
	struct err e = {{0}};
	struct audit_metadata *md = NULL;
	struct audit_sliver *sl = NULL;
	struct node_expanded *x = NULL;
	enum MHD_Result ret;
	if (refuse_full(s, conn, body->len, &ret))
		return ret;
	if (!node_store_get_metadata(s->store, id, &md, &e)) {
		log_error("%s", e.msg);
		ret = send_error(conn, 500, "the node cannot read its store");
		goto out;
	}
	if (!md) {
		ret = send_error(conn, 409, "store the blob's metadata before its slivers");
		goto out;
	}
	if (!holds_pair(k, id, pair)) {
		ret = send_error(conn, 400, "sliver pair %u of this blob belongs to shard %u, which "
					    "this node does not hold",
				 pair, audit_shard_of_pair(id, n, pair));
		goto out;
	}
	if (!audit_sliver_parse(body->data, body->len, &sl, &e)) {
		ret = send_error(conn, 400, "the body is not a BCS SliverData: %s", e.msg);
		goto out;
	}
	if (sl->index != index) {
		ret = send_error(conn, 400, "the body holds %s sliver %u, but pair %u holds %s "
					    "sliver %u",
				 audit_proof_axis_name(axis), sl->index, pair,
				 audit_proof_axis_name(axis), index);
		goto out;
	}
	/* The check expands the sliver: what symbol requests need, kept for them. */
	if (!node_sliver_verify_expanded(s->codec, md, axis, index, sl->symbols, sl->len,
					 sl->symbol_size, &x, &e)) {
		ret = send_error(conn, 400, "the sliver does not match the blob's metadata: %s",
				 e.msg);
		goto out;
	}
	bool existed;
	if (!node_store_put_sliver(s->store, id, axis, index, sl->symbols, sl->len,
				   sl->symbol_size, &existed, &e)) {
		log_error("%s", e.msg);
		ret = send_error(conn, 500, "the node could not store the sliver");
		goto out;
	}
	struct node_xcache_key key = xkey(id, axis, index);
	node_xcache_offer(s->cache, &key, x, node_store_deletions(s->store), now_ms());
	ret = existed ? send_success(conn, 200, "sliver already stored")
		      : send_success(conn, 201, "sliver stored successfully");
out:
	node_expanded_free(x);
	audit_metadata_free(md);
	audit_sliver_free(sl);
	return ret;
}

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	(void)kind;
	return node_symbol_query_add(cls, key, value) ? MHD_YES : MHD_NO;
}

/* A symbol of another stored blob with the same id and axis (--fault-other-blob). */
static bool other_blob_symbol(struct node_server *s, const uint8_t id[AUDIT_DIGEST_LEN],
			      struct audit_symbol_id sid, enum audit_proof_axis axis,
			      struct audit_recovery_symbol *out)
{
	uint8_t (*ids)[AUDIT_DIGEST_LEN] = NULL;
	size_t count = 0;
	bool found = false;
	struct err e = {{0}};
	if (!node_store_list_blobs(s->store, &ids, &count, &e))
		return false;
	uint16_t index = axis == AUDIT_AXIS_PRIMARY ? sid.primary : sid.secondary;
	uint16_t target = axis == AUDIT_AXIS_PRIMARY ? sid.secondary : sid.primary;
	for (size_t i = 0; i < count && !found; i++) {
		if (!memcmp(ids[i], id, AUDIT_DIGEST_LEN))
			continue;
		/* The same sliver of the other blob if this node holds it, else any sliver of
		 * that axis relabeled as the one asked for: the data and proof are genuine, of
		 * the wrong blob. */
		for (uint32_t k = 0; k < s->n && !found; k++) {
			uint16_t try = (uint16_t)((index + k) % s->n);
			struct node_expanded *x;
			bool missing;
			if (!cache_get(s, ids[i], axis, try, &x, &missing, &e) || missing)
				continue;
			found = node_expanded_symbol(x, target, out, &e);
			node_expanded_free(x);
			if (found)
				out->index = index;
		}
	}
	free(ids);
	return found;
}

static enum MHD_Result get_symbols(struct node_server *s, const struct node_view *k,
				   struct MHD_Connection *conn,
				   const uint8_t id[AUDIT_DIGEST_LEN])
{
	uint32_t n = s->n;
	struct node_symbol_query q;
	node_symbol_query_init(&q, n);
	struct audit_recovery_symbol *items = NULL;
	size_t found = 0;
	enum MHD_Result ret;
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, query_arg, &q);
	if (q.bad) {
		ret = send_error(conn, 400, "%s", q.why);
		goto out;
	}
	if (q.count == 0) {
		ret = send_error(conn, 400, "name at least one symbol with id=I-J");
		goto out;
	}
	items = xcalloc(q.count, sizeof(*items));
	for (size_t i = 0; i < q.count; i++) {
		struct audit_symbol_id sid = q.ids[i];
		enum audit_proof_axis axis = q.axis;
		if (!q.has_axis) /* either axis will do: the one this node holds */
			axis = holds_pair(k, id, sid.primary) ? AUDIT_AXIS_PRIMARY
							      : AUDIT_AXIS_SECONDARY;
		uint16_t index = axis == AUDIT_AXIS_PRIMARY ? sid.primary : sid.secondary;
		uint16_t target = axis == AUDIT_AXIS_PRIMARY ? sid.secondary : sid.primary;
		if (!holds_pair(k, id, pair_of_sliver(n, axis, index)) ||
		    node_faults_lost(&s->cfg.faults, id, axis, index))
			continue;
		if (s->cfg.faults.other_blob && other_blob_symbol(s, id, sid, axis, &items[found])) {
			found++;
			continue;
		}
		struct err e = {{0}};
		struct node_expanded *x;
		bool missing;
		if (!cache_get(s, id, axis, index, &x, &missing, &e)) {
			log_error("%s", e.msg);
			continue;
		}
		if (missing)
			continue;
		bool ok = node_expanded_symbol(x, target, &items[found], &e);
		node_expanded_free(x);
		if (!ok) {
			log_error("%s", e.msg);
			continue;
		}
		if (node_faults_corrupted(&s->cfg.faults, id, sid, axis) && items[found].data_len)
			items[found].data[0] ^= 0x01;
		found++;
	}
	if (!found) {
		ret = send_error(conn, 404, "none of the requested symbols is stored on this node");
		goto out;
	}
	struct buf b = BUF_INIT;
	audit_recovery_symbols_write(&b, items, found);
	atomic_fetch_add(&s->served_symbol_requests, 1);
	atomic_fetch_add(&s->served_symbols, found);
	ret = send_buf(conn, 200, "application/octet-stream", &b);
out:
	for (size_t i = 0; i < found; i++)
		audit_recovery_symbol_clear(&items[i]);
	free(items);
	node_symbol_query_clear(&q);
	return ret;
}

static enum MHD_Result get_confirmation(struct node_server *s, const struct node_view *k,
					struct MHD_Connection *conn,
					const uint8_t id[AUDIT_DIGEST_LEN])
{
	struct err e = {{0}};
	struct audit_metadata *md = NULL;
	if (!s->key)
		return send_error(conn, 503, "this node has no node key (--key-file) to sign "
					     "storage confirmations");
	if (!node_store_get_metadata(s->store, id, &md, &e)) {
		log_error("%s", e.msg);
		return send_error(conn, 500, "the node cannot read its store");
	}
	if (!md)
		return send_error(conn, 404, "the metadata of this blob is not stored on this node");
	audit_metadata_free(md);
	uint32_t n = s->n;
	const struct node_member *m = self_member(k);
	if (!m)
		return send_error(conn, 409, "this node is not in the committee of epoch %llu",
				  (unsigned long long)k->epoch);
	for (size_t i = 0; i < m->shard_count; i++) {
		uint32_t pair = audit_pair_of_shard(id, n, m->shards[i]);
		uint16_t sec = (uint16_t)audit_secondary_sliver_of_pair(n, pair);
		if (!node_store_has_sliver(s->store, id, AUDIT_AXIS_PRIMARY, (uint16_t)pair) ||
		    !node_store_has_sliver(s->store, id, AUDIT_AXIS_SECONDARY, sec))
			return send_error(conn, 409, "sliver pair %u (shard %u) is not fully stored "
						     "yet",
					  pair, m->shards[i]);
	}
	uint8_t digest[32], sig65[65];
	struct chain_sig sig;
	node_confirmation_digest(id, k->epoch, k->committee->chain_id, k->committee->blob_registry,
				 digest);
	if (!chain_key_sign(s->key, digest, &sig, &e)) {
		log_error("signing a storage confirmation: %s", e.msg);
		return send_error(conn, 500, "the node could not sign");
	}
	chain_sig_to_65(&sig, sig65);
	char idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(idt, id);
	char *idhex = hex_encode_0x_new(id, 32), *addr = hex_encode_0x_new(s->address, 20),
	     *sighex = hex_encode_0x_new(sig65, 65), *dhex = hex_encode_0x_new(digest, 32);
	struct buf b = BUF_INIT;
	buf_printf(&b,
		   "{\"success\":{\"code\":200,\"data\":{\"signed\":{\"blobId\":\"%s\","
		   "\"blobIdHex\":\"%s\",\"epoch\":%llu,\"signer\":\"%s\",\"digest\":\"%s\","
		   "\"signature\":\"%s\"}}}}",
		   idt, idhex, (unsigned long long)k->epoch, addr, dhex, sighex);
	free(idhex);
	free(addr);
	free(sighex);
	free(dhex);
	return send_buf(conn, 200, "application/json", &b);
}

static enum MHD_Result post_recover(struct node_server *s, const struct node_view *k,
				    struct MHD_Connection *conn)
{
	if (!s->cfg.admin)
		return send_error(conn, 403, "admin endpoints are off (start with --admin)");
	const char *blob = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND, "blob");
	uint8_t id[AUDIT_DIGEST_LEN];
	struct err e = {{0}};
	if (blob && !audit_blob_id_parse(blob, id, &e))
		return send_error(conn, 400, "%s", e.msg);
	if (s->cfg.faults.no_recover)
		return send_error(conn, 503, "this node refuses to recover (--fault-no-recover)");
	if (k->self == NODE_NOT_MEMBER)
		return send_error(conn, 409, "this node is not in the committee: it holds no shards");
	struct node_recover_ctx rc = {s->store, k->committee, s->codec, k->self,
				      s->cfg.peer_timeout_ms};
	struct node_recover_stats st = {0};
	pthread_mutex_lock(&s->recover_lock);
	bool ok = blob ? node_recover_blob(&rc, id, &st, &e) : node_recover_all(&rc, &st, &e);
	pthread_mutex_unlock(&s->recover_lock);
	if (!ok)
		return send_error(conn, 500, "recovery failed: %s", e.msg);
	struct buf b = BUF_INIT;
	buf_printf(&b,
		   "{\"success\":{\"code\":200,\"data\":{\"blobs\":%zu,\"missing\":%zu,"
		   "\"recovered\":%zu,\"failed\":%zu,\"rejectedSymbols\":%zu}}}",
		   st.blobs, st.missing, st.recovered, st.failed, st.rejected);
	return send_buf(conn, 200, "application/json", &b);
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Routes /v1/blobs/{id}/... */
static enum MHD_Result route_blob(struct node_server *s, const struct node_view *k,
				  struct MHD_Connection *conn, const char *method,
				  const struct node_route *r, const struct upload *up)
{
	bool get = !strcmp(method, "GET"), put = !strcmp(method, "PUT");

	if (s->cfg.faults.slow_ms)
		sleep_ms(s->cfg.faults.slow_ms);
	if (s->cfg.faults.garbage && get) {
		uint8_t *junk = xmalloc(GARBAGE_LEN);
		node_faults_garbage(&s->cfg.faults, atomic_fetch_add(&s->requests, 1), junk,
				    GARBAGE_LEN);
		return send_bytes(conn, 200, "application/octet-stream", junk, GARBAGE_LEN);
	}

	switch (r->ep) {
	case NODE_EP_METADATA:
		if (get)
			return get_metadata(s, conn, r->id);
		if (put)
			return put_metadata(s, conn, r->id, &up->body);
		return send_error(conn, 405, "metadata takes GET or PUT");
	case NODE_EP_SYMBOLS:
		if (get)
			return get_symbols(s, k, conn, r->id);
		return send_error(conn, 405, "recoverySymbols takes GET");
	case NODE_EP_CONFIRMATION:
		if (get)
			return get_confirmation(s, k, conn, r->id);
		return send_error(conn, 405, "confirmation takes GET");
	case NODE_EP_SLIVER:
		if (get)
			return get_sliver(s, k, conn, r->id, r->pair, r->axis);
		if (put)
			return put_sliver(s, k, conn, r->id, r->pair, r->axis, &up->body);
		return send_error(conn, 405, "slivers take GET or PUT");
	default:
		break;
	}
	return send_error(conn, 404, "no such endpoint");
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct node_server *s = cls;
	struct upload *up = *con_cls;
	if (!up) {
		up = xcalloc(1, sizeof(*up));
		*con_cls = up;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!up->too_large && up->body.len + *upload_data_size > s->cfg.max_body) {
			up->too_large = true;
			buf_free(&up->body);
		}
		if (!up->too_large)
			buf_append(&up->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (up->too_large)
		return send_error(conn, 413, "request bodies are limited to %zu bytes",
				  s->cfg.max_body);
	struct node_route r;
	unsigned status;
	char why[600];
	if (!node_route_parse(url, s->n, &r, &status, why, sizeof(why)))
		return send_error(conn, status, "%s", why);
	struct node_view *k = view_get(s);
	enum MHD_Result ret;
	if (r.ep == NODE_EP_HEALTH)
		ret = get_health(s, k, conn);
	else if (r.ep == NODE_EP_METRICS)
		ret = get_metrics(s, conn);
	else if (r.ep == NODE_EP_RECOVER)
		ret = strcmp(method, "POST") ? send_error(conn, 405, "recover takes POST")
					     : post_recover(s, k, conn);
	else
		ret = route_blob(s, k, conn, method, &r, up);
	node_view_unref(k);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	struct upload *up = *con_cls;
	if (up) {
		buf_free(&up->body);
		free(up);
		*con_cls = NULL;
	}
}

/* ---- lifecycle ---- */

static bool daemon_start(struct node_server *s, struct err *e)
{
	s->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY, 0, NULL, NULL, handle, s,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&s->addr, MHD_OPTION_THREAD_POOL_SIZE,
		(unsigned)s->cfg.threads, MHD_OPTION_NOTIFY_COMPLETED, completed, s,
		MHD_OPTION_CONNECTION_TIMEOUT, 60u, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
		MHD_OPTION_END);
	if (!s->daemon) {
		char a[32];
		inet_ntop(AF_INET, &s->addr.sin_addr, a, sizeof(a));
		return err_set(e, "cannot listen on %s:%u (in use, or not an address of this host)",
			       a, ntohs(s->addr.sin_port));
	}
	if (s->addr.sin_port == 0) {
		/* Keep the port the system chose, so coming back from offline reuses it. */
		const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
		if (di)
			s->addr.sin_port = htons(di->port);
	}
	return true;
}

static void server_free(struct node_server *s)
{
	if (!s)
		return;
	if (s->daemon)
		MHD_stop_daemon(s->daemon);
	node_follow_free(s->follow);
	node_xcache_free(s->cache);
	pthread_mutex_destroy(&s->recover_lock);
	node_store_free(s->store);
	node_view_unref(s->view);
	pthread_mutex_destroy(&s->view_lock);
	node_codec_free(s->codec);
	chain_key_free(s->key);
	free(s);
}

static void run_recovery(struct node_server *s, const char *why)
{
	if (s->cfg.faults.no_recover)
		return;
	struct node_view *k = view_get(s);
	struct node_recover_ctx rc = {s->store, k->committee, s->codec, k->self,
				      s->cfg.peer_timeout_ms};
	struct node_recover_stats st = {0};
	struct err e = {{0}};
	pthread_mutex_lock(&s->recover_lock);
	bool ok = node_recover_all(&rc, &st, &e);
	pthread_mutex_unlock(&s->recover_lock);
	node_view_unref(k);
	if (!ok)
		log_warn("recovery (%s): %s", why, e.msg);
	else if (st.missing)
		log_info("recovery (%s): %zu blobs, %zu slivers missing, %zu recovered, %zu still "
			 "missing, %zu bad peer symbols",
			 why, st.blobs, st.missing, st.recovered, st.failed, st.rejected);
}

bool node_server_run(const struct node_server_config *cfg, volatile sig_atomic_t *stop,
		     struct err *e)
{
	bool ok = false;
	struct node_server *s = xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->recover_lock, NULL);
	pthread_mutex_init(&s->view_lock, NULL);
	s->cfg = *cfg;
	s->cache = node_xcache_new((cfg->cache_mib ? cfg->cache_mib : DEFAULT_CACHE_MIB) << 20);
	if (!s->cfg.threads)
		s->cfg.threads = 4;
	if (!s->cfg.max_body)
		s->cfg.max_body = DEFAULT_MAX_BODY;
	if (!s->cfg.peer_timeout_ms)
		s->cfg.peer_timeout_ms = 10000;
	if (!net_parse_listen(cfg->listen, "--listen", "127.0.0.1:9100", &s->addr, e))
		goto out;
	if (cfg->key_file) {
		if (!chain_key_from_file(&s->key, cfg->key_file, e)) {
			err_prefix(e, "node key");
			goto out;
		}
		chain_key_address(s->key, s->address);
	}
	if (cfg->committee_path) {
		struct node_committee *c;
		if (!node_committee_load(cfg->committee_path, &c, e))
			goto out;
		s->view = node_view_new(c, cfg->index, cfg->epoch ? cfg->epoch : c->epoch);
		if (cfg->index >= c->count) {
			err_set(e, "--index %u is not a node of the committee (it has %zu)", cfg->index,
				c->count);
			goto out;
		}
		const struct node_member *m = &c->members[cfg->index];
		if (s->key && m->has_address && memcmp(m->address, s->address, 20)) {
			err_set(e, "the node key's address is not the one the committee file gives "
				   "node %u",
				cfg->index);
			goto out;
		}
	} else {
		if (!s->key) {
			err_set(e, "a node that follows the chain needs its node key (--key-file): its "
				   "address is how it finds itself in the committee");
			goto out;
		}
		struct node_follow_cfg fc = {
			.rpc_url = cfg->rpc_url,
			.deployment_path = cfg->deployment_path,
			.rpc_timeout_ms = cfg->rpc_timeout_ms,
			.confirmations = cfg->confirmations,
			.poll_ms = cfg->poll_ms,
			.data_dir = cfg->data_dir,
			.peer_timeout_ms = s->cfg.peer_timeout_ms,
			.no_recover = cfg->faults.no_recover,
		};
		memcpy(fc.node_key, s->address, 20);
		if (!node_store_open(cfg->data_dir, &s->store, e) ||
		    !node_follow_open(&fc, &s->follow, e))
			goto out;
		s->view = node_follow_view(s->follow);
	}
	s->n = s->view->committee->n;
	if (!node_codec_new(s->n, &s->codec, e) ||
	    (!s->store && !node_store_open(cfg->data_dir, &s->store, e)))
		goto out;
	node_store_set_reserve(s->store, cfg->min_free_bytes);
	s->started_ms = now_ms();
	bool recovered_once = false;
	uint64_t next_recover = 0;
	while (!*stop) {
		uint64_t t = (now_ms() - s->started_ms) / 1000;
		bool off = node_faults_offline(&s->cfg.faults, t);
		if (off && s->daemon) {
			log_info("fault: going offline at %llu s", (unsigned long long)t);
			MHD_stop_daemon(s->daemon);
			s->daemon = NULL;
		} else if (!off && !s->daemon) {
			if (!daemon_start(s, e))
				goto out;
			char a[32];
			inet_ntop(AF_INET, &s->addr.sin_addr, a, sizeof(a));
			struct node_view *k = view_get(s);
			const struct node_member *m = self_member(k);
			if (s->follow)
				log_info("node serving %u shards of %u (epoch %llu, from the chain) on "
					 "http://%s:%u",
					 m ? (unsigned)m->shard_count : 0, s->n,
					 (unsigned long long)k->epoch, a, ntohs(s->addr.sin_port));
			else
				log_info("node %u serving %u shards of %u on http://%s:%u", cfg->index,
					 m ? (unsigned)m->shard_count : 0, s->n, a,
					 ntohs(s->addr.sin_port));
			node_view_unref(k);
			/* The follower starts once peers can reach this node too. */
			if (s->follow && !s->follow_started) {
				if (!node_follow_start(s->follow, s->store, s->codec, &s->recover_lock,
						       view_publish, s, e))
					goto out;
				s->follow_started = true;
			}
		}
		/* Recover once at startup (after listening, so peers recovering at the same
		 * time can reach this node), then every recover_interval_s. */
		if (!s->follow && s->daemon && (!recovered_once || (cfg->recover_interval_s &&
						      now_ms() >= next_recover))) {
			run_recovery(s, recovered_once ? "periodic" : "startup");
			recovered_once = true;
			next_recover = now_ms() + cfg->recover_interval_s * 1000;
		}
		sleep_ms(100);
	}
	log_info("node stopping");
	ok = true;
out:
	server_free(s);
	return ok;
}
