/* Tests of the run-wide checks on answers built by hand (no target needed). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "runwide.h"

/* Runs the checks on one answer (headers: "name: value" lines, lower-case
 * names) to method path; returns how many failures out holds then. */
static size_t check(struct failure_list *out, const struct runwide *w, const char *method, const char *path,
                    long status, const char *const *headers, const char *body)
{
    char *names[4], *values[4], lines[4][200];
    struct http_response res = {.status = status, .hnames = names, .hvalues = values};
    for (; headers && headers[res.nh]; res.nh++) {
        snprintf(lines[res.nh], sizeof lines[0], "%s", headers[res.nh]);
        char *colon = strchr(lines[res.nh], ':');
        *colon = '\0';
        names[res.nh] = lines[res.nh];
        values[res.nh] = colon + 2;
    }
    res.body = (char *)body;
    res.body_len = strlen(body);
    char err[200] = "";
    cJSON *parsed = jsonx_parse(body, strlen(body), err, sizeof err);
    struct request rq;
    request_get(&rq, "http://h/afi", path);
    free(rq.method);
    rq.http.method = rq.method = strdup(method);
    struct failure_site at = {1, "step 1", &rq, 0};
    runwide_check(w, &at, &res, parsed, err, out);
    request_clear(&rq);
    cJSON_Delete(parsed);
    return out->n;
}

static const char *const json[] = {"content-type: application/json", NULL};

Test(runwide, a_good_envelope_passes_and_a_wrong_status_is_env2)
{
    struct runwide w = {0};
    struct failure_list out = {0};
    cr_assert_eq(check(&out, &w, "GET", "/nope", 404, json,
                       "{\"error\":{\"code\":\"not_found\",\"message\":\"no\",\"details\":null}}"), 0);
    cr_assert_eq(check(&out, &w, "POST", "/call/echo", 400, json,
                       "{\"error\":{\"code\":\"validation_error\",\"message\":\"x\",\"details\":[]}}"), 1);
    cr_assert_str_eq(out.v[0].requirement, "ENV-2");
    cr_assert(out.v[0].runwide);
    cr_assert_not_null(strstr(out.v[0].message, "which goes with status 422"), "%s", out.v[0].message);
    cr_assert_not_null(out.v[0].curl);
    failure_list_clear(&out);
    failure_list_clear(NULL);
}

Test(runwide, unavailable_goes_with_503_only)
{
    struct runwide w = {0};
    struct failure_list out = {0};
    cr_assert_eq(check(&out, &w, "GET", "/health", 503, json,
                       "{\"error\":{\"code\":\"unavailable\",\"message\":\"store down\",\"details\":null}}"), 0);
    cr_assert_eq(check(&out, &w, "POST", "/call/kv_get", 500, json,
                       "{\"error\":{\"code\":\"unavailable\",\"message\":\"x\",\"details\":null}}"), 1);
    cr_assert_not_null(strstr(out.v[0].message, "which goes with status 503"), "%s", out.v[0].message);
    failure_list_clear(&out);
}

Test(runwide, a_plain_text_error_is_env1_and_a_bare_401_is_env7)
{
    static const char *const plain[] = {"content-type: text/plain", NULL};
    static const char *const challenge[] = {"content-type: application/json",
                                            "www-authenticate: Bearer error=\"invalid_token\"", NULL};
    struct runwide w = {0};
    struct failure_list out = {0};
    cr_assert_eq(check(&out, &w, "GET", "/context/user", 401, plain, "Unauthorized"), 2);
    cr_assert_str_eq(out.v[0].requirement, "ENV-1");
    cr_assert_str_eq(out.v[1].requirement, "ENV-7");
    cr_assert_not_null(strstr(out.v[1].message, "expected \"Bearer ...\", got (absent)"), "%s", out.v[1].message);
    failure_list_clear(&out);
    cr_assert_eq(check(&out, &w, "GET", "/context/user", 401, challenge,
                       "{\"error\":{\"code\":\"token_expired\",\"message\":\"x\",\"details\":null}}"), 0);
}

Test(runwide, an_unsorted_invalidate_is_call5_and_no_schema_is_sch3)
{
    struct runwide w = {0};
    struct failure_list out = {0};
    strcpy(w.schema_error, "GET /schema answered 500");
    cr_assert_eq(check(&out, &w, "POST", "/call/add", 200, json, "{\"result\":1,\"invalidate\":[\"b\",\"a\"]}"), 1);
    cr_assert_str_eq(out.v[0].requirement, "CALL-5");
    cr_assert_eq(check(&out, &w, "POST", "/call/add", 200, json, "{\"result\":1,\"invalidate\":[]}"), 2);
    cr_assert_str_eq(out.v[1].requirement, "SCH-3");
    cr_assert_not_null(strstr(out.v[1].message, "GET /schema answered 500"), "%s", out.v[1].message);
    failure_list_clear(&out);
}

Test(runwide, a_schema_that_changes_is_sch4)
{
    char err[100];
    struct runwide w = {0};
    const char *canon = "{\"openapi\":\"3.1.0\"}";
    w.schema_canon = jsonx_parse(canon, strlen(canon), err, sizeof err);
    cr_assert_not_null(w.schema_canon, "%s", err);
    struct failure_list out = {0};
    cr_assert_eq(check(&out, &w, "GET", "/schema", 200, json, "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"x\"}}"), 0,
                 "info is not part of the canonical form");
    cr_assert_eq(check(&out, &w, "GET", "/schema", 200, json, "{\"openapi\":\"3.0.3\"}"), 1);
    cr_assert_str_eq(out.v[0].requirement, "SCH-4");
    cr_assert_eq(out.v[0].diffs.n, 1);
    cr_assert_str_eq(out.v[0].diffs.v[0].path, "$.openapi");
    failure_list_clear(&out);
    runwide_clear(&w);
    runwide_clear(NULL);
}
