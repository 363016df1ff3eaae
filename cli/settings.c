#include "settings.h"

#include <stdio.h>

#include "core/config.h"
#include "core/log.h"

struct settings settings;

const struct opt settings_table[] = {
	{"log-level", 0, OPT_STRING, &settings.log_level, "LEVEL",
	 "debug, info, warn, error", "info", true},
	{"log-format", 0, OPT_STRING, &settings.log_format, "FORMAT",
	 "plain, logfmt or json", "plain", true},
	{"db", 0, OPT_STRING, &settings.db, "CONNINFO",
	 "PostgreSQL connection string (libpq conninfo or postgresql:// URL)", NULL, true},
	{"db-connect-timeout", 0, OPT_U64, &settings.db_connect_timeout_s, "SECONDS",
	 "give up connecting to PostgreSQL after this long", "10", true},
	{"rpc-url", 0, OPT_STRING, &settings.rpc_url, "URL",
	 "JSON-RPC endpoint of the settlement chain", "http://127.0.0.1:8545", true},
	{"deployment", 0, OPT_STRING, &settings.deployment, "FILE",
	 "deployment file written by 'assay chain deploy'", "deployment.json", true},
	{"rpc-timeout-ms", 0, OPT_U64, &settings.rpc_timeout_ms, "MS",
	 "timeout of one JSON-RPC call", "10000", true},
	/* sender */
	{"fee-cap-gwei", 0, OPT_U64, &settings.fee_cap_gwei, "GWEI",
	 "never pay more than this max fee per gas (a \"fee cap hit\" is logged)", "500", true},
	{"min-tip-gwei", 0, OPT_U64, &settings.min_tip_gwei, "GWEI",
	 "lowest priority fee offered, whatever eth_feeHistory says", "1", true},
	{"confirmations", 0, OPT_U64, &settings.confirmations, "N",
	 "blocks (counting its own) before a transaction counts as final", "3", true},
	{"stuck-after-s", 0, OPT_U64, &settings.stuck_after_s, "SECONDS",
	 "replace a transaction still unmined this long after it was sent", "180", true},
	/* ---- auditor: 'assay audit run|plan' ---- */
	{"auditor-address", 0, OPT_STRING, &settings.auditor_address, "ADDR",
	 "audit: the auditor's signing address (20 bytes hex; --auditor on the command)", NULL, true},
	{"secret-file", 0, OPT_STRING, &settings.secret_file, "FILE",
	 "audit: the epoch's secret (32 bytes hex, mode 0600), when not derived from --key-file",
	 NULL, true},
	{"window-ms", 0, OPT_U64, &settings.audit_window_ms, "MS",
	 "audit: batches are spread over this part of the epoch", "2880000", true},
	{"audit-epoch-ms", 0, OPT_U64, &settings.audit_epoch_ms, "MS",
	 "audit: length of an epoch (re-asks fit before its end); 0: the chain's, or "
	 "window-ms / 0.8 with a committee file", "0", true},
	{"batch-timeout-ms", 0, OPT_U64, &settings.audit_batch_timeout_ms, "MS",
	 "audit: deadline of a batch (a local read meets it; recovery from peers should not)",
	 "5000", true},
	{"retry-delay-ms", 0, OPT_U64, &settings.audit_retry_delay_ms, "MS",
	 "audit: ask a transient failure again after this long; 0: window-ms / 20", "0", true},
	{"max-pending", 0, OPT_U64, &settings.audit_max_pending, "N",
	 "audit: results held in memory while PostgreSQL is away; past it no new challenges",
	 "100000", true},
	{"canary-url", 0, OPT_STRING, &settings.audit_canary_url, "URL",
	 "audit: fetched when no node answers; if it fails too, the auditor's own network is down "
	 "(auditor_error)", NULL, true},
	{"max-host-connections", 0, OPT_U64, &settings.audit_max_host_connections, "N",
	 "audit: kept-alive connections per node", "8", true},
	{"max-inflight", 0, OPT_U64, &settings.audit_max_inflight, "N",
	 "audit: HTTP requests in flight at once, all nodes together", "256", true},
	{"verify-threads", 0, OPT_U64, &settings.audit_verify_threads, "N",
	 "audit: threads checking answers (hashes, Merkle paths) off the I/O thread", "2", true},
	{"flush-rows", 0, OPT_U64, &settings.audit_flush_rows, "N",
	 "audit: fewest results per COPY to PostgreSQL (fewer wait at most 500 ms)", "5000", true},
	{"metrics-listen", 0, OPT_STRING, &settings.metrics_listen, "HOST:PORT",
	 "audit: serve /metrics (Prometheus) and /healthz here; empty: off", "", true},
	{"min-per-node", 0, OPT_U64, &settings.audit_min_per_node, "N",
	 "audit: fewest challenges per node per epoch (SCHEDULE.md)", "200", true},
	{"per-shard", 0, OPT_U64, &settings.audit_per_shard, "N",
	 "audit: challenges per shard held", "2", true},
	{"batch-size", 0, OPT_U64, &settings.audit_batch_size, "N",
	 "audit: challenges per batch", "16", true},
	{"audit-poll-ms", 0, OPT_U64, &settings.audit_poll_ms, "MS",
	 "audit: the daemon asks the chain this often whether the next epoch and its seed are "
	 "there", "5000", true},
	/* contracts: what 'assay chain deploy' deploys (local defaults) */
	{"n-shards", 0, OPT_U64, &settings.n_shards, "N",
	 "deploy: shards n, fixed for the deployment", "20", true},
	{"epoch-duration", 0, OPT_U64, &settings.epoch_duration_s, "SECONDS",
	 "deploy: epoch length", "3600", true},
	{"min-stake", 0, OPT_STRING, &settings.min_stake, "TOKENS",
	 "deploy: minimum stake of a committee member (token base units)",
	 "100000000000000000000", true},
	{"price-per-mib", 0, OPT_STRING, &settings.price_per_mib, "TOKENS",
	 "deploy: storage price per MiB of encoded size per epoch (base units)",
	 "1000000000000000", true},
	{"committee-cap", 0, OPT_U64, &settings.committee_cap, "N",
	 "deploy: at most this many committee members (clamped to min(n, 256))", "256", true},
	{"max-candidates", 0, OPT_U64, &settings.max_candidates, "N",
	 "deploy: bound on registered candidate nodes", "300", true},
	{"max-shard-moves", 0, OPT_U64, &settings.max_shard_moves, "N",
	 "deploy: shards moved per epoch at most", "50", true},
	{"drift-bound-bps", 0, OPT_U64, &settings.drift_bound_bps, "BPS",
	 "deploy: misplaced shards (of n) tolerated before rebalancing", "500", true},
	{"seed-delay", 0, OPT_U64, &settings.seed_delay, "BLOCKS",
	 "deploy: the seed is the hash of the block this far after advanceEpoch", "5", true},
	{"r0-bps", 0, OPT_U64, &settings.r0_bps, "BPS",
	 "deploy: rewards start above this score (R0)", "8000", true},
	{"penalty-bps", 0, OPT_U64, &settings.penalty_bps, "BPS",
	 "deploy: scores below this are slashed (P)", "5000", true},
	{"slash-bps", 0, OPT_U64, &settings.slash_bps, "BPS",
	 "deploy: share of a penalized node's stake burned", "1000", true},
	{"auditor-bps", 0, OPT_U64, &settings.auditor_bps, "BPS",
	 "deploy: share of each pool paid to the auditors that revealed", "500", true},
	{"auditor-fa", 0, OPT_U64, &settings.auditor_fa, "N",
	 "deploy: auditors that may lie (f_a); quorum is 2 f_a + 1 reveals", "1", true},
	{"commit-window", 0, OPT_U64, &settings.commit_window_s, "SECONDS",
	 "deploy: attestation commits accepted this long after an epoch ends", "3600", true},
	{"reveal-window", 0, OPT_U64, &settings.reveal_window_s, "SECONDS",
	 "deploy: reveals accepted this long after the commit window", "3600", true},
	{"dispute-window", 0, OPT_U64, &settings.dispute_window_s, "SECONDS",
	 "deploy: finalization waits this long after the reveal window", "7200", true},
	{"timelock-delay", 0, OPT_U64, &settings.timelock_delay_s, "SECONDS",
	 "deploy: delay of every governance change", "3600", true},
	{"token", 0, OPT_STRING, &settings.token, "ADDR",
	 "deploy: the staking/fee ERC-20; empty: deploy a TestToken (local networks only)",
	 "", true},
	{"governance", 0, OPT_STRING, &settings.governance, "ADDR",
	 "deploy: who proposes timelock operations; empty: the deployer", "", true},
	{"guardian", 0, OPT_STRING, &settings.guardian, "ADDR",
	 "deploy: who may pause at once; empty: the deployer", "", true},
	{"auditor", 0, OPT_LIST, &settings.auditors, "ID:SIGNER[:PAYEE]",
	 "deploy: an auditor (id 0-255, its signing address, who is paid; repeat)", NULL, true},
	/* ---- api: 'assay api serve' ---- */
	{"api-listen", 0, OPT_STRING, &settings.api_listen, "HOST:PORT",
	 "api: address of the read-only HTTP API (--listen overrides)", "127.0.0.1:8080", true},
	{"api-threads", 0, OPT_U64, &settings.api_threads, "N",
	 "api: worker threads, each with its own database connection", "4", true},
	{"api-max-connections", 0, OPT_U64, &settings.api_max_connections, "N",
	 "api: open client connections in all", "256", true},
	{"api-max-per-ip", 0, OPT_U64, &settings.api_max_per_ip, "N",
	 "api: open client connections per client IP", "16", true},
	{"api-timeout-s", 0, OPT_U64, &settings.api_timeout_s, "SECONDS",
	 "api: close a client connection idle this long", "15", true},
	{"api-rate", 0, OPT_U64, &settings.api_rate, "N",
	 "api: requests per second per client IP (token bucket refill); past it 429", "10", true},
	{"api-burst", 0, OPT_U64, &settings.api_burst, "N",
	 "api: requests a client IP may make at once (token bucket size)", "20", true},
	{"api-page-limit", 0, OPT_U64, &settings.api_page_limit, "N",
	 "api: page size when a request gives no limit=", "100", true},
	{"api-max-limit", 0, OPT_U64, &settings.api_max_limit, "N",
	 "api: largest limit= accepted", "500", true},
	{"api-max-url", 0, OPT_U64, &settings.api_max_url, "BYTES",
	 "api: longest path and query accepted (414 past it)", "2048", true},
	{"api-statement-timeout-ms", 0, OPT_U64, &settings.api_statement_timeout_ms, "MS",
	 "api: a query running longer is cancelled (500)", "5000", true},
	/* ---- settle: 'assay settle run|status', payouts, attestations, evidence ---- */
	{"signing-key-file", 0, OPT_STRING, &settings.signing_key_file, "FILE",
	 "settle: the auditor's signing key (0x-hex, mode 0600): signs attestations, derives "
	 "the epoch secrets", NULL, true},
	{"gas-key-file", 0, OPT_STRING, &settings.gas_key_file, "FILE",
	 "settle: the key that pays gas for settle transactions (0x-hex, mode 0600); not the "
	 "signing key", NULL, true},
	{"auditor-id", 0, OPT_U64, &settings.settle_auditor_id, "ID",
	 "settle: this auditor's id in Settlement (0-255); 256: find it from AuditorSet events",
	 "256", true},
	{"settle-metrics-file", 0, OPT_STRING, &settings.settle_metrics_file, "FILE",
	 "settle: write metrics (state per epoch, gas balance, stuck transactions, fee cap hits) "
	 "here after each run; '-': stdout; empty: none", "", true},
	{"warn-margin-s", 0, OPT_U64, &settings.settle_warn_margin_s, "SECONDS",
	 "settle: warn when a commit or reveal window closes within this and it is not done",
	 "1800", true},
	/* ---- node: 'assay node serve' following the chain ---- */
	{"node-poll-ms", 0, OPT_U64, &settings.node_poll_ms, "MS",
	 "node: re-read the committee and new certified blobs from the chain this often", "3000",
	 true},
	OPT_END,
};

bool settings_apply_logging(const char *cmdname)
{
	enum log_level level;
	enum log_format format;
	if (!log_parse_level(settings.log_level, &level)) {
		fprintf(stderr, "%s: log-level must be debug, info, warn or error, not '%s'\n",
			cmdname, settings.log_level);
		return false;
	}
	if (!log_parse_format(settings.log_format, &format)) {
		fprintf(stderr, "%s: log-format must be plain, logfmt or json, not '%s'\n", cmdname,
			settings.log_format);
		return false;
	}
	log_set_level(level);
	log_set_format(format);
	return true;
}
