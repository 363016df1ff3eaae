/* api.c: the read-only queries of the HTTP API. Parameters only; PQclear on every path. */
#include "sql/api.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/encoding.h"
#include "core/err.h"
#include "sql/db_internal.h"

/* ---- reading result cells (text format) ---- */

static bool cell_i64(const PGresult *r, int row, int col, int64_t *v)
{
	const char *s = PQgetvalue(r, row, col);
	bool neg = s[0] == '-';
	uint64_t u;
	if (!db_cell_u64(r, row, col, &u) && !(neg && s[1] >= '0' && s[1] <= '9' && parse_u64(s + 1, &u)))
		return false;
	if (u > (uint64_t)INT64_MAX)
		return false;
	*v = neg ? -(int64_t)u : (int64_t)u;
	return true;
}

static void cell_text(const PGresult *r, int row, int col, char *out, size_t n)
{
	snprintf(out, n, "%s", PQgetvalue(r, row, col));
}

/* Every row of res into a new array of `size`-byte elements, row i filled by
 * fill(res, i, element); res is cleared either way. A row that fill refuses is an error. */
static bool read_rows(PGresult *res, size_t size,
		      bool (*fill)(const PGresult *res, int row, void *elem), void **out,
		      size_t *n, struct err *e, const char *what)
{
	int rows = PQntuples(res);
	unsigned char *v = xcalloc((size_t)rows + 1, size);
	for (int i = 0; i < rows; i++)
		if (!fill(res, i, v + (size_t)i * size)) {
			free(v);
			PQclear(res);
			return err_set(e, "%s: the database returned a value out of range", what);
		}
	PQclear(res);
	*out = v;
	*n = (size_t)rows;
	return true;
}

static void u64_text(char out[24], uint64_t v)
{
	snprintf(out, 24, "%" PRIu64, v);
}

static void hex_param(char out[2 * 32 + 3], const uint8_t *bytes, size_t len)
{
	out[0] = '\\';
	out[1] = 'x';
	hex_encode(out + 2, bytes, len);
}

bool db_api_session_setup(struct db *db, uint64_t timeout_ms, struct err *e)
{
	char t[24];
	u64_text(t, timeout_ms);
	const char *p[] = {t};
	PGresult *res = db_exec(db,
				"SELECT set_config('statement_timeout', $1, false),"
				"  set_config('default_transaction_read_only', 'on', false)",
				1, p, PGRES_TUPLES_OK, e, "setting up the API's session");
	PQclear(res);
	return res != NULL;
}

/* ---- epochs ---- */

static bool epoch_row(const PGresult *res, int i, void *elem)
{
	struct db_api_epoch *x = elem;
	bool ok = db_cell_u64(res, i, 0, &x->epoch);
	if ((x->has_start = !PQgetisnull(res, i, 1)))
		ok = ok && cell_i64(res, i, 1, &x->start_unix);
	if ((x->has_end = !PQgetisnull(res, i, 2)))
		ok = ok && cell_i64(res, i, 2, &x->end_unix);
	if ((x->has_seed_block = !PQgetisnull(res, i, 3)))
		ok = ok && db_cell_u64(res, i, 3, &x->seed_block);
	if ((x->has_seed = !PQgetisnull(res, i, 4)))
		ok = ok && db_cell_hex(res, i, 4, x->seed, 32);
	if ((x->has_chain_state = !PQgetisnull(res, i, 5)))
		cell_text(res, i, 5, x->chain_state, sizeof(x->chain_state));
	return ok;
}

bool db_api_epochs(struct db *db, bool has_after, uint64_t after, size_t limit,
		   struct db_api_epoch **out, size_t *n, struct err *e)
{
	const char *what = "reading epochs";
	char a[24], l[24];
	u64_text(a, after);
	u64_text(l, limit);
	const char *p[] = {has_after ? a : NULL, l};
	PGresult *res = db_exec(
		db,
		"SELECT epoch, extract(epoch FROM start_time)::bigint, extract(epoch FROM end_time)::bigint,"
		"  seed_block, encode(seed, 'hex'), chain_state"
		" FROM epochs WHERE ($1::bigint IS NULL OR epoch > $1::bigint)"
		" ORDER BY epoch LIMIT $2::bigint",
		2, p, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), epoch_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}

static bool progress_row(const PGresult *res, int i, void *elem)
{
	struct db_api_progress *x = elem;
	cell_text(res, i, 2, x->state, sizeof(x->state));
	return db_cell_u64(res, i, 0, &x->epoch) && db_cell_hex(res, i, 1, x->auditor, 20) &&
	       cell_i64(res, i, 3, &x->updated_unix);
}

