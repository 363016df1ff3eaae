/* reader.c: chain state for the auditor and the settle job, from finalized blocks only
 * (see reader.h). */
#include "chain/reader.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/rpc.h"
#include "core/err.h"
#include "core/log.h"

struct chain_reader {
	struct chain_rpc *rpc;
	struct chain_bind *bind;
	struct chain_deployment dep;
	uint64_t confirmations;
	uint64_t log_chunk;
	const struct chain_log_store *logs; /* NULL: rescan from the start block */
};

void chain_reader_set_log_store(struct chain_reader *r, const struct chain_log_store *s)
{
	r->logs = s;
}

bool chain_reader_new(struct chain_reader **out, struct chain_rpc *rpc,
		      const struct chain_deployment *d, const char *contracts_dir,
		      uint64_t confirmations, uint64_t log_chunk, struct err *e)
{
	*out = NULL;
	if (!confirmations)
		return err_set(e, "confirmations must be at least 1");
	struct chain_reader *r = xcalloc(1, sizeof(*r));
	r->rpc = rpc;
	r->dep = *d;
	r->confirmations = confirmations;
	r->log_chunk = log_chunk;
	if (!chain_bind_new(&r->bind, rpc, NULL, d, contracts_dir, e)) {
		free(r);
		return false;
	}
	*out = r;
	return true;
}

void chain_reader_free(struct chain_reader *r)
{
	if (!r)
		return;
	chain_bind_free(r->bind);
	free(r);
}

bool chain_reader_finalized(struct chain_reader *r, uint64_t *block, struct err *e)
{
	uint64_t head;
	if (!chain_rpc_block_number(r->rpc, &head, e))
		return false;
	if (head + 1 < r->confirmations)
		return err_set(e, "the chain has %llu blocks, fewer than the %llu confirmations "
				  "a finalized block needs",
			       (unsigned long long)head + 1, (unsigned long long)r->confirmations);
	*block = head + 1 - r->confirmations;
	if (*block < r->dep.start_block)
		return err_set(e, "the deployment (block %llu) is not finalized yet (finalized "
				  "block %llu)",
			       (unsigned long long)r->dep.start_block, (unsigned long long)*block);
	return true;
}

void chain_epoch_view_clear(struct chain_epoch_view *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->nnodes; i++) {
		free(v->nodes[i].shards);
		free(v->nodes[i].grace_shards);
		free(v->nodes[i].endpoint);
	}
	free(v->nodes);
	free(v->shard_owner);
	free(v->in_grace);
	memset(v, 0, sizeof(*v));
}

