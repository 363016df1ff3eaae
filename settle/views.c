/* views.c: payouts and attestations as text or JSON (see views.h). */
#include "settle/views.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/u256.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "settle/chainio.h"
#include "settle/convict.h"
#include "settle/evidence.h"
#include "settle/archive.h"
#include "settle/payouts.h"
#include "settle/score.h"

static void hex0x(char *out, const uint8_t *d, size_t n)
{
	out[0] = '0';
	out[1] = 'x';
	hex_encode(out + 2, d, n);
}

/* passed / decided as a percentage with two decimals, "-" when nothing was decided */
static void pct(char *out, size_t len, uint64_t p, uint64_t d)
{
	if (!d)
		snprintf(out, len, "-");
	else
		snprintf(out, len, "%.2f%%", 100.0 * (double)p / (double)d);
}

/* ---- payouts ---- */

static void payout_row(FILE *f, const struct settle_payout_row *r, json_t *arr)
{
	char med[32] = "-", rew[CHAIN_U256_STRLEN] = "-", sl[CHAIN_U256_STRLEN] = "-",
	     per_shard[CHAIN_U256_STRLEN] = "", ours[16], tx[67] = "", sh[16] = "-",
	     reveal_tx[67] = "";
	if (r->in_committee)
		snprintf(sh, sizeof(sh), "%" PRIu64, r->shards);
	if (r->has_reveal_tx)
		hex0x(reveal_tx, r->reveal_tx, 32);
	if (r->has_median)
		snprintf(med, sizeof(med), "%.2f%%", (double)r->median_wad / 1e16);
	if (r->finalized) {
		chain_u256_to_dec(&r->paid.reward, rew);
		chain_u256_to_dec(&r->paid.slashed, sl);
		hex0x(tx, r->paid.finalize_tx, 32);
	}
	if (r->has_reward_per_shard)
		chain_u256_to_dec(&r->reward_per_shard, per_shard);
	pct(ours, sizeof(ours), r->passed, r->decided);
	bool penalized = r->finalized && r->paid.penalized;
	if (!arr) {
		fprintf(f, "%-6" PRIu64 " %-6s %-9" PRIu64 " %-9" PRIu64 " %-8s %-8s %-26s %-6s %s\n",
			r->epoch, sh, r->decided, r->passed, ours, med, rew, penalized ? "yes" : "no",
			r->notes);
		return;
	}
	json_array_append_new(
		arr, json_pack("{s:I,s:o,s:o,s:I,s:I,s:s,s:s,s:s,s:b,s:s,s:s,s:s,s:s}", "epoch",
			       (json_int_t)r->epoch, "shards",
			       r->in_committee ? json_integer((json_int_t)r->shards) : json_null(),
			       "reward_per_shard", per_shard[0] ? json_string(per_shard) : json_null(),
			       "decided", (json_int_t)r->decided, "passed", (json_int_t)r->passed,
			       "score", ours, "median", med, "reward", rew, "penalized", penalized,
			       "slashed", sl, "finalize_tx", tx, "reveal_tx", reveal_tx, "notes",
			       r->notes));
}

void settle_payouts_print(FILE *f, const struct settle_payouts *p, bool json)
{
	char naddr[43];
	chain_address_checksum(naddr, p->node);
	json_t *arr = json ? json_array() : NULL;
	if (!json)
		fprintf(f, "node %s, auditor id %u\n%-6s %-6s %-9s %-9s %-8s %-8s %-26s %-6s %s\n",
			naddr, p->auditor_id, "epoch", "shards", "decided", "passed", "ours",
			"median", "reward", "slash", "notes");
	for (size_t i = 0; i < p->n; i++)
		payout_row(f, &p->rows[i], arr);
	if (json) {
		char *t = json_dumps(arr, JSON_COMPACT);
		fprintf(f, "{\"node\":\"%s\",\"epochs\":%s,\"disagreements\":%u}\n", naddr, t,
			p->disagreements);
		free(t);
	} else if (p->disagreements) {
		fprintf(f, "%u epoch(s) where the database and the chain disagree\n",
			p->disagreements);
	} else {
		fprintf(f, "the database and the chain agree\n");
	}
	json_decref(arr);
}

/* ---- attestations ---- */

/* One verified reveal, with its auditor's bond and its conviction if a fraud proof removed
 * it: appended to arr (JSON), or written to f. */
