/* net.c: see net.h. */
#include "core/net.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/err.h"

bool net_parse_listen(const char *text, const char *flag, const char *example,
		      struct sockaddr_in *sa, struct err *e)
{
	const char *colon = text ? strrchr(text, ':') : NULL;
	char host[64];
	uint64_t port;
	if (!colon || (size_t)(colon - text) >= sizeof(host) || !parse_u64(colon + 1, &port) ||
	    port > 65535)
		return err_set(e, "%s must be IPv4:PORT such as %s, not '%s'", flag, example,
			       text ? text : "");
	memcpy(host, text, (size_t)(colon - text));
	host[colon - text] = '\0';
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, host, &sa->sin_addr) != 1)
		return err_set(e, "%s host must be an IPv4 address, not '%s'", flag, host);
	return true;
}

void net_limiter_init(struct net_limiter *l, double rate_per_s, double burst)
{
	memset(l, 0, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	l->rate = rate_per_s;
	l->burst = burst;
}

void net_limiter_destroy(struct net_limiter *l)
{
	pthread_mutex_destroy(&l->lock);
}

bool net_limiter_take(struct net_limiter *l, uint32_t ip, unsigned *retry_s)
{
	uint64_t now = now_ms();
	uint32_t h = (ip * 2654435761u) % NET_LIMITER_BUCKETS;
	pthread_mutex_lock(&l->lock);
	struct net_bucket *slot = NULL, *oldest = NULL;
	for (uint32_t k = 0; k < NET_LIMITER_PROBES; k++) {
		struct net_bucket *b = &l->b[(h + k) % NET_LIMITER_BUCKETS];
		if (b->used && b->ip == ip) {
			slot = b;
			break;
		}
		if (!b->used) {
			if (!oldest || oldest->used)
				oldest = b;
		} else if (!oldest || (oldest->used && b->last_ms < oldest->last_ms)) {
			oldest = b;
		}
	}
	if (!slot) {
		/* A new client (or one evicted long ago) starts with a full bucket. */
		slot = oldest;
		slot->used = true;
		slot->ip = ip;
		slot->tokens = l->burst;
		slot->last_ms = now;
	}
	slot->tokens += (double)(now - slot->last_ms) * l->rate / 1000.0;
	if (slot->tokens > l->burst)
		slot->tokens = l->burst;
	slot->last_ms = now;
	bool ok = slot->tokens >= 1.0;
	if (ok)
		slot->tokens -= 1.0;
	else {
		double wait = (1.0 - slot->tokens) / l->rate;
		*retry_s = (unsigned)wait;
		if ((double)*retry_s < wait)
			(*retry_s)++;
	}
	pthread_mutex_unlock(&l->lock);
	if (!ok && *retry_s < 1)
		*retry_s = 1;
	return ok;
}
