/* daemon.c: the auditor daemon (see daemon.h). */
#include "audit/daemon.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/challenge.h"
#include "audit/metrics.h"
#include "chain/abi.h"
#include "chain/bindings.h"
#include "chain/reader.h"
#include "chain/session.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "core/net.h"

/* ---- inputs ---- */

void audit_inputs_clear(struct audit_inputs *in)
{
	for (size_t i = 0; i < in->nnodes; i++) {
		free(in->shards[i]);
		if (in->urls)
			free(in->urls[i]);
		if (in->pins)
			free(in->pins[i]);
	}
	free(in->shards);
	free(in->urls);
	free(in->pins);
	free(in->nodes);
	free(in->blobs);
	wipe(in->params.secret, sizeof(in->params.secret));
	memset(in, 0, sizeof(*in));
}

bool audit_inputs_begin(struct audit_inputs *in, const struct audit_schedule_params *tmpl,
			const struct audit_identity *id, uint64_t epoch, struct err *e)
{
	memset(in, 0, sizeof(*in));
	in->params = *tmpl;
	in->params.epoch = epoch;
	memcpy(in->params.auditor, id->auditor, 20);
	return id->secret(id->arg, epoch, in->params.secret, e);
}

bool audit_chain_now(const struct audit_chain *c, uint64_t *cur, uint64_t *fin, struct err *e)
{
	if (!chain_reader_finalized(c->reader, fin, e))
		return false;
	chain_bind_at_block(c->session->bind, *fin);
	bool ok = chain_staking_current_epoch(c->session->bind, cur, e);
	chain_bind_at_block(c->session->bind, 0);
	return ok;
}

/* The committee and blobs of a view, as the engine takes them. */
static void inputs_fill(struct audit_inputs *in, const struct chain_epoch_view *v,
			const struct chain_audit_blob *cb, size_t ncb, bool found)
{
	struct audit_schedule_params *p = &in->params;
	memcpy(p->seed, v->info.seed, 32);
	p->n = v->n_shards;
	in->chain_start_ms = v->info.start_time * 1000;
	in->chain_duration_ms = v->info.duration * 1000;
	in->as_of_block = v->as_of_block;
	in->from_cache = found;
	in->nnodes = v->nnodes;
	in->nodes = xcalloc(v->nnodes, sizeof(*in->nodes));
	in->shards = xcalloc(v->nnodes, sizeof(*in->shards));
	in->urls = xcalloc(v->nnodes, sizeof(*in->urls));
	for (size_t i = 0; i < v->nnodes; i++) {
		const struct chain_audit_node *an = &v->nodes[i];
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
			log_warn("epoch %" PRIu64 ": committee member %zu's endpoint '%s': %s",
				 p->epoch, i, ep, ue.msg);
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
}

bool audit_chain_schedule_check(const struct audit_chain *c, const struct audit_schedule_params *p,
				struct err *e)
{
	if (!c->has_schedule || (p->min_per_node == c->min_per_node && p->per_shard == c->per_shard &&
				 p->batch_size == c->batch_size))
		return true;
	return err_set(e, "the schedule's min-per-node %lu, per-shard %lu and batch-size %lu differ "
			  "from the Disputes contract's %lu, %lu and %lu, which every record is "
			  "checked against: set --min-per-node %lu --per-shard %lu --batch-size %lu",
		       (unsigned long)p->min_per_node, (unsigned long)p->per_shard,
		       (unsigned long)p->batch_size, (unsigned long)c->min_per_node,
		       (unsigned long)c->per_shard, (unsigned long)c->batch_size,
		       (unsigned long)c->min_per_node, (unsigned long)c->per_shard,
		       (unsigned long)c->batch_size);
}

bool audit_inputs_from_chain(struct audit_inputs *in, const struct audit_chain *c,
			     const struct audit_chaincache *cache, uint64_t epoch, uint64_t cur,
			     uint64_t fin, enum audit_ready *ready, struct err *e)
{
	struct chain_epoch_view v;
	struct chain_audit_blob *cb = NULL;
	size_t ncb = 0;
	bool found = false, ok = false;
	bool cached = cache && cache->load;
	memset(&v, 0, sizeof(v));
	*ready = AUDIT_NOT_YET;
	if (!audit_chain_schedule_check(c, &in->params, e))
		return false;
	if (cached) {
		struct err ce = {{0}};
		if (!cache->load(cache->ctx, epoch, c->session->dep.n_shards, &v, &cb, &ncb, &found,
				 &ce))
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
		if (!chain_reader_epoch(c->reader, epoch, &v, e))
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
					c->confirmations ? c->confirmations : 1);
			ok = true;
			goto out;
		}
		if (v.nnodes && !chain_reader_blobs(c->reader, &v, &cb, &ncb, e))
			goto out;
		if (v.nnodes && cached) {
			struct err ce = {{0}};
			if (!cache->store(cache->ctx, &v, cb, ncb, &ce))
				log_warn("keeping epoch %" PRIu64 "'s chain state in the database: %s",
					 epoch, ce.msg);
		}
	}
	if (v.nnodes == 0) {
		*ready = AUDIT_NO_COMMITTEE;
		err_set(e, "epoch %" PRIu64 " has no committee on chain: nothing to audit", epoch);
		ok = true;
		goto out;
	}
	inputs_fill(in, &v, cb, ncb, found);
	*ready = AUDIT_READY;
	ok = true;
