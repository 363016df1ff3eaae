/* verdict.c: fraud proof 2 (see verdict.h). */
#include "settle/verdict.h"

#include <blake2.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit/auditor.h"
#include "audit/blob.h"
#include "audit/challenge.h"
#include "audit/daemon.h"
#include "audit/schedule.h"
#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/deployment.h"
#include "chain/session.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "node/answer.h"
#include "node/client.h"
#include "node/store.h"
#include "settle/chainio.h"
#include "settle/evblob.h"
#include "settle/evidence.h"

struct settle_verdict {
	uint64_t epoch;
	uint8_t auditor_id;
	struct settle_record rec;
	struct settle_evidence_proof proof;
	size_t nids;            /* ids in the record's request */
	bool metadata_answer;   /* bad_metadata: the body is the metadata answer blob_id ‖ metadata */
	bool matches;           /* BLAKE2b-256(body) is the record's response hash */
	bool failed;            /* the record is a failed verdict with a response hash */
	bool verifies;          /* the body verifies by the contract's rule */
	struct buf metadata;    /* bare BCS BlobMetadata: what the transaction carries */
	struct buf body;
	char what[512];
};

void settle_verdict_free(struct settle_verdict *v)
{
	if (!v)
		return;
	buf_free(&v->metadata);
	buf_free(&v->body);
	free(v);
}

static bool has_hash(const struct settle_record *r)
{
	static const uint8_t zero[32];
	return memcmp(r->response_hash, zero, 32) != 0;
}

/* ---- the public schedule of (epoch, auditor) from the chain ---- */

struct sched {
	struct audit_inputs own;       /* read here when the caller lends none */
	const struct audit_inputs *in; /* own, or the caller's */
	struct audit_schedule s;
	uint8_t secret[32];
};

static bool given_secret(void *arg, uint64_t epoch, uint8_t out[32], struct err *e)
{
	(void)epoch;
	(void)e;
	memcpy(out, arg, 32);
	return true;
}

static void sched_close(struct sched *x)
{
	audit_schedule_free(&x->s);
	audit_inputs_clear(&x->own);
	wipe(x->secret, sizeof(x->secret));
}

/* The epoch's inputs from the chain, as anyone recomputes the schedule. */
static bool sched_read(struct sched *x, struct chain_session *s, uint64_t confirmations,
		       uint64_t epoch, const uint8_t signer[20], struct err *e)
{
	struct audit_identity id;
	memset(&id, 0, sizeof(id));
	memcpy(id.auditor, signer, 20);
	id.secret = given_secret;
	id.arg = x->secret;
	return audit_inputs_public(&x->own, s, confirmations, &id, epoch, e);
}

/* What `assay audit plan --secret` schedules, from in (the epoch's inputs, lent; their
 * secret and auditor are not used) or, when in is NULL, from the inputs read here. */
static bool sched_open(struct sched *x, struct chain_session *s, uint64_t confirmations,
		       const struct audit_inputs *in, uint64_t epoch, const uint8_t signer[20],
		       const uint8_t secret[32], struct err *e)
{
	struct audit_schedule_params p;
	bool ok;
	memset(x, 0, sizeof(*x));
	memcpy(x->secret, secret, 32);
	if (!in) {
		if (!sched_read(x, s, confirmations, epoch, signer, e))
			goto fail;
		in = &x->own;
	}
	x->in = in;
	p = in->params;
	memcpy(p.secret, secret, 32);
	memcpy(p.auditor, signer, 20);
	ok = audit_auditor_schedule(&p, in->nodes, in->nnodes, in->blobs, in->nblobs, true, &x->s,
				    e);
	wipe(p.secret, sizeof(p.secret));
	if (ok)
		return true;
fail:
	err_prefix(e, "the schedule of epoch %" PRIu64 ": ", epoch);
	sched_close(x);
	return false;
}

/* ---- asking the node (or its store) again ---- */

