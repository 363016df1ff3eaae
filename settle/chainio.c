/* chainio.c: the settle job's contract calls on chain/abi.h (see chainio.h). */
#include "settle/chainio.h"

#include <inttypes.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/keccak.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"

struct settle_chain {
	struct chain_rpc *rpc;
	struct chain_sender *sender;
	struct settle_deployment d;
};

/* ---- deployment file ---- */

static bool json_addr(json_t *o, const char *k, uint8_t out[20], struct err *e)
{
	const char *s = json_string_value(json_object_get(o, k));
	if (!s || !chain_address_parse(out, s, e))
		return err_set(e, "the deployment file has no valid \"%s\" address", k);
	return true;
}

bool settle_deployment_load(const char *path, struct settle_deployment *out, struct err *e)
{
	json_error_t je;
	memset(out, 0, sizeof(*out));
	json_t *j = json_load_file(path, 0, &je);
	if (!j)
		return err_set(e, "reading the deployment file %s: %s", path, je.text);
	bool ok = false;
	json_t *cid = json_object_get(j, "chain_id"), *sb = json_object_get(j, "start_block");
	if (!json_is_integer(cid) || !json_is_integer(sb) || json_integer_value(cid) <= 0 ||
	    json_integer_value(sb) < 0) {
		err_set(e, "the deployment file %s needs chain_id and start_block", path);
		goto out;
	}
	out->chain_id = (uint64_t)json_integer_value(cid);
	out->start_block = (uint64_t)json_integer_value(sb);
	if (!json_addr(j, "staking", out->staking, e) || !json_addr(j, "settlement", out->settlement, e) ||
	    !json_addr(j, "token", out->token, e)) {
		err_prefix(e, "%s: ", path);
		goto out;
	}
	ok = true;
out:
	json_decref(j);
	return ok;
}

struct settle_chain *settle_chain_new(struct chain_rpc *rpc, struct chain_sender *sender,
				      const struct settle_deployment *d)
{
	struct settle_chain *c = xcalloc(1, sizeof(*c));
	c->rpc = rpc;
	c->sender = sender;
	c->d = *d;
	return c;
}

void settle_chain_free(struct settle_chain *c)
{
	free(c);
}

struct chain_rpc *settle_chain_rpc(struct settle_chain *c)
{
	return c->rpc;
}

/* ---- the contracts' errors, for reverts in words ---- */

static const struct {
	const char *sig, *why;
} known_errors[] = {
	{"NotAuditor(uint8)", "that auditor id is not an active auditor of this Settlement"},
	{"BadSignature()", "the signature is not the registered auditor signing key's"},
	{"EpochNotOver(uint64)", "the epoch has not ended yet"},
	{"EpochNotOver(uint64,uint256)", "the epoch's time is not up yet"},
	{"SecretTooLate(uint64)", "the epoch has already begun: its secret had to be committed before"},
	{"AlreadyCommitted(uint64,uint8)", "this auditor already committed for that epoch"},
	{"NoSecret(uint64,uint8)", "this auditor committed no secret for that epoch"},
	{"LateCommit(uint64)", "the commit window of that epoch has closed"},
	{"NotRevealPhase(uint64)", "the reveal window of that epoch is not open"},
	{"NoCommit(uint64,uint8)", "nothing was committed for that epoch, so nothing can be revealed"},
	{"AlreadyRevealed(uint64,uint8)", "this auditor already revealed for that epoch"},
	{"WrongCommittee(uint64)", "the committee hash is not the epoch's committee"},
	{"BadCounts()", "the counts do not fit the committee (length, or passed > decided)"},
	{"CommitMismatch()", "the revealed attestation does not match its commitment"},
	{"SecretMismatch()", "the revealed secret does not match the committed secret hash"},
	{"OutOfOrder(uint64,uint64)", "epochs settle in order and an earlier one is not settled"},
	{"NotFinalizable(uint64)", "the epoch is cancelled, finalized or voided"},
	{"DisputeWindowOpen(uint64)", "the dispute window is still open"},
	{"NoQuorum(uint64,uint256,uint256)", "too few auditors revealed"},
	{"BadAuditorList()", "the auditor list is not exactly the revealed auditors, ascending"},
	{"CountsMismatch(uint8)", "counts given for an auditor differ from what it revealed"},
	{"BadRange()", "the committee range is wrong"},
	{"NotVoidable(uint64)", "the epoch cannot be voided now"},
	{"EnforcedPause()", "the contracts are paused"},
	{"BadParam()", "a parameter is out of range"},
};

