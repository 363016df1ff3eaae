/* test_gateway_http.c: Range (RFC 9110 §14), conditional requests, sniffing and header
 * values of the gateway (gateway/http.h). */
#include <stdio.h>
#include <string.h>

#include "gateway/http.h"
#include "tests/harness/harness.h"

#define ONE(h, len, a, b)                                                               \
	do {                                                                            \
		struct gateway_range r = {0, 0};                                        \
		ck_assert_int_eq(gateway_range_parse(h, len, &r), GATEWAY_RANGE_ONE);   \
		ck_assert_uint_eq(r.first, a);                                          \
		ck_assert_uint_eq(r.last, b);                                           \
	} while (0)
#define KIND(h, len, k)                                                   \
	do {                                                              \
		struct gateway_range r;                                   \
		ck_assert_int_eq(gateway_range_parse(h, len, &r), k);     \
	} while (0)

START_TEST(test_range_forms)
{
	ONE("bytes=0-0", 100, 0, 0);
	ONE("bytes=0-", 100, 0, 99);
	ONE("bytes=10-19", 100, 10, 19);
	ONE("bytes=90-200", 100, 90, 99);
	ONE("bytes=-1", 100, 99, 99);
	ONE("bytes=-100", 100, 0, 99);
	ONE("bytes=-1000", 100, 0, 99);
	ONE("BYTES = 5-6", 100, 5, 6);
	ONE("bytes=99-", 100, 99, 99);
	ONE("bytes=0-18446744073709551615", 100, 0, 99);
	ONE("bytes=99999999999999999999999-,0-1", 100, 0, 1); /* saturated first-pos */
}
END_TEST

START_TEST(test_range_unsatisfiable)
{
	KIND("bytes=100-", 100, GATEWAY_RANGE_UNSATISFIABLE);
	KIND("bytes=100-200", 100, GATEWAY_RANGE_UNSATISFIABLE);
	KIND("bytes=-0", 100, GATEWAY_RANGE_UNSATISFIABLE);
	KIND("bytes=0-0", 0, GATEWAY_RANGE_UNSATISFIABLE);
	KIND("bytes=-5", 0, GATEWAY_RANGE_UNSATISFIABLE);
	KIND("bytes=200-300,100-", 100, GATEWAY_RANGE_UNSATISFIABLE);
}
END_TEST

START_TEST(test_range_ignored)
{
	KIND(NULL, 100, GATEWAY_RANGE_NONE);
	KIND("", 100, GATEWAY_RANGE_NONE);
	KIND("bytes=", 100, GATEWAY_RANGE_NONE);
	KIND("bytes=,", 100, GATEWAY_RANGE_NONE);
	KIND("bytes=5-4", 100, GATEWAY_RANGE_NONE);   /* last < first: invalid */
	KIND("bytes=a-b", 100, GATEWAY_RANGE_NONE);
	KIND("bytes=1-2x", 100, GATEWAY_RANGE_NONE);
	KIND("bytes=--1", 100, GATEWAY_RANGE_NONE);
	KIND("bytes 0-1", 100, GATEWAY_RANGE_NONE);
	KIND("items=0-1", 100, GATEWAY_RANGE_NONE);
	KIND("bytes=+1-2", 100, GATEWAY_RANGE_NONE);
	char many[2000] = "bytes=";
	for (int i = 0; i < 70; i++)
		snprintf(many + strlen(many), sizeof(many) - strlen(many), "%s%d-%d", i ? "," : "",
			 i * 10, i * 10);
	KIND(many, 10000, GATEWAY_RANGE_NONE); /* more than GATEWAY_MAX_RANGES */
}
END_TEST

START_TEST(test_range_several)
{
	KIND("bytes=0-9,20-29", 100, GATEWAY_RANGE_MULTI);
	ONE("bytes=0-9,5-19", 100, 0, 19);       /* overlapping */
	ONE("bytes=10-19,0-9", 100, 0, 19);      /* adjacent, out of order */
	ONE("bytes=0-1, ,2-3", 100, 0, 3);       /* empty list elements */
	ONE("bytes=0-9,200-300", 100, 0, 9);     /* the unsatisfiable one drops out */
	ONE("bytes=-10,90-95", 100, 90, 99);
}
END_TEST

