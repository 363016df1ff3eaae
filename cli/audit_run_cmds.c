/* audit_run_cmds.c: assay audit plan|run: the challenge schedule of an epoch, and the
 * auditor daemon that carries it out (audit/auditor.h), recording into PostgreSQL
 * (sql/challenges.h) and serving /metrics and /healthz (libmicrohttpd).
 *
 * Inputs come from a committee file (node/committee.h) and a blob list for now; the chain
 * reader will fill the same arrays (struct audit_auditor_node, struct audit_schedule_blob)
 * from the contracts' views. */

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "audit/auditor.h"
#include "audit/blob.h"
#include "audit/metrics.h"
#include "audit/schedule.h"
#include "chain/key.h"
#include "cli/commands.h"
#include "cli/settings.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "node/committee.h"
#include "settle/secret.h"
#include "sql/challenges.h"
#include "sql/db.h"

/* ---- inputs ---- */

struct inputs {
	struct node_committee *committee;
	struct audit_auditor_node *nodes;
	uint16_t **shards;
	size_t nnodes;
	struct audit_schedule_blob *blobs;
	size_t nblobs;
	struct audit_schedule_params params;
};

static void inputs_free(struct inputs *in)
{
	for (size_t i = 0; i < in->nnodes; i++)
		free(in->shards[i]);
	free(in->shards);
	free(in->nodes);
	free(in->blobs);
	node_committee_free(in->committee);
	wipe(in->params.secret, sizeof(in->params.secret));
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

struct input_opts {
	const char *committee;
	const char *blobs;
	const char *seed;
	const char *secret; /* the epoch's secret itself (plan, after the reveal) */
	const char *auditor;
	const char *key_file; /* signing key: the epoch secret derives from it */
	uint64_t epoch;
	bool have_epoch;
};

static bool inputs_load(const struct input_opts *o, struct inputs *in, struct err *e)
{
	memset(in, 0, sizeof(*in));
	struct audit_schedule_params *p = &in->params;
	audit_schedule_params_defaults(p);
	p->epoch = o->epoch;
	p->window_ms = settings.audit_window_ms;
	p->min_per_node = (uint32_t)settings.audit_min_per_node;
	p->per_shard = (uint32_t)settings.audit_per_shard;
	p->batch_size = (uint32_t)settings.audit_batch_size;
	const char *aud = o->auditor ? o->auditor : settings.auditor_address;
	if (!o->seed || !hex_decode_exact(p->seed, 32, o->seed, e))
		return err_set(e, "--seed must be the epoch's 32-byte seed in hex");
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
		if (m->has_address)
			memcpy(nd->id, m->address, 20);
		else
			audit_node_id_from_url(m->url, nd->id);
	}
	if (!audit_blobs_load(o->blobs, &in->blobs, &in->nblobs, e))
		return false;
	return true;
}

/* ---- plan ---- */

