/* cache.c: see cache.h. */
#include "gateway/cache.h"

#include <blake2.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit/blob.h"
#include "core/err.h"
#include "core/log.h"

static const uint8_t MAGIC[8] = {'A', 'S', 'S', 'A', 'Y', 'G', 'W', 1};
#define OFF_ID 8
#define OFF_LEN 40
#define OFF_BODY_HASH 48
#define OFF_CTYPE 80
#define OFF_HDR_HASH (OFF_CTYPE + GATEWAY_CACHE_CTYPE_MAX)
#define HDR_USED (OFF_HDR_HASH + 32)

struct sig {
	dev_t dev;
	ino_t ino;
	off_t size;
	struct timespec mtime, ctime;
};

struct entry {
	uint8_t id[AUDIT_DIGEST_LEN];
	uint64_t len;
	uint64_t last_used;
	char ctype[GATEWAY_CACHE_CTYPE_MAX];
	struct sig sig;
};

struct gateway_cache {
	pthread_mutex_t lock;
	char *dir;
	uint64_t max_bytes, bytes, clock;
	struct entry *e;
	size_t n, cap;
	/* the memory tier */
	uint64_t mem_max, mem_bytes;
	struct gateway_blobmem **m;
	size_t nm, capm;
};

static void sig_of(const struct stat *st, struct sig *s)
{
	s->dev = st->st_dev;
	s->ino = st->st_ino;
	s->size = st->st_size;
	s->mtime = st->st_mtim;
	s->ctime = st->st_ctim;
}

