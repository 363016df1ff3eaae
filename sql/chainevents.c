/* chainevents.c: sql/chainevents.h. */
#include "sql/chainevents.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/bindings.h"
#include "chain/rpc.h"
#include "core/encoding.h"
#include "core/err.h"
#include "sql/chainlogs.h"
#include "sql/db_internal.h"

#define ALL_EVENTS "*"

bool db_chainevents_cursor(struct db *db, uint64_t chain_id, const uint8_t contract[20],
			   bool *found, uint64_t *through, struct err *e)
{
	return db_log_cursor_get(db, chain_id, contract, ALL_EVENTS, found, through, e);
}

bool db_chainevents_append(struct db *db, uint64_t chain_id, const uint8_t contract[20],
			   bool found_prev, uint64_t prev, uint64_t through,
			   const struct chain_logs *logs, struct err *e)
{
	char cid[24], addr[41];
	snprintf(cid, sizeof(cid), "%" PRIu64, chain_id);
	hex_encode(addr, contract, 20);
	char *data = NULL;
	size_t data_cap = 0;
	if (!db_log_cursor_begin(db, chain_id, contract, ALL_EVENTS, found_prev, prev, e))
		return false;
	for (size_t i = 0; i < logs->n; i++) {
		const struct chain_log *l = &logs->v[i];
		char bn[24], li[24], bh[65], tx[65], t[4][65];
		const char *tp[4] = {NULL, NULL, NULL, NULL};
		snprintf(bn, sizeof(bn), "%" PRIu64, l->block_number);
		snprintf(li, sizeof(li), "%" PRIu64, l->log_index);
		hex_encode(bh, l->block_hash, 32);
		hex_encode(tx, l->tx_hash, 32);
		for (size_t k = 0; k < l->ntopics && k < 4; k++) {
			hex_encode(t[k], l->topics[k], 32);
			tp[k] = t[k];
		}
		if (2 * l->data_len + 1 > data_cap) {
			data_cap = 2 * l->data_len + 1;
			data = xrealloc(data, data_cap);
		}
		hex_encode(data, l->data, l->data_len);
		const char *pi[] = {cid, addr, bn, li, bh, tx, tp[0], tp[1], tp[2], tp[3], data};
		if (!db_command(db,
				"INSERT INTO chain_events (chain_id, contract, block_number, log_index,"
				" block_hash, tx_hash, topic0, topic1, topic2, topic3, data)"
				" VALUES ($1, decode($2, 'hex'), $3, $4, decode($5, 'hex'),"
				" decode($6, 'hex'), decode($7, 'hex'), decode($8, 'hex'),"
				" decode($9, 'hex'), decode($10, 'hex'), decode($11, 'hex'))",
				11, pi, e, "keeping a chain event")) {
			db_log_cursor_abort(db);
			free(data);
			return false;
		}
	}
	free(data);
	return db_log_cursor_commit(db, chain_id, contract, ALL_EVENTS, through, e);
}

bool db_chainevents_query(struct db *db, uint64_t chain_id, const uint8_t contract[20],
			  const uint8_t *const topics[3], uint64_t from, uint64_t to,
			  struct chain_logs *out, struct err *e)
{
	char cid[24], addr[41], fr[24], tb[24], t[3][65];
	const char *tp[3] = {NULL, NULL, NULL};
	snprintf(cid, sizeof(cid), "%" PRIu64, chain_id);
	snprintf(fr, sizeof(fr), "%" PRIu64, from);
	snprintf(tb, sizeof(tb), "%" PRIu64, to);
	hex_encode(addr, contract, 20);
	for (int k = 0; k < 3; k++)
		if (topics[k]) {
			hex_encode(t[k], topics[k], 32);
			tp[k] = t[k];
		}
	const char *p[] = {cid, addr, fr, tb, tp[0], tp[1], tp[2]};
	PGresult *r = db_exec(
		db,
		"SELECT block_number, log_index, encode(block_hash, 'hex'), encode(tx_hash, 'hex'),"
		" coalesce(encode(topic0, 'hex'), ''), coalesce(encode(topic1, 'hex'), ''),"
		" coalesce(encode(topic2, 'hex'), ''), coalesce(encode(topic3, 'hex'), ''),"
		" encode(data, 'hex') FROM chain_events"
		" WHERE chain_id = $1 AND contract = decode($2, 'hex')"
		" AND block_number BETWEEN $3 AND $4"
		" AND ($5::text IS NULL OR topic0 = decode($5, 'hex'))"
		" AND ($6::text IS NULL OR topic1 = decode($6, 'hex'))"
		" AND ($7::text IS NULL OR topic2 = decode($7, 'hex'))"
		" ORDER BY block_number, log_index",
		7, p, PGRES_TUPLES_OK, e, "reading kept chain events");
	if (!r)
		return false;
	size_t rows = (size_t)PQntuples(r);
	out->v = xrealloc(out->v, (out->n + rows + 1) * sizeof(*out->v));
	bool ok = true;
	for (size_t i = 0; i < rows && ok; i++) {
		struct chain_log *l = &out->v[out->n];
		memset(l, 0, sizeof(*l));
		memcpy(l->address, contract, 20);
		ok = db_cell_u64(r, (int)i, 0, &l->block_number) &&
		     db_cell_u64(r, (int)i, 1, &l->log_index) &&
		     db_cell_hex(r, (int)i, 2, l->block_hash, 32) &&
		     db_cell_hex(r, (int)i, 3, l->tx_hash, 32);
		for (int k = 0; ok && k < 4; k++) {
			const char *v = PQgetvalue(r, (int)i, 4 + k);
			if (!*v)
				break;
			ok = db_cell_hex(r, (int)i, 4 + k, l->topics[k], 32);
			l->ntopics = (size_t)k + 1;
		}
		const char *d = PQgetvalue(r, (int)i, 8);
		size_t dl = strlen(d) / 2;
		l->data = xmalloc(dl + 1);
		l->data_len = dl;
		ok = ok && hex_decode_exact(l->data, dl, d, NULL);
		out->n++; /* counted even when bad, so the caller's clear frees its data */
	}
	PQclear(r);
	return ok || err_set(e, "reading kept chain events: unexpected row");
}

static bool st_cursor(void *ctx, uint64_t chain_id, const uint8_t contract[20], bool *found,
		      uint64_t *through, struct err *e)
{
	return db_chainevents_cursor(ctx, chain_id, contract, found, through, e);
}

static bool st_append(void *ctx, uint64_t chain_id, const uint8_t contract[20],
		      bool found_prev, uint64_t prev, uint64_t through,
		      const struct chain_logs *logs, struct err *e)
{
	return db_chainevents_append(ctx, chain_id, contract, found_prev, prev, through, logs, e);
}

static bool st_query(void *ctx, uint64_t chain_id, const uint8_t contract[20],
		     const uint8_t *const topics[3], uint64_t from, uint64_t to,
		     struct chain_logs *out, struct err *e)
{
	return db_chainevents_query(ctx, chain_id, contract, topics, from, to, out, e);
}

void db_chainevents_store(struct db *db, struct chain_event_store *out)
{
	*out = (struct chain_event_store){db, st_cursor, st_append, st_query};
}
