/* daemon.h: the auditor daemon around the engine (audit/auditor.h): where an epoch's
 * inputs come from, and the loops that audit epoch after epoch.
 *
 *   - From our chain: chain/reader.h reads, as of the finalized block, the epoch's
 *     committee in order (node id = operator address, endpoint, the shards not in grace),
 *     its seed once final, and the snapshot of certified blobs. With a chain cache (sql/
 *     implements it: sql/auditstore.h) the same state is kept in the database, so a
 *     restart schedules from what was read the first time. audit_daemon_follow follows the
 *     chain from epoch to epoch, audits each once its seed is final, and polls meanwhile.
 *   - From a committee file, a blob list and a seed (nodes that are not on our chain):
 *     audit_daemon_repeat audits the epoch given and, as a daemon, the next ones, one epoch
 *     length apart, with inputs from the caller's loader.
 *
 * The daemon keeps the metrics of the epoch being audited in a holder that /metrics and
 * /healthz (audit_metrics_serve) read. It prints nothing: each epoch's report goes to a
 * callback; it logs; a failure is one sentence. audit/ knows nothing of SQL: the record
 * store (audit_store) and the chain cache (audit_chaincache) are interfaces. */
#ifndef ASSAY_AUDIT_DAEMON_H
#define ASSAY_AUDIT_DAEMON_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "audit/auditor.h"
#include "audit/schedule.h"
#include "core/util.h"

struct err;
struct chain_session;
struct chain_reader;
struct chain_log_store;
struct chain_epoch_view;
struct chain_audit_blob;
struct audit_metrics;
struct MHD_Daemon;

/* ---- interfaces the daemon needs ---- */

/* Where the chain state of audited epochs is kept (sql/auditstore.h implements it). */
struct audit_chaincache {
	void *ctx;
	/* The epoch's state as kept, *found false when it is not. */
	bool (*load)(void *ctx, uint64_t epoch, uint32_t n_shards, struct chain_epoch_view *v,
		     struct chain_audit_blob **blobs, size_t *nblobs, bool *found, struct err *e);
	/* Keep the state read from the chain. */
	bool (*store)(void *ctx, const struct chain_epoch_view *v,
		      const struct chain_audit_blob *blobs, size_t nblobs, struct err *e);
	/* Refresh the epoch's row (its end, once it ended). */
	bool (*refresh)(void *ctx, const struct chain_epoch_view *v, struct err *e);
};

/* Who audits: the auditor's address and its secret for an epoch (derived from the signing
 * key, settle/secret.h, or one given secret). */
struct audit_identity {
	uint8_t auditor[20];
	bool (*secret)(void *arg, uint64_t epoch, uint8_t out[32], struct err *e);
	void *arg;
	bool per_epoch; /* each epoch has its own secret: a daemon may go on to the next */
};

/* ---- inputs ---- */

struct audit_inputs {
	struct audit_auditor_node *nodes;
	uint16_t **shards;
	char **urls, **pins; /* owned copies */
	size_t nnodes;
	struct audit_schedule_blob *blobs;
	size_t nblobs;
	struct audit_schedule_params params;
	/* from the chain: the epoch's start and length; where the state was read */
	uint64_t chain_start_ms, chain_duration_ms;
	uint64_t as_of_block;
	bool from_cache;
};
void audit_inputs_clear(struct audit_inputs *in);

/* Starts `in` afresh with the schedule parameters of tmpl (rates, window, batch size) for
 * `epoch`, the identity's auditor and its secret for the epoch. */
bool audit_inputs_begin(struct audit_inputs *in, const struct audit_schedule_params *tmpl,
			const struct audit_identity *id, uint64_t epoch, struct err *e) WARN_UNUSED;

/* The chain an auditor follows: a session on the deployment and a reader (both lent). */
struct audit_chain {
	struct chain_session *session;
	struct chain_reader *reader;
	uint64_t confirmations; /* the reader's depth, for messages */
	/* The schedule's min_per_node, per_shard and batch_size fixed in the Disputes contract
	 * (the fraud proofs check records against them and rebuild requests with them);
	 * has_schedule false on a deployment without it. */
	bool has_schedule;
	uint32_t min_per_node, per_shard, batch_size;
};

/* c on the session s (lent) with a reader of its own, confirmations blocks deep (0: 1);
 * reads Disputes.minPerNode(), perShard() and batchSize() when the deployment has Disputes.
 * audit_chain_close frees the reader. */
bool audit_chain_open(struct audit_chain *c, struct chain_session *s, uint64_t confirmations,
		      struct err *e) WARN_UNUSED;
void audit_chain_close(struct audit_chain *c);

/* Fails, saying which values to set, when p's min_per_node, per_shard or batch_size differ
 * from the Disputes contract's (c->has_schedule). */
bool audit_chain_schedule_check(const struct audit_chain *c, const struct audit_schedule_params *p,
				struct err *e) WARN_UNUSED;

/* The current epoch as of the finalized block, and that block. */
bool audit_chain_now(const struct audit_chain *c, uint64_t *cur, uint64_t *fin,
		     struct err *e) WARN_UNUSED;

enum audit_ready {
	AUDIT_READY,        /* inputs loaded */
	AUDIT_NOT_YET,      /* the epoch has not begun, or its seed is not final: e says which */
	AUDIT_NO_COMMITTEE, /* nothing to audit in it (e says so) */
};