static bool sig_eq(const struct sig *a, const struct sig *b)
{
	return a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
	       a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
	       a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

static char *entry_path(const struct gateway_cache *c, const uint8_t id[AUDIT_DIGEST_LEN])
{
	char t[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(t, id);
	return xasprintf("%s/%s.blob", c->dir, t);
}

static uint64_t get_u64le(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static void put_u64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Checks the file at fd whole: header, its hash, and the body's hash. Fills *out. */
static bool check_file(int fd, const uint8_t *want_id, struct entry *out, struct err *e)
{
	struct stat st;
	uint8_t hdr[HDR_USED], h[32];
	if (fstat(fd, &st) != 0)
		return err_set(e, "stat: %s", strerror(errno));
	if ((uint64_t)st.st_size < GATEWAY_CACHE_HEADER)
		return err_set(e, "shorter than its header");
	if (pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return err_set(e, "cannot read its header");
	if (memcmp(hdr, MAGIC, sizeof(MAGIC)) != 0)
		return err_set(e, "not a cache entry");
	blake2b(h, hdr, NULL, 32, OFF_HDR_HASH, 0);
	if (memcmp(h, hdr + OFF_HDR_HASH, 32) != 0)
		return err_set(e, "its header does not check");
	if (want_id && memcmp(hdr + OFF_ID, want_id, AUDIT_DIGEST_LEN) != 0)
		return err_set(e, "it holds another blob");
	uint64_t len = get_u64le(hdr + OFF_LEN);
	if ((uint64_t)st.st_size != GATEWAY_CACHE_HEADER + len)
		return err_set(e, "%llu bytes long, its header says %llu",
			       (unsigned long long)st.st_size,
			       (unsigned long long)(GATEWAY_CACHE_HEADER + len));
	blake2b_state s;
	blake2b_init(&s, 32);
	uint8_t *buf = xmalloc(1u << 20);
	uint64_t off = 0;
	bool ok = true;
	while (off < len) {
		size_t want = len - off > (1u << 20) ? (1u << 20) : (size_t)(len - off);
		ssize_t r = pread(fd, buf, want, (off_t)(GATEWAY_CACHE_HEADER + off));
		if (r <= 0) {
			ok = err_set(e, "cannot read its body");
			break;
		}
		blake2b_update(&s, buf, (size_t)r);
		off += (uint64_t)r;
	}
	free(buf);
	if (!ok)
		return false;
	blake2b_final(&s, h, 32);
	if (memcmp(h, hdr + OFF_BODY_HASH, 32) != 0)
		return err_set(e, "its body does not match its hash");
	memcpy(out->id, hdr + OFF_ID, AUDIT_DIGEST_LEN);
	out->len = len;
	memcpy(out->ctype, hdr + OFF_CTYPE, GATEWAY_CACHE_CTYPE_MAX);
	out->ctype[GATEWAY_CACHE_CTYPE_MAX - 1] = '\0';
	sig_of(&st, &out->sig);
	return true;
}

static void drop_at(struct gateway_cache *c, size_t i, bool unlink_it)
{
	if (unlink_it) {
		char *p = entry_path(c, c->e[i].id);
		unlink(p);
		free(p);
	}
	c->bytes -= c->e[i].len;
	c->e[i] = c->e[--c->n];
}

static void evict(struct gateway_cache *c)
{
	while (c->bytes > c->max_bytes && c->n > 0) {
		size_t old = 0;
		for (size_t i = 1; i < c->n; i++)
			if (c->e[i].last_used < c->e[old].last_used)
				old = i;
		drop_at(c, old, true);
	}
}

static void add(struct gateway_cache *c, const struct entry *en)
{
	for (size_t i = 0; i < c->n; i++)
		if (!memcmp(c->e[i].id, en->id, AUDIT_DIGEST_LEN)) {
			drop_at(c, i, false);
			break;
		}
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 64;
		c->e = xrealloc(c->e, c->cap * sizeof(*c->e));
	}
	c->e[c->n] = *en;
	c->e[c->n].last_used = ++c->clock;
	c->n++;
	c->bytes += en->len;
	evict(c);
}

bool gateway_cache_open(const char *dir, uint64_t max_bytes, struct gateway_cache **out,
			struct err *e)
{
	*out = NULL;
	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return err_set(e, "cannot create the cache directory %s: %s", dir, strerror(errno));
	DIR *d = opendir(dir);
	if (!d)
		return err_set(e, "cannot open the cache directory %s: %s", dir, strerror(errno));
	struct gateway_cache *c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->dir = xstrdup(dir);
	c->max_bytes = max_bytes;
	size_t dropped = 0;
	struct dirent *de;
	/* checked in directory order; LRU order starts from the files' access times */
	while ((de = readdir(d)) != NULL) {
		const char *name = de->d_name;
		if (name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, name);
		size_t nl = strlen(name);
		if (!strncmp(name, "tmp.", 4)) {
			unlink(path); /* a fill that never finished */
			free(path);
			continue;
		}
		if (nl != AUDIT_BLOB_ID_TEXT_LEN + 5 || strcmp(name + AUDIT_BLOB_ID_TEXT_LEN, ".blob")) {
			free(path);
			continue; /* not ours: left alone */
		}
		struct entry en;
		struct err ce = {{0}};
		char idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
		memcpy(idt, name, AUDIT_BLOB_ID_TEXT_LEN);
		idt[AUDIT_BLOB_ID_TEXT_LEN] = '\0';
		uint8_t id[AUDIT_DIGEST_LEN];
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		bool ok = fd >= 0 && audit_blob_id_parse(idt, id, &ce) && check_file(fd, id, &en, &ce);
		if (fd >= 0)
			close(fd);
		if (!ok) {
			log_warn("cache: dropping %s: %s", path, ce.msg[0] ? ce.msg : "unreadable");
			unlink(path);
			dropped++;
		} else {
			add(c, &en);
		}
		free(path);
	}
	closedir(d);
	log_info("cache: %zu entries, %llu bytes in %s%s", c->n, (unsigned long long)c->bytes, dir,
		 dropped ? " (some entries did not check and were deleted)" : "");
	*out = c;
	return true;
}

void gateway_cache_free(struct gateway_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nm; i++)
		gateway_blobmem_unref(c->m[i]);
	free(c->m);
	pthread_mutex_destroy(&c->lock);
	free(c->dir);
	free(c->e);
	free(c);
}

bool gateway_cache_wants(const struct gateway_cache *c, uint64_t len)
{
	return c && len <= c->max_bytes / 2;
}

static ssize_t find_locked(const struct gateway_cache *c, const uint8_t id[AUDIT_DIGEST_LEN])
{
	for (size_t i = 0; i < c->n; i++)
		if (!memcmp(c->e[i].id, id, AUDIT_DIGEST_LEN))
			return (ssize_t)i;
	return -1;
}

bool gateway_cache_get(struct gateway_cache *c, const uint8_t id[AUDIT_DIGEST_LEN],
		       bool may_check, int *fd, uint64_t *len, char ctype[GATEWAY_CACHE_CTYPE_MAX],
		       bool *must_check)
{
	*must_check = false;
	if (!c)
		return false;
	/* the file is opened and looked at outside the lock: only the index is under it */
	pthread_mutex_lock(&c->lock);
	ssize_t i = find_locked(c, id);
	if (i < 0) {
		pthread_mutex_unlock(&c->lock);
		return false;
	}
	struct entry en = c->e[i];
	c->e[i].last_used = ++c->clock;
	pthread_mutex_unlock(&c->lock);
	char *path = entry_path(c, id);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	bool ok = f >= 0 && fstat(f, &st) == 0;
	bool checked = false;
	struct entry now;
	if (ok) {
		struct sig s;
		sig_of(&st, &s);
		if (!sig_eq(&s, &en.sig) && !may_check) {
			*must_check = true;
			ok = false;
		} else if (!sig_eq(&s, &en.sig)) {
			/* changed since it was checked: check it again before serving it */
			struct err ce = {{0}};
			ok = check_file(f, id, &now, &ce);
			checked = true;
			if (!ok)
				log_warn("cache: %s changed on disk and no longer checks (%s): "
					 "deleted", path, ce.msg);
		}
	}
	if ((!ok && !*must_check) || checked) {
		pthread_mutex_lock(&c->lock);
		i = find_locked(c, id);
		if (i >= 0) {
			if (ok)
				c->e[i].sig = now.sig;
			else
				drop_at(c, (size_t)i, true);
		}
		pthread_mutex_unlock(&c->lock);
	}
	free(path);
	if (!ok) {
		if (f >= 0)
			close(f);
		return false;
	}
	*fd = f;
	*len = en.len;
	memcpy(ctype, en.ctype, GATEWAY_CACHE_CTYPE_MAX);
	return true;
}

bool gateway_cache_begin(struct gateway_cache *c, const uint8_t id[AUDIT_DIGEST_LEN],
			 uint64_t len, struct gateway_cache_tmp *t, struct err *e)
{
	char idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(idt, id);
	memset(t, 0, sizeof(*t));
	t->fd = -1;
	t->path = xasprintf("%s/tmp.%s.XXXXXX", c->dir, idt);
	int fd = mkostemp(t->path, O_CLOEXEC);
	if (fd < 0) {
		err_set(e, "cannot create a cache file in %s: %s", c->dir, strerror(errno));
		free(t->path);
		t->path = NULL;
		return false;
	}
	int rc = posix_fallocate(fd, 0, (off_t)(GATEWAY_CACHE_HEADER + len));
	if (rc != 0) {
		err_set(e, "cannot make room for %llu bytes in %s: %s", (unsigned long long)len,
			c->dir, strerror(rc));
		close(fd);
		unlink(t->path);
		free(t->path);
		t->path = NULL;
		return false;
	}
	t->fd = fd;
	memcpy(t->id, id, AUDIT_DIGEST_LEN);
	t->len = len;
	return true;
}

void gateway_cache_abort(struct gateway_cache *c, struct gateway_cache_tmp *t)
{
	(void)c;
	if (t->fd >= 0)
		close(t->fd);
	if (t->path) {
		unlink(t->path);
		free(t->path);
	}
	t->fd = -1;
	t->path = NULL;
}

bool gateway_cache_commit(struct gateway_cache *c, struct gateway_cache_tmp *t,
			  const uint8_t *body, const char *ctype, struct err *e)
{
	uint8_t hdr[HDR_USED];
	memset(hdr, 0, sizeof(hdr));
	memcpy(hdr, MAGIC, sizeof(MAGIC));
	memcpy(hdr + OFF_ID, t->id, AUDIT_DIGEST_LEN);
	put_u64le(hdr + OFF_LEN, t->len);
	blake2b(hdr + OFF_BODY_HASH, body, NULL, 32, (size_t)t->len, 0);
	snprintf((char *)hdr + OFF_CTYPE, GATEWAY_CACHE_CTYPE_MAX, "%s", ctype ? ctype : "");
	blake2b(hdr + OFF_HDR_HASH, hdr, NULL, 32, OFF_HDR_HASH, 0);
	char *path = entry_path(c, t->id);
	bool ok = false;
	struct stat st;
	for (uint64_t off = 0; off < t->len;) {
		size_t want = t->len - off > (1u << 24) ? (1u << 24) : (size_t)(t->len - off);
		ssize_t w = pwrite(t->fd, body + off, want, (off_t)(GATEWAY_CACHE_HEADER + off));
		if (w <= 0) {
			err_set(e, "cannot write a cache entry: %s", strerror(errno));
			goto out;
		}
		off += (uint64_t)w;
	}
	if (pwrite(t->fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr)) {
		err_set(e, "cannot write a cache header: %s", strerror(errno));
		goto out;
	}
	if (rename(t->path, path) != 0) {
		err_set(e, "cannot rename a cache entry into place: %s", strerror(errno));
		goto out;
	}
	free(t->path);
	t->path = NULL;
	if (fstat(t->fd, &st) != 0) {
		err_set(e, "stat: %s", strerror(errno));
		goto out;
	}
	struct entry en;
	memset(&en, 0, sizeof(en));
	memcpy(en.id, t->id, AUDIT_DIGEST_LEN);
	en.len = t->len;
	snprintf(en.ctype, sizeof(en.ctype), "%s", ctype ? ctype : "");
	sig_of(&st, &en.sig);
	pthread_mutex_lock(&c->lock);
	add(c, &en);
	pthread_mutex_unlock(&c->lock);
	ok = true;
out:
	gateway_cache_abort(c, t);
	free(path);
	return ok;
}

void gateway_cache_stats(struct gateway_cache *c, uint64_t *bytes, uint64_t *entries)
{
	*bytes = *entries = 0;
	if (!c)
		return;
	pthread_mutex_lock(&c->lock);
	*bytes = c->bytes;
	*entries = c->n;
	pthread_mutex_unlock(&c->lock);
}

/* ---- the memory tier ---- */

void gateway_cache_set_memory(struct gateway_cache *c, uint64_t mem_bytes)
{
	c->mem_max = mem_bytes;
}

void gateway_blobmem_unref(struct gateway_blobmem *m)
{
	if (m && atomic_fetch_sub(&m->refs, 1) == 1)
		free(m);
}

struct gateway_blobmem *gateway_cache_mem_get(struct gateway_cache *c,
					      const uint8_t id[AUDIT_DIGEST_LEN])
{
	if (!c || !c->mem_max)
		return NULL;
	struct gateway_blobmem *r = NULL;
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nm; i++)
		if (!memcmp(c->m[i]->id, id, AUDIT_DIGEST_LEN)) {
			r = c->m[i];
			r->last_used = ++c->clock;
			atomic_fetch_add(&r->refs, 1);
			break;
		}
	pthread_mutex_unlock(&c->lock);
	return r;
}

void gateway_cache_mem_put(struct gateway_cache *c, const uint8_t id[AUDIT_DIGEST_LEN],
			   const uint8_t *data, uint64_t len, const char *ctype)
{
	if (!c || len > GATEWAY_MEM_ENTRY_MAX || len > c->mem_max)
		return;
	struct gateway_blobmem *b = xmalloc(sizeof(*b) + (len ? len : 1));
	atomic_init(&b->refs, 1);
	memcpy(b->id, id, AUDIT_DIGEST_LEN);
	b->len = len;
	snprintf(b->ctype, sizeof(b->ctype), "%s", ctype ? ctype : "");
	memcpy(b->data, data, len);
	pthread_mutex_lock(&c->lock);
	for (size_t i = 0; i < c->nm; i++)
		if (!memcmp(c->m[i]->id, id, AUDIT_DIGEST_LEN)) { /* there already */
			pthread_mutex_unlock(&c->lock);
			free(b);
			return;
		}
	while (c->mem_bytes + len > c->mem_max && c->nm > 0) {
		size_t old = 0;
		for (size_t i = 1; i < c->nm; i++)
			if (c->m[i]->last_used < c->m[old]->last_used)
				old = i;
		c->mem_bytes -= c->m[old]->len;
		gateway_blobmem_unref(c->m[old]);
		c->m[old] = c->m[--c->nm];
	}
	if (c->nm == c->capm) {
		c->capm = c->capm ? c->capm * 2 : 64;
		c->m = xrealloc(c->m, c->capm * sizeof(*c->m));
	}
	b->last_used = ++c->clock;
	c->m[c->nm++] = b;
	c->mem_bytes += len;
	pthread_mutex_unlock(&c->lock);
}

void gateway_cache_mem_load(struct gateway_cache *c, const uint8_t id[AUDIT_DIGEST_LEN], int fd)
{
	uint8_t hdr[HDR_USED], h[32];
	if (!c || !c->mem_max || pread(fd, hdr, sizeof(hdr), 0) != (ssize_t)sizeof(hdr))
		return;
	uint64_t len = get_u64le(hdr + OFF_LEN);
	if (len > GATEWAY_MEM_ENTRY_MAX || memcmp(hdr + OFF_ID, id, AUDIT_DIGEST_LEN) != 0)
		return;
	blake2b(h, hdr, NULL, 32, OFF_HDR_HASH, 0);
	if (memcmp(h, hdr + OFF_HDR_HASH, 32) != 0)
		return;
	uint8_t *body = xmalloc(len ? len : 1);
	if (pread(fd, body, len, GATEWAY_CACHE_HEADER) == (ssize_t)len) {
		blake2b(h, body, NULL, 32, (size_t)len, 0);
		if (!memcmp(h, hdr + OFF_BODY_HASH, 32)) {
			char ctype[GATEWAY_CACHE_CTYPE_MAX];
			memcpy(ctype, hdr + OFF_CTYPE, sizeof(ctype));
			ctype[sizeof(ctype) - 1] = '\0';
			gateway_cache_mem_put(c, id, body, len, ctype);
		}
	}
	free(body);
}
