/* symbol.h: checking a storage node's recovery symbol against the blob's metadata.
 *
 * A challenge asks for symbol id "I-J" (cell (I, J) of the n × n expanded matrix: row I is
 * primary sliver I expanded, column J is secondary sliver J expanded) with a proof axis:
 *
 *   axis primary:   expect tag 1 (secondary decoding symbol) from primary sliver index = I,
 *                   target = J, proven at leaf J against hashes[I].primary;
 *   axis secondary: expect tag 0 (primary decoding symbol) from secondary sliver index = J,
 *                   target = I, proven at leaf I against hashes[n-1-J].secondary.
 *
 * Checking needs hashing only (no decoder). The verdict is an enum; the auditor maps it to a
 * challenge outcome with audit_symbol_outcome():
 *
 *   AUDIT_SYMBOL_PASS          -> "pass"
 *   AUDIT_SYMBOL_INVALID_PROOF -> "invalid_proof"  the path does not lead to the committed hash
 *                                                  (including a path of the wrong length)
 *   AUDIT_SYMBOL_WRONG_ID      -> "invalid_proof"  a well-formed symbol, but for another cell:
 *                                                  it proves nothing about the one asked for
 *   AUDIT_SYMBOL_WRONG_AXIS    -> "invalid_proof"  the right cell proven along the other axis
 *   AUDIT_SYMBOL_WRONG_SIZE    -> "wrong_size"     data length != the blob's symbol size
 *   AUDIT_SYMBOL_OUT_OF_RANGE  -> "malformed"      index or target >= n: not a symbol of this blob
 *   AUDIT_SYMBOL_MISSING       -> "not_found"      a list response without the id asked for
 *   AUDIT_SYMBOL_BAD_METADATA  -> "bad_metadata"   the metadata itself is unusable (unknown
 *                                                  encoding, too large a blob): not the
 *                                                  symbol's fault; check the blob ID first
 *                                                  with audit_metadata_verify_id().
 */
#ifndef ASSAY_AUDIT_SYMBOL_H
#define ASSAY_AUDIT_SYMBOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/bcs.h"
#include "core/util.h"

struct err;
struct audit_b2_msg;

enum audit_proof_axis {
	AUDIT_AXIS_PRIMARY = 0,   /* "primary": proof against a primary sliver's hash */
	AUDIT_AXIS_SECONDARY = 1, /* "secondary" */
};
const char *audit_proof_axis_name(enum audit_proof_axis axis);
bool audit_proof_axis_parse(const char *text, enum audit_proof_axis *axis,
			    struct err *e) WARN_UNUSED;

/* Symbol id "I-J": primary sliver I, secondary sliver J. */
struct audit_symbol_id {
	uint16_t primary;
	uint16_t secondary;
};
#define AUDIT_SYMBOL_ID_TEXT_MAX 12 /* "65535-65535" + NUL */
void audit_symbol_id_text(char out[AUDIT_SYMBOL_ID_TEXT_MAX], struct audit_symbol_id id);
/* Strict decimal "I-J" (no signs, no spaces, no leading zeros), both parts < n. */
bool audit_symbol_id_parse(const char *text, uint32_t n, struct audit_symbol_id *id,
			   struct err *e) WARN_UNUSED;

/* The id and axis a symbol claims to be (meaningful only for index, target < n). */
void audit_recovery_symbol_id(const struct audit_recovery_symbol *sym, struct audit_symbol_id *id,
			      enum audit_proof_axis *axis);
/* The sliver pair whose hash proves a symbol of this id on this axis: hashes[I].primary on
 * the primary axis, hashes[n-1-J].secondary on the secondary axis. */
uint32_t audit_proof_pair(uint32_t n, struct audit_symbol_id id, enum audit_proof_axis axis);

enum audit_symbol_verdict {
	AUDIT_SYMBOL_PASS,
	AUDIT_SYMBOL_INVALID_PROOF,
	AUDIT_SYMBOL_WRONG_ID,
	AUDIT_SYMBOL_WRONG_AXIS,
	AUDIT_SYMBOL_WRONG_SIZE,
	AUDIT_SYMBOL_OUT_OF_RANGE,
	AUDIT_SYMBOL_MISSING,
	AUDIT_SYMBOL_BAD_METADATA,
};
/* The challenge outcome name (see the table above). */
const char *audit_symbol_outcome(enum audit_symbol_verdict v);

/* Verify one symbol answering (id, axis). Anything but PASS comes with one sentence in e. */
enum audit_symbol_verdict audit_symbol_verify(const struct audit_metadata *md,
					      struct audit_symbol_id id,
					      enum audit_proof_axis axis,
					      const struct audit_recovery_symbol *sym,
					      struct err *e) WARN_UNUSED;

/* Verify a list response to a request for ids[0..count) on one axis. verdicts[i] (and
 * errs[i] if errs is not NULL) is for ids[i]: the item with that id and axis if there is
 * one; otherwise, when the list has exactly `count` items, the item in the same position
 * (a node that answered with the wrong symbol gets WRONG_ID, not MISSING); else MISSING.
 * Returns the number of PASS verdicts. */
size_t audit_symbols_verify_list(const struct audit_metadata *md,
				 const struct audit_symbol_id *ids, size_t count,
				 enum audit_proof_axis axis,
				 const struct audit_recovery_symbols *list,
				 enum audit_symbol_verdict *verdicts, struct err *errs);

/* Several list responses verified together, as audit_symbols_verify_list() verifies each:
 * the leaves and paths of all of them, and any other messages the caller has (the
 * responses' body hashes), hashed side by side in one pass (the lanes of audit/b2many.h
 * stay full only with many messages). */
struct audit_symbols_batch;
struct audit_symbols_batch *audit_symbols_batch_new(void);
void audit_symbols_batch_free(struct audit_symbols_batch *b);
/* Queues one list response's checks (the arguments of audit_symbols_verify_list(), kept
 * alive until the run): verdicts[i] and errs[i] are final only after the run. */
void audit_symbols_batch_add(struct audit_symbols_batch *b, const struct audit_metadata *md,
			     const struct audit_symbol_id *ids, size_t count,
			     enum audit_proof_axis axis, const struct audit_recovery_symbols *list,
			     enum audit_symbol_verdict *verdicts, struct err *errs);
/* Hashes what is queued, with extra[0..nextra) in the leaves' pass, and writes the
 * verdicts; the batch is then empty, ready for more. Returns the PASS verdicts of the run. */
size_t audit_symbols_batch_run(struct audit_symbols_batch *b, const struct audit_b2_msg *extra,
			       size_t nextra);

#endif
