/* test_chain_abi.c: ABI types and signatures, encoding against the Solidity documentation's
 * examples, round trips, walking decoded values, logs, revert data, and the strict
 * decoder's refusals. */
#include <stdlib.h>
#include <string.h>

#include "chain/abi.h"
#include "chain/keccak.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "tests/harness/harness.h"

static char *hex_new(const struct buf *b)
{
	char *h = xmalloc(2 * b->len + 1);
	hex_encode(h, b->data, b->len);
	return h;
}

/* Encodes a call from cast-syntax arguments and returns the hex (caller frees). */
static char *calldata(const char *sig_text, char *const *args, size_t n)
{
	struct chain_abi_sig *sig;
	struct chain_abi_value *v;
	struct err e = {{0}};
	struct buf b = BUF_INIT;
	ck_assert_msg(chain_abi_sig_parse(sig_text, &sig, &e), "%s", e.msg);
	ck_assert_msg(chain_abi_args_parse(sig, args, n, &v, &e), "%s", e.msg);
	ck_assert_msg(chain_abi_encode_call(sig, v, &b, &e), "%s", e.msg);
	char *h = hex_new(&b);
	/* Decoding gives the same value back: re-encoding is byte-identical. */
	struct chain_abi_value *d;
	ck_assert_msg(chain_abi_decode_call(sig, b.data, b.len, &d, &e), "%s", e.msg);
	struct buf again = BUF_INIT;
	ck_assert(chain_abi_encode_call(sig, d, &again, &e));
	ck_assert_uint_eq(again.len, b.len);
	ck_assert(!memcmp(again.data, b.data, b.len));
	buf_free(&again);
	chain_abi_value_free(d);
	chain_abi_value_free(v);
	chain_abi_sig_free(sig);
	buf_free(&b);
	return h;
}

START_TEST(signatures)
{
	struct chain_abi_sig *sig;
	struct err e = {{0}};
	char sel[9];
	ck_assert(chain_abi_sig_parse("transfer(address,uint256)", &sig, &e));
	hex_encode(sel, sig->selector, 4);
	ck_assert_str_eq(sel, "a9059cbb");
	chain_abi_sig_free(sig);
	ck_assert(chain_abi_sig_parse("function transfer(address to, uint amount) external returns (bool)", &sig, &e));
	ck_assert_str_eq(sig->canonical, "transfer(address,uint256)");
	ck_assert_ptr_nonnull(sig->outputs);
	ck_assert_uint_eq(sig->outputs->nfields, 1);
	ck_assert_str_eq(sig->inputs->fields[0]->name, "to");
	chain_abi_sig_free(sig);
	ck_assert(chain_abi_sig_parse("event Transfer(address indexed from, address indexed to, uint256 value)", &sig, &e));
	char topic[65];
	hex_encode(topic, sig->topic, 32);
	ck_assert_str_eq(topic, "ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef");
	ck_assert(sig->inputs->fields[0]->indexed && !sig->inputs->fields[2]->indexed);
	chain_abi_sig_free(sig);
	ck_assert(chain_abi_sig_parse("f(uint256,address[],(bytes32,string))", &sig, &e));
	ck_assert_str_eq(sig->canonical, "f(uint256,address[],(bytes32,string))");
	hex_encode(sel, sig->selector, 4);
	ck_assert_str_eq(sel, "0722a802");
	chain_abi_sig_free(sig);
	ck_assert(chain_abi_sig_parse("balanceOf(address)(uint256)", &sig, &e));
	ck_assert_str_eq(sig->canonical, "balanceOf(address)");
	ck_assert_ptr_nonnull(sig->outputs);
	chain_abi_sig_free(sig);
	ck_assert(chain_abi_sig_parse("f()", &sig, &e));
	ck_assert_uint_eq(sig->inputs->nfields, 0);
	chain_abi_sig_free(sig);

	static const char *const bad[] = {
		"", "f", "f(", "f(uint7)", "f(uint264)", "f(bytes33)", "f(bytes0)", "f(uint256[0])",
		"f(uint256[01])", "f(())", "f(uint256,)", "f(foo)", "f(uint256) x", "1f()",
		"f(uint256[65537])", "f(uint256[65536][65536])", "f(uint08)", "f(address payable x y)",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ck_assert_msg(!chain_abi_sig_parse(bad[i], &sig, &e), "'%s' parsed", bad[i]);
		ck_assert(e.msg[0]);
	}
	/* Deep nesting is bounded. */
	char deep[64] = "f(";
	memset(deep + 2, '(', 40);
	deep[42] = '\0';
	ck_assert(!chain_abi_sig_parse(deep, &sig, &e));

	struct chain_abi_type *t;
	ck_assert(chain_abi_type_parse("(uint, int, bytes32[2], (bool,string)[])[3]", &t, &e));
	char *c = chain_abi_type_canonical_new(t);
	ck_assert_str_eq(c, "(uint256,int256,bytes32[2],(bool,string)[])[3]");
	ck_assert(chain_abi_type_is_dynamic(t));
	free(c);
	chain_abi_type_free(t);
}
END_TEST