static bool http_get(const char *url, const char *pin, size_t max_body, uint64_t timeout_ms,
		     struct audit_http_response *resp, struct err *e)
{
	struct audit_http_request req = {0};
	req.url = url;
	req.pinned_key = pin;
	req.max_body = max_body;
	req.timeout_ms = timeout_ms;
	if (!audit_http_request(&req, resp, e))
		return false;
	if (resp->transport != AUDIT_TRANSPORT_OK || resp->status != 200) {
		err_set(e, "GET %s: %s", url,
			resp->transport != AUDIT_TRANSPORT_OK ? resp->detail : "not 200 OK");
		audit_http_response_clear(resp);
		return false;
	}
	return true;
}

/* The blob's metadata, checked against its ID. */
static bool get_metadata(const struct settle_verdict_opts *o, const struct audit_auditor_node *nd,
			 const uint8_t blob[32], struct audit_metadata **md, struct err *e)
{
	*md = NULL;
	if (o->store) {
		if (!node_store_get_metadata(o->store, blob, md, e))
			return false;
		if (!*md)
			return err_set(e, "the node's store has no metadata of the record's blob");
		if (!audit_metadata_verify_id(*md, blob, e)) {
			audit_metadata_free(*md);
			*md = NULL;
			return false;
		}
		return true;
	}
	struct node_client nc = {nd->url, nd->pin, o->timeout_ms};
	if (node_client_get_metadata(&nc, blob, md, e))
		return true;
	err_prefix(e, "the node's metadata of the record's blob: ");
	return false;
}

/* The node's answer to the record's request (ids on axis); false with e when it has none. */
static bool get_symbols(const struct settle_verdict_opts *o, const struct audit_auditor_node *nd,
			const uint8_t blob[32], const struct audit_metadata *md,
			enum audit_proof_axis axis, const struct audit_symbol_id *ids, size_t n,
			struct buf *out, struct err *e)
{
	if (o->store) {
		size_t found;
		return node_answer_symbols(o->store, md->n_shards, blob, axis, ids, n, out, &found, e);
	}
	struct audit_params p;
	uint16_t ss;
	if (!audit_metadata_params(md, &p, &ss, e))
		return false;
	char *url = audit_symbols_url_new(nd->url, blob, ids, n, axis);
	struct audit_http_response resp = {0};
	bool ok = http_get(url, nd->pin, audit_symbols_body_limit(ss, AUDIT_MAX_IDS), o->timeout_ms,
			   &resp, e);
	if (ok)
		buf_append(out, resp.body, resp.body_len);
	audit_http_response_clear(&resp);
	free(url);
	return ok;
}

static void b2(uint8_t out[32], const struct buf *b)
{
	blake2b(out, b->data, NULL, 32, b->len, 0);
}

/* Record `index` of the tree (its record r): its request from the schedule, the body the
 * node gives for it, and whether that proves the verdict a lie. Fails only when the body
 * cannot be rebuilt at all. */
static bool prove(struct chain_session *s, const struct settle_verdict_opts *o,
		  const struct sched *sc, uint64_t epoch, uint8_t auditor_id,
		  const struct settle_evidence *ev, size_t index, const struct settle_record *r,
		  struct settle_verdict **out, struct err *e)
{
	struct settle_verdict *v = xcalloc(1, sizeof(*v));
	struct audit_metadata *md = NULL;
	struct audit_challenge c, run[AUDIT_MAX_IDS];
	struct audit_symbol_id ids[AUDIT_MAX_IDS];
	struct buf sym = BUF_INIT, meta_answer = BUF_INIT;
	struct err se = {{0}};
	size_t count = 0, pos = 0;
	bool ok = false, have_sym = false;
	v->epoch = epoch;
	v->auditor_id = auditor_id;
	v->rec = *r;
	v->failed = audit_outcome_on_body(r->outcome) && has_hash(r);
	settle_evidence_proof(ev, index, &v->proof);

