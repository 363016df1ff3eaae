/* node_cmds.c: assay node serve (the reference storage node) and node recover (its
 * recovery from peers, once, with the node stopped). */
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "audit/blob.h"
#include "chain/key.h"
#include "cli/commands.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "node/answer.h"
#include "chain/settings.h"
#include "settle/verdict.h"
#include "cli/settle_session.h"
#include "node/encoder.h"
#include "node/faults.h"
#include "node/follow.h"
#include "node/server.h"
#include "node/settings.h"
#include "node/store.h"

static const char *sv_listen, *sv_data, *sv_committee, *sv_key_file, *sv_offline;
static uint64_t sv_index, sv_epoch, sv_threads, sv_max_body, sv_recover_interval,
	sv_peer_timeout, sv_slow, sv_seed, sv_min_free_mib, sv_cache_mib;
static double sv_lose, sv_corrupt;
static bool sv_admin, sv_garbage, sv_other_blob, sv_no_recover;
static const struct opt serve_opts[] = {
	{"listen", 0, OPT_STRING, &sv_listen, "HOST:PORT", "address to serve on (port 0: any)",
	 "127.0.0.1:9100", false},
	{"data", 0, OPT_STRING, &sv_data, "DIR", "directory of the sliver store", NULL, false},
	{"committee", 0, OPT_STRING, &sv_committee, "FILE",
	 "committee file (shards, URLs, n); without it the committee comes from the chain "
	 "(--rpc-url, --deployment)",
	 NULL, false},
	{"index", 0, OPT_U64, &sv_index, "I", "this node's position in the committee file", NULL,
	 false},
	{"key-file", 0, OPT_STRING, &sv_key_file, "FILE",
	 "node key (0x-hex, mode 0600) that signs storage confirmations", NULL, false},
	{"epoch", 0, OPT_U64, &sv_epoch, "E",
	 "epoch named in confirmations (0: the committee file's; from the chain: always the "
	 "current one)",
	 "0", false},
	{"threads", 0, OPT_U64, &sv_threads, "N", "HTTP worker threads", "4", false},
	{"cache-mib", 0, OPT_U64, &sv_cache_mib, "MIB",
	 "memory for expanded slivers kept to answer symbol requests (about 14 KiB a sliver "
	 "of a small blob at 1000 shards)",
	 "256", false},
	{"min-free-mib", 0, OPT_U64, &sv_min_free_mib, "MIB",
	 "uploads that would leave less free on the data directory's disk get 507", "64",
	 false},
	{"max-body", 0, OPT_U64, &sv_max_body, "BYTES", "largest request body accepted",
	 "33554432", false},
	{"admin", 0, OPT_BOOL, &sv_admin, NULL,
	 "serve POST /v1/admin/recover[?blob=ID] (bind to localhost only)", NULL, false},
	{"recover-interval", 0, OPT_U64, &sv_recover_interval, "SECONDS",
	 "look for missing slivers this often (0: only at startup and on demand)", "0",
	 false},
	{"peer-timeout-ms", 0, OPT_U64, &sv_peer_timeout, "MS", "timeout of a request to a peer",
	 "10000", false},
	{"fault-seed", 0, OPT_U64, &sv_seed, "N", "seed of every fault decision", "1", false},
	{"fault-lose", 0, OPT_DOUBLE, &sv_lose, "SHARE", "lose this share of the slivers", "0",
	 false},
	{"fault-corrupt", 0, OPT_DOUBLE, &sv_corrupt, "SHARE",
	 "flip a byte in this share of the served symbols", "0", false},
	{"fault-slow-ms", 0, OPT_U64, &sv_slow, "MS", "wait this long before each blob answer",
	 "0", false},
	{"fault-offline", 0, OPT_STRING, &sv_offline, "SCHEDULE",
	 "close the listening socket during 'A-B[,C-D]' seconds since start, or 'P/D' "
	 "(the last D of every P seconds)",
	 NULL, false},
	{"fault-garbage", 0, OPT_BOOL, &sv_garbage, NULL, "answer blob GETs with random bytes",
	 NULL, false},
	{"fault-other-blob", 0, OPT_BOOL, &sv_other_blob, NULL,
	 "serve recovery symbols of another stored blob", NULL, false},
	{"fault-no-recover", 0, OPT_BOOL, &sv_no_recover, NULL,
	 "never rebuild missing slivers from peers", NULL, false},
	OPT_END,
};

