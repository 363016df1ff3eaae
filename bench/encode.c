/* encode.c: throughput of the reference blob encoder (node/encoder.h) beside ISA-L's raw
 * ec_encode_data on the same bytes.
 *
 * "raw" is a one-dimensional RS(n, k_p) code: the blob cut into k = k_p fragments, m =
 * n - k_p parity fragments, one ec_encode_data call: the floor any erasure-coding store
 * pays. "ours" is the whole node_encode(): primary and secondary slivers, the full n × n
 * expansion, n² BLAKE2b-256 Merkle leaves and 2n roots, and the blob ID, i.e. what a
 * publisher must do before anything can be uploaded. MB/s are blob bytes (10^6) per second,
 * best of several runs.
 *
 *   usage: bench_encode [MAX_MIB]   (sizes 1, 16, 64 MiB up to MAX_MIB; default 64) */
#include <isa-l/erasure_code.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit/blob.h"
#include "core/err.h"
#include "core/util.h"
#include "node/encoder.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double bench_ours(const struct node_codec *c, const uint8_t *blob, size_t len, int runs)
{
	double best = 1e30;
	for (int r = 0; r < runs; r++) {
		struct node_blob *b = NULL;
		struct err e = {{0}};
		double t0 = now_s();
		if (!node_encode(c, blob, len, &b, &e)) {
			fprintf(stderr, "bench_encode: %s\n", e.msg);
			exit(1);
		}
		double t = now_s() - t0;
		node_blob_free(b);
		if (t < best)
			best = t;
	}
	return best;
}

static double bench_raw(const struct audit_params *p, const uint8_t *blob, size_t len, int runs)
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
	double best = 1e30;
	for (int r = 0; r < runs; r++) {
		double t0 = now_s();
		/* The table setup is part of the raw cost, as it is of ours. */
		gf_gen_cauchy1_matrix(gen, k + m, k);
		if (m) {
			ec_init_tables(k, m, gen + (size_t)k * (size_t)k, tbls);
			ec_encode_data((int)frag, k, m, tbls, src, dst);
		}
		double t = now_s() - t0;
		if (t < best)
			best = t;
	}
	free(data);
	free(parity);
	free(gen);
	free(tbls);
	free(src);
	free(dst);
	return best;
}

int main(int argc, char **argv)
{
	unsigned long max_mib = argc > 1 ? strtoul(argv[1], NULL, 10) : 64;
	static const size_t sizes_mib[] = {1, 16, 64};
	static const uint32_t ns[] = {10, 100, 255};
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

	printf("assay blob encoder (2-D RS over GF(2^8) + Merkle, node_encode) vs ISA-L ec_encode_data "
	       "RS(n, k_p)\n");
	printf("%6s %4s %4s %4s %7s %14s %14s %8s %12s\n", "size", "n", "k_p", "k_s", "symbol",
	       "ours MB/s", "isa-l MB/s", "ratio", "hashed/blob");
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
			double ours = bench_ours(c, blob, len, runs);
			double raw = bench_raw(p, blob, len, runs * 3);
			double mb = (double)len / 1e6;
			double hashed = (double)p->n * p->n * ss / (double)len;
			printf("%4zuMiB %4u %4u %4u %7u %14.1f %14.1f %7.1fx %11.2fx\n", sizes_mib[s],
			       p->n, p->k_primary, p->k_secondary, ss, mb / ours, mb / raw, ours / raw,
			       hashed);
			fflush(stdout);
			node_codec_free(c);
		}
	}
	printf("ratio = ours time / ISA-L time; hashed/blob = bytes of expanded symbols hashed per "
	       "blob byte (n^2 * symbol / size)\n");
	free(blob);
	return 0;
}
