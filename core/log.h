/* log.h: leveled logging, plain, logfmt or JSON lines on stderr.
 *
 * The macros check the level before evaluating their arguments. Each line may carry a
 * context (request, challenge or epoch id) set per thread with log_set_context(). Level
 * BROKEN is for "this cannot happen" and makes integration tests fail. */
#ifndef ASSAY_CORE_LOG_H
#define ASSAY_CORE_LOG_H

#include <stdbool.h>
#include "config.h"
#include "util.h"

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR, LOG_BROKEN };
enum log_format { LOG_FORMAT_PLAIN, LOG_FORMAT_LOGFMT, LOG_FORMAT_JSON };

extern enum log_level log_min_level;

void log_set_level(enum log_level level);
void log_set_format(enum log_format format);
bool log_parse_level(const char *s, enum log_level *out) WARN_UNUSED;
bool log_parse_format(const char *s, enum log_format *out) WARN_UNUSED;
/* Per-thread context such as "epoch=12 auditor=0xab.."; NULL clears it. Copied. */
void log_set_context(const char *ctx);
/* The component name printed on each line ("audit", "settle", ...). */
void log_set_component(const char *name);

/* The logging settings of the program (log-level, log-format: log_settings_table, a
 * core/config.h table), applied by log_settings_apply. */
struct log_settings {
	const char *level;
	const char *format;
};
extern struct log_settings log_settings;
extern const struct opt log_settings_table[];
/* Applies log_settings; a wrong value is one sentence on stderr after `who`, and false. */
bool log_settings_apply(const char *who) WARN_UNUSED;

void log_write(enum log_level level, const char *file, int line, const char *fmt, ...)
	PRINTF_FMT(4, 5);

#define LOG_AT(level, ...)                                                     \
	do {                                                                   \
		if ((level) >= log_min_level)                                  \
			log_write((level), __FILE__, __LINE__, __VA_ARGS__);   \
	} while (0)
#define log_debug(...) LOG_AT(LOG_DEBUG, __VA_ARGS__)
#define log_info(...) LOG_AT(LOG_INFO, __VA_ARGS__)
#define log_warn(...) LOG_AT(LOG_WARN, __VA_ARGS__)
#define log_error(...) LOG_AT(LOG_ERROR, __VA_ARGS__)
#define log_broken(...) LOG_AT(LOG_BROKEN, __VA_ARGS__)

#endif
