/* fuzz_http1.c: the auditor's HTTP/1.1 response parser (audit/http1.h). The input is fed
 * whole and again in pieces (sizes from its first byte): both must end the same way with
 * the same status and body, and a body never passes its cap. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/http1.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static enum audit_http1_step run(struct audit_http1 *p, const uint8_t *d, size_t n, size_t piece,
				 size_t *consumed)
{
	enum audit_http1_step st = AUDIT_HTTP1_MORE;
	size_t off = 0;
	while (st == AUDIT_HTTP1_MORE && off < n) {
		size_t take = n - off < piece ? n - off : piece, used = 0;
		size_t room = 0;
		uint8_t *dst = audit_http1_room(p, &room);
		if (dst) {
			/* As the fan-out does: body bytes received in place. */
			if (take > room)
				take = room;
			memcpy(dst, d + off, take);
			st = audit_http1_wrote(p, take);
			used = take;
		} else {
			st = audit_http1_feed(p, d + off, take, &used);
		}
		ASSAY_ASSERT(used <= take);
		off += used;
		if (st == AUDIT_HTTP1_MORE)
			ASSAY_ASSERT(used == take);
	}
	if (st == AUDIT_HTTP1_MORE)
		st = audit_http1_eof(p);
	*consumed = off;
	return st;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2)
		return 0;
	size_t piece = (size_t)(data[0] % 17) + 1, cap = (size_t)data[1] * 8;
	data += 2;
	size -= 2;
	struct audit_http1 a, b;
	audit_http1_init(&a, cap);
	audit_http1_init(&b, cap);
	size_t ua = 0, ub = 0;
	enum audit_http1_step sa = run(&a, data, size, size ? size : 1, &ua);
	enum audit_http1_step sb = run(&b, data, size, piece, &ub);
	ASSAY_ASSERT(sa != AUDIT_HTTP1_MORE && sb != AUDIT_HTTP1_MORE);
	ASSAY_ASSERT(sa == sb);
	ASSAY_ASSERT(a.body_len <= cap && b.body_len <= cap);
	if (sa == AUDIT_HTTP1_DONE) {
		ASSAY_ASSERT(ua == ub && a.status == b.status && a.keep_alive == b.keep_alive);
		ASSAY_ASSERT(a.status >= 200 && a.status <= 599);
		ASSAY_ASSERT(a.body_len == b.body_len && !memcmp(a.body, b.body, a.body_len));
		ASSAY_ASSERT(a.body[a.body_len] == '\0');
	}
	audit_http1_clear(&a);
	audit_http1_clear(&b);
	return 0;
}
