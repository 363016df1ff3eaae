/* test_chain_keys.c: keys (file modes, environment, addresses), recoverable signatures and
 * high-s refusal, EIP-1559 transactions against cast, EIP-191 and EIP-712 digests. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chain/abi.h"
#include "chain/eip712.h"
#include "chain/keccak.h"
#include "chain/key.h"
#include "chain/tx.h"
#include "core/buf.h"
#include "core/encoding.h"
#include "core/err.h"
#include "tests/harness/harness.h"

/* anvil's first dev account: a public test key. */
#define ANVIL_KEY "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
#define ANVIL_ADDR "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"

static struct chain_key *anvil_key(void)
{
	struct chain_key *k;
	struct err e = {{0}};
	ck_assert_msg(chain_key_from_hex(&k, ANVIL_KEY, &e), "%s", e.msg);
	return k;
}

static void check_hex(const uint8_t *data, size_t len, const char *want)
{
	char *got = hex_encode_0x_new(data, len);
	ck_assert_str_eq(got, want);
	free(got);
}

static char *write_key(const char *content, int mode)
{
	char *path = xasprintf("/tmp/assay_test_key_%ld_%d", (long)getpid(), mode);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(content, f);
	fclose(f);
	ck_assert_int_eq(chmod(path, (mode_t)mode), 0);
	return path;
}

START_TEST(key_sources)
{
	struct chain_key *k;
	struct err e = {{0}};
	uint8_t addr[20];
	char text[43];
	k = anvil_key();
	chain_key_address(k, addr);
	chain_address_checksum(text, addr);
	ck_assert_str_eq(text, ANVIL_ADDR);
	chain_key_free(k);

	char *p = write_key(ANVIL_KEY "\n", 0600);
	ck_assert_msg(chain_key_from_file(&k, p, &e), "%s", e.msg);
	chain_key_address(k, addr);
	chain_address_checksum(text, addr);
	ck_assert_str_eq(text, ANVIL_ADDR);
	chain_key_free(k);
	unlink(p);
	free(p);

	p = write_key(ANVIL_KEY "\n", 0400);
	ck_assert_msg(chain_key_from_file(&k, p, &e), "%s", e.msg);
	chain_key_free(k);
	unlink(p);
	free(p);

	/* Readable by others: refused, and the message does not carry the key. */
	static const int bad_modes[] = {0644, 0640, 0604, 0660, 0606};
	for (size_t i = 0; i < ARRAY_LEN(bad_modes); i++) {
		p = write_key(ANVIL_KEY "\n", bad_modes[i]);
		ck_assert(!chain_key_from_file(&k, p, &e));
		ck_assert_msg(strstr(e.msg, "chmod 600"), "%s", e.msg);
		ck_assert(!strstr(e.msg, "ac0974bec39a17e3"));
		unlink(p);
		free(p);
	}

	/* Malformed contents: the message says what is wrong without echoing the text. */
	static const char *const bad[] = {
		"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff8",
		"0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff8g",
		"0x0000000000000000000000000000000000000000000000000000000000000000",
		"0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141", /* the order n */
		"",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		p = write_key(bad[i], 0600);
		ck_assert_msg(!chain_key_from_file(&k, p, &e), "case %zu loaded", i);
		if (strlen(bad[i]) > 20)
			ck_assert_msg(!strstr(e.msg, bad[i] + 2) && !strstr(e.msg, "ac0974bec39a"), "%s", e.msg);
		unlink(p);
		free(p);
	}
	ck_assert(!chain_key_from_file(&k, "/nonexistent/key", &e));

	setenv("ASSAY_TEST_KEY", ANVIL_KEY, 1);
	ck_assert_msg(chain_key_from_env(&k, "ASSAY_TEST_KEY", &e), "%s", e.msg);
	chain_key_free(k);
	unsetenv("ASSAY_TEST_KEY");
	ck_assert(!chain_key_from_env(&k, "ASSAY_TEST_KEY", &e));
	ck_assert_msg(strstr(e.msg, "ASSAY_TEST_KEY"), "%s", e.msg);
	chain_key_free(NULL);
}
END_TEST

