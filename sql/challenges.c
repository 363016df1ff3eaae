/* challenges.c: sql/challenges.h. Writes go through COPY in binary format (one round trip
 * per batch, the fastest path PostgreSQL has for many small rows; binary spares the server
 * parsing hex bytea and timestamps). */
#include "sql/challenges.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "sql/db_internal.h"

/* COPY's binary format: network byte order, each field its length then its bytes. */
static void put_be(struct buf *b, uint64_t v, unsigned bytes)
{
	uint8_t x[8];
	for (unsigned i = 0; i < bytes; i++)
		x[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
	buf_append(b, x, bytes);
}

static void put_field(struct buf *b, const void *data, size_t len)
{
	put_be(b, (uint32_t)len, 4);
	buf_append(b, data, len);
}

static void put_null(struct buf *b)
{
	put_be(b, 0xffffffffu, 4);
}

static void put_int(struct buf *b, uint64_t v, unsigned bytes)
{
	put_be(b, bytes, 4);
	put_be(b, v, bytes);
}

/* Anything outside printable ASCII becomes '?' (tab and line breaks a space), because a
 * detail may quote what a hostile node sent and the column must stay valid UTF-8. */
static void put_text(struct buf *b, const char *s)
{
	size_t len = strlen(s);
	put_be(b, (uint32_t)len, 4);
	buf_reserve(b, len);
	uint8_t *o = b->data + b->len;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '\t' || c == '\n' || c == '\r')
			c = ' ';
		else if (c < 0x20 || c >= 0x7f)
			c = '?';
		o[i] = c;
	}
	b->len += len;
}

/* timestamptz on the wire: microseconds since 2000-01-01 00:00:00 UTC. */
#define PG_EPOCH_UNIX_MS 946684800000ll

static void put_row(struct buf *b, const struct db_challenge_row *r)
{
	put_be(b, 16, 2); /* fields */
	put_int(b, r->epoch, 8);
	put_field(b, r->auditor, 20);
	put_int(b, r->seq, 8);
	put_int(b, r->attempt, 2);
	put_field(b, r->node_id, 20);
	put_field(b, r->blob_id, 32);
	put_int(b, r->shard, 4);
	put_int(b, r->symbol_row, 4);
	put_int(b, r->symbol_col, 4);
	const char *axis = r->secondary ? "secondary" : "primary";
	put_field(b, axis, strlen(axis));
	put_int(b, (uint64_t)(((int64_t)r->issued_at_ms - PG_EPOCH_UNIX_MS) * 1000), 8);
	put_int(b, r->latency_ms, 4);
	put_field(b, r->outcome, strlen(r->outcome));
	if (r->http_status)
		put_int(b, (uint64_t)(uint32_t)(int32_t)r->http_status, 4);
	else
		put_null(b);
	if (r->has_hash)
		put_field(b, r->response_hash, 32);
	else
		put_null(b);
	if (r->detail[0])
		put_text(b, r->detail);
	else
		put_null(b);
}

/* Ends whatever result stream is pending so the connection is usable again. */
static void drain(struct db *db)
{
	PGresult *r;
	while ((r = PQgetResult(db->conn)) != NULL)
		PQclear(r);
}

/* Each epoch's rows live in their own partition (migration 5), made here before the
 * COPY that needs it: a batch rarely spans two epochs, so this is one cheap call per epoch
 * per connection. */
static bool ensure_partitions(struct db *db, const struct db_challenge_row *rows, size_t n,
			      struct err *e)
{
	for (size_t i = 0; i < n; i++) {
		if (db->partition_known && rows[i].epoch == db->partition_epoch)
			continue;
		if (!db_challenges_partition_ensure(db, rows[i].epoch, e))
			return false;
		db->partition_known = true;
		db->partition_epoch = rows[i].epoch;
	}
	return true;
}

bool db_challenges_partition_ensure(struct db *db, uint64_t epoch, struct err *e)
{
	char ep[24];
	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	const char *p[] = {ep};
	PGresult *r = db_exec(db, "SELECT challenges_partition_ensure($1)", 1, p, PGRES_TUPLES_OK,
			      e, "creating the challenge records' partition of the epoch");
	PQclear(r);
	return r != NULL;
}

