/* Tests of the raw step's validation: its problems name the file, the JSON path and what was expected. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/afi-raw-test-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_assert_eq(system(cmd), 0);
}

/* Loads a suite whose one case has the given steps; returns fixture_load_file's result. */
static int load(const char *steps, struct fixture_set *set, struct fixture_errors *errs)
{
    char path[128];
    snprintf(path, sizeof path, "%s/r.json", dir);
    FILE *f = fopen(path, "w");
    fprintf(f, "{\"suite\":\"r\",\"area\":\"ROB\",\"title\":\"R\",\"cases\":[{\"id\":\"r.one\",\"title\":\"t\","
               "\"requirements\":[\"ROB-1\"],\"level\":\"core\",\"steps\":%s}]}", steps);
    fclose(f);
    return fixture_load_file(set, path, NULL, errs);
}

static int has_error(const struct fixture_errors *e, const char *needle1, const char *needle2)
{
    for (size_t i = 0; i < e->n; i++)
        if (strstr(e->v[i], needle1) && strstr(e->v[i], needle2))
            return 1;
    for (size_t i = 0; i < e->n; i++)
        fprintf(stderr, "  %s\n", e->v[i]);
    return 0;
}

TestSuite(rawstep, .init = setup, .fini = teardown);

Test(rawstep, a_good_raw_step_loads_with_its_shorthands_expanded)
{
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    int rc = load("[{\"name\":\"two\",\"raw\":{\"send\":[{\"text\":\"GET ${base}/health HTTP/1.1\\r\\n\"},"
                  "{\"b64\":\"AA==\",\"repeat\":3,\"pause_ms\":10}],"
                  "\"expect\":[{\"status\":200},{\"error\":\"bad_request\",\"or_close\":true}],"
                  "\"closed\":\"either\",\"within_ms\":2000}}]", &set, &errs);
    cr_assert_eq(rc, 0, "%s", errs.n ? errs.v[0] : "");
    const struct fixture_step *st = &set.cases[0]->steps[0];
    cr_assert_not_null(st->raw);
    cr_assert_null(st->request);
    const cJSON *e2 = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(st->raw, "expect"), 1);
    cr_assert_not_null(cJSON_GetObjectItemCaseSensitive(e2, "status"), "error expanded to status");
    cr_assert_null(cJSON_GetObjectItemCaseSensitive(e2, "error"));
    cr_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(e2, "or_close")), "or_close kept for the run");
    fixture_set_free(&set);
}

Test(rawstep, every_problem_is_named)
{
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    int rc = load("[{\"raw\":{\"send\":[{\"text\":\"x\",\"b64\":\"eA==\"},{\"b64\":\"!!\"},{\"text\":\"y\",\"pause_ms\":-1},3],"
                  "\"expect\":[{\"status\":200,\"or_close\":true},{\"status\":200},{\"error\":\"nope\"},"
                  "{\"status\":200,\"collect\":{}},{\"status\":200,\"or_close\":1}],"
                  "\"closed\":\"maybe\",\"within_ms\":0,\"extra\":1}},"
                  "{\"raw\":{\"send\":[]},\"request\":{\"method\":\"GET\",\"path\":\"/\"}},"
                  "{\"raw\":{\"send\":[]}}]",
                  &set, &errs);
    cr_assert_eq(rc, -1);
    const char *p = "r.json: $.cases[0].steps[0].raw";
    cr_assert(has_error(&errs, p, ".send[0]: expected exactly one of text and b64"));
    cr_assert(has_error(&errs, p, ".send[1].b64: expected valid base64"));
    cr_assert(has_error(&errs, p, ".send[2].pause_ms: expected an integer 0..60000"));
    cr_assert(has_error(&errs, p, ".send[3]: expected an object"));
    cr_assert(has_error(&errs, p, ".expect[1].or_close: expected true, as on the answer before"));
    cr_assert(has_error(&errs, p, ".expect[2].error"));
    cr_assert(has_error(&errs, p, ".expect[3]: expected no collect or schema_equals"));
    cr_assert(has_error(&errs, p, ".expect[4].or_close: expected a boolean"));
    cr_assert(has_error(&errs, p, ".closed: expected true, false or \"either\""));
    cr_assert(has_error(&errs, p, ".within_ms: expected an integer 1..120000"));
    cr_assert(has_error(&errs, p, ".extra: expected one of the keys"));
    cr_assert(has_error(&errs, "$.cases[0].steps[1]: expected either raw or request", ""));
    cr_assert(has_error(&errs, "$.cases[0].steps[2].raw.send: expected at least one part", ""));
    cr_assert(has_error(&errs, "$.cases[0].steps[2].raw.expect: expected an array of expectations", "required"));
    fixture_errors_free(&errs);
    fixture_set_free(&set);
}
