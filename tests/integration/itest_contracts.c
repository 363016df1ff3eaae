/* fixtures: pg anvil */
/* itest_contracts.c: assay drives the contracts end to end on the shared anvil, through
 * the assay program only (and cast for nothing but hashing): chain deploy, epoch
 * status|advance, stake, blob register|certify|status, and the auditors' commit, reveal
 * and finalize sent with `assay chain send`, read back with the status commands.
 *
 * The anvil fixture is shared with tests running in parallel: this test deploys its own
 * contracts, uses fresh keys funded with anvil_setBalance (no nonce is shared), and never
 * sleeps: time moves with evm_increaseTime and blocks with anvil_mine. */
#include <jansson.h>
#include <libpq-fe.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/abi.h"
#include "chain/eip712.h"
#include "chain/key.h"
#include "chain/keccak.h"
#include "chain/reader.h"
#include "chain/rpc.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/util.h"
#include "sql/chaincache.h"
#include "sql/chainlogs.h"
#include "sql/db.h"
#include "tests/harness/harness.h"

struct actor {
	char secret[67]; /* 0x + 64 hex */
	char addr[43];
	uint8_t a[20];
	char key_file[256];
};

struct world {
	char dir[128];
	char *db;
	char env[2048]; /* environment prefix of every assay command line */
	struct chain_rpc *rpc;
	struct actor deployer, ops;
	struct actor auditors[3];
	struct actor nodes[4], node_keys[4];
	json_t *dep;
};

static void rpc_raw(struct world *w, const char *method, const char *params)
{
	char *out = NULL;
	struct err e = {{0}};
	ck_assert_msg(chain_rpc_call(w->rpc, method, params, &out, &e), "%s: %s", method, e.msg);
	free(out);
}

/* A fresh key with 1000 ETH, its key file written 0600. */
static void new_actor(struct world *w, struct actor *a, const char *name)
{
	uint8_t secret[32];
	ck_assert(getrandom(secret, 32, 0) == 32);
	secret[0] = 0x22; /* safely below the curve order */
	a->secret[0] = '0';
	a->secret[1] = 'x';
	hex_encode(a->secret + 2, secret, 32);
	struct chain_key *k;
	struct err e = {{0}};
	ck_assert_msg(chain_key_from_bytes(&k, secret, &e), "%s", e.msg);
	chain_key_address(k, a->a);
	chain_key_free(k);
	wipe(secret, sizeof(secret));
	chain_address_checksum(a->addr, a->a);
	snprintf(a->key_file, sizeof(a->key_file), "%s/%s.key", w->dir, name);
	FILE *f = fopen(a->key_file, "w");
	ck_assert(f);
	fprintf(f, "%s\n", a->secret);
	fclose(f);
	ck_assert(chmod(a->key_file, 0600) == 0);
	char params[128];
	snprintf(params, sizeof(params), "[\"%s\",\"0x3635c9adc5dea00000\"]", a->addr);
	rpc_raw(w, "anvil_setBalance", params);
}

/* Runs an assay command line (after the environment prefix); returns its exit status and
 * stdout (stderr goes to the test's log file and, on an unexpected status, the output). */
static int assay(struct world *w, char **out, const char *fmt, ...)
{
	char args[6144];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(args, sizeof(args), fmt, ap);
	va_end(ap);
	char *o = NULL;
	int rc = harness_run(&o, "%s %s %s 2>%s/last.err", w->env, harness_assay_bin(), args,
			     w->dir);
	if (out)
		*out = o;
	else
		free(o);
	return rc;
}

static char *last_err(struct world *w)
{
	char *o = NULL;
	harness_run(&o, "cat %s/last.err", w->dir);
	return o;
}

/* The command must succeed; returns its stdout. */
static char *assay_ok(struct world *w, const char *args)
{
	char *out = NULL;
	int rc = assay(w, &out, "%s", args);
	if (rc != 0) {
		char *err = last_err(w);
		ck_abort_msg("assay %s: exit %d\nstdout: %s\nstderr: %s", args, rc, out, err);
	}
	return out;
}

/* The command must fail (exit 1) with `want` in its error. */
static void assay_fails(struct world *w, const char *args, const char *want)
{
	int rc = assay(w, NULL, "%s", args);
	char *err = last_err(w);
	ck_assert_msg(rc == 1, "assay %s: exit %d, wanted 1: %s", args, rc, err);
	ck_assert_msg(strstr(err, want), "assay %s: '%s' not in: %s", args, want, err);
	free(err);
}

