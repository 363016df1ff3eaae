/* api.c: the read-only HTTP JSON API on libmicrohttpd (see api.h).
 *
 * Requests are answered in MHD's worker threads; each request borrows one database
 * connection from a pool with one slot per thread, opened lazily, so a PostgreSQL outage
 * costs 503s and nothing else: the next request after it returns reconnects. */
#include "settle/api.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/challenge.h"
#include "chain/abi.h"
#include "chain/deployment.h"
#include "chain/rpc.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "chain/u256.h"
#include "core/net.h"
#include "settle/apiroute.h"
#include "settle/chainio.h"
#include "settle/convict.h"
#include "settle/evidence.h"
#include "settle/payouts.h"
#include "settle/score.h"
#include "settle/web.h"
#include "sql/api.h"
#include "sql/db.h"

#define HTTP_CONTENT_TOO_LARGE 413u /* named differently across MHD versions */
/* An epoch range of one payouts request spans at most this many epochs when to= is open. */
#define EPOCH_MAX ((uint64_t)INT64_MAX)

/* ---- the server ---- */

struct slot {
	struct db *db;
	bool busy;
	/* The chain, for what only the chain knows (disputes): opened on first use. */
	struct chain_rpc *rpc;
	struct settle_chain *chain;
};

struct api {
	struct settle_api_config cfg;
	struct MHD_Daemon *daemon;
	struct sockaddr_in addr;
	struct net_limiter limiter;
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_cond;
	struct slot *slots;
	unsigned nslots;
	bool tamper; /* test only: ASSAY_TEST_TAMPER_ATTESTATION (api.h) */
	char rpc_origin[256]; /* connect-src of the pages; "" when the URL is not http(s) */
};

/* Per request state between MHD's calls. */
struct request {
	bool body;
};

enum { DB_OK, DB_DOWN };

static struct slot *pool_acquire(struct api *a)
{
	pthread_mutex_lock(&a->pool_lock);
	for (;;) {
		for (unsigned i = 0; i < a->nslots; i++)
			if (!a->slots[i].busy) {
				a->slots[i].busy = true;
				pthread_mutex_unlock(&a->pool_lock);
				return &a->slots[i];
			}
		pthread_cond_wait(&a->pool_cond, &a->pool_lock);
	}
}

static void pool_release(struct api *a, struct slot *s)
{
	pthread_mutex_lock(&a->pool_lock);
	s->busy = false;
	pthread_cond_signal(&a->pool_cond);
	pthread_mutex_unlock(&a->pool_lock);
}

/* Makes the slot's connection ready: the session setup doubles as the liveness check (one
 * round trip per request), and a connection that fails it (server restarted, session
 * killed) is replaced by a new one, so recovery costs no failed answer. */
static bool slot_connect(struct api *a, struct slot *s)
{
	struct err e = {{0}};
	if (s->db && db_api_session_setup(s->db, a->cfg.statement_timeout_ms, &e))
		return true;
	if (s->db) {
		log_warn("database connection lost: %s", e.msg);
		db_close(s->db);
		s->db = NULL;
	}
	if (!db_open(&s->db, a->cfg.db_conninfo, a->cfg.db_connect_timeout_s, &e)) {
		log_warn("database unavailable: %s", e.msg);
		s->db = NULL;
		return false;
	}
	if (!db_api_session_setup(s->db, a->cfg.statement_timeout_ms, &e)) {
		log_warn("database session: %s", e.msg);
		db_close(s->db);
		s->db = NULL;
		return false;
	}
	log_info("connected to the database");
	return true;
}

/* After a failed query: is the connection still good? A dead one is dropped, so the next
 * request opens a fresh one. */
static bool slot_alive(struct slot *s)
{
	struct err e = {{0}};
	if (s->db && db_ping(s->db, &e))
		return true;
	log_warn("database connection lost: %s", e.msg);
	db_close(s->db);
	s->db = NULL;
	return false;
}

/* The slot's chain, opened on first use: false with a sentence when this server has no
 * deployment and RPC URL, or the client cannot be made. */
static bool slot_chain(struct api *a, struct slot *s, struct err *e)
{
	if (!a->cfg.deployment || !a->cfg.rpc_url || !*a->cfg.rpc_url) {
		err_set(e, "this server knows no chain (start it with --deployment and --rpc-url): "
			   "disputes are read from the chain");
		return false;
	}
	if (s->chain)
		return true;
	static const struct chain_rpc_opts opts = {.timeout_ms = 5000, .retries = 1};
	if (!chain_rpc_new(&s->rpc, a->cfg.rpc_url, &opts, e))
		return false;
	if (!settle_chain_new(&s->chain, s->rpc, NULL, a->cfg.deployment, e)) {
		chain_rpc_free(s->rpc);
		s->rpc = NULL;
		s->chain = NULL;
		return false;
	}
	return true;
}

/* ---- responses ---- */

static enum MHD_Result send_json(struct MHD_Connection *conn, unsigned status, json_t *body,
				 unsigned retry_after)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	if (!text)
		return MHD_NO;
	size_t len = strlen(text);
	/* The body ends with a newline, for curl users. */
	char *full = xmalloc(len + 2);
	memcpy(full, text, len);
	full[len] = '\n';
	full[len + 1] = '\0';
	free(text);
	struct MHD_Response *r =
		MHD_create_response_from_buffer(len + 1, full, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(full);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET");
	if (retry_after) {
		char ra[16];
		snprintf(ra, sizeof(ra), "%u", retry_after);
		MHD_add_response_header(r, MHD_HTTP_HEADER_RETRY_AFTER, ra);
	}
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_error_retry(struct MHD_Connection *conn, unsigned status,
					unsigned retry_after, const char *fmt, ...)
	PRINTF_FMT(4, 5);
static enum MHD_Result send_error_retry(struct MHD_Connection *conn, unsigned status,
					unsigned retry_after, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return send_json(conn, status, json_pack("{s:s}", "error", msg), retry_after);
}

#define send_error(conn, status, ...) send_error_retry((conn), (status), 0, __VA_ARGS__)

/* 503 with Retry-After: the pool could not reach PostgreSQL for this request. */
static enum MHD_Result send_db_unavailable(struct MHD_Connection *conn)
{
	return send_error_retry(conn, MHD_HTTP_SERVICE_UNAVAILABLE, 5,
				"the database is unavailable; try again shortly");
}

static enum MHD_Result send_db_failure(struct MHD_Connection *conn, struct slot *s,
				       const struct err *e)
{
	if (!slot_alive(s))
		return send_db_unavailable(conn);
	log_error("query failed: %s", e->msg);
	return send_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			  "internal error reading the database");
}

