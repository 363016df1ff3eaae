/* encode.c: throughput of the reference blob encoder (node/encoder.h) beside ISA-L's raw
 * ec_encode_data on the same bytes.
 *
 * "raw" is a one-dimensional RS(n, k_p) code: the blob cut into k = k_p fragments, m =
 * n - k_p parity fragments, one ec_encode_data call: the floor any erasure-coding store
 * pays. "ours" is the whole node_encode(): primary and secondary slivers, the full n × n
 * expansion, n² BLAKE2b-256 Merkle leaves and 2n roots, and the blob ID, i.e. what a
 * publisher must do before anything can be uploaded. MB/s are blob bytes (10^6) per second,
 * best of several runs, by elapsed time and by CPU time (the second is what to compare on a
 * shared machine).
 *
 *   usage: bench_encode [MAX_MIB]   (sizes 1, 16, 64 MiB up to MAX_MIB; default 64)
 *
 * n = 10, 100, 255 use the GF(2^8) code (encoding type 2) and ISA-L is the raw reference;
 * n = 1000 uses the GF(2^16) code (encoding type 3: GF(2^8) stops at 255 shards), and the raw
 * reference is the same one-dimensional RS(n, k_p) encode with node/gf16.h's region
 * product (ISA-L has no GF(2^16) code). */
#include <isa-l/erasure_code.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/blob.h"
#include "audit/merkle.h"
#include "core/err.h"
#include "core/util.h"
#include "node/encoder.h"
#include "node/gf16.h"

struct timing {
	double wall; /* seconds */
	double cpu;  /* seconds of CPU over all threads: robust on a loaded machine */
};

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct timing start(void)
{
	struct timing t = {clock_s(CLOCK_MONOTONIC), clock_s(CLOCK_PROCESS_CPUTIME_ID)};
	return t;
}

/* Keeps the best wall and the best CPU time seen (not necessarily of the same run). */
static void stop(struct timing t0, struct timing *best)
{
	double wall = clock_s(CLOCK_MONOTONIC) - t0.wall;
	double cpu = clock_s(CLOCK_PROCESS_CPUTIME_ID) - t0.cpu;
	if (wall < best->wall)
		best->wall = wall;
	if (cpu < best->cpu)
		best->cpu = cpu;
}

static struct timing bench_ours(const struct node_codec *c, const uint8_t *blob, size_t len,
			       int runs)
{
	struct timing best = {1e30, 1e30};
	for (int r = 0; r < runs; r++) {
		struct node_blob *b = NULL;
		struct err e = {{0}};
		struct timing t0 = start();
		if (!node_encode(c, blob, len, &b, &e)) {
			fprintf(stderr, "bench_encode: %s\n", e.msg);
			exit(1);
		}
		stop(t0, &best);
		node_blob_free(b);
	}
	return best;
}

/* The raw reference for the GF(2^16) code: RS(n, k_p) with a Cauchy generator, the tables
 * built inside the timing as ISA-L's are. */
static struct timing bench_raw16(const struct audit_params *p, const uint8_t *blob, size_t len,
				int runs)
{
	size_t k = p->k_primary, m = p->n - p->k_primary;
	size_t frag = (len + k - 1) / k;
	frag += frag % 64 ? 64 - frag % 64 : 0;
	uint8_t *data = xcalloc(k, frag), *parity = xmalloc((m ? m : 1) * frag);
	memcpy(data, blob, len);
	uint16_t *cauchy = xmalloc((m ? m : 1) * k * sizeof(*cauchy));
	uint8_t **src = xmalloc(k * sizeof(*src)), **dst = xmalloc((m ? m : 1) * sizeof(*dst));
	for (size_t i = 0; i < k; i++)
		src[i] = data + i * frag;
	for (size_t i = 0; i < m; i++)
		dst[i] = parity + i * frag;
	struct timing best = {1e30, 1e30};
	for (int r = 0; r < runs; r++) {
		struct timing t0 = start();
		for (size_t i = 0; i < m; i++)
			for (size_t j = 0; j < k; j++)
				cauchy[i * k + j] = node_gf16_inv((uint16_t)((k + i) ^ j));
		struct node_gf16_matrix *t = node_gf16_matrix_new(cauchy, m, k);
		node_gf16_matrix_apply(t, 0, m, (const uint8_t *const *)src, dst, frag);
		node_gf16_matrix_free(t);
		stop(t0, &best);
	}
	free(data);
	free(parity);
	free(cauchy);
	free(src);
	free(dst);
	return best;
}

