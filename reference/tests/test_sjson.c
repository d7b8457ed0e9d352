/* The strict JSON parser and the verbatim printer (CALL-3, SCOPE-4). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sjson.h"

static cJSON *parse_n(const char *text, size_t len)
{
	char err[128];
	return sjson_parse(text, len, err, sizeof err);
}

static cJSON *parse(const char *text)
{
	return parse_n(text, strlen(text));
}

/* Prints v compactly and compares the text with want. */
static void prints_as(const cJSON *v, const char *want)
{
	char *out = sjson_print(v, NULL);
	cr_assert_str_eq(out, want);
	free(out);
}

/* Parses text and prints it back compactly. */
static void roundtrip(const char *text, const char *want)
{
	cJSON *v = parse(text);
	cr_assert_not_null(v, "parsing %s", text);
	prints_as(v, want);
	cJSON_Delete(v);
}

static void refused(const char *text, size_t len)
{
	char err[128] = "";
	cJSON *v = sjson_parse(text, len, err, sizeof err);
	cr_assert_null(v, "accepted %.*s", (int)(len > 60 ? 60 : len), text);
	cr_assert(err[0], "a refusal says why");
}

Test(sjson, accepts_every_kind_of_value)
{
	roundtrip(" {\"a\" : [1, -2.5e3, true, false, null, \"x\"], \"b\": {}} \n", "{\"a\":[1,-2.5e3,true,false,null,\"x\"],\"b\":{}}");
	roundtrip("\"\"", "\"\"");
	roundtrip("0", "0");
	roundtrip("-0", "-0");
	roundtrip("[]", "[]");
}

Test(sjson, numbers_round_trip_as_written)
{
	roundtrip("9007199254740992", "9007199254740992");
	roundtrip("[1.0,1e2,1E+2,0.1,123456789012345678901234567890]", "[1.0,1e2,1E+2,0.1,123456789012345678901234567890]");
}

Test(sjson, integer_tokens_are_tracked)
{
	cJSON *v = parse("[1,1.0,1e2,-7,true]");
	cr_assert(sjson_is_integer(cJSON_GetArrayItem(v, 0)));
	cr_assert_not(sjson_is_integer(cJSON_GetArrayItem(v, 1)));
	cr_assert_not(sjson_is_integer(cJSON_GetArrayItem(v, 2)));
	cr_assert(sjson_is_integer(cJSON_GetArrayItem(v, 3)));
	cr_assert_not(sjson_is_integer(cJSON_GetArrayItem(v, 4)));
	cr_assert_eq(cJSON_GetArrayItem(v, 3)->valuedouble, -7.0);
	cJSON_Delete(v);
}

Test(sjson, strings_decode_escapes_and_keep_nul)
{
	cJSON *v = parse("\"a\\n\\u00e9\\ud83d\\ude00\\u0000z\\/\"");
	cr_assert_not_null(v);
	cr_assert_str_eq(v->valuestring, "a\n\xc3\xa9\xf0\x9f\x98\x80\xc0\x80z/");
	cr_assert_eq(sjson_codepoints(v->valuestring), 7);
	prints_as(v, "\"a\\n\xc3\xa9\xf0\x9f\x98\x80\\u0000z/\"");
	cJSON_Delete(v);
}

Test(sjson, keys_differing_after_nul_are_distinct)
{
	cJSON *v = parse("{\"a\\u0000b\":1,\"a\\u0000c\":2}");
	cr_assert_not_null(v, "not duplicates");
	cJSON_Delete(v);
	refused("{\"a\\u0000b\":1,\"a\\u0000b\":2}", 26);
}

