/* follow.c: the storage node's committee from the chain, and the background recovery of
 * what it should hold (see follow.h). */
#include "node/follow.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/blob.h"
#include "chain/deployment.h"
#include "chain/reader.h"
#include "chain/rpc.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "chain/key.h"
#include "node/committee.h"
#include "node/encoder.h"
#include "node/recover.h"
#include "node/store.h"

#define STATE_FILE "chain-follow.json"
/* The last committee read from the chain, as a committee file (node/committee.h): a node
 * started while its RPC is unreachable serves its shards from it until the chain answers. */
#define VIEW_FILE "chain-committee.json"
#define STATE_MAX_BYTES (64u << 20)
#define SCAN_BLOCKS_PER_PASS 20000u
#define RETRY_FIRST_MS 1000u
#define RETRY_MAX_MS (5u * 60u * 1000u)
/* While the chain cannot be read the follower asks less often, but not much less: it must
 * see the current epoch soon after the RPC returns, since the storage confirmations it
 * signs name the epoch it sees, and one naming the epoch before fails certification. */
#define CHAIN_RETRY_MAX_MS 5000u
#define PROGRESS_FROM 16u

/* ---- views ---- */

struct node_view *node_view_new(struct node_committee *c, uint32_t self, uint64_t epoch)
{
	struct node_view *v = xcalloc(1, sizeof(*v));
	v->committee = c;
	v->self = self;
	v->epoch = epoch;
	atomic_init(&v->refs, 1);
	return v;
}

struct node_view *node_view_ref(struct node_view *v)
{
	atomic_fetch_add(&v->refs, 1);
	return v;
}

void node_view_unref(struct node_view *v)
{
	if (!v || atomic_fetch_sub(&v->refs, 1) != 1)
		return;
	node_committee_free(v->committee);
	free(v->in_grace);
	free(v);
}

/* ---- the follower ---- */

struct pending {
	uint8_t id[32];
	uint32_t attempts;
	uint64_t next_try_ms;
};

struct node_follow {
	struct node_follow_cfg cfg;
	struct chain_deployment dep;
	struct chain_rpc *rpc;
	struct chain_reader *reader;
	char *state_path;
	struct node_view *view; /* the follower's own reference */
	pthread_mutex_t view_lock;
	/* state */
	uint64_t next_block;
	struct pending *pending;
	size_t npending, cap;
	bool dirty;
	uint64_t last_poll_ms;
	uint64_t view_block, view_read_ms; /* the view's whole read: as of, and when */
	/* The collector's sweep of the stored blobs (by id) for gc_epoch: the last id looked at,
	 * and whether it looked at all of them. */
	uint64_t gc_epoch;
	uint8_t gc_after[AUDIT_DIGEST_LEN];
	bool gc_started, gc_done;
	struct node_follow_summary sum;
	char *view_path;
	bool chain_checked; /* the RPC's chain id matched the deployment's */
	bool chain_other;   /* ... or did not */
	/* the thread */
	struct node_store *store;
	const struct node_codec *codec;
	pthread_mutex_t *recover_lock;
	void (*publish)(void *arg, struct node_view *v);
	void *arg;
	pthread_t thread;
	bool started;
	atomic_bool stop;
	/* The thread sleeps on wake until its next turn or stop (not in 50 ms steps: 100 idle
	 * nodes woke 2000 times a second). */
	pthread_mutex_t wake_lock;
	pthread_cond_t wake;
};

static void id_text(char out[AUDIT_BLOB_ID_TEXT_LEN + 1], const uint8_t id[32])
{
	audit_blob_id_text(out, id);
}

static bool queue(struct node_follow *f, const uint8_t id[32])
{
	for (size_t i = 0; i < f->npending; i++)
		if (!memcmp(f->pending[i].id, id, 32))
			return false;
	if (f->npending == f->cap) {
		f->cap = f->cap ? 2 * f->cap : 16;
		f->pending = xrealloc(f->pending, f->cap * sizeof(*f->pending));
	}
	struct pending *p = &f->pending[f->npending++];
	memset(p, 0, sizeof(*p));
	memcpy(p->id, id, 32);
	f->dirty = true;
	return true;
}

static void unqueue(struct node_follow *f, size_t i)
{
	memmove(&f->pending[i], &f->pending[i + 1], (f->npending - i - 1) * sizeof(*f->pending));
	f->npending--;
	f->dirty = true;
}

/* The state file: {"chain_id", "blob_registry", "next_block", "pending": [hex ids]}. One
 * of another deployment (or none) starts from the deployment's first block. */
