/* harness.h: what integration tests share: the throwaway PostgreSQL and anvil started by
 * the CTest fixtures (deploy/pg.sh, deploy/anvil.sh), fresh databases, running assay. */
#ifndef ASSAY_TESTS_HARNESS_H
#define ASSAY_TESTS_HARNESS_H

#include <check.h>
#include <stdbool.h>
#include <stddef.h>

/* The conninfo of the fixture cluster's maintenance database ("postgres"). Aborts the
 * test with a clear message when the fixture is not running. */
const char *harness_pg_admin(void);
/* Create a new, empty database with a unique name and return its conninfo (malloc'd). */
char *harness_pg_new_database(const char *prefix);
/* The fixture anvil's RPC URL. */
const char *harness_anvil_url(void);
/* Path of the assay binary under test. */
const char *harness_assay_bin(void);
/* Run a shell command line; returns its exit status (or -1), stdout captured into *out
 * (malloc'd, may be NULL). */
int harness_run(char **out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Run a Check suite and return the process exit code. */
int harness_main(Suite *s);

#endif
