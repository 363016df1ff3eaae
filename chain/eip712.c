#include "chain/eip712.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/keccak.h"
#include "chain/u256.h"
#include "core/buf.h"
#include "core/err.h"

#define MAX_TYPES 64
#define MAX_FIELDS 64

struct field {
	char *type; /* "Person[]", "uint64", ... */
	char *name;
};

struct stype {
	char *name;
	struct field fields[MAX_FIELDS];
	size_t nfields;
};

struct chain_eip712_types {
	struct stype types[MAX_TYPES];
	size_t n;
};

void chain_eip191_hash(const uint8_t *msg, size_t len, uint8_t out[32])
{
	struct chain_keccak k;
	char prefix[64];
	int n = snprintf(prefix, sizeof(prefix), "\x19" "Ethereum Signed Message:\n%zu", len);
	chain_keccak_init(&k);
	chain_keccak_update(&k, prefix, (size_t)n);
	chain_keccak_update(&k, msg, len);
	chain_keccak_final(&k, out);
}

void chain_eip712_digest(const uint8_t domain_separator[32], const uint8_t struct_hash[32],
			 uint8_t out[32])
{
	struct chain_keccak k;
	static const uint8_t magic[2] = {0x19, 0x01};
	chain_keccak_init(&k);
	chain_keccak_update(&k, magic, 2);
	chain_keccak_update(&k, domain_separator, 32);
	chain_keccak_update(&k, struct_hash, 32);
	chain_keccak_final(&k, out);
}

struct chain_eip712_types *chain_eip712_types_new(void)
{
	return xcalloc(1, sizeof(struct chain_eip712_types));
}

void chain_eip712_types_free(struct chain_eip712_types *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->types[i].name);
		for (size_t f = 0; f < t->types[i].nfields; f++) {
			free(t->types[i].fields[f].type);
			free(t->types[i].fields[f].name);
		}
	}
	free(t);
}

static const struct stype *find(const struct chain_eip712_types *t, const char *name, size_t n)
{
	for (size_t i = 0; i < t->n; i++)
		if (strlen(t->types[i].name) == n && !strncmp(t->types[i].name, name, n))
			return &t->types[i];
	return NULL;
}

static bool ident_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '$';
}

/* Reads [A-Za-z0-9_$]+ optionally followed by [..] suffixes (for types). */
static size_t scan(const char *p, bool type)
{
	size_t n = 0;
	while (ident_char(p[n]))
		n++;
	if (type && n)
		while (p[n] == '[') {
			size_t m = n + 1;
			while (isdigit((unsigned char)p[m]))
				m++;
			if (p[m] != ']')
				return 0;
			n = m + 1;
		}
	return n;
}

bool chain_eip712_types_add(struct chain_eip712_types *t, const char *def, struct err *e)
{
	if (t->n == MAX_TYPES)
		return err_set(e, "too many EIP-712 types (at most %d)", MAX_TYPES);
	struct stype *s = &t->types[t->n];
	memset(s, 0, sizeof(*s));
	const char *p = def;
	size_t n = scan(p, false);
	if (!n || isdigit((unsigned char)p[0]) || p[n] != '(')
		goto bad;
	if (find(t, p, n))
		return err_set(e, "EIP-712 type '%.*s' is declared twice", (int)n, p);
	s->name = xstrndup(p, n);
	p += n + 1;
	while (*p != ')') {
		if (s->nfields == MAX_FIELDS)
			goto bad;
		while (*p == ' ')
			p++;
		size_t tn = scan(p, true);
		if (!tn || p[tn] != ' ')
			goto bad;
		const char *ty = p;
		p += tn + 1;
		size_t nn = scan(p, false);
		if (!nn)
			goto bad;
		s->fields[s->nfields].type = xstrndup(ty, tn);
		s->fields[s->nfields].name = xstrndup(p, nn);
		s->nfields++;
		p += nn;
		if (*p == ',')
			p++;
		else if (*p != ')')
			goto bad;
	}
	if (p[1] != '\0')
		goto bad;
	t->n++;
	return true;
bad:
	free(s->name);
	for (size_t f = 0; f < s->nfields; f++) {
		free(s->fields[f].type);
		free(s->fields[f].name);
	}
	memset(s, 0, sizeof(*s));
	return err_set(e, "'%.120s' is not an EIP-712 type like Name(type1 name1,type2 name2)", def);
}