bool db_challenges_copy(struct db *db, const struct db_challenge_row *rows, size_t n,
			struct err *e)
{
	if (n == 0)
		return true;
	if (!ensure_partitions(db, rows, n, e))
		return false;
	/* One COPY statement is one transaction: all rows or none. */
	bool ok = false;
	struct buf b = BUF_INIT;
	PGresult *r = PQexec(db->conn,
			     "COPY challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard,"
			     " symbol_row, symbol_col, axis, issued_at, latency_ms, outcome,"
			     " http_status, response_hash, detail) FROM STDIN (FORMAT binary)");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		db_fail(db, r, e, "starting COPY of challenge records");
		PQclear(r);
		goto out;
	}
	PQclear(r);
	/* Header: signature, flags, no extension. */
	buf_append(&b, "PGCOPY\n\377\r\n\0", 11);
	put_be(&b, 0, 4);
	put_be(&b, 0, 4);
	for (size_t i = 0; i < n; i++) {
		put_row(&b, &rows[i]);
		if (i + 1 == n)
			put_be(&b, 0xffff, 2); /* trailer */
		if (b.len >= (256u << 10) || i + 1 == n) {
			if (PQputCopyData(db->conn, (const char *)b.data, (int)b.len) != 1) {
				db_fail(db, NULL, e, "sending challenge records");
				PQputCopyEnd(db->conn, "send failed");
				drain(db);
				goto out;
			}
			buf_reset(&b);
		}
	}
	if (PQputCopyEnd(db->conn, NULL) != 1) {
		db_fail(db, NULL, e, "finishing COPY of challenge records");
		drain(db);
		goto out;
	}
	r = PQgetResult(db->conn);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		db->partition_known = false; /* a pruned partition, say: ask again next time */
		db_fail(db, r, e, "recording challenges");
		PQclear(r);
		drain(db);
		goto out;
	}
	PQclear(r);
	drain(db);
	ok = true;
out:
	buf_free(&b);
	return ok;
}

bool db_challenges_last(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			struct db_challenge_last **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	char ep[24], aud[2 + 40 + 1];
	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	aud[0] = '\\';
	aud[1] = 'x';
	hex_encode(aud + 2, auditor, 20);
	const char *p[] = {ep, aud};
	PGresult *r = db_exec(db,
			      "SELECT DISTINCT ON (seq) seq, attempt, node_id, outcome,"
			      " coalesce(http_status, 0)"
			      " FROM challenges WHERE epoch = $1 AND auditor = $2::bytea"
			      " ORDER BY seq, attempt DESC",
			      2, p, PGRES_TUPLES_OK, e, "reading recorded challenges");
	if (!r)
		return false;
	bool ok = false;
	size_t rows = (size_t)PQntuples(r);
	struct db_challenge_last *v = rows ? xcalloc(rows, sizeof(*v)) : NULL;
	for (size_t i = 0; i < rows; i++) {
		uint64_t seq, att, st;
		if (!parse_u64(PQgetvalue(r, (int)i, 0), &seq) ||
		    !parse_u64(PQgetvalue(r, (int)i, 1), &att) || att > UINT16_MAX ||
		    !db_cell_bytea(r, (int)i, 2, v[i].node_id, 20) ||
		    !parse_u64(PQgetvalue(r, (int)i, 4), &st)) {
			err_set(e, "reading recorded challenges: unexpected row %zu", i);
			goto out;
		}
		v[i].seq = seq;
		v[i].attempt = (uint16_t)att;
		v[i].http_status = (long)st;
		snprintf(v[i].outcome, sizeof(v[i].outcome), "%s", PQgetvalue(r, (int)i, 3));
	}
	*out = v;
	*n = rows;
	v = NULL;
	ok = true;
out:
	free(v);
	PQclear(r);
	return ok;
}

bool db_challenges_count(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			 uint64_t *rows, struct err *e)
{
	char ep[24], aud[2 + 40 + 1];
	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	aud[0] = '\\';
	aud[1] = 'x';
	hex_encode(aud + 2, auditor, 20);
	const char *p[] = {ep, aud};
	PGresult *r = db_exec(db,
			      "SELECT count(*) FROM challenges WHERE epoch = $1 AND auditor = $2::bytea",
			      2, p, PGRES_TUPLES_OK, e, "counting recorded challenges");
	if (!r)
		return false;
	bool ok = parse_u64(PQgetvalue(r, 0, 0), rows);
	if (!ok)
		err_set(e, "counting recorded challenges: unexpected answer");
	PQclear(r);
	return ok;
}

bool db_challenges_partitions(struct db *db, uint64_t **out, size_t *n, struct err *e)
{
	*out = NULL;
	*n = 0;
	/* The catalog is the truth; the names are challenges_partition_ensure's. */
	PGresult *r = db_exec(db,
			      "SELECT substring(c.relname from '^challenges_e([0-9]+)$')::bigint AS ep"
			      " FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
			      " WHERE i.inhparent = 'challenges'::regclass"
			      " AND c.relname ~ '^challenges_e[0-9]+$' ORDER BY ep",
			      0, NULL, PGRES_TUPLES_OK, e, "listing the challenge partitions");
	if (!r)
		return false;
	size_t rows = (size_t)PQntuples(r);
	uint64_t *v = rows ? xcalloc(rows, sizeof(*v)) : NULL;
	for (size_t i = 0; i < rows; i++)
		if (!db_cell_u64(r, (int)i, 0, &v[i])) {
			free(v);
			PQclear(r);
			return err_set(e, "listing the challenge partitions: unexpected row %zu", i);
		}
	PQclear(r);
	*out = v;
	*n = rows;
	return true;
}

