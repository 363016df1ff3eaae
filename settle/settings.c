/* settings.c: the settle job's and the API's settings, and what is made of them. */
#include "settle/settings.h"

#include "chain/deployment.h"
#include "chain/settings.h"
#include "core/err.h"
#include "core/log.h"
#include "settle/api.h"
#include "settle/run.h"
#include "settle/session.h"
#include "sql/db.h"

struct settle_api_settings settle_api_settings;
struct settle_settings settle_settings;

const struct opt settle_api_settings_table[] = {
	{"api-listen", 0, OPT_STRING, &settle_api_settings.listen, "HOST:PORT",
	 "api: address of the read-only HTTP API (--listen overrides)", "127.0.0.1:8080", true},
	{"api-threads", 0, OPT_U64, &settle_api_settings.threads, "N",
	 "api: worker threads, each with its own database connection", "4", true},
	{"api-max-connections", 0, OPT_U64, &settle_api_settings.max_connections, "N",
	 "api: open client connections in all", "256", true},
	{"api-max-per-ip", 0, OPT_U64, &settle_api_settings.max_per_ip, "N",
	 "api: open client connections per client IP", "16", true},
	{"api-timeout-s", 0, OPT_U64, &settle_api_settings.timeout_s, "SECONDS",
	 "api: close a client connection idle this long", "15", true},
	{"api-rate", 0, OPT_U64, &settle_api_settings.rate, "N",
	 "api: requests per second per client IP (token bucket refill); past it 429", "10", true},
	{"api-burst", 0, OPT_U64, &settle_api_settings.burst, "N",
	 "api: requests a client IP may make at once (token bucket size)", "20", true},
	{"api-page-limit", 0, OPT_U64, &settle_api_settings.page_limit, "N",
	 "api: page size when a request gives no limit=", "100", true},
	{"api-max-limit", 0, OPT_U64, &settle_api_settings.max_limit, "N",
	 "api: largest limit= accepted", "500", true},
	{"api-max-url", 0, OPT_U64, &settle_api_settings.max_url, "BYTES",
	 "api: longest path and query accepted (414 past it)", "2048", true},
	{"api-statement-timeout-ms", 0, OPT_U64, &settle_api_settings.statement_timeout_ms, "MS",
	 "api: a query running longer is cancelled (500)", "5000", true},
	OPT_END,
};

const struct opt settle_settings_table[] = {
	{"signing-key-file", 0, OPT_STRING, &settle_settings.signing_key_file, "FILE",
	 "settle: the auditor's signing key (0x-hex, mode 0600): signs attestations, derives "
	 "the epoch secrets", NULL, true},
	{"gas-key-file", 0, OPT_STRING, &settle_settings.gas_key_file, "FILE",
	 "settle: the key that pays gas for settle transactions (0x-hex, mode 0600); not the "
	 "signing key", NULL, true},
	{"auditor-id", 0, OPT_U64, &settle_settings.auditor_id, "ID",
	 "settle: this auditor's id in Settlement (0-255); 256: find it from AuditorSet events",
	 "256", true},
	{"settle-metrics-file", 0, OPT_STRING, &settle_settings.metrics_file, "FILE",
	 "settle: write metrics (state per epoch, gas balance, stuck transactions, fee cap hits) "
	 "here after each run; '-': stdout; empty: none", "", true},
	{"warn-margin-s", 0, OPT_U64, &settle_settings.warn_margin_s, "SECONDS",
	 "settle: warn when a commit or reveal window closes within this and it is not done",
	 "1800", true},
	{"settle-watch", 0, OPT_BOOL, &settle_settings.watch, NULL,
	 "settle: each run, check the other auditors' evidence blobs of every epoch in its "
	 "dispute window and submit the proof of each provable lie (settle/dispute.h)", "true",
	 true},
	OPT_END,
};

static unsigned clamp_u(uint64_t v)
{
	return v > 1000000u ? 1000000u : (unsigned)v;
}

bool settle_api_config_from_settings(struct settle_api_config *c, const char *listen,
				     struct chain_deployment *dep, struct err *e)
{
	const struct settle_api_settings *s = &settle_api_settings;
	if (s->threads < 1 || s->threads > 64)
		return err_set(e, "api-threads must be between 1 and 64");
	if (s->rate < 1 || s->burst < 1)
		return err_set(e, "api-rate and api-burst must be at least 1");
	if (s->max_limit < 1 || s->page_limit < 1 || s->page_limit > s->max_limit)
		return err_set(e, "api-page-limit must be between 1 and api-max-limit");
	*c = (struct settle_api_config){
		.listen = listen ? listen : s->listen,
		.db_conninfo = db_settings.conninfo,
		.db_connect_timeout_s = clamp_u(db_settings.connect_timeout_s),
		.statement_timeout_ms = s->statement_timeout_ms,
		.threads = clamp_u(s->threads),
		.max_connections = clamp_u(s->max_connections),
		.max_per_ip = clamp_u(s->max_per_ip),
		.timeout_s = clamp_u(s->timeout_s),
		.rate_per_s = s->rate,
		.burst = s->burst,
		.default_limit = s->page_limit,
		.max_limit = s->max_limit,
		.max_url = s->max_url,
		.rpc_url = chain_settings.rpc_url,
	};
	/* The pages read the chain themselves; without a deployment they only show. */
	struct err de = {{0}};
	if (chain_settings.deployment && chain_deployment_load(chain_settings.deployment, dep, &de))
		c->deployment = dep;
	else
		log_info("no deployment (%s): the pages will not check the chain", de.msg);
	return true;
}

bool settle_session_open_settings(struct settle_session *s, int need, struct err *e)
{
	struct settle_session_cfg c = {
		.deployment = chain_settings.deployment,
		.rpc_url = chain_settings.rpc_url,
		.rpc_timeout_ms = (unsigned)chain_settings.rpc_timeout_ms,
		.db = db_settings.conninfo,
		.db_connect_timeout_s = (unsigned)db_settings.connect_timeout_s,
		.gas_key_file = settle_settings.gas_key_file,
		.signing_key_file = settle_settings.signing_key_file,
		.auditor_id = settle_settings.auditor_id,
		.warn_margin_s = settle_settings.warn_margin_s,
	};
	chain_sender_cfg_from_settings(&c.sender);
	return settle_session_open(s, &c, need, e);
}

void settle_run_opts_from_settings(struct settle_run_opts *o)
{
	const char *m = settle_settings.metrics_file;
	o->metrics_path = m && *m ? m : NULL;
	o->stuck_after_s = chain_settings.stuck_after_s;
	o->watch = settle_settings.watch;
}