/* ---- JSON values ---- */

static json_t *jhex(const uint8_t *b, size_t len)
{
	char *h = hex_encode_0x_new(b, len);
	json_t *j = json_string(h);
	free(h);
	return j;
}

static json_t *ju64(uint64_t v)
{
	/* Counts and epochs are far below 2^63 (bigint columns). */
	return json_integer((json_int_t)v);
}

/* passed/decided scaled by 10^18 (floor), as the contract computes it. */
static uint64_t score_wad(uint64_t passed, uint64_t decided)
{
	if (!decided)
		return 0;
	unsigned __int128 s = (unsigned __int128)passed * 1000000000000000000u / decided;
	return (uint64_t)s;
}

static json_t *jscore(uint64_t passed, uint64_t decided, const char *prefix, json_t *obj)
{
	char k1[32], k2[32];
	snprintf(k1, sizeof(k1), "%sscore", prefix);
	snprintf(k2, sizeof(k2), "%sscore_wad", prefix);
	if (!decided) {
		json_object_set_new(obj, k1, json_null());
		json_object_set_new(obj, k2, json_null());
		return obj;
	}
	char w[24];
	uint64_t s = score_wad(passed, decided);
	snprintf(w, sizeof(w), "%" PRIu64, s);
	json_object_set_new(obj, k1, json_real((double)s / 1e18));
	json_object_set_new(obj, k2, json_string(w));
	return obj;
}

/* ---- strict parameters ---- */

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				   const char *value)
{
	(void)kind;
	settle_api_args_add(cls, key, value);
	return MHD_YES;
}

static bool arg_limit(const struct api *a, const struct settle_api_args *q, uint64_t *limit,
		      char *why, size_t n)
{
	bool has;
	*limit = a->cfg.default_limit;
	if (!settle_api_arg_number(q, "limit", &has, limit, why, n))
		return false;
	if (has && (*limit < 1 || *limit > a->cfg.max_limit)) {
		snprintf(why, n, "limit must be between 1 and %" PRIu64, a->cfg.max_limit);
		return false;
	}
	return true;
}

/* ---- endpoints ---- */

static enum MHD_Result get_health(struct api *a, struct MHD_Connection *conn)
{
	struct slot *s = pool_acquire(a);
	struct err e = {{0}};
	int version = 0;
	enum MHD_Result ret;
	if (!slot_connect(a, s) || !db_schema_version(s->db, &version, &e)) {
		if (s->db)
			(void)slot_alive(s);
		ret = send_json(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
				json_pack("{s:s,s:s,s:s}", "status", "unavailable", "database", "down",
					  "error", "the database is unavailable; try again shortly"),
				5);
		goto out;
	}
	ret = send_json(conn, MHD_HTTP_OK,
			json_pack("{s:s,s:s,s:i,s:i}", "status", "ok", "database", "up",
				  "schema_version", version, "schema_latest", db_latest_version()),
			0);
out:
	pool_release(a, s);
	return ret;
}

static json_t *epoch_json(const struct db_api_epoch *x)
{
	json_t *o = json_object();
	json_object_set_new(o, "epoch", ju64(x->epoch));
	json_object_set_new(o, "start_time", x->has_start ? json_integer(x->start_unix) : json_null());
	json_object_set_new(o, "end_time", x->has_end ? json_integer(x->end_unix) : json_null());
	json_object_set_new(o, "seed_block", x->has_seed_block ? ju64(x->seed_block) : json_null());
	json_object_set_new(o, "seed", x->has_seed ? jhex(x->seed, 32) : json_null());
	json_object_set_new(o, "chain_state",
			    x->has_chain_state ? json_string(x->chain_state) : json_null());
	json_object_set_new(o, "auditors", json_array());
	json_object_set_new(o, "attestations", json_array());
	return o;
}

static enum MHD_Result get_epochs(struct api *a, struct MHD_Connection *conn,
				  const struct settle_api_args *q)
{
	static const char *const allowed[] = {"limit", "after", NULL};
	char why[160];
	uint64_t limit, after = 0;
	bool has_after;
	if (!settle_api_args_check(q, allowed, why, sizeof(why)) ||
	    !arg_limit(a, q, &limit, why, sizeof(why)) ||
	    !settle_api_arg_number(q, "after", &has_after, &after, why, sizeof(why)))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "%s", why);

	struct slot *s = pool_acquire(a);
	struct err e = {{0}};
	struct db_api_epoch *ep = NULL;
	struct db_api_progress *pr = NULL;
	struct db_api_attestation *at = NULL;
	size_t nep = 0, npr = 0, nat = 0;
	json_t *list = NULL;
	enum MHD_Result ret;
	if (!slot_connect(a, s)) {
		ret = send_db_unavailable(conn);
		goto out;
	}
	if (!db_api_epochs(s->db, has_after, after, limit, &ep, &nep, &e) ||
	    (nep && (!db_api_progress(s->db, ep[0].epoch, ep[nep - 1].epoch, &pr, &npr, &e) ||
		     !db_api_attestations(s->db, ep[0].epoch, ep[nep - 1].epoch, &at, &nat, &e)))) {
		ret = send_db_failure(conn, s, &e);
		goto out;
	}
	list = json_array();
	size_t ip = 0, ia = 0;
	for (size_t i = 0; i < nep; i++) {
		json_t *o = epoch_json(&ep[i]);
		json_t *aud = json_object_get(o, "auditors");
		json_t *att = json_object_get(o, "attestations");
		for (; ip < npr && pr[ip].epoch <= ep[i].epoch; ip++) {
			if (pr[ip].epoch != ep[i].epoch)
				continue;
			json_array_append_new(aud, json_pack("{s:o,s:s,s:I}", "auditor",
							     jhex(pr[ip].auditor, 20), "state",
							     pr[ip].state, "updated_at",
							     (json_int_t)pr[ip].updated_unix));
		}
		for (; ia < nat && at[ia].epoch <= ep[i].epoch; ia++) {
			if (at[ia].epoch != ep[i].epoch)
				continue;
			json_array_append_new(
				att, json_pack("{s:o,s:s,s:o,s:o,s:o}", "auditor",
					       jhex(at[ia].auditor, 20), "source", at[ia].source,
					       "evidence_root", jhex(at[ia].evidence_root, 32),
					       "committee_hash", jhex(at[ia].committee_hash, 32),
					       "counts_hash", jhex(at[ia].counts_hash, 32)));
		}
		json_array_append_new(list, o);
	}
	json_t *body = json_pack("{s:o,s:o}", "epochs", list, "next_after",
				 nep == limit ? ju64(ep[nep - 1].epoch) : json_null());
	list = NULL;
	ret = send_json(conn, MHD_HTTP_OK, body, 0);
