/* Tests of a deployment of several targets: the round-robin, what a case needs, a step spread
 * over instances, SCH-4 across instances, the reports naming every target. */
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cluster.h"
#include "report_doc.h"
#include "report_text.h"
#include "runwide.h"
#include "testutil.h"

TestSuite(cluster, .init = testutil_tmpdir_make, .fini = testutil_tmpdir_remove);

Test(cluster, one_target_gets_everything)
{
    for (int k = 0; k < 50; k++)
        for (int i = 0; i < 5; i++)
            cr_assert_eq(cluster_target(1, k, i, 3, -1), 0);
}

Test(cluster, steps_go_round_robin_from_the_case_index)
{
    /* Step i of case k on (k + i) mod N: the same every run, whatever runs beside it. */
    cr_assert_eq(cluster_target(3, 0, 0, 0, -1), 0);
    cr_assert_eq(cluster_target(3, 0, 1, 0, -1), 1);
    cr_assert_eq(cluster_target(3, 0, 2, 0, -1), 2);
    cr_assert_eq(cluster_target(3, 0, 3, 0, -1), 0);
    cr_assert_eq(cluster_target(3, 7, 0, 0, -1), 1);
    cr_assert_eq(cluster_target(3, 7, 4, 0, -1), 2);
    for (int k = 0; k < 20; k++) {
        int seen[4] = {0};
        for (int i = 0; i < 4; i++)
            seen[cluster_target(4, k, i, 0, -1)]++;
        for (int t = 0; t < 4; t++)
            cr_assert_eq(seen[t], 1, "case %d: target %d got %d of 4 consecutive steps", k, t, seen[t]);
        cr_assert_neq(cluster_target(2, k, 0, 0, -1), cluster_target(2, k, 1, 0, -1),
                      "two consecutive steps of case %d on one target", k);
    }
}

Test(cluster, a_repeated_step_spreads_and_a_pin_wins)
{
    int seen[3] = {0};
    for (int j = 0; j < 30; j++)
        seen[cluster_target(3, 5, 2, j, -1)]++;
    cr_assert(seen[0] == 10 && seen[1] == 10 && seen[2] == 10, "%d %d %d", seen[0], seen[1], seen[2]);
    for (int j = 0; j < 30; j++)
        cr_assert_eq(cluster_target(3, 5, 2, j, 1), 1);
}