static struct timing bench_raw(const struct audit_params *p, const uint8_t *blob, size_t len,
			      int runs)
{
	int k = (int)p->k_primary, m = (int)(p->n - p->k_primary);
	size_t frag = (len + (size_t)k - 1) / (size_t)k;
	frag += frag % 32 ? 32 - frag % 32 : 0; /* ISA-L's vector width; a real store pads too */
	uint8_t *data = xcalloc((size_t)k, frag), *parity = xmalloc((size_t)(m ? m : 1) * frag);
	memcpy(data, blob, len);
	uint8_t *gen = xmalloc((size_t)(k + m) * (size_t)k);
	uint8_t *tbls = xmalloc((size_t)32 * (size_t)k * (size_t)(m ? m : 1));
	uint8_t **src = xmalloc((size_t)k * sizeof(*src)), **dst = xmalloc((size_t)(m ? m : 1) * sizeof(*dst));
	for (int i = 0; i < k; i++)
		src[i] = data + (size_t)i * frag;
	for (int i = 0; i < m; i++)
		dst[i] = parity + (size_t)i * frag;
	struct timing best = {1e30, 1e30};
	for (int r = 0; r < runs; r++) {
		struct timing t0 = start();
		/* The table setup is part of the raw cost, as it is of ours. */
		gf_gen_cauchy1_matrix(gen, k + m, k);
		if (m) {
			ec_init_tables(k, m, gen + (size_t)k * (size_t)k, tbls);
			ec_encode_data((int)frag, k, m, tbls, src, dst);
		}
		stop(t0, &best);
	}
	free(data);
	free(parity);
	free(gen);
	free(tbls);
	free(src);
	free(dst);
	return best;
}

/* The hashing limit: the n² leaf hashes of ss-byte symbols that the format makes a
 * publisher compute (the 2n² inner hashes are left out, so the limit is generous), with
 * the project's fastest BLAKE2b (audit/b2many.h, through audit_merkle_leaf_hashes, as the
 * encoder hashes) on every CPU. Each thread hashes its share of rows of n symbols. */
struct hash_job {
	const uint8_t *row;
	size_t n, ss, rows;
};

static void *hash_rows(void *arg)
{
	const struct hash_job *j = arg;
	uint8_t (*out)[AUDIT_DIGEST_LEN] = xmalloc(j->n * AUDIT_DIGEST_LEN);
	for (size_t r = 0; r < j->rows; r++)
		audit_merkle_leaf_hashes(out, j->row, j->ss, j->n);
	free(out);
	return NULL;
}

static struct timing bench_hash_limit(size_t n, size_t ss, int runs)
{
	enum { MAXT = 16 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t threads = cpus < 1 ? 1 : cpus > MAXT ? MAXT : (size_t)cpus;
	uint8_t *row = xmalloc(n * ss);
	for (size_t i = 0; i < n * ss; i++)
		row[i] = (uint8_t)(i * 167 + 13);
	struct timing best = {1e30, 1e30};
	for (int r = 0; r < runs; r++) {
		struct hash_job jobs[MAXT];
		pthread_t tid[MAXT];
		struct timing t0 = start();
		for (size_t t = 0; t < threads; t++) {
			jobs[t] = (struct hash_job){row, n, ss, n * (t + 1) / threads - n * t / threads};
			if (t && pthread_create(&tid[t], NULL, hash_rows, &jobs[t]) != 0) {
				fprintf(stderr, "bench_encode: cannot start a thread\n");
				exit(1);
			}
		}
		hash_rows(&jobs[0]);
		for (size_t t = 1; t < threads; t++)
			pthread_join(tid[t], NULL);
		stop(t0, &best);
	}
	free(row);
	return best;
}

int main(int argc, char **argv)
{
	unsigned long max_mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	static const size_t sizes_mib[] = {1, 16, 64};
	static const uint32_t ns[] = {10, 100, 255, 1000};
	size_t biggest = 0;
	for (size_t s = 0; s < ARRAY_LEN(sizes_mib); s++)
		if (sizes_mib[s] <= max_mib)
			biggest = sizes_mib[s] << 20;
	if (!biggest) {
		fprintf(stderr, "usage: %s [MAX_MIB >= 1]\n", argv[0]);
		return 2;
	}
	uint8_t *blob = xmalloc(biggest);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < biggest; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		blob[i] = (uint8_t)x;
	}

