/* txstore.c: chain/txstore.h on PostgreSQL. Batches travel as arrays and are unnested
 * server-side, so saving or updating a thousand transactions is one statement (atomic,
 * one round trip). */
#include "sql/txstore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "chain/session.h"
#include "chain/txstore.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "sql/db.h"
#include "sql/db_internal.h"

/* The advisory lock key of (chain, sender): FNV-1a over both, as one bigint. */
static int64_t lock_key(uint64_t chain_id, const uint8_t sender[20])
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (int i = 0; i < 8; i++) {
		h ^= (chain_id >> (8 * i)) & 0xff;
		h *= 0x100000001b3ull;
	}
	for (int i = 0; i < 20; i++) {
		h ^= sender[i];
		h *= 0x100000001b3ull;
	}
	return (int64_t)h;
}

static bool lock_sender(void *ctx, uint64_t chain_id, const uint8_t sender[20], bool wait,
			struct err *e)
{
	struct db *db = ctx;
	char key[24];
	snprintf(key, sizeof(key), "%" PRId64, lock_key(chain_id, sender));
	const char *p[] = {key};
	bool got = false;
	/* A holder killed a moment ago keeps the lock until its server process sees the
	 * connection close: a restart right after a crash tries for a while before saying
	 * that another process sends (2 s; a live holder keeps it that long and more). */
	for (int tries = 0; !got && tries < 20; tries++) {
		if (tries)
			usleep(100 * 1000);
		PGresult *r = db_exec(db,
				      wait ? "SELECT pg_advisory_lock($1::bigint), true"
					   : "SELECT true, pg_try_advisory_lock($1::bigint)",
				      1, p, PGRES_TUPLES_OK, e, "locking the sender");
		if (!r)
			return false;
		got = !strcmp(PQgetvalue(r, 0, 1), "t");
		PQclear(r);
	}
	if (!got) {
		char addr[41];
		hex_encode(addr, sender, 20);
		return err_set(e,
			       "another process is already sending transactions for 0x%s on chain "
			       "%" PRIu64 "; only one nonce writer per key is allowed",
			       addr, chain_id);
	}
	return true;
}

static void unlock_sender(void *ctx, uint64_t chain_id, const uint8_t sender[20])
{
	struct db *db = ctx;
	char key[24];
	snprintf(key, sizeof(key), "%" PRId64, lock_key(chain_id, sender));
	const char *p[] = {key};
	PGresult *r = PQexecParams(db->conn, "SELECT pg_advisory_unlock($1::bigint)", 1, NULL, p,
				   NULL, NULL, 0);
	PQclear(r);
}

static bool next_nonce(void *ctx, uint64_t chain_id, const uint8_t sender[20], uint64_t *out,
		       struct err *e)
{
	struct db *db = ctx;
	char cid[24], addr[41];
	snprintf(cid, sizeof(cid), "%" PRIu64, chain_id);
	hex_encode(addr, sender, 20);
	const char *p[] = {cid, addr};
	PGresult *r = db_exec(db,
			      "SELECT coalesce(max(nonce) + 1, 0) FROM transactions "
			      "WHERE chain_id = $1 AND sender = decode($2, 'hex')",
			      2, p, PGRES_TUPLES_OK, e, "reading the next nonce");
	if (!r)
		return false;
	bool ok = parse_u64(PQgetvalue(r, 0, 0), out);
	PQclear(r);
	return ok ? true : err_set(e, "reading the next nonce: not a number");
}

/* Array literal helpers: elements are numbers, hex, or quoted free text. */
static void arr_sep(struct buf *b)
{
	buf_append_byte(b, b->len ? ',' : '{');
}

static void arr_u64(struct buf *b, uint64_t v)
{
	arr_sep(b);
	buf_printf(b, "%" PRIu64, v);
}

static void arr_hex(struct buf *b, const uint8_t *d, size_t n)
{
	arr_sep(b);
	buf_reserve(b, 2 * n + 1);
	hex_encode((char *)b->data + b->len, d, n);
	b->len += 2 * n;
}

static void arr_text(struct buf *b, const char *s)
{
	arr_sep(b);
	buf_append_byte(b, '"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			buf_append_byte(b, '\\');
		buf_append_byte(b, (uint8_t)*s);
	}
	buf_append_byte(b, '"');
}

static void arr_null(struct buf *b)
{
	arr_sep(b);
	buf_append_str(b, "NULL");
}

static const char *arr_end(struct buf *b)
{
	if (!b->len)
		buf_append_byte(b, '{');
	buf_append_byte(b, '}');
	return buf_cstr(b);
}

