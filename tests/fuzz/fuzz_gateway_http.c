/* fuzz_gateway_http.c: the gateway's parsers of client headers (Range, If-None-Match,
 * If-Range, ?content-type=, ?filename=) and the sniffer, on arbitrary bytes. A range that
 * parses must lie inside the representation; nothing may read outside the input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "gateway/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	/* the representation's length from the first bytes, so lengths vary too */
	uint64_t len = 0;
	for (size_t i = 0; i < size && i < 3; i++)
		len = len << 8 | data[i];
	uint64_t lens[] = {0, 1, len, UINT64_MAX};
	for (size_t k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
		struct gateway_range r;
		enum gateway_range_kind kind = gateway_range_parse(s, lens[k], &r);
		if (kind == GATEWAY_RANGE_ONE)
			ASSAY_ASSERT(r.first <= r.last && r.last < lens[k]);
		if (kind != GATEWAY_RANGE_NONE)
			ASSAY_ASSERT(strlen(s) >= 6); /* "bytes=" at least */
	}
	(void)gateway_etag_none_match(s, "\"abc\"");
	(void)gateway_if_range_match(s, "\"abc\"");
	(void)gateway_media_type_ok(s);
	char out[1200];
	if (gateway_content_disposition(s, size & 1, out, sizeof(out)))
		ASSAY_ASSERT(strpbrk(out, "\r\n") == NULL);
	const char *ct = gateway_sniff(data, size);
	ASSAY_ASSERT(ct && *ct);
	free(s);
	return 0;
}