out:
	chain_epoch_view_clear(&v);
	free(cb);
	return ok;
}

/* The epochs row of an audited epoch, refreshed from the chain (its end, once it ended).
 * A failure is only worth a warning: the row is refreshed again later. */
static void epoch_row_refresh(const struct audit_chain *c, const struct audit_chaincache *cache,
			      uint64_t epoch)
{
	if (!cache->refresh)
		return;
	struct chain_epoch_view v;
	struct err e = {{0}};
	if (!chain_reader_epoch(c->reader, epoch, &v, &e) || !cache->refresh(cache->ctx, &v, &e))
		log_warn("refreshing epoch %" PRIu64 "'s row: %s", epoch, e.msg);
	chain_epoch_view_clear(&v);
}

/* ---- /metrics and /healthz ---- */

void audit_metrics_holder_init(struct audit_metrics_holder *h)
{
	memset(h, 0, sizeof(*h));
	pthread_mutex_init(&h->lock, NULL);
	h->m = audit_metrics_new(0, NULL);
}

/* The metrics for a committee whose nodes these urls name. */
static struct audit_metrics *holder_for(struct audit_metrics_holder *h,
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

void audit_metrics_holder_clear(struct audit_metrics_holder *h)
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
	struct audit_metrics_holder *h = cls;
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

bool audit_metrics_serve(const char *listen, struct audit_metrics_holder *h,
			 struct MHD_Daemon **out, struct err *e)
{
	*out = NULL;
	struct sockaddr_in addr;
	if (!net_parse_listen(listen, "--metrics-listen", "127.0.0.1:9464", &addr, e))
		return false;
	*out = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
				serve, h, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
				MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!*out)
		return err_set(e, "cannot serve metrics on %s (port in use?)", listen);
	return true;
}

/* ---- the loops ---- */

struct epoch_result {
	bool complete;       /* every challenge decided and recorded */
	uint64_t unrecorded; /* results the database never took */
};

static bool stopped(const struct audit_daemon_config *cfg)
{
	return cfg->stop && *cfg->stop;
}