bool chain_reader_epoch(struct chain_reader *r, uint64_t epoch, struct chain_epoch_view *v,
			struct err *e)
{
	struct chain_committee com;
	struct buf owners = BUF_INIT;
	struct chain_node_info *infos = NULL;
	bool *found = NULL;
	bool ok = false;
	memset(&com, 0, sizeof(com));
	memset(v, 0, sizeof(*v));
	uint32_t n = r->dep.n_shards;
	if (!chain_reader_finalized(r, &v->as_of_block, e))
		return false;
	chain_bind_at_block(r->bind, v->as_of_block);
	if (!chain_staking_current_epoch(r->bind, &v->current_epoch, e))
		goto out;
	v->epoch = epoch == CHAIN_READER_CURRENT ? v->current_epoch : epoch;
	if (v->epoch > v->current_epoch) {
		err_set(e, "epoch %llu has not begun as of the finalized block %llu (epoch %llu)",
			(unsigned long long)v->epoch, (unsigned long long)v->as_of_block,
			(unsigned long long)v->current_epoch);
		goto out;
	}
	v->n_shards = n;
	if (!chain_staking_epoch_info(r->bind, v->epoch, &v->info, e) ||
	    !chain_staking_committee(r->bind, v->epoch, &com, e) ||
	    !chain_staking_shard_owners(r->bind, v->epoch, &owners, e))
		goto out;
	v->seed_final = v->info.seed_source != 0 && v->info.seed_block <= v->as_of_block;
	if (v->epoch < v->current_epoch) {
		struct chain_epoch_info next;
		if (!chain_staking_epoch_info(r->bind, v->epoch + 1, &next, e))
			goto out;
		v->end_time = next.start_time;
	}
	v->in_grace = xcalloc(n + 1, sizeof(*v->in_grace));
	v->shard_owner = xcalloc(n + 1, 1);
	if (!chain_staking_grace(r->bind, v->epoch, v->in_grace, n, e))
		goto out;
	if (owners.len && owners.len != n) {
		err_set(e, "epoch %llu: %zu shard owners for %u shards", (unsigned long long)v->epoch,
			owners.len, n);
		goto out;
	}
	if (owners.len)
		memcpy(v->shard_owner, owners.data, n);
	/* node keys and records of every member, in batched calls */
	infos = xcalloc(com.n + 1, sizeof(*infos));
	found = xcalloc(com.n + 1, sizeof(*found));
	if (!chain_staking_members(r->bind, v->epoch, &com, infos, found, e))
		goto out;
	v->nodes = xcalloc(com.n + 1, sizeof(*v->nodes));
	v->nnodes = com.n;
	for (size_t i = 0; i < com.n; i++) {
		struct chain_audit_node *an = &v->nodes[i];
		memcpy(an->id, com.nodes[i], 20);
		memcpy(an->node_key, com.node_keys[i], 20);
		an->shard_count = com.shards[i];
		an->shards = xcalloc((size_t)com.shards[i] + 1, sizeof(*an->shards));
		an->grace_shards = xcalloc((size_t)com.shards[i] + 1, sizeof(*an->grace_shards));
		if (found[i]) {
			an->endpoint = infos[i].endpoint;
			infos[i].endpoint = NULL;
			an->commission_bps = infos[i].commission_bps;
		} else {
			an->endpoint = xstrdup("");
		}
	}
	for (uint32_t s = 0; owners.len && s < n; s++) {
		uint8_t o = v->shard_owner[s];
		if (o >= com.n) {
			err_set(e, "epoch %llu: shard %u belongs to committee index %u of %zu",
				(unsigned long long)v->epoch, s, o, com.n);
			goto out;
		}
		struct chain_audit_node *an = &v->nodes[o];
		if (an->nshards + an->ngrace >= an->shard_count) {
			err_set(e, "epoch %llu: member %u owns more shards than its count %u",
				(unsigned long long)v->epoch, o, an->shard_count);
			goto out;
		}
		if (v->in_grace[s])
			an->grace_shards[an->ngrace++] = (uint16_t)s;
		else
			an->shards[an->nshards++] = (uint16_t)s;
	}
	ok = true;
out:
	for (size_t i = 0; infos && i < com.n; i++)
		free(infos[i].endpoint);
	free(infos);
	free(found);
	chain_bind_at_block(r->bind, 0);
	chain_committee_clear(&com);
	buf_free(&owners);
	if (!ok) {
		chain_epoch_view_clear(v);
		err_prefix(e, "reading epoch state: ");
	}
	return ok;
}

static bool event_topic(const char *sigtext, uint8_t topic[32], struct err *e)
{
	struct chain_abi_sig *sig;
	if (!chain_abi_sig_parse(sigtext, &sig, e))
		return false;
	memcpy(topic, sig->topic, 32);
	chain_abi_sig_free(sig);
	return true;
}

static void audit_blob_from_info(struct chain_audit_blob *ab, const uint8_t id[32],
				 const struct chain_blob_info *bi)
{
	memcpy(ab->id, id, 32);
	ab->unencoded_length = bi->unencoded_size;
	ab->encoding_type = bi->encoding_type;
	ab->certified_epoch = bi->certified_epoch;
	ab->certified_block = bi->certified_block;
	ab->start_epoch = bi->start_epoch;
	ab->end_epoch = bi->end_epoch;
}

/* The blob ids of BlobCertified events in [from, to], each once, in first-event order. */
static bool event_ids(struct chain_reader *r, uint64_t from, uint64_t to, uint8_t (**ids)[32],
		      size_t *n, struct err *e)
{
	struct chain_logs logs = {0, NULL};
	uint8_t topic[32];
	*ids = NULL;
	*n = 0;
	if (!event_topic("BlobCertified(bytes32,uint64,uint64,uint256)", topic, e))
		return false;
	struct chain_log_filter f;
	memset(&f, 0, sizeof(f));
	f.from_block = from;
	f.to_block = to;
	f.address = r->dep.blob_registry;
	f.topics[0] = topic;
	f.chunk = r->log_chunk;
	if (!chain_rpc_get_logs(r->rpc, &f, &logs, e))
		return false;
	uint8_t(*v)[32] = xcalloc(logs.n + 1, 32);
	size_t nv = 0;
	for (size_t i = 0; i < logs.n; i++) {
		const struct chain_log *l = &logs.v[i];
		if (l->removed || l->ntopics < 2)
			continue;
		bool dup = false;
		for (size_t k = 0; k < nv && !dup; k++)
			dup = !memcmp(v[k], l->topics[1], 32);
		if (!dup)
			memcpy(v[nv++], l->topics[1], 32);
	}
	chain_logs_clear(&logs);
	*ids = v;
	*n = nv;
	return true;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, 32);
}

