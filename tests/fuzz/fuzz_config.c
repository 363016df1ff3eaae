/* fuzz_config.c: the config file parser (core/config.c, config_load_stream) with the real
 * settings table of the command line, on arbitrary bytes: it accepts or says why, and never
 * reads outside a line. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli/settings.h"
#include "core/config.h"
#include "core/err.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool registered;
	if (!registered) {
		config_register(settings_table);
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
	for (const struct opt *o = settings_table; o->name; o++)
		if (o->type == OPT_LIST) {
			struct strlist *l = o->dst;
			free(l->v);
			l->v = NULL;
			l->n = 0;
		}
	config_free_all();
	return 0;
}
