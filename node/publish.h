/* publish.h: the publisher: a blob from bytes in memory to certified on chain.
 *
 * node_publish is the one entry `assay blob put` and the gateway's PUT /v1/blobs call:
 * encode, register and pay (unless the blob is still registered from an earlier try),
 * upload the metadata and each sliver pair to the node holding its shard, collect the
 * nodes' signed storage confirmations and, once nodes holding n - f shards confirmed,
 * certify the blob. Without a chain session it only stores the blob on the committee's
 * nodes. It keeps no global state, prints nothing and never exits: it logs (core/log.h),
 * reports progress through an optional callback, and answers with a result and one error
 * sentence. Any number of publishes may run at once on different threads, each with its
 * own chain session (a session is one thread's at a time). Setting *cancel stops it at the
 * next request.
 *
 * node_blob_register and node_blob_certify are its two chain steps alone, the code of
 * `blob register` and `blob certify`; node_committee_current reads the committee the
 * publisher and the reader (node/read.h) talk to. */
#ifndef ASSAY_NODE_PUBLISH_H
#define ASSAY_NODE_PUBLISH_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "audit/blob.h"
#include "chain/u256.h"
#include "core/util.h"

struct err;
struct chain_session;
struct node_committee;
struct node_confirmation;

/* ---- the chain steps ---- */

struct node_blob_registration {
	uint64_t start_epoch, end_epoch; /* stored in [start, end) */
	uint64_t encoded_size;
	struct chain_u256 fee;
	uint8_t tx_hash[32]; /* zero when no transaction was sent */
};
/* Approves the fee (plus one epoch's, in case the epoch advances meanwhile) and sends
 * registerBlob for the current epoch and epochs - 1 more, from s's key. */
bool node_blob_register(struct chain_session *s, const uint8_t id[32], uint64_t size,
			uint8_t encoding_type, uint64_t epochs, struct node_blob_registration *out,
			struct err *e) WARN_UNUSED;

/* epoch of a confirmation that names none */
#define NODE_CONFIRMATION_ANY_EPOCH UINT64_MAX

struct node_blob_certification {
	uint64_t epoch, block;
	size_t confirmations; /* distinct committee members */
	uint64_t shards;      /* the shards they hold */
	uint8_t tx_hash[32];  /* zero when no transaction was sent */
};
/* Matches each confirmation's signer to the current committee's node keys (fails on a
 * stranger or a confirmation of another epoch), sorts them by committee position and
 * sends certifyBlob. */
bool node_blob_certify(struct chain_session *s, const uint8_t id[32],
		       const struct node_confirmation *conf, size_t n,
		       struct node_blob_certification *out, struct err *e) WARN_UNUSED;

/* ---- the committee ---- */

/* The committee to talk to: the committee file at path when given, else the current
 * epoch's committee on chain (endpoints, node keys, shards, read through s with
 * `confirmations` blocks of depth). With s, confirmations are bound to s's registry
 * whatever the file says, and the committee must have the deployment's shard count.
 * Errors about the chain's committee start with "the committee: ". */
bool node_committee_current(struct chain_session *s, const char *path,
			    const char *contracts_dir, uint64_t confirmations,
			    struct node_committee **out, struct err *e) WARN_UNUSED;

/* ---- the whole flow ---- */

/* Progress over the slivers: step is called with done = 0 when total is known, then
 * after each sliver, never from two threads at once; end (optional) once the slivers are
 * done with, before anything is logged about the outcome. */
struct node_progress {
	void (*step)(void *arg, size_t done, size_t total, uint64_t blob_len);
	void (*end)(void *arg);
	void *arg;
};

struct node_publish_req {
	struct chain_session *chain;            /* the payer's key and the deployment; NULL:
						   store only */
	const struct node_committee *committee; /* from node_committee_current */
	const uint8_t *data;
	size_t len;
	/* Instead of data and len: a regular file, encoded in two passes into a scratch
	 * directory under work_dir (NULL: $TMPDIR, else /tmp; it needs about six times the
	 * file's size) and uploaded from there one sliver at a time, so that memory stays
	 * bounded whatever the file's size (node_encode_file_stream, node/encoder.h). The
	 * scratch directory is removed at the end. */
	const char *path;
	const char *work_dir;
	uint64_t epochs;     /* paid for: the current epoch and epochs - 1 more (>= 1) */
	uint64_t timeout_ms; /* of each request to a node */
	struct node_progress progress; /* optional */
	const atomic_bool *cancel;     /* optional */
};

/* Where the flow stopped. */
enum node_publish_stage {
	NODE_PUBLISH_DONE,          /* stored (and with a chain, certified) */
	NODE_PUBLISH_FAILED_EARLY,  /* before any upload: nothing stored */
	NODE_PUBLISH_TOO_FEW_STORED,    /* store only: fewer than n - f shards stored */
	NODE_PUBLISH_TOO_FEW_CONFIRMED, /* registered and paid, too few confirmations */
	NODE_PUBLISH_CERTIFY_FAILED,    /* registered, paid and stored; certifyBlob failed */
};

struct node_publish_result {
	enum node_publish_stage stage;
	uint8_t blob_id[32];
	char blob_id_text[AUDIT_BLOB_ID_TEXT_LEN + 1];
	size_t size;
	uint32_t n_shards, needed_shards; /* needed: n - f */
	size_t nodes;              /* committee members */
	size_t stored_shards, confirmed_shards, confirmed_nodes;
	/* with a chain: */
	bool already_certified;    /* certified by an earlier try; nothing sent */
	struct node_blob_registration reg;
	struct node_blob_certification cert;
	struct node_confirmation *confirmations; /* owned: what the nodes signed */
	size_t nconfirmations;
};

/* Publishes req->data. True when the blob is stored (store only) or certified; false
 * with e set and out->stage saying how far it got (out is filled as far as it got and
 * must be cleared either way). */
bool node_publish(const struct node_publish_req *req, struct node_publish_result *out,
		  struct err *e) WARN_UNUSED;
void node_publish_result_clear(struct node_publish_result *r);
/* After a publish that registered but did not certify: keeps what the nodes signed for a
 * second try in $TMPDIR (else /tmp)/assay-confirmations-BLOB_ID.json, the file `assay blob
 * certify --confirmations` reads; path (len bytes) is where. */
bool node_publish_save_confirmations(const struct node_publish_result *r, char *path,
				     size_t len, struct err *e) WARN_UNUSED;
/* What `blob register` and `blob certify` print: a line, or one JSON object on one line
 * (register: start_epoch, end_epoch, encoded_size, fee; certify: epoch, block,
 * confirmations, shards, of the network's n_shards). */
void node_blob_registration_print(FILE *f, const struct node_blob_registration *r, bool json);
void node_blob_certification_print(FILE *f, const struct node_blob_certification *c,
				   unsigned n_shards, bool json);
/* The result as one JSON object on one line (`assay blob put --json`): the blob ID, size,
 * shard counts and epochs; with chain, also the registration and certification (epochs,
 * block, transactions, null when none was sent). */
void node_publish_print_json(FILE *f, const struct node_publish_result *r, uint64_t epochs,
			     bool chain);

#endif