static bool state_load(struct node_follow *f, struct err *e)
{
	uint8_t *text = NULL;
	size_t len = 0;
	json_error_t je;
	f->next_block = f->dep.start_block;
	if (access(f->state_path, F_OK) != 0)
		return true;
	if (!read_file(f->state_path, STATE_MAX_BYTES, &text, &len, e))
		return false;
	json_t *root = json_loadb((const char *)text, len, 0, &je);
	free(text);
	bool ok = false;
	uint8_t reg[20];
	json_t *next = json_object_get(root, "next_block"), *pend = json_object_get(root, "pending");
	json_t *cid = json_object_get(root, "chain_id");
	const char *regt = json_string_value(json_object_get(root, "blob_registry"));
	if (!json_is_object(root) || !json_is_integer(next) || !json_is_array(pend) ||
	    !json_is_integer(cid) || !regt || !hex_decode_exact(reg, 20, regt, NULL)) {
		err_set(e, "%s is not a state file of 'assay node serve' (remove it to scan the "
			   "chain again from the deployment's first block)",
			f->state_path);
		goto out;
	}
	if ((uint64_t)json_integer_value(cid) != f->dep.chain_id ||
	    memcmp(reg, f->dep.blob_registry, 20)) {
		log_warn("%s is of another deployment: scanning this one from its first block",
			 f->state_path);
		ok = true;
		goto out;
	}
	if (json_integer_value(next) > 0 && (uint64_t)json_integer_value(next) > f->next_block)
		f->next_block = (uint64_t)json_integer_value(next);
	size_t i;
	json_t *it;
	json_array_foreach(pend, i, it)
	{
		uint8_t id[32];
		const char *h = json_string_value(it);
		if (!h || !hex_decode_exact(id, 32, h, NULL)) {
			err_set(e, "%s: pending entry %zu is not a 32-byte hex blob ID", f->state_path,
				i);
			goto out;
		}
		(void)queue(f, id);
	}
	f->dirty = false;
	ok = true;
out:
	json_decref(root);
	return ok;
}

static bool state_save(struct node_follow *f, struct err *e)
{
	struct buf b = BUF_INIT;
	char reg[41], id[65];
	hex_encode(reg, f->dep.blob_registry, 20);
	buf_printf(&b, "{\"chain_id\": %" PRIu64 ", \"blob_registry\": \"0x%s\", \"next_block\": %" PRIu64
		       ", \"pending\": [",
		   f->dep.chain_id, reg, f->next_block);
	for (size_t i = 0; i < f->npending; i++) {
		hex_encode(id, f->pending[i].id, 32);
		buf_printf(&b, "%s\"0x%s\"", i ? ", " : "", id);
	}
	buf_append_str(&b, "]}\n");
	bool ok = write_file_atomic(f->state_path, b.data, b.len, 0600, e);
	buf_free(&b);
	if (ok)
		f->dirty = false;
	return ok;
}

bool node_committee_from_view(const struct chain_epoch_view *v, uint64_t chain_id,
			      const uint8_t blob_registry[20], struct node_committee **out,
			      struct err *e)
{
	struct node_committee *cm = xcalloc(1, sizeof(*cm));
	*out = NULL;
	cm->n = v->n_shards;
	cm->epoch = v->epoch;
	cm->chain_id = chain_id;
	memcpy(cm->blob_registry, blob_registry, 20);
	cm->members = xcalloc(v->nnodes + 1, sizeof(*cm->members));
	cm->count = v->nnodes;
	cm->owner = xcalloc((size_t)v->n_shards + 1, sizeof(*cm->owner));
	for (size_t m = 0; m < v->nnodes; m++) {
		struct node_member *mem = &cm->members[m];
		mem->url = xstrdup(v->nodes[m].endpoint ? v->nodes[m].endpoint : "");
		size_t ul = strlen(mem->url);
		while (ul > 0 && mem->url[ul - 1] == '/')
			mem->url[--ul] = '\0';
		mem->has_address = true;
		memcpy(mem->address, v->nodes[m].node_key, 20);
		mem->shards = xcalloc((size_t)v->n_shards + 1, sizeof(*mem->shards));
	}
	for (uint32_t sh = 0; sh < v->n_shards; sh++) {
		if (!v->nnodes || !v->shard_owner) {
			cm->owner[sh] = UINT32_MAX; /* no committee yet (epoch 0) */
			continue;
		}
		size_t m = v->shard_owner[sh];
		if (m >= cm->count) {
			node_committee_free(cm);
			return err_set(e, "shard %u of epoch %" PRIu64 " has no owner in the committee",
				       sh, v->epoch);
		}
		cm->owner[sh] = (uint32_t)m;
		cm->members[m].shards[cm->members[m].shard_count++] = sh;
	}
	*out = cm;
	return true;
}

