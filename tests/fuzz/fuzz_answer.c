/* fuzz_answer.c: a recoverySymbols body judged by the auditor (audit_check_symbols_response)
 * and by fraud proof 2's rule (audit_answer_verifies), against the metadata of a toy n = 4
 * blob whose every symbol the seeds can carry with a valid proof, once as a blob of
 * encoding type 2 and once of type 3 (the same slivers, another blob ID). The two must agree for
 * every symbol and axis: an answer the contract takes must never be a failed verdict, or an
 * honest auditor could be convicted. The symbols judge never says bad_metadata, and the body
 * judged as a metadata answer is bad_metadata unless it passes, which it does whenever the
 * rule takes it for a bad_metadata record. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "audit/blob.h"
#include "audit/challenge.h"
#include "audit/merkle.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { N = 4, SS = 2 };

static const uint32_t types[] = {AUDIT_ENCODING_ISAL_RS8, AUDIT_ENCODING_CAUCHY_RS16};
enum { NTYPES = sizeof(types) / sizeof(types[0]) };

/* Cell (i, j) of the toy's expanded matrix is {4i + j, 7} (what the seeds were made from);
 * the metadata of encoding types[t]. */
static struct audit_metadata *metadata(size_t t, uint8_t id[AUDIT_DIGEST_LEN])
{
	static struct audit_metadata *mds[NTYPES];
	static uint8_t blobs[NTYPES][AUDIT_DIGEST_LEN];
	struct audit_metadata *md = mds[t];
	uint8_t *blob = blobs[t];
	if (!md) {
		uint8_t m[N][N][SS];
		for (int i = 0; i < N; i++)
			for (int j = 0; j < N; j++) {
				m[i][j][0] = (uint8_t)(4 * i + j);
				m[i][j][1] = 7;
			}
		md = audit_metadata_new(N);
		md->encoding_type = types[t];
		md->unencoded_length = 12; /* k_p = 2, k_s = 3: symbol size 2 */
		for (int p = 0; p < N; p++) {
			uint8_t col[N][SS];
			for (int i = 0; i < N; i++)
				memcpy(col[i], m[i][N - 1 - p], SS);
			audit_merkle_root_fixed(md->hashes[p].primary.digest, &m[p][0][0], SS, N);
			audit_merkle_root_fixed(md->hashes[p].secondary.digest, &col[0][0], SS, N);
			md->hashes[p].primary.present = md->hashes[p].secondary.present = true;
		}
		audit_blob_id(md, blob);
		mds[t] = md;
	}
	memcpy(id, blob, AUDIT_DIGEST_LEN);
	return md;
}

static void judge(const uint8_t *data, size_t size, size_t t)
{
	uint8_t blob[AUDIT_DIGEST_LEN];
	const struct audit_metadata *md = metadata(t, blob);
	struct audit_http_response resp;
	memset(&resp, 0, sizeof(resp));
	resp.transport = AUDIT_TRANSPORT_OK;
	resp.status = 200;
	resp.body = (uint8_t *)(uintptr_t)data; /* only read */
	resp.body_len = size;
	for (uint16_t i = 0; i < N; i++)
		for (uint16_t j = 0; j < N; j++)
			for (int a = 0; a < 2; a++) {
				struct audit_symbol_id id = {i, j};
				enum audit_proof_axis axis = (enum audit_proof_axis)a;
				enum audit_outcome o;
				char detail[256];
				bool verifies = audit_answer_verifies(data, size, blob, md, N, id, axis,
								      false, NULL);
				audit_check_symbols_response(&resp, md, &id, 1, axis, &o, detail,
							     sizeof(detail));
				ASSAY_ASSERT(verifies == (o == AUDIT_OUTCOME_PASS));
				ASSAY_ASSERT(o == AUDIT_OUTCOME_PASS || o == AUDIT_OUTCOME_NOT_FOUND ||
					     audit_outcome_on_body(o));
				ASSAY_ASSERT(o != AUDIT_OUTCOME_BAD_METADATA);

			}
	/* The same body as the answer to the metadata request: a record of bad_metadata on
	 * it is disputable only when the auditor's metadata judge passes it. */
	struct audit_symbol_id id0 = {0, 0};
	bool verifies = audit_answer_verifies(data, size, blob, md, N, id0, AUDIT_AXIS_PRIMARY, true,
					      NULL);
	ASSAY_ASSERT(verifies == audit_body_is_metadata_answer(data, size, blob, md));
	struct audit_metadata *got = NULL;
	char detail[256];
	enum audit_outcome o = audit_check_metadata_response(&resp, blob, &got, detail, sizeof(detail));
	ASSAY_ASSERT(o == AUDIT_OUTCOME_PASS || o == AUDIT_OUTCOME_BAD_METADATA);
	ASSAY_ASSERT(!verifies || o == AUDIT_OUTCOME_PASS);
	audit_metadata_free(got);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (size_t t = 0; t < NTYPES; t++)
		judge(data, size, t);
	return 0;
}