	if (r->seq >= sc->s.nchallenges) {
		err_set(e, "the schedule has no challenge %" PRIu64 " (it has %zu)", r->seq,
			sc->s.nchallenges);
		goto out;
	}
	audit_schedule_challenge(&sc->s, r->seq, &c);
	if (memcmp(sc->in->nodes[c.node].id, r->node, 20) ||
	    memcmp(sc->in->blobs[c.blob].id, r->blob, 32) || c.symbol.primary != r->row ||
	    c.symbol.secondary != r->col || c.axis != r->axis) {
		err_set(e, "record %" PRIu64 " is not the challenge the schedule has at that seq "
			   "(fraud proof 3's matter, not this one's)",
			r->seq);
		goto out;
	}
	audit_schedule_request(&sc->s, r->seq, AUDIT_MAX_IDS, run, &count, &pos);
	for (size_t t = 0; t < count; t++)
		ids[t] = run[t].symbol;
	v->nids = count;
	const struct audit_auditor_node *nd = &sc->in->nodes[c.node];
	if (!get_metadata(o, nd, r->blob, &md, e))
		goto out;
	/* The outcome says which answer decided the record (the contract's rule too):
	 * bad_metadata the metadata request's, the others the symbols request's. */
	v->metadata_answer = r->outcome == AUDIT_OUTCOME_BAD_METADATA;
	uint8_t h[32];
	if (v->metadata_answer) {
		audit_metadata_with_id_write(&meta_answer, r->blob, md);
		b2(h, &meta_answer);
		v->matches = !memcmp(h, r->response_hash, 32);
		buf_append(&v->body, meta_answer.data, meta_answer.len);
	} else {
		/* The node may hold none of them now (a node that lost them answered 404 then). */
		have_sym = get_symbols(o, nd, r->blob, md, r->axis, ids, count, &sym, &se);
		if (have_sym) {
			b2(h, &sym);
			v->matches = !memcmp(h, r->response_hash, 32);
			buf_append(&v->body, sym.data, sym.len);
		}
	}
	struct err ve = {{0}};
	if (v->matches)
		v->verifies = audit_answer_verifies(v->body.data, v->body.len, r->blob, md,
						    s->dep.n_shards, c.symbol, c.axis,
						    v->metadata_answer, &ve);
	if (!v->metadata_answer)
		audit_metadata_write(&v->metadata, md);
	char sid[AUDIT_SYMBOL_ID_TEXT_MAX];
	audit_symbol_id_text(sid, c.symbol);
	if (!v->failed)
		snprintf(v->what, sizeof(v->what),
			 "record %" PRIu64 " is %s%s: not a failed verdict fraud proof 2 takes", r->seq,
			 audit_outcome_name(r->outcome), has_hash(r) ? "" : " with no response hash");
	else if (!v->matches)
		snprintf(v->what, sizeof(v->what),
			 "record %" PRIu64 " (%s, symbol %s %s): the node's %s%s%.200s%s does not "
			 "hash to the record's response hash",
			 r->seq, audit_outcome_name(r->outcome), sid, audit_proof_axis_name(r->axis),
			 v->metadata_answer ? "metadata answer" : "answer to the record's request",
			 have_sym || v->metadata_answer ? "" : " (", have_sym || v->metadata_answer ? "" : se.msg,
			 have_sym || v->metadata_answer ? "" : ")");
	else if (!v->verifies)
		snprintf(v->what, sizeof(v->what),
			 "record %" PRIu64 " (%s, symbol %s %s): the body it hashed does not verify "
			 "(%.300s): the verdict was true",
			 r->seq, audit_outcome_name(r->outcome), sid, audit_proof_axis_name(r->axis),
			 ve.msg);
	else
		snprintf(v->what, sizeof(v->what),
			 "auditor %u recorded challenge %" PRIu64 " (symbol %s %s) as %s, but the %s "
			 "answer it hashed verifies: fraud proof 2",
			 auditor_id, r->seq, sid, audit_proof_axis_name(r->axis),
			 audit_outcome_name(r->outcome), v->metadata_answer ? "metadata" : "symbols");
	*out = v;
	v = NULL;
	ok = true;
out:
	buf_free(&sym);
	buf_free(&meta_answer);
	audit_metadata_free(md);
	settle_verdict_free(v);
	return ok;
}