/* The committee of the reader's view of an epoch, and this node's place in it. */
static bool committee_of(const struct node_follow *f, const struct chain_epoch_view *v,
			 struct node_committee **out, uint32_t *self, struct err *e)
{
	*self = NODE_NOT_MEMBER;
	if (!node_committee_from_view(v, f->dep.chain_id, f->dep.blob_registry, out, e))
		return false;
	for (size_t m = 0; m < (*out)->count && *self == NODE_NOT_MEMBER; m++)
		if (!memcmp((*out)->members[m].address, f->cfg.node_key, 20))
			*self = (uint32_t)m;
	return true;
}

static bool member_same(const struct node_member *a, const struct node_member *b)
{
	return !strcmp(a->url, b->url) && !memcmp(a->address, b->address, 20) &&
	       a->shard_count == b->shard_count &&
	       !memcmp(a->shards, b->shards, a->shard_count * sizeof(*a->shards));
}

static bool view_same(const struct node_view *a, const struct node_view *b)
{
	if (a->epoch != b->epoch || a->self != b->self ||
	    a->committee->count != b->committee->count)
		return false;
	for (size_t m = 0; m < a->committee->count; m++)
		if (!member_same(&a->committee->members[m], &b->committee->members[m]))
			return false;
	return true;
}

static size_t held(const struct node_view *v, uint32_t *out)
{
	if (!v || v->self == NODE_NOT_MEMBER)
		return 0;
	const struct node_member *m = &v->committee->members[v->self];
	if (out)
		memcpy(out, m->shards, m->shard_count * sizeof(*out));
	return m->shard_count;
}

static void shards_text(struct buf *b, const struct node_view *v)
{
	uint32_t sh[NODE_MAX_SHARDS + 1];
	size_t n = v && v->committee->n <= NODE_MAX_SHARDS ? held(v, sh) : 0;
	buf_append_str(b, "[");
	for (size_t i = 0; i < n; i++)
		buf_printf(b, "%s%u", i ? " " : "", sh[i]);
	buf_append_str(b, "]");
}

/* The view as a committee file, written atomically; a failure costs only a restart during
 * an RPC outage, so it is logged, not returned. */
static void view_save(const struct node_follow *f, const struct node_view *v)
{
	const struct node_committee *c = v->committee;
	if (!c->count)
		return; /* no committee yet: nothing a committee file can say */
	struct buf b = BUF_INIT;
	char hex[41];
	hex_encode(hex, c->blob_registry, 20);
	buf_printf(&b, "{\"n_shards\": %u, \"epoch\": %" PRIu64 ", \"chain_id\": %" PRIu64
		       ", \"blob_registry\": \"0x%s\", \"nodes\": [",
		   c->n, v->epoch, c->chain_id, hex);
	for (size_t m = 0; m < c->count; m++) {
		const struct node_member *mem = &c->members[m];
		json_t *url = json_string(mem->url);
		char *u = json_dumps(url, JSON_ENCODE_ANY);
		hex_encode(hex, mem->address, 20);
		buf_printf(&b, "%s\n  {\"url\": %s, \"address\": \"0x%s\", \"shards\": [", m ? "," : "",
			   u ? u : "\"\"", hex);
		free(u);
		json_decref(url);
		for (size_t i = 0; i < mem->shard_count; i++)
			buf_printf(&b, "%s%u", i ? ", " : "", mem->shards[i]);
		buf_append_str(&b, "]}");
	}
	buf_append_str(&b, "\n]}\n");
	struct err e = {{0}};
	if (!write_file_atomic(f->view_path, b.data, b.len, 0600, &e))
		log_warn("cannot keep the committee for a restart without the chain: %s", e.msg);
	buf_free(&b);
}

/* The committee saved by view_save, if it is of this deployment and names this node. */
static bool view_load(const struct node_follow *f, struct node_view **out, struct err *e)
{
	struct node_committee *c = NULL;
	*out = NULL;
	if (access(f->view_path, F_OK) != 0)
		return err_set(e, "no committee kept in %s from an earlier run", f->view_path);
	if (!node_committee_load(f->view_path, &c, e))
		return false;
	if (c->chain_id != f->dep.chain_id || memcmp(c->blob_registry, f->dep.blob_registry, 20) ||
	    c->n != f->dep.n_shards) {
		node_committee_free(c);
		return err_set(e, "%s is of another deployment", f->view_path);
	}
	uint32_t self = NODE_NOT_MEMBER;
	for (size_t m = 0; m < c->count && self == NODE_NOT_MEMBER; m++)
		if (!memcmp(c->members[m].address, f->cfg.node_key, 20))
			self = (uint32_t)m;
	*out = node_view_new(c, self, c->epoch);
	return true;
}