Test(sjson, refuses_what_rfc_8259_refuses)
{
	const char *bad[] = {
		"", "   ", "{} x", "{}{}", "\xef\xbb\xbf{}", "{'a':1}", "{\"a\":1,}", "[1,]", "{\"a\" 1}",
		"NaN", "Infinity", "-Infinity", "01", "-01", "1.", ".5", "1e", "+1", "0x10", "tru", "nul",
		"\"abc", "\"\\x\"", "\"\\u12\"", "[1 2]", "{1:2}", "/* c */ {}", "{} // c", "1e400", "-1e400",
		"\"\t\"", "\"a\nb\"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused(bad[i], strlen(bad[i]));
}

Test(sjson, refuses_raw_nul_and_invalid_utf8)
{
	refused("\"a\0b\"", 5);
	refused("{}\0", 3);
	const char *bad[] = {
		"\"\xff\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"", "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"",
		"\"\xc3\"", "\"\x80\"", "\"\xf0\x9f\x98\"",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused(bad[i], strlen(bad[i]));
	roundtrip("\"\xf4\x8f\xbf\xbf\"", "\"\xf4\x8f\xbf\xbf\"");
}

Test(sjson, refuses_lone_surrogates)
{
	const char *bad[] = {"\"\\ud800\"", "\"\\udc00\"", "\"\\ud800x\"", "\"\\ud800\\u0041\"", "\"\\ud800\\ud800\""};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		refused(bad[i], strlen(bad[i]));
}

Test(sjson, refuses_duplicate_keys_at_any_depth)
{
	refused("{\"a\":1,\"a\":2}", 13);
	refused("[{\"x\":{\"b\":1,\"c\":2,\"b\":3}}]", 27);
	/* Large objects take the sorting path. */
	char big[2048] = "{";
	for (int i = 0; i < 100; i++)
		sprintf(big + strlen(big), "\"k%d\":%d,", i, i);
	strcat(big, "\"k42\":0}");
	refused(big, strlen(big));
	big[strlen(big) - 7] = 'z';
	cJSON *v = parse(big);
	cr_assert_not_null(v, "distinct keys are fine");
	cr_assert_eq(cJSON_GetArraySize(v), 101);
	cJSON_Delete(v);
}

Test(sjson, nesting_limit_is_512)
{
	size_t n = 100000;
	char *deep = malloc(2 * n);
	memset(deep, '[', n);
	memset(deep + n, ']', n);
	refused(deep, 2 * n);
	cJSON *v = parse_n(deep + n - 512, 1024);
	cr_assert_not_null(v, "512 levels are accepted");
	cJSON_Delete(v);
	refused(deep + n - 513, 1026);
	memset(deep, '{', n);
	refused(deep, n);
	free(deep);
}

Test(sjson, created_numbers_print_as_integers_when_integral)
{
	cJSON *a = cJSON_CreateArray();
	cJSON_AddItemToArray(a, cJSON_CreateNumber(4294967296.0));
	cJSON_AddItemToArray(a, cJSON_CreateNumber(0.5));
	cJSON_AddItemToArray(a, sjson_integer(-9007199254740992LL));
	prints_as(a, "[4294967296,0.5,-9007199254740992]");
	cJSON_Delete(a);
}

Test(sjson, raw_items_print_verbatim_and_control_chars_are_escaped)
{
	cJSON *o = cJSON_CreateObject();
	cJSON *raw = cJSON_CreateRaw("{\"n\":1.0}");
	cJSON_AddItemToObject(o, "v", raw);
	cJSON_AddStringToObject(o, "s", "q\"b\\\x01\t");
	prints_as(o, "{\"v\":{\"n\":1.0},\"s\":\"q\\\"b\\\\\\u0001\\t\"}");
	cJSON_Delete(o);
}

Test(sjson, cjson_arrays_built_here_stay_usable)
{
	cJSON *v = parse("[1,2,3]");
	cr_assert_eq(cJSON_GetArraySize(v), 3);
	cJSON_AddItemToArray(v, cJSON_CreateNumber(4));	/* relies on child->prev being the tail */
	prints_as(v, "[1,2,3,4]");
	cJSON_Delete(v);
}
