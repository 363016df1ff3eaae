/* chainio.c: the settle job's contract calls beyond chain/bindings.h (see chainio.h). */
#include "settle/chainio.h"
#include "settle/evidence.h"

#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/deployment.h"
#include "chain/reader.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "settle/attest.h"
#include "settle/secret.h"

struct settle_chain {
	struct chain_rpc *rpc;
	struct chain_sender *sender;
	struct chain_bind *bind;
	struct chain_deployment d;
};

bool settle_chain_new(struct settle_chain **out, struct chain_rpc *rpc,
		      struct chain_sender *sender, const struct chain_deployment *d,
		      struct err *e)
{
	struct settle_chain *c = xcalloc(1, sizeof(*c));
	c->rpc = rpc;
	c->sender = sender;
	c->d = *d;
	*out = NULL;
	if (!chain_bind_new(&c->bind, rpc, sender, d, NULL, e)) {
		free(c);
		return false;
	}
	*out = c;
	return true;
}

void settle_chain_free(struct settle_chain *c)
{
	if (!c)
		return;
	chain_bind_free(c->bind);
	free(c);
}

struct chain_rpc *settle_chain_rpc(struct settle_chain *c)
{
	return c->rpc;
}

struct chain_bind *settle_chain_bind(struct settle_chain *c)
{
	return c->bind;
}

/* ---- views ---- */

static struct chain_abi_value *t_u64_u8(uint64_t v, uint8_t a)
{
	return chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(v)),
			      chain_abi_uint_new(a));
}

bool settle_chain_now(struct settle_chain *c, uint64_t *block, uint64_t *timestamp,
		      struct err *e)
{
	struct chain_block b;
	bool found = false;
	if (!chain_rpc_get_block(c->rpc, "latest", &b, &found, e))
		return false;
	if (!found)
		return err_set(e, "the node has no latest block");
	if (block)
		*block = b.number;
	if (timestamp)
		*timestamp = b.timestamp;
	return true;
}

bool settle_chain_committee(struct settle_chain *c, uint64_t epoch, uint8_t (**nodes)[20],
			    uint16_t **shards, size_t *m, uint8_t hash[32], struct err *e)
{
	struct chain_committee cm;
	struct chain_epoch_info info;
	*nodes = NULL;
	if (shards)
		*shards = NULL;
	*m = 0;
	if (!chain_staking_committee(c->bind, epoch, &cm, e))
		return false;
	if (!chain_staking_epoch_info(c->bind, epoch, &info, e)) {
		chain_committee_clear(&cm);
		return false;
	}
	memcpy(hash, info.committee_hash, 32);
	*nodes = cm.nodes;
	*m = cm.n;
	if (shards) {
		*shards = cm.shards;
		cm.shards = NULL;
	}
	cm.nodes = NULL;
	chain_committee_clear(&cm);
	return true;
}

bool settle_chain_find_auditor(struct settle_chain *c, const uint8_t signer[20], uint8_t *id,
			       bool *found, struct err *e)
{
	struct chain_abi_sig *sig = NULL;
	struct chain_logs l = {0, NULL};
	struct chain_auditor *a = NULL;
	size_t n = 0;
	*found = false;
	/* As of the head, like every other read of the settle job, through the event store
	 * when there is one (the same AuditorSet events chain_reader_auditors reads). */
	bool ok = chain_bind_logs(c->bind, c->d.settlement, CHAIN_AUDITOR_SET_EVENT, NULL, NULL,
				  &sig, &l, e) &&
		  chain_auditors_from_logs(sig, &l, &a, &n, e);
	for (size_t i = 0; ok && i < n; i++)
		if (!memcmp(a[i].signer, signer, 20) && (!*found || a[i].active)) {
			*id = a[i].id; /* an active id wins over an old one */
			*found = true;
		}
	free(a);
	chain_logs_clear(&l);
	chain_abi_sig_free(sig);
	return ok;
}

/* ---- events ---- */

void settle_reveals_free(struct settle_reveal *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].passed);
		free(v[i].decided);
	}
	free(v);
}

