/* store.c: slivers and metadata as files, written crash-safely. */
#include "node/store.h"

#include <dirent.h>
#include <errno.h>
#include <stdatomic.h>
#include <sys/statvfs.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"

struct node_store {
	char *dir;
	atomic_uint_fast64_t bytes;     /* of every file under blobs/ */
	atomic_uint_fast64_t reclaimed; /* deleted since start */
	atomic_uint_fast64_t deletions; /* calls that removed slivers (see node_store_deletions) */
	uint64_t reserve;               /* uploads leave this much of the disk free */
};

static uint64_t file_size(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

/* Bytes of the regular files in a directory. */
static uint64_t dir_bytes(const char *dir)
{
	DIR *d = opendir(dir);
	uint64_t total = 0;
	if (!d)
		return 0;
	struct dirent *de;
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		total += file_size(p);
		free(p);
	}
	closedir(d);
	return total;
}

/* The node rewrites nothing it already has, and a sliver is at most ~16 MiB (n = 255,
 * 64 KiB symbols); reads are capped a little above that. */
#define STORE_MAX_FILE (64u << 20)

static bool mkdir_p(const char *path, struct err *e)
{
	if (mkdir(path, 0700) == 0 || errno == EEXIST)
		return true;
	return err_set(e, "cannot create directory %s: %s", path, strerror(errno));
}

bool node_store_open(const char *dir, struct node_store **out, struct err *e)
{
	*out = NULL;
	if (!mkdir_p(dir, e))
		return false;
	char *blobs = xasprintf("%s/blobs", dir);
	bool ok = mkdir_p(blobs, e);
	free(blobs);
	if (!ok)
		return false;
	struct node_store *s = xcalloc(1, sizeof(*s));
	s->dir = xstrdup(dir);
	/* what is stored already: every blob directory's files */
	char *bd = xasprintf("%s/blobs", dir);
	DIR *d = opendir(bd);
	uint64_t total = 0;
	if (d) {
		struct dirent *de;
		while ((de = readdir(d)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			char *p = xasprintf("%s/%s", bd, de->d_name);
			total += dir_bytes(p);
			free(p);
		}
		closedir(d);
	}
	free(bd);
	atomic_init(&s->bytes, total);
	atomic_init(&s->reclaimed, 0);
	*out = s;
	return true;
}

void node_store_set_reserve(struct node_store *s, uint64_t bytes)
{
	s->reserve = bytes;
}

bool node_store_has_room(struct node_store *s, uint64_t len, uint64_t *free_bytes)
{
	struct statvfs v;
	if (statvfs(s->dir, &v) != 0) {
		*free_bytes = 0;
		return true; /* unknown: let the write itself say */
	}
	*free_bytes = (uint64_t)v.f_bavail * v.f_frsize;
	return *free_bytes >= len + s->reserve;
}

uint64_t node_store_bytes(struct node_store *s)
{
	return atomic_load(&s->bytes);
}

uint64_t node_store_reclaimed(struct node_store *s)
{
	return atomic_load(&s->reclaimed);
}

void node_store_free(struct node_store *s)
{
	if (!s)
		return;
	free(s->dir);
	free(s);
}

static char *blob_dir_new(const struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN])
{
	char hex[2 * AUDIT_DIGEST_LEN + 1];
	hex_encode(hex, id, AUDIT_DIGEST_LEN);
	return xasprintf("%s/blobs/%s", s->dir, hex);
}

static char *sliver_path_new(const struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			     enum audit_proof_axis axis, uint16_t index)
{
	char *d = blob_dir_new(s, id);
	char *p = xasprintf("%s/%s-%u", d, axis == AUDIT_AXIS_PRIMARY ? "primary" : "secondary",
			    (unsigned)index);
	free(d);
	return p;
}

