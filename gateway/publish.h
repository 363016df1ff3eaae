/* publish.h: the gateway's publisher (PUT /v1/blobs?epochs=N): the body goes through
 * node_publish (node/publish.h), exactly what `assay blob put` does: encode, register and
 * pay, upload, collect confirmations, certify. It pays from one chain session (one key, so
 * one nonce writer): publishes are taken one at a time, in arrival order. */
#ifndef ASSAY_GATEWAY_PUBLISH_H
#define ASSAY_GATEWAY_PUBLISH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct err;
struct chain_session;
struct gateway_publish_result;
struct gateway_publisher;

/* s (opened with the payer's key and the deployment) is borrowed and must outlive the
 * publisher; the committee is read from the chain for each publish. */
struct gateway_publisher *gateway_publisher_new(struct chain_session *s,
						const char *contracts_dir,
						uint64_t confirmations, uint64_t node_timeout_ms);
void gateway_publisher_free(struct gateway_publisher *p);

/* A gateway_publish_fn (gateway/server.h) with cls = the publisher. */
bool gateway_publisher_publish(void *cls, const uint8_t *body, size_t len, uint64_t epochs,
			       struct gateway_publish_result *out, struct err *e) WARN_UNUSED;

#endif