static void explain(struct err *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < ARRAY_LEN(known_errors); i++) {
		uint8_t h[32];
		char sel[9];
		chain_keccak256(h, known_errors[i].sig, strlen(known_errors[i].sig));
		hex_encode(sel, h, 4);
		if (strstr(e->msg, sel)) {
			char name[64];
			snprintf(name, sizeof(name), "%s", known_errors[i].sig);
			char *paren = strchr(name, '(');
			if (paren)
				*paren = 0;
			char tail[200];
			snprintf(tail, sizeof(tail), " (%s: %s)", name, known_errors[i].why);
			size_t l = strlen(e->msg);
			snprintf(e->msg + l, sizeof(e->msg) - l, "%s", tail);
			return;
		}
	}
}

/* ---- calls ---- */

/* eth_call of sigtext with args (stolen, NULL: none); *ret the outputs tuple. */
static bool call(struct settle_chain *c, const uint8_t to[20], const char *sigtext,
		 struct chain_abi_value *args, struct chain_abi_value **ret, struct err *e)
{
	struct chain_abi_sig *sig = NULL;
	struct buf data = BUF_INIT, out = BUF_INIT;
	bool ok = false;
	*ret = NULL;
	if (!args)
		args = chain_abi_tuple_new();
	if (!chain_abi_sig_parse(sigtext, &sig, e) || !chain_abi_encode_call(sig, args, &data, e))
		goto out;
	if (!chain_rpc_eth_call(c->rpc, NULL, to, data.data, data.len, "latest", &out, e)) {
		explain(e);
		err_prefix(e, "calling %s: ", sig->name);
		goto out;
	}
	if (!chain_abi_decode_output(sig, out.data, out.len, ret, e)) {
		err_prefix(e, "decoding %s: ", sig->name);
		goto out;
	}
	ok = true;
out:
	chain_abi_sig_free(sig);
	chain_abi_value_free(args);
	buf_free(&data);
	buf_free(&out);
	return ok;
}

static struct chain_abi_value *t_u64(uint64_t v)
{
	return chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(v));
}

static struct chain_abi_value *t_u64_u8(uint64_t v, uint8_t a)
{
	return chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(v)),
			      chain_abi_uint_new(a));
}

static bool call_u64(struct settle_chain *c, const uint8_t to[20], const char *sig,
		     struct chain_abi_value *args, uint64_t *out, struct err *e)
{
	struct chain_abi_value *r = NULL;
	bool ok = call(c, to, sig, args, &r, e) && chain_abi_get_u64(chain_abi_at(r, 0), out, e);
	chain_abi_value_free(r);
	return ok;
}

