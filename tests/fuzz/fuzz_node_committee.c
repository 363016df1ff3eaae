/* fuzz_node_committee.c: the committee file parser (JSON from an operator or a deploy
 * script): never crashes, and whatever it accepts is consistent (every shard held once). */
#include <stddef.h>
#include <stdint.h>

#include "core/err.h"
#include "node/committee.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct node_committee *c = NULL;
	struct err e = {{0}};
	if (node_committee_parse((const char *)data, size, "fuzz", &c, &e)) {
		ASSAY_ASSERT(c->n >= 1 && c->count >= 1 && c->count <= c->n);
		size_t total = 0;
		for (size_t m = 0; m < c->count; m++) {
			total += c->members[m].shard_count;
			for (size_t k = 0; k < c->members[m].shard_count; k++)
				ASSAY_ASSERT(node_committee_holds(c, m, c->members[m].shards[k]));
		}
		ASSAY_ASSERT(total == c->n);
	}
	node_committee_free(c);
	return 0;
}