out:
	pool_release(a, s);
	json_decref(list);
	free(ep);
	free(pr);
	free(at);
	return ret;
}

/* Median over auditors' scores (decided > 0 only), the lower middle for an even count, as
 * the Settlement contract finalizes it. Returns false when no auditor scored the node. */
static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static json_t *median_json(const struct db_api_count *c, size_t n, uint64_t epoch)
{
	/* Chain-read attestations when there are any for the epoch, else ours. */
	const char *source = "local";
	for (size_t i = 0; i < n; i++)
		if (c[i].epoch == epoch && !strcmp(c[i].source, "chain"))
			source = "chain";
	uint64_t *scores = xcalloc(n + 1, sizeof(*scores));
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (c[i].epoch == epoch && !strcmp(c[i].source, source) && c[i].decided)
			scores[k++] = score_wad(c[i].passed, c[i].decided);
	json_t *o = json_null();
	if (k) {
		qsort(scores, k, sizeof(*scores), cmp_u64);
		uint64_t m = scores[(k - 1) / 2];
		char w[24];
		snprintf(w, sizeof(w), "%" PRIu64, m);
		o = json_pack("{s:f,s:s,s:s,s:I}", "score", (double)m / 1e18, "score_wad", w,
			      "source", source, "auditors", (json_int_t)k);
	}
	free(scores);
	return o;
}

static enum MHD_Result get_payouts(struct api *a, struct MHD_Connection *conn,
				   const uint8_t node[20], const struct settle_api_args *q)
{
	static const char *const allowed[] = {"from", "to", "limit", NULL};
	char why[160];
	uint64_t limit, from = 0, to = EPOCH_MAX;
	bool has_from, has_to;
	if (!settle_api_args_check(q, allowed, why, sizeof(why)) ||
	    !arg_limit(a, q, &limit, why, sizeof(why)) ||
	    !settle_api_arg_number(q, "from", &has_from, &from, why, sizeof(why)) ||
	    !settle_api_arg_number(q, "to", &has_to, &to, why, sizeof(why)))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "%s", why);
	if (from > to)
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "from must not be after to");

	struct slot *s = pool_acquire(a);
	struct err e = {{0}};
	uint64_t *eps = NULL;
	struct db_api_count *cnt = NULL;
	struct db_api_tally *tal = NULL;
	struct db_api_tx *txs = NULL;
	struct settle_payout *sc = NULL;
	size_t nep = 0, ncnt = 0, ntal = 0, ntx = 0, nsc = 0;
	json_t *list = NULL;
	enum MHD_Result ret;
	if (!slot_connect(a, s)) {
		ret = send_db_unavailable(conn);
		goto out;
	}
	if (!db_api_node_epochs(s->db, node, from, to, limit, &eps, &nep, &e) ||
	    (nep && (!db_api_node_counts(s->db, node, eps[0], eps[nep - 1], &cnt, &ncnt, &e) ||
		     !db_api_node_tallies(s->db, node, eps[0], eps[nep - 1], &tal, &ntal, &e) ||
		     !db_api_epoch_txs(s->db, eps[0], eps[nep - 1], &txs, &ntx, &e) ||
		     !settle_payouts_paid(s->db, node, eps[0], eps[nep - 1], &sc, &nsc, &e)))) {
		ret = send_db_failure(conn, s, &e);
		goto out;
	}
	list = json_array();
	for (size_t i = 0; i < nep; i++) {
		uint64_t ep = eps[i], passes = 0, challenges = 0, aerr = 0;
		json_t *records = json_array(), *atts = json_array(), *tl = json_array();
		for (size_t j = 0; j < ntal; j++) {
			if (tal[j].epoch != ep)
				continue;
			passes += tal[j].passed;
			challenges += tal[j].decided;
			aerr += tal[j].auditor_errors;
			json_array_append_new(
				records, jscore(tal[j].passed, tal[j].decided, "",
						json_pack("{s:o,s:I,s:I,s:I}", "auditor",
							  jhex(tal[j].auditor, 20), "passed",
							  (json_int_t)tal[j].passed, "decided",
							  (json_int_t)tal[j].decided, "auditor_errors",
							  (json_int_t)tal[j].auditor_errors)));
		}
		for (size_t j = 0; j < ncnt; j++) {
			if (cnt[j].epoch != ep)
				continue;
			json_array_append_new(
				atts, jscore(cnt[j].passed, cnt[j].decided, "",
					     json_pack("{s:o,s:s,s:I,s:I}", "auditor",
						       jhex(cnt[j].auditor, 20), "source", cnt[j].source,
						       "passed", (json_int_t)cnt[j].passed, "decided",
						       (json_int_t)cnt[j].decided)));
		}
		for (size_t j = 0; j < ntx; j++) {
			if (txs[j].epoch != ep)
				continue;
			json_array_append_new(
				tl, json_pack("{s:s,s:o,s:s,s:o}", "purpose", txs[j].purpose, "tx_hash",
					      jhex(txs[j].hash, 32), "state", txs[j].state, "block",
					      txs[j].has_block ? ju64(txs[j].block) : json_null()));
		}
		json_t *o = json_pack("{s:I,s:I,s:I,s:I}", "epoch", (json_int_t)ep, "challenges",
				      (json_int_t)challenges, "passes", (json_int_t)passes,
				      "auditor_errors", (json_int_t)aerr);
		jscore(passes, challenges, "", o);
		json_object_set_new(o, "records", records);
		json_object_set_new(o, "attestations", atts);
		json_object_set_new(o, "median", median_json(cnt, ncnt, ep));
		/* What the chain paid (settle/payouts.h: the numbers `assay payouts` prints);
		 * null until the epoch is finalized and read. Amounts in wei, as strings. */
		const struct settle_payout *ns = NULL;
		for (size_t j = 0; j < nsc; j++)
			if (sc[j].epoch == ep)
				ns = &sc[j];
		char rew[CHAIN_U256_STRLEN], sl[CHAIN_U256_STRLEN], med[CHAIN_U256_STRLEN];
		if (ns) {
			chain_u256_to_dec(&ns->reward, rew);
			chain_u256_to_dec(&ns->slashed, sl);
			chain_u256_to_dec(&ns->median, med);
		}
		json_object_set_new(o, "reward", ns ? json_string(rew) : json_null());
		json_object_set_new(o, "penalty", ns ? json_string(sl) : json_null());
		json_object_set_new(o, "penalized", ns ? json_boolean(ns->penalized) : json_null());
		json_object_set_new(o, "median_on_chain",
				    ns ? json_pack("{s:f,s:s}", "score", strtod(med, NULL) / 1e18,
						   "score_wad", med)
				       : json_null());
		json_object_set_new(o, "finalize_tx", ns ? jhex(ns->finalize_tx, 32) : json_null());
		json_object_set_new(o, "transactions", tl);
		json_array_append_new(list, o);
	}
	json_t *body = json_pack("{s:o,s:o,s:o}", "node", jhex(node, 20), "epochs", list,
				 "next_from",
				 nep == limit && eps[nep - 1] < to ? ju64(eps[nep - 1] + 1) : json_null());
	list = NULL;
	ret = send_json(conn, MHD_HTTP_OK, body, 0);
