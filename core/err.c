#include "err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

bool err_set(struct err *e, const char *fmt, ...)
{
	if (!e)
		return false;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return false;
}

bool err_prefix(struct err *e, const char *fmt, ...)
{
	if (!e)
		return false;
	char prefix[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	size_t pl = strlen(prefix), ol = strlen(e->msg);
	if (pl >= sizeof(e->msg))
		pl = sizeof(e->msg) - 1;
	if (pl + ol >= sizeof(e->msg))
		ol = sizeof(e->msg) - 1 - pl;
	memmove(e->msg + pl, e->msg, ol);
	memcpy(e->msg, prefix, pl);
	e->msg[pl + ol] = '\0';
	return false;
}

void err_clear(struct err *e)
{
	if (e)
		e->msg[0] = '\0';
}
