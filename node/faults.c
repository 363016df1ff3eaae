/* faults.c: deterministic fault decisions. */
#include "node/faults.h"

#include <blake2.h>
#include <stdio.h>
#include <string.h>

#include "core/err.h"

bool node_faults_parse_offline(struct node_faults *f, const char *text, struct err *e)
{
	f->windows = 0;
	f->period_s = f->duty_s = 0;
	const char *slash = strchr(text, '/');
	if (slash) {
		char a[32];
		size_t la = (size_t)(slash - text);
		if (la == 0 || la >= sizeof(a))
			goto bad;
		memcpy(a, text, la);
		a[la] = '\0';
		if (!parse_u64(a, &f->period_s) || !parse_u64(slash + 1, &f->duty_s) ||
		    f->duty_s == 0 || f->duty_s > f->period_s)
			goto bad;
		return true;
	}
	const char *p = text;
	while (*p) {
		if (f->windows == NODE_FAULTS_MAX_WINDOWS)
			return err_set(e, "at most %d offline windows", NODE_FAULTS_MAX_WINDOWS);
		const char *comma = strchr(p, ',');
		size_t l = comma ? (size_t)(comma - p) : strlen(p);
		char w[64], *dash;
		if (l == 0 || l >= sizeof(w))
			goto bad;
		memcpy(w, p, l);
		w[l] = '\0';
		dash = strchr(w, '-');
		if (!dash)
			goto bad;
		*dash = '\0';
		uint64_t from, to;
		if (!parse_u64(w, &from) || !parse_u64(dash + 1, &to) || from >= to)
			goto bad;
		f->from_s[f->windows] = from;
		f->to_s[f->windows] = to;
		f->windows++;
		p += l;
		if (*p == ',' && !*++p)
			goto bad; /* a trailing comma */
	}
	if (f->windows)
		return true;
bad:
	return err_set(e, "offline schedule must be windows of seconds since start such as "
			  "'10-20,40-50' or a duty cycle 'PERIOD/DOWN' such as '30/10', not '%s'",
		       text);
}

bool node_faults_check(const struct node_faults *f, struct err *e)
{
	if (!(f->lose >= 0 && f->lose <= 1))
		return err_set(e, "--fault-lose must be a share from 0 to 1");
	if (!(f->corrupt >= 0 && f->corrupt <= 1))
		return err_set(e, "--fault-corrupt must be a share from 0 to 1");
	return true;
}

bool node_faults_any(const struct node_faults *f)
{
	return f->lose > 0 || f->corrupt > 0 || f->slow_ms || f->garbage || f->other_blob ||
	       f->no_recover || f->windows || f->period_s;
}

/* A uniform draw in [0, 1) from the seed and a label. */
static double draw(const struct node_faults *f, const char *what,
		   const uint8_t blob_id[AUDIT_DIGEST_LEN], uint32_t a, uint32_t b, uint32_t c)
{
	uint8_t in[8 + 16 + AUDIT_DIGEST_LEN + 12] = {0};
	uint8_t out[8];
	memcpy(in, &f->seed, 8);
	size_t wl = strlen(what);
	memcpy(in + 8, what, wl < 16 ? wl : 16);
	memcpy(in + 24, blob_id, AUDIT_DIGEST_LEN);
	memcpy(in + 24 + AUDIT_DIGEST_LEN, &a, 4);
	memcpy(in + 28 + AUDIT_DIGEST_LEN, &b, 4);
	memcpy(in + 32 + AUDIT_DIGEST_LEN, &c, 4);
	blake2b(out, in, NULL, sizeof(out), sizeof(in), 0);
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | out[i];
	return (double)(v >> 11) / (double)(1ull << 53);
}

bool node_faults_lost(const struct node_faults *f, const uint8_t blob_id[AUDIT_DIGEST_LEN],
		      enum audit_proof_axis axis, uint16_t sliver_index)
{
	return f->lose > 0 && draw(f, "lose", blob_id, axis, sliver_index, 0) < f->lose;
}

bool node_faults_corrupted(const struct node_faults *f, const uint8_t blob_id[AUDIT_DIGEST_LEN],
			   struct audit_symbol_id id, enum audit_proof_axis axis)
{
	return f->corrupt > 0 &&
	       draw(f, "corrupt", blob_id, id.primary, id.secondary, axis) < f->corrupt;
}

bool node_faults_offline(const struct node_faults *f, uint64_t t)
{
	for (size_t i = 0; i < f->windows; i++)
		if (t >= f->from_s[i] && t < f->to_s[i])
			return true;
	if (f->period_s)
		return t % f->period_s >= f->period_s - f->duty_s;
	return false;
}

uint64_t node_faults_next_change(const struct node_faults *f, uint64_t t)
{
	uint64_t best = 3600;
	for (size_t i = 0; i < f->windows; i++) {
		if (f->from_s[i] > t && f->from_s[i] - t < best)
			best = f->from_s[i] - t;
		if (f->to_s[i] > t && f->to_s[i] - t < best)
			best = f->to_s[i] - t;
	}
	if (f->period_s) {
		uint64_t ph = t % f->period_s, up = f->period_s - f->duty_s;
		uint64_t d = ph < up ? up - ph : f->period_s - ph;
		if (d < best)
			best = d;
	}
	return best ? best : 1;
}

void node_faults_garbage(const struct node_faults *f, uint64_t counter, uint8_t *out, size_t len)
{
	uint8_t key[16];
	memcpy(key, &f->seed, 8);
	memcpy(key + 8, &counter, 8);
	uint64_t block = 0;
	while (len) {
		uint8_t chunk[64];
		blake2b(chunk, &block, key, sizeof(chunk), sizeof(block), sizeof(key));
		size_t n = len < sizeof(chunk) ? len : sizeof(chunk);
		memcpy(out, chunk, n);
		out += n;
		len -= n;
		block++;
	}
}
