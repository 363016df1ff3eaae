/* payouts.c: the payouts of a node and their reconciliation (see payouts.h). */
#include "settle/payouts.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/bindings.h"
#include "core/buf.h"
#include "core/err.h"
#include "settle/chainio.h"
#include "settle/epoch.h"
#include "sql/node_scores.h"
#include "sql/settle.h"

bool settle_payouts_paid(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			 struct settle_payout **out, size_t *n, struct err *e)
{
	struct db_node_score *sc = NULL;
	size_t k = 0;
	*out = NULL;
	*n = 0;
	if (!db_node_scores_get(db, node, from, to, &sc, &k, e))
		return false;
	struct settle_payout *p = xcalloc(k + 1, sizeof(*p));
	for (size_t i = 0; i < k; i++) {
		p[i].epoch = sc[i].epoch;
		memcpy(p[i].node, sc[i].node, 20);
		p[i].penalized = sc[i].penalized;
		memcpy(p[i].finalize_tx, sc[i].tx_hash, 32);
		if (!chain_u256_parse(&p[i].median, sc[i].median_score, e) ||
		    !chain_u256_parse(&p[i].reward, sc[i].reward, e) ||
		    !chain_u256_parse(&p[i].slashed, sc[i].slashed, e)) {
			err_prefix(e, "node_scores of epoch %" PRIu64 ": ", sc[i].epoch);
			free(sc);
			free(p);
			return false;
		}
	}
	free(sc);
	*out = p;
	*n = k;
	return true;
}

/* The warnings a provider wants beside a median score (wad: 1e18 is 100 %): below or near
 * the penalty threshold, at or near R0 (rewards start above it). Near: within 5 points. */
static void threshold_notes(struct buf *notes, uint64_t score_wad, uint64_t r0_bps,
			    uint64_t pen_bps)
{
	const uint64_t bp = 100000000000000ull; /* 1e14: one basis point of a wad */
	const uint64_t near = 500 * bp;
	uint64_t pen = pen_bps * bp, r0 = r0_bps * bp;
	if (score_wad < pen)
		buf_printf(notes, "below the penalty threshold %.2f%%: slashed; ", pen_bps / 100.0);
	else if (score_wad < pen + near)
		buf_printf(notes, "WARNING: within 5 points of the penalty threshold %.2f%%; ",
			   pen_bps / 100.0);
	if (score_wad <= r0 && score_wad >= pen)
		buf_printf(notes, "at or below R0 %.2f%%: no reward; ", r0_bps / 100.0);
	else if (score_wad > r0 && score_wad < r0 + near)
		buf_printf(notes, "WARNING: within 5 points of R0 %.2f%%: most of the reward is lost; ",
			   r0_bps / 100.0);
}

/* This auditor's counts of the node in its database. */
static bool counts_in_db(struct settle_ctx *x, uint64_t ep, const uint8_t node[20],
			 struct settle_payout_row *r, uint64_t *dp, uint64_t *dd, struct err *e)
{
	struct db_settle_attestation a;
	bool found = false;
	if (!db_settle_attestation_get(x->db, ep, x->signer, "local", &a, &found, e))
		return false;
	for (size_t i = 0; found && i < a.m; i++)
		if (!memcmp(a.nodes[i], node, 20)) {
			*dp = a.passed[i];
			*dd = a.decided[i];
			r->in_db = true;
		}
	db_settle_attestation_clear(&a);
	return true;
}

/* The node's shards in the epoch's committee, and this auditor's reveal of its counts. */
static bool counts_on_chain(struct settle_ctx *x, uint64_t ep, const uint8_t node[20],
			    struct settle_payout_row *r, uint64_t *cp, uint64_t *cd, struct err *e)
{
	struct settle_reveal *rv = NULL;
	size_t k = 0, m = 0;
	uint8_t(*nodes)[20] = NULL;
	uint16_t *shards = NULL;
	uint8_t ch[32];
	bool ok = settle_chain_reveals(x->chain, ep, false, &rv, &k, e) &&
		  settle_chain_committee(x->chain, ep, &nodes, &shards, &m, ch, e);
	for (size_t i = 0; ok && i < m; i++)
		if (!memcmp(nodes[i], node, 20)) {
			r->shards = shards[i];
			r->in_committee = true;
		}
	for (size_t j = 0; ok && j < k; j++)
		if (rv[j].auditor_id == x->auditor_id)
			for (size_t i = 0; i < m && i < rv[j].m; i++)
				if (!memcmp(nodes[i], node, 20)) {
					*cp = rv[j].passed[i];
					*cd = rv[j].decided[i];
					r->on_chain = true;
					r->has_reveal_tx = true;
					memcpy(r->reveal_tx, rv[j].tx_hash, 32);
				}
	free(shards);
	settle_reveals_free(rv, k);
	free(nodes);
	return ok;
}

