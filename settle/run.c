/* run.c: one run of the settle job (see run.h). */
#include "settle/run.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "settle/chainio.h"
#include "settle/convict.h"
#include "settle/dispute.h"
#include "settle/epoch.h"
#include "sql/settle.h"

static bool write_metrics(struct settle_ctx *x, struct chain_sender *sender,
			  const struct settle_run_opts *o, uint64_t cur, uint64_t now,
			  struct err *e)
{
	struct buf b = BUF_INIT;
	struct db_settle_progress *p = NULL;
	size_t n = 0;
	bool ok = false;
	if (!db_settle_progress_list(x->db, x->signer, &p, &n, e))
		goto out;
	buf_printf(&b, "# TYPE assay_settle_epoch_state gauge\n");
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "assay_settle_epoch_state{epoch=\"%" PRIu64 "\",state=\"%s\"} 1\n",
			   p[i].epoch, p[i].state);
	buf_printf(&b, "assay_settle_current_epoch %" PRIu64 "\n", cur);
	buf_printf(&b, "assay_settle_chain_time_seconds %" PRIu64 "\n", now);
	if (sender) {
		struct chain_sender_stats st;
		struct chain_u256 bal;
		uint8_t from[20];
		char dec[CHAIN_U256_STRLEN];
		uint64_t stuck = 0;
		chain_sender_stats(sender, &st);
		chain_sender_address(sender, from);
		if (!chain_rpc_get_balance(settle_chain_rpc(x->chain), from, "latest", &bal, e) ||
		    !db_settle_stuck_count(x->db, from, o->stuck_after_s, &stuck, e))
			goto out;
		chain_u256_to_dec(&bal, dec);
		buf_printf(&b, "assay_settle_gas_balance_wei %s\n", dec);
		buf_printf(&b, "assay_settle_stuck_transactions %" PRIu64 "\n", stuck);
		buf_printf(&b, "assay_settle_fee_cap_hits %" PRIu64 "\n", st.fee_cap_hits);
		buf_printf(&b, "assay_settle_replacements %" PRIu64 "\n", st.replacements);
		buf_printf(&b, "assay_settle_in_flight %zu\n", chain_sender_in_flight(sender));
	}
	buf_printf(&b, "# TYPE assay_dispute_checked_total counter\n");
	buf_printf(&b, "assay_dispute_checked_total %" PRIu64 "\n", x->dispute_checked);
	buf_printf(&b, "# TYPE assay_dispute_found_total counter\n");
	for (int k = 0; k < SETTLE_DISPUTE_KINDS; k++)
		buf_printf(&b, "assay_dispute_found_total{kind=\"%s\"} %" PRIu64 "\n",
			   settle_finding_kind_name((enum settle_finding_kind)k), x->dispute_found[k]);
	buf_printf(&b, "# TYPE assay_dispute_submitted_total counter\n");
	buf_printf(&b, "assay_dispute_submitted_total %" PRIu64 "\n", x->dispute_submitted);
	buf_printf(&b, "# TYPE assay_dispute_convictions_seen gauge\n");
	for (unsigned k = 1; k < SETTLE_CONVICTION_KINDS; k++)
		buf_printf(&b, "assay_dispute_convictions_seen{kind=\"%s\"} %" PRIu64 "\n",
			   settle_dispute_kind_name(k), x->convictions_seen[k]);
	buf_printf(&b, "# TYPE assay_settle_log_blocks_scanned gauge\n");
	buf_printf(&b, "assay_settle_log_blocks_scanned %" PRIu64 "\n",
		   chain_bind_log_blocks_scanned(settle_chain_bind(x->chain)));
	buf_printf(&b, "assay_settle_warnings %u\n", x->warnings);
	buf_printf(&b, "assay_settle_errors %u\n", x->errors);
	if (!strcmp(o->metrics_path, "-")) {
		fwrite(b.data, 1, b.len, stdout);
		ok = true;
	} else {
		ok = write_file_atomic(o->metrics_path, b.data, b.len, 0644, e);
	}
out:
	free(p);
	buf_free(&b);
	return ok;
}

/* Counts what the chain recorded against epoch's attestations by now, whoever proved it
 * (the metric assay_dispute_convictions_seen). */