/* Length of a field type's base name ("Person" in "Person[2][]"). */
static size_t base_len(const char *type)
{
	const char *b = strchr(type, '[');
	return b ? (size_t)(b - type) : strlen(type);
}

static void put_def(const struct stype *s, struct buf *out)
{
	buf_append_str(out, s->name);
	buf_append_byte(out, '(');
	for (size_t f = 0; f < s->nfields; f++) {
		if (f)
			buf_append_byte(out, ',');
		buf_printf(out, "%s %s", s->fields[f].type, s->fields[f].name);
	}
	buf_append_byte(out, ')');
}

/* Marks every struct type reachable from s. */
static bool collect(const struct chain_eip712_types *t, const struct stype *s, bool *seen,
		    struct err *e)
{
	size_t idx = (size_t)(s - t->types);
	if (seen[idx])
		return true;
	seen[idx] = true;
	for (size_t f = 0; f < s->nfields; f++) {
		const char *ty = s->fields[f].type;
		const struct stype *dep = find(t, ty, base_len(ty));
		if (dep && !collect(t, dep, seen, e))
			return false;
	}
	return true;
}

static int cmp_names(const void *a, const void *b)
{
	const struct stype *x = *(const struct stype *const *)a, *y = *(const struct stype *const *)b;
	return strcmp(x->name, y->name);
}

bool chain_eip712_encode_type(const struct chain_eip712_types *t, const char *primary,
			      struct buf *out, struct err *e)
{
	const struct stype *p = find(t, primary, strlen(primary));
	if (!p)
		return err_set(e, "EIP-712 type '%.80s' is not declared", primary);
	bool seen[MAX_TYPES] = {false};
	if (!collect(t, p, seen, e))
		return false;
	const struct stype *deps[MAX_TYPES];
	size_t nd = 0;
	for (size_t i = 0; i < t->n; i++)
		if (seen[i] && &t->types[i] != p)
			deps[nd++] = &t->types[i];
	qsort(deps, nd, sizeof(deps[0]), cmp_names);
	put_def(p, out);
	for (size_t i = 0; i < nd; i++)
		put_def(deps[i], out);
	return true;
}

bool chain_eip712_type_hash(const struct chain_eip712_types *t, const char *primary,
			    uint8_t out[32], struct err *e)
{
	struct buf b = BUF_INIT;
	bool ok = chain_eip712_encode_type(t, primary, &b, e);
	if (ok)
		chain_keccak256(out, b.data, b.len);
	buf_free(&b);
	return ok;
}

static bool hash_struct(const struct chain_eip712_types *t, const struct stype *s,
			const struct chain_abi_value *v, unsigned depth, uint8_t out[32],
			struct err *e);

/* encodeData of one field value: always exactly 32 bytes. */
static bool encode_field(const struct chain_eip712_types *t, const char *type, size_t tlen,
			 const struct chain_abi_value *v, unsigned depth, uint8_t out[32],
			 struct err *e)
{
	if (depth > CHAIN_ABI_MAX_DEPTH)
		return err_set(e, "EIP-712 value nests too deeply");
	if (!v)
		return err_set(e, "EIP-712 value is missing a field");
	if (tlen && type[tlen - 1] == ']') {
		/* Array: keccak of the concatenated encodings of its items. */
		size_t open = tlen - 1;
		while (open > 0 && type[open] != '[')
			open--;
		if (v->kind != CHAIN_ABI_ARRAY && v->kind != CHAIN_ABI_DYN_ARRAY &&
		    v->kind != CHAIN_ABI_TUPLE)
			return err_set(e, "EIP-712 field of type %.*s needs a list value", (int)tlen, type);
		if (open + 2 < tlen) {
			unsigned long k = strtoul(type + open + 1, NULL, 10);
			if (k != v->n)
				return err_set(e, "EIP-712 field of type %.*s needs %lu items, got %zu",
					       (int)tlen, type, k, v->n);
		}
		struct chain_keccak k;
		chain_keccak_init(&k);
		for (size_t i = 0; i < v->n; i++) {
			uint8_t w[32];
			if (!encode_field(t, type, open, v->items[i], depth + 1, w, e))
				return false;
			chain_keccak_update(&k, w, 32);
		}
		chain_keccak_final(&k, out);
		return true;
	}
	const struct stype *s = find(t, type, tlen);
	if (s)
		return hash_struct(t, s, v, depth + 1, out, e);
	if ((tlen == 6 && !strncmp(type, "string", 6)) || (tlen == 5 && !strncmp(type, "bytes", 5))) {
		if (v->kind != CHAIN_ABI_STRING && v->kind != CHAIN_ABI_BYTES &&
		    v->kind != CHAIN_ABI_FIXED_BYTES)
			return err_set(e, "EIP-712 field of type %.*s needs bytes or a string", (int)tlen,
				       type);
		chain_keccak256(out, v->bytes, v->len);
		return true;
	}
	/* An atomic type: its ABI word. */
	char *ts = xstrndup(type, tlen);
	struct chain_abi_type *at = NULL;
	struct chain_abi_type tuple = {.kind = CHAIN_ABI_TUPLE, .nfields = 1};
	struct chain_abi_value one = {.kind = CHAIN_ABI_TUPLE, .n = 1};
	/* The encoder only reads the value; the cast drops const for the items slot. */
	struct chain_abi_value *item = (struct chain_abi_value *)(uintptr_t)v;
	struct buf b = BUF_INIT;
	bool ok = false;
	if (!chain_abi_type_parse(ts, &at, e)) {
		err_set(e, "EIP-712 type '%s' is neither an ABI type nor a declared struct", ts);
		goto out;
	}
	tuple.fields = &at;
	one.items = &item;
	if (!chain_abi_encode(&tuple, &one, &b, e))
		goto out;
	if (b.len != 32) {
		err_set(e, "EIP-712 field type '%s' is not atomic", ts);
		goto out;
	}
	memcpy(out, b.data, 32);
	ok = true;
out:
	buf_free(&b);
	chain_abi_type_free(at);
	free(ts);
	return ok;
}