static void load(struct fixture_set *set, const char *text)
{
    char path[128];
    snprintf(path, sizeof path, "%s/c.json", testutil_tmpdir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    struct fixture_errors errs = {0};
    int rc = fixture_load_file(set, path, NULL, &errs);
    cr_assert_eq(rc, 0, "%s", errs.n ? errs.v[0] : "");
    fixture_errors_free(&errs);
}

#define STEP(t) "{\"request\":{\"method\":\"GET\",\"path\":\"/health\"" t "},\"expect\":{\"status\":200}}"
#define CASE(id, tags, steps) \
    "{\"id\":\"" id "\",\"title\":\"t\",\"requirements\":[\"HLT-1\"],\"level\":\"core\",\"tags\":" tags \
    ",\"steps\":[" steps "]}"

Test(cluster, what_a_case_needs_and_the_check_of_pins)
{
    struct fixture_set set = {0};
    load(&set, "{\"suite\":\"c\",\"area\":\"HLT\",\"title\":\"t\",\"identities\":{},\"cases\":["
               CASE("c.plain", "[]", STEP("")) ","
               CASE("c.cluster", "[\"cluster\"]", STEP("") "," STEP(",\"target\":1")) ","
               CASE("c.third", "[\"cluster\"]", STEP(",\"target\":2")) ","
               CASE("c.pinned", "[]", STEP("") "," STEP(",\"target\":1")) "]}");
    cr_assert_eq(cluster_needs(set.cases[0]), 1);
    cr_assert_eq(cluster_needs(set.cases[1]), 2);
    cr_assert_eq(cluster_needs(set.cases[2]), 3);
    cr_assert_eq(cluster_needs(set.cases[3]), 2);
    cr_assert(cluster_tagged(set.cases[1]) && !cluster_tagged(set.cases[3]));
    cr_assert_eq(cluster_pinned(&set.cases[3]->steps[0]), -1);
    cr_assert_eq(cluster_pinned(&set.cases[3]->steps[1]), 1);
    char err[600];
    /* With one target the cluster cases are skipped; the untagged pin is a problem to name. */
    cr_assert_eq(cluster_check(&set, 1, err, sizeof err), -1);
    cr_assert(strstr(err, "c.pinned") && strstr(err, "step 2") && strstr(err, "\"target\": 1") &&
              strstr(err, "the run has 1"), "%s", err);
    cr_assert_eq(cluster_check(&set, 2, err, sizeof err), 0);
    fixture_set_free(&set);
}

/* A target that answers each connection 200 with its own label as the body. */
struct labelled {
    int fd, port, conns;
    char label;
};

static void *serve(void *arg)
{
    struct labelled *l = arg;
    for (int k = 0; k < l->conns; k++) {
        int c = accept(l->fd, NULL, NULL);
        if (c < 0)
            break;
        char buf[4096];
        size_t n = 0;
        while (n < sizeof buf - 1) {
            ssize_t r = recv(c, buf + n, sizeof buf - 1 - n, 0);
            if (r <= 0)
                break;
            n += (size_t)r;
            buf[n] = '\0';
            if (strstr(buf, "\r\n\r\n"))
                break;
        }
        char ans[128];
        int len = snprintf(ans, sizeof ans, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: close\r\n\r\n%c",
                           l->label);
        (void)!write(c, ans, (size_t)len);
        close(c);
    }
    return NULL;
}

static void start(struct labelled *l, char label, int conns, pthread_t *th)
{
    l->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    cr_assert_eq(bind(l->fd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(l->fd, 16), 0);
    getsockname(l->fd, (struct sockaddr *)&a, &al);
    l->port = ntohs(a.sin_port);
    l->label = label;
    l->conns = conns;
    pthread_create(th, NULL, serve, l);
}

Test(cluster, a_spread_step_asks_each_request_of_its_own_target)
{
    struct labelled srv[2];
    pthread_t th[2];
    int who[] = {0, 1, 1, 0, 1, 1, 0};
    int n = (int)(sizeof who / sizeof *who);
    start(&srv[0], 'A', 3, &th[0]);
    start(&srv[1], 'B', 4, &th[1]);
    char url[2][64];
    struct http_request q[2];
    const struct http_request *reqs[2] = {&q[0], &q[1]};
    for (int t = 0; t < 2; t++) {
        snprintf(url[t], sizeof url[t], "http://127.0.0.1:%d/x", srv[t].port);
        q[t] = (struct http_request){.method = "GET", .url = url[t]};
    }
    struct http_response res[7] = {0};
    cr_assert_eq(cluster_send(reqs, who, n, 4, 5000, res), 0);
    for (int j = 0; j < n; j++) {
        cr_assert_eq(res[j].status, 200, "answer %d: %s", j, res[j].error);
        cr_assert_eq(res[j].body[0], who[j] ? 'B' : 'A', "answer %d came from the wrong target", j);
        http_response_clear(&res[j]);
    }
    for (int t = 0; t < 2; t++) {
        pthread_join(th[t], NULL);
        close(srv[t].fd);
    }
}

Test(cluster, reports_name_every_target_and_one_target_as_before)
{
    cJSON *doc = cJSON_Parse("{\"format\":\"afi-conformance-report\",\"version\":1,\"implementation\":\"x\","
                             "\"target\":\"http://a/afi\",\"targets\":[\"http://a/afi\",\"http://b/afi\"],"
                             "\"level\":\"core\",\"summary\":{},\"requirements\":[],\"suites\":[]}");
    char *t = report_doc_targets(doc, ", ");
    cr_assert_str_eq(t, "http://a/afi, http://b/afi");
    free(t);
    char *md = testutil_render(doc, "md"), *tap = testutil_render(doc, "tap"), *html = testutil_render(doc, "html");
    cr_assert(strstr(md, "Targets <code>http://a/afi, http://b/afi</code>"), "%s", md);
    cr_assert(strstr(tap, " at http://a/afi, http://b/afi,"), "%s", tap);
    cr_assert(strstr(html, "Targets <b>http://a/afi, http://b/afi</b>"));
    free(md);
    free(tap);
    free(html);
    cJSON_DeleteItemFromObject(doc, "targets");
    cJSON_AddItemToObject(doc, "targets", cJSON_CreateStringArray((const char *[]){"http://a/afi"}, 1));
    cr_assert_null(report_doc_targets(doc, ", "));
    md = testutil_render(doc, "md");
    cr_assert(strstr(md, "Target <code>http://a/afi</code>"), "%s", md);
    free(md);
    cJSON_Delete(doc);
}

Test(cluster, sch4_compares_another_instances_schema_with_the_first_targets)
{
    struct runwide w = {.first_target = "http://a/afi", .ntargets = 2};
    w.schema_canon = cJSON_Parse("{\"openapi\":\"3.1.0\"}");
    char *names[] = {"content-type"}, *values[] = {"application/json"};
    char body[] = "{\"openapi\":\"3.0.3\"}";
    struct http_response res = {.status = 200, .hnames = names, .hvalues = values, .nh = 1, .body = body,
                                .body_len = sizeof body - 1};
    cJSON *parsed = cJSON_Parse(body);
    struct request rq;
    request_get(&rq, "http://b/afi", "/schema");
    struct failure_site at = {3, "GET /schema", &rq, 1};
    struct failure_list out = {0};
    runwide_check(&w, &at, &res, parsed, "", &out);
    cr_assert_eq(out.n, 1);
    cr_assert_str_eq(out.v[0].requirement, "SCH-4");
    cr_assert_eq(out.v[0].target, 1);
    cr_assert(strstr(out.v[0].message, "target #1 answered a canonical /schema with 1 difference from the one "
                                       "target #0 (http://a/afi) answered"), "%s", out.v[0].message);
    cr_assert(strstr(out.v[0].curl, "'http://b/afi/schema'"), "%s", out.v[0].curl);
    failure_list_clear(&out);
    request_clear(&rq);
    cJSON_Delete(parsed);
    runwide_clear(&w);
}

Test(cluster, a_failures_step_line_names_its_target_only_when_it_has_one)
{
    const char *in[] = {"{\"step\":2,\"step_name\":\"read on B\",\"target\":1}",
                        "{\"step\":1,\"step_name\":\"many\",\"target\":null}", "{\"step\":2,\"step_name\":\"one\"}"};
    const char *want[] = {"step 2 (read on B) on target #1", "step 1 (many) spread over the targets", "step 2 (one)"};
    for (int i = 0; i < 3; i++) {
        cJSON *f = cJSON_Parse(in[i]);
        struct strbuf b = {0};
        report_text_step(&b, f);
        cr_assert_str_eq(strbuf_str(&b), want[i]);
        strbuf_free(&b);
        cJSON_Delete(f);
    }
}
