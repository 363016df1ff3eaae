/* gf16.c: GF(2^16) arithmetic (log/exp tables) and table-driven region products, with an
 * AVX2 kernel where the CPU has one (see gf16.h). */
#include "node/gf16.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#define POLY_LOW 0x100bu /* x^16 = x^12 + x^3 + x + 1 */
#define ORDER 65535u     /* non-zero elements */
/* Bytes of nibble tables per coefficient: 4 nibble positions × (low byte, high byte) × 16. */
#define TAB 128u

static uint16_t gf_log[65536];
static uint16_t gf_exp[2 * ORDER];
static pthread_once_t gf_once = PTHREAD_ONCE_INIT;

static uint16_t xtime(uint16_t a)
{
	return (uint16_t)((unsigned)(a << 1) ^ ((a & 0x8000u) ? POLY_LOW : 0));
}

static void gf_init(void)
{
	uint16_t a = 1;
	for (unsigned i = 0; i < ORDER; i++) {
		gf_exp[i] = gf_exp[i + ORDER] = a;
		gf_log[a] = (uint16_t)i;
		a = xtime(a);
	}
	/* x is primitive: the powers come back to 1 only after all 65535 elements. */
	ASSAY_ASSERT(a == 1);
}

static void gf_ready(void)
{
	pthread_once(&gf_once, gf_init);
}

uint16_t node_gf16_mul(uint16_t a, uint16_t b)
{
	gf_ready();
	if (!a || !b)
		return 0;
	return gf_exp[(unsigned)gf_log[a] + gf_log[b]];
}

uint16_t node_gf16_inv(uint16_t a)
{
	ASSAY_ASSERT(a != 0);
	gf_ready();
	return gf_exp[ORDER - gf_log[a]];
}

/* c · x^i for i in [0, 16): every product by c is a XOR of some of these. */
static void powers(uint16_t c, uint16_t b[16])
{
	b[0] = c;
	for (int i = 1; i < 16; i++)
		b[i] = xtime(b[i - 1]);
}

/* The 128 bytes for coefficient c: lo[p][v] at p·16 + v and hi[p][v] at 64 + p·16 + v are
 * the low and high bytes of c · (v << 4p). */
static void nibble_tables(uint16_t c, uint8_t *tab)
{
	uint16_t b[16];
	powers(c, b);
	for (int p = 0; p < 4; p++) {
		uint16_t t[16];
		t[0] = 0;
		for (unsigned v = 1; v < 16; v++)
			t[v] = t[v & (v - 1)] ^ b[4 * p + __builtin_ctz(v)];
		for (int v = 0; v < 16; v++) {
			tab[p * 16 + v] = (uint8_t)t[v];
			tab[64 + p * 16 + v] = (uint8_t)(t[v] >> 8);
		}
	}
}

/* Split tables for coefficient c: lo[v] = c · v, hi[v] = c · (v << 8). */
static void split_tables(uint16_t c, uint16_t lo[256], uint16_t hi[256])
{
	uint16_t b[16];
	powers(c, b);
	lo[0] = hi[0] = 0;
	for (unsigned v = 1; v < 256; v++) {
		lo[v] = lo[v & (v - 1)] ^ b[__builtin_ctz(v)];
		hi[v] = hi[v & (v - 1)] ^ b[8 + __builtin_ctz(v)];
	}
}

/* The best kernel this CPU runs, and the one asked for (node_gf16_set_kernel). */
static enum node_gf16_kernel cpu_kernel(void)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	static int cached; /* 0 unknown, else kernel + 1 */
	int c = __atomic_load_n(&cached, __ATOMIC_RELAXED);
	if (!c) {
		__builtin_cpu_init();
		c = 1 + (!__builtin_cpu_supports("avx2") ? NODE_GF16_PORTABLE
			 : __builtin_cpu_supports("gfni") ? NODE_GF16_GFNI
							  : NODE_GF16_AVX2);
		__atomic_store_n(&cached, c, __ATOMIC_RELAXED);
	}
	return (enum node_gf16_kernel)(c - 1);
