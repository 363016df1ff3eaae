/* prune.c: settle/prune.h. */
#include "settle/prune.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chain/bindings.h"
#include "core/err.h"
#include "core/log.h"
#include "settle/archive.h"
#include "settle/chainio.h"
#include "sql/api.h"
#include "sql/challenges.h"

static void utc(char *out, size_t len, uint64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (!gmtime_r(&tt, &tm) || !strftime(out, len, "%Y-%m-%dT%H:%M:%SZ", &tm))
		snprintf(out, len, "%" PRIu64, t);
}

bool settle_prune_eligible(uint64_t epoch, bool ended, const struct chain_phases *ph,
			   uint8_t status, uint64_t now, char *why, size_t why_len)
{
	char when[32];
	if (!ended) {
		snprintf(why, why_len, "epoch %" PRIu64 " has not ended on chain.", epoch);
		return false;
	}
	if (now < ph->dispute_end) {
		utc(when, sizeof(when), ph->dispute_end);
		snprintf(why, why_len,
			 "epoch %" PRIu64 " is inside its dispute window, which closes at %s chain "
			 "time (in %" PRIu64 " s); its records may still be needed for a dispute.",
			 epoch, when, ph->dispute_end - now);
		return false;
	}
	if (status != 2 && status != 3) {
		snprintf(why, why_len,
			 "epoch %" PRIu64 " is past its dispute window but is not finalized or voided "
			 "on chain (its status is %s).",
			 epoch, chain_epoch_status_name(status));
		return false;
	}
	why[0] = '\0';
	return true;
}

/* The evidence root auditor revealed on chain for epoch, if it revealed. */
static bool revealed_root(struct settle_chain *c, const struct settle_reveal *rv, size_t k,
			  const uint8_t auditor[20], uint8_t root[32], bool *found, struct err *e)
{
	*found = false;
	for (size_t i = 0; i < k; i++) {
		uint8_t signer[20], payee[20];
		bool active;
		if (!chain_settlement_auditor(settle_chain_bind(c), rv[i].auditor_id, signer, payee,
					      &active, e))
			return false;
		if (!memcmp(signer, auditor, 20)) {
			memcpy(root, rv[i].evidence_root, 32);
			*found = true;
			return true;
		}
	}
	return true;
}

/* Archives every auditor's records of an eligible epoch, then drops its partition.
 * false: the chain or database could not be read (e set); a refusal is r's. */
static bool prune_one(struct db *db, struct settle_chain *c, const struct settle_prune_opts *o,
		      struct settle_prune_epoch *r, struct err *e)
{
	uint8_t(*auds)[20] = NULL, (*committee)[20] = NULL;
	size_t nauds = 0, k = 0, m = 0;
	uint8_t committee_hash[32];
	struct settle_reveal *rv = NULL;
	bool ok = false, dropped = false;
	char *first = NULL;
	if (!db_api_record_auditors(db, r->epoch, &auds, &nauds, e) ||
	    !settle_chain_reveals(c, r->epoch, false, &rv, &k, e) ||
	    !settle_chain_committee(c, r->epoch, &committee, NULL, &m, committee_hash, e))
		goto out;
	for (size_t i = 0; i < nauds; i++) {
		struct settle_archive_header h;
		struct err ae = {{0}};
		char *path = NULL;
		if (!settle_archive_write(db, o->archive_dir, r->epoch, auds[i],
					  (const uint8_t(*)[20])committee, m, &path, &h, &ae)) {
			r->action = SETTLE_PRUNE_REFUSED;
			snprintf(r->why, sizeof(r->why),
				 "archiving epoch %" PRIu64 " failed, so its partition is kept: %s.",
				 r->epoch, ae.msg);
			ok = true;
			goto out;
		}
		/* A proof from the archive is only worth something if it leads to the root the
		 * auditor revealed; records that do not are not dropped. */
		uint8_t root[32];
		bool found;
		if (!revealed_root(c, rv, k, auds[i], root, &found, e)) {
			free(path);
			goto out;
		}
		if (found && memcmp(root, h.evidence_root, 32)) {
			r->action = SETTLE_PRUNE_REFUSED;
			snprintf(r->why, sizeof(r->why),
				 "epoch %" PRIu64 "'s records of one auditor do not lead to the evidence "
				 "root it revealed on chain, so its partition is kept (archive %s).",
				 r->epoch, path);
			free(path);
			ok = true;
			goto out;
		}
		r->archives++;
		r->rows += h.rows;
		if (!first)
			first = path;
		else
			free(path);
	}
	struct err de = {{0}};
	if (!db_challenges_partition_drop(db, r->epoch, &dropped, &de)) {
		/* The archives are written and checked; the next run drops it. */
		r->action = SETTLE_PRUNE_REFUSED;
		snprintf(r->why, sizeof(r->why),
			 "epoch %" PRIu64 " is archived but its partition could not be dropped now "
			 "(run prune again): %s.",
			 r->epoch, de.msg);
		ok = true;
		goto out;
	}
	r->action = SETTLE_PRUNE_DONE;
	if (r->archives)
		snprintf(r->why, sizeof(r->why),
			 "epoch %" PRIu64 ": %" PRIu64 " records of %zu auditor(s) archived (%s%s) and "
			 "its partition dropped.",
			 r->epoch, r->rows, r->archives, first, r->archives > 1 ? " and others" : "");
	else
		snprintf(r->why, sizeof(r->why),
			 "epoch %" PRIu64 " had no records; its empty partition was dropped.", r->epoch);
	log_info("prune: %s", r->why);
	ok = true;
out:
	free(first);
	free(auds);
	free(committee);
	settle_reveals_free(rv, k);
	return ok;
}

