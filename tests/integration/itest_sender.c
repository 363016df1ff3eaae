/* fixtures: pg anvil */
/* itest_sender.c: the transaction sender against real anvil and PostgreSQL: deploy and
 * call a contract, 50 transactions in flight, logs, crashes between saving and
 * broadcasting and between broadcasting and confirmation, the per-key lock, a failing
 * broadcast, a stuck transaction replaced, and a reorg that drops a confirmed transaction.
 * The last two run on a private anvil (they stop automining and rewind the chain, which
 * would disturb the other tests sharing the fixture). */
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/wait.h>
#include <unistd.h>

#include "chain/key.h"
#include "chain/rpc.h"
#include "chain/sender.h"
#include "chain/txstore.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/util.h"
#include "sql/db.h"
#include "sql/txstore.h"
#include "tests/harness/harness.h"
#include "tests/harness/hostile_http.h"

/* A storage contract: a call with a word stores it and logs it under topic "set"; a call
 * without data returns the stored word. Hand-assembled: initcode (11 bytes) + runtime. */
static const char storage_initcode[] =
	"604280600b6000396000f3"
	"3615603657600035806000556000527f"
	"7365740000000000000000000000000000000000000000000000000000000000"
	"60206000a1005b60005460005260206000f3";

static struct db *open_db(const char *conninfo)
{
	struct db *db;
	struct err e = {{0}};
	ck_assert_msg(db_open(&db, conninfo, 10, &e), "%s", e.msg);
	return db;
}

static char *fresh_db(void)
{
	char *ci = harness_pg_new_database("sender");
	struct db *db = open_db(ci);
	struct err e = {{0}};
	ck_assert_msg(db_migrate(db, NULL, NULL, &e), "%s", e.msg);
	db_close(db);
	return ci;
}

static struct chain_rpc *rpc_to(const char *url)
{
	struct chain_rpc *rpc;
	struct err e = {{0}};
	ck_assert_msg(chain_rpc_new(&rpc, url, NULL, &e), "%s", e.msg);
	return rpc;
}

static void raw_call(struct chain_rpc *rpc, const char *method, const char *params)
{
	char *out = NULL;
	struct err e = {{0}};
	ck_assert_msg(chain_rpc_call(rpc, method, params, &out, &e), "%s: %s", method, e.msg);
	free(out);
}

/* A new key with 100 ETH, so that no other test shares its nonces. */
static struct chain_key *fresh_key(struct chain_rpc *rpc, char secret_hex[65])
{
	uint8_t secret[32];
	ck_assert(getrandom(secret, 32, 0) == 32);
	secret[0] = 0x11; /* safely below the curve order */
	hex_encode(secret_hex, secret, 32);
	struct chain_key *k;
	struct err e = {{0}};
	ck_assert_msg(chain_key_from_bytes(&k, secret, &e), "%s", e.msg);
	wipe(secret, sizeof(secret));
	uint8_t addr[20];
	chain_key_address(k, addr);
	char hex[41], params[200];
	hex_encode(hex, addr, 20);
	snprintf(params, sizeof(params), "[\"0x%s\", \"0x56bc75e2d63100000\"]", hex);
	raw_call(rpc, "anvil_setBalance", params);
	return k;
}

static void mine_one(void *arg)
{
	raw_call(arg, "anvil_mine", "[\"0x1\"]");
}

static void test_cfg(struct chain_sender_cfg *cfg, struct chain_rpc *rpc)
{
	chain_sender_cfg_defaults(cfg);
	cfg->confirmations = 2;
	cfg->between_polls = mine_one;
	cfg->between_polls_arg = rpc;
	cfg->wait_timeout_ms = 150000; /* generous: a loaded ASan run, not a speed check */
}

static struct chain_sender *new_sender(struct chain_rpc *rpc, const struct chain_key *k,
				       const struct chain_txstore *store,
				       const struct chain_sender_cfg *cfg)
{
	struct chain_sender *s;
	struct err e = {{0}};
	ck_assert_msg(chain_sender_new(&s, rpc, k, store, cfg, &e), "%s", e.msg);
	return s;
}

