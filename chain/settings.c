/* settings.c: the chain's settings and what is made of them (see settings.h). */
#include "chain/settings.h"

#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/deploy.h"
#include "chain/sender.h"
#include "chain/session.h"
#include "chain/u256.h"
#include "core/err.h"

struct chain_settings chain_settings;
struct chain_deploy_settings chain_deploy_settings;

const struct opt chain_settings_table[] = {
	{"rpc-url", 0, OPT_STRING, &chain_settings.rpc_url, "URL",
	 "JSON-RPC endpoint of the settlement chain", "http://127.0.0.1:8545", true},
	{"deployment", 0, OPT_STRING, &chain_settings.deployment, "FILE",
	 "deployment file written by 'assay chain deploy'", "deployment.json", true},
	{"rpc-timeout-ms", 0, OPT_U64, &chain_settings.rpc_timeout_ms, "MS",
	 "timeout of one JSON-RPC call", "10000", true},
	/* sender */
	{"fee-cap-gwei", 0, OPT_U64, &chain_settings.fee_cap_gwei, "GWEI",
	 "never pay more than this max fee per gas (a \"fee cap hit\" is logged)", "500", true},
	{"min-tip-gwei", 0, OPT_U64, &chain_settings.min_tip_gwei, "GWEI",
	 "lowest priority fee offered, whatever eth_feeHistory says", "1", true},
	{"confirmations", 0, OPT_U64, &chain_settings.confirmations, "N",
	 "blocks (counting its own) before a transaction counts as final", "3", true},
	{"stuck-after-s", 0, OPT_U64, &chain_settings.stuck_after_s, "SECONDS",
	 "replace a transaction still unmined this long after it was sent", "180", true},
	OPT_END,
};

/* What 'assay chain deploy' deploys (local defaults). */
const struct opt chain_deploy_settings_table[] = {
	{"n-shards", 0, OPT_U64, &chain_deploy_settings.n_shards, "N",
	 "deploy: shards n, fixed for the deployment", "20", true},
	{"epoch-duration", 0, OPT_U64, &chain_deploy_settings.epoch_duration_s, "SECONDS",
	 "deploy: epoch length", "3600", true},
	{"min-stake", 0, OPT_STRING, &chain_deploy_settings.min_stake, "TOKENS",
	 "deploy: minimum stake of a committee member (token base units)",
	 "100000000000000000000", true},
	{"price-per-mib", 0, OPT_STRING, &chain_deploy_settings.price_per_mib, "TOKENS",
	 "deploy: storage price per MiB of encoded size per epoch (base units)",
	 "1000000000000000", true},
	{"committee-cap", 0, OPT_U64, &chain_deploy_settings.committee_cap, "N",
	 "deploy: at most this many committee members (clamped to min(n, 256))", "256", true},
	{"max-candidates", 0, OPT_U64, &chain_deploy_settings.max_candidates, "N",
	 "deploy: bound on registered candidate nodes", "300", true},
	{"max-shard-moves", 0, OPT_U64, &chain_deploy_settings.max_shard_moves, "N",
	 "deploy: shards moved per epoch at most", "50", true},
	{"drift-bound-bps", 0, OPT_U64, &chain_deploy_settings.drift_bound_bps, "BPS",
	 "deploy: misplaced shards (of n) tolerated before rebalancing", "500", true},
	{"seed-delay", 0, OPT_U64, &chain_deploy_settings.seed_delay, "BLOCKS",
	 "deploy: the seed is the hash of the block this far after advanceEpoch", "5", true},
	{"r0-bps", 0, OPT_U64, &chain_deploy_settings.r0_bps, "BPS",
	 "deploy: rewards start above this score (R0)", "8000", true},
	{"penalty-bps", 0, OPT_U64, &chain_deploy_settings.penalty_bps, "BPS",
	 "deploy: scores below this are slashed (P)", "5000", true},
	{"slash-bps", 0, OPT_U64, &chain_deploy_settings.slash_bps, "BPS",
	 "deploy: share of a penalized node's stake burned", "1000", true},
	{"auditor-bps", 0, OPT_U64, &chain_deploy_settings.auditor_bps, "BPS",
	 "deploy: share of each pool paid to the auditors that revealed", "500", true},
	{"auditor-fa", 0, OPT_U64, &chain_deploy_settings.auditor_fa, "N",
	 "deploy: auditors that may lie (f_a); quorum is 2 f_a + 1 reveals", "1", true},
	{"auditor-bond", 0, OPT_STRING, &chain_deploy_settings.auditor_bond, "TOKENS",
	 "deploy: bond each auditor must hold (posted for the --auditor ones by the deployer; "
	 "minted when a TestToken is deployed); a proven fraud burns it; 0: none",
	 "1000000000000000000000", true},
	{"disputer-bps", 0, OPT_U64, &chain_deploy_settings.disputer_bps, "BPS",
	 "deploy: share of a convicted auditor's bond paid to whoever proved the fraud", "5000",
	 true},
	{"commit-window", 0, OPT_U64, &chain_deploy_settings.commit_window_s, "SECONDS",
	 "deploy: attestation commits accepted this long after an epoch ends", "3600", true},
	{"reveal-window", 0, OPT_U64, &chain_deploy_settings.reveal_window_s, "SECONDS",
	 "deploy: reveals accepted this long after the commit window", "3600", true},
	{"dispute-window", 0, OPT_U64, &chain_deploy_settings.dispute_window_s, "SECONDS",
	 "deploy: finalization waits this long after the reveal window", "7200", true},
	{"timelock-delay", 0, OPT_U64, &chain_deploy_settings.timelock_delay_s, "SECONDS",
	 "deploy: delay of every governance change", "3600", true},
	{"token", 0, OPT_STRING, &chain_deploy_settings.token, "ADDR",
	 "deploy: the staking/fee ERC-20; empty: deploy a TestToken (local networks only)",
	 "", true},
	{"governance", 0, OPT_STRING, &chain_deploy_settings.governance, "ADDR",
	 "deploy: who proposes timelock operations; empty: the deployer", "", true},
	{"guardian", 0, OPT_STRING, &chain_deploy_settings.guardian, "ADDR",
	 "deploy: who may pause at once; empty: the deployer", "", true},
	{"auditor", 0, OPT_LIST, &chain_deploy_settings.auditors, "ID:SIGNER[:PAYEE]",
	 "deploy: an auditor (id 0-255, its signing address, who is paid; repeat)", NULL, true},
	OPT_END,
};