/* secp256k1 group order n, big-endian. */
static const uint8_t order[32] = {
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
	0xba, 0xae, 0xdc, 0xe6, 0xaf, 0x48, 0xa0, 0x3b, 0xbf, 0xd2, 0x5e, 0x8c, 0xd0, 0x36, 0x41, 0x41};

START_TEST(sign_recover)
{
	struct chain_key *k = anvil_key();
	struct err e = {{0}};
	struct chain_sig sig;
	uint8_t digest[32], addr[20], me[20], sig65[65];
	chain_key_address(k, me);
	for (int i = 0; i < 32; i++) {
		chain_keccak256(digest, &i, sizeof(i));
		ck_assert(chain_key_sign(k, digest, &sig, &e));
		ck_assert_msg(chain_sig_recover(digest, &sig, addr, &e), "%s", e.msg);
		ck_assert(!memcmp(addr, me, 20));
		ck_assert(chain_sig_verify(digest, &sig, me, &e));
		ck_assert(sig.s[0] < 0x80); /* low s */
		chain_sig_to_65(&sig, sig65);
		ck_assert(sig65[64] == 27 || sig65[64] == 28);
		struct chain_sig back;
		ck_assert(chain_sig_from_65(&back, sig65, &e));
		ck_assert(!memcmp(&back, &sig, sizeof(sig)));
		/* Another digest recovers someone else. */
		digest[0] ^= 1;
		ck_assert(!chain_sig_verify(digest, &sig, me, &e));
		digest[0] ^= 1;

		/* The malleated twin (n - s, flipped parity) recovers the same key
		 * mathematically, and must be refused. */
		struct chain_sig high = sig;
		int borrow = 0;
		for (int j = 31; j >= 0; j--) {
			int d = order[j] - sig.s[j] - borrow;
			borrow = d < 0;
			high.s[j] = (uint8_t)(d + (borrow ? 256 : 0));
		}
		high.y_parity ^= 1;
		ck_assert(!chain_sig_recover(digest, &high, addr, &e));
		ck_assert_msg(strstr(e.msg, "high s"), "%s", e.msg);
	}
	/* cast wallet sign --no-hash of keccak("abc") with the same key (RFC 6979: same
	 * signature every time). */
	chain_keccak256(digest, "abc", 3);
	ck_assert(chain_key_sign(k, digest, &sig, &e));
	chain_sig_to_65(&sig, sig65);
	check_hex(sig65, 65, "0x5a2641cf507781b764362193efa1f85828ab177d2f87e4f66a04106c7d6fa5c17a0feb0d2a05d944de58ded60738d60c8c2dc21e6feaf10a99a492687232148f1c");
	uint8_t bad65[65];
	memcpy(bad65, sig65, 65);
	bad65[64] = 29;
	ck_assert(!chain_sig_from_65(&sig, bad65, &e));
	memset(sig.r, 0, 32);
	ck_assert(!chain_sig_recover(digest, &sig, addr, &e));
	chain_key_free(k);
}
END_TEST

