/* blob_io_cmds.c: assay blob put|get: publish a blob and read it back. With the payer's
 * key, put registers and pays for the blob on chain, uploads it to the current committee
 * (from the chain, or a committee file), collects the nodes' storage confirmations and
 * certifies it, through the same code as `blob register` and `blob certify`. Without a
 * key (no chain) it only stores the blob on the nodes of a committee file. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <inttypes.h>

#include "audit/blob.h"
#include "chain/bindings.h"
#include "chain/abi.h"
#include "chain/reader.h"
#include "cli/chain_session.h"
#include "cli/commands.h"
#include "cli/settings.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "node/client.h"
#include "node/committee.h"
#include "node/follow.h"
#include "node/encoder.h"

#define MAX_INPUT (1ull << 34)

static bool bi_zero(const uint8_t h[32])
{
	for (int i = 0; i < 32; i++)
		if (h[i])
			return false;
	return true;
}

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

/* The current epoch's committee as the chain has it (endpoints, node keys, shards), in
 * committee order, as a committee file would describe it. */
static bool committee_from_chain(struct chain_session *s, const char *contracts_dir,
				 struct node_committee **out, struct err *e)
{
	struct chain_reader *r = NULL;
	struct chain_epoch_view v;
	memset(&v, 0, sizeof(v));
	bool ok = false;
	*out = NULL;
	if (!chain_reader_new(&r, s->rpc, &s->dep, contracts_dir,
			      settings.confirmations ? settings.confirmations : 1, 0, e) ||
	    !chain_reader_epoch(r, CHAIN_READER_CURRENT, &v, e))
		goto out;
	if (v.nnodes == 0 || !v.shard_owner) {
		err_set(e, "epoch %" PRIu64 " has no committee on chain yet: nodes stake with 'assay "
			   "stake register', then 'assay epoch advance' starts an epoch with them",
			v.epoch);
		goto out;
	}
	ok = node_committee_from_view(&v, s->dep.chain_id, s->dep.blob_registry, out, e);
out:
	chain_epoch_view_clear(&v);
	chain_reader_free(r);
	return ok;
}

/* Writes the confirmations in hand as `blob certify --confirmations` reads them. */
static bool save_confirmations(const char *path, const struct node_confirmation *c, size_t n,
			       struct err *e)
{
	struct buf b = BUF_INIT;
	buf_append_str(&b, "[");
	for (size_t i = 0; i < n; i++) {
		char signer[43], sig[2 * 65 + 1];
		chain_address_checksum(signer, c[i].signer);
		hex_encode(sig, c[i].signature, 65);
		buf_printf(&b, "%s\n {\"signer\": \"%s\", \"signature\": \"0x%s\", \"epoch\": %" PRIu64
			       "}",
			   i ? "," : "", signer, sig, c[i].epoch);
	}
	buf_append_str(&b, "\n]\n");
	bool ok = write_file_atomic(path, b.data, b.len, 0644, e);
	buf_free(&b);
	return ok;
}

static void print_certify_hint(const struct chain_session_opts *o, const char *idt,
			       const char *conf_path)
{
	fprintf(stderr, "finish it with: assay blob certify %s %s --blob-id %s --confirmations %s\n",
		o->key_file ? "--key-file" : "--key-env", o->key_file ? o->key_file : o->key_env,
		idt, conf_path);
}

