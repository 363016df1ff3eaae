/* convict.c: an epoch's convictions from the chain (see convict.h). */
#include "settle/convict.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "core/encoding.h"
#include "core/err.h"
#include "settle/chainio.h"

const char *settle_dispute_kind_name(unsigned kind)
{
	static const char *const names[] = {NULL,    "node_total", "sum_node", "record",
					    "order", "verdict",    "schedule", "too_many"};
	return kind >= 1 && kind < ARRAY_LEN(names) ? names[kind] : "unknown";
}

bool settle_convictions_read(struct settle_chain *c, uint64_t epoch, struct settle_convictions *out,
			     struct err *e)
{
	struct settle_dispute_event *ev = NULL;
	size_t n = 0;
	memset(out, 0, sizeof(*out));
	if (!settle_chain_disputes(c, epoch, &ev, &n, e))
		return false;
	struct settle_conviction *v = xcalloc(n ? n : 1, sizeof(*v));
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++) {
		v[i].auditor_id = ev[i].auditor_id;
		v[i].kind = ev[i].kind;
		memcpy(v[i].disputer, ev[i].disputer, 20);
		v[i].reward = ev[i].reward;
		v[i].burned = ev[i].burned;
		memcpy(v[i].tx_hash, ev[i].tx_hash, 32);
		v[i].block = ev[i].block;
		ok = settle_chain_reveal_signer(c, epoch, ev[i].auditor_id, v[i].signer, e) &&
		     settle_chain_bond(c, ev[i].auditor_id, &v[i].bond, &v[i].bond_locked_until, e);
	}
	free(ev);
	if (!ok) {
		free(v);
		return false;
	}
	out->v = v;
	out->n = n;
	return true;
}

void settle_convictions_clear(struct settle_convictions *cv)
{
	if (!cv)
		return;
	free(cv->v);
	memset(cv, 0, sizeof(*cv));
}

const struct settle_conviction *settle_conviction_find(const struct settle_convictions *cv,
						       int auditor_id, const uint8_t *signer)
{
	for (size_t i = 0; i < cv->n; i++)
		if (auditor_id >= 0 ? cv->v[i].auditor_id == auditor_id
				    : signer && !memcmp(cv->v[i].signer, signer, 20))
			return &cv->v[i];
	return NULL;
}

json_t *settle_conviction_json(const struct settle_conviction *v)
{
	char signer[43], disputer[43], tx[67], reward[CHAIN_U256_STRLEN], burned[CHAIN_U256_STRLEN],
		bond[CHAIN_U256_STRLEN];
	chain_address_checksum(signer, v->signer);
	chain_address_checksum(disputer, v->disputer);
	tx[0] = '0';
	tx[1] = 'x';
	hex_encode(tx + 2, v->tx_hash, 32);
	chain_u256_to_dec(&v->reward, reward);
	chain_u256_to_dec(&v->burned, burned);
	chain_u256_to_dec(&v->bond, bond);
	return json_pack("{s:i,s:s,s:s,s:i,s:s,s:s,s:s,s:s,s:I,s:s,s:I}", "auditor_id",
			 (int)v->auditor_id, "signer", signer, "kind",
			 settle_dispute_kind_name(v->kind), "kind_code", (int)v->kind, "disputer",
			 disputer, "reward", reward, "burned", burned, "tx", tx, "block",
			 (json_int_t)v->block, "bond", bond, "bond_locked_until",
			 (json_int_t)v->bond_locked_until);
}
