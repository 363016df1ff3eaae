/* b2many.h: BLAKE2b-256 (unkeyed, 32-byte digest) of many independent messages at once.
 *
 * Checking a recovery-symbols answer hashes every symbol (the Merkle leaf), a few 65-byte
 * inner nodes per symbol and the whole body: many messages of the same few lengths. One
 * BLAKE2b stream cannot use the vector units; eight streams side by side can (one 64-bit
 * lane each, 8 lanes with AVX-512, 4 with AVX2), several times the bytes per second of
 * hashing them one after another. Without those units (or off x86-64) the messages are
 * hashed one by one with libb2. The digests are BLAKE2b's, whatever the path. */
#ifndef ASSAY_AUDIT_B2MANY_H
#define ASSAY_AUDIT_B2MANY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The message is [prefix] ‖ data[0..len) (the prefix byte only when has_prefix: Merkle
 * leaves and inner nodes are domain-separated by a leading 0x00 or 0x01). */
struct audit_b2_msg {
	const uint8_t *data;
	size_t len;
	bool has_prefix;
	uint8_t prefix;
	uint8_t *out; /* 32 bytes */
};

void audit_b2_many(const struct audit_b2_msg *msgs, size_t n);

/* The same with at most `lanes` lanes (1, 4 or 8; fewer if the CPU lacks them): for tests
 * and benchmarks, to compare the paths. Returns the lanes used. */
unsigned audit_b2_many_lanes(const struct audit_b2_msg *msgs, size_t n, unsigned lanes);

#endif
