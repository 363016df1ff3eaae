/* auditstore.h: the auditor's interfaces (audit/auditor.h's record store, audit/daemon.h's
 * chain cache, chain/reader.h's log store) on PostgreSQL: challenge records through
 * sql/challenges.h, the chain state of each audited epoch through sql/chaincache.h, the
 * reader's BlobCertified cursor through sql/chainlogs.h.
 *
 * The connection is opened on first use (and the schema migrated once), and opened again
 * after PostgreSQL went away; the chain cache only writes through a connection that a read
 * already opened, so a database that is away never delays following the chain. */
#ifndef ASSAY_SQL_AUDITSTORE_H
#define ASSAY_SQL_AUDITSTORE_H

#include "core/util.h"

struct audit_store;
struct audit_chaincache;
struct chain_log_store;
struct db_auditstore;

/* conninfo is lent and must outlive the store. */
struct db_auditstore *db_auditstore_new(const char *conninfo, unsigned connect_timeout_s);
/* The store on the database of the settings (db_settings); NULL when none is given. */
struct db_auditstore *db_auditstore_new_settings(void);
void db_auditstore_free(struct db_auditstore *s);
/* Fill the interfaces with this store (lent: it must outlive their use). */
void db_auditstore_records(struct db_auditstore *s, struct audit_store *out);
void db_auditstore_chaincache(struct db_auditstore *s, struct audit_chaincache *out);
void db_auditstore_logstore(struct db_auditstore *s, struct chain_log_store *out);

#endif
