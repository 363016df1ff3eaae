/* rpc.h: a JSON-RPC 2.0 client for EVM nodes (libcurl + jansson).
 *
 * One client holds one curl easy handle, so consecutive calls reuse the connection
 * (keep-alive; HTTPS with normal certificate checks). Every answer is checked strictly:
 * "jsonrpc":"2.0", the id we sent, exactly one of result and error; a batch answer may come
 * in any order and is matched by id. The body is capped (16 MiB by default): a larger one
 * aborts the transfer instead of being buffered.
 *
 * Retries, with exponential backoff, happen on transport failures only (connection refused
 * or reset, timeouts, HTTP 429/502/503/504), never on an answer the node gave. Every eth_*,
 * net_* and web3_* method is idempotent, eth_sendRawTransaction included: re-sending the
 * same signed bytes names the same hash, so the chain holds it at most once. Any other
 * method (anvil_mine, evm_increaseTime, ...) is retried only when the request surely never
 * reached the node (the connection could not be made).
 *
 * Amounts that may exceed 64 bits (balances, values) are struct chain_u256 (chain/u256.h). */
#ifndef ASSAY_CHAIN_RPC_H
#define ASSAY_CHAIN_RPC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/util.h"

struct err;
struct buf;
struct json_t;
struct chain_u256;
struct chain_rpc;
struct chain_rpc_batch;

/* How a call failed, for callers that react differently (the sender, getLogs splitting). */
enum chain_rpc_status {
	CHAIN_RPC_OK = 0,
	CHAIN_RPC_TRANSPORT, /* no answer: refused, reset, timed out, HTTP 429/502/503/504 */
	CHAIN_RPC_HTTP,      /* another HTTP status without a JSON-RPC answer (500, 404, ...) */
	CHAIN_RPC_TOO_LARGE, /* the answer exceeded the size cap */
	CHAIN_RPC_MALFORMED, /* an answer that is not a valid JSON-RPC 2.0 response to us */
	CHAIN_RPC_NODE,      /* the node answered with a JSON-RPC error object */
};

struct chain_rpc_opts {
	unsigned timeout_ms;   /* one HTTP exchange; 0: 10000 */
	unsigned connect_timeout_ms; /* 0: min(timeout, 5000) */
	unsigned retries;      /* extra attempts on transport failures (3 when opts is NULL) */
	unsigned backoff_ms;   /* first backoff, doubled each time (capped at 5 s); 0: 100 */
	size_t max_response;   /* body cap in bytes; 0: 16 MiB */
};

#define CHAIN_RPC_DEFAULT_MAX_RESPONSE ((size_t)16 << 20)

bool chain_rpc_new(struct chain_rpc **out, const char *url, const struct chain_rpc_opts *opts,
		   struct err *e) WARN_UNUSED;
void chain_rpc_free(struct chain_rpc *rpc);
const char *chain_rpc_url(const struct chain_rpc *rpc);

const char *chain_rpc_status_name(enum chain_rpc_status s);

/* What the last failed call was, with the node's code and raw message when it was
 * CHAIN_RPC_NODE (message "" otherwise). Lent until the next call. */
enum chain_rpc_status chain_rpc_last_status(const struct chain_rpc *rpc);
int64_t chain_rpc_last_code(const struct chain_rpc *rpc);
const char *chain_rpc_last_message(const struct chain_rpc *rpc);

/* Counters since chain_rpc_new: HTTP exchanges, transport retries. */
void chain_rpc_stats(const struct chain_rpc *rpc, uint64_t *requests, uint64_t *retries);

/* Any method. params: a JSON array (stolen; NULL means []); *result is a new reference
 * on success (JSON null is a valid result). */
bool chain_rpc_call_json(struct chain_rpc *rpc, const char *method, struct json_t *params,
			 struct json_t **result, struct err *e) WARN_UNUSED;
/* Same with JSON text: params_json e.g. "[1]" (NULL: []); *result_json malloc'd. */
bool chain_rpc_call(struct chain_rpc *rpc, const char *method, const char *params_json,
		    char **result_json, struct err *e) WARN_UNUSED;