static uint64_t nonce_of(struct chain_rpc *rpc, const struct chain_key *k)
{
	uint8_t addr[20];
	uint64_t n;
	struct err e = {{0}};
	chain_key_address(k, addr);
	ck_assert_msg(chain_rpc_get_transaction_count(rpc, addr, "latest", &n, &e), "%s", e.msg);
	return n;
}

START_TEST(deploy_call_many_logs)
{
	struct chain_rpc *rpc = rpc_to(harness_anvil_url());
	char sk[65];
	struct chain_key *k = fresh_key(rpc, sk);
	char *ci = fresh_db();
	struct db *db = open_db(ci);
	struct chain_txstore store;
	db_txstore_init(&store, db);
	struct chain_sender_cfg cfg;
	test_cfg(&cfg, rpc);
	struct chain_sender *s = new_sender(rpc, k, &store, &cfg);
	struct err e = {{0}};

	/* Deploy (gas estimated), then call. */
	struct buf code = BUF_INIT;
	ck_assert(hex_decode_buf(&code, storage_initcode, &e));
	int64_t id;
	ck_assert_msg(chain_sender_submit(s, NULL, NULL, code.data, code.len, 0, "deploy", &id, &e),
		      "%s", e.msg);
	struct chain_receipt r;
	ck_assert_msg(chain_sender_wait(s, id, &r, &e), "%s", e.msg);
	ck_assert_int_eq(r.status, 1);
	ck_assert(r.has_contract);
	uint8_t contract[20];
	memcpy(contract, r.contract_address, 20);
	chain_receipt_clear(&r);
	buf_free(&code);

	/* 50 in flight at once: signed and saved together, broadcast in one batch. */
	struct chain_send_req reqs[50];
	uint8_t words[50][32];
	memset(reqs, 0, sizeof(reqs));
	memset(words, 0, sizeof(words));
	for (int i = 0; i < 50; i++) {
		words[i][31] = (uint8_t)(i + 1);
		reqs[i].to = contract;
		reqs[i].data = words[i];
		reqs[i].data_len = 32;
		reqs[i].gas_limit = 60000;
		reqs[i].purpose = "set";
	}
	int64_t ids[50];
	uint64_t start;
	ck_assert(chain_rpc_block_number(rpc, &start, &e));
	ck_assert_msg(chain_sender_submit_many(s, reqs, 50, ids, &e), "%s", e.msg);
	ck_assert_msg(chain_sender_wait_all(s, &e), "%s", e.msg);
	for (int i = 0; i < 50; i++) {
		enum chain_txstate st;
		ck_assert(chain_sender_lookup(s, ids[i], &st, NULL, &e));
		ck_assert_int_eq(st, CHAIN_TX_CONFIRMED);
	}
	ck_assert_uint_eq(nonce_of(rpc, k), 51);

	/* The last set wins; eth_call reads it. */
	struct buf out = BUF_INIT;
	ck_assert_msg(chain_rpc_eth_call(rpc, NULL, contract, NULL, 0, "latest", &out, &e), "%s",
		      e.msg);
	ck_assert_uint_eq(out.len, 32);
	ck_assert_uint_eq(out.data[31], 50);
	buf_free(&out);

	/* The logs, decoded: one per set, in order. */
	uint64_t end;
	ck_assert(chain_rpc_block_number(rpc, &end, &e));
	struct chain_log_filter f = {.from_block = start, .to_block = end, .address = contract,
				     .chunk = 7};
	struct chain_logs logs;
	ck_assert_msg(chain_rpc_get_logs(rpc, &f, &logs, &e), "%s", e.msg);
	ck_assert_uint_eq(logs.n, 50);
	for (size_t i = 0; i < logs.n; i++) {
		ck_assert(!memcmp(logs.v[i].topics[0], "set", 3));
		ck_assert_uint_eq(logs.v[i].data[31], i + 1);
	}
	chain_logs_clear(&logs);

	struct chain_sender_stats st;
	chain_sender_stats(s, &st);
	ck_assert_uint_eq(st.submitted, 51);
	ck_assert_uint_eq(st.confirmed, 51);
	chain_sender_free(s);
	db_close(db);
	chain_key_free(k);
	chain_rpc_free(rpc);
	free(ci);
}
END_TEST

