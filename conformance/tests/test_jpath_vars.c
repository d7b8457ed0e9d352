/* Tests of JSON paths and ${name} substitution. */
#include <criterion/criterion.h>
#include <string.h>

#include "jpath.h"
#include "jsonx.h"
#include "vars.h"

static cJSON *J(const char *s)
{
    char err[200];
    return jsonx_parse(s, strlen(s), err, sizeof err);
}

Test(jpath, get)
{
    cJSON *j = J("{\"a\":{\"b\":[10,{\"c d\":\"x\"}]},\"$k\":1}");
    cr_assert_eq(jpath_get(j, "$"), j);
    cr_assert_eq(jpath_get(j, "$.a.b[0]")->valuedouble, 10);
    cr_assert_str_eq(jpath_get(j, "$.a.b[1][\"c d\"]")->valuestring, "x");
    cr_assert_str_eq(jpath_get(j, "$[\"a\"].b[1][\"c d\"]")->valuestring, "x");
    cr_assert_null(jpath_get(j, "$.a.b[2]"));
    cr_assert_null(jpath_get(j, "$.a.x.y"));
    cr_assert_null(jpath_get(j, "$.a[0]"));
    cJSON_Delete(j);
}

Test(jpath, check_and_build)
{
    char err[200];
    cr_assert_eq(jpath_check("$.a[3][\"x\"]", err, sizeof err), 0);
    cr_assert_eq(jpath_check("a.b", err, sizeof err), -1);
    cr_assert_eq(jpath_check("$.", err, sizeof err), -1);
    cr_assert_eq(jpath_check("$[x]", err, sizeof err), -1);
    cr_assert_eq(jpath_check("$[\"x", err, sizeof err), -1);
    char *p = jpath_key("$", "plain"), *q = jpath_key(p, "has space\""), *r = jpath_index(q, 2);
    cr_assert_str_eq(r, "$.plain[\"has space\\\"\"][2]");
    free(p); free(q); free(r);
    char *i0 = jpath_index("$", 0), *i1 = jpath_index("$.a", 1234567890), *i2 = jpath_index("$", -12);
    cr_assert_str_eq(i0, "$[0]");
    cr_assert_str_eq(i1, "$.a[1234567890]");
    cr_assert_str_eq(i2, "$[-12]");
    free(i0); free(i1); free(i2);
}

static char *bi(void *ctx, const char *name)
{
    (void)ctx;
    if (!strcmp(name, "run"))
        return strdup("abcd1234");
    if (!strcmp(name, "sub:alice"))
        return strdup("rabcd1234.3.alice");
    return NULL;
}

Test(vars, strings_and_typed_values)
{
    struct vars *v = vars_new(bi, NULL);
    cJSON *rev = J("3"), *big = J("9007199254740993");
    vars_set(v, "rev", rev);
    vars_set(v, "big", big);
    char err[200];
    char *s = vars_subst_string(v, "shared:${run}.x/${rev}/$/{x}", err, sizeof err);
    cr_assert_str_eq(s, "shared:abcd1234.x/3/$/{x}");
    free(s);
    cr_assert_null(vars_subst_string(v, "${nope}", err, sizeof err));
    cr_assert(strstr(err, "${nope}"));
    cJSON *t = J("{\"if_rev\":\"${rev}\",\"n\":\"${big}\",\"k\":\"personal:${sub:alice}\",\"arr\":[\"${rev}x\"]}");
    cJSON *o = vars_subst_json(v, t, err, sizeof err);
    char *p = jsonx_print(o);
    cr_assert_str_eq(p, "{\"if_rev\":3,\"n\":9007199254740993,\"k\":\"personal:rabcd1234.3.alice\",\"arr\":[\"3x\"]}");
    free(p);
    cJSON_Delete(o);
    cJSON_Delete(t);
    cJSON_Delete(rev);
    cJSON_Delete(big);
    vars_free(v);
}

Test(vars, a_tree_without_references_substitutes_to_itself)
{
    struct vars *v = vars_new(bi, NULL);
    char err[200];
    static const char *const plain[] = {"{\"${k}\":[1,2.50,true,null,\"$ {x}\",\"{}$\"],\"s\":\"x\"}", "[]", "7", "null"};
    for (size_t i = 0; i < sizeof plain / sizeof plain[0]; i++) {
        cJSON *t = J(plain[i]);
        cr_assert_not(vars_mentioned(t), "%s", plain[i]);
        cJSON *o = vars_subst_json(v, t, err, sizeof err);
        char *a = jsonx_print(t), *b = jsonx_print(o);
        cr_assert_str_eq(a, b, "the copy differs: skipping it would be wrong");
        free(a);
        free(b);
        cJSON_Delete(o);
        cJSON_Delete(t);
    }
    static const char *const refs[] = {"\"${run}\"", "{\"a\":{\"b\":[\"x${run}\"]}}", "[1,\"${nope}\"]"};
    for (size_t i = 0; i < sizeof refs / sizeof refs[0]; i++) {
        cJSON *t = J(refs[i]);
        cr_assert(vars_mentioned(t), "%s", refs[i]);
        cJSON_Delete(t);
    }
    cr_assert_not(vars_mentioned(NULL));
    vars_free(v);
}
