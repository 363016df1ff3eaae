/* dispute.c: the watcher (see dispute.h). */
#include "settle/dispute.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/auditor.h"
#include "audit/blob.h"
#include "audit/daemon.h"
#include "audit/schedule.h"
#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/deployment.h"
#include "chain/key.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "settle/chainio.h"
#include "settle/epoch.h"
#include "settle/evblob.h"
#include "settle/verdict.h"

static const char *const kind_names[] = {"node_total",      "evidence_root", "blob_header",
					 "blob_counts",     "blob_unreadable", "needs_node",
					 "schedule",        "too_many",      "unrecorded",
					 "record",          "order",         "verdict"};

_Static_assert(ARRAY_LEN(kind_names) == SETTLE_DISPUTE_KINDS, "one name per finding kind");

const char *settle_finding_kind_name(enum settle_finding_kind k)
{
	return (size_t)k < ARRAY_LEN(kind_names) ? kind_names[k] : "unknown";
}

void settle_dispute_report_clear(struct settle_dispute_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++)
		settle_verdict_free(r->v[i].verdict);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

size_t settle_dispute_report_frauds(const struct settle_dispute_report *r)
{
	size_t k = 0;
	for (size_t i = 0; i < r->n; i++)
		k += r->v[i].fraud;
	return k;
}

static struct settle_finding *add(struct settle_dispute_report *r, const struct settle_reveal *rv,
				  enum settle_finding_kind kind, bool fraud, const char *fmt, ...)
	PRINTF_FMT(5, 6);
static struct settle_finding *add(struct settle_dispute_report *r, const struct settle_reveal *rv,
				  enum settle_finding_kind kind, bool fraud, const char *fmt, ...)
{
	r->v = xrealloc(r->v, (r->n + 1) * sizeof(*r->v));
	struct settle_finding *f = &r->v[r->n++];
	memset(f, 0, sizeof(*f));
	f->epoch = rv->epoch;
	f->auditor_id = rv->auditor_id;
	f->kind = kind;
	f->fraud = fraud;
	memcpy(f->evidence_blob, rv->evidence_blob, 32);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(f->what, sizeof(f->what), fmt, ap);
	va_end(ap);
	return f;
}

/* ---- the schedule (fraud proof 3) ---- */

/* The epoch's schedule inputs, read from the chain once for every auditor checked (its
 * schedule, and the requests of its failed verdicts): the committee with its challengeable
 * shards, the seed and the blob snapshot. ready false: the schedule is not checked (why
 * says so). */
struct sched_ctx {
	bool loaded, ready;
	char why[sizeof(((struct err *)0)->msg) + 8];
	struct audit_inputs in;
};

/* The secret is the reveal's, set per auditor: the inputs are read with a placeholder. */
static bool no_secret(void *arg, uint64_t epoch, uint8_t out[32], struct err *e)
{
	(void)arg;
	(void)epoch;
	(void)e;
	memset(out, 0, 32);
	return true;
}

/* The Disputes contract of c's deployment, or NULL when it has none. */
static const uint8_t *disputes_of(struct settle_chain *c)
{
	static const uint8_t none[20];
	const struct chain_deployment *d = chain_bind_deployment(settle_chain_bind(c));
	return memcmp(d->disputes, none, 20) ? d->disputes : NULL;
}

/* The inputs as anyone recomputes the schedule (INTERFACE.md: Disputes fixes its
 * parameters); the identity's secret is each reveal's, put in per auditor. */
static void sched_load(struct sched_ctx *sc, struct chain_session *reader,
		       uint64_t confirmations, uint64_t epoch)
{
	struct audit_identity id = {.secret = no_secret};
	struct err e = {{0}};
	sc->loaded = true;
	sc->ready = audit_inputs_public(&sc->in, reader, confirmations, &id, epoch, &e);
	if (!sc->ready)
		snprintf(sc->why, sizeof(sc->why), "%s", e.msg);
}

/* Loads them the first time an auditor needs them. */
static void sched_need(struct sched_ctx *sc, struct chain_session *reader,
		       uint64_t confirmations, uint64_t epoch)
{
	if (sc->loaded)
		return;
	sched_load(sc, reader, confirmations, epoch);
	if (!sc->ready)
		log_warn("dispute: epoch %" PRIu64 ": the schedule is not checked: %s", epoch,
			 sc->why);
}

static void sched_clear(struct sched_ctx *sc)
{
	if (sc->loaded)
		audit_inputs_clear(&sc->in);
	memset(sc, 0, sizeof(*sc));
}

bool settle_dispute_record_scheduled(const struct audit_schedule *s,
				     const struct audit_schedule_blob *blobs,
				     const struct settle_record *r, char *why, size_t why_len)
{
	struct audit_challenge ch;
	if (r->seq >= s->nchallenges) {
		snprintf(why, why_len, "the schedule has %zu challenges, so no seq %" PRIu64,
			 s->nchallenges, r->seq);
		return false;
	}
	audit_schedule_challenge(s, r->seq, &ch);
	const char *f = memcmp(s->nodes[ch.node].id, r->node, 20) ? "node"
			: memcmp(blobs[ch.blob].id, r->blob, 32) ? "blob"
			: ch.shard != r->shard			  ? "shard"
			: ch.axis != r->axis			  ? "axis"
			: ch.symbol.primary != r->row || ch.symbol.secondary != r->col ? "symbol"
										: NULL;
	if (f)
		snprintf(why, why_len, "its %s is not that of scheduled challenge %" PRIu64, f,
			 r->seq);
	return !f;
}

