/* symbol.c: recovery-symbol verification. */
#include "audit/symbol.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "audit/merkle.h"
#include "core/err.h"

const char *audit_proof_axis_name(enum audit_proof_axis axis)
{
	return axis == AUDIT_AXIS_PRIMARY ? "primary" : "secondary";
}

bool audit_proof_axis_parse(const char *text, enum audit_proof_axis *axis, struct err *e)
{
	if (!strcmp(text, "primary"))
		*axis = AUDIT_AXIS_PRIMARY;
	else if (!strcmp(text, "secondary"))
		*axis = AUDIT_AXIS_SECONDARY;
	else
		return err_set(e, "proof axis must be 'primary' or 'secondary', not '%s'", text);
	return true;
}

void audit_symbol_id_text(char out[AUDIT_SYMBOL_ID_TEXT_MAX], struct audit_symbol_id id)
{
	snprintf(out, AUDIT_SYMBOL_ID_TEXT_MAX, "%u-%u", id.primary, id.secondary);
}

static bool parse_part(const char *s, size_t len, uint32_t *out)
{
	if (len == 0 || len > 5 || (len > 1 && s[0] == '0'))
		return false;
	uint32_t v = 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (uint32_t)(s[i] - '0');
	}
	*out = v;
	return true;
}

bool audit_symbol_id_parse(const char *text, uint32_t n, struct audit_symbol_id *id,
			   struct err *e)
{
	const char *dash = strchr(text, '-');
	uint32_t a, b;
	if (!dash || !parse_part(text, (size_t)(dash - text), &a) ||
	    !parse_part(dash + 1, strlen(dash + 1), &b))
		return err_set(e, "symbol id must be two decimal sliver indices 'I-J', not '%s'", text);
	if (a >= n || b >= n)
		return err_set(e, "symbol id '%s' is out of range for %lu shards", text,
			       (unsigned long)n);
	id->primary = (uint16_t)a;
	id->secondary = (uint16_t)b;
	return true;
}

void audit_recovery_symbol_id(const struct audit_recovery_symbol *sym, struct audit_symbol_id *id,
			      enum audit_proof_axis *axis)
{
	if (sym->tag == AUDIT_TAG_SECONDARY) {
		/* From primary sliver `index`: row index, column target. */
		id->primary = sym->index;
		id->secondary = sym->target;
		*axis = AUDIT_AXIS_PRIMARY;
	} else {
		id->primary = sym->target;
		id->secondary = sym->index;
		*axis = AUDIT_AXIS_SECONDARY;
	}
}

uint32_t audit_proof_pair(uint32_t n, struct audit_symbol_id id, enum audit_proof_axis axis)
{
	return axis == AUDIT_AXIS_PRIMARY ? id.primary : n - 1u - id.secondary;
}

const char *audit_symbol_outcome(enum audit_symbol_verdict v)
{
	switch (v) {
	case AUDIT_SYMBOL_PASS:
		return "pass";
	case AUDIT_SYMBOL_INVALID_PROOF:
	case AUDIT_SYMBOL_WRONG_ID:
	case AUDIT_SYMBOL_WRONG_AXIS:
		return "invalid_proof";
	case AUDIT_SYMBOL_WRONG_SIZE:
		return "wrong_size";
	case AUDIT_SYMBOL_OUT_OF_RANGE:
		return "malformed";
	case AUDIT_SYMBOL_MISSING:
		return "not_found";
	case AUDIT_SYMBOL_BAD_METADATA:
		return "bad_metadata";
	}
	return "malformed";
}

/* Everything about one symbol but its Merkle path: PASS means only the path is left to
 * check, against *root. */
