/* Tests of fixture loading: every problem names the file, the JSON path and what was expected. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "env2.h"
#include "fixture.h"
#include "jsonx.h"
#include "shorthand.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/afi-fx-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

static char *write_file(const char *name, const char *text)
{
    char *p = malloc(256);
    snprintf(p, 256, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs(text, f);
    fclose(f);
    return p;
}

static struct spec *test_spec(void)
{
    char *p = write_file("protocol.md", "# x\n#### ENV-1 \xC2\xB7 MUST \xC2\xB7 envelope\n"
                                        "#### ENV-9 \xC2\xB7 SHOULD \xC2\xB7 nice to have\n");
    char err[200];
    struct spec *s = spec_load(p, err, sizeof err);
    cr_assert_not_null(s, "%s", err);
    free(p);
    return s;
}

#define GOOD_CASE(id) \
    "{\"id\":\"" id "\",\"title\":\"t\",\"requirements\":[\"ENV-1\"],\"level\":\"core\"," \
    "\"steps\":[{\"request\":{\"method\":\"GET\",\"path\":\"/health\"},\"expect\":{\"status\":200}}]}"

static int has_error(const struct fixture_errors *e, const char *needle1, const char *needle2)
{
    for (size_t i = 0; i < e->n; i++)
        if (strstr(e->v[i], needle1) && strstr(e->v[i], needle2))
            return 1;
    return 0;
}

static void dump(const struct fixture_errors *e)
{
    for (size_t i = 0; i < e->n; i++)
        fprintf(stderr, "  %s\n", e->v[i]);
}

TestSuite(fixture, .init = setup, .fini = teardown);

Test(fixture, loads_a_good_suite_with_grades_from_the_spec)
{
    struct spec *spec = test_spec();
    char *p = write_file("a.json", "{\"suite\":\"a\",\"area\":\"ENV\",\"title\":\"A\",\"identities\":{\"alice\":{\"role\":\"ADMIN\"},"
                                   "\"alice2\":{\"same_sub_as\":\"alice\"},\"bob\":{\"same_jti_as\":\"alice\"}},\"cases\":[" GOOD_CASE("a.one") ","
                                   "{\"id\":\"a.two\",\"title\":\"t\",\"requirements\":[\"ENV-9\"],\"level\":\"full\",\"tags\":[\"robustness\"],"
                                   "\"steps\":[{\"name\":\"n\",\"request\":{\"method\":\"POST\",\"path\":\"/call/x\",\"identity\":\"alice2\","
                                   "\"json\":{\"a\":1},\"repeat\":4,\"concurrency\":2},\"expect\":{\"status\":[200,201],"
                                   "\"collect\":{\"path\":\"$.result\",\"match\":{\"$len\":4}}},\"capture\":{\"etag\":{\"header\":\"ETag\"}}}]}]}");
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    int rc = fixture_load_file(&set, p, spec, &errs);
    if (rc)
        dump(&errs);
    cr_assert_eq(rc, 0);
    cr_assert_eq(set.ncases, 2);
    cr_assert_not(set.cases[0]->should);
    cr_assert(set.cases[1]->should, "the grade comes from ENV-9's heading");
    cr_assert(set.cases[1]->full);
    cr_assert(set.cases[1]->robustness);
    cr_assert_eq(set.cases[1]->steps[0].repeat, 4);
    cr_assert_eq(set.cases[1]->steps[0].concurrency, 2);
    cr_assert_str_eq(fixture_sub_owner(set.suites[0], "alice2"), "alice");
    cr_assert_str_eq(fixture_sub_owner(set.suites[0], "bob"), "bob");
    cr_assert_str_eq(fixture_jti_owner(set.suites[0], "bob"), "alice");
    cr_assert_str_eq(fixture_jti_owner(set.suites[0], "alice2"), "alice2");
    fixture_set_free(&set);
    spec_free(spec);
    free(p);
}

Test(fixture, problems_name_file_path_and_expectation)
{
    struct spec *spec = test_spec();
    char *p = write_file("b.json",
        "{\"suite\":\"B\",\"area\":\"ENV\",\"title\":\"B\",\"identities\":{\"x\":{\"hostile\":\"evil\"},\"y\":{\"same_sub_as\":\"nobody\"},\"z\":{\"same_jti_as\":\"z\"}},"
        "\"cases\":[" GOOD_CASE("b.one") "," GOOD_CASE("b.one") ","
        "{\"id\":\"b.two\",\"title\":\"t\",\"requirements\":[\"NOPE-1\"],\"level\":\"core\",\"steps\":["
        "{\"request\":{\"method\":\"GET\",\"path\":\"health\",\"identity\":\"zed\",\"json\":1,\"body\":\"x\",\"repeat\":2000},"
        "\"expect\":{\"status\":99,\"body\":{\"$typo\":1},\"extra\":1},\"capture\":{\"v\":{\"body\":\"nope\"}}}]}]}");
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    cr_assert_eq(fixture_load_file(&set, p, spec, &errs), -1);
    cr_assert_eq(set.ncases, 0, "a bad suite is not added");
    cr_assert(has_error(&errs, "b.json: $.suite: expected", "^[a-z][a-z0-9-]*$"));
    cr_assert(has_error(&errs, "$.identities.x.hostile: expected a hostile kind", "\"evil\""));
    cr_assert(has_error(&errs, "$.identities.y.same_sub_as: expected", "\"nobody\""));
    cr_assert(has_error(&errs, "$.identities.z.same_jti_as: expected the name of another identity", "\"z\""));
    cr_assert(has_error(&errs, "$.cases[1].id: expected an id unique", "b.one"));
    cr_assert(has_error(&errs, "$.cases[2].requirements[0]: expected a requirement id", "NOPE-1"));
    cr_assert(has_error(&errs, "$.cases[2].steps[0].request.path: expected a path starting with '/'", "health"));
    cr_assert(has_error(&errs, "$.cases[2].steps[0].request.identity: expected an identity", "zed"));
    cr_assert(has_error(&errs, "$.cases[2].steps[0].request: expected at most one of", "json"));
    cr_assert(has_error(&errs, "$.cases[2].steps[0].request.repeat: expected an integer 1..1000", "2000"));
    cr_assert(has_error(&errs, "$.cases[2].steps[0].expect.status: expected an HTTP status", "100..599"));
    cr_assert(has_error(&errs, "$.cases[2].steps[0].expect.body.$typo: expected a known operator", "$exact"));
    cr_assert(has_error(&errs, "$.cases[2].steps[0].expect.extra: expected one of the keys", "unknown key"));
    cr_assert(has_error(&errs, "$.cases[2].steps[0].capture.v: expected a JSON path", "'$'"));
    fixture_errors_free(&errs);
    fixture_set_free(&set);
    spec_free(spec);
    free(p);
}

Test(fixture, not_json_and_cross_file_uniqueness)
{
    char *p = write_file("c.json", "{\"suite\":\"c\",}");
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    cr_assert_eq(fixture_load_file(&set, p, NULL, &errs), -1);
    cr_assert(has_error(&errs, "c.json: $: expected strict JSON", "byte"));
    fixture_errors_free(&errs);
    char *d1 = write_file("d1.json", "{\"suite\":\"d\",\"area\":\"ENV\",\"title\":\"D\",\"cases\":[" GOOD_CASE("d.x") "]}");
    char *d2 = write_file("d2.json", "{\"suite\":\"d\",\"area\":\"ENV\",\"title\":\"D\",\"cases\":[" GOOD_CASE("d.x") "]}");
    free(write_file("profile-schema.json", "not a suite"));
    free(write_file("fixture.schema.json", "not a suite"));
    unlink(p);
    free(p);
    char *pm = malloc(256);
    snprintf(pm, 256, "%s/protocol.md", dir);
    unlink(pm);
    cr_assert_eq(fixture_load_dir(&set, dir, NULL, &errs), -1);
    cr_assert_eq(set.nsuites, 1);
    cr_assert(has_error(&errs, "d2.json: $.suite: expected a suite name unique", "d1.json"));
    cr_assert(has_error(&errs, "d2.json: $.cases[0].id: expected an id unique", "d.x"));
    cr_assert_eq(errs.n, 2, "profile-schema.json and *.schema.json are not suites");
    fixture_errors_free(&errs);
    fixture_set_free(&set);
    free(d1);
    free(d2);
    free(pm);
}

/* A suite of n good cases e.0 .. e.(n-1), then the ids of extra (may be NULL). */
static char *many_cases(const char *suite, const char *prefix, int n, const char *extra)
{
    size_t cap = (size_t)n * 256 + 1024, len = 0;
    char *s = malloc(cap);
    len += (size_t)snprintf(s, cap, "{\"suite\":\"%s\",\"area\":\"ENV\",\"title\":\"M\",\"cases\":[", suite);
    for (int i = 0; i < n + (extra != NULL); i++) {
        char id[80];
        snprintf(id, sizeof id, "%s.%d", prefix, i);
        len += (size_t)snprintf(s + len, cap - len,
                                "%s{\"id\":\"%s\",\"title\":\"t\",\"requirements\":[\"ENV-1\"],\"level\":\"core\","
                                "\"steps\":[{\"request\":{\"method\":\"GET\",\"path\":\"/health\"},"
                                "\"expect\":{\"status\":200}}]}",
                                i ? "," : "", i < n ? id : extra);
    }
    snprintf(s + len, cap - len, "]}");
    return s;
}