	printf("assay blob encoder (2-D RS + Merkle, node_encode, %ld CPUs) vs a raw RS(n, k_p) "
	       "encode: ISA-L ec_encode_data for GF(2^8), node/gf16.h for GF(2^16) (%s kernel)\n",
	       sysconf(_SC_NPROCESSORS_ONLN), node_gf16_kernel_name(node_gf16_kernel()));
	printf("%6s %4s %5s %4s %4s %6s | %9s %9s | %9s %9s | %7s %7s | %6s | %9s %9s | %6s %6s\n",
	       "size", "n", "field", "k_p", "k_s", "symbol", "ours wall", "ours cpu", "raw wall",
	       "raw cpu", "ratio w", "ratio c", "hashed", "lim wall", "lim cpu", "of l w",
	       "of l c");
	for (size_t s = 0; s < ARRAY_LEN(sizes_mib); s++) {
		if (sizes_mib[s] > max_mib)
			continue;
		size_t len = sizes_mib[s] << 20;
		for (size_t i = 0; i < ARRAY_LEN(ns); i++) {
			struct node_codec *c = NULL;
			struct err e = {{0}};
			if (!node_codec_new(ns[i], &c, &e)) {
				fprintf(stderr, "bench_encode: %s\n", e.msg);
				return 1;
			}
			const struct audit_params *p = node_codec_params(c);
			uint16_t ss;
			if (!audit_symbol_size(p, len, &ss, &e)) {
				printf("%4zuMiB %4u: %s\n", sizes_mib[s], ns[i], e.msg);
				node_codec_free(c);
				continue;
			}
			int runs = len <= (1u << 20) ? 10 : 3;
			struct timing ours = bench_ours(c, blob, len, runs);
			bool gf16 = node_codec_encoding_type(c) == NODE_ENCODING_RS16;
			struct timing raw = gf16 ? bench_raw16(p, blob, len, runs)
						 : bench_raw(p, blob, len, runs * 3);
			double mb = (double)len / 1e6;
			struct timing h = bench_hash_limit(p->n, ss, runs);
			struct timing lim = {h.wall + raw.wall, h.cpu + raw.cpu};
			double hashed = (double)p->n * p->n * ss / (double)len;
			printf("%4zuMiB %4u %5s %4u %4u %6u | %9.1f %9.1f | %9.1f %9.1f | %6.1fx %6.1fx | "
			       "%5.2fx | %9.1f %9.1f | %6.2f %6.2f\n",
			       sizes_mib[s], p->n, gf16 ? "2^16" : "2^8", p->k_primary, p->k_secondary,
			       ss, mb / ours.wall,
			       mb / ours.cpu, mb / raw.wall, mb / raw.cpu, ours.wall / raw.wall,
			       ours.cpu / raw.cpu, hashed, mb / lim.wall, mb / lim.cpu,
			       lim.wall / ours.wall, lim.cpu / ours.cpu);
			fflush(stdout);
			node_codec_free(c);
		}
	}
	printf("MB/s of blob bytes, best of several runs; wall = elapsed, cpu = CPU seconds of all "
	       "threads.\nratio = ours time / raw time; hashed = expanded bytes hashed per blob "
	       "byte (n^2 * symbol / size).\nlim = the limit: the n^2 leaf hashes with the multi-lane "
	       "BLAKE2b (audit/b2many.h) on every CPU, plus the raw encode; of l = our speed as a "
	       "fraction of it (goal >= 0.5 for sizes >= 1 MiB at n = 100, 255 and 1000).\n");
	free(blob);
	return 0;
}
