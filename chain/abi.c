#include "chain/abi.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "chain/keccak.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"

/* Bounds that keep a hostile type string or encoding from exhausting memory. */
#define MAX_FIXED_ARRAY 65536u           /* k in T[k] */
#define MAX_STATIC_SIZE (1u << 24)       /* bytes of one static type's encoding */

/* ---------------------------------------------------------------- types */

void chain_abi_type_free(struct chain_abi_type *t)
{
	if (!t)
		return;
	chain_abi_type_free(t->elem);
	for (size_t i = 0; i < t->nfields; i++)
		chain_abi_type_free(t->fields[i]);
	free(t->fields);
	free(t->name);
	free(t);
}

bool chain_abi_type_is_dynamic(const struct chain_abi_type *t)
{
	switch (t->kind) {
	case CHAIN_ABI_BYTES:
	case CHAIN_ABI_STRING:
	case CHAIN_ABI_DYN_ARRAY:
		return true;
	case CHAIN_ABI_ARRAY:
		return chain_abi_type_is_dynamic(t->elem);
	case CHAIN_ABI_TUPLE:
		for (size_t i = 0; i < t->nfields; i++)
			if (chain_abi_type_is_dynamic(t->fields[i]))
				return true;
		return false;
	default:
		return false;
	}
}

/* Bytes a type takes in its enclosing head: 32 for dynamic types (an offset), the whole
 * inline encoding for static ones. Bounded by MAX_STATIC_SIZE at parse time. */
static size_t head_size(const struct chain_abi_type *t)
{
	if (chain_abi_type_is_dynamic(t))
		return 32;
	if (t->kind == CHAIN_ABI_ARRAY)
		return (size_t)t->size * head_size(t->elem);
	if (t->kind == CHAIN_ABI_TUPLE) {
		size_t n = 0;
		for (size_t i = 0; i < t->nfields; i++)
			n += head_size(t->fields[i]);
		return n;
	}
	return 32;
}

static void canonical(const struct chain_abi_type *t, struct buf *b)
{
	switch (t->kind) {
	case CHAIN_ABI_UINT:
		buf_printf(b, "uint%u", t->size);
		break;
	case CHAIN_ABI_INT:
		buf_printf(b, "int%u", t->size);
		break;
	case CHAIN_ABI_ADDRESS:
		buf_append_str(b, "address");
		break;
	case CHAIN_ABI_BOOL:
		buf_append_str(b, "bool");
		break;
	case CHAIN_ABI_FIXED_BYTES:
		buf_printf(b, "bytes%u", t->size);
		break;
	case CHAIN_ABI_BYTES:
		buf_append_str(b, "bytes");
		break;
	case CHAIN_ABI_STRING:
		buf_append_str(b, "string");
		break;
	case CHAIN_ABI_ARRAY:
		canonical(t->elem, b);
		buf_printf(b, "[%u]", t->size);
		break;
	case CHAIN_ABI_DYN_ARRAY:
		canonical(t->elem, b);
		buf_append_str(b, "[]");
		break;
	case CHAIN_ABI_TUPLE:
		buf_append_byte(b, '(');
		for (size_t i = 0; i < t->nfields; i++) {
			if (i)
				buf_append_byte(b, ',');
			canonical(t->fields[i], b);
		}
		buf_append_byte(b, ')');
		break;
	}
}

char *chain_abi_type_canonical_new(const struct chain_abi_type *t)
{
	struct buf b = BUF_INIT;
	canonical(t, &b);
	buf_cstr(&b);
	return (char *)buf_steal(&b, NULL);
}

struct cur {
	const char *start, *p;
};

static void skip_ws(struct cur *c)
{
	while (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r')
		c->p++;
}

static bool is_ident_start(char ch)
{
	return isalpha((unsigned char)ch) || ch == '_' || ch == '$';
}

static bool is_ident(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '$';
}

/* Reads an identifier into out (NUL-terminated, truncated to cap); returns its length. */
static size_t read_ident(struct cur *c, char *out, size_t cap)
{
	size_t n = 0;
	if (!is_ident_start(*c->p))
		return 0;
	while (is_ident(*c->p)) {
		if (n + 1 < cap)
			out[n] = *c->p;
		n++;
		c->p++;
	}
	out[n < cap ? n : cap - 1] = '\0';
	return n;
}

static bool type_err(struct cur *c, struct err *e, const char *what)
{
	return err_set(e, "%s at character %zu of '%.120s'", what, (size_t)(c->p - c->start) + 1,
		       c->start);
}

/* "N" after uint/int/bytes: digits only, no leading zero. Returns false if malformed. */
static bool suffix_number(const char *s, unsigned *out)
{
	if (!*s || *s == '0' || strlen(s) > 3)
		return false;
	unsigned v = 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		v = v * 10 + (unsigned)(*s - '0');
	}
	*out = v;
	return true;
}

static bool elementary(const char *id, struct chain_abi_type *t)
{
	unsigned n;
	if (!strcmp(id, "address")) {
		t->kind = CHAIN_ABI_ADDRESS;
	} else if (!strcmp(id, "bool")) {
		t->kind = CHAIN_ABI_BOOL;
	} else if (!strcmp(id, "string")) {
		t->kind = CHAIN_ABI_STRING;
	} else if (!strcmp(id, "bytes")) {
		t->kind = CHAIN_ABI_BYTES;
	} else if (!strcmp(id, "uint") || !strcmp(id, "int")) {
		t->kind = id[0] == 'u' ? CHAIN_ABI_UINT : CHAIN_ABI_INT;
		t->size = 256;
	} else if (!strncmp(id, "uint", 4) && suffix_number(id + 4, &n) && n % 8 == 0 && n <= 256) {
		t->kind = CHAIN_ABI_UINT;
		t->size = n;
	} else if (!strncmp(id, "int", 3) && suffix_number(id + 3, &n) && n % 8 == 0 && n <= 256) {
		t->kind = CHAIN_ABI_INT;
		t->size = n;
	} else if (!strncmp(id, "bytes", 5) && suffix_number(id + 5, &n) && n <= 32) {
		t->kind = CHAIN_ABI_FIXED_BYTES;
		t->size = n;
	} else {
		return false;
	}
	return true;
}

static bool parse_params(struct cur *c, struct chain_abi_type *tuple, unsigned depth,
			 bool allow_indexed, struct err *e);

static bool static_size_ok(const struct chain_abi_type *t)
{
	if (chain_abi_type_is_dynamic(t))
		return true;
	if (t->kind == CHAIN_ABI_ARRAY) {
		if (!static_size_ok(t->elem))
			return false;
		return head_size(t->elem) <= MAX_STATIC_SIZE / t->size;
	}
	if (t->kind == CHAIN_ABI_TUPLE) {
		size_t n = 0;
		for (size_t i = 0; i < t->nfields; i++) {
			if (!static_size_ok(t->fields[i]))
				return false;
			n += head_size(t->fields[i]);
			if (n > MAX_STATIC_SIZE)
				return false;
		}
	}
	return true;
}