bool db_api_progress(struct db *db, uint64_t from, uint64_t to, struct db_api_progress **out,
		     size_t *n, struct err *e)
{
	const char *what = "reading epoch progress";
	char f[24], t[24];
	u64_text(f, from);
	u64_text(t, to);
	const char *p[] = {f, t};
	PGresult *res = db_exec(db,
				"SELECT epoch, encode(auditor, 'hex'), state,"
				"  extract(epoch FROM updated_at)::bigint"
				" FROM epoch_progress WHERE epoch BETWEEN $1::bigint AND $2::bigint"
				" ORDER BY epoch, auditor",
				2, p, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), progress_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}

static bool attestation_row(const PGresult *res, int i, void *elem)
{
	struct db_api_attestation *x = elem;
	bool ok = db_cell_u64(res, i, 0, &x->epoch) && db_cell_hex(res, i, 1, x->auditor, 20) &&
		  db_cell_hex(res, i, 3, x->committee_hash, 32) &&
		  db_cell_hex(res, i, 4, x->counts_hash, 32) &&
		  db_cell_hex(res, i, 5, x->evidence_root, 32) &&
		  cell_i64(res, i, 7, &x->created_unix) && db_cell_u64(res, i, 8, &x->nodes) &&
		  db_cell_u64(res, i, 9, &x->passed) && db_cell_u64(res, i, 10, &x->decided) &&
		  db_cell_hex(res, i, 11, x->evidence_blob, 32);
	cell_text(res, i, 2, x->source, sizeof(x->source));
	if ((x->has_sig = !PQgetisnull(res, i, 6)))
		ok = ok && db_cell_hex(res, i, 6, x->sig, 65);
	return ok;
}

bool db_api_attestations(struct db *db, uint64_t from, uint64_t to,
			 struct db_api_attestation **out, size_t *n, struct err *e)
{
	const char *what = "reading attestations";
	char f[24], t[24];
	u64_text(f, from);
	u64_text(t, to);
	const char *p[] = {f, t};
	PGresult *res = db_exec(
		db,
		"SELECT a.epoch, encode(a.auditor, 'hex'), a.source, encode(a.committee_hash, 'hex'),"
		"  encode(a.counts_hash, 'hex'), encode(a.evidence_root, 'hex'),"
		"  encode(a.signature, 'hex'), extract(epoch FROM a.created_at)::bigint,"
		"  count(c.node_id), coalesce(sum(c.passed), 0), coalesce(sum(c.decided), 0),"
		"  encode(a.evidence_blob, 'hex')"
		" FROM attestations a LEFT JOIN attestation_counts c"
		"  ON c.epoch = a.epoch AND c.auditor = a.auditor AND c.source = a.source"
		" WHERE a.epoch BETWEEN $1::bigint AND $2::bigint"
		" GROUP BY a.epoch, a.auditor, a.source"
		" ORDER BY a.epoch, a.auditor, a.source",
		2, p, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), attestation_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}

static bool count_row(const PGresult *res, int i, void *elem)
{
	struct db_api_count *x = elem;
	cell_text(res, i, 2, x->source, sizeof(x->source));
	return db_cell_u64(res, i, 0, &x->epoch) && db_cell_hex(res, i, 1, x->auditor, 20) &&
	       db_cell_hex(res, i, 3, x->node, 20) && db_cell_u64(res, i, 4, &x->passed) &&
	       db_cell_u64(res, i, 5, &x->decided);
}

bool db_api_epoch_counts(struct db *db, uint64_t epoch, struct db_api_count **out, size_t *n,
			 struct err *e)
{
	const char *what = "reading attestation counts";
	char ep[24];
	u64_text(ep, epoch);
	const char *p[] = {ep};
	PGresult *res = db_exec(db,
				"SELECT epoch, encode(auditor, 'hex'), source, encode(node_id, 'hex'),"
				"  passed, decided FROM attestation_counts WHERE epoch = $1::bigint"
				" ORDER BY auditor, source, node_id",
				1, p, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), count_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}

bool db_api_node_counts(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			struct db_api_count **out, size_t *n, struct err *e)
{
	const char *what = "reading a node's attestation counts";
	char nd[2 * 32 + 3], f[24], t[24];
	hex_param(nd, node, 20);
	u64_text(f, from);
	u64_text(t, to);
	const char *p[] = {nd, f, t};
	PGresult *res = db_exec(db,
				"SELECT epoch, encode(auditor, 'hex'), source, encode(node_id, 'hex'),"
				"  passed, decided FROM attestation_counts"
				" WHERE node_id = $1::bytea AND epoch BETWEEN $2::bigint AND $3::bigint"
				" ORDER BY epoch, auditor, source",
				3, p, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), count_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}

