/* fill.c: see fill.h. */
#include "gateway/fill.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "core/err.h"
#include "core/log.h"
#include "gateway/fetch.h"

#define PIECE_BYTES (4u << 20)

struct piece {
	uint32_t row, c0, c1;
	uint64_t from, to; /* blob bytes of this piece inside [a, end) */
};

struct gateway_fill {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int refs;
	struct gateway_fetcher *f;
	struct gateway_nodes *v;
	struct gateway_blob b; /* own copy, own md */
	uint64_t a, end;
	uint8_t *map;
	size_t map_len;
	struct piece *pieces;
	size_t npieces;
	bool *piece_done;
	size_t next;       /* next piece to take */
	size_t contiguous; /* pieces done from the first */
	uint64_t ready;    /* verified bytes from a */
	bool failed, finished, cancelled;
	unsigned workers_left;
	unsigned more_workers; /* started once the first piece is in (it goes out first) */
	char why[256];
	atomic_uint_fast64_t fetched;
	gateway_fill_done_fn done;
	void *done_cls;
	struct gateway_fill_watch *watches; /* callers waiting without blocking */
};

static struct audit_metadata *md_copy(const struct audit_metadata *md)
{
	struct audit_metadata *c = audit_metadata_new(md->n_shards);
	c->encoding_type = md->encoding_type;
	c->unencoded_length = md->unencoded_length;
	memcpy(c->hashes, md->hashes, md->n_shards * sizeof(*md->hashes));
	return c;
}

static void plan(struct gateway_fill *fl)
{
	const struct gateway_blob *b = &fl->b;
	if (fl->end <= fl->a)
		return;
	uint64_t g0 = fl->a / b->ss, g1 = (fl->end - 1) / b->ss;
	uint32_t max_syms = PIECE_BYTES / b->ss;
	if (max_syms < 1)
		max_syms = 1;
	size_t cap = 16;
	fl->pieces = xcalloc(cap, sizeof(*fl->pieces));
	bool first = true;
	for (uint64_t g = g0; g <= g1;) {
		uint32_t row = (uint32_t)(g / b->k_s), c0 = (uint32_t)(g % b->k_s);
		uint64_t take = first ? 1 : max_syms;
		first = false;
		if (take > b->k_s - c0)
			take = b->k_s - c0;
		if (take > g1 - g + 1)
			take = g1 - g + 1;
		if (fl->npieces == cap) {
			cap *= 2;
			fl->pieces = xrealloc(fl->pieces, cap * sizeof(*fl->pieces));
		}
		struct piece *p = &fl->pieces[fl->npieces++];
		p->row = row;
		p->c0 = c0;
		p->c1 = c0 + (uint32_t)take;
		uint64_t lo = g * b->ss, hi = (g + take) * b->ss;
		p->from = lo < fl->a ? fl->a : lo;
		p->to = hi > fl->end ? fl->end : hi;
		g += take;
	}
	fl->piece_done = xcalloc(fl->npieces, sizeof(bool));
}

static void fill_free(struct gateway_fill *fl)
{
	if (fl->map && fl->map != MAP_FAILED)
		munmap(fl->map, fl->map_len);
	gateway_nodes_unref(fl->v);
	gateway_blob_clear(&fl->b);
	free(fl->pieces);
	free(fl->piece_done);
	pthread_mutex_destroy(&fl->lock);
	pthread_cond_destroy(&fl->cond);
	free(fl);
}

struct gateway_fill *gateway_fill_ref(struct gateway_fill *fl)
{
	pthread_mutex_lock(&fl->lock);
	fl->refs++;
	pthread_mutex_unlock(&fl->lock);
	return fl;
}

void gateway_fill_unref(struct gateway_fill *fl)
{
	if (!fl)
		return;
	pthread_mutex_lock(&fl->lock);
	bool last = --fl->refs == 0;
	pthread_mutex_unlock(&fl->lock);
	if (last)
		fill_free(fl);
}

/* Whether a watcher of pos has something to see. */
static bool ended_or_ready_locked(const struct gateway_fill *fl, uint64_t pos)
{
	return fl->a + fl->ready > pos || fl->failed || fl->finished || fl->workers_left == 0;
}

/* Calls the watches that have something to see, outside the lock (they resume
 * connections, which takes the caller's own locks). */
static void notify(struct gateway_fill *fl)
{
	struct gateway_fill_watch *due = NULL;
	pthread_mutex_lock(&fl->lock);
	for (struct gateway_fill_watch **pp = &fl->watches; *pp;) {
		struct gateway_fill_watch *w = *pp;
		if (ended_or_ready_locked(fl, w->pos)) {
			*pp = w->next;
			w->next = due;
			due = w;
		} else {
			pp = &w->next;
		}
	}
	pthread_mutex_unlock(&fl->lock);
	while (due) {
		struct gateway_fill_watch *w = due;
		due = w->next; /* read before fn: the watch may be freed once it runs */
		w->fn(w->cls);
	}
}