static bool u32_array(const struct chain_abi_value *a, uint32_t **out, size_t *m, struct err *e)
{
	if (!a)
		return err_set(e, "a counts array is missing");
	*out = xcalloc(a->n ? a->n : 1, sizeof(uint32_t));
	*m = a->n;
	for (size_t i = 0; i < a->n; i++) {
		uint64_t x;
		if (!chain_abi_get_u64(a->items[i], &x, e))
			return false;
		(*out)[i] = (uint32_t)x;
	}
	return true;
}

/* The reveal's signature from its transaction's calldata. */
static bool reveal_sig(struct settle_chain *c, const uint8_t tx[32], uint8_t sig65[65],
		       struct err *e)
{
	char h[67] = "0x";
	hex_encode(h + 2, tx, 32);
	json_t *params = json_pack("[s]", h), *res = NULL;
	struct chain_abi_sig *sig = NULL;
	struct chain_abi_value *v = NULL;
	struct buf input = BUF_INIT;
	bool ok = false;
	if (!chain_rpc_call_json(c->rpc, "eth_getTransactionByHash", params, &res, e))
		goto out;
	const char *in = json_string_value(json_object_get(res, "input"));
	if (!in)
		in = json_string_value(json_object_get(res, "data"));
	if (!in || !hex_decode_buf(&input, in, e)) {
		err_set(e, "the reveal transaction has no readable input");
		goto out;
	}
	if (!chain_abi_sig_parse("revealAttestation(uint64,uint8,bytes32,uint32[],uint32[],bytes32,"
				 "bytes32,bytes32,bytes)",
				 &sig, e) ||
	    !chain_abi_decode_call(sig, input.data, input.len, &v, e)) {
		err_prefix(e, "the reveal was not a direct revealAttestation call: ");
		goto out;
	}
	const struct chain_abi_value *s = chain_abi_at(v, 8);
	if (!s || s->len != 65) {
		err_set(e, "the reveal's signature is not 65 bytes");
		goto out;
	}
	memcpy(sig65, s->bytes, 65);
	ok = true;
out:
	json_decref(res);
	chain_abi_value_free(v);
	chain_abi_sig_free(sig);
	buf_free(&input);
	return ok;
}

