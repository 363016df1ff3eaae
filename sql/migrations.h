/* migrations.h: the append-only list of schema migrations (sql/migrations.c). */
#ifndef ASSAY_SQL_MIGRATIONS_H
#define ASSAY_SQL_MIGRATIONS_H

#include <stddef.h>

struct migration {
	const char *name;
	const char *sql;
};

extern const struct migration db_migrations[];
extern const size_t db_migrations_count;

#endif
