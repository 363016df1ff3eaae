/* deployment.c: the deployment file (see deployment.h). */
#include "chain/deployment.h"

#include <inttypes.h>
#include <jansson.h>
#include <string.h>

#include "chain/abi.h"
#include "core/buf.h"
#include "core/err.h"

#define DEPLOYMENT_MAX_BYTES (64 * 1024)

static const struct {
	const char *key;
	size_t off;
	bool optional; /* absent in files of older deployments: left zero */
} address_fields[] = {
	{"deployer", offsetof(struct chain_deployment, deployer), false},
	{"token", offsetof(struct chain_deployment, token), false},
	{"timelock", offsetof(struct chain_deployment, timelock), false},
	{"staking", offsetof(struct chain_deployment, staking), false},
	{"blob_registry", offsetof(struct chain_deployment, blob_registry), false},
	{"settlement", offsetof(struct chain_deployment, settlement), false},
	{"disputes", offsetof(struct chain_deployment, disputes), true},
};

static bool get_uint(json_t *root, const char *key, uint64_t max, uint64_t *out, struct err *e)
{
	json_t *v = json_object_get(root, key);
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    (uint64_t)json_integer_value(v) > max)
		return err_set(e, "\"%s\" must be an integer from 0 to %llu", key,
			       (unsigned long long)max);
	*out = (uint64_t)json_integer_value(v);
	return true;
}

bool chain_deployment_parse(const char *text, size_t len, struct chain_deployment *out,
			    struct err *e)
{
	bool ok = false;
	json_error_t je;
	memset(out, 0, sizeof(*out));
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
	if (!root)
		return err_set(e, "not JSON (line %d: %s)", je.line, je.text);
	if (!json_is_object(root)) {
		err_set(e, "not a JSON object");
		goto out;
	}
	uint64_t schema, n;
	if (!get_uint(root, "schema", UINT32_MAX, &schema, e))
		goto out;
	if (schema != CHAIN_DEPLOYMENT_SCHEMA) {
		err_set(e, "schema %llu is not the one this program reads (%d)",
			(unsigned long long)schema, CHAIN_DEPLOYMENT_SCHEMA);
		goto out;
	}
	if (!get_uint(root, "chain_id", UINT64_MAX >> 1, &out->chain_id, e) ||
	    !get_uint(root, "start_block", UINT64_MAX >> 1, &out->start_block, e) ||
	    !get_uint(root, "n_shards", 65535, &n, e))
		goto out;
	if (n < 4) {
		err_set(e, "\"n_shards\" must be at least 4");
		goto out;
	}
	out->n_shards = (uint32_t)n;
	for (size_t i = 0; i < ARRAY_LEN(address_fields); i++) {
		json_t *v = json_object_get(root, address_fields[i].key);
		if (!v && address_fields[i].optional)
			continue;
		const char *s = json_string_value(v);
		if (!s) {
			err_set(e, "\"%s\" is missing (an address)", address_fields[i].key);
			goto out;
		}
		if (!chain_address_parse((uint8_t *)out + address_fields[i].off, s, e)) {
			err_prefix(e, "\"%s\": ", address_fields[i].key);
			goto out;
		}
	}
	ok = true;
out:
	json_decref(root);
	return ok;
}

bool chain_deployment_load(const char *path, struct chain_deployment *out, struct err *e)
{
	uint8_t *data = NULL;
	size_t len = 0;
	if (!read_file(path, DEPLOYMENT_MAX_BYTES, &data, &len, e))
		return err_prefix(e, "the deployment file (written by 'assay chain deploy'): ");
	bool ok = chain_deployment_parse((const char *)data, len, out, e);
	free(data);
	if (!ok)
		return err_prefix(e, "deployment file %s: ", path);
	return true;
}

void chain_deployment_format(const struct chain_deployment *d, struct buf *out)
{
	buf_printf(out, "{\n  \"schema\": %d,\n  \"chain_id\": %llu,\n  \"n_shards\": %u,\n"
			"  \"start_block\": %llu",
		   CHAIN_DEPLOYMENT_SCHEMA, (unsigned long long)d->chain_id, d->n_shards,
		   (unsigned long long)d->start_block);
	static const uint8_t zero[20];
	for (size_t i = 0; i < ARRAY_LEN(address_fields); i++) {
		const uint8_t *v = (const uint8_t *)d + address_fields[i].off;
		if (address_fields[i].optional && !memcmp(v, zero, sizeof(zero)))
			continue;
		char a[43];
		chain_address_checksum(a, v);
		buf_printf(out, ",\n  \"%s\": \"%s\"", address_fields[i].key, a);
	}
	buf_append_str(out, "\n}\n");
}

bool chain_deployment_save(const char *path, const struct chain_deployment *d, struct err *e)
{
	struct buf b = BUF_INIT;
	chain_deployment_format(d, &b);
	bool ok = write_file_atomic(path, b.data, b.len, 0644, e);
	buf_free(&b);
	return ok;
}

void chain_deployment_print(FILE *f, const struct chain_deployment *d, const char *path,
			    bool json)
{
	if (json) {
		struct buf b = BUF_INIT;
		chain_deployment_format(d, &b);
		fputs(buf_cstr(&b), f);
		buf_free(&b);
		return;
	}
	char x[43];
	fprintf(f, "deployment written to %s (chain %" PRIu64 ", n = %u, from block %" PRIu64 ")\n",
		path, d->chain_id, d->n_shards, d->start_block);
	const struct {
		const char *n;
		const uint8_t *a;
	} rows[] = {{"token", d->token},       {"timelock", d->timelock},
		    {"staking", d->staking},   {"blob_registry", d->blob_registry},
		    {"settlement", d->settlement}};
	for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
		chain_address_checksum(x, rows[i].a);
		fprintf(f, "%-14s %s\n", rows[i].n, x);
	}
}
