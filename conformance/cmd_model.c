/* cmd_model.c: `conformance model`: options, the seed, executing and
 * checking the history, shrinking a failing one, printing and the reports. */
#include "cmd_model.h"
#include "cmd.h"
#include "exit_code.h"
#include "file.h"
#include "mem.h"
#include "model_case.h"
#include "model_check.h"
#include "model_exec.h"
#include "model_plan.h"
#include "model_report.h"
#include "model_shrink.h"
#include "report.h"
#include "strbuf.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char usage[] =
    "usage: conformance model --target URL [--target URL...] [options]\n"
    "\n"
    "Sends random operations over the profile's stateful surface (kv_get, kv_set with and\n"
    "without if_rev, kv_delete, kv_list, counter_incr, save_draft, get_draft, the user bundle\n"
    "with and without If-None-Match, logout and the revoked token's reuse, shared writes by\n"
    "roles allowed and not) from many viewers through concurrent clients spread over the\n"
    "targets, then checks the history: per key linearizability (SCOPE-5, SCOPE-6, ROB-2),\n"
    "isolation (SCOPE-2), shared writes (SCOPE-3), revocation (AUTH-6), bundle tags (CTX-4,\n"
    "INV-2), invalidate lists (INV-1). A failing history is shrunk by re-running smaller ones.\n"
    "Several targets must be instances of one deployment (one store).\n"
    "\n"
    "  --target URL          a target's base URL (repeatable: instances of one deployment)\n"
    "  --seed N              the plan's seed (default: from the clock; always printed)\n"
    "  --viewers N           viewers (default 8)\n"
    "  --ops N               operations (default 400)\n"
    "  --clients N           concurrent clients (default 8)\n"
    "  --keys N              key names per scope (default 4; fewer keys, more contention)\n"
    "  --time-limit S        seconds for checking and shrinking (default 10); a key the\n"
    "                        search cannot decide in time is reported undecided\n"
    "  --steps N             model steps per key at most (default 2000000)\n"
    "  --no-shrink           report the failing history as it is\n"
    "  --emit-case FILE      write the shrunk history as a fixture suite (docs/fixtures.md)\n"
    "  --timeout-ms N        per-request timeout (default 5000): no answer = may have happened\n"
    "  --secret S            the shared secret (default: $AFI_SECRET)\n"
    "  --report FORMAT:PATH  json, junit, md, tap or html (repeatable)\n"
    "  --name LABEL          the implementation's name in reports\n"
    "  -q, --quiet           only the verdict, the violations and the shrunk history\n"
    "\n"
    "Exit: 0 no violation, 1 a violation, 2 usage, 3 a target unreachable.\n";

enum { OPT_TARGET = CMD_OPT_OWN, OPT_SEED, OPT_VIEWERS, OPT_OPS, OPT_CLIENTS, OPT_KEYS, OPT_TIME, OPT_STEPS,
       OPT_NO_SHRINK, OPT_EMIT, OPT_TIMEOUT, OPT_SECRET, OPT_REPORT, OPT_NAME };

enum { MAX_TARGETS = 16, MAX_REPORTS = 16 };

struct model_cmd {
    const char *targets[MAX_TARGETS];
    int ntargets;
    const char *reports[MAX_REPORTS];
    int nreports;
    struct model_plan_opts plan;
    int seed_given, shrink, quiet;
    double time_limit;
    long steps, timeout_ms;
    const char *secret, *emit, *name;
};

static int int_option(const char *arg, const char *opt, long max, int *out)
{
    long v = cmd_parse_pos(arg);
    if (v < 1 || v > max)
        return cmd_usage_error(usage, opt, arg);
    *out = (int)v;
    return -1;
}

