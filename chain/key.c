#include "chain/key.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <secp256k1.h>
#include <secp256k1_recovery.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/keccak.h"
#include "core/err.h"

struct chain_key {
	uint8_t secret[32];
	uint8_t pub[64];
	uint8_t addr[20];
};

static secp256k1_context *ctx;
static pthread_once_t ctx_once = PTHREAD_ONCE_INIT;

static void ctx_init(void)
{
	uint8_t seed[32];
	ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
	ASSAY_ASSERT(ctx != NULL);
	/* Blinding against side channels; if the kernel cannot give randomness, something
	 * is badly wrong and signing should not go on. */
	ASSAY_ASSERT(getrandom(seed, sizeof(seed), 0) == (ssize_t)sizeof(seed));
	ASSAY_ASSERT(secp256k1_context_randomize(ctx, seed));
	wipe(seed, sizeof(seed));
}

static secp256k1_context *context(void)
{
	pthread_once(&ctx_once, ctx_init);
	return ctx;
}

void chain_pubkey_to_address(const uint8_t pub[64], uint8_t out[20])
{
	uint8_t h[32];
	chain_keccak256(h, pub, 64);
	memcpy(out, h + 12, 20);
}

bool chain_key_from_bytes(struct chain_key **out, const uint8_t secret[32], struct err *e)
{
	secp256k1_context *c = context();
	if (!secp256k1_ec_seckey_verify(c, secret))
		return err_set(e, "the private key is not valid for secp256k1 (zero or not below the group order)");
	struct chain_key *k = xcalloc(1, sizeof(*k));
	memcpy(k->secret, secret, 32);
	secp256k1_pubkey pk;
	uint8_t ser[65];
	size_t len = sizeof(ser);
	ASSAY_ASSERT(secp256k1_ec_pubkey_create(c, &pk, k->secret));
	ASSAY_ASSERT(secp256k1_ec_pubkey_serialize(c, ser, &len, &pk, SECP256K1_EC_UNCOMPRESSED));
	memcpy(k->pub, ser + 1, 64);
	chain_pubkey_to_address(k->pub, k->addr);
	*out = k;
	return true;
}

bool chain_key_from_hex(struct chain_key **out, const char *hex, struct err *e)
{
	uint8_t secret[32];
	bool ok = false;
	const char *h = hex;
	size_t n = strlen(h);
	while (n && (h[n - 1] == '\n' || h[n - 1] == '\r' || h[n - 1] == ' '))
		n--;
	if (n >= 2 && h[0] == '0' && (h[1] == 'x' || h[1] == 'X')) {
		h += 2;
		n -= 2;
	}
	if (n != 64) {
		/* Say what is wrong without echoing any of it. */
		err_set(e, "the private key must be 64 hex digits (optionally 0x-prefixed), found %zu characters", n);
		goto out;
	}
	for (size_t i = 0; i < 64; i++) {
		int hi = h[i];
		int v = (hi >= '0' && hi <= '9') ? hi - '0'
			: (hi >= 'a' && hi <= 'f') ? hi - 'a' + 10
			: (hi >= 'A' && hi <= 'F') ? hi - 'A' + 10 : -1;
		if (v < 0) {
			err_set(e, "the private key contains a character that is not a hex digit");
			goto out;
		}
		if (i % 2)
			secret[i / 2] = (uint8_t)(secret[i / 2] | v);
		else
			secret[i / 2] = (uint8_t)(v << 4);
	}
	ok = chain_key_from_bytes(out, secret, e);
out:
	wipe(secret, sizeof(secret));
	return ok;
}