Test(fixture, ids_stay_unique_across_many_cases_and_rejected_suites_leave_none)
{
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    char *text = many_cases("m1", "m", 500, NULL);
    char *p1 = write_file("m1.json", text);
    free(text);
    cr_assert_eq(fixture_load_file(&set, p1, NULL, &errs), 0);
    dump(&errs);
    cr_assert_eq(set.ncases, 500);
    /* A later suite repeating one early id of the first and one of its own. */
    text = many_cases("m2", "n", 300, "m.7");
    char *p2 = write_file("m2.json", text);
    free(text);
    cr_assert_eq(fixture_load_file(&set, p2, NULL, &errs), -1);
    cr_assert(has_error(&errs, "m2.json: $.cases[300].id: expected an id unique", "\"m.7\""));
    cr_assert_eq(errs.n, 1, "only the repeated id is a problem");
    fixture_errors_free(&errs);
    text = many_cases("m3", "p", 200, "p.199");
    char *p3 = write_file("m3.json", text);
    free(text);
    cr_assert_eq(fixture_load_file(&set, p3, NULL, &errs), -1);
    cr_assert(has_error(&errs, "m3.json: $.cases[200].id: expected an id unique", "\"p.199\""));
    fixture_errors_free(&errs);
    /* The rejected suites' ids (n.*, p.*) were not kept: a suite using them loads. */
    text = many_cases("m4", "n", 300, NULL);
    char *p4 = write_file("m4.json", text);
    free(text);
    cr_assert_eq(fixture_load_file(&set, p4, NULL, &errs), 0);
    dump(&errs);
    cr_assert_eq(set.ncases, 800);
    fixture_errors_free(&errs);
    fixture_set_free(&set);
    free(p1);
    free(p2);
    free(p3);
    free(p4);
}