static enum audit_symbol_verdict check_symbol(const struct audit_metadata *md,
					      const struct audit_params *p, uint16_t symbol_size,
					      struct audit_symbol_id id, enum audit_proof_axis axis,
					      const struct audit_recovery_symbol *sym,
					      uint8_t root[AUDIT_DIGEST_LEN], struct err *e)
{
	if (id.primary >= p->n || id.secondary >= p->n) {
		/* The caller's own mistake; say so rather than blame the node. */
		err_set(e, "symbol id %u-%u asked for is out of range for %lu shards", id.primary,
			id.secondary, (unsigned long)p->n);
		return AUDIT_SYMBOL_BAD_METADATA;
	}
	if (sym->index >= p->n || sym->target >= p->n) {
		err_set(e, "recovery symbol: index %u or target %u is out of range for %lu shards",
			sym->index, sym->target, (unsigned long)p->n);
		return AUDIT_SYMBOL_OUT_OF_RANGE;
	}
	struct audit_symbol_id got;
	enum audit_proof_axis got_axis;
	audit_recovery_symbol_id(sym, &got, &got_axis);
	char want_text[AUDIT_SYMBOL_ID_TEXT_MAX], got_text[AUDIT_SYMBOL_ID_TEXT_MAX];
	if (got_axis != axis) {
		audit_symbol_id_text(got_text, got);
		err_set(e, "recovery symbol %s is proven on the %s axis, not the %s axis asked for",
			got_text, audit_proof_axis_name(got_axis), audit_proof_axis_name(axis));
		return AUDIT_SYMBOL_WRONG_AXIS;
	}
	if (got.primary != id.primary || got.secondary != id.secondary) {
		audit_symbol_id_text(want_text, id);
		audit_symbol_id_text(got_text, got);
		err_set(e, "recovery symbol is %s, not %s asked for", got_text, want_text);
		return AUDIT_SYMBOL_WRONG_ID;
	}
	if (sym->data_len != symbol_size) {
		audit_symbol_id_text(want_text, id);
		err_set(e, "recovery symbol %s has %zu bytes but the blob's symbol size is %u",
			want_text, sym->data_len, symbol_size);
		return AUDIT_SYMBOL_WRONG_SIZE;
	}
	uint32_t pair = audit_proof_pair(p->n, id, axis);
	const struct audit_node *committed = axis == AUDIT_AXIS_PRIMARY ? &md->hashes[pair].primary
									 : &md->hashes[pair].secondary;
	audit_node_bytes(committed, root);
	return AUDIT_SYMBOL_PASS;
}

static enum audit_symbol_verdict invalid_proof(struct err *e, struct audit_symbol_id id,
					       enum audit_proof_axis axis)
{
	char want_text[AUDIT_SYMBOL_ID_TEXT_MAX];
	audit_symbol_id_text(want_text, id);
	err_prefix(e, "recovery symbol %s (%s axis): ", want_text, audit_proof_axis_name(axis));
	return AUDIT_SYMBOL_INVALID_PROOF;
}

enum audit_symbol_verdict audit_symbol_verify(const struct audit_metadata *md,
					      struct audit_symbol_id id,
					      enum audit_proof_axis axis,
					      const struct audit_recovery_symbol *sym,
					      struct err *e)
{
	struct audit_params p;
	uint16_t symbol_size;
	if (!audit_metadata_params(md, &p, &symbol_size, e))
		return AUDIT_SYMBOL_BAD_METADATA;
	uint8_t root[AUDIT_DIGEST_LEN];
	enum audit_symbol_verdict v = check_symbol(md, &p, symbol_size, id, axis, sym, root, e);
	if (v != AUDIT_SYMBOL_PASS)
		return v;
	if (!audit_merkle_verify(root, p.n, sym->target, sym->data, sym->data_len, sym->proof,
				 sym->proof_len, e))
		return invalid_proof(e, id, axis);
	return AUDIT_SYMBOL_PASS;
}

/* A proof waiting for its hashes: the verdict slot it decides. */
struct pending_proof {
	enum audit_symbol_verdict *verdict;
	struct err *err; /* or NULL */
	struct audit_symbol_id id;
	enum audit_proof_axis axis;
	uint8_t root[AUDIT_DIGEST_LEN]; /* the committed one */
};

struct audit_symbols_batch {
	struct audit_merkle_climb *climb;
	struct pending_proof *proof;
	size_t n, cap;
};

struct audit_symbols_batch *audit_symbols_batch_new(void)
{
	return xcalloc(1, sizeof(struct audit_symbols_batch));
}

void audit_symbols_batch_free(struct audit_symbols_batch *b)
{
	if (!b)
		return;
	free(b->climb);
	free(b->proof);
	free(b);
}

