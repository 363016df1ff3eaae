/* settle.c: the settle job's SQL (see settle.h). Byte strings travel as hex text. */
#include "sql/settle.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "sql/db_internal.h"

/* Row i of a challenges SELECT (the columns db_settle_attempts_each names) into *a. */
static bool attempt_parse(const PGresult *r, int i, struct db_settle_attempt *a, struct err *e)
{
	uint64_t at, sh, ro, co, lat;
	memset(a, 0, sizeof(*a));
	if (!db_cell_u64(r, i, 0, &a->seq) || !db_cell_u64(r, i, 1, &at) ||
	    !db_cell_hex(r, i, 2, a->node, 20) || !db_cell_hex(r, i, 3, a->blob, 32) ||
	    !db_cell_u64(r, i, 4, &sh) || !db_cell_u64(r, i, 5, &ro) || !db_cell_u64(r, i, 6, &co) ||
	    !db_cell_u64(r, i, 8, &lat) || strlen(PQgetvalue(r, i, 9)) >= sizeof(a->outcome))
		return err_set(e, "reading challenge records: a row does not parse");
	a->attempt = (uint32_t)at;
	a->shard = (uint32_t)sh;
	a->row = (uint32_t)ro;
	a->col = (uint32_t)co;
	a->latency_ms = lat > UINT32_MAX ? UINT32_MAX : (uint32_t)lat;
	a->secondary = !strcmp(PQgetvalue(r, i, 7), "t");
	snprintf(a->outcome, sizeof(a->outcome), "%s", PQgetvalue(r, i, 9));
	a->has_hash = PQgetvalue(r, i, 10)[0] != 0;
	if (a->has_hash && !db_cell_hex(r, i, 10, a->response_hash, 32))
		return err_set(e, "reading challenge records: a response hash does not parse");
	return true;
}

#define ATTEMPTS_CHUNK "20000"

bool db_settle_attempts_each(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			     bool (*fn)(void *ctx, const struct db_settle_attempt *a,
					struct err *e),
			     void *ctx, struct err *e)
{
	char ep[24], aud[41];
	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	hex_encode(aud, auditor, 20);
	const char *p[] = {ep, aud};
	PGresult *r = NULL;
	/* A cursor read a chunk at a time, in a transaction of our own unless the caller has
	 * one: the client holds one chunk of rows, never the epoch's (10^6 rows as text is
	 * about 400 MB). */
	bool own = PQtransactionStatus(db->conn) == PQTRANS_IDLE;
	if (own && !db_command(db, "BEGIN", 0, NULL, e, "reading challenge records"))
		return false;
	if (!db_command(db,
			"DECLARE settle_attempts NO SCROLL CURSOR FOR "
			"SELECT seq, attempt, encode(node_id, 'hex'), encode(blob_id, 'hex'), "
			"shard, symbol_row, symbol_col, axis = 'secondary', latency_ms, outcome, "
			"coalesce(encode(response_hash, 'hex'), '') FROM challenges "
			"WHERE epoch = $1 AND auditor = decode($2, 'hex') ORDER BY seq, attempt",
			2, p, e, "reading challenge records"))
		goto fail;
	for (;;) {
		r = db_exec(db, "FETCH " ATTEMPTS_CHUNK " FROM settle_attempts", 0, NULL,
			    PGRES_TUPLES_OK, e, "reading challenge records");
		if (!r)
			goto fail;
		int rows = PQntuples(r);
		if (rows == 0)
			break;
		for (int i = 0; i < rows; i++) {
			struct db_settle_attempt a;
			if (!attempt_parse(r, i, &a, e) || !fn(ctx, &a, e))
				goto fail;
		}
		PQclear(r);
		r = NULL;
	}
	PQclear(r);
	r = NULL;
	if (!db_command(db, "CLOSE settle_attempts", 0, NULL, e, "reading challenge records"))
		goto fail;
	return !own || db_command(db, "COMMIT", 0, NULL, e, "reading challenge records");
fail:
	PQclear(r);
	if (own) {
		r = PQexec(db->conn, "ROLLBACK");
		PQclear(r);
	}
	return false;
}

