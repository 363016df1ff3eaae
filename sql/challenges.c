/* challenges.c: sql/challenges.h. Writes go through COPY in text format (one round trip
 * per batch, the fastest path PostgreSQL has for many small rows). */
#include "sql/challenges.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "sql/db_internal.h"

static void put_bytea(struct buf *b, const uint8_t *data, size_t len)
{
	char hex[2 * 32 + 1];
	ASSAY_ASSERT(len <= 32);
	hex_encode(hex, data, len);
	/* COPY text unescapes "\\" to "\", leaving the bytea hex input form "\x...". */
	buf_append_str(b, "\\\\x");
	buf_append_str(b, hex);
}

/* COPY text escaping; anything outside printable ASCII becomes '?', because a detail may
 * quote what a hostile node sent and the column must stay valid UTF-8. */
static void put_text(struct buf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '\\')
			buf_append_str(b, "\\\\");
		else if (c == '\t' || c == '\n' || c == '\r')
			buf_append_byte(b, ' ');
		else if (c < 0x20 || c >= 0x7f)
			buf_append_byte(b, '?');
		else
			buf_append_byte(b, c);
	}
}

static void put_row(struct buf *b, const struct db_challenge_row *r)
{
	time_t secs = (time_t)(r->issued_at_ms / 1000);
	struct tm tm;
	char ts[48];
	gmtime_r(&secs, &tm);
	size_t tl = strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(ts + tl, sizeof(ts) - tl, ".%03u+00", (unsigned)(r->issued_at_ms % 1000));

	buf_printf(b, "%" PRIu64 "\t", r->epoch);
	put_bytea(b, r->auditor, 20);
	buf_printf(b, "\t%" PRIu64 "\t%u\t", r->seq, (unsigned)r->attempt);
	put_bytea(b, r->node_id, 20);
	buf_append_byte(b, '\t');
	put_bytea(b, r->blob_id, 32);
	buf_printf(b, "\t%u\t%u\t%u\t%s\t%s\t%u\t%s\t", r->shard, r->symbol_row, r->symbol_col,
		   r->secondary ? "secondary" : "primary", ts, r->latency_ms, r->outcome);
	if (r->http_status)
		buf_printf(b, "%ld", r->http_status);
	else
		buf_append_str(b, "\\N");
	buf_append_byte(b, '\t');
	if (r->has_hash)
		put_bytea(b, r->response_hash, 32);
	else
		buf_append_str(b, "\\N");
	buf_append_byte(b, '\t');
	if (r->detail[0])
		put_text(b, r->detail);
	else
		buf_append_str(b, "\\N");
	buf_append_byte(b, '\n');
}

/* Ends whatever result stream is pending so the connection is usable again. */
static void drain(struct db *db)
{
	PGresult *r;
	while ((r = PQgetResult(db->conn)) != NULL)
		PQclear(r);
}

bool db_challenges_copy(struct db *db, const struct db_challenge_row *rows, size_t n,
			struct err *e)
{
	if (n == 0)
		return true;
	/* One COPY statement is one transaction: all rows or none. */
	bool ok = false;
	struct buf b = BUF_INIT;
	PGresult *r = PQexec(db->conn,
			     "COPY challenges (epoch, auditor, seq, attempt, node_id, blob_id, shard,"
			     " symbol_row, symbol_col, axis, issued_at, latency_ms, outcome,"
			     " http_status, response_hash, detail) FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		db_fail(db, r, e, "starting COPY of challenge records");
		PQclear(r);
		goto out;
	}
	PQclear(r);
	for (size_t i = 0; i < n; i++) {
		put_row(&b, &rows[i]);
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