/* Whether Disputes.scheduled (the rules the contract checks) has the record for committee
 * position index: false with *reason when it cannot say (a revert: Unprovable, NoSeed). */
static bool onchain_scheduled(struct settle_chain *c, uint64_t epoch, size_t index,
			      const struct settle_record *r, const uint8_t secret[32],
			      bool *scheduled, char *reason, size_t reason_len)
{
	const uint8_t *to = disputes_of(c);
	uint8_t rec[SETTLE_EVIDENCE_RECORD_LEN];
	struct chain_abi_value *ret = NULL;
	struct err e = {{0}};
	if (!to) {
		snprintf(reason, reason_len, "the deployment has no Disputes contract");
		return false;
	}
	settle_record_encode(r, rec);
	struct chain_abi_value *a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_uint_new(epoch));
	chain_abi_push(a, chain_abi_uint_new(index));
	chain_abi_push(a, chain_abi_bytes_new(rec, sizeof(rec)));
	chain_abi_push(a, chain_abi_fixed_bytes_new(secret, 32));
	chain_abi_push(a, chain_abi_address_new(r->auditor));
	bool ok = chain_bind_call(settle_chain_bind(c), to,
				  "scheduled(uint64,uint256,bytes,bytes32,address)(bool)", a, &ret,
				  &e) &&
		  chain_abi_get_bool(chain_abi_at(ret, 0), scheduled, &e);
	chain_abi_value_free(ret);
	if (!ok)
		snprintf(reason, reason_len, "Disputes.scheduled cannot judge it: %s", e.msg);
	return ok;
}

/* Disputes.challengesOf(epoch, index): C_i as the contract counts it. */
static bool onchain_challenges(struct settle_chain *c, uint64_t epoch, size_t index,
			       uint64_t *out)
{
	const uint8_t *to = disputes_of(c);
	struct chain_abi_value *ret = NULL;
	struct err e = {{0}};
	if (!to)
		return false;
	struct chain_abi_value *a = chain_abi_tuple_new();
	chain_abi_push(a, chain_abi_uint_new(epoch));
	chain_abi_push(a, chain_abi_uint_new(index));
	bool ok = chain_bind_call(settle_chain_bind(c), to, "challengesOf(uint64,uint256)(uint256)",
				  a, &ret, &e) &&
		  chain_abi_get_u64(chain_abi_at(ret, 0), out, &e);
	chain_abi_value_free(ret);
	if (!ok)
		log_warn("dispute: epoch %" PRIu64 ": Disputes.challengesOf(%zu): %s", epoch, index,
			 e.msg);
	return ok;
}

/* How many records not scheduled are judged on chain before giving up on a provable one. */
#define ONCHAIN_TRIES 16