bool settle_chain_reveals(struct settle_chain *c, uint64_t epoch, bool with_sig,
			  struct settle_reveal **out, size_t *n, struct err *e)
{
	struct chain_abi_sig *rs = NULL, *cs = NULL;
	struct chain_logs rl = {0}, cl = {0};
	uint8_t t1[32];
	struct settle_reveal *v = NULL;
	size_t k = 0;
	bool ok = false;
	*out = NULL;
	*n = 0;
	chain_topic_u64(t1, epoch);
	if (!chain_bind_logs(c->bind, c->d.settlement,
		  "event AttestationRevealed(uint64 indexed epoch, uint8 indexed auditorId, bytes32 "
		  "committeeHash, bytes32 countsHash, bytes32 evidenceRoot, bytes32 evidenceBlob, "
		  "bytes32 secret)",
		  t1, NULL, &rs, &rl, e) ||
	    !chain_bind_logs(c->bind, c->d.settlement,
		  "event AttestationCounts(uint64 indexed epoch, uint8 indexed auditorId, uint32[] "
		  "passed, uint32[] decided)",
		  t1, NULL, &cs, &cl, e))
		goto out;
	v = xcalloc(rl.n ? rl.n : 1, sizeof(*v));
	for (size_t i = 0; i < rl.n; i++) {
		struct chain_abi_value *d = NULL;
		struct settle_reveal *r = &v[k];
		uint64_t a = 0;
		bool good = chain_abi_decode_log(rs, (const uint8_t(*)[32])rl.v[i].topics,
						 rl.v[i].ntopics, rl.v[i].data, rl.v[i].data_len, &d, e) &&
			    chain_abi_get_u64(chain_abi_at(d, 1), &a, e) &&
			    chain_abi_get_bytes32(chain_abi_at(d, 2), r->committee_hash, e) &&
			    chain_abi_get_bytes32(chain_abi_at(d, 3), r->counts_hash, e) &&
			    chain_abi_get_bytes32(chain_abi_at(d, 4), r->evidence_root, e) &&
			    chain_abi_get_bytes32(chain_abi_at(d, 5), r->evidence_blob, e) &&
			    chain_abi_get_bytes32(chain_abi_at(d, 6), r->secret, e);
		chain_abi_value_free(d);
		if (!good)
			goto out;
		r->epoch = epoch;
		r->auditor_id = (uint8_t)a;
		memcpy(r->tx_hash, rl.v[i].tx_hash, 32);
		r->block = rl.v[i].block_number;
		bool have_counts = false;
		for (size_t j = 0; j < cl.n && !have_counts; j++) {
			if (memcmp(cl.v[j].tx_hash, r->tx_hash, 32) ||
			    memcmp(cl.v[j].topics[2], rl.v[i].topics[2], 32))
				continue;
			struct chain_abi_value *cv = NULL;
			size_t m1 = 0, m2 = 0;
			good = chain_abi_decode_log(cs, (const uint8_t(*)[32])cl.v[j].topics,
						    cl.v[j].ntopics, cl.v[j].data, cl.v[j].data_len,
						    &cv, e) &&
			       u32_array(chain_abi_at(cv, 2), &r->passed, &m1, e) &&
			       u32_array(chain_abi_at(cv, 3), &r->decided, &m2, e);
			chain_abi_value_free(cv);
			if (!good || m1 != m2) {
				k++;
				err_set(e, "the counts revealed by auditor %u for epoch %" PRIu64
					   " do not decode",
					r->auditor_id, epoch);
				goto out;
			}
			r->m = m1;
			have_counts = true;
		}
		k++;
		if (!have_counts) {
			err_set(e, "auditor %u's reveal for epoch %" PRIu64 " has no counts event",
				r->auditor_id, epoch);
			goto out;
		}
		if (with_sig && !reveal_sig(c, r->tx_hash, r->sig, e)) {
			err_prefix(e, "auditor %u's reveal for epoch %" PRIu64 ": ", r->auditor_id, epoch);
			goto out;
		}
	}
	/* ascending auditor id (finalizeEpoch needs that order) */
	for (size_t i = 1; i < k; i++)
		for (size_t j = i; j > 0 && v[j - 1].auditor_id > v[j].auditor_id; j--) {
			struct settle_reveal t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*out = v;
	*n = k;
	v = NULL;
	ok = true;
out:
	settle_reveals_free(v, k);
	chain_logs_clear(&rl);
	chain_logs_clear(&cl);
	chain_abi_sig_free(rs);
	chain_abi_sig_free(cs);
	return ok;
}

bool settle_chain_disputes(struct settle_chain *c, uint64_t epoch,
			   struct settle_dispute_event **out, size_t *n, struct err *e)
{
	struct chain_abi_sig *sig = NULL;
	struct chain_logs l = {0};
	uint8_t t1[32];
	*out = NULL;
	*n = 0;
	chain_topic_u64(t1, epoch);
	bool ok = chain_bind_logs(c->bind, c->d.settlement,
				  "event AttestationDisputed(uint64 indexed epoch, uint8 indexed "
				  "auditorId, address indexed disputer, uint8 kind, uint256 reward, "
				  "uint256 burned)",
				  t1, NULL, &sig, &l, e);
	struct settle_dispute_event *v = xcalloc(l.n ? l.n : 1, sizeof(*v));
	for (size_t i = 0; ok && i < l.n; i++) {
		struct chain_abi_value *d = NULL;
		uint64_t a = 0, k = 0;
		ok = chain_abi_decode_log(sig, (const uint8_t(*)[32])l.v[i].topics, l.v[i].ntopics,
					  l.v[i].data, l.v[i].data_len, &d, e) &&
		     chain_abi_get_u64(chain_abi_at(d, 1), &a, e) &&
		     chain_abi_get_address(chain_abi_at(d, 2), v[i].disputer, e) &&
		     chain_abi_get_u64(chain_abi_at(d, 3), &k, e) &&
		     chain_abi_get_u256(chain_abi_at(d, 4), &v[i].reward, e) &&
		     chain_abi_get_u256(chain_abi_at(d, 5), &v[i].burned, e);
		chain_abi_value_free(d);
		v[i].auditor_id = (uint8_t)a;
		v[i].kind = (uint8_t)k;
		memcpy(v[i].tx_hash, l.v[i].tx_hash, 32);
		v[i].block = l.v[i].block_number;
	}
	if (ok) {
		*out = v;
		*n = l.n;
	} else {
		free(v);
	}
	chain_logs_clear(&l);
	chain_abi_sig_free(sig);
	return ok;
}

bool settle_chain_bond(struct settle_chain *c, uint8_t auditor_id, struct chain_u256 *bond,
		       uint64_t *locked_until, struct err *e)
{
	struct chain_abi_value *r = NULL, *u = NULL;
	bool ok = chain_bind_call(c->bind, c->d.settlement, "bonds(uint8)(uint256)",
				  chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(auditor_id)),
				  &r, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 0), bond, e) &&
		  chain_bind_call(c->bind, c->d.settlement, "bondLockedUntil(uint8)(uint64)",
				  chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(auditor_id)),
				  &u, e) &&
		  chain_abi_get_u64(chain_abi_at(u, 0), locked_until, e);
	chain_abi_value_free(r);
	chain_abi_value_free(u);
	return ok;
}