START_TEST(encode_solidity_docs)
{
	/* The examples of the Solidity ABI specification. */
	char *args1[] = {"0x123", "[0x456, 0x789]", "0x31323334353637383930", "0x48656c6c6f2c20776f726c6421"};
	char *h = calldata("f(uint256,uint32[],bytes10,bytes)", args1, 4);
	ck_assert_str_eq(h,
		"8be65246"
		"0000000000000000000000000000000000000000000000000000000000000123"
		"0000000000000000000000000000000000000000000000000000000000000080"
		"3132333435363738393000000000000000000000000000000000000000000000"
		"00000000000000000000000000000000000000000000000000000000000000e0"
		"0000000000000000000000000000000000000000000000000000000000000002"
		"0000000000000000000000000000000000000000000000000000000000000456"
		"0000000000000000000000000000000000000000000000000000000000000789"
		"000000000000000000000000000000000000000000000000000000000000000d"
		"48656c6c6f2c20776f726c642100000000000000000000000000000000000000");
	free(h);
	char *args2[] = {"[[1,2],[3]]", "[one,two,three]"};
	h = calldata("g(uint256[][],string[])", args2, 2);
	ck_assert_str_eq(h,
		"2289b18c"
		"0000000000000000000000000000000000000000000000000000000000000040"
		"0000000000000000000000000000000000000000000000000000000000000140"
		"0000000000000000000000000000000000000000000000000000000000000002"
		"0000000000000000000000000000000000000000000000000000000000000040"
		"00000000000000000000000000000000000000000000000000000000000000a0"
		"0000000000000000000000000000000000000000000000000000000000000002"
		"0000000000000000000000000000000000000000000000000000000000000001"
		"0000000000000000000000000000000000000000000000000000000000000002"
		"0000000000000000000000000000000000000000000000000000000000000001"
		"0000000000000000000000000000000000000000000000000000000000000003"
		"0000000000000000000000000000000000000000000000000000000000000003"
		"0000000000000000000000000000000000000000000000000000000000000060"
		"00000000000000000000000000000000000000000000000000000000000000a0"
		"00000000000000000000000000000000000000000000000000000000000000e0"
		"0000000000000000000000000000000000000000000000000000000000000003"
		"6f6e650000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000003"
		"74776f0000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000005"
		"7468726565000000000000000000000000000000000000000000000000000000");
	free(h);
	char *args3[] = {"-1", "0x1234", "true", "0xabcdef"};
	h = calldata("f(int8,bytes,bool,bytes3)", args3, 4);
	ck_assert_str_eq(h,
		"b42f616a"
		"ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
		"0000000000000000000000000000000000000000000000000000000000000080"
		"0000000000000000000000000000000000000000000000000000000000000001"
		"abcdef0000000000000000000000000000000000000000000000000000000000"
		"0000000000000000000000000000000000000000000000000000000000000002"
		"1234000000000000000000000000000000000000000000000000000000000000");
	free(h);
}
END_TEST