/* Compares the blob's records with the auditor's schedule rebuilt from the chain. */
static void check_schedule(struct settle_chain *c, const struct sched_ctx *sc,
			   const struct settle_reveal *rv, const struct settle_evblob *b,
			   const struct settle_evidence *ev, struct settle_dispute_report *r)
{
	struct audit_schedule s;
	struct audit_schedule_params p = sc->in.params;
	struct err e = {{0}};
	memset(&s, 0, sizeof(s));
	memcpy(p.secret, rv->secret, 32);
	memcpy(p.auditor, b->auditor, 20);
	if (!audit_auditor_schedule(&p, sc->in.nodes, sc->in.nnodes, sc->in.blobs, sc->in.nblobs,
				    true, &s, &e)) {
		log_warn("dispute: epoch %" PRIu64 ": auditor %u's schedule: %s", rv->epoch,
			 rv->auditor_id, e.msg);
		goto out;
	}
	bool same = s.nnodes == b->m;
	for (size_t i = 0; same && i < b->m; i++)
		same = !memcmp(s.nodes[i].id, b->committee[i], 20);
	if (!same) {
		log_warn("dispute: epoch %" PRIu64 ": the committee read for the schedule is not the "
			 "evidence's: schedule not checked",
			 rv->epoch);
		goto out;
	}
	uint64_t unscheduled = 0, matched = 0;
	size_t first = SIZE_MAX, proven = SIZE_MAX, tries = 0, pos = 0, idx = 0;
	char why[160] = "", first_why[160] = "", reason[sizeof(((struct err *)0)->msg) + 64] = "";
	for (size_t i = 0; i < b->n; i++) {
		const struct settle_record *rec = &b->records[i];
		if (settle_dispute_record_scheduled(&s, sc->in.blobs, rec, why, sizeof(why))) {
			matched++;
			continue;
		}
		unscheduled++;
		if (first == SIZE_MAX) {
			first = i;
			snprintf(first_why, sizeof(first_why), "%s", why);
		}
		bool on = true;
		if (proven != SIZE_MAX || tries >= ONCHAIN_TRIES ||
		    !settle_evidence_node_index(ev, rec->node, &pos))
			continue;
		tries++;
		if (onchain_scheduled(c, rv->epoch, pos, rec, rv->secret, &on, reason,
				      sizeof(reason)) &&
		    !on) {
			proven = i;
			snprintf(first_why, sizeof(first_why), "%s", why);
		} else if (on && !reason[0]) {
			snprintf(reason, sizeof(reason),
				 "only the weighted blob draw, which no proof on chain can check, "
				 "tells it apart");
		}
	}
	if (unscheduled) {
		size_t k = proven != SIZE_MAX ? proven : first;
		const struct settle_record *rec = &b->records[k];
		char node[43];
		chain_address_checksum(node, rec->node);
		if (!settle_evidence_node_index(ev, rec->node, &pos))
			pos = 0;
		struct settle_finding *f = add(
			r, rv, SETTLE_FINDING_SCHEDULE, true,
			"auditor %u recorded %" PRIu64 " challenge(s) its schedule does not contain; "
			"seq %" PRIu64 " for node %s (position %zu): %s%s%s",
			rv->auditor_id, unscheduled, rec->seq, node, pos, first_why,
			proven != SIZE_MAX ? "" : "; not provable on chain: ",
			proven != SIZE_MAX ? "" : reason);
		f->index = pos;
		f->records = unscheduled;
		f->record = *rec;
		if (proven != SIZE_MAX && settle_evidence_find(ev, rec->seq, &idx)) {
			settle_evidence_proof(ev, idx, &f->proof);
			f->provable = true;
		}
	}
	/* More decided records than scheduled challenges means a record not scheduled (the
	 * blob has no repeats), found above; what the contract takes without the secret is a
	 * total above its own count, which leaves out the snapshot (never below ours). */
	for (size_t i = 0; i < b->m; i++) {
		struct settle_evidence_proof tp;
		uint64_t onchain = 0;
		char node[43];
		settle_evidence_total_proof(ev, i, &tp);
		if (tp.sub.decided <= s.per_node[i] ||
		    !onchain_challenges(c, rv->epoch, i, &onchain) || tp.sub.decided <= onchain)
			continue;
		chain_address_checksum(node, b->committee[i]);
		struct settle_finding *f = add(
			r, rv, SETTLE_FINDING_TOO_MANY, true,
			"auditor %u's evidence holds %u decided record(s) of node %s (position %zu), "
			"which has %" PRIu64 " challenge(s) (%" PRIu64 " in this epoch's schedule)",
			rv->auditor_id, tp.sub.decided, node, i, onchain, s.per_node[i]);
		f->index = i;
		f->challenges = onchain;
		f->proof = tp;
		f->provable = true;
	}
	if (matched < s.nchallenges) {
		uint64_t none = (uint64_t)s.nchallenges - matched;
		struct settle_finding *f = add(
			r, rv, SETTLE_FINDING_UNRECORDED, false,
			"auditor %u has no record of %" PRIu64 " of its %zu scheduled challenges "
			"(undecided when the epoch ended, or never asked: no proof on chain tells "
			"them apart)",
			rv->auditor_id, none, s.nchallenges);
		f->records = none;
	}
out:
	audit_schedule_free(&s);
}

/* ---- the tree as the liar built it (fraud proofs 1b) ---- */

