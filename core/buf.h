/* buf.h: a growable byte buffer. Allocation failure aborts (see util.h). */
#ifndef ASSAY_CORE_BUF_H
#define ASSAY_CORE_BUF_H

#include <stddef.h>
#include <stdint.h>
#include "util.h"

struct buf {
	uint8_t *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT {NULL, 0, 0}

void buf_init(struct buf *b);
void buf_free(struct buf *b);          /* frees the storage and resets; NULL is fine */
void buf_reset(struct buf *b);         /* len = 0, keeps the storage */
void buf_reserve(struct buf *b, size_t extra);
void buf_append(struct buf *b, const void *data, size_t len);
void buf_append_byte(struct buf *b, uint8_t byte);
void buf_append_str(struct buf *b, const char *s);   /* without the NUL */
void buf_printf(struct buf *b, const char *fmt, ...) PRINTF_FMT(2, 3);
void buf_append_u16le(struct buf *b, uint16_t v);
void buf_append_u32le(struct buf *b, uint32_t v);
void buf_append_u64le(struct buf *b, uint64_t v);
void buf_append_u64be(struct buf *b, uint64_t v);
/* Appends a NUL terminator that is not counted in len, and returns data as a C string. */
const char *buf_cstr(struct buf *b);
/* Hands the storage to the caller (who frees it) and resets the buffer. */
uint8_t *buf_steal(struct buf *b, size_t *len);

#endif