bool settle_chain_reveal_signer(struct settle_chain *c, uint64_t epoch, uint8_t auditor_id,
				uint8_t signer[20], struct err *e)
{
	struct chain_abi_value *r = NULL;
	bool ok = chain_bind_call(c->bind, c->d.settlement, "revealSigners(uint64,uint8)(address)",
				  chain_abi_push(chain_abi_push(chain_abi_tuple_new(),
								chain_abi_uint_new(epoch)),
						 chain_abi_uint_new(auditor_id)),
				  &r, e) &&
		  chain_abi_get_address(chain_abi_at(r, 0), signer, e);
	chain_abi_value_free(r);
	return ok;
}

bool settle_chain_node_scored(struct settle_chain *c, uint64_t from_epoch, uint64_t to_epoch,
			      const uint8_t *node, struct settle_node_scored **out, size_t *n,
			      struct err *e)
{
	struct chain_abi_sig *sig = NULL;
	struct chain_logs l = {0};
	uint8_t t2[32];
	*out = NULL;
	*n = 0;
	if (node)
		chain_topic_address(t2, node);
	bool ok = chain_bind_logs(c->bind, c->d.settlement,
		       "event NodeScored(uint64 indexed epoch, address indexed node, uint256 score, "
		       "uint256 reward, bool penalized, uint256 slashed)",
		       NULL, node ? t2 : NULL, &sig, &l, e);
	struct settle_node_scored *v = xcalloc(l.n ? l.n : 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; ok && i < l.n; i++) {
		struct chain_abi_value *d = NULL;
		struct settle_node_scored *s = &v[k];
		ok = chain_abi_decode_log(sig, (const uint8_t(*)[32])l.v[i].topics, l.v[i].ntopics,
					  l.v[i].data, l.v[i].data_len, &d, e) &&
		     chain_abi_get_u64(chain_abi_at(d, 0), &s->epoch, e) &&
		     chain_abi_get_address(chain_abi_at(d, 1), s->node, e) &&
		     chain_abi_get_u256(chain_abi_at(d, 2), &s->score, e) &&
		     chain_abi_get_u256(chain_abi_at(d, 3), &s->reward, e) &&
		     chain_abi_get_bool(chain_abi_at(d, 4), &s->penalized, e) &&
		     chain_abi_get_u256(chain_abi_at(d, 5), &s->slashed, e);
		chain_abi_value_free(d);
		memcpy(s->tx_hash, l.v[i].tx_hash, 32);
		if (ok && s->epoch >= from_epoch && s->epoch <= to_epoch)
			k++;
	}
	chain_logs_clear(&l);
	chain_abi_sig_free(sig);
	if (!ok) {
		free(v);
		return false;
	}
	*out = v;
	*n = k;
	return true;
}

