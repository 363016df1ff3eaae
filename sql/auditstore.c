/* auditstore.c: the auditor's record store and chain cache on PostgreSQL (see
 * auditstore.h). */
#include "sql/auditstore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/auditor.h"
#include "audit/challenge.h"
#include "audit/daemon.h"
#include "core/err.h"
#include "chain/reader.h"
#include "sql/chaincache.h"
#include "sql/chainlogs.h"
#include "sql/challenges.h"
#include "sql/db.h"

struct db_auditstore {
	const char *conninfo;
	unsigned connect_timeout_s;
	struct db *db;
	bool migrated;
};

struct db_auditstore *db_auditstore_new(const char *conninfo, unsigned connect_timeout_s)
{
	struct db_auditstore *s = xcalloc(1, sizeof(*s));
	s->conninfo = conninfo;
	s->connect_timeout_s = connect_timeout_s;
	return s;
}

struct db_auditstore *db_auditstore_new_settings(void)
{
	if (!db_settings_given())
		return NULL;
	return db_auditstore_new(db_settings.conninfo, (unsigned)db_settings.connect_timeout_s);
}

void db_auditstore_free(struct db_auditstore *s)
{
	if (!s)
		return;
	db_close(s->db);
	free(s);
}

static bool store_connect(struct db_auditstore *s, struct err *e)
{
	if (s->db)
		return true;
	if (!db_open(&s->db, s->conninfo, s->connect_timeout_s, e))
		return false;
	if (!s->migrated) {
		if (!db_migrate(s->db, NULL, NULL, e)) {
			db_close(s->db);
			s->db = NULL;
			return false;
		}
		s->migrated = true;
	}
	return true;
}

static bool store_write(void *ctx, const struct audit_record *rows, size_t n, struct err *e)
{
	struct db_auditstore *s = ctx;
	if (!store_connect(s, e))
		return false;
	struct db_challenge_row *v = xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const struct audit_record *r = &rows[i];
		struct db_challenge_row *d = &v[i];
		d->epoch = r->epoch;
		memcpy(d->auditor, r->auditor, 20);
		d->seq = r->seq;
		d->attempt = r->attempt;
		memcpy(d->node_id, r->node_id, 20);
		memcpy(d->blob_id, r->blob_id, 32);
		d->shard = r->shard;
		d->symbol_row = r->symbol.primary;
		d->symbol_col = r->symbol.secondary;
		d->secondary = r->axis == AUDIT_AXIS_SECONDARY;
		d->issued_at_ms = r->issued_at_ms;
		d->latency_ms = r->latency_ms;
		d->outcome = audit_outcome_name(r->outcome);
		d->http_status = r->http_status;
		d->has_hash = r->has_hash;
		memcpy(d->response_hash, r->response_hash, 32);
		snprintf(d->detail, sizeof(d->detail), "%s", r->detail);
	}
	bool ok = db_challenges_copy(s->db, v, n, e);
	free(v);
	return ok;
}

static bool store_load(void *ctx, uint64_t epoch, const uint8_t auditor[20],
		       struct audit_recorded **out, size_t *n, struct err *e)
{
	struct db_auditstore *s = ctx;
	*out = NULL;
	*n = 0;
	if (!store_connect(s, e))
		return false;
	struct db_challenge_last *v = NULL;
	size_t nv = 0;
	if (!db_challenges_last(s->db, epoch, auditor, &v, &nv, e))
		return false;
	struct audit_recorded *r = xcalloc(nv ? nv : 1, sizeof(*r));
	for (size_t i = 0; i < nv; i++) {
		r[i].seq = v[i].seq;
		r[i].attempt = v[i].attempt;
		r[i].http_status = v[i].http_status;
		if (!audit_outcome_parse(v[i].outcome, &r[i].outcome)) {
			free(v);
			free(r);
			return err_set(e, "unknown outcome '%s' recorded for seq %" PRIu64,
				       v[i].outcome, v[i].seq);
		}
	}
	free(v);
	*out = r;
	*n = nv;
	return true;
}

static bool store_ping(void *ctx, struct err *e)
{
	struct db_auditstore *s = ctx;
	if (!s->db)
		return store_connect(s, e);
	return db_ping(s->db, e);
}

void db_auditstore_records(struct db_auditstore *s, struct audit_store *out)
{
	*out = (struct audit_store){s, store_write, store_load, store_ping};
}

static bool cache_load(void *ctx, uint64_t epoch, uint32_t n_shards, struct chain_epoch_view *v,
		       struct chain_audit_blob **blobs, size_t *nblobs, bool *found, struct err *e)
{
	struct db_auditstore *s = ctx;
	return store_connect(s, e) &&
	       db_chaincache_load(s->db, epoch, n_shards, v, blobs, nblobs, found, e);
}

static bool cache_store(void *ctx, const struct chain_epoch_view *v,
			const struct chain_audit_blob *blobs, size_t nblobs, struct err *e)
{
	struct db_auditstore *s = ctx;
	return !s->db || db_chaincache_store(s->db, v, blobs, nblobs, e);
}

static bool cache_refresh(void *ctx, const struct chain_epoch_view *v, struct err *e)
{
	struct db_auditstore *s = ctx;
	return !s->db || db_chaincache_epoch_refresh(s->db, v, e);
}

void db_auditstore_chaincache(struct db_auditstore *s, struct audit_chaincache *out)
{
	*out = (struct audit_chaincache){s, cache_load, cache_store, cache_refresh};
}

/* The log store reads through a connection it opens if need be (a reader falls back to a
 * scan when it fails), and writes only through one that is open. */
static bool logs_load(void *ctx, uint64_t chain_id, const uint8_t registry[20], bool *found,
		      uint64_t *through, uint8_t (**ids)[32], size_t *n, struct err *e)
{
	struct db_auditstore *s = ctx;
	return store_connect(s, e) &&
	       db_chainlogs_load(s->db, chain_id, registry, found, through, ids, n, e);
}

static bool logs_append(void *ctx, uint64_t chain_id, const uint8_t registry[20],
			bool found_prev, uint64_t prev, uint64_t through,
			const uint8_t (*ids)[32], size_t n, struct err *e)
{
	struct db_auditstore *s = ctx;
	if (!s->db)
		return err_set(e, "no database connection");
	return db_chainlogs_append(s->db, chain_id, registry, found_prev, prev, through, ids, n, e);
}

void db_auditstore_logstore(struct db_auditstore *s, struct chain_log_store *out)
{
	*out = (struct chain_log_store){s, logs_load, logs_append};
}
