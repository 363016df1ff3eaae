/* encode.c: throughput of the reference blob encoder (node/encoder.h) beside ISA-L's raw
 * ec_encode_data on the same bytes.
 *
 * "raw" is a one-dimensional RS(n, k_p) code: the blob cut into k = k_p fragments, m =
 * n - k_p parity fragments, ec_encode_data over cache-sized bands of them: the floor any
 * erasure-coding store pays. "ours" is the whole node_encode(): primary and secondary slivers, the full n × n
 * expansion, n² BLAKE2b-256 Merkle leaves and 2n roots, and the blob ID, i.e. what a
 * publisher must do before anything can be uploaded. MB/s are blob bytes (10^6) per second,
 * best of several runs, by elapsed time and by CPU time (the second is what to compare on a
 * shared machine).
 *
 *   usage: bench_encode [MAX_MIB [N ...]]   (sizes 1, 4, 16, 64 MiB up to MAX_MIB, default
 *                                            64; n = 100, 255, 1000 unless given)
 *
 * n <= 255 use the GF(2^8) code (encoding type 2) and ISA-L is the raw reference;
 * n > 255 use the GF(2^16) code (encoding type 3: GF(2^8) stops at 255 shards), and the raw
 * reference is the same one-dimensional RS(n, k_p) encode with node/gf16.h's region
 * product (ISA-L has no GF(2^16) code). */
#include <isa-l/erasure_code.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/b2many.h"
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
			/* ISA-L at its best: bands whose k source pieces stay in the core's cache
			 * while it makes the m parity pieces six at a time (one call on whole
			 * fragments streams them from memory m / 6 times). */
			size_t band = (256u << 10) / (size_t)k / 32 * 32;
			band = band < 32 ? 32 : band;
			for (size_t at = 0; at < frag; at += band) {
				uint8_t *s[256], *d[256];
				for (int i = 0; i < k; i++)
					s[i] = src[i] + at;
				for (int i = 0; i < m; i++)
					d[i] = dst[i] + at;
				ec_encode_data((int)(frag - at < band ? frag - at : band), k, m, tbls, s, d);
			}
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

/* The hashing limit: every BLAKE2b-256 compression the format makes a publisher compute,
 * with the project's fastest BLAKE2b (audit/b2many.h) on every CPU:
 *   leaves: n² symbols of ss bytes, H(0x00 ‖ symbol): ⌈(ss + 1) / 128⌉ compressions each
 *           (hashed as the encoder hashes them, through audit_merkle_leaf_hashes);
 *   inner:  2n trees (n rows, n columns of M) of n leaves, each n - 1 + (padding) inner
 *           nodes H(0x01 ‖ left ‖ right), one compression each (65 bytes), hashed 64 at a
 *           time from one buffer (the best case: full lanes, no gathering).
 * For small symbols the inner nodes cost as much as the leaves or more (at n = 1000 and
 * 6-byte symbols: 1.0 M leaf compressions, 2.0 M inner ones), so a limit of leaves alone
 * would be out of reach in principle. Each thread takes its share of rows and of trees. */
struct hash_job {
	const uint8_t *row;
	size_t n, ss, rows, trees;
};

static size_t inner_per_tree(size_t n)
{
	size_t total = 0;
	while (n > 1) {
		n = (n + 1) / 2;
		total += n;
	}
	return total;
}

static void *hash_rows(void *arg)
{
	enum { BATCH = 64 };
	const struct hash_job *j = arg;
	uint8_t (*out)[AUDIT_DIGEST_LEN] = xmalloc(j->n * AUDIT_DIGEST_LEN);
	for (size_t r = 0; r < j->rows; r++)
		audit_merkle_leaf_hashes(out, j->row, j->ss, j->n);
	size_t inner = j->trees * inner_per_tree(j->n);
	uint8_t pairs[BATCH][2 * AUDIT_DIGEST_LEN], digests[BATCH][AUDIT_DIGEST_LEN];
	struct audit_b2_msg m[BATCH];
	memcpy(pairs, j->row, sizeof(pairs) < j->n * j->ss ? sizeof(pairs) : j->n * j->ss);
	for (size_t t = 0; t < BATCH; t++)
		m[t] = (struct audit_b2_msg){pairs[t], sizeof(pairs[t]), true, 0x01, digests[t]};
	for (size_t i = 0; i < inner; i += BATCH)
		audit_b2_many(m, inner - i < BATCH ? inner - i : BATCH);
	free(out);
	return NULL;
}

