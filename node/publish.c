/* publish.c: the publisher (see publish.h): register and pay, upload, collect the storage
 * confirmations, certify. */
#include "node/publish.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/blob.h"
#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/reader.h"
#include "chain/rpc.h"
#include "chain/session.h"
#include "chain/u256.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "node/client.h"
#include "node/committee.h"
#include "node/confirmations.h"
#include "node/encoder.h"
#include "node/follow.h"

/* ---- the chain steps ---- */

bool node_blob_register(struct chain_session *s, const uint8_t id[32], uint64_t size,
			uint8_t encoding_type, uint64_t epochs, struct node_blob_registration *out,
			struct err *e)
{
	struct chain_abi_value *r = NULL;
	struct chain_receipt rcpt;
	memset(&rcpt, 0, sizeof(rcpt));
	memset(out, 0, sizeof(*out));
	uint64_t cur;
	struct chain_u256 per;
	bool ok = false;
	if (!chain_staking_current_epoch(s->bind, &cur, e) ||
	    !chain_bind_call(s->bind, s->dep.blob_registry, "feePerEpoch(uint64)(uint256)",
			     chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(size)), &r, e) ||
	    !chain_abi_get_u256(chain_abi_at(r, 0), &per, e))
		goto out;
	if (chain_u256_mul_small(&out->fee, &per, epochs)) {
		err_set(e, "the fee overflows 256 bits");
		goto out;
	}
	/* The epoch may advance between reading it and registering: approve one epoch more. */
	struct chain_u256 allowance;
	if (chain_u256_add(&allowance, &out->fee, &per)) {
		err_set(e, "the fee overflows 256 bits");
		goto out;
	}
	if (!chain_session_approve(s, s->dep.blob_registry, &allowance, e))
		goto out;
	struct chain_abi_value *a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_fixed_bytes_new(id, 32));
	chain_abi_push(a, chain_abi_uint_new(size));
	chain_abi_push(a, chain_abi_uint_new(encoding_type));
	chain_abi_push(a, chain_abi_uint_new(cur + epochs));
	if (!chain_bind_send(s->bind, s->dep.blob_registry,
			     "registerBlob(bytes32,uint64,uint8,uint64)", a, "blob register", &rcpt,
			     e))
		goto out;
	memcpy(out->tx_hash, rcpt.tx_hash, 32);
	struct chain_blob_info bi;
	if (!chain_registry_blob_info(s->bind, id, &bi, e))
		goto out;
	out->start_epoch = bi.start_epoch;
	out->end_epoch = bi.end_epoch;
	out->encoded_size = bi.encoded_size;
	ok = true;
out:
	chain_receipt_clear(&rcpt);
	chain_abi_value_free(r);
	return ok;
}

struct member_sig {
	uint16_t member;
	uint8_t sig[65];
};

static int cmp_member_sig(const void *a, const void *b)
{
	const struct member_sig *x = a, *y = b;
	return (int)x->member - (int)y->member;
}

