/* bcs.c: strict BCS parsing and writing of the Walrus storage-node messages. */
#include "audit/bcs.h"

#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"

bool audit_encoding_type_known(uint32_t type)
{
	return type == AUDIT_ENCODING_RS2 || type == AUDIT_ENCODING_ISAL_RS8 ||
	       type == AUDIT_ENCODING_CAUCHY_RS16;
}

const char *audit_encoding_type_name(uint32_t type)
{
	switch (type) {
	case AUDIT_ENCODING_RS2:
		return "RS2";
	case AUDIT_ENCODING_ISAL_RS8:
		return "ISAL-RS8";
	case AUDIT_ENCODING_CAUCHY_RS16:
		return "CAUCHY-RS16";
	default:
		return "unknown";
	}
}

void audit_node_bytes(const struct audit_node *node, uint8_t out[AUDIT_DIGEST_LEN])
{
	if (node->present)
		memcpy(out, node->digest, AUDIT_DIGEST_LEN);
	else
		memset(out, 0, AUDIT_DIGEST_LEN);
}

/* --- reader --------------------------------------------------------------------------- */

void audit_bcs_reader_init(struct audit_bcs_reader *r, const uint8_t *data, size_t len)
{
	r->data = data;
	r->len = len;
	r->pos = 0;
}

static size_t remaining(const struct audit_bcs_reader *r)
{
	return r->len - r->pos;
}

bool audit_bcs_read_uleb128(struct audit_bcs_reader *r, uint32_t max, const char *what,
			    uint32_t *out, struct err *e)
{
	uint64_t v = 0;
	for (unsigned i = 0;; i++) {
		if (i == 5)
			return err_set(e, "%s: ULEB128 at byte %zu is longer than 5 bytes", what, r->pos);
		if (r->pos >= r->len)
			return err_set(e, "%s: truncated ULEB128 at byte %zu", what, r->pos);
		uint8_t byte = r->data[r->pos++];
		v |= (uint64_t)(byte & 0x7f) << (7 * i);
		if (!(byte & 0x80)) {
			/* BCS demands the shortest form: a last byte of zero (after the first)
			 * would encode the same value with more bytes. */
			if (byte == 0 && i > 0)
				return err_set(e, "%s: non-canonical ULEB128 at byte %zu", what,
					       r->pos - 1);
			break;
		}
	}
	if (v > UINT32_MAX)
		return err_set(e, "%s: ULEB128 value %llu does not fit in a u32", what,
			       (unsigned long long)v);
	if (v > max)
		return err_set(e, "%s: %llu exceeds the limit of %lu", what, (unsigned long long)v,
			       (unsigned long)max);
	*out = (uint32_t)v;
	return true;
}

/* True when len more bytes are there; otherwise one sentence in e. */
static bool need(const struct audit_bcs_reader *r, size_t len, const char *what, struct err *e)
{
	if (len <= remaining(r))
		return true;
	err_set(e, "%s: needs %zu bytes at byte %zu but only %zu remain", what, len, r->pos,
		remaining(r));
	return false;
}

bool audit_bcs_read_bytes(struct audit_bcs_reader *r, size_t len, const char *what,
			  const uint8_t **out, struct err *e)
{
	if (!need(r, len, what, e))
		return false;
	*out = r->data + r->pos;
	r->pos += len;
	return true;
}

bool audit_bcs_read_u8(struct audit_bcs_reader *r, const char *what, uint8_t *out, struct err *e)
{
	if (!need(r, 1, what, e))
		return false;
	*out = r->data[r->pos++];
	return true;
}

bool audit_bcs_read_u16(struct audit_bcs_reader *r, const char *what, uint16_t *out,
			struct err *e)
{
	if (!need(r, 2, what, e))
		return false;
	const uint8_t *p = r->data + r->pos;
	*out = (uint16_t)(p[0] | (p[1] << 8));
	r->pos += 2;
	return true;
}

bool audit_bcs_read_u64(struct audit_bcs_reader *r, const char *what, uint64_t *out,
			struct err *e)
{
	if (!need(r, 8, what, e))
		return false;
	const uint8_t *p = r->data + r->pos;
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	*out = v;
	r->pos += 8;
	return true;
}

bool audit_bcs_read_node(struct audit_bcs_reader *r, const char *what, struct audit_node *out,
			 struct err *e)
{
	uint32_t tag;
	if (!audit_bcs_read_uleb128(r, UINT32_MAX, what, &tag, e))
		return false;
	if (tag == 0) {
		out->present = false;
		memset(out->digest, 0, sizeof(out->digest));
		return true;
	}
	if (tag != 1)
		return err_set(e, "%s: unknown Merkle node tag %lu (expected 0 or 1)", what,
			       (unsigned long)tag);
	if (!need(r, AUDIT_DIGEST_LEN, what, e))
		return false;
	out->present = true;
	memcpy(out->digest, r->data + r->pos, AUDIT_DIGEST_LEN);
	r->pos += AUDIT_DIGEST_LEN;
	return true;
}