static bool u64_row(const PGresult *res, int i, void *elem)
{
	return db_cell_u64(res, i, 0, elem);
}

bool db_api_node_epochs(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			size_t limit, uint64_t **out, size_t *n, struct err *e)
{
	const char *what = "reading a node's epochs";
	char nd[2 * 32 + 3], f[24], t[24], l[24];
	hex_param(nd, node, 20);
	u64_text(f, from);
	u64_text(t, to);
	u64_text(l, limit);
	const char *p[] = {nd, f, t, l};
	PGresult *res = db_exec(
		db,
		"SELECT epoch FROM ("
		"  SELECT epoch FROM attestation_counts"
		"   WHERE node_id = $1::bytea AND epoch BETWEEN $2::bigint AND $3::bigint"
		"  UNION"
		"  SELECT epoch FROM challenges"
		"   WHERE node_id = $1::bytea AND epoch BETWEEN $2::bigint AND $3::bigint"
		"  UNION"
		"  SELECT epoch FROM node_scores"
		"   WHERE node_id = $1::bytea AND epoch BETWEEN $2::bigint AND $3::bigint) u"
		" ORDER BY epoch LIMIT $4::bigint",
		4, p, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), u64_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}

static bool tally_row(const PGresult *res, int i, void *elem)
{
	struct db_api_tally *x = elem;
	return db_cell_u64(res, i, 0, &x->epoch) && db_cell_hex(res, i, 1, x->auditor, 20) &&
	       db_cell_u64(res, i, 2, &x->passed) && db_cell_u64(res, i, 3, &x->decided) &&
	       db_cell_u64(res, i, 4, &x->auditor_errors);
}

bool db_api_node_tallies(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			 struct db_api_tally **out, size_t *n, struct err *e)
{
	const char *what = "reading a node's challenge records";
	char nd[2 * 32 + 3], f[24], t[24];
	hex_param(nd, node, 20);
	u64_text(f, from);
	u64_text(t, to);
	const char *p[] = {nd, f, t};
	/* The decided record of a seq is its last attempt; all attempts name the same node. */
	PGresult *res = db_exec(
		db,
		"SELECT epoch, encode(auditor, 'hex'),"
		"  count(*) FILTER (WHERE outcome = 'pass'),"
		"  count(*) FILTER (WHERE outcome <> 'auditor_error'),"
		"  count(*) FILTER (WHERE outcome = 'auditor_error')"
		" FROM (SELECT DISTINCT ON (epoch, auditor, seq) epoch, auditor, outcome"
		"   FROM challenges"
		"   WHERE node_id = $1::bytea AND epoch BETWEEN $2::bigint AND $3::bigint"
		"   ORDER BY epoch, auditor, seq, attempt DESC) d"
		" GROUP BY epoch, auditor ORDER BY epoch, auditor",
		3, p, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), tally_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}

static bool tx_row(const PGresult *res, int i, void *elem)
{
	struct db_api_tx *x = elem;
	bool ok = db_cell_u64(res, i, 0, &x->epoch) && db_cell_hex(res, i, 2, x->hash, 32);
	cell_text(res, i, 1, x->purpose, sizeof(x->purpose));
	cell_text(res, i, 3, x->state, sizeof(x->state));
	if ((x->has_block = !PQgetisnull(res, i, 4)))
		ok = ok && db_cell_u64(res, i, 4, &x->block);
	return ok;
}

bool db_api_epoch_txs(struct db *db, uint64_t from, uint64_t to, struct db_api_tx **out,
		      size_t *n, struct err *e)
{
	const char *what = "reading settlement transactions";
	char f[24], t[24];
	u64_text(f, from);
	u64_text(t, to);
	const char *p[] = {f, t};
	/* The epoch number inside the purpose; at most 18 digits so the cast cannot fail. */
	PGresult *res = db_exec(
		db,
		"SELECT ep, purpose, encode(tx_hash, 'hex'), state, block_number FROM ("
		"  SELECT substring(purpose FROM 'epoch[ =]([0-9]{1,18})([^0-9]|$)')::bigint AS ep,"
		"    purpose, tx_hash, state, block_number, id FROM transactions"
		"  WHERE state <> 'replaced') t"
		" WHERE ep BETWEEN $1::bigint AND $2::bigint ORDER BY ep, id",
		2, p, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), tx_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}

static bool address_row(const PGresult *res, int i, void *elem)
{
	return db_cell_hex(res, i, 0, elem, 20);
}

