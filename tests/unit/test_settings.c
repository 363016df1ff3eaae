/* test_settings.c: the layers' settings tables (cli/settings_tables.c, registered as
 * cli/main.c does)
 * and the configurations made from them: names unique across the tables, the defaults
 * give working configurations, and a value out of range is one sentence naming it. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "audit/settings.h"
#include "chain/deploy.h"
#include "chain/sender.h"
#include "chain/settings.h"
#include "cli/commands.h"
#include "core/config.h"
#include "core/err.h"
#include "core/log.h"
#include "gateway/server.h"
#include "gateway/settings.h"
#include "node/server.h"
#include "node/settings.h"
#include "settle/api.h"
#include "settle/settings.h"
#include "sql/db.h"
#include "tests/harness/harness.h"

static void setup(void)
{
	struct err e = {{0}};
	for (const struct opt *const *t = settings_tables; *t; t++)
		config_register(*t);
	ck_assert_msg(config_apply_defaults(NULL, &e), "%s", e.msg);
}

static void set(const char *name, const char *value)
{
	struct err e = {{0}};
	const struct opt *o = config_find(NULL, name);
	ck_assert_msg(o != NULL, "no setting %s", name);
	ck_assert_msg(config_set(o, value, "test", &e), "%s", e.msg);
}

START_TEST(test_names_unique)
{
	setup();
	size_t ntables = 0;
	for (const struct opt *const *t = config_tables(); *t; t++, ntables++)
		for (const struct opt *o = *t; o->name; o++)
			ck_assert_msg(config_find(NULL, o->name) == o, "%s is in two tables", o->name);
	ck_assert_uint_ge(ntables, 9);
}
END_TEST

START_TEST(test_chain_and_deploy)
{
	setup();
	struct err e = {{0}};
	struct chain_sender_cfg sc;
	chain_sender_cfg_from_settings(&sc);
	ck_assert_uint_eq(sc.fee_cap, 500000000000ull);
	ck_assert_uint_eq(sc.confirmations, 3);

	struct chain_deploy_params p;
	ck_assert_msg(chain_deploy_params_from_settings(&p, &e), "%s", e.msg);
	ck_assert_uint_eq(p.n_shards, 20);
	ck_assert_uint_eq(p.r0_bps, 8000);
	uint8_t me[20];
	memset(me, 0xab, sizeof(me));
	struct chain_deploy_auditor *aud = NULL;
	set("auditor", "3:0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
	ck_assert_msg(chain_deploy_addresses_from_settings(&p, me, &aud, &e), "%s", e.msg);
	ck_assert_uint_eq(p.nauditors, 1);
	ck_assert_uint_eq(aud[0].id, 3);
	ck_assert(!memcmp(aud[0].payee, me, 20) && !memcmp(p.governance, me, 20));
	ck_assert(!p.has_token);
	free(aud);

	set("governance", "0x12");
	ck_assert(!chain_deploy_addresses_from_settings(&p, me, &aud, &e));
	ck_assert_msg(!strncmp(e.msg, "--governance: ", 14), "%s", e.msg);
	free(aud);

	set("n-shards", "3");
	ck_assert(!chain_deploy_params_from_settings(&p, &e));
	ck_assert_str_eq(e.msg, "--n-shards must be 4 to 65535");
	set("n-shards", "20");
	set("min-stake", "lots");
	ck_assert(!chain_deploy_params_from_settings(&p, &e));
	ck_assert_msg(!strncmp(e.msg, "--min-stake: ", 13), "%s", e.msg);
}
END_TEST

START_TEST(test_servers)
{
	setup();
	struct err e = {{0}};
	struct gateway_config g;
	ck_assert_msg(gateway_config_from_settings(&g, NULL, &e), "%s", e.msg);
	ck_assert_str_eq(g.listen, "127.0.0.1:8090");
	ck_assert_uint_eq(g.cache_bytes, 1024ull << 20);
	ck_assert_uint_eq(g.parallel, 4);
	ck_assert_uint_eq(g.confirmations, 3);
	ck_assert_msg(gateway_config_from_settings(&g, "127.0.0.1:1", &e), "%s", e.msg);
	ck_assert_str_eq(g.listen, "127.0.0.1:1");
	set("fetch-parallel", "65");
	ck_assert(!gateway_config_from_settings(&g, NULL, &e));
	ck_assert_str_eq(e.msg, "max-requests and max-fetches must be at least 1, fetch-parallel "
				"between 1 and 64");

	struct settle_api_config a;
	struct chain_deployment dep;
	set("api-page-limit", "501");
	ck_assert(!settle_api_config_from_settings(&a, NULL, &dep, &e));
	ck_assert_str_eq(e.msg, "api-page-limit must be between 1 and api-max-limit");

	struct node_server_config n;
	memset(&n, 0, sizeof(n));
	set("node-poll-ms", "0");
	node_server_config_from_settings(&n);
	ck_assert_uint_eq(n.poll_ms, 1);
	ck_assert_str_eq(n.rpc_url, "http://127.0.0.1:8545");
}
END_TEST

START_TEST(test_auditor)
{
	setup();
	struct audit_daemon_config d;
	audit_daemon_config_from_settings(&d);
	ck_assert_uint_eq(d.sched.window_ms, 2880000);
	ck_assert_uint_eq(d.sched.min_per_node, 200);
	ck_assert_uint_eq(d.engine.batch_timeout_ms, 5000);
	ck_assert_ptr_null(d.engine.canary_url);
	set("canary-url", "http://127.0.0.1:9/");
	audit_daemon_config_from_settings(&d);
	ck_assert_str_eq(d.engine.canary_url, "http://127.0.0.1:9/");
	ck_assert(!db_settings_given());
	ck_assert(log_settings_apply("test"));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("settings");
	TCase *tc = tcase_create("settings");
	tcase_add_test(tc, test_names_unique);
	tcase_add_test(tc, test_chain_and_deploy);
	tcase_add_test(tc, test_servers);
	tcase_add_test(tc, test_auditor);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