static bool provable(const struct settle_verdict *v)
{
	return v->failed && v->matches && v->verifies;
}

bool settle_verdict_build(struct chain_session *s, const struct settle_verdict_opts *o,
			  uint64_t epoch, uint8_t auditor_id, uint64_t seq,
			  struct settle_verdict **out, struct err *e)
{
	struct settle_chain *c = NULL;
	struct settle_reveal *rv = NULL;
	size_t k = 0, index = 0;
	uint8_t *data = NULL, root[32], signer[20];
	size_t len = 0;
	struct settle_evblob b;
	struct settle_evidence *ev = NULL;
	struct chain_abi_value *ret = NULL;
	struct sched sc;
	bool ok = false, sched_ok = false;
	static const uint8_t none[32];
	memset(&b, 0, sizeof(b));
	*out = NULL;
	if (!memcmp(s->dep.disputes, none, 20))
		return err_set(e, "the deployment has no Disputes contract (fraud proofs)");
	if (!settle_chain_new(&c, s->rpc, NULL, &s->dep, e) ||
	    !settle_chain_reveals(c, epoch, false, &rv, &k, e))
		goto out;
	const struct settle_reveal *r = NULL;
	for (size_t i = 0; i < k && !r; i++)
		if (rv[i].auditor_id == auditor_id)
			r = &rv[i];
	if (!r) {
		err_set(e, "auditor %u revealed nothing for epoch %" PRIu64, auditor_id, epoch);
		goto out;
	}
	if (!memcmp(r->evidence_blob, none, 32)) {
		err_set(e, "auditor %u's reveal of epoch %" PRIu64 " names no evidence blob",
			auditor_id, epoch);
		goto out;
	}
	struct chain_abi_value *args = chain_abi_tuple_new();
	chain_abi_push(args, chain_abi_uint_new(epoch));
	chain_abi_push(args, chain_abi_uint_new(auditor_id));
	if (!chain_bind_call(s->bind, s->dep.settlement, "revealSigners(uint64,uint8)(address)", args,
			     &ret, e) ||
	    !chain_abi_get_address(chain_abi_at(ret, 0), signer, e))
		goto out;
	if (!settle_evblob_fetch(s, o->confirmations, o->timeout_ms, r->evidence_blob, 0, &data, &len,
				 e) ||
	    !settle_evblob_decode(data, len, &b, e) ||
	    !settle_evidence_new(&ev, (const uint8_t(*)[20])b.committee, b.m, b.records, b.n, e)) {
		err_prefix(e, "auditor %u's evidence blob: ", auditor_id);
		goto out;
	}
	settle_evidence_root(ev, root);
	if (b.epoch != epoch || memcmp(b.auditor, signer, 20) || memcmp(root, r->evidence_root, 32)) {
		err_set(e, "auditor %u's evidence blob is not what it revealed (another epoch, auditor "
			   "or root): `assay dispute check` reports it",
			auditor_id);
		goto out;
	}
	if (!settle_evidence_find(ev, seq, &index)) {
		err_set(e, "auditor %u's evidence of epoch %" PRIu64 " has no record %" PRIu64,
			auditor_id, epoch, seq);
		goto out;
	}
	if (!sched_open(&sc, s, o->confirmations, NULL, epoch, signer, r->secret, e))
		goto out;
	sched_ok = true;
	ok = prove(s, o, &sc, epoch, auditor_id, ev, index, &b.records[index], out, e);
out:
	if (sched_ok)
		sched_close(&sc);
	chain_abi_value_free(ret);
	settle_evidence_free(ev);
	settle_evblob_clear(&b);
	free(data);
	settle_reveals_free(rv, k);
	settle_chain_free(c);
	return ok;
}