static int run_serve(const struct command *cmd, int argc, char **argv)
{
	cli_parse(cmd, serve_opts, argc, argv, 0, 0, NULL, NULL);
	if (!sv_data)
		cli_usage_error(cmd, "--data DIR is required");
	if (sv_committee && sv_index > 255)
		cli_usage_error(cmd, "--index must be below 256");
	if (!sv_committee && (sv_index || sv_epoch))
		cli_usage_error(cmd, "--index and --epoch go with --committee FILE: a node following "
				     "the chain finds both there by its node key");
	if (!sv_committee && !sv_key_file)
		cli_usage_error(cmd, "give --committee FILE (and --index I), or --key-file NODEKEY to "
				     "follow the chain (--rpc-url, --deployment): the node key's "
				     "address is how the node finds itself in the committee");
	struct err e = {{0}};
	struct node_server_config cfg = {
		.listen = sv_listen,
		.data_dir = sv_data,
		.committee_path = sv_committee,
		.index = (uint32_t)sv_index,
		.key_file = sv_key_file,
		.epoch = sv_epoch,
		.threads = sv_threads > 256 ? 256u : (unsigned)sv_threads,
		.max_body = (size_t)sv_max_body,
		.cache_mib = sv_cache_mib,
		.min_free_bytes = sv_min_free_mib << 20,
		.admin = sv_admin,
		.recover_interval_s = sv_recover_interval,
		.peer_timeout_ms = sv_peer_timeout,
	};
	node_server_config_from_settings(&cfg);
	cfg.faults.seed = sv_seed;
	cfg.faults.lose = sv_lose;
	cfg.faults.corrupt = sv_corrupt;
	cfg.faults.slow_ms = sv_slow;
	cfg.faults.garbage = sv_garbage;
	cfg.faults.other_blob = sv_other_blob;
	cfg.faults.no_recover = sv_no_recover;
	if (sv_offline && !node_faults_parse_offline(&cfg.faults, sv_offline, &e))
		cli_usage_error(cmd, "--fault-offline: %s", e.msg);
	if (!node_faults_check(&cfg.faults, &e))
		cli_usage_error(cmd, "%s", e.msg);
	if (node_faults_any(&cfg.faults))
		log_warn("fault injection is on: this node misbehaves on purpose");
	cli_catch_stop();
	if (!node_server_run(&cfg, &cli_stop, &e))
		return cli_fail(cmd, "%s", e.msg);
	return EXIT_OK;
}

