/* secret.c: the per-epoch secret, derived from the signing key (see secret.h). */
#include "settle/secret.h"

#include <stdlib.h>
#include <string.h>

#include "chain/keccak.h"
#include "chain/key.h"
#include "core/encoding.h"
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

/* A file holding one epoch's secret (32 bytes hex, mode 0600). */
static bool load_secret_file(const char *path, uint8_t master[32], struct err *e)
{
	char *hex = NULL;
	if (!read_secret_file(path, "secret file", 256, &hex, e))
		return false;
	struct err le;
	bool ok = hex_decode_exact(master, 32, hex, &le);
	if (!ok)
		err_set(e, "the secret file %s must hold 32 bytes as hex", path);
	wipe(hex, strlen(hex));
	free(hex);
	return ok;
}

static bool derived_secret(void *arg, uint64_t epoch, uint8_t out[32], struct err *e)
{
	struct settle_identity *x = arg;
	return settle_secret_derive(x->key, epoch, out, e);
}

static bool given_secret(void *arg, uint64_t epoch, uint8_t out[32], struct err *e)
{
	(void)epoch;
	(void)e;
	memcpy(out, ((struct settle_identity *)arg)->secret, 32);
	return true;
}

void settle_identity_close(struct settle_identity *x)
{
	chain_key_free(x->key);
	wipe(x->secret, sizeof(x->secret));
	memset(x, 0, sizeof(*x));
}

bool settle_identity_open(struct settle_identity *x, const struct settle_identity_cfg *c,
			  struct err *e)
{
	memset(x, 0, sizeof(*x));
	x->id.arg = x;
	const char *aud = c->auditor;
	if (c->key_file) {
		if (!chain_key_from_file(&x->key, c->key_file, e))
			return false;
		chain_key_address(x->key, x->id.auditor);
		x->id.secret = derived_secret;
		x->id.per_epoch = true;
		uint8_t given[20];
		if (aud && (!hex_decode_exact(given, 20, aud, e) || memcmp(given, x->id.auditor, 20)))
			return err_set(e, "--auditor does not match the address of --key-file");
		return true;
	}
	x->id.secret = given_secret;
	if (!aud || !hex_decode_exact(x->id.auditor, 20, aud, e))
		return err_set(e, "--auditor must be the auditor's 20-byte address in hex");
	if (c->secret_hex) {
		if (!hex_decode_exact(x->secret, 32, c->secret_hex, e))
			return err_set(e, "--secret must be the epoch's 32-byte secret in hex");
	} else if (c->secret_file && *c->secret_file) {
		if (!load_secret_file(c->secret_file, x->secret, e))
			return false;
	} else {
		return err_set(e, "the epoch's secret is needed: --key-file FILE (the signing key "
				  "it derives from), --secret-file FILE, or --secret HEX");
	}
	return true;
}