START_TEST(round_trips)
{
	static const struct {
		const char *sig;
		const char *args[4];
	} cases[] = {
		{"a((uint8,string)[],bool[2][])", {"[(1, a), (2,b)]", "[[true,false],[false,true]]"}},
		{"b(string[][2],bytes32)", {"[[x, \"y, z\"], []]", "0x0000000000000000000000000000000000000000000000000000000000000001"}},
		{"c(int256,int128,uint256,int16)", {"-57896044618658097711785492504343953926634992332820282019728792003956564819968",
			"170141183460469231731687303715884105727", "0xffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "-300"}},
		{"d(((address,bytes)[],uint16)[])", {"[([(0x70997970C51812dc3A010C7d01b50e0d17dc79C8, 0x), (0x0000000000000000000000000000000000000001, 0xff)], 7)]"}},
		{"e(address[3],string)", {"[0x0000000000000000000000000000000000000001,0x0000000000000000000000000000000000000002,0x0000000000000000000000000000000000000003]", ""}},
	};
	for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
		size_t n = 0;
		while (n < 4 && cases[i].args[n])
			n++;
		char *h = calldata(cases[i].sig, (char *const *)(uintptr_t)cases[i].args, n);
		free(h);
	}
}
END_TEST

START_TEST(build_and_walk)
{
	struct err e = {{0}};
	struct chain_abi_sig *sig;
	struct chain_abi_value *v, *d;
	struct buf b = BUF_INIT;
	uint8_t a1[20], a2[20];
	memset(a1, 0x11, 20);
	memset(a2, 0x22, 20);
	/* An eth_call answer (address[], uint16[], (uint64,bytes32)) built from C. */
	ck_assert(chain_abi_sig_parse("committee()(address[],uint16[],(uint64,bytes32))", &sig, &e));
	v = chain_abi_tuple_new();
	chain_abi_push(v, chain_abi_push(chain_abi_push(chain_abi_array_new(), chain_abi_address_new(a1)),
					 chain_abi_address_new(a2)));
	struct chain_abi_value *shards = chain_abi_array_new();
	for (uint64_t s = 0; s < 5; s++)
		chain_abi_push(shards, chain_abi_uint_new(s * 1000));
	chain_abi_push(v, shards);
	uint8_t h[32];
	memset(h, 0xab, 32);
	chain_abi_push(v, chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(42)),
					 chain_abi_fixed_bytes_new(h, 32)));
	ck_assert_msg(chain_abi_encode(sig->outputs, v, &b, &e), "%s", e.msg);
	ck_assert_msg(chain_abi_decode_output(sig, b.data, b.len, &d, &e), "%s", e.msg);
	uint8_t got[20], gh[32];
	uint64_t x;
	ck_assert_uint_eq(chain_abi_at(d, 0)->n, 2);
	ck_assert(chain_abi_get_address(chain_abi_at(chain_abi_at(d, 0), 1), got, &e));
	ck_assert(!memcmp(got, a2, 20));
	ck_assert_uint_eq(chain_abi_at(d, 1)->n, 5);
	ck_assert(chain_abi_get_u64(chain_abi_at(chain_abi_at(d, 1), 4), &x, &e));
	ck_assert_uint_eq(x, 4000);
	ck_assert(chain_abi_get_u64(chain_abi_at(chain_abi_at(d, 2), 0), &x, &e));
	ck_assert_uint_eq(x, 42);
	ck_assert(chain_abi_get_bytes32(chain_abi_at(chain_abi_at(d, 2), 1), gh, &e));
	ck_assert(!memcmp(gh, h, 32));
	/* Wrong kinds and out-of-range indices fail cleanly. */
	ck_assert_ptr_null(chain_abi_at(d, 3));
	ck_assert(!chain_abi_get_u64(chain_abi_at(d, 7), &x, &e));
	ck_assert(!chain_abi_get_address(chain_abi_at(chain_abi_at(d, 1), 0), got, &e));
	struct buf f = BUF_INIT;
	chain_abi_value_format(sig->outputs, d, &f);
	ck_assert_str_eq(buf_cstr(&f),
		"([0x1111111111111111111111111111111111111111, 0x2222222222222222222222222222222222222222], "
		"[0, 1000, 2000, 3000, 4000], (42, 0xabababababababababababababababababababababababababababababababab))");
	buf_free(&f);
	chain_abi_value_free(d);

	/* Values that do not fit their type are refused by the encoder. */
	struct chain_abi_type *t;
	ck_assert(chain_abi_type_parse("(uint8,int8)", &t, &e));
	struct chain_abi_value *bad = chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(256)),
						     chain_abi_int_new(-1));
	buf_reset(&b);
	ck_assert(!chain_abi_encode(t, bad, &b, &e));
	ck_assert_uint_eq(b.len, 0);
	chain_abi_value_free(bad);
	bad = chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(255)),
			     chain_abi_int_new(-129));
	ck_assert(!chain_abi_encode(t, bad, &b, &e));
	chain_abi_value_free(bad);
	bad = chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(255)),
			     chain_abi_int_new(-128));
	ck_assert(chain_abi_encode(t, bad, &b, &e));
	chain_abi_value_free(bad);
	chain_abi_type_free(t);

	chain_abi_value_free(v);
	chain_abi_sig_free(sig);
	buf_free(&b);
}
END_TEST