/* The symbols of one answer are checked together: their leaves and paths are hashed side
 * by side (audit_merkle_climb_many), the verdicts and sentences are audit_symbol_verify's. */
void audit_symbols_batch_add(struct audit_symbols_batch *b, const struct audit_metadata *md,
			     const struct audit_symbol_id *ids, size_t count,
			     enum audit_proof_axis axis, const struct audit_recovery_symbols *list,
			     enum audit_symbol_verdict *verdicts, struct err *errs)
{
	struct audit_params p;
	uint16_t symbol_size = 0;
	struct err pe = {{0}};
	bool params_ok = audit_metadata_params(md, &p, &symbol_size, &pe);
	if (b->n + count > b->cap) {
		b->cap = (b->n + count) * 2;
		b->climb = xrealloc(b->climb, b->cap * sizeof(*b->climb));
		b->proof = xrealloc(b->proof, b->cap * sizeof(*b->proof));
	}
	for (size_t i = 0; i < count; i++) {
		struct err local; /* written before it is read */
		struct err *e = errs ? &errs[i] : &local;
		const struct audit_recovery_symbol *match = NULL;
		for (size_t k = 0; k < list->count && !match; k++) {
			struct audit_symbol_id got;
			enum audit_proof_axis got_axis;
			audit_recovery_symbol_id(&list->items[k], &got, &got_axis);
			if (got_axis == axis && got.primary == ids[i].primary &&
			    got.secondary == ids[i].secondary)
				match = &list->items[k];
		}
		if (!match && list->count == count)
			match = &list->items[i];
		if (!match) {
			char t[AUDIT_SYMBOL_ID_TEXT_MAX];
			audit_symbol_id_text(t, ids[i]);
			err_set(e, "the response has no recovery symbol %s", t);
			verdicts[i] = AUDIT_SYMBOL_MISSING;
			continue;
		}
		if (!params_ok) {
			*e = pe;
			verdicts[i] = AUDIT_SYMBOL_BAD_METADATA;
			continue;
		}
		struct pending_proof *pp = &b->proof[b->n];
		verdicts[i] = check_symbol(md, &p, symbol_size, ids[i], axis, match, pp->root, e);
		if (verdicts[i] != AUDIT_SYMBOL_PASS)
			continue;
		if (!audit_merkle_check_shape(p.n, match->target, match->proof_len, e)) {
			verdicts[i] = invalid_proof(e, ids[i], axis);
			continue;
		}
		b->climb[b->n] = (struct audit_merkle_climb){match->data, match->data_len,
							     match->target, match->proof,
							     match->proof_len, {0}};
		pp->verdict = &verdicts[i];
		pp->err = errs ? &errs[i] : NULL;
		pp->id = ids[i];
		pp->axis = axis;
		b->n++;
	}
}

size_t audit_symbols_batch_run(struct audit_symbols_batch *b, const struct audit_b2_msg *extra,
			       size_t nextra)
{
	size_t passed = 0;
	audit_merkle_climb_many_with(b->climb, b->n, extra, nextra);
	for (size_t c = 0; c < b->n; c++) {
		struct pending_proof *pp = &b->proof[c];
		if (!memcmp(b->climb[c].root, pp->root, AUDIT_DIGEST_LEN)) {
			passed++;
			continue;
		}
		struct err local = {{0}};
		struct err *e = pp->err ? pp->err : &local;
		err_set(e, "Merkle proof: the path does not lead to the committed root");
		*pp->verdict = invalid_proof(e, pp->id, pp->axis);
	}
	b->n = 0;
	return passed;
}

size_t audit_symbols_verify_list(const struct audit_metadata *md,
				 const struct audit_symbol_id *ids, size_t count,
				 enum audit_proof_axis axis,
				 const struct audit_recovery_symbols *list,
				 enum audit_symbol_verdict *verdicts, struct err *errs)
{
	struct audit_symbols_batch b = {0};
	audit_symbols_batch_add(&b, md, ids, count, axis, list, verdicts, errs);
	size_t passed = audit_symbols_batch_run(&b, NULL, 0);
	free(b.climb);
	free(b.proof);
	return passed;
}