/* Batches: add calls, send them in one HTTP request, read each answer. A failure of the
 * whole exchange (transport, HTTP, malformed) fails chain_rpc_batch_send; an error object
 * for one call fails only that call. */
struct chain_rpc_batch *chain_rpc_batch_new(void);
void chain_rpc_batch_free(struct chain_rpc_batch *b);
/* params stolen (NULL: []); returns the call's index. */
size_t chain_rpc_batch_add(struct chain_rpc_batch *b, const char *method, struct json_t *params);
size_t chain_rpc_batch_len(const struct chain_rpc_batch *b);
bool chain_rpc_batch_send(struct chain_rpc *rpc, struct chain_rpc_batch *b,
			  struct err *e) WARN_UNUSED;
/* After a successful send: *result is lent (valid until the batch is freed). On a node
 * error returns false with the sentence in e, and status/code/message when non-NULL. */
bool chain_rpc_batch_result(const struct chain_rpc_batch *b, size_t i, struct json_t **result,
			    int64_t *code, const char **message, struct err *e) WARN_UNUSED;

/* ---- Answer parsing, exposed for the unit tests and the fuzz target. ---- */

/* One node error: code, message and, when present, revert data decoded. */
struct chain_rpc_fault {
	int64_t code;
	char message[256];
	char detail[300]; /* decoded revert data, "" when none */
};

/* Parse a single answer to request `id`. On CHAIN_RPC_OK *result is a new reference. */
enum chain_rpc_status chain_rpc_parse_response(const char *body, size_t len, uint64_t id,
					       struct json_t **result,
					       struct chain_rpc_fault *fault, struct err *e);
/* Parse a batch answer to requests with ids[0..n). results[i] (new references) is set for a
 * result, NULL for an error (faults[i] filled, may be NULL to ignore). Any id missing,
 * duplicated or unknown makes the whole answer malformed. A single error object instead
 * of an array (a node refusing the batch) is CHAIN_RPC_NODE with fault[0] filled. */
enum chain_rpc_status chain_rpc_parse_batch(const char *body, size_t len, const uint64_t *ids,
					    size_t n, struct json_t **results,
					    struct chain_rpc_fault *faults, struct err *e);
/* Describe revert data ("0x08c379a0..."): "Error(string) \"msg\"", "Panic(0x11) arithmetic
 * overflow", or "custom error 0x12345678 (+N bytes)". */
void chain_rpc_describe_revert(const uint8_t *data, size_t len, char *out, size_t out_len);

/* ---- Typed helpers. A block tag is "latest", "pending", "safe", "finalized",
 * "earliest" or a 0x quantity; chain_rpc_tag formats a number into one, and
 * chain_rpc_tag_text a block as a user writes it (a decimal number, else the tag as it is,
 * cut to 23 bytes). ---- */

void chain_rpc_tag(char out[24], uint64_t block);
void chain_rpc_tag_text(char out[24], const char *text);

/* JSON quantity helpers (strict: "0x" + minimal hex digits). */
bool chain_rpc_parse_quantity(const struct json_t *v, uint64_t *out, struct err *e) WARN_UNUSED;
bool chain_rpc_parse_quantity256(const struct json_t *v, struct chain_u256 *out,
				 struct err *e) WARN_UNUSED;
bool chain_rpc_parse_bytes_exact(const struct json_t *v, uint8_t *out, size_t len,
				 struct err *e) WARN_UNUSED;

bool chain_rpc_chain_id(struct chain_rpc *rpc, uint64_t *out, struct err *e) WARN_UNUSED;
bool chain_rpc_block_number(struct chain_rpc *rpc, uint64_t *out, struct err *e) WARN_UNUSED;

struct chain_block {
	uint64_t number;
	uint64_t timestamp;
	uint8_t hash[32];
	uint8_t parent_hash[32];
	bool has_base_fee;
	uint64_t base_fee; /* wei per gas */
};
/* *found is false when the node has no such block (yet). */
bool chain_rpc_get_block(struct chain_rpc *rpc, const char *tag, struct chain_block *out,
			 bool *found, struct err *e) WARN_UNUSED;
bool chain_rpc_parse_block(const struct json_t *v, struct chain_block *out,
			   struct err *e) WARN_UNUSED;