static bool parse_type(struct cur *c, struct chain_abi_type **out, unsigned depth, struct err *e)
{
	if (depth > CHAIN_ABI_MAX_DEPTH)
		return type_err(c, e, "type nests too deeply");
	struct chain_abi_type *t = xcalloc(1, sizeof(*t));
	if (*c->p == '(') {
		t->kind = CHAIN_ABI_TUPLE;
		if (!parse_params(c, t, depth + 1, false, e))
			goto fail;
		if (t->nfields == 0) {
			type_err(c, e, "empty tuple type");
			goto fail;
		}
	} else {
		char id[32];
		const char *at = c->p;
		size_t n = read_ident(c, id, sizeof(id));
		if (n == 0 || n >= sizeof(id) || !elementary(id, t)) {
			c->p = at;
			type_err(c, e, "unknown type");
			goto fail;
		}
	}
	while (*c->p == '[') {
		c->p++;
		struct chain_abi_type *a = xcalloc(1, sizeof(*a));
		a->elem = t;
		t = a;
		if (++depth > CHAIN_ABI_MAX_DEPTH) {
			type_err(c, e, "type nests too deeply");
			goto fail;
		}
		if (*c->p == ']') {
			t->kind = CHAIN_ABI_DYN_ARRAY;
		} else {
			uint64_t k = 0;
			if (*c->p == '0') {
				type_err(c, e, "array length must be a positive number without leading zeros");
				goto fail;
			}
			while (*c->p >= '0' && *c->p <= '9') {
				k = k * 10 + (uint64_t)(*c->p - '0');
				if (k > MAX_FIXED_ARRAY) {
					type_err(c, e, "fixed array is too long");
					goto fail;
				}
				c->p++;
			}
			if (k == 0 || *c->p != ']') {
				type_err(c, e, "expected an array length and ']'");
				goto fail;
			}
			t->kind = CHAIN_ABI_ARRAY;
			t->size = (unsigned)k;
		}
		c->p++;
	}
	if (!static_size_ok(t)) {
		type_err(c, e, "static type is too large");
		goto fail;
	}
	*out = t;
	return true;
fail:
	chain_abi_type_free(t);
	return false;
}

/* "(" [param ("," param)*] ")" where param = type ["indexed"] [name]. */
static bool parse_params(struct cur *c, struct chain_abi_type *tuple, unsigned depth,
			 bool allow_indexed, struct err *e)
{
	size_t cap = 0;
	if (*c->p != '(')
		return type_err(c, e, "expected '('");
	c->p++;
	skip_ws(c);
	if (*c->p == ')') {
		c->p++;
		return true;
	}
	for (;;) {
		struct chain_abi_type *f;
		skip_ws(c);
		if (!parse_type(c, &f, depth, e))
			return false;
		if (tuple->nfields == cap) {
			cap = cap ? cap * 2 : 4;
			tuple->fields = xrealloc(tuple->fields, cap * sizeof(*tuple->fields));
		}
		tuple->fields[tuple->nfields++] = f;
		for (int words = 0; words < 2; words++) {
			/* Optional "indexed" and a parameter name, separated by whitespace. */
			const char *before = c->p;
			skip_ws(c);
			if (c->p == before || !is_ident_start(*c->p))
				break;
			char id[128];
			size_t n = read_ident(c, id, sizeof(id));
			if (n >= sizeof(id))
				return type_err(c, e, "parameter name is too long");
			if (!strcmp(id, "indexed") && !f->indexed && !f->name) {
				if (!allow_indexed)
					return type_err(c, e, "'indexed' outside an event");
				f->indexed = true;
			} else if (!strcmp(id, "memory") || !strcmp(id, "calldata") ||
				   !strcmp(id, "storage")) {
				words--; /* a data location, as in Solidity declarations */
			} else if (!f->name) {
				f->name = xstrdup(id);
			} else {
				return type_err(c, e, "unexpected word");
			}
		}
		skip_ws(c);
		if (*c->p == ',') {
			c->p++;
			continue;
		}
		if (*c->p == ')') {
			c->p++;
			return true;
		}
		return type_err(c, e, "expected ',' or ')'");
	}
}

bool chain_abi_type_parse(const char *text, struct chain_abi_type **out, struct err *e)
{
	struct cur c = {text, text};
	struct chain_abi_type *t;
	skip_ws(&c);
	if (!parse_type(&c, &t, 0, e))
		return false;
	skip_ws(&c);
	if (*c.p) {
		chain_abi_type_free(t);
		return type_err(&c, e, "unexpected text after the type");
	}
	*out = t;
	return true;
}

void chain_abi_sig_free(struct chain_abi_sig *sig)
{
	if (!sig)
		return;
	free(sig->name);
	chain_abi_type_free(sig->inputs);
	chain_abi_type_free(sig->outputs);
	free(sig->canonical);
	free(sig);
}

static bool skip_word(struct cur *c, const char *word)
{
	size_t n = strlen(word);
	if (strncmp(c->p, word, n) || is_ident(c->p[n]))
		return false;
	c->p += n;
	skip_ws(c);
	return true;
}

bool chain_abi_sig_parse(const char *text, struct chain_abi_sig **out, struct err *e)
{
	struct cur c = {text, text};
	struct chain_abi_sig *sig = xcalloc(1, sizeof(*sig));
	sig->inputs = xcalloc(1, sizeof(*sig->inputs));
	sig->inputs->kind = CHAIN_ABI_TUPLE;
	skip_ws(&c);
	bool is_event = skip_word(&c, "event");
	if (!is_event && !skip_word(&c, "function"))
		(void)skip_word(&c, "error");
	char id[256];
	size_t n = read_ident(&c, id, sizeof(id));
	if (n == 0 || n >= sizeof(id)) {
		type_err(&c, e, "expected a function name");
		goto fail;
	}
	sig->name = xstrdup(id);
	skip_ws(&c);
	/* "indexed" is accepted in any signature: cast-style event strings carry no keyword. */
	if (!parse_params(&c, sig->inputs, 1, true, e))
		goto fail;
	skip_ws(&c);
	static const char *const modifiers[] = {"external", "public", "view", "pure", "payable",
						"nonpayable", "anonymous", "virtual", "override"};
	for (bool again = true; again;) {
		again = false;
		for (size_t i = 0; i < ARRAY_LEN(modifiers); i++)
			if (skip_word(&c, modifiers[i]))
				again = true;
	}
	bool returns = skip_word(&c, "returns");
	if (*c.p == '(') {
		sig->outputs = xcalloc(1, sizeof(*sig->outputs));
		sig->outputs->kind = CHAIN_ABI_TUPLE;
		if (!parse_params(&c, sig->outputs, 1, false, e))
			goto fail;
		skip_ws(&c);
	} else if (returns) {
		type_err(&c, e, "expected '(' after 'returns'");
		goto fail;
	}
	if (*c.p) {
		type_err(&c, e, "unexpected text after the signature");
		goto fail;
	}
	struct buf b = BUF_INIT;
	buf_append_str(&b, sig->name);
	canonical(sig->inputs, &b);
	sig->canonical = xstrdup(buf_cstr(&b));
	buf_free(&b);
	chain_keccak256(sig->topic, sig->canonical, strlen(sig->canonical));
	memcpy(sig->selector, sig->topic, 4);
	*out = sig;
	return true;
fail:
	chain_abi_sig_free(sig);
	return false;
}