struct attempts_all {
	struct db_settle_attempt *v;
	size_t n, cap;
};

static bool attempts_push(void *ctx, const struct db_settle_attempt *a, struct err *e)
{
	struct attempts_all *l = ctx;
	(void)e;
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 1024;
		l->v = xrealloc(l->v, l->cap * sizeof(*l->v));
	}
	l->v[l->n++] = *a;
	return true;
}

bool db_settle_attempts(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			struct db_settle_attempt **out, size_t *n, struct err *e)
{
	struct attempts_all l = {NULL, 0, 0};
	*out = NULL;
	*n = 0;
	if (!db_settle_attempts_each(db, epoch, auditor, attempts_push, &l, e)) {
		free(l.v);
		return false;
	}
	*out = l.v ? l.v : xcalloc(1, sizeof(*l.v));
	*n = l.n;
	return true;
}

bool db_settle_state_get(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			 char state[16], bool *found, struct err *e)
{
	char ep[24], aud[41];
	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	hex_encode(aud, auditor, 20);
	const char *p[] = {ep, aud};
	PGresult *r = db_exec(db,
			      "SELECT state FROM epoch_progress WHERE epoch = $1 AND "
			      "auditor = decode($2, 'hex')",
			      2, p, PGRES_TUPLES_OK, e, "reading the epoch's state");
	if (!r)
		return false;
	*found = PQntuples(r) == 1;
	state[0] = 0;
	if (*found)
		snprintf(state, 16, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return true;
}

bool db_settle_state_set(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			 const char *state, const uint8_t *secret_commitment, struct err *e)
{
	char ep[24], aud[41], sc[65] = "";
	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	hex_encode(aud, auditor, 20);
	if (secret_commitment)
		hex_encode(sc, secret_commitment, 32);
	const char *p[] = {ep, aud, state, secret_commitment ? sc : NULL};
	if (!db_command(db, "INSERT INTO epochs (epoch) VALUES ($1) ON CONFLICT DO NOTHING", 1, p,
			e, "recording the epoch"))
		return false;
	return db_command(db,
			  "INSERT INTO epoch_progress (epoch, auditor, state, secret_commitment) "
			  "VALUES ($1, decode($2, 'hex'), $3, decode($4, 'hex')) "
			  "ON CONFLICT (epoch, auditor) DO UPDATE SET state = EXCLUDED.state, "
			  "secret_commitment = coalesce(EXCLUDED.secret_commitment, "
			  "epoch_progress.secret_commitment), updated_at = now()",
			  4, p, e, "recording the epoch's state");
}

bool db_settle_progress_list(struct db *db, const uint8_t auditor[20],
			     struct db_settle_progress **out, size_t *n, struct err *e)
{
	char aud[41];
	hex_encode(aud, auditor, 20);
	const char *p[] = {aud};
	*out = NULL;
	*n = 0;
	PGresult *r = db_exec(db,
			      "SELECT epoch, state, extract(epoch FROM updated_at)::bigint "
			      "FROM epoch_progress WHERE auditor = decode($1, 'hex') ORDER BY epoch",
			      1, p, PGRES_TUPLES_OK, e, "reading the epochs' states");
	if (!r)
		return false;
	int rows = PQntuples(r);
	struct db_settle_progress *v = xcalloc(rows ? (size_t)rows : 1, sizeof(*v));
	for (int i = 0; i < rows; i++) {
		if (!db_cell_u64(r, i, 0, &v[i].epoch) || !db_cell_u64(r, i, 2, &v[i].updated_unix))
			v[i].updated_unix = 0;
		snprintf(v[i].state, sizeof(v[i].state), "%s", PQgetvalue(r, i, 1));
	}
	PQclear(r);
	*out = v;
	*n = (size_t)rows;
	return true;
}

void db_settle_attestation_clear(struct db_settle_attestation *a)
{
	if (!a)
		return;
	free(a->nodes);
	free(a->passed);
	free(a->decided);
	a->nodes = NULL;
	a->passed = a->decided = NULL;
	a->m = 0;
}

bool db_settle_attestation_save(struct db *db, const char *source,
				const struct db_settle_attestation *a, struct err *e)
{
	char ep[24], aud[41], ch[65], cnt[65], ev[65], sig[131], eb[65];
	struct buf nodes = BUF_INIT, passed = BUF_INIT, decided = BUF_INIT;
	bool ok = false, begun = false;
	snprintf(ep, sizeof(ep), "%" PRIu64, a->epoch);
	hex_encode(aud, a->auditor, 20);
	hex_encode(ch, a->committee_hash, 32);
	hex_encode(cnt, a->counts_hash, 32);
	hex_encode(ev, a->evidence_root, 32);
	hex_encode(eb, a->evidence_blob, 32);
	if (a->has_sig)
		hex_encode(sig, a->sig, 65);
	buf_append_byte(&nodes, '{');
	buf_append_byte(&passed, '{');
	buf_append_byte(&decided, '{');
	for (size_t i = 0; i < a->m; i++) {
		char h[41];
		hex_encode(h, a->nodes[i], 20);
		buf_printf(&nodes, "%s%s", i ? "," : "", h);
		buf_printf(&passed, "%s%" PRIu64, i ? "," : "", a->passed[i]);
		buf_printf(&decided, "%s%" PRIu64, i ? "," : "", a->decided[i]);
	}
	buf_append_byte(&nodes, '}');
	buf_append_byte(&passed, '}');
	buf_append_byte(&decided, '}');
	const char *p[] = {ep, aud, source, ch, cnt, ev, a->has_sig ? sig : NULL, eb};
	if (!db_command(db, "BEGIN", 0, NULL, e, "saving the attestation"))
		goto out;
	begun = true;
	if (!db_command(db,
			"DELETE FROM attestation_counts WHERE epoch = $1 AND auditor = decode($2, "
			"'hex') AND source = $3",
			3, p, e, "saving the attestation") ||
	    !db_command(db,
			"DELETE FROM attestations WHERE epoch = $1 AND auditor = decode($2, 'hex') "
			"AND source = $3",
			3, p, e, "saving the attestation") ||
	    !db_command(db,
			"INSERT INTO attestations (epoch, auditor, committee_hash, counts_hash, "
			"evidence_root, signature, source, evidence_blob) VALUES ($1, decode($2, "
			"'hex'), decode($4, 'hex'), decode($5, 'hex'), decode($6, 'hex'), decode($7, "
			"'hex'), $3, decode($8, 'hex'))",
			8, p, e, "saving the attestation"))
		goto out;
	const char *q[] = {ep, aud, source, buf_cstr(&nodes), buf_cstr(&passed), buf_cstr(&decided)};
	if (!db_command(db,
			"INSERT INTO attestation_counts (epoch, auditor, source, node_id, passed, "
			"decided, position) SELECT $1, decode($2, 'hex'), $3, decode(t.n, 'hex'), t.p, "
			"t.d, t.o - 1 FROM unnest($4::text[], $5::bigint[], $6::bigint[]) "
			"WITH ORDINALITY AS t(n, p, d, o)",
			6, q, e, "saving the attestation's counts") ||
	    !db_command(db, "COMMIT", 0, NULL, e, "saving the attestation"))
		goto out;
	begun = false;
	ok = true;
out:
	if (begun) {
		PGresult *r = PQexec(db->conn, "ROLLBACK");
		PQclear(r);
	}
	buf_free(&nodes);
	buf_free(&passed);
	buf_free(&decided);
	return ok;
}

bool db_settle_attestation_get(struct db *db, uint64_t epoch, const uint8_t auditor[20],
			       const char *source, struct db_settle_attestation *out, bool *found,
			       struct err *e)
{
	char ep[24], aud[41];
	snprintf(ep, sizeof(ep), "%" PRIu64, epoch);
	hex_encode(aud, auditor, 20);
	const char *p[] = {ep, aud, source};
	memset(out, 0, sizeof(*out));
	*found = false;
	PGresult *r = db_exec(db,
			      "SELECT encode(committee_hash, 'hex'), encode(counts_hash, 'hex'), "
			      "encode(evidence_root, 'hex'), coalesce(encode(signature, 'hex'), ''), "
			      "encode(evidence_blob, 'hex') "
			      "FROM attestations WHERE epoch = $1 AND auditor = decode($2, 'hex') "
			      "AND source = $3",
			      3, p, PGRES_TUPLES_OK, e, "reading the attestation");
	if (!r)
		return false;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return true;
	}
	out->epoch = epoch;
	memcpy(out->auditor, auditor, 20);
	bool ok = db_cell_hex(r, 0, 0, out->committee_hash, 32) &&
		  db_cell_hex(r, 0, 1, out->counts_hash, 32) && db_cell_hex(r, 0, 2, out->evidence_root, 32) &&
		  db_cell_hex(r, 0, 4, out->evidence_blob, 32);
	out->has_sig = PQgetvalue(r, 0, 3)[0] != 0;
	if (ok && out->has_sig)
		ok = db_cell_hex(r, 0, 3, out->sig, 65);
	PQclear(r);
	if (!ok)
		return err_set(e, "reading the attestation: a stored hash does not parse");
	/* Counts come back in committee order when it was saved (rows saved before positions
	 * were kept come after, by node): callers that need the order check it against the
	 * committee hash. */
	r = db_exec(db,
		    "SELECT encode(node_id, 'hex'), passed, decided FROM attestation_counts "
		    "WHERE epoch = $1 AND auditor = decode($2, 'hex') AND source = $3 "
		    "ORDER BY position NULLS LAST, node_id",
		    3, p, PGRES_TUPLES_OK, e, "reading the attestation's counts");
	if (!r)
		return false;
	size_t m = (size_t)PQntuples(r);
	out->m = m;
	out->nodes = xcalloc(m ? m : 1, 20);
	out->passed = xcalloc(m ? m : 1, sizeof(uint64_t));
	out->decided = xcalloc(m ? m : 1, sizeof(uint64_t));
	for (size_t i = 0; i < m; i++)
		if (!db_cell_hex(r, (int)i, 0, out->nodes[i], 20) ||
		    !db_cell_u64(r, (int)i, 1, &out->passed[i]) || !db_cell_u64(r, (int)i, 2, &out->decided[i])) {
			PQclear(r);
			db_settle_attestation_clear(out);
			return err_set(e, "reading the attestation's counts: a row does not parse");
		}
	PQclear(r);
	*found = true;
	return true;
}