START_TEST(one_writer_per_key)
{
	struct chain_rpc *rpc = rpc_to(harness_anvil_url());
	char sk[65];
	struct chain_key *k = fresh_key(rpc, sk);
	char *ci = fresh_db();
	struct db *db1 = open_db(ci), *db2 = open_db(ci);
	struct chain_txstore st1, st2;
	db_txstore_init(&st1, db1);
	db_txstore_init(&st2, db2);
	struct chain_sender_cfg cfg;
	test_cfg(&cfg, rpc);
	struct chain_sender *s = new_sender(rpc, k, &st1, &cfg);
	struct chain_sender *s2 = NULL;
	struct err e = {{0}};
	ck_assert(!chain_sender_new(&s2, rpc, k, &st2, &cfg, &e));
	ck_assert_msg(strstr(e.msg, "another process is already sending"), "%s", e.msg);
	chain_sender_free(s);
	/* Once the first lets go, the second may start. */
	s2 = new_sender(rpc, k, &st2, &cfg);
	chain_sender_free(s2);
	db_close(db1);
	db_close(db2);
	chain_key_free(k);
	chain_rpc_free(rpc);
	free(ci);
}
END_TEST

/* The child: submit 5 transfers, and die where ASSAY_TEST_CRASH_AT says (or, with
 * "after_mined", once they are mined but before they are confirmed). */
static void crash_child(const char *ci, const char *sk, const char *crash_at)
{
	struct err e = {{0}};
	struct chain_rpc *rpc = NULL;
	struct chain_key *k = NULL;
	struct db *db = NULL;
	if (strcmp(crash_at, "after_mined"))
		setenv("ASSAY_TEST_CRASH_AT", crash_at, 1);
	if (!chain_rpc_new(&rpc, harness_anvil_url(), NULL, &e) ||
	    !chain_key_from_hex(&k, sk, &e) || !db_open(&db, ci, 10, &e))
		_exit(3);
	struct chain_txstore store;
	db_txstore_init(&store, db);
	struct chain_sender_cfg cfg;
	chain_sender_cfg_defaults(&cfg);
	cfg.confirmations = 5;
	struct chain_sender *s;
	if (!chain_sender_new(&s, rpc, k, &store, &cfg, &e))
		_exit(4);
	uint8_t to[20] = {0xde, 0xad};
	struct chain_send_req reqs[5];
	memset(reqs, 0, sizeof(reqs));
	for (int i = 0; i < 5; i++) {
		reqs[i].to = to;
		chain_u256_from_u64(&reqs[i].value, 1000 + (uint64_t)i);
		reqs[i].gas_limit = 21000;
		reqs[i].purpose = "crash test";
	}
	int64_t ids[5];
	if (!chain_sender_submit_many(s, reqs, 5, ids, &e))
		_exit(5);
	if (!chain_sender_poll(s, &e))
		_exit(6);
	_exit(0); /* "after_mined": gone before 5 confirmations */
}

