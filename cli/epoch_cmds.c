/* epoch_cmds.c: assay epoch advance|status: moving the chain's epoch on once it is due,
 * and reading an epoch's times, seed, committee and settlement phases. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/bindings.h"
#include "chain/epoch_status.h"
#include "chain/settings.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/err.h"

static struct chain_session_opts opts;
static const char *opt_epoch;

/* advance and seed: a transaction from the key. */
static const struct opt key_opts[] = {
	CHAIN_SESSION_KEY_OPTS(opts),
	CHAIN_SESSION_COMMON_OPTS(opts),
	OPT_END,
};

static int run_advance(const struct command *cmd, int argc, char **argv)
{
	cli_parse(cmd, key_opts, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct chain_session s;
	int rc = EXIT_OK;
	uint64_t before, after;
	struct chain_epoch_info info;
	if (!cli_chain_session_open(&s, &opts, true, true, &e) ||
	    !chain_epoch_advance(&s, &before, &after, &info, &e))
		rc = cli_fail(cmd, "%s", e.msg);
	else
		chain_epoch_advance_print(stdout, before, after, &info, opts.json);
	chain_session_close(&s);
	return rc;
}

static int run_seed(const struct command *cmd, int argc, char **argv)
{
	cli_parse(cmd, key_opts, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct chain_session s;
	int rc = EXIT_OK;
	uint64_t cur;
	struct chain_epoch_info info;
	bool sent = false;
	if (!cli_chain_session_open(&s, &opts, true, true, &e) ||
	    !chain_epoch_record_seed(&s, &cur, &info, &sent, &e))
		rc = cli_fail(cmd, "%s", e.msg);
	else
		chain_epoch_seed_print(stdout, cur, &info, sent, opts.json);
	chain_session_close(&s);
	return rc;
}

static int run_status(const struct command *cmd, int argc, char **argv)
{
	static const struct opt local[] = {
		{"epoch", 0, OPT_STRING, &opt_epoch, "E", "show this epoch (default: the current one)",
		 NULL, false},
		CHAIN_SESSION_COMMON_OPTS(opts),
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	struct err e = {{0}};
	struct chain_session s;
	struct chain_epoch_status st;
	memset(&st, 0, sizeof(st));
	int rc = EXIT_FAIL;
	uint64_t epoch = 0;
	/* An --epoch that is no number is refused as one after the current epoch is. */
	if (opt_epoch && !parse_u64(opt_epoch, &epoch))
		epoch = UINT64_MAX;
	if (!cli_chain_session_open(&s, &opts, false, true, &e) ||
	    !chain_epoch_status_read(&s, opt_epoch != NULL, epoch, &st, &e)) {
		if (st.out_of_range)
			cli_fail(cmd, "--epoch must be a number up to the current epoch %" PRIu64,
				 st.current);
		else
			cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	if (opts.json)
		chain_session_print_json(chain_epoch_status_json(&st, s.dep.n_shards));
	else
		chain_epoch_status_print(stdout, &st);
	rc = EXIT_OK;
out:
	chain_epoch_status_clear(&st);
	chain_session_close(&s);
	return rc;
}

const struct command epoch_commands[] = {
	{"epoch", "advance", "start the next epoch once the current one's time is up (anyone)",
	 "(--key-file FILE | --key-env VAR) [--json]",
	 "Calls Staking.advanceEpoch(): it picks the next committee, moves shards (sticky, bounded)\n"
	 "and fixes the block whose hash becomes the next seed. Anyone may call it once the\n"
	 "current epoch's time is up; before that it fails with the time it ends at. A cron job\n"
	 "usually does it.",
	 "assay epoch advance --key-file ops.key --deployment deployment.json --confirmations 1",
	 run_advance},
	{"epoch", "seed", "record the current epoch's seed once its block is mined (anyone)",
	 "(--key-file FILE | --key-env VAR) [--json]",
	 "The seed of an epoch is the hash of a block fixed by advanceEpoch; the first\n"
	 "transaction that touches the epoch after that block records it, and if nobody does\n"
	 "within 256 blocks a fallback rule replaces it. Auditors need it recorded before they\n"
	 "can build a schedule: this calls Staking.recordSeed when nothing has yet, and prints\n"
	 "the seed either way. Seeds are recorded in order, so the seeds of earlier epochs that\n"
	 "nobody recorded are recorded first.",
	 "assay epoch seed --key-file ops.key --deployment deployment.json --confirmations 1",
	 run_seed},
	{"epoch", "status", "the current (or a past) epoch: times, seed, committee, shards, phases",
	 "[--epoch E] [--json]",
	 "Reads the deployment's Staking and Settlement: the epoch's start, length and end (and\n"
	 "whether advancing is due), its seed (or the block it will come from), the committee in\n"
	 "order with node ids, node keys, endpoints and shard counts, each shard's owner and\n"
	 "grace, and once the epoch ended its commit/reveal/dispute phases and settlement state.",
	 "assay epoch status --deployment deployment.json --json", run_status},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