static json_t *assay_json(struct world *w, const char *args)
{
	char *out = assay_ok(w, args);
	json_error_t je;
	json_t *j = json_loads(out, 0, &je);
	ck_assert_msg(j, "assay %s: not JSON (%s): %s", args, je.text, out);
	free(out);
	return j;
}

static int64_t jint(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);
	ck_assert_msg(json_is_integer(v), "%s is not an integer", key);
	return (int64_t)json_integer_value(v);
}

static void time_travel(struct world *w, uint64_t seconds)
{
	char p[64];
	snprintf(p, sizeof(p), "[%llu]", (unsigned long long)seconds);
	rpc_raw(w, "evm_increaseTime", p);
	/* Past the seed delay (5 blocks), so the next transaction records the seed. */
	rpc_raw(w, "anvil_mine", "[\"0x6\"]");
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof(*w));
	snprintf(w->dir, sizeof(w->dir), "/tmp/itest_contracts_XXXXXX");
	ck_assert(mkdtemp(w->dir));
	w->db = harness_pg_new_database("contracts");
	struct db *db;
	struct err e = {{0}};
	ck_assert_msg(db_open(&db, w->db, 10, &e), "%s", e.msg);
	ck_assert_msg(db_migrate(db, NULL, NULL, &e), "%s", e.msg);
	db_close(db);
	ck_assert_msg(chain_rpc_new(&w->rpc, harness_anvil_url(), NULL, &e), "%s", e.msg);
	snprintf(w->env, sizeof(w->env),
		 "ASSAY_RPC_URL='%s' ASSAY_DB='%s' ASSAY_DEPLOYMENT='%s/deployment.json' "
		 "ASSAY_CONFIRMATIONS=1 ASSAY_LOG_LEVEL=warn",
		 harness_anvil_url(), w->db, w->dir);
	new_actor(w, &w->deployer, "deployer");
	new_actor(w, &w->ops, "ops");
	for (int i = 0; i < 3; i++) {
		char n[32];
		snprintf(n, sizeof(n), "auditor%d", i);
		new_actor(w, &w->auditors[i], n);
	}
	for (int i = 0; i < 4; i++) {
		char n[32];
		snprintf(n, sizeof(n), "node%d", i);
		new_actor(w, &w->nodes[i], n);
		snprintf(n, sizeof(n), "nodekey%d", i);
		new_actor(w, &w->node_keys[i], n);
	}
}

static void world_free(struct world *w)
{
	json_decref(w->dep);
	chain_rpc_free(w->rpc);
	free(w->db);
	char *o = NULL;
	harness_run(&o, "rm -rf '%s'", w->dir);
	free(o);
}

static void deploy(struct world *w)
{
	char args[2048];
	snprintf(args, sizeof(args),
		 "chain deploy --key-file %s --epoch-duration 3600 --n-shards 20 --json "
		 "--auditor 0:%s --auditor 1:%s --auditor 2:%s",
		 w->deployer.key_file, w->auditors[0].addr, w->auditors[1].addr,
		 w->auditors[2].addr);
	w->dep = assay_json(w, args);
	ck_assert_int_eq(jint(w->dep, "n_shards"), 20);
	ck_assert_int_eq(jint(w->dep, "chain_id"), 31337);
	ck_assert(json_string_value(json_object_get(w->dep, "staking")));
}

static void advance(struct world *w, uint64_t expect_epoch)
{
	time_travel(w, 3600);
	char args[512];
	snprintf(args, sizeof(args), "epoch advance --key-file %s --json", w->ops.key_file);
	json_t *j = assay_json(w, args);
	ck_assert_int_eq(jint(j, "epoch"), (int64_t)expect_epoch);
	json_decref(j);
}


static const char *dep_addr(struct world *w, const char *name)
{
	const char *a = json_string_value(json_object_get(w->dep, name));
	ck_assert_msg(a, "deployment has no %s", name);
	return a;
}

/* Trims the trailing newline of a one-line output, in place. */
static char *chomp(char *s)
{
	size_t n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == '\r'))
		s[--n] = '\0';
	return s;
}

/* `assay chain call` returning one value (as text). */
static char *call1(struct world *w, const char *to, const char *sig, const char *args)
{
	char *cmd = xasprintf("chain call --to %s '%s' %s", to, sig, args);
	char *out = chomp(assay_ok(w, cmd));
	free(cmd);
	return out;
}

/* `assay chain send ... --wait` from a key; the transaction must succeed. */
static void send_ok(struct world *w, const struct actor *from, const char *to, const char *sig,
		    const char *args)
{
	char *cmd = xasprintf("chain send --key-file %s --to %s '%s' %s --wait", from->key_file, to,
			      sig, args);
	free(assay_ok(w, cmd));
	free(cmd);
}