out:
	pool_release(a, s);
	json_decref(list);
	free(eps);
	free(cnt);
	free(tal);
	free(txs);
	free(sc);
	return ret;
}

/* Does the epoch exist (a row in epochs)? */
static bool epoch_known(struct db *db, uint64_t epoch, bool *known, struct err *e)
{
	struct db_api_epoch *ep = NULL;
	size_t n = 0;
	if (!db_api_epochs(db, epoch > 0, epoch > 0 ? epoch - 1 : 0, 1, &ep, &n, e))
		return false;
	*known = n == 1 && ep[0].epoch == epoch;
	free(ep);
	return true;
}

/* The signature as served; in the test-only tamper mode (api.h) the first one has a byte
 * of r flipped, which makes it recover to another address. */
static json_t *signature_json(const struct api *a, const struct db_api_attestation *x, size_t i)
{
	uint8_t sig[65];
	memcpy(sig, x->sig, 65);
	if (a->tamper && i == 0)
		sig[7] ^= 0x01;
	return jhex(sig, 65);
}

static enum MHD_Result get_attestations(struct api *a, struct MHD_Connection *conn,
					uint64_t epoch, const struct settle_api_args *q)
{
	static const char *const allowed[] = {NULL};
	char why[160];
	if (!settle_api_args_check(q, allowed, why, sizeof(why)))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "%s", why);

	struct slot *s = pool_acquire(a);
	struct err e = {{0}};
	struct db_api_attestation *at = NULL;
	struct db_api_count *cnt = NULL;
	struct settle_convictions cvs = {0};
	size_t nat = 0, ncnt = 0;
	bool known = false;
	json_t *list = NULL;
	enum MHD_Result ret;
	if (!slot_connect(a, s)) {
		ret = send_db_unavailable(conn);
		goto out;
	}
	if (!epoch_known(s->db, epoch, &known, &e) ||
	    !db_api_attestations(s->db, epoch, epoch, &at, &nat, &e) ||
	    !db_api_epoch_counts(s->db, epoch, &cnt, &ncnt, &e)) {
		ret = send_db_failure(conn, s, &e);
		goto out;
	}
	if (!known && !nat) {
		ret = send_error(conn, MHD_HTTP_NOT_FOUND, "no epoch %" PRIu64 " in this database",
				 epoch);
		goto out;
	}
	/* Each attestation's conviction, from the chain; when the chain cannot be read the
	 * attestations are served without "dispute" and disputes_error says why. */
	struct err ce = {{0}};
	bool chain_ok = slot_chain(a, s, &ce);
	if (chain_ok && !settle_convictions_read(s->chain, epoch, &cvs, &ce)) {
		log_warn("disputes of epoch %" PRIu64 ": %s", epoch, ce.msg);
		chain_ok = false;
	}
	list = json_array();
	for (size_t i = 0; i < nat; i++) {
		const struct db_api_attestation *x = &at[i];
		json_t *counts = json_array();
		for (size_t j = 0; j < ncnt; j++)
			if (!memcmp(cnt[j].auditor, x->auditor, 20) && !strcmp(cnt[j].source, x->source))
				json_array_append_new(
					counts, json_pack("{s:o,s:I,s:I}", "node", jhex(cnt[j].node, 20),
							  "passed", (json_int_t)cnt[j].passed,
							  "decided", (json_int_t)cnt[j].decided));
		json_array_append_new(
			list,
			json_pack("{s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:I,s:I,s:I,s:I,s:o}", "auditor",
				  jhex(x->auditor, 20), "source", x->source, "committee_hash",
				  jhex(x->committee_hash, 32), "counts_hash", jhex(x->counts_hash, 32),
				  "evidence_root", jhex(x->evidence_root, 32), "evidence_blob",
				  jhex(x->evidence_blob, 32), "signature",
				  x->has_sig ? signature_json(a, x, i) : json_null(), "created_at",
				  (json_int_t)x->created_unix, "nodes", (json_int_t)x->nodes, "passed",
				  (json_int_t)x->passed, "decided", (json_int_t)x->decided, "counts",
				  counts));
		if (chain_ok) {
			const struct settle_conviction *cv =
				settle_conviction_find(&cvs, -1, x->auditor);
			json_object_set_new(json_array_get(list, i), "dispute",
					    cv ? settle_conviction_json(cv) : json_null());
		}
	}
	json_t *body = json_pack("{s:I,s:o}", "epoch", (json_int_t)epoch, "attestations", list);
	list = NULL;
	if (!chain_ok)
		json_object_set_new(body, "disputes_error", json_string(ce.msg));
	ret = send_json(conn, MHD_HTTP_OK, body, 0);
