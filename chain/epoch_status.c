/* epoch_status.c: one epoch as the contracts have it (see epoch_status.h). */
#include "chain/epoch_status.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "chain/rpc.h"
#include "chain/session.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "chain/abi.h"

/* Endpoints of the members, shard owners and grace. */
static bool read_members(struct chain_session *s, struct chain_epoch_status *st, struct err *e)
{
	st->endpoints = xcalloc(st->com.n + 1, sizeof(*st->endpoints));
	for (size_t i = 0; i < st->com.n; i++) {
		struct chain_node_info ni;
		bool nf;
		if (!chain_staking_node_info(s->bind, st->com.nodes[i], &ni, &nf, e))
			return false;
		st->endpoints[i] = xstrdup(nf && ni.endpoint ? ni.endpoint : "");
		chain_node_info_clear(&ni);
	}
	struct buf owners = BUF_INIT;
	if (!chain_staking_shard_owners(s->bind, st->epoch, &owners, e)) {
		buf_free(&owners);
		return false;
	}
	st->nshards = owners.len;
	st->owners = xcalloc(owners.len + 1, 1);
	if (owners.len)
		memcpy(st->owners, owners.data, owners.len);
	buf_free(&owners);
	st->grace = xcalloc(s->dep.n_shards + 1, sizeof(bool));
	return chain_staking_grace(s->bind, st->epoch, st->grace, s->dep.n_shards, e);
}

bool chain_epoch_status_read(struct chain_session *s, bool given, uint64_t epoch,
			     struct chain_epoch_status *st, struct err *e)
{
	memset(st, 0, sizeof(*st));
	struct chain_block head;
	bool found;
	if (!chain_staking_current_epoch(s->bind, &st->current, e) ||
	    !chain_rpc_get_block(s->rpc, "latest", &head, &found, e))
		return false;
	st->epoch = given ? epoch : st->current;
	if (st->epoch > st->current) {
		st->out_of_range = true;
		return err_set(e, "epoch %" PRIu64 " is after the current epoch %" PRIu64, st->epoch,
			       st->current);
	}
	if (!chain_staking_epoch_info(s->bind, st->epoch, &st->info, e) ||
	    !chain_staking_committee(s->bind, st->epoch, &st->com, e) ||
	    !chain_staking_committee_keys(s->bind, st->epoch, &st->com, e))
		return false;
	st->chain_time = head.timestamp;
	st->ends = st->info.start_time + st->info.duration;
	st->due = st->epoch == st->current && head.timestamp >= st->ends;
	if (!read_members(s, st, e) ||
	    !chain_settlement_phases(s->bind, st->epoch, &st->phases, &st->ended, e) ||
	    !chain_settlement_epoch_state(s->bind, st->epoch, &st->state, e))
		return false;
	st->phase = "running";
	if (st->ended) {
		uint64_t t = head.timestamp;
		const struct chain_phases *ph = &st->phases;
		st->phase = t < ph->commit_end ? "commit" : t < ph->reveal_end ? "reveal"
				: t < ph->dispute_end ? "dispute" : "finalizable";
		if (st->state.status >= 2)
			st->phase = chain_epoch_status_name(st->state.status);
	}
	return true;
}

void chain_epoch_status_clear(struct chain_epoch_status *st)
{
	if (!st)
		return;
	for (size_t i = 0; st->endpoints && i < st->com.n; i++)
		free(st->endpoints[i]);
	free(st->endpoints);
	free(st->owners);
	free(st->grace);
	chain_committee_clear(&st->com);
	memset(st, 0, sizeof(*st));
}

bool chain_epoch_advance(struct chain_session *s, uint64_t *before, uint64_t *after,
			 struct chain_epoch_info *info, struct err *e)
{
	return chain_staking_current_epoch(s->bind, before, e) &&
	       chain_bind_send(s->bind, s->dep.staking, "advanceEpoch()", NULL, "advance epoch",
			       NULL, e) &&
	       chain_staking_current_epoch(s->bind, after, e) &&
	       chain_staking_epoch_info(s->bind, *after, info, e);
}

bool chain_epoch_record_seed(struct chain_session *s, uint64_t *epoch,
			     struct chain_epoch_info *info, bool *sent, struct err *e)
{
	uint64_t cur, head;
	*sent = false;
	if (!chain_staking_current_epoch(s->bind, &cur, e) ||
	    !chain_staking_epoch_info(s->bind, cur, info, e))
		return false;
	*epoch = cur;
	if (info->seed_source)
		return true;
	if (!chain_rpc_block_number(s->rpc, &head, e))
		return false;
	if (head + 1 <= info->seed_block)
		return err_set(e, "epoch %" PRIu64 "'s seed is the hash of block %" PRIu64
			       ", not mined yet (head %" PRIu64 ")",
			       cur, info->seed_block, head);
	/* Seeds are recorded in order (each needs the one before): first those of earlier
	 * epochs nobody recorded (an old seed block's hash is gone, and the contract derives
	 * it from the previous seed instead). */
	uint64_t first = cur;
	struct chain_epoch_info prev;
	while (first > 1) {
		if (!chain_staking_epoch_info(s->bind, first - 1, &prev, e))
			return false;
		if (prev.seed_source)
			break;
		first--;
	}
	for (uint64_t ep = first; ep <= cur; ep++) {
		if (ep < cur)
			log_info("epoch %" PRIu64 "'s seed was never recorded: recording it first", ep);
		if (!chain_bind_send(s->bind, s->dep.staking, "recordSeed(uint64)",
				     chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(ep)),
				     "record seed", NULL, e))
			return false;
	}
	*sent = true;
	return chain_staking_epoch_info(s->bind, cur, info, e);
}