/* A 65-byte signature of a 32-byte digest, made by cast (no hashing, no prefix). */
static char *cast_sign(const struct actor *signer, const char *digest)
{
	const char *src = getenv("ASSAY_SOURCE_DIR");
	char *out = NULL;
	int rc = harness_run(&out,
			     "%s/node_modules/@foundry-rs/cast-linux-amd64/bin/cast wallet sign "
			     "--no-hash --private-key %s %s 2>&1",
			     src ? src : ".", signer->secret, digest);
	ck_assert_msg(rc == 0 && !strncmp(out, "0x", 2) && strlen(chomp(out)) == 132,
		      "cast wallet sign: %s", out);
	return out;
}

static void random_word(char out[67])
{
	uint8_t b[32];
	ck_assert(getrandom(b, 32, 0) == 32);
	out[0] = '0';
	out[1] = 'x';
	hex_encode(out + 2, b, 32);
}

/* keccak256 of a 0x-hex 32-byte word, as 0x-hex. */
static void keccak_word(const char *hex, char out[67])
{
	uint8_t b[32], h[32];
	ck_assert(hex_decode_exact(b, 32, hex, NULL));
	chain_keccak256(h, b, 32);
	out[0] = '0';
	out[1] = 'x';
	hex_encode(out + 2, h, 32);
}

START_TEST(deploy_and_epochs)
{
	struct world w;
	world_init(&w);
	deploy(&w);
	/* Wired, then handed to the timelock. */
	const char *names[] = {"staking", "settlement", "blob_registry"};
	for (size_t i = 0; i < 3; i++) {
		char *owner = call1(&w, dep_addr(&w, names[i]), "owner()(address)", "");
		ck_assert_str_eq(owner, dep_addr(&w, "timelock"));
		free(owner);
	}
	char *bound = call1(&w, dep_addr(&w, "staking"), "settlement()(address)", "");
	ck_assert_str_eq(bound, dep_addr(&w, "settlement"));
	free(bound);
	bound = call1(&w, dep_addr(&w, "settlement"), "disputes()(address)", "");
	ck_assert_str_eq(bound, dep_addr(&w, "disputes"));
	free(bound);
	char *reg = call1(&w, dep_addr(&w, "disputes"), "registry()(address)", "");
	ck_assert_str_eq(reg, dep_addr(&w, "blob_registry"));
	free(reg);
	json_t *st = assay_json(&w, "epoch status --json");
	ck_assert_int_eq(jint(st, "epoch"), 0);
	ck_assert_int_eq(jint(st, "duration"), 3600);
	ck_assert_str_eq(json_string_value(json_object_get(st, "seed_source")), "genesis");
	json_decref(st);

	char args[512];
	snprintf(args, sizeof(args), "epoch advance --key-file %s", w.ops.key_file);
	/* anvil sends this revert's data as text with NULs, which the JSON-RPC client
	 * refuses, so only the simulation's refusal is certain here (reasons are checked on
	 * a revert whose data is binary, in stake_and_blobs). */
	assay_fails(&w, args, "advance epoch would fail");
	advance(&w, 1);
	st = assay_json(&w, "epoch status --json");
	ck_assert_int_eq(jint(st, "epoch"), 1);
	ck_assert_int_eq(json_array_size(json_object_get(st, "committee")), 0);
	json_decref(st);
	/* The past epoch shows its phases. */
	st = assay_json(&w, "epoch status --epoch 0 --json");
	ck_assert_str_eq(json_string_value(json_object_get(st, "phase")), "commit");
	json_decref(st);
	world_free(&w);
}
END_TEST


/* A reader with the auditor's log store (PostgreSQL) reads the snapshot that a reader
 * without one reads, and keeps its cursor at the seed block; a reader started afresh on
 * the same database does not read those blocks' logs again: with one kept id taken out
 * of the database, it no longer finds that blob. */
/* The log store on one connection (the auditor's, sql/auditstore.c, adds reconnecting). */
static bool logs_load(void *ctx, uint64_t chain_id, const uint8_t registry[20], bool *found,
		      uint64_t *through, uint8_t (**ids)[32], size_t *n, struct err *e)
{
	return db_chainlogs_load(ctx, chain_id, registry, found, through, ids, n, e);
}

static bool logs_append(void *ctx, uint64_t chain_id, const uint8_t registry[20],
			bool found_prev, uint64_t prev, uint64_t through,
			const uint8_t (*ids)[32], size_t n, struct err *e)
{
	return db_chainlogs_append(ctx, chain_id, registry, found_prev, prev, through, ids, n, e);
}

