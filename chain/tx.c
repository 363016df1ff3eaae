#include "chain/tx.h"

#include <stdlib.h>
#include <string.h>

#include "chain/keccak.h"
#include "chain/key.h"
#include "chain/rlp.h"
#include "core/err.h"

#define TX_TYPE_1559 0x02

void chain_tx_init(struct chain_tx *tx)
{
	memset(tx, 0, sizeof(*tx));
	buf_init(&tx->data);
}

void chain_tx_clear(struct chain_tx *tx)
{
	buf_free(&tx->data);
	for (size_t i = 0; i < tx->naccess; i++)
		free(tx->access_list[i].keys);
	free(tx->access_list);
	chain_tx_init(tx);
}

void chain_tx_add_access(struct chain_tx *tx, const uint8_t address[20], const uint8_t (*keys)[32],
			 size_t nkeys)
{
	tx->access_list = xrealloc(tx->access_list, (tx->naccess + 1) * sizeof(*tx->access_list));
	struct chain_access_entry *a = &tx->access_list[tx->naccess++];
	memcpy(a->address, address, 20);
	a->nkeys = nkeys;
	a->keys = nkeys ? xmalloc(nkeys * 32) : NULL;
	if (nkeys)
		memcpy(a->keys, keys, nkeys * 32);
}

/* The nine fields, without the list header. */
static void put_fields(const struct chain_tx *tx, struct buf *b)
{
	chain_rlp_put_u64(b, tx->chain_id);
	chain_rlp_put_u64(b, tx->nonce);
	chain_rlp_put_u256(b, &tx->max_priority_fee_per_gas);
	chain_rlp_put_u256(b, &tx->max_fee_per_gas);
	chain_rlp_put_u64(b, tx->gas_limit);
	chain_rlp_put_bytes(b, tx->to, tx->has_to ? 20 : 0);
	chain_rlp_put_u256(b, &tx->value);
	chain_rlp_put_bytes(b, tx->data.data, tx->data.len);
	size_t al = chain_rlp_list_begin(b);
	for (size_t i = 0; i < tx->naccess; i++) {
		const struct chain_access_entry *a = &tx->access_list[i];
		size_t entry = chain_rlp_list_begin(b);
		chain_rlp_put_bytes(b, a->address, 20);
		size_t keys = chain_rlp_list_begin(b);
		for (size_t k = 0; k < a->nkeys; k++)
			chain_rlp_put_bytes(b, a->keys[k], 32);
		chain_rlp_list_end(b, keys);
		chain_rlp_list_end(b, entry);
	}
	chain_rlp_list_end(b, al);
}

void chain_tx_signing_hash(const struct chain_tx *tx, uint8_t out[32])
{
	struct buf b = BUF_INIT;
	buf_append_byte(&b, TX_TYPE_1559);
	size_t list = chain_rlp_list_begin(&b);
	put_fields(tx, &b);
	chain_rlp_list_end(&b, list);
	chain_keccak256(out, b.data, b.len);
	buf_free(&b);
}

static void put_be32_min(struct buf *b, const uint8_t v[32])
{
	size_t skip = 0;
	while (skip < 32 && v[skip] == 0)
		skip++;
	chain_rlp_put_bytes(b, v + skip, 32 - skip);
}

void chain_tx_encode_signed(const struct chain_tx *tx, const struct chain_sig *sig, struct buf *out)
{
	buf_append_byte(out, TX_TYPE_1559);
	size_t list = chain_rlp_list_begin(out);
	put_fields(tx, out);
	chain_rlp_put_u64(out, sig->y_parity);
	put_be32_min(out, sig->r);
	put_be32_min(out, sig->s);
	chain_rlp_list_end(out, list);
}

void chain_tx_hash(const uint8_t *raw, size_t len, uint8_t out[32])
{
	chain_keccak256(out, raw, len);
}

bool chain_tx_sign(const struct chain_tx *tx, const struct chain_key *key, struct buf *raw,
		   uint8_t hash[32], struct err *e)
{
	uint8_t digest[32];
	struct chain_sig sig;
	chain_tx_signing_hash(tx, digest);
	if (!chain_key_sign(key, digest, &sig, e))
		return false;
	size_t mark = raw->len;
	chain_tx_encode_signed(tx, &sig, raw);
	if (hash)
		chain_tx_hash(raw->data + mark, raw->len - mark, hash);
	return true;
}

static bool field_u256(const struct chain_rlp_item *it, struct chain_u256 *out, const char *name,
		       struct err *e)
{
	if (!chain_rlp_to_u256(it, out, e))
		return err_prefix(e, "transaction field %s: ", name);
	return true;
}