static bool call_b32(struct settle_chain *c, const uint8_t to[20], const char *sig,
		     struct chain_abi_value *args, uint8_t out[32], struct err *e)
{
	struct chain_abi_value *r = NULL;
	bool ok = call(c, to, sig, args, &r, e) &&
		  chain_abi_get_bytes32(chain_abi_at(r, 0), out, e);
	chain_abi_value_free(r);
	return ok;
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

bool settle_chain_current_epoch(struct settle_chain *c, uint64_t *out, struct err *e)
{
	return call_u64(c, c->d.staking, "currentEpoch()(uint64)", NULL, out, e);
}

bool settle_chain_epoch_times(struct settle_chain *c, uint64_t epoch, uint64_t *start,
			      uint64_t *duration, struct err *e)
{
	struct chain_abi_value *r = NULL;
	bool ok = call(c, c->d.staking,
		       "epochInfo(uint64)(uint64,uint64,uint64,bytes32,uint8,bytes32,uint256)",
		       t_u64(epoch), &r, e) &&
		  chain_abi_get_u64(chain_abi_at(r, 0), start, e) &&
		  chain_abi_get_u64(chain_abi_at(r, 1), duration, e);
	chain_abi_value_free(r);
	return ok;
}

bool settle_chain_committee(struct settle_chain *c, uint64_t epoch, uint8_t (**nodes)[20],
			    uint16_t **shards, size_t *m, uint8_t hash[32], struct err *e)
{
	struct chain_abi_value *r = NULL;
	*nodes = NULL;
	if (shards)
		*shards = NULL;
	*m = 0;
	if (!call(c, c->d.staking, "committee(uint64)(address[],uint16[])", t_u64(epoch), &r, e))
		return false;
	const struct chain_abi_value *a = chain_abi_at(r, 0), *s = chain_abi_at(r, 1);
	if (!a || !s || a->n != s->n) {
		chain_abi_value_free(r);
		return err_set(e, "the committee of epoch %" PRIu64 " does not decode", epoch);
	}
	size_t n = a->n;
	uint8_t(*v)[20] = xcalloc(n ? n : 1, 20);
	uint16_t *sh = xcalloc(n ? n : 1, sizeof(uint16_t));
	for (size_t i = 0; i < n; i++) {
		uint64_t x = 0;
		memcpy(v[i], a->items[i]->addr, 20);
		if (!chain_abi_get_u64(s->items[i], &x, e))
			x = 0;
		sh[i] = (uint16_t)x;
	}
	chain_abi_value_free(r);
	if (!call_b32(c, c->d.staking, "committeeHash(uint64)(bytes32)", t_u64(epoch), hash, e)) {
		free(v);
		free(sh);
		return false;
	}
	*nodes = v;
	if (shards)
		*shards = sh;
	else
		free(sh);
	*m = n;
	return true;
}

bool settle_chain_phases(struct settle_chain *c, uint64_t epoch, struct settle_phases *out,
			 struct err *e)
{
	uint64_t end = 0;
	memset(out, 0, sizeof(*out));
	if (!call_u64(c, c->d.staking, "epochEndTime(uint64)(uint64)", t_u64(epoch), &end, e))
		return false;
	if (end == 0)
		return true;
	struct chain_abi_value *r = NULL;
	bool ok = call(c, c->d.settlement, "phases(uint64)(uint64,uint64,uint64,uint64)",
		       t_u64(epoch), &r, e) &&
		  chain_abi_get_u64(chain_abi_at(r, 0), &out->end, e) &&
		  chain_abi_get_u64(chain_abi_at(r, 1), &out->commit_end, e) &&
		  chain_abi_get_u64(chain_abi_at(r, 2), &out->reveal_end, e) &&
		  chain_abi_get_u64(chain_abi_at(r, 3), &out->dispute_end, e);
	chain_abi_value_free(r);
	out->ended = ok;
	return ok;
}

bool settle_chain_epoch_state(struct settle_chain *c, uint64_t epoch,
			      struct settle_epoch_state *out, struct err *e)
{
	struct chain_abi_value *r = NULL;
	struct chain_u256 mask;
	uint64_t rc = 0, st = 0, pr = 0;
	bool canc = false;
	memset(out, 0, sizeof(*out));
	bool ok = call(c, c->d.settlement,
		       "epochStates(uint64)(uint256,uint16,bool,uint8,uint32,uint128,uint128,uint128,"
		       "uint128)",
		       t_u64(epoch), &r, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 0), &mask, e) &&
		  chain_abi_get_u64(chain_abi_at(r, 1), &rc, e) &&
		  chain_abi_get_bool(chain_abi_at(r, 2), &canc, e) &&
		  chain_abi_get_u64(chain_abi_at(r, 3), &st, e) &&
		  chain_abi_get_u64(chain_abi_at(r, 4), &pr, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 5), &out->pool, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 6), &out->node_pool, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 7), &out->auditor_pool, e) &&
		  chain_abi_get_u256(chain_abi_at(r, 8), &out->paid, e);
	chain_abi_value_free(r);
	if (!ok)
		return false;
	chain_u256_to_be(&mask, out->revealed_mask);
	out->revealed = (uint16_t)rc;
	out->cancelled = canc;
	out->status = (uint8_t)st;
	out->progress = (uint32_t)pr;
	return true;
}

