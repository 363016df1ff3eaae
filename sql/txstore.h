/* txstore.h: the transaction sender's store (chain/txstore.h) on the `transactions` table.
 *
 * The per-sender lock is a session-level PostgreSQL advisory lock, so a second process
 * for the same key and chain waits (or is refused) until the first one's connection ends:
 * keep the db open as long as the sender lives. */
#ifndef ASSAY_SQL_TXSTORE_H
#define ASSAY_SQL_TXSTORE_H

#include <stdbool.h>
#include "core/util.h"

struct db;
struct chain_txstore;

/* Fill store with the PostgreSQL implementation over db (lent, not owned). */
void db_txstore_init(struct chain_txstore *store, struct db *db);

/* chain/session.h's open_store from the settings (db_settings): PostgreSQL with its
 * schema up to date, owned by the session; without a database, memory, and
 * memory_warning (a sentence; NULL: the contract commands' own) is logged. */
struct chain_session;
struct err;
bool db_txstore_open_settings(void *memory_warning, struct chain_session *s,
			      struct err *e) WARN_UNUSED;

#endif
