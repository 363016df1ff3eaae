/* recover.c: rebuilding missing slivers from peers' recovery symbols. */
#include "node/recover.h"

#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "node/client.h"
#include "node/committee.h"
#include "node/encoder.h"
#include "node/store.h"

struct symbol_list {
	struct audit_recovery_symbol *v;
	size_t n, cap;
};

static void list_push(struct symbol_list *l, struct audit_recovery_symbol *sym)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = *sym;
	memset(sym, 0, sizeof(*sym));
}

static void list_clear(struct symbol_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		audit_recovery_symbol_clear(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* Metadata from the first peer whose answer hashes to the blob ID; stored locally. */
static bool fetch_metadata(const struct node_recover_ctx *c, const uint8_t id[AUDIT_DIGEST_LEN],
			   struct audit_metadata **md, struct err *e)
{
	for (size_t m = 0; m < c->committee->count; m++) {
		if (m == c->self)
			continue;
		struct node_client cl = {c->committee->members[m].url, c->committee->members[m].pin,
					 c->timeout_ms};
		struct err pe = {{0}};
		if (!node_client_get_metadata(&cl, id, md, &pe)) {
			log_debug("recovery: metadata from node %zu: %s", m, pe.msg);
			continue;
		}
		struct buf b = BUF_INIT;
		bool existed;
		audit_metadata_write(&b, *md);
		bool ok = node_store_put_metadata(c->store, id, b.data, b.len, &existed, e);
		buf_free(&b);
		if (!ok) {
			audit_metadata_free(*md);
			*md = NULL;
		}
		return ok;
	}
	return err_set(e, "no peer has verifiable metadata for this blob");
}

/* Rebuild sliver (axis, index): collect symbols cell by cell along its line, from this
 * node's own slivers of the other axis and from the peers that hold the rest. */
static bool recover_sliver(const struct node_recover_ctx *c, const uint8_t id[AUDIT_DIGEST_LEN],
			   const struct audit_metadata *md, const struct audit_params *p,
			   uint16_t ss, enum audit_proof_axis axis, uint16_t index,
			   struct node_recover_stats *st)
{
	uint32_t n = p->n;
	/* Symbols of a primary sliver come from secondary slivers (proof axis secondary). */
	enum audit_proof_axis src_axis = axis == AUDIT_AXIS_PRIMARY ? AUDIT_AXIS_SECONDARY
								    : AUDIT_AXIS_PRIMARY;
	size_t need = axis == AUDIT_AXIS_PRIMARY ? p->k_secondary : p->k_primary;
	struct symbol_list got = {0};
	struct audit_symbol_id *ids = xcalloc(n, sizeof(*ids));
	uint8_t *out = xmalloc(node_sliver_len(c->codec, axis, ss));
	bool done = false;
	size_t tried = 0;

	/* Owner of each source sliver s (0..n-1) of src_axis; this node last: its own symbols
	 * are expanded here uncached, one sliver per symbol, which the peers' answers (from
	 * their caches) usually make unnecessary. */
	for (size_t t = 0; t < c->committee->count && !done; t++) {
		size_t m = (c->self + 1 + t) % c->committee->count;
		size_t count = 0;
		for (uint32_t s = 0; s < n; s++) {
			uint32_t pair = src_axis == AUDIT_AXIS_PRIMARY
				? s : audit_pair_of_secondary_sliver(n, s);
			if (!node_committee_holds(c->committee, m, audit_shard_of_pair(id, n, pair)))
				continue;
			ids[count++] = axis == AUDIT_AXIS_PRIMARY
				? (struct audit_symbol_id){index, (uint16_t)s}
				: (struct audit_symbol_id){(uint16_t)s, index};
		}
		if (!count)
			continue;
		if (m == c->self) {
			for (size_t k = 0; k < count; k++) {
				uint16_t s = src_axis == AUDIT_AXIS_PRIMARY ? ids[k].primary
									    : ids[k].secondary;
				struct audit_sliver *sl = NULL;
				struct audit_recovery_symbol sym = {0};
				struct err e = {{0}};
				if (!node_store_get_sliver(c->store, id, src_axis, s, &sl, &e) || !sl)
					continue;
				const struct node_codec *code =
					node_codec_for(c->codec, md->encoding_type);
				if (code &&
				    node_recovery_symbol_new(code, src_axis, s, sl->symbols, sl->len,
							     sl->symbol_size, ids[k], &sym, &e))
					list_push(&got, &sym);
				audit_sliver_free(sl);
			}
		} else {
			const struct node_member *mem = &c->committee->members[m];
			struct node_client cl = {mem->url, mem->pin, c->timeout_ms};
			struct audit_recovery_symbols *list = NULL;
			struct err e = {{0}};
			if (!node_client_get_symbols(&cl, id, ids, count, src_axis, &list, &e)) {
				log_debug("recovery: symbols from node %zu: %s", m, e.msg);
				continue;
			}
			for (size_t k = 0; k < list->count; k++)
				list_push(&got, &list->items[k]);
			audit_recovery_symbols_free(list);
		}
		if (got.n >= need && got.n > tried) {
			size_t rejected = 0;
			struct err e = {{0}};
			tried = got.n;
			done = node_sliver_recover_from_symbols(c->codec, md, axis, index, got.v, got.n,
								out, &rejected, &e);
			st->rejected += rejected;
			if (!done)
				log_debug("recovery: %s sliver %u: %s", audit_proof_axis_name(axis),
					  index, e.msg);
		}
	}
	if (done) {
		bool existed;
		struct err e = {{0}};
		done = node_store_put_sliver(c->store, id, axis, index, out,
					     node_sliver_len(c->codec, axis, ss), ss, &existed, &e);
		if (!done)
			log_error("recovery: %s", e.msg);
	}
	list_clear(&got);
	free(ids);
	free(out);
	return done;
}

bool node_recover_blob(const struct node_recover_ctx *c, const uint8_t id[AUDIT_DIGEST_LEN],
		       struct node_recover_stats *st, struct err *e)
{
	struct audit_metadata *md = NULL;
	struct audit_params p;
	uint16_t ss;
	bool ok = false;
	st->blobs++;
	if (!node_store_get_metadata(c->store, id, &md, e))
		return false;
	if (!md && !fetch_metadata(c, id, &md, e))
		return false;
	if (!audit_metadata_params(md, &p, &ss, e) || md->n_shards != c->committee->n) {
		err_set(e, "the blob's metadata does not fit this committee");
		goto out;
	}
	const struct node_member *me = &c->committee->members[c->self];
	/* Missing slivers: 2 per held pair at most. */
	size_t nmiss = 0;
	enum audit_proof_axis *axes = xcalloc(2 * me->shard_count + 1, sizeof(*axes));
	uint16_t *idx = xcalloc(2 * me->shard_count + 1, sizeof(*idx));
	/* All primary slivers first, then all secondary ones: the peers answer each axis from
	 * the other axis's expansions, which their caches then keep (alternating the axes
	 * made every request miss once a node holds more slivers than half the cache). */
	for (int a = 0; a < 2; a++)
		for (size_t k = 0; k < me->shard_count; k++) {
			uint32_t pair = audit_pair_of_shard(id, p.n, me->shards[k]);
			enum audit_proof_axis axis = a ? AUDIT_AXIS_SECONDARY : AUDIT_AXIS_PRIMARY;
			uint16_t s = a ? (uint16_t)audit_secondary_sliver_of_pair(p.n, pair)
				       : (uint16_t)pair;
			if (!node_store_has_sliver(c->store, id, axis, s)) {
				axes[nmiss] = axis;
				idx[nmiss++] = s;
			}
		}
	st->missing += nmiss;
	/* Passes while they make progress: a rebuilt sliver is a source for the others. */
	bool progress = true;
	size_t left = nmiss;
	while (left && progress) {
		progress = false;
		for (size_t i = 0; i < nmiss; i++) {
			if (node_store_has_sliver(c->store, id, axes[i], idx[i]))
				continue;
			if (recover_sliver(c, id, md, &p, ss, axes[i], idx[i], st)) {
				st->recovered++;
				left--;
				progress = true;
			}
		}
	}
	st->failed += left;
	free(axes);
	free(idx);
	ok = true;
out:
	audit_metadata_free(md);
	return ok;
}

bool node_recover_all(const struct node_recover_ctx *c, struct node_recover_stats *st,
		      struct err *e)
{
	uint8_t (*ids)[AUDIT_DIGEST_LEN] = NULL;
	size_t count = 0;
	if (!node_store_list_blobs(c->store, &ids, &count, e))
		return false;
	for (size_t i = 0; i < count; i++) {
		struct err be = {{0}};
		if (!node_recover_blob(c, ids[i], st, &be))
			log_warn("recovery: %s", be.msg);
	}
	free(ids);
	return true;
}
