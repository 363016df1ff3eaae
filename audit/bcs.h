/* bcs.h: the Walrus storage-node wire formats in BCS (see DESIGN.md, "Wire formats").
 *
 * Parsers are strict, because their input comes from storage nodes we are auditing: every
 * ULEB128 must be canonical and fit a u32, every count and length is bounded before
 * anything is allocated, nothing is read past the buffer, enum tags are checked and
 * trailing bytes are refused. Each failure is one sentence in `struct err`.
 *
 * Types are plain structs (the auditor and the storage node both build and read them);
 * each has a _free that accepts NULL. Writers append to a `struct buf`. */
#ifndef ASSAY_AUDIT_BCS_H
#define ASSAY_AUDIT_BCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "core/util.h"

struct buf;
struct err;

#define AUDIT_DIGEST_LEN 32
/* Shard counts are u16 in Walrus; sliver and symbol indices must fit. */
#define AUDIT_MAX_SHARDS 65535u
/* Walrus symbols are at most u16::MAX - 1 bytes (RS2 needs an even size). */
#define AUDIT_MAX_SYMBOL_SIZE 65534u
/* A Merkle proof over at most 65535 leaves has at most ceil(log2 65535) = 16 nodes. */
#define AUDIT_MAX_PROOF_NODES 16u
/* Largest sliver a parser accepts: 1 GiB (Walrus at n = 1000 tops out near 44 MB). */
#define AUDIT_MAX_SLIVER_BYTES (1u << 30)

/* BlobMetadata encoding types (a BCS enum tag). */
enum audit_encoding_type {
	AUDIT_ENCODING_RS2 = 1,      /* Walrus Reed-Solomon over GF(2^16) */
	AUDIT_ENCODING_ISAL_RS8 = 2, /* ours: Reed-Solomon over GF(2^8) via ISA-L (node/encoder.h) */
	AUDIT_ENCODING_CAUCHY_RS16 = 3, /* ours: Cauchy Reed-Solomon over GF(2^16), n > 255 */
};
/* True for the encoding types this build knows how to check. */
bool audit_encoding_type_known(uint32_t type);
/* "RS2", "ISAL-RS8", "CAUCHY-RS16", or "unknown". */
const char *audit_encoding_type_name(uint32_t type);

/* A Merkle node: Empty (0x00) or Digest (0x01 ‖ 32 bytes). Empty hashes as 32 zero bytes. */
struct audit_node {
	bool present;
	uint8_t digest[AUDIT_DIGEST_LEN];
};
/* The 32 bytes a node stands for in hashes (zeros when empty). */
void audit_node_bytes(const struct audit_node *node, uint8_t out[AUDIT_DIGEST_LEN]);

/* Sliver pair p: the hash of primary sliver p and of secondary sliver n-1-p. */
struct audit_pair_hashes {
	struct audit_node primary;
	struct audit_node secondary;
};

struct audit_metadata {
	uint32_t encoding_type;   /* enum audit_encoding_type */
	uint64_t unencoded_length;
	uint32_t n_shards;        /* 1..AUDIT_MAX_SHARDS */
	struct audit_pair_hashes *hashes; /* n_shards entries, indexed by sliver pair */
};

/* A metadata with room for n pairs (all Empty). */
struct audit_metadata *audit_metadata_new(uint32_t n_shards);
void audit_metadata_free(struct audit_metadata *md);

/* BlobMetadata: 0x00 (V1) ‖ encoding_type ‖ u64 length ‖ ULEB128 n ‖ n × (Node, Node). */
bool audit_metadata_parse(const uint8_t *data, size_t len, struct audit_metadata **out,
			  struct err *e) WARN_UNUSED;
void audit_metadata_write(struct buf *b, const struct audit_metadata *md);
/* BlobMetadataWithId: blob_id[32] ‖ BlobMetadata (what GET .../metadata returns). The ID is
 * returned as sent; audit_metadata_verify_id() (blob.h) checks it. */
bool audit_metadata_with_id_parse(const uint8_t *data, size_t len,
				  uint8_t blob_id[AUDIT_DIGEST_LEN], struct audit_metadata **out,
				  struct err *e) WARN_UNUSED;
void audit_metadata_with_id_write(struct buf *b, const uint8_t blob_id[AUDIT_DIGEST_LEN],
				  const struct audit_metadata *md);

/* GeneralRecoverySymbol tags. */
enum audit_symbol_tag {
	/* A primary decoding symbol: made from secondary sliver `index`, id `target-index`,
	 * proven against hashes[n-1-index].secondary. */
	AUDIT_TAG_PRIMARY = 0,
	/* A secondary decoding symbol: made from primary sliver `index`, id `index-target`,
	 * proven against hashes[index].primary. */
	AUDIT_TAG_SECONDARY = 1,
};

