/* blob_status.c: a blob's state on chain (see blob_status.h). */
#include "node/blob_status.h"

#include <inttypes.h>
#include <jansson.h>
#include <string.h>

#include "audit/blob.h"
#include "chain/abi.h"
#include "chain/session.h"
#include "chain/u256.h"
#include "core/err.h"

bool node_blob_status_read(struct chain_session *s, const uint8_t id[32],
			   struct node_blob_status *st, struct err *e)
{
	memset(st, 0, sizeof(*st));
	memcpy(st->id, id, 32);
	const struct chain_blob_info *bi = &st->info;
	struct chain_abi_value *r = NULL;
	if (!chain_staking_current_epoch(s->bind, &st->current_epoch, e) ||
	    !chain_registry_blob_info(s->bind, id, &st->info, e))
		return false;
	if (!bi->registered)
		return true;
	bool ok = chain_bind_call(s->bind, s->dep.blob_registry,
				  "isChallengeable(bytes32,uint64)(bool)",
				  chain_abi_push(chain_abi_push(chain_abi_tuple_new(),
								chain_abi_fixed_bytes_new(id, 32)),
						 chain_abi_uint_new(st->current_epoch)),
				  &r, e) &&
		  chain_abi_get_bool(chain_abi_at(r, 0), &st->challengeable, e);
	chain_abi_value_free(r);
	st->state = bi->end_epoch <= st->current_epoch ? "expired"
		    : bi->certified_block		  ? "certified"
							  : "registered";
	return ok;
}

json_t *node_blob_status_json(const struct node_blob_status *st)
{
	const struct chain_blob_info *bi = &st->info;
	char owner[43], fee[CHAIN_U256_STRLEN], idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
	chain_address_checksum(owner, bi->owner);
	chain_u256_to_dec(&bi->fee_per_epoch, fee);
	audit_blob_id_text(idt, st->id);
	json_t *j = json_pack("{s:s,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:s,s:b,s:I}", "blob_id", idt,
			      "state", st->state, "owner", owner, "encoding_type",
			      (json_int_t)bi->encoding_type, "size", (json_int_t)bi->unencoded_size,
			      "encoded_size", (json_int_t)bi->encoded_size, "start_epoch",
			      (json_int_t)bi->start_epoch, "end_epoch", (json_int_t)bi->end_epoch,
			      "fee_per_epoch", fee, "challengeable_now", st->challengeable,
			      "current_epoch", (json_int_t)st->current_epoch);
	if (bi->certified_block) {
		json_object_set_new(j, "certified_epoch", json_integer((json_int_t)bi->certified_epoch));
		json_object_set_new(j, "certified_block", json_integer((json_int_t)bi->certified_block));
	}
	return j;
}

void node_blob_status_print(FILE *f, const struct node_blob_status *st)
{
	const struct chain_blob_info *bi = &st->info;
	char owner[43], fee[CHAIN_U256_STRLEN], idt[AUDIT_BLOB_ID_TEXT_LEN + 1];
	chain_address_checksum(owner, bi->owner);
	chain_u256_to_dec(&bi->fee_per_epoch, fee);
	audit_blob_id_text(idt, st->id);
	fprintf(f, "blob %s: %s, %" PRIu64 " bytes (encoded %" PRIu64 ", type %u), epochs %" PRIu64
		   " to %" PRIu64 ", owner %s, fee %s per epoch\n",
		idt, st->state, bi->unencoded_size, bi->encoded_size, bi->encoding_type,
		bi->start_epoch, bi->end_epoch - 1, owner, fee);
	if (bi->certified_block)
		fprintf(f, "certified in epoch %" PRIu64 " at block %" PRIu64 "\n",
			bi->certified_epoch, bi->certified_block);
	fprintf(f, "challenged in epoch %" PRIu64 ": %s\n", st->current_epoch,
		st->challengeable ? "yes" : "no");
}
