/* confirmations.h: the file of storage confirmations that `blob put` leaves behind when
 * certification fails and `blob certify --confirmations` reads: a JSON array of
 * {"signer": "0x…", "signature": "0x…", "epoch": N} (epoch optional). An entry may also
 * be a node's answer to GET /v1/blobs/{id}/confirmation, which nests these under
 * success.data.signed. */
#ifndef ASSAY_NODE_CONFIRMATIONS_H
#define ASSAY_NODE_CONFIRMATIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "core/util.h"

struct err;
struct node_confirmation;

/* Reads the file at path into *out (the caller frees it), *n entries; an entry without an
 * epoch gets NODE_CONFIRMATION_ANY_EPOCH. Fails with a sentence naming the file and entry. */
bool node_confirmations_load(const char *path, struct node_confirmation **out, size_t *n,
			     struct err *e) WARN_UNUSED;

/* Writes n confirmations to path (atomically, mode 0644) in the form load reads. */
bool node_confirmations_save(const char *path, const struct node_confirmation *c, size_t n,
			     struct err *e) WARN_UNUSED;

#endif
