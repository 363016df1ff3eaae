/* challenge.h: the one-shot challenge of a storage node, and the HTTP plumbing under it.
 *
 * A challenge asks a node that speaks the Walrus storage-node API for one recovery symbol:
 *
 *   1. GET /v1/blobs/{id}/metadata, and check that it hashes to the blob ID asked about;
 *   2. GET /v1/blobs/{id}/recoverySymbols?id=I-J&proofAxis=primary|secondary;
 *   3. verify the symbol against the metadata (audit/symbol.h) and classify the answer.
 *
 * Every outcome is one of the DESIGN.md "Challenges" outcomes. Transport failures are split
 * between the node's fault (unreachable, timeout) and the auditor's own (auditor_error:
 * no local network, no file descriptors, a malformed URL), because scoring must not punish
 * a node for the auditor's broken network. Bodies are capped, so a hostile node cannot make
 * the auditor allocate without bound. The batched auditor (audit/auditor.h) reuses the
 * classification below; its scheduled challenges are struct audit_challenge of
 * audit/schedule.h, so the one-shot request here is struct audit_challenge_req. */
#ifndef ASSAY_AUDIT_CHALLENGE_H
#define ASSAY_AUDIT_CHALLENGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "audit/bcs.h"
#include "audit/symbol.h"
#include "core/util.h"

struct err;
struct audit_b2_msg;

enum audit_outcome {
	AUDIT_OUTCOME_PASS,
	AUDIT_OUTCOME_INVALID_PROOF,
	AUDIT_OUTCOME_WRONG_SIZE,
	AUDIT_OUTCOME_BAD_METADATA,
	AUDIT_OUTCOME_NOT_FOUND,
	AUDIT_OUTCOME_HTTP_ERROR,
	AUDIT_OUTCOME_MALFORMED,
	AUDIT_OUTCOME_TIMEOUT,
	AUDIT_OUTCOME_UNREACHABLE,
	AUDIT_OUTCOME_AUDITOR_ERROR,
};
#define AUDIT_OUTCOME_COUNT 10
/* "pass", "invalid_proof", ... */
const char *audit_outcome_name(enum audit_outcome o);
bool audit_outcome_parse(const char *text, enum audit_outcome *o) WARN_UNUSED;
/* Outcomes worth asking again later in the epoch (timeout, unreachable, 429 and 5xx). */
bool audit_outcome_transient(enum audit_outcome o, long http_status);
/* The outcome of a recovery-symbol verdict (audit_symbol_outcome() as an enum). */
enum audit_outcome audit_outcome_of_verdict(enum audit_symbol_verdict v);

/* ---- HTTP ---- */

/* Bodies larger than this are refused (a metadata of n = 65535 is ~4.3 MB). */
#define AUDIT_HTTP_MAX_METADATA (8u << 20)
/* Symbols are at most 64 KiB each, plus proofs. */
#define AUDIT_HTTP_MAX_SYMBOLS_BODY (64u << 20)

/* How a request ended before any HTTP status was seen. */
enum audit_transport {
	AUDIT_TRANSPORT_OK,          /* a complete HTTP response arrived */
	AUDIT_TRANSPORT_TIMEOUT,     /* the deadline passed */
	AUDIT_TRANSPORT_UNREACHABLE, /* refused, reset, closed, unresolvable: the node's side */
	AUDIT_TRANSPORT_TOO_LARGE,   /* the body exceeded the cap */
	AUDIT_TRANSPORT_LOCAL,       /* the auditor's own failure (network down, no memory) */
};

struct audit_http_request {
	const char *method;       /* "GET" (default when NULL), "PUT" */
	const char *url;
	const uint8_t *body;      /* PUT body, or NULL */
	size_t body_len;
	const char *content_type; /* of the body; default application/octet-stream */
	uint64_t timeout_ms;      /* whole request; 0: 10 s */
	uint64_t connect_timeout_ms; /* 0: min(timeout, 5 s) */
	size_t max_body;          /* cap on the response body */
	const char *pinned_key;   /* curl CURLOPT_PINNEDPUBLICKEY ("sha256//..."), or NULL */
};

