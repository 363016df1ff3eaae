/* auditor.h: the auditor engine: one epoch of one auditor, from its schedule to records.
 *
 *   schedule (audit/schedule.h) -> batches due -> fan-out (audit/fanout.h) -> verify
 *   (audit/symbol.h) -> classify (audit/challenge.h) -> record (through audit_store)
 *
 * The fan-out is a pipeline: challenges that fall due join their node's queue, and a
 * node's queue goes out in jobs of up to 4 batches (one deadline each, from when the job
 * is sent; a job is one request per blob and axis) whenever the node has fewer than 4 x max_host_connections
 * requests in flight and the whole fewer than fanout.max_inflight; each answer is decided
 * as soon as its job completes, and the freed slots are filled at once. A slow node holds
 * only its own slots, so it never delays another node's challenges. Each (node, blob)
 * metadata is fetched and checked against the blob ID once, then cached; a node that
 * answers bad metadata gets bad_metadata for its challenges on that blob. Transient
 * outcomes (timeout, unreachable, 429 and 5xx) and auditor_error are asked again later in
 * the epoch, up to max_attempts in all; every attempt is one record, and the decided
 * outcome of a challenge is its last attempt.
 *
 * auditor_error, the auditor's own fault (scoring ignores it), is decided by a concrete
 * rule: a transfer that failed locally (connect() said ENETUNREACH, ENETDOWN,
 * EADDRNOTAVAIL, no descriptors or memory; the fan-out itself failed), or a job that no
 * node answered while no node answered anything else since it was sent and the configured
 * canary URL also fails: then nobody can tell the nodes were at fault.
 *
 * Records go to the store in batches, written on a thread of their own (the I/O thread
 * never waits for PostgreSQL; while one COPY runs the next batch grows). If the store fails (PostgreSQL went away), results
 * wait in memory up to max_pending; the engine says so once per outage and once when it
 * recovers, reconnects with backoff, and past the bound issues no new challenges rather
 * than losing results. A restart reads what is recorded and resumes: a recorded final
 * attempt is decided, a recorded transient one gets its next attempt if any remain.
 *
 * Memory does not grow with the epoch's challenges beyond three bytes each: a challenge is
 * derived from the schedule when it is sent (audit_schedule_challenge), the schedule keeps
 * one record per batch, a node's queue of due challenges takes batches only while short
 * (the rest wait in the schedule), and results waiting for the store are bounded by
 * max_pending (measured: 88 MB peak at 280,000 challenges, 90 MB at 1,050,000).
 *
 * The engine lives in audit/ and knows nothing of SQL: the caller passes a store (sql/
 * implements it). Inputs are plain arrays, so a committee file and the chain can feed it. */
#ifndef ASSAY_AUDIT_AUDITOR_H
#define ASSAY_AUDIT_AUDITOR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "audit/fanout.h"
#include "core/util.h"

struct err;
struct audit_metrics;
struct audit_schedule_params;
struct audit_schedule_blob;
struct audit_schedule;

/* A committee member as the auditor sees it. */
struct audit_auditor_node {
	uint8_t id[20];
	const char *url;        /* base URL, no trailing slash */
	const char *pin;        /* "sha256//..." or NULL */
	const uint16_t *shards; /* challengeable shards, ascending */
	size_t nshards;
};

/* One attempt, as recorded. */
struct audit_record {
	uint64_t epoch;
	uint8_t auditor[20];
	uint64_t seq;
	uint16_t attempt;
	uint8_t node_id[20];
	uint8_t blob_id[32];
	uint32_t shard;
	struct audit_symbol_id symbol;
	enum audit_proof_axis axis;
	uint64_t issued_at_ms; /* unix ms */
	uint32_t latency_ms;
	enum audit_outcome outcome;
	long http_status;
	bool has_hash;
	uint8_t response_hash[32];
	char detail[240];
};

/* The last recorded attempt of a seq (what a restart reads). */
struct audit_recorded {
	uint64_t seq;
	uint16_t attempt;
	enum audit_outcome outcome;
	long http_status;
};

