/* fuzz_bcs_metadata.c: BlobMetadata and BlobMetadataWithId parsers. Whatever parses must
 * write back to the same bytes (BCS is canonical) and hash to a blob ID without trouble. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/bcs.h"
#include "audit/blob.h"
#include "core/buf.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct audit_metadata *md = NULL;
	struct buf b = BUF_INIT;
	if (audit_metadata_parse(data, size, &md, NULL)) {
		audit_metadata_write(&b, md);
		ASSAY_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
		uint8_t id[AUDIT_DIGEST_LEN];
		audit_blob_id(md, id);
		struct audit_params p;
		uint16_t ss;
		if (audit_metadata_params(md, &p, &ss, NULL))
			ASSAY_ASSERT(ss >= 2 && ss % 2 == 0 && p.n == md->n_shards);
		audit_metadata_free(md);
		md = NULL;
	}
	uint8_t id[AUDIT_DIGEST_LEN];
	if (audit_metadata_with_id_parse(data, size, id, &md, NULL)) {
		buf_reset(&b);
		audit_metadata_with_id_write(&b, id, md);
		ASSAY_ASSERT(b.len == size && memcmp(b.data, data, size) == 0);
		uint8_t computed[AUDIT_DIGEST_LEN];
		audit_blob_id(md, computed);
		ASSAY_ASSERT(audit_metadata_verify_id(md, id, NULL) ==
			     (memcmp(computed, id, AUDIT_DIGEST_LEN) == 0));
		audit_metadata_free(md);
	}
	buf_free(&b);
	return 0;
}
