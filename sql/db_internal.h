/* db_internal.h: helpers shared by the sql/ modules (not for other layers). */
#ifndef ASSAY_SQL_DB_INTERNAL_H
#define ASSAY_SQL_DB_INTERNAL_H

#include <libpq-fe.h>
#include <stdbool.h>
#include "sql/db.h"

struct db {
	PGconn *conn;
	/* The newest epoch whose challenges partition this connection has ensured, so that
	 * a writer asks once per epoch, not once per batch (sql/challenges.c). */
	bool partition_known;
	uint64_t partition_epoch;
};

/* Set e to one sentence from libpq's error for `what` and return false. */
bool db_fail(struct db *db, const PGresult *res, struct err *e, const char *what);
/* Run a statement with text parameters; expects `status`; the caller PQclears the result
 * on success, nothing to clear on failure. */
PGresult *db_exec(struct db *db, const char *sql, int nparams, const char *const *params,
		  ExecStatusType status, struct err *e, const char *what);
/* Run a statement with no result rows of interest. */
bool db_command(struct db *db, const char *sql, int nparams, const char *const *params,
		struct err *e, const char *what) WARN_UNUSED;

/* Reading result cells (text format); each is false for a value that does not parse. */
bool db_cell_u64(const PGresult *r, int row, int col, uint64_t *v);
/* A column selected as encode(x, 'hex'): exactly len bytes. */
bool db_cell_hex(const PGresult *r, int row, int col, uint8_t *out, size_t len);
/* A bytea column in PostgreSQL's hex output form ("\x..."): exactly len bytes. */
bool db_cell_bytea(const PGresult *r, int row, int col, uint8_t *out, size_t len);

#endif
