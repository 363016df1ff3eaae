/* driver.c: runs a fuzz target without libFuzzer, for the test suite.
 *
 * Each fuzz_<name>.c defines LLVMFuzzerTestOneInput. Built with -DASSAY_FUZZ=ON and clang,
 * the same file links against libFuzzer for open-ended runs. Here it is linked with this
 * driver, which feeds every file of the committed corpus, then a bounded number of random
 * mutations of them (count from argv or ASSAY_FUZZ_RUNS, seed fixed so a failure
 * reproduces). Under ASan/UBSan any memory error aborts the run. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct input {
	uint8_t *data;
	size_t len;
};

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
	/* xorshift64*: deterministic, good enough to mutate. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 2685821657736338717ull;
}

static size_t load_corpus(const char *dir, struct input **out)
{
	size_t n = 0, cap = 16;
	struct input *v = malloc(cap * sizeof(*v));
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "fuzz driver: cannot open corpus %s\n", dir);
		exit(2);
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char path[4096];
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		FILE *f = fopen(path, "rb");
		if (!f)
			continue;
		uint8_t *buf = malloc(1 << 20);
		size_t len = fread(buf, 1, 1 << 20, f);
		fclose(f);
		if (n == cap)
			v = realloc(v, (cap *= 2) * sizeof(*v));
		v[n].data = buf;
		v[n].len = len;
		n++;
	}
	closedir(d);
	*out = v;
	return n;
}

static size_t mutate(uint8_t *buf, size_t len, size_t max)
{
	int ops = 1 + (int)(rnd() % 4);
	for (int k = 0; k < ops; k++) {
		switch (rnd() % 6) {
		case 0: /* flip a bit */
			if (len)
				buf[rnd() % len] ^= (uint8_t)(1u << (rnd() % 8));
			break;
		case 1: /* random byte */
			if (len)
				buf[rnd() % len] = (uint8_t)rnd();
			break;
		case 2: /* interesting byte values: lengths and tags */
			if (len) {
				static const uint8_t vals[] = {0, 1, 0x7f, 0x80, 0xff, 0xfe, 0x40, 0x20};
				buf[rnd() % len] = vals[rnd() % sizeof(vals)];
			}
			break;
		case 3: /* truncate */
			if (len)
				len = rnd() % len;
			break;
		case 4: /* insert a byte */
			if (len < max) {
				size_t at = len ? rnd() % (len + 1) : 0;
				memmove(buf + at + 1, buf + at, len - at);
				buf[at] = (uint8_t)rnd();
				len++;
			}
			break;
		case 5: /* duplicate a chunk */
			if (len && len < max) {
				size_t from = rnd() % len, n = 1 + rnd() % (len - from);
				if (n > max - len)
					n = max - len;
				memcpy(buf + len, buf + from, n);
				len += n;
			}
			break;
		}
	}
	return len;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR [RUNS]\n", argv[0]);
		return 2;
	}
	long runs = 20000;
	const char *env = getenv("ASSAY_FUZZ_RUNS");
	if (argc > 2)
		runs = strtol(argv[2], NULL, 10);
	else if (env)
		runs = strtol(env, NULL, 10);
	struct input *corpus;
	size_t n = load_corpus(argv[1], &corpus);
	for (size_t i = 0; i < n; i++)
		LLVMFuzzerTestOneInput(corpus[i].data, corpus[i].len);
	const size_t max = 1 << 16;
	uint8_t *buf = malloc(max + (1 << 16));
	for (long r = 0; r < runs; r++) {
		size_t len = 0;
		if (n) {
			struct input *in = &corpus[rnd() % n];
			len = in->len < max ? in->len : max;
			memcpy(buf, in->data, len);
		}
		len = mutate(buf, len, max);
		uint8_t *copy = malloc(len ? len : 1); /* exact size, so ASan sees overreads */
		memcpy(copy, buf, len);
		LLVMFuzzerTestOneInput(copy, len);
		free(copy);
	}
	printf("fuzz: %zu corpus inputs and %ld mutations, no failure\n", n, runs);
	for (size_t i = 0; i < n; i++)
		free(corpus[i].data);
	free(corpus);
	free(buf);
	return 0;
}