#else
	return NODE_GF16_PORTABLE;
#endif
}

static int wanted = NODE_GF16_GFNI;

enum node_gf16_kernel node_gf16_kernel(void)
{
	int w = __atomic_load_n(&wanted, __ATOMIC_RELAXED);
	enum node_gf16_kernel have = cpu_kernel();
	return (int)have < w ? have : (enum node_gf16_kernel)w;
}

enum node_gf16_kernel node_gf16_set_kernel(enum node_gf16_kernel k)
{
	return (enum node_gf16_kernel)__atomic_exchange_n(&wanted, (int)k, __ATOMIC_RELAXED);
}

const char *node_gf16_kernel_name(enum node_gf16_kernel k)
{
	return k == NODE_GF16_GFNI ? "AVX2+GFNI" : k == NODE_GF16_AVX2 ? "AVX2" : "portable";
}

/* For GF2P8AFFINEQB: multiplying a word by c is a 16 × 16 bit matrix over GF(2), four 8 × 8
 * blocks (low byte to low byte, high to low, low to high, high to high). In the instruction's
 * layout, output bit i of a byte is the parity of (byte 7 - i of the qword) & input. */
static void affine_blocks(uint16_t c, uint64_t q[4])
{
	uint16_t b[16];
	powers(c, b); /* b[k] = c · x^k: column k of the bit matrix */
	for (int blk = 0; blk < 4; blk++) {
		int in = blk & 1 ? 8 : 0, out = blk & 2 ? 8 : 0;
		/* Byte k = column k; an 8 × 8 bit transpose makes byte i row i, and the byte
		 * order is then reversed into the instruction's. */
		uint64_t x = 0, t;
		for (int k = 0; k < 8; k++)
			x |= (uint64_t)((b[in + k] >> out) & 0xffu) << (8 * k);
		t = (x ^ (x >> 7)) & 0x00aa00aa00aa00aaull;
		x ^= t ^ (t << 7);
		t = (x ^ (x >> 14)) & 0x0000cccc0000ccccull;
		x ^= t ^ (t << 14);
		t = (x ^ (x >> 28)) & 0x00000000f0f0f0f0ull;
		x ^= t ^ (t << 28);
		q[blk] = __builtin_bswap64(x);
	}
}

struct node_gf16_matrix {
	size_t rows, cols;
	uint16_t *m;   /* rows × cols */
	uint8_t *tab;  /* rows × cols × TAB for the AVX2 kernel, or NULL */
	uint64_t *aff; /* rows × cols × 4 blocks (affine_blocks) for GFNI, or NULL */
};

struct node_gf16_matrix *node_gf16_matrix_new(const uint16_t *m, size_t rows, size_t cols)
{
	gf_ready();
	struct node_gf16_matrix *t = xcalloc(1, sizeof(*t));
	size_t cells = rows * cols;
	t->rows = rows;
	t->cols = cols;
	t->m = xmalloc((cells ? cells : 1) * sizeof(*t->m));
	if (cells)
		memcpy(t->m, m, cells * sizeof(*m));
	/* Only the kernel in use gets tables (at n = 1000 the two codes have 444,222
	 * coefficients: 57 MB of nibble tables, 14 MB of affine blocks). */
	enum node_gf16_kernel k = node_gf16_kernel();
	if (k == NODE_GF16_AVX2) {
		t->tab = xmalloc((cells ? cells : 1) * TAB);
		for (size_t i = 0; i < cells; i++)
			nibble_tables(m[i], t->tab + i * TAB);
	}
	if (k == NODE_GF16_GFNI) {
		t->aff = xmalloc((cells ? cells : 1) * 4 * sizeof(*t->aff));
		for (size_t i = 0; i < cells; i++)
			affine_blocks(m[i], t->aff + i * 4);
	}
	return t;
}

void node_gf16_matrix_free(struct node_gf16_matrix *t)
{
	if (!t)
		return;
	free(t->m);
	free(t->tab);
	free(t->aff);
	free(t);
}

