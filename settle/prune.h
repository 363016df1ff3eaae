/* prune.h: `assay db prune`: old epochs' challenge records out of PostgreSQL, each into
 * archive files first (settle/archive.h), then its partition dropped.
 *
 * Only an epoch the chain says is over for good is pruned: finalized or voided, and past
 * its dispute window (Settlement.phases), since until then a dispute may need its
 * records. The chain is the truth here, not epoch_progress: the settle job's table can
 * lag behind or describe only this auditor. Anything else is refused with one sentence
 * saying why, and nothing of that epoch is touched. */
#ifndef ASSAY_SETTLE_PRUNE_H
#define ASSAY_SETTLE_PRUNE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/util.h"

struct db;
struct err;
struct settle_chain;
struct chain_phases;

enum settle_prune_action {
	SETTLE_PRUNE_KEPT,    /* among the newest keep_epochs */
	SETTLE_PRUNE_REFUSED, /* why says why */
	SETTLE_PRUNE_DONE,    /* archived and dropped */
};

struct settle_prune_epoch {
	uint64_t epoch;
	enum settle_prune_action action;
	char why[800];  /* one sentence: the refusal, or what was archived where */
	size_t archives; /* files written (one per auditor with records) */
	uint64_t rows;   /* rows archived */
};

struct settle_prune_opts {
	uint64_t keep_epochs; /* the newest this many epochs with records are kept */
	const char *archive_dir;
};

/* Whether an epoch may be pruned by what the chain says of it: ended, past its dispute
 * window at chain time now, finalized (2) or voided (3). When not, why holds the one
 * sentence. */
bool settle_prune_eligible(uint64_t epoch, bool ended, const struct chain_phases *ph,
			   uint8_t status, uint64_t now, char *why, size_t why_len);

/* Every epoch with a challenge partition, oldest first, each kept, refused or pruned.
 * *out malloc'd. Fails (with nothing more done) only when the chain or the database
 * cannot be read; an archive that fails refuses its epoch and the run goes on. */
bool settle_prune(struct db *db, struct settle_chain *chain, const struct settle_prune_opts *o,
		  struct settle_prune_epoch **out, size_t *n, struct err *e) WARN_UNUSED;

/* What `assay db prune` prints: a line per epoch (kept, refused or pruned, and why), then
 * the counts. */
void settle_prune_print(FILE *f, const struct settle_prune_epoch *r, size_t n);

#endif