static void crash_and_recover(const char *crash_at, int expect_signal)
{
	struct chain_rpc *rpc = rpc_to(harness_anvil_url());
	char sk[65];
	struct chain_key *k = fresh_key(rpc, sk);
	char *ci = fresh_db();
	pid_t pid = fork();
	ck_assert(pid >= 0);
	if (pid == 0)
		crash_child(ci, sk, crash_at);
	int status;
	ck_assert(waitpid(pid, &status, 0) == pid);
	if (expect_signal)
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child status %d",
			      status);
	else
		ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status %d",
			      status);

	/* Whatever the chain got so far, the restart finishes it. */
	struct db *db = open_db(ci);
	struct chain_txstore store;
	db_txstore_init(&store, db);
	struct chain_sender_cfg cfg;
	test_cfg(&cfg, rpc);
	struct chain_sender *s = new_sender(rpc, k, &store, &cfg);
	struct err e = {{0}};
	ck_assert_msg(chain_sender_wait_all(s, &e), "%s", e.msg);
	/* Exactly five saved (none signed twice), each confirmed, five nonces used. */
	uint8_t addr[20];
	chain_key_address(k, addr);
	uint64_t next;
	ck_assert(store.ops->next_nonce(store.ctx, 31337, addr, &next, &e));
	ck_assert_uint_eq(next, 5);
	for (int64_t id = 1; id <= 5; id++) {
		struct chain_txrec r;
		bool found;
		ck_assert(store.ops->get(store.ctx, id, &r, &found, &e));
		ck_assert(found);
		ck_assert_uint_eq(r.nonce, (uint64_t)id - 1);
		ck_assert_msg(r.state == CHAIN_TX_CONFIRMED, "id %lld is %s", (long long)id,
			      chain_txstate_name(r.state));
		ck_assert_int_eq(r.receipt_status, 1);
		chain_txrec_clear(&r);
	}
	bool found;
	struct chain_txrec r6;
	ck_assert(store.ops->get(store.ctx, 6, &r6, &found, &e));
	ck_assert(!found);
	ck_assert_uint_eq(nonce_of(rpc, k), 5);
	/* The recipient got each transfer once: 1000 + ... + 1004 wei. */
	uint8_t to[20] = {0xde, 0xad};
	struct chain_u256 bal;
	ck_assert(chain_rpc_get_balance(rpc, to, "latest", &bal, &e));
	ck_assert_uint_ge(bal.w[0], 5010); /* other crash tests pay the same address */
	ck_assert_uint_eq((bal.w[0] - 0) % 5010, 0);
	chain_sender_free(s);
	db_close(db);
	chain_key_free(k);
	chain_rpc_free(rpc);
	free(ci);
}

START_TEST(crash_after_save)
{
	crash_and_recover("after_save", 1);
}
END_TEST

START_TEST(crash_after_broadcast)
{
	crash_and_recover("after_broadcast", 1);
}
END_TEST

START_TEST(exit_before_confirmation)
{
	crash_and_recover("after_mined", 0);
}
END_TEST

START_TEST(failed_broadcast_is_kept)
{
	struct hostile_http *srv = hostile_http_start(harness_anvil_url());
	hostile_http_set_mode(srv, HOSTILE_PROXY_NO_SEND);
	struct chain_rpc *direct = rpc_to(harness_anvil_url());
	struct chain_rpc *rpc = rpc_to(hostile_http_url(srv));
	char sk[65];
	struct chain_key *k = fresh_key(direct, sk);
	char *ci = fresh_db();
	struct db *db = open_db(ci);
	struct chain_txstore store;
	db_txstore_init(&store, db);
	struct chain_sender_cfg cfg;
	test_cfg(&cfg, direct);
	struct chain_sender *s = new_sender(rpc, k, &store, &cfg);
	struct err e = {{0}};
	uint8_t to[20] = {0xbe, 0xef};
	int64_t id;
	/* The node answers HTTP 500 to the broadcast: saved, not lost, not sent. */
	ck_assert_msg(chain_sender_submit(s, to, NULL, NULL, 0, 21000, "kept", &id, &e), "%s",
		      e.msg);
	enum chain_txstate st;
	ck_assert(chain_sender_lookup(s, id, &st, NULL, &e));
	ck_assert_int_eq(st, CHAIN_TX_SIGNED);
	ck_assert(chain_sender_poll(s, &e));
	ck_assert(chain_sender_lookup(s, id, &st, NULL, &e));
	ck_assert_int_eq(st, CHAIN_TX_SIGNED);
	ck_assert_uint_eq(nonce_of(direct, k), 0);
	/* The node comes back: the saved bytes go out, once. */
	hostile_http_set_mode(srv, HOSTILE_PROXY);
	ck_assert_msg(chain_sender_wait(s, id, NULL, &e), "%s", e.msg);
	ck_assert_uint_eq(nonce_of(direct, k), 1);
	chain_sender_free(s);
	db_close(db);
	chain_key_free(k);
	chain_rpc_free(rpc);
	chain_rpc_free(direct);
	hostile_http_stop(srv);
	free(ci);
}
END_TEST