START_TEST(eip1559)
{
	struct chain_key *k = anvil_key();
	struct err e = {{0}};
	struct chain_tx tx, back;
	struct buf raw = BUF_INIT;
	uint8_t hash[32], from[20], me[20];
	chain_key_address(k, me);
	/* cast mktx --private-key ANVIL_KEY --chain 31337 --nonce 0 --gas-limit 21000
	 *   --gas-price 2000000000 --priority-gas-price 1000000000 --value 12345 TO 0xdeadbeef */
	chain_tx_init(&tx);
	tx.chain_id = 31337;
	tx.nonce = 0;
	tx.gas_limit = 21000;
	chain_u256_from_u64(&tx.max_fee_per_gas, 2000000000);
	chain_u256_from_u64(&tx.max_priority_fee_per_gas, 1000000000);
	chain_u256_from_u64(&tx.value, 12345);
	tx.has_to = true;
	ck_assert(chain_address_parse(tx.to, "0x70997970C51812dc3A010C7d01b50e0d17dc79C8", &e));
	buf_append(&tx.data, "\xde\xad\xbe\xef", 4);
	ck_assert(chain_tx_sign(&tx, k, &raw, hash, &e));
	check_hex(raw.data, raw.len, "0x02f872827a6980843b9aca0084773594008252089470997970c51812dc3a010c7d01b50e0d17dc79c882303984deadbeefc080a0f29c839e6aac4e09f9ea8260ebd7287f41a7d3824153f3901ef62ccdd49d895fa0661ab3340e651bd8f5d10af51defa888dbe35d9aee64d8ce7d10624b3235c665");
	uint8_t h2[32];
	chain_keccak256(h2, raw.data, raw.len);
	ck_assert(!memcmp(h2, hash, 32));

	/* Decoding gives back every field and the sender. */
	chain_tx_init(&back);
	struct chain_sig sig;
	ck_assert_msg(chain_tx_decode(raw.data, raw.len, &back, &sig, from, &e), "%s", e.msg);
	ck_assert(!memcmp(from, me, 20));
	ck_assert_uint_eq(back.chain_id, 31337);
	ck_assert_uint_eq(back.gas_limit, 21000);
	ck_assert(back.has_to && !memcmp(back.to, tx.to, 20));
	ck_assert_int_eq(chain_u256_cmp(&back.value, &tx.value), 0);
	ck_assert_int_eq(chain_u256_cmp(&back.max_fee_per_gas, &tx.max_fee_per_gas), 0);
	ck_assert_uint_eq(back.data.len, 4);
	ck_assert(!memcmp(back.data.data, "\xde\xad\xbe\xef", 4));
	struct buf again = BUF_INIT;
	chain_tx_encode_signed(&back, &sig, &again);
	ck_assert(again.len == raw.len && !memcmp(again.data, raw.data, raw.len));
	buf_free(&again);

	/* Contract creation (cast mktx ... --create 0x6000, chain 1, nonce 5, gas 100000). */
	chain_tx_clear(&tx);
	tx.chain_id = 1;
	tx.nonce = 5;
	tx.gas_limit = 100000;
	chain_u256_from_u64(&tx.max_fee_per_gas, 2000000000);
	chain_u256_from_u64(&tx.max_priority_fee_per_gas, 1000000000);
	buf_append(&tx.data, "\x60\x00", 2);
	buf_reset(&raw);
	ck_assert(chain_tx_sign(&tx, k, &raw, NULL, &e));
	check_hex(raw.data, raw.len, "0x02f8590105843b9aca008477359400830186a08080826000c001a0dbd314374fd31f7b76baf55ec404cddce9967c8e23aec6c29305d9f2763ea841a072aed6be56122531cd12a34c748497bdf9c23afb6f6002935334f6e955a0df94");
	ck_assert(chain_tx_decode(raw.data, raw.len, &back, NULL, from, &e));
	ck_assert(!back.has_to);

	/* An access list survives the round trip. */
	uint8_t keys[2][32];
	memset(keys, 0x77, sizeof(keys));
	chain_tx_add_access(&tx, me, (const uint8_t(*)[32])keys, 2);
	chain_tx_add_access(&tx, tx.to, NULL, 0);
	buf_reset(&raw);
	ck_assert(chain_tx_sign(&tx, k, &raw, NULL, &e));
	ck_assert_msg(chain_tx_decode(raw.data, raw.len, &back, NULL, from, &e), "%s", e.msg);
	ck_assert(!memcmp(from, me, 20));
	ck_assert_uint_eq(back.naccess, 2);
	ck_assert_uint_eq(back.access_list[0].nkeys, 2);
	ck_assert(!memcmp(back.access_list[0].keys[1], keys[1], 32));

	/* Refusals: another type, trailing bytes, truncation, a non-canonical integer. */
	ck_assert(!chain_tx_decode(raw.data + 1, raw.len - 1, &back, NULL, NULL, &e));
	buf_append_byte(&raw, 0);
	ck_assert(!chain_tx_decode(raw.data, raw.len, &back, NULL, NULL, &e));
	ck_assert(!chain_tx_decode(raw.data, raw.len - 2, &back, NULL, NULL, &e));
	struct buf nc = BUF_INIT;
	ck_assert(hex_decode_buf(&nc, "02f85b" "820001" "05843b9aca008477359400830186a08080826000c001a0dbd314374fd31f7b76baf55ec404cddce9967c8e23aec6c29305d9f2763ea841a072aed6be56122531cd12a34c748497bdf9c23afb6f6002935334f6e955a0df94", &e));
	ck_assert(!chain_tx_decode(nc.data, nc.len, &back, NULL, NULL, &e));
	ck_assert_msg(strstr(e.msg, "chainId") && strstr(e.msg, "leading zero"), "%s", e.msg);
	buf_free(&nc);

	/* The malleated twin of a signed transaction decodes, but its sender is refused. */
	buf_reset(&raw);
	ck_assert(chain_tx_sign(&tx, k, &raw, NULL, &e));
	ck_assert(chain_tx_decode(raw.data, raw.len, &back, &sig, from, &e));
	int borrow = 0;
	for (int j = 31; j >= 0; j--) {
		int d = order[j] - sig.s[j] - borrow;
		borrow = d < 0;
		sig.s[j] = (uint8_t)(d + (borrow ? 256 : 0));
	}
	sig.y_parity ^= 1;
	struct buf twin = BUF_INIT;
	chain_tx_encode_signed(&back, &sig, &twin);
	ck_assert(chain_tx_decode(twin.data, twin.len, &back, NULL, NULL, &e));
	ck_assert(!chain_tx_decode(twin.data, twin.len, &back, NULL, from, &e));
	ck_assert_msg(strstr(e.msg, "high s"), "%s", e.msg);
	buf_free(&twin);

	chain_tx_clear(&back);
	chain_tx_clear(&tx);
	buf_free(&raw);
	chain_key_free(k);
}
END_TEST

