/* audit_run_cmds.c: assay audit plan|run: the challenge schedule of an epoch, and the
 * auditor daemon that carries it out (audit/auditor.h), recording into PostgreSQL
 * (sql/challenges.h) and serving /metrics and /healthz (libmicrohttpd).
 *
 * Inputs come from one of two places, into the same arrays (struct audit_auditor_node,
 * struct audit_schedule_blob):
 *   - our chain (no --committee): chain/reader.h reads, as of the finalized block, the
 *     epoch's committee in order (node id = operator address, endpoint, the shards not in
 *     grace), its seed once final, and the snapshot of certified blobs; with a database
 *     the same state is kept in it (sql/chaincache.h, tables epochs, nodes,
 *     committee_members, shard_assignments, blobs), so a restart schedules from what was
 *     read the first time. As a daemon it follows the chain from epoch to epoch.
 *   - a committee file (node/committee.h), a blob list and a seed: nodes that are not on
 *     our chain (real Walrus storage nodes). */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit/auditor.h"
#include "audit/blob.h"
#include "audit/challenge.h"
#include "audit/metrics.h"
#include "audit/schedule.h"
#include "chain/bindings.h"
#include "chain/key.h"
#include "chain/reader.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "cli/settings.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "node/committee.h"
#include "settle/secret.h"
#include "sql/chaincache.h"
#include "sql/challenges.h"
#include "sql/db.h"

/* ---- inputs ---- */

struct inputs {
	struct node_committee *committee; /* from a file */
	struct audit_auditor_node *nodes;
	uint16_t **shards;
	char **urls;                      /* from the chain: the endpoints, normalized */
	size_t nnodes;
	struct audit_schedule_blob *blobs;
	size_t nblobs;
	struct audit_schedule_params params;
	/* from the chain: the epoch's start and length; where the state was read */
	uint64_t chain_start_ms, chain_duration_ms;
	uint64_t as_of_block;
	bool from_cache;
};

static void inputs_free(struct inputs *in)
{
	for (size_t i = 0; i < in->nnodes; i++) {
		free(in->shards[i]);
		if (in->urls)
			free(in->urls[i]);
	}
	free(in->shards);
	free(in->urls);
	free(in->nodes);
	free(in->blobs);
	node_committee_free(in->committee);
	wipe(in->params.secret, sizeof(in->params.secret));
	memset(in, 0, sizeof(*in));
}

/* The epoch's secret, the one the settle job reveals: either a file holding it (32 bytes
 * hex, mode 0600), or derived from the auditor's signing key as settle/secret.h says. */
static bool load_secret_file(const char *path, uint8_t master[32], struct err *e)
{
	struct stat st;
	if (stat(path, &st) != 0)
		return err_set(e, "cannot read the secret file %s: %s", path, strerror(errno));
	if (st.st_mode & 077)
		return err_set(e, "the secret file %s is readable by others (mode %03o); chmod 600 it",
			       path, (unsigned)(st.st_mode & 0777));
	uint8_t *text = NULL;
	size_t len = 0;
	if (!read_file(path, 256, &text, &len, e))
		return false;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	char hex[80];
	bool ok = false;
	if (len >= sizeof(hex)) {
		err_set(e, "the secret file %s must hold 32 bytes as hex", path);
		goto out;
	}
	memcpy(hex, text, len);
	hex[len] = '\0';
	struct err le;
	if (!hex_decode_exact(master, 32, hex, &le)) {
		err_set(e, "the secret file %s must hold 32 bytes as hex", path);
		goto out;
	}
	ok = true;
out:
	wipe(hex, sizeof(hex));
	wipe(text, len);
	free(text);
	return ok;
}

#define EPOCH_UNSET UINT64_MAX

struct input_opts {
	const char *committee; /* NULL: from the chain */
	const char *blobs;
	const char *seed;
	const char *secret; /* the epoch's secret itself (plan, after the reveal) */
	const char *auditor;
	const char *key_file; /* signing key: the epoch secret derives from it */
	uint64_t epoch;       /* EPOCH_UNSET: not given */
};

/* The schedule's parameters that do not come from the committee: the epoch, the
 * settings, the auditor and its secret for the epoch. Starts `in` afresh. */
static bool params_load(const struct input_opts *o, uint64_t epoch, struct inputs *in,
			struct err *e)
{
	memset(in, 0, sizeof(*in));
	struct audit_schedule_params *p = &in->params;
	audit_schedule_params_defaults(p);
	p->epoch = epoch;
	p->window_ms = settings.audit_window_ms;
	p->min_per_node = (uint32_t)settings.audit_min_per_node;
	p->per_shard = (uint32_t)settings.audit_per_shard;
	p->batch_size = (uint32_t)settings.audit_batch_size;
	const char *aud = o->auditor ? o->auditor : settings.auditor_address;
	if (o->key_file) {
		struct chain_key *k = NULL;
		if (!chain_key_from_file(&k, o->key_file, e))
			return false;
		uint8_t addr[20];
		chain_key_address(k, addr);
		bool ok = settle_secret_derive(k, p->epoch, p->secret, e);
		chain_key_free(k);
		if (!ok)
			return false;
		if (aud) {
			uint8_t given[20];
			if (!hex_decode_exact(given, 20, aud, e) || memcmp(given, addr, 20))
				return err_set(e, "--auditor does not match the address of --key-file");
		}
		memcpy(p->auditor, addr, 20);
	} else {
		if (!aud || !hex_decode_exact(p->auditor, 20, aud, e))
			return err_set(e, "--auditor must be the auditor's 20-byte address in hex");
		if (o->secret) {
			if (!hex_decode_exact(p->secret, 32, o->secret, e))
				return err_set(e, "--secret must be the epoch's 32-byte secret in hex");
		} else if (settings.secret_file && *settings.secret_file) {
			if (!load_secret_file(settings.secret_file, p->secret, e))
				return false;
		} else {
			return err_set(e, "the epoch's secret is needed: --key-file FILE (the signing key "
					  "it derives from), --secret-file FILE, or --secret HEX");
		}
	}
	return true;
}