struct audit_http_response {
	enum audit_transport transport;
	long status;          /* 0 when no response */
	uint8_t *body;        /* malloc'd (NUL-terminated, not counted), or NULL */
	size_t body_len;
	char content_type[96];
	char retry_after[32]; /* the Retry-After header, if any */
	uint64_t latency_ms;
	char detail[256];     /* what went wrong at the transport level, one sentence */
};

/* The libcurl plumbing audit_http_request() and audit/fanout.c share. The transport class
 * of a finished transfer: curl_code is its CURLcode, os_errno CURLINFO_OS_ERRNO, too_large
 * whether the write callback refused the body at its cap. */
enum audit_transport audit_transport_of_curl(int curl_code, long os_errno, bool too_large);
/* A response header's value into dst: trimmed, cut to fit, unprintable bytes as '?' (it
 * ends up in logs and records). */
void audit_header_value_copy(char *dst, size_t dst_len, const char *v, size_t len);

/* Performs one request. Returns false only when the request could not even be attempted
 * (e is set, transport = LOCAL); a refused connection or an HTTP 500 returns true with the
 * transport and status filled in. Free the response with audit_http_response_clear(). */
bool audit_http_request(const struct audit_http_request *req, struct audit_http_response *resp,
			struct err *e) WARN_UNUSED;
void audit_http_response_clear(struct audit_http_response *resp);
/* Percent-free check of a node base URL: http:// or https://, no query, no fragment. The
 * returned base has no trailing slash (malloc'd). */
bool audit_node_url_normalize(const char *url, char **out, struct err *e) WARN_UNUSED;

/* ---- the challenge ---- */

struct audit_challenge_req {
	const char *node_url;  /* base URL, e.g. http://127.0.0.1:9000 */
	uint8_t blob_id[AUDIT_DIGEST_LEN];
	struct audit_symbol_id symbol;
	enum audit_proof_axis axis;
	uint64_t timeout_ms;   /* deadline for the whole challenge; 0: 10 s */
	const char *pinned_key;
};

struct audit_challenge_req_result {
	enum audit_outcome outcome;
	long http_status;        /* of the failing (or last) request, 0 if none */
	uint64_t latency_ms;     /* the whole challenge */
	uint64_t symbol_latency_ms; /* the recoverySymbols request alone */
	bool transient;
	bool have_body_hash;
	uint8_t body_hash[AUDIT_DIGEST_LEN]; /* BLAKE2b-256 of the symbol response body */
	char retry_after[32];
	char detail[512];        /* one sentence saying why, for anything but pass */
};

/* Runs the challenge; the result is always filled in (auditor_error for the auditor's own
 * failures). Returns true on pass. */
bool audit_challenge_req_run(const struct audit_challenge_req *c,
			     struct audit_challenge_req_result *r);
/* The result as `assay audit challenge` prints it: one line ("pass in 12 ms", or the
 * outcome with its HTTP status and detail), or one JSON object that also names the node,
 * the blob and the symbol as the caller wrote them (blob, symbol). */
void audit_challenge_req_print(FILE *f, const struct audit_challenge_req *c,
			       const struct audit_challenge_req_result *r, const char *blob,
			       const char *symbol, bool json);

/* Classify the two responses of a challenge; split out so the batched auditor, which
 * fetches metadata once per blob and symbols in batches, classifies the same way. */
enum audit_outcome audit_classify_transport(const struct audit_http_response *resp,
					    char *detail, size_t detail_len);
/* Parses and checks a metadata response against the blob ID. On anything but PASS, *md is
 * NULL and detail says why; a body judged (one that does not parse, is over the cap, or is
 * not the blob's) is bad_metadata, never malformed (audit_outcome_on_body). */
enum audit_outcome audit_check_metadata_response(const struct audit_http_response *resp,
						 const uint8_t blob_id[AUDIT_DIGEST_LEN],
						 struct audit_metadata **md, char *detail,
						 size_t detail_len);
/* Most recovery symbols one answer may hold, whatever was asked (Walrus.MAX_IDS of the
 * contracts): the auditor never asks for more ids in one request. */