START_TEST(eip191)
{
	uint8_t h[32];
	chain_eip191_hash((const uint8_t *)"hello", 5, h);
	check_hex(h, 32, "0x50b2c43fd39106bafbba0da34fc430e1f91e3c96ea2acee2bc34119f92b37750");
	/* cast hash-message takes 0x-prefixed input as text too. */
	chain_eip191_hash((const uint8_t *)"0x00ff", 6, h);
	check_hex(h, 32, "0x66bb3b524a5c017613ccc2f9ed39fbcd2b6951ada5a983f3c1cbb4f984b4130d");
	/* cast wallet sign --private-key ANVIL_KEY hello */
	struct chain_key *k = anvil_key();
	struct chain_sig sig;
	struct err e = {{0}};
	uint8_t s65[65];
	chain_eip191_hash((const uint8_t *)"hello", 5, h);
	ck_assert(chain_key_sign(k, h, &sig, &e));
	chain_sig_to_65(&sig, s65);
	check_hex(s65, 65, "0xf16ea9a3478698f695fd1401bfe27e9e4a7e8e3da94aa72b021125e31fa899cc573c48ea3fe1d4ab61a9db10c19032026e3ed2dbccba5a178235ac27f94504311c");
	chain_key_free(k);
}
END_TEST

START_TEST(eip712_mail)
{
	/* The example of the EIP-712 specification. */
	struct err e = {{0}};
	struct chain_eip712_types *t = chain_eip712_types_new();
	ck_assert(chain_eip712_types_add(t, "Mail(Person from,Person to,string contents)", &e));
	ck_assert(chain_eip712_types_add(t, "Person(string name,address wallet)", &e));
	struct buf enc = BUF_INIT;
	ck_assert(chain_eip712_encode_type(t, "Mail", &enc, &e));
	ck_assert_str_eq(buf_cstr(&enc), "Mail(Person from,Person to,string contents)Person(string name,address wallet)");
	buf_free(&enc);
	uint8_t th[32];
	ck_assert(chain_eip712_type_hash(t, "Mail", th, &e));
	check_hex(th, 32, "0xa0cedeb2dc280ba39b857546d74f5549c3a1d7bdc2dd96bf881f76108e23dac2");

	struct chain_eip712_domain d = {.name = "Ether Mail", .version = "1", .has_chain_id = true,
					.chain_id = 1, .has_verifying_contract = true};
	ck_assert(chain_address_parse(d.verifying_contract, "0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC", &e));
	uint8_t ds[32], sh[32], digest[32];
	chain_eip712_domain_separator(&d, ds);
	check_hex(ds, 32, "0xf2cee375fa42b42143804025fc449deafd50cc031ca257e0b194a650a912090f");

	uint8_t cow[20], bob[20];
	ck_assert(chain_address_parse(cow, "0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826", &e));
	ck_assert(chain_address_parse(bob, "0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB", &e));
	struct chain_abi_value *from = chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_string_new("Cow")), chain_abi_address_new(cow));
	struct chain_abi_value *to = chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_string_new("Bob")), chain_abi_address_new(bob));
	struct chain_abi_value *mail = chain_abi_push(chain_abi_push(chain_abi_push(chain_abi_tuple_new(), from), to),
						      chain_abi_string_new("Hello, Bob!"));
	ck_assert_msg(chain_eip712_hash_struct(t, "Mail", mail, sh, &e), "%s", e.msg);
	check_hex(sh, 32, "0xc52c0ee5d84264471806290a3f2c4cecfc5490626bf912d01f240d7a274b371e");
	chain_eip712_digest(ds, sh, digest);
	check_hex(digest, 32, "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");

	/* cast wallet sign --data --from-file mail.json with the anvil key. */
	struct chain_key *k = anvil_key();
	struct chain_sig sig;
	uint8_t s65[65];
	ck_assert(chain_key_sign(k, digest, &sig, &e));
	chain_sig_to_65(&sig, s65);
	check_hex(s65, 65, "0x6ea8bb309a3401225701f3565e32519f94a0ea91a5910ce9229fe488e773584c0390416a2190d9560219dab757ecca2029e63fa9d1c2aebf676cc25b9f03126a1b");

	/* A struct value of the wrong shape is refused. */
	struct chain_abi_value *short_mail = chain_abi_push(chain_abi_tuple_new(), chain_abi_string_new("x"));
	ck_assert(!chain_eip712_hash_struct(t, "Mail", short_mail, sh, &e));
	ck_assert(!chain_eip712_hash_struct(t, "Letter", mail, sh, &e));
	ck_assert(!chain_eip712_types_add(t, "Person(string name)", &e)); /* declared twice */
	ck_assert(!chain_eip712_types_add(t, "Bad(string)", &e));
	ck_assert(!chain_eip712_types_add(t, "Bad(string x", &e));
	chain_abi_value_free(short_mail);
	chain_abi_value_free(mail);
	chain_key_free(k);
	chain_eip712_types_free(t);
}
END_TEST

