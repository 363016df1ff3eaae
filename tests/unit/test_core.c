/* test_core.c: the shared core: buffers, hex, base64, errors, config parsing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/config.h"
#include "core/encoding.h"
#include "core/err.h"
#include "core/log.h"
#include "tests/harness/harness.h"

START_TEST(test_buf_grows_and_appends)
{
	struct buf b = BUF_INIT;
	for (int i = 0; i < 1000; i++)
		buf_append_byte(&b, (uint8_t)i);
	ck_assert_uint_eq(b.len, 1000);
	ck_assert_uint_eq(b.data[999], (uint8_t)999);
	buf_reset(&b);
	buf_printf(&b, "%s-%d", "x", 42);
	ck_assert_str_eq(buf_cstr(&b), "x-42");
	buf_reset(&b);
	buf_append_u16le(&b, 0x1234);
	buf_append_u64le(&b, 0x0102030405060708ull);
	buf_append_u64be(&b, 0x0102030405060708ull);
	static const uint8_t want[] = {0x34, 0x12, 8, 7, 6, 5, 4, 3, 2, 1, 1, 2, 3, 4, 5, 6, 7, 8};
	ck_assert_uint_eq(b.len, sizeof(want));
	ck_assert_mem_eq(b.data, want, sizeof(want));
	size_t len;
	uint8_t *p = buf_steal(&b, &len);
	ck_assert_uint_eq(len, sizeof(want));
	ck_assert_ptr_null(b.data);
	free(p);
	buf_free(&b);
	buf_free(NULL);
}
END_TEST

START_TEST(test_hex)
{
	uint8_t out[4];
	struct err e = {{0}};
	ck_assert(hex_decode_exact(out, 4, "0xDeadBeef", &e));
	ck_assert_uint_eq(out[0], 0xde);
	ck_assert_uint_eq(out[3], 0xef);
	ck_assert(!hex_decode_exact(out, 4, "deadbe", &e));
	ck_assert_str_eq(e.msg, "expected 8 hex digits, got 6");
	ck_assert(!hex_decode_exact(out, 4, "deadbeeg", &e));
	char s[9];
	hex_encode(s, out, 4);
	ck_assert_str_eq(s, "deadbeef");
	struct buf b = BUF_INIT;
	ck_assert(hex_decode_buf(&b, "0x", &e));
	ck_assert_uint_eq(b.len, 0);
	ck_assert(!hex_decode_buf(&b, "abc", &e));
	ck_assert(hex_decode_buf(&b, "00ff", &e));
	ck_assert_uint_eq(b.len, 2);
	char *h = hex_encode_0x_new(b.data, b.len);
	ck_assert_str_eq(h, "0x00ff");
	free(h);
	buf_free(&b);
}
END_TEST

/* RFC 4648 test vectors, in the URL-safe alphabet without padding. */
START_TEST(test_base64url)
{
	static const char *const plain[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
	static const char *const enc[] = {"", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy"};
	for (size_t i = 0; i < ARRAY_LEN(plain); i++) {
		char out[16];
		base64url_encode(out, (const uint8_t *)plain[i], strlen(plain[i]));
		ck_assert_str_eq(out, enc[i]);
		ck_assert_uint_eq(base64url_encoded_len(strlen(plain[i])), strlen(enc[i]));
		struct buf b = BUF_INIT;
		struct err e = {{0}};
		ck_assert_msg(base64url_decode(&b, enc[i], &e), "%s", e.msg);
		ck_assert_uint_eq(b.len, strlen(plain[i]));
		if (b.len)
			ck_assert_mem_eq(b.data, plain[i], b.len);
		buf_free(&b);
	}
	/* '-' and '_' instead of '+' and '/'. */
	static const uint8_t bytes[] = {0xfb, 0xff, 0xbf};
	char out[8];
	base64url_encode(out, bytes, 3);
	ck_assert_str_eq(out, "-_-_");
	struct buf b = BUF_INIT;
	struct err e = {{0}};
	ck_assert(!base64url_decode(&b, "Zm9v=", &e));
	ck_assert(!base64url_decode(&b, "Zm+v", &e));
	ck_assert(!base64url_decode(&b, "Zh", &e)); /* non-zero trailing bits */
	ck_assert(!base64url_decode(&b, "Z", &e));
	buf_free(&b);
}
END_TEST

START_TEST(test_err_prefix)
{
	struct err e = {{0}};
	ck_assert(!err_set(&e, "disk full"));
	ck_assert(!err_prefix(&e, "writing %s: ", "x.bin"));
	ck_assert_str_eq(e.msg, "writing x.bin: disk full");
	ck_assert(!err_set(NULL, "ignored"));
}
END_TEST

static const char *t_str;
static uint64_t t_num;
static bool t_flag;
static struct strlist t_list;
static const struct opt table[] = {
	{"name", 0, OPT_STRING, &t_str, "S", "a string", "dflt", true},
	{"count", 'c', OPT_U64, &t_num, "N", "a number", "7", true},
	{"flag", 0, OPT_BOOL, &t_flag, NULL, "a flag", "false", true},
	{"item", 0, OPT_LIST, &t_list, "X", "a list", NULL, false},
	OPT_END,
};

START_TEST(test_config_precedence)
{
	struct err e = {{0}};
	config_register(table);
	ck_assert(config_apply_defaults(NULL, &e));
	ck_assert_str_eq(t_str, "dflt");
	ck_assert_uint_eq(t_num, 7);

	char path[] = "/tmp/assay-test-config-XXXXXX";
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	const char *text = "# comment\nname = \"from file\"\ncount=0x10\n\nflag = yes\n";
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	ck_assert_msg(config_load_file(path, &e), "%s", e.msg);
	ck_assert_str_eq(t_str, "from file");
	ck_assert_uint_eq(t_num, 16);
	ck_assert(t_flag);

	setenv("ASSAY_COUNT", "99", 1);
	ck_assert(config_load_env(&e));
	ck_assert_uint_eq(t_num, 99);
	setenv("ASSAY_COUNT", "ninety", 1);
	ck_assert(!config_load_env(&e));
	ck_assert_str_eq(e.msg, "ASSAY_COUNT: count must be a non-negative integer, not 'ninety'");
	unsetenv("ASSAY_COUNT");

	FILE *f = fopen(path, "w");
	fputs("count = -3\n", f);
	fclose(f);
	ck_assert(!config_load_file(path, &e));
	ck_assert_msg(strstr(e.msg, ":1: count must be a non-negative integer") != NULL, "%s", e.msg);
	f = fopen(path, "w");
	fputs("colour = blue\n", f);
	fclose(f);
	ck_assert(!config_load_file(path, &e));
	ck_assert_msg(strstr(e.msg, "unknown setting 'colour'") != NULL, "%s", e.msg);
	f = fopen(path, "w");
	fputs("item = a\n", f); /* not a config option */
	fclose(f);
	ck_assert(!config_load_file(path, &e));
	unlink(path);
	ck_assert(!config_load_file(path, &e));
	ck_assert_msg(strstr(e.msg, "cannot open config file") != NULL, "%s", e.msg);

	const struct opt *o = config_find(NULL, "item");
	ck_assert_ptr_nonnull(o);
	ck_assert(config_set(o, "a", "test", &e));
	ck_assert(config_set(o, "b", "test", &e));
	ck_assert_uint_eq(t_list.n, 2);
	ck_assert_str_eq(t_list.v[1], "b");
	ck_assert_ptr_eq(config_find_short(NULL, 'c'), &table[1]);
	free(t_list.v);
	t_list.v = NULL;
	t_list.n = 0;
	config_free_all();
}
END_TEST

START_TEST(test_parse_u64_and_atomic_file)
{
	uint64_t v;
	ck_assert(parse_u64("18446744073709551615", &v));
	ck_assert(v == UINT64_MAX);
	ck_assert(!parse_u64("18446744073709551616", &v));
	ck_assert(!parse_u64("-1", &v));
	ck_assert(!parse_u64("12x", &v));
	ck_assert(!parse_u64("", &v));
	ck_assert(!parse_u64("0x", &v));
	ck_assert(parse_u64("0xff", &v) && v == 255);

	char dir[] = "/tmp/assay-test-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/f.bin", dir);
	struct err e = {{0}};
	ck_assert(write_file_atomic(path, "hello", 5, 0600, &e));
	uint8_t *data;
	size_t len;
	ck_assert(read_file(path, 100, &data, &len, &e));
	ck_assert_uint_eq(len, 5);
	ck_assert_mem_eq(data, "hello", 5);
	free(data);
	ck_assert(!read_file(path, 4, &data, &len, &e));
	struct stat st;
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 0777, 0600);
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(test_log_levels)
{
	enum log_level l;
	ck_assert(log_parse_level("warn", &l) && l == LOG_WARN);
	ck_assert(!log_parse_level("loud", &l));
	enum log_format f;
	ck_assert(log_parse_format("json", &f) && f == LOG_FORMAT_JSON);
	ck_assert(!log_parse_format("xml", &f));
	/* Below the level, arguments are not evaluated. */
	int calls = 0;
	log_set_level(LOG_ERROR);
	log_info("%d", ++calls);
	ck_assert_int_eq(calls, 0);
	log_set_level(LOG_INFO);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("core");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_buf_grows_and_appends);
	tcase_add_test(tc, test_hex);
	tcase_add_test(tc, test_base64url);
	tcase_add_test(tc, test_err_prefix);
	tcase_add_test(tc, test_config_precedence);
	tcase_add_test(tc, test_parse_u64_and_atomic_file);
	tcase_add_test(tc, test_log_levels);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