out:
	pool_release(a, s);
	json_decref(list);
	settle_convictions_clear(&cvs);
	free(at);
	free(cnt);
	return ret;
}

/* The epoch's convictions, from the chain only (no database read). */
static enum MHD_Result get_disputes(struct api *a, struct MHD_Connection *conn, uint64_t epoch,
				    const struct settle_api_args *q)
{
	static const char *const allowed[] = {NULL};
	char why[160];
	if (!settle_api_args_check(q, allowed, why, sizeof(why)))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "%s", why);
	struct slot *s = pool_acquire(a);
	struct settle_convictions cvs = {0};
	struct err e = {{0}};
	enum MHD_Result ret;
	bool known = a->cfg.deployment && a->cfg.rpc_url && *a->cfg.rpc_url;
	if (!known) {
		ret = send_error(conn, MHD_HTTP_NOT_FOUND,
				 "this server knows no chain (start it with --deployment and "
				 "--rpc-url): disputes are read from the chain");
	} else if (!slot_chain(a, s, &e) || !settle_convictions_read(s->chain, epoch, &cvs, &e)) {
		log_warn("disputes of epoch %" PRIu64 ": %s", epoch, e.msg);
		ret = send_error(conn, MHD_HTTP_BAD_GATEWAY, "the chain could not be read: %s", e.msg);
	} else {
		json_t *list = json_array();
		for (size_t i = 0; i < cvs.n; i++)
			json_array_append_new(list, settle_conviction_json(&cvs.v[i]));
		ret = send_json(conn, MHD_HTTP_OK,
				json_pack("{s:I,s:o}", "epoch", (json_int_t)epoch, "disputes", list), 0);
	}
	pool_release(a, s);
	settle_convictions_clear(&cvs);
	return ret;
}

/* EVIDENCE.md writes zeros for "no response"; the API says null. */
static bool has_hash(const struct settle_record *r)
{
	static const uint8_t zeros[32];
	return memcmp(r->response_hash, zeros, 32) != 0;
}

static enum MHD_Result get_evidence(struct api *a, struct MHD_Connection *conn, uint64_t epoch,
				    const uint8_t node[20], const struct settle_api_args *q)
{
	static const char *const allowed[] = {"limit", "after_seq", "auditor", NULL};
	char why[160];
	uint64_t limit, after = 0;
	bool has_after;
	uint8_t auditor[20];
	const char *aud_text = settle_api_args_get(q, "auditor");
	if (!settle_api_args_check(q, allowed, why, sizeof(why)) ||
	    !arg_limit(a, q, &limit, why, sizeof(why)) ||
	    !settle_api_arg_number(q, "after_seq", &has_after, &after, why, sizeof(why)))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "%s", why);
	if (aud_text && !settle_api_parse_id(aud_text, auditor))
		return send_error(conn, MHD_HTTP_BAD_REQUEST,
				  "auditor must be 0x followed by 40 hex digits");

	struct slot *s = pool_acquire(a);
	struct err e = {{0}};
	uint8_t(*auds)[20] = NULL;
	struct settle_record *recs = NULL;
	struct db_api_attestation *at = NULL;
	struct settle_evidence *ev = NULL;
	struct settle_evidence_proof *pr = xcalloc(1, sizeof(*pr));
	size_t nauds = 0, nrows = 0, nat = 0;
	json_t *list = NULL;
	enum MHD_Result ret;
	if (!slot_connect(a, s)) {
		ret = send_db_unavailable(conn);
		goto out;
	}
	if (!aud_text) {
		if (!db_api_record_auditors(s->db, epoch, &auds, &nauds, &e)) {
			ret = send_db_failure(conn, s, &e);
			goto out;
		}
		if (nauds == 0) {
			ret = send_error(conn, MHD_HTTP_NOT_FOUND,
					 "no challenge records of epoch %" PRIu64 " in this database",
					 epoch);
			goto out;
		}
		if (nauds > 1) {
			ret = send_error(conn, MHD_HTTP_BAD_REQUEST,
					 "this database holds records of %zu auditors for the epoch; "
					 "choose one with auditor=0x...",
					 nauds);
			goto out;
		}
		memcpy(auditor, auds[0], 20);
	}
	/* The same selection of decided records and the same committee order as the settle
	 * job's, so the proofs served here lead to the root that was attested. */
	if (!settle_records_load(s->db, epoch, auditor, &recs, &nrows, &e) ||
	    !db_api_attestations(s->db, epoch, epoch, &at, &nat, &e)) {
		ret = send_db_failure(conn, s, &e);
		goto out;
	}
	if (nrows == 0) {
		ret = send_error(conn, MHD_HTTP_NOT_FOUND,
				 "no challenge records of that auditor in epoch %" PRIu64, epoch);
		goto out;
	}
	free(recs);
	recs = NULL;
	if (!settle_evidence_load(s->db, epoch, auditor, &ev, &recs, &nrows, &e)) {
		ret = send_db_failure(conn, s, &e);
		goto out;
	}
	if (!ev) {
		ret = send_error(conn, MHD_HTTP_CONFLICT,
				 "epoch %" PRIu64 " is not scored by that auditor yet: its evidence "
				 "tree is built over the committee of its attestation",
				 epoch);
		goto out;
	}
	uint8_t root[32];
	settle_evidence_root(ev, root);
	json_t *roots = json_array();
	for (size_t i = 0; i < nat; i++)
		if (!memcmp(at[i].auditor, auditor, 20))
			json_array_append_new(
				roots, json_pack("{s:s,s:o,s:b}", "source", at[i].source,
						 "evidence_root", jhex(at[i].evidence_root, 32),
						 "matches", !memcmp(at[i].evidence_root, root, 32)));
	/* The node's entry (its subtree total and top path) once; each record carries its
	 * path up the node's subtree. */
	size_t node_index;
	json_t *node_proof = json_null();
	if (settle_evidence_node_index(ev, node, &node_index)) {
		settle_evidence_total_proof(ev, node_index, pr);
		node_proof = settle_evidence_proof_json(pr);
	}
	list = json_array();
	size_t shown = 0;
	uint64_t last_seq = 0;
	for (size_t i = 0; i < nrows && shown < limit; i++) {
		const struct settle_record *r = &recs[i];
		if (memcmp(r->node, node, 20) || (has_after && r->seq <= after))
			continue;
		uint8_t enc[SETTLE_EVIDENCE_RECORD_LEN];
		settle_record_encode(r, enc);
		settle_evidence_proof(ev, i, pr);
		json_t *sub_path = json_array();
		for (size_t k = 0; k < pr->sub_len; k++)
			json_array_append_new(
				sub_path, json_pack("{s:o,s:I,s:I}", "h", jhex(pr->sub_path[k].h, 32),
						    "passed", (json_int_t)pr->sub_path[k].passed,
						    "decided", (json_int_t)pr->sub_path[k].decided));
		json_array_append_new(
			list,
			json_pack("{s:I,s:i,s:o,s:i,s:i,s:i,s:s,s:s,s:I,s:o,s:o,s:I,s:o}", "seq",
				  (json_int_t)r->seq, "attempt", (int)r->attempt, "blob",
				  jhex(r->blob, 32), "shard", (int)r->shard, "row", (int)r->row, "col",
				  (int)r->col, "axis", audit_proof_axis_name(r->axis), "outcome",
				  audit_outcome_name(r->outcome), "latency_ms",
				  (json_int_t)r->latency_ms, "response_hash",
				  has_hash(r) ? jhex(r->response_hash, 32) : json_null(), "record",
				  jhex(enc, sizeof(enc)), "pos", (json_int_t)pr->pos, "sub_path",
				  sub_path));
		shown++;
		last_seq = r->seq;
	}
	json_t *body = json_pack("{s:I,s:o,s:o,s:I,s:o,s:o,s:o,s:o,s:o}", "epoch",
				 (json_int_t)epoch, "auditor", jhex(auditor, 20), "node", jhex(node, 20),
				 "leaves", (json_int_t)settle_evidence_count(ev), "root",
				 jhex(root, 32), "attested_roots", roots, "node_proof", node_proof,
				 "records", list, "next_after_seq",
				 shown == limit ? ju64(last_seq) : json_null());
	list = NULL;
	ret = send_json(conn, MHD_HTTP_OK, body, 0);
