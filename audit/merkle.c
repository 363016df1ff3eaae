/* merkle.c: BLAKE2b-256 Merkle trees as Walrus builds them (crates/walrus-core merkle.rs). */
#include "audit/merkle.h"

#include <blake2.h>
#include <stdlib.h>
#include <string.h>

#include "audit/b2many.h"
#include "core/err.h"

static const uint8_t zeros[AUDIT_DIGEST_LEN];

void audit_merkle_leaf_hash(uint8_t out[AUDIT_DIGEST_LEN], const uint8_t *data, size_t len)
{
	static const uint8_t prefix = 0x00;
	blake2b_state s;
	blake2b_init(&s, AUDIT_DIGEST_LEN);
	blake2b_update(&s, &prefix, 1);
	if (len)
		blake2b_update(&s, data, len);
	blake2b_final(&s, out, AUDIT_DIGEST_LEN);
}

void audit_merkle_inner_hash(uint8_t out[AUDIT_DIGEST_LEN], const uint8_t left[AUDIT_DIGEST_LEN],
			     const uint8_t right[AUDIT_DIGEST_LEN])
{
	uint8_t in[1 + 2 * AUDIT_DIGEST_LEN];
	in[0] = 0x01;
	memcpy(in + 1, left, AUDIT_DIGEST_LEN);
	memcpy(in + 1 + AUDIT_DIGEST_LEN, right, AUDIT_DIGEST_LEN);
	blake2b(out, in, NULL, AUDIT_DIGEST_LEN, sizeof(in), 0);
}

unsigned audit_merkle_depth(size_t n_leaves)
{
	unsigned d = 0;
	while (n_leaves > 1) {
		n_leaves = (n_leaves + 1) / 2;
		d++;
	}
	return d;
}

/* Hashes n messages of `len` bytes each, message i at data + i * stride with the domain
 * prefix, into out[i]: side by side (audit/b2many.h), a batch at a time. */
static void hash_strided(uint8_t (*out)[AUDIT_DIGEST_LEN], const uint8_t *data, size_t stride,
			 size_t len, uint8_t prefix, size_t n)
{
	enum { BATCH = 64 };
	struct audit_b2_msg m[BATCH];
	for (size_t i = 0; i < n;) {
		size_t take = n - i < BATCH ? n - i : BATCH;
		for (size_t t = 0; t < take; t++)
			m[t] = (struct audit_b2_msg){data + (i + t) * stride, len, true, prefix,
						     out[i + t]};
		audit_b2_many(m, take);
		i += take;
	}
}

void audit_merkle_leaf_hashes(uint8_t (*out)[AUDIT_DIGEST_LEN], const uint8_t *leaves,
			      size_t leaf_len, size_t n)
{
	hash_strided(out, leaves, leaf_len, leaf_len, 0x00, n);
}

/* One level of inner hashes: parent i = H(0x01 ‖ in[2i] ‖ in[2i+1]) (the two children are
 * adjacent, so one message), the last one with an all-zero right sibling when the level is
 * odd. `out` must not overlap `in`: a level's hashes run side by side. Returns the number
 * of parents. */
static size_t merkle_level(uint8_t (*out)[AUDIT_DIGEST_LEN], const uint8_t (*in)[AUDIT_DIGEST_LEN],
			   size_t n)
{
	size_t full = n / 2;
	hash_strided(out, in[0], 2 * AUDIT_DIGEST_LEN, 2 * AUDIT_DIGEST_LEN, 0x01, full);
	if (n % 2)
		audit_merkle_inner_hash(out[full], in[n - 1], zeros);
	return (n + 1) / 2;
}

/* The tree is stored level by level from the leaves up, every level padded to an even
 * count with an all-zero node (so padding siblings are recognizable for proofs). */
struct audit_merkle_tree {
	size_t n_leaves;
	unsigned skip;   /* the lowest levels not kept (audit_merkle_tree_drop_levels) */
	size_t n_nodes;  /* kept: from level `skip` up */
	uint8_t (*nodes)[AUDIT_DIGEST_LEN];
	bool *padding; /* nodes[i] is a padding node (Empty on the wire) */
};