/* One epoch of the engine, to completion or until a stop; reports the table. */
static bool run_epoch(const struct audit_daemon_config *d, const struct audit_inputs *in,
		      uint64_t start, uint64_t end, struct epoch_result *res, struct err *e)
{
	struct audit_auditor_config cfg = d->engine;
	cfg.sched = &in->params;
	cfg.nodes = in->nodes;
	cfg.nnodes = in->nnodes;
	cfg.blobs = in->blobs;
	cfg.nblobs = in->nblobs;
	cfg.epoch_start_ms = start;
	cfg.epoch_end_ms = end;
	cfg.store = d->store;
	cfg.metrics = holder_for(d->metrics, in->nodes, in->nnodes);
	cfg.stop = d->stop;
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
	if (d->on_report)
		d->on_report(d->report_arg, in, &rep);
	res->complete = rep.decided == rep.challenges && rep.unrecorded == 0;
	res->unrecorded = rep.unrecorded;
	log_info("epoch %" PRIu64 ": audit %s: %" PRIu64 " challenges, %" PRIu64
		 " decided, %" PRIu64 " unrecorded",
		 in->params.epoch, res->complete ? "ends" : "stops", rep.challenges, rep.decided,
		 rep.unrecorded);
	audit_auditor_report_clear(&rep);
	return true;
}

/* Waits ms (or until a stop), keeping /healthz truthful: the loop is alive, and the
 * database is up or not. */
static void idle_wait(const struct audit_daemon_config *d, uint64_t ms)
{
	struct err e = {{0}};
	bool up = d->store.ping(d->store.ctx, &e);
	audit_metrics_set_db(d->metrics->m, 0, 0, up);
	uint64_t until = audit_unix_ms() + ms;
	while (!stopped(d)) {
		audit_metrics_tick(d->metrics->m);
		uint64_t now = audit_unix_ms();
		if (now >= until)
			break;
		uint64_t step = until - now < 200 ? until - now : 200;
		struct timespec ts = {0, (long)step * 1000000L};
		nanosleep(&ts, NULL);
	}
}

static bool load_file_epoch(const struct audit_daemon_config *cfg, uint64_t epoch,
			    audit_inputs_loader load, void *arg, struct audit_inputs *in,
			    struct err *e)
{
	return audit_inputs_begin(in, &cfg->sched, cfg->id, epoch, e) && load(arg, in, e);
}

bool audit_daemon_repeat(const struct audit_daemon_config *cfg, uint64_t epoch,
			 audit_inputs_loader load, void *load_arg, const char *from,
			 struct err *e)
{
	struct audit_inputs in;
	bool ok = false;
	memset(&in, 0, sizeof(in));
	if (!load_file_epoch(cfg, epoch, load, load_arg, &in, e))
		goto out;
	uint64_t start = cfg->start == AUDIT_START_AT ? cfg->start_at : audit_unix_ms();
	uint64_t duration = cfg->epoch_ms ? cfg->epoch_ms : cfg->sched.window_ms * 5 / 4;
	for (;;) {
		struct epoch_result res;
		log_info("epoch %" PRIu64 ": audit begins: %zu nodes, %zu blobs, from %s",
			 in.params.epoch, in.nnodes, in.nblobs, from);
		if (!run_epoch(cfg, &in, start, start + duration, &res, e))
			goto out;
		if (stopped(cfg) || cfg->once) {
			ok = res.complete;
			if (!res.complete)
				err_set(e, "epoch %" PRIu64 " is not complete (stopped, or results "
					   "unrecorded); run again to resume",
					in.params.epoch);
			goto out;
		}
		/* The next epoch: its secret derives from the same master; a committee file
		 * has one seed, so it is used again. */
		epoch++;
		start += duration;
		if (!cfg->id->per_epoch) {
			err_set(e, "the next epoch needs its own secret: run the daemon with "
				   "--key-file (or one epoch at a time with --once)");
			goto out;
		}
		audit_inputs_clear(&in);
		if (!load_file_epoch(cfg, epoch, load, load_arg, &in, e))
			goto out;
		for (uint64_t now = audit_unix_ms(); !stopped(cfg) && now < start;
		     now = audit_unix_ms())
			idle_wait(cfg, start - now < 1000 ? start - now : 1000);
	}
out:
	audit_inputs_clear(&in);
	return ok;
}

