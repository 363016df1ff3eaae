/* epoch_status.h: one epoch as the deployment's Staking and Settlement have it: times
 * (and whether advancing is due), seed, the committee in order with node keys, endpoints
 * and shard counts, each shard's owner and grace, and once the epoch ended its
 * commit/reveal/dispute phases and settlement state. What `assay epoch status` prints;
 * and the two epoch transactions anyone may send (`assay epoch advance|seed`). */
#ifndef ASSAY_CHAIN_EPOCH_STATUS_H
#define ASSAY_CHAIN_EPOCH_STATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "chain/bindings.h"
#include "core/util.h"

struct err;
struct chain_session;
struct json_t;

struct chain_epoch_status {
	uint64_t epoch, current;
	uint64_t chain_time; /* the latest block's timestamp */
	uint64_t ends;       /* start_time + duration */
	bool due;            /* the current epoch's time is up: advanceEpoch may be called */
	bool out_of_range;   /* the epoch asked for is after the current one (e says so) */
	struct chain_epoch_info info;
	struct chain_committee com;
	char **endpoints;    /* per member ("" when none) */
	uint8_t *owners;     /* owners[shard]: committee position */
	bool *grace;         /* grace[shard] */
	size_t nshards;
	bool ended;          /* phases are set */
	struct chain_phases phases;
	struct chain_epoch_state state;
	const char *phase;   /* running, commit, reveal, dispute, finalizable, or the status */
};

/* Reads epoch `epoch` (the current one unless given) through s (read-only is enough). */
bool chain_epoch_status_read(struct chain_session *s, bool given, uint64_t epoch,
			     struct chain_epoch_status *out, struct err *e) WARN_UNUSED;
void chain_epoch_status_clear(struct chain_epoch_status *st);

/* st as one JSON object (`assay epoch status --json`; n_shards is the deployment's), and
 * as the text `assay epoch status` prints to f. */
struct json_t *chain_epoch_status_json(const struct chain_epoch_status *st, uint32_t n_shards);
void chain_epoch_status_print(FILE *f, const struct chain_epoch_status *st);

/* What `assay epoch advance|seed` print, text or one JSON line: the epochs around the
 * advance and the new epoch's times, seed block and committee size; the current epoch's
 * seed, where it came from and whether it was recorded now. */
void chain_epoch_advance_print(FILE *f, uint64_t before, uint64_t after,
			       const struct chain_epoch_info *info, bool json);
void chain_epoch_seed_print(FILE *f, uint64_t epoch, const struct chain_epoch_info *info,
			    bool sent, bool json);

/* Where an epoch's seed came from (chain_epoch_info.seed_source): pending, blockhash,
 * fallback, genesis. */
const char *chain_seed_source_name(uint8_t source);

/* Staking.advanceEpoch() from s's key: *before and *after are the epochs around it,
 * *info the new epoch's. */
bool chain_epoch_advance(struct chain_session *s, uint64_t *before, uint64_t *after,
			 struct chain_epoch_info *info, struct err *e) WARN_UNUSED;

/* Records the current epoch's seed once its block is mined, unless it is recorded; seeds
 * are recorded in order, so the seeds of earlier epochs nobody recorded go first. *epoch
 * is the current epoch, *info its state after, *sent whether anything was sent. */
bool chain_epoch_record_seed(struct chain_session *s, uint64_t *epoch,
			     struct chain_epoch_info *info, bool *sent, struct err *e) WARN_UNUSED;

#endif