static size_t count_nodes(size_t n)
{
	size_t total = 0;
	while (n > 1) {
		n += n % 2;
		total += n;
		n /= 2;
	}
	return total + n;
}

struct audit_merkle_tree *audit_merkle_tree_new(const uint8_t (*leaf_hashes)[AUDIT_DIGEST_LEN],
						size_t n)
{
	struct audit_merkle_tree *t = xcalloc(1, sizeof(*t));
	t->n_leaves = n;
	t->n_nodes = count_nodes(n);
	t->nodes = xcalloc(t->n_nodes ? t->n_nodes : 1, AUDIT_DIGEST_LEN);
	t->padding = xcalloc(t->n_nodes ? t->n_nodes : 1, sizeof(bool));
	if (n)
		memcpy(t->nodes, leaf_hashes, n * AUDIT_DIGEST_LEN);
	size_t base = 0, level = n, next = n;
	while (level > 1) {
		if (level % 2) {
			/* nodes[next] is already zero from xcalloc */
			t->padding[next++] = true;
			level++;
		}
		/* the level is even now (padded), so every parent has two children */
		next += merkle_level(t->nodes + next,
				     (const uint8_t(*)[AUDIT_DIGEST_LEN])(t->nodes + base), level);
		base += level;
		level /= 2;
	}
	ASSAY_ASSERT(next == t->n_nodes);
	return t;
}

struct audit_merkle_tree *audit_merkle_tree_new_fixed(const uint8_t *leaves, size_t leaf_len,
						      size_t n)
{
	uint8_t (*h)[AUDIT_DIGEST_LEN] = xcalloc(n ? n : 1, AUDIT_DIGEST_LEN);
	audit_merkle_leaf_hashes(h, leaves, leaf_len, n);
	struct audit_merkle_tree *t = audit_merkle_tree_new((const uint8_t(*)[AUDIT_DIGEST_LEN])h, n);
	free(h);
	return t;
}

void audit_merkle_tree_free(struct audit_merkle_tree *t)
{
	if (!t)
		return;
	free(t->nodes);
	free(t->padding);
	free(t);
}

size_t audit_merkle_tree_leaves(const struct audit_merkle_tree *t)
{
	return t->n_leaves;
}

void audit_merkle_tree_root(const struct audit_merkle_tree *t, uint8_t root[AUDIT_DIGEST_LEN])
{
	if (t->n_nodes == 0)
		memset(root, 0, AUDIT_DIGEST_LEN);
	else
		memcpy(root, t->nodes[t->n_nodes - 1], AUDIT_DIGEST_LEN);
}

void audit_merkle_tree_drop_levels(struct audit_merkle_tree *t, unsigned levels)
{
	unsigned depth = audit_merkle_depth(t->n_leaves);
	if (levels > AUDIT_MERKLE_MAX_SKIP)
		levels = AUDIT_MERKLE_MAX_SKIP;
	if (levels > depth)
		levels = depth;
	if (levels <= t->skip)
		return;
	/* The kept levels start where the dropped ones end, each of those padded to even. */
	size_t drop = 0, level = t->n_leaves;
	for (unsigned l = 0; l < depth; l++, level = (level + 1) / 2) {
		if (l < t->skip)
			continue;
		if (l == levels)
			break;
		drop += level + level % 2;
	}
	t->n_nodes -= drop;
	memmove(t->nodes, t->nodes + drop, t->n_nodes * AUDIT_DIGEST_LEN);
	memmove(t->padding, t->padding + drop, t->n_nodes * sizeof(bool));
	t->nodes = xrealloc(t->nodes, t->n_nodes * AUDIT_DIGEST_LEN);
	t->padding = xrealloc(t->padding, t->n_nodes * sizeof(bool));
	t->skip = levels;
}