static bool hash_struct(const struct chain_eip712_types *t, const struct stype *s,
			const struct chain_abi_value *v, unsigned depth, uint8_t out[32],
			struct err *e)
{
	uint8_t th[32];
	if (!chain_eip712_type_hash(t, s->name, th, e))
		return false;
	if (v->kind != CHAIN_ABI_TUPLE || v->n != s->nfields)
		return err_set(e, "EIP-712 %s needs a tuple of %zu values", s->name, s->nfields);
	struct chain_keccak k;
	chain_keccak_init(&k);
	chain_keccak_update(&k, th, 32);
	for (size_t f = 0; f < s->nfields; f++) {
		uint8_t w[32];
		const char *ty = s->fields[f].type;
		if (!encode_field(t, ty, strlen(ty), v->items[f], depth, w, e))
			return err_prefix(e, "%s.%s: ", s->name, s->fields[f].name);
		chain_keccak_update(&k, w, 32);
	}
	chain_keccak_final(&k, out);
	return true;
}

bool chain_eip712_hash_struct(const struct chain_eip712_types *t, const char *primary,
			      const struct chain_abi_value *value, uint8_t out[32], struct err *e)
{
	const struct stype *s = find(t, primary, strlen(primary));
	if (!s)
		return err_set(e, "EIP-712 type '%.80s' is not declared", primary);
	return hash_struct(t, s, value, 0, out, e);
}

void chain_eip712_domain_separator(const struct chain_eip712_domain *d, uint8_t out[32])
{
	struct buf type = BUF_INIT;
	struct chain_keccak k;
	uint8_t h[32], w[32];
	bool first = true;
	buf_append_str(&type, "EIP712Domain(");
#define FIELD(cond, text)                                   \
	if (cond) {                                         \
		buf_append_str(&type, first ? text : "," text); \
		first = false;                              \
	}
	FIELD(d->name, "string name");
	FIELD(d->version, "string version");
	FIELD(d->has_chain_id, "uint256 chainId");
	FIELD(d->has_verifying_contract, "address verifyingContract");
	FIELD(d->has_salt, "bytes32 salt");
#undef FIELD
	buf_append_byte(&type, ')');
	chain_keccak_init(&k);
	chain_keccak256(h, type.data, type.len);
	chain_keccak_update(&k, h, 32);
	if (d->name) {
		chain_keccak256(h, d->name, strlen(d->name));
		chain_keccak_update(&k, h, 32);
	}
	if (d->version) {
		chain_keccak256(h, d->version, strlen(d->version));
		chain_keccak_update(&k, h, 32);
	}
	if (d->has_chain_id) {
		memset(w, 0, 32);
		for (int i = 0; i < 8; i++)
			w[31 - i] = (uint8_t)(d->chain_id >> (8 * i));
		chain_keccak_update(&k, w, 32);
	}
	if (d->has_verifying_contract) {
		memset(w, 0, 12);
		memcpy(w + 12, d->verifying_contract, 20);
		chain_keccak_update(&k, w, 32);
	}
	if (d->has_salt)
		chain_keccak_update(&k, d->salt, 32);
	chain_keccak_final(&k, out);
	buf_free(&type);
}

