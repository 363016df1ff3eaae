#include "sql/db_internal.h"
#include "sql/migrations.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"

/* libpq messages span lines ("connection to server ... failed: ...\n\tIs the server
 * running ...?"); make them one sentence. */
static void one_line(char *dst, size_t n, const char *src)
{
	size_t j = 0;
	bool space = false;
	for (const char *p = src ? src : ""; *p && j + 1 < n; p++) {
		if (*p == '\n' || *p == '\t' || *p == '\r') {
			space = j > 0;
			continue;
		}
		if (space) {
			if (j + 2 >= n)
				break;
			dst[j++] = ' ';
			space = false;
		}
		dst[j++] = *p;
	}
	while (j > 0 && (dst[j - 1] == ' ' || dst[j - 1] == '.'))
		j--;
	dst[j] = '\0';
}

bool db_fail(struct db *db, const PGresult *res, struct err *e, const char *what)
{
	char msg[400];
	const char *m = res ? PQresultErrorMessage(res) : NULL;
	if (!m || !*m)
		m = db && db->conn ? PQerrorMessage(db->conn) : "no connection";
	one_line(msg, sizeof(msg), m);
	return err_set(e, "%s: %s", what, msg);
}

PGresult *db_exec(struct db *db, const char *sql, int nparams, const char *const *params,
		  ExecStatusType status, struct err *e, const char *what)
{
	PGresult *res = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(res) != status) {
		db_fail(db, res, e, what);
		PQclear(res);
		return NULL;
	}
	return res;
}

bool db_command(struct db *db, const char *sql, int nparams, const char *const *params,
		struct err *e, const char *what)
{
	PGresult *res = db_exec(db, sql, nparams, params, PGRES_COMMAND_OK, e, what);
	PQclear(res);
	return res != NULL;
}

bool db_cell_u64(const PGresult *r, int row, int col, uint64_t *v)
{
	return parse_u64(PQgetvalue(r, row, col), v);
}

bool db_cell_hex(const PGresult *r, int row, int col, uint8_t *out, size_t len)
{
	const char *v = PQgetvalue(r, row, col);
	return strlen(v) == 2 * len && hex_decode_exact(out, len, v, NULL);
}

bool db_cell_bytea(const PGresult *r, int row, int col, uint8_t *out, size_t len)
{
	const char *v = PQgetvalue(r, row, col);
	return v[0] == '\\' && v[1] == 'x' && strlen(v + 2) == 2 * len &&
	       hex_decode_exact(out, len, v + 2, NULL);
}

bool db_open(struct db **out, const char *conninfo, unsigned connect_timeout_s, struct err *e)
{
	if (!conninfo || !*conninfo)
		return err_set(e, "no database configured: pass --db CONNINFO or set ASSAY_DB");
	char timeout[16];
	snprintf(timeout, sizeof(timeout), "%u", connect_timeout_s ? connect_timeout_s : 10);
	const char *keys[] = {"dbname", "connect_timeout", "application_name", NULL};
	const char *vals[] = {conninfo, timeout, "assay", NULL};
	/* expand_dbname lets conninfo be a full connection string or URL. */
	PGconn *conn = PQconnectdbParams(keys, vals, 1);
	if (!conn)
		return err_set(e, "cannot connect to PostgreSQL: out of memory");
	if (PQstatus(conn) != CONNECTION_OK) {
		char msg[400];
		one_line(msg, sizeof(msg), PQerrorMessage(conn));
		PQfinish(conn);
		return err_set(e, "cannot connect to PostgreSQL: %s", msg);
	}
	struct db *db = xcalloc(1, sizeof(*db));
	db->conn = conn;
	/* Quiet NOTICEs (e.g. "relation already exists") on stderr. */
	PGresult *res = PQexec(conn, "SET client_min_messages TO warning");
	PQclear(res);
	*out = db;
	return true;
}

void db_close(struct db *db)
{
	if (!db)
		return;
	PQfinish(db->conn);
	free(db);
}

bool db_ping(struct db *db, struct err *e)
{
	if (PQstatus(db->conn) != CONNECTION_OK)
		PQreset(db->conn);
	PGresult *res = PQexec(db->conn, "SELECT 1");
	bool ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	if (!ok) {
		PQclear(res);
		PQreset(db->conn);
		res = PQexec(db->conn, "SELECT 1");
		ok = PQresultStatus(res) == PGRES_TUPLES_OK;
		if (!ok)
			db_fail(db, res, e, "PostgreSQL is not reachable");
	}
	PQclear(res);
	return ok;
}

