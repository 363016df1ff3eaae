/* encoder.h: the reference blob encoder: two-dimensional Reed-Solomon, laid out exactly as
 * DESIGN.md's "Wire formats" describes, so that the metadata, blob IDs, recovery symbols
 * and proofs it makes are checked by audit/ like any Walrus node's.
 *
 * Two codes, neither of them Walrus RS2, each with its own encoding_type so that their blobs
 * can never pass for RS2 blobs (or for each other's):
 *   NODE_ENCODING_RS8  = AUDIT_ENCODING_ISAL_RS8 = 2: GF(2^8) through Intel ISA-L, bytewise;
 *                        at most NODE_MAX_SHARDS_RS8 = 255 shards (a systematic Cauchy
 *                        generator needs n distinct field points beside the identity);
 *   NODE_ENCODING_RS16 = AUDIT_ENCODING_CAUCHY_RS16 = 3: GF(2^16) (node/gf16.h) on 16-bit
 *                        little-endian words, up to NODE_MAX_SHARDS shards (Walrus mainnet
 *                        runs n = 1000).
 * node_codec_new() picks the GF(2^8) code up to 255 shards and the GF(2^16) one above
 * (node_encoding_for()); node_codec_new_type() picks either for any n (tests, benches). A
 * GF(2^8) codec also carries the GF(2^16) code for the same n, so the functions that take
 * metadata (verify, decode_check, recover_from_symbols) follow the blob's encoding_type;
 * the others use the codec's own code: pass node_codec_for(c, md->encoding_type).
 * The symbol-size rule is Walrus's (audit_symbol_size(): always even).
 *
 * Layout (k_p = n - 2f, k_s = n - f, ss = symbol size):
 *   X     the blob, zero-padded, as a k_p × k_s matrix of symbols, row by row;
 *   M     = G_p · X · G_sᵀ, the n × n expanded matrix; cell (i, j) is symbol id "i-j";
 *         G_p (n × k_p) and G_s (n × k_s) are systematic Cauchy generators, applied
 *         bytewise (GF(2^8)) or wordwise (GF(2^16)), every position of a symbol
 *         independently;
 *   primary sliver i   = (G_p X) row i       = the first k_s symbols of M's row i;
 *   secondary sliver j = (X G_sᵀ) column j   = the first k_p symbols of M's column j;
 *   expanding primary sliver i with G_s gives row i of M; expanding secondary sliver j with
 *   G_p gives column j of M. A sliver's hash is the Merkle root over its n expanded symbols;
 *   metadata.hashes[p] = (hash of primary p, hash of secondary n-1-p).
 *
 * Axes: this API names a sliver's axis with enum audit_proof_axis (AUDIT_AXIS_PRIMARY = a
 * primary sliver), which is also the proof axis of the recovery symbols it serves.
 *
 * What a storage node does with it:
 *   store     node_encode() (publisher) -> metadata + 2n slivers; the node keeps, for each
 *             pair p it holds, primary sliver p and secondary sliver n-1-p, and checks each
 *             received sliver with node_sliver_verify();
 *   serve     node_expanded_new() on the stored sliver, then node_expanded_symbol() for each
 *             requested id (a symbol id "I-J" on the primary axis comes from primary sliver
 *             I, target J; on the secondary axis from secondary sliver J, target I);
 *   recover   node_sliver_recover_from_symbols(): primary sliver i from any k_s verified
 *             symbols "i-j" proven on the secondary axis (taken from k_s different secondary
 *             slivers j), secondary sliver j from any k_p symbols "i-j" on the primary axis;
 *   read      node_decode(): the blob from any k_p primary slivers or any k_s secondary ones;
 *             node_decode_check() also re-encodes and compares the blob ID, which catches a
 *             publisher that uploaded inconsistent slivers.
 */
#ifndef ASSAY_NODE_ENCODER_H
#define ASSAY_NODE_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/bcs.h"
#include "audit/blob.h"
#include "audit/symbol.h"
#include "core/util.h"

struct err;

#define NODE_ENCODING_RS8 AUDIT_ENCODING_ISAL_RS8
#define NODE_ENCODING_RS16 AUDIT_ENCODING_CAUCHY_RS16
#define NODE_MAX_SHARDS_RS8 255u
#define NODE_MAX_SHARDS 1024u

/* The encoding type node_codec_new() uses for n shards: RS8 up to 255, RS16 above. */
uint32_t node_encoding_for(uint32_t n);
/* Whether this encoder checks and decodes blobs of encoding_type with n shards. */
bool node_encoding_supported(uint32_t encoding_type, uint32_t n);

/* The code for n shards: generators and tables, shared read-only (thread-safe). */
struct node_codec;
bool node_codec_new(uint32_t n, struct node_codec **out, struct err *e) WARN_UNUSED;
/* The same with the code named: NODE_ENCODING_RS8 (n <= 255) or NODE_ENCODING_RS16. */
bool node_codec_new_type(uint32_t n, uint32_t encoding_type, struct node_codec **out,
			 struct err *e) WARN_UNUSED;