bool settle_mask_has(const uint8_t mask[32], uint8_t id)
{
	return (mask[31 - id / 8] >> (id % 8)) & 1;
}

bool settle_chain_next_to_settle(struct settle_chain *c, uint64_t *out, struct err *e)
{
	return call_u64(c, c->d.settlement, "nextToSettle()(uint64)", NULL, out, e);
}

bool settle_chain_quorum(struct settle_chain *c, uint64_t *out, struct err *e)
{
	return call_u64(c, c->d.settlement, "quorum()(uint256)", NULL, out, e);
}

bool settle_chain_secret_hash(struct settle_chain *c, uint64_t epoch, uint8_t id, uint8_t out[32],
			      struct err *e)
{
	return call_b32(c, c->d.settlement, "secretHashes(uint64,uint8)(bytes32)",
			t_u64_u8(epoch, id), out, e);
}

bool settle_chain_commit(struct settle_chain *c, uint64_t epoch, uint8_t id, uint8_t out[32],
			 struct err *e)
{
	return call_b32(c, c->d.settlement, "attestationCommits(uint64,uint8)(bytes32)",
			t_u64_u8(epoch, id), out, e);
}

bool settle_chain_auditor(struct settle_chain *c, uint8_t id, uint8_t signer[20],
			  uint8_t payee[20], bool *active, struct err *e)
{
	struct chain_abi_value *r = NULL;
	bool ok = call(c, c->d.settlement, "auditors(uint8)(address,address,bool)",
		       chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(id)), &r, e) &&
		  chain_abi_get_address(chain_abi_at(r, 0), signer, e) &&
		  chain_abi_get_address(chain_abi_at(r, 1), payee, e) &&
		  chain_abi_get_bool(chain_abi_at(r, 2), active, e);
	chain_abi_value_free(r);
	return ok;
}

/* ---- events ---- */

static bool logs(struct settle_chain *c, const char *event, const uint8_t *t1,
		 const uint8_t *t2, struct chain_abi_sig **sig, struct chain_logs *out,
		 struct err *e)
{
	uint64_t head = 0;
	memset(out, 0, sizeof(*out));
	if (!chain_abi_sig_parse(event, sig, e))
		return false;
	if (!chain_rpc_block_number(c->rpc, &head, e))
		return false;
	struct chain_log_filter f = {0};
	f.from_block = c->d.start_block;
	f.to_block = head;
	f.address = c->d.settlement;
	f.topics[0] = (*sig)->topic;
	f.topics[1] = t1;
	f.topics[2] = t2;
	if (!chain_rpc_get_logs(c->rpc, &f, out, e))
		return err_prefix(e, "reading %s events: ", (*sig)->name);
	return true;
}

static void topic_u64(uint8_t t[32], uint64_t v)
{
	memset(t, 0, 32);
	for (int i = 0; i < 8; i++)
		t[31 - i] = (uint8_t)(v >> (8 * i));
}

