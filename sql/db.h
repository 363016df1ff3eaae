/* db.h: the database connection and schema migrations. Only sql/ speaks SQL.
 *
 * Other layers see opaque handles and functions with plain C arguments; each query lives
 * here or in another sql/ file, with parameters, never pasted together from strings. */
#ifndef ASSAY_SQL_DB_H
#define ASSAY_SQL_DB_H

#include <stdbool.h>
#include <stdint.h>
#include "core/config.h"
#include "core/util.h"

struct err;
struct db;

/* Connect; conninfo is a libpq conninfo string or postgresql:// URL. The error never
 * contains the password. */
bool db_open(struct db **out, const char *conninfo, unsigned connect_timeout_s,
	     struct err *e) WARN_UNUSED;
void db_close(struct db *db);
/* True while the connection is usable; tries one reset if it is not. */
bool db_ping(struct db *db, struct err *e) WARN_UNUSED;

/* The newest schema version this program knows. */
int db_latest_version(void);
/* Schema version of the database, 0 for an empty one. */
bool db_schema_version(struct db *db, int *version, struct err *e) WARN_UNUSED;
/* db_open, then refuse a schema older than db_latest_version (the sentence says to run
 * 'assay db migrate'). On failure *out is NULL. */
bool db_open_current(struct db **out, const char *conninfo, unsigned connect_timeout_s,
		     struct err *e) WARN_UNUSED;
/* Apply every missing migration in one transaction. Refuses a database whose version is
 * newer than this program's (no downgrades). from/to may be NULL. */
bool db_migrate(struct db *db, int *from, int *to, struct err *e) WARN_UNUSED;

/* The database settings of the program (db, db-connect-timeout: db_settings_table, a
 * core/config.h table). */
struct db_settings {
	const char *conninfo;         /* NULL or empty: none configured */
	uint64_t connect_timeout_s;
};
extern struct db_settings db_settings;
extern const struct opt db_settings_table[];
/* Whether a database is configured. */
bool db_settings_given(void);

/* For sql/ modules: the libpq connection. */
struct pg_conn;
struct pg_conn *db_conn(struct db *db);

#endif