/* ---------------------------------------------------------------- values */

static struct chain_abi_value *value_new(enum chain_abi_kind kind)
{
	struct chain_abi_value *v = xcalloc(1, sizeof(*v));
	v->kind = kind;
	return v;
}

void chain_abi_value_free(struct chain_abi_value *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->n; i++)
		chain_abi_value_free(v->items[i]);
	free(v->items);
	free(v->bytes);
	free(v);
}

struct chain_abi_value *chain_abi_uint_new(uint64_t x)
{
	struct chain_abi_value *v = value_new(CHAIN_ABI_UINT);
	chain_u256_from_u64(&v->num, x);
	return v;
}

struct chain_abi_value *chain_abi_u256_new(const struct chain_u256 *x)
{
	struct chain_abi_value *v = value_new(CHAIN_ABI_UINT);
	v->num = *x;
	return v;
}

struct chain_abi_value *chain_abi_int_new(int64_t x)
{
	struct chain_abi_value *v = value_new(CHAIN_ABI_INT);
	uint64_t ext = x < 0 ? UINT64_MAX : 0;
	v->num.w[0] = (uint64_t)x;
	v->num.w[1] = v->num.w[2] = v->num.w[3] = ext;
	return v;
}

struct chain_abi_value *chain_abi_i256_new(const struct chain_u256 *x)
{
	struct chain_abi_value *v = value_new(CHAIN_ABI_INT);
	v->num = *x;
	return v;
}

struct chain_abi_value *chain_abi_bool_new(bool x)
{
	struct chain_abi_value *v = value_new(CHAIN_ABI_BOOL);
	chain_u256_from_u64(&v->num, x ? 1 : 0);
	return v;
}

struct chain_abi_value *chain_abi_address_new(const uint8_t addr[20])
{
	struct chain_abi_value *v = value_new(CHAIN_ABI_ADDRESS);
	memcpy(v->addr, addr, 20);
	return v;
}

static struct chain_abi_value *bytes_value(enum chain_abi_kind kind, const uint8_t *data, size_t len)
{
	struct chain_abi_value *v = value_new(kind);
	v->bytes = xmalloc(len + 1);
	if (len)
		memcpy(v->bytes, data, len);
	v->bytes[len] = '\0';
	v->len = len;
	return v;
}

struct chain_abi_value *chain_abi_fixed_bytes_new(const uint8_t *data, size_t len)
{
	ASSAY_ASSERT(len <= 32);
	return bytes_value(CHAIN_ABI_FIXED_BYTES, data, len);
}

struct chain_abi_value *chain_abi_bytes_new(const uint8_t *data, size_t len)
{
	return bytes_value(CHAIN_ABI_BYTES, data, len);
}

struct chain_abi_value *chain_abi_string_new(const char *s)
{
	return bytes_value(CHAIN_ABI_STRING, (const uint8_t *)s, strlen(s));
}

struct chain_abi_value *chain_abi_array_new(void)
{
	return value_new(CHAIN_ABI_DYN_ARRAY);
}

struct chain_abi_value *chain_abi_tuple_new(void)
{
	return value_new(CHAIN_ABI_TUPLE);
}

static bool is_list(const struct chain_abi_value *v)
{
	return v->kind == CHAIN_ABI_ARRAY || v->kind == CHAIN_ABI_DYN_ARRAY ||
	       v->kind == CHAIN_ABI_TUPLE;
}

struct chain_abi_value *chain_abi_push(struct chain_abi_value *list, struct chain_abi_value *item)
{
	ASSAY_ASSERT(is_list(list) && item);
	/* Grow by doubling: capacity is the next power of two of n. */
	if ((list->n & (list->n - 1)) == 0)
		list->items = xrealloc(list->items, (list->n ? list->n * 2 : 1) * sizeof(*list->items));
	list->items[list->n++] = item;
	return list;
}

const struct chain_abi_value *chain_abi_at(const struct chain_abi_value *v, size_t i)
{
	if (!v || !is_list(v) || i >= v->n)
		return NULL;
	return v->items[i];
}

static bool need(const struct chain_abi_value *v, enum chain_abi_kind kind, const char *what,
		 struct err *e)
{
	if (!v)
		return err_set(e, "ABI value is missing where %s was expected", what);
	if (v->kind != kind)
		return err_set(e, "ABI value is not %s", what);
	return true;
}

bool chain_abi_get_u256(const struct chain_abi_value *v, struct chain_u256 *out, struct err *e)
{
	if (!v || (v->kind != CHAIN_ABI_UINT && v->kind != CHAIN_ABI_INT))
		return err_set(e, "ABI value is not an integer");
	*out = v->num;
	return true;
}

bool chain_abi_get_u64(const struct chain_abi_value *v, uint64_t *out, struct err *e)
{
	if (!need(v, CHAIN_ABI_UINT, "an unsigned integer", e))
		return false;
	if (!chain_u256_to_u64(&v->num, out))
		return err_set(e, "ABI integer does not fit in 64 bits");
	return true;
}

bool chain_abi_get_address(const struct chain_abi_value *v, uint8_t out[20], struct err *e)
{
	if (!need(v, CHAIN_ABI_ADDRESS, "an address", e))
		return false;
	memcpy(out, v->addr, 20);
	return true;
}

bool chain_abi_get_bool(const struct chain_abi_value *v, bool *out, struct err *e)
{
	if (!need(v, CHAIN_ABI_BOOL, "a bool", e))
		return false;
	*out = !chain_u256_is_zero(&v->num);
	return true;
}

bool chain_abi_get_bytes32(const struct chain_abi_value *v, uint8_t out[32], struct err *e)
{
	if (!need(v, CHAIN_ABI_FIXED_BYTES, "bytes32", e))
		return false;
	if (v->len != 32)
		return err_set(e, "ABI value is bytes%zu, not bytes32", v->len);
	memcpy(out, v->bytes, 32);
	return true;
}

