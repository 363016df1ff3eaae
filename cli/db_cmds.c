/* db_cmds.c: assay db migrate|status. */
#include <stdio.h>

#include "cli/commands.h"
#include "cli/settings.h"
#include "core/config.h"
#include "core/err.h"
#include "sql/db.h"

static int run_migrate(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {OPT_END};
	commands_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct db *db = NULL;
	int from = 0, to = 0;
	if (!db_open(&db, settings.db, (unsigned)settings.db_connect_timeout_s, &e))
		return cli_fail(cmd, "%s", e.msg);
	bool ok = db_migrate(db, &from, &to, &e);
	db_close(db);
	if (!ok)
		return cli_fail(cmd, "%s", e.msg);
	if (from == to)
		printf("schema is up to date (version %d)\n", to);
	else
		printf("migrated schema from version %d to %d\n", from, to);
	return EXIT_OK;
}

static int run_status(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {OPT_END};
	commands_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct db *db = NULL;
	int version = 0;
	if (!db_open(&db, settings.db, (unsigned)settings.db_connect_timeout_s, &e))
		return cli_fail(cmd, "%s", e.msg);
	bool ok = db_schema_version(db, &version, &e);
	db_close(db);
	if (!ok)
		return cli_fail(cmd, "%s", e.msg);
	printf("schema version %d (this assay knows up to %d)%s\n", version, db_latest_version(),
	       version < db_latest_version() ? ": run 'assay db migrate'" : "");
	return version > db_latest_version() ? EXIT_FAIL : EXIT_OK;
}

const struct command db_commands[] = {
	{"db", "migrate", "bring the database schema up to date (idempotent)", "[--db CONNINFO]",
	 "Applies every missing migration in one transaction and records the version. A database\n"
	 "whose schema is newer than this program is refused rather than downgraded.",
	 "assay db migrate --db 'host=/tmp/pg port=5433 dbname=assay'", run_migrate},
	{"db", "status", "print the database schema version", "[--db CONNINFO]", NULL,
	 "ASSAY_DB=postgresql://assay@127.0.0.1:5433/assay assay db status", run_status},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
