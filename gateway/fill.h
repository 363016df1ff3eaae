/* fill.h: bytes [a, b) of a blob being fetched, verified, into one buffer that readers
 * stream from while it fills.
 *
 * The range is cut into pieces along the blob's rows (gateway/fetch.h): the first piece is
 * one symbol, so the first byte of a response waits for one symbol only, the rest up to
 * 4 MiB each. `parallel` workers fetch pieces in order; `ready` is the length of the
 * verified prefix, and a reader is woken each time it grows. When a piece cannot be had
 * from any node the fill fails, and every reader sees it (a response that has started is
 * then aborted, never ended short).
 *
 * The buffer is anonymous memory (or a shared mapping of a file the caller owns). */
#ifndef ASSAY_GATEWAY_FILL_H
#define ASSAY_GATEWAY_FILL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct err;
struct gateway_blob;
struct gateway_fetcher;
struct gateway_nodes;
struct gateway_fill;

/* Called once, from a worker, when the last piece is in (ok) or the fill failed. */
typedef void (*gateway_fill_done_fn)(void *cls, struct gateway_fill *fl, bool ok);

struct gateway_fill_opts {
	unsigned parallel;  /* workers; 0: 4 */
	int fd;             /* map this file at fd_offset (preallocated), or -1: memory */
	uint64_t fd_offset; /* a multiple of the page size */
	gateway_fill_done_fn done;
	void *done_cls;
};

bool gateway_fill_start(struct gateway_fetcher *f, struct gateway_nodes *v,
			const struct gateway_blob *b, uint64_t a, uint64_t end,
			const struct gateway_fill_opts *o, struct gateway_fill **out,
			struct err *e) WARN_UNUSED;
struct gateway_fill *gateway_fill_ref(struct gateway_fill *fl);
void gateway_fill_unref(struct gateway_fill *fl);
/* Stop fetching (the workers finish the piece they are on); readers then see a failure. */
void gateway_fill_cancel(struct gateway_fill *fl);

/* Waits until blob byte pos (a <= pos < end) is verified, at most timeout_ms; returns the
 * number of verified bytes from pos (> 0) and *p pointing at them, or -1 when the fill
 * failed or timed out (the reason in e). */
int64_t gateway_fill_wait(struct gateway_fill *fl, uint64_t pos, uint64_t timeout_ms,
			  const uint8_t **p, struct err *e);
/* Without waiting: the number of verified bytes from pos (> 0) with *p pointing at them,
 * 0 when they are not in yet, -1 when the fill failed or stopped (the reason in e). */
int64_t gateway_fill_peek(struct gateway_fill *fl, uint64_t pos, const uint8_t **p,
			  struct err *e);

/* A caller that must not block (an event loop) asks to be called back instead: fn(cls) is
 * called once, from a fetching thread and without the fill's lock, when byte pos is
 * verified or the fill fails, stops or is cancelled. The watch is the caller's memory and
 * must outlive the call. */
typedef void (*gateway_fill_wake_fn)(void *cls);
struct gateway_fill_watch {
	gateway_fill_wake_fn fn;
	void *cls;
	uint64_t pos;
	struct gateway_fill_watch *next; /* the fill's */
};
/* Registers w (fn, cls, pos filled in); false when there is nothing to wait for (the byte
 * is in, or the fill has ended): then fn is not called. */
bool gateway_fill_watch(struct gateway_fill *fl, struct gateway_fill_watch *w) WARN_UNUSED;
/* Withdraws w; true when fn will not be called, false when it was or is being called. */
bool gateway_fill_unwatch(struct gateway_fill *fl, struct gateway_fill_watch *w) WARN_UNUSED;

/* 0 while fetching, 1 when every byte is in, -1 when it failed or was cancelled. */
int gateway_fill_state(struct gateway_fill *fl);
/* The whole buffer ([a, end) of the blob); complete once done(ok) was called. */
const uint8_t *gateway_fill_data(const struct gateway_fill *fl);
uint64_t gateway_fill_start_offset(const struct gateway_fill *fl);
uint64_t gateway_fill_end_offset(const struct gateway_fill *fl);
/* Bytes fetched from nodes for this fill so far (verified symbols, whole). */
uint64_t gateway_fill_fetched(struct gateway_fill *fl);

#endif