out:
	pool_release(a, s);
	json_decref(list);
	settle_evidence_free(ev);
	free(pr);
	free(auds);
	free(recs);
	free(at);
	return ret;
}

/* ---- for the pages ---- */

static json_t *jaddr(const uint8_t addr[20])
{
	char c[43];
	chain_address_checksum(c, addr);
	return json_string(c);
}

/* Where the pages read the chain: the RPC URL and the deployment's addresses. */
static enum MHD_Result get_chain(struct api *a, struct MHD_Connection *conn)
{
	const struct chain_deployment *d = a->cfg.deployment;
	json_t *dep = json_null();
	if (d)
		dep = json_pack("{s:I,s:i,s:I,s:o,s:o,s:o,s:o}", "chain_id", (json_int_t)d->chain_id,
				"n_shards", (int)d->n_shards, "start_block", (json_int_t)d->start_block,
				"staking", jaddr(d->staking), "settlement", jaddr(d->settlement),
				"blob_registry", jaddr(d->blob_registry), "token", jaddr(d->token));
	const char *rpc = a->cfg.rpc_url && *a->cfg.rpc_url ? a->cfg.rpc_url : NULL;
	return send_json(conn, MHD_HTTP_OK,
			 json_pack("{s:o,s:o}", "rpc_url", rpc ? json_string(rpc) : json_null(),
				   "deployment", dep),
			 0);
}

/* The network page's table and chart: what each epoch paid (node_scores) and the newest
 * committee recorded, with each member's result in the newest scored epoch. */
static enum MHD_Result get_network(struct api *a, struct MHD_Connection *conn,
				   const struct settle_api_args *q)
{
	static const char *const allowed[] = {NULL};
	char why[160];
	if (!settle_api_args_check(q, allowed, why, sizeof(why)))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "%s", why);
	struct slot *s = pool_acquire(a);
	struct err e = {{0}};
	struct db_api_epoch_total *tot = NULL;
	struct db_api_member *mem = NULL;
	size_t ntot = 0, nmem = 0;
	enum MHD_Result ret;
	if (!slot_connect(a, s)) {
		ret = send_db_unavailable(conn);
		goto out;
	}
	if (!db_api_epoch_totals(s->db, 0, EPOCH_MAX, &tot, &ntot, &e) ||
	    !db_api_members(s->db, &mem, &nmem, &e)) {
		ret = send_db_failure(conn, s, &e);
		goto out;
	}
	json_t *epochs = json_array(), *nodes = json_array();
	for (size_t i = 0; i < ntot; i++)
		json_array_append_new(epochs,
				      json_pack("{s:I,s:I,s:I,s:s,s:s}", "epoch", (json_int_t)tot[i].epoch,
						"nodes", (json_int_t)tot[i].nodes, "penalized",
						(json_int_t)tot[i].penalized, "reward", tot[i].reward,
						"slashed", tot[i].slashed));
	for (size_t i = 0; i < nmem; i++) {
		const struct db_api_member *m = &mem[i];
		json_t *o = json_pack("{s:o,s:I,s:I}", "node", jhex(m->node, 20), "position",
				      (json_int_t)m->position, "shards", (json_int_t)m->shards);
		json_object_set_new(o, "median_score_wad", m->has_score ? json_string(m->median) : json_null());
		json_object_set_new(o, "reward", m->has_score ? json_string(m->reward) : json_null());
		json_object_set_new(o, "slashed", m->has_score ? json_string(m->slashed) : json_null());
		json_object_set_new(o, "penalized", m->has_score ? json_boolean(m->penalized) : json_null());
		json_array_append_new(nodes, o);
	}
	json_t *body = json_pack("{s:o,s:o,s:o,s:o}", "epochs", epochs, "committee_epoch",
				 nmem ? ju64(mem[0].epoch) : json_null(), "scored_epoch",
				 nmem && ntot ? ju64(mem[0].scored_epoch) : json_null(), "nodes", nodes);
	ret = send_json(conn, MHD_HTTP_OK, body, 0);