bool settle_chain_find_auditor(struct settle_chain *c, const uint8_t signer[20], uint8_t *id,
			       bool *found, struct err *e)
{
	struct chain_abi_sig *sig = NULL;
	struct chain_logs l;
	*found = false;
	bool ok = logs(c, "event AuditorSet(uint8 indexed auditorId, address signer, address payee, bool active)",
		       NULL, NULL, &sig, &l, e);
	for (size_t i = 0; ok && i < l.n; i++) {
		struct chain_abi_value *v = NULL;
		uint64_t a = 0;
		uint8_t s[20];
		if (!chain_abi_decode_log(sig, (const uint8_t(*)[32])l.v[i].topics, l.v[i].ntopics,
					  l.v[i].data, l.v[i].data_len, &v, e) ||
		    !chain_abi_get_u64(chain_abi_at(v, 0), &a, e) ||
		    !chain_abi_get_address(chain_abi_at(v, 1), s, e))
			ok = false;
		else if (!memcmp(s, signer, 20)) {
			*id = (uint8_t)a; /* the newest setting wins */
			*found = true;
		}
		chain_abi_value_free(v);
	}
	chain_logs_clear(&l);
	chain_abi_sig_free(sig);
	return ok;
}

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
				 "bytes32,bytes)",
				 &sig, e) ||
	    !chain_abi_decode_call(sig, input.data, input.len, &v, e)) {
		err_prefix(e, "the reveal was not a direct revealAttestation call: ");
		goto out;
	}
	const struct chain_abi_value *s = chain_abi_at(v, 7);
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
	topic_u64(t1, epoch);
	if (!logs(c,
		  "event AttestationRevealed(uint64 indexed epoch, uint8 indexed auditorId, bytes32 "
		  "committeeHash, bytes32 countsHash, bytes32 evidenceRoot, bytes32 secret)",
		  t1, NULL, &rs, &rl, e) ||
	    !logs(c,
		  "event AttestationCounts(uint64 indexed epoch, uint8 indexed auditorId, uint32[] "
		  "passed, uint32[] decided)",
		  t1, NULL, &cs, &cl, e))
		goto out;
	v = xcalloc(rl.n ? rl.n : 1, sizeof(*v));
	for (size_t i = 0; i < rl.n; i++) {
		struct chain_abi_value *d = NULL;
		struct settle_reveal *r = &v[k];
		uint64_t a = 0;
		if (rl.v[i].removed)
			continue;
		bool good = chain_abi_decode_log(rs, (const uint8_t(*)[32])rl.v[i].topics,
						 rl.v[i].ntopics, rl.v[i].data, rl.v[i].data_len, &d, e) &&
			    chain_abi_get_u64(chain_abi_at(d, 1), &a, e) &&
			    chain_abi_get_bytes32(chain_abi_at(d, 2), r->committee_hash, e) &&
			    chain_abi_get_bytes32(chain_abi_at(d, 3), r->counts_hash, e) &&
			    chain_abi_get_bytes32(chain_abi_at(d, 4), r->evidence_root, e) &&
			    chain_abi_get_bytes32(chain_abi_at(d, 5), r->secret, e);
		chain_abi_value_free(d);
		if (!good)
			goto out;
		r->epoch = epoch;
		r->auditor_id = (uint8_t)a;
		memcpy(r->tx_hash, rl.v[i].tx_hash, 32);
		r->block = rl.v[i].block_number;
		bool have_counts = false;
		for (size_t j = 0; j < cl.n && !have_counts; j++) {
			if (cl.v[j].removed || memcmp(cl.v[j].tx_hash, r->tx_hash, 32) ||
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

bool settle_chain_node_scored(struct settle_chain *c, uint64_t from_epoch, uint64_t to_epoch,
			      const uint8_t *node, struct settle_node_scored **out, size_t *n,
			      struct err *e)
{
	struct chain_abi_sig *sig = NULL;
	struct chain_logs l = {0};
	uint8_t t2[32];
	*out = NULL;
	*n = 0;
	if (node) {
		memset(t2, 0, 12);
		memcpy(t2 + 12, node, 20);
	}
	bool ok = logs(c,
		       "event NodeScored(uint64 indexed epoch, address indexed node, uint256 score, "
		       "uint256 reward, bool penalized, uint256 slashed)",
		       NULL, node ? t2 : NULL, &sig, &l, e);
	struct settle_node_scored *v = xcalloc(l.n ? l.n : 1, sizeof(*v));
	size_t k = 0;
	for (size_t i = 0; ok && i < l.n; i++) {
		struct chain_abi_value *d = NULL;
		struct settle_node_scored *s = &v[k];
		if (l.v[i].removed)
			continue;
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
	topic_u64(t1, epoch);
	topic_u64(t2, id);
	*found = false;
	bool ok = logs(c,
		       "event AttestationCommitted(uint64 indexed epoch, uint8 indexed auditorId, "
		       "bytes32 attestationDigest)",
		       t1, t2, &sig, &l, e);
	for (size_t i = 0; ok && i < l.n; i++)
		if (!l.v[i].removed) {
			memcpy(tx_hash, l.v[i].tx_hash, 32);
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
	struct chain_abi_sig *sig = NULL;
	struct buf data = BUF_INIT, out = BUF_INIT;
	struct chain_receipt rcpt;
	bool ok = false, have_rcpt = false;
	int64_t id = 0;
	uint8_t from[20];
	memset(&rcpt, 0, sizeof(rcpt));
	if (!c->sender) {
		chain_abi_value_free(args);
		return err_set(e, "no gas key: cannot send %s", purpose);
	}
	chain_sender_address(c->sender, from);
	if (!chain_abi_sig_parse(sigtext, &sig, e) || !chain_abi_encode_call(sig, args, &data, e))
		goto out;
	/* Simulate first: a refusal is explained and nothing is signed. */
	if (!chain_rpc_eth_call(c->rpc, from, to, data.data, data.len, "latest", &out, e)) {
		explain(e);
		err_prefix(e, "%s would be refused: ", purpose);
		goto out;
	}
	arm_sender_crash(step);
	if (!chain_sender_submit(c->sender, to, NULL, data.data, data.len, 0, purpose, &id, e)) {
		err_prefix(e, "sending %s: ", purpose);
		goto out;
	}
	log_info("settle: sent %s (transaction %" PRId64 ")", purpose, id);
	if (!chain_sender_wait(c->sender, id, &rcpt, e)) {
		err_prefix(e, "waiting for %s: ", purpose);
		goto out;
	}
	have_rcpt = true;
	if (rcpt.status != 1) {
		err_set(e, "%s was mined but reverted", purpose);
		goto out;
	}
	ok = true;
out:
	if (have_rcpt)
		chain_receipt_clear(&rcpt);
	chain_abi_sig_free(sig);
	chain_abi_value_free(args);
	buf_free(&data);
	buf_free(&out);
	return ok;
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
			 const uint8_t secret[32], const uint8_t sig[65], struct err *e)
{
	char p[64];
	purpose_of(p, sizeof(p), "reveal", epoch, id);
	struct chain_abi_value *a = t_u64_u8(epoch, id);
	chain_abi_push(a, chain_abi_fixed_bytes_new(committee_hash, 32));
	chain_abi_push(a, u32s(passed, m));
	chain_abi_push(a, u32s(decided, m));
	chain_abi_push(a, chain_abi_fixed_bytes_new(evidence_root, 32));
	chain_abi_push(a, chain_abi_fixed_bytes_new(secret, 32));
	chain_abi_push(a, chain_abi_bytes_new(sig, 65));
	return send(c, "reveal", c->d.settlement,
		    "revealAttestation(uint64,uint8,bytes32,uint32[],uint32[],bytes32,bytes32,bytes)",
		    a, p, e);
}

bool settle_chain_finalize(struct settle_chain *c, uint64_t epoch,
			   const struct settle_reveal *rv, size_t k, size_t m, struct err *e)
{
	char p[64];
	snprintf(p, sizeof(p), "settle finalize epoch %" PRIu64, epoch);
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
	chain_abi_push(a, chain_abi_uint_new(m));
	return send(c, "finalize", c->d.settlement,
		    "finalizeEpoch(uint64,uint8[],uint32[][],uint32[][],uint256)", a, p, e);
}

bool settle_chain_void(struct settle_chain *c, uint64_t epoch, struct err *e)
{
	char p[64];
	snprintf(p, sizeof(p), "settle void epoch %" PRIu64, epoch);
	return send(c, "void", c->d.settlement, "voidEpoch(uint64)", t_u64(epoch), p, e);
}