/* Words [from, len) of dst = Σ m[row][c] · src[c] by logarithms: the tails the vector
 * kernels leave (less than 64 bytes), all of a tiny symbol's. */
static void apply_tail(const struct node_gf16_matrix *t, size_t row, const uint8_t *const *src,
		       uint8_t *dst, size_t from, size_t len)
{
	memset(dst + from, 0, len - from);
	const uint16_t *m = t->m + row * t->cols;
	for (size_t c = 0; c < t->cols; c++) {
		if (!m[c])
			continue;
		const unsigned lc = gf_log[m[c]];
		const uint8_t *s = src[c];
		for (size_t w = from; w + 1 < len; w += 2) {
			unsigned x = s[w] | (unsigned)s[w + 1] << 8;
			if (!x)
				continue;
			uint16_t p = gf_exp[lc + gf_log[x]];
			dst[w] ^= (uint8_t)p;
			dst[w + 1] ^= (uint8_t)(p >> 8);
		}
	}
}

/* The portable kernel: two 256-entry split tables per coefficient, built per chunk of the
 * region (a chunk of each source stays in cache across the rows). */
#define PORTABLE_CHUNK 16384u

static void apply_portable(const struct node_gf16_matrix *t, size_t first, size_t count,
			   const uint8_t *const *src, uint8_t *const *dst, size_t len)
{
	uint16_t lo[256], hi[256];
	for (size_t off = 0; off < len; off += PORTABLE_CHUNK) {
		size_t n = len - off < PORTABLE_CHUNK ? len - off : PORTABLE_CHUNK;
		for (size_t i = 0; i < count; i++) {
			const uint16_t *row = t->m + (first + i) * t->cols;
			uint8_t *d = dst[i] + off;
			memset(d, 0, n);
			for (size_t c = 0; c < t->cols; c++) {
				const uint8_t *s = src[c] + off;
				if (row[c] == 0)
					continue;
				if (row[c] == 1) {
					for (size_t w = 0; w < n; w++)
						d[w] ^= s[w];
					continue;
				}
				split_tables(row[c], lo, hi);
				for (size_t w = 0; w + 1 < n; w += 2) {
					uint16_t p = lo[s[w]] ^ hi[s[w + 1]];
					d[w] ^= (uint8_t)p;
					d[w + 1] ^= (uint8_t)(p >> 8);
				}
			}
		}
	}
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define HAVE_AVX2_KERNEL 1

/* 64 bytes (32 words) at a time. Each 128-bit lane is shuffled so its low 8 bytes are the
 * words' low bytes and its high 8 bytes their high bytes; unpacking two such vectors by
 * 64-bit halves gives 32 low bytes (lo) and 32 high bytes (hi) in the same word order, on
 * which the nibble tables work with PSHUFB. The results go back the same way. */
#define AVX2_ROWS(NAME, R)                                                                       \
	__attribute__((target("avx2"))) static void NAME(const struct node_gf16_matrix *t,      \
							 size_t row, const uint8_t *const *src,   \
							 uint8_t *const *dst, size_t body)        \
	{                                                                                        \
		const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9,  \
						       11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 14, 1, \
						       3, 5, 7, 9, 11, 13, 15);                   \
		const __m256i join = _mm256_setr_epi8(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6,  \
						      14, 7, 15, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, \
						      5, 13, 6, 14, 7, 15);                       \
		const __m256i low4 = _mm256_set1_epi8(0x0f);                                     \
		const size_t cols = t->cols;                                                     \
		for (size_t off = 0; off < body; off += 64) {                                    \
			__m256i al[R], ah[R];                                                    \
			for (int r = 0; r < (R); r++)                                            \
				al[r] = ah[r] = _mm256_setzero_si256();                          \
			const uint8_t *tb0 = t->tab + row * cols * TAB;                          \
			for (size_t c = 0; c < cols; c++) {                                      \
				__m256i a = _mm256_loadu_si256((const __m256i *)(src[c] + off)); \
				__m256i b =                                                      \
					_mm256_loadu_si256((const __m256i *)(src[c] + off + 32)); \
				a = _mm256_shuffle_epi8(a, split);                               \
				b = _mm256_shuffle_epi8(b, split);                               \
				__m256i lo = _mm256_unpacklo_epi64(a, b);                        \
				__m256i hi = _mm256_unpackhi_epi64(a, b);                        \
				__m256i l0 = _mm256_and_si256(lo, low4);                         \
				__m256i l1 = _mm256_and_si256(_mm256_srli_epi16(lo, 4), low4);  \
				__m256i h0 = _mm256_and_si256(hi, low4);                         \
				__m256i h1 = _mm256_and_si256(_mm256_srli_epi16(hi, 4), low4);  \
				for (int r = 0; r < (R); r++) {                                  \
					const __m128i *tb =                                      \
						(const __m128i *)(tb0 +                          \
								  ((size_t)r * cols + c) * TAB); \
					__m256i x = _mm256_xor_si256(                            \
						_mm256_shuffle_epi8(                             \
							_mm256_broadcastsi128_si256(tb[0]), l0), \
						_mm256_shuffle_epi8(                             \
							_mm256_broadcastsi128_si256(tb[1]), l1)); \
					__m256i y = _mm256_xor_si256(                            \
						_mm256_shuffle_epi8(                             \
							_mm256_broadcastsi128_si256(tb[2]), h0), \
						_mm256_shuffle_epi8(                             \
							_mm256_broadcastsi128_si256(tb[3]), h1)); \
					al[r] = _mm256_xor_si256(al[r], _mm256_xor_si256(x, y)); \
					x = _mm256_xor_si256(                                    \
						_mm256_shuffle_epi8(                             \
							_mm256_broadcastsi128_si256(tb[4]), l0), \
						_mm256_shuffle_epi8(                             \
							_mm256_broadcastsi128_si256(tb[5]), l1)); \
					y = _mm256_xor_si256(                                    \
						_mm256_shuffle_epi8(                             \
							_mm256_broadcastsi128_si256(tb[6]), h0), \
						_mm256_shuffle_epi8(                             \
							_mm256_broadcastsi128_si256(tb[7]), h1)); \
					ah[r] = _mm256_xor_si256(ah[r], _mm256_xor_si256(x, y)); \
				}                                                                \
			}                                                                        \
			for (int r = 0; r < (R); r++) {                                          \
				__m256i a = _mm256_unpacklo_epi64(al[r], ah[r]);                 \
				__m256i b = _mm256_unpackhi_epi64(al[r], ah[r]);                 \
				_mm256_storeu_si256((__m256i *)(dst[r] + off),                   \
						    _mm256_shuffle_epi8(a, join));               \
				_mm256_storeu_si256((__m256i *)(dst[r] + off + 32),              \
						    _mm256_shuffle_epi8(b, join));               \
			}                                                                        \
		}                                                                                \
	}