/* The RPC must serve the deployment's chain; checked once it answers. */
static bool chain_check(struct node_follow *f, struct err *e)
{
	uint64_t id;
	if (f->chain_checked)
		return true;
	if (!chain_rpc_chain_id(f->rpc, &id, e))
		return false;
	f->chain_other = id != f->dep.chain_id;
	if (f->chain_other)
		return err_set(e, "%s is a deployment on chain %" PRIu64 ", but %s is chain %" PRIu64,
			       f->cfg.deployment_path, f->dep.chain_id, f->cfg.rpc_url, id);
	f->chain_checked = true;
	return true;
}

/* A whole read of the view is due at least this often, whatever the logs say. */
#define VIEW_REREAD_MS 60000u

/* Whether the committee view must be read again: none yet, VIEW_REREAD_MS since the last
 * whole read, or a log of the Staking contract (an epoch advanced, a seed, a node
 * registered, updated or left, shards moved, ...) in the finalized blocks since. One
 * eth_getLogs, where the whole read is a few calls and two batches of 100 at 100 members:
 * 100 nodes polling every 3 s kept anvil a third busy. */
static bool view_stale(struct node_follow *f, bool *stale, struct err *e)
{
	uint64_t fin;
	*stale = true;
	if (!f->view || !f->view_block || now_ms() - f->view_read_ms >= VIEW_REREAD_MS)
		return true;
	if (!chain_reader_finalized(f->reader, &fin, e))
		return false;
	if (fin <= f->view_block) {
		*stale = false;
		return true;
	}
	struct chain_log_filter lf = {.from_block = f->view_block + 1, .to_block = fin,
				      .address = f->dep.staking};
	struct chain_logs logs = {0};
	if (!chain_rpc_get_logs(f->rpc, &lf, &logs, e))
		return false;
	*stale = logs.n > 0;
	chain_logs_clear(&logs);
	if (!*stale)
		f->view_block = fin; /* nothing happened through fin */
	return true;
}

/* Reads the current epoch's committee (when it may have changed: view_stale); on a
 * change, publishes it and, when it gives this node a shard it did not hold, queues every
 * blob the node has metadata of. */
static bool refresh_view(struct node_follow *f, bool *gained, struct err *e)
{
	struct chain_epoch_view cv;
	struct node_committee *cm = NULL;
	uint32_t self;
	bool stale;
	*gained = false;
	if (!view_stale(f, &stale, e))
		return false;
	if (!stale)
		return true;
	if (!chain_reader_epoch(f->reader, CHAIN_READER_CURRENT, &cv, e))
		return false;
	uint64_t as_of = cv.as_of_block;
	bool ok = committee_of(f, &cv, &cm, &self, e);
	uint64_t epoch = cv.epoch;
	bool *grace = NULL;
	if (ok && cv.in_grace) {
		grace = xcalloc(cv.n_shards ? cv.n_shards : 1, sizeof(*grace));
		memcpy(grace, cv.in_grace, cv.n_shards * sizeof(*grace));
	}
	chain_epoch_view_clear(&cv);
	if (!ok)
		return false;
	if (cm->n != f->dep.n_shards) {
		free(grace);
		node_committee_free(cm);
		return err_set(e, "the chain's committee has %u shards, the deployment %u", cm->n,
			       f->dep.n_shards);
	}
	struct node_view *nv = node_view_new(cm, self, epoch);
	nv->in_grace = grace;
	struct node_view *old = f->view;
	f->view_block = as_of; /* read whole: later polls look at the logs since */
	f->view_read_ms = now_ms();
	/* A view kept from a file (no grace flags) gives way to the chain's. */
	if (old && view_same(old, nv) && (old->in_grace || !nv->in_grace)) {
		node_view_unref(nv);
		return true;
	}
	/* Shards gained: held now, not before. */
	uint32_t *now = xcalloc((size_t)cm->n + 1, sizeof(*now));
	size_t nnow = held(nv, now);
	for (size_t i = 0; i < nnow && !*gained; i++)
		*gained = !old || old->self == NODE_NOT_MEMBER ||
			  !node_committee_holds(old->committee, old->self, now[i]);
	free(now);
	struct buf was = BUF_INIT, is = BUF_INIT;
	shards_text(&was, old);
	shards_text(&is, nv);
	buf_append_byte(&was, 0);
	buf_append_byte(&is, 0);
	if (self == NODE_NOT_MEMBER) {
		char key[41];
		hex_encode(key, f->cfg.node_key, 20);
		log_info("epoch %" PRIu64 ": node key 0x%s is not in the committee of %zu: holding "
			 "no shards",
			 epoch, key, cm->count);
	} else {
		log_info("epoch %" PRIu64 ": member %u of %zu, holding shards %s (before: %s)", epoch,
			 self, cm->count, (const char *)is.data, (const char *)was.data);
	}
	buf_free(&was);
	buf_free(&is);
	pthread_mutex_lock(&f->view_lock);
	f->view = nv;
	pthread_mutex_unlock(&f->view_lock);
	node_view_unref(old);
	view_save(f, nv);
	if (f->publish)
		f->publish(f->arg, node_view_ref(nv));
	return true;
}

