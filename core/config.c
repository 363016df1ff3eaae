#include "config.h"
#include "err.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TABLES 16

static const struct opt *tables[MAX_TABLES + 1];
static size_t ntables;
static char **owned;
static size_t nowned, capowned;

void config_register(const struct opt *table)
{
	for (size_t i = 0; i < ntables; i++)
		if (tables[i] == table)
			return;
	ASSAY_ASSERT(ntables < MAX_TABLES);
	tables[ntables++] = table;
	tables[ntables] = NULL;
}

const struct opt *const *config_tables(void)
{
	return tables;
}

const char *config_strdup(const char *s)
{
	if (nowned == capowned) {
		capowned = capowned ? capowned * 2 : 32;
		owned = xrealloc(owned, capowned * sizeof(*owned));
	}
	owned[nowned] = xstrdup(s);
	return owned[nowned++];
}

void config_free_all(void)
{
	for (size_t i = 0; i < nowned; i++)
		free(owned[i]);
	free(owned);
	owned = NULL;
	nowned = capowned = 0;
}

static bool parse_bool(const char *s, bool *out)
{
	if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "on") || !strcmp(s, "1"))
		*out = true;
	else if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "off") || !strcmp(s, "0"))
		*out = false;
	else
		return false;
	return true;
}

bool config_set(const struct opt *o, const char *value, const char *source, struct err *e)
{
	switch (o->type) {
	case OPT_STRING:
		*(const char **)o->dst = config_strdup(value);
		return true;
	case OPT_U64:
		if (!parse_u64(value, (uint64_t *)o->dst))
			return err_set(e, "%s: %s must be a non-negative integer, not '%s'", source,
				       o->name, value);
		return true;
	case OPT_DOUBLE: {
		char *end = NULL;
		errno = 0;
		double d = strtod(value, &end);
		if (!*value || errno || *end)
			return err_set(e, "%s: %s must be a number, not '%s'", source, o->name, value);
		*(double *)o->dst = d;
		return true;
	}
	case OPT_BOOL:
		if (!parse_bool(value, (bool *)o->dst))
			return err_set(e, "%s: %s must be true or false, not '%s'", source, o->name,
				       value);
		return true;
	case OPT_LIST: {
		struct strlist *l = o->dst;
		l->v = xrealloc(l->v, (l->n + 1) * sizeof(*l->v));
		l->v[l->n++] = config_strdup(value);
		return true;
	}
	}
	return err_set(e, "%s: %s has an unknown type", source, o->name);
}

static bool apply_table_defaults(const struct opt *t, struct err *e)
{
	for (; t && t->name; t++) {
		if (t->type == OPT_LIST) {
			struct strlist *l = t->dst;
			free(l->v);
			l->v = NULL;
			l->n = 0;
		}
		if (t->def && !config_set(t, t->def, "default", e))
			return false;
	}
	return true;
}

bool config_apply_defaults(const struct opt *local, struct err *e)
{
	for (size_t i = 0; i < ntables; i++)
		if (!apply_table_defaults(tables[i], e))
			return false;
	return apply_table_defaults(local, e);
}

const struct opt *config_find(const struct opt *local, const char *name)
{
	for (const struct opt *o = local; o && o->name; o++)
		if (!strcmp(o->name, name))
			return o;
	for (size_t i = 0; i < ntables; i++)
		for (const struct opt *o = tables[i]; o->name; o++)
			if (!strcmp(o->name, name))
				return o;
	return NULL;
}

const struct opt *config_find_short(const struct opt *local, char c)
{
	for (const struct opt *o = local; o && o->name; o++)
		if (o->short_name == c)
			return o;
	for (size_t i = 0; i < ntables; i++)
		for (const struct opt *o = tables[i]; o->name; o++)
			if (o->short_name == c)
				return o;
	return NULL;
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *end = s + strlen(s);
	while (end > s && isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

bool config_load_file(const char *path, struct err *e)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return err_set(e, "cannot open config file %s: %s", path, strerror(errno));
	bool ok = config_load_stream(f, path, e);
	fclose(f);
	return ok;
}

bool config_load_stream(FILE *f, const char *path, struct err *e)
{
	char line[4096];
	int lineno = 0;
	bool ok = true;
	while (ok && fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			ok = err_set(e, "%s:%d: line is too long", path, lineno);
			break;
		}
		char *s = trim(line);
		if (!*s || *s == '#')
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			ok = err_set(e, "%s:%d: expected KEY = VALUE", path, lineno);
			break;
		}
		*eq = '\0';
		char *key = trim(s), *val = trim(eq + 1);
		size_t vl = strlen(val);
		if (vl >= 2 && val[0] == '"' && val[vl - 1] == '"') {
			val[vl - 1] = '\0';
			val++;
		}
		const struct opt *o = config_find(NULL, key);
		if (!o || !o->config) {
			ok = err_set(e, "%s:%d: unknown setting '%s'", path, lineno, key);
			break;
		}
		char src[300];
		snprintf(src, sizeof(src), "%s:%d", path, lineno);
		ok = config_set(o, val, src, e);
	}
	return ok;
}

bool config_load_env(struct err *e)
{
	for (size_t i = 0; i < ntables; i++)
		for (const struct opt *o = tables[i]; o->name; o++) {
			if (!o->config)
				continue;
			char var[128] = "ASSAY_";
			size_t j = 6;
			for (const char *p = o->name; *p && j + 1 < sizeof(var); p++)
				var[j++] = *p == '-' ? '_' : (char)toupper((unsigned char)*p);
			var[j] = '\0';
			const char *v = getenv(var);
			if (v && !config_set(o, v, var, e))
				return false;
		}
	return true;
}
