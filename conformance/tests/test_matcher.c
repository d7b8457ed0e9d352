/* Tests of the fixture matchers and the differences they report. */
#include <criterion/criterion.h>
#include <string.h>

#include "jsonx.h"
#include "matcher.h"

static cJSON *J(const char *s)
{
    char err[200];
    cJSON *j = jsonx_parse(s, strlen(s), err, sizeof err);
    cr_assert_not_null(j, "bad test JSON %s: %s", s, err);
    return j;
}

static int holds(const char *m, const char *v)
{
    cJSON *mj = J(m), *vj = v ? J(v) : NULL;
    char err[300];
    cr_assert_eq(matcher_validate(mj, "$", err, sizeof err), 0, "invalid matcher %s: %s", m, err);
    int r = matcher_match(mj, vj, "$", NULL);
    cJSON_Delete(mj);
    cJSON_Delete(vj);
    return r;
}

Test(matcher, scalars_and_integers)
{
    cr_assert(holds("1", "1"));
    cr_assert_not(holds("1", "1.0"));
    cr_assert_not(holds("1", "1e0"));
    cr_assert(holds("\"x\"", "\"x\""));
    cr_assert_not(holds("null", "false"));
    cr_assert_not(holds("1", NULL));
}

Test(matcher, objects_are_subsets_arrays_exact_length)
{
    cr_assert(holds("{\"a\":1}", "{\"a\":1,\"b\":2}"));
    cr_assert_not(holds("{\"a\":1,\"c\":3}", "{\"a\":1,\"b\":2}"));
    cr_assert(holds("[1,{\"x\":true}]", "[1,{\"x\":true,\"y\":0}]"));
    cr_assert_not(holds("[1]", "[1,2]"));
    cr_assert(holds("{\"$exact\":{\"a\":[1,2]}}", "{\"a\":[1,2]}"));
    cr_assert_not(holds("{\"$exact\":{\"a\":[1,2]}}", "{\"a\":[1,2],\"b\":0}"));
    cr_assert(holds("{\"$only\":{\"a\":{\"$type\":\"integer\"}}}", "{\"a\":5}"));
    cr_assert_not(holds("{\"$only\":{\"a\":{\"$type\":\"integer\"}}}", "{\"a\":5,\"b\":1}"));
}

Test(matcher, operators)
{
    cr_assert(holds("{\"$type\":\"number\"}", "1"));
    cr_assert_not(holds("{\"$type\":\"integer\"}", "1.5"));
    cr_assert(holds("{\"$type\":[\"null\",\"string\"]}", "null"));
    cr_assert(holds("{\"$regex\":\"^ab+c$\"}", "\"abbbc\""));
    cr_assert_not(holds("{\"$regex\":\"^ab+c$\"}", "\"abd\""));
    cr_assert(holds("{\"a\":{\"$absent\":true}}", "{\"b\":1}"));
    cr_assert_not(holds("{\"a\":{\"$absent\":true}}", "{\"a\":null}"));
    cr_assert(holds("{\"a\":{\"$any\":true}}", "{\"a\":null}"));
    cr_assert_not(holds("{\"a\":{\"$any\":true}}", "{}"));
    cr_assert(holds("{\"$len\":3}", "\"\xC3\xA9t\xC3\xA9\""));
    cr_assert(holds("{\"$len\":{\"$min\":2}}", "[1,2,3]"));
    cr_assert(holds("{\"$len\":2}", "{\"a\":1,\"b\":2}"));
    cr_assert(holds("{\"$min\":1,\"$max\":3}", "3"));
    cr_assert_not(holds("{\"$gt\":3}", "3"));
    cr_assert(holds("{\"$lt\":3.5}", "3"));
    cr_assert(holds("{\"$unordered\":[2,1,{\"$type\":\"string\"}]}", "[\"s\",1,2]"));
    cr_assert_not(holds("{\"$unordered\":[1,1]}", "[1,2]"));
    cr_assert(holds("{\"$contains\":[2]}", "[1,2,3]"));
    cr_assert_not(holds("{\"$contains\":[4]}", "[1,2,3]"));
    cr_assert(holds("{\"$distinct\":true}", "[1,2,3]"));
    cr_assert_not(holds("{\"$distinct\":true}", "[1,2,1]"));
    cr_assert(holds("{\"$sorted\":true}", "[\"B\",\"a\",\"b\"]"));
    cr_assert_not(holds("{\"$sorted\":true}", "[\"b\",\"a\"]"));
    cr_assert(holds("{\"$not\":{\"$type\":\"string\"}}", "1"));
    cr_assert(holds("{\"$all\":[{\"$min\":1},{\"$max\":2}]}", "2"));
    cr_assert(holds("{\"$anyof\":[\"x\",1]}", "1"));
    cr_assert_not(holds("{\"$anyof\":[\"x\",1]}", "2"));
}