static bool queue_stored(struct node_follow *f, const char *why, struct err *e)
{
	uint8_t (*ids)[AUDIT_DIGEST_LEN] = NULL;
	size_t count = 0, added = 0;
	if (!node_store_list_blobs(f->store, &ids, &count, e))
		return false;
	for (size_t i = 0; i < count; i++)
		added += queue(f, ids[i]);
	free(ids);
	if (added)
		log_info("%s: looking at the %zu stored blobs for slivers to recover", why, added);
	return true;
}

/* Reads BlobCertified events of at most SCAN_BLOCKS_PER_PASS finalized blocks. */
static bool scan(struct node_follow *f, struct err *e)
{
	uint64_t fin;
	if (!f->view || f->view->self == NODE_NOT_MEMBER)
		return true;
	if (!chain_reader_finalized(f->reader, &fin, e))
		return false;
	if (f->next_block > fin)
		return true;
	uint64_t to = fin - f->next_block >= SCAN_BLOCKS_PER_PASS
		? f->next_block + SCAN_BLOCKS_PER_PASS - 1 : fin;
	struct chain_audit_blob *b = NULL;
	size_t n = 0, added = 0;
	uint64_t as_of;
	if (!chain_reader_certified(f->reader, f->next_block, to, &b, &n, &as_of, e))
		return false;
	for (size_t i = 0; i < n; i++)
		if (node_encoding_supported(b[i].encoding_type, f->dep.n_shards) &&
		    b[i].end_epoch > f->view->epoch)
			added += queue(f, b[i].id);
	free(b);
	if (added || to < fin)
		log_info("chain: blocks %" PRIu64 " to %" PRIu64 " of %" PRIu64 ": %zu certified blobs "
			 "to check",
			 f->next_block, to, fin, added);
	f->next_block = to + 1;
	f->dirty = true;
	return true;
}

/* Recovers up to blobs_per_pass queued blobs whose turn it is; fails only when the chain
 * cannot say whether a blob is certified. */
static bool recover_some(struct node_follow *f, struct err *err)
{
	bool chain_ok = true;
	if (f->cfg.no_recover || !f->view || f->view->self == NODE_NOT_MEMBER || !f->npending)
		return true;
	struct node_view *v = node_view_ref(f->view);
	struct node_recover_ctx rc = {f->store, v->committee, f->codec, v->self,
				      f->cfg.peer_timeout_ms};
	size_t total = f->npending, done = 0, tried = 0;
	uint64_t now = now_ms();
	for (size_t i = 0; i < f->npending && tried < f->cfg.blobs_per_pass &&
			   !atomic_load(&f->stop);) {
		struct pending *p = &f->pending[i];
		char idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
		id_text(idt, p->id);
		if (p->next_try_ms > now) {
			i++;
			continue;
		}
		tried++;
		f->sum.blobs++;
		struct chain_audit_blob cb;
		bool certified;
		struct err e = {{0}};
		if (!chain_reader_blob(f->reader, p->id, &cb, &certified, err)) {
			chain_ok = false;
			break; /* the chain is away: the next pass */
		}
		if (!certified || cb.end_epoch <= v->epoch ||
		    !node_encoding_supported(cb.encoding_type, f->dep.n_shards)) {
			log_debug("blob %s: not a certified blob stored in epoch %" PRIu64
				  " of this encoding: nothing to recover",
				  idt, v->epoch);
			unqueue(f, i);
			done++;
			continue;
		}
		struct node_recover_stats st = {0};
		pthread_mutex_lock(f->recover_lock);
		bool ok = node_recover_blob(&rc, p->id, &st, &e);
		pthread_mutex_unlock(f->recover_lock);
		f->sum.slivers += st.recovered;
		if (ok && st.failed == 0) {
			f->sum.complete++;
			if (st.recovered)
				log_info("recovered blob %s: %zu slivers rebuilt from peers%s", idt,
					 st.recovered,
					 st.rejected ? " (some peer symbols failed verification)" : "");
			unqueue(f, i);
			done++;
			continue;
		}
		uint64_t wait = RETRY_FIRST_MS;
		for (uint32_t k = 0; k < p->attempts && wait < RETRY_MAX_MS; k++)
			wait *= 2;
		if (wait > RETRY_MAX_MS)
			wait = RETRY_MAX_MS;
		p->attempts++;
		p->next_try_ms = now_ms() + wait;
		f->sum.incomplete++;
		if (ok)
			log_warn("blob %s: %zu of %zu missing slivers rebuilt, %zu not yet (peers "
				 "down?): again in %" PRIu64 " s",
				 idt, st.recovered, st.missing, st.failed, wait / 1000);
		else
			log_warn("blob %s: %s: again in %" PRIu64 " s", idt, e.msg, wait / 1000);
		i++;
	}
	if (total >= PROGRESS_FROM && done)
		log_info("recovery: %zu blobs done, %zu left to look at", done, f->npending);
	node_view_unref(v);
	return chain_ok;
}