bool settle_dispute_check_as_built(const struct settle_reveal *rv, const uint8_t signer[20],
				   const uint8_t (*nodes)[20], size_t m, const uint8_t *data,
				   size_t len, struct settle_dispute_report *r)
{
	char id[AUDIT_BLOB_ID_TEXT_LEN + 1];
	struct settle_evblob b;
	struct settle_evidence *ev = NULL;
	struct err ee = {{0}};
	uint8_t root[32];
	size_t *last = NULL;
	bool found = false;
	audit_blob_id_text(id, rv->evidence_blob);
	if (!settle_evblob_decode_any(data, len, &b, &ee))
		return false;
	bool same = b.m == m && b.epoch == rv->epoch && !memcmp(b.auditor, signer, 20);
	for (size_t i = 0; same && i < m; i++)
		same = !memcmp(b.committee[i], nodes[i], 20);
	if (!same || !settle_evidence_new_any(&ev, (const uint8_t(*)[20])b.committee, b.m,
					      b.records, b.n, &ee))
		goto out;
	settle_evidence_root(ev, root);
	if (memcmp(root, rv->evidence_root, 32))
		goto out;
	for (size_t i = 0; i < b.n && !found; i++) {
		const struct settle_record *rec = &b.records[i];
		if (rec->epoch == rv->epoch && !memcmp(rec->auditor, signer, 20))
			continue;
		struct settle_finding *f = add(
			r, rv, SETTLE_FINDING_RECORD, true,
			"auditor %u's evidence (blob %s) holds record %zu (seq %" PRIu64 ") of epoch "
			"%" PRIu64 " and %s auditor under its revealed root",
			rv->auditor_id, id, i, rec->seq, rec->epoch,
			memcmp(rec->auditor, signer, 20) ? "another" : "this");
		settle_evidence_proof(ev, i, &f->proof);
		f->index = f->proof.index;
		f->record = *rec;
		f->provable = found = true;
	}
	/* each node's previous record, in blob order (= its subtree's leaf order) */
	last = xcalloc(m ? m : 1, sizeof(*last));
	for (size_t i = 0; i < m; i++)
		last[i] = SIZE_MAX;
	for (size_t i = 0; i < b.n && !found; i++) {
		struct settle_evidence_proof p;
		settle_evidence_proof(ev, i, &p);
		size_t prev = last[p.index];
		last[p.index] = i;
		if (prev == SIZE_MAX || b.records[prev].seq < b.records[i].seq)
			continue;
		char node[43];
		chain_address_checksum(node, b.committee[p.index]);
		struct settle_finding *f = add(
			r, rv, SETTLE_FINDING_ORDER, true,
			"auditor %u's evidence (blob %s) has seq %" PRIu64 " after seq %" PRIu64
			" among node %s's records (position %zu): %s",
			rv->auditor_id, id, b.records[i].seq, b.records[prev].seq, node, p.index,
			b.records[prev].seq == b.records[i].seq ? "a record counted twice"
								: "out of order");
		settle_evidence_proof(ev, prev, &f->proof);
		f->proof2 = p;
		f->index = p.index;
		f->record = b.records[prev];
		f->record2 = b.records[i];
		f->provable = found = true;
	}
out:
	free(last);
	settle_evidence_free(ev);
	settle_evblob_clear(&b);
	return found;
}

/* Checks one reveal against its evidence blob. With `fast` the blob's records are read
 * unverified (node_read_req.unverified_from: the header is verified, the records are what
 * the rebuilt root checks); the caller discards whatever that finds and checks again on
 * bytes every one of which is verified, so that nobody is accused over a bad read. */
