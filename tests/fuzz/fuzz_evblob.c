/* fuzz_evblob.c: the evidence blob decoder (settle/evblob.h: bytes read from the network,
 * written by any auditor): never crashes, and whatever it accepts encodes back to the same
 * bytes and builds an evidence tree or is refused with a sentence. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "settle/evblob.h"
#include "settle/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settle_evblob b;
	struct err e = {{0}};
	if (!settle_evblob_decode(data, size, &b, &e)) {
		ASSAY_ASSERT(e.msg[0]);
		return 0;
	}
	struct buf again = BUF_INIT;
	settle_evblob_encode(&again, b.epoch, b.auditor, (const uint8_t(*)[20])b.committee,
			     b.passed, b.decided, b.m, b.records, b.n);
	ASSAY_ASSERT(again.len == size && !memcmp(again.data, data, size));
	struct settle_evidence *ev = NULL;
	if (settle_evidence_new(&ev, (const uint8_t(*)[20])b.committee, b.m, b.records, b.n, &e))
		settle_evidence_free(ev);
	else
		ASSAY_ASSERT(e.msg[0]);
	buf_free(&again);
	settle_evblob_clear(&b);
	return 0;
}