Test(matcher, differences_name_the_json_path)
{
    cJSON *m = J("{\"error\":{\"code\":\"unknown_function\"}}");
    cJSON *v = J("{\"error\":{\"code\":\"not_found\"}}");
    struct matcher_diffs d = {0};
    cr_assert_not(matcher_match(m, v, "$", &d));
    cr_assert_eq(d.n, 1);
    cr_assert_str_eq(d.v[0].path, "$.error.code");
    cr_assert_str_eq(d.v[0].expected, "\"unknown_function\"");
    cr_assert_str_eq(d.v[0].actual, "\"not_found\"");
    matcher_diffs_clear(&d);
    cJSON_Delete(m);
    cJSON_Delete(v);
    m = J("{\"a\":[1,{\"b c\":2}]}");
    v = J("{\"a\":[1,{\"b c\":3}]}");
    matcher_match(m, v, "$", &d);
    cr_assert_str_eq(d.v[0].path, "$.a[1][\"b c\"]");
    matcher_diffs_clear(&d);
    cJSON_Delete(m);
    cJSON_Delete(v);
    m = J("{\"gone\":1}");
    v = J("{}");
    matcher_match(m, v, "$", &d);
    cr_assert_str_eq(d.v[0].actual, "(absent)");
    matcher_diffs_clear(&d);
    cJSON_Delete(m);
    cJSON_Delete(v);
}

static void invalid(const char *m, const char *where)
{
    cJSON *mj = J(m);
    char err[400] = "";
    cr_assert_eq(matcher_validate(mj, "$.expect.body", err, sizeof err), -1, "accepted %s", m);
    cr_assert(strstr(err, where), "error \"%s\" should name %s", err, where);
    cr_assert(strstr(err, "expected"), "error \"%s\" should say what was expected", err);
    cJSON_Delete(mj);
}

Test(matcher, validation)
{
    invalid("{\"$type\":\"int\"}", "$.expect.body.$type");
    invalid("{\"a\":{\"$nope\":1}}", "$.expect.body.a.$nope");
    invalid("{\"$len\":\"x\"}", "$.expect.body.$len");
    invalid("{\"$regex\":\"(\"}", "$.expect.body.$regex");
    invalid("{\"$min\":\"1\"}", "$.expect.body.$min");
    invalid("{\"$all\":{}}", "$.expect.body.$all");
    invalid("{\"$absent\":false}", "$.expect.body.$absent");
    invalid("{\"$type\":\"string\",\"a\":1}", "$.expect.body");
    invalid("[{\"$unordered\":[{\"$bad\":1}]}]", "$.expect.body[0].$unordered[0].$bad");
}

/* A failed $exact names each differing member by its own path. */
Test(matcher, exact_points_at_the_differing_path)
{
    cJSON *m = J("{\"$exact\":{\"key\":\"k\",\"value\":{\"a\":[1,2]},\"gone\":true}}");
    cJSON *v = J("{\"key\":\"k\",\"value\":{\"a\":[1,2.0]},\"extra\":0}");
    struct matcher_diffs d = {0};
    cr_assert_not(matcher_match(m, v, "$.result", &d));
    cr_assert_eq(d.n, 3);
    cr_assert_str_eq(d.v[0].path, "$.result.value.a[1]");
    cr_assert_str_eq(d.v[0].expected, "2");
    cr_assert_str_eq(d.v[0].actual, "2.0");
    cr_assert_str_eq(d.v[1].path, "$.result.gone");
    cr_assert_str_eq(d.v[1].actual, "(absent)");
    cr_assert_str_eq(d.v[2].path, "$.result.extra");
    matcher_diffs_clear(&d);
    cr_assert(matcher_match(m, m->child, "$.result", &d));
    cr_assert_eq(d.n, 0);
    cJSON_Delete(m);
    cJSON_Delete(v);
}
