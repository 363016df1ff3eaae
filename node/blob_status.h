/* blob_status.h: a blob's life on chain as `assay blob status` shows it: registered (by
 * whom, for which epochs, at what fee), certified (when), expired, and whether the
 * current epoch challenges it. */
#ifndef ASSAY_NODE_BLOB_STATUS_H
#define ASSAY_NODE_BLOB_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "chain/bindings.h"
#include "core/util.h"

struct chain_session;
struct err;
struct json_t;

struct node_blob_status {
	uint8_t id[32];
	struct chain_blob_info info; /* info.registered false: nothing else was read */
	uint64_t current_epoch;
	bool challengeable; /* the current epoch challenges it */
	const char *state;  /* registered, certified or expired */
};

/* Reads blob id from the deployment's BlobRegistry through s (read-only is enough). */
bool node_blob_status_read(struct chain_session *s, const uint8_t id[32],
			   struct node_blob_status *st, struct err *e) WARN_UNUSED;
/* As one JSON object (--json), and as text on f. */
struct json_t *node_blob_status_json(const struct node_blob_status *st);
void node_blob_status_print(FILE *f, const struct node_blob_status *st);

#endif
