/* chaincache.c: the chain cache in PostgreSQL (see chaincache.h). */
#include "sql/chaincache.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/reader.h"
#include "core/encoding.h"
#include "core/err.h"
#include "sql/db_internal.h"

/* bytea parameters travel as text in the hex form "\x…". */
struct hexparam {
	char s[2 + 64 + 1];
};

static const char *bytea(struct hexparam *p, const uint8_t *data, size_t len)
{
	p->s[0] = '\\';
	p->s[1] = 'x';
	hex_encode(p->s + 2, data, len);
	return p->s;
}

struct numparam {
	char s[24];
};

static const char *num(struct numparam *p, uint64_t v)
{
	snprintf(p->s, sizeof(p->s), "%" PRIu64, v);
	return p->s;
}

static bool store_nodes(struct db *db, const struct chain_epoch_view *v, struct err *e)
{
	for (size_t i = 0; i < v->nnodes; i++) {
		const struct chain_audit_node *n = &v->nodes[i];
		struct hexparam id, key;
		struct numparam bps;
		const char *p[] = {bytea(&id, n->id, 20), bytea(&key, n->node_key, 20),
				   n->endpoint ? n->endpoint : "", num(&bps, n->commission_bps)};
		if (!db_command(db,
				"INSERT INTO nodes (node_id, node_key, endpoint, commission_bps, source)"
				" VALUES ($1, $2, $3, $4, 'chain') ON CONFLICT (node_id) DO UPDATE SET"
				" node_key = EXCLUDED.node_key, endpoint = EXCLUDED.endpoint,"
				" commission_bps = EXCLUDED.commission_bps, source = 'chain',"
				" updated_at = now()",
				4, p, e, "caching a node"))
			return false;
	}
	return true;
}

static bool store_epoch(struct db *db, const struct chain_epoch_view *v, struct err *e)
{
	struct numparam ep, start, end, sb, dur, src, blk;
	struct hexparam seed, ch;
	const char *p[] = {num(&ep, v->epoch),
			   num(&start, v->info.start_time),
			   v->end_time ? num(&end, v->end_time) : NULL,
			   num(&sb, v->info.seed_block),
			   v->info.seed_source ? bytea(&seed, v->info.seed, 32) : NULL,
			   v->end_time ? "ended" : "running",
			   num(&dur, v->info.duration),
			   num(&src, v->info.seed_source),
			   bytea(&ch, v->info.committee_hash, 32),
			   num(&blk, v->as_of_block)};
	return db_command(db,
			  "INSERT INTO epochs (epoch, start_time, end_time, seed_block, seed,"
			  " chain_state, duration_s, seed_source, committee_hash, read_at_block)"
			  " VALUES ($1, to_timestamp($2::bigint), to_timestamp($3::bigint), $4, $5,"
			  " $6, $7, $8, $9, $10) ON CONFLICT (epoch) DO UPDATE SET"
			  " start_time = EXCLUDED.start_time, end_time = EXCLUDED.end_time,"
			  " seed_block = EXCLUDED.seed_block, seed = EXCLUDED.seed,"
			  " chain_state = EXCLUDED.chain_state, duration_s = EXCLUDED.duration_s,"
			  " seed_source = EXCLUDED.seed_source,"
			  " committee_hash = EXCLUDED.committee_hash,"
			  " read_at_block = EXCLUDED.read_at_block, updated_at = now()",
			  10, p, e, "caching an epoch");
}