bool db_settle_tx_by_purpose(struct db *db, const char *purpose, uint8_t hash[32],
			     char state[16], bool *found, struct err *e)
{
	const char *p[] = {purpose};
	PGresult *r = db_exec(db,
			      "SELECT encode(tx_hash, 'hex'), state FROM transactions WHERE purpose = $1 "
			      "ORDER BY (state IN ('replaced', 'failed', 'dropped')), id DESC LIMIT 1",
			      1, p, PGRES_TUPLES_OK, e, "looking up a transaction");
	if (!r)
		return false;
	*found = PQntuples(r) == 1;
	state[0] = 0;
	if (*found) {
		if (!db_cell_hex(r, 0, 0, hash, 32)) {
			PQclear(r);
			return err_set(e, "looking up a transaction: its hash does not parse");
		}
		snprintf(state, 16, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return true;
}

bool db_settle_stuck_count(struct db *db, const uint8_t sender[20], uint64_t age_s,
			   uint64_t *count, struct err *e)
{
	char aud[41], age[24];
	hex_encode(aud, sender, 20);
	snprintf(age, sizeof(age), "%" PRIu64, age_s);
	const char *p[] = {aud, age};
	PGresult *r = db_exec(db,
			      "SELECT count(*) FROM transactions WHERE sender = decode($1, 'hex') AND "
			      "state IN ('signed', 'broadcast') AND "
			      "created_at < now() - make_interval(secs => $2::bigint)",
			      2, p, PGRES_TUPLES_OK, e, "counting stuck transactions");
	if (!r)
		return false;
	bool ok = db_cell_u64(r, 0, 0, count);
	PQclear(r);
	return ok ? true : err_set(e, "counting stuck transactions: not a number");
}