/* Stored blobs the collector looks at per pass (one chain read each). */
#define GC_BLOBS_PER_PASS 16u

static int id_cmp(const void *a, const void *b)
{
	return memcmp(a, b, AUDIT_DIGEST_LEN);
}

/* Deletes what the node need not keep any more, a few blobs per pass: blobs past their end
 * epoch, and slivers of shards handed over to a holder no longer in grace. Both change only
 * when the epoch does, so each epoch gets one sweep over the stored blobs in id order, and
 * the collector rests after it (sweeping for ever cost 100 idle nodes at 1000 shards a core:
 * a chain read per blob, and a stat per sliver not held before the store listed slivers).
 * Fails only when the chain cannot say; the sweep goes on from there next pass. */
static bool collect_some(struct node_follow *f, struct err *err)
{
	if (!f->view || !f->view->in_grace || f->view->committee->count == 0)
		return true;
	if (f->gc_epoch != f->view->epoch) {
		f->gc_epoch = f->view->epoch;
		f->gc_started = f->gc_done = false;
	}
	if (f->gc_done)
		return true;
	struct node_view *v = node_view_ref(f->view);
	uint8_t (*ids)[AUDIT_DIGEST_LEN] = NULL;
	size_t count = 0, first = 0, k;
	bool ok = true;
	if (!node_store_list_blobs(f->store, &ids, &count, err)) {
		ok = false;
		goto out;
	}
	if (count > 1)
		qsort(ids, count, AUDIT_DIGEST_LEN, id_cmp);
	while (f->gc_started && first < count &&
	       memcmp(ids[first], f->gc_after, AUDIT_DIGEST_LEN) <= 0)
		first++;
	uint32_t n = v->committee->n;
	for (k = 0; first + k < count && k < GC_BLOBS_PER_PASS && !atomic_load(&f->stop); k++) {
		const uint8_t *id = ids[first + k];
		char idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
		id_text(idt, id);
		struct chain_audit_blob cb;
		bool certified;
		if (!chain_reader_blob(f->reader, id, &cb, &certified, err)) {
			ok = false;
			break;
		}
		struct err e = {{0}};
		if (cb.end_epoch != 0 && cb.end_epoch <= v->epoch) {
			uint64_t freed;
			pthread_mutex_lock(f->recover_lock);
			bool del = node_store_delete_blob(f->store, id, &freed, &e);
			pthread_mutex_unlock(f->recover_lock);
			if (del)
				log_info("blob %s expired at the start of epoch %" PRIu64 ": deleted, "
					 "%" PRIu64 " bytes reclaimed",
					 idt, cb.end_epoch, freed);
			else
				log_error("blob %s: %s", idt, e.msg);
			continue;
		}
		uint64_t before = node_store_reclaimed(f->store);
		size_t dropped = 0;
		struct node_store_sliver_ref *held = NULL;
		size_t nheld = 0;
		pthread_mutex_lock(f->recover_lock);
		if (!node_store_list_slivers(f->store, id, &held, &nheld, &e))
			log_error("blob %s: %s", idt, e.msg);
		for (size_t h = 0; h < nheld; h++) {
			if (held[h].index >= n)
				continue; /* not a sliver of this committee's code: not ours to judge */
			uint32_t pair = held[h].axis == AUDIT_AXIS_PRIMARY
						? held[h].index
						: audit_pair_of_secondary_sliver(n, held[h].index);
			uint32_t shard = audit_shard_of_pair(id, n, pair);
			bool mine = v->self != NODE_NOT_MEMBER &&
				    node_committee_holds(v->committee, v->self, shard);
			if (mine || v->in_grace[shard])
				continue;
			if (!node_store_delete_sliver(f->store, id, held[h].axis, held[h].index, &e))
				log_error("blob %s: %s", idt, e.msg);
			else
				dropped++;
		}
		pthread_mutex_unlock(f->recover_lock);
		free(held);
		if (dropped)
			log_info("blob %s: %zu slivers of shards handed over deleted, %" PRIu64
				 " bytes reclaimed",
				 idt, dropped, node_store_reclaimed(f->store) - before);
	}
	if (ok && k > 0) {
		memcpy(f->gc_after, ids[first + k - 1], AUDIT_DIGEST_LEN);
		f->gc_started = true;
	}
	if (ok && first + k >= count)
		f->gc_done = true;
out:
	free(ids);
	node_view_unref(v);
	return ok;
}