#define SCHEMA_CASE(file) \
    "{\"suite\":\"s\",\"area\":\"SCH\",\"title\":\"t\",\"cases\":[{\"id\":\"sch.x\",\"title\":\"t\"," \
    "\"requirements\":[\"ENV-1\"],\"level\":\"core\",\"steps\":[{\"request\":{\"method\":\"GET\"," \
    "\"path\":\"/schema\"},\"expect\":{\"status\":200,\"schema_equals\":\"" file "\"}}]}]}"

Test(fixture, schema_equals_loads_the_canonical_document_beside_the_suite)
{
    struct spec *spec = test_spec();
    free(write_file("expected.json", "{\"b\":{\"title\":\"dropped\",\"y\":1},\"a\":[],\"info\":{}}"));
    char *p = write_file("s.json", SCHEMA_CASE("expected.json"));
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    int rc = fixture_load_file(&set, p, spec, &errs);
    dump(&errs);
    cr_assert_eq(rc, 0);
    char *canon = cJSON_PrintUnformatted(set.cases[0]->steps[0].schema_equals);
    cr_assert_str_eq(canon, "{\"a\":[],\"b\":{\"y\":1}}");
    free(canon);
    fixture_set_free(&set);
    fixture_errors_free(&errs);
    spec_free(spec);
    free(p);
}