static void attestation(FILE *f, const struct settle_reveal *r, const uint8_t signer[20],
			const char *problems, const struct settle_conviction *cv,
			const struct chain_u256 *bond, uint64_t bond_locked_until,
			const uint8_t (*nodes)[20], size_t m, json_t *arr)
{
	char sa[43], er[67], tx[67], eb[67];
	chain_address_checksum(sa, signer);
	hex0x(er, r->evidence_root, 32);
	hex0x(eb, r->evidence_blob, 32);
	hex0x(tx, r->tx_hash, 32);
	if (arr) {
		char bd[CHAIN_U256_STRLEN];
		chain_u256_to_dec(bond, bd);
		json_t *cnt = json_array();
		for (size_t i = 0; i < r->m && i < m; i++)
			json_array_append_new(cnt, json_pack("{s:o,s:I,s:I}", "node",
							     chain_address_json(nodes[i]), "passed",
							     (json_int_t)r->passed[i], "decided",
							     (json_int_t)r->decided[i]));
		json_t *o = json_pack("{s:i,s:s,s:s,s:s,s:s,s:b,s:s,s:o,s:b,s:o,s:s,s:I}",
				      "auditor_id", r->auditor_id, "signer", sa, "evidence_root", er,
				      "evidence_blob", eb, "tx", tx, "valid", problems[0] == '\0',
				      "problems", problems, "counts", cnt, "disputed", cv != NULL,
				      "dispute", cv ? settle_conviction_json(cv) : json_null(), "bond",
				      bd, "bond_locked_until", (json_int_t)bond_locked_until);
		json_array_append_new(arr, o);
		return;
	}
	fprintf(f, "auditor %u signer %s: %s\n  evidence root %s\n  evidence blob %s\n  tx %s\n",
		r->auditor_id, sa,
		problems[0] ? problems : "signature, counts, committee, secret and commit verified",
		er, eb, tx);
	if (cv) {
		char disputer[43], reward[CHAIN_U256_STRLEN], burned[CHAIN_U256_STRLEN], dtx[67];
		chain_address_checksum(disputer, cv->disputer);
		chain_u256_to_dec(&cv->reward, reward);
		chain_u256_to_dec(&cv->burned, burned);
		hex0x(dtx, cv->tx_hash, 32);
		fprintf(f,
			"  disputed: %s, by %s, reward %s, burned %s (tx %s, block %" PRIu64
			"): convicted, no longer counted\n",
			settle_dispute_kind_name(cv->kind), disputer, reward, burned, dtx, cv->block);
	}
	for (size_t i = 0; i < r->m && i < m; i++) {
		char na[43], p[16];
		chain_address_checksum(na, nodes[i]);
		pct(p, sizeof(p), r->passed[i], r->decided[i]);
		fprintf(f, "    %s %u/%u %s\n", na, r->passed[i], r->decided[i], p);
	}
}

bool settle_attestations_print(FILE *f, struct settle_chain *c, const struct settle_domain *dom,
			       uint64_t epoch, bool json, unsigned *bad, struct err *e)
{
	struct settle_reveal *rv = NULL;
	struct settle_convictions cvs = {0};
	size_t k = 0, m = 0;
	uint8_t(*nodes)[20] = NULL;
	uint8_t ch[32];
	bool ok = false;
	json_t *arr = json ? json_array() : NULL;
	*bad = 0;
	if (!settle_chain_reveals(c, epoch, true, &rv, &k, e) ||
	    !settle_chain_committee(c, epoch, &nodes, NULL, &m, ch, e) ||
	    !settle_convictions_read(c, epoch, &cvs, e))
		goto out;
	if (!json)
		fprintf(f, "epoch %" PRIu64 ": %zu attestation(s) revealed, committee of %zu\n", epoch,
			k, m);
	for (size_t j = 0; j < k; j++) {
		uint8_t signer[20];
		char *problems = NULL;
		struct chain_u256 bond = {0};
		uint64_t until = 0;
		if ((json && !settle_chain_bond(c, rv[j].auditor_id, &bond, &until, e)) ||
		    !settle_chain_verify_reveal(c, dom, epoch, &rv[j], ch, signer, &problems, e))
			goto out;
		const struct settle_conviction *cv = settle_conviction_find(&cvs, rv[j].auditor_id, NULL);
		if (problems[0])
			(*bad)++;
		attestation(f, &rv[j], signer, problems, cv, &bond, until, (const uint8_t(*)[20])nodes,
			    m, arr);
		free(problems);
	}
	if (json) {
		char *t = json_dumps(arr, JSON_COMPACT);
		fprintf(f, "{\"epoch\":%" PRIu64 ",\"attestations\":%s}\n", epoch, t);
		free(t);
	}
	ok = true;
out:
	json_decref(arr);
	settle_convictions_clear(&cvs);
	free(nodes);
	settle_reveals_free(rv, k);
	return ok;
}

/* ---- evidence verify ---- */