/* ---------------------------------------------------------------- addresses */

void chain_address_checksum(char out[43], const uint8_t addr[20])
{
	char lower[41];
	uint8_t h[32];
	hex_encode(lower, addr, 20);
	chain_keccak256(h, lower, 40);
	out[0] = '0';
	out[1] = 'x';
	for (size_t i = 0; i < 40; i++) {
		unsigned nib = (h[i / 2] >> (i % 2 ? 0 : 4)) & 15;
		char ch = lower[i];
		out[2 + i] = (char)(ch >= 'a' && nib >= 8 ? ch - 'a' + 'A' : ch);
	}
	out[42] = '\0';
}

bool chain_address_parse(uint8_t out[20], const char *text, struct err *e)
{
	const char *h = text;
	if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
		h += 2;
	bool upper = false, lower = false;
	size_t n = 0;
	for (; h[n]; n++) {
		if (!isxdigit((unsigned char)h[n]))
			return err_set(e, "'%.60s' is not an address (0x and 40 hex digits)", text);
		upper |= isupper((unsigned char)h[n]) != 0;
		lower |= islower((unsigned char)h[n]) != 0;
	}
	if (n != 40)
		return err_set(e, "'%.60s' is not an address (0x and 40 hex digits)", text);
	uint8_t a[20];
	if (!hex_decode_exact(a, 20, h, e))
		return false;
	if (upper && lower) {
		char want[43];
		chain_address_checksum(want, a);
		if (strcmp(want + 2, h))
			return err_set(e, "address '%.60s' has a wrong EIP-55 checksum (expected %s)",
				       text, want);
	}
	memcpy(out, a, 20);
	return true;
}

/* ---------------------------------------------------------------- encoding */

static void put_word_u256(struct buf *b, const struct chain_u256 *v)
{
	uint8_t w[32];
	chain_u256_to_be(v, w);
	buf_append(b, w, 32);
}

static void put_size(struct buf *b, size_t n)
{
	struct chain_u256 v;
	chain_u256_from_u64(&v, (uint64_t)n);
	put_word_u256(b, &v);
}

static void patch_size(struct buf *b, size_t at, size_t n)
{
	struct chain_u256 v;
	chain_u256_from_u64(&v, (uint64_t)n);
	chain_u256_to_be(&v, b->data + at);
}

static bool enc(const struct chain_abi_type *t, const struct chain_abi_value *v, struct buf *b,
		struct err *e);

static const char *kind_name(enum chain_abi_kind k)
{
	static const char *const names[] = {"uint", "int", "address", "bool", "bytesN", "bytes",
					    "string", "fixed array", "array", "tuple"};
	return names[k];
}

static bool mismatch(const struct chain_abi_type *t, const struct chain_abi_value *v, struct err *e)
{
	char *c = chain_abi_type_canonical_new(t);
	err_set(e, "a %s value cannot be encoded as %s", kind_name(v->kind), c);
	free(c);
	return false;
}

/* The items of a list, each with its type, as the head/tail layout of a tuple. */
static bool enc_seq(const struct chain_abi_type *const *types, const struct chain_abi_type *same,
		    const struct chain_abi_value *v, struct buf *b, struct err *e)
{
	size_t base = b->len;
	size_t *slots = xcalloc(v->n ? v->n : 1, sizeof(*slots));
	bool ok = false;
	for (size_t i = 0; i < v->n; i++) {
		const struct chain_abi_type *ft = same ? same : types[i];
		if (chain_abi_type_is_dynamic(ft)) {
			slots[i] = b->len;
			put_size(b, 0); /* patched below once the tail's offset is known */
		} else if (!enc(ft, v->items[i], b, e)) {
			goto out;
		}
	}
	for (size_t i = 0; i < v->n; i++) {
		const struct chain_abi_type *ft = same ? same : types[i];
		if (!chain_abi_type_is_dynamic(ft))
			continue;
		patch_size(b, slots[i], b->len - base);
		if (!enc(ft, v->items[i], b, e))
			goto out;
	}
	ok = true;
out:
	free(slots);
	return ok;
}

static bool enc(const struct chain_abi_type *t, const struct chain_abi_value *v, struct buf *b,
		struct err *e)
{
	switch (t->kind) {
	case CHAIN_ABI_UINT:
		if ((v->kind != CHAIN_ABI_UINT && v->kind != CHAIN_ABI_INT) ||
		    (v->kind == CHAIN_ABI_INT && chain_i256_is_negative(&v->num)))
			return mismatch(t, v, e);
		if (!chain_u256_fits_uint(&v->num, t->size))
			return err_set(e, "value does not fit in uint%u", t->size);
		put_word_u256(b, &v->num);
		return true;
	case CHAIN_ABI_INT:
		if (v->kind != CHAIN_ABI_UINT && v->kind != CHAIN_ABI_INT)
			return mismatch(t, v, e);
		if (v->kind == CHAIN_ABI_UINT ? chain_u256_bits(&v->num) > t->size - 1
					      : !chain_i256_fits_int(&v->num, t->size))
			return err_set(e, "value does not fit in int%u", t->size);
		put_word_u256(b, &v->num);
		return true;
	case CHAIN_ABI_BOOL:
		if (v->kind != CHAIN_ABI_BOOL)
			return mismatch(t, v, e);
		put_size(b, chain_u256_is_zero(&v->num) ? 0 : 1);
		return true;
	case CHAIN_ABI_ADDRESS: {
		if (v->kind != CHAIN_ABI_ADDRESS)
			return mismatch(t, v, e);
		uint8_t w[32] = {0};
		memcpy(w + 12, v->addr, 20);
		buf_append(b, w, 32);
		return true;
	}
	case CHAIN_ABI_FIXED_BYTES: {
		if (v->kind != CHAIN_ABI_FIXED_BYTES && v->kind != CHAIN_ABI_BYTES)
			return mismatch(t, v, e);
		if (v->len != t->size)
			return err_set(e, "%zu bytes cannot be encoded as bytes%u", v->len, t->size);
		uint8_t w[32] = {0};
		memcpy(w, v->bytes, v->len);
		buf_append(b, w, 32);
		return true;
	}
	case CHAIN_ABI_BYTES:
	case CHAIN_ABI_STRING: {
		if (v->kind != CHAIN_ABI_BYTES && v->kind != CHAIN_ABI_STRING &&
		    v->kind != CHAIN_ABI_FIXED_BYTES)
			return mismatch(t, v, e);
		static const uint8_t zeros[32];
		put_size(b, v->len);
		if (v->len)
			buf_append(b, v->bytes, v->len);
		buf_append(b, zeros, (32 - v->len % 32) % 32);
		return true;
	}
	case CHAIN_ABI_ARRAY:
		if (!is_list(v))
			return mismatch(t, v, e);
		if (v->n != t->size)
			return err_set(e, "%zu values cannot be encoded as a fixed array of %u",
				       v->n, t->size);
		return enc_seq(NULL, t->elem, v, b, e);
	case CHAIN_ABI_DYN_ARRAY:
		if (!is_list(v))
			return mismatch(t, v, e);
		put_size(b, v->n);
		return enc_seq(NULL, t->elem, v, b, e);
	case CHAIN_ABI_TUPLE:
		if (!is_list(v))
			return mismatch(t, v, e);
		if (v->n != t->nfields)
			return err_set(e, "%zu values given for a tuple of %zu", v->n, t->nfields);
		return enc_seq((const struct chain_abi_type *const *)t->fields, NULL, v, b, e);
	}
	return err_set(e, "unknown ABI type");
}