static void check_log_cursor(struct world *w, const struct chain_deployment *d,
			     const struct chain_epoch_view *v2, const struct chain_audit_blob *want,
			     size_t nwant)
{
	struct err e = {{0}};
	char *ci = harness_pg_new_database("logs");
	struct db *ldb;
	ck_assert_msg(db_open(&ldb, ci, 10, &e) && db_migrate(ldb, NULL, NULL, &e), "%s", e.msg);
	struct chain_log_store ls = {ldb, logs_load, logs_append};
	struct chain_reader *r;
	struct chain_audit_blob *b;
	size_t nb;
	uint64_t q0, q1, q2, q3;
	ck_assert_msg(chain_reader_new(&r, w->rpc, d, NULL, 1, 3, &e), "%s", e.msg);
	chain_reader_set_log_store(r, &ls);
	chain_rpc_stats(w->rpc, &q0, NULL);
	ck_assert_msg(chain_reader_blobs(r, v2, &b, &nb, &e), "%s", e.msg);
	chain_rpc_stats(w->rpc, &q1, NULL);
	ck_assert_int_eq(nb, nwant);
	for (size_t i = 0; i < nb; i++)
		ck_assert(!memcmp(&b[i], &want[i], sizeof(b[i])));
	free(b);
	chain_reader_free(r);

	PGconn *c = PQconnectdb(ci);
	ck_assert_int_eq(PQstatus(c), CONNECTION_OK);
	PGresult *res = PQexec(c, "SELECT through_block FROM chain_log_cursors");
	ck_assert_int_eq(PQntuples(res), 1);
	ck_assert_int_eq(strtoull(PQgetvalue(res, 0, 0), NULL, 10), v2->info.seed_block);
	PQclear(res);

	/* Restarted: the same answer with no log read (only blobInfo per kept id). */
	ck_assert_msg(chain_reader_new(&r, w->rpc, d, NULL, 1, 3, &e), "%s", e.msg);
	chain_reader_set_log_store(r, &ls);
	chain_rpc_stats(w->rpc, &q2, NULL);
	ck_assert_msg(chain_reader_blobs(r, v2, &b, &nb, &e), "%s", e.msg);
	chain_rpc_stats(w->rpc, &q3, NULL);
	fprintf(stderr, "reader: snapshot read in %llu requests from the start block, %llu from "
			"the kept cursor\n",
		(unsigned long long)(q1 - q0), (unsigned long long)(q3 - q2));
	ck_assert_int_eq(nb, nwant);
	ck_assert_int_eq(q3 - q2, nwant);
	free(b);
	res = PQexec(c, "DELETE FROM certified_blob_ids");
	ck_assert_int_eq(PQresultStatus(res), PGRES_COMMAND_OK);
	PQclear(res);
	PQfinish(c);
	ck_assert_msg(chain_reader_blobs(r, v2, &b, &nb, &e), "%s", e.msg);
	ck_assert_int_eq(nb, 0);
	free(b);
	chain_reader_free(r);
	db_close(ldb);
	free(ci);
}