static struct timing bench_hash_limit(size_t n, size_t ss, int runs)
{
	enum { MAXT = 16 };
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	size_t threads = cpus < 1 ? 1 : cpus > MAXT ? MAXT : (size_t)cpus;
	uint8_t *row = xcalloc(n * ss + 2 * AUDIT_DIGEST_LEN * 64, 1);
	for (size_t i = 0; i < n * ss; i++)
		row[i] = (uint8_t)(i * 167 + 13);
	struct timing best = {1e30, 1e30};
	for (int r = 0; r < runs; r++) {
		struct hash_job jobs[MAXT];
		pthread_t tid[MAXT];
		struct timing t0 = start();
		for (size_t t = 0; t < threads; t++) {
			jobs[t] = (struct hash_job){row, n, ss,
						    n * (t + 1) / threads - n * t / threads,
						    2 * n * (t + 1) / threads - 2 * n * t / threads};
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

/* BLAKE2b compressions of the format for n shards and ss-byte symbols: leaves, inner. */
static void compressions(size_t n, size_t ss, double *leaves, double *inner)
{
	*leaves = (double)n * (double)n * (double)((ss + 1 + 127) / 128);
	*inner = 2.0 * (double)n * (double)inner_per_tree(n);
}

/* kB of /proc/self/status's field ("VmRSS:", "VmHWM:"), or -1. */
static long status_kb(const char *field)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long kb = -1;
	size_t fl = strlen(field);
	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, fl)) {
			kb = strtol(line + fl, NULL, 10);
			break;
		}
	if (f)
		fclose(f);
	return kb;
}

/* Peak RSS one node_encode() adds to the process, per blob byte: the peak is reset first
 * (/proc/self/clear_refs, "5") and the RSS before is subtracted, so the blob the encoder is
 * given is not counted; -1 if the kernel cannot say. */
static double encode_rss_per_byte(const struct node_codec *c, const uint8_t *blob, size_t len)
{
	FILE *f = fopen("/proc/self/clear_refs", "w");
	if (!f || fputs("5", f) < 0 || fclose(f) != 0)
		return -1;
	long before = status_kb("VmRSS:");
	struct node_blob *b = NULL;
	struct err e = {{0}};
	if (!node_encode(c, blob, len, &b, &e)) {
		fprintf(stderr, "bench_encode: %s\n", e.msg);
		exit(1);
	}
	long peak = status_kb("VmHWM:");
	node_blob_free(b);
	if (before < 0 || peak < 0)
		return -1;
	return (double)(peak - before) * 1024.0 / (double)len;
}

/* A whole number in [lo, hi]. */
static bool parse_size_arg(const char *s, unsigned long lo, unsigned long hi, unsigned long *out)
{
	uint64_t v;
	if (!parse_u64(s, &v) || v < lo || v > hi)
		return false;
	*out = (unsigned long)v;
	return true;
}