/* The ids of every BlobCertified event from the start block through at least `to`, from
 * the log store: what it kept, plus the events of the blocks after its cursor, which are
 * then kept too. Its list may run past `to` (another read went further); the caller's
 * check against blobInfo, not the event's block, decides what counts, so the answer is the
 * one a scan to `to` gives. */
static bool kept_ids(struct chain_reader *r, uint64_t to, uint8_t (**ids)[32], size_t *n,
		     struct err *e)
{
	const struct chain_log_store *st = r->logs;
	uint8_t(*kept)[32] = NULL, (*fresh)[32] = NULL, (*sorted)[32] = NULL;
	size_t nkept = 0, nfresh = 0, nnew = 0;
	uint64_t through = 0;
	bool found = false, ok = false;
	*ids = NULL;
	*n = 0;
	if (!st->load(st->ctx, r->dep.chain_id, r->dep.blob_registry, &found, &through, &kept,
		      &nkept, e))
		goto out;
	if (found && through >= to) {
		*ids = kept;
		*n = nkept;
		return true;
	}
	uint64_t from = found ? through + 1 : r->dep.start_block;
	if (!event_ids(r, from, to, &fresh, &nfresh, e))
		goto out;
	/* Only ids not kept yet are appended: the first event decides the order. */
	sorted = xcalloc(nkept + 1, 32);
	if (nkept)
		memcpy(sorted, kept, nkept * 32);
	qsort(sorted, nkept, 32, cmp_id);
	for (size_t i = 0; i < nfresh; i++)
		if (!bsearch(fresh[i], sorted, nkept, 32, cmp_id))
			memmove(fresh[nnew++], fresh[i], 32);
	if (!st->append(st->ctx, r->dep.chain_id, r->dep.blob_registry, found, through, to,
			(const uint8_t(*)[32])fresh, nnew, e))
		goto out;
	kept = xrealloc(kept, (nkept + nnew + 1) * 32);
	memcpy(kept[nkept], fresh, nnew * 32);
	*ids = kept;
	*n = nkept + nnew;
	kept = NULL;
	ok = true;
out:
	free(kept);
	free(fresh);
	free(sorted);
	return ok;
}

/* The blobs of BlobCertified events in [from, to], each once, as blobInfo has them at
 * block `at`, kept when keep(info, arg) says so. The registry is the truth: a blob
 * registered again after expiring may carry an old event. A scan from the start block goes
 * through the log store when there is one. */
static bool certified_scan(struct chain_reader *r, uint64_t from, uint64_t to, uint64_t at,
			   bool (*keep)(const struct chain_blob_info *bi, const void *arg),
			   const void *arg, struct chain_audit_blob **out, size_t *n, struct err *e)
{
	uint8_t(*ids)[32] = NULL;
	size_t nids = 0;
	struct chain_audit_blob *b = NULL;
	size_t nb = 0;
	bool ok = false, have = false;
	*out = NULL;
	*n = 0;
	if (r->logs && from == r->dep.start_block) {
		struct err se = {{0}};
		/* Another reader sharing the store may move the cursor between our read and our
		 * append: read again from where it stopped. */
		for (int tries = 0; !have && tries < 3; tries++)
			have = kept_ids(r, to, &ids, &nids, &se);
		if (!have)
			log_warn("the kept chain log cursor cannot be used (%s); scanning from block "
				 "%llu",
				 se.msg, (unsigned long long)from);
	}
	if (!have && !event_ids(r, from, to, &ids, &nids, e))
		return false;
	b = xcalloc(nids + 1, sizeof(*b));
	chain_bind_at_block(r->bind, at);
	for (size_t i = 0; i < nids; i++) {
		struct chain_blob_info bi;
		if (!chain_registry_blob_info(r->bind, ids[i], &bi, e))
			goto out;
		if (!bi.registered || !bi.certified_block || !keep(&bi, arg))
			continue;
		audit_blob_from_info(&b[nb++], ids[i], &bi);
	}
	*out = b;
	*n = nb;
	b = NULL;
	ok = true;
out:
	chain_bind_at_block(r->bind, 0);
	free(ids);
	free(b);
	return ok;
}

/* INTERFACE.md section 5 (BlobRegistry.isChallengeable): certified at or before the seed
 * block, in an earlier epoch (a node that did not confirm recovers it during the
 * certifying epoch), and still stored. */
static bool challengeable(const struct chain_blob_info *bi, const void *arg)
{
	const struct chain_epoch_view *v = arg;
	return bi->certified_block <= v->info.seed_block && bi->certified_epoch < v->epoch &&
	       v->epoch < bi->end_epoch;
}

bool chain_reader_blobs(struct chain_reader *r, const struct chain_epoch_view *v,
			struct chain_audit_blob **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	if (!v->seed_final)
		return err_set(e, "epoch %llu's seed (block %llu) is not final yet",
			       (unsigned long long)v->epoch, (unsigned long long)v->info.seed_block);
	return certified_scan(r, r->dep.start_block, v->info.seed_block, v->as_of_block,
			      challengeable, v, out, n, e);
}

