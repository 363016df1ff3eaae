/* follow.h: a storage node that follows the chain (`assay node serve --rpc-url ...
 * --deployment ...` without a committee file).
 *
 * The node finds itself in the current epoch's committee by its node key's address and
 * builds its committee from the chain (endpoints, node keys, every shard each member holds,
 * those in grace included), read from finalized blocks (chain/reader.h) every poll. Request
 * threads see the committee through a refcounted struct node_view that is swapped whole,
 * never edited in place.
 *
 * A background thread then keeps what the node holds complete:
 *   - certified blobs it never saw: BlobCertified events are read from the deployment's
 *     first block on, a bounded range per pass, and each certified blob still stored
 *     (end epoch after the current one) and of the reference encoding is queued;
 *   - shards newly assigned to it: when a view gives it a shard it did not hold, every blob
 *     it has metadata of is queued;
 *   - each queued blob is checked against the chain again (certified, still stored), then
 *     node_recover_blob() rebuilds its missing slivers from peers. A blob still missing
 *     slivers (peers down) is retried with exponential backoff (1 s doubling to 5 min).
 *   - storage that stays bounded: once per poll, a few stored blobs (a cursor goes round
 *     them) are looked up on chain; a blob past its end epoch is deleted whole, and the
 *     slivers of shards this node no longer holds are deleted once their new holder is
 *     out of its grace epoch (it has synced them by then).
 * Work per pass is bounded (a number of blobs, a range of blocks), so the node keeps
 * serving and stopping is prompt. The scan cursor and the queue are kept in
 * DIR/chain-follow.json, written atomically, so a restart resumes where it stopped. The
 * scan only runs while the node is a committee member: a node that joins later reads
 * every certification it has not seen then. Each committee read is kept in
 * DIR/chain-committee.json (a committee file): a node started while its RPC is unreachable
 * serves its shards under that committee (collecting nothing) until the chain answers. */
#ifndef ASSAY_NODE_FOLLOW_H
#define ASSAY_NODE_FOLLOW_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "core/util.h"

struct err;
struct node_committee;
struct node_store;
struct node_codec;

#define NODE_NOT_MEMBER UINT32_MAX

/* The committee as the node sees it at one moment. */
struct node_view {
	struct node_committee *committee;
	uint32_t self;  /* this node's member index, or NODE_NOT_MEMBER */
	uint64_t epoch; /* named in storage confirmations */
	bool *in_grace; /* per shard, from the chain (NULL with a committee file) */
	atomic_uint refs;
};
/* Takes the committee; one reference. */
struct node_view *node_view_new(struct node_committee *c, uint32_t self, uint64_t epoch);
struct node_view *node_view_ref(struct node_view *v);
void node_view_unref(struct node_view *v);

struct node_follow_cfg {
	const char *rpc_url;
	const char *deployment_path;
	uint64_t rpc_timeout_ms;  /* one JSON-RPC call; 0: 10 s */
	uint64_t confirmations;   /* finalized = head - confirmations + 1; 0: 1 */
	uint64_t poll_ms;         /* re-read the committee and the logs this often; 0: 5000 */
	uint8_t node_key[20];     /* the node key's address: who this node is */
	const char *data_dir;     /* the state file goes here */
	uint64_t peer_timeout_ms; /* recovery requests; 0: 10 s */
	bool no_recover;          /* follow the committee but never rebuild (a fault) */
	size_t blobs_per_pass;    /* 0: 8 */
};

struct node_follow;
struct chain_epoch_view;

/* The committee of an epoch as the chain reader gives it (chain/reader.h), as a committee
 * file would describe it: members in committee order with their endpoints (no trailing
 * slash) and node keys, each shard's owner (UINT32_MAX for all before the first
 * committee), and the EIP-712 domain confirmations name. Shared by the node and by
 * `assay blob put|get`. */
bool node_committee_from_view(const struct chain_epoch_view *v, uint64_t chain_id,
			      const uint8_t blob_registry[20], struct node_committee **out,
			      struct err *e) WARN_UNUSED;

/* Connects, checks the deployment is on that chain, loads the state file and reads the
 * committee once (fails with a sentence when any of that fails). */
bool node_follow_open(const struct node_follow_cfg *cfg, struct node_follow **out,
		      struct err *e) WARN_UNUSED;
uint32_t node_follow_n_shards(const struct node_follow *f);
/* The current view, with a new reference for the caller. */
struct node_view *node_follow_view(struct node_follow *f);
/* Starts the thread. publish(arg, view) is called from it with a new reference each time
 * the view changes; recover_lock is held around each blob's recovery. store, codec and
 * recover_lock must outlive node_follow_free(). */
bool node_follow_start(struct node_follow *f, struct node_store *store,
		       const struct node_codec *codec, pthread_mutex_t *recover_lock,
		       void (*publish)(void *arg, struct node_view *v), void *arg,
		       struct err *e) WARN_UNUSED;
/* Stops the thread (once the blob it is recovering, if any, is done) and frees. */
void node_follow_free(struct node_follow *f);

struct node_follow_summary {
	size_t blobs;      /* queued blobs looked at */
	size_t slivers;    /* slivers rebuilt from peers */
	size_t complete;   /* certified blobs now complete on this node */
	size_t incomplete; /* blobs still missing slivers (left queued in the state file) */
};
/* `assay node recover`: one run to the end in the caller's thread, with the server
 * stopped: every certification up to the finalized block and every stored blob, each
 * recovered once (no backoff). Instead of node_follow_start. */
bool node_follow_recover_once(struct node_follow *f, struct node_store *store,
			      const struct node_codec *codec, struct node_follow_summary *out,
			      struct err *e) WARN_UNUSED;
/* The whole of `assay node recover`: opens the sliver store in cfg->data_dir, follows the
 * chain as the node whose key is in key_file (cfg->node_key is set from it) and runs
 * node_follow_recover_once with the deployment's codec. */
bool node_recover_dir(struct node_follow_cfg *cfg, const char *key_file,
		      struct node_follow_summary *out, struct err *e) WARN_UNUSED;
/* The summary for people (one line), or as one JSON object. */
void node_follow_summary_print(FILE *f, const struct node_follow_summary *s, bool json);

#endif