bool audit_bcs_finish(const struct audit_bcs_reader *r, const char *what, struct err *e)
{
	if (r->pos != r->len)
		return err_set(e, "%s: %zu trailing bytes after the end of the message", what,
			       remaining(r));
	return true;
}

/* --- writer --------------------------------------------------------------------------- */

void audit_bcs_write_uleb128(struct buf *b, uint32_t v)
{
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		buf_append_byte(b, v ? (uint8_t)(byte | 0x80) : byte);
	} while (v);
}

void audit_bcs_write_node(struct buf *b, const struct audit_node *node)
{
	if (!node->present) {
		buf_append_byte(b, 0);
		return;
	}
	buf_append_byte(b, 1);
	buf_append(b, node->digest, AUDIT_DIGEST_LEN);
}

/* --- BlobMetadata ------------------------------------------------------------------- */

struct audit_metadata *audit_metadata_new(uint32_t n_shards)
{
	struct audit_metadata *md = xcalloc(1, sizeof(*md));
	md->n_shards = n_shards;
	md->hashes = xcalloc(n_shards ? n_shards : 1, sizeof(*md->hashes));
	return md;
}

void audit_metadata_free(struct audit_metadata *md)
{
	if (!md)
		return;
	free(md->hashes);
	free(md);
}

static bool metadata_read(struct audit_bcs_reader *r, struct audit_metadata **out,
			  struct err *e)
{
	const char *what = "blob metadata";
	uint32_t version, type, n;
	uint64_t length;
	if (!audit_bcs_read_uleb128(r, UINT32_MAX, what, &version, e))
		return false;
	if (version != 0)
		return err_set(e, "blob metadata: unknown version tag %lu (only V1 = 0 exists)",
			       (unsigned long)version);
	if (!audit_bcs_read_uleb128(r, UINT32_MAX, what, &type, e))
		return false;
	if (!audit_encoding_type_known(type))
		return err_set(e, "blob metadata: unknown encoding type %lu", (unsigned long)type);
	if (!audit_bcs_read_u64(r, what, &length, e) ||
	    !audit_bcs_read_uleb128(r, AUDIT_MAX_SHARDS, "blob metadata hash count", &n, e))
		return false;
	if (n == 0)
		return err_set(e, "blob metadata: it has no sliver pairs");
	/* Each pair takes at least two bytes: refuse a count the buffer cannot hold before
	 * allocating for it. */
	if (n > remaining(r) / 2)
		return err_set(e, "blob metadata: %lu sliver pairs cannot fit in the %zu bytes left",
			       (unsigned long)n, remaining(r));
	struct audit_metadata *md = audit_metadata_new(n);
	md->encoding_type = type;
	md->unencoded_length = length;
	for (uint32_t p = 0; p < n; p++) {
		if (!audit_bcs_read_node(r, "blob metadata primary hash", &md->hashes[p].primary, e) ||
		    !audit_bcs_read_node(r, "blob metadata secondary hash", &md->hashes[p].secondary,
					 e)) {
			audit_metadata_free(md);
			return false;
		}
	}
	*out = md;
	return true;
}

bool audit_metadata_parse(const uint8_t *data, size_t len, struct audit_metadata **out,
			  struct err *e)
{
	struct audit_bcs_reader r;
	struct audit_metadata *md = NULL;
	audit_bcs_reader_init(&r, data, len);
	if (!metadata_read(&r, &md, e))
		return false;
	if (!audit_bcs_finish(&r, "blob metadata", e)) {
		audit_metadata_free(md);
		return false;
	}
	*out = md;
	return true;
}

bool audit_metadata_with_id_parse(const uint8_t *data, size_t len,
				  uint8_t blob_id[AUDIT_DIGEST_LEN], struct audit_metadata **out,
				  struct err *e)
{
	struct audit_bcs_reader r;
	const uint8_t *id = NULL;
	struct audit_metadata *md = NULL;
	audit_bcs_reader_init(&r, data, len);
	if (!audit_bcs_read_bytes(&r, AUDIT_DIGEST_LEN, "blob metadata with ID: blob ID", &id, e) ||
	    !metadata_read(&r, &md, e))
		return false;
	if (!audit_bcs_finish(&r, "blob metadata with ID", e)) {
		audit_metadata_free(md);
		return false;
	}
	memcpy(blob_id, id, AUDIT_DIGEST_LEN);
	*out = md;
	return true;
}