/* A committee file, a blob list and a seed (nodes that are not on our chain). */
static bool inputs_load_file(const struct input_opts *o, struct inputs *in, struct err *e)
{
	uint64_t epoch = o->epoch == EPOCH_UNSET ? 0 : o->epoch;
	if (!params_load(o, epoch, in, e))
		return false;
	struct audit_schedule_params *p = &in->params;
	if (!o->seed || !hex_decode_exact(p->seed, 32, o->seed, e))
		return err_set(e, "--seed must be the epoch's 32-byte seed in hex");
	if (!node_committee_load(o->committee, &in->committee, e))
		return false;
	struct node_committee *c = in->committee;
	p->n = c->n;
	in->nnodes = c->count;
	in->nodes = xcalloc(c->count ? c->count : 1, sizeof(*in->nodes));
	in->shards = xcalloc(c->count ? c->count : 1, sizeof(*in->shards));
	for (size_t i = 0; i < c->count; i++) {
		const struct node_member *m = &c->members[i];
		struct audit_auditor_node *nd = &in->nodes[i];
		in->shards[i] = xcalloc(m->shard_count ? m->shard_count : 1, sizeof(uint16_t));
		for (size_t k = 0; k < m->shard_count; k++)
			in->shards[i][k] = (uint16_t)m->shards[k];
		/* The schedule wants them ascending; a committee file need not list them so. */
		for (size_t a = 1; a < m->shard_count; a++)
			for (size_t b = a; b > 0 && in->shards[i][b - 1] > in->shards[i][b]; b--) {
				uint16_t t = in->shards[i][b];
				in->shards[i][b] = in->shards[i][b - 1];
				in->shards[i][b - 1] = t;
			}
		nd->shards = in->shards[i];
		nd->nshards = m->shard_count;
		nd->url = m->url;
		nd->pin = m->pin;
		/* "id" (default "address"): the node id records and attestations name. */
		if (m->has_id)
			memcpy(nd->id, m->id, 20);
		else
			audit_node_id_from_url(m->url, nd->id);
	}
	if (!audit_blobs_load(o->blobs, &in->blobs, &in->nblobs, e))
		return false;
	return true;
}

/* ---- the store: sql/challenges.h behind audit_store ---- */

struct store {
	const char *conninfo;
	struct db *db;
	bool migrated;
};

static bool store_connect(struct store *s, struct err *e)
{
	if (s->db)
		return true;
	if (!db_open(&s->db, s->conninfo, (unsigned)settings.db_connect_timeout_s, e))
		return false;
	if (!s->migrated) {
		if (!db_migrate(s->db, NULL, NULL, e)) {
			db_close(s->db);
			s->db = NULL;
			return false;
		}
		s->migrated = true;
	}
	return true;
}

static bool store_write(void *ctx, const struct audit_record *rows, size_t n, struct err *e)
{
	struct store *s = ctx;
	if (!store_connect(s, e))
		return false;
	struct db_challenge_row *v = xcalloc(n ? n : 1, sizeof(*v));
	for (size_t i = 0; i < n; i++) {
		const struct audit_record *r = &rows[i];
		struct db_challenge_row *d = &v[i];
		d->epoch = r->epoch;
		memcpy(d->auditor, r->auditor, 20);
		d->seq = r->seq;
		d->attempt = r->attempt;
		memcpy(d->node_id, r->node_id, 20);
		memcpy(d->blob_id, r->blob_id, 32);
		d->shard = r->shard;
		d->symbol_row = r->symbol.primary;
		d->symbol_col = r->symbol.secondary;
		d->secondary = r->axis == AUDIT_AXIS_SECONDARY;
		d->issued_at_ms = r->issued_at_ms;
		d->latency_ms = r->latency_ms;
		d->outcome = audit_outcome_name(r->outcome);
		d->http_status = r->http_status;
		d->has_hash = r->has_hash;
		memcpy(d->response_hash, r->response_hash, 32);
		snprintf(d->detail, sizeof(d->detail), "%s", r->detail);
	}
	bool ok = db_challenges_copy(s->db, v, n, e);
	free(v);
	return ok;
}

static bool store_load(void *ctx, uint64_t epoch, const uint8_t auditor[20],
		       struct audit_recorded **out, size_t *n, struct err *e)
{
	struct store *s = ctx;
	*out = NULL;
	*n = 0;
	if (!store_connect(s, e))
		return false;
	struct db_challenge_last *v = NULL;
	size_t nv = 0;
	if (!db_challenges_last(s->db, epoch, auditor, &v, &nv, e))
		return false;
	struct audit_recorded *r = xcalloc(nv ? nv : 1, sizeof(*r));
	for (size_t i = 0; i < nv; i++) {
		r[i].seq = v[i].seq;
		r[i].attempt = v[i].attempt;
		r[i].http_status = v[i].http_status;
		if (!audit_outcome_parse(v[i].outcome, &r[i].outcome)) {
			free(v);
			free(r);
			return err_set(e, "unknown outcome '%s' recorded for seq %" PRIu64,
				       v[i].outcome, v[i].seq);
		}
	}
	free(v);
	*out = r;
	*n = nv;
	return true;
}

static bool store_ping(void *ctx, struct err *e)
{
	struct store *s = ctx;
	if (!s->db)
		return store_connect(s, e);
	return db_ping(s->db, e);
}

/* ---- the chain: chain/reader.h, kept in PostgreSQL by sql/chaincache.h ---- */

struct chain_src {
	struct chain_session s; /* the JSON-RPC client, the deployment, read-only bindings */
	struct chain_reader *r;
};

static bool chain_src_open(struct chain_src *c, struct err *e)
{
	struct chain_session_opts so;
	memset(&so, 0, sizeof(so));
	memset(c, 0, sizeof(*c));
	if (!cli_chain_session_open(&c->s, &so, false, true, e) ||
	    !chain_reader_new(&c->r, c->s.rpc, &c->s.dep, NULL,
			      settings.confirmations ? settings.confirmations : 1, 0, e))
		return err_prefix(e, "no --committee FILE, so the inputs come from the chain "
				     "(--rpc-url %s, --deployment %s): ",
				  settings.rpc_url, settings.deployment);
	return true;
}

static void chain_src_close(struct chain_src *c)
{
	chain_reader_free(c->r);
	chain_session_close(&c->s);
	memset(c, 0, sizeof(*c));
}

/* The current epoch as of the finalized block. */
static bool chain_current_epoch(struct chain_src *c, uint64_t *cur, uint64_t *fin,
				struct err *e)
{
	if (!chain_reader_finalized(c->r, fin, e))
		return false;
	chain_bind_at_block(c->s.bind, *fin);
	bool ok = chain_staking_current_epoch(c->s.bind, cur, e);
	chain_bind_at_block(c->s.bind, 0);
	return ok;
}