bool settle_chain_commit_tx(struct settle_chain *c, uint64_t epoch, uint8_t id,
			    uint8_t tx_hash[32], bool *found, struct err *e)
{
	struct chain_abi_sig *sig = NULL;
	struct chain_logs l = {0};
	uint8_t t1[32], t2[32];
	chain_topic_u64(t1, epoch);
	chain_topic_u64(t2, id);
	*found = false;
	bool ok = chain_bind_logs(c->bind, c->d.settlement,
		       "event AttestationCommitted(uint64 indexed epoch, uint8 indexed auditorId, "
		       "bytes32 attestationDigest)",
		       t1, t2, &sig, &l, e);
	if (ok && l.n) { /* the newest */
		memcpy(tx_hash, l.v[l.n - 1].tx_hash, 32);
		*found = true;
	}
	chain_logs_clear(&l);
	chain_abi_sig_free(sig);
	return ok;
}

/* ---- transactions ---- */

void settle_crash_point(const char *name)
{
	const char *at = getenv("ASSAY_TEST_CRASH_AT");
	if (at && !strcmp(at, name)) {
		fprintf(stderr, "ASSAY_TEST_CRASH_AT=%s: killing the process\n", name);
		raise(SIGKILL);
	}
}

bool settle_test_skip_local_checks(void)
{
	const char *v = getenv("ASSAY_TEST_SKIP_LOCAL_CHECKS");
	return v && !strcmp(v, "1");
}

/* Arms the sender's own crash points (after_save, after_broadcast) for one step only:
 * ASSAY_TEST_CRASH_AT=commit:after_save fires in the commit's submission and nowhere
 * else. */
static void arm_sender_crash(const char *step)
{
	static char orig[64];
	static bool init;
	if (!init) {
		const char *at = getenv("ASSAY_TEST_CRASH_AT");
		snprintf(orig, sizeof(orig), "%s", at ? at : "");
		init = true;
	}
	const char *colon = strchr(orig, ':');
	if (!colon)
		return;
	size_t l = (size_t)(colon - orig);
	if (strlen(step) == l && !strncmp(orig, step, l))
		setenv("ASSAY_TEST_CRASH_AT", colon + 1, 1);
	else
		unsetenv("ASSAY_TEST_CRASH_AT");
}

static bool send(struct settle_chain *c, const char *step, const uint8_t to[20],
		 const char *sigtext, struct chain_abi_value *args, const char *purpose,
		 struct err *e)
{
	if (!c->sender) {
		chain_abi_value_free(args);
		return err_set(e, "no gas key: cannot send %s", purpose);
	}
	arm_sender_crash(step);
	if (!chain_bind_send(c->bind, to, sigtext, args, purpose, NULL, e))
		return false;
	log_info("settle: %s landed", purpose);
	return true;
}

bool settle_chain_advance(struct settle_chain *c, uint64_t to_epoch, struct err *e)
{
	char p[64];
	snprintf(p, sizeof(p), "settle advance to epoch %" PRIu64, to_epoch);
	return send(c, "advance", c->d.staking, "advanceEpoch()", chain_abi_tuple_new(), p, e);
}

static void purpose_of(char *out, size_t len, const char *step, uint64_t epoch, uint8_t id)
{
	snprintf(out, len, "settle %s epoch %" PRIu64 " auditor %u", step, epoch, id);
}