/* One epoch; *keep false when neither the database nor the chain has counts. */
static bool reconcile_epoch(struct settle_ctx *x, const uint8_t node[20], uint64_t ep,
			    const struct settle_payout *paid, size_t npaid, uint64_t r0_bps,
			    uint64_t pen_bps, struct settle_payout_row *r, bool *disagree,
			    bool *keep, struct err *e)
{
	uint64_t dp = 0, dd = 0, cp = 0, cd = 0;
	memset(r, 0, sizeof(*r));
	r->epoch = ep;
	*disagree = false;
	*keep = false;
	if (!counts_in_db(x, ep, node, r, &dp, &dd, e) ||
	    !counts_on_chain(x, ep, node, r, &cp, &cd, e))
		return false;
	if (!r->in_db && !r->on_chain)
		return true;
	*keep = true;
	struct buf notes = BUF_INIT;
	if (r->in_db && r->on_chain && (dp != cp || dd != cd)) {
		*disagree = true;
		buf_printf(&notes, "DISAGREE: database says %" PRIu64 "/%" PRIu64
				   ", our reveal on chain says %" PRIu64 "/%" PRIu64 "; ",
			   dp, dd, cp, cd);
	} else if (r->in_db && !r->on_chain) {
		buf_printf(&notes, "not revealed on chain; ");
	} else if (!r->in_db && r->on_chain) {
		*disagree = true;
		buf_printf(&notes, "DISAGREE: revealed on chain but absent from the database; ");
	}
	r->passed = r->in_db ? dp : cp;
	r->decided = r->in_db ? dd : cd;
	const struct settle_payout *sc = NULL;
	for (size_t i = 0; i < npaid; i++)
		if (paid[i].epoch == ep)
			sc = &paid[i];
	if (sc) {
		r->finalized = true;
		r->paid = *sc;
		/* No auditor decided a challenge of the node: no score (no reward, no penalty),
		 * not a score of 0. */
		bool scored = r->decided > 0 || sc->penalized || !chain_u256_is_zero(&sc->median);
		if (scored && chain_u256_to_u64(&sc->median, &r->median_wad)) {
			r->has_median = true;
			threshold_notes(&notes, r->median_wad, r0_bps, pen_bps);
		}
		if (r->shards) { /* rewards are in proportion to shards */
			(void)chain_u256_div_small(&r->reward_per_shard, &sc->reward, r->shards);
			r->has_reward_per_shard = true;
		}
	} else {
		buf_printf(&notes, "not finalized; ");
	}
	snprintf(r->notes, sizeof(r->notes), "%s", buf_cstr(&notes));
	buf_free(&notes);
	return true;
}

bool settle_payout_terms_read(struct settle_ctx *x, struct settle_payout_terms *t,
			      struct err *e)
{
	struct chain_bind *b = settle_chain_bind(x->chain);
	memset(t, 0, sizeof(*t));
	return chain_staking_current_epoch(b, &t->current_epoch, e) &&
	       chain_settlement_thresholds(b, &t->r0_bps, &t->penalty_bps, e);
}

bool settle_payouts_reconcile(struct settle_ctx *x, const uint8_t node[20],
			      const struct settle_payout_terms *t, uint64_t from, uint64_t to,
			      struct settle_payouts *out, struct err *e)
{
	memset(out, 0, sizeof(*out));
	memcpy(out->node, node, 20);
	out->auditor_id = x->auditor_id;
	out->from = from;
	out->to = to;
	struct settle_payout *paid = NULL;
	size_t npaid = 0;
	bool ok = false;
	/* The chain is the truth about payouts: read it into the database, then take the
	 * numbers from there, as the API does. */
	if (!settle_scores_cache(x, from, to, node, NULL, NULL, e) ||
	    !settle_payouts_paid(x->db, node, from, to, &paid, &npaid, e))
		goto out;
	size_t cap = 16;
	out->rows = xcalloc(cap, sizeof(*out->rows));
	for (uint64_t ep = from; ep <= to; ep++) {
		if (out->n == cap) {
			cap *= 2;
			out->rows = xrealloc(out->rows, cap * sizeof(*out->rows));
		}
		bool disagree, keep;
		if (!reconcile_epoch(x, node, ep, paid, npaid, t->r0_bps, t->penalty_bps,
				     &out->rows[out->n],
				     &disagree, &keep, e))
			goto out;
		out->disagreements += disagree;
		out->n += keep;
		if (ep == UINT64_MAX)
			break;
	}
	ok = true;
out:
	free(paid);
	return ok;
}

void settle_payouts_clear(struct settle_payouts *p)
{
	if (!p)
		return;
	free(p->rows);
	memset(p, 0, sizeof(*p));
}
