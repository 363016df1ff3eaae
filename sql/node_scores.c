/* node_scores.c: the NodeScored cache (see node_scores.h). Byte strings travel as hex. */
#include "sql/node_scores.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/encoding.h"
#include "core/err.h"
#include "sql/db_internal.h"

static bool decimal(const char *s)
{
	size_t n = strlen(s);
	return n > 0 && n < DB_AMOUNT_LEN && strspn(s, "0123456789") == n;
}

bool db_node_scores_save(struct db *db, const struct db_node_score *v, size_t n, struct err *e)
{
	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!decimal(v[i].median_score) || !decimal(v[i].reward) || !decimal(v[i].slashed))
			return err_set(e, "saving node scores: an amount is not a decimal number");
	if (!db_command(db, "BEGIN", 0, NULL, e, "saving node scores"))
		return false;
	for (size_t i = 0; i < n; i++) {
		char ep[24], nd[41], tx[65];
		snprintf(ep, sizeof(ep), "%" PRIu64, v[i].epoch);
		hex_encode(nd, v[i].node, 20);
		hex_encode(tx, v[i].tx_hash, 32);
		const char *p[] = {ep, nd, v[i].median_score, v[i].reward,
				   v[i].penalized ? "true" : "false", v[i].slashed, tx};
		if (!db_command(db,
				"INSERT INTO node_scores (epoch, node_id, median_score, reward, penalized,"
				"  slashed, tx_hash)"
				" VALUES ($1::bigint, decode($2, 'hex'), $3::numeric, $4::numeric,"
				"  $5::boolean, $6::numeric, decode($7, 'hex'))"
				" ON CONFLICT (epoch, node_id) DO UPDATE SET median_score = EXCLUDED.median_score,"
				"  reward = EXCLUDED.reward, penalized = EXCLUDED.penalized,"
				"  slashed = EXCLUDED.slashed, tx_hash = EXCLUDED.tx_hash, read_at = now()",
				7, p, e, "saving node scores")) {
			struct err ignored;
			if (!db_command(db, "ROLLBACK", 0, NULL, &ignored, "rolling back"))
				(void)0; /* the connection is broken: the first error says why */
			return false;
		}
	}
	return db_command(db, "COMMIT", 0, NULL, e, "saving node scores");
}

bool db_node_scores_get(struct db *db, const uint8_t node[20], uint64_t from, uint64_t to,
			struct db_node_score **out, size_t *n, struct err *e)
{
	char nd[41], f[24], t[24];
	hex_encode(nd, node, 20);
	snprintf(f, sizeof(f), "%" PRIu64, from);
	snprintf(t, sizeof(t), "%" PRIu64, to);
	const char *p[] = {nd, f, t};
	*out = NULL;
	*n = 0;
	PGresult *r = db_exec(db,
			      "SELECT epoch, median_score::text, reward::text, penalized, slashed::text,"
			      "  encode(tx_hash, 'hex') FROM node_scores"
			      " WHERE node_id = decode($1, 'hex') AND epoch BETWEEN $2::bigint AND $3::bigint"
			      " ORDER BY epoch",
			      3, p, PGRES_TUPLES_OK, e, "reading node scores");
	if (!r)
		return false;
	int rows = PQntuples(r);
	struct db_node_score *v = xcalloc(rows ? (size_t)rows : 1, sizeof(*v));
	for (int i = 0; i < rows; i++) {
		memcpy(v[i].node, node, 20);
		if (!db_cell_u64(r, i, 0, &v[i].epoch) || !db_cell_hex(r, i, 5, v[i].tx_hash, 32) ||
		    strlen(PQgetvalue(r, i, 1)) >= DB_AMOUNT_LEN ||
		    strlen(PQgetvalue(r, i, 2)) >= DB_AMOUNT_LEN ||
		    strlen(PQgetvalue(r, i, 4)) >= DB_AMOUNT_LEN) {
			PQclear(r);
			free(v);
			return err_set(e, "reading node scores: a row does not parse");
		}
		snprintf(v[i].median_score, DB_AMOUNT_LEN, "%s", PQgetvalue(r, i, 1));
		snprintf(v[i].reward, DB_AMOUNT_LEN, "%s", PQgetvalue(r, i, 2));
		v[i].penalized = !strcmp(PQgetvalue(r, i, 3), "t");
		snprintf(v[i].slashed, DB_AMOUNT_LEN, "%s", PQgetvalue(r, i, 4));
	}
	PQclear(r);
	*out = v;
	*n = (size_t)rows;
	return true;
}
