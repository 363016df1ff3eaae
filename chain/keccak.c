#include "chain/keccak.h"

#include <nettle/sha3.h>
#include <string.h>

#include "core/util.h"

_Static_assert(sizeof(struct sha3_state) == sizeof(((struct chain_keccak *)0)->lanes),
	       "nettle's sha3_state is 25 lanes");

static void absorb(struct chain_keccak *k, const uint8_t *block)
{
	/* Lanes are little-endian 64-bit words, whatever the host order. */
	for (size_t i = 0; i < CHAIN_KECCAK_RATE / 8; i++) {
		uint64_t w = 0;
		for (int b = 7; b >= 0; b--)
			w = (w << 8) | block[i * 8 + (size_t)b];
		k->lanes[i] ^= w;
	}
	struct sha3_state st;
	memcpy(st.a, k->lanes, sizeof(st.a));
	sha3_permute(&st);
	memcpy(k->lanes, st.a, sizeof(st.a));
	wipe(&st, sizeof(st));
}

void chain_keccak_init(struct chain_keccak *k)
{
	memset(k, 0, sizeof(*k));
}

void chain_keccak_update(struct chain_keccak *k, const void *data, size_t len)
{
	const uint8_t *p = data;
	if (k->index) {
		size_t take = CHAIN_KECCAK_RATE - k->index;
		if (take > len)
			take = len;
		memcpy(k->block + k->index, p, take);
		k->index += take;
		p += take;
		len -= take;
		if (k->index < CHAIN_KECCAK_RATE)
			return;
		absorb(k, k->block);
		k->index = 0;
	}
	while (len >= CHAIN_KECCAK_RATE) {
		absorb(k, p);
		p += CHAIN_KECCAK_RATE;
		len -= CHAIN_KECCAK_RATE;
	}
	if (len)
		memcpy(k->block, p, len);
	k->index = len;
}

void chain_keccak_final(struct chain_keccak *k, uint8_t out[CHAIN_KECCAK_LEN])
{
	/* Keccak's pad10*1 with the 0x01 domain byte: this is what makes it Ethereum's
	 * Keccak-256 rather than FIPS 202 SHA3-256 (0x06). */
	memset(k->block + k->index, 0, CHAIN_KECCAK_RATE - k->index);
	k->block[k->index] ^= 0x01;
	k->block[CHAIN_KECCAK_RATE - 1] ^= 0x80;
	absorb(k, k->block);
	for (size_t i = 0; i < CHAIN_KECCAK_LEN; i++)
		out[i] = (uint8_t)(k->lanes[i / 8] >> (8 * (i % 8)));
	wipe(k, sizeof(*k));
}

void chain_keccak256(uint8_t out[CHAIN_KECCAK_LEN], const void *data, size_t len)
{
	struct chain_keccak k;
	chain_keccak_init(&k);
	chain_keccak_update(&k, data, len);
	chain_keccak_final(&k, out);
}