struct pg_conn *db_conn(struct db *db)
{
	return (struct pg_conn *)db->conn;
}

int db_latest_version(void)
{
	return (int)db_migrations_count;
}

static bool read_version(struct db *db, int *version, struct err *e)
{
	PGresult *res = db_exec(db, "SELECT to_regclass('schema_version') IS NOT NULL", 0, NULL,
				PGRES_TUPLES_OK, e, "reading the schema version");
	if (!res)
		return false;
	bool exists = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	*version = -1;
	if (!exists)
		return true;
	res = db_exec(db, "SELECT coalesce(max(version), 0) FROM schema_version", 0, NULL,
		      PGRES_TUPLES_OK, e, "reading the schema version");
	if (!res)
		return false;
	*version = (int)strtol(PQgetvalue(res, 0, 0), NULL, 10);
	PQclear(res);
	return true;
}

bool db_schema_version(struct db *db, int *version, struct err *e)
{
	if (!read_version(db, version, e))
		return false;
	if (*version < 0)
		*version = 0;
	return true;
}

bool db_open_current(struct db **out, const char *conninfo, unsigned connect_timeout_s,
		     struct err *e)
{
	int version = 0;
	*out = NULL;
	if (!db_open(out, conninfo, connect_timeout_s, e) || !db_schema_version(*out, &version, e))
		goto fail;
	if (version < db_latest_version()) {
		err_set(e, "the database schema is at version %d, not %d: run 'assay db migrate' "
			   "first",
			version, db_latest_version());
		goto fail;
	}
	return true;
fail:
	db_close(*out);
	*out = NULL;
	return false;
}

bool db_migrate(struct db *db, int *from, int *to, struct err *e)
{
	bool ok = false, in_tx = false;
	int current = 0;
	int latest = db_latest_version();

	if (!db_command(db, "BEGIN", 0, NULL, e, "starting the migration"))
		return false;
	in_tx = true;
	/* One migrator at a time; a second one waits, then finds nothing to do. */
	PGresult *lock = db_exec(db, "SELECT pg_advisory_xact_lock(7265616479)", 0, NULL,
				 PGRES_TUPLES_OK, e, "locking for migration");
	if (!lock)
		goto out;
	PQclear(lock);
	if (!db_command(db,
			"CREATE TABLE IF NOT EXISTS schema_version ("
			"  version integer PRIMARY KEY,"
			"  name text NOT NULL,"
			"  applied_at timestamptz NOT NULL DEFAULT now())",
			0, NULL, e, "creating schema_version"))
		goto out;
	if (!db_schema_version(db, &current, e))
		goto out;
	if (from)
		*from = current;
	if (current > latest) {
		err_set(e,
			"the database schema is at version %d but this assay knows only up to %d; "
			"refusing to downgrade (run a newer assay)",
			current, latest);
		goto out;
	}
	for (int v = current + 1; v <= latest; v++) {
		const struct migration *m = &db_migrations[v - 1];
		char what[300];
		snprintf(what, sizeof(what), "migration %d (%s)", v, m->name);
		PGresult *res = PQexec(db->conn, m->sql);
		if (PQresultStatus(res) != PGRES_COMMAND_OK) {
			db_fail(db, res, e, what);
			PQclear(res);
			goto out;
		}
		PQclear(res);
		char vs[16];
		snprintf(vs, sizeof(vs), "%d", v);
		const char *params[] = {vs, m->name};
		if (!db_command(db, "INSERT INTO schema_version (version, name) VALUES ($1, $2)", 2,
				params, e, "recording the schema version"))
			goto out;
		log_info("applied migration %d: %s", v, m->name);
	}
	if (!db_command(db, "COMMIT", 0, NULL, e, "committing the migration"))
		goto out;
	in_tx = false;
	if (to)
		*to = latest;
	ok = true;
out:
	if (in_tx) {
		PGresult *res = PQexec(db->conn, "ROLLBACK");
		PQclear(res);
	}
	return ok;
}

struct db_settings db_settings;

const struct opt db_settings_table[] = {
	{"db", 0, OPT_STRING, &db_settings.conninfo, "CONNINFO",
	 "PostgreSQL connection string (libpq conninfo or postgresql:// URL)", NULL, true},
	{"db-connect-timeout", 0, OPT_U64, &db_settings.connect_timeout_s, "SECONDS",
	 "give up connecting to PostgreSQL after this long", "10", true},
	OPT_END,
};

bool db_settings_given(void)
{
	return db_settings.conninfo && *db_settings.conninfo;
}