/* How the follow loop goes on after a look at the chain. */
enum step {
	STEP_AUDIT, /* inputs loaded: audit them */
	STEP_WAIT,  /* wait a poll and look again */
	STEP_SKIP,  /* nothing to audit in the target: the next epoch */
	STEP_END,   /* return ok (or e) */
};

struct follow {
	const struct audit_daemon_config *cfg;
	const struct audit_chain *c;
	uint64_t target, prev; /* prev: the last epoch audited */
	bool explicit_target;
	bool failing;          /* chain or database reads failing: said once */
	bool warned_window;
	bool ok;
	char waiting[sizeof(((struct err *)0)->msg)];
};

/* Reads the chain and the target's inputs; says what to do next. */
static enum step follow_look(struct follow *f, struct audit_inputs *in, struct err *e)
{
	const struct audit_daemon_config *cfg = f->cfg;
	uint64_t poll = cfg->poll_ms ? cfg->poll_ms : 1000;
	uint64_t cur, fin;
	memset(in, 0, sizeof(*in));
	if (!audit_chain_now(f->c, &cur, &fin, e)) {
		if (cfg->once)
			return STEP_END;
		if (!f->failing)
			log_warn("reading the chain: %s; trying again every %" PRIu64 " ms", e->msg,
				 poll);
		f->failing = true;
		return STEP_WAIT;
	}
	if (f->target == UINT64_MAX) {
		f->target = cur;
	} else if (!f->explicit_target && f->target < cur) {
		log_warn("epochs %" PRIu64 " to %" PRIu64 " ended before the auditor reached them; "
			 "auditing epoch %" PRIu64,
			 f->target, cur - 1, cur);
		f->target = cur;
	}
	enum audit_ready ready = AUDIT_NOT_YET;
	bool loaded = audit_inputs_begin(in, &cfg->sched, cfg->id, f->target, e) &&
		      audit_inputs_from_chain(in, f->c, &cfg->cache, f->target, cur, fin, &ready, e);
	if (!loaded) {
		if (cfg->once)
			return STEP_END;
		if (!f->failing)
			log_warn("reading epoch %" PRIu64 ": %s; trying again every %" PRIu64 " ms",
				 f->target, e->msg, poll);
		f->failing = true;
		return STEP_WAIT;
	}
	if (f->failing)
		log_info("reading the chain works again");
	f->failing = false;
	if (ready == AUDIT_NOT_YET) {
		if (cfg->once) {
			char msg[sizeof(e->msg)];
			snprintf(msg, sizeof(msg), "%s", e->msg);
			err_set(e, "%s; run again once it is, or run the daemon (without --once), "
				   "which waits for it",
				msg);
			return STEP_END;
		}
		if (strcmp(f->waiting, e->msg))
			log_info("waiting: %s", e->msg);
		snprintf(f->waiting, sizeof(f->waiting), "%s", e->msg);
		return STEP_WAIT;
	}
	if (ready == AUDIT_NO_COMMITTEE) {
		if (cfg->once)
			return STEP_END;
		log_info("%s", e->msg);
		return STEP_SKIP;
	}
	return STEP_AUDIT;
}

