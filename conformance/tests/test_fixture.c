/* Tests of fixture loading: every problem names the file, the JSON path and what was expected. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

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