void node_codec_free(struct node_codec *c);
/* The encoding type node_encode() writes. */
uint32_t node_codec_encoding_type(const struct node_codec *c);
/* The codec for blobs of encoding_type with c's n: c itself, its GF(2^16) sibling, or NULL
 * when this encoder cannot handle that type at this n. */
const struct node_codec *node_codec_for(const struct node_codec *c, uint32_t encoding_type);
const struct audit_params *node_codec_params(const struct node_codec *c);
/* Threads node_encode() may use (default: the online CPUs, at most 16; 1 = none). Set it
 * before sharing the codec. */
void node_codec_set_threads(struct node_codec *c, unsigned threads);
/* Bytes of a sliver of this axis for a symbol size: k_s·ss (primary), k_p·ss (secondary). */
size_t node_sliver_len(const struct node_codec *c, enum audit_proof_axis axis,
		       uint16_t symbol_size);

/* An encoded blob. Sliver i of an axis is at primary + i·primary_len (resp. secondary). */
struct node_blob {
	struct audit_metadata *metadata;
	uint8_t blob_id[AUDIT_DIGEST_LEN];
	uint16_t symbol_size;
	uint32_t n;
	size_t primary_len;   /* k_s · symbol_size */
	size_t secondary_len; /* k_p · symbol_size */
	uint8_t *primary;     /* n primary slivers, by sliver index */
	uint8_t *secondary;   /* n secondary slivers, by sliver index */
};
/* Encode len bytes (len may be 0). Fails if the blob is too large for n shards. */
bool node_encode(const struct node_codec *c, const uint8_t *blob, size_t len,
		 struct node_blob **out, struct err *e) WARN_UNUSED;
void node_blob_free(struct node_blob *b);
const uint8_t *node_blob_sliver(const struct node_blob *b, enum audit_proof_axis axis,
				uint32_t index);
/* Writes b into dir (created if missing), each file atomically: metadata.bcs (bare BCS
 * BlobMetadata, the body of a metadata PUT) and one BCS SliverData per sliver, named by
 * sliver index: primary-<i>.bcs and secondary-<i>.bcs (pair p holds primary p and
 * secondary n-1-p), as a storage node PUTs and stores them. What `assay blob encode`
 * writes. */
bool node_blob_write_dir(const struct node_blob *b, const char *dir, struct err *e) WARN_UNUSED;
/* `assay blob id`: the blob ID of a BCS BlobMetadata file (metadata.bcs, as
 * node_blob_write_dir writes it); the error does not name the file. */
bool node_metadata_file_id(const char *path, uint8_t id[AUDIT_DIGEST_LEN],
			   struct err *e) WARN_UNUSED;
/* `assay blob encode`: encodes the file at path (at most what n shards hold) for n shards
 * and writes dir as node_blob_write_dir does; id is the blob ID. A regular file of
 * NODE_STREAM_MIN bytes or more goes through node_encode_file_stream(), smaller ones are
 * read whole and go through node_encode(). */
#define NODE_STREAM_MIN (64ull << 20)
bool node_encode_file(uint32_t n, const char *path, const char *dir,
		      uint8_t id[AUDIT_DIGEST_LEN], struct err *e) WARN_UNUSED;
/* The same files, byte for byte, with the blob never in memory: X's rows are read once in
 * file order and the secondary slivers wait in a scratch file in dir (removed after), so
 * memory stays about one 16 MiB batch (at least one vector of n symbols) plus the
 * n² leaf hashes (32 bytes each), whatever the file's size. Every file appears under its
 * name only once all are written (metadata.bcs last); a failure removes what was begun. */
bool node_encode_file_stream(const struct node_codec *c, const char *path, const char *dir,
			     uint8_t id[AUDIT_DIGEST_LEN], struct err *e) WARN_UNUSED;

/* Expand a sliver (node_sliver_len bytes) into its n symbols (n·ss bytes at out): row
 * `index` of M for a primary sliver, column `index` for a secondary one. */
bool node_sliver_expand(const struct node_codec *c, enum audit_proof_axis axis,
			const uint8_t *sliver, size_t len, uint16_t symbol_size, uint8_t *out,
			struct err *e) WARN_UNUSED;
/* Merkle root over the n expanded symbols: the sliver's hash. */
bool node_sliver_hash(const struct node_codec *c, enum audit_proof_axis axis,
		      const uint8_t *sliver, size_t len, uint16_t symbol_size,
		      uint8_t hash[AUDIT_DIGEST_LEN], struct err *e) WARN_UNUSED;
/* Check a whole sliver against the metadata: encoding type, n, symbol size, length, and
 * its hash against hashes[pair].primary (pair = index) or hashes[n-1-index].secondary. */
bool node_sliver_verify(const struct node_codec *c, const struct audit_metadata *md,
			enum audit_proof_axis axis, uint16_t index, const uint8_t *sliver,
			size_t len, uint16_t symbol_size, struct err *e) WARN_UNUSED;