static void decode_must_fail(const char *type, const char *hex, const char *why)
{
	struct chain_abi_type *t;
	struct chain_abi_value *v = NULL;
	struct err e = {{0}};
	struct buf b = BUF_INIT;
	ck_assert(chain_abi_type_parse(type, &t, &e));
	ck_assert(hex_decode_buf(&b, hex, &e));
	ck_assert_msg(!chain_abi_decode(t, b.data, b.len, &v, &e), "%s decoded from %s", type, hex);
	ck_assert_msg(strstr(e.msg, why), "%s: '%s' lacks '%s'", type, e.msg, why);
	chain_abi_type_free(t);
	buf_free(&b);
}

#define W0 "0000000000000000000000000000000000000000000000000000000000000000"
#define W1 "0000000000000000000000000000000000000000000000000000000000000001"
#define W20 "0000000000000000000000000000000000000000000000000000000000000020"

START_TEST(decode_strict)
{
	decode_must_fail("(uint256)", "00", "ends");
	decode_must_fail("(uint8)", "0000000000000000000000000000000000000000000000000000000000000100", "does not fit");
	decode_must_fail("(bool)", "0000000000000000000000000000000000000000000000000000000000000002", "does not fit");
	decode_must_fail("(int8)", "00000000000000000000000000000000000000000000000000000000000000ff", "does not fit");
	decode_must_fail("(int8)", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", "does not fit");
	decode_must_fail("(address)", "0000000000000000000000010000000000000000000000000000000000000000", "high bytes");
	decode_must_fail("(bytes3)", "abcdef0000000000000000000000000000000000000000000000000000000001", "padding");
	decode_must_fail("(bytes)", "0000000000000000000000000000000000000000000000000000000000000040", "past the end");
	decode_must_fail("(bytes)", W20, "ends");
	decode_must_fail("(bytes)", W20 "0000000000000000000000000000000000000000000000000000000000000021" W0, "runs past");
	decode_must_fail("(bytes)", W20 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", "too large");
	decode_must_fail("(bytes)", "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffe0", "too large");
	decode_must_fail("(bytes)", "0000000000000000000000000000000000000000000000000000000000001000", "past the end");
	decode_must_fail("(uint256[])", W20 "0000000000000000000000000000000000000000000000000000000000000002" W1, "runs past");
	decode_must_fail("(uint256[])", W20 "000000000000000000000000000000000000000000000000ffffffffffffffff", "past the end");
	decode_must_fail("(uint256[3])", W1 W1, "runs past");
	decode_must_fail("(string[])", W20 W1 "0000000000000000000000000000000000000000000000000000000000000100", "past the end");

	/* Aliased offsets: every element of a 64-element array of arrays points at the same
	 * 64-element array. Legal-looking, but it decodes to 4096 values from 4 KiB; with
	 * one more level it would be exponential. The budget refuses what is far larger
	 * than the input. */
	struct buf b = BUF_INIT;
	struct err e = {{0}};
	buf_append_u64be(&b, 0);
	size_t n = 200;
	struct chain_u256 w;
	uint8_t word[32];
	/* head: offset 0x20 */
	buf_reset(&b);
	chain_u256_from_u64(&w, 32);
	chain_u256_to_be(&w, word);
	buf_append(&b, word, 32);
	/* outer array: length n, n offsets all = 32*n (relative to after the length word) */
	chain_u256_from_u64(&w, n);
	chain_u256_to_be(&w, word);
	buf_append(&b, word, 32);
	chain_u256_from_u64(&w, 32 * n);
	chain_u256_to_be(&w, word);
	for (size_t i = 0; i < n; i++)
		buf_append(&b, word, 32);
	/* inner array: length n, n words */
	chain_u256_from_u64(&w, n);
	chain_u256_to_be(&w, word);
	buf_append(&b, word, 32);
	memset(word, 0, 32);
	for (size_t i = 0; i < n; i++)
		buf_append(&b, word, 32);
	struct chain_abi_type *t;
	struct chain_abi_value *v;
	ck_assert(chain_abi_type_parse("(uint256[][])", &t, &e));
	ck_assert(!chain_abi_decode(t, b.data, b.len, &v, &e));
	ck_assert_msg(strstr(e.msg, "alias"), "%s", e.msg);
	chain_abi_type_free(t);
	buf_free(&b);
}
END_TEST

START_TEST(logs_and_reverts)
{
	struct err e = {{0}};
	struct chain_abi_sig *ev;
	ck_assert(chain_abi_sig_parse("event Scored(uint64 indexed epoch, address indexed node, string note, uint16 score, bytes indexed proof)", &ev, &e));
	uint8_t topics[4][32];
	memcpy(topics[0], ev->topic, 32);
	memset(topics[1], 0, 32);
	topics[1][31] = 12;
	memset(topics[2], 0, 32);
	memset(topics[2] + 12, 0x5a, 20);
	chain_keccak256(topics[3], "proof", 5);
	struct chain_abi_type *body;
	struct chain_abi_value *bv, *out;
	struct buf data = BUF_INIT;
	ck_assert(chain_abi_type_parse("(string,uint16)", &body, &e));
	bv = chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_string_new("fine")),
			    chain_abi_uint_new(9876));
	ck_assert(chain_abi_encode(body, bv, &data, &e));
	ck_assert_msg(chain_abi_decode_log(ev, (const uint8_t(*)[32])topics, 4, data.data, data.len, &out, &e), "%s", e.msg);
	uint64_t x;
	uint8_t a[20], h[32];
	ck_assert(chain_abi_get_u64(chain_abi_at(out, 0), &x, &e));
	ck_assert_uint_eq(x, 12);
	ck_assert(chain_abi_get_address(chain_abi_at(out, 1), a, &e));
	ck_assert_uint_eq(a[0], 0x5a);
	ck_assert_str_eq((const char *)chain_abi_at(out, 2)->bytes, "fine");
	ck_assert(chain_abi_get_u64(chain_abi_at(out, 3), &x, &e));
	ck_assert_uint_eq(x, 9876);
	ck_assert(chain_abi_get_bytes32(chain_abi_at(out, 4), h, &e));
	ck_assert(!memcmp(h, topics[3], 32));
	chain_abi_value_free(out);
	/* Wrong topic 0, wrong topic count, dirty indexed address. */
	ck_assert(!chain_abi_decode_log(ev, (const uint8_t(*)[32])topics + 1, 3, data.data, data.len, &out, &e));
	ck_assert(!chain_abi_decode_log(ev, (const uint8_t(*)[32])topics, 3, data.data, data.len, &out, &e));
	topics[2][0] = 1;
	ck_assert(!chain_abi_decode_log(ev, (const uint8_t(*)[32])topics, 4, data.data, data.len, &out, &e));
	chain_abi_value_free(bv);
	chain_abi_type_free(body);
	chain_abi_sig_free(ev);
	buf_free(&data);

	/* Revert data. */
	struct buf r = BUF_INIT;
	char *msg;
	ck_assert(hex_decode_buf(&r, "08c379a0" W20 "0000000000000000000000000000000000000000000000000000000000000014"
				     "696e73756666696369656e742062616c616e6365000000000000000000000000", &e));
	ck_assert(chain_abi_decode_revert(r.data, r.len, NULL, 0, &msg, &e));
	ck_assert_str_eq(msg, "Error(\"insufficient balance\")");
	free(msg);
	buf_reset(&r);
	ck_assert(hex_decode_buf(&r, "4e487b71" "0000000000000000000000000000000000000000000000000000000000000011", &e));
	ck_assert(chain_abi_decode_revert(r.data, r.len, NULL, 0, &msg, &e));
	ck_assert_str_eq(msg, "Panic(0x11: arithmetic underflow or overflow)");
	free(msg);
	buf_reset(&r);
	struct chain_abi_sig *custom[2];
	ck_assert(chain_abi_sig_parse("error NotAuditor(address who)", &custom[0], &e));
	ck_assert(chain_abi_sig_parse("error StakeTooLow(uint256 have, uint256 need)", &custom[1], &e));
	buf_append(&r, custom[1]->selector, 4);
	ck_assert(hex_decode_buf(&r, "0000000000000000000000000000000000000000000000000000000000000005"
				     "0000000000000000000000000000000000000000000000000000000000000064", &e));
	ck_assert(chain_abi_decode_revert(r.data, r.len, custom, 2, &msg, &e));
	ck_assert_str_eq(msg, "StakeTooLow(5, 100)");
	free(msg);
	r.len = 4 + 32; /* truncated: a known selector with bad data is an error */
	ck_assert(!chain_abi_decode_revert(r.data, r.len, custom, 2, &msg, &e));
	ck_assert(chain_abi_decode_revert(r.data, r.len, NULL, 0, &msg, &e));
	ck_assert_msg(strstr(msg, "custom error 0x"), "%s", msg);
	free(msg);
	ck_assert(chain_abi_decode_revert(r.data, 0, NULL, 0, &msg, &e));
	ck_assert_str_eq(msg, "reverted without data");
	free(msg);
	ck_assert_str_eq(chain_abi_panic_reason(0x32), "array index out of bounds");
	ck_assert_ptr_null(chain_abi_panic_reason(0x99));
	chain_abi_sig_free(custom[0]);
	chain_abi_sig_free(custom[1]);
	buf_free(&r);
}
END_TEST

