#include "util.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

void assay_abort(const char *file, int line, const char *what)
{
	fprintf(stderr, "assay: internal error at %s:%d: %s\n", file, line, what);
	fflush(stderr);
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		assay_abort(__FILE__, __LINE__, "out of memory");
	return p;
}

void *xcalloc(size_t count, size_t size)
{
	void *p = calloc(count ? count : 1, size ? size : 1);
	if (!p)
		assay_abort(__FILE__, __LINE__, "out of memory");
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		assay_abort(__FILE__, __LINE__, "out of memory");
	return q;
}

char *xstrdup(const char *s)
{
	size_t n = strlen(s);
	char *p = xmalloc(n + 1);
	memcpy(p, s, n + 1);
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xmalloc(len + 1);
	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	ASSAY_ASSERT(n >= 0);
	char *p = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

void wipe(void *p, size_t n)
{
	if (p)
		explicit_bzero(p, n);
}

uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void cond_init_monotonic(pthread_cond_t *c)
{
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(c, &ca);
	pthread_condattr_destroy(&ca);
}

struct timespec monotonic_in_ms(uint64_t ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

uint64_t now_unix(void)
{
	return (uint64_t)time(NULL);
}

bool parse_u64(const char *s, uint64_t *out)
{
	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	int base = 10;
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
		if (!*s)
			return false;
	}
	errno = 0;
	char *end = NULL;
	unsigned long long v = strtoull(s, &end, base);
	if (errno || *end)
		return false;
	*out = (uint64_t)v;
	return true;
}

bool write_file_atomic(const char *path, const void *data, size_t len, int mode, struct err *e)
{
	bool ok = false;
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	char *dircopy = xstrdup(path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		err_set(e, "cannot create %s: %s", tmp, strerror(errno));
		goto out;
	}
	const uint8_t *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			err_set(e, "cannot write %s: %s", tmp, strerror(errno));
			goto out;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0) {
		err_set(e, "cannot fsync %s: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) != 0) {
		err_set(e, "cannot rename %s to %s: %s", tmp, path, strerror(errno));
		goto out;
	}
	int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		(void)fsync(dfd);
		close(dfd);
	}
	ok = true;
out:
	if (fd >= 0)
		close(fd);
	if (!ok)
		unlink(tmp);
	free(tmp);
	free(dircopy);
	return ok;
}

bool read_file(const char *path, size_t max, uint8_t **out, size_t *out_len, struct err *e)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return err_set(e, "cannot open %s: %s", path, strerror(errno));
	size_t cap = 4096, len = 0;
	uint8_t *data = xmalloc(cap);
	for (;;) {
		if (len == cap) {
			if (cap >= max + 1)
				break;
			cap *= 2;
			data = xrealloc(data, cap);
		}
		size_t r = fread(data + len, 1, cap - len, f);
		len += r;
		if (r == 0)
			break;
	}
	bool failed = ferror(f);
	fclose(f);
	if (failed) {
		free(data);
		return err_set(e, "cannot read %s", path);
	}
	if (len > max) {
		free(data);
		return err_set(e, "%s is larger than the limit of %zu bytes", path, max);
	}
	*out = data;
	*out_len = len;
	return true;
}

int open_private_file(const char *path, const char *what, struct err *e)
{
	/* Symlinks are followed (secret mounts use them); the mode checked is the target's,
	 * on the descriptor we read from, so the file cannot change between check and read. */
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_set(e, "cannot open %s %s: %s", what, path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fd, &st) != 0)
		err_set(e, "cannot stat %s %s: %s", what, path, strerror(errno));
	else if (!S_ISREG(st.st_mode))
		err_set(e, "%s %s is not a regular file", what, path);
	else if (st.st_mode & 077)
		err_set(e, "%s %s has mode %04o: it must be readable by its owner only (chmod 600 %s)",
			what, path, (unsigned)(st.st_mode & 07777), path);
	else
		return fd;
	close(fd);
	return -1;
}

bool read_secret_file(const char *path, const char *what, size_t max, char **out,
		      struct err *e)
{
	int fd = open_private_file(path, what, e);
	if (fd < 0)
		return false;
	/* one buffer of max + 1 bytes, never reallocated: no copy of the secret is left behind */
	uint8_t *text = xmalloc(max + 1);
	size_t len = 0;
	bool ok = false;
	for (;;) {
		ssize_t r = read(fd, text + len, max + 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(e, "cannot read %s %s: %s", what, path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		len += (size_t)r;
		if (len > max) {
			err_set(e, "%s %s is larger than the limit of %zu bytes", what, path, max);
			goto out;
		}
	}
	size_t keep = len;
	while (keep && (text[keep - 1] == '\n' || text[keep - 1] == '\r' || text[keep - 1] == ' '))
		keep--;
	if (!keep || memchr(text, '\0', keep)) {
		err_set(e, "the %s %s holds no %s", what, path, keep ? "text" : "value");
		goto out;
	}
	*out = xstrndup((const char *)text, keep);
	ok = true;
out:
	wipe(text, max + 1);
	free(text);
	close(fd);
	return ok;
}

bool thread_start_detached(void *(*fn)(void *), void *arg)
{
	pthread_t t;
	pthread_attr_t attr;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	int rc = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return rc == 0;
}

unsigned cpu_u64_lanes(void)
{
	static int cached; /* 0: not yet known */
	int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (!c) {
		__builtin_cpu_init();
		c = __builtin_cpu_supports("avx512f") ? 8 : __builtin_cpu_supports("avx2") ? 4 : 1;
		__atomic_store_n(&cached, c, __ATOMIC_RELAXED);
	}
	return (unsigned)c;
}