/* Audits the loaded target; false when the loop ends (f->ok, e). */
static bool follow_audit(struct follow *f, struct audit_inputs *in, bool *retry, struct err *e)
{
	const struct audit_daemon_config *cfg = f->cfg;
	uint64_t poll = cfg->poll_ms ? cfg->poll_ms : 1000;
	*retry = false;
	if (f->prev != UINT64_MAX && f->prev != f->target)
		epoch_row_refresh(f->c, &cfg->cache, f->prev); /* it has ended meanwhile */
	uint64_t start = in->chain_start_ms;
	if (cfg->start == AUDIT_START_NOW || (cfg->start == AUDIT_START_AT && f->prev == UINT64_MAX))
		start = cfg->start == AUDIT_START_NOW ? audit_unix_ms() : cfg->start_at;
	uint64_t duration = cfg->epoch_ms ? cfg->epoch_ms : in->chain_duration_ms;
	if (!f->warned_window && cfg->sched.window_ms > duration) {
		log_warn("--window-ms %" PRIu64 " is longer than the epoch (%" PRIu64
			 " ms): the last batches fall due after it ends",
			 cfg->sched.window_ms, duration);
		f->warned_window = true;
	}
	log_info("epoch %" PRIu64 ": audit begins: %zu nodes, %zu blobs, chain state of block "
		 "%" PRIu64 "%s",
		 f->target, in->nnodes, in->nblobs, in->as_of_block,
		 in->from_cache ? " (kept in the database)" : "");
	struct epoch_result res;
	bool ran = run_epoch(cfg, in, start, start + duration, &res, e);
	audit_inputs_clear(in);
	if (!ran && !cfg->once && !stopped(cfg)) {
		/* E.g. PostgreSQL away when the epoch begins: the engine reads what is recorded
		 * before it starts. Trying again is what a restart would do. */
		if (!f->failing)
			log_warn("epoch %" PRIu64 " could not start: %s; trying again every %" PRIu64
				 " ms",
				 f->target, e->msg, poll);
		f->failing = true;
		*retry = true;
		return true;
	}
	if (!ran) {
		f->ok = false;
		return false;
	}
	epoch_row_refresh(f->c, &cfg->cache, f->target);
	f->prev = f->target;
	if (cfg->once) {
		f->ok = res.complete;
		if (!res.complete)
			err_set(e, "epoch %" PRIu64 " is not complete (stopped, or results unrecorded); "
				   "run again to resume",
				f->target);
		return false;
	}
	if (stopped(cfg)) {
		/* A restart resumes the epoch from what is recorded. */
		f->ok = !res.unrecorded;
		if (res.unrecorded)
			err_set(e, "stopped with %" PRIu64 " results of epoch %" PRIu64 " unrecorded "
				   "(the database is away); a restart asks them again",
				res.unrecorded, f->target);
		else
			log_info("stopped during epoch %" PRIu64 " with every result recorded; a "
				 "restart resumes it",
				 f->target);
		return false;
	}
	return true;
}

bool audit_daemon_follow(const struct audit_daemon_config *cfg, const struct audit_chain *c,
			 uint64_t first_epoch, bool first_given, struct err *e)
{
	struct follow f = {
		.cfg = cfg,
		.c = c,
		.target = first_given ? first_epoch : UINT64_MAX,
		.prev = UINT64_MAX,
		.explicit_target = first_given,
	};
	uint64_t poll = cfg->poll_ms ? cfg->poll_ms : 1000;
	/* A schedule other than the contract's is a configuration error, not a chain outage:
	 * refuse at once rather than retry. */
	if (!audit_chain_schedule_check(c, &cfg->sched, e))
		return false;
	if (cfg->logs)
		chain_reader_set_log_store(c->reader, cfg->logs);
	for (;;) {
		if (stopped(cfg)) {
			log_info("stopped between epochs; nothing unrecorded");
			return true;
		}
		struct audit_inputs in;
		enum step s = follow_look(&f, &in, e);
		if (s != STEP_AUDIT)
			audit_inputs_clear(&in);
		if (s == STEP_END)
			return false;
		if (s == STEP_WAIT) {
			idle_wait(cfg, poll);
			continue;
		}
		if (s == STEP_SKIP) {
			f.target++;
			f.explicit_target = false;
			continue;
		}
		bool retry;
		if (!follow_audit(&f, &in, &retry, e))
			return f.ok;
		if (retry) {
			idle_wait(cfg, poll);
			continue;
		}
		f.target++;
		f.explicit_target = false;
		f.waiting[0] = '\0';
	}
}

