/* secret.c: the per-epoch secret, derived from the signing key (see secret.h). */
#include "settle/secret.h"

#include <string.h>

#include "chain/keccak.h"
#include "chain/key.h"
#include "core/err.h"

bool settle_secret_derive(const struct chain_key *signing, uint64_t epoch, uint8_t secret[32],
			  struct err *e)
{
	const size_t tag_len = sizeof(SETTLE_SECRET_TAG) - 1;
	uint8_t msg[sizeof(SETTLE_SECRET_TAG) - 1 + 8];
	uint8_t digest[32];
	struct chain_sig sig;
	bool ok = false;

	memcpy(msg, SETTLE_SECRET_TAG, tag_len);
	for (int i = 0; i < 8; i++)
		msg[tag_len + (size_t)i] = (uint8_t)(epoch >> (56 - 8 * i));
	chain_keccak256(digest, msg, sizeof(msg));
	if (!chain_key_sign(signing, digest, &sig, e)) {
		err_prefix(e, "deriving the secret of epoch %llu: ", (unsigned long long)epoch);
		goto out;
	}
	struct chain_keccak k;
	chain_keccak_init(&k);
	chain_keccak_update(&k, SETTLE_SECRET_TAG, tag_len);
	chain_keccak_update(&k, sig.r, 32);
	chain_keccak_update(&k, sig.s, 32);
	chain_keccak_final(&k, secret);
	ok = true;
out:
	wipe(&sig, sizeof(sig));
	return ok;
}

void settle_secret_hash(const uint8_t secret[32], uint8_t out[32])
{
	chain_keccak256(out, secret, 32);
}
