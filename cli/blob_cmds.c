/* blob_cmds.c: assay blob encode|id: the encoder and blob IDs from the command line. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "audit/bcs.h"
#include "audit/blob.h"
#include "cli/commands.h"
#include "core/buf.h"
#include "core/config.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "node/encoder.h"

/* Writes DIR/NAME atomically. */
static bool write_out(const char *dir, const char *name, const uint8_t *data, size_t len,
		      struct err *e)
{
	char *path = xasprintf("%s/%s", dir, name);
	bool ok = write_file_atomic(path, data, len, 0644, e);
	free(path);
	return ok;
}

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
	commands_parse(cmd, local, argc, argv, 1, 1, &pos, NULL);
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
	struct node_codec *codec = NULL;
	struct node_blob *b = NULL;
	uint8_t *data = NULL;
	size_t len = 0;
	struct buf bcs = BUF_INIT;
	int rc = EXIT_FAIL;

	if (!node_codec_new((uint32_t)shards, &codec, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	uint64_t max = audit_max_blob_size(node_codec_params(codec));
	if (!read_file(file, max > SIZE_MAX - 1 ? SIZE_MAX - 1 : (size_t)max, &data, &len, &e)) {
		rc = cli_fail(cmd, "%s (a blob for %llu shards holds at most %llu bytes)", e.msg,
			      (unsigned long long)shards, (unsigned long long)max);
		goto out;
	}
	if (!node_encode(codec, data, len, &b, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	if (mkdir(out_dir, 0755) != 0 && errno != EEXIST) {
		rc = cli_fail(cmd, "cannot create %s: %s", out_dir, strerror(errno));
		goto out;
	}
	audit_metadata_write(&bcs, b->metadata);
	if (!write_out(out_dir, "metadata.bcs", bcs.data, bcs.len, &e)) {
		rc = cli_fail(cmd, "%s", e.msg);
		goto out;
	}
	/* One BCS SliverData per sliver, named by sliver index (pair p holds primary-p and
	 * secondary-(n-1-p)), as a storage node PUTs and stores them. */
	for (uint32_t i = 0; i < b->n; i++)
		for (int a = 0; a < 2; a++) {
			enum audit_proof_axis axis = (enum audit_proof_axis)a;
			char name[64];
			snprintf(name, sizeof(name), "%s-%u.bcs", audit_proof_axis_name(axis), i);
			buf_reset(&bcs);
			audit_sliver_write_parts(&bcs, node_blob_sliver(b, axis, i),
						 axis == AUDIT_AXIS_PRIMARY ? b->primary_len
									    : b->secondary_len,
						 b->symbol_size, (uint16_t)i);
			if (!write_out(out_dir, name, bcs.data, bcs.len, &e)) {
				rc = cli_fail(cmd, "%s", e.msg);
				goto out;
			}
		}
	char text[AUDIT_BLOB_ID_TEXT_LEN + 1];
	audit_blob_id_text(text, b->blob_id);
	log_info("encoded %zu bytes for %llu shards: symbol size %u, %u pairs written to %s", len,
		 (unsigned long long)shards, b->symbol_size, b->n, out_dir);
	printf("%s\n", text);
	rc = EXIT_OK;
out:
	buf_free(&bcs);
	free(data);
	node_blob_free(b);
	node_codec_free(codec);
	return rc;
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
	commands_parse(cmd, local, argc, argv, 0, 0, NULL, NULL);
	if (!path || !*path)
		cli_usage_error(cmd, "--metadata FILE is required");

	struct err e = {{0}};
	uint8_t *data = NULL;
	size_t len = 0;
	struct audit_metadata *md = NULL;
	int rc = EXIT_FAIL;
	/* The largest metadata: tag, type, length, count, 65535 pairs of two full nodes. */
	const size_t max = 1 + 5 + 8 + 5 + (size_t)AUDIT_MAX_SHARDS * 2 * (1 + AUDIT_DIGEST_LEN);
	if (!read_file(path, max, &data, &len, &e) || !audit_metadata_parse(data, len, &md, &e)) {
		rc = cli_fail(cmd, "%s: %s", path, e.msg);
		goto out;
	}
	uint8_t id[AUDIT_DIGEST_LEN];
	audit_blob_id(md, id);
	if (hex) {
		char h[2 * AUDIT_DIGEST_LEN + 1];
		hex_encode(h, id, sizeof(id));
		printf("%s\n", h);
	} else {
		char text[AUDIT_BLOB_ID_TEXT_LEN + 1];
		audit_blob_id_text(text, id);
		printf("%s\n", text);
	}
	rc = EXIT_OK;
out:
	free(data);
	audit_metadata_free(md);
	return rc;
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