enum chain_ready {
	CHAIN_READY,        /* inputs loaded */
	CHAIN_NOT_YET,      /* the epoch has not begun, or its seed is not final: e says which */
	CHAIN_NO_COMMITTEE, /* nothing to audit in it (e says so) */
};

/* Epoch `epoch`'s inputs: from the cache when a database is given and holds the epoch
 * with a final seed, else from the chain (then stored in the cache); cur and fin are the
 * chain's current epoch and finalized block (chain_current_epoch). Fails on a broken
 * chain or database read; *ready says whether there is something to audit yet. */
static bool inputs_load_chain(const struct input_opts *o, struct chain_src *c, struct store *st,
			      uint64_t epoch, uint64_t cur, uint64_t fin, struct inputs *in,
			      enum chain_ready *ready, struct err *e)
{
	struct chain_epoch_view v;
	struct chain_audit_blob *cb = NULL;
	size_t ncb = 0;
	bool found = false, ok = false;
	memset(&v, 0, sizeof(v));
	*ready = CHAIN_NOT_YET;
	if (!params_load(o, epoch, in, e))
		return false;
	if (st) {
		struct err ce = {{0}};
		if (!store_connect(st, &ce) ||
		    !db_chaincache_load(st->db, epoch, c->s.dep.n_shards, &v, &cb, &ncb, &found, &ce))
			log_warn("reading epoch %" PRIu64 " from the chain cache: %s; reading the chain",
				 epoch, ce.msg);
		if (found && !v.seed_final) {
			chain_epoch_view_clear(&v);
			free(cb);
			cb = NULL;
			ncb = 0;
			found = false;
		}
	}
	if (!found) {
		if (epoch > cur) {
			err_set(e, "epoch %" PRIu64 " has not begun (the chain is in epoch %" PRIu64
				   " as of its finalized block %" PRIu64 ")",
				epoch, cur, fin);
			ok = true;
			goto out;
		}
		if (!chain_reader_epoch(c->r, epoch, &v, e))
			goto out;
		if (!v.seed_final) {
			if (!v.info.seed_source)
				err_set(e, "epoch %" PRIu64 "'s seed is not recorded yet: it is the hash of "
					   "block %" PRIu64 ", which 'assay epoch seed' records once it "
					   "is mined",
					epoch, v.info.seed_block);
			else
				err_set(e, "epoch %" PRIu64 "'s seed (block %" PRIu64 ") is recorded but "
					   "not final yet (finalized block %" PRIu64 " with "
					   "--confirmations %" PRIu64 ")",
					epoch, v.info.seed_block, v.as_of_block,
					settings.confirmations ? settings.confirmations : 1);
			ok = true;
			goto out;
		}
		if (v.nnodes && !chain_reader_blobs(c->r, &v, &cb, &ncb, e))
			goto out;
		if (v.nnodes && st && st->db) {
			struct err ce = {{0}};
			if (!db_chaincache_store(st->db, &v, cb, ncb, &ce))
				log_warn("keeping epoch %" PRIu64 "'s chain state in the database: %s",
					 epoch, ce.msg);
		}
	}
	if (v.nnodes == 0) {
		*ready = CHAIN_NO_COMMITTEE;
		err_set(e, "epoch %" PRIu64 " has no committee on chain: nothing to audit", epoch);
		ok = true;
		goto out;
	}
	struct audit_schedule_params *p = &in->params;
	memcpy(p->seed, v.info.seed, 32);
	p->n = v.n_shards;
	in->chain_start_ms = v.info.start_time * 1000;
	in->chain_duration_ms = v.info.duration * 1000;
	in->as_of_block = v.as_of_block;
	in->from_cache = found;
	in->nnodes = v.nnodes;
	in->nodes = xcalloc(v.nnodes, sizeof(*in->nodes));
	in->shards = xcalloc(v.nnodes, sizeof(*in->shards));
	in->urls = xcalloc(v.nnodes, sizeof(*in->urls));
	for (size_t i = 0; i < v.nnodes; i++) {
		const struct chain_audit_node *an = &v.nodes[i];
		struct audit_auditor_node *nd = &in->nodes[i];
		/* reader.h: id, shards and nshards are those of audit_schedule_node. */
		memcpy(nd->id, an->id, 20);
		in->shards[i] = xcalloc(an->nshards ? an->nshards : 1, sizeof(uint16_t));
		if (an->nshards)
			memcpy(in->shards[i], an->shards, an->nshards * sizeof(uint16_t));
		nd->shards = in->shards[i];
		nd->nshards = an->nshards;
		const char *ep = an->endpoint ? an->endpoint : "";
		struct err ue = {{0}};
		if (!audit_node_url_normalize(ep, &in->urls[i], &ue)) {
			/* Challenged all the same: its answers (none) are its record. */
			log_warn("epoch %" PRIu64 ": committee member %zu's endpoint '%s': %s", epoch,
				 i, ep, ue.msg);
			in->urls[i] = xstrdup(ep);
		}
		nd->url = in->urls[i];
		nd->pin = NULL;
	}
	in->nblobs = ncb;
	in->blobs = xcalloc(ncb ? ncb : 1, sizeof(*in->blobs));
	for (size_t i = 0; i < ncb; i++) {
		memcpy(in->blobs[i].id, cb[i].id, 32);
		in->blobs[i].unencoded_length = cb[i].unencoded_length;
	}
	*ready = CHAIN_READY;
	ok = true;
out:
	chain_epoch_view_clear(&v);
	free(cb);
	return ok;
}

/* The epochs row of an audited epoch, refreshed from the chain (its end, once it ended).
 * A failure is only worth a warning: the row is refreshed again later. */
static void epoch_row_refresh(struct chain_src *c, struct store *st, uint64_t epoch)
{
	if (!st || !st->db)
		return;
	struct chain_epoch_view v;
	struct err e = {{0}};
	if (!chain_reader_epoch(c->r, epoch, &v, &e) || !db_chaincache_epoch_refresh(st->db, &v, &e))
		log_warn("refreshing epoch %" PRIu64 "'s row: %s", epoch, e.msg);
	chain_epoch_view_clear(&v);
}

/* ---- plan ---- */

