/* deployment.h: the deployment file that `assay chain deploy` writes and every command
 * that talks to the contracts reads: chain id, contract addresses, the block the
 * deployment started at (where log scans begin), n and the deployer.
 *
 *   {"schema": 1, "chain_id": 31337, "n_shards": 20, "start_block": 12,
 *    "deployer": "0x…", "token": "0x…", "timelock": "0x…", "staking": "0x…",
 *    "blob_registry": "0x…", "settlement": "0x…", "disputes": "0x…"}
 *
 * "disputes" (the fraud-proof contract) may be absent in files written before it existed.
 *
 * The file holds no secret. It is written atomically, so a reader never sees half of it. */
#ifndef ASSAY_CHAIN_DEPLOYMENT_H
#define ASSAY_CHAIN_DEPLOYMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/util.h"

struct err;
struct buf;

#define CHAIN_DEPLOYMENT_SCHEMA 1

struct chain_deployment {
	uint64_t chain_id;
	uint32_t n_shards;
	uint64_t start_block;  /* block holding the first deployment transaction */
	uint8_t deployer[20];
	uint8_t token[20];
	uint8_t timelock[20];
	uint8_t staking[20];
	uint8_t blob_registry[20];
	uint8_t settlement[20];
	uint8_t disputes[20]; /* zero: not deployed (an older deployment) */
};

/* Parses the file's JSON text; every field is required and checked. */
bool chain_deployment_parse(const char *text, size_t len, struct chain_deployment *out,
			    struct err *e) WARN_UNUSED;
bool chain_deployment_load(const char *path, struct chain_deployment *out,
			   struct err *e) WARN_UNUSED;
/* Appends the JSON text (one object, checksummed addresses, trailing newline). */
void chain_deployment_format(const struct chain_deployment *d, struct buf *out);
/* Writes the file atomically, mode 0644. */
/* For people, as `assay chain deploy` prints it: json writes the file's JSON
 * (chain_deployment_format), else where it was written (path), the chain, n, the first
 * block and each contract's address. */
void chain_deployment_print(FILE *f, const struct chain_deployment *d, const char *path,
			    bool json);
bool chain_deployment_save(const char *path, const struct chain_deployment *d,
			   struct err *e) WARN_UNUSED;

#endif