bool settle_evidence_proof_verify(struct settle_chain *c, json_t *j,
				  struct settle_proof_checked *out, struct err *e)
{
	struct buf rec = BUF_INIT;
	struct settle_reveal *rv = NULL;
	size_t k = 0;
	bool ok = false;
	memset(out, 0, sizeof(*out));
	json_t *je_ = json_object_get(j, "epoch");
	const char *rh = json_string_value(json_object_get(j, "record"));
	const char *ah = json_string_value(json_object_get(j, "auditor"));
	out->total = !rh;
	if (!json_is_integer(je_) || json_integer_value(je_) < 0 || !ah ||
	    !chain_address_parse(out->auditor, ah, e) ||
	    !settle_evidence_proof_parse(json_object_get(j, "proof"), &out->proof, e) ||
	    (rh && (!hex_decode_buf(&rec, rh, e) ||
		    !settle_record_decode(rec.data, rec.len, &out->record, e)))) {
		err_prefix(e, "the proof is not one 'assay evidence prove' prints: ");
		goto out;
	}
	out->epoch = (uint64_t)json_integer_value(je_);
	if (!out->total &&
	    (out->record.epoch != out->epoch || memcmp(out->record.auditor, out->auditor, 20))) {
		err_set(e, "the record is not of the proof's epoch and auditor");
		goto out;
	}
	if (!settle_chain_reveals(c, out->epoch, false, &rv, &k, e))
		goto out;
	for (size_t i = 0; i < k; i++) {
		uint8_t signer[20], payee[20];
		bool active;
		if (!chain_settlement_auditor(settle_chain_bind(c), rv[i].auditor_id, signer, payee,
					      &active, e))
			goto out;
		if (memcmp(signer, out->auditor, 20))
			continue;
		out->auditor_id = rv[i].auditor_id;
		ok = out->total ? settle_evidence_verify_total(rv[i].evidence_root, &out->proof, e)
				: settle_evidence_verify(rv[i].evidence_root, &out->record, &out->proof, e);
		if (!ok)
			err_prefix(e, "the proof does not lead to auditor %u's evidence root on chain: ",
				   rv[i].auditor_id);
		goto out;
	}
	err_set(e, "no reveal on chain for epoch %" PRIu64 " by the proof's auditor", out->epoch);
out:
	buf_free(&rec);
	settle_reveals_free(rv, k);
	return ok;
}

/* The tree and records of the proof's source, and who signed them. */
static bool prove_source(struct db *db, const uint8_t auditor[20], const char *archive,
			 uint64_t epoch, struct settle_evidence **ev, struct settle_record **recs,
			 size_t *n, uint8_t signer[20], struct err *e)
{
	if (!archive) {
		memcpy(signer, auditor, 20);
		return settle_evidence_load(db, epoch, auditor, ev, recs, n, e);
	}
	/* The archive names its auditor and committee; neither the database nor a key is
	 * needed. */
	struct settle_archive_header *ah = xcalloc(1, sizeof(*ah));
	bool ok = settle_archive_load(archive, ah, recs, n, e) &&
		  settle_evidence_new(ev, (const uint8_t(*)[20])ah->committee, ah->m, *recs, *n,
				      e);
	if (ok && ah->epoch != epoch)
		ok = err_set(e, "%s holds epoch %" PRIu64 ", not %" PRIu64, archive, ah->epoch,
			     epoch);
	memcpy(signer, ah->auditor, 20);
	free(ah);
	return ok;
}

json_t *settle_evidence_prove(struct db *db, const uint8_t auditor[20], const char *archive,
			      const struct settle_prove_what *w, struct err *e)
{
	struct settle_record *recs = NULL;
	struct settle_evidence *ev = NULL;
	struct settle_evidence_proof pr;
	size_t n = 0, idx = 0;
	uint8_t signer[20], root[32], enc[SETTLE_EVIDENCE_RECORD_LEN];
	json_t *out = NULL;
	if (!prove_source(db, auditor, archive, w->epoch, &ev, &recs, &n, signer, e))
		goto out;
	if (!ev) {
		err_set(e, "epoch %" PRIu64 " is not scored yet: its evidence tree is built over the "
			   "committee of the scored attestation",
			w->epoch);
		goto out;
	}
	if (w->node && !settle_evidence_node_index(ev, w->node, &idx)) {
		err_set(e, "%s is not in the committee of epoch %" PRIu64, w->node_name, w->epoch);
		goto out;
	}
	if (!w->node && !settle_evidence_find(ev, w->seq, &idx)) {
		err_set(e, "challenge %" PRIu64 " of epoch %" PRIu64 " has no decided record", w->seq,
			w->epoch);
		goto out;
	}
	char r[67], aud[43], hx[2 * SETTLE_EVIDENCE_RECORD_LEN + 3];
	settle_evidence_root(ev, root);
	hex0x(r, root, 32);
	chain_address_checksum(aud, signer);
	out = json_pack("{s:I,s:s,s:s}", "epoch", (json_int_t)w->epoch, "auditor", aud, "root", r);
	if (w->node) {
		settle_evidence_total_proof(ev, idx, &pr);
		json_object_set_new(out, "kind", json_string("node_total"));
	} else {
		settle_evidence_proof(ev, idx, &pr);
		settle_record_encode(&recs[idx], enc);
		hex0x(hx, enc, sizeof(enc));
		json_object_set_new(out, "kind", json_string("record"));
		json_object_set_new(out, "seq", json_integer((json_int_t)w->seq));
		json_object_set_new(out, "outcome",
				    json_string(audit_outcome_name(recs[idx].outcome)));
		json_object_set_new(out, "record", json_string(hx));
	}
	json_object_set_new(out, "proof", settle_evidence_proof_json(&pr));
out:
	settle_evidence_free(ev);
	free(recs);
	return out;
}