bool node_blob_certify(struct chain_session *s, const uint8_t id[32],
		       const struct node_confirmation *in, size_t n,
		       struct node_blob_certification *out, struct err *e)
{
	struct chain_committee com;
	memset(&com, 0, sizeof(com));
	memset(out, 0, sizeof(*out));
	struct chain_receipt rcpt;
	memset(&rcpt, 0, sizeof(rcpt));
	struct member_sig *conf = xcalloc(n + 1, sizeof(*conf));
	size_t nconf = 0;
	bool ok = false;
	uint64_t cur;
	if (!chain_staking_current_epoch(s->bind, &cur, e) ||
	    !chain_staking_committee(s->bind, cur, &com, e) ||
	    !chain_staking_committee_keys(s->bind, cur, &com, e))
		goto out;
	for (size_t i = 0; i < n; i++) {
		char signer[43];
		chain_address_checksum(signer, in[i].signer);
		if (in[i].epoch != NODE_CONFIRMATION_ANY_EPOCH && in[i].epoch != cur) {
			err_set(e, "confirmation %zu (by %s) names epoch %" PRIu64 ", but the current "
				   "epoch is %" PRIu64 ": ask the node again",
				i, signer, in[i].epoch, cur);
			goto out;
		}
		bool found = false;
		struct member_sig *cf = &conf[nconf];
		for (size_t m = 0; m < com.n && !found; m++)
			if (!memcmp(com.node_keys[m], in[i].signer, 20)) {
				cf->member = (uint16_t)m;
				found = true;
			}
		if (!found) {
			err_set(e, "confirmation %zu: %s is not the node key of any member of epoch "
				   "%" PRIu64 "'s committee",
				i, signer, cur);
			goto out;
		}
		memcpy(cf->sig, in[i].signature, 65);
		bool dup = false;
		for (size_t k = 0; k < nconf; k++)
			dup = dup || conf[k].member == cf->member;
		if (!dup)
			nconf++;
	}
	qsort(conf, nconf, sizeof(*conf), cmp_member_sig);
	uint64_t shards = 0;
	struct chain_abi_value *members = chain_abi_array_new(), *sigs = chain_abi_array_new();
	for (size_t i = 0; i < nconf; i++) {
		chain_abi_push(members, chain_abi_uint_new(conf[i].member));
		chain_abi_push(sigs, chain_abi_bytes_new(conf[i].sig, 65));
		shards += com.shards[conf[i].member];
	}
	struct chain_abi_value *a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_fixed_bytes_new(id, 32));
	chain_abi_push(a, members);
	chain_abi_push(a, sigs);
	if (!chain_bind_send(s->bind, s->dep.blob_registry, "certifyBlob(bytes32,uint16[],bytes[])",
			     a, "blob certify", &rcpt, e))
		goto out;
	out->epoch = cur;
	out->block = rcpt.block_number;
	out->confirmations = nconf;
	out->shards = shards;
	memcpy(out->tx_hash, rcpt.tx_hash, 32);
	ok = true;
out:
	chain_receipt_clear(&rcpt);
	free(conf);
	chain_committee_clear(&com);
	return ok;
}

/* ---- the committee ---- */

/* The current epoch's committee as the chain has it, in committee order, as a committee
 * file would describe it. */
static bool committee_from_chain(struct chain_session *s, const char *contracts_dir,
				 uint64_t confirmations, struct node_committee **out,
				 struct err *e)
{
	struct chain_reader *r = NULL;
	struct chain_epoch_view v;
	memset(&v, 0, sizeof(v));
	bool ok = false;
	*out = NULL;
	if (!chain_reader_new(&r, s->rpc, &s->dep, contracts_dir, confirmations ? confirmations : 1,
			      0, e) ||
	    !chain_reader_epoch(r, CHAIN_READER_CURRENT, &v, e))
		goto out;
	if (v.nnodes == 0 || !v.shard_owner) {
		err_set(e, "epoch %" PRIu64 " has no committee on chain yet: nodes stake with 'assay "
			   "stake register', then 'assay epoch advance' starts an epoch with them",
			v.epoch);
		goto out;
	}
	ok = node_committee_from_view(&v, s->dep.chain_id, s->dep.blob_registry, out, e);
out:
	chain_epoch_view_clear(&v);
	chain_reader_free(r);
	return ok;
}

bool node_committee_current(struct chain_session *s, const char *path,
			    const char *contracts_dir, uint64_t confirmations,
			    struct node_committee **out, struct err *e)
{
	*out = NULL;
	if (path) {
		if (!node_committee_load(path, out, e))
			return false;
		if (!s)
			return true;
		/* Confirmations are for this deployment's registry, whatever the file says. */
		(*out)->chain_id = s->dep.chain_id;
		memcpy((*out)->blob_registry, s->dep.blob_registry, 20);
	} else if (!s) {
		return err_set(e, "the committee: no committee file and no chain to read it from");
	} else if (!committee_from_chain(s, contracts_dir, confirmations, out, e)) {
		return err_prefix(e, "the committee: ");
	}
	if ((*out)->n != s->dep.n_shards) {
		err_set(e, "the committee has %u shards, the deployment %u", (*out)->n,
			s->dep.n_shards);
		node_committee_free(*out);
		*out = NULL;
		return false;
	}
	return true;
}

/* ---- upload ---- */

#define NODE_PUBLISH_LANES 16

struct progress {
	const struct node_progress *p;
	size_t done, total;
	uint64_t blob_len;
	pthread_mutex_t lock;
};