Test(fixture, schema_equals_names_an_unreadable_or_non_object_file)
{
    struct spec *spec = test_spec();
    free(write_file("array.json", "[1]"));
    char *p1 = write_file("s1.json", SCHEMA_CASE("missing.json"));
    char *p2 = write_file("s2.json", SCHEMA_CASE("array.json"));
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    cr_assert_eq(fixture_load_file(&set, p1, spec, &errs), -1);
    cr_assert_eq(fixture_load_file(&set, p2, spec, &errs), -1);
    cr_assert(has_error(&errs, "s1.json: $.cases[0].steps[0].expect.schema_equals: ", "cannot read"), "no missing-file error");
    cr_assert(has_error(&errs, "s2.json: $.cases[0].steps[0].expect.schema_equals: ", "strict JSON object"), "no non-object error");
    cr_assert_eq(set.ncases, 0);
    fixture_set_free(&set);
    fixture_errors_free(&errs);
    spec_free(spec);
    free(p1);
    free(p2);
}

/* A suite of one case whose one step is {"request": req, "expect": ex}. */
static int load_step(const char *name, const char *req, const char *ex, struct fixture_set *set,
                     struct fixture_errors *errs)
{
    char text[4096];
    snprintf(text, sizeof text,
             "{\"suite\":\"sh\",\"area\":\"ENV\",\"title\":\"t\",\"cases\":[{\"id\":\"sh.x\",\"title\":\"t\","
             "\"requirements\":[\"ENV-1\"],\"level\":\"core\",\"steps\":[{\"request\":%s,\"expect\":%s}]}]}",
             req, ex);
    char *p = write_file(name, text);
    int rc = fixture_load_file(set, p, NULL, errs);
    free(p);
    return rc;
}

/* The shorthand expectation ex loads and expands to exactly the long form `want`. */
static void assert_expands(const char *ex, const char *want)
{
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    int rc = load_step("sh.json", "{\"method\":\"POST\",\"path\":\"/call/echo\"}", ex, &set, &errs);
    dump(&errs);
    cr_assert_eq(rc, 0, "%s does not load", ex);
    char err[200];
    cJSON *w = jsonx_parse(want, strlen(want), err, sizeof err);
    cr_assert_not_null(w, "the expected form is not JSON: %s", err);
    char *got = jsonx_print(set.cases[0]->steps[0].expect);
    cr_assert(jsonx_equal(set.cases[0]->steps[0].expect, w), "%s expanded to\n%s\nnot\n%s", ex, got, want);
    free(got);
    cJSON_Delete(w);
    fixture_set_free(&set);
    fixture_errors_free(&errs);
}

#define CT "\"content-type\":{\"$regex\":\"^application/json\"}"
#define NON_EMPTY "{\"$all\":[{\"$type\":\"string\"},{\"$len\":{\"$min\":1}}]}"
#define ANY_DETAILS "{\"$type\":[\"null\",\"array\",\"object\"]}"
#define ENVELOPE(code, details) \
    "\"body\":{\"$only\":{\"error\":{\"$only\":{\"code\":\"" code "\",\"message\":" NON_EMPTY ",\"details\":" details "}}}}"