#define AUDIT_MAX_IDS 64u
/* The longest recoverySymbols body of `count` items the contract accepts for a blob of this
 * symbol size: 5 + count·(15 + symbol_size + 16·33) + 64 (Walrus.checkSymbol). With
 * count = AUDIT_MAX_IDS it is the auditor's download cap. */
size_t audit_symbols_body_limit(uint16_t symbol_size, size_t count);

/* Classify a recoverySymbols response to a request for ids[0..count) on one axis;
 * outcomes[i] for ids[i]. The answer is judged by the contract's rule (chain/contracts/
 * INTERFACE.md, "What 'the answer verifies' means"): at most AUDIT_MAX_IDS well-formed
 * items whatever count was asked, extra items allowed, no more bytes than
 * audit_symbols_body_limit of its own count, and ids[i] passes when the first item with
 * its tag and id verifies. Never bad_metadata (metadata md the auditor cannot use is its
 * own error). Returns the number of passes. */
size_t audit_check_symbols_response(const struct audit_http_response *resp,
				    const struct audit_metadata *md,
				    const struct audit_symbol_id *ids, size_t count,
				    enum audit_proof_axis axis, enum audit_outcome *outcomes,
				    char *detail, size_t detail_len);
/* Whether o is a verdict on a body received whole (invalid_proof, wrong_size, bad_metadata,
 * malformed): such a record must carry the body's BLAKE2b-256 (Disputes.disputeRecord
 * convicts one without). bad_metadata is the verdict on a metadata answer
 * (audit_check_metadata_response), the others on a recoverySymbols answer. */
bool audit_outcome_on_body(enum audit_outcome o);
/* Fraud proof 2's rule, exactly as Disputes.disputeVerdict applies it: whether `body` (an
 * answer the auditor hashed into a record) verifies for the challenge of `symbol` on `axis`
 * of the blob blob_id whose metadata is md, in a deployment of n_shards shards. The
 * metadata must hash to blob_id, have n = n_shards, encoding type 1, 2 or 3 and a symbol size
 * the contract accepts. The record's outcome says which answer it judged: with
 * metadata_answer (outcome bad_metadata) the body verifies if it is blob_id ‖ BlobMetadata;
 * otherwise if it is a recovery-symbol answer that parses within the limits above and whose
 * first item with the asked tag and id has the symbol size and a path of exactly ⌈log₂ n⌉
 * nodes to the committed hash (the metadata answer is no answer to a symbols request). False
 * with the reason (the contract's Invalid(why) or WrongMetadata) in e. */
bool audit_answer_verifies(const uint8_t *body, size_t len, const uint8_t blob_id[AUDIT_DIGEST_LEN],
			   const struct audit_metadata *md, uint32_t n_shards,
			   struct audit_symbol_id symbol, enum audit_proof_axis axis,
			   bool metadata_answer, struct err *e) WARN_UNUSED;
/* Whether body is the metadata answer blob_id ‖ md for the blob (md's own canonical BCS). */
bool audit_body_is_metadata_answer(const uint8_t *body, size_t len,
				   const uint8_t blob_id[AUDIT_DIGEST_LEN],
				   const struct audit_metadata *md);

/* One recoverySymbols response for audit_check_symbols_responses(): the arguments of
 * audit_check_symbols_response(). */
struct audit_symbols_check {
	const struct audit_http_response *resp;
	const struct audit_metadata *md;
	const struct audit_symbol_id *ids;
	size_t count;
	enum audit_proof_axis axis;
	enum audit_outcome *outcomes; /* out: [count] */
	char *detail;                 /* out */
	size_t detail_len;
};
/* Classifies cs[0..n) as audit_check_symbols_response() does each, hashing the symbols of
 * all of them, and extra[0..nextra) (the bodies, say), side by side in one pass
 * (audit_symbols_batch_run). Returns the number of passes over all of them. */
size_t audit_check_symbols_responses(struct audit_symbols_check *cs, size_t n,
				     const struct audit_b2_msg *extra, size_t nextra);
/* The recoverySymbols URL for ids on an axis (malloc'd). */
char *audit_symbols_url_new(const char *base, const uint8_t blob_id[AUDIT_DIGEST_LEN],
			    const struct audit_symbol_id *ids, size_t count,
			    enum audit_proof_axis axis);

#endif