static int run_plan(const struct command *cmd, int argc, char **argv)
{
	struct input_opts io = {0};
	io.epoch = EPOCH_UNSET;
	bool json = false;
	const struct opt local[] = {
		{"epoch", 0, OPT_U64, &io.epoch, "N",
		 "the epoch (default: from the chain, the current one; with --committee, 0)", NULL,
		 false},
		{"committee", 0, OPT_STRING, &io.committee, "FILE",
		 "committee file (node/committee.h), with --blobs and --seed: nodes not on our "
		 "chain; without it everything comes from the chain (--rpc-url, --deployment)",
		 NULL, false},
		{"blobs", 0, OPT_STRING, &io.blobs, "FILE",
		 "certified blobs, one \"BLOB_ID LENGTH\" per line", NULL, false},
		{"seed", 0, OPT_STRING, &io.seed, "HEX", "the epoch's seed (32 bytes)", NULL, false},
		{"key-file", 0, OPT_STRING, &io.key_file, "FILE",
		 "the auditor's signing key (0x-hex, mode 0600): the epoch secret derives from it "
		 "(settle/secret.h) and the address is its own", NULL, false},
		{"auditor", 0, OPT_STRING, &io.auditor, "ADDR",
		 "the auditor's signing address (default: the auditor-address setting)", NULL, false},
		{"secret", 0, OPT_STRING, &io.secret, "HEX",
		 "the epoch's revealed secret (else derived from --secret-file)", NULL, false},
		{"json", 0, OPT_BOOL, &json, NULL, "print every challenge as JSON", NULL, false},
		OPT_END,
	};
	commands_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	bool from_chain = !io.committee;
	if (from_chain && (io.blobs || io.seed))
		cli_usage_error(cmd, "--blobs and --seed go with --committee FILE; without it the "
				     "blobs and the seed are the chain's");
	if (!from_chain && (!io.blobs || !io.seed))
		cli_usage_error(cmd, "--committee FILE needs --blobs FILE and --seed HEX");
	struct err e = {{0}};
	struct inputs in;
	struct audit_schedule s = {0};
	struct chain_src src;
	struct store st = {settings.db, NULL, false};
	bool have_db = settings.db && *settings.db;
	int rc = EXIT_FAIL;
	memset(&in, 0, sizeof(in));
	memset(&src, 0, sizeof(src));
	if (from_chain) {
		enum chain_ready ready;
		uint64_t cur, fin;
		if (!chain_src_open(&src, &e) ||
		    !chain_current_epoch(&src, &cur, &fin, &e) ||
		    !inputs_load_chain(&io, &src, have_db ? &st : NULL,
				       io.epoch == EPOCH_UNSET ? cur : io.epoch, cur, fin, &in, &ready,
				       &e) ||
		    ready != CHAIN_READY) {
			rc = cli_fail(cmd, "%s", e.msg);
			goto out;
		}
	} else if (!inputs_load_file(&io, &in, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	struct audit_schedule_node *sn = xcalloc(in.nnodes ? in.nnodes : 1, sizeof(*sn));
	for (size_t i = 0; i < in.nnodes; i++) {
		memcpy(sn[i].id, in.nodes[i].id, 20);
		sn[i].shards = in.nodes[i].shards;
		sn[i].nshards = in.nodes[i].nshards;
	}
	bool built = audit_schedule_build(&in.params, sn, in.nnodes, in.blobs, in.nblobs, &s, &e);
	free(sn);
	if (!built) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	uint8_t commit[32];
	char commit_hex[65];
	audit_secret_commitment(in.params.secret, commit);
	hex_encode(commit_hex, commit, 32);
	if (json) {
		printf("{\"epoch\":%" PRIu64 ",\"n\":%u,\"secret_commitment\":\"0x%s\",\"nodes\":[",
		       in.params.epoch, in.params.n, commit_hex);
	} else {
		printf("epoch %" PRIu64 ": %zu challenges, %zu batches, %zu nodes, %zu blobs, n = %u\n"
		       "secret commitment 0x%s\n\n",
		       in.params.epoch, s.nchallenges, s.nbatches, in.nnodes, in.nblobs, in.params.n,
		       commit_hex);
		printf("%-4s %-30s %6s %10s %7s %12s  %s\n", "node", "url", "shards", "challenges",
		       "batches", "first due ms", "P(miss 10% and pass all)");
	}
	for (size_t i = 0; i < in.nnodes; i++) {
		uint64_t c = i < s.nnodes ? s.per_node[i] : 0;
		uint64_t nb = 0, first = UINT64_MAX;
		for (size_t b = 0; b < s.nbatches; b++)
			if (s.batches[b].node == i) {
				nb++;
				if (s.batches[b].at_ms < first)
					first = s.batches[b].at_ms;
			}
		double miss = c ? audit_detection_miss(0.10, c) : 1.0;
		char idhex[41];
		hex_encode(idhex, in.nodes[i].id, 20);
		if (json) {
			printf("%s{\"index\":%zu,\"id\":\"0x%s\",\"url\":", i ? "," : "", i, idhex);
			cli_print_json_string(in.nodes[i].url); /* an endpoint from the chain */
			printf(",\"shards\":%zu,\"challenges\":%" PRIu64 ",\"batches\":%" PRIu64
			       ",\"first_due_ms\":%" PRIu64 ",\"miss_10pct\":%.6g}",
			       in.nodes[i].nshards, c, nb, first == UINT64_MAX ? 0 : first, miss);
		} else {
			char fd[24];
			if (first == UINT64_MAX)
				snprintf(fd, sizeof(fd), "-");
			else
				snprintf(fd, sizeof(fd), "%" PRIu64, first);
			printf("%-4zu %-30.30s %6zu %10" PRIu64 " %7" PRIu64 " %12s  %.3g\n", i,
			       in.nodes[i].url, in.nodes[i].nshards, c, nb, fd, miss);
		}
	}
	if (json) {
		printf("],\"batches\":[");
		for (size_t b = 0; b < s.nbatches; b++)
			printf("%s{\"node\":%u,\"batch\":%u,\"at_ms\":%" PRIu64 ",\"first_seq\":%" PRIu64
			       ",\"count\":%u}",
			       b ? "," : "", s.batches[b].node, s.batches[b].batch, s.batches[b].at_ms,
			       s.batches[b].first_seq, s.batches[b].count);
		printf("],\"challenges\":[");
		for (size_t k = 0; k < s.nchallenges; k++) {
			const struct audit_challenge *c = &s.challenges[k];
			char idt[AUDIT_BLOB_ID_TEXT_LEN + 1], sym[AUDIT_SYMBOL_ID_TEXT_MAX];
			audit_blob_id_text(idt, in.blobs[c->blob].id);
			audit_symbol_id_text(sym, c->symbol);
			printf("%s{\"seq\":%" PRIu64 ",\"node\":%u,\"blob\":\"%s\",\"shard\":%u,"
			       "\"pair\":%u,\"symbol\":\"%s\",\"axis\":\"%s\",\"batch\":%u}",
			       k ? "," : "", c->seq, c->node, idt, c->shard, c->pair, sym,
			       audit_proof_axis_name(c->axis), c->batch);
		}
		printf("]}\n");
	}
	rc = EXIT_OK;
out:
	audit_schedule_free(&s);
	inputs_free(&in);
	chain_src_close(&src);
	db_close(st.db);
	return rc;
}

/* ---- /metrics and /healthz ---- */

/* The metrics of the epoch being audited. A daemon keeps them while the committee stays
 * the same (counters keep counting) and starts new ones when it changes; the HTTP thread
 * reads through the lock, so the swap never pulls them from under it. */
struct metrics_holder {
	pthread_mutex_t lock;
	struct audit_metrics *m;
	char **labels;
	size_t nlabels;
};

static void holder_init(struct metrics_holder *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->m = audit_metrics_new(0, NULL);
}

/* The metrics for a committee whose nodes these urls name. */
static struct audit_metrics *holder_for(struct metrics_holder *h,
					const struct audit_auditor_node *nodes, size_t n)
{
	bool same = n == h->nlabels;
	for (size_t i = 0; same && i < n; i++)
		same = !strcmp(h->labels[i], nodes[i].url);
	if (same)
		return h->m;
	const char **labels = xcalloc(n ? n : 1, sizeof(*labels));
	char **copy = xcalloc(n ? n : 1, sizeof(*copy));
	for (size_t i = 0; i < n; i++) {
		labels[i] = nodes[i].url;
		copy[i] = xstrdup(nodes[i].url);
	}
	struct audit_metrics *m = audit_metrics_new(n, labels);
	free(labels);
	pthread_mutex_lock(&h->lock);
	struct audit_metrics *old = h->m;
	h->m = m;
	pthread_mutex_unlock(&h->lock);
	audit_metrics_free(old);
	for (size_t i = 0; i < h->nlabels; i++)
		free(h->labels[i]);
	free(h->labels);
	h->labels = copy;
	h->nlabels = n;
	return m;
}

static void holder_clear(struct metrics_holder *h)
{
	audit_metrics_free(h->m);
	for (size_t i = 0; i < h->nlabels; i++)
		free(h->labels[i]);
	free(h->labels);
	pthread_mutex_destroy(&h->lock);
	memset(h, 0, sizeof(*h));
}

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload_data,
			     size_t *upload_size, void **req_cls)
{
	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)req_cls;
	struct metrics_holder *h = cls;
	struct buf b = BUF_INIT;
	unsigned status = MHD_HTTP_OK;
	const char *ctype = "text/plain; charset=utf-8";
	if (strcmp(method, "GET") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		buf_append_str(&b, "GET only\n");
	} else if (!strcmp(url, "/metrics")) {
		pthread_mutex_lock(&h->lock);
		audit_metrics_render(h->m, &b);
		pthread_mutex_unlock(&h->lock);
		ctype = "text/plain; version=0.0.4; charset=utf-8";
	} else if (!strcmp(url, "/healthz")) {
		char why[160];
		pthread_mutex_lock(&h->lock);
		if (!audit_metrics_healthy(h->m, 30000, why, sizeof(why)))
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
		pthread_mutex_unlock(&h->lock);
		buf_printf(&b, "%s\n", why);
	} else {
		status = MHD_HTTP_NOT_FOUND;
		buf_append_str(&b, "not found: /metrics or /healthz\n");
	}
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(b.len, b.data, MHD_RESPMEM_MUST_COPY);
	buf_free(&b);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, "Content-Type", ctype);
	enum MHD_Result r = MHD_queue_response(conn, status, resp);
	MHD_destroy_response(resp);
	return r;
}