/* ---------------------------------------------------------------- JSON typed data */

static bool json_to_value(const struct chain_eip712_types *t, const char *type, size_t tlen,
			  const json_t *j, unsigned depth, struct chain_abi_value **out,
			  struct err *e);

static bool json_struct(const struct chain_eip712_types *t, const struct stype *s, const json_t *j,
			unsigned depth, struct chain_abi_value **out, struct err *e)
{
	if (!json_is_object(j))
		return err_set(e, "EIP-712 %s value is not a JSON object", s->name);
	struct chain_abi_value *v = chain_abi_tuple_new();
	for (size_t f = 0; f < s->nfields; f++) {
		const json_t *fj = json_object_get(j, s->fields[f].name);
		struct chain_abi_value *item;
		if (!fj) {
			chain_abi_value_free(v);
			return err_set(e, "EIP-712 %s value lacks field %s", s->name, s->fields[f].name);
		}
		if (!json_to_value(t, s->fields[f].type, strlen(s->fields[f].type), fj, depth + 1,
				   &item, e)) {
			chain_abi_value_free(v);
			return err_prefix(e, "%s.%s: ", s->name, s->fields[f].name);
		}
		chain_abi_push(v, item);
	}
	*out = v;
	return true;
}

static bool json_to_value(const struct chain_eip712_types *t, const char *type, size_t tlen,
			  const json_t *j, unsigned depth, struct chain_abi_value **out,
			  struct err *e)
{
	if (depth > CHAIN_ABI_MAX_DEPTH)
		return err_set(e, "EIP-712 value nests too deeply");
	if (tlen && type[tlen - 1] == ']') {
		size_t open = tlen - 1;
		while (open > 0 && type[open] != '[')
			open--;
		if (!json_is_array(j))
			return err_set(e, "EIP-712 value of type %.*s is not a JSON array", (int)tlen, type);
		struct chain_abi_value *v = chain_abi_array_new();
		for (size_t i = 0; i < json_array_size(j); i++) {
			struct chain_abi_value *item;
			if (!json_to_value(t, type, open, json_array_get(j, i), depth + 1, &item, e)) {
				chain_abi_value_free(v);
				return false;
			}
			chain_abi_push(v, item);
		}
		*out = v;
		return true;
	}
	const struct stype *s = find(t, type, tlen);
	if (s)
		return json_struct(t, s, j, depth, out, e);
	char *ts = xstrndup(type, tlen);
	struct chain_abi_type *at = NULL;
	struct chain_abi_value *v = NULL;
	bool ok = false;
	if (!chain_abi_type_parse(ts, &at, e) || at->kind == CHAIN_ABI_ARRAY ||
	    at->kind == CHAIN_ABI_DYN_ARRAY || at->kind == CHAIN_ABI_TUPLE) {
		err_set(e, "EIP-712 type '%s' is neither an atomic type nor a declared struct", ts);
		goto out;
	}
	switch (at->kind) {
	case CHAIN_ABI_BOOL:
		if (!json_is_boolean(j)) {
			err_set(e, "EIP-712 bool value is not true or false");
			goto out;
		}
		v = chain_abi_bool_new(json_is_true(j));
		break;
	case CHAIN_ABI_UINT:
	case CHAIN_ABI_INT:
		if (json_is_integer(j)) {
			v = chain_abi_int_new((int64_t)json_integer_value(j));
			if (at->kind == CHAIN_ABI_UINT && json_integer_value(j) < 0) {
				err_set(e, "EIP-712 %s value is negative", ts);
				goto out;
			}
		} else if (json_is_string(j)) {
			struct chain_u256 n;
			if (at->kind == CHAIN_ABI_UINT ? !chain_u256_parse(&n, json_string_value(j), e)
						       : !chain_i256_parse(&n, json_string_value(j), at->size, e))
				goto out;
			v = at->kind == CHAIN_ABI_UINT ? chain_abi_u256_new(&n) : chain_abi_i256_new(&n);
		} else {
			err_set(e, "EIP-712 %s value is neither an integer nor a string", ts);
			goto out;
		}
		break;
	default:
		if (!json_is_string(j)) {
			err_set(e, "EIP-712 %s value is not a string", ts);
			goto out;
		}
		if (!chain_abi_value_parse(at, json_string_value(j), &v, e))
			goto out;
		break;
	}
	*out = v;
	v = NULL;
	ok = true;
out:
	chain_abi_value_free(v);
	chain_abi_type_free(at);
	free(ts);
	return ok;
}

