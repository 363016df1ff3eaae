/* settings.c: the gateway's settings and its configuration made of them. */
#include "gateway/settings.h"

#include "chain/settings.h"
#include "core/err.h"
#include "gateway/server.h"

struct gateway_settings gateway_settings;

const struct opt gateway_settings_table[] = {
	{"gateway-listen", 0, OPT_STRING, &gateway_settings.listen, "HOST:PORT",
	 "gateway: address to serve blobs on", "127.0.0.1:8090", true},
	{"cache-dir", 0, OPT_STRING, &gateway_settings.cache_dir, "DIR",
	 "gateway: where verified blobs are cached (checked on start); empty: a temporary "
	 "directory removed at exit", "", true},
	{"cache-mib", 0, OPT_U64, &gateway_settings.cache_mib, "MIB",
	 "gateway: the cache's size; least recently used blobs go first", "1024", true},
	{"memory-cache-mib", 0, OPT_U64, &gateway_settings.memory_cache_mib, "MIB",
	 "gateway: blobs up to 1 MiB are also kept in memory, within this; 0: cache-mib / 16, "
	 "at most 256", "0", true},
	{"gateway-threads", 0, OPT_U64, &gateway_settings.threads, "N",
	 "gateway: event loops answering requests (waits are suspended, never block them); 0: "
	 "one per CPU", "0", true},
	{"max-requests", 0, OPT_U64, &gateway_settings.max_requests, "N",
	 "gateway: requests answered at once; more get 503 with Retry-After", "256", true},
	{"max-fetches", 0, OPT_U64, &gateway_settings.max_fetches, "N",
	 "gateway: uncached blobs fetched from the nodes at once; more get 503", "16", true},
	{"fetch-parallel", 0, OPT_U64, &gateway_settings.parallel, "N",
	 "gateway: pieces of one blob fetched at once", "4", true},
	{"node-timeout-ms", 0, OPT_U64, &gateway_settings.node_timeout_ms, "MS",
	 "gateway: deadline of one request to a storage node", "10000", true},
	{"hedge-ms", 0, OPT_U64, &gateway_settings.hedge_ms, "MS",
	 "gateway: a node that has not answered after this long is hedged (asked elsewhere too)",
	 "2000", true},
	{"client-timeout-s", 0, OPT_U64, &gateway_settings.client_timeout_s, "SECONDS",
	 "gateway: a client idle this long is dropped", "30", true},
	{"gateway-rate", 0, OPT_U64, &gateway_settings.rate, "N",
	 "gateway: requests per second per client IP (then 429 with Retry-After)", "200", true},
	{"gateway-burst", 0, OPT_U64, &gateway_settings.burst, "N",
	 "gateway: burst of requests per client IP", "400", true},
	{"not-found-ttl-s", 0, OPT_U64, &gateway_settings.not_found_ttl_s, "SECONDS",
	 "gateway: how long a 404 may be cached (a blob may be certified a moment later)", "5",
	 true},
	{"max-age-s", 0, OPT_U64, &gateway_settings.max_age_s, "SECONDS",
	 "gateway: Cache-Control max-age with a committee file (on chain: the blob's lifetime)",
	 "3600", true},
	{"max-upload-mib", 0, OPT_U64, &gateway_settings.max_upload_mib, "MIB",
	 "gateway: largest body PUT /v1/blobs takes", "64", true},
	{"gateway-poll-ms", 0, OPT_U64, &gateway_settings.poll_ms, "MS",
	 "gateway: re-read the committee from the chain this often", "5000", true},
	OPT_END,
};

static unsigned clamp_u(uint64_t v, uint64_t lo, uint64_t hi)
{
	return (unsigned)(v < lo ? lo : v > hi ? hi : v);
}

bool gateway_config_from_settings(struct gateway_config *c, const char *listen, struct err *e)
{
	const struct gateway_settings *s = &gateway_settings;
	if (s->max_requests < 1 || s->max_fetches < 1 || s->parallel < 1 || s->parallel > 64)
		return err_set(e, "max-requests and max-fetches must be at least 1, "
				  "fetch-parallel between 1 and 64");
	if (s->rate < 1 || s->burst < 1)
		return err_set(e, "gateway-rate and gateway-burst must be at least 1");
	if (s->cache_mib < 1)
		return err_set(e, "cache-mib must be at least 1");
	if (s->threads > 256)
		return err_set(e, "gateway-threads must be at most 256 (0: one per CPU)");
	*c = (struct gateway_config){
		.listen = listen ? listen : s->listen,
		.rpc_url = chain_settings.rpc_url,
		.deployment_path = chain_settings.deployment,
		.rpc_timeout_ms = chain_settings.rpc_timeout_ms,
		.confirmations = chain_settings.confirmations,
		.poll_ms = s->poll_ms,
		.cache_dir = s->cache_dir,
		.cache_bytes = s->cache_mib << 20,
		.memory_cache_bytes = s->memory_cache_mib << 20,
		.threads = (unsigned)s->threads,
		.max_requests = clamp_u(s->max_requests, 1, 100000),
		.max_fetches = clamp_u(s->max_fetches, 1, 10000),
		.parallel = clamp_u(s->parallel, 1, 64),
		.client_timeout_s = s->client_timeout_s,
		.rate_per_s = s->rate,
		.burst = s->burst,
		.node_timeout_ms = s->node_timeout_ms,
		.hedge_ms = s->hedge_ms,
		.not_found_ttl_s = s->not_found_ttl_s,
		.max_age_s = s->max_age_s,
		.max_upload_bytes = s->max_upload_mib << 20,
	};
	return true;
}