bool settle_verdict_find(struct chain_session *s, const struct settle_verdict_opts *o,
			 uint64_t epoch, uint8_t auditor_id, const uint8_t secret[32],
			 const struct audit_inputs *in, const struct settle_evblob *b,
			 const struct settle_evidence *ev, size_t index,
			 struct settle_verdict **out, struct err *e)
{
	struct sched sc;
	bool opened = false;
	*out = NULL;
	for (size_t i = 0; i < b->n && !*out; i++) {
		const struct settle_record *r = &b->records[i];
		size_t at = 0, ri = 0;
		if (!audit_outcome_on_body(r->outcome) || !has_hash(r) ||
		    !settle_evidence_node_index(ev, r->node, &at) || at != index ||
		    !settle_evidence_find(ev, r->seq, &ri))
			continue;
		if (!opened &&
		    !sched_open(&sc, s, o->confirmations, in, epoch, b->auditor, secret, e))
			return false;
		opened = true;
		struct settle_verdict *v = NULL;
		struct err pe = {{0}};
		if (!prove(s, o, &sc, epoch, auditor_id, ev, ri, r, &v, &pe))
			log_info("dispute: epoch %" PRIu64 ": auditor %u's record %" PRIu64 ": %s", epoch,
				 auditor_id, r->seq, pe.msg);
		else if (provable(v))
			*out = v;
		else {
			log_info("dispute: epoch %" PRIu64 ": auditor %u: %s", epoch, auditor_id, v->what);
			settle_verdict_free(v);
		}
	}
	if (opened)
		sched_close(&sc);
	return true;
}

bool settle_verdict_submit(struct settle_chain *c, const struct settle_verdict *v, struct err *e)
{
	if (!provable(v))
		return err_set(e, "nothing to prove: %s", v->what);
	struct chain_bind *bind = settle_chain_bind(c);
	const struct chain_deployment *d = chain_bind_deployment(bind);
	const struct settle_evidence_proof *p = &v->proof;
	uint8_t rec[SETTLE_EVIDENCE_RECORD_LEN];
	struct settle_sum leaf;
	settle_record_encode(&v->rec, rec);
	settle_record_leaf(&v->rec, &leaf);
	/* Entry{index, node, SumNode sub, bytes32[] topPath} */
	struct chain_abi_value *sub = chain_abi_tuple_new(), *top = chain_abi_array_new(),
			       *entry = chain_abi_tuple_new(), *path = chain_abi_array_new(),
			       *rp = chain_abi_tuple_new();
	chain_abi_push(sub, chain_abi_fixed_bytes_new(p->sub.h, 32));
	chain_abi_push(sub, chain_abi_uint_new(p->sub.passed));
	chain_abi_push(sub, chain_abi_uint_new(p->sub.decided));
	for (size_t i = 0; i < p->top_len; i++)
		chain_abi_push(top, chain_abi_fixed_bytes_new(p->top_path[i], 32));
	chain_abi_push(entry, chain_abi_uint_new(p->index));
	chain_abi_push(entry, chain_abi_address_new(p->node));
	chain_abi_push(entry, sub);
	chain_abi_push(entry, top);
	/* RecordProof{Entry entry, bytes record, uint32 passed, uint32 decided, uint256 pos,
	 * SumNode[] path} */
	for (size_t i = 0; i < p->sub_len; i++) {
		struct chain_abi_value *n = chain_abi_tuple_new();
		chain_abi_push(n, chain_abi_fixed_bytes_new(p->sub_path[i].h, 32));
		chain_abi_push(n, chain_abi_uint_new(p->sub_path[i].passed));
		chain_abi_push(n, chain_abi_uint_new(p->sub_path[i].decided));
		chain_abi_push(path, n);
	}
	chain_abi_push(rp, entry);
	chain_abi_push(rp, chain_abi_bytes_new(rec, sizeof(rec)));
	chain_abi_push(rp, chain_abi_uint_new(leaf.passed));
	chain_abi_push(rp, chain_abi_uint_new(leaf.decided));
	chain_abi_push(rp, chain_abi_uint_new(p->pos));
	chain_abi_push(rp, path);
	struct chain_abi_value *a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_uint_new(v->epoch));
	chain_abi_push(a, chain_abi_uint_new(v->auditor_id));
	chain_abi_push(a, rp);
	chain_abi_push(a, chain_abi_bytes_new(v->metadata.data, v->metadata.len));
	chain_abi_push(a, chain_abi_bytes_new(v->body.data, v->body.len));
	char purpose[96];
	snprintf(purpose, sizeof(purpose),
		 "settle dispute epoch %" PRIu64 " auditor %u verdict seq %" PRIu64, v->epoch,
		 v->auditor_id, v->rec.seq);
	if (!chain_bind_send(bind, d->disputes,
			     "disputeVerdict(uint64,uint8,((uint256,address,(bytes32,uint32,uint32),"
			     "bytes32[]),bytes,uint32,uint32,uint256,(bytes32,uint32,uint32)[]),bytes,"
			     "bytes)",
			     a, purpose, NULL, e))
		return false;
	log_info("settle: %s landed", purpose);
	return true;
}

