/* test_chain_rpc_sender.c: the sender's pure parts: fees from a fee history (cap, minimum
 * tip, percentile median), the replacement bump, and the in-memory store's rules. */
#include <stdlib.h>
#include <string.h>

#include "chain/rpc.h"
#include "chain/sender.h"
#include "chain/txstore.h"
#include "core/err.h"
#include "tests/harness/harness.h"

START_TEST(fees_from_history)
{
	struct chain_sender_cfg cfg;
	chain_sender_cfg_defaults(&cfg);
	cfg.min_tip = 2;
	cfg.fee_cap = 1000;
	uint64_t base[4] = {10, 20, 30, 100};
	double ratio[3] = {0.5, 0.0, 0.9};
	uint64_t reward[3] = {7, 999, 5}; /* the empty block's reward is ignored */
	struct chain_fee_history h = {.oldest_block = 1, .nblocks = 3, .npercentiles = 1,
				      .base_fee = base, .gas_used_ratio = ratio, .reward = reward};
	uint64_t max_fee, tip;
	bool capped;
	struct err e = {{0}};
	ck_assert(chain_sender_fees(&h, &cfg, &max_fee, &tip, &capped, &e));
	ck_assert_uint_eq(tip, 7);            /* median of {5, 7} (upper) */
	ck_assert_uint_eq(max_fee, 2 * 100 + 7); /* next block's base fee */
	ck_assert(!capped);
	/* The minimum tip wins over a cheap history. */
	cfg.min_tip = 50;
	ck_assert(chain_sender_fees(&h, &cfg, &max_fee, &tip, &capped, &e));
	ck_assert_uint_eq(tip, 50);
	ck_assert_uint_eq(max_fee, 250);
	/* The cap binds, and says so; the tip never exceeds the max fee. */
	cfg.fee_cap = 120;
	ck_assert(chain_sender_fees(&h, &cfg, &max_fee, &tip, &capped, &e));
	ck_assert(capped);
	ck_assert_uint_eq(max_fee, 120);
	ck_assert_uint_eq(tip, 50);
	cfg.fee_cap = 30;
	ck_assert(chain_sender_fees(&h, &cfg, &max_fee, &tip, &capped, &e));
	ck_assert_uint_eq(max_fee, 30);
	ck_assert_uint_eq(tip, 30);
	/* No history at all is an error, not a zero fee. */
	struct chain_fee_history none = {0};
	ck_assert(!chain_sender_fees(&none, &cfg, &max_fee, &tip, &capped, &e));
}
END_TEST

START_TEST(bump_rounding)
{
	ck_assert_uint_eq(chain_sender_bump(0), 1);
	ck_assert_uint_eq(chain_sender_bump(1), 2);
	ck_assert_uint_eq(chain_sender_bump(9), 10);
	ck_assert_uint_eq(chain_sender_bump(10), 12);
	ck_assert_uint_eq(chain_sender_bump(1000000000), 1100000001);
	ck_assert_uint_eq(chain_sender_bump(UINT64_MAX - 1), UINT64_MAX);
	/* Always at least 10 % more, whatever the rounding. */
	for (uint64_t x = 0; x < 100000; x += 7)
		ck_assert(chain_sender_bump(x) * 10 >= x * 11);
}
END_TEST

static struct chain_txrec rec(uint64_t nonce, uint8_t tag, int64_t replaces)
{
	struct chain_txrec r;
	memset(&r, 0, sizeof(r));
	r.chain_id = 31337;
	r.sender[0] = 0xaa;
	r.nonce = nonce;
	r.hash[0] = tag;
	r.raw = malloc(3);
	memcpy(r.raw, "\x02\xc0\x01", 3);
	r.raw_len = 3;
	r.replaces = replaces;
	r.state = CHAIN_TX_SIGNED;
	return r;
}

START_TEST(memory_store_rules)
{
	struct chain_txstore st;
	chain_txstore_memory_new(&st);
	struct err e = {{0}};
	struct chain_txrec a[2] = {rec(0, 1, 0), rec(1, 2, 0)};
	ck_assert(st.ops->save(st.ctx, a, 2, &e));
	ck_assert_int_eq(a[0].id, 1);
	ck_assert_int_eq(a[1].id, 2);
	/* A second first version for nonce 1 is refused; a replacement is fine. */
	struct chain_txrec dup = rec(1, 3, 0);
	ck_assert(!st.ops->save(st.ctx, &dup, 1, &e));
	ck_assert_msg(strstr(e.msg, "already has a saved transaction"), "%s", e.msg);
	struct chain_txrec repl = rec(1, 4, 2);
	ck_assert(st.ops->save(st.ctx, &repl, 1, &e));
	uint64_t next;
	ck_assert(st.ops->next_nonce(st.ctx, 31337, a[0].sender, &next, &e));
	ck_assert_uint_eq(next, 2);
	/* Nonce 0 confirmed long ago: no longer open; nonce 1 is open with both versions. */
	struct chain_txupdate u = {.id = 1, .state = CHAIN_TX_CONFIRMED, .has_block = true,
				   .block_number = 5, .receipt_status = 1};
	ck_assert(st.ops->update(st.ctx, &u, 1, &e));
	struct chain_txrec *open;
	size_t n;
	ck_assert(st.ops->list_open(st.ctx, 31337, a[0].sender, 10, &open, &n, &e));
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(open[0].nonce, 1);
	ck_assert_uint_eq(open[1].replaces, 2);
	for (size_t i = 0; i < n; i++)
		chain_txrec_clear(&open[i]);
	free(open);
	/* Within the re-check window the confirmed one is listed too. */
	ck_assert(st.ops->list_open(st.ctx, 31337, a[0].sender, 3, &open, &n, &e));
	ck_assert_uint_eq(n, 3);
	for (size_t i = 0; i < n; i++)
		chain_txrec_clear(&open[i]);
	free(open);
	for (int i = 0; i < 2; i++)
		chain_txrec_clear(&a[i]);
	chain_txrec_clear(&dup);
	chain_txrec_clear(&repl);
	chain_txstore_memory_free(&st);
}
END_TEST

START_TEST(state_names)
{
	for (int s = CHAIN_TX_SIGNED; s <= CHAIN_TX_DROPPED; s++) {
		enum chain_txstate back;
		ck_assert(chain_txstate_parse(chain_txstate_name((enum chain_txstate)s), &back));
		ck_assert_int_eq(back, s);
	}
	enum chain_txstate x;
	ck_assert(!chain_txstate_parse("pending", &x));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("chain_rpc_sender");
	TCase *tc = tcase_create("pure");
	tcase_add_test(tc, fees_from_history);
	tcase_add_test(tc, bump_rounding);
	tcase_add_test(tc, memory_store_rules);
	tcase_add_test(tc, state_names);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