static bool store_committee(struct db *db, const struct chain_epoch_view *v, struct err *e)
{
	struct numparam ep;
	const char *pe[] = {num(&ep, v->epoch)};
	if (!db_command(db, "DELETE FROM committee_members WHERE epoch = $1", 1, pe, e,
			"replacing a cached committee") ||
	    !db_command(db, "DELETE FROM shard_assignments WHERE epoch = $1", 1, pe, e,
			"replacing cached shards"))
		return false;
	for (size_t i = 0; i < v->nnodes; i++) {
		struct numparam pos, cnt;
		struct hexparam id;
		const char *p[] = {ep.s, num(&pos, i), bytea(&id, v->nodes[i].id, 20),
				   num(&cnt, v->nodes[i].shard_count)};
		if (!db_command(db,
				"INSERT INTO committee_members (epoch, position, node_id, shard_count)"
				" VALUES ($1, $2, $3, $4)",
				4, p, e, "caching a committee member"))
			return false;
	}
	for (uint32_t s = 0; v->nnodes && s < v->n_shards; s++) {
		struct numparam sh;
		struct hexparam id;
		const char *p[] = {ep.s, num(&sh, s), bytea(&id, v->nodes[v->shard_owner[s]].id, 20),
				   v->in_grace[s] ? "true" : "false"};
		if (!db_command(db,
				"INSERT INTO shard_assignments (epoch, shard, node_id, in_grace)"
				" VALUES ($1, $2, $3, $4)",
				4, p, e, "caching a shard assignment"))
			return false;
	}
	return true;
}

static bool store_blobs(struct db *db, uint32_t n_shards, const struct chain_audit_blob *b,
			size_t nb, struct err *e)
{
	for (size_t i = 0; i < nb; i++) {
		struct hexparam id;
		struct numparam len, enc, n, end, ce, cb, start;
		const char *p[] = {bytea(&id, b[i].id, 32),	  num(&len, b[i].unencoded_length),
				   num(&enc, b[i].encoding_type), num(&n, n_shards),
				   num(&end, b[i].end_epoch),	  num(&ce, b[i].certified_epoch),
				   num(&cb, b[i].certified_block), num(&start, b[i].start_epoch)};
		if (!db_command(db,
				"INSERT INTO blobs (blob_id, unencoded_length, encoding_type, n_shards,"
				" end_epoch, certified_epoch, certified_block, start_epoch)"
				" VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (blob_id) DO"
				" UPDATE SET unencoded_length = EXCLUDED.unencoded_length,"
				" encoding_type = EXCLUDED.encoding_type, n_shards = EXCLUDED.n_shards,"
				" end_epoch = EXCLUDED.end_epoch,"
				" certified_epoch = EXCLUDED.certified_epoch,"
				" certified_block = EXCLUDED.certified_block,"
				" start_epoch = EXCLUDED.start_epoch, updated_at = now()",
				8, p, e, "caching a blob"))
			return false;
	}
	return true;
}

bool db_chaincache_store(struct db *db, const struct chain_epoch_view *v,
			 const struct chain_audit_blob *blobs, size_t nblobs, struct err *e)
{
	if (!db_command(db, "BEGIN", 0, NULL, e, "starting to cache chain state"))
		return false;
	if (store_nodes(db, v, e) && store_epoch(db, v, e) && store_committee(db, v, e) &&
	    store_blobs(db, v->n_shards, blobs, nblobs, e) &&
	    db_command(db, "COMMIT", 0, NULL, e, "committing cached chain state"))
		return true;
	struct err ignored;
	if (!db_command(db, "ROLLBACK", 0, NULL, &ignored, "rolling back"))
		(void)0; /* the connection is broken: the first error says why */
	return false;
}

bool db_chaincache_epoch_refresh(struct db *db, const struct chain_epoch_view *v, struct err *e)
{
	/* An UPDATE only: a row that db_chaincache_load would take for a whole cached epoch
	 * (read_at_block set) is never made without its committee and blobs. */
	struct numparam ep, end, sb, blk;
	struct hexparam seed, ch;
	const char *p[] = {num(&ep, v->epoch),
			   v->end_time ? num(&end, v->end_time) : NULL,
			   num(&sb, v->info.seed_block),
			   v->info.seed_source ? bytea(&seed, v->info.seed, 32) : NULL,
			   v->end_time ? "ended" : "running",
			   bytea(&ch, v->info.committee_hash, 32),
			   num(&blk, v->as_of_block)};
	return db_command(db,
			  "UPDATE epochs SET end_time = to_timestamp($2::bigint), seed_block = $3,"
			  " seed = coalesce($4, seed), chain_state = $5, committee_hash = $6,"
			  " read_at_block = greatest(read_at_block, $7::bigint), updated_at = now()"
			  " WHERE epoch = $1 AND read_at_block IS NOT NULL",
			  7, p, e, "refreshing a cached epoch");
}