bool db_api_record_auditors(struct db *db, uint64_t epoch, uint8_t (**out)[20], size_t *n,
			    struct err *e)
{
	const char *what = "reading the epoch's auditors";
	char ep[24];
	u64_text(ep, epoch);
	const char *p[] = {ep};
	PGresult *res = db_exec(db,
				"SELECT DISTINCT encode(auditor, 'hex') FROM challenges"
				" WHERE epoch = $1::bigint ORDER BY 1",
				1, p, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), address_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}


/* ---- for the pages ---- */

static bool total_row(const PGresult *res, int i, void *elem)
{
	struct db_api_epoch_total *x = elem;
	cell_text(res, i, 3, x->reward, sizeof(x->reward));
	cell_text(res, i, 4, x->slashed, sizeof(x->slashed));
	return db_cell_u64(res, i, 0, &x->epoch) && db_cell_u64(res, i, 1, &x->nodes) &&
	       db_cell_u64(res, i, 2, &x->penalized);
}

bool db_api_epoch_totals(struct db *db, uint64_t from, uint64_t to,
			 struct db_api_epoch_total **out, size_t *n, struct err *e)
{
	const char *what = "reading epoch totals";
	char f[24], t[24];
	u64_text(f, from);
	u64_text(t, to);
	const char *p[] = {f, t};
	PGresult *res = db_exec(db,
				"SELECT epoch, count(*), count(*) FILTER (WHERE penalized),"
				"  sum(reward)::text, sum(slashed)::text"
				" FROM node_scores WHERE epoch BETWEEN $1::bigint AND $2::bigint"
				" GROUP BY epoch ORDER BY epoch",
				2, p, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), total_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}

static bool member_row(const PGresult *res, int i, void *elem)
{
	struct db_api_member *x = elem;
	x->has_score = !PQgetisnull(res, i, 5);
	if (x->has_score) {
		cell_text(res, i, 5, x->median, sizeof(x->median));
		cell_text(res, i, 6, x->reward, sizeof(x->reward));
		cell_text(res, i, 7, x->slashed, sizeof(x->slashed));
		x->penalized = PQgetvalue(res, i, 8)[0] == 't';
	}
	if (!PQgetisnull(res, i, 1) && !db_cell_u64(res, i, 1, &x->scored_epoch))
		return false;
	return db_cell_u64(res, i, 0, &x->epoch) && db_cell_u64(res, i, 2, &x->position) &&
	       db_cell_hex(res, i, 3, x->node, 20) && db_cell_u64(res, i, 4, &x->shards);
}

bool db_api_members(struct db *db, struct db_api_member **out, size_t *n, struct err *e)
{
	const char *what = "reading the committee";
	PGresult *res = db_exec(
		db,
		"WITH ce AS (SELECT max(epoch) AS e FROM committee_members),"
		"  se AS (SELECT max(epoch) AS e FROM node_scores)"
		" SELECT m.epoch, se.e, m.position, encode(m.node_id, 'hex'), m.shard_count,"
		"  s.median_score::text, s.reward::text, s.slashed::text, s.penalized"
		" FROM ce CROSS JOIN se JOIN committee_members m ON m.epoch = ce.e"
		" LEFT JOIN node_scores s ON s.epoch = se.e AND s.node_id = m.node_id"
		" ORDER BY m.position",
		0, NULL, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), member_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}

static bool outcome_row(const PGresult *res, int i, void *elem)
{
	struct db_api_outcome *x = elem;
	cell_text(res, i, 2, x->outcome, sizeof(x->outcome));
	return db_cell_u64(res, i, 0, &x->epoch) && db_cell_hex(res, i, 1, x->auditor, 20) &&
	       db_cell_u64(res, i, 3, &x->count);
}

bool db_api_node_outcomes(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			  struct db_api_outcome **out, size_t *n, struct err *e)
{
	const char *what = "reading challenge outcomes";
	char nd[2 * 32 + 3], f[24], t[24];
	hex_param(nd, node, 20);
	u64_text(f, from);
	u64_text(t, to);
	const char *p[] = {nd, f, t};
	PGresult *res = db_exec(
		db,
		"SELECT epoch, encode(auditor, 'hex'), outcome, count(*) FROM ("
		"  SELECT DISTINCT ON (epoch, auditor, seq) epoch, auditor, outcome FROM challenges"
		"  WHERE node_id = $1::bytea AND epoch BETWEEN $2::bigint AND $3::bigint"
		"  ORDER BY epoch, auditor, seq, attempt DESC) d"
		" GROUP BY 1, 2, 3 ORDER BY 1, 2, 3",
		3, p, PGRES_TUPLES_OK, e, what);
	void *v = NULL;
	if (!res || !read_rows(res, sizeof(**out), outcome_row, &v, n, e, what))
		return false;
	*out = v;
	return true;
}
