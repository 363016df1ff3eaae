/* fuzz_api_request.c: what a client asks `assay api serve` (settle/apiroute.h): the URL
 * path and the query parameters, on arbitrary bytes. Input: the path up to the first
 * newline, then the query (name=value pairs split on '&', as libmicrohttpd hands them
 * over). Whatever is accepted names a route with a well-formed epoch and node. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "settle/apiroute.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *query = strchr(text, '\n');
	if (query)
		*query++ = '\0';

	struct settle_api_route r;
	unsigned status = 0;
	char why[160];
	if (settle_api_route_parse(text, &r, &status, why, sizeof(why))) {
		if (r.kind == SETTLE_API_ATTESTATIONS || r.kind == SETTLE_API_EVIDENCE)
			ASSAY_ASSERT(r.epoch < 1000000000000000000ull);
		if (r.kind == SETTLE_API_WEB)
			ASSAY_ASSERT(strncmp(text, "/v1/", 4) != 0);
	} else {
		ASSAY_ASSERT((status == 400 || status == 404) && why[0] != '\0');
	}

	struct settle_api_args q = {0};
	for (char *arg = query; arg && *arg;) {
		char *amp = strchr(arg, '&');
		if (amp)
			*amp = '\0';
		char *eq = strchr(arg, '=');
		if (eq)
			*eq = '\0';
		settle_api_args_add(&q, arg, eq ? eq + 1 : NULL);
		arg = amp ? amp + 1 : NULL;
	}
	ASSAY_ASSERT(q.n <= SETTLE_API_MAX_ARGS);
	static const char *const allowed[] = {"limit", "after", "from", "to", "auditor", NULL};
	if (settle_api_args_check(&q, allowed, why, sizeof(why))) {
		bool has;
		uint64_t v;
		if (settle_api_arg_number(&q, "from", &has, &v, why, sizeof(why)) && has)
			ASSAY_ASSERT(v < 1000000000000000000ull);
		const char *aud = settle_api_args_get(&q, "auditor");
		uint8_t id[20];
		if (aud && settle_api_parse_id(aud, id))
			ASSAY_ASSERT(strlen(aud) == 42);
	} else {
		ASSAY_ASSERT(why[0] != '\0');
	}
	free(text);
	return 0;
}
