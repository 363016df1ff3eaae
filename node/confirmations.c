/* confirmations.c: the storage-confirmations file (see confirmations.h). */
#include "node/confirmations.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdlib.h>

#include "chain/abi.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "node/client.h"
#include "node/publish.h"

#define CONFIRMATIONS_MAX_BYTES (4u << 20)

bool node_confirmations_load(const char *path, struct node_confirmation **out, size_t *n,
			     struct err *e)
{
	uint8_t *text = NULL;
	size_t len = 0;
	json_error_t je;
	bool ok = false;
	*out = NULL;
	*n = 0;
	if (!read_file(path, CONFIRMATIONS_MAX_BYTES, &text, &len, e))
		return false;
	json_t *root = json_loadb((const char *)text, len, 0, &je);
	free(text);
	if (!json_is_array(root)) {
		err_set(e, "%s: not a JSON array of confirmations", path);
		goto out;
	}
	*out = xcalloc(json_array_size(root) + 1, sizeof(**out));
	size_t i;
	json_t *it;
	json_array_foreach(root, i, it)
	{
		json_t *sd = json_object_get(json_object_get(json_object_get(it, "success"), "data"),
					     "signed");
		if (sd)
			it = sd;
		const char *signer = json_string_value(json_object_get(it, "signer"));
		const char *sig = json_string_value(json_object_get(it, "signature"));
		json_t *ep = json_object_get(it, "epoch");
		struct node_confirmation *cf = &(*out)[*n];
		if (!signer || !sig || !chain_address_parse(cf->signer, signer, e) ||
		    !hex_decode_exact(cf->signature, 65, sig, e)) {
			err_prefix(e, "%s: confirmation %zu needs \"signer\" and a 65-byte "
				      "\"signature\": ",
				   path, i);
			goto out;
		}
		cf->epoch = json_is_integer(ep) ? (uint64_t)json_integer_value(ep)
						: NODE_CONFIRMATION_ANY_EPOCH;
		(*n)++;
	}
	ok = true;
out:
	json_decref(root);
	return ok;
}

bool node_confirmations_save(const char *path, const struct node_confirmation *c, size_t n,
			     struct err *e)
{
	struct buf b = BUF_INIT;
	buf_append_str(&b, "[");
	for (size_t i = 0; i < n; i++) {
		char signer[43], sig[2 * 65 + 1];
		chain_address_checksum(signer, c[i].signer);
		hex_encode(sig, c[i].signature, 65);
		buf_printf(&b, "%s\n {\"signer\": \"%s\", \"signature\": \"0x%s\", \"epoch\": %" PRIu64
			       "}",
			   i ? "," : "", signer, sig, c[i].epoch);
	}
	buf_append_str(&b, "\n]\n");
	bool ok = write_file_atomic(path, b.data, b.len, 0644, e);
	buf_free(&b);
	return ok;
}