bool audit_start_parse(const char *text, enum audit_start *mode, uint64_t *at)
{
	*at = 0;
	if (!text || !strcmp(text, "chain")) {
		*mode = AUDIT_START_DEFAULT;
		return true;
	}
	if (!strcmp(text, "now")) {
		*mode = AUDIT_START_NOW;
		return true;
	}
	*mode = AUDIT_START_AT;
	return parse_u64(text, at);
}

void audit_daemon_report_print(void *arg, const struct audit_inputs *in,
			       const struct audit_auditor_report *rep)
{
	FILE *f = arg;
	fprintf(f, "epoch %" PRIu64 ": %" PRIu64 " challenges, %" PRIu64 " decided, %" PRIu64
		   " attempts sent, %" PRIu64 " resumed from the database, %" PRIu64
		   " connections opened\n",
		in->params.epoch, rep->challenges, rep->decided, rep->attempts_sent, rep->resumed,
		rep->connections);
	audit_auditor_report_print(f, rep, in->nodes);
	fflush(f);
}

bool audit_chain_open(struct audit_chain *c, struct chain_session *s, uint64_t confirmations,
		      struct err *e)
{
	memset(c, 0, sizeof(*c));
	if (!chain_reader_new(&c->reader, s->rpc, &s->dep, NULL, confirmations ? confirmations : 1,
			      0, e))
		return false;
	c->session = s;
	c->confirmations = confirmations;
	static const uint8_t none[20] = {0};
	if (!memcmp(s->dep.disputes, none, 20))
		return true;
	static const char *const sigs[3] = {"minPerNode()(uint32)", "perShard()(uint32)",
					    "batchSize()(uint32)"};
	static const char *const names[3] = {"min_per_node", "per_shard", "batch_size"};
	uint32_t *dst[3] = {&c->min_per_node, &c->per_shard, &c->batch_size};
	for (int i = 0; i < 3; i++) {
		struct chain_abi_value *ret = NULL;
		uint64_t v = 0;
		bool ok = chain_bind_call(s->bind, s->dep.disputes, sigs[i], NULL, &ret, e) &&
			  chain_abi_get_u64(chain_abi_at(ret, 0), &v, e);
		chain_abi_value_free(ret);
		if (!ok) {
			err_prefix(e, "reading the schedule's %s from Disputes: ", names[i]);
			audit_chain_close(c);
			return false;
		}
		*dst[i] = (uint32_t)v;
	}
	c->has_schedule = true;
	return true;
}

void audit_chain_close(struct audit_chain *c)
{
	chain_reader_free(c->reader);
	memset(c, 0, sizeof(*c));
}

bool audit_inputs_plan(struct audit_inputs *in, const struct audit_schedule_params *tmpl,
		       const struct audit_identity *id, const struct audit_chain *c,
		       const struct audit_chaincache *cache, bool given, uint64_t epoch,
		       struct err *e)
{
	enum audit_ready ready;
	uint64_t cur, fin;
	if (!audit_chain_now(c, &cur, &fin, e))
		return false;
	if (!given)
		epoch = cur;
	return audit_inputs_begin(in, tmpl, id, epoch, e) &&
	       audit_inputs_from_chain(in, c, cache, epoch, cur, fin, &ready, e) &&
	       ready == AUDIT_READY;
}

bool audit_inputs_public(struct audit_inputs *in, struct chain_session *s,
			 uint64_t confirmations, const struct audit_identity *id, uint64_t epoch,
			 struct err *e)
{
	struct audit_chain c;
	struct audit_schedule_params tmpl;
	if (!audit_chain_open(&c, s, confirmations, e))
		return false;
	audit_schedule_params_defaults(&tmpl);
	/* a record's request is one batch: the batch size too is the deployment's */
	if (c.has_schedule) {
		tmpl.min_per_node = c.min_per_node;
		tmpl.per_shard = c.per_shard;
		tmpl.batch_size = c.batch_size;
	}
	bool ok = audit_inputs_plan(in, &tmpl, id, &c, NULL, true, epoch, e);
	audit_chain_close(&c);
	return ok;
}