static void check_one(struct settle_chain *c, struct chain_session *reader,
		      const struct settle_dispute_opts *o, struct sched_ctx *sc,
		      const struct settle_reveal *rv, const uint8_t signer[20],
		      const uint8_t (*nodes)[20], size_t m, bool fast,
		      struct settle_dispute_report *r)
{
	uint8_t *data = NULL, root[32];
	size_t len = 0;
	struct settle_evblob b;
	struct settle_evidence *ev = NULL;
	struct err ee = {{0}};
	char id[AUDIT_BLOB_ID_TEXT_LEN + 1];
	memset(&b, 0, sizeof(b));
	audit_blob_id_text(id, rv->evidence_blob);
	if (!settle_evblob_fetch(reader, o->confirmations, o->timeout_ms, rv->evidence_blob,
				 fast ? settle_evblob_head_len(m) : 0, &data, &len, &ee)) {
		add(r, rv, SETTLE_FINDING_UNREADABLE, false,
		    "auditor %u's evidence blob %s could not be read: %s", rv->auditor_id, id, ee.msg);
		goto out;
	}
	if (!settle_evblob_decode(data, len, &b, &ee)) {
		if (settle_dispute_check_as_built(rv, signer, nodes, m, data, len, r)) {
			r->checked++;
			goto out;
		}
		add(r, rv, SETTLE_FINDING_UNREADABLE, true,
		    "auditor %u's evidence blob %s is not an evidence blob: %s", rv->auditor_id, id,
		    ee.msg);
		goto out;
	}
	bool same_committee = b.m == m;
	for (size_t i = 0; same_committee && i < m; i++)
		same_committee = !memcmp(b.committee[i], nodes[i], 20);
	if (b.epoch != rv->epoch || memcmp(b.auditor, signer, 20) || !same_committee) {
		add(r, rv, SETTLE_FINDING_HEADER, true,
		    "auditor %u's evidence blob %s is of epoch %" PRIu64 ", %s auditor and %s "
		    "committee",
		    rv->auditor_id, id, b.epoch, memcmp(b.auditor, signer, 20) ? "another" : "this",
		    same_committee ? "this epoch's" : "another");
		goto out;
	}
	if (!settle_evidence_new(&ev, (const uint8_t(*)[20])b.committee, b.m, b.records, b.n,
				 &ee)) {
		add(r, rv, SETTLE_FINDING_UNREADABLE, true,
		    "auditor %u's evidence blob %s does not build an evidence tree: %s",
		    rv->auditor_id, id, ee.msg);
		goto out;
	}
	r->checked++;
	settle_evidence_root(ev, root);
	if (memcmp(root, rv->evidence_root, 32)) {
		char want[67] = "0x", got[67] = "0x";
		hex_encode(want + 2, rv->evidence_root, 32);
		hex_encode(got + 2, root, 32);
		add(r, rv, SETTLE_FINDING_ROOT, true,
		    "auditor %u's evidence blob %s rebuilds the root %s, not the revealed evidenceRoot "
		    "%s",
		    rv->auditor_id, id, got, want);
		goto out; /* our tree's proofs would not lead to its root */
	}
	uint64_t *failed = xcalloc(m ? m : 1, sizeof(uint64_t));
	bool unhashed = false;
	for (size_t i = 0; i < b.n; i++) {
		size_t pos = 0;
		const struct settle_record *rec = &b.records[i];
		if (settle_record_hash_missing(rec) && !unhashed) {
			/* The first is enough: one conviction removes the attestation. */
			struct settle_finding *f = add(
				r, rv, SETTLE_FINDING_RECORD, true,
				"auditor %u recorded challenge %" PRIu64 " as %s with no response hash: "
				"a malformed record (Disputes.disputeRecord)",
				rv->auditor_id, rec->seq, audit_outcome_name(rec->outcome));
			settle_evidence_proof(ev, i, &f->proof);
			f->index = f->proof.index;
			f->record = *rec;
			f->provable = true;
			unhashed = true;
		} else if (audit_outcome_on_body(rec->outcome) &&
			   !settle_record_hash_missing(rec) &&
			   settle_evidence_node_index(ev, rec->node, &pos)) {
			failed[pos]++;
		}
	}
	for (size_t i = 0; i < m && i < rv->m; i++) {
		struct settle_evidence_proof p;
		char node[43];
		settle_evidence_total_proof(ev, i, &p);
		chain_address_checksum(node, nodes[i]);
		if (p.sub.passed != rv->passed[i] || p.sub.decided != rv->decided[i]) {
			struct settle_finding *f = add(
				r, rv, SETTLE_FINDING_NODE_TOTAL, true,
				"auditor %u attested node %s (position %zu) at %u passed of %u decided; "
				"its own evidence says %u of %u",
				rv->auditor_id, node, i, rv->passed[i], rv->decided[i], p.sub.passed,
				p.sub.decided);
			f->provable = true;
			f->index = i;
			f->attested_passed = rv->passed[i];
			f->attested_decided = rv->decided[i];
			f->proof = p;
		} else if (p.sub.passed != b.passed[i] || p.sub.decided != b.decided[i]) {
			add(r, rv, SETTLE_FINDING_BLOB_COUNTS, true,
			    "auditor %u's evidence blob counts node %s at %u of %u, its records at %u "
			    "of %u",
			    rv->auditor_id, node, b.passed[i], b.decided[i], p.sub.passed,
			    p.sub.decided);
		}
		if (failed[i]) {
			struct settle_finding *f = add(
				r, rv, SETTLE_FINDING_NEEDS_NODE, false,
				"auditor %u recorded %" PRIu64 " failed verdict(s) for node %s that only "
				"the node can re-check (it holds the bodies it sent: fraud proof 2)",
				rv->auditor_id, failed[i], node);
			f->index = i;
			f->records = failed[i];
			struct settle_verdict *v = NULL;
			struct settle_verdict_opts vo = {o->confirmations, o->timeout_ms, NULL};
			if (o->ask_nodes) {
				/* the inputs the schedule is checked with below; without them the
				 * finder reads its own (and says why it cannot) */
				sched_need(sc, reader, o->confirmations, rv->epoch);
				if (!settle_verdict_find(reader, &vo, rv->epoch, rv->auditor_id,
							 rv->secret, sc->ready ? &sc->in : NULL, &b,
							 ev, i, &v, &ee))
					log_warn("dispute: epoch %" PRIu64 ": auditor %u: %s",
						 rv->epoch, rv->auditor_id, ee.msg);
			}
			if (v) {
				f = add(r, rv, SETTLE_FINDING_VERDICT, true, "%s", settle_verdict_what(v));
				f->provable = true;
				f->index = i;
				f->verdict = v;
			}
		}
	}
	free(failed);
	sched_need(sc, reader, o->confirmations, rv->epoch);
	if (sc->ready)
		check_schedule(c, sc, rv, &b, ev, r);
out:
	settle_evidence_free(ev);
	settle_evblob_clear(&b);
	free(data);
}

