/* db_cmds.c: assay db migrate|status|prune. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "cli/settle_session.h"
#include "core/config.h"
#include "core/err.h"
#include "settle/prune.h"
#include "sql/db.h"

static int run_migrate(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {OPT_END};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct db *db = NULL;
	int from = 0, to = 0;
	if (!db_open(&db, db_settings.conninfo, (unsigned)db_settings.connect_timeout_s, &e))
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
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct db *db = NULL;
	int version = 0;
	if (!db_open(&db, db_settings.conninfo, (unsigned)db_settings.connect_timeout_s, &e))
		return cli_fail(cmd, "%s", e.msg);
	bool ok = db_schema_version(db, &version, &e);
	db_close(db);
	if (!ok)
		return cli_fail(cmd, "%s", e.msg);
	printf("schema version %d (this assay knows up to %d)%s\n", version, db_latest_version(),
	       version < db_latest_version() ? ": run 'assay db migrate'" : "");
	return version > db_latest_version() ? EXIT_FAIL : EXIT_OK;
}

static uint64_t opt_keep = UINT64_MAX;
static const char *opt_archive_dir;

static int run_prune(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		{"keep-epochs", 0, OPT_U64, &opt_keep, "N",
		 "keep the newest N epochs that have records, whatever their state", NULL, false},
		{"archive-dir", 0, OPT_STRING, &opt_archive_dir, "DIR",
		 "where each epoch's records are archived before its partition is dropped", "archive",
		 false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	if (opt_keep == UINT64_MAX)
		cli_usage_error(cmd, "--keep-epochs N is required");
	struct settle_session s;
	if (!cli_settle_session_open(cmd, &s, SETTLE_NEED_DB))
		return EXIT_FAIL;
	struct settle_prune_opts o = {.keep_epochs = opt_keep, .archive_dir = opt_archive_dir};
	struct settle_prune_epoch *r = NULL;
	size_t n = 0;
	struct err e = {{0}};
	bool ok = settle_prune(s.db, s.chain, &o, &r, &n, &e);
	settle_session_close(&s);
	if (!ok)
		return cli_fail(cmd, "%s", e.msg);
	settle_prune_print(stdout, r, n);
	free(r);
	return EXIT_OK;
}

const struct command db_commands[] = {
	{"db", "migrate", "bring the database schema up to date (idempotent)", "[--db CONNINFO]",
	 "Applies every missing migration in one transaction and records the version. A database\n"
	 "whose schema is newer than this program is refused rather than downgraded.",
	 "assay db migrate --db 'host=/tmp/pg port=5433 dbname=assay'", run_migrate},
	{"db", "status", "print the database schema version", "[--db CONNINFO]", NULL,
	 "ASSAY_DB=postgresql://assay@127.0.0.1:5433/assay assay db status", run_status},
	{"db", "prune", "archive old epochs' challenge records to files, then drop them",
	 "--keep-epochs N [--archive-dir DIR]",
	 "Keeps the newest N epochs that have records. Each older epoch that the chain says is\n"
	 "finalized or voided and past its dispute window is archived, one file per auditor\n"
	 "(DIR/challenges-e<epoch>-0x<auditor>.jsonl, sql/ARCHIVE.md: written, fsynced, renamed,\n"
	 "read back and checked against the database and the evidence root revealed on chain),\n"
	 "then its partition is dropped. Any other epoch is refused with a sentence saying why.\n"
	 "'assay evidence prove --archive FILE' proves records from an archive.",
	 "assay db prune --keep-epochs 6 --archive-dir /var/lib/assay/archive --db "
	 "postgresql:///assay --rpc-url http://127.0.0.1:8545 --deployment deployment.json",
	 run_prune},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
