#include "tests/harness/harness.h"

#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/util.h"

static char *read_state(const char *rel)
{
	const char *dir = getenv("ASSAY_TEST_STATE");
	if (!dir) {
		fprintf(stderr, "ASSAY_TEST_STATE is not set: run the tests through ctest\n");
		exit(2);
	}
	char path[1024];
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "%s is missing: the fixture did not start\n", path);
		exit(2);
	}
	char line[1024] = "";
	if (!fgets(line, sizeof(line), f))
		line[0] = '\0';
	fclose(f);
	line[strcspn(line, "\n")] = '\0';
	return xstrdup(line);
}

const char *harness_pg_admin(void)
{
	static char *admin;
	if (!admin)
		admin = read_state("pg/conninfo");
	return admin;
}

const char *harness_anvil_url(void)
{
	static char *url;
	if (!url)
		url = read_state("anvil/url");
	return url;
}

const char *harness_assay_bin(void)
{
	const char *b = getenv("ASSAY_BIN");
	return b ? b : "assay";
}

char *harness_pg_new_database(const char *prefix)
{
	static unsigned counter;
	char name[64];
	snprintf(name, sizeof(name), "%s_%ld_%u", prefix, (long)getpid(), counter++);
	PGconn *c = PQconnectdb(harness_pg_admin());
	ck_assert_msg(PQstatus(c) == CONNECTION_OK, "admin connection: %s", PQerrorMessage(c));
	char *esc = PQescapeIdentifier(c, name, strlen(name));
	char sql[256];
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", esc);
	PQfreemem(esc);
	PGresult *r = PQexec(c, sql);
	ck_assert_msg(PQresultStatus(r) == PGRES_COMMAND_OK, "%s", PQerrorMessage(c));
	PQclear(r);
	PQfinish(c);
	/* The admin conninfo names dbname=postgres last; a later dbname wins. */
	return xasprintf("%s dbname=%s", harness_pg_admin(), name);
}

int harness_run(char **out, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char cmd[8192];
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	FILE *p = popen(cmd, "r");
	if (!p)
		return -1;
	size_t cap = 4096, len = 0;
	char *data = xmalloc(cap);
	size_t r;
	while ((r = fread(data + len, 1, cap - len - 1, p)) > 0) {
		len += r;
		if (cap - len < 2)
			data = xrealloc(data, cap *= 2);
	}
	data[len] = '\0';
	int st = pclose(p);
	if (out)
		*out = data;
	else
		free(data);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int harness_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
