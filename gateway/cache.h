/* cache.h: the gateway's bounded on-disk cache of verified blobs.
 *
 * One file per blob, <dir>/<blob ID>.blob: a 4096-byte header (magic, blob ID, length,
 * BLAKE2b-256 of the body, the sniffed content type, and a BLAKE2b-256 of those fields),
 * then the blob's bytes, so a response is sent straight from the file at an offset
 * (sendfile). An entry is written to a temporary file, checked (its body hashed), then
 * renamed: a crash or a full disk never leaves a half-written entry under a final name.
 * On open every entry is checked and those that do not check are deleted, as are left-over
 * temporary files. While running, an entry whose file changed since it was checked (its
 * inode, size, mtime or ctime differ: a truncation or a write, even one that reset the
 * mtime) is checked again before it is served, and deleted if it fails.
 *
 * Least recently used entries go first once the total passes max_bytes; a blob larger than
 * half of max_bytes is not cached. Entries are written whole at commit, from the fill's own
 * memory: a file of the cache is never mapped, so nothing done to it on disk can change
 * bytes a response is sending, nor crash the gateway (a truncated mapping would). */
#ifndef ASSAY_GATEWAY_CACHE_H
#define ASSAY_GATEWAY_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/bcs.h"
#include "core/util.h"

struct err;
struct gateway_cache;

#define GATEWAY_CACHE_HEADER 4096u
#define GATEWAY_CACHE_CTYPE_MAX 96

bool gateway_cache_open(const char *dir, uint64_t max_bytes, struct gateway_cache **out,
			struct err *e) WARN_UNUSED;
void gateway_cache_free(struct gateway_cache *c);

/* A verified entry: *fd (read-only, the caller closes it), the blob's length and its
 * content type. False when the blob is not cached (or its entry failed a check). A file
 * that changed on disk since it was checked is hashed again first; without may_check
 * (an event loop, which must not read a large file) it is left alone and *must_check
 * set instead: ask again from a thread that may wait. */
bool gateway_cache_get(struct gateway_cache *c, const uint8_t id[AUDIT_DIGEST_LEN],
		       bool may_check, int *fd, uint64_t *len, char ctype[GATEWAY_CACHE_CTYPE_MAX],
		       bool *must_check);
/* Whether a blob of len bytes would be cached at all. */
bool gateway_cache_wants(const struct gateway_cache *c, uint64_t len);

/* A temporary entry of len body bytes, preallocated when the fetch starts (so a full disk
 * is known before any byte is fetched). */
struct gateway_cache_tmp {
	int fd;
	char *path;
	uint8_t id[AUDIT_DIGEST_LEN];
	uint64_t len;
};
bool gateway_cache_begin(struct gateway_cache *c, const uint8_t id[AUDIT_DIGEST_LEN],
			 uint64_t len, struct gateway_cache_tmp *t, struct err *e) WARN_UNUSED;
/* Writes body (len bytes) and its hash into the header, renames
 * the entry into place and evicts what no longer fits. The temporary is consumed either
 * way. */
bool gateway_cache_commit(struct gateway_cache *c, struct gateway_cache_tmp *t,
			  const uint8_t *body, const char *ctype, struct err *e) WARN_UNUSED;
/* Drops a temporary entry (closes and deletes it). */
void gateway_cache_abort(struct gateway_cache *c, struct gateway_cache_tmp *t);

void gateway_cache_stats(struct gateway_cache *c, uint64_t *bytes, uint64_t *entries);

/* The memory tier: verified bytes of small blobs (up to GATEWAY_MEM_ENTRY_MAX), kept in
 * RAM within mem_bytes (least recently used first out), so a hot small blob is answered
 * with no file operation at all. Filled by finished fetches and by disk hits (the entry
 * is hashed again when it is read in). A blobmem is shared and reference counted. */
#define GATEWAY_MEM_ENTRY_MAX (1u << 20)
struct gateway_blobmem {
	atomic_int refs;
	uint8_t id[AUDIT_DIGEST_LEN];
	uint64_t len;
	uint64_t last_used;
	char ctype[GATEWAY_CACHE_CTYPE_MAX];
	uint8_t data[];
};
void gateway_cache_set_memory(struct gateway_cache *c, uint64_t mem_bytes);
/* A reference to the blob's bytes in memory, or NULL (then try gateway_cache_get). */
struct gateway_blobmem *gateway_cache_mem_get(struct gateway_cache *c,
					      const uint8_t id[AUDIT_DIGEST_LEN]);
/* Copies len verified bytes in (when they fit the tier). */
void gateway_cache_mem_put(struct gateway_cache *c, const uint8_t id[AUDIT_DIGEST_LEN],
			   const uint8_t *data, uint64_t len, const char *ctype);
/* Reads a disk entry (fd from gateway_cache_get) into the tier, hashing it again. */
void gateway_cache_mem_load(struct gateway_cache *c, const uint8_t id[AUDIT_DIGEST_LEN], int fd);
void gateway_blobmem_unref(struct gateway_blobmem *m);

#endif