static bool parse_u64_field(const PGresult *r, int row, int col, uint64_t *out)
{
	if (PQgetisnull(r, row, col)) {
		*out = 0;
		return true;
	}
	return parse_u64(PQgetvalue(r, row, col), out);
}

bool db_chaincache_load(struct db *db, uint64_t epoch, uint32_t n_shards,
			struct chain_epoch_view *v, struct chain_audit_blob **blobs, size_t *nblobs,
			bool *found, struct err *e)
{
	bool ok = false;
	PGresult *r = NULL;
	struct numparam ep;
	const char *pe[] = {num(&ep, epoch)};
	memset(v, 0, sizeof(*v));
	*blobs = NULL;
	*nblobs = 0;
	*found = false;
	r = db_exec(db,
		    "SELECT extract(epoch FROM start_time)::bigint, extract(epoch FROM end_time)::bigint,"
		    " seed_block, seed, duration_s, seed_source, committee_hash, read_at_block"
		    " FROM epochs WHERE epoch = $1 AND read_at_block IS NOT NULL",
		    1, pe, PGRES_TUPLES_OK, e, "loading a cached epoch");
	if (!r)
		return false;
	if (PQntuples(r) == 0) {
		ok = true;
		goto out;
	}
	uint64_t src;
	v->epoch = epoch;
	v->current_epoch = epoch;
	v->n_shards = n_shards;
	v->info.epoch = epoch;
	if (!parse_u64_field(r, 0, 0, &v->info.start_time) ||
	    !parse_u64_field(r, 0, 1, &v->end_time) ||
	    !parse_u64_field(r, 0, 2, &v->info.seed_block) ||
	    !parse_u64_field(r, 0, 4, &v->info.duration) || !parse_u64_field(r, 0, 5, &src) ||
	    !parse_u64_field(r, 0, 7, &v->as_of_block) || src > 3 ||
	    !db_cell_bytea(r, 0, 6, v->info.committee_hash, 32) ||
	    (src && !db_cell_bytea(r, 0, 3, v->info.seed, 32))) {
		err_set(e, "the cached epoch %" PRIu64 " row is malformed", epoch);
		goto out;
	}
	v->info.seed_source = (uint8_t)src;
	v->seed_final = src != 0 && v->info.seed_block <= v->as_of_block;
	PQclear(r);

	r = db_exec(db,
		    "SELECT c.node_id, c.shard_count, n.node_key, n.endpoint,"
		    " coalesce(n.commission_bps, 0) FROM committee_members c"
		    " JOIN nodes n USING (node_id) WHERE c.epoch = $1 ORDER BY c.position",
		    1, pe, PGRES_TUPLES_OK, e, "loading a cached committee");
	if (!r)
		goto out;
	v->nnodes = (size_t)PQntuples(r);
	v->nodes = xcalloc(v->nnodes + 1, sizeof(*v->nodes));
	v->shard_owner = xcalloc(n_shards + 1, 1);
	v->in_grace = xcalloc(n_shards + 1, sizeof(bool));
	for (int i = 0; i < PQntuples(r); i++) {
		struct chain_audit_node *n = &v->nodes[i];
		uint64_t cnt, bps;
		if (!db_cell_bytea(r, i, 0, n->id, 20) || !parse_u64_field(r, i, 1, &cnt) ||
		    cnt > 65535 || !db_cell_bytea(r, i, 2, n->node_key, 20) ||
		    !parse_u64_field(r, i, 4, &bps)) {
			err_set(e, "the cached committee of epoch %" PRIu64 " is malformed", epoch);
			goto out;
		}
		n->shard_count = (uint16_t)cnt;
		n->commission_bps = (uint16_t)bps;
		n->endpoint = xstrdup(PQgetvalue(r, i, 3));
		n->shards = xcalloc(cnt + 1, sizeof(*n->shards));
		n->grace_shards = xcalloc(cnt + 1, sizeof(*n->grace_shards));
	}
	PQclear(r);

	r = db_exec(db,
		    "SELECT s.shard, c.position, s.in_grace FROM shard_assignments s"
		    " JOIN committee_members c ON c.epoch = s.epoch AND c.node_id = s.node_id"
		    " WHERE s.epoch = $1 ORDER BY s.shard",
		    1, pe, PGRES_TUPLES_OK, e, "loading cached shards");
	if (!r)
		goto out;
	for (int i = 0; i < PQntuples(r); i++) {
		uint64_t sh, pos;
		bool grace = PQgetvalue(r, i, 2)[0] == 't';
		if (!parse_u64_field(r, i, 0, &sh) || !parse_u64_field(r, i, 1, &pos) ||
		    sh >= n_shards || pos >= v->nnodes) {
			err_set(e, "the cached shards of epoch %" PRIu64 " are malformed", epoch);
			goto out;
		}
		struct chain_audit_node *n = &v->nodes[pos];
		if (n->nshards + n->ngrace >= n->shard_count) {
			err_set(e, "the cached shards of epoch %" PRIu64 " exceed a member's count",
				epoch);
			goto out;
		}
		v->shard_owner[sh] = (uint8_t)pos;
		v->in_grace[sh] = grace;
		if (grace)
			n->grace_shards[n->ngrace++] = (uint16_t)sh;
		else
			n->shards[n->nshards++] = (uint16_t)sh;
	}
	PQclear(r);

	struct numparam sb;
	const char *pb[] = {ep.s, num(&sb, v->info.seed_block)};
	r = db_exec(db,
		    "SELECT blob_id, unencoded_length, encoding_type, certified_epoch,"
		    " certified_block, start_epoch, end_epoch FROM blobs"
		    " WHERE certified_block IS NOT NULL AND certified_block <= $2"
		    " AND certified_epoch < $1 AND end_epoch > $1 ORDER BY blob_id",
		    2, pb, PGRES_TUPLES_OK, e, "loading cached blobs");
	if (!r)
		goto out;
	*blobs = xcalloc((size_t)PQntuples(r) + 1, sizeof(**blobs));
	for (int i = 0; i < PQntuples(r); i++) {
		struct chain_audit_blob *b = &(*blobs)[i];
		uint64_t enc;
		if (!db_cell_bytea(r, i, 0, b->id, 32) ||
		    !parse_u64_field(r, i, 1, &b->unencoded_length) ||
		    !parse_u64_field(r, i, 2, &enc) || enc > 255 ||
		    !parse_u64_field(r, i, 3, &b->certified_epoch) ||
		    !parse_u64_field(r, i, 4, &b->certified_block) ||
		    !parse_u64_field(r, i, 5, &b->start_epoch) ||
		    !parse_u64_field(r, i, 6, &b->end_epoch)) {
			err_set(e, "a cached blob row is malformed");
			goto out;
		}
		b->encoding_type = (uint8_t)enc;
		(*nblobs)++;
	}
	*found = true;
	ok = true;
out:
	PQclear(r);
	if (!ok || !*found) {
		/* chain_epoch_view_clear lives in chain/: free by hand to stay off its library. */
		for (size_t i = 0; i < v->nnodes; i++) {
			free(v->nodes[i].shards);
			free(v->nodes[i].grace_shards);
			free(v->nodes[i].endpoint);
		}
		free(v->nodes);
		free(v->shard_owner);
		free(v->in_grace);
		memset(v, 0, sizeof(*v));
		free(*blobs);
		*blobs = NULL;
		*nblobs = 0;
	}
	return ok;
}