/* node_sliver_verify() that hands over the expansion it checked (*out, on success) for
 * serving symbols from: a node keeps what it verified on upload (node/xcache.h). */
struct node_expanded;
bool node_sliver_verify_expanded(const struct node_codec *c, const struct audit_metadata *md,
				 enum audit_proof_axis axis, uint16_t index,
				 const uint8_t *sliver, size_t len, uint16_t symbol_size,
				 struct node_expanded **out, struct err *e) WARN_UNUSED;

/* A sliver expanded with its Merkle tree, to serve many recovery symbols from it. It is
 * reference counted (shared by the requests using it and node/xcache.h): new gives one
 * reference, node_expanded_ref() another, node_expanded_free() drops one. At n of
 * NODE_EXPANDED_DROP_FROM and more the tree keeps no digests of its lowest
 * NODE_EXPANDED_DROP_LEVELS levels (audit_merkle_tree_drop_levels()). */
#define NODE_EXPANDED_DROP_FROM 256u
#define NODE_EXPANDED_DROP_LEVELS 3u
struct node_expanded;
bool node_expanded_new(const struct node_codec *c, enum audit_proof_axis axis, uint16_t index,
		       const uint8_t *sliver, size_t len, uint16_t symbol_size,
		       struct node_expanded **out, struct err *e) WARN_UNUSED;
struct node_expanded *node_expanded_ref(struct node_expanded *x);
void node_expanded_free(struct node_expanded *x);
/* What it holds in memory, for a cache's budget. */
size_t node_expanded_bytes(const struct node_expanded *x);
void node_expanded_root(const struct node_expanded *x, uint8_t root[AUDIT_DIGEST_LEN]);
/* Symbol `target` (< n) of the expansion as a GeneralRecoverySymbol with its proof: tag 1
 * (index = this primary sliver) or tag 0 (index = this secondary sliver). The caller clears
 * it with audit_recovery_symbol_clear(). */
bool node_expanded_symbol(const struct node_expanded *x, uint16_t target,
			  struct audit_recovery_symbol *out, struct err *e) WARN_UNUSED;
/* One-shot: the recovery symbol answering (id, axis) from the sliver that holds it (primary
 * sliver id.primary on the primary axis, secondary sliver id.secondary on the secondary
 * axis); `index` says which sliver is passed and must be that one. */
bool node_recovery_symbol_new(const struct node_codec *c, enum audit_proof_axis axis,
			      uint16_t index, const uint8_t *sliver, size_t len,
			      uint16_t symbol_size, struct audit_symbol_id id,
			      struct audit_recovery_symbol *out, struct err *e) WARN_UNUSED;

/* Decode the blob from `count` slivers of one axis (their indices in indices[], distinct,
 * < n); the first k_p (primary) or k_s (secondary) are used. *blob_out (malloc'd, never NULL)
 * holds unencoded_length bytes. No consistency check: see node_decode_check(). */
bool node_decode(const struct node_codec *c, enum audit_proof_axis axis, uint16_t symbol_size,
		 uint64_t unencoded_length, const uint16_t *indices,
		 const uint8_t *const *slivers, size_t count, uint8_t **blob_out,
		 struct err *e) WARN_UNUSED;
/* Decode with the metadata's length and symbol size, then re-encode and require the blob ID
 * to match blob_id: a blob that decodes differently from different slivers is refused. */
bool node_decode_check(const struct node_codec *c, const struct audit_metadata *md,
		       const uint8_t blob_id[AUDIT_DIGEST_LEN], enum audit_proof_axis axis,
		       const uint16_t *indices, const uint8_t *const *slivers, size_t count,
		       uint8_t **blob_out, struct err *e) WARN_UNUSED;

/* Rebuild one sliver from symbols of its expansion: `axis`/`index` name the sliver to
 * rebuild; positions[t] is the position of symbols[t] (ss bytes) in that sliver's
 * expansion: the secondary sliver j it came from when rebuilding a primary sliver, the
 * primary sliver i when rebuilding a secondary one. Needs k_s (primary) or k_p (secondary)
 * distinct positions; the first ones are used. out gets node_sliver_len bytes. */
bool node_sliver_recover(const struct node_codec *c, enum audit_proof_axis axis,
			 uint16_t symbol_size, const uint16_t *positions,
			 const uint8_t *const *symbols, size_t count, uint8_t *out,
			 struct err *e) WARN_UNUSED;
/* Same from peers' recovery symbols, checking each against the metadata first (id
 * index-j or j-index on the other axis than the sliver's): symbols that fail are skipped
 * (counted in *rejected if not NULL), and the rebuilt sliver is verified against the
 * metadata. out gets node_sliver_len bytes. */
bool node_sliver_recover_from_symbols(const struct node_codec *c, const struct audit_metadata *md,
				      enum audit_proof_axis axis, uint16_t index,
				      const struct audit_recovery_symbol *symbols, size_t count,
				      uint8_t *out, size_t *rejected, struct err *e) WARN_UNUSED;

#endif
