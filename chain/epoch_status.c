/* epoch_status.c: one epoch as the contracts have it (see epoch_status.h). */
#include "chain/epoch_status.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "chain/rpc.h"
#include "chain/session.h"
#include "core/buf.h"
#include "core/encoding.h"
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

const char *chain_seed_source_name(uint8_t s)
{
	static const char *const names[] = {"pending", "blockhash", "fallback", "genesis"};
	return s < ARRAY_LEN(names) ? names[s] : "?";
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
	char *h = hex_encode_0x_new(p, n);
	json_t *j = json_string(h);
	free(h);
	return j;
}

json_t *chain_epoch_status_json(const struct chain_epoch_status *st, uint32_t n_shards)
{
	const struct chain_epoch_info *info = &st->info;
	json_t *j = json_pack(
		"{s:I,s:I,s:I,s:I,s:I,s:b,s:I,s:I,s:s,s:o,s:I}", "epoch", (json_int_t)st->epoch,
		"current_epoch", (json_int_t)st->current, "start_time", (json_int_t)info->start_time,
		"duration", (json_int_t)info->duration, "ends_at", (json_int_t)st->ends, "due",
		st->due, "chain_time", (json_int_t)st->chain_time, "seed_block",
		(json_int_t)info->seed_block, "seed_source", chain_seed_source_name(info->seed_source),
		"committee_hash", hex_json(info->committee_hash, 32), "n_shards",
		(json_int_t)n_shards);
	json_object_set_new(j, "seed", info->seed_source ? hex_json(info->seed, 32) : json_null());
	json_t *members = json_array();
	for (size_t i = 0; i < st->com.n; i++)
		json_array_append_new(members,
				      json_pack("{s:I,s:o,s:o,s:I,s:s}", "index", (json_int_t)i,
						"node", chain_address_json(st->com.nodes[i]),
						"node_key", chain_address_json(st->com.node_keys[i]),
						"shards", (json_int_t)st->com.shards[i], "endpoint",
						st->endpoints[i]));
	json_object_set_new(j, "committee", members);
	json_t *shards = json_array();
	for (size_t sh = 0; sh < st->nshards; sh++)
		json_array_append_new(shards, json_pack("{s:I,s:I,s:b}", "shard", (json_int_t)sh,
							"owner", (json_int_t)st->owners[sh],
							"in_grace", st->grace[sh]));
	json_object_set_new(j, "shards", shards);
	const struct chain_phases *ph = &st->phases;
	if (st->ended)
		json_object_set_new(j, "phases",
				    json_pack("{s:I,s:I,s:I,s:I}", "end", (json_int_t)ph->end,
					      "commit_end", (json_int_t)ph->commit_end, "reveal_end",
					      (json_int_t)ph->reveal_end, "dispute_end",
					      (json_int_t)ph->dispute_end));
	json_object_set_new(j, "phase", json_string(st->phase));
	json_object_set_new(j, "settlement",
			    json_pack("{s:s,s:I,s:b,s:o}", "status",
				      chain_epoch_status_name(st->state.status), "revealed",
				      (json_int_t)st->state.revealed, "cancelled",
				      st->state.cancelled, "pool", chain_u256_json(&st->state.pool)));
	return j;
}

void chain_epoch_status_print(FILE *f, const struct chain_epoch_status *st)
{
	const struct chain_epoch_info *info = &st->info;
	bool cur = st->epoch == st->current;
	char h[67];
	fprintf(f, "epoch %" PRIu64 "%s: started at %" PRIu64 ", %" PRIu64 " s long, ends at %" PRIu64
	       "%s\n",
	       st->epoch, cur ? " (current)" : "", info->start_time, info->duration, st->ends,
	       st->due ? " (due: 'assay epoch advance')" : "");
	if (info->seed_source) {
		hex_encode(h, info->seed, 32);
		fprintf(f, "seed 0x%s (%s, block %" PRIu64 ")\n", h,
			chain_seed_source_name(info->seed_source), info->seed_block);
	} else {
		fprintf(f, "seed pending: the hash of block %" PRIu64 "\n", info->seed_block);
	}
	hex_encode(h, info->committee_hash, 32);
	fprintf(f, "committee 0x%s: %zu members\n", h, st->com.n);
	for (size_t i = 0; i < st->com.n; i++) {
		char node[43], key[43];
		chain_address_checksum(node, st->com.nodes[i]);
		chain_address_checksum(key, st->com.node_keys[i]);
		fprintf(f, "  %2zu %s  %3" PRIu64 " shards  key %s  %s\n", i, node,
			(uint64_t)st->com.shards[i], key, st->endpoints[i]);
	}
	if (st->ended)
		fprintf(f, "phase %s: commit until %" PRIu64 ", reveal until %" PRIu64
			   ", dispute until %" PRIu64 "\n",
			st->phase, st->phases.commit_end, st->phases.reveal_end,
			st->phases.dispute_end);
	else
		fprintf(f, "phase running\n");
	char pool[CHAIN_U256_STRLEN];
	chain_u256_to_dec(&st->state.pool, pool);
	fprintf(f, "settlement %s, %u revealed, pool %s\n",
		chain_epoch_status_name(st->state.status), st->state.revealed, pool);
}

/* j as one compact line; the reference is dropped. */
static void print_json(FILE *f, json_t *j)
{
	char *t = json_dumps(j, JSON_COMPACT);
	fprintf(f, "%s\n", t ? t : "null");
	free(t);
	json_decref(j);
}

void chain_epoch_advance_print(FILE *f, uint64_t before, uint64_t after,
			       const struct chain_epoch_info *info, bool json)
{
	if (json)
		print_json(f, json_pack("{s:I,s:I,s:I,s:I,s:I,s:I}", "previous", (json_int_t)before,
					"epoch", (json_int_t)after, "start_time",
					(json_int_t)info->start_time, "duration",
					(json_int_t)info->duration, "seed_block",
					(json_int_t)info->seed_block, "committee_size",
					(json_int_t)info->committee_size));
	else
		fprintf(f, "epoch %" PRIu64 " began (was %" PRIu64 "): %" PRIu64
			   " committee members, seed from block %" PRIu64 "\n",
			after, before, info->committee_size, info->seed_block);
}

void chain_epoch_seed_print(FILE *f, uint64_t epoch, const struct chain_epoch_info *info,
			    bool sent, bool json)
{
	char h[67] = "0x";
	hex_encode(h + 2, info->seed, 32);
	if (json)
		print_json(f, json_pack("{s:I,s:s,s:I,s:s,s:b}", "epoch", (json_int_t)epoch, "seed",
					h, "seed_block", (json_int_t)info->seed_block, "source",
					chain_seed_source_name(info->seed_source), "recorded_now",
					sent));
	else
		fprintf(f, "epoch %" PRIu64 " seed %s (%s, block %" PRIu64 ")%s\n", epoch, h,
			chain_seed_source_name(info->seed_source), info->seed_block,
			sent ? ": recorded now" : "");
}