static bool any_certified(const struct chain_blob_info *bi, const void *arg)
{
	(void)bi;
	(void)arg;
	return true;
}

bool chain_reader_certified(struct chain_reader *r, uint64_t from, uint64_t to,
			    struct chain_audit_blob **out, size_t *n, uint64_t *as_of_block,
			    struct err *e)
{
	uint64_t fin;
	*out = NULL;
	*n = 0;
	if (!chain_reader_finalized(r, &fin, e))
		return false;
	if (from > to || to > fin)
		return err_set(e, "blocks %llu to %llu are not a range of finalized blocks (finalized "
				  "block %llu)",
			       (unsigned long long)from, (unsigned long long)to,
			       (unsigned long long)fin);
	if (!certified_scan(r, from, to, fin, any_certified, NULL, out, n, e)) {
		err_prefix(e, "reading certified blobs: ");
		return false;
	}
	*as_of_block = fin;
	return true;
}

bool chain_auditors_from_logs(const struct chain_abi_sig *sig, const struct chain_logs *logs,
			      struct chain_auditor **out, size_t *n, struct err *e)
{
	struct chain_auditor *a = xcalloc(logs->n + 1, sizeof(*a));
	size_t na = 0;
	*out = NULL;
	*n = 0;
	/* Logs come in chain order: the last event of an id is its state. */
	for (size_t i = 0; i < logs->n; i++) {
		const struct chain_log *l = &logs->v[i];
		struct chain_abi_value *v;
		if (l->removed)
			continue;
		if (!chain_abi_decode_log(sig, l->topics, l->ntopics, l->data, l->data_len, &v, e)) {
			free(a);
			return false;
		}
		uint64_t id;
		struct chain_auditor cur;
		memset(&cur, 0, sizeof(cur));
		bool got = chain_abi_get_u64(chain_abi_at(v, 0), &id, e) && id <= 255 &&
			   chain_abi_get_address(chain_abi_at(v, 1), cur.signer, e) &&
			   chain_abi_get_address(chain_abi_at(v, 2), cur.payee, e) &&
			   chain_abi_get_bool(chain_abi_at(v, 3), &cur.active, e);
		chain_abi_value_free(v);
		if (!got) {
			free(a);
			return err_prefix(e, "an AuditorSet event: ");
		}
		cur.id = (uint8_t)id;
		size_t k = 0;
		while (k < na && a[k].id != cur.id)
			k++;
		a[k] = cur;
		if (k == na)
			na++;
	}
	/* By id, as callers list them. */
	for (size_t i = 1; i < na; i++)
		for (size_t j = i; j > 0 && a[j - 1].id > a[j].id; j--) {
			struct chain_auditor t = a[j];
			a[j] = a[j - 1];
			a[j - 1] = t;
		}
	*out = a;
	*n = na;
	return true;
}

bool chain_reader_auditors(struct chain_reader *r, struct chain_auditor **out, size_t *n,
			   struct err *e)
{
	struct chain_logs logs = {0, NULL};
	struct chain_abi_sig *sig = NULL;
	bool ok = false;
	*out = NULL;
	*n = 0;
	uint64_t fin;
	if (!chain_reader_finalized(r, &fin, e) ||
	    !chain_abi_sig_parse(CHAIN_AUDITOR_SET_EVENT, &sig, e))
		goto out;
	struct chain_log_filter f;
	memset(&f, 0, sizeof(f));
	f.from_block = r->dep.start_block;
	f.to_block = fin;
	f.address = r->dep.settlement;
	f.topics[0] = sig->topic;
	f.chunk = r->log_chunk;
	if (!chain_rpc_get_logs(r->rpc, &f, &logs, e))
		goto out;
	ok = chain_auditors_from_logs(sig, &logs, out, n, e);
out:
	chain_abi_sig_free(sig);
	chain_logs_clear(&logs);
	return ok;
}

bool chain_reader_blob(struct chain_reader *r, const uint8_t id[32], struct chain_audit_blob *out,
		       bool *certified, struct err *e)
{
	uint64_t fin;
	struct chain_blob_info bi;
	memset(out, 0, sizeof(*out));
	*certified = false;
	if (!chain_reader_finalized(r, &fin, e))
		return false;
	chain_bind_at_block(r->bind, fin);
	bool ok = chain_registry_blob_info(r->bind, id, &bi, e);
	chain_bind_at_block(r->bind, 0);
	if (!ok)
		return false;
	audit_blob_from_info(out, id, &bi);
	*certified = bi.registered && bi.certified_block != 0;
	return true;
}
