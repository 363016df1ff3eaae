/* score.h: per-node (passed, decided) counts of an epoch from the auditor's challenge
 * records (settle/EVIDENCE.md, "Counts").
 *
 * The decided record of challenge seq is its last attempt. Per committee node, in
 * committee order: decided = its decided records whose outcome is not auditor_error (the
 * auditor's own fault is not the node's), passed = those that are pass. The decided
 * records, in ascending seq, are also the leaves of the evidence tree (each under its
 * node's subtree). */
#ifndef ASSAY_SETTLE_SCORE_H
#define ASSAY_SETTLE_SCORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"
#include "settle/evidence.h"

struct err;
struct db;

struct settle_counts {
	size_t m;            /* committee size */
	uint32_t *passed;    /* m entries */
	uint32_t *decided;   /* m entries */
	uint64_t records;    /* decided records counted or not */
	uint64_t auditor_errors;
};
void settle_counts_clear(struct settle_counts *c);
/* Zero counts over a committee of m. */
void settle_counts_init(struct settle_counts *c, size_t m);
/* Counts decided record r at committee position j (settle_score's rule for one record). */
bool settle_counts_add(struct settle_counts *c, size_t j, const struct settle_record *r,
		       struct err *e) WARN_UNUSED;

/* The decided records from attempts in any order: the last attempt of each seq, in
 * ascending seq. *out is malloc'd (NULL when n is 0). Refuses two rows with the same
 * (seq, attempt) or rows of another epoch or auditor than the first. */
bool settle_decided_select(const struct settle_record *attempts, size_t n,
			   struct settle_record **out, size_t *nout, struct err *e) WARN_UNUSED;

/* Counts of decided records (ascending seq) over the committee. A record of a node
 * outside the committee is refused: the schedule only ever names committee members. */
bool settle_score(const struct settle_record *decided, size_t n, const uint8_t (*committee)[20],
		  size_t m, struct settle_counts *out, struct err *e) WARN_UNUSED;

/* The decided records of (epoch, auditor) from the database handed to fn one at a time in
 * ascending seq (settle_decided_select's rule over every attempt, read from a cursor), so
 * that the caller's memory need not follow the records; fn returning false stops the read
 * with its error. */
bool settle_records_each(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			 bool (*fn)(void *ctx, const struct settle_record *r, struct err *e),
			 void *ctx, struct err *e) WARN_UNUSED;
/* Every attempt of (epoch, auditor) from the database, then settle_decided_select. */
bool settle_records_load(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			 struct settle_record **out, size_t *n, struct err *e) WARN_UNUSED;
/* The decided records from attempts as sql/settle.h reads them (any other source of
 * attempts, such as an archive (settle/archive.h), fills the same rows and comes here,
 * so that both lead to the same records and the same evidence root). */
struct db_settle_attempt;
bool settle_records_from_attempts(uint64_t epoch, const uint8_t auditor[20],
				  const struct db_settle_attempt *rows, size_t nrows,
				  struct settle_record **out, size_t *n, struct err *e) WARN_UNUSED;

/* The decided records of (epoch, auditor) and their evidence tree over the committee our
 * scored attestation of that epoch names ("local" in the database, in committee order): the
 * tree whose root we attested. An epoch not scored yet has no committee to build over: true
 * with *ev NULL (and no records). */
bool settle_evidence_load(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			  struct settle_evidence **ev, struct settle_record **recs, size_t *n,
			  struct err *e) WARN_UNUSED;

#endif
