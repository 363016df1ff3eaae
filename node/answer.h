/* answer.h: the body a storage node sends for a recoverySymbols request, rebuilt from its
 * stored slivers alone: what node/server.c's get_symbols answers (faults aside) for symbols
 * asked on one proof axis. A node disputing a failed verdict (fraud proof 2, issue 13)
 * rebuilds the exact body it answered from the batch the public schedule names (the
 * auditor asks one batch per request, audit_symbols_url_new), so it keeps no log of its
 * answers; the record's response_hash is the body's BLAKE2b-256. `assay node answer`. */
#ifndef ASSAY_NODE_ANSWER_H
#define ASSAY_NODE_ANSWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "audit/blob.h"
#include "audit/symbol.h"
#include "core/util.h"

struct buf;
struct err;
struct node_store;

/* Appends to out the BCS list of the recovery symbols ids[0..count) (axis) of blob id that
 * the store's slivers hold, in the order asked; *found says how many. With n shards. Fails
 * when none is held (the server answers 404 then) or a stored sliver is unreadable. */
bool node_answer_symbols(struct node_store *st, uint32_t n, const uint8_t id[AUDIT_DIGEST_LEN],
			 enum audit_proof_axis axis, const struct audit_symbol_id *ids,
			 size_t count, struct buf *out, size_t *found, struct err *e) WARN_UNUSED;

/* What `assay node answer` prints of a rebuilt body: the symbols found, its length and its
 * BLAKE2b-256 (the response hash), as a line or one JSON object. */
void node_answer_print(FILE *f, size_t found, const uint8_t *body, size_t len, bool json);

#endif
