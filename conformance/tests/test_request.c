/* Tests of building a step's request, the per-case identities, and how a failure renders it. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "b64.h"
#include "failure.h"
#include "identities.h"
#include "jsonx.h"
#include "request.h"

static cJSON *js(const char *s)
{
    char err[200];
    cJSON *j = jsonx_parse(s, strlen(s), err, sizeof err);
    cr_assert_not_null(j, "%s: %s", s, err);
    return j;
}

/* One case run of a suite with identities alice (USER) and bob (ADMIN, sharing alice's sub). */
struct env {
    struct fixture_suite suite;
    struct identities ids;
    struct vars *v;
};

static void env_init(struct env *e)
{
    memset(e, 0, sizeof *e);
    e->suite.identities = e->suite.root =
        js("{\"alice\":{\"role\":\"USER\"},\"bob\":{\"role\":\"ADMIN\",\"same_sub_as\":\"alice\"}}");
    identities_init(&e->ids, "run12345", 7, &e->suite, "s3cret", 1700000000);
    e->v = vars_new(identities_builtin, &e->ids);
}

static void env_clear(struct env *e)
{
    vars_free(e->v);
    identities_clear(&e->ids);
    identities_clear(NULL);
    cJSON_Delete(e->suite.root);
}

/* The payload of a compact token, decoded. */
static cJSON *payload(const char *token)
{
    const char *a = strchr(token, '.'), *b = a ? strchr(a + 1, '.') : NULL;
    cr_assert_not_null(b, "%s", token);
    char part[1024];
    snprintf(part, sizeof part, "%.*s", (int)(b - a - 1), a + 1);
    size_t n;
    unsigned char *dec = b64_decode(part, &n);
    cr_assert_not_null(dec);
    cJSON *j = js((const char *)dec);
    free(dec);
    return j;
}

Test(request, tokens_go_to_header_and_cookie_and_headers_follow_the_fixture)
{
    struct env e;
    env_init(&e);
    cJSON *spec = js("{\"method\":\"POST\",\"path\":\"/call/echo?c=${case}\",\"identity\":\"alice\","
                     "\"auth\":\"both\",\"cookie_identity\":\"bob\",\"headers\":{\"Accept\":null,"
                     "\"X-Two\":[\"a\",\"${run}\"]},\"json\":{\"who\":\"${sub:bob}\"}}");
    struct request rq = {0};
    char err[300];
    cr_assert_eq(request_build(&rq, spec, "http://h/afi", &e.ids, e.v, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(rq.url, "http://h/afi/call/echo?c=c7");
    cr_assert_eq(rq.nlines, 6);
    cr_assert_eq(strncmp(rq.lines[0], "Authorization: Bearer ", 22), 0, "%s", rq.lines[0]);
    cr_assert_eq(strncmp(rq.lines[1], "Cookie: afi_viewer=", 19), 0, "%s", rq.lines[1]);
    cr_assert_str_eq(rq.lines[2], "Content-Type: application/json");
    cr_assert_str_eq(rq.lines[3], "Accept:", "null removes the header");
    cr_assert_str_eq(rq.lines[4], "X-Two: a");
    cr_assert_str_eq(rq.lines[5], "X-Two: run12345");
    cr_assert_str_eq(rq.body, "{\"who\":\"rrun12345.7.alice\"}", "bob shares alice's sub");
    cr_assert_eq(rq.http.body_len, strlen(rq.body));
    cJSON *a = payload(rq.lines[0] + 22), *b = payload(rq.lines[1] + 19);
    cr_assert_str_eq(cJSON_GetObjectItem(a, "role")->valuestring, "USER");
    cr_assert_str_eq(cJSON_GetObjectItem(b, "role")->valuestring, "ADMIN");
    cr_assert_str_eq(cJSON_GetObjectItem(a, "sub")->valuestring, "rrun12345.7.alice");
    cr_assert_str_eq(cJSON_GetObjectItem(b, "jti")->valuestring, "jrun12345.7.bob");
    cJSON_Delete(a);
    cJSON_Delete(b);
    request_clear(&rq);
    request_clear(NULL);
    cJSON_Delete(spec);
    env_clear(&e);
}

Test(request, body_parts_repeat_and_unknown_identities_fail)
{
    struct env e;
    env_init(&e);
    cJSON *spec = js("{\"method\":\"PUT\",\"path\":\"/x\",\"headers\":{\"Transfer-Encoding\":\"chunked\"},"
                     "\"body_parts\":[{\"text\":\"ab\",\"repeat\":3},{\"b64\":\"AA==\"}]}");
    struct request rq = {0};
    char err[300];
    cr_assert_eq(request_build(&rq, spec, "http://h", &e.ids, e.v, err, sizeof err), 0, "%s", err);
    cr_assert_eq(rq.http.body_len, 7);
    cr_assert_eq(memcmp(rq.body, "ababab\0", 7), 0);
    cr_assert(rq.http.chunked);
    request_clear(&rq);
    cJSON_Delete(spec);
    spec = js("{\"method\":\"GET\",\"path\":\"/${nope}\"}");
    cr_assert_eq(request_build(&rq, spec, "http://h", &e.ids, e.v, err, sizeof err), -1);
    cr_assert_str_eq(err, "unknown variable ${nope}");
    request_clear(&rq);
    cr_assert_null(identities_token(&e.ids, "carol"));
    cr_assert_str_eq(e.ids.error, "unknown identity \"carol\"");
    cJSON_Delete(spec);
    env_clear(&e);
}

Test(failure, the_request_renders_with_its_body_cut_and_made_valid_utf8)
{
    char body[5000];
    memset(body, 'a', sizeof body);
    body[0] = '\xff';
    body[1] = '\0';
    struct request rq;
    request_get(&rq, "http://h/afi", "/health");
    rq.body = body;
    rq.http.body = body;
    rq.http.body_len = sizeof body;
    struct failure_list l = {0};
    struct failure_site at = {2, "second", &rq, 0};
    struct failure *f = failure_at(&l, &at, "ENV-1", NULL);
    failure_msg(f, "first %s", "line");
    failure_msg(f, "bell\a");
    cr_assert_str_eq(f->message, "first line\nbell\\u0007");
    cr_assert_str_eq(cJSON_GetObjectItem(f->request, "url")->valuestring, "http://h/afi/health");
    const char *got = cJSON_GetObjectItem(f->request, "body")->valuestring;
    cr_assert_eq(strncmp(got, "\xEF\xBF\xBD\xEF\xBF\xBD" "aaa", 9), 0, "an invalid byte and a NUL are U+FFFD");
    cr_assert_not_null(strstr(got, "\xE2\x80\xA6 (5000 bytes in all)"));
    cr_assert_eq(strlen(got), 6 + 4094 + strlen("\xE2\x80\xA6 (5000 bytes in all)"));
    cr_assert_null(f->response);
    cr_assert_not_null(strstr(f->curl, "curl -sS -i"));
    failure_add(&l, 3, NULL, NULL);
    failure_list_move_last(&l, 0);
    cr_assert_eq(l.v[0].step, 3);
    cr_assert_str_eq(l.v[1].requirement, "ENV-1");
    failure_list_truncate(&l, 1);
    cr_assert_eq(l.n, 1);
    failure_list_clear(&l);
    rq.body = NULL;
    request_clear(&rq);
}