static void progress_step(struct progress *pr)
{
	pthread_mutex_lock(&pr->lock);
	pr->done++;
	if (pr->p && pr->p->step)
		pr->p->step(pr->p->arg, pr->done, pr->total, pr->blob_len);
	pthread_mutex_unlock(&pr->lock);
}

static bool cancelled(const atomic_bool *cancel, struct err *e)
{
	if (cancel && atomic_load(cancel))
		return !err_set(e, "the publish was cancelled");
	return false;
}

/* Where the slivers come from: the encoded blob in memory, or the files
 * node_encode_file_stream() wrote into dir (read one at a time). */
struct blob_src {
	const struct node_blob *mem;
	const char *dir;
	const struct audit_metadata *md;
	uint8_t id[32];
	uint32_t n;
};

/* PUTs one sliver from the source. */
static bool put_sliver(const struct node_client *cl, const struct blob_src *src, uint32_t pair,
		       enum audit_proof_axis axis, uint16_t index, struct err *e)
{
	if (src->mem) {
		const struct node_blob *b = src->mem;
		return node_client_put_sliver(cl, b->blob_id, pair, axis, index,
					      node_blob_sliver(b, axis, index),
					      axis == AUDIT_AXIS_PRIMARY ? b->primary_len
									 : b->secondary_len,
					      b->symbol_size, e);
	}
	char *path = xasprintf("%s/%s-%u.bcs", src->dir, audit_proof_axis_name(axis), index);
	uint8_t *data = NULL;
	size_t len = 0;
	struct audit_sliver *sl = NULL;
	bool ok = read_file(path, (size_t)AUDIT_MAX_SLIVER_BYTES + 16, &data, &len, e);
	if (ok && !(ok = audit_sliver_parse(data, len, &sl, e)))
		err_prefix(e, "%s: ", path);
	free(data);
	if (ok)
		ok = node_client_put_sliver(cl, src->id, pair, axis, index, sl->symbols, sl->len,
					    sl->symbol_size, e);
	audit_sliver_free(sl);
	free(path);
	return ok;
}

struct upload_job {
	const struct node_committee *cm;
	size_t member;
	const struct blob_src *blob;
	uint64_t timeout_ms;
	struct progress *progress;
	const atomic_bool *cancel;
	bool ok;
	struct err e;
};

static void upload_member(struct upload_job *j)
{
	const struct node_member *m = &j->cm->members[j->member];
	struct node_client cl = {m->url, m->pin, j->timeout_ms};
	const struct blob_src *b = j->blob;
	j->ok = !cancelled(j->cancel, &j->e) &&
		node_client_put_metadata(&cl, b->id, b->md, &j->e);
	for (size_t k = 0; j->ok && k < m->shard_count; k++) {
		uint32_t pair = audit_pair_of_shard(b->id, b->n, m->shards[k]);
		uint16_t sec = (uint16_t)audit_secondary_sliver_of_pair(b->n, pair);
		j->ok = !cancelled(j->cancel, &j->e) &&
			put_sliver(&cl, b, pair, AUDIT_AXIS_PRIMARY, (uint16_t)pair, &j->e);
		progress_step(j->progress);
		if (j->ok)
			j->ok = !cancelled(j->cancel, &j->e) &&
				put_sliver(&cl, b, pair, AUDIT_AXIS_SECONDARY, sec, &j->e);
		progress_step(j->progress);
	}
}

/* The members' uploads, taken in turn by a few threads. */
struct upload_pool {
	struct upload_job *jobs;
	size_t count;
	atomic_size_t next;
};

static void *upload_worker(void *arg)
{
	struct upload_pool *p = arg;
	for (size_t m; (m = atomic_fetch_add(&p->next, 1)) < p->count;)
		upload_member(&p->jobs[m]);
	return NULL;
}

/* Uploads to every member, NODE_PUBLISH_LANES at a time, then asks each member that stored
 * its slivers for its signed confirmation. A lane holds one sliver at a time (read from
 * the scratch directory of a streamed encode), so memory does not grow with the committee:
 * a thread per member held 100 slivers at once at 100 members. A lane's time is mostly
 * waiting on its member's disk and network, so a few of them fill a fast link. */
