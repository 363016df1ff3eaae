/* fuzz_node_request.c: what a client asks the storage node (node/route.h): the URL path
 * and a recoverySymbols query, on arbitrary bytes. Input: byte 0 picks the shard count,
 * then the path up to the first newline, then the query (name=value pairs split on '&', as
 * libmicrohttpd hands them over). Whatever is accepted must be in range for the node. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "node/route.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint32_t n = 1u + data[0]; /* 1..256 shards */
	char *text = xmalloc(size);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	char *query = strchr(text, '\n');
	if (query)
		*query++ = '\0';

	struct node_route r;
	unsigned status = 0;
	char why[600];
	if (node_route_parse(text, n, &r, &status, why, sizeof(why))) {
		if (r.ep == NODE_EP_SLIVER)
			ASSAY_ASSERT(r.pair < n);
	} else {
		ASSAY_ASSERT((status == 400 || status == 404) && why[0] != '\0');
	}

	struct node_symbol_query q;
	node_symbol_query_init(&q, n);
	for (char *arg = query; arg && *arg;) {
		char *amp = strchr(arg, '&');
		if (amp)
			*amp = '\0';
		char *eq = strchr(arg, '=');
		if (eq)
			*eq = '\0';
		if (!node_symbol_query_add(&q, arg, eq ? eq + 1 : NULL)) {
			ASSAY_ASSERT(q.bad && q.why[0] != '\0');
			break;
		}
		arg = amp ? amp + 1 : NULL;
	}
	ASSAY_ASSERT(q.count <= NODE_MAX_IDS_PER_REQUEST);
	for (size_t i = 0; i < q.count; i++)
		ASSAY_ASSERT(q.ids[i].primary < n && q.ids[i].secondary < n);
	node_symbol_query_clear(&q);
	free(text);
	return 0;
}