static bool save(void *ctx, struct chain_txrec *recs, size_t n, struct err *e)
{
	struct db *db = ctx;
	if (!n)
		return true;
	enum { NCOL = 10 };
	struct buf col[NCOL];
	for (int i = 0; i < NCOL; i++)
		buf_init(&col[i]);
	for (size_t i = 0; i < n; i++) {
		const struct chain_txrec *r = &recs[i];
		arr_u64(&col[0], r->chain_id);
		arr_hex(&col[1], r->sender, 20);
		arr_u64(&col[2], r->nonce);
		arr_hex(&col[3], r->hash, 32);
		arr_hex(&col[4], r->raw, r->raw_len);
		arr_text(&col[5], r->purpose);
		arr_u64(&col[6], r->max_fee);
		arr_u64(&col[7], r->max_tip);
		arr_text(&col[8], chain_txstate_name(r->state));
		arr_u64(&col[9], (uint64_t)r->replaces);
	}
	const char *p[NCOL];
	for (int i = 0; i < NCOL; i++)
		p[i] = arr_end(&col[i]);
	bool ok = false;
	PGresult *res = db_exec(
		db,
		"INSERT INTO transactions (chain_id, sender, nonce, tx_hash, raw, purpose,"
		"  max_fee_per_gas, max_priority_fee_per_gas, state, replaces) "
		"SELECT u.c, decode(u.s, 'hex'), u.n, decode(u.h, 'hex'), decode(u.r, 'hex'), u.p,"
		"  u.f, u.t, u.st, nullif(u.rep, 0) "
		"FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[],"
		"  $6::text[], $7::numeric[], $8::numeric[], $9::text[], $10::bigint[])"
		"  AS u(c, s, n, h, r, p, f, t, st, rep) "
		"RETURNING id, encode(tx_hash, 'hex'), extract(epoch FROM created_at)::bigint",
		NCOL, p, PGRES_TUPLES_OK, e, "saving signed transactions");
	if (!res)
		goto out;
	if ((size_t)PQntuples(res) != n) {
		err_set(e, "saving signed transactions: %d rows saved for %zu", PQntuples(res), n);
		goto out_clear;
	}
	for (int row = 0; row < PQntuples(res); row++) {
		uint8_t h[32];
		uint64_t id, created;
		if (!hex_decode_exact(h, 32, PQgetvalue(res, row, 1), e) ||
		    !parse_u64(PQgetvalue(res, row, 0), &id) ||
		    !parse_u64(PQgetvalue(res, row, 2), &created)) {
			err_set(e, "saving signed transactions: unreadable RETURNING row");
			goto out_clear;
		}
		for (size_t i = 0; i < n; i++)
			if (!memcmp(recs[i].hash, h, 32)) {
				recs[i].id = (int64_t)id;
				recs[i].created_unix = created;
			}
	}
	ok = true;
out_clear:
	PQclear(res);
out:
	for (int i = 0; i < NCOL; i++)
		buf_free(&col[i]);
	return ok;
}

static bool update(void *ctx, const struct chain_txupdate *u, size_t n, struct err *e)
{
	struct db *db = ctx;
	if (!n)
		return true;
	enum { NCOL = 5 };
	struct buf col[NCOL];
	for (int i = 0; i < NCOL; i++)
		buf_init(&col[i]);
	for (size_t i = 0; i < n; i++) {
		arr_u64(&col[0], (uint64_t)u[i].id);
		arr_text(&col[1], chain_txstate_name(u[i].state));
		if (u[i].has_block) {
			arr_u64(&col[2], u[i].block_number);
			arr_hex(&col[3], u[i].block_hash, 32);
		} else {
			arr_null(&col[2]);
			arr_null(&col[3]);
		}
		if (u[i].has_block && u[i].receipt_status >= 0) {
			arr_sep(&col[4]);
			buf_printf(&col[4], "%d", u[i].receipt_status);
		} else {
			arr_null(&col[4]);
		}
	}
	const char *p[NCOL];
	for (int i = 0; i < NCOL; i++)
		p[i] = arr_end(&col[i]);
	bool ok = db_command(db,
			     "UPDATE transactions t SET state = u.st, block_number = u.bn,"
			     "  block_hash = decode(u.bh, 'hex'), receipt_status = u.rs,"
			     "  updated_at = now() "
			     "FROM unnest($1::bigint[], $2::text[], $3::bigint[], $4::text[],"
			     "  $5::smallint[]) AS u(id, st, bn, bh, rs) "
			     "WHERE t.id = u.id",
			     NCOL, p, e, "recording transaction states");
	for (int i = 0; i < NCOL; i++)
		buf_free(&col[i]);
	return ok;
}

#define REC_COLUMNS                                                                        \
	"id, coalesce(replaces, 0), chain_id, encode(sender, 'hex'), nonce,"                \
	" encode(tx_hash, 'hex'), encode(raw, 'hex'), purpose, max_fee_per_gas::text,"      \
	" max_priority_fee_per_gas::text, state, block_number, encode(block_hash, 'hex'),"  \
	" coalesce(receipt_status, -1), extract(epoch FROM created_at)::bigint "

