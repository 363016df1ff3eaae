/* fuzz_evblob.c: the evidence blob decoders (settle/evblob.h: bytes read from the network,
 * written by any auditor), strict and as given (what a disputer reads a liar's blob with):
 * never crash, whatever either accepts encodes back to the same bytes and builds an
 * evidence tree (the strict one; the as-given one with settle_evidence_new_any) or is
 * refused with a sentence, and what the strict decoder accepts the other does too. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "settle/evblob.h"
#include "settle/evidence.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool one(const uint8_t *data, size_t size, bool strict)
{
	struct settle_evblob b;
	struct err e = {{0}};
	if (!(strict ? settle_evblob_decode : settle_evblob_decode_any)(data, size, &b, &e)) {
		ASSAY_ASSERT(e.msg[0]);
		return false;
	}
	struct buf again = BUF_INIT;
	settle_evblob_encode(&again, b.epoch, b.auditor, (const uint8_t(*)[20])b.committee,
			     b.passed, b.decided, b.m, b.records, b.n);
	ASSAY_ASSERT(again.len == size && !memcmp(again.data, data, size));
	struct settle_evidence *ev = NULL;
	if ((strict ? settle_evidence_new : settle_evidence_new_any)(
		    &ev, (const uint8_t(*)[20])b.committee, b.m, b.records, b.n, &e))
		settle_evidence_free(ev);
	else
		ASSAY_ASSERT(e.msg[0]);
	buf_free(&again);
	settle_evblob_clear(&b);
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	bool strict = one(data, size, true), any = one(data, size, false);
	ASSAY_ASSERT(!strict || any);
	return 0;
}