/* ---- a private anvil ---- */

static char priv_dir[256];
static char *priv_url;

static void priv_start(void)
{
	const char *src = getenv("ASSAY_SOURCE_DIR");
	ck_assert_msg(src, "ASSAY_SOURCE_DIR is not set: run through ctest");
	snprintf(priv_dir, sizeof(priv_dir), "/tmp/assay-itest-sender-%ld", (long)getpid());
	char *out = NULL;
	int rc = harness_run(&out, "%s/deploy/anvil.sh start %s 2>&1", src, priv_dir);
	ck_assert_msg(rc == 0, "private anvil: %s", out ? out : "");
	free(out);
	char path[300];
	snprintf(path, sizeof(path), "%s/url", priv_dir);
	uint8_t *url;
	size_t len;
	struct err e = {{0}};
	ck_assert_msg(read_file(path, 200, &url, &len, &e), "%s", e.msg);
	priv_url = xstrndup((const char *)url, strcspn((const char *)url, "\n"));
	free(url);
}

static void priv_stop(void)
{
	const char *src = getenv("ASSAY_SOURCE_DIR");
	if (src)
		(void)harness_run(NULL, "%s/deploy/anvil.sh stop %s >/dev/null 2>&1; rm -rf %s", src,
				  priv_dir, priv_dir);
	free(priv_url);
	priv_url = NULL;
}

static uint64_t clock_offset;

static uint64_t moved_clock(void *arg)
{
	(void)arg;
	return now_unix() + clock_offset;
}

START_TEST(stuck_is_replaced)
{
	struct chain_rpc *rpc = rpc_to(priv_url);
	char sk[65];
	struct chain_key *k = fresh_key(rpc, sk);
	char *ci = fresh_db();
	struct db *db = open_db(ci);
	struct chain_txstore store;
	db_txstore_init(&store, db);
	struct chain_sender_cfg cfg;
	test_cfg(&cfg, rpc);
	cfg.stuck_after_s = 60;
	cfg.now = moved_clock;
	clock_offset = 0;
	struct chain_sender *s = new_sender(rpc, k, &store, &cfg);
	struct err e = {{0}};
	raw_call(rpc, "evm_setAutomine", "[false]");
	uint8_t to[20] = {0xca, 0xfe};
	int64_t id;
	ck_assert_msg(chain_sender_submit(s, to, NULL, NULL, 0, 21000, "stuck", &id, &e), "%s",
		      e.msg);
	ck_assert(chain_sender_poll(s, &e));
	struct chain_sender_stats st;
	chain_sender_stats(s, &st);
	ck_assert_uint_eq(st.replacements, 0);
	/* Past the deadline: a replacement with >= 10 % higher fees takes the nonce. */
	clock_offset = 61;
	ck_assert_msg(chain_sender_poll(s, &e), "%s", e.msg);
	chain_sender_stats(s, &st);
	ck_assert_uint_eq(st.replacements, 1);
	struct chain_txrec orig, repl;
	bool found;
	ck_assert(store.ops->get(store.ctx, id, &orig, &found, &e) && found);
	ck_assert(store.ops->get(store.ctx, id + 1, &repl, &found, &e) && found);
	ck_assert_int_eq(orig.state, CHAIN_TX_REPLACED);
	ck_assert_int_eq(repl.replaces, id);
	ck_assert_uint_eq(repl.nonce, orig.nonce);
	ck_assert_uint_ge(repl.max_fee, orig.max_fee + orig.max_fee / 10 + 1);
	ck_assert_uint_ge(repl.max_tip, orig.max_tip + orig.max_tip / 10 + 1);
	clock_offset = 0;
	raw_call(rpc, "evm_setAutomine", "[true]");
	ck_assert_msg(chain_sender_wait(s, id, NULL, &e), "%s", e.msg);
	enum chain_txstate state;
	uint8_t hash[32];
	ck_assert(chain_sender_lookup(s, id, &state, hash, &e));
	ck_assert_int_eq(state, CHAIN_TX_CONFIRMED);
	ck_assert(!memcmp(hash, repl.hash, 32)); /* the replacement is the one mined */
	ck_assert_uint_eq(nonce_of(rpc, k), 1);
	chain_txrec_clear(&orig);
	chain_txrec_clear(&repl);
	chain_sender_free(s);
	db_close(db);
	chain_key_free(k);
	chain_rpc_free(rpc);
	free(ci);
}
END_TEST