bool gateway_fill_watch(struct gateway_fill *fl, struct gateway_fill_watch *w)
{
	pthread_mutex_lock(&fl->lock);
	bool wait = !ended_or_ready_locked(fl, w->pos);
	if (wait) {
		w->next = fl->watches;
		fl->watches = w;
	}
	pthread_mutex_unlock(&fl->lock);
	return wait;
}

bool gateway_fill_unwatch(struct gateway_fill *fl, struct gateway_fill_watch *w)
{
	bool found = false;
	pthread_mutex_lock(&fl->lock);
	for (struct gateway_fill_watch **pp = &fl->watches; *pp; pp = &(*pp)->next) {
		if (*pp == w) {
			*pp = w->next;
			found = true;
			break;
		}
	}
	pthread_mutex_unlock(&fl->lock);
	return found;
}

void gateway_fill_cancel(struct gateway_fill *fl)
{
	pthread_mutex_lock(&fl->lock);
	if (!fl->finished && !fl->failed) {
		fl->cancelled = true;
		fl->failed = true;
		snprintf(fl->why, sizeof(fl->why), "the fetch was cancelled");
	}
	pthread_cond_broadcast(&fl->cond);
	pthread_mutex_unlock(&fl->lock);
	notify(fl);
}

static void *worker(void *arg);

/* Starts n more workers; returns how many started. */
static unsigned spawn(struct gateway_fill *fl, unsigned n)
{
	unsigned started = 0;
	for (unsigned i = 0; i < n; i++) {
		gateway_fill_ref(fl);
		gateway_fetcher_hold(fl->f);
		pthread_mutex_lock(&fl->lock);
		fl->workers_left++;
		pthread_mutex_unlock(&fl->lock);
		if (!thread_start_detached(worker, fl)) {
			gateway_fetcher_release(fl->f);
			pthread_mutex_lock(&fl->lock);
			fl->refs--;
			fl->workers_left--;
			pthread_mutex_unlock(&fl->lock);
		} else {
			started++;
		}
	}
	return started;
}

static void *worker(void *arg)
{
	struct gateway_fill *fl = arg;
	const struct gateway_blob *b = &fl->b;
	uint8_t *tmp = NULL;
	size_t tmp_cap = 0;
	for (;;) {
		pthread_mutex_lock(&fl->lock);
		if (fl->failed || fl->next == fl->npieces) {
			pthread_mutex_unlock(&fl->lock);
			break;
		}
		size_t k = fl->next++;
		pthread_mutex_unlock(&fl->lock);
		struct piece *p = &fl->pieces[k];
		size_t len = (size_t)(p->c1 - p->c0) * b->ss;
		if (len > tmp_cap) {
			free(tmp);
			tmp = xmalloc(len);
			tmp_cap = len;
		}
		struct err e = {{0}};
		bool ok = gateway_fetch_piece(fl->f, fl->v, b, p->row, p->c0, p->c1, tmp, &e);
		if (ok) {
			uint64_t lo = (uint64_t)(p->row * b->k_s + p->c0) * b->ss;
			memcpy(fl->map + (p->from - fl->a), tmp + (p->from - lo), p->to - p->from);
			atomic_fetch_add(&fl->fetched, len);
		}
		pthread_mutex_lock(&fl->lock);
		unsigned more = 0;
		if (ok && k == 0) {
			more = fl->more_workers;
			fl->more_workers = 0;
		}
		if (!ok && !fl->failed) {
			fl->failed = true;
			snprintf(fl->why, sizeof(fl->why), "%.250s", e.msg);
		} else if (ok) {
			fl->piece_done[k] = true;
			while (fl->contiguous < fl->npieces && fl->piece_done[fl->contiguous])
				fl->contiguous++;
			fl->ready = fl->contiguous == fl->npieces
					    ? fl->end - fl->a
					    : fl->pieces[fl->contiguous].from - fl->a;
		}
		pthread_cond_broadcast(&fl->cond);
		pthread_mutex_unlock(&fl->lock);
		notify(fl);
		if (more)
			(void)spawn(fl, more);
	}
	free(tmp);
	pthread_mutex_lock(&fl->lock);
	bool last = --fl->workers_left == 0;
	bool ok = !fl->failed && fl->contiguous == fl->npieces;
	if (last)
		fl->finished = ok;
	pthread_cond_broadcast(&fl->cond);
	pthread_mutex_unlock(&fl->lock);
	notify(fl);
	if (last) {
		if (!ok)
			log_warn("fetching bytes %llu..%llu of a blob failed: %s",
				 (unsigned long long)fl->a, (unsigned long long)fl->end, fl->why);
		if (fl->done)
			fl->done(fl->done_cls, fl, ok);
	}
	struct gateway_fetcher *f = fl->f;
	gateway_fill_unref(fl);
	gateway_fetcher_release(f);
	return NULL;
}

