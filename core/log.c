#include "log.h"
#include "config.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

enum log_level log_min_level = LOG_INFO;
static enum log_format fmt_kind = LOG_FORMAT_PLAIN;
static const char *component = "assay";
static _Thread_local char context[256];
static pthread_mutex_t out_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"debug", "info", "warn", "error", "broken"};

void log_set_level(enum log_level level)
{
	log_min_level = level;
}

void log_set_format(enum log_format format)
{
	fmt_kind = format;
}

bool log_parse_level(const char *s, enum log_level *out)
{
	for (size_t i = 0; i < ARRAY_LEN(level_names); i++)
		if (strcmp(s, level_names[i]) == 0) {
			*out = (enum log_level)i;
			return true;
		}
	return false;
}

bool log_parse_format(const char *s, enum log_format *out)
{
	if (strcmp(s, "plain") == 0)
		*out = LOG_FORMAT_PLAIN;
	else if (strcmp(s, "logfmt") == 0)
		*out = LOG_FORMAT_LOGFMT;
	else if (strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return false;
	return true;
}

void log_set_context(const char *ctx)
{
	if (!ctx)
		context[0] = '\0';
	else
		snprintf(context, sizeof(context), "%s", ctx);
}

void log_set_component(const char *name)
{
	component = name;
}

/* Quote for logfmt/JSON: escape quotes, backslashes and control characters. */
static void put_quoted(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void log_write(enum log_level level, const char *file, int line, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);

	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	char ts[96];
	snprintf(ts, sizeof(ts), "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
		 (long)(tv.tv_usec / 1000));
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;

	pthread_mutex_lock(&out_lock);
	FILE *f = stderr;
	switch (fmt_kind) {
	case LOG_FORMAT_PLAIN:
		fprintf(f, "%s %-5s %s: %s%s%s\n", ts, level_names[level], component,
			context[0] ? context : "", context[0] ? ": " : "", msg);
		break;
	case LOG_FORMAT_LOGFMT:
		fprintf(f, "ts=%s level=%s component=%s src=%s:%d ", ts, level_names[level],
			component, base, line);
		if (context[0])
			fprintf(f, "%s ", context);
		fputs("msg=", f);
		put_quoted(f, msg);
		fputc('\n', f);
		break;
	case LOG_FORMAT_JSON:
		fprintf(f, "{\"ts\":\"%s\",\"level\":\"%s\",\"component\":\"%s\",\"src\":\"%s:%d\",",
			ts, level_names[level], component, base, line);
		if (context[0]) {
			fputs("\"context\":", f);
			put_quoted(f, context);
			fputc(',', f);
		}
		fputs("\"msg\":", f);
		put_quoted(f, msg);
		fputs("}\n", f);
		break;
	}
	fflush(f);
	pthread_mutex_unlock(&out_lock);
}

struct log_settings log_settings;

const struct opt log_settings_table[] = {
	{"log-level", 0, OPT_STRING, &log_settings.level, "LEVEL",
	 "debug, info, warn, error", "info", true},
	{"log-format", 0, OPT_STRING, &log_settings.format, "FORMAT",
	 "plain, logfmt or json", "plain", true},
	OPT_END,
};

bool log_settings_apply(const char *who)
{
	enum log_level level;
	enum log_format format;
	if (!log_parse_level(log_settings.level, &level)) {
		fprintf(stderr, "%s: log-level must be debug, info, warn or error, not '%s'\n", who,
			log_settings.level);
		return false;
	}
	if (!log_parse_format(log_settings.format, &format)) {
		fprintf(stderr, "%s: log-format must be plain, logfmt or json, not '%s'\n", who,
			log_settings.format);
		return false;
	}
	log_set_level(level);
	log_set_format(format);
	return true;
}
