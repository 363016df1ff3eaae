/* dispute.c: the watcher (see dispute.h). */
#include "settle/dispute.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/key.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "settle/chainio.h"
#include "settle/epoch.h"
#include "settle/evblob.h"
#include "settle/verdict.h"

static const char *const kind_names[] = {"node_total", "evidence_root", "blob_header",
					 "blob_counts", "blob_unreadable", "needs_node",
					 "verdict", "record"};

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

/* Compares one auditor's evidence blob with its reveal. */
static void check_one(struct chain_session *reader, const struct settle_dispute_opts *o,
		      const struct settle_reveal *rv, const uint8_t signer[20],
		      const uint8_t (*nodes)[20], size_t m, struct settle_dispute_report *r)
{
	uint8_t *data = NULL, root[32];
	size_t len = 0;
	struct settle_evblob b;
	struct settle_evidence *ev = NULL;
	struct err ee = {{0}};
	char id[AUDIT_BLOB_ID_TEXT_LEN + 1];
	memset(&b, 0, sizeof(b));
	audit_blob_id_text(id, rv->evidence_blob);
	if (!settle_evblob_fetch(reader, o->confirmations, o->timeout_ms, rv->evidence_blob, &data,
				 &len, &ee)) {
		add(r, rv, SETTLE_FINDING_UNREADABLE, false,
		    "auditor %u's evidence blob %s could not be read: %s", rv->auditor_id, id, ee.msg);
		goto out;
	}
	if (!settle_evblob_decode(data, len, &b, &ee)) {
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
			if (o->ask_nodes &&
			    !settle_verdict_find(reader, &vo, rv->epoch, rv->auditor_id, rv->secret, &b,
						 ev, i, &v, &ee))
				log_warn("dispute: epoch %" PRIu64 ": auditor %u: %s", rv->epoch,
					 rv->auditor_id, ee.msg);
			if (v) {
				f = add(r, rv, SETTLE_FINDING_VERDICT, true, "%s", settle_verdict_what(v));
				f->provable = true;
				f->index = i;
				f->verdict = v;
			}
		}
	}
	free(failed);
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
	bool ok = false;
	memset(out, 0, sizeof(*out));
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
		check_one(reader, o, r, signer, (const uint8_t(*)[20])nodes, m, out);
	}
	ok = true;
out:
	if (!ok)
		settle_dispute_report_clear(out);
	free(nodes);
	settle_reveals_free(rv, k);
	return ok;
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
	if (!r)
		err_set(e, "auditor %u revealed nothing for epoch %" PRIu64, f->auditor_id, f->epoch);
	else
		ok = settle_chain_dispute_node_total(c, f->epoch, f->auditor_id, r->passed, r->decided,
						     r->m, &f->proof, e);
	settle_reveals_free(rv, k);
	return ok;
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
	} else if (f->kind == SETTLE_FINDING_RECORD) {
		json_object_set_new(j, "index", json_integer((json_int_t)f->index));
		json_object_set_new(j, "seq", json_integer((json_int_t)f->record.seq));
		json_object_set_new(j, "proof", settle_evidence_proof_json(&f->proof));
		json_object_set_new(j, "needs", json_string("the record's proof: "
							    "Disputes.disputeRecord"));
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
