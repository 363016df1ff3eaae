/* gf16.h: arithmetic in GF(2^16) and the region products that encoder.c's GF(2^16)
 * Reed-Solomon code is made of.
 *
 * The field is GF(2)[x] / (x^16 + x^12 + x^3 + x + 1) (0x1100b, primitive: x generates the
 * 65535 non-zero elements). A region is a run of 16-bit little-endian words, so its length
 * in bytes is even; symbol sizes always are (audit_symbol_size()).
 *
 * A region product applies a fixed matrix m (rows × cols, row-major) to cols source
 * regions: dst[r] = Σ_c m[r][c] · src[c], word by word. node_gf16_matrix_new() prepares
 * per-coefficient tables once for the best kernel the CPU has: with GFNI, four 8 × 8 bit
 * blocks (32 bytes; a word times c is four GF2P8AFFINEQB products); with AVX2, the
 * products of each of a word's four nibbles split into low and high bytes (128 bytes, for
 * 16-byte PSHUFB lookups); otherwise none, and the portable kernel builds two 256-entry
 * split tables (low byte, high byte) per coefficient as it goes.
 */
#ifndef ASSAY_NODE_GF16_H
#define ASSAY_NODE_GF16_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

uint16_t node_gf16_mul(uint16_t a, uint16_t b);
/* The multiplicative inverse of a non-zero element (a broken invariant aborts on 0). */
uint16_t node_gf16_inv(uint16_t a);

struct node_gf16_matrix;
/* Tables for m (rows × cols, copied). rows or cols may be 0. */
struct node_gf16_matrix *node_gf16_matrix_new(const uint16_t *m, size_t rows, size_t cols);
void node_gf16_matrix_free(struct node_gf16_matrix *t);
/* dst[i] = Σ_c m[first + i][c] · src[c] for i in [0, count), len bytes each (even). The
 * destinations must not overlap the sources. Thread-safe on a shared matrix. */
void node_gf16_matrix_apply(const struct node_gf16_matrix *t, size_t first, size_t count,
			    const uint8_t *const *src, uint8_t *const *dst, size_t len);

/* Invert the k × k matrix a (row-major) into inv by Gauss-Jordan elimination; false if
 * singular. a is left unchanged. */
bool node_gf16_invert(const uint16_t *a, uint16_t *inv, size_t k);

/* The kernel region products use: the best the CPU has, at most the one set with
 * node_gf16_set_kernel() (the tests compare them; it returns the previous setting). A
 * matrix gets the tables of the kernel in use when it is created, and falls back to the
 * portable kernel if another is asked for later. */
enum node_gf16_kernel { NODE_GF16_PORTABLE, NODE_GF16_AVX2, NODE_GF16_GFNI };
enum node_gf16_kernel node_gf16_kernel(void);
enum node_gf16_kernel node_gf16_set_kernel(enum node_gf16_kernel k);
const char *node_gf16_kernel_name(enum node_gf16_kernel k);

#endif