static int run_recover(const struct command *cmd, int argc, char **argv)
{
	static const char *data, *key_file;
	static uint64_t peer_timeout;
	static bool json;
	static const struct opt local[] = {
		{"data", 0, OPT_STRING, &data, "DIR", "directory of the sliver store", NULL, false},
		{"key-file", 0, OPT_STRING, &key_file, "FILE",
		 "node key (0x-hex, mode 0600): its address finds the node in the committee", NULL,
		 false},
		{"peer-timeout-ms", 0, OPT_U64, &peer_timeout, "MS", "timeout of a request to a peer",
		 "10000", false},
		{"json", 0, OPT_BOOL, &json, NULL, "print the result as one JSON object", NULL, false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	if (!data || !key_file)
		cli_usage_error(cmd, "--data DIR and --key-file NODEKEY are required");
	struct err e = {{0}};
	struct node_follow_summary sum;
	struct node_follow_cfg fc = {.data_dir = data, .peer_timeout_ms = peer_timeout};
	node_follow_cfg_from_settings(&fc);
	if (!node_recover_dir(&fc, key_file, &sum, &e))
		return cli_fail(cmd, "%s", e.msg);
	node_follow_summary_print(stdout, &sum, json);
	if (sum.incomplete)
		return cli_fail(cmd, "%zu blobs still miss slivers (peers down?); 'assay node serve' "
				     "retries them",
				sum.incomplete);
	return EXIT_OK;
}

/* `node answer --epoch E --auditor ID --seq K`: the body of an auditor's record, rebuilt
 * from the store with the record's request taken from the public schedule. */
static int answer_record(const struct command *cmd, const char *data, uint64_t epoch,
			 uint64_t auditor, uint64_t seq, const char *out_path, bool json)
{
	struct settle_session s;
	struct node_store *store = NULL;
	struct settle_verdict *v = NULL;
	struct err e = {{0}};
	int rc = EXIT_FAIL;
	if (!cli_settle_session_open(cmd, &s, 0))
		return EXIT_FAIL;
	struct settle_verdict_opts o = {chain_settings.confirmations, 10000, NULL};
	size_t len = 0;
	if (!node_store_open(data, &store, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	o.store = store;
	if (!settle_verdict_build(&s.pub, &o, epoch, (uint8_t)auditor, seq, &v, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	const uint8_t *body = settle_verdict_body(v, &len);
	if (out_path && !write_file_atomic(out_path, body, len, 0644, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	settle_verdict_print(stdout, v, NULL, json);
	rc = EXIT_OK;
out:
	settle_verdict_free(v);
	node_store_free(store);
	settle_session_close(&s);
	return rc;
}

static int run_answer(const struct command *cmd, int argc, char **argv)
{
	static const char *data, *out_path;
	static uint64_t shards, epoch = UINT64_MAX, auditor = 256, seq = UINT64_MAX;
	static bool json;
	static const struct opt local[] = {
		{"data", 0, OPT_STRING, &data, "DIR", "directory of the sliver store", NULL, false},
		{"shards", 0, OPT_U64, &shards, "N", "the network's shard count", NULL, false},
		{"epoch", 0, OPT_U64, &epoch, "E", "with --auditor and --seq: an auditor's record",
		 NULL, false},
		{"auditor", 0, OPT_U64, &auditor, "ID", "the auditor whose record it is", NULL, false},
		{"seq", 0, OPT_U64, &seq, "K", "the record's challenge seq", NULL, false},
		{"out", 'o', OPT_STRING, &out_path, "FILE", "write the body there", NULL, false},
		{"json", 0, OPT_BOOL, &json, NULL, "print the result as one JSON object", NULL, false},
		OPT_END,
	};
	char **pos = NULL;
	int npos = 0;
	cli_parse(cmd, local, argc, argv, 0, -1, &pos, &npos);
	if (epoch != UINT64_MAX || auditor != 256 || seq != UINT64_MAX) {
		if (epoch == UINT64_MAX || auditor > 255 || seq == UINT64_MAX || npos || !data)
			cli_usage_error(cmd, "a record needs --data DIR, --epoch E, --auditor ID (0 to "
					     "255) and --seq K, and no BLOB_ID AXIS ID...");
		free(pos);
		return answer_record(cmd, data, epoch, auditor, seq, out_path, json);
	}
	if (npos < 3)
		cli_usage_error(cmd, "BLOB_ID AXIS ID... (or --epoch E --auditor ID --seq K)");
	if (!data || shards < 1 || shards > 65535)
		cli_usage_error(cmd, "--data DIR and --shards N (1 to 65535) are required");
	struct err e = {{0}};
	uint8_t id[AUDIT_DIGEST_LEN];
	enum audit_proof_axis axis;
	struct audit_symbol_id *ids = xcalloc((size_t)npos, sizeof(*ids));
	if (!audit_blob_id_parse(pos[0], id, &e))
		cli_usage_error(cmd, "BLOB_ID: %s", e.msg);
	if (!audit_proof_axis_parse(pos[1], &axis, &e))
		cli_usage_error(cmd, "AXIS: %s", e.msg);
	for (int i = 2; i < npos; i++)
		if (!audit_symbol_id_parse(pos[i], (uint32_t)shards, &ids[i - 2], &e))
			cli_usage_error(cmd, "ID %s: %s", pos[i], e.msg);
	struct node_store *store = NULL;
	struct buf body = BUF_INIT;
	size_t found = 0;
	int rc = EXIT_FAIL;
	if (!node_store_open(data, &store, &e) ||
	    !node_answer_symbols(store, (uint32_t)shards, id, axis, ids, (size_t)(npos - 2), &body,
				 &found, &e) ||
	    (out_path && !write_file_atomic(out_path, body.data, body.len, 0644, &e))) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	node_answer_print(stdout, found, body.data, body.len, json);
	rc = EXIT_OK;
out:
	buf_free(&body);
	node_store_free(store);
	free(ids);
	free(pos);
	return rc;
}

const struct command node_commands[] = {
	{"node", "serve", "run a reference storage node (Walrus storage-node REST API)",
	 "--data DIR --key-file NODEKEY [--rpc-url URL --deployment FILE] [--listen HOST:PORT] "
	 "[faults...]\n       or --data DIR --committee FILE --index I [--key-file F] ...",
	 "Serves GET/PUT metadata and slivers, recoverySymbols with proofs, storage confirmations\n"
	 "and /v1/health for the shards this node holds. Every upload is checked against the blob\n"
	 "ID before it is stored.\n"
	 "\n"
	 "Without --committee the node follows the chain: it finds itself in the current epoch's\n"
	 "committee by its node key's address (the --node-key of 'assay stake register'), takes\n"
	 "its shards (those in grace too), the peers' endpoints and node keys and the epoch its\n"
	 "confirmations name from finalized blocks (--confirmations), and re-reads them every\n"
	 "--node-poll-ms. In the background it rebuilds from peers the slivers it lacks of every\n"
	 "certified blob still stored (BlobCertified events, from the deployment's first block)\n"
	 "and, when an epoch gives it new shards, their slivers of every blob it stores; a blob\n"
	 "whose peers are down is retried with backoff. Its scan position and queue are kept in\n"
	 "DIR/chain-follow.json. A node not (yet) in the committee serves no shards and waits.\n"
	 "\n"
	 "With --committee FILE the committee file gives node I its shards, and missing slivers\n"
	 "are rebuilt from peers at startup, every --recover-interval seconds and on POST\n"
	 "/v1/admin/recover (--admin, either mode).\n"
	 "The --fault-* flags make it misbehave deterministically (by --fault-seed), for tests\n"
	 "and demos of what the auditor detects.",
	 "assay node serve --listen 127.0.0.1:9100 --data /var/lib/assay/n0 --key-file node0.key "
	 "--rpc-url http://127.0.0.1:8545 --deployment deployment.json",
	 run_serve},
	{"node", "recover", "rebuild what a stopped node lacks from its peers, once (from the chain)",
	 "--data DIR --key-file NODEKEY [--rpc-url URL --deployment FILE] [--json]",
	 "What 'assay node serve' does in the background when it follows the chain, run once to\n"
	 "the end while the node is stopped: finds the node in the current committee by its node\n"
	 "key, reads every blob certification up to the finalized block (from where the last run\n"
	 "or serve left off, DIR/chain-follow.json) and every blob in DIR, and rebuilds the\n"
	 "slivers of its shards that are missing from the peers' recovery symbols, each checked\n"
	 "against the blob's metadata. Exit 0 when every certified blob still stored is complete,\n"
	 "1 when some still miss slivers (they stay queued for 'node serve').",
	 "assay node recover --data /var/lib/assay/n0 --key-file node0.key --deployment "
	 "deployment.json",
	 run_recover},
	{"node", "answer", "rebuild the body this node answers for a recoverySymbols request",
	 "--data DIR --shards N [-o FILE] [--json] BLOB_ID AXIS ID...\n"
	 "       --data DIR --epoch E --auditor ID --seq K [-o FILE] [--json]",
	 "From the sliver store alone, the exact body 'node serve' sends for\n"
	 "GET /v1/blobs/BLOB_ID/recoverySymbols?id=ID...&proofAxis=AXIS (faults aside), and its\n"
	 "BLAKE2b-256: the response hash an auditor records. Symbols it does not hold are left\n"
	 "out, as the server does. With --epoch/--auditor/--seq, the body of that auditor's\n"
	 "record: the record is read from its evidence blob, its request (the ids of its batch\n"
	 "with its blob and axis) from the public schedule rebuilt with the revealed secret, so\n"
	 "the node keeps no log; prints whether the body hashes to the record's response hash\n"
	 "and verifies (fraud proof 2: 'assay dispute verdict' sends it).",
	 "assay node answer --data /var/lib/assay/n0 --shards 1000 -o body.bcs BLOB_ID primary 3-7 "
	 "3-9",
	 run_answer},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