out:
	pool_release(a, s);
	free(tot);
	free(mem);
	return ret;
}

/* How a node's decided challenges ended, per epoch and auditor: why it lost score. */
static enum MHD_Result get_outcomes(struct api *a, struct MHD_Connection *conn,
				    const uint8_t node[20], const struct settle_api_args *q)
{
	static const char *const allowed[] = {"from", "to", NULL};
	char why[160];
	uint64_t from = 0, to = EPOCH_MAX;
	bool has;
	if (!settle_api_args_check(q, allowed, why, sizeof(why)) ||
	    !settle_api_arg_number(q, "from", &has, &from, why, sizeof(why)) ||
	    !settle_api_arg_number(q, "to", &has, &to, why, sizeof(why)))
		return send_error(conn, MHD_HTTP_BAD_REQUEST, "%s", why);
	struct slot *s = pool_acquire(a);
	struct err e = {{0}};
	struct db_api_outcome *oc = NULL;
	size_t noc = 0;
	enum MHD_Result ret;
	if (!slot_connect(a, s)) {
		ret = send_db_unavailable(conn);
		goto out;
	}
	if (!db_api_node_outcomes(s->db, node, from, to, &oc, &noc, &e)) {
		ret = send_db_failure(conn, s, &e);
		goto out;
	}
	json_t *list = json_array();
	for (size_t i = 0; i < noc; i++)
		json_array_append_new(list, json_pack("{s:I,s:o,s:s,s:I}", "epoch",
						      (json_int_t)oc[i].epoch, "auditor",
						      jhex(oc[i].auditor, 20), "outcome", oc[i].outcome,
						      "count", (json_int_t)oc[i].count));
	ret = send_json(conn, MHD_HTTP_OK,
			json_pack("{s:o,s:o}", "node", jhex(node, 20), "outcomes", list), 0);
out:
	pool_release(a, s);
	free(oc);
	return ret;
}

/* A page or an asset. Pages allow scripts, styles and images of this host only, and
 * connections to this host and the chain's RPC (the API's, or one the user gave as
 * ?rpc=URL, which the page then reads instead). */
static enum MHD_Result send_web(struct api *a, struct MHD_Connection *conn, const char *url,
				const struct settle_api_args *q)
{
	const struct settle_web_asset *asset = NULL;
	unsigned status = MHD_HTTP_OK;
	bool page = settle_web_is_page(url);
	if (!strncmp(url, "/assets/", 8))
		asset = settle_web_asset_get(url);
	if (!asset) {
		/* Unknown paths get the shell too (it says "not found"), with a 404. */
		if (!page)
			status = MHD_HTTP_NOT_FOUND;
		asset = settle_web_asset_get("/assets/index.html");
		page = true;
	}
	if (!asset)
		return send_error(conn, MHD_HTTP_NOT_FOUND, "no such page");
	char extra[256] = "";
	const char *rpc = settle_api_args_get(q, "rpc");
	if (page && rpc && !settle_web_origin(rpc, extra, sizeof(extra)))
		extra[0] = '\0';
	char csp[700];
	snprintf(csp, sizeof(csp),
		 "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
		 "font-src 'self'; connect-src 'self'%s%s%s%s; base-uri 'none'; form-action 'self'; "
		 "frame-ancestors 'none'",
		 a->rpc_origin[0] ? " " : "", a->rpc_origin, extra[0] ? " " : "", extra);
	struct MHD_Response *r = MHD_create_response_from_buffer(
		asset->len, (void *)(uintptr_t)asset->data, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, asset->type);
	MHD_add_response_header(r, "Content-Security-Policy", csp);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, page ? "no-store" : "no-cache");
	enum MHD_Result ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- routing ---- */

static enum MHD_Result route(struct api *a, struct MHD_Connection *conn, const char *url,
			     const struct settle_api_args *q)
{
	static const char *const none[] = {NULL};
	struct settle_api_route r;
	unsigned status;
	char why[160];
	if (!settle_api_route_parse(url, &r, &status, why, sizeof(why)))
		return send_error(conn, status, "%s", why);
	switch (r.kind) {
	case SETTLE_API_WEB:
		return send_web(a, conn, url, q);
	case SETTLE_API_NETWORK:
		return get_network(a, conn, q);
	case SETTLE_API_CHAIN:
	case SETTLE_API_HEALTH:
		if (!settle_api_args_check(q, none, why, sizeof(why)))
			return send_error(conn, MHD_HTTP_BAD_REQUEST, "%s", why);
		return r.kind == SETTLE_API_CHAIN ? get_chain(a, conn) : get_health(a, conn);
	case SETTLE_API_EPOCHS:
		return get_epochs(a, conn, q);
	case SETTLE_API_PAYOUTS:
		return get_payouts(a, conn, r.node, q);
	case SETTLE_API_OUTCOMES:
		return get_outcomes(a, conn, r.node, q);
	case SETTLE_API_ATTESTATIONS:
		return get_attestations(a, conn, r.epoch, q);
	case SETTLE_API_DISPUTES:
		return get_disputes(a, conn, r.epoch, q);
	case SETTLE_API_EVIDENCE:
		return get_evidence(a, conn, r.epoch, r.node, q);
	}
	return send_error(conn, MHD_HTTP_NOT_FOUND, "no such endpoint");
}

