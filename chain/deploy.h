/* deploy.h: a new deployment of the assay contracts: the token (or an existing one), the
 * timelock, Staking, Settlement and BlobRegistry, wired (Settlement bound to Staking, the
 * auditors registered) and handed to the timelock, every transaction through the
 * session's sender. What `assay chain deploy` runs; the caller writes the deployment file. */
#ifndef ASSAY_CHAIN_DEPLOY_H
#define ASSAY_CHAIN_DEPLOY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "chain/u256.h"
#include "core/util.h"

struct err;
struct chain_session;
struct chain_deployment;

struct chain_deploy_auditor {
	uint8_t id;
	uint8_t signer[20];
	uint8_t payee[20];
};
/* "ID:SIGNER[:PAYEE]"; the payee defaults to default_payee. */
bool chain_deploy_parse_auditor(const char *text, const uint8_t default_payee[20],
				struct chain_deploy_auditor *a, struct err *e) WARN_UNUSED;

struct chain_deploy_params {
	uint32_t n_shards;
	uint64_t committee_cap, max_candidates, epoch_duration_s;
	struct chain_u256 min_stake;
	uint64_t max_shard_moves, drift_bound_bps, seed_delay;
	uint64_t r0_bps, penalty_bps, slash_bps, auditor_bps, auditor_fa;
	uint64_t commit_window_s, reveal_window_s, dispute_window_s;
	uint64_t timelock_delay_s;
	struct chain_u256 price_per_mib;
	/* Each auditor's bond (posted by the deployer, who needs the tokens when has_token;
	 * a TestToken is minted) and the disputer's share of a convicted auditor's bond;
	 * zero bond: none required (INTERFACE.md, "Bonds and disputes"). */
	struct chain_u256 auditor_bond;
	uint64_t disputer_bps;
	/* The schedule's min_per_node and per_shard, fixed in Disputes (audit/SCHEDULE.md);
	 * 0: the defaults, 200 and 2. Auditors must run with the same. */
	uint32_t min_per_node, per_shard;
	/* The schedule's batch_size, fixed in Disputes; 0: the default, 16. */
	uint32_t batch_size;
	bool has_token;     /* an existing ERC-20; else a TestToken is deployed */
	uint8_t token[20];
	uint8_t governance[20], guardian[20];
	const struct chain_deploy_auditor *auditors;
	size_t nauditors;
	const char *contracts_dir; /* NULL: the contracts built into assay */
};

/* Deploys and wires everything from s's key; *out is the deployment (its file not
 * written). */
bool chain_deploy(struct chain_session *s, const struct chain_deploy_params *p,
		  struct chain_deployment *out, struct err *e) WARN_UNUSED;

#endif