START_TEST(eip712_attestation)
{
	/* The settlement attestation, checked against cast wallet sign --data. */
	struct err e = {{0}};
	struct chain_eip712_types *t = chain_eip712_types_new();
	ck_assert(chain_eip712_types_add(t, "Attestation(uint64 epoch,bytes32 committeeHash,bytes32 countsHash,bytes32 evidenceRoot,bytes32 secret)", &e));
	struct chain_eip712_domain d = {.name = "assay", .version = "1", .has_chain_id = true,
					.chain_id = 31337, .has_verifying_contract = true};
	ck_assert(chain_address_parse(d.verifying_contract, "0x5FbDB2315678afecb367f032d93F642f64180aa3", &e));
	struct chain_abi_value *v = chain_abi_push(chain_abi_tuple_new(), chain_abi_uint_new(42));
	for (int i = 1; i <= 4; i++) {
		uint8_t w[32];
		memset(w, 0x11 * i, 32);
		chain_abi_push(v, chain_abi_fixed_bytes_new(w, 32));
	}
	uint8_t ds[32], sh[32], digest[32], s65[65];
	chain_eip712_domain_separator(&d, ds);
	ck_assert_msg(chain_eip712_hash_struct(t, "Attestation", v, sh, &e), "%s", e.msg);
	chain_eip712_digest(ds, sh, digest);
	struct chain_key *k = anvil_key();
	struct chain_sig sig;
	ck_assert(chain_key_sign(k, digest, &sig, &e));
	chain_sig_to_65(&sig, s65);
	check_hex(s65, 65, "0xcf1ea3f1763457c0e3f327c842ace15c2abcda7c43e5161a5fe5a15a8be697ad2df64684dcd5d1e1040f4f6a1fc75669713e062b5c2452cd025b369c3527c6b51b");
	/* epoch must fit uint64 */
	chain_abi_value_free(v->items[0]);
	struct chain_u256 big;
	ck_assert(chain_u256_parse(&big, "0x10000000000000000", &e));
	v->items[0] = chain_abi_u256_new(&big);
	ck_assert(!chain_eip712_hash_struct(t, "Attestation", v, sh, &e));
	chain_key_free(k);
	chain_abi_value_free(v);

	/* Arrays and nested arrays of structs hash their items' encodings. */
	struct chain_eip712_types *t2 = chain_eip712_types_new();
	ck_assert(chain_eip712_types_add(t2, "Group(string name,Member[] members,uint16[2] ids)", &e));
	ck_assert(chain_eip712_types_add(t2, "Member(address who,bytes proof)", &e));
	uint8_t a[20] = {1};
	struct chain_abi_value *m = chain_abi_push(chain_abi_push(chain_abi_tuple_new(), chain_abi_address_new(a)),
						   chain_abi_bytes_new((const uint8_t *)"pp", 2));
	struct chain_abi_value *g = chain_abi_push(chain_abi_tuple_new(), chain_abi_string_new("g"));
	chain_abi_push(g, chain_abi_push(chain_abi_array_new(), m));
	chain_abi_push(g, chain_abi_push(chain_abi_push(chain_abi_array_new(), chain_abi_uint_new(1)), chain_abi_uint_new(2)));
	struct buf enc = BUF_INIT;
	ck_assert(chain_eip712_encode_type(t2, "Group", &enc, &e));
	ck_assert_str_eq(buf_cstr(&enc), "Group(string name,Member[] members,uint16[2] ids)Member(address who,bytes proof)");
	buf_free(&enc);
	ck_assert_msg(chain_eip712_hash_struct(t2, "Group", g, sh, &e), "%s", e.msg);
	chain_abi_push(g->items[2], chain_abi_uint_new(3));
	ck_assert(!chain_eip712_hash_struct(t2, "Group", g, sh, &e)); /* uint16[2] with 3 items */
	chain_abi_value_free(g);
	chain_eip712_types_free(t2);
	chain_eip712_types_free(t);
}
END_TEST