bool chain_rpc_get_transaction_count(struct chain_rpc *rpc, const uint8_t addr[20],
				     const char *tag, uint64_t *out, struct err *e) WARN_UNUSED;
bool chain_rpc_get_balance(struct chain_rpc *rpc, const uint8_t addr[20], const char *tag,
			   struct chain_u256 *out, struct err *e) WARN_UNUSED;

/* eth_call; from may be NULL; the return data is appended to out. A revert fails with
 * "execution reverted: Error(string) \"...\"" in e. */
bool chain_rpc_eth_call(struct chain_rpc *rpc, const uint8_t *from, const uint8_t to[20],
			const uint8_t *data, size_t data_len, const char *tag, struct buf *out,
			struct err *e) WARN_UNUSED;
/* eth_estimateGas; to NULL for a contract creation; value NULL for zero. */
bool chain_rpc_estimate_gas(struct chain_rpc *rpc, const uint8_t from[20], const uint8_t *to,
			    const struct chain_u256 *value, const uint8_t *data, size_t data_len,
			    uint64_t *gas, struct err *e) WARN_UNUSED;

struct chain_fee_history {
	uint64_t oldest_block;
	size_t nblocks;        /* entries in gas_used_ratio and reward */
	size_t npercentiles;
	uint64_t *base_fee;    /* nblocks + 1 entries: the last one is the next block's */
	double *gas_used_ratio;
	uint64_t *reward;      /* nblocks * npercentiles, row per block; NULL if none asked */
};
bool chain_rpc_fee_history(struct chain_rpc *rpc, unsigned blocks, const char *newest,
			   const double *percentiles, size_t npercentiles,
			   struct chain_fee_history *out, struct err *e) WARN_UNUSED;
void chain_fee_history_clear(struct chain_fee_history *h);

/* eth_sendRawTransaction; hash (may be NULL) receives the node's answer. */
bool chain_rpc_send_raw(struct chain_rpc *rpc, const uint8_t *raw, size_t len, uint8_t hash[32],
			struct err *e) WARN_UNUSED;

struct chain_log {
	uint8_t address[20];
	size_t ntopics;
	uint8_t topics[4][32];
	uint8_t *data;
	size_t data_len;
	uint64_t block_number;
	uint8_t block_hash[32];
	uint8_t tx_hash[32];
	uint64_t log_index;
	bool removed;
};

struct chain_receipt {
	uint8_t tx_hash[32];
	uint8_t block_hash[32];
	uint64_t block_number;
	uint64_t gas_used;
	uint64_t effective_gas_price;
	int status; /* 1 success, 0 reverted */
	bool has_contract;
	uint8_t contract_address[20];
	size_t nlogs;
	struct chain_log *logs;
};
/* *found is false while the node knows no receipt (pending or unknown). */
bool chain_rpc_get_receipt(struct chain_rpc *rpc, const uint8_t hash[32],
			   struct chain_receipt *out, bool *found, struct err *e) WARN_UNUSED;
bool chain_rpc_parse_receipt(const struct json_t *v, struct chain_receipt *out,
			     struct err *e) WARN_UNUSED;
void chain_receipt_clear(struct chain_receipt *r);
/* The receipt for people, as `assay chain send --wait` prints it: status, block, gas used
 * and the contract created, one per line. */
void chain_receipt_print(FILE *f, const struct chain_receipt *r);
bool chain_rpc_parse_log(const struct json_t *v, struct chain_log *out, struct err *e) WARN_UNUSED;
void chain_log_clear(struct chain_log *l);

struct chain_log_filter {
	uint64_t from_block, to_block; /* inclusive */
	const uint8_t *address;        /* 20 bytes, or NULL for any */
	const uint8_t *topics[4];      /* each NULL for any */
	uint64_t chunk;                /* blocks per request; 0: 2000 */
};
struct chain_logs {
	size_t n;
	struct chain_log *v;
};
/* eth_getLogs over [from, to] in chunks; a chunk the node refuses (range or result too
 * large) is split in halves until it passes or is a single block. */
bool chain_rpc_get_logs(struct chain_rpc *rpc, const struct chain_log_filter *f,
			struct chain_logs *out, struct err *e) WARN_UNUSED;
void chain_logs_clear(struct chain_logs *l);

#endif