/* GeneralRecoverySymbol: tag ‖ index u16 ‖ data (ULEB128 len ‖ bytes) ‖ target u16 ‖
 * proof (ULEB128 count ‖ Nodes). The struct owns data and proof. */
struct audit_recovery_symbol {
	uint32_t tag; /* enum audit_symbol_tag */
	uint16_t index;
	uint16_t target;
	uint8_t *data;
	size_t data_len;
	struct audit_node *proof; /* bottom-up sibling path */
	size_t proof_len;
};
/* A list response: ULEB128 count ‖ items. */
struct audit_recovery_symbols {
	struct audit_recovery_symbol *items;
	size_t count;
	bool view; /* items' data point into the parsed bytes (audit_recovery_symbols_view) */
};

bool audit_recovery_symbol_parse(const uint8_t *data, size_t len,
				 struct audit_recovery_symbol *out, struct err *e) WARN_UNUSED;
void audit_recovery_symbol_write(struct buf *b, const struct audit_recovery_symbol *sym);
/* Frees what the symbol owns (not the struct itself) and zeroes it. */
void audit_recovery_symbol_clear(struct audit_recovery_symbol *sym);

/* At most max_count items (pass the number of ids asked for, or AUDIT_MAX_SHARDS). */
bool audit_recovery_symbols_parse(const uint8_t *data, size_t len, size_t max_count,
				  struct audit_recovery_symbols **out, struct err *e) WARN_UNUSED;
/* The same, but each item's data points into `data` (which must outlive the list) instead
 * of a copy: for a reader that only checks the symbols. */
bool audit_recovery_symbols_view(const uint8_t *data, size_t len, size_t max_count,
				 struct audit_recovery_symbols **out, struct err *e) WARN_UNUSED;
void audit_recovery_symbols_write(struct buf *b, const struct audit_recovery_symbol *items,
				  size_t count);
void audit_recovery_symbols_free(struct audit_recovery_symbols *list);

/* SliverData: ULEB128 len ‖ symbol bytes ‖ symbol_size u16 ‖ sliver index u16 (a sliver
 * index, not a pair index). The parser checks symbol_size != 0 and len % symbol_size == 0. */
struct audit_sliver {
	uint8_t *symbols;
	size_t len;
	uint16_t symbol_size;
	uint16_t index;
};
bool audit_sliver_parse(const uint8_t *data, size_t len, struct audit_sliver **out,
			struct err *e) WARN_UNUSED;
void audit_sliver_write(struct buf *b, const struct audit_sliver *sliver);
/* Same bytes, from parts (no copy of the symbols). */
void audit_sliver_write_parts(struct buf *b, const uint8_t *symbols, size_t len,
			      uint16_t symbol_size, uint16_t index);
void audit_sliver_free(struct audit_sliver *sliver);

/* Low-level cursor, for other BCS messages. Every read checks the remaining length. */
struct audit_bcs_reader {
	const uint8_t *data;
	size_t len;
	size_t pos;
};
void audit_bcs_reader_init(struct audit_bcs_reader *r, const uint8_t *data, size_t len);
/* Canonical ULEB128 no larger than max (max <= UINT32_MAX). `what` names the field. */
bool audit_bcs_read_uleb128(struct audit_bcs_reader *r, uint32_t max, const char *what,
			    uint32_t *out, struct err *e) WARN_UNUSED;
bool audit_bcs_read_u8(struct audit_bcs_reader *r, const char *what, uint8_t *out,
		       struct err *e) WARN_UNUSED;
bool audit_bcs_read_u16(struct audit_bcs_reader *r, const char *what, uint16_t *out,
			struct err *e) WARN_UNUSED;
bool audit_bcs_read_u64(struct audit_bcs_reader *r, const char *what, uint64_t *out,
			struct err *e) WARN_UNUSED;
/* Lends a pointer to the next len bytes. */
bool audit_bcs_read_bytes(struct audit_bcs_reader *r, size_t len, const char *what,
			  const uint8_t **out, struct err *e) WARN_UNUSED;
bool audit_bcs_read_node(struct audit_bcs_reader *r, const char *what, struct audit_node *out,
			 struct err *e) WARN_UNUSED;
/* Fails when bytes remain after a complete message. */
bool audit_bcs_finish(const struct audit_bcs_reader *r, const char *what,
		      struct err *e) WARN_UNUSED;

void audit_bcs_write_uleb128(struct buf *b, uint32_t v);
void audit_bcs_write_node(struct buf *b, const struct audit_node *node);

#endif
