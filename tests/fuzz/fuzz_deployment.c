/* fuzz_deployment.c: the deployment file parser (chain/deployment.h), which every command
 * that talks to the contracts reads: it accepts or says why, and what it accepts formats
 * back to a file that parses to the same deployment. */
#include <stdint.h>
#include <string.h>

#include "chain/deployment.h"
#include "core/buf.h"
#include "core/err.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct chain_deployment d, again;
	struct err e = {{0}};
	if (!chain_deployment_parse((const char *)data, size, &d, &e)) {
		ASSAY_ASSERT(e.msg[0] != '\0');
		return 0;
	}
	ASSAY_ASSERT(d.n_shards >= 4);
	struct buf b = BUF_INIT;
	chain_deployment_format(&d, &b);
	ASSAY_ASSERT(chain_deployment_parse((const char *)b.data, b.len, &again, &e));
	ASSAY_ASSERT(!memcmp(&d, &again, sizeof(d)));
	buf_free(&b);
	return 0;
}