bool chain_abi_encode(const struct chain_abi_type *t, const struct chain_abi_value *v,
		      struct buf *out, struct err *e)
{
	ASSAY_ASSERT(t->kind == CHAIN_ABI_TUPLE);
	size_t mark = out->len;
	if (!enc(t, v, out, e)) {
		out->len = mark;
		return false;
	}
	return true;
}

bool chain_abi_encode_call(const struct chain_abi_sig *sig, const struct chain_abi_value *args,
			   struct buf *out, struct err *e)
{
	size_t mark = out->len;
	buf_append(out, sig->selector, 4);
	if (!chain_abi_encode(sig->inputs, args, out, e)) {
		out->len = mark;
		return err_prefix(e, "%s: ", sig->canonical);
	}
	return true;
}

/* ---------------------------------------------------------------- decoding */

struct dctx {
	const uint8_t *d;
	size_t len;
	size_t budget; /* decoded values may not outgrow the input by more than this */
	struct err *e;
};

static bool word_at(struct dctx *c, size_t pos, const uint8_t **w)
{
	if (pos > c->len || c->len - pos < 32)
		return err_set(c->e, "ABI data ends at byte %zu where a 32-byte word was expected",
			       c->len);
	*w = c->d + pos;
	return true;
}

static bool read_size(struct dctx *c, size_t pos, size_t *out, const char *what)
{
	const uint8_t *w = NULL;
	if (!word_at(c, pos, &w))
		return false;
	for (size_t i = 0; i < 24; i++)
		if (w[i])
			return err_set(c->e, "ABI %s at byte %zu is too large", what, pos);
	uint64_t v = 0;
	for (size_t i = 24; i < 32; i++)
		v = (v << 8) | w[i];
	if (v > c->len)
		return err_set(c->e, "ABI %s at byte %zu points past the end of the data", what, pos);
	*out = (size_t)v;
	return true;
}

static bool charge(struct dctx *c, size_t units)
{
	if (units > c->budget)
		return err_set(c->e, "ABI data decodes to far more values than it holds "
				     "(offsets alias one another)");
	c->budget -= units;
	return true;
}

static bool dec(struct dctx *c, const struct chain_abi_type *t, size_t start, unsigned depth,
		struct chain_abi_value **out);

static bool dec_seq(struct dctx *c, const struct chain_abi_type *const *types,
		    const struct chain_abi_type *same, size_t count, size_t start, unsigned depth,
		    struct chain_abi_value *list)
{
	size_t pos = start;
	if (start > c->len)
		return err_set(c->e, "ABI data ends before byte %zu", start);
	for (size_t i = 0; i < count; i++) {
		const struct chain_abi_type *ft = same ? same : types[i];
		size_t at = pos;
		if (chain_abi_type_is_dynamic(ft)) {
			size_t off;
			if (!read_size(c, pos, &off, "offset"))
				return false;
			if (off > c->len - start)
				return err_set(c->e, "ABI offset at byte %zu points past the end of the data",
					       pos);
			at = start + off;
		}
		struct chain_abi_value *item;
		if (!dec(c, ft, at, depth + 1, &item))
			return false;
		chain_abi_push(list, item);
		pos += head_size(ft);
	}
	return true;
}

static bool dec(struct dctx *c, const struct chain_abi_type *t, size_t start, unsigned depth,
		struct chain_abi_value **out)
{
	if (depth > CHAIN_ABI_MAX_DEPTH)
		return err_set(c->e, "ABI value nests deeper than %d levels", CHAIN_ABI_MAX_DEPTH);
	const uint8_t *w = NULL;
	struct chain_abi_value *v = NULL;
	size_t n;
	switch (t->kind) {
	case CHAIN_ABI_UINT:
	case CHAIN_ABI_INT:
	case CHAIN_ABI_BOOL:
		if (!word_at(c, start, &w) || !charge(c, 32))
			return false;
		v = value_new(t->kind);
		chain_u256_from_be(&v->num, w, 32);
		if (t->kind == CHAIN_ABI_INT ? !chain_i256_fits_int(&v->num, t->size)
					     : !chain_u256_fits_uint(&v->num, t->kind == CHAIN_ABI_BOOL ? 1 : t->size)) {
			chain_abi_value_free(v);
			return err_set(c->e, "ABI word at byte %zu does not fit %s%u", start,
				       t->kind == CHAIN_ABI_BOOL ? "bool" : kind_name(t->kind),
				       t->kind == CHAIN_ABI_BOOL ? 0 : t->size);
		}
		break;
	case CHAIN_ABI_ADDRESS:
		if (!word_at(c, start, &w) || !charge(c, 32))
			return false;
		for (size_t i = 0; i < 12; i++)
			if (w[i])
				return err_set(c->e, "ABI address at byte %zu has nonzero high bytes", start);
		v = chain_abi_address_new(w + 12);
		break;
	case CHAIN_ABI_FIXED_BYTES:
		if (!word_at(c, start, &w) || !charge(c, 32))
			return false;
		for (size_t i = t->size; i < 32; i++)
			if (w[i])
				return err_set(c->e, "ABI bytes%u at byte %zu has nonzero padding", t->size,
					       start);
		v = chain_abi_fixed_bytes_new(w, t->size);
		break;
	case CHAIN_ABI_BYTES:
	case CHAIN_ABI_STRING:
		if (!read_size(c, start, &n, "length"))
			return false;
		if (n > c->len - start - 32)
			return err_set(c->e, "ABI %s of %zu bytes at byte %zu runs past the end",
				       kind_name(t->kind), n, start);
		if (!charge(c, 32 + n))
			return false;
		v = bytes_value(t->kind, c->d + start + 32, n);
		break;
	case CHAIN_ABI_ARRAY:
		if (!charge(c, 1))
			return false;
		/* Also holds for dynamic elements: their heads (offsets) are inline. */
		if ((size_t)t->size > (c->len - (start < c->len ? start : c->len)) / head_size(t->elem))
			return err_set(c->e, "ABI fixed array at byte %zu runs past the end", start);
		v = value_new(t->kind);
		if (!dec_seq(c, NULL, t->elem, t->size, start, depth, v))
			goto fail;
		break;
	case CHAIN_ABI_DYN_ARRAY:
		if (!read_size(c, start, &n, "array length") || !charge(c, 1))
			return false;
		if (n > (c->len - start - 32) / head_size(t->elem))
			return err_set(c->e, "ABI array of %zu items at byte %zu runs past the end", n,
				       start);
		v = value_new(t->kind);
		if (!dec_seq(c, NULL, t->elem, n, start + 32, depth, v))
			goto fail;
		break;
	case CHAIN_ABI_TUPLE:
		if (!charge(c, 1))
			return false;
		v = value_new(t->kind);
		if (!dec_seq(c, (const struct chain_abi_type *const *)t->fields, NULL, t->nfields,
			     start, depth, v))
			goto fail;
		break;
	}
	*out = v;
	return true;
fail:
	chain_abi_value_free(v);
	return false;
}