size_t audit_merkle_tree_bytes(const struct audit_merkle_tree *t)
{
	return sizeof(*t) + t->n_nodes * (AUDIT_DIGEST_LEN + sizeof(bool));
}

void audit_merkle_tree_proof(const struct audit_merkle_tree *t, size_t index,
			     struct audit_node *path, size_t *path_len)
{
	ASSAY_ASSERT(t->skip == 0);
	audit_merkle_tree_proof_fixed(t, NULL, 0, index, path, path_len);
}

void audit_merkle_tree_proof_fixed(const struct audit_merkle_tree *t, const uint8_t *leaves,
				   size_t leaf_len, size_t index, struct audit_node *path,
				   size_t *path_len)
{
	ASSAY_ASSERT(index < t->n_leaves);
	size_t len = 0, level = t->n_leaves, idx = index;
	if (t->skip) {
		/* The dropped levels of index's aligned block of 2^skip leaves, hashed again
		 * from the leaves: h[] holds the block's nodes of the current level, all real
		 * (a block is cut short only by its level's end, where the padding is). */
		ASSAY_ASSERT(leaves != NULL);
		uint8_t h[1u << AUDIT_MERKLE_MAX_SKIP][AUDIT_DIGEST_LEN];
		size_t span = (size_t)1 << t->skip, first = index & ~(span - 1);
		size_t have = t->n_leaves - first < span ? t->n_leaves - first : span;
		audit_merkle_leaf_hashes(h, leaves + first * leaf_len, leaf_len, have);
		for (unsigned l = 0; l < t->skip; l++) {
			size_t sib = idx ^ 1u;
			path[len].present = sib < level;
			memcpy(path[len].digest, sib < level ? h[sib - first] : zeros,
			       AUDIT_DIGEST_LEN);
			len++;
			for (size_t p = 0; 2 * p < have; p++)
				audit_merkle_inner_hash(h[p], h[2 * p],
							2 * p + 1 < have ? h[2 * p + 1] : zeros);
			have = (have + 1) / 2;
			first /= 2;
			idx /= 2;
			level = (level + 1) / 2;
		}
	}
	size_t base = 0;
	while (level > 1) {
		level += level % 2;
		size_t sib = base + (idx % 2 ? idx - 1 : idx + 1);
		ASSAY_ASSERT(len < AUDIT_MERKLE_MAX_DEPTH);
		path[len].present = !t->padding[sib];
		memcpy(path[len].digest, t->nodes[sib], AUDIT_DIGEST_LEN);
		len++;
		idx /= 2;
		base += level;
		level /= 2;
	}
	*path_len = len;
}

void audit_merkle_root_from_hashes(uint8_t root[AUDIT_DIGEST_LEN],
				   const uint8_t (*leaf_hashes)[AUDIT_DIGEST_LEN], size_t n)
{
	if (n <= 1) {
		memcpy(root, n ? leaf_hashes[0] : zeros, AUDIT_DIGEST_LEN);
		return;
	}
	/* Level by level between two scratch halves (a level's hashes run side by side, so
	 * parents cannot overwrite the children in place). */
	size_t half = (n + 1) / 2;
	uint8_t (*buf)[AUDIT_DIGEST_LEN] = xmalloc(2 * half * AUDIT_DIGEST_LEN);
	uint8_t (*a)[AUDIT_DIGEST_LEN] = buf, (*b)[AUDIT_DIGEST_LEN] = buf + half;
	n = merkle_level(a, leaf_hashes, n);
	while (n > 1) {
		n = merkle_level(b, (const uint8_t(*)[AUDIT_DIGEST_LEN])a, n);
		uint8_t (*t)[AUDIT_DIGEST_LEN] = a;
		a = b;
		b = t;
	}
	memcpy(root, a[0], AUDIT_DIGEST_LEN);
	free(buf);
}

