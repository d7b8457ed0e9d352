/* Tests of the JSON Schema subset validator and the SCH-4 canonical diff. */
#include <criterion/criterion.h>
#include <string.h>

#include "jsonx.h"
#include "schema.h"

static cJSON *J(const char *s)
{
    char err[200];
    cJSON *j = jsonx_parse(s, strlen(s), err, sizeof err);
    cr_assert_not_null(j, "%s: %s", s, err);
    return j;
}

static int valid(const char *schema, const char *value, char *msg)
{
    cJSON *s = J(schema), *v = J(value);
    int r = schema_validate(s, v, "$", msg, 400);
    cJSON_Delete(s);
    cJSON_Delete(v);
    return r;
}

#define KV "{\"type\":\"object\",\"properties\":{\"key\":{\"type\":\"string\",\"pattern\":\"^(personal|shared):[A-Za-z0-9_.-]{1,128}$\"}," \
           "\"rev\":{\"type\":\"integer\",\"minimum\":0},\"value\":{}},\"required\":[\"key\",\"rev\",\"value\"],\"additionalProperties\":false}"

Test(schema, keywords)
{
    char m[400];
    cr_assert(valid(KV, "{\"key\":\"personal:a\",\"rev\":0,\"value\":[1]}", m), "%s", m);
    cr_assert_not(valid(KV, "{\"key\":\"personal:a\",\"rev\":1.0,\"value\":1}", m));
    cr_assert(strstr(m, "$.rev: schema keyword type (\"integer\") violated by 1.0"), "%s", m);
    cr_assert_not(valid(KV, "{\"key\":\"personal:a\",\"rev\":-1,\"value\":1}", m));
    cr_assert(strstr(m, "minimum"), "%s", m);
    cr_assert_not(valid(KV, "{\"key\":\"PERSONAL:a\",\"rev\":1,\"value\":1}", m));
    cr_assert(strstr(m, "$.key: schema keyword pattern"), "%s", m);
    cr_assert_not(valid(KV, "{\"key\":\"personal:a\",\"rev\":1}", m));
    cr_assert(strstr(m, "required"), "%s", m);
    cr_assert_not(valid(KV, "{\"key\":\"personal:a\",\"rev\":1,\"value\":1,\"x\":2}", m));
    cr_assert(strstr(m, "$.x: schema keyword additionalProperties"), "%s", m);
    cr_assert(valid("{\"type\":\"string\",\"maxLength\":2}", "\"\xC3\xA9\xC3\xA9\"", m), "code points, not bytes");
    cr_assert_not(valid("{\"type\":\"string\",\"minLength\":3}", "\"\xC3\xA9\xC3\xA9\"", m));
    cr_assert(valid("{\"const\":true}", "true", m));
    cr_assert_not(valid("{\"const\":\"1\"}", "1", m));
    cr_assert_not(valid("{\"enum\":[\"USER\",\"ADMIN\"]}", "\"admin\"", m));
    cr_assert(strstr(m, "enum"));
    cr_assert(valid("{\"maximum\":5}", "5", m));
    cr_assert_not(valid("{\"maximum\":5}", "5.5", m));
    cr_assert_not(valid("{\"type\":\"array\",\"items\":{\"type\":\"string\"}}", "[\"a\",2]", m));
    cr_assert(strstr(m, "$[1]: schema keyword type"), "%s", m);
    cr_assert(valid("{\"type\":[\"string\",\"null\"]}", "null", m));
    cr_assert(valid("{\"type\":\"number\"}", "3", m));
}

Test(schema, canonical_diff)
{
    cJSON *a = J("{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"x\"},\"paths\":{\"/call/e\":{\"post\":{\"summary\":\"s\",\"x\":[1,2]}}}}");
    cJSON *b = J("{\"paths\":{\"/call/e\":{\"post\":{\"x\":[1,3],\"description\":\"d\"}}},\"openapi\":\"3.1.0\",\"servers\":[],\"extra\":1}");
    cJSON *ca = schema_canonical(a), *cb = schema_canonical(b);
    char *pa = jsonx_print(ca);
    cr_assert_str_eq(pa, "{\"openapi\":\"3.1.0\",\"paths\":{\"/call/e\":{\"post\":{\"x\":[1,2]}}}}");
    free(pa);
    struct matcher_diffs d = {0};
    cr_assert_eq(schema_diff(ca, cb, "$", &d), 2);
    cr_assert_str_eq(d.v[0].path, "$.paths[\"/call/e\"].post.x[1]");
    cr_assert_str_eq(d.v[0].expected, "2");
    cr_assert_str_eq(d.v[0].actual, "3");
    cr_assert_str_eq(d.v[1].path, "$.extra");
    cr_assert_str_eq(d.v[1].expected, "(absent)");
    matcher_diffs_clear(&d);
    cr_assert_eq(schema_diff(ca, ca, "$", &d), 0);
    cJSON_Delete(a); cJSON_Delete(b); cJSON_Delete(ca); cJSON_Delete(cb);
}