bool chain_abi_decode(const struct chain_abi_type *t, const uint8_t *data, size_t len,
		      struct chain_abi_value **out, struct err *e)
{
	ASSAY_ASSERT(t->kind == CHAIN_ABI_TUPLE);
	struct dctx c = {data, len, 2 * len + 65536, e};
	return dec(&c, t, 0, 0, out);
}

bool chain_abi_decode_call(const struct chain_abi_sig *sig, const uint8_t *data, size_t len,
			   struct chain_abi_value **out, struct err *e)
{
	if (len < 4 || memcmp(data, sig->selector, 4))
		return err_set(e, "calldata does not start with the selector of %s", sig->canonical);
	if (!chain_abi_decode(sig->inputs, data + 4, len - 4, out, e))
		return err_prefix(e, "%s: ", sig->canonical);
	return true;
}

bool chain_abi_decode_output(const struct chain_abi_sig *sig, const uint8_t *data, size_t len,
			     struct chain_abi_value **out, struct err *e)
{
	if (!sig->outputs)
		return err_set(e, "%s has no output types", sig->canonical);
	if (!chain_abi_decode(sig->outputs, data, len, out, e))
		return err_prefix(e, "result of %s: ", sig->canonical);
	return true;
}

bool chain_abi_decode_log(const struct chain_abi_sig *event, const uint8_t (*topics)[32],
			  size_t ntopics, const uint8_t *data, size_t len,
			  struct chain_abi_value **out, struct err *e)
{
	const struct chain_abi_type *in = event->inputs;
	size_t nindexed = 0;
	for (size_t i = 0; i < in->nfields; i++)
		nindexed += in->fields[i]->indexed;
	if (ntopics == 0 || memcmp(topics[0], event->topic, 32))
		return err_set(e, "log is not a %s event (topic 0 differs)", event->canonical);
	if (ntopics != nindexed + 1)
		return err_set(e, "%s log has %zu topics, expected %zu", event->canonical, ntopics,
			       nindexed + 1);
	/* The non-indexed parameters are abi.encode'd together in data. */
	struct chain_abi_type body = {.kind = CHAIN_ABI_TUPLE};
	body.fields = xcalloc(in->nfields ? in->nfields : 1, sizeof(*body.fields));
	for (size_t i = 0; i < in->nfields; i++)
		if (!in->fields[i]->indexed)
			body.fields[body.nfields++] = in->fields[i];
	struct chain_abi_value *dv = NULL, *res = NULL;
	bool ok = false;
	if (!chain_abi_decode(&body, data, len, &dv, e)) {
		err_prefix(e, "%s log data: ", event->canonical);
		goto out;
	}
	res = chain_abi_tuple_new();
	size_t ti = 1, di = 0;
	for (size_t i = 0; i < in->nfields; i++) {
		const struct chain_abi_type *ft = in->fields[i];
		if (!ft->indexed) {
			chain_abi_push(res, dv->items[di]);
			dv->items[di++] = NULL;
			continue;
		}
		const uint8_t *topic = topics[ti++];
		if (chain_abi_type_is_dynamic(ft) || ft->kind == CHAIN_ABI_TUPLE ||
		    ft->kind == CHAIN_ABI_ARRAY) {
			/* Only the hash of an indexed reference type is in the log. */
			chain_abi_push(res, chain_abi_fixed_bytes_new(topic, 32));
			continue;
		}
		struct chain_abi_type one = {.kind = CHAIN_ABI_TUPLE, .nfields = 1};
		/* The decoder only reads the type; the cast drops const for the array slot. */
		struct chain_abi_type *fp = (struct chain_abi_type *)(uintptr_t)ft;
		one.fields = &fp;
		struct chain_abi_value *tv;
		if (!chain_abi_decode(&one, topic, 32, &tv, e)) {
			err_prefix(e, "%s topic %zu: ", event->canonical, ti - 1);
			goto out;
		}
		chain_abi_push(res, tv->items[0]);
		tv->n = 0;
		chain_abi_value_free(tv);
	}
	*out = res;
	res = NULL;
	ok = true;
out:
	chain_abi_value_free(dv); /* items moved into res were set to NULL */
	chain_abi_value_free(res);
	free(body.fields);
	return ok;
}

/* ---------------------------------------------------------------- revert data */

const char *chain_abi_panic_reason(uint64_t code)
{
	switch (code) {
	case 0x00: return "generic compiler panic";
	case 0x01: return "assertion failed";
	case 0x11: return "arithmetic underflow or overflow";
	case 0x12: return "division or modulo by zero";
	case 0x21: return "conversion to an invalid enum value";
	case 0x22: return "incorrectly encoded storage byte array";
	case 0x31: return "pop() on an empty array";
	case 0x32: return "array index out of bounds";
	case 0x41: return "out of memory (too large an allocation)";
	case 0x51: return "call to a zero-initialized internal function";
	default: return NULL;
	}
}

static bool format_call(const struct chain_abi_sig *sig, const uint8_t *data, size_t len,
			struct buf *b, struct err *e)
{
	struct chain_abi_value *v;
	if (!chain_abi_decode_call(sig, data, len, &v, e))
		return false;
	buf_append_str(b, sig->name);
	chain_abi_value_format(sig->inputs, v, b);
	chain_abi_value_free(v);
	return true;
}