/* Four destination rows share each source load; the rest go one by one. */
AVX2_ROWS(avx2_rows4, 4)
AVX2_ROWS(avx2_rows1, 1)

/* The same walk with GF2P8AFFINEQB: four affine products a word pair instead of eight
 * lookups (low and high bytes each times the two blocks that reach them). */
#define GFNI_ROWS(NAME, R)                                                                       \
	__attribute__((target("avx2,gfni"))) static void NAME(                                   \
		const struct node_gf16_matrix *t, size_t row, const uint8_t *const *src,         \
		uint8_t *const *dst, size_t body)                                                \
	{                                                                                        \
		const __m256i split = _mm256_setr_epi8(0, 2, 4, 6, 8, 10, 12, 14, 1, 3, 5, 7, 9,  \
						       11, 13, 15, 0, 2, 4, 6, 8, 10, 12, 14, 1, \
						       3, 5, 7, 9, 11, 13, 15);                   \
		const __m256i join = _mm256_setr_epi8(0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6,  \
						      14, 7, 15, 0, 8, 1, 9, 2, 10, 3, 11, 4, 12, \
						      5, 13, 6, 14, 7, 15);                       \
		const size_t cols = t->cols;                                                     \
		const uint64_t *q0 = t->aff + row * cols * 4;                                    \
		for (size_t off = 0; off < body; off += 64) {                                    \
			__m256i al[R], ah[R];                                                    \
			for (int r = 0; r < (R); r++)                                            \
				al[r] = ah[r] = _mm256_setzero_si256();                          \
			for (size_t c = 0; c < cols; c++) {                                      \
				__m256i a = _mm256_loadu_si256((const __m256i *)(src[c] + off)); \
				__m256i b =                                                      \
					_mm256_loadu_si256((const __m256i *)(src[c] + off + 32)); \
				a = _mm256_shuffle_epi8(a, split);                               \
				b = _mm256_shuffle_epi8(b, split);                               \
				__m256i lo = _mm256_unpacklo_epi64(a, b);                        \
				__m256i hi = _mm256_unpackhi_epi64(a, b);                        \
				for (int r = 0; r < (R); r++) {                                  \
					const uint64_t *q = q0 + ((size_t)r * cols + c) * 4;     \
					__m256i ll = _mm256_set1_epi64x((long long)q[0]);        \
					__m256i hl = _mm256_set1_epi64x((long long)q[1]);        \
					__m256i lh = _mm256_set1_epi64x((long long)q[2]);        \
					__m256i hh = _mm256_set1_epi64x((long long)q[3]);        \
					al[r] = _mm256_xor_si256(                                \
						al[r],                                           \
						_mm256_xor_si256(                                \
							_mm256_gf2p8affine_epi64_epi8(lo, ll, 0), \
							_mm256_gf2p8affine_epi64_epi8(hi, hl, 0))); \
					ah[r] = _mm256_xor_si256(                                \
						ah[r],                                           \
						_mm256_xor_si256(                                \
							_mm256_gf2p8affine_epi64_epi8(lo, lh, 0), \
							_mm256_gf2p8affine_epi64_epi8(hi, hh, 0))); \
				}                                                                \
			}                                                                        \
			for (int r = 0; r < (R); r++) {                                          \
				__m256i a = _mm256_unpacklo_epi64(al[r], ah[r]);                 \
				__m256i b = _mm256_unpackhi_epi64(al[r], ah[r]);                 \
				_mm256_storeu_si256((__m256i *)(dst[r] + off),                   \
						    _mm256_shuffle_epi8(a, join));               \
				_mm256_storeu_si256((__m256i *)(dst[r] + off + 32),              \
						    _mm256_shuffle_epi8(b, join));               \
			}                                                                        \
		}                                                                                \
	}