Test(fixture, shorthand_error_code_is_status_envelope_and_json_content_type)
{
    assert_expands("{\"error\":\"validation_error\"}",
                   "{\"status\":422,\"headers\":{" CT "}," ENVELOPE("validation_error", ANY_DETAILS) "}");
    assert_expands("{\"error\":\"invalid_json\"}",
                   "{\"status\":400,\"headers\":{" CT "}," ENVELOPE("invalid_json", ANY_DETAILS) "}");
    assert_expands("{\"error\":\"internal_error\"}",
                   "{\"status\":500,\"headers\":{" CT "}," ENVELOPE("internal_error", ANY_DETAILS) "}");
    assert_expands("{\"error\":\"method_not_allowed\",\"headers\":{\"allow\":\"POST\"}}",
                   "{\"status\":405,\"headers\":{" CT ",\"allow\":\"POST\"}," ENVELOPE("method_not_allowed", ANY_DETAILS) "}");
}

Test(fixture, shorthand_error_401_adds_the_env7_challenge)
{
    static const char *const invalid[] = {"invalid_token", "token_expired", "token_revoked"};
    for (int i = 0; i < 3; i++) {
        char ex[100], want[1000];
        snprintf(ex, sizeof ex, "{\"error\":\"%s\"}", invalid[i]);
        snprintf(want, sizeof want,
                 "{\"status\":401,\"headers\":{" CT ",\"www-authenticate\":{\"$regex\":\"^Bearer .*error=\\\"invalid_token\\\"\"}},"
                 "\"body\":{\"$only\":{\"error\":{\"$only\":{\"code\":\"%s\",\"message\":" NON_EMPTY ",\"details\":" ANY_DETAILS "}}}}}",
                 invalid[i]);
        assert_expands(ex, want);
    }
    assert_expands("{\"error\":\"unauthenticated\"}",
                   "{\"status\":401,\"headers\":{" CT ",\"www-authenticate\":{\"$all\":[{\"$regex\":\"^Bearer\"},"
                   "{\"$not\":{\"$regex\":\"error=\"}}]}}," ENVELOPE("unauthenticated", ANY_DETAILS) "}");
}

Test(fixture, shorthand_error_object_with_message_details_or_violations)
{
    assert_expands("{\"error\":{\"code\":\"internal_error\",\"details\":null,\"message\":\"boom\"}}",
                   "{\"status\":500,\"headers\":{" CT "},\"body\":{\"$only\":{\"error\":{\"$only\":{\"code\":\"internal_error\","
                   "\"message\":\"boom\",\"details\":null}}}}}");
    assert_expands("{\"error\":{\"code\":\"validation_error\",\"violations\":[{\"loc\":[\"body\",\"key\"],\"type\":\"pattern\"},"
                   "{\"loc\":[\"body\"],\"type\":{\"$regex\":\"^t\"},\"msg\":\"no\"}]},\"collect\":{\"path\":\"$\",\"match\":{\"$len\":1}}}",
                   "{\"status\":422,\"headers\":{" CT "},\"collect\":{\"path\":\"$\",\"match\":{\"$len\":1}},"
                   ENVELOPE("validation_error", "[{\"$only\":{\"loc\":[\"body\",\"key\"],\"type\":\"pattern\",\"msg\":" NON_EMPTY "}},"
                            "{\"$only\":{\"loc\":[\"body\"],\"type\":{\"$regex\":\"^t\"},\"msg\":\"no\"}}]") "}");
    assert_expands("{\"error\":{\"code\":\"validation_error\",\"violations\":[]}}",
                   "{\"status\":422,\"headers\":{" CT "}," ENVELOPE("validation_error", "[]") "}");
}

