/* run.h: `assay settle run`, what cron calls: advance the on-chain epoch when its time is
 * up, commit the secret hash of the coming epoch, then move every ended epoch that is not
 * settled yet through its states (settle/epoch.h), police the other auditors of each epoch
 * whose dispute window is open (settle/dispute.h), and write the metrics.
 *
 * The caller has let the sender recover and finish what an earlier run left in flight
 * before calling this (see epoch.h): that is what makes a rerun after a crash safe. */
#ifndef ASSAY_SETTLE_RUN_H
#define ASSAY_SETTLE_RUN_H

#include <stdbool.h>
#include <stdint.h>
#include "core/util.h"

struct err;
struct settle_ctx;
struct chain_sender;

struct settle_run_opts {
	bool advance;             /* call advanceEpoch when the epoch's time is up */
	const char *metrics_path; /* NULL: none; "-": stdout */
	uint64_t stuck_after_s;   /* for the stuck-transaction gauge */
	bool watch; /* check the other auditors' evidence in each open dispute window and
		       submit what is provable (settle/dispute.h) */
};

/* x->warnings / x->errors count what went wrong per epoch; the run fails only when the
 * chain or database cannot be read at all. */
bool settle_run(struct settle_ctx *x, struct chain_sender *sender,
		const struct settle_run_opts *o, struct err *e) WARN_UNUSED;

/* The status lines (one per epoch this auditor knows, with the chain's view) to out. */
struct buf;
bool settle_status(struct settle_ctx *x, struct buf *out, bool json, struct err *e) WARN_UNUSED;

#endif
