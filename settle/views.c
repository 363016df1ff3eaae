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
#include "settle/evidence.h"
#include "settle/payouts.h"

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

/* One verified reveal: appended to arr (JSON), or written to f. */
static void attestation(FILE *f, const struct settle_reveal *r, const uint8_t signer[20],
			const char *problems, const uint8_t (*nodes)[20], size_t m, json_t *arr)
{
	char sa[43], er[67], tx[67];
	chain_address_checksum(sa, signer);
	hex0x(er, r->evidence_root, 32);
	hex0x(tx, r->tx_hash, 32);
	if (arr) {
		json_t *cnt = json_array();
		for (size_t i = 0; i < r->m && i < m; i++)
			json_array_append_new(cnt, json_pack("{s:o,s:I,s:I}", "node",
							     chain_address_json(nodes[i]), "passed",
							     (json_int_t)r->passed[i], "decided",
							     (json_int_t)r->decided[i]));
		json_array_append_new(arr, json_pack("{s:i,s:s,s:s,s:s,s:b,s:s,s:o}", "auditor_id",
						     r->auditor_id, "signer", sa, "evidence_root", er,
						     "tx", tx, "valid", problems[0] == '\0', "problems",
						     problems, "counts", cnt));
		return;
	}
	fprintf(f, "auditor %u signer %s: %s\n  evidence root %s\n  tx %s\n", r->auditor_id, sa,
		problems[0] ? problems : "signature, counts, committee, secret and commit verified",
		er, tx);
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
	size_t k = 0, m = 0;
	uint8_t(*nodes)[20] = NULL;
	uint8_t ch[32];
	bool ok = false;
	json_t *arr = json ? json_array() : NULL;
	*bad = 0;
	if (!settle_chain_reveals(c, epoch, true, &rv, &k, e) ||
	    !settle_chain_committee(c, epoch, &nodes, NULL, &m, ch, e))
		goto out;
	if (!json)
		fprintf(f, "epoch %" PRIu64 ": %zu attestation(s) revealed, committee of %zu\n", epoch,
			k, m);
	for (size_t j = 0; j < k; j++) {
		uint8_t signer[20];
		char *problems = NULL;
		if (!settle_chain_verify_reveal(c, dom, epoch, &rv[j], ch, signer, &problems, e))
			goto out;
		if (problems[0])
			(*bad)++;
		attestation(f, &rv[j], signer, problems, (const uint8_t(*)[20])nodes, m, arr);
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
	free(nodes);
	settle_reveals_free(rv, k);
	return ok;
}

/* ---- evidence verify ---- */

/* The proof's record, index, count and path; false with a sentence when malformed. */
static bool proof_parse(json_t *j, struct settle_record *r, size_t *index, size_t *count,
			uint8_t path[SETTLE_EVIDENCE_MAX_DEPTH][32], size_t *plen, struct err *e)
{
	struct buf rec = BUF_INIT;
	json_t *proof = json_object_get(j, "proof");
	*plen = json_array_size(proof);
	const char *rh = json_string_value(json_object_get(j, "record"));
	json_t *ji = json_object_get(j, "index"), *jc = json_object_get(j, "count");
	bool ok = rh && json_is_integer(ji) && json_is_integer(jc) && json_is_array(proof) &&
		  *plen <= SETTLE_EVIDENCE_MAX_DEPTH && hex_decode_buf(&rec, rh, e) &&
		  settle_record_decode(rec.data, rec.len, r, e);
	buf_free(&rec);
	if (!ok)
		return err_prefix(e, "the proof is not one 'assay evidence prove' prints: ");
	*index = (size_t)json_integer_value(ji);
	*count = (size_t)json_integer_value(jc);
	for (size_t i = 0; i < *plen; i++)
		if (!hex_decode_exact(path[i], 32, json_string_value(json_array_get(proof, i)), e))
			return err_prefix(e, "proof step %zu: ", i);
	return true;
}

bool settle_evidence_proof_verify(struct settle_chain *c, json_t *proof, struct settle_record *r,
				  uint8_t *auditor_id, struct err *e)
{
	uint8_t path[SETTLE_EVIDENCE_MAX_DEPTH][32];
	size_t index = 0, count = 0, plen = 0, k = 0;
	struct settle_reveal *rv = NULL;
	if (!proof_parse(proof, r, &index, &count, path, &plen, e) ||
	    !settle_chain_reveals(c, r->epoch, false, &rv, &k, e))
		return false;
	bool ok = false, found = false;
	for (size_t i = 0; !found && i < k; i++) {
		uint8_t signer[20], payee[20];
		bool active;
		if (!chain_settlement_auditor(settle_chain_bind(c), rv[i].auditor_id, signer, payee,
					      &active, e))
			goto out;
		if (memcmp(signer, r->auditor, 20))
			continue;
		found = true;
		*auditor_id = rv[i].auditor_id;
		ok = settle_evidence_verify(rv[i].evidence_root, count, index, r,
					    (const uint8_t(*)[32])path, plen, e);
		if (!ok)
			err_prefix(e, "the record does not prove against auditor %u's evidence root "
				      "on chain: ",
				   rv[i].auditor_id);
	}
	if (!found)
		err_set(e, "no reveal on chain for epoch %" PRIu64 " by the record's auditor", r->epoch);
out:
	settle_reveals_free(rv, k);
	return ok;
}
