/* settings.c: the auditor's settings and the configurations made of them. */
#include "audit/settings.h"

#include <string.h>

#include "audit/daemon.h"
#include "audit/schedule.h"
#include "chain/settings.h"
#include "core/err.h"

struct audit_settings audit_settings;

const struct opt audit_settings_table[] = {
	{"auditor-address", 0, OPT_STRING, &audit_settings.auditor_address, "ADDR",
	 "audit: the auditor's signing address (20 bytes hex; --auditor on the command)", NULL,
	 true},
	{"secret-file", 0, OPT_STRING, &audit_settings.secret_file, "FILE",
	 "audit: the epoch's secret (32 bytes hex, mode 0600), when not derived from --key-file",
	 NULL, true},
	{"window-ms", 0, OPT_U64, &audit_settings.window_ms, "MS",
	 "audit: batches are spread over this part of the epoch", "2880000", true},
	{"audit-epoch-ms", 0, OPT_U64, &audit_settings.epoch_ms, "MS",
	 "audit: length of an epoch (re-asks fit before its end); 0: the chain's, or "
	 "window-ms / 0.8 with a committee file", "0", true},
	{"batch-timeout-ms", 0, OPT_U64, &audit_settings.batch_timeout_ms, "MS",
	 "audit: deadline of a batch (a local read meets it; recovery from peers should not)",
	 "5000", true},
	{"retry-delay-ms", 0, OPT_U64, &audit_settings.retry_delay_ms, "MS",
	 "audit: ask a transient failure again after this long; 0: window-ms / 20", "0", true},
	{"max-pending", 0, OPT_U64, &audit_settings.max_pending, "N",
	 "audit: results held in memory while PostgreSQL is away; past it no new challenges",
	 "100000", true},
	{"canary-url", 0, OPT_STRING, &audit_settings.canary_url, "URL",
	 "audit: fetched when no node answers; if it fails too, the auditor's own network is down "
	 "(auditor_error)", NULL, true},
	{"max-host-connections", 0, OPT_U64, &audit_settings.max_host_connections, "N",
	 "audit: kept-alive connections per node", "8", true},
	{"max-inflight", 0, OPT_U64, &audit_settings.max_inflight, "N",
	 "audit: HTTP requests in flight at once, all nodes together", "256", true},
	{"verify-threads", 0, OPT_U64, &audit_settings.verify_threads, "N",
	 "audit: threads checking answers (hashes, Merkle paths) off the I/O thread", "2", true},
	{"flush-rows", 0, OPT_U64, &audit_settings.flush_rows, "N",
	 "audit: fewest results per COPY to PostgreSQL (fewer wait at most 500 ms)", "5000", true},
	{"metrics-listen", 0, OPT_STRING, &audit_settings.metrics_listen, "HOST:PORT",
	 "audit: serve /metrics (Prometheus) and /healthz here; empty: off", "", true},
	{"min-per-node", 0, OPT_U64, &audit_settings.min_per_node, "N",
	 "audit: fewest challenges per node per epoch (SCHEDULE.md)", "200", true},
	{"per-shard", 0, OPT_U64, &audit_settings.per_shard, "N",
	 "audit: challenges per shard held", "2", true},
	{"batch-size", 0, OPT_U64, &audit_settings.batch_size, "N",
	 "audit: challenges per batch", "16", true},
	{"audit-poll-ms", 0, OPT_U64, &audit_settings.poll_ms, "MS",
	 "audit: the daemon asks the chain this often whether the next epoch and its seed are "
	 "there", "5000", true},
	OPT_END,
};

void audit_schedule_params_from_settings(struct audit_schedule_params *p)
{
	audit_schedule_params_defaults(p);
	p->window_ms = audit_settings.window_ms;
	p->min_per_node = (uint32_t)audit_settings.min_per_node;
	p->per_shard = (uint32_t)audit_settings.per_shard;
	p->batch_size = (uint32_t)audit_settings.batch_size;
}

void audit_daemon_config_from_settings(struct audit_daemon_config *d)
{
	const struct audit_settings *s = &audit_settings;
	memset(d, 0, sizeof(*d));
	audit_schedule_params_from_settings(&d->sched);
	struct audit_auditor_config *c = &d->engine;
	c->batch_timeout_ms = s->batch_timeout_ms;
	c->retry_delay_ms = s->retry_delay_ms;
	c->max_pending = (size_t)s->max_pending;
	c->canary_url = s->canary_url && *s->canary_url ? s->canary_url : NULL;
	c->fanout.max_host_connections = (unsigned)s->max_host_connections;
	c->fanout.max_inflight = (unsigned)s->max_inflight;
	c->verify_threads = (unsigned)s->verify_threads;
	c->flush_rows = (size_t)s->flush_rows;
	d->epoch_ms = s->epoch_ms;
	d->poll_ms = s->poll_ms;
}

bool audit_chain_src_open_settings(struct audit_chain_src *c, struct err *e)
{
	struct chain_session_cfg cfg;
	memset(c, 0, sizeof(*c));
	chain_session_cfg_from_settings(&cfg, true);
	if (!chain_session_open(&c->s, &cfg, e) ||
	    !audit_chain_open(&c->c, &c->s, chain_settings.confirmations, e))
		return err_prefix(e, "no --committee FILE, so the inputs come from the chain "
				     "(--rpc-url %s, --deployment %s): ",
				  chain_settings.rpc_url, chain_settings.deployment);
	return true;
}

void audit_chain_src_close(struct audit_chain_src *c)
{
	audit_chain_close(&c->c);
	chain_session_close(&c->s);
	memset(c, 0, sizeof(*c));
}
