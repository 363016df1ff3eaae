/* fuzz_bcs_sliver.c: the SliverData parser. Whatever parses must write back to the same
 * bytes and satisfy the invariants the parser promises. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/bcs.h"
#include "core/buf.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_sliver *s = NULL;
	if (!audit_sliver_parse(data, size, &s, NULL))
		return 0;
	ASSAY_ASSERT(s->symbol_size != 0 && s->len % s->symbol_size == 0);
	struct buf b = BUF_INIT;
	audit_sliver_write(&b, s);
	ASSAY_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
	buf_free(&b);
	audit_sliver_free(s);
	return 0;
}