/* The committee and the logs once per poll; queued blobs as soon as their turn comes. */
static bool pass(struct node_follow *f, struct err *e)
{
	bool gained, ok = true;
	if (now_ms() - f->last_poll_ms >= f->cfg.poll_ms) {
		if (!chain_check(f, e) || !refresh_view(f, &gained, e) ||
		    (gained && !queue_stored(f, "new shards", e)) || !scan(f, e) ||
		    (f->store && f->recover_lock && !collect_some(f, e)))
			ok = false;
		else
			f->last_poll_ms = now_ms();
	}
	if (ok)
		ok = recover_some(f, e);
	struct err se = {{0}};
	if (f->dirty && !state_save(f, &se))
		log_error("%s", se.msg);
	return ok;
}

static void *follow_main(void *arg)
{
	struct node_follow *f = arg;
	uint64_t next = 0, failures = 0;
	while (!atomic_load(&f->stop)) {
		if (now_ms() >= next) {
			struct err e = {{0}};
			uint64_t wait = f->cfg.poll_ms;
			if (pass(f, &e)) {
				if (failures)
					log_info("chain: reachable again");
				failures = 0;
			} else {
				if (!failures || failures % 10 == 0)
					log_warn("chain: %s (trying again)", e.msg);
				failures++;
				uint64_t most = f->cfg.poll_ms > CHAIN_RETRY_MAX_MS ? f->cfg.poll_ms
										    : CHAIN_RETRY_MAX_MS;
				for (uint64_t k = 0; k < failures && k < 6 && wait < most; k++)
					wait *= 2;
				if (wait > most)
					wait = most;
			}
			/* Queued blobs whose turn comes sooner are looked at sooner. */
			uint64_t soonest = now_ms() + wait;
			for (size_t i = 0; !failures && i < f->npending; i++)
				if (f->pending[i].next_try_ms < soonest)
					soonest = f->pending[i].next_try_ms;
			next = soonest;
		}
		pthread_mutex_lock(&f->wake_lock);
		uint64_t now = now_ms();
		if (!atomic_load(&f->stop) && now < next) {
			struct timespec until = monotonic_in_ms(next - now);
			pthread_cond_timedwait(&f->wake, &f->wake_lock, &until);
		}
		pthread_mutex_unlock(&f->wake_lock);
	}
	return NULL;
}

bool node_follow_open(const struct node_follow_cfg *cfg, struct node_follow **out,
		      struct err *e)
{
	*out = NULL;
	struct node_follow *f = xcalloc(1, sizeof(*f));
	pthread_mutex_init(&f->view_lock, NULL);
	atomic_init(&f->stop, false);
	pthread_mutex_init(&f->wake_lock, NULL);
	cond_init_monotonic(&f->wake);
	f->cfg = *cfg;
	if (!f->cfg.poll_ms)
		f->cfg.poll_ms = 5000;
	if (!f->cfg.confirmations)
		f->cfg.confirmations = 1;
	if (!f->cfg.blobs_per_pass)
		f->cfg.blobs_per_pass = 8;
	if (!f->cfg.peer_timeout_ms)
		f->cfg.peer_timeout_ms = 10000;
	f->state_path = xasprintf("%s/%s", cfg->data_dir, STATE_FILE);
	f->view_path = xasprintf("%s/%s", cfg->data_dir, VIEW_FILE);
	struct chain_rpc_opts ro = {.timeout_ms = (unsigned)(cfg->rpc_timeout_ms ? cfg->rpc_timeout_ms
										: 10000),
				    .retries = 2};
	bool gained;
	if (!chain_deployment_load(cfg->deployment_path, &f->dep, e) ||
	    !chain_rpc_new(&f->rpc, cfg->rpc_url, &ro, e))
		goto fail;
	if (f->dep.n_shards == 0 || f->dep.n_shards > NODE_MAX_SHARDS) {
		err_set(e, "the deployment has %u shards; the reference node handles 1 to %u",
			f->dep.n_shards, NODE_MAX_SHARDS);
		goto fail;
	}
	if (!chain_reader_new(&f->reader, f->rpc, &f->dep, NULL, f->cfg.confirmations, 0, e) ||
	    !state_load(f, e))
		goto fail;
	if (!chain_check(f, e) || !refresh_view(f, &gained, e)) {
		/* A node restarted while its RPC is away still holds its slivers: it serves them
		 * under the committee it last read, and the follower catches up once the chain
		 * answers. A chain of another deployment is not an outage. */
		struct err le = {{0}};
		if (f->chain_checked || f->chain_other || !view_load(f, &f->view, &le)) {
			if (le.msg[0])
				log_info("%s", le.msg);
			goto fail;
		}
		log_warn("the chain cannot be read (%s): serving the committee of epoch %" PRIu64
			 " kept in %s until it can",
			 e->msg, f->view->epoch, f->view_path);
	}
	*out = f;
	return true;
fail:
	node_follow_free(f);
	return false;
}