static bool exists(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

bool node_store_put_metadata(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			     const uint8_t *bcs, size_t len, bool *existed, struct err *e)
{
	char *d = blob_dir_new(s, id);
	char *p = xasprintf("%s/metadata", d);
	bool ok = false;
	*existed = exists(p);
	if (*existed) {
		ok = true;
		goto out;
	}
	if (!mkdir_p(d, e))
		goto out;
	ok = write_file_atomic(p, bcs, len, 0600, e);
	if (ok)
		atomic_fetch_add(&s->bytes, len);
out:
	free(d);
	free(p);
	return ok;
}

bool node_store_get_metadata(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			     struct audit_metadata **md, struct err *e)
{
	*md = NULL;
	char *d = blob_dir_new(s, id);
	char *p = xasprintf("%s/metadata", d);
	uint8_t *data = NULL;
	size_t len = 0;
	bool ok = true;
	if (!exists(p))
		goto out;
	ok = read_file(p, STORE_MAX_FILE, &data, &len, e) &&
	     audit_metadata_parse(data, len, md, e);
	if (!ok)
		err_prefix(e, "stored metadata %s", p);
out:
	free(data);
	free(d);
	free(p);
	return ok;
}

bool node_store_put_sliver(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			   enum audit_proof_axis axis, uint16_t index, const uint8_t *symbols,
			   size_t len, uint16_t symbol_size, bool *existed, struct err *e)
{
	char *d = blob_dir_new(s, id);
	char *p = sliver_path_new(s, id, axis, index);
	struct buf b = BUF_INIT;
	bool ok = false;
	*existed = exists(p);
	if (*existed) {
		ok = true;
		goto out;
	}
	if (!mkdir_p(d, e))
		goto out;
	audit_sliver_write_parts(&b, symbols, len, symbol_size, index);
	ok = write_file_atomic(p, b.data, b.len, 0600, e);
	if (ok)
		atomic_fetch_add(&s->bytes, b.len);
out:
	buf_free(&b);
	free(d);
	free(p);
	return ok;
}

bool node_store_get_sliver(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			   enum audit_proof_axis axis, uint16_t index, struct audit_sliver **out,
			   struct err *e)
{
	*out = NULL;
	char *p = sliver_path_new(s, id, axis, index);
	uint8_t *data = NULL;
	size_t len = 0;
	bool ok = true;
	if (!exists(p))
		goto out;
	ok = read_file(p, STORE_MAX_FILE, &data, &len, e) && audit_sliver_parse(data, len, out, e);
	if (!ok)
		err_prefix(e, "stored sliver %s", p);
out:
	free(data);
	free(p);
	return ok;
}

bool node_store_has_sliver(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			   enum audit_proof_axis axis, uint16_t index)
{
	char *p = sliver_path_new(s, id, axis, index);
	bool r = exists(p);
	free(p);
	return r;
}

uint64_t node_store_deletions(struct node_store *s)
{
	return atomic_load(&s->deletions);
}

bool node_store_delete_sliver(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			      enum audit_proof_axis axis, uint16_t index, struct err *e)
{
	char *p = sliver_path_new(s, id, axis, index);
	uint64_t size = file_size(p);
	bool gone = unlink(p) == 0;
	bool ok = gone || errno == ENOENT;
	if (!ok)
		err_set(e, "cannot remove %s: %s", p, strerror(errno));
	if (gone) {
		atomic_fetch_sub(&s->bytes, size);
		atomic_fetch_add(&s->reclaimed, size);
		atomic_fetch_add(&s->deletions, 1);
	}
	free(p);
	return ok;
}

bool node_store_delete_blob(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			    uint64_t *freed, struct err *e)
{
	char *d = blob_dir_new(s, id);
	char *md = xasprintf("%s/metadata", d);
	uint64_t total = 0;
	bool ok = true;
	*freed = 0;
	/* the metadata first: from then on readers are told the blob is not here, and never
	 * see some of its slivers gone */
	uint64_t msize = file_size(md);
	if (unlink(md) == 0)
		total += msize;
	else if (errno != ENOENT)
		ok = err_set(e, "cannot remove %s: %s", md, strerror(errno));
	DIR *dir = ok ? opendir(d) : NULL;
	if (dir) {
		struct dirent *de;
		while ((de = readdir(dir)) != NULL) {
			if (de->d_name[0] == '.')
				continue;
			char *p = xasprintf("%s/%s", d, de->d_name);
			uint64_t size = file_size(p);
			if (unlink(p) == 0)
				total += size;
			free(p);
		}
		closedir(dir);
		if (rmdir(d) != 0 && errno != ENOENT)
			ok = err_set(e, "cannot remove %s: %s", d, strerror(errno));
	}
	atomic_fetch_sub(&s->bytes, total);
	atomic_fetch_add(&s->reclaimed, total);
	atomic_fetch_add(&s->deletions, 1);
	*freed = total;
	free(md);
	free(d);
	return ok;
}

/* "primary-I" or "secondary-I" with I a decimal below 65536 and nothing after it (a file
 * being written has a suffix). */
static bool parse_sliver_name(const char *name, struct node_store_sliver_ref *out)
{
	const char *rest;
	if (!strncmp(name, "primary-", 8)) {
		out->axis = AUDIT_AXIS_PRIMARY;
		rest = name + 8;
	} else if (!strncmp(name, "secondary-", 10)) {
		out->axis = AUDIT_AXIS_SECONDARY;
		rest = name + 10;
	} else {
		return false;
	}
	unsigned long v = 0;
	size_t digits = 0;
	for (; rest[digits] >= '0' && rest[digits] <= '9' && digits < 6; digits++)
		v = v * 10 + (unsigned long)(rest[digits] - '0');
	if (!digits || rest[digits] || v > UINT16_MAX || (rest[0] == '0' && digits > 1))
		return false;
	out->index = (uint16_t)v;
	return true;
}

bool node_store_list_slivers(struct node_store *s, const uint8_t id[AUDIT_DIGEST_LEN],
			     struct node_store_sliver_ref **out, size_t *count, struct err *e)
{
	*out = NULL;
	*count = 0;
	char *d = blob_dir_new(s, id);
	DIR *dir = opendir(d);
	if (!dir) {
		bool ok = errno == ENOENT || err_set(e, "cannot list %s: %s", d, strerror(errno));
		free(d);
		return ok;
	}
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		struct node_store_sliver_ref r;
		if (!parse_sliver_name(de->d_name, &r))
			continue;
		if (*count == cap) {
			cap = cap ? 2 * cap : 16;
			*out = xrealloc(*out, cap * sizeof(**out));
		}
		(*out)[(*count)++] = r;
	}
	closedir(dir);
	free(d);
	return true;
}

bool node_store_list_blobs(struct node_store *s, uint8_t (**ids)[AUDIT_DIGEST_LEN],
			   size_t *count, struct err *e)
{
	*ids = NULL;
	*count = 0;
	char *d = xasprintf("%s/blobs", s->dir);
	DIR *dir = opendir(d);
	if (!dir) {
		err_set(e, "cannot list %s: %s", d, strerror(errno));
		free(d);
		return false;
	}
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(dir))) {
		uint8_t id[AUDIT_DIGEST_LEN];
		if (strlen(de->d_name) != 2 * AUDIT_DIGEST_LEN ||
		    !hex_decode_exact(id, sizeof(id), de->d_name, NULL))
			continue;
		char *m = xasprintf("%s/%s/metadata", d, de->d_name);
		bool has = exists(m);
		free(m);
		if (!has)
			continue;
		if (*count == cap) {
			cap = cap ? 2 * cap : 16;
			*ids = xrealloc(*ids, cap * sizeof(**ids));
		}
		memcpy((*ids)[(*count)++], id, AUDIT_DIGEST_LEN);
	}
	closedir(dir);
	free(d);
	return true;
}