bool settle_prune(struct db *db, struct settle_chain *c, const struct settle_prune_opts *o,
		  struct settle_prune_epoch **out, size_t *n, struct err *e)
{
	uint64_t *eps = NULL, now = 0;
	size_t neps = 0;
	struct settle_prune_epoch *v = NULL;
	bool ok = false;
	*out = NULL;
	*n = 0;
	if (!db_challenges_partitions(db, &eps, &neps, e) || !settle_chain_now(c, NULL, &now, e))
		goto out;
	v = xcalloc(neps ? neps : 1, sizeof(*v));
	for (size_t i = 0; i < neps; i++) {
		struct settle_prune_epoch *r = &v[i];
		r->epoch = eps[i];
		if (neps - i <= o->keep_epochs) {
			r->action = SETTLE_PRUNE_KEPT;
			snprintf(r->why, sizeof(r->why),
				 "epoch %" PRIu64 " is among the newest %" PRIu64 " kept.", r->epoch,
				 o->keep_epochs);
			continue;
		}
		struct chain_phases ph;
		struct chain_epoch_state st;
		bool ended = false;
		memset(&ph, 0, sizeof(ph));
		memset(&st, 0, sizeof(st));
		if (!chain_settlement_phases(settle_chain_bind(c), r->epoch, &ph, &ended, e) ||
		    (ended && !chain_settlement_epoch_state(settle_chain_bind(c), r->epoch, &st, e)))
			goto out;
		if (!settle_prune_eligible(r->epoch, ended, &ph, st.status, now, r->why,
					   sizeof(r->why))) {
			r->action = SETTLE_PRUNE_REFUSED;
			continue;
		}
		if (!prune_one(db, c, o, r, e))
			goto out;
	}
	*out = v;
	*n = neps;
	v = NULL;
	ok = true;
out:
	free(v);
	free(eps);
	return ok;
}

void settle_prune_print(FILE *f, const struct settle_prune_epoch *r, size_t n)
{
	static const char *const word[] = {"kept", "refused", "pruned"};
	size_t refused = 0, pruned = 0;
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "%-7s %s\n", word[r[i].action], r[i].why);
		refused += r[i].action == SETTLE_PRUNE_REFUSED;
		pruned += r[i].action == SETTLE_PRUNE_DONE;
	}
	fprintf(f, "%zu epoch(s) pruned, %zu refused, %zu kept\n", pruned, refused,
		n - pruned - refused);
}