static int run_put(const struct command *cmd, int argc, char **argv)
{
	static const char *committee_path;
	static uint64_t epochs, timeout_ms;
	static bool progress_flag;
	static struct chain_session_opts copts;
	static const struct opt local[] = {
		{"committee", 0, OPT_STRING, &committee_path, "FILE",
		 "committee file (default with a key: the current epoch's committee on chain)", NULL,
		 false},
		CHAIN_SESSION_KEY_OPTS(copts),
		{"epochs", 0, OPT_U64, &epochs, "E",
		 "store for the current epoch and E - 1 more (paid now, with a key)", "1", false},
		{"timeout-ms", 0, OPT_U64, &timeout_ms, "MS", "timeout of each request", "30000",
		 false},
		{"progress", 0, OPT_BOOL, &progress_flag, NULL, "show progress even when stderr is not "
		 "a terminal", NULL, false},
		CHAIN_SESSION_COMMON_OPTS(copts),
		OPT_END,
	};
	char **pos;
	int npos;
	commands_parse(cmd, local, argc, argv, 1, 1, &pos, &npos);
	const char *file = pos[0];
	free(pos);
	bool chain = copts.key_file || copts.key_env;
	if (!chain && !committee_path)
		cli_usage_error(cmd, "give --key-file FILE (or --key-env VAR) of the payer to register, "
				     "pay for and certify the blob on chain (--deployment), or "
				     "--committee FILE to only store it on the nodes");
	if (copts.key_file && copts.key_env)
		cli_usage_error(cmd, "give only one of --key-file FILE and --key-env VAR");
	if (epochs == 0)
		cli_usage_error(cmd, "--epochs must be at least 1");
	struct err e = {{0}};
	struct chain_session s;
	memset(&s, 0, sizeof(s));
	struct node_committee *cm = NULL;
	struct node_codec *codec = NULL;
	struct node_blob *blob = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	int rc = EXIT_FAIL;
	struct upload_job *jobs = NULL;
	pthread_t *th = NULL;
	struct node_confirmation *confs = NULL;
	size_t nconfs = 0;
	struct blob_registration reg;
	memset(&reg, 0, sizeof(reg));
	struct blob_certification cert;
	memset(&cert, 0, sizeof(cert));
	bool already_certified = false;
	char idt[AUDIT_BLOB_ID_TEXT_LEN + 1] = "";
	struct progress pr = {.what = "uploading"};
	pthread_mutex_init(&pr.lock, NULL);
	if (chain) {
		if (!chain_session_open(&s, &copts, true, true, &e)) {
			rc = cli_fail(cmd, "%s", e.msg);
			goto out;
		}
		if (committee_path) {
			if (!node_committee_load(committee_path, &cm, &e)) {
				rc = cli_fail(cmd, "%s", e.msg);
				goto out;
			}
			/* Confirmations are for this deployment's registry, whatever the file says. */
			cm->chain_id = s.dep.chain_id;
			memcpy(cm->blob_registry, s.dep.blob_registry, 20);
		} else if (!committee_from_chain(&s, copts.contracts_dir, &cm, &e)) {
			rc = cli_fail(cmd, "the committee: %s", e.msg);
			goto out;
		}
		if (cm->n != s.dep.n_shards) {
			rc = cli_fail(cmd, "the committee has %u shards, the deployment %u", cm->n,
				      s.dep.n_shards);
			goto out;
		}
	} else if (!node_committee_load(committee_path, &cm, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	if (!node_codec_new(cm->n, &codec, &e) || !read_file(file, MAX_INPUT, &data, &len, &e) ||
	    !node_encode(codec, data, len, &blob, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	audit_blob_id_text(idt, blob->blob_id);
	struct audit_params p;
	if (!audit_params_init(&p, cm->n, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	if (chain) {
		/* Register and pay first (storage nodes take slivers of registered blobs); a blob
		 * still registered from an earlier try is not paid for again. */
		struct chain_blob_info bi;
		uint64_t cur;
		if (!chain_staking_current_epoch(s.bind, &cur, &e) ||
		    !chain_registry_blob_info(s.bind, blob->blob_id, &bi, &e)) {
			rc = cli_fail(cmd, "%s", e.msg);
			goto out;
		}
		if (bi.registered && bi.end_epoch > cur) {
			log_info("blob %s is already registered for epochs %" PRIu64 " to %" PRIu64
				 ": not paying again",
				 idt, bi.start_epoch, bi.end_epoch - 1);
			reg.start_epoch = bi.start_epoch;
			reg.end_epoch = bi.end_epoch;
			reg.encoded_size = bi.encoded_size;
			already_certified = bi.certified_block != 0;
			cert.epoch = bi.certified_epoch;
			cert.block = bi.certified_block;
		} else if (!blob_chain_register(&s, blob->blob_id, len, NODE_ENCODING_TYPE, epochs,
						&reg, &e)) {
			rc = cli_fail(cmd, "registering blob %s: %s", idt, e.msg);
			goto out;
		}
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
	size_t stored_shards = 0, confirmed_shards = 0, confirmed_nodes = 0;
	confs = xcalloc(cm->count + 1, sizeof(*confs));
	for (size_t m = 0; m < cm->count; m++) {
		const struct node_member *mem = &cm->members[m];
		if (!jobs[m].ok) {
			log_warn("node %zu (%s) did not store its slivers: %s", m, mem->url,
				 jobs[m].e.msg);
			continue;
		}
		stored_shards += mem->shard_count;
		struct node_client cl = {mem->url, mem->pin, timeout_ms};
		struct err ce = {{0}};
		if (node_client_get_confirmation(&cl, blob->blob_id, cm->chain_id, cm->blob_registry,
						 mem->has_address ? mem->address : NULL,
						 &confs[nconfs], &ce)) {
			confirmed_shards += mem->shard_count;
			confirmed_nodes++;
			nconfs++;
		} else {
			log_warn("node %zu (%s): no storage confirmation: %s", m, mem->url, ce.msg);
		}
	}
	uint32_t needed = cm->n - p.f;
	fprintf(stderr, "stored on %zu of %u shards, confirmed by nodes holding %zu (%u needed "
			"to certify)\n",
		stored_shards, cm->n, confirmed_shards, needed);
	if (!chain) {
		if (copts.json)
			printf("{\"blob_id\":\"%s\",\"size\":%zu,\"n_shards\":%u,\"stored_shards\":%zu,"
			       "\"confirmed_shards\":%zu,\"confirmed_nodes\":%zu,\"needed_shards\":%u,"
			       "\"epochs\":%llu}\n",
			       idt, len, cm->n, stored_shards, confirmed_shards, confirmed_nodes,
			       needed, (unsigned long long)epochs);
		else
			printf("%s\n", idt);
		if (stored_shards < needed) {
			rc = cli_fail(cmd, "the blob reached only %zu of the %u shards it needs",
				      stored_shards, needed);
			goto out;
		}
		rc = EXIT_OK;
		goto out;
	}
	if (!already_certified) {
		char conf_path[512];
		const char *tmp = getenv("TMPDIR");
		snprintf(conf_path, sizeof(conf_path), "%s/assay-confirmations-%s.json",
			 tmp && *tmp ? tmp : "/tmp", idt);
		if (confirmed_shards < needed) {
			struct err se = {{0}};
			bool saved = save_confirmations(conf_path, confs, nconfs, &se);
			rc = cli_fail(cmd, "blob %s is registered and paid for, but only nodes holding %zu "
					   "of %u shards confirmed storing it, and %u are needed to "
					   "certify it (%zu of %zu nodes confirmed)",
				      idt, confirmed_shards, cm->n, needed, confirmed_nodes, cm->count);
			if (saved)
				fprintf(stderr, "the confirmations so far are in %s; run 'assay blob put' "
						"again when the nodes are back (it does not pay twice)\n",
					conf_path);
			else
				fprintf(stderr, "run 'assay blob put' again when the nodes are back (it "
						"does not pay twice)\n");
			goto out;
		}
		if (!blob_chain_certify(&s, blob->blob_id, confs, nconfs, &cert, &e)) {
			struct err se = {{0}};
			bool saved = save_confirmations(conf_path, confs, nconfs, &se);
			rc = cli_fail(cmd, "blob %s is registered, paid for and stored on nodes holding "
					   "%zu of %u shards, but certifying it failed: %s",
				      idt, stored_shards, cm->n, e.msg);
			if (saved)
				print_certify_hint(&copts, idt, conf_path);
			else
				fprintf(stderr, "could not save the confirmations (%s): run 'assay blob "
						"put' again to certify it (it does not pay twice)\n",
					se.msg);
			goto out;
		}
	}
	if (copts.json) {
		char rtx[65] = "", ctx[65] = "";
		if (!bi_zero(reg.tx_hash))
			hex_encode(rtx, reg.tx_hash, 32);
		if (!bi_zero(cert.tx_hash))
			hex_encode(ctx, cert.tx_hash, 32);
		printf("{\"blob_id\":\"%s\",\"size\":%zu,\"n_shards\":%u,\"stored_shards\":%zu,"
		       "\"confirmed_shards\":%zu,\"confirmed_nodes\":%zu,\"needed_shards\":%u,"
		       "\"epochs\":%llu,\"start_epoch\":%" PRIu64 ",\"end_epoch\":%" PRIu64 ","
		       "\"registration_tx\":%s%s%s%s,\"certified_epoch\":%" PRIu64 ","
		       "\"certified_block\":%" PRIu64 ",\"certification_tx\":%s%s%s%s}\n",
		       idt, len, cm->n, stored_shards, confirmed_shards, confirmed_nodes, needed,
		       (unsigned long long)epochs, reg.start_epoch, reg.end_epoch,
		       rtx[0] ? "\"0x" : "", rtx[0] ? rtx : "null", rtx[0] ? "\"" : "", "",
		       cert.epoch, cert.block, ctx[0] ? "\"0x" : "", ctx[0] ? ctx : "null",
		       ctx[0] ? "\"" : "", "");
	} else {
		printf("%s\n", idt);
	}
	fprintf(stderr, "registered for epochs %" PRIu64 " to %" PRIu64 ", certified in epoch %" PRIu64
			" at block %" PRIu64 "%s\n",
		reg.start_epoch, reg.end_epoch - 1, cert.epoch, cert.block,
		already_certified ? " (earlier)" : "");
	rc = EXIT_OK;
out:
	pthread_mutex_destroy(&pr.lock);
	free(confs);
	free(jobs);
	free(th);
	free(data);
	node_blob_free(blob);
	node_codec_free(codec);
	node_committee_free(cm);
	if (chain)
		chain_session_close(&s);
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
	static struct chain_session_opts copts;
	static const struct opt local[] = {
		{"committee", 0, OPT_STRING, &committee_path, "FILE",
		 "committee file (default: the current epoch's committee on chain, --deployment)",
		 NULL, false},
		{"contracts", 0, OPT_STRING, &copts.contracts_dir, "DIR",
		 "read <Name>.json (ABI + bytecode) from DIR instead of the copies built into assay",
		 NULL, false},
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
	if (!output)
		cli_usage_error(cmd, "-o FILE is required");
	if (!committee_path && !(settings.deployment && *settings.deployment))
		cli_usage_error(cmd, "give --deployment FILE (and --rpc-url) to read the committee "
				     "from the chain, or --committee FILE");
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
	if (committee_path) {
		if (!node_committee_load(committee_path, &cm, &e)) {
			rc = cli_fail(cmd, "%s", e.msg);
			goto out;
		}
	} else {
		struct chain_session s;
		memset(&s, 0, sizeof(s));
		bool got = chain_session_open(&s, &copts, false, true, &e) &&
			   committee_from_chain(&s, copts.contracts_dir, &cm, &e);
		chain_session_close(&s);
		if (!got) {
			rc = cli_fail(cmd, "the committee: %s", e.msg);
			goto out;
		}
	}
	if (!node_codec_new(cm->n, &codec, &e)) {
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
	{"blob", "put", "publish a file: register and pay, upload to the nodes, certify",
	 "FILE (--key-file FILE | --key-env VAR) [--committee FILE] [--epochs E] [--json]\n"
	 "  or: FILE --committee FILE [--json] [--progress]   (no chain: store only)",
	 "With the payer's key: encodes FILE, registers it and pays for the current epoch and\n"
	 "E - 1 more (approve + registerBlob, as 'blob register'), uploads the metadata and each\n"
	 "sliver pair to the node holding its shard (the current committee from the chain, or\n"
	 "--committee FILE), collects the nodes' signed storage confirmations and, once nodes\n"
	 "holding n - f shards confirmed, certifies the blob (certifyBlob, as 'blob certify').\n"
	 "Prints the blob ID (--json: also the transactions and shard counts). A blob already\n"
	 "registered is not paid for again, so a failed put can simply be run again.\n"
	 "Without a key: only stores FILE on the nodes of the committee file; succeeds when\n"
	 "nodes holding n - f shards stored it.",
	 "assay blob put photo.jpg --key-file me.key --epochs 5", run_put},
	{"blob", "get", "read a blob back from the storage nodes, verifying every sliver",
	 "BLOB_ID -o FILE [--committee FILE] [--progress]",
	 "Fetches metadata that hashes to BLOB_ID, then slivers from the nodes holding them\n"
	 "(the current committee on chain with --deployment and --rpc-url, or a committee file),\n"
	 "verifying each against the metadata and skipping nodes that are down or lie, decodes\n"
	 "from the first k that verify, and re-encodes to check the blob ID before writing FILE.",
	 "assay blob get S3mB1ExRz3WdBOqUE9w6a4XJwAQ9cyRA1m8_sOuXJkM -o photo.jpg "
	 "--deployment deployment.json",
	 run_get},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