void audit_metadata_write(struct buf *b, const struct audit_metadata *md)
{
	buf_append_byte(b, 0); /* V1 */
	audit_bcs_write_uleb128(b, md->encoding_type);
	buf_append_u64le(b, md->unencoded_length);
	audit_bcs_write_uleb128(b, md->n_shards);
	for (uint32_t p = 0; p < md->n_shards; p++) {
		audit_bcs_write_node(b, &md->hashes[p].primary);
		audit_bcs_write_node(b, &md->hashes[p].secondary);
	}
}

void audit_metadata_with_id_write(struct buf *b, const uint8_t blob_id[AUDIT_DIGEST_LEN],
				  const struct audit_metadata *md)
{
	buf_append(b, blob_id, AUDIT_DIGEST_LEN);
	audit_metadata_write(b, md);
}

/* --- GeneralRecoverySymbol ------------------------------------------------------------ */

void audit_recovery_symbol_clear(struct audit_recovery_symbol *sym)
{
	if (!sym)
		return;
	free(sym->data);
	free(sym->proof);
	memset(sym, 0, sizeof(*sym));
}

/* view: out->data points into the reader's bytes, not at a copy. */
static bool symbol_read(struct audit_bcs_reader *r, struct audit_recovery_symbol *out, bool view,
			struct err *e)
{
	struct audit_recovery_symbol s = {0};
	uint32_t len, count;
	const uint8_t *p = NULL;
	if (!audit_bcs_read_uleb128(r, UINT32_MAX, "recovery symbol tag", &s.tag, e))
		return false;
	if (s.tag != AUDIT_TAG_PRIMARY && s.tag != AUDIT_TAG_SECONDARY)
		return err_set(e, "recovery symbol: unknown tag %lu (expected 0 or 1)",
			       (unsigned long)s.tag);
	if (!audit_bcs_read_u16(r, "recovery symbol index", &s.index, e) ||
	    !audit_bcs_read_uleb128(r, AUDIT_MAX_SYMBOL_SIZE, "recovery symbol length", &len, e) ||
	    !audit_bcs_read_bytes(r, len, "recovery symbol data", &p, e))
		return false;
	if (view) {
		s.data = (uint8_t *)(uintptr_t)p; /* never written through: the list is a view */
	} else {
		s.data = xmalloc(len ? len : 1);
		memcpy(s.data, p, len);
	}
	s.data_len = len;
	if (!audit_bcs_read_u16(r, "recovery symbol target", &s.target, e) ||
	    !audit_bcs_read_uleb128(r, AUDIT_MAX_PROOF_NODES, "recovery symbol proof length", &count,
				    e))
		goto fail;
	s.proof = xcalloc(count ? count : 1, sizeof(*s.proof));
	s.proof_len = count;
	for (uint32_t i = 0; i < count; i++)
		if (!audit_bcs_read_node(r, "recovery symbol proof", &s.proof[i], e))
			goto fail;
	*out = s;
	return true;
fail:
	if (view)
		s.data = NULL;
	audit_recovery_symbol_clear(&s);
	return false;
}

bool audit_recovery_symbol_parse(const uint8_t *data, size_t len,
				 struct audit_recovery_symbol *out, struct err *e)
{
	struct audit_bcs_reader r;
	struct audit_recovery_symbol s;
	audit_bcs_reader_init(&r, data, len);
	if (!symbol_read(&r, &s, false, e))
		return false;
	if (!audit_bcs_finish(&r, "recovery symbol", e)) {
		audit_recovery_symbol_clear(&s);
		return false;
	}
	*out = s;
	return true;
}

void audit_recovery_symbol_write(struct buf *b, const struct audit_recovery_symbol *sym)
{
	audit_bcs_write_uleb128(b, sym->tag);
	buf_append_u16le(b, sym->index);
	audit_bcs_write_uleb128(b, (uint32_t)sym->data_len);
	buf_append(b, sym->data, sym->data_len);
	buf_append_u16le(b, sym->target);
	audit_bcs_write_uleb128(b, (uint32_t)sym->proof_len);
	for (size_t i = 0; i < sym->proof_len; i++)
		audit_bcs_write_node(b, &sym->proof[i]);
}

void audit_recovery_symbols_free(struct audit_recovery_symbols *list)
{
	if (!list)
		return;
	for (size_t i = 0; i < list->count; i++) {
		if (list->view)
			list->items[i].data = NULL; /* not ours */
		audit_recovery_symbol_clear(&list->items[i]);
	}
	free(list->items);
	free(list);
}