/* Declares every entry of "types" as "Name(type name,...)". */
static bool load_types(struct chain_eip712_types *t, const json_t *types, struct err *e)
{
	const char *name;
	json_t *fields;
	if (!json_is_object(types))
		return err_set(e, "typed data has no \"types\" object");
	json_object_foreach((json_t *)(uintptr_t)types, name, fields) {
		if (!json_is_array(fields))
			return err_set(e, "typed data type %.80s is not an array of fields", name);
		struct buf def = BUF_INIT;
		buf_printf(&def, "%s(", name);
		for (size_t i = 0; i < json_array_size(fields); i++) {
			const json_t *f = json_array_get(fields, i);
			const char *fn = json_string_value(json_object_get(f, "name"));
			const char *ft = json_string_value(json_object_get(f, "type"));
			if (!fn || !ft) {
				buf_free(&def);
				return err_set(e, "typed data type %.80s has a field without name or type", name);
			}
			buf_printf(&def, "%s%s %s", i ? "," : "", ft, fn);
		}
		buf_append_byte(&def, ')');
		bool ok = chain_eip712_types_add(t, buf_cstr(&def), e);
		buf_free(&def);
		if (!ok)
			return false;
	}
	return true;
}

bool chain_eip712_hash_json(const char *json, size_t len, uint8_t digest[32], struct err *e)
{
	json_error_t je;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &je);
	struct chain_eip712_types *t = chain_eip712_types_new();
	struct chain_abi_value *dv = NULL, *mv = NULL;
	uint8_t ds[32], sh[32];
	bool ok = false;
	if (!root) {
		err_set(e, "typed data is not JSON: %s (line %d)", je.text, je.line);
		goto out;
	}
	if (!load_types(t, json_object_get(root, "types"), e))
		goto out;
	const char *primary = json_string_value(json_object_get(root, "primaryType"));
	const json_t *domain = json_object_get(root, "domain");
	const json_t *message = json_object_get(root, "message");
	if (!primary || !json_is_object(domain) || !message) {
		err_set(e, "typed data needs primaryType, domain and message");
		goto out;
	}
	if (!find(t, "EIP712Domain", 12)) {
		/* Derive the domain type from the fields present, in the EIP's order. */
		static const char *const order[][2] = {{"name", "string"}, {"version", "string"},
			{"chainId", "uint256"}, {"verifyingContract", "address"}, {"salt", "bytes32"}};
		struct buf def = BUF_INIT;
		bool first = true;
		buf_append_str(&def, "EIP712Domain(");
		for (size_t i = 0; i < ARRAY_LEN(order); i++)
			if (json_object_get(domain, order[i][0])) {
				buf_printf(&def, "%s%s %s", first ? "" : ",", order[i][1], order[i][0]);
				first = false;
			}
		buf_append_byte(&def, ')');
		bool added = chain_eip712_types_add(t, buf_cstr(&def), e);
		buf_free(&def);
		if (!added)
			goto out;
	}
	if (!json_to_value(t, "EIP712Domain", 12, domain, 0, &dv, e) ||
	    !chain_eip712_hash_struct(t, "EIP712Domain", dv, ds, e))
		goto out;
	if (!json_to_value(t, primary, strlen(primary), message, 0, &mv, e))
		goto out;
	if (!find(t, primary, strlen(primary))) {
		err_set(e, "typed data primaryType %.80s is not among its types", primary);
		goto out;
	}
	if (!chain_eip712_hash_struct(t, primary, mv, sh, e))
		goto out;
	chain_eip712_digest(ds, sh, digest);
	ok = true;
out:
	chain_abi_value_free(dv);
	chain_abi_value_free(mv);
	chain_eip712_types_free(t);
	json_decref(root);
	return ok;
}

bool chain_eip712_hash_file(const char *path, uint8_t digest[32], struct err *e)
{
	uint8_t *json = NULL;
	size_t len = 0;
	if (!read_file(path, 1 << 20, &json, &len, e))
		return false;
	bool ok = chain_eip712_hash_json((const char *)json, len, digest, e);
	free(json);
	return ok || err_prefix(e, "%s: ", path);
}