static uint32_t client_ip(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (!ci || !ci->client_addr || ci->client_addr->sa_family != AF_INET)
		return 0;
	return ntohl(((const struct sockaddr_in *)(const void *)ci->client_addr)->sin_addr.s_addr);
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *conn, const char *url,
			      const char *method, const char *version, const char *upload_data,
			      size_t *upload_data_size, void **con_cls)
{
	(void)version;
	(void)upload_data;
	struct api *a = cls;
	struct request *rq = *con_cls;
	if (!rq) {
		rq = xcalloc(1, sizeof(*rq));
		*con_cls = rq;
		unsigned retry = 0;
		if (!net_limiter_take(&a->limiter, client_ip(conn), &retry))
			return send_error_retry(conn, MHD_HTTP_TOO_MANY_REQUESTS, retry,
						"too many requests; retry after %u s", retry);
		if (strcmp(method, MHD_HTTP_METHOD_GET))
			return send_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
					  "this API is read-only: GET only");
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_TRANSFER_ENCODING);
		if ((cl && strcmp(cl, "0")) || te)
			return send_error(conn, HTTP_CONTENT_TOO_LARGE,
					  "requests have no body");
		return MHD_YES;
	}
	if (*upload_data_size) {
		rq->body = true;
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (rq->body)
		return send_error(conn, HTTP_CONTENT_TOO_LARGE, "requests have no body");
	struct settle_api_args q = {0};
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_arg, &q);
	if (strlen(url) + q.bytes > a->cfg.max_url)
		return send_error(conn, MHD_HTTP_URI_TOO_LONG, "the URL is longer than %" PRIu64
				  " bytes", a->cfg.max_url);
	uint64_t t0 = now_ms();
	enum MHD_Result ret = route(a, conn, url, &q);
	log_debug("GET %s (%" PRIu64 " ms)", url, now_ms() - t0);
	return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls;
	(void)conn;
	(void)toe;
	free(*con_cls);
	*con_cls = NULL;
}

/* ---- lifecycle ---- */

static void api_free(struct api *a)
{
	if (!a)
		return;
	if (a->daemon)
		MHD_stop_daemon(a->daemon);
	for (unsigned i = 0; a->slots && i < a->nslots; i++) {
		db_close(a->slots[i].db);
		settle_chain_free(a->slots[i].chain);
		chain_rpc_free(a->slots[i].rpc);
	}
	free(a->slots);
	net_limiter_destroy(&a->limiter);
	pthread_mutex_destroy(&a->pool_lock);
	pthread_cond_destroy(&a->pool_cond);
	free(a);
}

bool settle_api_run(const struct settle_api_config *cfg, volatile sig_atomic_t *stop,
		    struct err *e)
{
	bool ok = false;
	struct api *a = xcalloc(1, sizeof(*a));
	pthread_mutex_init(&a->pool_lock, NULL);
	pthread_cond_init(&a->pool_cond, NULL);
	a->cfg = *cfg;
	if (!a->cfg.threads)
		a->cfg.threads = 4;
	if (!a->cfg.max_limit)
		a->cfg.max_limit = 500;
	if (!a->cfg.default_limit || a->cfg.default_limit > a->cfg.max_limit)
		a->cfg.default_limit = a->cfg.max_limit < 100 ? a->cfg.max_limit : 100;
	if (!a->cfg.max_url)
		a->cfg.max_url = 2048;
	if (!a->cfg.rate_per_s)
		a->cfg.rate_per_s = 10;
	if (!a->cfg.burst)
		a->cfg.burst = 20;
	if (!a->cfg.statement_timeout_ms)
		a->cfg.statement_timeout_ms = 5000;
	const char *tamper = getenv("ASSAY_TEST_TAMPER_ATTESTATION");
	a->tamper = tamper && *tamper && strcmp(tamper, "0");
	if (a->tamper)
		log_warn("TEST ONLY: ASSAY_TEST_TAMPER_ATTESTATION is set; the first attestation "
			 "signature of each epoch is served with a byte flipped");
	if (a->cfg.rpc_url && !settle_web_origin(a->cfg.rpc_url, a->rpc_origin, sizeof(a->rpc_origin)))
		a->rpc_origin[0] = '\0';
	net_limiter_init(&a->limiter, (double)a->cfg.rate_per_s, (double)a->cfg.burst);
	a->nslots = a->cfg.threads;
	a->slots = xcalloc(a->nslots, sizeof(*a->slots));
	if (!a->cfg.db_conninfo || !*a->cfg.db_conninfo) {
		err_set(e, "no database configured: pass --db CONNINFO or set ASSAY_DB");
		goto out;
	}
	if (!net_parse_listen(cfg->listen, "--listen", "127.0.0.1:8080", &a->addr, e))
		goto out;
	a->daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY, 0, NULL, NULL, handle, a,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&a->addr, MHD_OPTION_THREAD_POOL_SIZE,
		a->cfg.threads, MHD_OPTION_NOTIFY_COMPLETED, completed, a,
		MHD_OPTION_CONNECTION_LIMIT, a->cfg.max_connections ? a->cfg.max_connections : 256u,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, a->cfg.max_per_ip ? a->cfg.max_per_ip : 32u,
		MHD_OPTION_CONNECTION_TIMEOUT, a->cfg.timeout_s ? a->cfg.timeout_s : 15u,
		/* Bounds the request line and headers; longer ones get 414/431 from MHD. */
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)16384,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u, MHD_OPTION_END);
	if (!a->daemon) {
		err_set(e, "cannot listen on %s (in use, or not an address of this host)",
			cfg->listen);
		goto out;
	}
	unsigned port = ntohs(a->addr.sin_port);
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(a->daemon, MHD_DAEMON_INFO_BIND_PORT);
	if (di)
		port = di->port;
	char host[32];
	inet_ntop(AF_INET, &a->addr.sin_addr, host, sizeof(host));
	log_info("API serving on http://%s:%u/v1/ (pages at http://%s:%u/)", host, port, host, port);
	while (!*stop) {
		struct timespec ts = {0, 100 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	log_info("API stopping");
	ok = true;
out:
	api_free(a);
	return ok;
}