GFNI_ROWS(gfni_rows4, 4)
GFNI_ROWS(gfni_rows1, 1)

typedef void rows_fn(const struct node_gf16_matrix *t, size_t row, const uint8_t *const *src,
		     uint8_t *const *dst, size_t body);

/* The whole 64-byte blocks with a vector kernel, then the last partial block the same way
 * from zero-padded copies (a few bytes a source, far cheaper than words one by one). */
static void apply_vector(rows_fn *rows4, rows_fn *rows1, const struct node_gf16_matrix *t,
			 size_t first, size_t count, const uint8_t *const *src,
			 uint8_t *const *dst, size_t len)
{
	size_t body = len & ~(size_t)63, i = 0;
	for (; i + 4 <= count; i += 4)
		rows4(t, first + i, src, dst + i, body);
	for (; i < count; i++)
		rows1(t, first + i, src, dst + i, body);
	if (body == len)
		return;
	size_t rest = len - body, cols = t->cols;
	uint8_t *pad = xcalloc(cols + count, 64);
	const uint8_t **psrc = xmalloc((cols ? cols : 1) * sizeof(*psrc));
	uint8_t **pdst = xmalloc(count * sizeof(*pdst));
	for (size_t c = 0; c < cols; c++) {
		memcpy(pad + c * 64, src[c] + body, rest);
		psrc[c] = pad + c * 64;
	}
	for (i = 0; i < count; i++)
		pdst[i] = pad + (cols + i) * 64;
	for (i = 0; i + 4 <= count; i += 4)
		rows4(t, first + i, psrc, pdst + i, 64);
	for (; i < count; i++)
		rows1(t, first + i, psrc, pdst + i, 64);
	for (i = 0; i < count; i++)
		memcpy(dst[i] + body, pdst[i], rest);
	free(pad);
	free(psrc);
	free(pdst);
}