/* The reader (finalized state, as the auditor reads it) and its cache, on epoch 1. */
static void check_reader(struct world *w, const char *blob_hex)
{
	struct err e = {{0}};
	struct chain_deployment d;
	char path[256];
	snprintf(path, sizeof(path), "%s/deployment.json", w->dir);
	ck_assert_msg(chain_deployment_load(path, &d, &e), "%s", e.msg);
	struct chain_reader *r;
	ck_assert_msg(chain_reader_new(&r, w->rpc, &d, NULL, 1, 3, &e), "%s", e.msg);
	struct chain_epoch_view v;
	uint64_t req0, req1;
	chain_rpc_stats(w->rpc, &req0, NULL);
	ck_assert_msg(chain_reader_epoch(r, 1, &v, &e), "%s", e.msg);
	chain_rpc_stats(w->rpc, &req1, NULL);
	/* the members' keys and records come in one batch, not two calls per member: seven
	 * reads of the epoch (finalized block, current epoch, epoch info, committee, shard
	 * owners, next epoch, grace) and one batch (it took 15 requests for 4 members before) */
	fprintf(stderr, "reader: epoch of %zu members read in %llu requests\n", v.nnodes,
		(unsigned long long)(req1 - req0));
	ck_assert_msg(req1 - req0 <= 8, "%llu requests for %zu members",
		      (unsigned long long)(req1 - req0), v.nnodes);
	ck_assert_int_eq(v.epoch, 1);
	ck_assert_int_eq(v.current_epoch, 2);
	ck_assert(v.seed_final);
	ck_assert(v.end_time > v.info.start_time);
	ck_assert_int_eq(v.nnodes, 4);
	size_t total = 0;
	for (size_t i = 0; i < v.nnodes; i++) {
		const struct chain_audit_node *n = &v.nodes[i];
		ck_assert_int_eq(n->nshards + n->ngrace, n->shard_count);
		total += n->shard_count;
		int k = -1;
		for (int j = 0; j < 4; j++)
			if (!memcmp(w->nodes[j].a, n->id, 20))
				k = j;
		ck_assert_int_ge(k, 0);
		ck_assert(!memcmp(n->node_key, w->node_keys[k].a, 20));
		char want[64];
		snprintf(want, sizeof(want), "http://127.0.0.1:1/n%d", k);
		ck_assert_str_eq(n->endpoint, want);
		for (size_t s = 0; s < n->nshards; s++)
			ck_assert_int_eq(v.shard_owner[n->shards[s]], i);
	}
	ck_assert_int_eq(total, 20);

	/* Certified during epoch 1: not in epoch 1's snapshot (a node that did not confirm
	 * recovers it first); epoch 2's, once its seed is recorded and final. */
	struct chain_audit_blob *b;
	size_t nb;
	ck_assert_msg(chain_reader_blobs(r, &v, &b, &nb, &e), "%s", e.msg);
	ck_assert_int_eq(nb, 0);
	free(b);
	/* Epoch 2's seed is not recorded yet (nothing touched the contracts since its seed
	 * block, if that is even mined: other tests mine on the shared anvil too). */
	struct chain_epoch_view v2;
	ck_assert_msg(chain_reader_epoch(r, 2, &v2, &e), "%s", e.msg);
	ck_assert(!v2.seed_final);
	ck_assert(!chain_reader_blobs(r, &v2, &b, &nb, &e));
	ck_assert_msg(strstr(e.msg, "not final"), "%s", e.msg);
	chain_epoch_view_clear(&v2);
	char cmd[512];
	rpc_raw(w, "anvil_mine", "[\"0x6\"]");
	snprintf(cmd, sizeof(cmd), "epoch seed --key-file %s --json", w->ops.key_file);
	json_t *sj = assay_json(w, cmd);
	ck_assert_int_eq(jint(sj, "epoch"), 2);
	/* blockhash unless 256 blocks passed (the shared anvil): then the fallback rule. */
	const char *src = json_string_value(json_object_get(sj, "source"));
	ck_assert_msg(!strcmp(src, "blockhash") || !strcmp(src, "fallback"), "%s", src);
	ck_assert(json_is_true(json_object_get(sj, "recorded_now")));
	json_decref(sj);
	ck_assert_msg(chain_reader_epoch(r, 2, &v2, &e), "%s", e.msg);
	ck_assert(v2.seed_final);
	ck_assert_msg(chain_reader_blobs(r, &v2, &b, &nb, &e), "%s", e.msg);
	ck_assert_int_eq(nb, 1);
	uint8_t id[32];
	ck_assert(hex_decode_exact(id, 32, blob_hex, NULL));
	ck_assert(!memcmp(b[0].id, id, 32));
	ck_assert_int_eq(b[0].unencoded_length, 1000);
	ck_assert_int_eq(b[0].encoding_type, 2);
	ck_assert_int_eq(b[0].certified_epoch, 1);
	ck_assert(b[0].certified_block <= v2.info.seed_block);
	/* The same rule as the contract's. */
	const char *registry = json_string_value(json_object_get(w->dep, "blob_registry"));
	char q[128];
	snprintf(q, sizeof(q), "%s 1", blob_hex);
	char *yes = call1(w, registry, "isChallengeable(bytes32,uint64)(bool)", q);
	ck_assert_str_eq(yes, "false");
	free(yes);
	snprintf(q, sizeof(q), "%s 2", blob_hex);
	yes = call1(w, registry, "isChallengeable(bytes32,uint64)(bool)", q);
	ck_assert_str_eq(yes, "true");
	free(yes);

	struct chain_auditor *au;
	size_t na;
	ck_assert_msg(chain_reader_auditors(r, &au, &na, &e), "%s", e.msg);
	ck_assert_int_eq(na, 3);
	for (size_t i = 0; i < na; i++) {
		ck_assert_int_eq(au[i].id, i);
		ck_assert(au[i].active);
		ck_assert(!memcmp(au[i].signer, w->auditors[i].a, 20));
	}
	free(au);

	check_log_cursor(w, &d, &v2, b, nb);

	/* The cache gives back what the reader read. */
	struct db *db;
	ck_assert_msg(db_open(&db, w->db, 10, &e), "%s", e.msg);
	ck_assert_msg(db_chaincache_store(db, &v, NULL, 0, &e), "%s", e.msg);
	ck_assert_msg(db_chaincache_store(db, &v2, b, nb, &e), "%s", e.msg);
	ck_assert_msg(db_chaincache_store(db, &v2, b, nb, &e), "storing again: %s", e.msg);
	struct chain_epoch_view c;
	struct chain_audit_blob *cb;
	size_t ncb;
	bool found;
	ck_assert_msg(db_chaincache_load(db, 1, 20, &c, &cb, &ncb, &found, &e), "%s", e.msg);
	ck_assert(found);
	ck_assert_int_eq(ncb, 0);
	free(cb);
	ck_assert_int_eq(c.nnodes, v.nnodes);
	ck_assert(!memcmp(c.info.seed, v.info.seed, 32));
	ck_assert(!memcmp(c.info.committee_hash, v.info.committee_hash, 32));
	ck_assert_int_eq(c.info.seed_block, v.info.seed_block);
	ck_assert_int_eq(c.end_time, v.end_time);
	ck_assert(c.seed_final);
	for (size_t i = 0; i < v.nnodes; i++) {
		ck_assert(!memcmp(c.nodes[i].id, v.nodes[i].id, 20));
		ck_assert_int_eq(c.nodes[i].nshards, v.nodes[i].nshards);
		ck_assert(!memcmp(c.nodes[i].shards, v.nodes[i].shards,
				  v.nodes[i].nshards * sizeof(uint16_t)));
		ck_assert_str_eq(c.nodes[i].endpoint, v.nodes[i].endpoint);
	}
	chain_epoch_view_clear(&c);
	ck_assert_msg(db_chaincache_load(db, 2, 20, &c, &cb, &ncb, &found, &e), "%s", e.msg);
	ck_assert(found);
	ck_assert_int_eq(ncb, 1);
	ck_assert(!memcmp(cb[0].id, id, 32));
	ck_assert_int_eq(cb[0].end_epoch, b[0].end_epoch);
	free(cb);
	chain_epoch_view_clear(&c);
	ck_assert_msg(db_chaincache_load(db, 7, 20, &c, &cb, &ncb, &found, &e), "%s", e.msg);
	ck_assert(!found);
	db_close(db);
	chain_epoch_view_clear(&v2);

	free(b);
	chain_epoch_view_clear(&v);
	ck_assert_msg(chain_reader_epoch(r, CHAIN_READER_CURRENT, &v, &e), "%s", e.msg);
	ck_assert_int_eq(v.epoch, 2);
	chain_epoch_view_clear(&v);
	chain_reader_free(r);
}