int main(int argc, char **argv)
{
	static const size_t all_sizes[] = {1, 4, 16, 64};
	static const uint32_t default_ns[] = {100, 255, 1000};
	uint32_t ns[16];
	size_t nns = 0;
	unsigned long max_mib = 64;
	if (argc > 1 && !parse_size_arg(argv[1], 1, 1u << 20, &max_mib)) {
		fprintf(stderr, "usage: %s [MAX_MIB >= 1 [N ...]]\n", argv[0]);
		return 2;
	}
	for (int a = 2; a < argc; a++) {
		unsigned long n;
		if (nns == ARRAY_LEN(ns) || !parse_size_arg(argv[a], 1, NODE_MAX_SHARDS, &n)) {
			fprintf(stderr, "%s: N must be 1 to %u shards (at most %zu of them), not %s\n",
				argv[0], NODE_MAX_SHARDS, ARRAY_LEN(ns), argv[a]);
			return 2;
		}
		ns[nns++] = (uint32_t)n;
	}
	if (!nns) {
		memcpy(ns, default_ns, sizeof(default_ns));
		nns = ARRAY_LEN(default_ns);
	}
	/* Large buffers always mmap'd and returned on free, so each cell's peak RSS is its own. */
	mallopt(M_MMAP_THRESHOLD, 1 << 17);
	size_t biggest = 0;
	for (size_t s = 0; s < ARRAY_LEN(all_sizes); s++)
		if (all_sizes[s] <= max_mib)
			biggest = all_sizes[s] << 20;
	uint8_t *blob = xmalloc(biggest);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < biggest; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		blob[i] = (uint8_t)x;
	}

	printf("assay blob encoder (2-D RS + Merkle, node_encode, %ld CPUs) vs a raw RS(n, k_p) "
	       "encode: ISA-L ec_encode_data for GF(2^8), node/gf16.h for GF(2^16) (%s kernel)\n"
	       "limit = every BLAKE2b compression the format requires (n^2 leaves + 2n trees of "
	       "inner nodes) with the multi-lane BLAKE2b on every CPU, plus the raw RS encode\n",
	       sysconf(_SC_NPROCESSORS_ONLN), node_gf16_kernel_name(node_gf16_kernel()));
	printf("%6s %4s %5s %4s %4s %6s | %9s %9s | %9s %9s | %6s %5s %5s | %9s %9s | %6s %6s | %5s\n",
	       "size", "n", "field", "k_p", "k_s", "symbol", "ours wall", "ours cpu", "raw wall",
	       "raw cpu", "hashed", "leafC", "innC", "lim wall", "lim cpu", "of l w", "of l c",
	       "RSS/B");
	for (size_t s = 0; s < ARRAY_LEN(all_sizes); s++) {
		if (all_sizes[s] > max_mib)
			continue;
		size_t len = all_sizes[s] << 20;
		for (size_t i = 0; i < nns; i++) {
			struct node_codec *c = NULL;
			struct err e = {{0}};
			if (!node_codec_new(ns[i], &c, &e)) {
				fprintf(stderr, "bench_encode: %s\n", e.msg);
				return 1;
			}
			const struct audit_params *p = node_codec_params(c);
			uint16_t ss;
			if (!audit_symbol_size(p, len, &ss, &e)) {
				printf("%4zuMiB %4u: %s\n", all_sizes[s], ns[i], e.msg);
				node_codec_free(c);
				continue;
			}
			int runs = len <= (1u << 20) ? 7 : len <= (4u << 20) ? 4 : 2;
			double rss = encode_rss_per_byte(c, blob, len);
			struct timing ours = bench_ours(c, blob, len, runs);
			bool gf16 = node_codec_encoding_type(c) == NODE_ENCODING_RS16;
			struct timing raw = gf16 ? bench_raw16(p, blob, len, runs)
						 : bench_raw(p, blob, len, runs * 3);
			double mb = (double)len / 1e6;
			struct timing h = bench_hash_limit(p->n, ss, runs);
			struct timing lim = {h.wall + raw.wall, h.cpu + raw.cpu};
			double hashed = (double)p->n * p->n * ss / (double)len, leafc, innerc;
			compressions(p->n, ss, &leafc, &innerc);
			printf("%4zuMiB %4u %5s %4u %4u %6u | %9.1f %9.1f | %9.1f %9.1f | %5.2fx %4.2fM "
			       "%4.2fM | %9.1f %9.1f | %6.2f %6.2f | %5.2f\n",
			       all_sizes[s], p->n, gf16 ? "2^16" : "2^8", p->k_primary, p->k_secondary,
			       ss, mb / ours.wall, mb / ours.cpu, mb / raw.wall, mb / raw.cpu, hashed,
			       leafc / 1e6, innerc / 1e6, mb / lim.wall, mb / lim.cpu,
			       lim.wall / ours.wall, lim.cpu / ours.cpu, rss);
			fflush(stdout);
			node_codec_free(c);
		}
	}
	printf("MB/s of blob bytes, best of several runs; wall = elapsed, cpu = CPU seconds of all "
	       "threads (compare cpu on a loaded machine).\nhashed = expanded bytes hashed per "
	       "blob byte (n^2 * symbol / size); leafC, innC = BLAKE2b compressions for the leaves "
	       "and the inner nodes.\nlim = the limit above; of l = our speed as a fraction of it "
	       "(goal >= 0.5 for sizes >= 1 MiB at n = 100, 255 and 1000).\nThe format's RS work is "
	       "n/k_s + (n-k_s)/(n-k_p) = about 2 x the raw encode (every row of M expanded, plus "
	       "the secondary parity), so where RS outweighs hashing the ratio tops out near 0.5-0.6."
	       "\nRSS/B = peak RSS that "
	       "one node_encode() adds, per blob byte (the blob it is given not counted).\n");
	free(blob);
	return 0;
}
