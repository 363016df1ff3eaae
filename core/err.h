/* err.h: the error convention.
 *
 * A function that can fail returns bool (or an enum) and fills a `struct err` with one human
 * sentence saying what went wrong and what to do. Callers add context with err_prefix().
 * Secrets never go into an error message. */
#ifndef ASSAY_CORE_ERR_H
#define ASSAY_CORE_ERR_H

#include <stdbool.h>
#include "util.h"

struct err {
	char msg[512];
};

/* Set the message; always returns false so `return err_set(e, ...)` reads naturally.
 * e may be NULL. */
bool err_set(struct err *e, const char *fmt, ...) PRINTF_FMT(2, 3);
/* Prepend context: "reading config: " + existing message. Returns false. */
bool err_prefix(struct err *e, const char *fmt, ...) PRINTF_FMT(2, 3);
void err_clear(struct err *e);

#endif