static int parse(struct model_cmd *x, int argc, char **argv)
{
    static const struct option opts[] = {
        {"target", 1, 0, OPT_TARGET}, {"seed", 1, 0, OPT_SEED}, {"viewers", 1, 0, OPT_VIEWERS},
        {"ops", 1, 0, OPT_OPS}, {"clients", 1, 0, OPT_CLIENTS}, {"keys", 1, 0, OPT_KEYS},
        {"time-limit", 1, 0, OPT_TIME}, {"steps", 1, 0, OPT_STEPS}, {"no-shrink", 0, 0, OPT_NO_SHRINK},
        {"emit-case", 1, 0, OPT_EMIT}, {"timeout-ms", 1, 0, OPT_TIMEOUT}, {"secret", 1, 0, OPT_SECRET},
        {"report", 1, 0, OPT_REPORT}, {"name", 1, 0, OPT_NAME}, {"quiet", 0, 0, 'q'}, {"help", 0, 0, 'h'},
        {0, 0, 0, 0}};
    int opt, rc;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "qh", opts, NULL)) != -1) {
        rc = -1;
        switch (opt) {
        case OPT_TARGET:
            if (x->ntargets == MAX_TARGETS)
                return cmd_usage_error(usage, "at most 16 targets, not another: %s", optarg);
            if (!cmd_url_ok(optarg))
                return cmd_usage_error(usage, "--target needs an http:// or https:// URL, not %s", optarg);
            x->targets[x->ntargets++] = optarg;
            break;
        case OPT_SEED: {
            char *end;
            x->plan.seed = strtoull(optarg, &end, 10);
            if (!*optarg || *end || *optarg == '-')
                return cmd_usage_error(usage, "--seed needs a non-negative integer, not %s", optarg);
            x->seed_given = 1;
            break;
        }
        case OPT_VIEWERS: rc = int_option(optarg, "--viewers needs 1..64, not %s", 64, &x->plan.viewers); break;
        case OPT_OPS: rc = int_option(optarg, "--ops needs 1..100000, not %s", 100000, &x->plan.ops); break;
        case OPT_CLIENTS: rc = int_option(optarg, "--clients needs 1..64, not %s", 64, &x->plan.clients); break;
        case OPT_KEYS: rc = int_option(optarg, "--keys needs 1..64, not %s", 64, &x->plan.keys); break;
        case OPT_TIME: {
            char *end;
            x->time_limit = strtod(optarg, &end);
            if (!*optarg || *end || !(x->time_limit > 0))
                return cmd_usage_error(usage, "--time-limit needs a positive number of seconds, not %s", optarg);
            break;
        }
        case OPT_STEPS:
            x->steps = cmd_parse_pos(optarg);
            if (x->steps < 1)
                return cmd_usage_error(usage, "--steps needs a positive integer, not %s", optarg);
            break;
        case OPT_NO_SHRINK: x->shrink = 0; break;
        case OPT_EMIT: x->emit = optarg; break;
        case OPT_TIMEOUT:
            x->timeout_ms = cmd_parse_pos(optarg);
            if (x->timeout_ms < 1)
                return cmd_usage_error(usage, "--timeout-ms needs a positive integer, not %s", optarg);
            break;
        case OPT_SECRET: x->secret = optarg; break;
        case OPT_REPORT: {
            char buf[1024], *fmt, *path, err[256];
            if (strlen(optarg) >= sizeof buf || report_parse_spec(optarg, buf, &fmt, &path, err, sizeof err))
                return cmd_usage_error(usage, "--report: %s", strlen(optarg) >= sizeof buf ? "too long" : err);
            if (x->nreports == MAX_REPORTS)
                return cmd_usage_error(usage, "at most 16 reports, not another: %s", optarg);
            x->reports[x->nreports++] = optarg;
            break;
        }
        case OPT_NAME: x->name = optarg; break;
        case 'q': x->quiet = 1; break;
        default: return cmd_help_or_bad(opt, usage);
        }
        if (rc != -1)
            return rc;
    }
    if (optind < argc)
        return cmd_usage_error(usage, "unexpected argument %s", argv[optind]);
    if (!x->ntargets)
        return cmd_usage_error(usage, "%s", "--target is required");
    if (!x->secret || !*x->secret)
        x->secret = getenv("AFI_SECRET");
    if (!x->secret || !*x->secret)
        return cmd_usage_error(usage, "%s", "the target's secret is needed: --secret or AFI_SECRET");
    return -1;
}

static int write_reports(const struct model_cmd *x, const cJSON *doc)
{
    int rc = 0;
    for (int i = 0; i < x->nreports; i++) {
        char buf[1024], *fmt, *path, err[300];
        report_parse_spec(x->reports[i], buf, &fmt, &path, err, sizeof err);
        if (report_write(doc, fmt, path, err, sizeof err)) {
            fprintf(stderr, "conformance: %s\n", err);
            rc = -1;
        }
    }
    return rc;
}

static void print_check(const struct model_check *c, const char *what)
{
    printf("%s: %zu operations on %zu keys checked in %.1f ms (%ld model steps)", what, c->ops_checked,
           c->keys, c->check_ms, c->steps);
    if (c->keys_undecided)
        printf("; %zu keys could not be decided within the limit", c->keys_undecided);
    printf("\n");
    for (size_t i = 0; i < c->n; i++)
        printf("  [%s] %s\n", c->v[i].requirement, c->v[i].message);
}

static int emit_case(const char *path, const struct model_plan *p, const struct model_check *c)
{
    cJSON *suite = model_case_build(p, c);
    char *text = cJSON_Print(suite);
    char err[300];
    int rc = report_write_file(path, text, err, sizeof err);
    if (rc)
        fprintf(stderr, "conformance: %s\n", err);
    free(text);
    cJSON_Delete(suite);
    return rc;
}