/* Counts per committee position (4 members) of each auditor: member 3 loses data. */
static const char *const passed_of[3] = {"[10,10,10,4]", "[20,20,19,8]", "[10,10,10,3]"};
static const char *const decided_of[3] = {"[10,10,10,10]", "[20,20,20,20]", "[10,10,10,10]"};

START_TEST(stake_blobs_and_settlement)
{
	struct world w;
	world_init(&w);
	deploy(&w);
	const char *token = dep_addr(&w, "token"), *settlement = dep_addr(&w, "settlement"),
		   *registry = dep_addr(&w, "blob_registry");
	char args[4096];

	/* Tokens for the operators and the blob owner (TestToken: anyone may mint). */
	for (int i = 0; i < 4; i++) {
		snprintf(args, sizeof(args), "%s 1000000000000000000000", w.nodes[i].addr);
		send_ok(&w, &w.deployer, token, "mint(address,uint256)", args);
	}
	snprintf(args, sizeof(args), "%s 1000000000000000000000", w.ops.addr);
	send_ok(&w, &w.deployer, token, "mint(address,uint256)", args);

	/* A revert is explained with the error's arguments. */
	snprintf(args, sizeof(args),
		 "stake register --key-file %s --node-key %s --endpoint http://127.0.0.1:1/n "
		 "--commission 1000 --amount 5",
		 w.nodes[0].key_file, w.node_keys[0].addr);
	assay_fails(&w, args, "StakeBelowMinimum(5, 100000000000000000000): the self-stake is "
			      "below the minimum stake");
	for (int i = 0; i < 4; i++) {
		snprintf(args, sizeof(args),
			 "stake register --key-file %s --node-key %s --endpoint http://127.0.0.1:1/n%d "
			 "--commission 1000 --amount 100000000000000000000 --json",
			 w.nodes[i].key_file, w.node_keys[i].addr, i);
		json_t *j = assay_json(&w, args);
		json_decref(j);
	}
	json_t *st = assay_json(&w, "stake status --json");
	ck_assert_int_eq(json_array_size(json_object_get(st, "nodes")), 4);
	json_decref(st);

	/* Auditors commit their epoch-1 secrets before epoch 1 begins. */
	char secret[3][67], secret_hash[3][67];
	for (int a = 0; a < 3; a++) {
		random_word(secret[a]);
		keccak_word(secret[a], secret_hash[a]);
		snprintf(args, sizeof(args), "1 %d %s", a, secret_hash[a]);
		char *digest = call1(&w, settlement, "secretCommitDigest(uint64,uint8,bytes32)(bytes32)",
				     args);
		char *sig = cast_sign(&w.auditors[a], digest);
		snprintf(args, sizeof(args), "1 %d %s %s", a, secret_hash[a], sig);
		send_ok(&w, &w.auditors[a], settlement, "commitSecret(uint64,uint8,bytes32,bytes)",
			args);
		free(digest);
		free(sig);
	}

	advance(&w, 1);
	st = assay_json(&w, "epoch status --json");
	json_t *com = json_object_get(st, "committee");
	ck_assert_int_eq(json_array_size(com), 4);
	int64_t total = 0;
	for (size_t i = 0; i < 4; i++)
		total += jint(json_array_get(com, i), "shards");
	ck_assert_int_eq(total, 20);
	ck_assert_int_eq(json_array_size(json_object_get(st, "shards")), 20);
	char committee_hash[67];
	snprintf(committee_hash, sizeof(committee_hash), "%s",
		 json_string_value(json_object_get(st, "committee_hash")));
	/* Committee position of each node (the counts are indexed by it). */
	int pos_of_node[4];
	for (int i = 0; i < 4; i++) {
		pos_of_node[i] = -1;
		for (size_t m = 0; m < 4; m++)
			if (!strcmp(json_string_value(json_object_get(json_array_get(com, m), "node")),
				    w.nodes[i].addr))
				pos_of_node[i] = (int)m;
		ck_assert_int_ge(pos_of_node[i], 0);
	}
	json_decref(st);

	/* A blob: registered and paid, then certified by the nodes' confirmations. */
	char blob[67];
	random_word(blob);
	snprintf(args, sizeof(args),
		 "blob register --key-file %s --blob-id %s --size 1000 --encoding-type 2 --epochs 8 "
		 "--json",
		 w.ops.key_file, blob);
	json_t *j = assay_json(&w, args);
	ck_assert_int_eq(jint(j, "start_epoch"), 1);
	ck_assert_int_eq(jint(j, "end_epoch"), 9); /* outlasts epoch 1's dispute window */
	json_decref(j);
	snprintf(args, sizeof(args), "blob status --blob-id %s --json", blob);
	j = assay_json(&w, args);
	ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "registered");
	ck_assert(json_is_false(json_object_get(j, "challengeable_now")));
	json_decref(j);

	char path[256];
	snprintf(path, sizeof(path), "%s/confirmations.json", w.dir);
	FILE *f = fopen(path, "w");
	ck_assert(f);
	fprintf(f, "[");
	for (int i = 0; i < 4; i++) {
		snprintf(args, sizeof(args), "%s 1", blob);
		char *digest = call1(&w, registry, "confirmationDigest(bytes32,uint64)(bytes32)", args);
		char *sig = cast_sign(&w.node_keys[i], digest);
		fprintf(f, "%s{\"signer\":\"%s\",\"signature\":\"%s\",\"epoch\":1}", i ? "," : "",
			w.node_keys[i].addr, sig);
		free(digest);
		free(sig);
	}
	fprintf(f, "]\n");
	fclose(f);
	snprintf(args, sizeof(args),
		 "blob certify --key-file %s --blob-id %s --confirmations %s --json", w.ops.key_file,
		 blob, path);
	j = assay_json(&w, args);
	ck_assert_int_eq(jint(j, "shards"), 20);
	ck_assert_int_eq(jint(j, "confirmations"), 4);
	json_decref(j);
	snprintf(args, sizeof(args), "blob status --blob-id %s --json", blob);
	j = assay_json(&w, args);
	ck_assert_str_eq(json_string_value(json_object_get(j, "state")), "certified");
	ck_assert_int_eq(jint(j, "certified_epoch"), 1);
	json_decref(j);
	/* Certifying twice is refused, in words. */
	snprintf(args, sizeof(args), "blob certify --key-file %s --blob-id %s --confirmations %s",
		 w.ops.key_file, blob, path);
	assay_fails(&w, args, "AlreadyCertified(");

	/* Epoch 1 ends; each auditor commits its attestation, then reveals it. */
	advance(&w, 2);
	check_reader(&w, blob);
	char evidence[3][67], att_digest[3][70];
	for (int a = 0; a < 3; a++) {
		random_word(evidence[a]);
		snprintf(args, sizeof(args), "'%s' '%s'", passed_of[a], decided_of[a]);
		char *counts = call1(&w, settlement, "hashCounts(uint32[],uint32[])(bytes32)", args);
		/* the certified blob above stands in for each auditor's evidence blob */
		snprintf(args, sizeof(args), "1 %s %s %s %s %s", committee_hash, counts, evidence[a],
			 blob, secret[a]);
		char *digest = call1(&w, settlement,
				     "attestationDigest(uint64,bytes32,bytes32,bytes32,bytes32,bytes32)"
				     "(bytes32)",
				     args);
		snprintf(att_digest[a], sizeof(att_digest[a]), "%s", digest);
		snprintf(args, sizeof(args), "1 %d %s", a, digest);
		char *cdigest = call1(&w, settlement,
				      "attestationCommitDigest(uint64,uint8,bytes32)(bytes32)", args);
		char *sig = cast_sign(&w.auditors[a], cdigest);
		/* Anyone may relay: the ops key pays for auditor 2's commit. */
		snprintf(args, sizeof(args), "1 %d %s %s", a, digest, sig);
		send_ok(&w, a == 2 ? &w.ops : &w.auditors[a], settlement,
			"commitAttestation(uint64,uint8,bytes32,bytes)", args);
		free(counts);
		free(digest);
		free(cdigest);
		free(sig);
	}
	st = assay_json(&w, "epoch status --epoch 1 --json");
	ck_assert_str_eq(json_string_value(json_object_get(st, "phase")), "commit");
	json_decref(st);

	time_travel(&w, 3600);
	st = assay_json(&w, "epoch status --epoch 1 --json");
	ck_assert_str_eq(json_string_value(json_object_get(st, "phase")), "reveal");
	json_decref(st);
	for (int a = 0; a < 3; a++) {
		char *sig = cast_sign(&w.auditors[a], att_digest[a]);
		snprintf(args, sizeof(args), "1 %d %s '%s' '%s' %s %s %s %s", a, committee_hash,
			 passed_of[a], decided_of[a], evidence[a], blob, secret[a], sig);
		send_ok(&w, &w.auditors[a], settlement,
			"revealAttestation(uint64,uint8,bytes32,uint32[],uint32[],bytes32,bytes32,bytes32,"
			"bytes)",
			args);
		free(sig);
	}
	st = assay_json(&w, "epoch status --epoch 1 --json");
	ck_assert_int_eq(jint(json_object_get(st, "settlement"), "revealed"), 3);
	json_decref(st);

	/* Finalizing before the dispute window closes is refused; epoch 0 (no committee) is
	 * voided first, since epochs settle in order. */
	char fargs[1024];
	snprintf(fargs, sizeof(fargs), "1 '[0,1,2]' '[%s,%s,%s]' '[%s,%s,%s]' 4", passed_of[0],
		 passed_of[1], passed_of[2], decided_of[0], decided_of[1], decided_of[2]);
	send_ok(&w, &w.ops, settlement, "voidEpoch(uint64)", "0");
	time_travel(&w, 3600 + 7200);
	send_ok(&w, &w.ops, settlement, "finalizeEpoch(uint64,uint8[],uint32[][],uint32[][],uint256)",
		fargs);
	st = assay_json(&w, "epoch status --epoch 1 --json");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "settlement"),
							   "status")),
			 "finalized");
	json_decref(st);
	st = assay_json(&w, "epoch status --epoch 0 --json");
	ck_assert_str_eq(json_string_value(json_object_get(json_object_get(st, "settlement"),
							   "status")),
			 "voided");
	json_decref(st);

	/* The node that lost data (position 3: median score 0.4 < P) was slashed 10 %; a
	 * node with a perfect score was paid. */
	for (int i = 0; i < 4; i++) {
		snprintf(args, sizeof(args), "stake status --node %s --json", w.nodes[i].addr);
		j = assay_json(&w, args);
		const char *stake = json_string_value(
			json_object_get(json_array_get(json_object_get(j, "nodes"), 0), "stake"));
		if (pos_of_node[i] == 3)
			ck_assert_str_eq(stake, "90000000000000000000");
		else if (pos_of_node[i] == 0)
			ck_assert_msg(strcmp(stake, "100000000000000000000") > 0 && strlen(stake) >= 21,
				      "node at position 0 was not paid: %s", stake);
		json_decref(j);
	}
	world_free(&w);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("contracts");
	TCase *tc = tcase_create("flow");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, deploy_and_epochs);
	tcase_add_test(tc, stake_blobs_and_settlement);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
