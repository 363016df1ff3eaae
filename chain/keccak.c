#include "chain/keccak.h"

#include <nettle/sha3.h>
#include <stdbool.h>
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

/* ---- many one-block messages side by side ---- */

static void hash_each(const struct chain_keccak_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		ASSAY_ASSERT(msgs[i].len < CHAIN_KECCAK_RATE);
		chain_keccak256(msgs[i].out, msgs[i].data, msgs[i].len);
	}
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

static const uint64_t round_constants[24] = {
	0x0000000000000001ull, 0x0000000000008082ull, 0x800000000000808aull, 0x8000000080008000ull,
	0x000000000000808bull, 0x0000000080000001ull, 0x8000000080008081ull, 0x8000000000008009ull,
	0x000000000000008aull, 0x0000000000000088ull, 0x0000000080008009ull, 0x000000008000000aull,
	0x000000008000808bull, 0x800000000000008bull, 0x8000000000008089ull, 0x8000000000008003ull,
	0x8000000000008002ull, 0x8000000000000080ull, 0x000000000000800aull, 0x800000008000000aull,
	0x8000000080008081ull, 0x8000000000008080ull, 0x0000000080000001ull, 0x8000000080008008ull,
};
/* rho's rotation of word x + 5y. */
static const unsigned rho[25] = {0,  1,  62, 28, 27, 36, 44, 6,  55, 20, 3,  10, 43,
				 25, 39, 41, 45, 15, 21, 8,  18, 2,  61, 56, 14};

/* A message's padded block (pad10*1 with Keccak's 0x01) as the rate's 17 words. */
static void block_words(const struct chain_keccak_msg *m, uint64_t w[CHAIN_KECCAK_RATE / 8])
{
	uint8_t b[CHAIN_KECCAK_RATE];
	ASSAY_ASSERT(m->len < CHAIN_KECCAK_RATE);
	memcpy(b, m->data, m->len);
	memset(b + m->len, 0, CHAIN_KECCAK_RATE - m->len);
	b[m->len] ^= 0x01;
	b[CHAIN_KECCAK_RATE - 1] ^= 0x80;
	for (size_t i = 0; i < CHAIN_KECCAK_RATE / 8; i++) {
		uint64_t x = 0;
		for (int k = 7; k >= 0; k--)
			x = (x << 8) | b[i * 8 + (size_t)k];
		w[i] = x;
	}
}

#define KROT(x, n) ((n) ? ((x) << (n)) | ((x) >> (64 - (n))) : (x))
/* Unrolled whole, every index and rotation is a constant (a rotation by a count from a
 * table would be a variable shift). */
#define K_UNROLL _Pragma("GCC unroll 25")

/* Keccak-f[1600] on W states at once (theta, rho and pi, chi, iota, as in FIPS 202 §3.2),
 * then each lane's digest. */
#define K_LANES(NAME, W, TARGET)                                                               \
	typedef uint64_t NAME##_v __attribute__((vector_size(8 * (W))));                       \
	__attribute__((target(TARGET))) static void NAME(const struct chain_keccak_msg *msgs,  \
							 size_t n)                             \
	{                                                                                      \
		for (size_t first = 0; first < n; first += (W)) {                              \
			size_t cnt = n - first < (W) ? n - first : (W);                        \
			NAME##_v a[25], b[25], c[5], d[5];                                     \
			memset(a, 0, sizeof(a));                                               \
			for (size_t k = 0; k < cnt; k++) {                                     \
				uint64_t w[CHAIN_KECCAK_RATE / 8];                             \
				block_words(&msgs[first + k], w);                              \
				for (size_t i = 0; i < CHAIN_KECCAK_RATE / 8; i++)             \
					a[i][k] = w[i];                                        \
			}                                                                      \
			for (int r = 0; r < 24; r++) {                                         \
				K_UNROLL                                                       \
				for (int x = 0; x < 5; x++)                                    \
					c[x] = a[x] ^ a[x + 5] ^ a[x + 10] ^ a[x + 15] ^       \
					       a[x + 20];                                      \
				K_UNROLL                                                       \
				for (int x = 0; x < 5; x++)                                    \
					d[x] = c[(x + 4) % 5] ^ KROT(c[(x + 1) % 5], 1);       \
				/* pi: word (x, y) moves to (y, 2x + 3y) */                    \
				K_UNROLL                                                       \
				for (int i = 0; i < 25; i++)                                   \
					b[i / 5 + 5 * ((2 * (i % 5) + 3 * (i / 5)) % 5)] =     \
						KROT(a[i] ^ d[i % 5], rho[i]);                 \
				K_UNROLL                                                       \
				for (int i = 0; i < 25; i++)                                   \
					a[i] = b[i] ^ (~b[(i + 1) % 5 + i / 5 * 5] &           \
						       b[(i + 2) % 5 + i / 5 * 5]);            \
				a[0] ^= round_constants[r];                                    \
			}                                                                      \
			for (size_t k = 0; k < cnt; k++)                                       \
				for (size_t i = 0; i < CHAIN_KECCAK_LEN; i++)                  \
					msgs[first + k].out[i] =                               \
						(uint8_t)(a[i / 8][k] >> (8 * (i % 8)));       \
		}                                                                              \
	}

K_LANES(klanes8, 8, "avx512f")
K_LANES(klanes4, 4, "avx2")

unsigned chain_keccak256_many_lanes(const struct chain_keccak_msg *msgs, size_t n,
				    unsigned lanes)
{
	unsigned have = cpu_u64_lanes();
	if (lanes > have)
		lanes = have;
	if (n < 2 || lanes < 4) {
		hash_each(msgs, n);
		return 1;
	}
	if (lanes >= 8) {
		klanes8(msgs, n);
		return 8;
	}
	klanes4(msgs, n);
	return 4;
}

#else

unsigned chain_keccak256_many_lanes(const struct chain_keccak_msg *msgs, size_t n,
				    unsigned lanes)
{
	(void)lanes;
	hash_each(msgs, n);
	return 1;
}

#endif

void chain_keccak256_many(const struct chain_keccak_msg *msgs, size_t n)
{
	(void)chain_keccak256_many_lanes(msgs, n, 8);
}
