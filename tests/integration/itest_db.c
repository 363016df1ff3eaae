/* fixtures: pg */
/* itest_db.c: migrations against a real PostgreSQL: empty → latest, re-run is a no-op,
 * a newer schema is refused, records are immutable (on every partition), challenge rows
 * written at schema version 4 survive the move to the partitioned table, an unreachable
 * server is one sentence. */
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "sql/challenges.h"
#include "sql/db.h"
#include "sql/migrations.h"
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
	/* No partition for epoch 1 yet: a row of it is refused, not kept somewhere prune
	 * cannot drop whole. */
	exec_ok(ci,
		"INSERT INTO challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard,"
		" symbol_row, symbol_col, axis, issued_at, latency_ms, outcome)"
		" VALUES (1, decode(repeat('11', 20), 'hex'), 0, 0, decode(repeat('22', 20), 'hex'),"
		" decode(repeat('33', 32), 'hex'), 0, 1, 2, 'primary', now(), 5, 'pass')",
		PGRES_FATAL_ERROR);
	ck_assert_msg(db_challenges_partition_ensure(db, 1, &e), "%s", e.msg);
	ck_assert_msg(db_challenges_partition_ensure(db, 1, &e), "%s", e.msg); /* idempotent */
	db_close(db);
	exec_ok(ci,
		"INSERT INTO challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard,"
		" symbol_row, symbol_col, axis, issued_at, latency_ms, outcome)"
		" VALUES (1, decode(repeat('11', 20), 'hex'), 0, 0, decode(repeat('22', 20), 'hex'),"
		" decode(repeat('33', 32), 'hex'), 0, 1, 2, 'primary', now(), 5, 'pass')",
		PGRES_COMMAND_OK);
	exec_ok(ci, "UPDATE challenges SET outcome = 'timeout'", PGRES_FATAL_ERROR);
	exec_ok(ci, "DELETE FROM challenges", PGRES_FATAL_ERROR);
	/* The trigger was cloned onto the partition: going round the parent changes nothing. */
	exec_ok(ci, "UPDATE challenges_e1 SET outcome = 'timeout'", PGRES_FATAL_ERROR);
	exec_ok(ci, "DELETE FROM challenges_e1", PGRES_FATAL_ERROR);
	exec_ok(ci, "SELECT 1 FROM challenges WHERE epoch = 1 AND outcome = 'pass' HAVING count(*) = 1",
		PGRES_TUPLES_OK);
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

static char *query1(const char *conninfo, const char *sql)
{
	PGconn *c = PQconnectdb(conninfo);
	ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1, "%s: %s", sql,
		      PQerrorMessage(c));
	char *v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	PQfinish(c);
	return v;
}

static void expect1(const char *conninfo, const char *sql, const char *want)
{
	char *got = query1(conninfo, sql);
	ck_assert_msg(strcmp(got, want) == 0, "%s: got %s, want %s", sql, got, want);
	free(got);
}

#define ROW(ep, seq, att, outcome)                                                              \
	"(" #ep ", decode(repeat('11', 20), 'hex'), " #seq ", " #att                             \
	", decode(repeat('22', 20), 'hex'), decode(repeat('33', 32), 'hex'), 4, 1, 2,"          \
	" 'secondary', '2026-01-02 03:04:05.678+00', 17, '" outcome "', 200,"                  \
	" decode(repeat('44', 32), 'hex'), 'detail " #seq "')"

/* A database at version 4 (challenges not partitioned) holding rows of two epochs, then
 * migrated: every row is in its epoch's partition, column for column, with its key, index
 * and trigger, and a partition can be dropped whole. */