/* Epoch `epoch`'s inputs (after audit_inputs_begin): from the cache (when given, ops
 * non-NULL) if it holds the epoch with a final seed, else from the chain (then kept in
 * the cache); cur and fin from audit_chain_now. Fails on a broken chain read, and when the
 * params' min_per_node, per_shard or batch_size differ from the chain's (a schedule the
 * contract would convict, or requests no one could rebuild); *ready says whether there is something to audit yet. */
bool audit_inputs_from_chain(struct audit_inputs *in, const struct audit_chain *c,
			     const struct audit_chaincache *cache, uint64_t epoch, uint64_t cur,
			     uint64_t fin, enum audit_ready *ready, struct err *e) WARN_UNUSED;
/* What `audit plan` schedules from the chain: audit_inputs_begin and
 * audit_inputs_from_chain for epoch (the current one unless given); fails unless the
 * epoch is ready. */
bool audit_inputs_plan(struct audit_inputs *in, const struct audit_schedule_params *tmpl,
		       const struct audit_identity *id, const struct audit_chain *c,
		       const struct audit_chaincache *cache, bool given, uint64_t epoch,
		       struct err *e) WARN_UNUSED;
/* The inputs anyone recomputes an auditor's schedule of `epoch` with (the dispute
 * watcher, a fraud proof's builder): the chain on s, confirmations deep; the schedule
 * parameters the deployment fixes in Disputes (the defaults without it); id's auditor and
 * secret. Fails unless the epoch is ready. */
bool audit_inputs_public(struct audit_inputs *in, struct chain_session *s,
			 uint64_t confirmations, const struct audit_identity *id, uint64_t epoch,
			 struct err *e) WARN_UNUSED;

/* ---- /metrics and /healthz ---- */

/* The metrics of the epoch being audited. A daemon keeps them while the committee stays
 * the same (counters keep counting) and starts new ones when it changes; the HTTP thread
 * reads through the lock, so the swap never pulls them from under it. */
struct audit_metrics_holder {
	pthread_mutex_t lock;
	struct audit_metrics *m;
	char **labels;
	size_t nlabels;
};
void audit_metrics_holder_init(struct audit_metrics_holder *h);
void audit_metrics_holder_clear(struct audit_metrics_holder *h);

/* Serves GET /metrics and /healthz of h on listen ("IPv4:PORT") until stopped with
 * MHD_stop_daemon(*out). */
bool audit_metrics_serve(const char *listen, struct audit_metrics_holder *h,
			 struct MHD_Daemon **out, struct err *e) WARN_UNUSED;

/* ---- the loops ---- */

/* When the epoch's schedule starts. */
enum audit_start {
	AUDIT_START_DEFAULT, /* from the chain: the chain's epoch start; from a file: now */
	AUDIT_START_NOW,     /* when the auditor begins the epoch */
	AUDIT_START_AT,      /* unix ms, the first epoch */
};
/* "chain" (or NULL), "now", or unix milliseconds, as `assay audit run --epoch-start`
 * takes it. False for anything else. */
bool audit_start_parse(const char *text, enum audit_start *mode, uint64_t *at) WARN_UNUSED;

struct audit_daemon_config {
	struct audit_schedule_params sched; /* template for audit_inputs_begin */
	/* Template of the engine's settings (timeouts, fan-out, pending bound, canary,
	 * threads, flush); the daemon sets the schedule, inputs, times, store, metrics and
	 * stop of each epoch. */
	struct audit_auditor_config engine;
	const struct audit_identity *id;
	struct audit_store store;
	struct audit_chaincache cache; /* ops NULL: none */
	/* Where the chain reader keeps its BlobCertified cursor (NULL: it rescans the chain
	 * from the deployment's start block for each epoch's snapshot). */
	const struct chain_log_store *logs;
	struct audit_metrics_holder *metrics;
	uint64_t epoch_ms;   /* the epoch's length; 0: the chain's (from a file: window x 5/4) */
	uint64_t poll_ms;    /* between looks at the chain */
	bool once;           /* one epoch, to completion */
	enum audit_start start;
	uint64_t start_at;   /* AUDIT_START_AT */
	volatile sig_atomic_t *stop;
	/* Called with each epoch's report (e.g. to print the availability table). */
	void (*on_report)(void *arg, const struct audit_inputs *in,
			  const struct audit_auditor_report *rep);
	void *report_arg;
};

/* An on_report that writes the epoch's counts and its availability table
 * (audit_auditor_report_print) to the FILE * in arg, and flushes it. */
void audit_daemon_report_print(void *arg, const struct audit_inputs *in,
			       const struct audit_auditor_report *rep);

/* Follows the chain (see above) until *stop, or after one epoch with once. True when it
 * stopped with every result recorded (once: the epoch complete). */
bool audit_daemon_follow(const struct audit_daemon_config *cfg, const struct audit_chain *c,
			 uint64_t first_epoch, bool first_given, struct err *e) WARN_UNUSED;

/* Loads a committee file's inputs of an epoch into in (after audit_inputs_begin). */
typedef bool (*audit_inputs_loader)(void *arg, struct audit_inputs *in, struct err *e);

/* Audits `epoch` and, as a daemon, the next ones, inputs from load. `from` names the
 * inputs in logs. */
bool audit_daemon_repeat(const struct audit_daemon_config *cfg, uint64_t epoch,
			 audit_inputs_loader load, void *load_arg, const char *from,
			 struct err *e) WARN_UNUSED;

#endif