START_TEST(reorg_drops_confirmed)
{
	struct chain_rpc *rpc = rpc_to(priv_url);
	char sk[65];
	struct chain_key *k = fresh_key(rpc, sk);
	char *ci = fresh_db();
	struct db *db = open_db(ci);
	struct chain_txstore store;
	db_txstore_init(&store, db);
	struct chain_sender_cfg cfg;
	test_cfg(&cfg, rpc);
	struct chain_sender *s = new_sender(rpc, k, &store, &cfg);
	struct err e = {{0}};
	char *snap = NULL;
	ck_assert(chain_rpc_call(rpc, "evm_snapshot", NULL, &snap, &e));
	uint8_t to[20] = {0xf0, 0x0d};
	int64_t id;
	ck_assert(chain_sender_submit(s, to, NULL, NULL, 0, 21000, "reorg", &id, &e));
	struct chain_receipt r1;
	ck_assert_msg(chain_sender_wait(s, id, &r1, &e), "%s", e.msg);
	/* Rewind past its block, and grow a longer chain without it. */
	char params[100];
	snprintf(params, sizeof(params), "[%s]", snap);
	raw_call(rpc, "evm_revert", params);
	raw_call(rpc, "evm_setAutomine", "[false]");
	raw_call(rpc, "anvil_dropAllTransactions", NULL);
	raw_call(rpc, "anvil_mine", "[\"0x5\"]");
	ck_assert_uint_eq(nonce_of(rpc, k), 0);
	ck_assert(chain_sender_poll(s, &e));
	struct chain_sender_stats st;
	chain_sender_stats(s, &st);
	ck_assert_uint_eq(st.reorgs, 1);
	enum chain_txstate state;
	ck_assert(chain_sender_lookup(s, id, &state, NULL, &e));
	ck_assert_int_ne(state, CHAIN_TX_CONFIRMED);
	/* Broadcast again from the saved bytes; confirmed again only after N blocks. */
	raw_call(rpc, "evm_setAutomine", "[true]");
	struct chain_receipt r2;
	ck_assert_msg(chain_sender_wait(s, id, &r2, &e), "%s", e.msg);
	ck_assert(!memcmp(r1.tx_hash, r2.tx_hash, 32));
	ck_assert(memcmp(r1.block_hash, r2.block_hash, 32) != 0);
	ck_assert_uint_eq(nonce_of(rpc, k), 1);
	chain_sender_stats(s, &st);
	ck_assert_uint_ge(st.rebroadcasts, 1);
	chain_receipt_clear(&r1);
	chain_receipt_clear(&r2);
	free(snap);
	chain_sender_free(s);
	db_close(db);
	chain_key_free(k);
	chain_rpc_free(rpc);
	free(ci);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("sender");
	TCase *tc = tcase_create("shared_anvil");
	tcase_set_timeout(tc, 400);
	tcase_add_test(tc, deploy_call_many_logs);
	tcase_add_test(tc, one_writer_per_key);
	tcase_add_test(tc, crash_after_save);
	tcase_add_test(tc, crash_after_broadcast);
	tcase_add_test(tc, exit_before_confirmation);
	tcase_add_test(tc, failed_broadcast_is_kept);
	suite_add_tcase(s, tc);
	TCase *tp = tcase_create("private_anvil");
	tcase_set_timeout(tp, 400);
	tcase_add_checked_fixture(tp, priv_start, priv_stop);
	tcase_add_test(tp, stuck_is_replaced);
	tcase_add_test(tp, reorg_drops_confirmed);
	suite_add_tcase(s, tp);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
