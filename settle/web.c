/* web.c: page routes and embedded assets (see web.h). */
#include "settle/web.h"

#include <stdio.h>
#include <string.h>

const struct settle_web_asset *settle_web_asset_get(const char *path)
{
	for (size_t i = 0; i < settle_web_nassets; i++)
		if (!strcmp(settle_web_assets[i].path, path))
			return &settle_web_assets[i];
	return NULL;
}

/* Advances *p over a decimal number of 1 to 18 digits. */
static bool take_number(const char **p)
{
	size_t n = 0;
	while ((*p)[n] >= '0' && (*p)[n] <= '9')
		n++;
	if (n == 0 || n > 18)
		return false;
	*p += n;
	return true;
}

/* Advances *p over 0x and 40 hex digits. */
static bool take_address(const char **p)
{
	if (strncmp(*p, "0x", 2))
		return false;
	for (size_t i = 2; i < 42; i++) {
		char c = (*p)[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	*p += 42;
	return true;
}

static bool take(const char **p, const char *lit)
{
	size_t n = strlen(lit);
	if (strncmp(*p, lit, n))
		return false;
	*p += n;
	return true;
}

bool settle_web_is_page(const char *url)
{
	const char *p = url;
	if (!strcmp(url, "/"))
		return true;
	if (take(&p, "/nodes/"))
		return take_address(&p) && (*p == '\0' || !strcmp(p, "/"));
	p = url;
	if (!take(&p, "/epochs/") || !take_number(&p))
		return false;
	if (*p == '\0' || !strcmp(p, "/"))
		return true;
	return take(&p, "/nodes/") && take_address(&p) && !strcmp(p, "/evidence");
}

bool settle_web_origin(const char *url, char *out, size_t n)
{
	const char *rest;
	if (!strncmp(url, "http://", 7))
		rest = url + 7;
	else if (!strncmp(url, "https://", 8))
		rest = url + 8;
	else
		return false;
	size_t len = strcspn(rest, "/?#");
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		char c = rest[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
			  c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
		if (!ok)
			return false;
	}
	int w = snprintf(out, n, "%.*s%.*s", (int)(rest - url), url, (int)len, rest);
	return w > 0 && (size_t)w < n;
}