START_TEST(test_partitioning_converts_existing_rows)
{
	char *ci = harness_pg_new_database("part");
	ck_assert_int_ge(db_latest_version(), 5);
	exec_ok(ci,
		"CREATE TABLE schema_version (version integer PRIMARY KEY, name text NOT NULL,"
		" applied_at timestamptz NOT NULL DEFAULT now())",
		PGRES_COMMAND_OK);
	for (int v = 1; v <= 4; v++) {
		exec_ok(ci, db_migrations[v - 1].sql, PGRES_COMMAND_OK);
		char ins[128];
		snprintf(ins, sizeof(ins),
			 "INSERT INTO schema_version (version, name) VALUES (%d, 'up to 4')", v);
		exec_ok(ci, ins, PGRES_COMMAND_OK);
	}
	exec_ok(ci,
		"INSERT INTO challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard,"
		" symbol_row, symbol_col, axis, issued_at, latency_ms, outcome, http_status,"
		" response_hash, detail) VALUES " ROW(3, 0, 0, "timeout") ", " ROW(3, 0, 1, "pass")
		", " ROW(3, 1, 0, "not_found") ", " ROW(4, 0, 0, "pass"),
		PGRES_COMMAND_OK);
	char *before = query1(ci, "SELECT md5(string_agg(c::text, '|' ORDER BY epoch, seq, attempt))"
				  " FROM challenges c");

	struct err e = {{0}};
	struct db *db = NULL;
	int from = -1, to = -1;
	ck_assert(db_open(&db, ci, 10, &e));
	ck_assert_msg(db_migrate(db, &from, &to, &e), "%s", e.msg);
	ck_assert_int_eq(from, 4);
	ck_assert_int_eq(to, db_latest_version());

	expect1(ci, "SELECT c.relkind FROM pg_class c WHERE c.relname = 'challenges'", "p");
	expect1(ci, "SELECT string_agg(c.relname, ',' ORDER BY c.relname) FROM pg_inherits i"
		    " JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'challenges'::regclass"
		    " AND c.relkind = 'r'",
		"challenges_e3,challenges_e4");
	expect1(ci, "SELECT to_regclass('challenges_unpartitioned') IS NULL", "t");
	char *after = query1(ci, "SELECT md5(string_agg(c::text, '|' ORDER BY epoch, seq, attempt))"
				 " FROM challenges c");
	ck_assert_str_eq(before, after);
	free(before);
	free(after);
	expect1(ci, "SELECT count(*) FROM challenges_e3", "3");
	expect1(ci, "SELECT pg_get_constraintdef(oid) FROM pg_constraint"
		    " WHERE conrelid = 'challenges'::regclass AND contype = 'p'",
		"PRIMARY KEY (epoch, auditor, seq, attempt)");
	expect1(ci, "SELECT count(*) FROM pg_indexes WHERE tablename = 'challenges_e4'"
		    " AND indexdef LIKE '%(epoch, node_id)'",
		"1");
	/* The key holds per partition and the trigger fires on the moved rows. */
	exec_ok(ci,
		"INSERT INTO challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard,"
		" symbol_row, symbol_col, axis, issued_at, latency_ms, outcome, http_status,"
		" response_hash, detail) VALUES " ROW(3, 0, 1, "pass"),
		PGRES_FATAL_ERROR);
	exec_ok(ci, "UPDATE challenges SET latency_ms = 1 WHERE epoch = 3", PGRES_FATAL_ERROR);
	exec_ok(ci, "DELETE FROM challenges_e4", PGRES_FATAL_ERROR);

	/* The writer's path: a new epoch gets its partition from the COPY itself. */
	struct db_challenge_row row;
	memset(&row, 0, sizeof(row));
	row.epoch = 5;
	memset(row.auditor, 0x11, 20);
	row.outcome = "pass";
	row.issued_at_ms = 1767323045678ull;
	ck_assert_msg(db_challenges_copy(db, &row, 1, &e), "%s", e.msg);
	row.seq = 1;
	ck_assert_msg(db_challenges_copy(db, &row, 1, &e), "%s", e.msg);
	uint64_t rows = 0;
	ck_assert(db_challenges_count(db, 5, row.auditor, &rows, &e));
	ck_assert_int_eq(rows, 2);
	db_close(db);

	/* A reader holding the table: the drop gives up (lock_timeout) instead of queueing
	 * every writer behind it. */
	PGconn *hold = PQconnectdb(ci);
	ck_assert_int_eq(PQstatus(hold), CONNECTION_OK);
	PGresult *hr = PQexec(hold, "BEGIN");
	PQclear(hr);
	hr = PQexec(hold, "SELECT count(*) FROM challenges");
	ck_assert_int_eq(PQresultStatus(hr), PGRES_TUPLES_OK);
	PQclear(hr);
	exec_ok(ci, "SELECT challenges_partition_drop(3)", PGRES_FATAL_ERROR);
	hr = PQexec(hold, "ROLLBACK");
	PQclear(hr);
	PQfinish(hold);
	expect1(ci, "SELECT count(*) FROM challenges_e3", "3");

	/* Prune's drop: the partition goes whole, the other epochs stay. */
	expect1(ci, "SELECT challenges_partition_drop(3)", "t");
	expect1(ci, "SELECT challenges_partition_drop(3)", "f");
	expect1(ci, "SELECT count(*) FROM challenges", "3");
	expect1(ci, "SELECT to_regclass('challenges_e3') IS NULL", "t");
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
	tcase_add_test(tc, test_partitioning_converts_existing_rows);
	tcase_add_test(tc, test_unreachable_is_one_sentence);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