void audit_merkle_roots_many(uint8_t (*roots)[AUDIT_DIGEST_LEN],
			     const uint8_t (*leaf_hashes)[AUDIT_DIGEST_LEN], size_t n, size_t count,
			     size_t tree_stride, size_t leaf_stride)
{
	/* Trees per group: enough that a level of one node per tree fills the lanes, few
	 * enough that a group's levels stay in cache. */
	enum { GROUP = 32, BATCH = 256 };
	if (n <= 1) {
		for (size_t t = 0; t < count; t++)
			memcpy(roots[t], n ? leaf_hashes[t * tree_stride] : zeros, AUDIT_DIGEST_LEN);
		return;
	}
	/* A level of m nodes is kept with an even stride per tree, the odd level's last slot
	 * zero (the empty sibling), so that both children of a parent are one 64-byte run. */
	const size_t stride0 = n + n % 2;
	uint8_t (*a)[AUDIT_DIGEST_LEN] = xmalloc(GROUP * stride0 * AUDIT_DIGEST_LEN);
	uint8_t (*b)[AUDIT_DIGEST_LEN] = xmalloc(GROUP * stride0 * AUDIT_DIGEST_LEN);
	struct audit_b2_msg *m = xmalloc(BATCH * sizeof(*m));
	for (size_t g = 0; g < count; g += GROUP) {
		size_t trees = count - g < GROUP ? count - g : GROUP;
		for (size_t t = 0; t < trees; t++) {
			const uint8_t (*in)[AUDIT_DIGEST_LEN] = leaf_hashes + (g + t) * tree_stride;
			if (leaf_stride == 1) {
				memcpy(a[t * stride0], in, n * AUDIT_DIGEST_LEN);
			} else {
				for (size_t j = 0; j < n; j++)
					memcpy(a[t * stride0 + j], in[j * leaf_stride], AUDIT_DIGEST_LEN);
			}
			if (n % 2)
				memset(a[t * stride0 + n], 0, AUDIT_DIGEST_LEN);
		}
		size_t level = n, stride = stride0;
		while (level > 1) {
			size_t parents = (level + 1) / 2, next = parents + parents % 2;
			if (parents == 1)
				next = 1;
			size_t total = trees * parents, k = 0;
			for (size_t i = 0; i < total; i++) {
				size_t t = i / parents, q = i % parents;
				m[k++] = (struct audit_b2_msg){a[t * stride + 2 * q], 2 * AUDIT_DIGEST_LEN,
							       true, 0x01, b[t * next + q]};
				if (k == BATCH || i + 1 == total) {
					audit_b2_many(m, k);
					k = 0;
				}
			}
			if (parents % 2 && parents > 1)
				for (size_t t = 0; t < trees; t++)
					memset(b[t * next + parents], 0, AUDIT_DIGEST_LEN);
			uint8_t (*swap)[AUDIT_DIGEST_LEN] = a;
			a = b;
			b = swap;
			level = parents;
			stride = next;
		}
		for (size_t t = 0; t < trees; t++)
			memcpy(roots[g + t], a[t * stride], AUDIT_DIGEST_LEN);
	}
	free(a);
	free(b);
	free(m);
}

void audit_merkle_root_fixed(uint8_t root[AUDIT_DIGEST_LEN], const uint8_t *leaves,
			     size_t leaf_len, size_t n)
{
	uint8_t (*h)[AUDIT_DIGEST_LEN] = xmalloc((n ? n : 1) * AUDIT_DIGEST_LEN);
	audit_merkle_leaf_hashes(h, leaves, leaf_len, n);
	audit_merkle_root_from_hashes(root, (const uint8_t(*)[AUDIT_DIGEST_LEN])h, n);
	free(h);
}