START_TEST(test_conditionals)
{
	const char *tag = "\"abc\"";
	ck_assert(gateway_etag_none_match("\"abc\"", tag));
	ck_assert(gateway_etag_none_match("W/\"abc\"", tag)); /* weak comparison */
	ck_assert(gateway_etag_none_match("\"x\", \"abc\"", tag));
	ck_assert(gateway_etag_none_match("*", tag));
	ck_assert(!gateway_etag_none_match("\"abcd\"", tag));
	ck_assert(!gateway_etag_none_match("abc", tag));
	ck_assert(!gateway_etag_none_match(NULL, tag));
	ck_assert(!gateway_etag_none_match("\"unterminated", tag));
	ck_assert(gateway_if_range_match(NULL, tag));
	ck_assert(gateway_if_range_match("\"abc\"", tag));
	ck_assert(!gateway_if_range_match("W/\"abc\"", tag)); /* strong comparison */
	ck_assert(!gateway_if_range_match("Wed, 21 Oct 2015 07:28:00 GMT", tag));
	ck_assert(!gateway_if_range_match("\"abc\", \"d\"", tag));
}
END_TEST

START_TEST(test_sniff)
{
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"\x89PNG\r\n\x1a\n....", 12), "image/png");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"\xff\xd8\xff\xe0", 4), "image/jpeg");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"GIF89a", 6), "image/gif");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"RIFF\0\0\0\0WEBPVP8 ", 16), "image/webp");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"\0\0\0\x18" "ftypisom", 12), "video/mp4");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"\x1a\x45\xdf\xa3", 4), "video/webm");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"ID3\x03", 4), "audio/mpeg");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"OggS", 4), "audio/ogg");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"%PDF-1.7", 8), "application/pdf");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"  <!DOCTYPE html><p>", 20),
			 "text/html; charset=utf-8");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"<svg xmlns=", 11), "image/svg+xml");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"{\"a\": 1}", 8), "application/json");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"hello, w\xc3\xb6rld\n", 14),
			 "text/plain; charset=utf-8");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"text cut \xc3", 10),
			 "text/plain; charset=utf-8"); /* a sequence cut by the sample */
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"bin\0ary", 7), "application/octet-stream");
	ck_assert_str_eq(gateway_sniff((const uint8_t *)"\xc3\x28", 2), "application/octet-stream");
	ck_assert_str_eq(gateway_sniff(NULL, 0), "application/octet-stream");
}
END_TEST

START_TEST(test_header_values)
{
	ck_assert(gateway_media_type_ok("image/png"));
	ck_assert(gateway_media_type_ok("text/plain; charset=utf-8"));
	ck_assert(!gateway_media_type_ok("image"));
	ck_assert(!gateway_media_type_ok("/png"));
	ck_assert(!gateway_media_type_ok("image/"));
	ck_assert(!gateway_media_type_ok("text/html\r\nSet-Cookie: x=1"));
	ck_assert(!gateway_media_type_ok(""));
	char out[512];
	ck_assert(gateway_content_disposition("cat.gif", false, out, sizeof(out)));
	ck_assert_str_eq(out, "inline; filename=\"cat.gif\"; filename*=UTF-8''cat.gif");
	ck_assert(gateway_content_disposition("a \"b\"/c\xc3\xa9.txt", true, out, sizeof(out)));
	ck_assert_str_eq(out, "attachment; filename=\"a _b__c__.txt\"; "
			      "filename*=UTF-8''a%20%22b%22%2Fc%C3%A9.txt");
	ck_assert(!gateway_content_disposition("", false, out, sizeof(out)));
	ck_assert(!gateway_content_disposition("a\r\nb", false, out, sizeof(out)));
	ck_assert(!gateway_content_disposition("\xff\xfe", false, out, sizeof(out)));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("gateway_http");
	TCase *t = tcase_create("http");
	tcase_add_test(t, test_range_forms);
	tcase_add_test(t, test_range_unsatisfiable);
	tcase_add_test(t, test_range_ignored);
	tcase_add_test(t, test_range_several);
	tcase_add_test(t, test_conditionals);
	tcase_add_test(t, test_sniff);
	tcase_add_test(t, test_header_values);
	suite_add_tcase(s, t);
	return s;
}

int main(void)
{
	return harness_main(suite());
}
