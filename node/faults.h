/* faults.h: fault injection for the reference storage node (tests and demos).
 *
 * Every random choice is a hash of (seed, what, blob ID, sliver or symbol), so the same
 * seed loses and corrupts the same things on every run and across restarts:
 *
 *   lose       a share of its slivers is gone: served as 404, never recovered;
 *   corrupt    a share of its symbols has a flipped byte (proofs unchanged);
 *   slow_ms    every blob request waits this long before answering;
 *   offline    windows of seconds since start ("10-20,40-50") or a duty cycle ("30/10":
 *              in every 30 s, the last 10 s). Offline means the listening socket is
 *              closed, so connections are refused, as with a stopped process. (A host that
 *              vanished silently looks like a timeout: use slow_ms for that.)
 *   garbage    blob requests get random bytes with status 200;
 *   other_blob recovery symbols come from another stored blob (same id, valid proof of
 *              the other blob);
 *   no_recover the node never rebuilds missing slivers from its peers. */
#ifndef ASSAY_NODE_FAULTS_H
#define ASSAY_NODE_FAULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "audit/bcs.h"
#include "audit/symbol.h"
#include "core/util.h"

struct err;

#define NODE_FAULTS_MAX_WINDOWS 16

struct node_faults {
	uint64_t seed;
	double lose;    /* 0..1 */
	double corrupt; /* 0..1 */
	uint64_t slow_ms;
	bool garbage;
	bool other_blob;
	bool no_recover;
	/* offline */
	size_t windows;
	uint64_t from_s[NODE_FAULTS_MAX_WINDOWS], to_s[NODE_FAULTS_MAX_WINDOWS];
	uint64_t period_s, duty_s; /* duty cycle when period_s != 0 */
};

/* Parses "A-B[,C-D...]" (seconds since start, A < B) or "P/D" (0 < D <= P). */
bool node_faults_parse_offline(struct node_faults *f, const char *text, struct err *e) WARN_UNUSED;
/* Checks the shares are within 0..1. */
bool node_faults_check(const struct node_faults *f, struct err *e) WARN_UNUSED;
bool node_faults_any(const struct node_faults *f);

bool node_faults_lost(const struct node_faults *f, const uint8_t blob_id[AUDIT_DIGEST_LEN],
		      enum audit_proof_axis axis, uint16_t sliver_index);
bool node_faults_corrupted(const struct node_faults *f, const uint8_t blob_id[AUDIT_DIGEST_LEN],
			   struct audit_symbol_id id, enum audit_proof_axis axis);
bool node_faults_offline(const struct node_faults *f, uint64_t secs_since_start);
/* Seconds until the offline state may change next (at least 1, at most 3600). */
uint64_t node_faults_next_change(const struct node_faults *f, uint64_t secs_since_start);
/* Fills out with deterministic junk for request number `counter`. */
void node_faults_garbage(const struct node_faults *f, uint64_t counter, uint8_t *out, size_t len);

#endif
