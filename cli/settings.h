/* settings.h: the program-wide settings table (database, chain, logging, ...).
 *
 * Modules below the CLI take their configuration as explicit arguments; this table is the
 * one place where defaults, the config file, ASSAY_* variables and flags are declared.
 * Add a setting by adding a field here and a row in settings.c. */
#ifndef ASSAY_CLI_SETTINGS_H
#define ASSAY_CLI_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"

struct settings {
	/* core */
	const char *log_level;
	const char *log_format;
	/* database */
	const char *db;
	uint64_t db_connect_timeout_s;
	/* chain */
	const char *rpc_url;
	const char *deployment;
	uint64_t rpc_timeout_ms;
	/* sender (chain/sender.h: assay chain send, the settle job's submissions) */
	uint64_t fee_cap_gwei;
	uint64_t min_tip_gwei;
	uint64_t confirmations;
	uint64_t stuck_after_s;
	/* ---- auditor: 'assay audit run|plan' (audit/auditor.h) ---- */
	const char *auditor_address;      /* the auditor's signing address (--auditor overrides) */
	const char *secret_file;          /* the epoch's secret, hex, mode 0600 */
	uint64_t audit_window_ms;         /* batches spread over this part of the epoch */
	uint64_t audit_epoch_ms;          /* epoch length; 0: window / 0.8 */
	uint64_t audit_batch_timeout_ms;  /* deadline of a batch */
	uint64_t audit_retry_delay_ms;    /* re-ask a transient failure after this; 0: window/20 */
	uint64_t audit_max_pending;       /* results held in memory while PostgreSQL is away */
	const char *audit_canary_url;     /* the auditor's own network check */
	uint64_t audit_max_host_connections;
	uint64_t audit_max_inflight;      /* HTTP requests in flight, all nodes */
	uint64_t audit_verify_threads;    /* threads checking answers */
	uint64_t audit_flush_rows;        /* fewest records per COPY */
	const char *metrics_listen;       /* HOST:PORT for /metrics and /healthz; empty: off */
	uint64_t audit_min_per_node;
	uint64_t audit_per_shard;
	uint64_t audit_batch_size;
	uint64_t audit_poll_ms;           /* the daemon asks the chain for the next epoch this often */
	/* contracts: deployment parameters of 'assay chain deploy' (a --config file of
	 * KEY = VALUE lines holds them for a network) */
	uint64_t n_shards;
	uint64_t epoch_duration_s;
	const char *min_stake;     /* token units (u256 text) */
	const char *price_per_mib; /* token units per MiB per epoch */
	const char *auditor_bond;  /* token units */
	uint64_t disputer_bps;
	uint64_t committee_cap;
	uint64_t max_candidates;
	uint64_t max_shard_moves;
	uint64_t drift_bound_bps;
	uint64_t seed_delay;
	uint64_t r0_bps;
	uint64_t penalty_bps;
	uint64_t slash_bps;
	uint64_t auditor_bps;
	uint64_t auditor_fa;
	uint64_t commit_window_s;
	uint64_t reveal_window_s;
	uint64_t dispute_window_s;
	uint64_t timelock_delay_s;
	const char *token;      /* existing ERC-20; empty: deploy a TestToken */
	const char *governance; /* timelock proposer; empty: the deployer */
	const char *guardian;   /* may pause; empty: the deployer */
	struct strlist auditors; /* "ID:SIGNER[:PAYEE]" */
	/* ---- api: 'assay api serve' (settle/api.h) ---- */
	const char *api_listen;
	uint64_t api_threads;              /* worker threads = database connections */
	uint64_t api_max_connections;
	uint64_t api_max_per_ip;
	uint64_t api_timeout_s;            /* idle client connections closed after this */
	uint64_t api_rate;                 /* requests per second per client IP */
	uint64_t api_burst;
	uint64_t api_page_limit;           /* page size without limit= */
	uint64_t api_max_limit;
	uint64_t api_max_url;
	uint64_t api_statement_timeout_ms;
	/* ---- settle: 'assay settle run|status', payouts, attestations, evidence ---- */
	const char *signing_key_file;   /* signs attestations; the secrets derive from it */
	const char *gas_key_file;       /* pays gas; never the signing key */
	uint64_t settle_auditor_id;     /* 256: look it up */
	const char *settle_metrics_file; /* "-": stdout; "": none */
	uint64_t settle_warn_margin_s;
	bool settle_watch;
	/* ---- node: 'assay node serve' following the chain (node/follow.h) ---- */
	uint64_t node_poll_ms;
	/* ---- gateway: 'assay gateway serve' (gateway/server.h) ---- */
	const char *gateway_listen;
	const char *gateway_cache_dir;      /* empty: a temporary directory */
	uint64_t gateway_cache_mib;
	uint64_t gateway_memory_cache_mib;  /* 0: derived from cache-mib */
	uint64_t gateway_threads;           /* 0: one per CPU */
	uint64_t gateway_max_requests;
	uint64_t gateway_max_fetches;
	uint64_t gateway_parallel;
	uint64_t gateway_node_timeout_ms;
	uint64_t gateway_hedge_ms;
	uint64_t gateway_client_timeout_s;
	uint64_t gateway_rate;
	uint64_t gateway_burst;
	uint64_t gateway_not_found_ttl_s;
	uint64_t gateway_max_age_s;
	uint64_t gateway_max_upload_mib;
	uint64_t gateway_poll_ms;
};

extern struct settings settings;
extern const struct opt settings_table[];

/* Validates and applies logging settings; prints one sentence and returns false if wrong. */
bool settings_apply_logging(const char *cmdname);

#endif
