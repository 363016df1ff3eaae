/* archive.h: one auditor's challenge records of one epoch in a file (sql/ARCHIVE.md), the
 * form `assay db prune` keeps an epoch in before it drops the epoch's partition, and that
 * `assay evidence prove --archive` proves records from.
 *
 * A file holds every attempt (all columns), so nothing the database knew is lost, and
 * reading it back gives the same decided records as settle_records_load gives from the
 * database (both go through settle_records_from_attempts) and the committee the epoch was
 * scored over, hence the same evidence tree (version 2), root and proofs. */
#ifndef ASSAY_SETTLE_ARCHIVE_H
#define ASSAY_SETTLE_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct db;
struct err;
struct settle_record;

/* The committee is at most 256 members (DESIGN.md, "Blobs and shards"). */
#define SETTLE_ARCHIVE_MAX_COMMITTEE 256

struct settle_archive_header {
	uint64_t epoch;
	uint8_t auditor[20];
	/* The committee of the scored attestation, in order: the evidence tree (version 2) has
	 * one subtree per member, so the root needs it as well as the records. */
	size_t m;
	uint8_t committee[SETTLE_ARCHIVE_MAX_COMMITTEE][20];
	uint64_t rows;             /* attempts in the body */
	uint64_t decided;          /* decided records: the evidence tree's leaves */
	uint8_t evidence_root[32]; /* settle/EVIDENCE.md over the decided records */
	uint8_t body_keccak[32];   /* Keccak-256 of every byte after the header line */
};

/* The file's name in dir: challenges-e<epoch>-0x<auditor, lowercase hex>.jsonl. */
char *settle_archive_path_new(const char *dir, uint64_t epoch, const uint8_t auditor[20]);

/* Archives (epoch, auditor) from the database to settle_archive_path_new(dir, ...): written
 * to a temporary file, fsynced, renamed into place (dir fsynced), then read back whole
 * with settle_archive_load and compared with what the database gave. The tree is built
 * over the committee of the auditor's scored attestation, or, when it never scored the
 * epoch (a voided epoch), over `committee` (the epoch's on chain, m members), as the
 * settle job would have. *path (malloc'd) and *hdr describe the file on success. dir is
 * made if missing (one level). */
bool settle_archive_write(struct db *db, const char *dir, uint64_t epoch,
			  const uint8_t auditor[20], const uint8_t (*committee)[20], size_t m,
			  char **path, struct settle_archive_header *hdr,
			  struct err *e) WARN_UNUSED;

/* Reads an archive and checks it: header, body checksum, row count, every row, and the
 * evidence root recomputed from the decided records. *decided (malloc'd, ascending seq,
 * NULL when none) are the records settle_records_load would give; decided may be NULL
 * when only the check is wanted. */
bool settle_archive_load(const char *path, struct settle_archive_header *hdr,
			 struct settle_record **decided, size_t *n, struct err *e) WARN_UNUSED;

#endif
