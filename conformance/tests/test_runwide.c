/* Tests of the run-wide checks on answers built by hand (no target needed). */
#include <criterion/criterion.h>
#include <string.h>

#include "jsonx.h"
#include "runwide.h"

/* An answer with one Content-Type (NULL: none) and a body; headers borrowed. */
struct answer {
    struct http_response res;
    char *names[2], *values[2];
    cJSON *body;
};

static void answer(struct answer *a, long status, const char *ctype, const char *wwwauth, const char *body)
{
    memset(a, 0, sizeof *a);
    a->res.status = status;
    a->res.hnames = a->names;
    a->res.hvalues = a->values;
    if (ctype) {
        a->names[a->res.nh] = "content-type";
        a->values[a->res.nh++] = (char *)ctype;
    }
    if (wwwauth) {
        a->names[a->res.nh] = "www-authenticate";
        a->values[a->res.nh++] = (char *)wwwauth;
    }
    a->res.body = (char *)body;
    a->res.body_len = strlen(body);
    char err[200];
    a->body = jsonx_parse(body, strlen(body), err, sizeof err);
}

/* The failures runwide_check finds in the answer to method path. */
static void check(struct failure_list *out, const struct runwide *w, const char *method, const char *path,
                  struct answer *a)
{
    struct request rq;
    request_get(&rq, "http://h/afi", path);
    free(rq.method);
    rq.method = strdup(method);
    rq.http.method = rq.method;
    struct failure_site at = {1, "step 1", &rq};
    runwide_check(w, &at, &a->res, a->body, "not JSON", out);
    request_clear(&rq);
    cJSON_Delete(a->body);
}

Test(runwide, a_good_envelope_passes_and_a_wrong_status_is_env2)
{
    struct runwide w = {0};
    struct failure_list out = {0};
    struct answer a;
    answer(&a, 404, "application/json", NULL, "{\"error\":{\"code\":\"not_found\",\"message\":\"no\",\"details\":null}}");
    check(&out, &w, "GET", "/nope", &a);
    cr_assert_eq(out.n, 0);
    answer(&a, 400, "application/json", NULL, "{\"error\":{\"code\":\"validation_error\",\"message\":\"x\",\"details\":[]}}");
    check(&out, &w, "POST", "/call/echo", &a);
    cr_assert_eq(out.n, 1);
    cr_assert_str_eq(out.v[0].requirement, "ENV-2");
    cr_assert(out.v[0].runwide);
    cr_assert_not_null(strstr(out.v[0].message, "which goes with status 422"), "%s", out.v[0].message);
    cr_assert_not_null(out.v[0].curl);
    failure_list_clear(&out);
    failure_list_clear(NULL);
}

Test(runwide, a_plain_text_error_is_env1_and_a_bare_401_is_env7)
{
    struct runwide w = {0};
    struct failure_list out = {0};
    struct answer a;
    answer(&a, 401, "text/plain", NULL, "Unauthorized");
    check(&out, &w, "GET", "/context/user", &a);
    cr_assert_eq(out.n, 2);
    cr_assert_str_eq(out.v[0].requirement, "ENV-1");
    cr_assert_str_eq(out.v[1].requirement, "ENV-7");
    cr_assert_not_null(strstr(out.v[1].message, "expected \"Bearer ...\", got (absent)"), "%s", out.v[1].message);
    failure_list_clear(&out);
}

Test(runwide, an_unsorted_invalidate_is_call5_and_no_schema_is_sch3)
{
    struct runwide w = {0};
    struct failure_list out = {0};
    struct answer a;
    strcpy(w.schema_error, "GET /schema answered 500");
    answer(&a, 200, "application/json", NULL, "{\"result\":1,\"invalidate\":[\"b\",\"a\"]}");
    check(&out, &w, "POST", "/call/add", &a);
    cr_assert_eq(out.n, 1);
    cr_assert_str_eq(out.v[0].requirement, "CALL-5");
    answer(&a, 200, "application/json", NULL, "{\"result\":1,\"invalidate\":[]}");
    check(&out, &w, "POST", "/call/add", &a);
    cr_assert_eq(out.n, 2);
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
    struct answer a;
    answer(&a, 200, "application/json", NULL, "{\"openapi\":\"3.1.0\",\"info\":{\"title\":\"ignored\"}}");
    check(&out, &w, "GET", "/schema", &a);
    cr_assert_eq(out.n, 0, "info is not part of the canonical form");
    answer(&a, 200, "application/json", NULL, "{\"openapi\":\"3.0.3\"}");
    check(&out, &w, "GET", "/schema", &a);
    cr_assert_eq(out.n, 1);
    cr_assert_str_eq(out.v[0].requirement, "SCH-4");
    cr_assert_eq(out.v[0].diffs.n, 1);
    cr_assert_str_eq(out.v[0].diffs.v[0].path, "$.openapi");
    failure_list_clear(&out);
    runwide_clear(&w);
    runwide_clear(NULL);
}