bool audit_merkle_check_shape(size_t n_leaves, size_t index, size_t path_len, struct err *e)
{
	if (index >= n_leaves)
		return err_set(e, "Merkle proof: leaf index %zu is out of range for %zu leaves", index,
			       n_leaves);
	unsigned depth = audit_merkle_depth(n_leaves);
	if (path_len != depth)
		return err_set(e, "Merkle proof: path has %zu nodes but a tree of %zu leaves needs %u",
			       path_len, n_leaves, depth);
	/* Redundant with index < n for an exact-depth path, but it is Walrus's own rule and
	 * costs nothing; keep it in case the length rule is ever relaxed. */
	if (path_len < sizeof(size_t) * 8 && (index >> path_len) != 0)
		return err_set(e, "Merkle proof: leaf index %zu needs more than %zu levels", index,
			       path_len);
	return true;
}

bool audit_merkle_verify(const uint8_t root[AUDIT_DIGEST_LEN], size_t n_leaves, size_t index,
			 const uint8_t *data, size_t len, const struct audit_node *path,
			 size_t path_len, struct err *e)
{
	if (!audit_merkle_check_shape(n_leaves, index, path_len, e))
		return false;
	uint8_t cur[AUDIT_DIGEST_LEN], sib[AUDIT_DIGEST_LEN];
	audit_merkle_leaf_hash(cur, data, len);
	size_t idx = index;
	for (size_t i = 0; i < path_len; i++) {
		audit_node_bytes(&path[i], sib);
		if (idx % 2)
			audit_merkle_inner_hash(cur, sib, cur);
		else
			audit_merkle_inner_hash(cur, cur, sib);
		idx /= 2;
	}
	if (memcmp(cur, root, AUDIT_DIGEST_LEN) != 0)
		return err_set(e, "Merkle proof: the path does not lead to the committed root");
	return true;
}

static int cmp_longer(const void *a, const void *b)
{
	size_t x = ((const struct audit_b2_msg *)a)->len, y = ((const struct audit_b2_msg *)b)->len;
	return x > y ? -1 : x < y;
}

void audit_merkle_climb_many(struct audit_merkle_climb *c, size_t n)
{
	audit_merkle_climb_many_with(c, n, NULL, 0);
}

void audit_merkle_climb_many_with(struct audit_merkle_climb *c, size_t n,
				  const struct audit_b2_msg *extra, size_t nextra)
{
	if (n + nextra == 0)
		return;
	struct audit_b2_msg *m = xmalloc((n + nextra) * sizeof(*m));
	/* Per proof: left ‖ right of the node being hashed. */
	uint8_t (*pair)[2 * AUDIT_DIGEST_LEN] = xmalloc((n ? n : 1) * sizeof(*pair));
	size_t *idx = xmalloc((n ? n : 1) * sizeof(*idx));
	size_t levels = 0;
	for (size_t i = 0; i < n; i++) {
		m[i] = (struct audit_b2_msg){c[i].data, c[i].len, true, 0x00, c[i].root};
		idx[i] = c[i].index;
		if (c[i].path_len > levels)
			levels = c[i].path_len;
	}
	if (nextra) {
		memcpy(m + n, extra, nextra * sizeof(*m));
		/* Longest first: a lane that ends takes the next message, so the lanes end
		 * together rather than one long message finishing alone. */
		qsort(m, n + nextra, sizeof(*m), cmp_longer);
	}
	audit_b2_many(m, n + nextra);
	for (size_t l = 0; l < levels; l++) {
		size_t k = 0;
		for (size_t i = 0; i < n; i++) {
			if (l >= c[i].path_len)
				continue;
			uint8_t sib[AUDIT_DIGEST_LEN];
			audit_node_bytes(&c[i].path[l], sib);
			uint8_t *left = pair[k], *right = pair[k] + AUDIT_DIGEST_LEN;
			memcpy(idx[i] % 2 ? right : left, c[i].root, AUDIT_DIGEST_LEN);
			memcpy(idx[i] % 2 ? left : right, sib, AUDIT_DIGEST_LEN);
			idx[i] /= 2;
			m[k] = (struct audit_b2_msg){pair[k], sizeof(pair[k]), true, 0x01, c[i].root};
			k++;
		}
		audit_b2_many(m, k);
	}
	free(idx);
	free(pair);
	free(m);
}