bool chain_abi_decode_revert(const uint8_t *data, size_t len,
			     struct chain_abi_sig *const *errors, size_t nerrors, char **msg,
			     struct err *e)
{
	static const uint8_t error_sel[4] = {0x08, 0xc3, 0x79, 0xa0};
	static const uint8_t panic_sel[4] = {0x4e, 0x48, 0x7b, 0x71};
	struct buf b = BUF_INIT;
	struct chain_abi_sig *sig = NULL;
	bool ok = false;
	if (len == 0) {
		buf_append_str(&b, "reverted without data");
	} else if (len >= 4 && !memcmp(data, error_sel, 4)) {
		if (!chain_abi_sig_parse("Error(string)", &sig, e) || !format_call(sig, data, len, &b, e))
			goto out;
	} else if (len >= 4 && !memcmp(data, panic_sel, 4)) {
		struct chain_abi_value *v;
		uint64_t code;
		if (!chain_abi_sig_parse("Panic(uint256)", &sig, e) ||
		    !chain_abi_decode_call(sig, data, len, &v, e))
			goto out;
		bool small = chain_u256_to_u64(&v->items[0]->num, &code);
		const char *why = small ? chain_abi_panic_reason(code) : NULL;
		char hex[CHAIN_U256_STRLEN];
		chain_u256_to_hex(&v->items[0]->num, hex);
		buf_printf(&b, "Panic(%s: %s)", hex, why ? why : "unknown panic code");
		chain_abi_value_free(v);
	} else {
		bool found = false;
		for (size_t i = 0; i < nerrors && !found; i++) {
			if (len >= 4 && !memcmp(data, errors[i]->selector, 4)) {
				if (!format_call(errors[i], data, len, &b, e))
					goto out;
				found = true;
			}
		}
		if (!found) {
			char sel[9] = "";
			if (len >= 4)
				hex_encode(sel, data, 4);
			buf_printf(&b, "custom error 0x%s with %zu bytes of data", len >= 4 ? sel : "",
				   len);
		}
	}
	buf_cstr(&b);
	*msg = (char *)buf_steal(&b, NULL);
	ok = true;
out:
	chain_abi_sig_free(sig);
	buf_free(&b);
	return ok;
}

/* ---------------------------------------------------------------- formatting */

void chain_abi_value_format(const struct chain_abi_type *t, const struct chain_abi_value *v,
			    struct buf *out)
{
	char num[CHAIN_U256_STRLEN];
	switch (t->kind) {
	case CHAIN_ABI_UINT:
		chain_u256_to_dec(&v->num, num);
		buf_append_str(out, num);
		break;
	case CHAIN_ABI_INT:
		chain_i256_to_dec(&v->num, num);
		buf_append_str(out, num);
		break;
	case CHAIN_ABI_BOOL:
		buf_append_str(out, chain_u256_is_zero(&v->num) ? "false" : "true");
		break;
	case CHAIN_ABI_ADDRESS: {
		char a[43];
		chain_address_checksum(a, v->addr);
		buf_append_str(out, a);
		break;
	}
	case CHAIN_ABI_FIXED_BYTES:
	case CHAIN_ABI_BYTES: {
		char *h = hex_encode_0x_new(v->bytes, v->len);
		buf_append_str(out, h);
		free(h);
		break;
	}
	case CHAIN_ABI_STRING:
		buf_append_byte(out, '"');
		for (size_t i = 0; i < v->len; i++) {
			uint8_t ch = v->bytes[i];
			if (ch == '"' || ch == '\\')
				buf_printf(out, "\\%c", ch);
			else if (ch < 0x20 || ch == 0x7f)
				buf_printf(out, "\\x%02x", ch);
			else
				buf_append_byte(out, ch);
		}
		buf_append_byte(out, '"');
		break;
	case CHAIN_ABI_ARRAY:
	case CHAIN_ABI_DYN_ARRAY:
	case CHAIN_ABI_TUPLE:
		buf_append_byte(out, t->kind == CHAIN_ABI_TUPLE ? '(' : '[');
		for (size_t i = 0; i < v->n; i++) {
			if (i)
				buf_append_str(out, ", ");
			chain_abi_value_format(t->kind == CHAIN_ABI_TUPLE ? t->fields[i] : t->elem,
					       v->items[i], out);
		}
		buf_append_byte(out, t->kind == CHAIN_ABI_TUPLE ? ')' : ']');
		break;
	}
}

/* ---------------------------------------------------------------- cast-syntax arguments */

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r';
}

/* 0x-prefixed or bare hex (hex_decode_buf drops one optional 0x). */
static bool parse_hex_token(const char *tok, size_t n, struct buf *b, struct err *e)
{
	char *h = xstrndup(tok, n);
	bool ok = hex_decode_buf(b, h, e);
	free(h);
	return ok;
}

/* Converts one leaf token (already cut out of the argument) to a value. */
static bool parse_leaf(const struct chain_abi_type *t, const char *tok, size_t n,
		       struct chain_abi_value **out, struct err *e)
{
	char *s = xstrndup(tok, n);
	struct buf b = BUF_INIT;
	struct chain_abi_value *v = NULL;
	bool ok = false;
	switch (t->kind) {
	case CHAIN_ABI_UINT:
		v = value_new(CHAIN_ABI_UINT);
		if (!chain_u256_parse(&v->num, s, e))
			goto out;
		if (!chain_u256_fits_uint(&v->num, t->size)) {
			err_set(e, "'%.80s' does not fit in uint%u", s, t->size);
			goto out;
		}
		break;
	case CHAIN_ABI_INT:
		v = value_new(CHAIN_ABI_INT);
		if (!chain_i256_parse(&v->num, s, t->size, e))
			goto out;
		break;
	case CHAIN_ABI_BOOL:
		if (strcmp(s, "true") && strcmp(s, "false")) {
			err_set(e, "'%.80s' is not a bool (true or false)", s);
			goto out;
		}
		v = chain_abi_bool_new(s[0] == 't');
		break;
	case CHAIN_ABI_ADDRESS: {
		uint8_t a[20];
		if (!chain_address_parse(a, s, e))
			goto out;
		v = chain_abi_address_new(a);
		break;
	}
	case CHAIN_ABI_FIXED_BYTES:
	case CHAIN_ABI_BYTES:
		if (!parse_hex_token(s, n, &b, e)) {
			err_prefix(e, "'%.80s': ", s);
			goto out;
		}
		if (t->kind == CHAIN_ABI_FIXED_BYTES && b.len != t->size) {
			err_set(e, "'%.80s' is %zu bytes, bytes%u needs exactly %u", s, b.len, t->size,
				t->size);
			goto out;
		}
		v = t->kind == CHAIN_ABI_FIXED_BYTES ? chain_abi_fixed_bytes_new(b.data, b.len)
						     : chain_abi_bytes_new(b.data, b.len);
		break;
	case CHAIN_ABI_STRING:
		/* A string wrapped in double quotes stands for what is inside them. */
		if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
			v = bytes_value(CHAIN_ABI_STRING, (const uint8_t *)s + 1, n - 2);
		else
			v = bytes_value(CHAIN_ABI_STRING, (const uint8_t *)s, n);
		break;
	default:
		err_set(e, "internal: not a leaf type");
		goto out;
	}
	*out = v;
	v = NULL;
	ok = true;
out:
	chain_abi_value_free(v);
	buf_free(&b);
	free(s);
	return ok;
}

