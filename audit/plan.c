/* plan.c: an epoch's schedule as text or JSON (see plan.h). */
#include "audit/plan.h"

#include <inttypes.h>

#include "audit/blob.h"
#include "audit/challenge.h"
#include "audit/daemon.h"
#include "audit/schedule.h"
#include "audit/symbol.h"
#include "core/encoding.h"

static void print_nodes(FILE *f, const struct audit_inputs *in, const struct audit_schedule *s,
			bool json)
{
	for (size_t i = 0; i < in->nnodes; i++) {
		uint64_t c = i < s->nnodes ? s->per_node[i] : 0;
		uint64_t nb = 0, first = UINT64_MAX;
		for (size_t b = 0; b < s->nbatches; b++)
			if (s->batches[b].node == i) {
				nb++;
				if (s->batches[b].at_ms < first)
					first = s->batches[b].at_ms;
			}
		double miss = c ? audit_detection_miss(0.10, c) : 1.0;
		char idhex[41];
		hex_encode(idhex, in->nodes[i].id, 20);
		if (json) {
			fprintf(f, "%s{\"index\":%zu,\"id\":\"0x%s\",\"url\":", i ? "," : "", i, idhex);
			json_string_write(f, in->nodes[i].url); /* an endpoint from the chain */
			fprintf(f, ",\"shards\":%zu,\"challenges\":%" PRIu64 ",\"batches\":%" PRIu64
				   ",\"first_due_ms\":%" PRIu64 ",\"miss_10pct\":%.6g}",
				in->nodes[i].nshards, c, nb, first == UINT64_MAX ? 0 : first, miss);
		} else {
			char fd[24];
			if (first == UINT64_MAX)
				snprintf(fd, sizeof(fd), "-");
			else
				snprintf(fd, sizeof(fd), "%" PRIu64, first);
			fprintf(f, "%-4zu %-30.30s %6zu %10" PRIu64 " %7" PRIu64 " %12s  %.3g\n", i,
				in->nodes[i].url, in->nodes[i].nshards, c, nb, fd, miss);
		}
	}
}

static void print_json_tail(FILE *f, const struct audit_inputs *in,
			    const struct audit_schedule *s)
{
	fprintf(f, "],\"batches\":[");
	for (size_t b = 0; b < s->nbatches; b++)
		fprintf(f, "%s{\"node\":%u,\"batch\":%u,\"at_ms\":%" PRIu64 ",\"first_seq\":%" PRIu64
			   ",\"count\":%u}",
			b ? "," : "", s->batches[b].node, s->batches[b].batch, s->batches[b].at_ms,
			s->batches[b].first_seq, s->batches[b].count);
	fprintf(f, "],\"challenges\":[");
	for (size_t k = 0; k < s->nchallenges; k++) {
		const struct audit_challenge *c = &s->challenges[k];
		char idt[AUDIT_BLOB_ID_TEXT_LEN + 1], sym[AUDIT_SYMBOL_ID_TEXT_MAX];
		audit_blob_id_text(idt, in->blobs[c->blob].id);
		audit_symbol_id_text(sym, c->symbol);
		fprintf(f, "%s{\"seq\":%" PRIu64 ",\"node\":%u,\"blob\":\"%s\",\"shard\":%u,"
			   "\"pair\":%u,\"symbol\":\"%s\",\"axis\":\"%s\",\"batch\":%u}",
			k ? "," : "", c->seq, c->node, idt, c->shard, c->pair, sym,
			audit_proof_axis_name(c->axis), c->batch);
	}
	fprintf(f, "]}\n");
}

void audit_plan_print(FILE *f, const struct audit_inputs *in, const struct audit_schedule *s,
		      bool json)
{
	uint8_t commit[32];
	char commit_hex[65];
	audit_secret_commitment(in->params.secret, commit);
	hex_encode(commit_hex, commit, 32);
	if (json) {
		fprintf(f, "{\"epoch\":%" PRIu64 ",\"n\":%u,\"secret_commitment\":\"0x%s\",\"nodes\":[",
			in->params.epoch, in->params.n, commit_hex);
	} else {
		fprintf(f, "epoch %" PRIu64 ": %zu challenges, %zu batches, %zu nodes, %zu blobs, n = %u\n"
			   "secret commitment 0x%s\n\n",
			in->params.epoch, s->nchallenges, s->nbatches, in->nnodes, in->nblobs,
			in->params.n, commit_hex);
		fprintf(f, "%-4s %-30s %6s %10s %7s %12s  %s\n", "node", "url", "shards",
			"challenges", "batches", "first due ms", "P(miss 10% and pass all)");
	}
	print_nodes(f, in, s, json);
	if (json)
		print_json_tail(f, in, s);
}