static bool metrics_start(const char *listen, struct metrics_holder *m, struct MHD_Daemon **out,
			  struct err *e)
{
	*out = NULL;
	const char *colon = strrchr(listen, ':');
	uint64_t port;
	if (!colon || !parse_u64(colon + 1, &port) || port > 65535)
		return err_set(e, "--metrics-listen must be HOST:PORT (an IPv4 address), not '%s'",
			       listen);
	char host[64];
	size_t hl = (size_t)(colon - listen);
	if (hl >= sizeof(host))
		return err_set(e, "--metrics-listen: host too long");
	memcpy(host, listen, hl);
	host[hl] = '\0';
	static struct sockaddr_in addr;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &addr.sin_addr) != 1)
		return err_set(e, "--metrics-listen: '%s' is not an IPv4 address", host);
	*out = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				serve, m, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!*out)
		return err_set(e, "cannot serve metrics on %s (port in use?)", listen);
	return true;
}


/* ---- run ---- */

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* When the epoch starts, as --epoch-start says. */
enum start_mode {
	START_DEFAULT, /* from the chain: the chain's epoch start; from a file: now */
	START_NOW,     /* when the auditor begins the epoch */
	START_AT,      /* unix ms, the first epoch */
};

static bool parse_start(const char *text, enum start_mode *mode, uint64_t *at)
{
	*at = 0;
	if (!text) {
		*mode = START_DEFAULT;
		return true;
	}
	if (!strcmp(text, "now")) {
		*mode = START_NOW;
		return true;
	}
	if (!strcmp(text, "chain")) {
		*mode = START_DEFAULT;
		return true;
	}
	*mode = START_AT;
	return parse_u64(text, at);
}

struct epoch_result {
	bool complete;       /* every challenge decided and recorded */
	uint64_t unrecorded; /* results the database never took */
};

