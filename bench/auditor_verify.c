/* auditor_verify.c: what checking one recovery symbol costs (Merkle path of ceil(log2 n)
 * BLAKE2b hashes plus the leaf) beside plain BLAKE2b over the same symbol bytes.
 *   bench_auditor_verify [n] [symbol_size] */
#include <blake2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "audit/merkle.h"
#include "audit/symbol.h"
#include "core/err.h"

int main(int argc, char **argv)
{
	uint64_t n = 1000, ss = 2048;
	if (argc > 1 && !parse_u64(argv[1], &n))
		return 2;
	if (argc > 2 && !parse_u64(argv[2], &ss))
		return 2;
	/* One primary sliver row of n symbols; a symbol of it, proven at leaf `target`. */
	uint8_t *row = xmalloc((size_t)(n * ss));
	for (size_t i = 0; i < n * ss; i++)
		row[i] = (uint8_t)(i * 131 + 7);
	struct audit_merkle_tree *t = audit_merkle_tree_new_fixed(row, (size_t)ss, (size_t)n);
	struct audit_metadata *md = audit_metadata_new((uint32_t)n);
	md->encoding_type = AUDIT_ENCODING_RS2;
	struct audit_params p;
	struct err e;
	if (!audit_params_init(&p, (uint32_t)n, &e))
		return 1;
	md->unencoded_length = (uint64_t)p.k_primary * p.k_secondary * ss;
	uint32_t pair = 3, target = (uint32_t)(n / 2);
	audit_merkle_tree_root(t, md->hashes[pair].primary.digest);
	md->hashes[pair].primary.present = true;
	struct audit_node path[AUDIT_MERKLE_MAX_DEPTH];
	size_t plen = 0;
	audit_merkle_tree_proof(t, target, path, &plen);
	struct audit_recovery_symbol sym = {AUDIT_TAG_SECONDARY, (uint16_t)pair, (uint16_t)target,
					    row + (size_t)target * ss, (size_t)ss, path, plen};
	struct audit_symbol_id id = {(uint16_t)pair, (uint16_t)target};
	const int iters = 200000;
	uint64_t t0 = now_ms();
	for (int i = 0; i < iters; i++) {
		if (audit_symbol_verify(md, id, AUDIT_AXIS_PRIMARY, &sym, &e) != AUDIT_SYMBOL_PASS) {
			fprintf(stderr, "verify failed: %s\n", e.msg);
			return 1;
		}
	}
	uint64_t t1 = now_ms();
	uint8_t out[32];
	for (int i = 0; i < iters; i++)
		blake2b(out, sym.data, NULL, 32, sym.data_len, 0);
	uint64_t t2 = now_ms();
	/* As the auditor checks an answer: 8 symbols of one sliver, leaves and paths side by
	 * side (audit_symbols_verify_list). */
	enum { LIST = 8 };
	struct audit_recovery_symbol items[LIST];
	struct audit_node paths[LIST][AUDIT_MERKLE_MAX_DEPTH];
	struct audit_symbol_id ids[LIST];
	enum audit_symbol_verdict verdicts[LIST];
	for (size_t i = 0; i < LIST; i++) {
		uint32_t tg = (uint32_t)((target + i * 37) % n);
		size_t pl = 0;
		audit_merkle_tree_proof(t, tg, paths[i], &pl);
		items[i] = (struct audit_recovery_symbol){AUDIT_TAG_SECONDARY, (uint16_t)pair,
							  (uint16_t)tg, row + (size_t)tg * ss,
							  (size_t)ss, paths[i], pl};
		ids[i] = (struct audit_symbol_id){(uint16_t)pair, (uint16_t)tg};
	}
	struct audit_recovery_symbols list = {items, LIST, false};
	uint64_t t3 = now_ms();
	for (int i = 0; i < iters / LIST; i++) {
		if (audit_symbols_verify_list(md, ids, LIST, AUDIT_AXIS_PRIMARY, &list, verdicts, NULL) !=
		    LIST) {
			fprintf(stderr, "list verify failed\n");
			return 1;
		}
	}
	uint64_t t4 = now_ms();
	double v = (double)(t1 - t0) * 1e6 / iters, b = (double)(t2 - t1) * 1e6 / iters;
	double vl = (double)(t4 - t3) * 1e6 / (iters / LIST * LIST);
	printf("n = %llu, symbol %llu bytes, proof %zu nodes\n", (unsigned long long)n,
	       (unsigned long long)ss, plen);
	printf("verify one symbol:        %8.0f ns\n", v);
	printf("BLAKE2b over its bytes:   %8.0f ns\n", b);
	printf("ratio verify / BLAKE2b:   %8.2f  (the path adds %zu 65-byte hashes)\n", v / b, plen);
	printf("verify in an answer of %d:  %8.0f ns a symbol (side by side), %.2f of BLAKE2b\n",
	       LIST, vl, vl / b);
	audit_merkle_tree_free(t);
	audit_metadata_free(md);
	free(row);
	return 0;
}
