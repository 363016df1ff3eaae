/* settings.h: the chain's settings of the program (core/config.h tables, registered by
 * the CLI): where the chain is and how the sender pays (chain_settings_table), and the
 * parameters 'assay chain deploy' deploys with (chain_deploy_settings_table); the
 * configurations of chain/session.h and chain/deploy.h made from them. */
#ifndef ASSAY_CHAIN_SETTINGS_H
#define ASSAY_CHAIN_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "core/util.h"

struct err;
struct chain_sender_cfg;
struct chain_session_cfg;
struct chain_deploy_params;

struct chain_settings {
	const char *rpc_url;
	const char *deployment;
	uint64_t rpc_timeout_ms;
	/* the sender (chain/sender.h) */
	uint64_t fee_cap_gwei;
	uint64_t min_tip_gwei;
	uint64_t confirmations;
	uint64_t stuck_after_s;
};
extern struct chain_settings chain_settings;
extern const struct opt chain_settings_table[];

/* The deployment parameters (a --config file of KEY = VALUE lines holds them for a
 * network). */
struct chain_deploy_settings {
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
	const char *token;       /* existing ERC-20; empty: deploy a TestToken */
	const char *governance;  /* timelock proposer; empty: the deployer */
	const char *guardian;    /* may pause; empty: the deployer */
	struct strlist auditors; /* "ID:SIGNER[:PAYEE]" */
};
extern struct chain_deploy_settings chain_deploy_settings;
extern const struct opt chain_deploy_settings_table[];

/* The sender's settings (confirmations, stuck-after, fee cap, minimum tip) on its
 * defaults. */
void chain_sender_cfg_from_settings(struct chain_sender_cfg *c);
/* A session's client, deployment (with_deployment) and sender from the settings: RPC
 * retried 3 times, receipts waited for up to 10 minutes. The caller sets the key and
 * the store. */
void chain_session_cfg_from_settings(struct chain_session_cfg *c, bool with_deployment);

/* The deployment parameters (but the addresses), or one sentence naming the setting out
 * of range. */
bool chain_deploy_params_from_settings(struct chain_deploy_params *p,
				       struct err *e) WARN_UNUSED;
/* The addresses that default to the deployer's `me`: governance, guardian, the auditors'
 * payees; p->auditors is *aud, allocated (free it, failed or not). One sentence on a bad
 * one. */
struct chain_deploy_auditor;
bool chain_deploy_addresses_from_settings(struct chain_deploy_params *p, const uint8_t me[20],
					  struct chain_deploy_auditor **aud,
					  struct err *e) WARN_UNUSED;

#endif