bool settle_dispute_check(struct settle_chain *c, struct chain_session *reader, uint64_t epoch,
			  const struct settle_dispute_opts *o, struct settle_dispute_report *out,
			  struct err *e)
{
	struct settle_reveal *rv = NULL;
	size_t k = 0, m = 0;
	uint8_t(*nodes)[20] = NULL;
	uint8_t h[32];
	struct chain_epoch_state es;
	struct chain_bind *b = settle_chain_bind(c);
	struct sched_ctx sc;
	bool ok = false;
	memset(out, 0, sizeof(*out));
	memset(&sc, 0, sizeof(sc));
	if (!settle_chain_reveals(c, epoch, false, &rv, &k, e) ||
	    !chain_settlement_epoch_state(b, epoch, &es, e) ||
	    !settle_chain_committee(c, epoch, &nodes, NULL, &m, h, e))
		goto out;
	for (size_t i = 0; i < k; i++) {
		const struct settle_reveal *r = &rv[i];
		uint8_t signer[20], payee[20];
		bool active = false;
		static const uint8_t none[32];
		if ((o->only_auditor >= 0 && r->auditor_id != o->only_auditor) ||
		    (o->skip_auditor >= 0 && r->auditor_id == o->skip_auditor))
			continue;
		/* a convicted attestation is out of the epoch already */
		if (!chain_mask_has(es.revealed_mask, r->auditor_id))
			continue;
		if (!memcmp(r->evidence_blob, none, 32)) {
			log_info("dispute: epoch %" PRIu64 ": auditor %u names no evidence blob (the "
				 "contract binds no registry); nothing to check",
				 epoch, r->auditor_id);
			continue;
		}
		if (!chain_settlement_auditor(b, r->auditor_id, signer, payee, &active, e))
			goto out;
		/* Read fast first: a clean check needs the revealed root rebuilt from the
		 * records, which no bad read gives; anything found is found again verified. */
		size_t before = out->n, checked = out->checked;
		check_one(c, reader, o, &sc, r, signer, (const uint8_t(*)[20])nodes, m, true, out);
		if (out->n > before) {
			log_info("dispute: epoch %" PRIu64 ": auditor %u: %zu finding(s) on the fast "
				 "read of its evidence blob; checking again with every byte verified",
				 epoch, r->auditor_id, out->n - before);
			for (size_t f = before; f < out->n; f++)
				settle_verdict_free(out->v[f].verdict);
			out->n = before;
			out->checked = checked;
			check_one(c, reader, o, &sc, r, signer, (const uint8_t(*)[20])nodes, m, false,
				  out);
		}
	}
	ok = true;
out:
	if (!ok)
		settle_dispute_report_clear(out);
	sched_clear(&sc);
	free(nodes);
	settle_reveals_free(rv, k);
	return ok;
}

/* ABI values of the Disputes proof types (Disputes.sol: SumNode, Entry, RecordProof). */
#define SUM_T "(bytes32,uint32,uint32)"
#define ENTRY_T "(uint256,address," SUM_T ",bytes32[])"
#define RECORD_T "(" ENTRY_T ",bytes,uint32,uint32,uint256," SUM_T "[])"

static struct chain_abi_value *sum_abi(const struct settle_sum *x)
{
	struct chain_abi_value *t = chain_abi_tuple_new();
	chain_abi_push(t, chain_abi_fixed_bytes_new(x->h, 32));
	chain_abi_push(t, chain_abi_uint_new(x->passed));
	chain_abi_push(t, chain_abi_uint_new(x->decided));
	return t;
}

static struct chain_abi_value *entry_abi(const struct settle_evidence_proof *p)
{
	struct chain_abi_value *t = chain_abi_tuple_new(), *path = chain_abi_array_new();
	for (size_t i = 0; i < p->top_len; i++)
		chain_abi_push(path, chain_abi_fixed_bytes_new(p->top_path[i], 32));
	chain_abi_push(t, chain_abi_uint_new(p->index));
	chain_abi_push(t, chain_abi_address_new(p->node));
	chain_abi_push(t, sum_abi(&p->sub));
	chain_abi_push(t, path);
	return t;
}

static struct chain_abi_value *record_abi(const struct settle_record *r,
					  const struct settle_evidence_proof *p)
{
	uint8_t rec[SETTLE_EVIDENCE_RECORD_LEN];
	struct settle_sum leaf;
	struct chain_abi_value *t = chain_abi_tuple_new(), *path = chain_abi_array_new();
	settle_record_encode(r, rec);
	settle_record_leaf(r, &leaf);
	for (size_t i = 0; i < p->sub_len; i++)
		chain_abi_push(path, sum_abi(&p->sub_path[i]));
	chain_abi_push(t, entry_abi(p));
	chain_abi_push(t, chain_abi_bytes_new(rec, sizeof(rec)));
	chain_abi_push(t, chain_abi_uint_new(leaf.passed));
	chain_abi_push(t, chain_abi_uint_new(leaf.decided));
	chain_abi_push(t, chain_abi_uint_new(p->pos));
	chain_abi_push(t, path);
	return t;
}

/* A proof sent to the Disputes contract; args (stolen) after (epoch, auditorId). */
static bool send_disputes(struct settle_chain *c, const struct settle_finding *f,
			  const char *sig, struct chain_abi_value *args, struct err *e)
{
	const uint8_t *to = disputes_of(c);
	char purpose[96];
	if (!to) {
		chain_abi_value_free(args);
		return err_set(e, "the deployment names no Disputes contract to send the %s proof to",
			       settle_finding_kind_name(f->kind));
	}
	snprintf(purpose, sizeof(purpose), "settle dispute epoch %" PRIu64 " auditor %u %s %zu",
		 f->epoch, f->auditor_id, settle_finding_kind_name(f->kind), f->index);
	if (!chain_bind_send(settle_chain_bind(c), to, sig, args, purpose, NULL, e))
		return false;
	log_info("settle: %s landed", purpose);
	return true;
}