static void apply_gfni(const struct node_gf16_matrix *t, size_t first, size_t count,
		       const uint8_t *const *src, uint8_t *const *dst, size_t len)
{
	apply_vector(gfni_rows4, gfni_rows1, t, first, count, src, dst, len);
}

static void apply_avx2(const struct node_gf16_matrix *t, size_t first, size_t count,
		       const uint8_t *const *src, uint8_t *const *dst, size_t len)
{
	apply_vector(avx2_rows4, avx2_rows1, t, first, count, src, dst, len);
}

#endif

void node_gf16_matrix_apply(const struct node_gf16_matrix *t, size_t first, size_t count,
			    const uint8_t *const *src, uint8_t *const *dst, size_t len)
{
	ASSAY_ASSERT(first + count <= t->rows && len % 2 == 0);
	if (!count || !len)
		return;
	if (len < 64) { /* no whole vector; split tables would cost more than they save */
		for (size_t i = 0; i < count; i++)
			apply_tail(t, first + i, src, dst[i], 0, len);
		return;
	}
#ifdef HAVE_AVX2_KERNEL
	enum node_gf16_kernel k = node_gf16_kernel();
	if (k == NODE_GF16_GFNI && t->aff) {
		apply_gfni(t, first, count, src, dst, len);
		return;
	}
	if (k >= NODE_GF16_AVX2 && t->tab) {
		apply_avx2(t, first, count, src, dst, len);
		return;
	}
#endif
	apply_portable(t, first, count, src, dst, len);
}

bool node_gf16_invert(const uint16_t *a, uint16_t *inv, size_t k)
{
	gf_ready();
	uint16_t *w = xmalloc((k ? k * k : 1) * sizeof(*w));
	if (k)
		memcpy(w, a, k * k * sizeof(*w));
	for (size_t i = 0; i < k; i++)
		for (size_t j = 0; j < k; j++)
			inv[i * k + j] = i == j;
	bool ok = false;
	for (size_t col = 0; col < k; col++) {
		size_t piv = col;
		while (piv < k && !w[piv * k + col])
			piv++;
		if (piv == k)
			goto out;
		if (piv != col)
			for (size_t j = 0; j < k; j++) {
				uint16_t t = w[piv * k + j];
				w[piv * k + j] = w[col * k + j];
				w[col * k + j] = t;
				t = inv[piv * k + j];
				inv[piv * k + j] = inv[col * k + j];
				inv[col * k + j] = t;
			}
		/* Scale the pivot row to 1, then clear the column everywhere else. */
		unsigned lp = ORDER - gf_log[w[col * k + col]];
		for (size_t j = 0; j < k; j++) {
			if (w[col * k + j])
				w[col * k + j] = gf_exp[gf_log[w[col * k + j]] + lp];
			if (inv[col * k + j])
				inv[col * k + j] = gf_exp[gf_log[inv[col * k + j]] + lp];
		}
		for (size_t i = 0; i < k; i++) {
			uint16_t f = w[i * k + col];
			if (i == col || !f)
				continue;
			unsigned lf = gf_log[f];
			for (size_t j = 0; j < k; j++) {
				if (w[col * k + j])
					w[i * k + j] ^= gf_exp[gf_log[w[col * k + j]] + lf];
				if (inv[col * k + j])
					inv[i * k + j] ^= gf_exp[gf_log[inv[col * k + j]] + lf];
			}
		}
	}
	ok = true;
out:
	free(w);
	return ok;
}