/* One epoch of the engine, to completion or until a signal; prints the table. */
static bool run_epoch(const struct inputs *in, uint64_t start, uint64_t end,
		      struct audit_metrics *metrics, struct store *st, struct epoch_result *res,
		      struct err *e)
{
	struct audit_auditor_config cfg;
	memset(&cfg, 0, sizeof(cfg));
	cfg.sched = &in->params;
	cfg.nodes = in->nodes;
	cfg.nnodes = in->nnodes;
	cfg.blobs = in->blobs;
	cfg.nblobs = in->nblobs;
	cfg.epoch_start_ms = start;
	cfg.epoch_end_ms = end;
	cfg.batch_timeout_ms = settings.audit_batch_timeout_ms;
	cfg.retry_delay_ms = settings.audit_retry_delay_ms;
	cfg.max_pending = (size_t)settings.audit_max_pending;
	cfg.canary_url = settings.audit_canary_url && *settings.audit_canary_url
				 ? settings.audit_canary_url
				 : NULL;
	cfg.fanout.max_host_connections = (unsigned)settings.audit_max_host_connections;
	cfg.fanout.max_inflight = (unsigned)settings.audit_max_inflight;
	cfg.verify_threads = (unsigned)settings.audit_verify_threads;
	cfg.flush_rows = (size_t)settings.audit_flush_rows;
	cfg.store = (struct audit_store){st, store_write, store_load, store_ping};
	cfg.metrics = metrics;
	cfg.stop = &stop_flag;
	/* A daemon also finishes each epoch before moving to the next. */
	cfg.once = true;
	struct audit_auditor_report rep;
	char ctx[64];
	snprintf(ctx, sizeof(ctx), "epoch=%" PRIu64, in->params.epoch);
	log_set_context(ctx);
	bool ok = audit_auditor_run(&cfg, &rep, e);
	log_set_context(NULL);
	if (!ok)
		return false;
	printf("epoch %" PRIu64 ": %" PRIu64 " challenges, %" PRIu64 " decided, %" PRIu64
	       " attempts sent, %" PRIu64 " resumed from the database, %" PRIu64
	       " connections opened\n",
	       in->params.epoch, rep.challenges, rep.decided, rep.attempts_sent, rep.resumed,
	       rep.connections);
	audit_auditor_report_print(stdout, &rep, in->nodes);
	fflush(stdout);
	res->complete = rep.decided == rep.challenges && rep.unrecorded == 0;
	res->unrecorded = rep.unrecorded;
	log_info("epoch %" PRIu64 ": audit %s: %" PRIu64 " challenges, %" PRIu64
		 " decided, %" PRIu64 " unrecorded",
		 in->params.epoch, res->complete ? "ends" : "stops", rep.challenges, rep.decided,
		 rep.unrecorded);
	audit_auditor_report_clear(&rep);
	return true;
}

/* Waits ms (or until a signal), keeping /healthz truthful: the loop is alive, and the
 * database is up or not. */
static void idle_wait(uint64_t ms, struct metrics_holder *h, struct store *st)
{
	struct err e = {{0}};
	bool up = store_ping(st, &e);
	audit_metrics_set_db(h->m, 0, 0, up);
	uint64_t until = audit_unix_ms() + ms;
	while (!stop_flag) {
		audit_metrics_tick(h->m);
		uint64_t now = audit_unix_ms();
		if (now >= until)
			break;
		uint64_t step = until - now < 200 ? until - now : 200;
		struct timespec ts = {0, (long)step * 1000000L};
		nanosleep(&ts, NULL);
	}
}

/* From a committee file: the epoch given, and as a daemon the next ones with the same
 * committee, blobs and seed, one epoch length apart. */