bool settle_dispute_submit(struct settle_chain *c, const struct settle_finding *f, struct err *e)
{
	struct settle_reveal *rv = NULL;
	size_t k = 0;
	bool ok = false;
	if (!f->provable)
		return err_set(e, "no proof the contract takes for this finding (%s)",
			       settle_finding_kind_name(f->kind));
	if (f->kind == SETTLE_FINDING_VERDICT)
		return settle_verdict_submit(c, f->verdict, e);
	if (!settle_chain_reveals(c, f->epoch, false, &rv, &k, e))
		return false;
	const struct settle_reveal *r = NULL;
	for (size_t i = 0; i < k && !r; i++)
		if (rv[i].auditor_id == f->auditor_id)
			r = &rv[i];
	struct chain_abi_value *a = NULL;
	if (!r) {
		err_set(e, "auditor %u revealed nothing for epoch %" PRIu64, f->auditor_id, f->epoch);
		goto out;
	}
	switch (f->kind) {
	case SETTLE_FINDING_NODE_TOTAL:
		ok = settle_chain_dispute_node_total(c, f->epoch, f->auditor_id, r->passed, r->decided,
						     r->m, &f->proof, e);
		break;
	case SETTLE_FINDING_SCHEDULE:
		a = chain_abi_tuple_new();
		chain_abi_push(a, chain_abi_uint_new(f->epoch));
		chain_abi_push(a, chain_abi_uint_new(f->auditor_id));
		chain_abi_push(a, record_abi(&f->record, &f->proof));
		chain_abi_push(a, chain_abi_fixed_bytes_new(r->secret, 32));
		ok = send_disputes(c, f, "disputeSchedule(uint64,uint8," RECORD_T ",bytes32)", a, e);
		break;
	case SETTLE_FINDING_TOO_MANY:
		a = chain_abi_tuple_new();
		chain_abi_push(a, chain_abi_uint_new(f->epoch));
		chain_abi_push(a, chain_abi_uint_new(f->auditor_id));
		chain_abi_push(a, entry_abi(&f->proof));
		ok = send_disputes(c, f, "disputeTooMany(uint64,uint8," ENTRY_T ")", a, e);
		break;
	case SETTLE_FINDING_RECORD:
		a = chain_abi_tuple_new();
		chain_abi_push(a, chain_abi_uint_new(f->epoch));
		chain_abi_push(a, chain_abi_uint_new(f->auditor_id));
		chain_abi_push(a, record_abi(&f->record, &f->proof));
		ok = send_disputes(c, f, "disputeRecord(uint64,uint8," RECORD_T ")", a, e);
		break;
	case SETTLE_FINDING_ORDER:
		a = chain_abi_tuple_new();
		chain_abi_push(a, chain_abi_uint_new(f->epoch));
		chain_abi_push(a, chain_abi_uint_new(f->auditor_id));
		chain_abi_push(a, record_abi(&f->record, &f->proof));
		chain_abi_push(a, record_abi(&f->record2, &f->proof2));
		ok = send_disputes(c, f, "disputeOrder(uint64,uint8," RECORD_T "," RECORD_T ")", a, e);
		break;
	default:
		err_set(e, "no proof the contract takes for this finding (%s)",
			settle_finding_kind_name(f->kind));
	}
out:
	settle_reveals_free(rv, k);
	return ok;
}

static json_t *record_json(const struct settle_record *r)
{
	char node[43], blob[AUDIT_BLOB_ID_TEXT_LEN + 1];
	chain_address_checksum(node, r->node);
	audit_blob_id_text(blob, r->blob);
	return json_pack("{sI ss ss si ss si si ss}", "seq", (json_int_t)r->seq, "node", node,
			 "blob", blob, "shard", (int)r->shard, "axis",
			 r->axis == AUDIT_AXIS_SECONDARY ? "secondary" : "primary", "row", (int)r->row,
			 "col", (int)r->col, "outcome", audit_outcome_name(r->outcome));
}