Test(fixture, shorthand_result_is_a_200_call_answer)
{
    assert_expands("{\"result\":{\"$exact\":{\"n\":1}}}",
                   "{\"status\":200,\"headers\":{" CT "},\"body\":{\"$only\":{\"result\":{\"$exact\":{\"n\":1}},\"invalidate\":[]}}}");
    assert_expands("{\"result\":null,\"invalidate\":[\"context:user\"],\"headers\":{\"x-a\":{\"$absent\":true}}}",
                   "{\"status\":200,\"headers\":{" CT ",\"x-a\":{\"$absent\":true}},"
                   "\"body\":{\"$only\":{\"result\":null,\"invalidate\":[\"context:user\"]}}}");
    assert_expands("{\"result\":{\"$any\":true},\"invalidate\":{\"$len\":2},\"collect\":{\"path\":\"$.result\",\"match\":[1]}}",
                   "{\"status\":200,\"headers\":{" CT "},\"collect\":{\"path\":\"$.result\",\"match\":[1]},"
                   "\"body\":{\"$only\":{\"result\":{\"$any\":true},\"invalidate\":{\"$len\":2}}}}");
}

Test(fixture, shorthand_call_is_a_post_to_the_function)
{
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    int rc = load_step("call.json", "{\"call\":\"kv_get\",\"json\":{\"key\":\"k\"}}", "{\"status\":200}", &set, &errs);
    dump(&errs);
    cr_assert_eq(rc, 0);
    char *got = jsonx_print(set.cases[0]->steps[0].request);
    cr_assert_str_eq(got, "{\"json\":{\"key\":\"k\"},\"method\":\"POST\",\"path\":\"/call/kv_get\"}");
    free(got);
    fixture_set_free(&set);
    fixture_errors_free(&errs);
}

/* The step does not load and one problem names the file, the JSON path and `what`. */
static void assert_problem(const char *req, const char *ex, const char *at, const char *what)
{
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    cr_assert_eq(load_step("bad.json", req, ex, &set, &errs), -1, "%s loads", ex);
    cr_assert_eq(set.ncases, 0);
    char where[300];
    snprintf(where, sizeof where, "bad.json: $.cases[0].steps[0].%s: ", at);
    if (!has_error(&errs, where, what)) {
        dump(&errs);
        cr_assert_fail("no problem \"%s...%s\" for %s %s", where, what, req, ex);
    }
    fixture_errors_free(&errs);
}

#define POST "{\"method\":\"POST\",\"path\":\"/call/echo\"}"

