/* server.h: the reference storage node: the Walrus storage-node REST API over
 * libmicrohttpd (a thread pool), backed by node/store.h, with fault injection
 * (node/faults.h), storage confirmations and peer recovery (node/recover.h).
 *
 *   GET  /v1/health, /metrics                              (Prometheus: stored, reclaimed,
 *                                                          free bytes, answers served)
 *   GET  /v1/blobs/{id}/metadata                           BCS BlobMetadataWithId
 *   PUT  /v1/blobs/{id}/metadata                           bare BCS BlobMetadata, checked
 *                                                          against the ID
 *   GET  /v1/blobs/{id}/slivers/{pair}/{primary|secondary} BCS SliverData
 *   PUT  /v1/blobs/{id}/slivers/{pair}/{primary|secondary} checked against the metadata
 *   GET  /v1/blobs/{id}/recoverySymbols?id=I-J[&id=..]&proofAxis=primary|secondary
 *   GET  /v1/blobs/{id}/confirmation[/permanent]           EIP-712 StorageConfirmation
 *   POST /v1/admin/recover[?blob=ID]                       only with admin enabled
 *
 * Successes and errors outside BCS bodies are JSON in Walrus's shape:
 * {"success": {"code": 201, "data": ...}} and {"error": {"status": "NOT_FOUND",
 * "code": 404, "message": ...}}. */
#ifndef ASSAY_NODE_SERVER_H
#define ASSAY_NODE_SERVER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"
#include "node/faults.h"

struct err;

struct node_server_config {
	const char *listen;         /* "127.0.0.1:9100" (port 0: any free port) */
	const char *data_dir;
	const char *committee_path; /* NULL: follow the chain (below) */
	uint32_t index;             /* this node in the committee file */
	const char *key_file;       /* node key (0600), or NULL: no confirmations */
	uint64_t epoch;             /* confirmations name it; 0: the committee file's */
	unsigned threads;           /* 0: 4 */
	size_t max_body;            /* 0: 32 MiB */
	uint64_t cache_mib;         /* expanded slivers kept (node/xcache.h); 0: 256 */
	uint64_t min_free_bytes;    /* uploads leaving less free get 507 */
	bool admin;                 /* serve POST /v1/admin/recover */
	uint64_t recover_interval_s; /* 0: only at startup and on demand */
	uint64_t peer_timeout_ms;   /* recovery requests; 0: 10 s */
	struct node_faults faults;
	/* Following the chain (node/follow.h): the committee, this node's shards and the
	 * blobs to recover come from the deployment's contracts; key_file is required. */
	const char *rpc_url;
	const char *deployment_path;
	uint64_t rpc_timeout_ms;
	uint64_t confirmations;     /* blocks until a block counts as final */
	uint64_t poll_ms;           /* re-read the chain this often */
};

/* Runs until *stop becomes non-zero (a signal handler sets it). */
bool node_server_run(const struct node_server_config *cfg, volatile sig_atomic_t *stop,
		     struct err *e) WARN_UNUSED;

#endif
