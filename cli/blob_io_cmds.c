/* blob_io_cmds.c: assay blob put|get: store a blob on the committee's nodes and read it back
 * (no chain yet: the committee comes from a file, and confirmations are collected but not
 * submitted). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit/blob.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "node/client.h"
#include "node/committee.h"
#include "node/encoder.h"

#define MAX_INPUT (1ull << 34)

struct progress {
	bool on;
	const char *what;
	size_t done, total;
	pthread_mutex_t lock;
};

static void progress_step(struct progress *p)
{
	pthread_mutex_lock(&p->lock);
	p->done++;
	if (p->on)
		fprintf(stderr, "\r%s: %zu/%zu slivers", p->what, p->done, p->total);
	pthread_mutex_unlock(&p->lock);
}

static void progress_end(struct progress *p)
{
	if (p->on)
		fprintf(stderr, "\n");
}

/* ---- put ---- */

struct upload_job {
	const struct node_committee *cm;
	size_t member;
	const struct node_blob *blob;
	uint64_t timeout_ms;
	struct progress *progress;
	bool ok;
	struct err e;
};

static void *upload_member(void *arg)
{
	struct upload_job *j = arg;
	const struct node_member *m = &j->cm->members[j->member];
	struct node_client cl = {m->url, m->pin, j->timeout_ms};
	const struct node_blob *b = j->blob;
	j->ok = node_client_put_metadata(&cl, b->blob_id, b->metadata, &j->e);
	for (size_t k = 0; j->ok && k < m->shard_count; k++) {
		uint32_t pair = audit_pair_of_shard(b->blob_id, b->n, m->shards[k]);
		uint16_t sec = (uint16_t)audit_secondary_sliver_of_pair(b->n, pair);
		j->ok = node_client_put_sliver(&cl, b->blob_id, pair, AUDIT_AXIS_PRIMARY,
					       (uint16_t)pair,
					       node_blob_sliver(b, AUDIT_AXIS_PRIMARY, pair),
					       b->primary_len, b->symbol_size, &j->e);
		progress_step(j->progress);
		if (j->ok)
			j->ok = node_client_put_sliver(&cl, b->blob_id, pair, AUDIT_AXIS_SECONDARY, sec,
						       node_blob_sliver(b, AUDIT_AXIS_SECONDARY, sec),
						       b->secondary_len, b->symbol_size, &j->e);
		progress_step(j->progress);
	}
	return NULL;
}

