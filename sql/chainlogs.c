/* chainlogs.c: sql/chainlogs.h. */
#include "sql/chainlogs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/encoding.h"
#include "core/err.h"
#include "sql/db_internal.h"

#define EVENT "BlobCertified"

bool db_log_cursor_get(struct db *db, uint64_t chain_id, const uint8_t contract[20],
		       const char *event, bool *found, uint64_t *through, struct err *e)
{
	char cid[24], addr[41];
	snprintf(cid, sizeof(cid), "%" PRIu64, chain_id);
	hex_encode(addr, contract, 20);
	const char *p[] = {cid, addr, event};
	*found = false;
	*through = 0;
	PGresult *r = db_exec(db,
			      "SELECT through_block FROM chain_log_cursors WHERE chain_id = $1"
			      " AND contract = decode($2, 'hex') AND event = $3",
			      3, p, PGRES_TUPLES_OK, e, "reading the chain log cursor");
	if (!r)
		return false;
	bool ok = PQntuples(r) == 0 || db_cell_u64(r, 0, 0, through);
	*found = PQntuples(r) == 1;
	PQclear(r);
	return ok || err_set(e, "reading the chain log cursor: unexpected value");
}

bool db_log_cursor_begin(struct db *db, uint64_t chain_id, const uint8_t contract[20],
			 const char *event, bool found_prev, uint64_t prev, struct err *e)
{
	char cid[24], addr[41], pv[24];
	snprintf(cid, sizeof(cid), "%" PRIu64, chain_id);
	snprintf(pv, sizeof(pv), "%" PRIu64, prev);
	hex_encode(addr, contract, 20);
	if (!db_command(db, "BEGIN", 0, NULL, e, "keeping chain logs"))
		return false;
	const char *pl[] = {cid, addr, event};
	PGresult *r = db_exec(db,
			      "SELECT pg_advisory_xact_lock(hashtext($1 || ':' || $2 || ':' || $3))",
			      3, pl, PGRES_TUPLES_OK, e, "locking the chain log cursor");
	if (!r)
		goto out;
	PQclear(r);
	r = db_exec(db,
		    "SELECT through_block FROM chain_log_cursors WHERE chain_id = $1"
		    " AND contract = decode($2, 'hex') AND event = $3 FOR UPDATE",
		    3, pl, PGRES_TUPLES_OK, e, "locking the chain log cursor");
	if (!r)
		goto out;
	bool same = found_prev ? PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), pv)
			       : PQntuples(r) == 0;
	PQclear(r);
	if (same)
		return true;
	err_set(e, "the chain log cursor was moved by another reader");
out:
	db_log_cursor_abort(db);
	return false;
}

bool db_log_cursor_commit(struct db *db, uint64_t chain_id, const uint8_t contract[20],
			  const char *event, uint64_t through, struct err *e)
{
	char cid[24], addr[41], th[24];
	snprintf(cid, sizeof(cid), "%" PRIu64, chain_id);
	snprintf(th, sizeof(th), "%" PRIu64, through);
	hex_encode(addr, contract, 20);
	const char *pu[] = {cid, addr, event, th};
	if (db_command(db,
		       "INSERT INTO chain_log_cursors (chain_id, contract, event, through_block)"
		       " VALUES ($1, decode($2, 'hex'), $3, $4) ON CONFLICT (chain_id, contract, event)"
		       " DO UPDATE SET through_block = excluded.through_block, updated_at = now()",
		       4, pu, e, "moving the chain log cursor") &&
	    db_command(db, "COMMIT", 0, NULL, e, "keeping chain logs"))
		return true;
	db_log_cursor_abort(db);
	return false;
}

void db_log_cursor_abort(struct db *db)
{
	PQclear(PQexec(db->conn, "ROLLBACK"));
}

bool db_chainlogs_load(struct db *db, uint64_t chain_id, const uint8_t registry[20],
		       bool *found, uint64_t *through, uint8_t (**ids)[32], size_t *n,
		       struct err *e)
{
	char cid[24], reg[41];
	snprintf(cid, sizeof(cid), "%" PRIu64, chain_id);
	hex_encode(reg, registry, 20);
	const char *p[] = {cid, reg};
	*ids = NULL;
	*n = 0;
	if (!db_log_cursor_get(db, chain_id, registry, EVENT, found, through, e))
		return false;
	if (!*found)
		return true;
	PGresult *r = db_exec(db,
		    "SELECT encode(blob_id, 'hex') FROM certified_blob_ids WHERE chain_id = $1"
		    " AND registry = decode($2, 'hex') ORDER BY position",
		    2, p, PGRES_TUPLES_OK, e, "reading the certified blob ids");
	if (!r)
		return false;
	size_t rows = (size_t)PQntuples(r);
	uint8_t(*v)[32] = xcalloc(rows + 1, 32);
	for (size_t i = 0; i < rows; i++)
		if (!db_cell_hex(r, (int)i, 0, v[i], 32)) {
			free(v);
			PQclear(r);
			return err_set(e, "reading the certified blob ids: unexpected row %zu", i);
		}
	PQclear(r);
	*ids = v;
	*n = rows;
	return true;
}

bool db_chainlogs_append(struct db *db, uint64_t chain_id, const uint8_t registry[20],
			 bool found_prev, uint64_t prev, uint64_t through,
			 const uint8_t (*ids)[32], size_t n, struct err *e)
{
	char cid[24], reg[41], id[65];
	snprintf(cid, sizeof(cid), "%" PRIu64, chain_id);
	hex_encode(reg, registry, 20);
	if (!db_log_cursor_begin(db, chain_id, registry, EVENT, found_prev, prev, e))
		return false;
	for (size_t i = 0; i < n; i++) {
		hex_encode(id, ids[i], 32);
		const char *pi[] = {cid, reg, id};
		if (!db_command(db,
				"INSERT INTO certified_blob_ids (chain_id, registry, position, blob_id)"
				" SELECT $1, decode($2, 'hex'), coalesce(max(position) + 1, 0),"
				" decode($3, 'hex') FROM certified_blob_ids"
				" WHERE chain_id = $1 AND registry = decode($2, 'hex')",
				3, pi, e, "keeping a certified blob id")) {
			db_log_cursor_abort(db);
			return false;
		}
	}
	return db_log_cursor_commit(db, chain_id, registry, EVENT, through, e);
}
