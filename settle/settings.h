/* settings.h: the settings of the settle job, the views and the API ('assay settle',
 * payouts, attestations, evidence, dispute; 'assay api serve'), two core/config.h tables
 * registered by the CLI, and what is opened or configured from them. */
#ifndef ASSAY_SETTLE_SETTINGS_H
#define ASSAY_SETTLE_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/util.h"

struct err;
struct chain_deployment;
struct settle_api_config;
struct settle_run_opts;
struct settle_session;

struct settle_api_settings {
	const char *listen;
	uint64_t threads;              /* worker threads = database connections */
	uint64_t max_connections;
	uint64_t max_per_ip;
	uint64_t timeout_s;            /* idle client connections closed after this */
	uint64_t rate;                 /* requests per second per client IP */
	uint64_t burst;
	uint64_t page_limit;           /* page size without limit= */
	uint64_t max_limit;
	uint64_t max_url;
	uint64_t statement_timeout_ms;
};
extern struct settle_api_settings settle_api_settings;
extern const struct opt settle_api_settings_table[];

struct settle_settings {
	const char *signing_key_file;   /* signs attestations; the secrets derive from it */
	const char *gas_key_file;       /* pays gas; never the signing key */
	uint64_t auditor_id;            /* 256: look it up */
	const char *metrics_file;       /* "-": stdout; "": none */
	uint64_t warn_margin_s;
	bool watch;
};
extern struct settle_settings settle_settings;
extern const struct opt settle_settings_table[];

/* The API's configuration from the settings (listen: NULL for api-listen) and the
 * database's and chain's; the deployment, for the pages, is loaded into *dep (without
 * one the pages check nothing, which is logged). False with one sentence when a
 * setting is out of range. */
bool settle_api_config_from_settings(struct settle_api_config *c, const char *listen,
				     struct chain_deployment *dep, struct err *e) WARN_UNUSED;
/* settle_session_open (settle/session.h) on the database, chain and settle settings. */
bool settle_session_open_settings(struct settle_session *s, int need,
				  struct err *e) WARN_UNUSED;
/* The settle run's metrics file, stuck-transaction age and watch from the settings. */
void settle_run_opts_from_settings(struct settle_run_opts *o);

#endif