int cmd_model(int argc, char **argv)
{
    struct model_cmd x = {.plan = {.viewers = 8, .ops = 400, .clients = 8, .keys = 4}, .shrink = 1,
                          .time_limit = 10, .steps = 2000000, .timeout_ms = 5000};
    int rc = parse(&x, argc, argv);
    if (rc != -1)
        return rc;
    if (!x.seed_given) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        x.plan.seed = ((unsigned long long)ts.tv_sec * 1000003ULL) ^ (unsigned long long)ts.tv_nsec ^
                      ((unsigned long long)getpid() << 32);
        x.plan.seed %= 1000000000ULL;
    }
    x.plan.targets = x.ntargets;
    printf("conformance model: seed %llu (--seed %llu reproduces the plan), %d viewers, %d clients, "
           "%d operations, %d keys, %d target%s\n", x.plan.seed, x.plan.seed, x.plan.viewers, x.plan.clients,
           x.plan.ops, x.plan.keys, x.ntargets, x.ntargets > 1 ? "s" : "");
    fflush(stdout);

    struct model_exec_opts eo = {.targets = x.targets, .secret = x.secret, .timeout_ms = x.timeout_ms};
    /* a short --timeout-ms makes operations "may have happened", not the target unreachable */
    struct model_exec_opts ho = {.targets = x.targets, .timeout_ms = x.timeout_ms > 10000 ? x.timeout_ms : 10000};
    char err[400];
    if (model_exec_health(&ho, x.ntargets, err, sizeof err)) {
        fprintf(stderr, "conformance: target unreachable: %s\n", err);
        return EXIT_CODE_UNREACHABLE;
    }
    char started[32];
    time_t now = time(NULL);
    strftime(started, sizeof started, "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
    double t0 = model_check_now_ms();
    double deadline = 0;
    struct model_plan plan, shrunk = {0};
    struct model_check check, shrunk_check = {0};
    int runs = 0, have_shrunk = 0;
    cJSON *doc = NULL;
    model_plan_generate(&plan, &x.plan);
    rc = EXIT_CODE_USAGE;
    if (model_exec_run(&plan, &eo, err, sizeof err)) {
        fprintf(stderr, "conformance: %s\n", err);
        model_check_run(&plan, 1, 1, &check);
        goto out;
    }
    double exec_ms = model_check_now_ms() - t0;
    deadline = model_check_now_ms() + x.time_limit * 1000.0;
    size_t answered = 0;
    for (size_t i = 0; i < plan.nops; i++)
        answered += plan.ops[i].status != 0;
    printf("history: %zu operations in %.0f ms, %zu answered, %zu without an answer (may have happened)\n",
           plan.nops, exec_ms, answered, plan.nops - answered);
    model_check_run(&plan, x.steps, deadline, &check);
    print_check(&check, "check");
    if (check.n && x.shrink) {
        const char *req = check.v[0].requirement;
        struct model_shrink_opts so = {.exec = &eo, .max_steps = x.steps, .deadline_ms = deadline, .max_runs = 400};
        printf("shrinking the [%s] failure (re-running smaller histories with fresh subs and keys)...\n", req);
        fflush(stdout);
        if (model_shrink_run(&plan, req, &so, &shrunk, &shrunk_check, &runs, err, sizeof err))
            fprintf(stderr, "conformance: shrinking stopped: %s\n", err);
        have_shrunk = 1;
        struct strbuf b = {0};
        model_report_history(&b, &shrunk, x.targets);
        printf("shrunk to %zu operations (%d executions):\n%s", shrunk.nops, runs, strbuf_str(&b));
        strbuf_free(&b);
        print_check(&shrunk_check, "shrunk history's check");
        model_report_curl(&b, &shrunk, x.targets);
        printf("as curl (the tokens are valid for 10 minutes):\n%s", strbuf_str(&b));
        strbuf_free(&b);
    } else if (check.n && !x.quiet) {
        struct strbuf b = {0};
        model_report_history(&b, &plan, x.targets);
        printf("%s", strbuf_str(&b));
        strbuf_free(&b);
    }
    rc = check.n ? EXIT_CODE_FAILED : EXIT_CODE_OK;
    if (x.emit && emit_case(x.emit, have_shrunk ? &shrunk : &plan, have_shrunk ? &shrunk_check : &check))
        rc = EXIT_CODE_USAGE;
    printf("%s: seed %llu, %zu violation%s%s\n", check.n ? "FAILED" : "passed", x.plan.seed, check.n,
           check.n == 1 ? "" : "s", !check.n && check.keys_undecided ? " (some keys undecided)" : "");
    struct model_report_run r = {.plan = &plan, .check = &check, .shrunk = have_shrunk ? &shrunk : NULL,
                                 .shrunk_check = &shrunk_check, .shrink_runs = runs, .targets = x.targets,
                                 .name = x.name, .started_at = started,
                                 .duration_ms = model_check_now_ms() - t0, .exec_ms = exec_ms};
    doc = model_report_json(&r);
    if (write_reports(&x, doc))
        rc = EXIT_CODE_USAGE;
out:
    cJSON_Delete(doc);
    model_plan_clear(&plan);
    model_plan_clear(&shrunk);
    model_check_clear(&check);
    model_check_clear(&shrunk_check);
    return rc;
}
