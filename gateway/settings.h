/* settings.h: the gateway's settings of the program ('assay gateway serve'; a
 * core/config.h table registered by the CLI) and its configuration made from them. */
#ifndef ASSAY_GATEWAY_SETTINGS_H
#define ASSAY_GATEWAY_SETTINGS_H

#include <stdint.h>

#include "core/config.h"
#include "core/util.h"

struct err;
struct gateway_config;

struct gateway_settings {
	const char *listen;
	const char *cache_dir;      /* empty: a temporary directory */
	uint64_t cache_mib;
	uint64_t memory_cache_mib;  /* 0: derived from cache-mib */
	uint64_t threads;           /* 0: one per CPU */
	uint64_t max_requests;
	uint64_t max_fetches;
	uint64_t parallel;
	uint64_t node_timeout_ms;
	uint64_t hedge_ms;
	uint64_t client_timeout_s;
	uint64_t rate;
	uint64_t burst;
	uint64_t not_found_ttl_s;
	uint64_t max_age_s;
	uint64_t max_upload_mib;
	uint64_t poll_ms;
};
extern struct gateway_settings gateway_settings;
extern const struct opt gateway_settings_table[];

/* The configuration from the gateway's and the chain's settings (listen: NULL for
 * gateway-listen), or one sentence naming the limit out of range. */
bool gateway_config_from_settings(struct gateway_config *c, const char *listen,
				  struct err *e) WARN_UNUSED;

#endif