bool db_challenges_partition_drop(struct db *db, uint64_t epoch, bool *dropped, struct err *e)
{
	char ep[24];
	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	const char *p[] = {ep};
	PGresult *r = db_exec(db, "SELECT challenges_partition_drop($1)", 1, p, PGRES_TUPLES_OK, e,
			      "dropping the epoch's challenge partition");
	if (!r)
		return false;
	*dropped = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (db->partition_known && db->partition_epoch == epoch)
		db->partition_known = false;
	return true;
}

/* One result row of db_challenges_each's SELECT into a full record. */
static bool parse_row(const PGresult *r, uint64_t epoch, const uint8_t auditor[20],
		      struct db_challenge_row *row, struct err *e)
{
	uint64_t seq, att, shard, ro, co, issued, lat, st;
	memset(row, 0, sizeof(*row));
	row->epoch = epoch;
	memcpy(row->auditor, auditor, 20);
	const char *axis = PQgetvalue(r, 0, 6), *outcome = PQgetvalue(r, 0, 9);
	if (!db_cell_u64(r, 0, 0, &seq) || !db_cell_u64(r, 0, 1, &att) || att > UINT16_MAX ||
	    !db_cell_hex(r, 0, 2, row->node_id, 20) || !db_cell_hex(r, 0, 3, row->blob_id, 32) ||
	    !db_cell_u64(r, 0, 4, &shard) || shard > UINT32_MAX || !db_cell_u64(r, 0, 5, &ro) ||
	    ro > UINT32_MAX || !db_cell_u64(r, 0, 7, &co) || co > UINT32_MAX ||
	    !db_cell_u64(r, 0, 8, &issued) || !db_cell_u64(r, 0, 10, &lat) || lat > UINT32_MAX ||
	    (!PQgetisnull(r, 0, 11) && !db_cell_u64(r, 0, 11, &st)) ||
	    (!PQgetisnull(r, 0, 12) && !db_cell_hex(r, 0, 12, row->response_hash, 32)))
		return err_set(e, "reading challenge records: a row does not parse");
	/* outcome points at static text, as the writer's rows do (audit_outcome_name's); the
	 * table's CHECK allows exactly these. */
	static const char *const outcomes[] = {"pass", "invalid_proof", "wrong_size",
					       "bad_metadata", "not_found", "http_error",
					       "malformed", "timeout", "unreachable",
					       "auditor_error"};
	row->outcome = NULL;
	for (size_t i = 0; i < ARRAY_LEN(outcomes); i++)
		if (!strcmp(outcome, outcomes[i]))
			row->outcome = outcomes[i];
	if (!row->outcome)
		return err_set(e, "reading challenge records: unknown outcome '%s'", outcome);
	row->seq = seq;
	row->attempt = (uint16_t)att;
	row->shard = (uint32_t)shard;
	row->symbol_row = (uint32_t)ro;
	row->symbol_col = (uint32_t)co;
	row->secondary = !strcmp(axis, "secondary");
	row->issued_at_ms = issued;
	row->latency_ms = (uint32_t)lat;
	row->http_status = PQgetisnull(r, 0, 11) ? 0 : (long)st;
	row->has_hash = !PQgetisnull(r, 0, 12);
	if (!PQgetisnull(r, 0, 13))
		snprintf(row->detail, sizeof(row->detail), "%s", PQgetvalue(r, 0, 13));
	return true;
}

bool db_challenges_each(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			bool (*fn)(void *ctx, const struct db_challenge_row *row, struct err *e),
			void *ctx, struct err *e)
{
	char ep[24], aud[41];
	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	hex_encode(aud, auditor, 20);
	const char *p[] = {ep, aud};
	/* issued_at in unix milliseconds, exactly (the writer's resolution). */
	if (!PQsendQueryParams(db->conn,
			       "SELECT seq, attempt, encode(node_id, 'hex'), encode(blob_id, 'hex'),"
			       " shard, symbol_row, axis, symbol_col,"
			       " (extract(epoch FROM issued_at) * 1000)::bigint, outcome, latency_ms,"
			       " http_status, encode(response_hash, 'hex'), detail FROM challenges"
			       " WHERE epoch = $1 AND auditor = decode($2, 'hex') ORDER BY seq, attempt",
			       2, NULL, p, NULL, NULL, 0) ||
	    !PQsetSingleRowMode(db->conn)) {
		db_fail(db, NULL, e, "reading challenge records");
		drain(db);
		return false;
	}
	bool ok = true, failed = false;
	struct db_challenge_row row;
	PGresult *r;
	while ((r = PQgetResult(db->conn)) != NULL) {
		ExecStatusType st = PQresultStatus(r);
		if (st == PGRES_SINGLE_TUPLE && ok) {
			if (!parse_row(r, epoch, auditor, &row, e) || !fn(ctx, &row, e))
				ok = false; /* read the rest off the connection, then fail */
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !failed) {
			failed = true;
			if (ok)
				db_fail(db, r, e, "reading challenge records");
			ok = false;
		}
		PQclear(r);
	}
	return ok;
}