bool chain_key_from_file(struct chain_key **out, const char *path, struct err *e)
{
	char text[130];
	bool ok = false;
	ssize_t n = 0;
	int fd = open_private_file(path, "key file", e);
	if (fd < 0)
		return false;
	for (;;) {
		ssize_t r = read(fd, text + n, sizeof(text) - 1 - (size_t)n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_set(e, "cannot read key file %s: %s", path, strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += r;
		if ((size_t)n == sizeof(text) - 1) {
			err_set(e, "key file %s is too long to hold one private key", path);
			goto out;
		}
	}
	text[n] = '\0';
	if (!chain_key_from_hex(out, text, e)) {
		err_prefix(e, "key file %s: ", path);
		goto out;
	}
	ok = true;
out:
	wipe(text, sizeof(text));
	close(fd);
	return ok;
}

bool chain_key_from_env(struct chain_key **out, const char *var, struct err *e)
{
	const char *v = getenv(var);
	if (!v || !*v)
		return err_set(e, "environment variable %s is not set", var);
	if (!chain_key_from_hex(out, v, e))
		return err_prefix(e, "environment variable %s: ", var);
	return true;
}

void chain_key_free(struct chain_key *k)
{
	if (!k)
		return;
	wipe(k, sizeof(*k));
	free(k);
}

void chain_key_address(const struct chain_key *k, uint8_t out[20])
{
	memcpy(out, k->addr, 20);
}

void chain_key_pubkey(const struct chain_key *k, uint8_t out[64])
{
	memcpy(out, k->pub, 64);
}

bool chain_key_sign(const struct chain_key *k, const uint8_t digest[32], struct chain_sig *sig,
		    struct err *e)
{
	secp256k1_context *c = context();
	secp256k1_ecdsa_recoverable_signature rs;
	uint8_t compact[64];
	int recid = 0;
	if (!secp256k1_ecdsa_sign_recoverable(c, &rs, digest, k->secret, NULL, NULL))
		return err_set(e, "signing failed");
	ASSAY_ASSERT(secp256k1_ecdsa_recoverable_signature_serialize_compact(c, compact, &recid, &rs));
	memcpy(sig->r, compact, 32);
	memcpy(sig->s, compact + 32, 32);
	sig->y_parity = (uint8_t)recid;
	return true;
}

bool chain_sig_recover(const uint8_t digest[32], const struct chain_sig *sig, uint8_t addr[20],
		       struct err *e)
{
	secp256k1_context *c = context();
	uint8_t compact[64];
	secp256k1_ecdsa_recoverable_signature rs;
	secp256k1_ecdsa_signature plain;
	secp256k1_pubkey pk;
	if (sig->y_parity > 1)
		return err_set(e, "signature y parity must be 0 or 1, not %u", sig->y_parity);
	memcpy(compact, sig->r, 32);
	memcpy(compact + 32, sig->s, 32);
	if (!secp256k1_ecdsa_recoverable_signature_parse_compact(c, &rs, compact, sig->y_parity))
		return err_set(e, "signature r or s is not below the group order");
	/* High s is the malleated twin of a valid signature: refuse it (EIP-2). normalize
	 * returns 1 when it had to flip s. */
	ASSAY_ASSERT(secp256k1_ecdsa_signature_parse_compact(c, &plain, compact));
	if (secp256k1_ecdsa_signature_normalize(c, NULL, &plain))
		return err_set(e, "signature has a high s value (not canonical, EIP-2)");
	if (!secp256k1_ecdsa_recover(c, &pk, &rs, digest))
		return err_set(e, "no public key recovers from this signature");
	uint8_t ser[65];
	size_t len = sizeof(ser);
	ASSAY_ASSERT(secp256k1_ec_pubkey_serialize(c, ser, &len, &pk, SECP256K1_EC_UNCOMPRESSED));
	chain_pubkey_to_address(ser + 1, addr);
	return true;
}

bool chain_sig_verify(const uint8_t digest[32], const struct chain_sig *sig, const uint8_t addr[20],
		      struct err *e)
{
	uint8_t got[20];
	if (!chain_sig_recover(digest, sig, got, e))
		return false;
	if (memcmp(got, addr, 20))
		return err_set(e, "signature was made by another key");
	return true;
}

void chain_sig_to_65(const struct chain_sig *sig, uint8_t out[65])
{
	memcpy(out, sig->r, 32);
	memcpy(out + 32, sig->s, 32);
	out[64] = (uint8_t)(27 + sig->y_parity);
}

bool chain_sig_from_65(struct chain_sig *sig, const uint8_t in[65], struct err *e)
{
	uint8_t v = in[64];
	if (v >= 27)
		v = (uint8_t)(v - 27);
	if (v > 1)
		return err_set(e, "signature v must be 27, 28, 0 or 1, not %u", in[64]);
	memcpy(sig->r, in, 32);
	memcpy(sig->s, in + 32, 32);
	sig->y_parity = v;
	return true;
}

bool chain_key_load(struct chain_key **out, const char *file, const char *env, struct err *e)
{
	return file ? chain_key_from_file(out, file, e) : chain_key_from_env(out, env, e);
}