static int run_file(const struct command *cmd, struct input_opts *io, bool once,
		    enum start_mode smode, uint64_t start_at, struct metrics_holder *h,
		    struct store *st)
{
	struct err e = {{0}};
	struct inputs in;
	int rc = EXIT_FAIL;
	if (!inputs_load_file(io, &in, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	io->epoch = in.params.epoch;
	uint64_t start = smode == START_AT ? start_at : audit_unix_ms();
	uint64_t duration = settings.audit_epoch_ms ? settings.audit_epoch_ms
						    : settings.audit_window_ms * 5 / 4;
	for (;;) {
		struct epoch_result res;
		log_info("epoch %" PRIu64 ": audit begins: %zu nodes, %zu blobs, from %s",
			 in.params.epoch, in.nnodes, in.nblobs, io->committee);
		if (!run_epoch(&in, start, start + duration, holder_for(h, in.nodes, in.nnodes), st,
			       &res, &e)) {
			rc = cli_fail(cmd, "%s", e.msg);
			goto out;
		}
		if (stop_flag || once) {
			rc = res.complete ? EXIT_OK : EXIT_FAIL;
			if (!res.complete)
				cli_fail(cmd, "epoch %" PRIu64 " is not complete (stopped, or results "
					      "unrecorded); run again to resume",
					 in.params.epoch);
			break;
		}
		/* The next epoch: its secret derives from the same master; a committee file
		 * has one seed, so it is used again. */
		io->epoch++;
		start += duration;
		if (!io->key_file) {
			rc = cli_fail(cmd, "the next epoch needs its own secret: run the daemon with "
					   "--key-file (or one epoch at a time with --once)");
			goto out;
		}
		inputs_free(&in);
		if (!inputs_load_file(io, &in, &e)) {
			rc = cli_fail(cmd, "%s", e.msg);
			goto out;
		}
		for (uint64_t now = audit_unix_ms(); !stop_flag && now < start; now = audit_unix_ms())
			idle_wait(start - now < 1000 ? start - now : 1000, h, st);
	}
out:
	inputs_free(&in);
	return rc;
}

/* From the chain: --once audits one epoch (refusing while its seed is not final); a
 * daemon audits each epoch in turn as its seed becomes final, polling the chain. */
static int run_chain(const struct command *cmd, struct input_opts *io, bool once,
		     enum start_mode smode, uint64_t start_at, struct metrics_holder *h,
		     struct store *st)
{
	struct err e = {{0}};
	struct chain_src c;
	int rc = EXIT_FAIL;
	memset(&c, 0, sizeof(c));
	if (!chain_src_open(&c, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	{
		/* A key or secret that cannot work is a mistake to say now, not to retry. */
		struct inputs probe;
		bool ok = params_load(io, io->epoch == EPOCH_UNSET ? 0 : io->epoch, &probe, &e);
		inputs_free(&probe);
		if (!ok) {
			rc = cli_fail(cmd, "%s", e.msg);
			goto out;
		}
	}
	uint64_t poll = settings.audit_poll_ms ? settings.audit_poll_ms : 1000;
	uint64_t target = io->epoch;
	bool explicit_target = target != EPOCH_UNSET;
	uint64_t prev = EPOCH_UNSET; /* the last epoch audited */
	char waiting[sizeof(e.msg)] = "";
	bool failing = false; /* chain or database reads failing: said once */
	bool warned_window = false;
	for (;;) {
		if (stop_flag) {
			log_info("stopped between epochs; nothing unrecorded");
			rc = EXIT_OK;
			break;
		}
		uint64_t cur, fin;
		if (!chain_current_epoch(&c, &cur, &fin, &e)) {
			if (once) {
				rc = cli_fail(cmd, "%s", e.msg);
				break;
			}
			if (!failing)
				log_warn("reading the chain: %s; trying again every %" PRIu64 " ms", e.msg,
					 poll);
			failing = true;
			idle_wait(poll, h, st);
			continue;
		}
		if (target == EPOCH_UNSET) {
			target = cur;
		} else if (!explicit_target && target < cur) {
			log_warn("epochs %" PRIu64 " to %" PRIu64 " ended before the auditor reached "
				 "them; auditing epoch %" PRIu64,
				 target, cur - 1, cur);
			target = cur;
		}
		struct inputs in;
		enum chain_ready ready = CHAIN_NOT_YET;
		bool loaded = inputs_load_chain(io, &c, st, target, cur, fin, &in, &ready, &e);
		if (!loaded) {
			inputs_free(&in);
			if (once) {
				rc = cli_fail(cmd, "%s", e.msg);
				break;
			}
			if (!failing)
				log_warn("reading epoch %" PRIu64 ": %s; trying again every %" PRIu64 " ms",
					 target, e.msg, poll);
			failing = true;
			idle_wait(poll, h, st);
			continue;
		}
		if (failing)
			log_info("reading the chain works again");
		failing = false;
		if (ready == CHAIN_NOT_YET) {
			inputs_free(&in);
			if (once) {
				rc = cli_fail(cmd, "%s; run again once it is, or run the daemon (without "
						   "--once), which waits for it",
					      e.msg);
				break;
			}
			if (strcmp(waiting, e.msg))
				log_info("waiting: %s", e.msg);
			snprintf(waiting, sizeof(waiting), "%s", e.msg);
			idle_wait(poll, h, st);
			continue;
		}
		if (ready == CHAIN_NO_COMMITTEE) {
			inputs_free(&in);
			if (once) {
				rc = cli_fail(cmd, "%s", e.msg);
				break;
			}
			log_info("%s", e.msg);
			target++;
			explicit_target = false;
			continue;
		}
		if (prev != EPOCH_UNSET && prev != target)
			epoch_row_refresh(&c, st, prev); /* it has ended meanwhile */
		uint64_t start = in.chain_start_ms;
		if (smode == START_NOW || (smode == START_AT && prev == EPOCH_UNSET))
			start = smode == START_NOW ? audit_unix_ms() : start_at;
		uint64_t duration = settings.audit_epoch_ms ? settings.audit_epoch_ms
							    : in.chain_duration_ms;
		if (!warned_window && settings.audit_window_ms > duration) {
			log_warn("--window-ms %" PRIu64 " is longer than the epoch (%" PRIu64
				 " ms): the last batches fall due after it ends",
				 settings.audit_window_ms, duration);
			warned_window = true;
		}
		log_info("epoch %" PRIu64 ": audit begins: %zu nodes, %zu blobs, chain state of "
			 "block %" PRIu64 "%s",
			 target, in.nnodes, in.nblobs, in.as_of_block,
			 in.from_cache ? " (kept in the database)" : "");
		struct epoch_result res;
		bool ran = run_epoch(&in, start, start + duration, holder_for(h, in.nodes, in.nnodes),
				     st, &res, &e);
		inputs_free(&in);
		if (!ran && !once && !stop_flag) {
			/* E.g. PostgreSQL away when the epoch begins: the engine reads what is
			 * recorded before it starts. Trying again is what a restart would do. */
			if (!failing)
				log_warn("epoch %" PRIu64 " could not start: %s; trying again every %" PRIu64
					 " ms",
					 target, e.msg, poll);
			failing = true;
			idle_wait(poll, h, st);
			continue;
		}
		if (!ran) {
			rc = cli_fail(cmd, "%s", e.msg);
			break;
		}
		epoch_row_refresh(&c, st, target);
		prev = target;
		if (once) {
			rc = res.complete ? EXIT_OK : EXIT_FAIL;
			if (!res.complete)
				cli_fail(cmd, "epoch %" PRIu64 " is not complete (stopped, or results "
					      "unrecorded); run again to resume",
					 target);
			break;
		}
		if (stop_flag) {
			/* A restart resumes the epoch from what is recorded. */
			rc = res.unrecorded ? EXIT_FAIL : EXIT_OK;
			if (res.unrecorded)
				cli_fail(cmd, "stopped with %" PRIu64 " results of epoch %" PRIu64
					      " unrecorded (the database is away); a restart asks "
					      "them again",
					 res.unrecorded, target);
			else
				log_info("stopped during epoch %" PRIu64 " with every result recorded; "
					 "a restart resumes it",
					 target);
			break;
		}
		target++;
		explicit_target = false;
		waiting[0] = '\0';
	}
out:
	chain_src_close(&c);
	return rc;
}

static int run_run(const struct command *cmd, int argc, char **argv)
{
	struct input_opts io = {0};
	io.epoch = EPOCH_UNSET;
	bool once = false;
	const char *start_text = NULL;
	const struct opt local[] = {
		{"epoch", 0, OPT_U64, &io.epoch, "N",
		 "the epoch to audit (the first, as a daemon; default: from the chain, the current "
		 "one; with --committee, 0)",
		 NULL, false},
		{"once", 0, OPT_BOOL, &once, NULL,
		 "run the epoch's schedule to completion, print the table, exit (cron, tests)", NULL,
		 false},
		{"committee", 0, OPT_STRING, &io.committee, "FILE",
		 "committee file (node/committee.h), with --blobs and --seed: nodes not on our "
		 "chain; without it everything comes from the chain (--rpc-url, --deployment)",
		 NULL, false},
		{"blobs", 0, OPT_STRING, &io.blobs, "FILE",
		 "certified blobs, one \"BLOB_ID LENGTH\" per line", NULL, false},
		{"seed", 0, OPT_STRING, &io.seed, "HEX", "the epoch's seed (32 bytes)", NULL, false},
		{"key-file", 0, OPT_STRING, &io.key_file, "FILE",
		 "the auditor's signing key (0x-hex, mode 0600): the epoch secret derives from it "
		 "(settle/secret.h) and the address is its own", NULL, false},
		{"auditor", 0, OPT_STRING, &io.auditor, "ADDR",
		 "the auditor's signing address (default: the auditor-address setting)", NULL, false},
		{"epoch-start", 0, OPT_STRING, &start_text, "MS|now|chain",
		 "when the epoch's schedule starts: unix milliseconds (the first epoch), now (each "
		 "epoch when the auditor begins it), chain (the chain's epoch start; the default "
		 "from the chain, else now)",
		 NULL, false},
		OPT_END,
	};
	commands_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	bool from_chain = !io.committee;
	if (from_chain && (io.blobs || io.seed))
		cli_usage_error(cmd, "--blobs and --seed go with --committee FILE; without it the "
				     "blobs and the seed are the chain's");
	if (!from_chain && !io.blobs)
		cli_usage_error(cmd, "--committee FILE needs --blobs FILE and --seed HEX");
	if (from_chain && !once && !io.key_file)
		cli_usage_error(cmd, "the daemon needs --key-file: each epoch's secret derives from "
				     "the signing key (with --secret-file, audit one epoch at a time "
				     "with --once)");
	enum start_mode smode;
	uint64_t start_at;
	if (!parse_start(start_text, &smode, &start_at))
		cli_usage_error(cmd, "--epoch-start must be unix milliseconds, \"now\" or \"chain\"");
	if (settings.audit_window_ms == 0)
		cli_usage_error(cmd, "--window-ms must be positive");

	struct err e = {{0}};
	struct metrics_holder h;
	struct MHD_Daemon *mhd = NULL;
	struct store st = {settings.db, NULL, false};
	int rc = EXIT_FAIL;
	holder_init(&h);
	if (!settings.db || !*settings.db) {
		rc = cli_fail(cmd, "no database configured: pass --db CONNINFO or set ASSAY_DB");
		goto out;
	}
	if (settings.metrics_listen && *settings.metrics_listen &&
	    !metrics_start(settings.metrics_listen, &h, &mhd, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	rc = from_chain ? run_chain(cmd, &io, once, smode, start_at, &h, &st)
			: run_file(cmd, &io, once, smode, start_at, &h, &st);
out:
	if (mhd)
		MHD_stop_daemon(mhd);
	holder_clear(&h);
	db_close(st.db);
	return rc;
}

const struct command audit_run_commands[] = {
	{"audit", "plan", "print an epoch's challenge schedule and detection power per node",
	 "[--epoch N] (--key-file FILE | --auditor ADDR (--secret HEX | --secret-file F)) "
	 "[--committee FILE --blobs FILE --seed HEX] [--json]",
	 "The schedule is a pure function of public inputs and the auditor's secret "
	 "(audit/SCHEDULE.md): after the reveal anyone can recompute it with --secret and check "
	 "that every recorded challenge was scheduled. Without --committee the inputs are our "
	 "chain's (--rpc-url, --deployment, read --confirmations blocks deep): the epoch's "
	 "committee in order (node id = the operator's address), the shards not in grace, the "
	 "seed once final, and the certified blobs; with --db, the state the auditor kept for "
	 "the epoch. With --committee, --blobs and --seed: nodes that are not on our chain. Per "
	 "node: challenges, batches, the first batch's due time (ms after the epoch's start) "
	 "and the probability that a node missing 10% of its symbols passes them all. --json "
	 "prints every challenge.",
	 "assay audit plan --epoch 3 --key-file auditor.key --deployment deployment.json\n"
	 "  assay audit plan --epoch 3 --auditor 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 \\\n"
	 "    --seed 0x$(printf '%064d' 7) --secret 0x$(printf '%064d' 9) \\\n"
	 "    --committee committee.json --blobs blobs.txt",
	 run_plan},
	{"audit", "run", "challenge storage nodes on the epoch's schedule and record every attempt",
	 "[--epoch N] [--once] (--key-file FILE | --auditor ADDR --secret-file FILE) "
	 "[--committee FILE --blobs FILE --seed HEX] [--epoch-start MS|now|chain] "
	 "[--window-ms MS] [--metrics-listen HOST:PORT]",
	 "Without --committee it audits our chain (--rpc-url, --deployment; state read "
	 "--confirmations blocks deep and kept in the database, so a restart schedules from the "
	 "same state): each epoch's committee in order (node id = the operator's address, "
	 "endpoint, the shards not in grace), its seed and its certified blobs. As a daemon "
	 "(no --once; needs --key-file) it starts at --epoch or the current epoch, audits each "
	 "epoch once its seed is final, then polls the chain every --audit-poll-ms for the "
	 "next; SIGTERM or SIGINT stop it after recording what is in flight. --once audits one "
	 "epoch and refuses while its seed is not final. The epoch's row in table epochs is "
	 "written, and refreshed when it ends.\n"
	 "Sends each batch when it is due, all challenges of a batch under one deadline, over "
	 "kept-alive connections; checks metadata against the blob ID once per blob and node and "
	 "every symbol against it; asks transient failures again later in the epoch; records "
	 "every attempt in PostgreSQL (COPY, in batches). If PostgreSQL goes away, results wait in "
	 "memory (up to --max-pending, then no new challenges) and are written when it returns. "
	 "A restart resumes without asking again what is recorded. At the end of an epoch it "
	 "prints the availability table.\n"
	 "With --committee FILE, --blobs FILE and --seed HEX it audits nodes that are not on our "
	 "chain, such as real Walrus storage nodes (HTTPS, key pin \"sha256//...\"; the node id "
	 "is the file's \"id\", else \"address\"); that path is tested against the Walrus wire "
	 "format here, not against the live network.",
	 "assay audit run --db postgresql://localhost/assay --key-file auditor.key \\\n"
	 "    --rpc-url http://127.0.0.1:8545 --deployment deployment.json \\\n"
	 "    --metrics-listen 127.0.0.1:9464\n"
	 "  assay audit run --epoch 3 --once --db postgresql://localhost/assay \\\n"
	 "    --key-file auditor.key --seed 0x$(printf '%064d' 7) \\\n"
	 "    --committee committee.json --blobs blobs.txt \\\n"
	 "    --epoch-start now --window-ms 20000",
	 run_run},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
