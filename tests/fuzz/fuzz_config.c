/* fuzz_config.c: the config file parser (core/config.c, config_load_stream) with the real
 * settings tables of the command line (one per layer, cli/settings_tables.c), on
 * arbitrary bytes: it accepts or says why, and never reads outside a line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/commands.h"
#include "core/config.h"
#include "core/err.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered;
	if (!registered) {
		for (const struct opt *const *t = settings_tables; *t; t++)
			config_register(*t);
		registered = true;
	}
	FILE *f = fmemopen((void *)(uintptr_t)data, size, "r");
	if (!f)
		return 0;
	struct err e = {{0}};
	if (!config_load_stream(f, "fuzz.conf", &e))
		ASSAY_ASSERT(e.msg[0] != '\0');
	fclose(f);
	/* lists grow with each use: empty them so inputs are independent and nothing leaks */
	for (const struct opt *const *t = config_tables(); *t; t++)
		for (const struct opt *o = *t; o->name; o++)
			if (o->type == OPT_LIST) {
				struct strlist *l = o->dst;
				free(l->v);
				l->v = NULL;
				l->n = 0;
			}
	config_free_all();
	return 0;
}