bool settle_chain_commit_secret(struct settle_chain *c, uint64_t epoch, uint8_t id,
				const uint8_t secret_hash[32], const uint8_t sig[65], struct err *e)
{
	char p[64];
	purpose_of(p, sizeof(p), "secret", epoch, id);
	struct chain_abi_value *a = t_u64_u8(epoch, id);
	chain_abi_push(a, chain_abi_fixed_bytes_new(secret_hash, 32));
	chain_abi_push(a, chain_abi_bytes_new(sig, 65));
	return send(c, "secret", c->d.settlement, "commitSecret(uint64,uint8,bytes32,bytes)", a, p, e);
}

bool settle_chain_commit_attestation(struct settle_chain *c, uint64_t epoch, uint8_t id,
				     const uint8_t digest[32], const uint8_t sig[65], struct err *e)
{
	char p[64];
	purpose_of(p, sizeof(p), "commit", epoch, id);
	struct chain_abi_value *a = t_u64_u8(epoch, id);
	chain_abi_push(a, chain_abi_fixed_bytes_new(digest, 32));
	chain_abi_push(a, chain_abi_bytes_new(sig, 65));
	return send(c, "commit", c->d.settlement, "commitAttestation(uint64,uint8,bytes32,bytes)", a,
		    p, e);
}

static struct chain_abi_value *u32s(const uint32_t *v, size_t m)
{
	struct chain_abi_value *a = chain_abi_array_new();
	for (size_t i = 0; i < m; i++)
		chain_abi_push(a, chain_abi_uint_new(v[i]));
	return a;
}

bool settle_chain_reveal(struct settle_chain *c, uint64_t epoch, uint8_t id,
			 const uint8_t committee_hash[32], const uint32_t *passed,
			 const uint32_t *decided, size_t m, const uint8_t evidence_root[32],
			 const uint8_t evidence_blob[32], const uint8_t secret[32], const uint8_t sig[65],
			 struct err *e)
{
	char p[64];
	purpose_of(p, sizeof(p), "reveal", epoch, id);
	struct chain_abi_value *a = t_u64_u8(epoch, id);
	chain_abi_push(a, chain_abi_fixed_bytes_new(committee_hash, 32));
	chain_abi_push(a, u32s(passed, m));
	chain_abi_push(a, u32s(decided, m));
	chain_abi_push(a, chain_abi_fixed_bytes_new(evidence_root, 32));
	chain_abi_push(a, chain_abi_fixed_bytes_new(evidence_blob, 32));
	chain_abi_push(a, chain_abi_fixed_bytes_new(secret, 32));
	chain_abi_push(a, chain_abi_bytes_new(sig, 65));
	return send(c, "reveal", c->d.settlement,
		    "revealAttestation(uint64,uint8,bytes32,uint32[],uint32[],bytes32,bytes32,bytes32,"
		    "bytes)",
		    a, p, e);
}

bool settle_chain_finalize(struct settle_chain *c, uint64_t epoch,
			   const struct settle_reveal *rv, size_t k, size_t from, size_t to,
			   struct err *e)
{
	char p[96];
	snprintf(p, sizeof(p), "settle finalize epoch %" PRIu64 " positions %zu..%zu", epoch, from,
		 to - 1);
	struct chain_abi_value *ids = chain_abi_array_new(), *ps = chain_abi_array_new(),
			       *ds = chain_abi_array_new();
	for (size_t j = 0; j < k; j++) {
		chain_abi_push(ids, chain_abi_uint_new(rv[j].auditor_id));
		chain_abi_push(ps, u32s(rv[j].passed, rv[j].m));
		chain_abi_push(ds, u32s(rv[j].decided, rv[j].m));
	}
	struct chain_abi_value *a = chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(epoch));
	chain_abi_push(a, ids);
	chain_abi_push(a, ps);
	chain_abi_push(a, ds);
	chain_abi_push(a, chain_abi_uint_new(to));
	return send(c, "finalize", c->d.settlement,
		    "finalizeEpoch(uint64,uint8[],uint32[][],uint32[][],uint256)", a, p, e);
}

