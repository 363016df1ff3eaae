/* b2many.c: audit/b2many.h. BLAKE2b (RFC 7693) with one message per 64-bit vector lane:
 * lane k of state word i is word i of message k's state, so the G function runs on all
 * lanes with plain vector adds, xors and rotations (GCC/Clang vector extensions, compiled
 * for AVX-512 or AVX2 by function attribute and picked at run time). A lane whose message
 * ends takes the next message; the last one left finishes on the scalar compression. */
#include "core/util.h"
#include "audit/b2many.h"

#include <blake2.h>
#include <string.h>

static void hash_one(const struct audit_b2_msg *m)
{
	blake2b_state s;
	blake2b_init(&s, 32);
	if (m->has_prefix)
		blake2b_update(&s, &m->prefix, 1);
	if (m->len)
		blake2b_update(&s, m->data, m->len);
	blake2b_final(&s, m->out, 32);
}

static void hash_each(const struct audit_b2_msg *msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		hash_one(&msgs[i]);
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

static const uint64_t iv[8] = {
	0x6a09e667f3bcc908ull, 0xbb67ae8584caa73bull, 0x3c6ef372fe94f82bull, 0xa54ff53a5f1d36f1ull,
	0x510e527fade682d1ull, 0x9b05688c2b3e6c1full, 0x1f83d9abfb41bd6bull, 0x5be0cd19137e2179ull,
};
static const uint8_t sigma[12][16] = {
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
	{11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4},
	{7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8},
	{9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13},
	{2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9},
	{12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11},
	{13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10},
	{6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5},
	{10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0},
	{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15},
	{14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3},
};
/* Parameter block word 0 for a 32-byte digest, no key, fanout 1, depth 1. */
#define PARAM0 (0x01010000ull ^ 32u)

static uint64_t load64(const uint8_t *p)
{
	uint64_t x;
	memcpy(&x, p, 8);
	return x; /* x86-64 is little-endian, as BLAKE2b's words are */
}

#define ROT(x, n) (((x) >> (n)) | ((x) << (64 - (n))))
#define G(r, i, a, b, c, d)                                   \
	do {                                                  \
		a = a + b + m[sigma[r][2 * (i)]];             \
		d = ROT(d ^ a, 32);                           \
		c = c + d;                                    \
		b = ROT(b ^ c, 24);                           \
		a = a + b + m[sigma[r][2 * (i) + 1]];         \
		d = ROT(d ^ a, 16);                           \
		c = c + d;                                    \
		b = ROT(b ^ c, 63);                           \
	} while (0)
/* Unrolled, so sigma's indices are constants: the scalar compression gains a fifth (it
 * finishes the last message of a pass), the lanes a few per cent. */
#define ROUNDS(v)                                               \
	_Pragma("GCC unroll 12")                                \
	for (int r = 0; r < 12; r++) {                          \
		G(r, 0, v[0], v[4], v[8], v[12]);               \
		G(r, 1, v[1], v[5], v[9], v[13]);               \
		G(r, 2, v[2], v[6], v[10], v[14]);              \
		G(r, 3, v[3], v[7], v[11], v[15]);              \
		G(r, 4, v[0], v[5], v[10], v[15]);              \
		G(r, 5, v[1], v[6], v[11], v[12]);              \
		G(r, 6, v[2], v[7], v[8], v[13]);               \
		G(r, 7, v[3], v[4], v[9], v[14]);               \
	}

static void compress1(uint64_t h[8], const uint8_t *blk, uint64_t t, bool last)
{
	uint64_t m[16], v[16];
	for (int j = 0; j < 16; j++)
		m[j] = load64(blk + 8 * j);
	for (int i = 0; i < 8; i++) {
		v[i] = h[i];
		v[i + 8] = iv[i];
	}
	v[12] ^= t;
	if (last)
		v[14] = ~v[14];
	ROUNDS(v)
	for (int i = 0; i < 8; i++)
		h[i] ^= v[i] ^ v[i + 8];
}

/* Where a lane is in its message: [prefix] ‖ data, `total` bytes, `off` hashed. */
struct lane {
	const struct audit_b2_msg *m;
	size_t total, off;
	uint8_t buf[128];
};

static void lane_start(struct lane *l, const struct audit_b2_msg *m)
{
	l->m = m;
	l->total = m->len + (m->has_prefix ? 1 : 0);
	l->off = 0;
}

/* The lane's next block: in place when it lies whole in the data, else assembled in buf
 * (the first block with a prefix, the last partial one). *t counts the bytes hashed after
 * it; *last says it ends the message (the empty message is one zero block). */
static const uint8_t *lane_block(struct lane *l, uint64_t *t, bool *last)
{
	size_t p = l->m->has_prefix ? 1 : 0;
	size_t off = l->off, end = l->total - off > 128 ? off + 128 : l->total;
	*last = end == l->total;
	*t = end;
	if (end - off == 128 && off >= p)
		return l->m->data + (off - p);
	memset(l->buf, 0, sizeof(l->buf));
	size_t k = 0;
	if (off == 0 && p) {
		l->buf[0] = l->m->prefix;
		k = 1;
	}
	size_t ds = off + k - p, de = end - p;
	if (de > ds)
		memcpy(l->buf + k, l->m->data + ds, de - ds);
	return l->buf;
}

static void lane_out(const struct lane *l, const uint64_t h[4])
{
	memcpy(l->m->out, h, 32);
}

/* The last message left: on the scalar compression, from the lane's state. */
static void lane_finish1(struct lane *l, uint64_t h[8])
{
	for (;;) {
		uint64_t t;
		bool last;
		const uint8_t *b = lane_block(l, &t, &last);
		compress1(h, b, t, last);
		if (last)
			break;
		l->off += 128;
	}
	lane_out(l, h);
}

static const uint8_t zero_block[128];

#define B2_LANES(NAME, W, TARGET)                                                              \
	typedef uint64_t NAME##_v __attribute__((vector_size(8 * (W))));                       \
	__attribute__((target(TARGET))) static void NAME##_compress(                           \
		NAME##_v h[8], const uint8_t *const blk[W], const uint64_t t[W],                 \
		const uint64_t last[W])                                                          \
	{                                                                                      \
		NAME##_v m[16], v[16], tv, lv, zero = {0};                                     \
		for (int j = 0; j < 16; j++)                                                   \
			for (int k = 0; k < (W); k++)                                          \
				m[j][k] = load64(blk[k] + 8 * j);                              \
		for (int k = 0; k < (W); k++) {                                                \
			tv[k] = t[k];                                                          \
			lv[k] = last[k];                                                       \
		}                                                                              \
		for (int i = 0; i < 8; i++) {                                                  \
			v[i] = h[i];                                                           \
			v[i + 8] = zero + iv[i];                                               \
		}                                                                              \
		v[12] ^= tv;                                                                   \
		v[14] ^= lv;                                                                   \
		ROUNDS(v)                                                                      \
		for (int i = 0; i < 8; i++)                                                    \
			h[i] ^= v[i] ^ v[i + 8];                                               \
	}                                                                                      \
	__attribute__((target(TARGET))) static void NAME(const struct audit_b2_msg *msgs,      \
							 size_t n)                             \
	{                                                                                      \
		struct lane lanes[W];                                                          \
		bool on[W];                                                                    \
		NAME##_v h[8];                                                                 \
		size_t next = 0, active = 0;                                                   \
		for (int k = 0; k < (W); k++) {                                                \
			on[k] = next < n;                                                      \
			if (on[k]) {                                                           \
				lane_start(&lanes[k], &msgs[next++]);                          \
				active++;                                                      \
			}                                                                      \
			for (int i = 0; i < 8; i++)                                            \
				h[i][k] = iv[i] ^ (i == 0 ? PARAM0 : 0);                       \
		}                                                                              \
		while (active > 1 || (active == 1 && next < n)) {                              \
			const uint8_t *blk[W];                                                 \
			uint64_t t[W], last[W];                                                \
			for (int k = 0; k < (W); k++) {                                        \
				bool l = false;                                                \
				t[k] = 0;                                                      \
				blk[k] = on[k] ? lane_block(&lanes[k], &t[k], &l) : zero_block; \
				last[k] = l ? ~0ull : 0;                                       \
			}                                                                      \
			NAME##_compress(h, blk, t, last);                                      \
			for (int k = 0; k < (W); k++) {                                        \
				if (!on[k])                                                    \
					continue;                                              \
				if (!last[k]) {                                                \
					lanes[k].off += 128;                                   \
					continue;                                              \
				}                                                              \
				uint64_t d[4];                                                 \
				for (int i = 0; i < 4; i++)                                    \
					d[i] = h[i][k];                                        \
				lane_out(&lanes[k], d);                                        \
				for (int i = 0; i < 8; i++)                                    \
					h[i][k] = iv[i] ^ (i == 0 ? PARAM0 : 0);               \
				if (next < n) {                                                \
					lane_start(&lanes[k], &msgs[next++]);                  \
				} else {                                                       \
					on[k] = false;                                         \
					active--;                                              \
				}                                                              \
			}                                                                      \
		}                                                                              \
		for (int k = 0; k < (W); k++) {                                                \
			if (!on[k])                                                            \
				continue;                                                      \
			uint64_t s[8];                                                         \
			for (int i = 0; i < 8; i++)                                            \
				s[i] = h[i][k];                                                \
			lane_finish1(&lanes[k], s);                                            \
		}                                                                              \
	}

B2_LANES(lanes8, 8, "avx512f")
B2_LANES(lanes4, 4, "avx2")

unsigned audit_b2_many_lanes(const struct audit_b2_msg *msgs, size_t n, unsigned lanes)
{
	unsigned have = cpu_u64_lanes();
	if (lanes > have)
		lanes = have;
	/* One message gains nothing from lanes. */
	if (n < 2 || lanes < 4) {
		hash_each(msgs, n);
		return 1;
	}
	if (lanes >= 8) {
		lanes8(msgs, n);
		return 8;
	}
	lanes4(msgs, n);
	return 4;
}

#else

unsigned audit_b2_many_lanes(const struct audit_b2_msg *msgs, size_t n, unsigned lanes)
{
	(void)lanes;
	hash_each(msgs, n);
	return 1;
}

#endif

void audit_b2_many(const struct audit_b2_msg *msgs, size_t n)
{
	(void)audit_b2_many_lanes(msgs, n, 8);
}