Test(fixture, shorthand_error_problems_name_the_shorthand_path)
{
    assert_problem(POST, "{\"error\":\"teapot\"}", "expect.error", "expected an error code of ENV-2, got \"teapot\"");
    assert_problem(POST, "{\"error\":7}", "expect.error", "expected an error code string or");
    assert_problem(POST, "{\"error\":{\"details\":null}}", "expect.error.code", "(required)");
    assert_problem(POST, "{\"error\":{\"code\":\"nope\"}}", "expect.error.code", "got \"nope\"");
    assert_problem(POST, "{\"error\":{\"code\":\"conflict\",\"detail\":1}}", "expect.error.detail", "unknown key \"detail\"");
    assert_problem(POST, "{\"error\":{\"code\":\"conflict\",\"message\":{\"$typo\":1}}}", "expect.error.message.$typo",
                   "expected a known operator");
    assert_problem(POST, "{\"error\":{\"code\":\"validation_error\",\"details\":[],\"violations\":[]}}",
                   "expect.error.violations", "expected details or violations, not both");
    assert_problem(POST, "{\"error\":{\"code\":\"validation_error\",\"violations\":{}}}", "expect.error.violations",
                   "expected an array of violations");
    assert_problem(POST, "{\"error\":{\"code\":\"validation_error\",\"violations\":[1]}}", "expect.error.violations[0]",
                   "expected a violation");
    assert_problem(POST, "{\"error\":{\"code\":\"validation_error\",\"violations\":[{\"type\":\"x\"}]}}",
                   "expect.error.violations[0].loc", "(required)");
    assert_problem(POST, "{\"error\":{\"code\":\"validation_error\",\"violations\":[{\"loc\":[]}]}}",
                   "expect.error.violations[0].type", "(required)");
    assert_problem(POST, "{\"error\":{\"code\":\"validation_error\",\"violations\":[{\"loc\":[],\"type\":\"x\",\"why\":1}]}}",
                   "expect.error.violations[0].why", "unknown key \"why\"");
    assert_problem(POST, "{\"error\":{\"code\":\"validation_error\",\"violations\":[{\"loc\":{\"$regex\":\"(\"},\"type\":\"x\"}]}}",
                   "expect.error.violations[0].loc.$regex", "regular expression");
    assert_problem(POST, "{\"error\":\"conflict\",\"status\":409}", "expect.status", "beside the shorthand error");
    assert_problem(POST, "{\"error\":\"conflict\",\"body\":{}}", "expect.body", "beside the shorthand error");
    assert_problem(POST, "{\"error\":\"conflict\",\"body_text\":\"\"}", "expect.body_text", "beside the shorthand error");
    assert_problem(POST, "{\"error\":\"conflict\",\"headers\":{\"Content-Type\":\"x\"}}", "expect.headers.Content-Type",
                   "which checks that header");
    assert_problem(POST, "{\"error\":\"token_expired\",\"headers\":{\"www-authenticate\":\"x\"}}",
                   "expect.headers.www-authenticate", "which checks that header");
    assert_problem(POST, "{\"error\":\"conflict\",\"headers\":[]}", "expect.headers", "expected an object");
    assert_problem(POST, "{\"error\":\"conflict\",\"result\":1}", "expect.result", "a success and an error at once");
}

Test(fixture, shorthand_result_and_call_problems_name_the_shorthand_path)
{
    assert_problem(POST, "{\"invalidate\":[]}", "expect.invalidate", "expected the shorthand result");
    assert_problem(POST, "{\"result\":{\"$typo\":1}}", "expect.result.$typo", "expected a known operator");
    assert_problem(POST, "{\"result\":1,\"invalidate\":{\"$len\":\"x\"}}", "expect.invalidate.$len", "expected");
    assert_problem(POST, "{\"result\":1,\"status\":200}", "expect.status", "beside the shorthand result");
    assert_problem(POST, "{\"result\":1,\"schema_equals\":\"x.json\"}", "expect.schema_equals", "beside the shorthand result");
    assert_problem(POST, "{\"result\":1,\"headers\":{\"content-type\":\"x\"}}", "expect.headers.content-type",
                   "which checks that header");
    assert_problem("{\"call\":\"a/b\"}", "{\"status\":200}", "request.call", "expected a function name");
    assert_problem("{\"call\":\"\"}", "{\"status\":200}", "request.call", "expected a function name");
    assert_problem("{\"call\":1}", "{\"status\":200}", "request.call", "expected a function name");
    assert_problem("{\"call\":\"x\",\"method\":\"GET\"}", "{\"status\":200}", "request.method", "beside the shorthand call");
    assert_problem("{\"call\":\"x\",\"path\":\"/x\"}", "{\"status\":200}", "request.path", "beside the shorthand call");
}

Test(fixture, env2_status_is_the_env2_table)
{
    cr_assert_eq(env2_status("invalid_json"), 400);
    cr_assert_eq(env2_status("unauthenticated"), 401);
    cr_assert_eq(env2_status("forbidden"), 403);
    cr_assert_eq(env2_status("unknown_context"), 404);
    cr_assert_eq(env2_status("conflict"), 409);
    cr_assert_eq(env2_status("unsupported_media_type"), 415);
    cr_assert_eq(env2_status("validation_error"), 422);
    cr_assert_eq(env2_status("Validation_error"), 0);
    cr_assert_eq(env2_status("unavailable"), 503);
    cr_assert_eq(env2_status(""), 0);
    cr_assert_eq(env2_status(NULL), 0);
}
