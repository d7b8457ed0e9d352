/* Argument validation from the registry table (CALL-2, CALL-3, ENV-3, SCOPE-1, SCOPE-4). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sjson.h"
#include "testreg.h"
#include "validate.h"

TestSuite(validate, .init = testreg_setup, .fini = testreg_teardown);

/* Validates body against fn; returns the details as compact "name/type" pairs
 * ("" when valid), e.g. "a/missing b/type". */
static char *violations(const char *fn, const char *body)
{
	static char out[512];
	const struct registry_fn *f = registry_find(&testreg, fn, strlen(fn));
	cr_assert_not_null(f);
	cJSON *args = sjson_parse(body, strlen(body), NULL, 0), *details = NULL;
	cr_assert_not_null(args, "%s", body);
	int r = validate_args(f, args, &details);
	out[0] = '\0';
	if (r == 0) {
		cr_assert_null(details);
	} else {
		cr_assert_eq(r, 1);
		for (cJSON *v = details->child; v; v = v->next) {
			cJSON *loc = cJSON_GetObjectItem(v, "loc");
			cr_assert_str_eq(cJSON_GetArrayItem(loc, 0)->valuestring, "body");
			cr_assert(strlen(cJSON_GetObjectItem(v, "msg")->valuestring) > 0);
			const char *name = cJSON_GetArraySize(loc) > 1 ? cJSON_GetArrayItem(loc, 1)->valuestring : "";
			snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s/%s", out[0] ? " " : "", name,
				 cJSON_GetObjectItem(v, "type")->valuestring);
		}
	}
	cJSON_Delete(details);
	cJSON_Delete(args);
	return out;
}

Test(validate, every_violation_is_listed_sorted_by_loc)
{
	cr_assert_str_eq(violations("add", "{\"b\":\"x\",\"zz\":2}"), "a/missing b/type zz/extra");
	cr_assert_str_eq(violations("add", "{\"zz\":1,\"b\":1,\"B\":1,\"a\":1}"), "B/extra zz/extra");
}

Test(validate, a_non_object_body_is_one_type_violation)
{
	const char *bodies[] = {"[]", "\"x\"", "1", "null", "true"};
	for (size_t i = 0; i < 5; i++)
		cr_assert_str_eq(violations("echo", bodies[i]), "/type", "%s", bodies[i]);
}

Test(validate, integers_are_integer_tokens_within_range)
{
	cr_assert_str_eq(violations("add", "{\"a\":1,\"b\":2}"), "");
	cr_assert_str_eq(violations("add", "{\"a\":1.0,\"b\":1e2}"), "a/type b/type");
	cr_assert_str_eq(violations("add", "{\"a\":true,\"b\":\"1\"}"), "a/type b/type");
	cr_assert_str_eq(violations("add", "{\"a\":2147483648,\"b\":-2147483648}"), "");
	cr_assert_str_eq(violations("add", "{\"a\":2147483649,\"b\":-2147483649}"), "a/range b/range");
	cr_assert_str_eq(violations("add", "{\"a\":100000000000000000000000,\"b\":0}"), "a/range");
}

Test(validate, strings_count_code_points)
{
	char body[8192] = "{\"text\":\"";
	for (int i = 0; i < 1000; i++)
		strcat(body, "\xc3\xa9");
	strcat(body, "\"}");
	cr_assert_str_eq(violations("echo", body), "", "1000 two-byte characters fit");
	body[strlen(body) - 2] = '\0';
	strcat(body, "e\"}");
	cr_assert_str_eq(violations("echo", body), "text/length");
	cr_assert_str_eq(violations("echo", "{\"text\":\"\"}"), "text/length");
	cr_assert_str_eq(violations("save_draft", "{\"body\":\"\"}"), "");
}

Test(validate, null_for_an_optional_argument_is_a_type_violation)
{
	cr_assert_str_eq(violations("kv_set", "{\"key\":\"personal:a\",\"value\":1,\"if_rev\":null}"), "if_rev/type");
	cr_assert_str_eq(violations("kv_set", "{\"key\":\"personal:a\",\"value\":null}"), "", "value may be null");
	cr_assert_str_eq(violations("counter_incr", "{\"key\":\"personal:a\",\"by\":null}"), "by/type");
}

Test(validate, keys_must_match_the_scope_pattern)
{
	const char *bad[] = {"personal:../x", "personal:alice/x", "PERSONAL:x", "personal:x ", "personal:",
			     "private:x", "personal:a\\u0000", "personal:\xc3\xa9", "shared:a:b", ""};
	char body[256];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(body, sizeof body, "{\"key\":\"%s\"}", bad[i]);
		cr_assert_str_eq(violations("kv_get", body), "key/pattern", "%s", bad[i]);
	}
	cr_assert_str_eq(violations("kv_get", "{\"key\":5}"), "key/type");
	cr_assert_str_eq(violations("kv_get", "{\"key\":\"shared:A-z_0.9\"}"), "");
	char longkey[300] = "{\"key\":\"personal:";
	memset(longkey + strlen(longkey), 'a', 128);
	strcat(longkey, "\"}");
	cr_assert_str_eq(violations("kv_get", longkey), "");
	longkey[strlen(longkey) - 2] = '\0';
	strcat(longkey, "a\"}");
	cr_assert_str_eq(violations("kv_get", longkey), "key/pattern", "129 characters");
}

Test(validate, enum_misses_are_pattern_violations)
{
	cr_assert_str_eq(violations("kv_list", "{\"scope\":\"Personal\"}"), "scope/pattern");
	cr_assert_str_eq(violations("kv_list", "{\"scope\":\"shared\"}"), "");
}

Test(validate, values_over_64_kib_compact_are_length_violations)
{
	size_t n = 65536 - 2;	/* a string of n bytes serializes to n + 2 */
	char *body = malloc(n + 64);
	strcpy(body, "{\"key\":\"personal:a\",\"value\":\"");
	size_t at = strlen(body);
	memset(body + at, 'v', n);
	strcpy(body + at + n, "\"}");
	cr_assert_str_eq(violations("kv_set", body), "", "exactly 64 KiB");
	body[at + n] = 'v';
	strcpy(body + at + n + 1, "\"}");
	cr_assert_str_eq(violations("kv_set", body), "value/length");
	free(body);
}

Test(validate, defaults_are_filled_in)
{
	const struct registry_fn *f = registry_find(&testreg, "counter_incr", 12);
	cJSON *args = sjson_parse("{\"key\":\"shared:c\"}", 18, NULL, 0), *details = NULL;
	cr_assert_eq(validate_args(f, args, &details), 0);
	cJSON *by = cJSON_GetObjectItem(args, "by");
	cr_assert(sjson_is_integer(by));
	cr_assert_eq(by->valuedouble, 1.0);
	cJSON_Delete(args);
}

Test(validate, single_violation_helper)
{
	cJSON *d = validate_violation("token", "jti", "missing", "no jti");
	char *text = sjson_print(d, NULL);
	cr_assert_str_eq(text, "[{\"loc\":[\"token\",\"jti\"],\"type\":\"missing\",\"msg\":\"no jti\"}]");
	free(text);
	cJSON_Delete(d);
}