static int run_put(const struct command *cmd, int argc, char **argv)
{
	static const char *committee_path;
	static uint64_t epochs, timeout_ms;
	static bool progress_flag, json;
	static const struct opt local[] = {
		{"committee", 0, OPT_STRING, &committee_path, "FILE", "committee file", NULL, false},
		{"epochs", 0, OPT_U64, &epochs, "E", "epochs to store the blob for (paid on chain, later)",
		 "1", false},
		{"timeout-ms", 0, OPT_U64, &timeout_ms, "MS", "timeout of each request", "30000",
		 false},
		{"progress", 0, OPT_BOOL, &progress_flag, NULL, "show progress even when stderr is not "
		 "a terminal", NULL, false},
		{"json", 0, OPT_BOOL, &json, NULL, "print one JSON object", NULL, false},
		OPT_END,
	};
	char **pos;
	int npos;
	commands_parse(cmd, local, argc, argv, 1, 1, &pos, &npos);
	const char *file = pos[0];
	free(pos);
	if (!committee_path)
		cli_usage_error(cmd, "--committee FILE is required (until blobs are registered on "
				     "chain)");
	if (epochs == 0)
		cli_usage_error(cmd, "--epochs must be at least 1");
	struct err e = {{0}};
	struct node_committee *cm = NULL;
	struct node_codec *codec = NULL;
	struct node_blob *blob = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = EXIT_FAIL;
	struct upload_job *jobs = NULL;
	pthread_t *th = NULL;
	struct progress pr = {.what = "uploading"};
	pthread_mutex_init(&pr.lock, NULL);
	if (!node_committee_load(committee_path, &cm, &e) || !node_codec_new(cm->n, &codec, &e) ||
	    !read_file(file, MAX_INPUT, &data, &len, &e) ||
	    !node_encode(codec, data, len, &blob, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	pr.on = progress_flag || (isatty(2) && len >= (1u << 20));
	pr.total = 2 * (size_t)cm->n;
	jobs = xcalloc(cm->count, sizeof(*jobs));
	th = xcalloc(cm->count, sizeof(*th));
	for (size_t m = 0; m < cm->count; m++) {
		jobs[m] = (struct upload_job){cm, m, blob, timeout_ms, &pr, false, {{0}}};
		if (pthread_create(&th[m], NULL, upload_member, &jobs[m]) != 0)
			upload_member(&jobs[m]), th[m] = 0;
	}
	for (size_t m = 0; m < cm->count; m++)
		if (th[m])
			pthread_join(th[m], NULL);
	progress_end(&pr);
	/* Confirmations: a blob is certifiable once nodes holding n - f shards confirm. */
	struct audit_params p;
	if (!audit_params_init(&p, cm->n, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	size_t stored_shards = 0, confirmed_shards = 0, confirmed_nodes = 0;
	for (size_t m = 0; m < cm->count; m++) {
		const struct node_member *mem = &cm->members[m];
		if (!jobs[m].ok) {
			log_warn("node %zu (%s): %s", m, mem->url, jobs[m].e.msg);
			continue;
		}
		stored_shards += mem->shard_count;
		struct node_client cl = {mem->url, mem->pin, timeout_ms};
		struct node_confirmation conf;
		struct err ce = {{0}};
		if (node_client_get_confirmation(&cl, blob->blob_id, cm->chain_id, cm->blob_registry,
						 mem->has_address ? mem->address : NULL, &conf, &ce)) {
			confirmed_shards += mem->shard_count;
			confirmed_nodes++;
		} else {
			log_warn("node %zu: no storage confirmation: %s", m, ce.msg);
		}
	}
	char idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(idt, blob->blob_id);
	bool stored = stored_shards >= cm->n - p.f;
	if (json)
		printf("{\"blob_id\":\"%s\",\"size\":%zu,\"n_shards\":%u,\"stored_shards\":%zu,"
		       "\"confirmed_shards\":%zu,\"confirmed_nodes\":%zu,\"needed_shards\":%u,"
		       "\"epochs\":%llu}\n",
		       idt, len, cm->n, stored_shards, confirmed_shards, confirmed_nodes,
		       cm->n - p.f, (unsigned long long)epochs);
	else
		printf("%s\n", idt);
	fprintf(stderr, "stored on %zu of %u shards, confirmed by nodes holding %zu (%u needed "
			"to certify)\n",
		stored_shards, cm->n, confirmed_shards, cm->n - p.f);
	if (!stored) {
		rc = cli_fail(cmd, "the blob reached only %zu of the %u shards it needs", stored_shards,
			      cm->n - p.f);
		goto out;
	}
	rc = EXIT_OK;
out:
	pthread_mutex_destroy(&pr.lock);
	free(jobs);
	free(th);
	free(data);
	node_blob_free(blob);
	node_codec_free(codec);
	node_committee_free(cm);
	return rc;
}

/* ---- get ---- */

/* Try to decode from verified slivers of one axis, fetched pair by pair from their owners
 * until enough are in hand. Members that failed at the transport level are skipped after. */
static bool fetch_and_decode(const struct node_committee *cm, const struct node_codec *codec,
			     const struct audit_metadata *md, const uint8_t id[AUDIT_DIGEST_LEN],
			     enum audit_proof_axis axis, size_t need, uint64_t timeout_ms,
			     bool *dead, struct progress *pr, uint8_t **out, struct err *e)
{
	uint32_t n = cm->n;
	uint16_t *indices = xcalloc(n, sizeof(*indices));
	uint8_t **slivers = xcalloc(n, sizeof(*slivers));
	struct audit_params p;
	uint16_t ss;
	size_t have = 0;
	bool ok = false;
	if (!audit_metadata_params(md, &p, &ss, e))
		goto out;
	for (uint32_t idx = 0; idx < n && have < need; idx++) {
		uint32_t pair = axis == AUDIT_AXIS_PRIMARY ? idx : audit_pair_of_secondary_sliver(n, idx);
		size_t m = cm->owner[audit_shard_of_pair(id, n, pair)];
		if (dead[m])
			continue;
		const struct node_member *mem = &cm->members[m];
		struct node_client cl = {mem->url, mem->pin, timeout_ms};
		struct audit_sliver *sl = NULL;
		struct err se = {{0}};
		if (!node_client_get_sliver(&cl, id, pair, axis, &sl, &se)) {
			log_info("node %zu: %s sliver %u: %s", m, audit_proof_axis_name(axis), idx,
				 se.msg);
			if (strstr(se.msg, "answered HTTP") == NULL)
				dead[m] = true; /* refused, timed out: don't wait on it again */
			continue;
		}
		if (sl->index != idx ||
		    !node_sliver_verify(codec, md, axis, (uint16_t)idx, sl->symbols, sl->len,
					sl->symbol_size, &se)) {
			log_warn("node %zu: %s sliver %u fails verification%s%s", m,
				 audit_proof_axis_name(axis), idx, se.msg[0] ? ": " : "", se.msg);
			audit_sliver_free(sl);
			continue;
		}
		indices[have] = (uint16_t)idx;
		slivers[have] = sl->symbols;
		sl->symbols = NULL;
		audit_sliver_free(sl);
		have++;
		progress_step(pr);
	}
	if (have < need) {
		err_set(e, "only %zu verified %s slivers could be read, %zu are needed", have,
			audit_proof_axis_name(axis), need);
		goto out;
	}
	ok = node_decode_check(codec, md, id, axis, indices, (const uint8_t *const *)slivers, have,
			       out, e);
out:
	for (size_t i = 0; i < have; i++)
		free(slivers[i]);
	free(slivers);
	free(indices);
	return ok;
}

static int run_get(const struct command *cmd, int argc, char **argv)
{
	static const char *committee_path, *output;
	static uint64_t timeout_ms;
	static bool progress_flag;
	static const struct opt local[] = {
		{"committee", 0, OPT_STRING, &committee_path, "FILE", "committee file", NULL, false},
		{"output", 'o', OPT_STRING, &output, "FILE", "where to write the blob", NULL, false},
		{"timeout-ms", 0, OPT_U64, &timeout_ms, "MS", "timeout of each request", "10000",
		 false},
		{"progress", 0, OPT_BOOL, &progress_flag, NULL, "show progress even when stderr is not "
		 "a terminal", NULL, false},
		OPT_END,
	};
	char **pos;
	int npos;
	commands_parse(cmd, local, argc, argv, 1, 1, &pos, &npos);
	const char *blob_text = pos[0];
	free(pos);
	if (!committee_path || !output)
		cli_usage_error(cmd, "--committee FILE and -o FILE are required");
	struct err e = {{0}};
	uint8_t id[AUDIT_DIGEST_LEN];
	if (!audit_blob_id_parse(blob_text, id, &e))
		cli_usage_error(cmd, "BLOB_ID: %s", e.msg);
	struct node_committee *cm = NULL;
	struct node_codec *codec = NULL;
	struct audit_metadata *md = NULL;
	uint8_t *blob = NULL;
	bool *dead = NULL;
	int rc = EXIT_FAIL;
	struct progress pr = {.what = "reading"};
	pthread_mutex_init(&pr.lock, NULL);
	if (!node_committee_load(committee_path, &cm, &e) || !node_codec_new(cm->n, &codec, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	dead = xcalloc(cm->count, sizeof(*dead));
	for (size_t m = 0; m < cm->count && !md; m++) {
		struct node_client cl = {cm->members[m].url, cm->members[m].pin, timeout_ms};
		struct err me = {{0}};
		if (!node_client_get_metadata(&cl, id, &md, &me)) {
			log_info("node %zu: %s", m, me.msg);
			if (strstr(me.msg, "answered HTTP") == NULL)
				dead[m] = true;
		}
	}
	if (!md) {
		rc = cli_fail(cmd, "no node has metadata that matches the blob ID");
		goto out;
	}
	struct audit_params p;
	uint16_t ss;
	if (!audit_metadata_params(md, &p, &ss, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	pr.on = progress_flag || (isatty(2) && md->unencoded_length >= (1u << 20));
	pr.total = p.k_primary;
	/* Primary slivers first: k_p of them decode the blob; secondary ones as a fallback. */
	if (!fetch_and_decode(cm, codec, md, id, AUDIT_AXIS_PRIMARY, p.k_primary, timeout_ms, dead,
			      &pr, &blob, &e)) {
		log_info("primary slivers: %s; trying secondary slivers", e.msg);
		pr.total = p.k_secondary;
		pr.done = 0;
		if (!fetch_and_decode(cm, codec, md, id, AUDIT_AXIS_SECONDARY, p.k_secondary,
				      timeout_ms, dead, &pr, &blob, &e)) {
			progress_end(&pr);
			rc = cli_fail(cmd, "%s", e.msg);
			goto out;
		}
	}
	progress_end(&pr);
	if (!write_file_atomic(output, blob, (size_t)md->unencoded_length, 0644, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	rc = EXIT_OK;
out:
	pthread_mutex_destroy(&pr.lock);
	free(blob);
	free(dead);
	audit_metadata_free(md);
	node_codec_free(codec);
	node_committee_free(cm);
	return rc;
}

const struct command blob_io_commands[] = {
	{"blob", "put", "store a file on the committee's storage nodes",
	 "FILE --committee FILE [--epochs E] [--json] [--progress]",
	 "Encodes FILE, uploads the metadata and each sliver pair to the node holding its shard,\n"
	 "and collects the nodes' signed storage confirmations. Prints the blob ID. Succeeds when\n"
	 "nodes holding n - f shards stored it. (Registration, payment and certification on chain\n"
	 "come with the contracts.)",
	 "assay blob put photo.jpg --committee committee.json", run_put},
	{"blob", "get", "read a blob back from the storage nodes, verifying every sliver",
	 "BLOB_ID -o FILE --committee FILE [--progress]",
	 "Fetches metadata that hashes to BLOB_ID, then slivers from the nodes holding them,\n"
	 "verifying each against the metadata and skipping nodes that are down or lie, decodes\n"
	 "from the first k that verify, and re-encodes to check the blob ID before writing FILE.",
	 "assay blob get S3mB1ExRz3WdBOqUE9w6a4XJwAQ9cyRA1m8_sOuXJkM -o photo.jpg --committee "
	 "committee.json",
	 run_get},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