uint32_t node_follow_n_shards(const struct node_follow *f)
{
	return f->dep.n_shards;
}

struct node_view *node_follow_view(struct node_follow *f)
{
	pthread_mutex_lock(&f->view_lock);
	struct node_view *v = node_view_ref(f->view);
	pthread_mutex_unlock(&f->view_lock);
	return v;
}

bool node_follow_start(struct node_follow *f, struct node_store *store,
		       const struct node_codec *codec, pthread_mutex_t *recover_lock,
		       void (*publish)(void *arg, struct node_view *v), void *arg, struct err *e)
{
	f->store = store;
	f->codec = codec;
	f->recover_lock = recover_lock;
	f->publish = publish;
	f->arg = arg;
	/* What the node held before it (re)started is looked at once: a wiped or partial store
	 * is refilled even when no shard moved. */
	if (held(f->view, NULL) && !queue_stored(f, "startup", e))
		return false;
	if (pthread_create(&f->thread, NULL, follow_main, f) != 0)
		return err_set(e, "cannot start the chain follower thread");
	f->started = true;
	return true;
}

void node_follow_free(struct node_follow *f)
{
	if (!f)
		return;
	if (f->started) {
		pthread_mutex_lock(&f->wake_lock);
		atomic_store(&f->stop, true);
		pthread_cond_broadcast(&f->wake);
		pthread_mutex_unlock(&f->wake_lock);
		pthread_join(f->thread, NULL);
		struct err e = {{0}};
		if (f->dirty && !state_save(f, &e))
			log_error("%s", e.msg);
	}
	node_view_unref(f->view);
	chain_reader_free(f->reader);
	chain_rpc_free(f->rpc);
	pthread_mutex_destroy(&f->view_lock);
	pthread_mutex_destroy(&f->wake_lock);
	pthread_cond_destroy(&f->wake);
	free(f->pending);
	free(f->state_path);
	free(f->view_path);
	free(f);
}

bool node_follow_recover_once(struct node_follow *f, struct node_store *store,
			      const struct node_codec *codec, struct node_follow_summary *out,
			      struct err *e)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	bool ok = false;
	memset(out, 0, sizeof(*out));
	f->store = store;
	f->codec = codec;
	f->recover_lock = &lock;
	f->cfg.blobs_per_pass = SIZE_MAX;
	if (f->view->self == NODE_NOT_MEMBER) {
		err_set(e, "this node is not in the committee of epoch %" PRIu64 ": it holds no "
				"shards to recover",
			     f->view->epoch);
		goto out;
	}
	if (!queue_stored(f, "recover", e))
		goto out;
	for (uint64_t last = UINT64_MAX; last != f->next_block;) {
		last = f->next_block;
		if (!scan(f, e))
			goto out;
	}
	/* Every queued blob once: those that fail get a later turn, past this pass's start. */
	if (!recover_some(f, e))
		goto out;
	*out = f->sum;
	ok = true;
out:
	if (f->dirty) {
		struct err se = {{0}};
		if (!state_save(f, &se))
			log_error("%s", se.msg);
	}
	f->recover_lock = NULL;
	pthread_mutex_destroy(&lock);
	return ok;
}

bool node_recover_dir(struct node_follow_cfg *cfg, const char *key_file,
		      struct node_follow_summary *out, struct err *e)
{
	struct chain_key *key = NULL;
	struct node_follow *f = NULL;
	struct node_store *store = NULL;
	struct node_codec *codec = NULL;
	if (!chain_key_from_file(&key, key_file, e)) {
		err_prefix(e, "node key");
		return false;
	}
	chain_key_address(key, cfg->node_key);
	chain_key_free(key);
	bool ok = node_store_open(cfg->data_dir, &store, e) && node_follow_open(cfg, &f, e) &&
		  node_codec_new(node_follow_n_shards(f), &codec, e) &&
		  node_follow_recover_once(f, store, codec, out, e);
	node_follow_free(f);
	node_codec_free(codec);
	node_store_free(store);
	return ok;
}

void node_follow_summary_print(FILE *f, const struct node_follow_summary *s, bool json)
{
	if (json)
		fprintf(f, "{\"blobs\":%zu,\"slivers_rebuilt\":%zu,\"complete\":%zu,\"incomplete\":%zu}\n",
			s->blobs, s->slivers, s->complete, s->incomplete);
	else
		fprintf(f, "%zu blobs looked at: %zu slivers rebuilt from peers, %zu complete, %zu "
			   "still missing slivers\n",
			s->blobs, s->slivers, s->complete, s->incomplete);
}