static bool read_rec(PGresult *res, int row, struct chain_txrec *r, struct err *e)
{
	memset(r, 0, sizeof(*r));
	uint64_t id, rep, rs_abs;
	struct buf raw = BUF_INIT;
	const char *rs = PQgetvalue(res, row, 13);
	bool ok = parse_u64(PQgetvalue(res, row, 0), &id) &&
		  parse_u64(PQgetvalue(res, row, 1), &rep) &&
		  parse_u64(PQgetvalue(res, row, 2), &r->chain_id) &&
		  hex_decode_exact(r->sender, 20, PQgetvalue(res, row, 3), NULL) &&
		  parse_u64(PQgetvalue(res, row, 4), &r->nonce) &&
		  hex_decode_exact(r->hash, 32, PQgetvalue(res, row, 5), NULL) &&
		  hex_decode_buf(&raw, PQgetvalue(res, row, 6), NULL) &&
		  parse_u64(PQgetvalue(res, row, 8), &r->max_fee) &&
		  parse_u64(PQgetvalue(res, row, 9), &r->max_tip) &&
		  chain_txstate_parse(PQgetvalue(res, row, 10), &r->state) &&
		  parse_u64(PQgetvalue(res, row, 14), &r->created_unix);
	if (ok && !PQgetisnull(res, row, 11)) {
		r->has_block = true;
		ok = parse_u64(PQgetvalue(res, row, 11), &r->block_number) &&
		     hex_decode_exact(r->block_hash, 32, PQgetvalue(res, row, 12), NULL);
	}
	if (ok) {
		r->receipt_status = rs[0] == '-' ? -1 : (parse_u64(rs, &rs_abs) ? (int)rs_abs : -1);
		r->id = (int64_t)id;
		r->replaces = (int64_t)rep;
		snprintf(r->purpose, sizeof(r->purpose), "%s", PQgetvalue(res, row, 7));
		r->raw = buf_steal(&raw, &r->raw_len);
	}
	buf_free(&raw);
	return ok ? true : err_set(e, "reading a saved transaction: unexpected column values");
}

static bool list_open(void *ctx, uint64_t chain_id, const uint8_t sender[20],
		      uint64_t recheck_from, struct chain_txrec **out, size_t *n, struct err *e)
{
	struct db *db = ctx;
	char cid[24], addr[41], from[24];
	snprintf(cid, sizeof(cid), "%" PRIu64, chain_id);
	snprintf(from, sizeof(from), "%" PRIu64, recheck_from);
	hex_encode(addr, sender, 20);
	const char *p[] = {cid, addr, from};
	*out = NULL;
	*n = 0;
	PGresult *res = db_exec(
		db,
		"SELECT " REC_COLUMNS "FROM transactions "
		"WHERE chain_id = $1 AND sender = decode($2, 'hex') AND nonce IN ("
		"  SELECT nonce FROM transactions WHERE chain_id = $1 AND sender = decode($2, 'hex')"
		"  AND (state IN ('signed', 'broadcast', 'mined')"
		"       OR (state = 'confirmed' AND block_number >= $3))) "
		"ORDER BY nonce, id",
		3, p, PGRES_TUPLES_OK, e, "listing transactions in flight");
	if (!res)
		return false;
	size_t rows = (size_t)PQntuples(res);
	struct chain_txrec *v = xcalloc(rows ? rows : 1, sizeof(*v));
	for (size_t i = 0; i < rows; i++) {
		if (!read_rec(res, (int)i, &v[i], e)) {
			for (size_t j = 0; j < i; j++)
				chain_txrec_clear(&v[j]);
			free(v);
			PQclear(res);
			return false;
		}
	}
	PQclear(res);
	*out = v;
	*n = rows;
	return true;
}

static bool get(void *ctx, int64_t id, struct chain_txrec *out, bool *found, struct err *e)
{
	struct db *db = ctx;
	char ids[24];
	snprintf(ids, sizeof(ids), "%" PRId64, id);
	const char *p[] = {ids};
	PGresult *res = db_exec(db, "SELECT " REC_COLUMNS "FROM transactions WHERE id = $1", 1, p,
				PGRES_TUPLES_OK, e, "reading a saved transaction");
	if (!res)
		return false;
	*found = PQntuples(res) == 1;
	bool ok = !*found || read_rec(res, 0, out, e);
	PQclear(res);
	return ok;
}

static const struct chain_txstore_ops pg_ops = {
	.lock_sender = lock_sender,
	.unlock_sender = unlock_sender,
	.next_nonce = next_nonce,
	.save = save,
	.update = update,
	.list_open = list_open,
	.get = get,
};

void db_txstore_init(struct chain_txstore *store, struct db *db)
{
	store->ops = &pg_ops;
	store->ctx = db;
}

static void release_db(void *db)
{
	db_close(db);
}

bool db_txstore_open_settings(void *memory_warning, struct chain_session *s, struct err *e)
{
	if (!db_settings_given()) {
		log_warn("%s", memory_warning ? (const char *)memory_warning
					      : "no --db: signed transactions are kept in memory "
						"only, so a crash would lose track of them");
		return true;
	}
	struct db *db = NULL;
	if (!db_open_current(&db, db_settings.conninfo, (unsigned)db_settings.connect_timeout_s, e))
		return false;
	s->store_owner = db;
	s->store_release = release_db;
	db_txstore_init(&s->store, db);
	return true;
}