bool gateway_fill_start(struct gateway_fetcher *f, struct gateway_nodes *v,
			const struct gateway_blob *b, uint64_t a, uint64_t end,
			const struct gateway_fill_opts *o, struct gateway_fill **out, struct err *e)
{
	*out = NULL;
	ASSAY_ASSERT(a <= end && end <= b->len);
	struct gateway_fill *fl = xcalloc(1, sizeof(*fl));
	pthread_mutex_init(&fl->lock, NULL);
	cond_init_monotonic(&fl->cond);
	fl->refs = 1;
	fl->f = f;
	fl->v = gateway_nodes_ref(v);
	fl->b = *b;
	fl->b.md = md_copy(b->md);
	fl->a = a;
	fl->end = end;
	fl->done = o->done;
	fl->done_cls = o->done_cls;
	atomic_init(&fl->fetched, 0);
	fl->map_len = end - a ? (size_t)(end - a) : 1;
	if (o->fd >= 0)
		fl->map = mmap(NULL, fl->map_len, PROT_READ | PROT_WRITE, MAP_SHARED, o->fd,
			       (off_t)o->fd_offset);
	else
		fl->map = mmap(NULL, fl->map_len, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fl->map == MAP_FAILED) {
		err_set(e, "cannot map %zu bytes for a blob: %s", fl->map_len, strerror(errno));
		fill_free(fl);
		return false;
	}
	plan(fl);
	unsigned parallel = o->parallel ? o->parallel : 4;
	if (parallel > fl->npieces)
		parallel = fl->npieces ? (unsigned)fl->npieces : 0;
	if (parallel == 0) { /* nothing to fetch: an empty range */
		fl->finished = true;
		*out = fl;
		if (fl->done)
			fl->done(fl->done_cls, fl, true);
		return true;
	}
	/* One worker first: the first piece (one symbol) has the nodes to itself, so the
	 * first byte waits for nothing else; the others start once it is in. */
	fl->more_workers = parallel - 1;
	if (spawn(fl, 1) == 0) {
		err_set(e, "cannot start fetch threads");
		fill_free(fl);
		return false;
	}
	*out = fl;
	return true;
}

int64_t gateway_fill_wait(struct gateway_fill *fl, uint64_t pos, uint64_t timeout_ms,
			  const uint8_t **p, struct err *e)
{
	ASSAY_ASSERT(pos >= fl->a && pos < fl->end);
	struct timespec dl = monotonic_in_ms(timeout_ms);
	int64_t got = -1;
	pthread_mutex_lock(&fl->lock);
	for (;;) {
		if (fl->a + fl->ready > pos) {
			got = (int64_t)(fl->a + fl->ready - pos);
			*p = fl->map + (pos - fl->a);
			break;
		}
		if (fl->failed) {
			err_set(e, "%s", fl->why);
			break;
		}
		if (fl->workers_left == 0 && !fl->finished) {
			err_set(e, "the fetch stopped");
			break;
		}
		if (pthread_cond_timedwait(&fl->cond, &fl->lock, &dl) == ETIMEDOUT &&
		    fl->a + fl->ready <= pos) {
			err_set(e, "no verified bytes arrived from the nodes in %llu ms",
				(unsigned long long)timeout_ms);
			break;
		}
	}
	pthread_mutex_unlock(&fl->lock);
	return got;
}

int64_t gateway_fill_peek(struct gateway_fill *fl, uint64_t pos, const uint8_t **p,
			  struct err *e)
{
	ASSAY_ASSERT(pos >= fl->a && pos < fl->end);
	int64_t got = 0;
	pthread_mutex_lock(&fl->lock);
	if (fl->a + fl->ready > pos) {
		got = (int64_t)(fl->a + fl->ready - pos);
		*p = fl->map + (pos - fl->a);
	} else if (fl->failed) {
		err_set(e, "%s", fl->why);
		got = -1;
	} else if (fl->workers_left == 0 && !fl->finished) {
		err_set(e, "the fetch stopped");
		got = -1;
	}
	pthread_mutex_unlock(&fl->lock);
	return got;
}

int gateway_fill_state(struct gateway_fill *fl)
{
	pthread_mutex_lock(&fl->lock);
	int st = fl->failed ? -1 : fl->contiguous == fl->npieces ? 1 : 0;
	pthread_mutex_unlock(&fl->lock);
	return st;
}

const uint8_t *gateway_fill_data(const struct gateway_fill *fl)
{
	return fl->map;
}

uint64_t gateway_fill_start_offset(const struct gateway_fill *fl)
{
	return fl->a;
}

uint64_t gateway_fill_end_offset(const struct gateway_fill *fl)
{
	return fl->end;
}

uint64_t gateway_fill_fetched(struct gateway_fill *fl)
{
	return atomic_load(&fl->fetched);
}
