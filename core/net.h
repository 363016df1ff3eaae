/* net.h: what every HTTP server of assay shares: the --listen address and the per-client
 * rate limit (a token bucket per IPv4 address in a fixed table, so a flood of new
 * addresses cannot grow memory: the least recently seen client is forgotten first). */
#ifndef ASSAY_CORE_NET_H
#define ASSAY_CORE_NET_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include "core/util.h"

struct err;

/* "IPv4:PORT" into *sa; `flag` names the option in the error (e.g. "--listen"), and
 * `example` shows a good value. */
bool net_parse_listen(const char *text, const char *flag, const char *example,
		      struct sockaddr_in *sa, struct err *e) WARN_UNUSED;

#define NET_LIMITER_BUCKETS 4096
#define NET_LIMITER_PROBES 8

struct net_bucket {
	uint32_t ip;
	bool used;
	double tokens;
	uint64_t last_ms;
};

struct net_limiter {
	pthread_mutex_t lock;
	double rate, burst; /* tokens per second; bucket size */
	struct net_bucket b[NET_LIMITER_BUCKETS];
};

void net_limiter_init(struct net_limiter *l, double rate_per_s, double burst);
void net_limiter_destroy(struct net_limiter *l);
/* Takes one token for ip; false and *retry_s (>= 1) when the bucket is empty. */
bool net_limiter_take(struct net_limiter *l, uint32_t ip, unsigned *retry_s);

#endif