const char *settle_verdict_what(const struct settle_verdict *v)
{
	return v->what;
}

uint64_t settle_verdict_seq(const struct settle_verdict *v)
{
	return v->rec.seq;
}

bool settle_verdict_provable(const struct settle_verdict *v)
{
	return provable(v);
}

const uint8_t *settle_verdict_body(const struct settle_verdict *v, size_t *len)
{
	*len = v->body.len;
	return v->body.data;
}

void settle_verdict_print(FILE *f, const struct settle_verdict *v, const bool *submitted,
			  bool json)
{
	char h[67] = "0x", node[43], sid[AUDIT_SYMBOL_ID_TEXT_MAX];
	hex_encode(h + 2, v->rec.response_hash, 32);
	chain_address_checksum(node, v->rec.node);
	struct audit_symbol_id id = {v->rec.row, v->rec.col};
	audit_symbol_id_text(sid, id);
	if (!json) {
		fprintf(f, "%s\n", v->what);
		fprintf(f, "  record %" PRIu64 " of auditor %u, epoch %" PRIu64
			   ": node %s, %s, response hash %s\n",
			v->rec.seq, v->auditor_id, v->epoch, node,
			audit_outcome_name(v->rec.outcome), h);
		fprintf(f, "  body: %zu bytes (%s answer, request of %zu id(s))%s%s\n", v->body.len,
			v->metadata_answer ? "metadata" : "symbols", v->nids,
			v->matches ? ", hashes to the response hash" : "",
			submitted ? (*submitted ? "; proof submitted" : "; not submitted") : "");
		return;
	}
	uint8_t bh[32];
	char bhx[67] = "0x";
	blake2b(bh, v->body.data, NULL, 32, v->body.len, 0);
	hex_encode(bhx + 2, bh, 32);
	json_t *j = json_pack("{sI sI sI ss ss ss ss ss sI ss sI sb sb sb sb ss}", "epoch",
			      (json_int_t)v->epoch, "auditor_id", (json_int_t)v->auditor_id, "seq",
			      (json_int_t)v->rec.seq, "node", node, "outcome",
			      audit_outcome_name(v->rec.outcome), "symbol", sid, "axis",
			      audit_proof_axis_name(v->rec.axis), "response_hash", h, "body_bytes",
			      (json_int_t)v->body.len, "answer",
			      v->metadata_answer ? "metadata" : "symbols", "ids", (json_int_t)v->nids,
			      "matches", v->matches, "failed_verdict", v->failed, "verifies",
			      v->verifies, "provable", provable(v), "what", v->what);
	json_object_set_new(j, "body_blake2b", json_string(bhx));
	if (submitted)
		json_object_set_new(j, "submitted", json_boolean(*submitted));
	char *t = json_dumps(j, JSON_COMPACT);
	fprintf(f, "%s\n", t);
	free(t);
	json_decref(j);
}
