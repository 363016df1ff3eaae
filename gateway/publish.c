/* publish.c: see publish.h. */
#include "gateway/publish.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/encoding.h"
#include "core/err.h"
#include "gateway/server.h"
#include "node/committee.h"
#include "node/publish.h"

struct gateway_publisher {
	pthread_mutex_t lock;
	struct chain_session *s;
	const char *contracts_dir;
	uint64_t confirmations, timeout_ms;
};

struct gateway_publisher *gateway_publisher_new(struct chain_session *s,
						const char *contracts_dir,
						uint64_t confirmations, uint64_t node_timeout_ms)
{
	struct gateway_publisher *p = xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	p->s = s;
	p->contracts_dir = contracts_dir;
	p->confirmations = confirmations ? confirmations : 1;
	p->timeout_ms = node_timeout_ms ? node_timeout_ms : 10000;
	return p;
}

void gateway_publisher_free(struct gateway_publisher *p)
{
	if (!p)
		return;
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static void tx_text(char out[70], const uint8_t h[32])
{
	static const uint8_t zero[32];
	if (!memcmp(h, zero, 32)) {
		out[0] = '\0';
		return;
	}
	out[0] = '0';
	out[1] = 'x';
	hex_encode(out + 2, h, 32);
}

bool gateway_publisher_publish(void *cls, const uint8_t *body, size_t len, uint64_t epochs,
			       struct gateway_publish_result *out, struct err *e)
{
	struct gateway_publisher *p = cls;
	struct node_committee *cm = NULL;
	struct node_publish_result r;
	memset(&r, 0, sizeof(r));
	bool ok = false;
	pthread_mutex_lock(&p->lock);
	if (!node_committee_current(p->s, NULL, p->contracts_dir, p->confirmations, &cm, e))
		goto out;
	struct node_publish_req req = {
		.chain = p->s,
		.committee = cm,
		.data = body,
		.len = len,
		.epochs = epochs,
		.timeout_ms = p->timeout_ms,
	};
	if (!node_publish(&req, &r, e))
		goto out;
	snprintf(out->blob_id, sizeof(out->blob_id), "%s", r.blob_id_text);
	out->already_certified = r.already_certified;
	out->end_epoch = r.reg.end_epoch;
	out->size = r.size;
	tx_text(out->tx_register, r.reg.tx_hash);
	tx_text(out->tx_certify, r.cert.tx_hash);
	ok = true;
out:
	pthread_mutex_unlock(&p->lock);
	node_publish_result_clear(&r);
	node_committee_free(cm);
	return ok;
}
