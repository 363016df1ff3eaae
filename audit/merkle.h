/* merkle.h: the Walrus Merkle tree (BLAKE2b-256).
 *
 * leaf = H(0x00 ‖ data), inner = H(0x01 ‖ left ‖ right). A level with an odd number of
 * nodes gets an empty right sibling that hashes as 32 zero bytes; the tree of no leaves has
 * the all-zero root. A proof is the sibling path bottom-up; a padding sibling is the Empty
 * node (0x00 on the wire). */
#ifndef ASSAY_AUDIT_MERKLE_H
#define ASSAY_AUDIT_MERKLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/bcs.h"
#include "core/util.h"

struct audit_b2_msg;

struct err;

/* Deepest path we ever build or accept (trees of up to 2^32 leaves). */
#define AUDIT_MERKLE_MAX_DEPTH 32u

void audit_merkle_leaf_hash(uint8_t out[AUDIT_DIGEST_LEN], const uint8_t *data, size_t len);
void audit_merkle_inner_hash(uint8_t out[AUDIT_DIGEST_LEN], const uint8_t left[AUDIT_DIGEST_LEN],
			     const uint8_t right[AUDIT_DIGEST_LEN]);
/* The leaf hashes of n leaves of leaf_len bytes stored back to back (the symbols of a
 * sliver, a row of the encoder's matrix), hashed side by side (audit/b2many.h). */
void audit_merkle_leaf_hashes(uint8_t (*out)[AUDIT_DIGEST_LEN], const uint8_t *leaves,
			      size_t leaf_len, size_t n);
/* ceil(log2 n): the length of every proof in a tree of n leaves (0 for n <= 1). */
unsigned audit_merkle_depth(size_t n_leaves);

/* Root over n leaf hashes, without keeping the tree. n may be 0 (root = zeros). */
void audit_merkle_root_from_hashes(uint8_t root[AUDIT_DIGEST_LEN],
				   const uint8_t (*leaf_hashes)[AUDIT_DIGEST_LEN], size_t n);
/* Roots of `count` trees of n leaves each, tree t's leaf j hash at
 * leaf_hashes[t · tree_stride + j · leaf_stride] (rows of a matrix of leaf hashes: strides n
 * and 1; its columns: 1 and n), into roots[t]. The trees are hashed level by level side by
 * side, a group at a time, so that even the top levels fill the lanes of audit/b2many.h. */
void audit_merkle_roots_many(uint8_t (*roots)[AUDIT_DIGEST_LEN],
			     const uint8_t (*leaf_hashes)[AUDIT_DIGEST_LEN], size_t n, size_t count,
			     size_t tree_stride, size_t leaf_stride);
/* Root over n leaves of leaf_len bytes each, stored back to back (symbols of a sliver). */
void audit_merkle_root_fixed(uint8_t root[AUDIT_DIGEST_LEN], const uint8_t *leaves,
			     size_t leaf_len, size_t n);

/* A whole tree, for making proofs (a storage node answering recovery-symbol requests). */
struct audit_merkle_tree;
struct audit_merkle_tree *audit_merkle_tree_new(const uint8_t (*leaf_hashes)[AUDIT_DIGEST_LEN],
						size_t n);
struct audit_merkle_tree *audit_merkle_tree_new_fixed(const uint8_t *leaves, size_t leaf_len,
						      size_t n);
void audit_merkle_tree_free(struct audit_merkle_tree *t);
size_t audit_merkle_tree_leaves(const struct audit_merkle_tree *t);
void audit_merkle_tree_root(const struct audit_merkle_tree *t, uint8_t root[AUDIT_DIGEST_LEN]);
/* Writes the path for leaf `index` (< n) into path[AUDIT_MERKLE_MAX_DEPTH] and its length
 * (audit_merkle_depth(n)) into *path_len. Padding siblings come out Empty. */
void audit_merkle_tree_proof(const struct audit_merkle_tree *t, size_t index,
			     struct audit_node *path, size_t *path_len);

/* The most levels a tree may drop: a proof then hashes at most 2^6 leaves again. */
#define AUDIT_MERKLE_MAX_SKIP 6u
/* Frees the lowest `levels` levels (at most AUDIT_MERKLE_MAX_SKIP, at most the depth): a
 * tree of n leaves keeps about 2n / 2^levels nodes instead of 2n. Its proofs then come from
 * audit_merkle_tree_proof_fixed(), which hashes the leaf's block of 2^levels leaves again. */
void audit_merkle_tree_drop_levels(struct audit_merkle_tree *t, unsigned levels);
/* What the tree holds in memory. */
size_t audit_merkle_tree_bytes(const struct audit_merkle_tree *t);
/* audit_merkle_tree_proof() for a tree of fixed-size leaves that may have dropped levels:
 * `leaves` are the n leaves it was built from, back to back (NULL if it dropped none). */
void audit_merkle_tree_proof_fixed(const struct audit_merkle_tree *t, const uint8_t *leaves,
				   size_t leaf_len, size_t index, struct audit_node *path,
				   size_t *path_len);

/* Checks that `data` is leaf `index` of a tree of n_leaves leaves with this root. Rejects an
 * index out of range, a path whose length is not ceil(log2 n) (in particular a longer
 * one), and a path with index >> len != 0. On failure e says which. */
bool audit_merkle_verify(const uint8_t root[AUDIT_DIGEST_LEN], size_t n_leaves, size_t index,
			 const uint8_t *data, size_t len, const struct audit_node *path,
			 size_t path_len, struct err *e) WARN_UNUSED;

/* The rules of audit_merkle_verify() that need no hashing (index in range, path of exactly
 * ceil(log2 n) nodes, index >> len == 0), with its error sentences. */
bool audit_merkle_check_shape(size_t n_leaves, size_t index, size_t path_len,
			      struct err *e) WARN_UNUSED;

/* One leaf and its path, for audit_merkle_climb_many(). */
struct audit_merkle_climb {
	const uint8_t *data;
	size_t len;
	size_t index;
	const struct audit_node *path;
	size_t path_len;
	uint8_t root[AUDIT_DIGEST_LEN]; /* out: where the path leads */
};
/* Hashes every leaf up its path (shapes already checked), all proofs side by side
 * (audit/b2many.h): what audit_merkle_verify() computes before comparing roots. */
void audit_merkle_climb_many(struct audit_merkle_climb *c, size_t n);
/* The same, with extra[0..nextra) (any messages, a response's whole body say) hashed in
 * the leaves' pass: the lanes stay full only with many messages, longest first. */
void audit_merkle_climb_many_with(struct audit_merkle_climb *c, size_t n,
				  const struct audit_b2_msg *extra, size_t nextra);

#endif
