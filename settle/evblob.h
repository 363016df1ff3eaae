/* evblob.h: the evidence blob (settle/EVIDENCE.md, "The evidence blob"): everything an
 * auditor's attestation of one epoch rests on, as one blob stored on the network it audits,
 * so that anyone rebuilds the evidence tree, every proof and the counts without asking the
 * auditor. Offers its codec (strict: a blob that decodes is exactly one encoding) and
 * storing it the way `blob put` does (node_publish), paid for long enough to outlast the
 * epoch's dispute window. */
#ifndef ASSAY_SETTLE_EVBLOB_H
#define ASSAY_SETTLE_EVBLOB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct buf;
struct err;
struct chain_session;
struct settle_record;

#define SETTLE_EVBLOB_TAG "assay.evidence-blob.v1"
#define SETTLE_EVBLOB_TAG_LEN 22
#define SETTLE_EVBLOB_TREE_VERSION 2

struct settle_evblob {
	uint64_t epoch;
	uint8_t auditor[20];
	size_t m;
	uint8_t (*committee)[20];  /* committee order */
	uint32_t *passed, *decided; /* the counts the auditor computed, committee order */
	size_t n;
	struct settle_record *records; /* decided records, ascending seq */
};
void settle_evblob_clear(struct settle_evblob *b);

/* Appends the encoding to out. */
void settle_evblob_encode(struct buf *out, uint64_t epoch, const uint8_t auditor[20],
			  const uint8_t (*committee)[20], const uint32_t *passed,
			  const uint32_t *decided, size_t m, const struct settle_record *records,
			  size_t n);
/* The same bytes written to a file as the records come, for a blob larger than memory
 * should hold (settle/EVIDENCE.md, "Memory"): the header goes first with the counts and
 * the record count zero, and finish writes them in place once known. The file is created
 * (mode 0600, never an existing one) at path; the caller removes it. */
struct settle_evblob_file;
bool settle_evblob_file_new(const char *path, uint64_t epoch, const uint8_t auditor[20],
			    const uint8_t (*committee)[20], size_t m,
			    struct settle_evblob_file **out, struct err *e) WARN_UNUSED;
bool settle_evblob_file_add(struct settle_evblob_file *f, const struct settle_record *r,
			    struct err *e) WARN_UNUSED;
/* Writes the counts (committee order, m each) and the record count, and closes the file:
 * its bytes are then settle_evblob_encode's of the same arguments. */
bool settle_evblob_file_finish(struct settle_evblob_file *f, const uint32_t *passed,
			       const uint32_t *decided, struct err *e) WARN_UNUSED;
/* Closes the file if still open (it stays where it is). */
void settle_evblob_file_free(struct settle_evblob_file *f);

/* Parses a blob: the tag and tree version, lengths that add up exactly, records of the
 * header's epoch and auditor in strictly ascending seq, passed <= decided. */
bool settle_evblob_decode(const uint8_t *data, size_t len, struct settle_evblob *out,
			  struct err *e) WARN_UNUSED;

/* The same without the checks on the records' epoch, auditor and order (every other check
 * holds): what a disputer reads a liar's blob with, to rebuild the tree the liar committed
 * (settle_evidence_new_any) and prove the record that breaks them (settle/dispute.h). */
bool settle_evblob_decode_any(const uint8_t *data, size_t len, struct settle_evblob *out,
			      struct err *e) WARN_UNUSED;

/* Stores the blob in the file at path (settle_evblob_file) with node_publish (the
 * committee read from s's chain), paid by s's key for `epochs` epochs from the current
 * one; *id its blob ID. The file is encoded and uploaded from a scratch directory under
 * work_dir (NULL: $TMPDIR, else /tmp) one sliver at a time (node_publish_req.path), so that
 * memory does not follow the blob's size. Storing the same bytes again (a rerun after a
 * crash) finds the same blob and pays nothing twice. */
bool settle_evblob_store_file(struct chain_session *s, uint64_t confirmations,
			      uint64_t timeout_ms, const char *path, const char *work_dir,
			      uint64_t epochs, uint8_t id[32], struct err *e) WARN_UNUSED;

/* Reads a blob back through node_read (the current committee on s's chain): every byte
 * verified against the blob ID with unverified_from 0; else the bytes from that offset on
 * are the caller's to check (node_read_req.unverified_from). *out is the caller's to
 * free. */
bool settle_evblob_fetch(struct chain_session *s, uint64_t confirmations, uint64_t timeout_ms,
			 const uint8_t id[32], uint64_t unverified_from, uint8_t **out,
			 size_t *len, struct err *e) WARN_UNUSED;
/* The bytes of an evidence blob before its records (tag to n) with a committee of m. */
uint64_t settle_evblob_head_len(uint64_t m);

#endif