START_TEST(eip712_json)
{
	static const char mail[] =
		"{\"types\":{\"EIP712Domain\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"version\",\"type\":\"string\"},"
		"{\"name\":\"chainId\",\"type\":\"uint256\"},{\"name\":\"verifyingContract\",\"type\":\"address\"}],"
		"\"Person\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"wallet\",\"type\":\"address\"}],"
		"\"Mail\":[{\"name\":\"from\",\"type\":\"Person\"},{\"name\":\"to\",\"type\":\"Person\"},{\"name\":\"contents\",\"type\":\"string\"}]},"
		"\"primaryType\":\"Mail\",\"domain\":{\"name\":\"Ether Mail\",\"version\":\"1\",\"chainId\":1,"
		"\"verifyingContract\":\"0xCcCCccccCCCCcCCCCCCcCcCccCcCCCcCcccccccC\"},"
		"\"message\":{\"from\":{\"name\":\"Cow\",\"wallet\":\"0xCD2a3d9F938E13CD947Ec05AbC7FE734Df8DD826\"},"
		"\"to\":{\"name\":\"Bob\",\"wallet\":\"0xbBbBBBBbbBBBbbbBbbBbbbbBBbBbbbbBbBbbBBbB\"},\"contents\":\"Hello, Bob!\"}}";
	struct err e = {{0}};
	uint8_t d[32];
	ck_assert_msg(chain_eip712_hash_json(mail, strlen(mail), d, &e), "%s", e.msg);
	check_hex(d, 32, "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");

	/* Without an EIP712Domain type, the domain's own fields make it up: same digest. The
	 * chain id may be a string too. */
	static const char mail2[] =
		"{\"types\":{\"Person\":[{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"wallet\",\"type\":\"address\"}],"
		"\"Mail\":[{\"name\":\"from\",\"type\":\"Person\"},{\"name\":\"to\",\"type\":\"Person\"},{\"name\":\"contents\",\"type\":\"string\"}]},"
		"\"primaryType\":\"Mail\",\"domain\":{\"verifyingContract\":\"0xcccccccccccccccccccccccccccccccccccccccc\",\"chainId\":\"0x1\","
		"\"version\":\"1\",\"name\":\"Ether Mail\"},"
		"\"message\":{\"contents\":\"Hello, Bob!\",\"from\":{\"name\":\"Cow\",\"wallet\":\"0xcd2a3d9f938e13cd947ec05abc7fe734df8dd826\"},"
		"\"to\":{\"name\":\"Bob\",\"wallet\":\"0xbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}}}";
	ck_assert_msg(chain_eip712_hash_json(mail2, strlen(mail2), d, &e), "%s", e.msg);
	check_hex(d, 32, "0xbe609aee343fb3c4b28e1df9e632fca64fcfaede20f02e86244efddf30957bd2");

	static const char *const bad[] = {
		"", "{", "[]", "{\"types\":{}}",
		"{\"types\":{\"A\":[{\"name\":\"x\",\"type\":\"uint8\"}]},\"primaryType\":\"A\",\"domain\":{},\"message\":{\"x\":256}}",
		"{\"types\":{\"A\":[{\"name\":\"x\",\"type\":\"uint8\"}]},\"primaryType\":\"A\",\"domain\":{},\"message\":{}}",
		"{\"types\":{\"A\":[{\"name\":\"x\",\"type\":\"uint8\"}]},\"primaryType\":\"B\",\"domain\":{},\"message\":{\"x\":1}}",
		"{\"types\":{\"A\":[{\"name\":\"x\",\"type\":\"Q\"}]},\"primaryType\":\"A\",\"domain\":{},\"message\":{\"x\":1}}",
		"{\"types\":{\"A\":[{\"name\":\"x\",\"type\":\"bool\"}]},\"primaryType\":\"A\",\"domain\":{},\"message\":{\"x\":1}}",
		"{\"types\":{\"A\":[{\"name\":\"x\",\"type\":\"uint8\"}]},\"primaryType\":\"A\",\"domain\":{},\"message\":{\"x\":1.5}}",
	};
	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		ck_assert_msg(!chain_eip712_hash_json(bad[i], strlen(bad[i]), d, &e), "case %zu hashed", i);
		ck_assert(e.msg[0]);
	}
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("chain_keys");
	TCase *tc = tcase_create("keys");
	tcase_add_test(tc, key_sources);
	tcase_add_test(tc, sign_recover);
	tcase_add_test(tc, eip1559);
	tcase_add_test(tc, eip191);
	tcase_add_test(tc, eip712_mail);
	tcase_add_test(tc, eip712_attestation);
	tcase_add_test(tc, eip712_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