static void upload_and_confirm(const struct node_publish_req *req, const struct blob_src *blob,
			       struct node_publish_result *out)
{
	const struct node_committee *cm = req->committee;
	struct progress pr = {.p = &req->progress, .total = 2 * (size_t)cm->n,
			      .blob_len = out->size};
	pthread_mutex_init(&pr.lock, NULL);
	if (req->progress.step)
		req->progress.step(req->progress.arg, 0, pr.total, pr.blob_len);
	struct upload_job *jobs = xcalloc(cm->count, sizeof(*jobs));
	for (size_t m = 0; m < cm->count; m++)
		jobs[m] = (struct upload_job){cm, m, blob, req->timeout_ms, &pr, req->cancel,
					      false, {{0}}};
	struct upload_pool pool = {jobs, cm->count, 0};
	/* This thread is a lane too: the uploads end even if no other thread starts. */
	size_t lanes = cm->count < NODE_PUBLISH_LANES ? cm->count : NODE_PUBLISH_LANES;
	size_t more = lanes ? lanes - 1 : 0;
	pthread_t th[NODE_PUBLISH_LANES];
	bool started[NODE_PUBLISH_LANES] = {false};
	for (size_t l = 0; l < more; l++)
		started[l] = pthread_create(&th[l], NULL, upload_worker, &pool) == 0;
	upload_worker(&pool);
	for (size_t l = 0; l < more; l++)
		if (started[l])
			pthread_join(th[l], NULL);
	if (req->progress.end)
		req->progress.end(req->progress.arg);
	out->confirmations = xcalloc(cm->count + 1, sizeof(*out->confirmations));
	for (size_t m = 0; m < cm->count; m++) {
		const struct node_member *mem = &cm->members[m];
		if (!jobs[m].ok) {
			log_warn("node %zu (%s) did not store its slivers: %s", m, mem->url,
				 jobs[m].e.msg);
			continue;
		}
		out->stored_shards += mem->shard_count;
		struct node_client cl = {mem->url, mem->pin, req->timeout_ms};
		struct err ce = {{0}};
		if (node_client_get_confirmation(&cl, blob->id, cm->chain_id, cm->blob_registry,
						 mem->has_address ? mem->address : NULL,
						 &out->confirmations[out->nconfirmations], &ce)) {
			out->confirmed_shards += mem->shard_count;
			out->confirmed_nodes++;
			out->nconfirmations++;
		} else {
			log_warn("node %zu (%s): no storage confirmation: %s", m, mem->url, ce.msg);
		}
	}
	free(jobs);
	pthread_mutex_destroy(&pr.lock);
}

/* ---- the whole flow ---- */

/* Register and pay first (storage nodes take slivers of registered blobs); a blob still
 * registered from an earlier try is not paid for again. */
static bool register_once(const struct node_publish_req *req, uint32_t encoding_type,
			  struct node_publish_result *out, struct err *e)
{
	struct chain_session *s = req->chain;
	struct chain_blob_info bi;
	uint64_t cur;
	if (!chain_staking_current_epoch(s->bind, &cur, e) ||
	    !chain_registry_blob_info(s->bind, out->blob_id, &bi, e))
		return false;
	if (bi.registered && bi.end_epoch > cur) {
		log_info("blob %s is already registered for epochs %" PRIu64 " to %" PRIu64
			 ": not paying again",
			 out->blob_id_text, bi.start_epoch, bi.end_epoch - 1);
		out->reg.start_epoch = bi.start_epoch;
		out->reg.end_epoch = bi.end_epoch;
		out->reg.encoded_size = bi.encoded_size;
		out->already_certified = bi.certified_block != 0;
		out->cert.epoch = bi.certified_epoch;
		out->cert.block = bi.certified_block;
		return true;
	}
	if (!node_blob_register(s, out->blob_id, out->size, encoding_type, req->epochs,
				&out->reg, e))
		return err_prefix(e, "registering blob %s: ", out->blob_id_text);
	return true;
}

/* A new empty directory under work_dir ($TMPDIR or /tmp by default) for a streamed encode. */
static char *scratch_dir_new(const char *work_dir, struct err *e)
{
	const char *base = work_dir ? work_dir : getenv("TMPDIR");
	char *dir = xasprintf("%s/assay-put-XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(dir)) {
		err_set(e, "cannot create a scratch directory in %s: %s",
			base && *base ? base : "/tmp", strerror(errno));
		free(dir);
		return NULL;
	}
	return dir;
}

