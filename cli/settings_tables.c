/* settings_tables.c: the program's settings, one table per layer (flags, ASSAY_*
 * variables, --config FILE), in the order --help lists them. Also compiled into
 * tests/unit/test_settings.c and tests/fuzz/fuzz_config.c. */
#include "audit/settings.h"
#include "chain/settings.h"
#include "cli/commands.h"
#include "core/log.h"
#include "gateway/settings.h"
#include "node/settings.h"
#include "settle/settings.h"
#include "sql/db.h"

const struct opt *const settings_tables[] = {
	log_settings_table,
	db_settings_table,
	chain_settings_table,
	audit_settings_table,
	chain_deploy_settings_table,
	settle_api_settings_table,
	settle_settings_table,
	node_settings_table,
	gateway_settings_table,
	NULL,
};