/* Where records go; sql/ implements it (the CLI wires it up). */
struct audit_store {
	void *ctx;
	/* All of rows[0..n) or none. */
	bool (*write)(void *ctx, const struct audit_record *rows, size_t n, struct err *e);
	/* The last recorded attempt of every seq of (epoch, auditor); *out malloc'd. */
	bool (*load)(void *ctx, uint64_t epoch, const uint8_t auditor[20],
		     struct audit_recorded **out, size_t *n, struct err *e);
	/* Check the connection, reconnecting if needed. */
	bool (*ping)(void *ctx, struct err *e);
};

struct audit_auditor_config {
	const struct audit_schedule_params *sched;
	const struct audit_auditor_node *nodes;
	size_t nnodes;
	const struct audit_schedule_blob *blobs;
	size_t nblobs;
	uint64_t epoch_start_ms;    /* unix ms; batch q is due at start + at_ms */
	uint64_t epoch_end_ms;      /* re-asks are due before this; 0: start + window / 0.8 */
	uint64_t batch_timeout_ms;  /* the deadline of a batch after it is sent; 0: 5000 */
	uint64_t retry_delay_ms;    /* a re-ask waits at least this; 0: window / 20, >= 500 */
	unsigned max_attempts;      /* 0: 3 (one ask and two re-asks) */
	size_t max_pending;         /* unrecorded results held in memory; 0: 100000 */
	size_t max_wave;            /* challenges in flight at once; 0: 4096 */
	size_t flush_rows;          /* fewest records per COPY (if not flush_ms old); 0: 5000 */
	uint64_t flush_ms;          /* longest a record waits for its COPY; 0: 500 */
	unsigned verify_threads;    /* threads checking answers off the I/O thread; 0: 2 */
	const char *canary_url;     /* or NULL (see auditor_error above) */
	struct audit_fanout_config fanout;
	struct audit_store store;
	struct audit_metrics *metrics; /* or NULL */
	volatile sig_atomic_t *stop;   /* set by a signal handler; NULL: never */
	bool once;                     /* return when every challenge is decided and recorded */
};

/* Per node, at the end. */
struct audit_node_summary {
	uint64_t challenges;
	uint64_t decided;
	uint64_t passed;
	uint64_t outcomes[AUDIT_OUTCOME_COUNT]; /* decided outcomes */
	uint64_t attempts;
};

struct audit_auditor_report {
	struct audit_node_summary *nodes; /* nnodes entries */
	size_t nnodes;
	uint64_t challenges, decided, attempts_sent, resumed, unrecorded;
	uint64_t connections;
};

/* Runs the epoch: until every challenge is decided and recorded (once), or until *stop.
 * Fails only when the engine cannot go on (a bad schedule input, no store at start). */
bool audit_auditor_run(const struct audit_auditor_config *cfg,
		       struct audit_auditor_report *report, struct err *e) WARN_UNUSED;
void audit_auditor_report_clear(struct audit_auditor_report *r);
/* The schedule the engine runs for these nodes and blobs (audit/schedule.h on the nodes'
 * ids and shards): what `assay audit plan` prints. lazy: without the array of challenges
 * (audit_schedule_build_lazy), as the engine runs it; the plan wants them all. */
bool audit_auditor_schedule(const struct audit_schedule_params *p,
			    const struct audit_auditor_node *nodes, size_t nnodes,
			    const struct audit_schedule_blob *blobs, size_t nblobs, bool lazy,
			    struct audit_schedule *out, struct err *e) WARN_UNUSED;
/* The availability table: node, challenges, decided, passed, score %, outcomes. Score is
 * passed / (decided - auditor_error). */
void audit_auditor_report_print(FILE *f, const struct audit_auditor_report *r,
				const struct audit_auditor_node *nodes);

/* The blob list file: one blob per line, "BLOB_ID LENGTH" (URL-safe base64 ID as Walrus
 * prints it, unencoded length in bytes); '#' starts a comment. *out malloc'd. */
bool audit_blobs_load(const char *path, struct audit_schedule_blob **out, size_t *n,
		      struct err *e) WARN_UNUSED;
/* The id of a node that has no on-chain address (a committee file without "address"):
 * the last 20 bytes of keccak256("assay.node.v1" ‖ url). */
void audit_node_id_from_url(const char *url, uint8_t id[20]);
/* Unix milliseconds (wall clock: due times survive restarts). */
uint64_t audit_unix_ms(void);

#endif