/* Removes what node_encode_file_stream() writes into dir, and dir. */
static void scratch_dir_remove(const char *dir, uint32_t n)
{
	for (uint32_t i = 0; i <= 2 * n; i++) {
		char *path = i == 2 * n ? xasprintf("%s/metadata.bcs", dir)
				 : xasprintf("%s/%s-%u.bcs", dir, i % 2 ? "secondary" : "primary",
					     i / 2);
		(void)unlink(path);
		free(path);
	}
	if (rmdir(dir) != 0)
		log_warn("cannot remove the scratch directory %s: %s", dir, strerror(errno));
}

static bool read_metadata(const char *dir, struct audit_metadata **md, struct err *e)
{
	char *path = xasprintf("%s/metadata.bcs", dir);
	uint8_t *data = NULL;
	size_t len = 0;
	bool ok = read_file(path, (size_t)1 << 26, &data, &len, e) &&
		  audit_metadata_parse(data, len, md, e);
	free(data);
	free(path);
	return ok;
}

bool node_publish(const struct node_publish_req *req, struct node_publish_result *out,
		  struct err *e)
{
	const struct node_committee *cm = req->committee;
	struct node_codec *codec = NULL;
	struct node_blob *blob = NULL;
	struct audit_metadata *md = NULL;
	struct blob_src src = {0};
	char *scratch = NULL;
	bool ok = false;
	memset(out, 0, sizeof(*out));
	out->stage = NODE_PUBLISH_FAILED_EARLY;
	out->size = req->len;
	out->n_shards = cm->n;
	out->nodes = cm->count;
	struct audit_params p;
	if (!node_codec_new(cm->n, &codec, e) || !audit_params_init(&p, cm->n, e))
		goto out;
	src.n = cm->n;
	if (req->path) {
		if (!(scratch = scratch_dir_new(req->work_dir, e)) ||
		    !node_encode_file_stream(codec, req->path, scratch, src.id, e) ||
		    !read_metadata(scratch, &md, e))
			goto out;
		src.dir = scratch;
		src.md = md;
		out->size = md->unencoded_length;
	} else {
		if (!node_encode(codec, req->data, req->len, &blob, e))
			goto out;
		src.mem = blob;
		src.md = blob->metadata;
		memcpy(src.id, blob->blob_id, 32);
	}
	memcpy(out->blob_id, src.id, 32);
	audit_blob_id_text(out->blob_id_text, src.id);
	out->needed_shards = cm->n - p.f;
	if (cancelled(req->cancel, e) || (req->chain &&
					     !register_once(req, src.md->encoding_type, out, e)))
		goto out;
	/* A blob is certifiable once nodes holding n - f shards confirm. */
	upload_and_confirm(req, &src, out);
	if (!req->chain) {
		if (out->stored_shards < out->needed_shards) {
			out->stage = NODE_PUBLISH_TOO_FEW_STORED;
			err_set(e, "the blob reached only %zu of the %u shards it needs",
				out->stored_shards, out->needed_shards);
			goto out;
		}
	} else if (!out->already_certified) {
		if (out->confirmed_shards < out->needed_shards) {
			out->stage = NODE_PUBLISH_TOO_FEW_CONFIRMED;
			err_set(e, "blob %s is registered and paid for, but only nodes holding %zu of %u "
				   "shards confirmed storing it, and %u are needed to certify it (%zu "
				   "of %zu nodes confirmed)",
				out->blob_id_text, out->confirmed_shards, cm->n, out->needed_shards,
				out->confirmed_nodes, cm->count);
			goto out;
		}
		if (cancelled(req->cancel, e) ||
		    !node_blob_certify(req->chain, out->blob_id, out->confirmations,
				       out->nconfirmations, &out->cert, e)) {
			out->stage = NODE_PUBLISH_CERTIFY_FAILED;
			err_prefix(e, "blob %s is registered, paid for and stored on nodes holding %zu "
				      "of %u shards, but certifying it failed: ",
				   out->blob_id_text, out->stored_shards, cm->n);
			goto out;
		}
	}
	out->stage = NODE_PUBLISH_DONE;
	ok = true;
out:
	node_blob_free(blob);
	audit_metadata_free(md);
	if (scratch)
		scratch_dir_remove(scratch, cm->n);
	free(scratch);
	node_codec_free(codec);
	return ok;
}