static bool symbols_read(const uint8_t *data, size_t len, size_t max_count, bool view,
			 struct audit_recovery_symbols **out, struct err *e)
{
	/* Smallest item: tag, index u16, empty data, target u16, empty proof. */
	const size_t min_item = 1 + 2 + 1 + 2 + 1;
	struct audit_bcs_reader r;
	uint32_t count;
	if (max_count > AUDIT_MAX_SHARDS)
		max_count = AUDIT_MAX_SHARDS;
	audit_bcs_reader_init(&r, data, len);
	if (!audit_bcs_read_uleb128(&r, (uint32_t)max_count, "recovery symbol count", &count, e))
		return false;
	if (count > remaining(&r) / min_item)
		return err_set(e, "recovery symbols: %lu symbols cannot fit in the %zu bytes left",
			       (unsigned long)count, remaining(&r));
	struct audit_recovery_symbols *list = xcalloc(1, sizeof(*list));
	list->items = xcalloc(count ? count : 1, sizeof(*list->items));
	list->view = view;
	for (uint32_t i = 0; i < count; i++) {
		if (!symbol_read(&r, &list->items[i], view, e)) {
			err_prefix(e, "symbol %lu of %lu: ", (unsigned long)i, (unsigned long)count);
			goto fail;
		}
		list->count++;
	}
	if (!audit_bcs_finish(&r, "recovery symbols", e))
		goto fail;
	*out = list;
	return true;
fail:
	audit_recovery_symbols_free(list);
	return false;
}

bool audit_recovery_symbols_parse(const uint8_t *data, size_t len, size_t max_count,
				  struct audit_recovery_symbols **out, struct err *e)
{
	return symbols_read(data, len, max_count, false, out, e);
}

bool audit_recovery_symbols_view(const uint8_t *data, size_t len, size_t max_count,
				 struct audit_recovery_symbols **out, struct err *e)
{
	return symbols_read(data, len, max_count, true, out, e);
}

void audit_recovery_symbols_write(struct buf *b, const struct audit_recovery_symbol *items,
				  size_t count)
{
	audit_bcs_write_uleb128(b, (uint32_t)count);
	for (size_t i = 0; i < count; i++)
		audit_recovery_symbol_write(b, &items[i]);
}

/* --- SliverData ------------------------------------------------------------------------- */

void audit_sliver_free(struct audit_sliver *sliver)
{
	if (!sliver)
		return;
	free(sliver->symbols);
	free(sliver);
}

bool audit_sliver_parse(const uint8_t *data, size_t len, struct audit_sliver **out,
			struct err *e)
{
	struct audit_bcs_reader r;
	uint32_t n;
	const uint8_t *p = NULL;
	uint16_t symbol_size, index;
	audit_bcs_reader_init(&r, data, len);
	if (!audit_bcs_read_uleb128(&r, AUDIT_MAX_SLIVER_BYTES, "sliver length", &n, e) ||
	    !audit_bcs_read_bytes(&r, n, "sliver symbols", &p, e) ||
	    !audit_bcs_read_u16(&r, "sliver symbol size", &symbol_size, e) ||
	    !audit_bcs_read_u16(&r, "sliver index", &index, e) ||
	    !audit_bcs_finish(&r, "sliver", e))
		return false;
	if (symbol_size == 0)
		return err_set(e, "sliver: its symbol size is zero");
	if (symbol_size > AUDIT_MAX_SYMBOL_SIZE)
		return err_set(e, "sliver: symbol size %u exceeds the maximum of %u", symbol_size,
			       AUDIT_MAX_SYMBOL_SIZE);
	if (n % symbol_size)
		return err_set(e, "sliver: %lu bytes is not a whole number of %u-byte symbols",
			       (unsigned long)n, symbol_size);
	struct audit_sliver *s = xcalloc(1, sizeof(*s));
	s->symbols = xmalloc(n ? n : 1);
	memcpy(s->symbols, p, n);
	s->len = n;
	s->symbol_size = symbol_size;
	s->index = index;
	*out = s;
	return true;
}

void audit_sliver_write_parts(struct buf *b, const uint8_t *symbols, size_t len,
			      uint16_t symbol_size, uint16_t index)
{
	ASSAY_ASSERT(len <= AUDIT_MAX_SLIVER_BYTES);
	audit_bcs_write_uleb128(b, (uint32_t)len);
	buf_append(b, symbols, len);
	buf_append_u16le(b, symbol_size);
	buf_append_u16le(b, index);
}

void audit_sliver_write(struct buf *b, const struct audit_sliver *sliver)
{
	audit_sliver_write_parts(b, sliver->symbols, sliver->len, sliver->symbol_size,
				 sliver->index);
}
