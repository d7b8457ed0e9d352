/* Tests of the strict JSON parser: integer tokens, exact text, strictness. */
#include <criterion/criterion.h>
#include <string.h>

#include "jsonx.h"
#include "utf8.h"

static cJSON *parse(const char *s)
{
    char err[200];
    return jsonx_parse(s, strlen(s), err, sizeof err);
}

static void refuse(const char *s, const char *why)
{
    char err[200] = "";
    cJSON *j = jsonx_parse(s, strlen(s), err, sizeof err);
    cr_assert_null(j, "accepted %s", s);
    cr_assert(strstr(err, why), "error for %s was \"%s\", expected to mention \"%s\"", s, err, why);
}

Test(jsonx, keeps_number_tokens)
{
    cJSON *j = parse("{\"a\":1,\"b\":1.0,\"c\":1e0,\"d\":9007199254740993,\"e\":-0}");
    cr_assert_not_null(j);
    cr_assert(jsonx_is_integer(cJSON_GetObjectItem(j, "a")));
    cr_assert_not(jsonx_is_integer(cJSON_GetObjectItem(j, "b")));
    cr_assert_not(jsonx_is_integer(cJSON_GetObjectItem(j, "c")));
    cr_assert_str_eq(cJSON_GetObjectItem(j, "d")->valuestring, "9007199254740993");
    char *p = jsonx_print(j);
    cr_assert_str_eq(p, "{\"a\":1,\"b\":1.0,\"c\":1e0,\"d\":9007199254740993,\"e\":-0}");
    free(p);
    cJSON *dup = cJSON_Duplicate(j, 1);
    cr_assert(jsonx_equal(j, dup));
    cJSON_Delete(dup);
    cJSON_Delete(j);
}

Test(jsonx, equality_distinguishes_integers)
{
    cJSON *a = parse("[1, 9007199254740993]"), *b = parse("[1.0, 9007199254740993]"),
          *c = parse("[1, 9007199254740992]"), *d = parse("[1,9007199254740993]");
    cr_assert_not(jsonx_equal(a, b));
    cr_assert_not(jsonx_equal(a, c), "2^53+1 must differ from 2^53");
    cr_assert(jsonx_equal(a, d));
    cJSON *o1 = parse("{\"x\":1,\"y\":[true,null]}"), *o2 = parse("{\"y\":[true,null],\"x\":1}");
    cr_assert(jsonx_equal(o1, o2), "key order is irrelevant");
    cJSON_Delete(a); cJSON_Delete(b); cJSON_Delete(c); cJSON_Delete(d); cJSON_Delete(o1); cJSON_Delete(o2);
}

Test(jsonx, strictness)
{
    refuse("{\"a\":1,\"a\":2}", "duplicate key");
    refuse("[{\"b\":{\"x\":1,\"x\":1}}]", "duplicate key");
    refuse("{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,\"k7\":1,\"k8\":1,\"k9\":1,\"k3\":2}", "duplicate key \"k3\"");
    refuse("\"\xC3\x28\"", "invalid UTF-8");
    refuse("\"\xED\xA0\x80\"", "invalid UTF-8");
    refuse("\xEF\xBB\xBF{}", "byte-order mark");
    refuse("01", "leading zero");
    refuse("1e400", "double range");
    refuse("[1,]", "unexpected character");
    refuse("{} x", "trailing");
    refuse("   ", "value expected");
    refuse("NaN", "unexpected character");
    refuse("\"a\tb\"", "control character");
    refuse("'x'", "unexpected character");
    size_t n = 5000;
    char *deep = malloc(n + 1);
    memset(deep, '[', n);
    deep[n] = '\0';
    refuse(deep, "nesting deeper");
    free(deep);
}

Test(jsonx, strings_and_escapes)
{
    cJSON *j = parse("\"\\u00e9\\ud83d\\ude00\\n\\/\"");
    cr_assert_str_eq(j->valuestring, "\xC3\xA9\xF0\x9F\x98\x80\n/");
    cr_assert_eq(utf8_count(j->valuestring), 4);
    cJSON_Delete(j);
    char err[100];
    cJSON *nul = jsonx_parse("1", 1, err, sizeof err);
    cr_assert(jsonx_is_integer(nul));
    cJSON_Delete(nul);
}

Test(jsonx, print_short_truncates_on_a_character)
{
    cJSON *s = cJSON_CreateString("\xC3\xA9\xC3\xA9\xC3\xA9\xC3\xA9");
    char *p = jsonx_print_short(s, 4);
    cr_assert_str_eq(p, "\"\xC3\xA9\xE2\x80\xA6");
    free(p);
    cJSON_Delete(s);
}

Test(jsonx, nul_in_strings_survives)
{
    cJSON *j = parse("[\"a\\u0000b\"]");
    char *p = jsonx_print(j);
    cr_assert_str_eq(p, "[\"a\\u0000b\"]");
    free(p);
    cr_assert_eq(utf8_count(j->child->valuestring), 3);
    size_t n;
    char *b = jsonx_bytes(j->child->valuestring, &n);
    cr_assert_eq(n, 3);
    cr_assert_eq(memcmp(b, "a\0b", 3), 0);
    cJSON *t = jsonx_string_from_bytes(b, n);
    cr_assert(jsonx_equal(t, j->child));
    cJSON *other = parse("\"a\"");
    cr_assert_not(jsonx_equal(other, j->child), "a NUL does not end the string");
    free(b);
    cJSON_Delete(t);
    cJSON_Delete(other);
    cJSON_Delete(j);
}