json_t *settle_finding_json(const struct settle_finding *f)
{
	char blob[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(blob, f->evidence_blob);
	json_t *j = json_pack("{sI sI ss sb sb ss ss}", "epoch", (json_int_t)f->epoch, "auditor_id",
			      (json_int_t)f->auditor_id, "kind", settle_finding_kind_name(f->kind),
			      "fraud", f->fraud, "provable", f->provable, "what", f->what,
			      "evidence_blob", blob);
	if (f->kind == SETTLE_FINDING_NODE_TOTAL) {
		json_object_set_new(j, "index", json_integer((json_int_t)f->index));
		json_object_set_new(j, "attested",
				    json_pack("{sI sI}", "passed", (json_int_t)f->attested_passed,
					      "decided", (json_int_t)f->attested_decided));
		json_object_set_new(j, "proof", settle_evidence_proof_json(&f->proof));
		json_object_set_new(j, "needs", json_string("the revealed counts (from the chain) and "
							    "this node-total proof: "
							    "Settlement.disputeNodeTotal"));
	} else if (f->kind == SETTLE_FINDING_VERDICT) {
		json_object_set_new(j, "index", json_integer((json_int_t)f->index));
		json_object_set_new(j, "seq", json_integer((json_int_t)settle_verdict_seq(f->verdict)));
		json_object_set_new(j, "needs", json_string("the record's proof, the blob's metadata "
							    "and the body the node answered: "
							    "Disputes.disputeVerdict"));
	} else if (f->kind == SETTLE_FINDING_SCHEDULE) {
		json_object_set_new(j, "index", json_integer((json_int_t)f->index));
		json_object_set_new(j, "records", json_integer((json_int_t)f->records));
		json_object_set_new(j, "record", record_json(&f->record));
		if (f->provable)
			json_object_set_new(j, "proof", settle_evidence_proof_json(&f->proof));
		json_object_set_new(j, "needs", json_string(f->provable
								    ? "this record proof and the "
								      "revealed secret: "
								      "Disputes.disputeSchedule"
								    : "governance (voidEpoch): the "
								      "contract cannot check it"));
	} else if (f->kind == SETTLE_FINDING_TOO_MANY) {
		json_object_set_new(j, "index", json_integer((json_int_t)f->index));
		json_object_set_new(j, "challenges", json_integer((json_int_t)f->challenges));
		json_object_set_new(j, "proof", settle_evidence_proof_json(&f->proof));
		json_object_set_new(j, "needs", json_string("this node-total proof as an Entry: "
							    "Disputes.disputeTooMany"));
	} else if (f->kind == SETTLE_FINDING_RECORD || f->kind == SETTLE_FINDING_ORDER) {
		bool order = f->kind == SETTLE_FINDING_ORDER;
		json_object_set_new(j, "index", json_integer((json_int_t)f->index));
		json_object_set_new(j, "record", record_json(&f->record));
		json_object_set_new(j, "proof", settle_evidence_proof_json(&f->proof));
		if (order) {
			json_object_set_new(j, "record2", record_json(&f->record2));
			json_object_set_new(j, "proof2", settle_evidence_proof_json(&f->proof2));
		}
		json_object_set_new(j, "needs",
				    json_string(order ? "these two record proofs: Disputes.disputeOrder"
						      : "this record proof: Disputes.disputeRecord"));
	} else if (f->kind == SETTLE_FINDING_UNRECORDED) {
		json_object_set_new(j, "records", json_integer((json_int_t)f->records));
		json_object_set_new(j, "needs", json_string("nothing: a scheduled challenge with no "
							    "record is not provable on chain"));
	} else if (f->kind == SETTLE_FINDING_NEEDS_NODE) {
		json_object_set_new(j, "index", json_integer((json_int_t)f->index));
		json_object_set_new(j, "records", json_integer((json_int_t)f->records));
		json_object_set_new(j, "needs", json_string("the node: the body it answered and the "
							    "blob's metadata (fraud proof 2)"));
	} else {
		json_object_set_new(j, "needs", json_string("no single proof on chain takes a whole "
							    "blob: governance (voidEpoch) with this "
							    "blob as the evidence"));
	}
	return j;
}

size_t settle_dispute_submit_all(struct settle_chain *c, const struct settle_dispute_report *r,
				 bool *sent, settle_dispute_fail_fn *on_fail, void *arg)
{
	size_t failed = 0;
	for (size_t i = 0; i < r->n; i++) {
		bool done = false;
		for (size_t j = 0; j < i; j++)
			done = done || (sent[j] && r->v[j].auditor_id == r->v[i].auditor_id);
		if (!r->v[i].provable || done)
			continue;
		struct err e = {{0}};
		sent[i] = settle_dispute_submit(c, &r->v[i], &e);
		if (!sent[i]) {
			failed++;
			on_fail(arg, &r->v[i], e.msg);
		}
	}
	return failed;
}

void settle_dispute_report_print(FILE *out, const struct settle_dispute_report *r,
				 uint64_t epoch, const bool *sent, bool json)
{
	if (json) {
		json_t *arr = json_array();
		for (size_t i = 0; i < r->n; i++) {
			json_t *f = settle_finding_json(&r->v[i]);
			if (sent && r->v[i].provable)
				json_object_set_new(f, "submitted", json_boolean(sent[i]));
			json_array_append_new(arr, f);
		}
		json_t *j = json_pack("{sI sI sI so}", "epoch", (json_int_t)epoch, "checked",
				      (json_int_t)r->checked, "frauds",
				      (json_int_t)settle_dispute_report_frauds(r), "findings", arr);
		char *t = json_dumps(j, JSON_COMPACT);
		fprintf(out, "%s\n", t);
		free(t);
		json_decref(j);
		return;
	}
	fprintf(out, "epoch %" PRIu64 ": %zu evidence blob(s) checked, %zu fraud(s) found\n", epoch,
		r->checked, settle_dispute_report_frauds(r));
	for (size_t i = 0; i < r->n; i++) {
		const struct settle_finding *f = &r->v[i];
		const char *how = f->provable ? "fraud, provable" : f->fraud ? "fraud" : "note";
		fprintf(out, "  auditor %u %s (%s): %s%s\n", f->auditor_id,
			settle_finding_kind_name(f->kind), how, f->what,
			sent && f->provable ? (sent[i] ? " [proof submitted]" : " [submitting failed]")
					    : "");
	}
}
