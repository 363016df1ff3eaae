/* blob_cmds.c: assay blob encode|id: the encoder and blob IDs from the command line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit/bcs.h"
#include "audit/blob.h"
#include "cli/commands.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "node/encoder.h"

static int run_encode(const struct command *cmd, int argc, char **argv)
{
	uint64_t shards = 0;
	const char *out_dir = NULL;
	const struct opt local[] = {
		{"shards", 'n', OPT_U64, &shards, "N",
		 "number of shards n of the deployment (1..1024: GF(2^8) up to 255, GF(2^16) above)",
		 NULL, false},
		{"out", 'o', OPT_STRING, &out_dir, "DIR",
		 "directory for metadata.bcs and the slivers (created if missing)", NULL, false},
		OPT_END,
	};
	char **pos = NULL;
	cli_parse(cmd, local, argc, argv, 1, 1, &pos, NULL);
	const char *file = pos[0];
	free(pos);
	if (shards == 0)
		cli_usage_error(cmd, "--shards N is required");
	if (shards > NODE_MAX_SHARDS)
		cli_usage_error(cmd, "--shards must be at most %u for the reference encoder, not %llu",
				NODE_MAX_SHARDS, (unsigned long long)shards);
	if (!out_dir || !*out_dir)
		cli_usage_error(cmd, "--out DIR is required");

	struct err e = {{0}};
	uint8_t id[AUDIT_DIGEST_LEN];
	if (!node_encode_file((uint32_t)shards, file, out_dir, id, &e))
		return cli_fail(cmd, "%s", e.msg);
	char text[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(text, id);
	printf("%s\n", text);
	return EXIT_OK;
}

static int run_id(const struct command *cmd, int argc, char **argv)
{
	const char *path = NULL;
	bool hex = false;
	const struct opt local[] = {
		{"metadata", 'm', OPT_STRING, &path, "FILE", "a BCS BlobMetadata file (metadata.bcs)",
		 NULL, false},
		{"hex", 0, OPT_BOOL, &hex, NULL, "print the ID as hex instead of URL-safe base64", NULL,
		 false},
		OPT_END,
	};
	cli_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	if (!path || !*path)
		cli_usage_error(cmd, "--metadata FILE is required");

	struct err e = {{0}};
	uint8_t id[AUDIT_DIGEST_LEN];
	if (!node_metadata_file_id(path, id, &e))
		return cli_fail(cmd, "%s: %s", path, e.msg);
	if (hex) {
		char h[2 * AUDIT_DIGEST_LEN + 1];
		hex_encode(h, id, sizeof(id));
		printf("%s\n", h);
	} else {
		char text[AUDIT_BLOB_ID_TEXT_LEN + 1];
		audit_blob_id_text(text, id);
		printf("%s\n", text);
	}
	return EXIT_OK;
}

const struct command blob_commands[] = {
	{"blob", "encode", "encode a file into slivers and metadata (Reed-Solomon)",
	 "FILE --shards N --out DIR",
	 "Encodes FILE for n shards with the reference encoder (two-dimensional Reed-Solomon: over\n"
	 "GF(2^8) with ISA-L, encoding type 2, for n <= 255; over GF(2^16), encoding type 3, for\n"
	 "n = 256..1024) and writes DIR/metadata.bcs (bare BCS BlobMetadata,\n"
	 "the body of a metadata PUT) and one BCS SliverData per sliver: DIR/primary-<i>.bcs and\n"
	 "DIR/secondary-<j>.bcs by sliver index (pair p holds primary p and secondary n-1-p).\n"
	 "Prints the blob ID (URL-safe base64) on stdout.",
	 "assay blob encode photo.jpg --shards 10 --out /tmp/photo",
	 run_encode},
	{"blob", "id", "print the blob ID of a BCS BlobMetadata file", "--metadata FILE [--hex]",
	 "Parses the metadata strictly and prints BLAKE2b-256(encoding type, length, Merkle root\n"
	 "of the sliver-pair hashes) as URL-safe base64 without padding, as Walrus prints it.",
	 "assay blob id --metadata /tmp/photo/metadata.bcs", run_id},
	{NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};
