/* keccak.h: Keccak-256 as Ethereum uses it (original Keccak padding 0x01, not SHA3's 0x06).
 *
 * Built on nettle's sha3_permute; OpenSSL's SHA3-256 pads differently and gives other
 * digests. The state lives on the caller's stack so hashing never allocates. */
#ifndef ASSAY_CHAIN_KECCAK_H
#define ASSAY_CHAIN_KECCAK_H

#include <stddef.h>
#include <stdint.h>

#define CHAIN_KECCAK_LEN 32
#define CHAIN_KECCAK_RATE 136 /* bytes absorbed per permutation: 1600 - 2*256 bits */

struct chain_keccak {
	uint64_t lanes[25];
	uint8_t block[CHAIN_KECCAK_RATE];
	size_t index; /* bytes buffered in block */
};

void chain_keccak_init(struct chain_keccak *k);
void chain_keccak_update(struct chain_keccak *k, const void *data, size_t len);
/* Writes the digest and wipes the state (so it can be reused after init). */
void chain_keccak_final(struct chain_keccak *k, uint8_t out[CHAIN_KECCAK_LEN]);
/* One-shot. */
void chain_keccak256(uint8_t out[CHAIN_KECCAK_LEN], const void *data, size_t len);

/* Keccak-256 of many messages of one block each (len < CHAIN_KECCAK_RATE, which it
 * asserts), side by side: message k in 64-bit lane k of each state word, 8 lanes with
 * AVX-512, 4 with AVX2, one by one without them (the challenge schedule hashes one such
 * message per challenge). The digests are chain_keccak256's, whatever the path. */
struct chain_keccak_msg {
	const uint8_t *data;
	size_t len;
	uint8_t *out; /* CHAIN_KECCAK_LEN bytes */
};
void chain_keccak256_many(const struct chain_keccak_msg *msgs, size_t n);
/* The same with at most `lanes` lanes (1, 4 or 8; fewer if the CPU lacks them): for tests,
 * to compare the paths. Returns the lanes used. */
unsigned chain_keccak256_many_lanes(const struct chain_keccak_msg *msgs, size_t n,
				    unsigned lanes);

#endif