void chain_sender_cfg_from_settings(struct chain_sender_cfg *c)
{
	chain_sender_cfg_defaults(c);
	c->confirmations = chain_settings.confirmations;
	c->stuck_after_s = chain_settings.stuck_after_s;
	c->fee_cap = chain_settings.fee_cap_gwei * 1000000000ull;
	c->min_tip = chain_settings.min_tip_gwei * 1000000000ull;
}

void chain_session_cfg_from_settings(struct chain_session_cfg *c, bool with_deployment)
{
	memset(c, 0, sizeof(*c));
	c->rpc_url = chain_settings.rpc_url;
	c->rpc_timeout_ms = (unsigned)chain_settings.rpc_timeout_ms;
	c->rpc_retries = 3;
	c->deployment = with_deployment ? chain_settings.deployment : NULL;
	chain_sender_cfg_from_settings(&c->sender);
	c->sender.wait_timeout_ms = 600000;
}

/* A token amount setting, named by its flag in the sentence. */
static bool amount(const char *flag, const char *text, struct chain_u256 *out, struct err *e)
{
	struct err pe = {{0}};
	if (!text)
		return err_set(e, "%s is required", flag);
	if (!chain_u256_parse(out, text, &pe))
		return err_set(e, "%s: %s", flag, pe.msg);
	return true;
}

/* An address setting; empty leaves out as it is. */
static bool address(const char *flag, const char *text, uint8_t out[20], struct err *e)
{
	struct err pe = {{0}};
	if (text && *text && !chain_address_parse(out, text, &pe))
		return err_set(e, "%s: %s", flag, pe.msg);
	return true;
}

bool chain_deploy_params_from_settings(struct chain_deploy_params *p, struct err *e)
{
	const struct chain_deploy_settings *s = &chain_deploy_settings;
	memset(p, 0, sizeof(*p));
	if (!amount("--min-stake", s->min_stake, &p->min_stake, e) ||
	    !amount("--price-per-mib", s->price_per_mib, &p->price_per_mib, e) ||
	    !amount("--auditor-bond", s->auditor_bond, &p->auditor_bond, e))
		return false;
	if (s->n_shards < 4 || s->n_shards > 65535)
		return err_set(e, "--n-shards must be 4 to 65535");
	if (!s->epoch_duration_s)
		return err_set(e, "--epoch-duration must be positive");
	if (s->committee_cap > 65535 || s->max_candidates > 65535 || s->max_shard_moves > 65535 ||
	    s->drift_bound_bps > 10000 || s->seed_delay > 200 || s->r0_bps > 10000 ||
	    s->penalty_bps > 10000 || s->slash_bps > 10000 || s->auditor_bps > 10000 ||
	    s->auditor_fa > 255 || s->disputer_bps > 10000)
		return err_set(e, "a deployment parameter is out of range (bps at most 10000, "
				  "seed delay at most 200, f_a at most 255)");
	p->n_shards = (uint32_t)s->n_shards;
	p->committee_cap = s->committee_cap;
	p->max_candidates = s->max_candidates;
	p->epoch_duration_s = s->epoch_duration_s;
	p->max_shard_moves = s->max_shard_moves;
	p->drift_bound_bps = s->drift_bound_bps;
	p->seed_delay = s->seed_delay;
	p->r0_bps = s->r0_bps;
	p->penalty_bps = s->penalty_bps;
	p->slash_bps = s->slash_bps;
	p->auditor_bps = s->auditor_bps;
	p->auditor_fa = s->auditor_fa;
	p->commit_window_s = s->commit_window_s;
	p->reveal_window_s = s->reveal_window_s;
	p->dispute_window_s = s->dispute_window_s;
	p->timelock_delay_s = s->timelock_delay_s;
	p->disputer_bps = s->disputer_bps;
	return true;
}

bool chain_deploy_addresses_from_settings(struct chain_deploy_params *p, const uint8_t me[20],
					  struct chain_deploy_auditor **aud, struct err *e)
{
	const struct chain_deploy_settings *s = &chain_deploy_settings;
	*aud = NULL;
	memcpy(p->governance, me, 20);
	memcpy(p->guardian, me, 20);
	if (!address("--governance", s->governance, p->governance, e) ||
	    !address("--guardian", s->guardian, p->guardian, e))
		return false;
	*aud = xcalloc(s->auditors.n + 1, sizeof(**aud));
	p->auditors = *aud;
	p->nauditors = s->auditors.n;
	for (size_t i = 0; i < s->auditors.n; i++)
		if (!chain_deploy_parse_auditor(s->auditors.v[i], me, &(*aud)[i], e))
			return false;
	p->has_token = s->token && *s->token;
	return address("--token", s->token, p->token, e);
}
