/* client.c: storage-node requests for the publisher, the reader and peer recovery. */
#include "node/client.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "audit/challenge.h"
#include "chain/eip712.h"
#include "chain/keccak.h"
#include "chain/key.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"

#define SLIVER_BODY_MAX (AUDIT_MAX_SLIVER_BYTES + 64u)

static char *blob_url_new(const struct node_client *c, const uint8_t id[AUDIT_DIGEST_LEN],
			  const char *rest)
{
	char t[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(t, id);
	return xasprintf("%s/v1/blobs/%s%s", c->url, t, rest);
}

/* One request; false with a sentence unless the status is one of the wanted ones. */
static bool request(const struct node_client *c, const char *method, const char *url,
		    const uint8_t *body, size_t body_len, size_t max_body,
		    struct audit_http_response *resp, struct err *e)
{
	struct audit_http_request req = {
		.method = method,
		.url = url,
		.body = body,
		.body_len = body_len,
		.timeout_ms = c->timeout_ms,
		.max_body = max_body,
		.pinned_key = c->pinned_key,
	};
	if (!audit_http_request(&req, resp, e))
		return false;
	if (resp->transport != AUDIT_TRANSPORT_OK)
		return err_set(e, "%s", resp->detail);
	if (resp->status < 200 || resp->status > 299) {
		/* Walrus nodes explain errors in JSON {"error": {"message": ...}}. */
		const char *msg = "";
		json_t *j = resp->body ? json_loadb((const char *)resp->body, resp->body_len, 0, NULL)
				       : NULL;
		json_t *m = json_object_get(json_object_get(j, "error"), "message");
		if (json_is_string(m))
			msg = json_string_value(m);
		err_set(e, "%s %s answered HTTP %ld%s%.200s", method, url, resp->status,
			*msg ? ": " : "", msg);
		json_decref(j);
		return false;
	}
	return true;
}

bool node_client_get_metadata(const struct node_client *c, const uint8_t id[AUDIT_DIGEST_LEN],
			      struct audit_metadata **md, struct err *e)
{
	*md = NULL;
	struct audit_http_response resp = {0};
	char *url = blob_url_new(c, id, "/metadata");
	bool ok = false;
	if (!request(c, "GET", url, NULL, 0, AUDIT_HTTP_MAX_METADATA, &resp, e))
		goto out;
	char detail[512];
	if (audit_check_metadata_response(&resp, id, md, detail, sizeof(detail)) !=
	    AUDIT_OUTCOME_PASS) {
		err_set(e, "%s: %s", url, detail);
		goto out;
	}
	ok = true;
out:
	audit_http_response_clear(&resp);
	free(url);
	return ok;
}

bool node_client_put_metadata(const struct node_client *c, const uint8_t id[AUDIT_DIGEST_LEN],
			      const struct audit_metadata *md, struct err *e)
{
	struct buf b = BUF_INIT;
	struct audit_http_response resp = {0};
	char *url = blob_url_new(c, id, "/metadata");
	audit_metadata_write(&b, md);
	bool ok = request(c, "PUT", url, b.data, b.len, 1u << 16, &resp, e);
	audit_http_response_clear(&resp);
	buf_free(&b);
	free(url);
	return ok;
}

bool node_client_put_sliver(const struct node_client *c, const uint8_t id[AUDIT_DIGEST_LEN],
			    uint32_t pair, enum audit_proof_axis axis, uint16_t sliver_index,
			    const uint8_t *symbols, size_t len, uint16_t symbol_size,
			    struct err *e)
{
	struct buf b = BUF_INIT;
	struct audit_http_response resp = {0};
	char rest[64];
	snprintf(rest, sizeof(rest), "/slivers/%u/%s", pair, audit_proof_axis_name(axis));
	char *url = blob_url_new(c, id, rest);
	audit_sliver_write_parts(&b, symbols, len, symbol_size, sliver_index);
	bool ok = request(c, "PUT", url, b.data, b.len, 1u << 16, &resp, e);
	audit_http_response_clear(&resp);
	buf_free(&b);
	free(url);
	return ok;
}

bool node_client_get_sliver(const struct node_client *c, const uint8_t id[AUDIT_DIGEST_LEN],
			    uint32_t pair, enum audit_proof_axis axis, struct audit_sliver **out,
			    struct err *e)
{
	*out = NULL;
	struct audit_http_response resp = {0};
	char rest[64];
	snprintf(rest, sizeof(rest), "/slivers/%u/%s", pair, audit_proof_axis_name(axis));
	char *url = blob_url_new(c, id, rest);
	bool ok = request(c, "GET", url, NULL, 0, SLIVER_BODY_MAX, &resp, e) &&
		  audit_sliver_parse(resp.body, resp.body_len, out, e);
	if (!ok && resp.transport == AUDIT_TRANSPORT_OK && resp.status == 200)
		err_prefix(e, "%s", url);
	audit_http_response_clear(&resp);
	free(url);
	return ok;
}

bool node_client_get_symbols(const struct node_client *c, const uint8_t id[AUDIT_DIGEST_LEN],
			     const struct audit_symbol_id *ids, size_t count,
			     enum audit_proof_axis axis, struct audit_recovery_symbols **out,
			     struct err *e)
{
	*out = NULL;
	struct audit_http_response resp = {0};
	char *url = audit_symbols_url_new(c->url, id, ids, count, axis);
	bool ok = request(c, "GET", url, NULL, 0, AUDIT_HTTP_MAX_SYMBOLS_BODY, &resp, e) &&
		  audit_recovery_symbols_parse(resp.body, resp.body_len, count, out, e);
	audit_http_response_clear(&resp);
	free(url);
	return ok;
}

void node_confirmation_digest(const uint8_t id[AUDIT_DIGEST_LEN], uint64_t epoch,
			      uint64_t chain_id, const uint8_t registry[20], uint8_t out[32])
{
	static const char type[] = "StorageConfirmation(bytes32 blobId,uint64 epoch)";
	struct chain_eip712_domain d = {
		.name = "assay",
		.version = "1",
		.has_chain_id = true,
		.chain_id = chain_id,
		.has_verifying_contract = true,
	};
	memcpy(d.verifying_contract, registry, 20);
	uint8_t sep[32], words[96] = {0}, sh[32];
	chain_eip712_domain_separator(&d, sep);
	chain_keccak256(words, type, sizeof(type) - 1);
	memcpy(words + 32, id, 32);
	for (int i = 0; i < 8; i++)
		words[95 - i] = (uint8_t)(epoch >> (8 * i));
	chain_keccak256(sh, words, sizeof(words));
	chain_eip712_digest(sep, sh, out);
}

bool node_client_get_confirmation(const struct node_client *c,
				  const uint8_t id[AUDIT_DIGEST_LEN], uint64_t chain_id,
				  const uint8_t registry[20], const uint8_t *expected_signer,
				  struct node_confirmation *out, struct err *e)
{
	struct audit_http_response resp = {0};
	char *url = blob_url_new(c, id, "/confirmation/permanent");
	json_t *j = NULL;
	bool ok = false;
	if (!request(c, "GET", url, NULL, 0, 1u << 16, &resp, e))
		goto out;
	json_error_t je;
	j = json_loadb((const char *)resp.body, resp.body_len, 0, &je);
	json_t *s = json_object_get(json_object_get(json_object_get(j, "success"), "data"),
				    "signed");
	json_t *epoch = json_object_get(s, "epoch");
	json_t *signer = json_object_get(s, "signer");
	json_t *sig = json_object_get(s, "signature");
	if (!json_is_integer(epoch) || json_integer_value(epoch) < 0 || !json_is_string(signer) ||
	    !json_is_string(sig) ||
	    !hex_decode_exact(out->signer, 20, json_string_value(signer), NULL) ||
	    !hex_decode_exact(out->signature, 65, json_string_value(sig), NULL)) {
		err_set(e, "%s: the confirmation is not {success: {data: {signed: {epoch, signer, "
			   "signature}}}}",
			url);
		goto out;
	}
	out->epoch = (uint64_t)json_integer_value(epoch);
	uint8_t digest[32], addr[20];
	struct chain_sig cs;
	node_confirmation_digest(id, out->epoch, chain_id, registry, digest);
	if (!chain_sig_from_65(&cs, out->signature, e) || !chain_sig_recover(digest, &cs, addr, e)) {
		err_prefix(e, "%s: confirmation signature", url);
		goto out;
	}
	if (memcmp(addr, out->signer, 20) || (expected_signer && memcmp(addr, expected_signer, 20))) {
		err_set(e, "%s: the confirmation is signed by another key than the node's", url);
		goto out;
	}
	ok = true;
out:
	json_decref(j);
	audit_http_response_clear(&resp);
	free(url);
	return ok;
}
