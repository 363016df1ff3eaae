/* util.h: allocation that never returns NULL, the one assert macro, wiping secrets.
 *
 * Out of memory and broken invariants abort with file and line (Redis' serverAssert):
 * a process that cannot trust its own state must not go on to sign or record anything. */
#ifndef ASSAY_CORE_UTIL_H
#define ASSAY_CORE_UTIL_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <time.h>

#define WARN_UNUSED __attribute__((warn_unused_result))
#define PRINTF_FMT(a, b) __attribute__((format(printf, a, b)))
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

_Noreturn void assay_abort(const char *file, int line, const char *what);
#define ASSAY_ASSERT(cond) ((cond) ? (void)0 : assay_abort(__FILE__, __LINE__, #cond))

void *xmalloc(size_t n);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* A formatted string the caller frees. */
char *xasprintf(const char *fmt, ...) PRINTF_FMT(1, 2);

/* Zero memory in a way the compiler may not elide (for keys and secrets). */
void wipe(void *p, size_t n);

/* Monotonic milliseconds, for latency and deadlines. */
uint64_t now_ms(void);
/* A condition variable whose timed waits count on now_ms()'s clock (CLOCK_MONOTONIC), and
 * the deadline ms from now on that clock for pthread_cond_timedwait(). */
void cond_init_monotonic(pthread_cond_t *c);
struct timespec monotonic_in_ms(uint64_t ms);
/* Starts fn(arg) on a detached thread; false when no thread could be made. */
bool thread_start_detached(void *(*fn)(void *), void *arg) WARN_UNUSED;
/* Wall-clock seconds since the epoch. */
uint64_t now_unix(void);

/* Parse an unsigned decimal (or 0x hex) integer; the whole string must be used. */
bool parse_u64(const char *s, uint64_t *out) WARN_UNUSED;

/* Write a whole file atomically: temp file in the same directory, fsync, rename, fsync dir. */
struct err;
bool write_file_atomic(const char *path, const void *data, size_t len, int mode, struct err *e) WARN_UNUSED;
/* Read a whole file (up to max bytes) into a malloc'd buffer. */
bool read_file(const char *path, size_t max, uint8_t **out, size_t *out_len, struct err *e) WARN_UNUSED;
/* Opens a secret's file (a key, the auditor's secret, a token) for reading: it must be a
 * regular file readable by its owner only (mode checked on the opened descriptor; symlinks
 * followed). `what` names it in errors ("key file"). Returns the descriptor, or -1 with e
 * saying why (chmod 600 when the mode is wrong). */
int open_private_file(const char *path, const char *what, struct err *e);
/* The whole secret from such a file (up to max bytes), trailing newlines and spaces
 * dropped, as a malloc'd string; the caller wipes and frees it. */
bool read_secret_file(const char *path, const char *what, size_t max, char **out,
		      struct err *e) WARN_UNUSED;

/* How many 64-bit lanes the widest vector unit this CPU has holds: 8 (AVX-512F), 4 (AVX2)
 * or 1; the multi-lane BLAKE2b (audit/b2many.c) and keccak (chain/keccak.c) pick by it. */
unsigned cpu_u64_lanes(void);

#endif
