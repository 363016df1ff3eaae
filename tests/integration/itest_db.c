/* fixtures: pg */
/* itest_db.c: migrations against a real PostgreSQL: empty → latest, re-run is a no-op,
 * a newer schema is refused, records are immutable, an unreachable server is one sentence. */
#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "sql/db.h"
#include "tests/harness/harness.h"

static void exec_ok(const char *conninfo, const char *sql, ExecStatusType want)
{
	PGconn *c = PQconnectdb(conninfo);
	ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == want, "%s: %s", sql, PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
}

START_TEST(test_migrate_empty_to_latest_then_noop)
{
	char *ci = harness_pg_new_database("mig");
	struct err e = {{0}};
	struct db *db = NULL;
	ck_assert_msg(db_open(&db, ci, 10, &e), "%s", e.msg);
	int v = -1;
	ck_assert(db_schema_version(db, &v, &e));
	ck_assert_int_eq(v, 0);
	int from = -1, to = -1;
	ck_assert_msg(db_migrate(db, &from, &to, &e), "%s", e.msg);
	ck_assert_int_eq(from, 0);
	ck_assert_int_eq(to, db_latest_version());
	ck_assert(db_schema_version(db, &v, &e));
	ck_assert_int_eq(v, db_latest_version());
	/* Again: nothing to do, same version. */
	ck_assert_msg(db_migrate(db, &from, &to, &e), "%s", e.msg);
	ck_assert_int_eq(from, db_latest_version());
	ck_assert_int_eq(to, db_latest_version());
	db_close(db);

	/* Every table DESIGN.md needs is there. */
	exec_ok(ci,
		"SELECT 1 FROM nodes, blobs, epochs, epoch_progress, challenges, attestations,"
		" attestation_counts, transactions, shard_assignments LIMIT 1",
		PGRES_TUPLES_OK);
	free(ci);
}
END_TEST

START_TEST(test_downgrade_refused)
{
	char *ci = harness_pg_new_database("down");
	struct err e = {{0}};
	struct db *db = NULL;
	ck_assert(db_open(&db, ci, 10, &e));
	ck_assert(db_migrate(db, NULL, NULL, &e));
	exec_ok(ci, "INSERT INTO schema_version (version, name) VALUES (9999, 'from the future')",
		PGRES_COMMAND_OK);
	ck_assert(!db_migrate(db, NULL, NULL, &e));
	ck_assert_msg(strstr(e.msg, "refusing to downgrade") != NULL, "%s", e.msg);
	db_close(db);
	free(ci);
}
END_TEST

START_TEST(test_challenge_rows_are_immutable)
{
	char *ci = harness_pg_new_database("imm");
	struct err e = {{0}};
	struct db *db = NULL;
	ck_assert(db_open(&db, ci, 10, &e));
	ck_assert(db_migrate(db, NULL, NULL, &e));
	db_close(db);
	exec_ok(ci,
		"INSERT INTO challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard,"
		" symbol_row, symbol_col, axis, issued_at, latency_ms, outcome)"
		" VALUES (1, decode(repeat('11', 20), 'hex'), 0, 0, decode(repeat('22', 20), 'hex'),"
		" decode(repeat('33', 32), 'hex'), 0, 1, 2, 'primary', now(), 5, 'pass')",
		PGRES_COMMAND_OK);
	exec_ok(ci, "UPDATE challenges SET outcome = 'timeout'", PGRES_FATAL_ERROR);
	exec_ok(ci, "DELETE FROM challenges", PGRES_FATAL_ERROR);
	/* The same attempt twice is refused by the key. */
	exec_ok(ci,
		"INSERT INTO challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard,"
		" symbol_row, symbol_col, axis, issued_at, latency_ms, outcome)"
		" VALUES (1, decode(repeat('11', 20), 'hex'), 0, 0, decode(repeat('22', 20), 'hex'),"
		" decode(repeat('33', 32), 'hex'), 0, 1, 2, 'primary', now(), 5, 'pass')",
		PGRES_FATAL_ERROR);
	free(ci);
}
END_TEST

START_TEST(test_unreachable_is_one_sentence)
{
	struct err e = {{0}};
	struct db *db = NULL;
	ck_assert(!db_open(&db, "host=127.0.0.1 port=1 dbname=x", 2, &e));
	ck_assert_msg(strncmp(e.msg, "cannot connect to PostgreSQL: ", 30) == 0, "%s", e.msg);
	ck_assert_msg(strchr(e.msg, '\n') == NULL, "%s", e.msg);
	ck_assert(!db_open(&db, "", 2, &e));
	ck_assert_msg(strstr(e.msg, "no database configured") != NULL, "%s", e.msg);
	/* A password in the conninfo never shows in the message. */
	ck_assert(!db_open(&db, "host=127.0.0.1 port=1 dbname=x password=hunter2", 2, &e));
	ck_assert(strstr(e.msg, "hunter2") == NULL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("db");
	TCase *tc = tcase_create("migrations");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_migrate_empty_to_latest_then_noop);
	tcase_add_test(tc, test_downgrade_refused);
	tcase_add_test(tc, test_challenge_rows_are_immutable);
	tcase_add_test(tc, test_unreachable_is_one_sentence);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