static bool convictions_seen(struct settle_ctx *x, uint64_t epoch, struct err *e)
{
	struct settle_convictions cv;
	if (!settle_convictions_read(x->chain, epoch, &cv, e))
		return false;
	for (size_t i = 0; i < cv.n; i++)
		x->convictions_seen[cv.v[i].kind < SETTLE_CONVICTION_KINDS ? cv.v[i].kind : 0]++;
	settle_convictions_clear(&cv);
	return true;
}

/* Checks the other auditors' evidence of epoch while its dispute window is open and sends
 * one proof per auditor caught in a provable lie. */
static bool watch(struct settle_ctx *x, uint64_t epoch, uint64_t now, struct err *e)
{
	struct chain_phases ph;
	struct chain_epoch_state es;
	struct chain_bind *b = settle_chain_bind(x->chain);
	bool ended = false;
	if (!x->publisher)
		return true;
	if (!chain_settlement_phases(b, epoch, &ph, &ended, e))
		return false;
	if (!ended || now < ph.commit_end || now >= ph.dispute_end)
		return true;
	if (!chain_settlement_epoch_state(b, epoch, &es, e))
		return false;
	if (es.status != 0 || es.revealed == 0)
		return convictions_seen(x, epoch, e);
	struct settle_dispute_report r = {0};
	struct settle_dispute_opts o = {.only_auditor = -1, .skip_auditor = x->auditor_id,
					.confirmations = x->confirmations,
					.timeout_ms = x->blob_timeout_ms, .ask_nodes = true};
	if (!settle_dispute_check(x->chain, x->publisher, epoch, &o, &r, e))
		return false;
	x->dispute_checked += r.checked;
	uint8_t convicted[32] = {0};
	for (size_t i = 0; i < r.n; i++) {
		const struct settle_finding *f = &r.v[i];
		x->dispute_found[f->kind]++;
		if (f->fraud)
			log_warn("settle: epoch %" PRIu64 ": dispute: %s", epoch, f->what);
		else
			log_info("settle: epoch %" PRIu64 ": dispute: %s", epoch, f->what);
		if (!f->provable || chain_mask_has(convicted, f->auditor_id))
			continue;
		struct err ee = {{0}};
		if (settle_dispute_submit(x->chain, f, &ee)) {
			x->dispute_submitted++;
			convicted[31 - f->auditor_id / 8] |= (uint8_t)(1u << (f->auditor_id % 8));
			log_warn("settle: epoch %" PRIu64 ": auditor %u convicted on chain (%s)", epoch,
				 f->auditor_id, settle_finding_kind_name(f->kind));
		} else if (chain_settlement_epoch_state(b, epoch, &es, e) &&
			   !chain_mask_has(es.revealed_mask, f->auditor_id)) {
			/* another watcher's proof landed first: the lie is answered all the same */
			log_info("settle: epoch %" PRIu64 ": auditor %u was convicted by another "
				 "proof meanwhile",
				 epoch, f->auditor_id);
		} else {
			x->errors++;
			log_error("settle: epoch %" PRIu64 ": submitting the proof against auditor %u: %s",
				  epoch, f->auditor_id, ee.msg);
		}
	}
	settle_dispute_report_clear(&r);
	return convictions_seen(x, epoch, e);
}

