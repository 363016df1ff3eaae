/* committee.c: reading and checking the committee file. */
#include "node/committee.h"
#include "audit/bcs.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "audit/challenge.h"
#include "audit/daemon.h"
#include "core/encoding.h"
#include "core/err.h"
#include "node/encoder.h"

#define COMMITTEE_MAX_FILE (4u << 20)

void node_committee_free(struct node_committee *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->count; i++) {
		free(c->members[i].url);
		free(c->members[i].shards);
		free(c->members[i].pin);
	}
	free(c->members);
	free(c->owner);
	free(c);
}

bool node_committee_holds(const struct node_committee *c, size_t m, uint32_t shard)
{
	return shard < c->n && c->owner[shard] == m;
}

static bool get_u64(json_t *o, const char *key, uint64_t def, uint64_t max, uint64_t *out,
		    const char *source, struct err *e)
{
	json_t *v = json_object_get(o, key);
	if (!v) {
		*out = def;
		return true;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return err_set(e, "%s: \"%s\" must be an integer from 0 to %llu", source, key,
			       (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return true;
}

bool node_committee_parse(const char *text, size_t len, const char *source,
			  struct node_committee **out, struct err *e)
{
	*out = NULL;
	json_error_t je;
	bool ok = false;
	struct node_committee *c = xcalloc(1, sizeof(*c));
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		err_set(e, "%s:%d: not valid JSON: %s", source, je.line, je.text);
		goto out;
	}
	if (!json_is_object(root)) {
		err_set(e, "%s: the committee must be a JSON object", source);
		goto out;
	}
	uint64_t n;
	if (!get_u64(root, "n_shards", 0, AUDIT_MAX_SHARDS, &n, source, e) ||
	    !get_u64(root, "epoch", 1, UINT64_MAX >> 1, &c->epoch, source, e) ||
	    !get_u64(root, "chain_id", 31337, UINT64_MAX >> 1, &c->chain_id, source, e))
		goto out;
	if (n == 0) {
		err_set(e, "%s: \"n_shards\" must be from 1 to %u", source, AUDIT_MAX_SHARDS);
		goto out;
	}
	c->n = (uint32_t)n;
	json_t *reg = json_object_get(root, "blob_registry");
	if (reg && (!json_is_string(reg) ||
		    !hex_decode_exact(c->blob_registry, 20, json_string_value(reg), NULL))) {
		err_set(e, "%s: \"blob_registry\" must be a 20-byte 0x-hex address", source);
		goto out;
	}
	json_t *nodes = json_object_get(root, "nodes");
	size_t count = json_array_size(nodes);
	if (!json_is_array(nodes) || count == 0 || count > c->n || count > 256) {
		err_set(e, "%s: \"nodes\" must be an array of 1 to min(n_shards, 256) nodes",
			source);
		goto out;
	}
	c->members = xcalloc(count, sizeof(*c->members));
	c->owner = xmalloc(c->n * sizeof(*c->owner));
	for (uint32_t s = 0; s < c->n; s++)
		c->owner[s] = UINT32_MAX;
	for (size_t i = 0; i < count; i++) {
		json_t *m = json_array_get(nodes, i);
		struct node_member *mem = &c->members[i];
		c->count = i + 1;
		json_t *url = json_object_get(m, "url");
		json_t *shards = json_object_get(m, "shards");
		if (!json_is_object(m) || !json_is_string(url) || !json_is_array(shards)) {
			err_set(e, "%s: node %zu needs \"url\" (string) and \"shards\" (array)",
				source, i);
			goto out;
		}
		if (!audit_node_url_normalize(json_string_value(url), &mem->url, e)) {
			err_prefix(e, "%s: node %zu", source, i);
			goto out;
		}
		mem->shard_count = json_array_size(shards);
		mem->shards = xcalloc(mem->shard_count ? mem->shard_count : 1, sizeof(uint32_t));
		for (size_t k = 0; k < mem->shard_count; k++) {
			json_t *sv = json_array_get(shards, k);
			if (!json_is_integer(sv) || json_integer_value(sv) < 0 ||
			    json_integer_value(sv) >= (json_int_t)c->n) {
				err_set(e, "%s: node %zu: shards must be integers below n_shards = %u",
					source, i, c->n);
				goto out;
			}
			uint32_t s = (uint32_t)json_integer_value(sv);
			if (c->owner[s] != UINT32_MAX) {
				err_set(e, "%s: shard %u is assigned twice", source, s);
				goto out;
			}
			c->owner[s] = (uint32_t)i;
			mem->shards[k] = s;
		}
		json_t *addr = json_object_get(m, "address");
		if (addr) {
			if (!json_is_string(addr) ||
			    !hex_decode_exact(mem->address, 20, json_string_value(addr), NULL)) {
				err_set(e, "%s: node %zu: \"address\" must be a 20-byte 0x-hex address",
					source, i);
				goto out;
			}
			mem->has_address = true;
			mem->has_id = true;
			memcpy(mem->id, mem->address, 20);
		}
		json_t *id = json_object_get(m, "id");
		if (id) {
			if (!json_is_string(id) ||
			    !hex_decode_exact(mem->id, 20, json_string_value(id), NULL)) {
				err_set(e, "%s: node %zu: \"id\" must be a 20-byte 0x-hex node id",
					source, i);
				goto out;
			}
			mem->has_id = true;
		}
		json_t *pin = json_object_get(m, "pin");
		if (pin) {
			if (!json_is_string(pin)) {
				err_set(e, "%s: node %zu: \"pin\" must be a string", source, i);
				goto out;
			}
			mem->pin = xstrdup(json_string_value(pin));
		}
	}
	for (uint32_t s = 0; s < c->n; s++)
		if (c->owner[s] == UINT32_MAX) {
			err_set(e, "%s: shard %u is held by no node", source, s);
			goto out;
		}
	*out = c;
	c = NULL;
	ok = true;
out:
	json_decref(root);
	node_committee_free(c);
	return ok;
}

bool node_committee_load(const char *path, struct node_committee **out, struct err *e)
{
	uint8_t *data = NULL;
	size_t len = 0;
	if (!read_file(path, COMMITTEE_MAX_FILE, &data, &len, e))
		return err_prefix(e, "committee file");
	bool ok = node_committee_parse((const char *)data, len, path, out, e);
	free(data);
	return ok;
}

bool node_committee_audit_inputs(const char *path, struct audit_inputs *in, struct err *e)
{
	struct node_committee *c = NULL;
	if (!node_committee_load(path, &c, e))
		return false;
	in->params.n = c->n;
	in->nnodes = c->count;
	in->nodes = xcalloc(c->count ? c->count : 1, sizeof(*in->nodes));
	in->shards = xcalloc(c->count ? c->count : 1, sizeof(*in->shards));
	in->urls = xcalloc(c->count ? c->count : 1, sizeof(*in->urls));
	in->pins = xcalloc(c->count ? c->count : 1, sizeof(*in->pins));
	for (size_t i = 0; i < c->count; i++) {
		const struct node_member *m = &c->members[i];
		struct audit_auditor_node *nd = &in->nodes[i];
		in->shards[i] = xcalloc(m->shard_count ? m->shard_count : 1, sizeof(uint16_t));
		for (size_t k = 0; k < m->shard_count; k++)
			in->shards[i][k] = (uint16_t)m->shards[k];
		/* The schedule wants them ascending; a committee file need not list them so. */
		for (size_t a = 1; a < m->shard_count; a++)
			for (size_t b = a; b > 0 && in->shards[i][b - 1] > in->shards[i][b]; b--) {
				uint16_t t = in->shards[i][b];
				in->shards[i][b] = in->shards[i][b - 1];
				in->shards[i][b - 1] = t;
			}
		nd->shards = in->shards[i];
		nd->nshards = m->shard_count;
		in->urls[i] = xstrdup(m->url);
		in->pins[i] = m->pin ? xstrdup(m->pin) : NULL;
		nd->url = in->urls[i];
		nd->pin = in->pins[i];
		/* "id" (default "address"): the node id records and attestations name. */
		if (m->has_id)
			memcpy(nd->id, m->id, 20);
		else
			audit_node_id_from_url(m->url, nd->id);
	}
	node_committee_free(c);
	return true;
}