START_TEST(addresses_and_args)
{
	struct err e = {{0}};
	uint8_t a[20];
	char s[43];
	ck_assert(chain_address_parse(a, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8", &e));
	chain_address_checksum(s, a);
	ck_assert_str_eq(s, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
	ck_assert(chain_address_parse(a, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", &e));
	ck_assert(!chain_address_parse(a, "0x70997970C51812dc3A010C7d01b50e0d17dc79c8", &e));
	ck_assert_msg(strstr(e.msg, "checksum"), "%s", e.msg);
	ck_assert(!chain_address_parse(a, "0x70997970c51812dc3a010c7d01b50e0d17dc79", &e));
	ck_assert(!chain_address_parse(a, "0xg0997970c51812dc3a010c7d01b50e0d17dc79c8", &e));

	struct chain_abi_sig *sig;
	struct chain_abi_value *v;
	ck_assert(chain_abi_sig_parse("f(uint8,bytes2,bool,uint256[2],(string,int8))", &sig, &e));
	static const char *const bad[][5] = {
		{"256", "0xabcd", "true", "[1,2]", "(a,1)"},
		{"1", "0xab", "true", "[1,2]", "(a,1)"},
		{"1", "0xabcd", "yes", "[1,2]", "(a,1)"},
		{"1", "0xabcd", "true", "[1]", "(a,1)"},
		{"1", "0xabcd", "true", "[1,2,3]", "(a,1)"},
		{"1", "0xabcd", "true", "[1,2]", "(a)"},
		{"1", "0xabcd", "true", "[1,2]", "(a,1,2)"},
		{"1", "0xabcd", "true", "[1,2]", "(a,128)"},
		{"1", "0xabcd", "true", "1,2", "(a,1)"},
		{"-1", "0xabcd", "true", "[1,2]", "(a,1)"},
		{"1", "0xabcd", "true", "[1,2] x", "(a,1)"},
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ck_assert_msg(!chain_abi_args_parse(sig, (char *const *)(uintptr_t)bad[i], 5, &v, &e),
			      "case %zu parsed", i);
		ck_assert(e.msg[0]);
	}
	ck_assert(!chain_abi_args_parse(sig, (char *const *)(uintptr_t)bad[0], 4, &v, &e));

	/* Formatting for people: signed decimals, checksummed addresses, escaped strings. */
	static const char *const good[] = {"255", "0xabcd", "false", "[0x10, 0]", "(say \"hi\", -128)"};
	ck_assert_msg(chain_abi_args_parse(sig, (char *const *)(uintptr_t)good, 5, &v, &e), "%s", e.msg);
	struct buf f = BUF_INIT;
	chain_abi_value_format(sig->inputs, v, &f);
	ck_assert_str_eq(buf_cstr(&f), "(255, 0xabcd, false, [16, 0], (\"say \\\"hi\\\"\", -128))");
	buf_free(&f);
	/* Calldata of another function is refused by selector. */
	struct buf cd = BUF_INIT;
	struct chain_abi_sig *other;
	struct chain_abi_value *d;
	ck_assert(chain_abi_encode_call(sig, v, &cd, &e));
	ck_assert(chain_abi_sig_parse("g(uint8,bytes2,bool,uint256[2],(string,int8))", &other, &e));
	ck_assert(!chain_abi_decode_call(other, cd.data, cd.len, &d, &e));
	ck_assert(chain_abi_decode_call(sig, cd.data, cd.len, &d, &e));
	chain_abi_value_free(d);
	chain_abi_sig_free(other);
	buf_free(&cd);
	chain_abi_value_free(v);
	chain_abi_sig_free(sig);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("chain_abi");
	TCase *tc = tcase_create("abi");
	tcase_add_test(tc, signatures);
	tcase_add_test(tc, encode_solidity_docs);
	tcase_add_test(tc, round_trips);
	tcase_add_test(tc, build_and_walk);
	tcase_add_test(tc, decode_strict);
	tcase_add_test(tc, logs_and_reverts);
	tcase_add_test(tc, addresses_and_args);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