bool settle_run(struct settle_ctx *x, struct chain_sender *sender, const struct settle_run_opts *o,
		struct err *e)
{
	uint64_t now = 0, cur = 0, next = 0;
	struct chain_epoch_info info;
	struct chain_bind *b = settle_chain_bind(x->chain);
	struct err ee = {{0}};
	if (!settle_chain_now(x->chain, NULL, &now, e) ||
	    !chain_staking_current_epoch(b, &cur, e) ||
	    !chain_staking_epoch_info(b, cur, &info, e))
		return false;
	if (o->advance && now >= info.start_time + info.duration) {
		if (!settle_chain_advance(x->chain, cur + 1, &ee)) {
			x->warnings++;
			log_warn("settle: advancing the epoch: %s", ee.msg); /* someone else may have */
		}
		if (!chain_staking_current_epoch(b, &cur, e))
			return false;
		log_info("settle: epoch %" PRIu64 " is current", cur);
	}
	/* The coming epoch's secret must land before it begins. */
	if (!settle_secret_commit(x, cur + 1, &ee)) {
		x->errors++;
		log_error("settle: committing the secret for epoch %" PRIu64 ": %s", cur + 1, ee.msg);
	}
	if (!chain_settlement_next_to_settle(b, &next, e))
		return false;
	/* Our oldest unfinished epoch may be older than the chain's next to settle. */
	struct db_settle_progress *p = NULL;
	size_t n = 0;
	if (!db_settle_progress_list(x->db, x->signer, &p, &n, e))
		return false;
	uint64_t from = next;
	for (size_t i = 0; i < n; i++)
		if (p[i].epoch < from && settle_state_parse(p[i].state) < SETTLE_FINALIZED)
			from = p[i].epoch;
	free(p);
	for (uint64_t ep = from; ep < cur; ep++) {
		if (!settle_chain_now(x->chain, NULL, &now, e))
			return false;
		/* before stepping: a lie proven in time never reaches finalize */
		if (o->watch && !watch(x, ep, now, &ee)) {
			x->errors++;
			log_error("settle: epoch %" PRIu64 ": checking the other auditors: %s", ep,
				  ee.msg);
		}
		if (!settle_epoch_step(x, ep, now, &ee)) {
			x->errors++;
			log_error("settle: epoch %" PRIu64 ": %s", ep, ee.msg);
		}
	}
	log_info("settle: this run read the logs of %" PRIu64 " blocks",
		 chain_bind_log_blocks_scanned(b));
	if (o->metrics_path && !write_metrics(x, sender, o, cur, now, e))
		return false;
	return true;
}

bool settle_status(struct settle_ctx *x, struct buf *out, bool json, struct err *e)
{
	struct db_settle_progress *p = NULL;
	size_t n = 0;
	uint64_t cur = 0, next = 0, now = 0;
	struct chain_bind *b = settle_chain_bind(x->chain);
	if (!chain_staking_current_epoch(b, &cur, e) ||
	    !chain_settlement_next_to_settle(b, &next, e) ||
	    !settle_chain_now(x->chain, NULL, &now, e) ||
	    !db_settle_progress_list(x->db, x->signer, &p, &n, e))
		return false;
	char addr[43];
	chain_address_checksum(addr, x->signer);
	if (json)
		buf_printf(out, "{\"auditor\":\"%s\",\"auditor_id\":%u,\"current_epoch\":%" PRIu64
				",\"next_to_settle\":%" PRIu64 ",\"epochs\":[",
			   addr, x->auditor_id, cur, next);
	else
		buf_printf(out, "auditor %s (id %u): current epoch %" PRIu64 ", next to settle %" PRIu64
				"\n",
			   addr, x->auditor_id, cur, next);
	bool ok = true;
	for (size_t i = 0; i < n && ok; i++) {
		struct chain_epoch_state es;
		struct chain_phases ph;
		bool ended = false;
		const char *chain = "running";
		char when[96] = "";
		memset(&es, 0, sizeof(es));
		if (p[i].epoch <= cur) {
			ok = chain_settlement_phases(b, p[i].epoch, &ph, &ended, e) &&
			     chain_settlement_epoch_state(b, p[i].epoch, &es, e);
			if (!ok)
				break;
			if (ended) {
				chain = chain_epoch_status_name(es.status);
				if (now < ph.commit_end)
					snprintf(when, sizeof(when), "commit window: %" PRIu64 " s left",
						 ph.commit_end - now);
				else if (now < ph.reveal_end)
					snprintf(when, sizeof(when), "reveal window: %" PRIu64 " s left",
						 ph.reveal_end - now);
				else if (now < ph.dispute_end)
					snprintf(when, sizeof(when), "dispute window: %" PRIu64 " s left",
						 ph.dispute_end - now);
			}
		} else {
			chain = "coming";
		}
		if (json)
			buf_printf(out, "%s{\"epoch\":%" PRIu64 ",\"state\":\"%s\",\"chain\":\"%s\","
					"\"revealed\":%u,\"window\":\"%s\"}",
				   i ? "," : "", p[i].epoch, p[i].state, chain, es.revealed, when);
		else
			buf_printf(out, "  epoch %-6" PRIu64 " %-10s chain %-10s reveals %-3u %s\n",
				   p[i].epoch, p[i].state, chain, es.revealed, when);
	}
	if (json)
		buf_printf(out, "]}\n");
	free(p);
	return ok;
}