void node_publish_result_clear(struct node_publish_result *r)
{
	if (!r)
		return;
	free(r->confirmations);
	memset(r, 0, sizeof(*r));
}

bool node_publish_save_confirmations(const struct node_publish_result *r, char *path,
				     size_t len, struct err *e)
{
	const char *tmp = getenv("TMPDIR");
	snprintf(path, len, "%s/assay-confirmations-%s.json", tmp && *tmp ? tmp : "/tmp",
		 r->blob_id_text);
	return node_confirmations_save(path, r->confirmations, r->nconfirmations, e);
}

static bool all_zero(const uint8_t h[32])
{
	for (int i = 0; i < 32; i++)
		if (h[i])
			return false;
	return true;
}

void node_publish_print_json(FILE *f, const struct node_publish_result *r, uint64_t epochs,
			     bool chain)
{
	fprintf(f, "{\"blob_id\":\"%s\",\"size\":%zu,\"n_shards\":%u,\"stored_shards\":%zu,"
		   "\"confirmed_shards\":%zu,\"confirmed_nodes\":%zu,\"needed_shards\":%u,"
		   "\"epochs\":%llu",
		r->blob_id_text, r->size, r->n_shards, r->stored_shards, r->confirmed_shards,
		r->confirmed_nodes, r->needed_shards, (unsigned long long)epochs);
	if (chain) {
		char rtx[65] = "", ctx[65] = "";
		if (!all_zero(r->reg.tx_hash))
			hex_encode(rtx, r->reg.tx_hash, 32);
		if (!all_zero(r->cert.tx_hash))
			hex_encode(ctx, r->cert.tx_hash, 32);
		fprintf(f, ",\"start_epoch\":%" PRIu64 ",\"end_epoch\":%" PRIu64 ","
			   "\"registration_tx\":%s%s%s,\"certified_epoch\":%" PRIu64 ","
			   "\"certified_block\":%" PRIu64 ",\"certification_tx\":%s%s%s",
			r->reg.start_epoch, r->reg.end_epoch, rtx[0] ? "\"0x" : "",
			rtx[0] ? rtx : "null", rtx[0] ? "\"" : "", r->cert.epoch, r->cert.block,
			ctx[0] ? "\"0x" : "", ctx[0] ? ctx : "null", ctx[0] ? "\"" : "");
	}
	fprintf(f, "}\n");
}

static void print_json(FILE *f, json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT);
	fprintf(f, "%s\n", t ? t : "null");
	free(t);
	json_decref(j);
}

void node_blob_registration_print(FILE *f, const struct node_blob_registration *r, bool json)
{
	char fd[CHAIN_U256_STRLEN];
	chain_u256_to_dec(&r->fee, fd);
	if (json)
		print_json(f, json_pack("{s:I,s:I,s:I,s:s}", "start_epoch", (json_int_t)r->start_epoch,
					"end_epoch", (json_int_t)r->end_epoch, "encoded_size",
					(json_int_t)r->encoded_size, "fee", fd));
	else
		fprintf(f, "registered for epochs %" PRIu64 " to %" PRIu64 " (encoded %" PRIu64
			   " bytes), fee %s\n",
			r->start_epoch, r->end_epoch - 1, r->encoded_size, fd);
}

void node_blob_certification_print(FILE *f, const struct node_blob_certification *c,
				   unsigned n_shards, bool json)
{
	if (json)
		print_json(f, json_pack("{s:I,s:I,s:I,s:I}", "epoch", (json_int_t)c->epoch, "block",
					(json_int_t)c->block, "confirmations",
					(json_int_t)c->confirmations, "shards", (json_int_t)c->shards));
	else
		fprintf(f, "certified in epoch %" PRIu64 " at block %" PRIu64 " by %zu nodes holding "
			   "%" PRIu64 " of %u shards\n",
			c->epoch, c->block, c->confirmations, c->shards, n_shards);
}