static bool field_u64(const struct chain_rlp_item *it, uint64_t *out, const char *name,
		      struct err *e)
{
	if (!chain_rlp_to_u64(it, out, e))
		return err_prefix(e, "transaction field %s: ", name);
	return true;
}

static bool field_b32(const struct chain_rlp_item *it, uint8_t out[32], const char *name,
		      struct err *e)
{
	struct chain_u256 v;
	if (!field_u256(it, &v, name, e))
		return false;
	chain_u256_to_be(&v, out);
	return true;
}

static bool decode_access(const struct chain_rlp_item *list, struct chain_tx *tx, struct err *e)
{
	if (!list->is_list)
		return err_set(e, "transaction access list is not a list");
	struct chain_rlp_iter it;
	struct chain_rlp_item entry;
	struct err ie = {{0}};
	chain_rlp_iter_init(&it, list);
	while (chain_rlp_next(&it, &entry, &ie)) {
		struct chain_rlp_item parts[2], key;
		if (!chain_rlp_list_items(&entry, parts, 2, 2, NULL, e))
			return err_prefix(e, "transaction access list entry: ");
		if (parts[0].is_list || parts[0].len != 20)
			return err_set(e, "transaction access list address is not 20 bytes");
		if (!parts[1].is_list)
			return err_set(e, "transaction access list storage keys are not a list");
		size_t nkeys = chain_rlp_count(&parts[1]);
		uint8_t(*keys)[32] = nkeys ? xmalloc(nkeys * 32) : NULL;
		struct chain_rlp_iter kit;
		size_t k = 0;
		chain_rlp_iter_init(&kit, &parts[1]);
		while (chain_rlp_next(&kit, &key, NULL)) {
			if (key.is_list || key.len != 32) {
				free(keys);
				return err_set(e, "transaction access list storage key is not 32 bytes");
			}
			memcpy(keys[k++], key.data, 32);
		}
		chain_tx_add_access(tx, parts[0].data, (const uint8_t(*)[32])keys, nkeys);
		free(keys);
	}
	if (ie.msg[0])
		return err_set(e, "%s", ie.msg);
	return true;
}

bool chain_tx_decode(const uint8_t *raw, size_t len, struct chain_tx *tx, struct chain_sig *sig_out,
		     uint8_t from[20], struct err *e)
{
	struct chain_rlp_item top, f[12];
	struct chain_sig sig;
	uint64_t parity;
	if (len == 0 || raw[0] != TX_TYPE_1559)
		return err_set(e, "not an EIP-1559 transaction (type byte 0x02 missing)");
	if (!chain_rlp_decode(raw + 1, len - 1, &top, e))
		return err_prefix(e, "transaction: ");
	if (!chain_rlp_list_items(&top, f, 12, 12, NULL, e))
		return err_prefix(e, "transaction: ");
	chain_tx_clear(tx);
	if (!field_u64(&f[0], &tx->chain_id, "chainId", e) ||
	    !field_u64(&f[1], &tx->nonce, "nonce", e) ||
	    !field_u256(&f[2], &tx->max_priority_fee_per_gas, "maxPriorityFeePerGas", e) ||
	    !field_u256(&f[3], &tx->max_fee_per_gas, "maxFeePerGas", e) ||
	    !field_u64(&f[4], &tx->gas_limit, "gasLimit", e))
		goto fail;
	if (f[5].is_list || (f[5].len != 0 && f[5].len != 20)) {
		err_set(e, "transaction field to is neither empty nor 20 bytes");
		goto fail;
	}
	tx->has_to = f[5].len == 20;
	if (tx->has_to)
		memcpy(tx->to, f[5].data, 20);
	if (!field_u256(&f[6], &tx->value, "value", e))
		goto fail;
	if (f[7].is_list) {
		err_set(e, "transaction field data is a list");
		goto fail;
	}
	buf_append(&tx->data, f[7].data, f[7].len);
	if (!decode_access(&f[8], tx, e))
		goto fail;
	if (!field_u64(&f[9], &parity, "yParity", e))
		goto fail;
	if (parity > 1) {
		err_set(e, "transaction yParity must be 0 or 1");
		goto fail;
	}
	sig.y_parity = (uint8_t)parity;
	if (!field_b32(&f[10], sig.r, "r", e) || !field_b32(&f[11], sig.s, "s", e))
		goto fail;
	if (from) {
		uint8_t digest[32];
		chain_tx_signing_hash(tx, digest);
		if (!chain_sig_recover(digest, &sig, from, e)) {
			err_prefix(e, "transaction signature: ");
			goto fail;
		}
	}
	if (sig_out)
		*sig_out = sig;
	return true;
fail:
	chain_tx_clear(tx);
	return false;
}
