/* cmd_schema_diff.c: `conformance schema-diff`, every difference (SCH-4) between a
 * target's canonical GET /schema and the expected profile schema. */
#include "cmd_schema_diff.h"
#include "cmd.h"
#include "exit_code.h"
#include "file.h"
#include "http.h"
#include "jsonx.h"
#include "matcher.h"
#include "mem.h"
#include "request.h"
#include "schema.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: conformance schema-diff --target URL [--expected PATH] [--timeout-ms N]\n"
    "\n"
    "Compares the canonical form (SCH-4) of the target's GET /schema with the expected\n"
    "profile schema (default <fixtures>/profile-schema.json). Prints each difference by\n"
    "JSON path; exit 0 equal, 1 different, 2 usage, 3 target unreachable.\n";

enum { OPT_TARGET = CMD_OPT_OWN, OPT_EXPECTED, OPT_TIMEOUT };

/* The expected schema document: --expected, else <fixtures>/profile-schema.json;
 * NULL (and why printed) when it cannot be read or is not strict JSON. */
static cJSON *load_expected(const char *expected, char *path, size_t pathlen)
{
    char err[300];
    size_t n;
    if (expected) {
        snprintf(path, pathlen, "%s", expected);
    } else {
        const char *none[1];
        struct cmd_sources src = {.suites = none};
        cmd_locate(&src);
        snprintf(path, pathlen, "%s", src.paths.fixtures);
        strncat(path, "/profile-schema.json", pathlen - strlen(path) - 1);
    }
    char *buf = file_read(path, &n, err, sizeof err);
    if (!buf) {
        fprintf(stderr, "conformance: cannot read the expected schema %s (use --expected)\n", path);
        return NULL;
    }
    cJSON *exp = jsonx_parse(buf, n, err, sizeof err);
    free(buf);
    if (!exp)
        fprintf(stderr, "conformance: %s: not strict JSON: %s\n", path, err);
    return exp;
}

/* Prints the differences between the canonical documents and the SCH-4 verdict line. */
static int compare(const cJSON *exp, const cJSON *act, const char *exp_path)
{
    cJSON *ce = schema_canonical(exp), *ca = schema_canonical(act);
    struct matcher_diffs d = {0};
    schema_diff(ce, ca, "$", &d);
    for (size_t i = 0; i < d.n; i++)
        printf("%s: expected %s, got %s\n", d.v[i].path, d.v[i].expected, d.v[i].actual);
    if (d.n)
        printf("SCH-4: %zu difference%s between the target's canonical schema and %s\n", d.n, d.n == 1 ? "" : "s",
               exp_path);
    else
        printf("SCH-4: the target's canonical schema equals %s\n", exp_path);
    int rc = d.n ? EXIT_CODE_FAILED : EXIT_CODE_OK;
    matcher_diffs_clear(&d);
    cJSON_Delete(ce);
    cJSON_Delete(ca);
    return rc;
}

int cmd_schema_diff(int argc, char **argv)
{
    static const struct option opts[] = {{"target", 1, 0, OPT_TARGET}, {"expected", 1, 0, OPT_EXPECTED},
                                         {"timeout-ms", 1, 0, OPT_TIMEOUT}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *target = NULL, *expected = NULL;
    long timeout = 10000;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_TARGET: target = optarg; break;
        case OPT_EXPECTED: expected = optarg; break;
        case OPT_TIMEOUT:
            if ((timeout = cmd_parse_pos(optarg)) < 1)
                return cmd_usage_error(usage, "--timeout-ms: expected a positive integer, got \"%s\"", optarg);
            break;
        default: return cmd_help_or_bad(opt, usage);
        }
    }
    if (!target)
        return cmd_usage_error(usage, "%s", "--target URL is required");
    if (!cmd_url_ok(target))
        return cmd_usage_error(usage, "--target: expected an http:// or https:// URL, got \"%s\"", target);
    char exp_path[PATH_MAX + 32], err[300];
    cJSON *exp = load_expected(expected, exp_path, sizeof exp_path);
    if (!exp)
        return EXIT_CODE_USAGE;
    char *base = mem_strdup(target);
    for (size_t tl = strlen(base); tl > 0 && base[tl - 1] == '/';)
        base[--tl] = '\0';
    struct request rq;
    request_get(&rq, base, "/schema");
    struct http_client *hc = http_client_new(timeout);
    struct http_response res = {0};
    int rc;
    cJSON *act = NULL;
    if (http_do(hc, &rq.http, &res) || res.status != 200) {
        fprintf(stderr, "conformance: target unreachable: GET %s: %s%s\n", rq.url,
                res.status ? "status " : res.error, res.status ? (res.status == 404 ? "404" : "not 200") : "");
        rc = EXIT_CODE_UNREACHABLE;
    } else if (!(act = jsonx_parse(res.body ? res.body : "", res.body_len, err, sizeof err))) {
        printf("$: expected the OpenAPI document, got a body that is not strict JSON (%s)\n", err);
        printf("SCH-4: the target's schema differs from %s\n", exp_path);
        rc = EXIT_CODE_FAILED;
    } else {
        rc = compare(exp, act, exp_path);
    }
    cJSON_Delete(act);
    cJSON_Delete(exp);
    http_response_clear(&res);
    http_client_free(hc);
    request_clear(&rq);
    free(base);
    return rc;
}