static bool parse_value(const struct chain_abi_type *t, struct cur *c, bool top,
			unsigned depth, struct chain_abi_value **out, struct err *e);

static bool parse_list(const struct chain_abi_type *t, struct cur *c, unsigned depth,
		       struct chain_abi_value **out, struct err *e)
{
	bool tuple = t->kind == CHAIN_ABI_TUPLE;
	char open = tuple ? '(' : '[', close = tuple ? ')' : ']';
	skip_ws(c);
	if (*c->p != open) {
		char *ct = chain_abi_type_canonical_new(t);
		type_err(c, e, tuple ? "expected '(' to start a tuple" : "expected '[' to start an array");
		err_prefix(e, "%s: ", ct);
		free(ct);
		return false;
	}
	c->p++;
	struct chain_abi_value *v = value_new(t->kind);
	for (;;) {
		skip_ws(c);
		if (*c->p == close) {
			c->p++;
			break;
		}
		size_t i = v->n;
		const struct chain_abi_type *et = tuple ? (i < t->nfields ? t->fields[i] : NULL) : t->elem;
		if (!et) {
			type_err(c, e, "too many values for the tuple");
			goto fail;
		}
		struct chain_abi_value *item;
		if (!parse_value(et, c, false, depth + 1, &item, e))
			goto fail;
		chain_abi_push(v, item);
		skip_ws(c);
		if (*c->p == ',') {
			c->p++;
		} else if (*c->p != close) {
			type_err(c, e, tuple ? "expected ',' or ')'" : "expected ',' or ']'");
			goto fail;
		}
	}
	if (tuple && v->n != t->nfields) {
		err_set(e, "tuple needs %zu values, got %zu", t->nfields, v->n);
		goto fail;
	}
	if (t->kind == CHAIN_ABI_ARRAY && v->n != t->size) {
		err_set(e, "fixed array needs %u values, got %zu", t->size, v->n);
		goto fail;
	}
	*out = v;
	return true;
fail:
	chain_abi_value_free(v);
	return false;
}

static bool parse_value(const struct chain_abi_type *t, struct cur *c, bool top,
			unsigned depth, struct chain_abi_value **out, struct err *e)
{
	if (depth > CHAIN_ABI_MAX_DEPTH)
		return type_err(c, e, "value nests too deeply");
	if (t->kind == CHAIN_ABI_ARRAY || t->kind == CHAIN_ABI_DYN_ARRAY || t->kind == CHAIN_ABI_TUPLE)
		return parse_list(t, c, depth, out, e);
	const char *start, *end;
	if (top) {
		/* A whole argument is one leaf: only trailing whitespace is dropped. */
		start = c->p;
		end = start + strlen(start);
	} else {
		skip_ws(c);
		start = c->p;
		if (*c->p == '"') {
			const char *q = strchr(c->p + 1, '"');
			if (!q)
				return type_err(c, e, "unterminated string");
			end = q + 1;
		} else {
			/* Up to the ',' or closing bracket of the enclosing list; brackets
			 * inside the token nest. */
			int nest = 0;
			end = c->p;
			for (; *end; end++) {
				if (*end == '(' || *end == '[')
					nest++;
				else if ((*end == ')' || *end == ']') && nest-- == 0)
					break;
				else if (*end == ',' && nest == 0)
					break;
			}
		}
	}
	c->p = end;
	while (end > start && is_space(end[-1]))
		end--;
	if (!parse_leaf(t, start, (size_t)(end - start), out, e))
		return false;
	return true;
}

bool chain_abi_value_parse(const struct chain_abi_type *t, const char *text,
			   struct chain_abi_value **out, struct err *e)
{
	struct cur c = {text, text};
	struct chain_abi_value *v;
	if (!parse_value(t, &c, true, 0, &v, e))
		return false;
	skip_ws(&c);
	if (*c.p) {
		chain_abi_value_free(v);
		return type_err(&c, e, "unexpected text after the value");
	}
	*out = v;
	return true;
}

bool chain_abi_args_parse(const struct chain_abi_sig *sig, char *const *args, size_t nargs,
			  struct chain_abi_value **out, struct err *e)
{
	const struct chain_abi_type *in = sig->inputs;
	if (nargs != in->nfields)
		return err_set(e, "%s takes %zu arguments, %zu given", sig->canonical, in->nfields,
			       nargs);
	struct chain_abi_value *tuple = chain_abi_tuple_new();
	for (size_t i = 0; i < nargs; i++) {
		struct chain_abi_value *v;
		if (!chain_abi_value_parse(in->fields[i], args[i], &v, e)) {
			chain_abi_value_free(tuple);
			return err_prefix(e, "argument %zu: ", i + 1);
		}
		chain_abi_push(tuple, v);
	}
	*out = tuple;
	return true;
}

struct json_t *chain_address_json(const uint8_t addr[20])
{
	char x[43];
	chain_address_checksum(x, addr);
	return json_string(x);
}

bool chain_abi_calldata_text(const char *sig_text, char *const *args, size_t nargs,
			     struct buf *out, struct chain_abi_sig **sig, bool *bad_text,
			     struct err *e)
{
	struct chain_abi_sig *g = NULL;
	struct chain_abi_value *v = NULL;
	*bad_text = true;
	if (sig)
		*sig = NULL;
	bool ok = chain_abi_sig_parse(sig_text, &g, e) && chain_abi_args_parse(g, args, nargs, &v, e);
	if (ok) {
		*bad_text = false;
		ok = chain_abi_encode_call(g, v, out, e);
	}
	chain_abi_value_free(v);
	if (ok && sig)
		*sig = g;
	else
		chain_abi_sig_free(g);
	return ok;
}

bool chain_abi_format_output(const struct chain_abi_sig *sig, const uint8_t *data, size_t len,
			     struct buf *out, struct err *e)
{
	struct chain_abi_value *ret = NULL;
	if (!chain_abi_decode_output(sig, data, len, &ret, e))
		return false;
	for (size_t i = 0; i < sig->outputs->nfields && i < ret->n; i++) {
		chain_abi_value_format(sig->outputs->fields[i], ret->items[i], out);
		buf_append(out, "\n", 1);
	}
	chain_abi_value_free(ret);
	return true;
}

bool chain_cast_bytes(struct buf *out, const char *in, struct err *e)
{
	if (in[0] == '0' && in[1] == 'x')
		return hex_decode_buf(out, in, e);
	buf_append_str(out, in);
	return true;
}