static int run_plan(const struct command *cmd, int argc, char **argv)
{
	struct input_opts io = {0};
	bool json = false;
	const struct opt local[] = {
		{"epoch", 0, OPT_U64, &io.epoch, "N", "the epoch", NULL, false},
		{"committee", 0, OPT_STRING, &io.committee, "FILE", "committee file (node/committee.h)",
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
	if (!io.committee || !io.blobs)
		cli_usage_error(cmd, "--committee FILE and --blobs FILE are required");
	struct err e = {{0}};
	struct inputs in;
	struct audit_schedule s = {0};
	int rc = EXIT_FAIL;
	if (!inputs_load(&io, &in, &e)) {
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
			printf("%s{\"index\":%zu,\"id\":\"0x%s\",\"url\":\"%s\",\"shards\":%zu,"
			       "\"challenges\":%" PRIu64 ",\"batches\":%" PRIu64
			       ",\"first_due_ms\":%" PRIu64 ",\"miss_10pct\":%.6g}",
			       i ? "," : "", i, idhex, in.nodes[i].url, in.nodes[i].nshards, c, nb,
			       first == UINT64_MAX ? 0 : first, miss);
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
	return rc;
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

/* ---- /metrics and /healthz ---- */

static enum MHD_Result serve(void *cls, struct MHD_Connection *conn, const char *url,
			     const char *method, const char *version, const char *upload_data,
			     size_t *upload_size, void **req_cls)
{
	(void)version;
	(void)upload_data;
	(void)upload_size;
	(void)req_cls;
	struct audit_metrics *m = cls;
	struct buf b = BUF_INIT;
	unsigned status = MHD_HTTP_OK;
	const char *ctype = "text/plain; charset=utf-8";
	if (strcmp(method, "GET") != 0) {
		status = MHD_HTTP_METHOD_NOT_ALLOWED;
		buf_append_str(&b, "GET only\n");
	} else if (!strcmp(url, "/metrics")) {
		audit_metrics_render(m, &b);
		ctype = "text/plain; version=0.0.4; charset=utf-8";
	} else if (!strcmp(url, "/healthz")) {
		char why[160];
		if (!audit_metrics_healthy(m, 30000, why, sizeof(why)))
			status = MHD_HTTP_SERVICE_UNAVAILABLE;
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

static bool metrics_start(const char *listen, struct audit_metrics *m, struct MHD_Daemon **out,
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

static bool parse_start(const char *text, uint64_t *out)
{
	if (!text || !strcmp(text, "now")) {
		*out = audit_unix_ms();
		return true;
	}
	return parse_u64(text, out);
}

static int run_run(const struct command *cmd, int argc, char **argv)
{
	struct input_opts io = {0};
	bool once = false;
	const char *start_text = NULL;
	const struct opt local[] = {
		{"epoch", 0, OPT_U64, &io.epoch, "N", "the epoch to audit (the first, as a daemon)",
		 NULL, false},
		{"once", 0, OPT_BOOL, &once, NULL,
		 "run the epoch's schedule to completion, print the table, exit (cron, tests)", NULL,
		 false},
		{"committee", 0, OPT_STRING, &io.committee, "FILE", "committee file (node/committee.h)",
		 NULL, false},
		{"blobs", 0, OPT_STRING, &io.blobs, "FILE",
		 "certified blobs, one \"BLOB_ID LENGTH\" per line", NULL, false},
		{"seed", 0, OPT_STRING, &io.seed, "HEX", "the epoch's seed (32 bytes)", NULL, false},
		{"key-file", 0, OPT_STRING, &io.key_file, "FILE",
		 "the auditor's signing key (0x-hex, mode 0600): the epoch secret derives from it "
		 "(settle/secret.h) and the address is its own", NULL, false},
		{"auditor", 0, OPT_STRING, &io.auditor, "ADDR",
		 "the auditor's signing address (default: the auditor-address setting)", NULL, false},
		{"epoch-start", 0, OPT_STRING, &start_text, "MS|now",
		 "the epoch's start, unix milliseconds", "now", false},
		OPT_END,
	};
	commands_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	if (!io.committee || !io.blobs)
		cli_usage_error(cmd, "--committee FILE and --blobs FILE are required");
	uint64_t start;
	if (!parse_start(start_text, &start))
		cli_usage_error(cmd, "--epoch-start must be unix milliseconds or \"now\"");
	if (settings.audit_window_ms == 0)
		cli_usage_error(cmd, "--window-ms must be positive");

	struct err e = {{0}};
	struct inputs in;
	struct audit_metrics *metrics = NULL;
	struct MHD_Daemon *mhd = NULL;
	struct store st = {settings.db, NULL, false};
	int rc = EXIT_FAIL;
	if (!settings.db || !*settings.db) {
		rc = cli_fail(cmd, "no database configured: pass --db CONNINFO or set ASSAY_DB");
		memset(&in, 0, sizeof(in));
		goto out;
	}
	if (!inputs_load(&io, &in, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	const char **labels = xcalloc(in.nnodes ? in.nnodes : 1, sizeof(*labels));
	for (size_t i = 0; i < in.nnodes; i++)
		labels[i] = in.nodes[i].url;
	metrics = audit_metrics_new(in.nnodes, labels);
	free(labels);
	if (settings.metrics_listen && *settings.metrics_listen &&
	    !metrics_start(settings.metrics_listen, metrics, &mhd, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	uint64_t duration = settings.audit_epoch_ms ? settings.audit_epoch_ms
						    : settings.audit_window_ms * 5 / 4;
	for (;;) {
		struct audit_auditor_config cfg;
		memset(&cfg, 0, sizeof(cfg));
		cfg.sched = &in.params;
		cfg.nodes = in.nodes;
		cfg.nnodes = in.nnodes;
		cfg.blobs = in.blobs;
		cfg.nblobs = in.nblobs;
		cfg.epoch_start_ms = start;
		cfg.epoch_end_ms = start + duration;
		cfg.batch_timeout_ms = settings.audit_batch_timeout_ms;
		cfg.retry_delay_ms = settings.audit_retry_delay_ms;
		cfg.max_pending = (size_t)settings.audit_max_pending;
		cfg.canary_url = settings.audit_canary_url && *settings.audit_canary_url
					 ? settings.audit_canary_url
					 : NULL;
		cfg.fanout.max_host_connections = (unsigned)settings.audit_max_host_connections;
		cfg.store = (struct audit_store){&st, store_write, store_load, store_ping};
		cfg.metrics = metrics;
		cfg.stop = &stop_flag;
		/* A daemon also finishes each epoch before moving to the next. */
		cfg.once = true;
		struct audit_auditor_report rep;
		char ctx[64];
		snprintf(ctx, sizeof(ctx), "epoch=%" PRIu64, in.params.epoch);
		log_set_context(ctx);
		if (!audit_auditor_run(&cfg, &rep, &e)) {
			rc = cli_fail(cmd, "%s", e.msg);
			goto out;
		}
		printf("epoch %" PRIu64 ": %" PRIu64 " challenges, %" PRIu64 " decided, %" PRIu64
		       " attempts sent, %" PRIu64 " resumed from the database, %" PRIu64
		       " connections opened\n",
		       in.params.epoch, rep.challenges, rep.decided, rep.attempts_sent, rep.resumed,
		       rep.connections);
		audit_auditor_report_print(stdout, &rep, in.nodes);
		fflush(stdout);
		bool complete = rep.decided == rep.challenges && rep.unrecorded == 0;
		audit_auditor_report_clear(&rep);
		if (stop_flag || once) {
			rc = complete ? EXIT_OK : EXIT_FAIL;
			if (!complete)
				cli_fail(cmd, "epoch %" PRIu64 " is not complete (stopped, or results "
					      "unrecorded); run again to resume",
					 in.params.epoch);
			break;
		}
		/* The next epoch: its secret derives from the same master; its seed comes from
		 * the chain once the chain reader feeds the auditor (here: the same --seed). */
		io.epoch++;
		start += duration;
		if (!io.key_file) {
			rc = cli_fail(cmd, "the next epoch needs its own secret: run the daemon with "
					   "--key-file (or one epoch at a time with --once)");
			goto out;
		}
		inputs_free(&in);
		if (!inputs_load(&io, &in, &e)) {
			rc = cli_fail(cmd, "%s", e.msg);
			goto out;
		}
		while (!stop_flag && audit_unix_ms() < start) {
			struct timespec ts = {0, 200 * 1000000L};
			nanosleep(&ts, NULL);
		}
	}
out:
	if (mhd)
		MHD_stop_daemon(mhd);
	audit_metrics_free(metrics);
	db_close(st.db);
	inputs_free(&in);
	return rc;
}

const struct command audit_run_commands[] = {
	{"audit", "plan", "print an epoch's challenge schedule and detection power per node",
	 "--epoch N --seed HEX (--key-file FILE | --auditor ADDR (--secret HEX | --secret-file F)) "
	 "--committee FILE --blobs FILE [--json]",
	 "The schedule is a pure function of public inputs and the auditor's secret "
	 "(audit/SCHEDULE.md): after the reveal anyone can recompute it with --secret and check "
	 "that every recorded challenge was scheduled. Per node: challenges, batches, the first "
	 "batch's due time (ms after the epoch's start) and the probability that a node missing "
	 "10% of its symbols passes them all. --json prints every challenge.",
	 "assay audit plan --epoch 3 --auditor 0x70997970c51812dc3a010c7d01b50e0d17dc79c8 \\\n"
	 "    --seed 0x$(printf '%064d' 7) --secret 0x$(printf '%064d' 9) \\\n"
	 "    --committee committee.json --blobs blobs.txt",
	 run_plan},
	{"audit", "run", "challenge storage nodes on the epoch's schedule and record every attempt",
	 "--epoch N [--once] --seed HEX (--key-file FILE | --auditor ADDR --secret-file FILE) "
	 "--committee FILE "
	 "--blobs FILE [--epoch-start MS|now] [--window-ms MS] [--metrics-listen HOST:PORT]",
	 "Sends each batch when it is due, all challenges of a batch under one deadline, over "
	 "kept-alive connections; checks metadata against the blob ID once per blob and node and "
	 "every symbol against it; asks transient failures again later in the epoch; records "
	 "every attempt in PostgreSQL (COPY, in batches). If PostgreSQL goes away, results wait in "
	 "memory (up to --max-pending, then no new challenges) and are written when it returns. "
	 "A restart resumes without asking again what is recorded. At the end of an epoch it "
	 "prints the availability table. The committee file may name real Walrus storage nodes "
	 "(HTTPS, key pin \"sha256//...\"); that path is tested against the Walrus wire format "
	 "here, not against the live network.",
	 "assay audit run --epoch 3 --once --db postgresql://localhost/assay \\\n"
	 "    --key-file auditor.key --seed 0x$(printf '%064d' 7) \\\n"
	 "    --committee committee.json --blobs blobs.txt \\\n"
	 "    --epoch-start now --window-ms 20000 --metrics-listen 127.0.0.1:9464",
	 run_run},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