bool settle_chain_dispute_node_total(struct settle_chain *c, uint64_t epoch, uint8_t id,
				     const uint32_t *passed, const uint32_t *decided, size_t m,
				     const struct settle_evidence_proof *p, struct err *e)
{
	char pu[80];
	snprintf(pu, sizeof(pu), "settle dispute epoch %" PRIu64 " auditor %u node total %zu", epoch,
		 id, p->index);
	struct chain_abi_value *a = t_u64_u8(epoch, id);
	chain_abi_push(a, u32s(passed, m));
	chain_abi_push(a, u32s(decided, m));
	struct chain_abi_value *sub = chain_abi_tuple_new(), *path = chain_abi_array_new(),
			       *pr = chain_abi_tuple_new();
	chain_abi_push(sub, chain_abi_fixed_bytes_new(p->sub.h, 32));
	chain_abi_push(sub, chain_abi_uint_new(p->sub.passed));
	chain_abi_push(sub, chain_abi_uint_new(p->sub.decided));
	for (size_t i = 0; i < p->top_len; i++)
		chain_abi_push(path, chain_abi_fixed_bytes_new(p->top_path[i], 32));
	chain_abi_push(pr, chain_abi_uint_new(p->index));
	chain_abi_push(pr, chain_abi_address_new(p->node));
	chain_abi_push(pr, sub);
	chain_abi_push(pr, path);
	chain_abi_push(a, pr);
	return send(c, "dispute", c->d.settlement,
		    "disputeNodeTotal(uint64,uint8,uint32[],uint32[],(uint256,address,(bytes32,uint32,"
		    "uint32),bytes32[]))",
		    a, pu, e);
}

bool settle_chain_void(struct settle_chain *c, uint64_t epoch, struct err *e)
{
	char p[64];
	snprintf(p, sizeof(p), "settle void epoch %" PRIu64, epoch);
	return send(c, "void", c->d.settlement, "voidEpoch(uint64)",
		    chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(epoch)), p, e);
}

bool settle_chain_verify_reveal(struct settle_chain *c, const struct settle_domain *dom,
				uint64_t epoch, const struct settle_reveal *r,
				const uint8_t committee_hash[32], uint8_t reg[20], char **problems_out,
				struct err *e)
{
	struct settle_attestation a = {.epoch = epoch};
	struct buf problems = BUF_INIT;
	uint8_t digest[32], signer[20], payee[20], counts[32], sh[32], onchain_sh[32], commit[32];
	bool active = false;
	*problems_out = NULL;
	memcpy(a.committee_hash, r->committee_hash, 32);
	memcpy(a.counts_hash, r->counts_hash, 32);
	memcpy(a.evidence_root, r->evidence_root, 32);
	memcpy(a.evidence_blob, r->evidence_blob, 32);
	memcpy(a.secret, r->secret, 32);
	settle_attestation_digest(dom, &a, digest);
	settle_counts_hash(r->passed, r->decided, r->m, counts);
	settle_secret_hash(r->secret, sh);
	struct chain_bind *b = settle_chain_bind(c);
	if (!chain_settlement_auditor(b, r->auditor_id, reg, payee, &active, e) ||
	    !chain_settlement_secret_hash(b, epoch, r->auditor_id, onchain_sh, e) ||
	    !chain_settlement_commit(b, epoch, r->auditor_id, commit, e))
		return false;
	struct err re = {{0}};
	if (!settle_recover(digest, r->sig, signer, &re))
		buf_printf(&problems, "signature unreadable (%s); ", re.msg);
	else if (memcmp(signer, reg, 20))
		buf_printf(&problems, "signed by a key that is not the auditor's; ");
	if (memcmp(counts, r->counts_hash, 32))
		buf_printf(&problems, "counts do not hash to countsHash; ");
	if (memcmp(committee_hash, r->committee_hash, 32))
		buf_printf(&problems, "committeeHash is not the epoch's committee; ");
	if (memcmp(sh, onchain_sh, 32))
		buf_printf(&problems, "secret does not match its commitment; ");
	if (memcmp(digest, commit, 32))
		buf_printf(&problems, "attestation does not match its commit; ");
	*problems_out = xstrdup(buf_cstr(&problems));
	buf_free(&problems);
	return true;
}
