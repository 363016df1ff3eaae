/* chainevents.h: chain/bindings.h's event store in PostgreSQL (tables chain_log_cursors,
 * event '*', and chain_events): every log of a contract that chain_bind_logs has read and
 * the block it has read them through, so that the settle job's reads of the settlement
 * contract's events (reveals, counts, disputes, scores, the auditor set) ask the node
 * only for the blocks since the last run. */
#ifndef ASSAY_SQL_CHAINEVENTS_H
#define ASSAY_SQL_CHAINEVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct db;
struct err;
struct chain_logs;
struct chain_event_store;

bool db_chainevents_cursor(struct db *db, uint64_t chain_id, const uint8_t contract[20],
			   bool *found, uint64_t *through, struct err *e) WARN_UNUSED;
/* In one transaction: checks the cursor is still `prev` (none when !found_prev), keeps
 * logs, moves the cursor to `through`. */
bool db_chainevents_append(struct db *db, uint64_t chain_id, const uint8_t contract[20],
			   bool found_prev, uint64_t prev, uint64_t through,
			   const struct chain_logs *logs, struct err *e) WARN_UNUSED;
/* Kept logs in blocks [from, to] matching topics[0..2] (NULL: any), chain order,
 * appended to *out. */
bool db_chainevents_query(struct db *db, uint64_t chain_id, const uint8_t contract[20],
			  const uint8_t *const topics[3], uint64_t from, uint64_t to,
			  struct chain_logs *out, struct err *e) WARN_UNUSED;
/* The store on db (lent; lives as long as db). */
void db_chainevents_store(struct db *db, struct chain_event_store *out);

#endif
