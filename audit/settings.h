/* settings.h: the auditor's settings of the program ('assay audit run|plan'; a
 * core/config.h table registered by the CLI) and the schedule's and the daemon's
 * configurations made from them. */
#ifndef ASSAY_AUDIT_SETTINGS_H
#define ASSAY_AUDIT_SETTINGS_H

#include <stdint.h>

#include "audit/daemon.h"
#include "chain/session.h"
#include "core/config.h"
#include "core/util.h"

struct err;
struct audit_schedule_params;

struct audit_settings {
	const char *auditor_address;  /* the auditor's signing address (--auditor overrides) */
	const char *secret_file;      /* the epoch's secret, hex, mode 0600 */
	uint64_t window_ms;           /* batches spread over this part of the epoch */
	uint64_t epoch_ms;            /* epoch length; 0: window / 0.8 */
	uint64_t batch_timeout_ms;    /* deadline of a batch */
	uint64_t retry_delay_ms;      /* re-ask a transient failure after this; 0: window/20 */
	uint64_t max_pending;         /* results held in memory while PostgreSQL is away */
	const char *canary_url;       /* the auditor's own network check */
	uint64_t max_host_connections;
	uint64_t max_inflight;        /* HTTP requests in flight, all nodes */
	uint64_t verify_threads;      /* threads checking answers */
	uint64_t flush_rows;          /* fewest records per COPY */
	const char *metrics_listen;   /* HOST:PORT for /metrics and /healthz; empty: off */
	uint64_t min_per_node;
	uint64_t per_shard;
	uint64_t batch_size;
	uint64_t poll_ms;             /* the daemon asks the chain for the next epoch this often */
};
extern struct audit_settings audit_settings;
extern const struct opt audit_settings_table[];

/* The schedule's settings (rates, window, batch size) on its defaults. */
void audit_schedule_params_from_settings(struct audit_schedule_params *p);
/* The daemon's schedule, engine, epoch length and poll interval; the rest zero. */
void audit_daemon_config_from_settings(struct audit_daemon_config *d);

/* The auditor's chain from the chain's settings: a read-only session on the deployment
 * and its reader, confirmations deep. The sentence of a failure says that the inputs
 * were looked for there (no committee file); audit_chain_src_close either way. */
struct audit_chain_src {
	struct chain_session s;
	struct audit_chain c;
};
bool audit_chain_src_open_settings(struct audit_chain_src *c, struct err *e) WARN_UNUSED;
void audit_chain_src_close(struct audit_chain_src *c);

#endif
