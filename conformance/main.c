/* main.c: the `conformance` command line: a table of subcommands, each with its own options and usage. */
#include "fixture.h"
#include "http.h"
#include "jsonx.h"
#include "matrix.h"
#include "matcher.h"
#include "report.h"
#include "results.h"
#include "runner.h"
#include "schema.h"
#include "select.h"
#include "spawn.h"
#include "spec.h"
#include "text.h"
#include "version.h"

#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXIT_FAILED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

static const char *run_usage =
    "usage: conformance run --target URL [options]\n"
    "       conformance run --spawn \"CMD {port}\" [options]\n"
    "\n"
    "Replays the fixture suites against an AFI target over HTTP.\n"
    "\n"
    "  --target URL             the target's base URL (e.g. http://127.0.0.1:8080/afi)\n"
    "  --spawn \"CMD {port}\"     start the target (free port for {port}, AFI_SECRET in its\n"
    "                           environment), wait for /health, run, stop it; the target is\n"
    "                           http://127.0.0.1:{port}/afi unless --target has {port}\n"
    "  --suite PATH             a suite file or a directory of suites (repeatable;\n"
    "                           default: $AFI_FIXTURES, <exe>/../fixtures, ./fixtures)\n"
    "  --spec PATH              docs/protocol.md (default: <fixtures>/../docs/protocol.md)\n"
    "  --level core|full        core runs only core cases (default core)\n"
    "  --only GLOB              run only matching case ids (repeatable)\n"
    "  --skip GLOB              skip matching case ids (repeatable)\n"
    "  --expected-failures FILE case ids or globs expected to fail, one a line\n"
    "  --jobs N                 cases in parallel (default: the number of cores)\n"
    "  --timeout-ms N           per-request timeout (default 10000)\n"
    "  --secret S               the shared secret (default: $AFI_SECRET)\n"
    "  --report FORMAT:PATH     json, junit, md, tap or html (repeatable)\n"
    "  --shard K/N              run the K-th of N disjoint parts\n"
    "  --name LABEL             the implementation's name in reports\n"
    "  -v, --verbose            a line per case\n"
    "  -q, --quiet              only failures and the closing line\n"
    "\n"
    "Exit: 0 all passed, 1 a case failed (or an expected failure passed), 2 usage or\n"
    "fixture error, 3 target unreachable.\n";

static const char *list_usage =
    "usage: conformance list [--suite PATH]... [--spec PATH] [--level core|full] [--only GLOB] [--skip GLOB]\n"
    "\n"
    "Lists the cases: id, level, grade, requirements, title.\n";

static const char *validate_usage =
    "usage: conformance validate [--spec PATH] FILE|DIR...\n"
    "\n"
    "Checks fixture suites (a directory means its suites). Each problem is printed as\n"
    "FILE: JSONPATH: expected ...; exit 2 when there is any, 0 otherwise.\n";

static const char *schema_diff_usage =
    "usage: conformance schema-diff --target URL [--expected PATH] [--timeout-ms N]\n"
    "\n"
    "Compares the canonical form (SCH-4) of the target's GET /schema with the expected\n"
    "profile schema (default <fixtures>/profile-schema.json). Prints each difference by\n"
    "JSON path; exit 0 equal, 1 different, 2 usage, 3 target unreachable.\n";

static const char *coverage_usage =
    "usage: conformance coverage [--suite PATH]... [--spec PATH]\n"
    "\n"
    "Lists the requirement ids of docs/protocol.md that no case checks; exit 1 when any.\n";

/* ---------- shared option handling ---------- */

struct common {
    const char **suites; /* the command's own array of argc entries: every path is an argument */
    int nsuites;
    const char *spec;
    char fixtures[PATH_MAX + 32];
    char specpath[PATH_MAX + 64];
};

/* Adds a --suite path (or validate's FILE or DIR). */
static void add_suite(struct common *c, const char *path)
{
    c->suites[c->nsuites++] = path;
}

static int is_dir(const char *p)
{
    struct stat st;
    return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* The default fixtures directory: $AFI_FIXTURES, else beside the executable
 * (<exe dir>/../fixtures in a build tree, <exe dir>/../share/afi/fixtures once
 * installed by `make install`), else ./fixtures. */
static void default_fixtures(char *out, size_t outlen)
{
    static const char *const beside[] = {"../fixtures", "../share/afi/fixtures"};
    const char *env = getenv("AFI_FIXTURES");
    char exe[PATH_MAX - 64];
    ssize_t n;
    if (env && *env) {
        snprintf(out, outlen, "%s", env);
        return;
    }
    if ((n = readlink("/proc/self/exe", exe, sizeof exe - 1)) > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        for (size_t i = 0; i < sizeof beside / sizeof *beside; i++) {
            char cand[PATH_MAX], real[PATH_MAX];
            snprintf(cand, sizeof cand, "%s/%s", exe, beside[i]);
            if (realpath(cand, real) && is_dir(real)) {
                snprintf(out, outlen, "%s", real);
                return;
            }
        }
    }
    snprintf(out, outlen, "fixtures");
}

/* Finds the fixtures directory (the first --suite's directory, else the
 * installed one) and the protocol document (--spec, else docs/protocol.md
 * beside the fixtures directory, else beside the installed one). */
static void locate(struct common *c)
{
    char dflt[PATH_MAX + 32];
    default_fixtures(dflt, sizeof dflt);
    snprintf(c->fixtures, sizeof c->fixtures, "%s", dflt);
    if (c->nsuites) {
        snprintf(c->fixtures, sizeof c->fixtures, "%s", c->suites[0]);
        if (!is_dir(c->fixtures)) {
            char *slash = strrchr(c->fixtures, '/');
            if (slash)
                *slash = '\0';
            else
                snprintf(c->fixtures, sizeof c->fixtures, ".");
        }
    }
    if (c->spec) {
        snprintf(c->specpath, sizeof c->specpath, "%s", c->spec);
        return;
    }
    struct stat st;
    snprintf(c->specpath, sizeof c->specpath, "%s/../docs/protocol.md", c->fixtures);
    if (stat(c->specpath, &st))
        snprintf(c->specpath, sizeof c->specpath, "%s/../docs/protocol.md", dflt);
}

static int load_all(struct common *c, struct fixture_set *set, const struct spec *spec)
{
    struct fixture_errors errs = {0};
    int rc = 0;
    if (!c->nsuites) {
        rc = fixture_load_dir(set, c->fixtures, spec, &errs);
    } else {
        for (int i = 0; i < c->nsuites; i++)
            if ((is_dir(c->suites[i]) ? fixture_load_dir(set, c->suites[i], spec, &errs)
                                      : fixture_load_file(set, c->suites[i], spec, &errs)))
                rc = -1;
    }
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.v[i]);
    if (rc)
        fprintf(stderr, "conformance: %zu fixture problem%s\n", errs.n, errs.n == 1 ? "" : "s");
    fixture_errors_free(&errs);
    return rc;
}

static struct spec *load_spec(struct common *c, int required)
{
    char err[600];
    struct spec *s = spec_load(c->specpath, err, sizeof err);
    if (!s && required)
        fprintf(stderr, "conformance: %s\n", err);
    return s;
}

enum { OPT_TARGET = 256, OPT_SUITE, OPT_SPEC, OPT_LEVEL, OPT_ONLY, OPT_SKIP, OPT_XFAIL, OPT_JOBS, OPT_TIMEOUT,
       OPT_SECRET, OPT_REPORT, OPT_SHARD, OPT_SPAWN, OPT_NAME, OPT_EXPECTED, OPT_HELP };

static int usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "conformance: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage);
    return EXIT_USAGE;
}

/* 1 when url is http:// or https:// with a host and, if given, a numeric port. */
static int url_ok(const char *url)
{
    const char *h;
    if (!strncmp(url, "http://", 7))
        h = url + 7;
    else if (!strncmp(url, "https://", 8))
        h = url + 8;
    else
        return 0;
    size_t hl = strcspn(h, ":/?#");
    if (hl == 0 || strchr(" @", h[0]))
        return 0;
    if (h[hl] == ':') {
        const char *p = h + hl + 1;
        size_t pl = strspn(p, "0123456789");
        if (pl == 0 || pl > 5 || (p[pl] && p[pl] != '/'))
            return 0;
    }
    return 1;
}

static int parse_level(const char *s, int *full)
{
    if (!strcmp(s, "core"))
        *full = 0;
    else if (!strcmp(s, "full"))
        *full = 1;
    else
        return -1;
    return 0;
}

static long parse_pos(const char *s)
{
    char *e;
    long v = strtol(s, &e, 10);
    return (e == s || *e || v < 1) ? -1 : v;
}

/* ---------- run ---------- */

struct console {
    int verbose, quiet, tty;
};

/* Live progress: on a terminal one line rewritten in place (failures scroll
 * above it); otherwise a plain line per case that did not pass (-v: every case). */
static void on_case(const struct runner *r, int idx, void *ctx)
{
    const struct console *con = ctx;
    const struct case_result *cr = &r->results[idx];
    const char *id = r->set->cases[idx]->id;
    static const char *const tag[] = {"PASS", "FAIL", "WARN", "SKIP", "XFAIL", "XPASS", ""};
    if (con->quiet)
        return;
    int show = con->verbose || cr->status != CASE_PASSED;
    if (con->tty) {
        if (show)
            printf("\r\033[K%-5s %s (%.1f ms)\n", tag[cr->status], id, cr->ms);
        printf("\r\033[K[%d/%d] %d passed, %d failed, %d warned  %s", r->done, r->torun, r->npassed, r->nfailed,
               r->nwarned, id);
        fflush(stdout);
    } else if (show) {
        printf("%-5s %s (%.1f ms)\n", tag[cr->status], id, cr->ms);
    }
}

static int cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"target", 1, 0, OPT_TARGET}, {"suite", 1, 0, OPT_SUITE}, {"spec", 1, 0, OPT_SPEC},
        {"level", 1, 0, OPT_LEVEL}, {"only", 1, 0, OPT_ONLY}, {"skip", 1, 0, OPT_SKIP},
        {"expected-failures", 1, 0, OPT_XFAIL}, {"jobs", 1, 0, OPT_JOBS}, {"timeout-ms", 1, 0, OPT_TIMEOUT},
        {"secret", 1, 0, OPT_SECRET}, {"report", 1, 0, OPT_REPORT}, {"shard", 1, 0, OPT_SHARD},
        {"spawn", 1, 0, OPT_SPAWN}, {"name", 1, 0, OPT_NAME}, {"verbose", 0, 0, 'v'}, {"quiet", 0, 0, 'q'},
        {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *paths[argc];
    struct common c = {.suites = paths};
    struct runner r = {0};
    struct console con = {0};
    struct fixture_set set = {0};
    struct spec *spec = NULL;
    struct spawn sp = {.log_fd = -1};
    const char *target = NULL, *secret = getenv("AFI_SECRET"), *spawn_cmd = NULL, *name = NULL;
    const char *reports[32];
    int nreports = 0, rc = EXIT_USAGE, spawned = 0;
    char err[1200], gen_secret[65], *target_buf = NULL;
    r.o.jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    r.o.timeout_ms = 10000;
    r.sel.shard_k = r.sel.shard_n = 1;
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_TARGET: target = optarg; break;
        case OPT_SUITE: add_suite(&c, optarg); break;
        case OPT_SPEC: c.spec = optarg; break;
        case OPT_LEVEL:
            if (parse_level(optarg, &r.sel.full)) {
                rc = usage_error(run_usage, "--level: expected core or full, got \"%s\"", optarg);
                goto out;
            }
            break;
        case OPT_ONLY: select_list_add(&r.sel.only, optarg); break;
        case OPT_SKIP: select_list_add(&r.sel.skip, optarg); break;
        case OPT_XFAIL:
            if (select_load_file(&r.xfail, optarg, err, sizeof err)) {
                fprintf(stderr, "conformance: %s\n", err);
                goto out;
            }
            break;
        case OPT_JOBS:
            if ((r.o.jobs = (int)parse_pos(optarg)) < 1) {
                rc = usage_error(run_usage, "--jobs: expected a positive integer, got \"%s\"", optarg);
                goto out;
            }
            break;
        case OPT_TIMEOUT:
            if ((r.o.timeout_ms = parse_pos(optarg)) < 1) {
                rc = usage_error(run_usage, "--timeout-ms: expected a positive integer, got \"%s\"", optarg);
                goto out;
            }
            break;
        case OPT_SECRET: secret = optarg; break;
        case OPT_REPORT: {
            char *buf = malloc(strlen(optarg) + 1), *fmt, *path;
            int bad = report_parse_spec(optarg, buf, &fmt, &path, err, sizeof err);
            free(buf);
            if (bad) {
                rc = usage_error(run_usage, "--report: %s", err);
                goto out;
            }
            if (nreports == 32) {
                rc = usage_error(run_usage, "%s", "more than 32 --report options");
                goto out;
            }
            reports[nreports++] = optarg;
            break;
        }
        case OPT_SHARD:
            if (select_parse_shard(optarg, &r.sel.shard_k, &r.sel.shard_n, err, sizeof err)) {
                rc = usage_error(run_usage, "%s", err);
                goto out;
            }
            break;
        case OPT_SPAWN: spawn_cmd = optarg; break;
        case OPT_NAME: name = optarg; break;
        case 'v': con.verbose = 1; break;
        case 'q': con.quiet = 1; break;
        case 'h': fputs(run_usage, stdout); rc = 0; goto out;
        default: fprintf(stderr, "\n%s", run_usage); goto out;
        }
    }
    if (optind < argc) {
        rc = usage_error(run_usage, "unexpected argument \"%s\"", argv[optind]);
        goto out;
    }
    if (!target && !spawn_cmd) {
        rc = usage_error(run_usage, "%s", "--target URL or --spawn CMD is required");
        goto out;
    }
    if (!secret || !*secret) {
        if (!spawn_cmd) {
            rc = usage_error(run_usage, "%s", "no secret: pass --secret S or set AFI_SECRET (the target's secret)");
            goto out;
        }
        int fd = open("/dev/urandom", O_RDONLY);
        unsigned char b[32] = {0};
        if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
            fprintf(stderr, "conformance: cannot read /dev/urandom to generate a secret\n");
            if (fd >= 0)
                close(fd);
            goto out;
        }
        close(fd);
        for (int i = 0; i < 32; i++)
            sprintf(gen_secret + 2 * i, "%02x", b[i]);
        secret = gen_secret;
    }
    locate(&c);
    if (!(spec = load_spec(&c, 1)))
        goto out;
    if (load_all(&c, &set, spec))
        goto out;
    if (spawn_cmd) {
        if (spawn_start(&sp, spawn_cmd, secret, err, sizeof err)) {
            fprintf(stderr, "conformance: %s\n", err);
            rc = EXIT_UNREACHABLE;
            goto out;
        }
        spawned = 1;
        if (target && strstr(target, "{port}")) {
            target_buf = spawn_subst_port(target, sp.port);
        } else if (target) {
            target_buf = strdup(target);
        } else {
            target_buf = malloc(64);
            snprintf(target_buf, 64, "http://127.0.0.1:%d/afi", sp.port);
        }
    } else {
        target_buf = strdup(target);
    }
    if (!url_ok(target_buf)) {
        fprintf(stderr, "conformance: --target: expected an http:// or https:// URL such as "
                        "http://127.0.0.1:8080/afi, got \"%s\"\n", target_buf);
        rc = EXIT_USAGE;
        goto out;
    }
    size_t tl = strlen(target_buf);
    while (tl > 0 && target_buf[tl - 1] == '/')
        target_buf[--tl] = '\0';
    if (spawned) {
        char *health = malloc(tl + 16);
        sprintf(health, "%s/health", target_buf);
        int w = spawn_wait(&sp, health, r.o.timeout_ms > 15000 ? r.o.timeout_ms : 15000, err, sizeof err);
        free(health);
        if (w) {
            char *clean = text_clean_str(err); /* it ends with the target's own output */
            fprintf(stderr, "conformance: %s\n", clean);
            free(clean);
            rc = EXIT_UNREACHABLE;
            goto out;
        }
    }
    r.o.target = target_buf;
    r.o.secret = secret;
    con.tty = isatty(STDOUT_FILENO);
    r.o.progress = on_case;
    r.o.progress_ctx = &con;
    r.set = &set;
    r.spec = spec;
    if (runner_prepare(&r, err, sizeof err)) {
        fprintf(stderr, "conformance: %s\n", err);
        rc = EXIT_UNREACHABLE;
        goto out;
    }
    if (!con.quiet)
        printf("conformance: %d case%s against %s (run %s, level %s, %d job%s)\n", r.torun,
               r.torun == 1 ? "" : "s", r.o.target, r.id, r.sel.full ? "full" : "core", r.o.jobs,
               r.o.jobs == 1 ? "" : "s");
    runner_execute(&r);
    if (con.tty && !con.quiet) {
        printf("\r\033[K");
        fflush(stdout);
    }
    if (spawned)
        spawn_stop(&sp);
    spawned = 0;
    if (http_stalls() >= 2)
        printf("hint: %ld answers arrived with their body 30 ms or more after their headers: the target "
               "writes headers and body in two sends with Nagle's algorithm on, so clients that delay "
               "ACKs wait ~40 ms per request (the runner acknowledged at once); fix: TCP_NODELAY on its "
               "sockets, or one write per answer\n",
               http_stalls());
    results_print(&r, stdout);
    rc = results_exit_code(&r);
    if (nreports) {
        cJSON *doc = results_report(&r, name);
        for (int i = 0; i < nreports; i++) {
            char *buf = malloc(strlen(reports[i]) + 1), *fmt, *path;
            report_parse_spec(reports[i], buf, &fmt, &path, err, sizeof err);
            if (report_write(doc, fmt, path, err, sizeof err)) {
                fprintf(stderr, "conformance: --report %s: %s\n", reports[i], err);
                if (rc == 0)
                    rc = EXIT_USAGE;
            }
            free(buf);
        }
        cJSON_Delete(doc);
    }
    fflush(stdout);
out:
    if (spawned)
        spawn_stop(&sp);
    if (r.results || r.schema)
        runner_clear(&r);
    select_list_free(&r.sel.only);
    select_list_free(&r.sel.skip);
    select_list_free(&r.xfail);
    fixture_set_free(&set);
    spec_free(spec);
    free(target_buf);
    return rc;
}

/* ---------- list ---------- */

static int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {{"suite", 1, 0, OPT_SUITE}, {"spec", 1, 0, OPT_SPEC},
                                         {"level", 1, 0, OPT_LEVEL}, {"only", 1, 0, OPT_ONLY},
                                         {"skip", 1, 0, OPT_SKIP}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *paths[argc];
    struct common c = {.suites = paths};
    struct select_opts sel = {.full = 1, .shard_k = 1, .shard_n = 1};
    struct fixture_set set = {0};
    int opt, rc = EXIT_USAGE;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_SUITE: add_suite(&c, optarg); break;
        case OPT_SPEC: c.spec = optarg; break;
        case OPT_LEVEL:
            if (parse_level(optarg, &sel.full)) {
                rc = usage_error(list_usage, "--level: expected core or full, got \"%s\"", optarg);
                goto out;
            }
            break;
        case OPT_ONLY: select_list_add(&sel.only, optarg); break;
        case OPT_SKIP: select_list_add(&sel.skip, optarg); break;
        case 'h': fputs(list_usage, stdout); rc = 0; goto out;
        default: fprintf(stderr, "\n%s", list_usage); goto out;
        }
    }
    locate(&c);
    struct spec *spec = load_spec(&c, 0);
    if (load_all(&c, &set, spec)) {
        spec_free(spec);
        goto out;
    }
    int shown = 0;
    for (int i = 0; i < set.ncases; i++) {
        const struct fixture_case *fc = set.cases[i];
        if (select_case(&sel, fc->id, fc->full, i) != SELECT_RUN)
            continue;
        char reqs[256] = "";
        for (const cJSON *q = fc->requirements->child; q; q = q->next) {
            strncat(reqs, q->valuestring, sizeof reqs - strlen(reqs) - 2);
            if (q->next)
                strncat(reqs, ",", sizeof reqs - strlen(reqs) - 1);
        }
        printf("%-40s %-4s %-6s %-16s %s\n", fc->id, fc->full ? "full" : "core", fc->should ? "should" : "must",
               reqs, fc->title);
        shown++;
    }
    printf("%d cases in %d suites\n", shown, set.nsuites);
    spec_free(spec);
    rc = 0;
out:
    select_list_free(&sel.only);
    select_list_free(&sel.skip);
    fixture_set_free(&set);
    return rc;
}

/* ---------- validate ---------- */

static int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {{"spec", 1, 0, OPT_SPEC}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *paths[argc];
    struct common c = {.suites = paths};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_SPEC: c.spec = optarg; break;
        case 'h': fputs(validate_usage, stdout); return 0;
        default: fprintf(stderr, "\n%s", validate_usage); return EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return usage_error(validate_usage, "%s", "expected at least one FILE or DIR");
    for (int i = optind; i < argc; i++)
        add_suite(&c, argv[i]);
    locate(&c);
    struct spec *spec = load_spec(&c, 0);
    if (!spec)
        fprintf(stderr, "conformance: note: %s not found; requirement ids are not checked (use --spec)\n",
                c.specpath);
    struct fixture_set set = {0};
    int bad = load_all(&c, &set, spec);
    if (!bad)
        printf("%d suites, %d cases: valid\n", set.nsuites, set.ncases);
    fixture_set_free(&set);
    spec_free(spec);
    return bad ? EXIT_USAGE : 0;
}

/* ---------- schema-diff ---------- */

static int cmd_schema_diff(int argc, char **argv)
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
            if ((timeout = parse_pos(optarg)) < 1)
                return usage_error(schema_diff_usage, "--timeout-ms: expected a positive integer, got \"%s\"", optarg);
            break;
        case 'h': fputs(schema_diff_usage, stdout); return 0;
        default: fprintf(stderr, "\n%s", schema_diff_usage); return EXIT_USAGE;
        }
    }
    if (!target)
        return usage_error(schema_diff_usage, "%s", "--target URL is required");
    if (!url_ok(target))
        return usage_error(schema_diff_usage, "--target: expected an http:// or https:// URL, got \"%s\"", target);
    const char *paths[argc];
    struct common c = {.suites = paths};
    locate(&c);
    char exp_path[PATH_MAX + 32], err[300];
    snprintf(exp_path, sizeof exp_path, "%s", expected ? expected : c.fixtures);
    if (!expected)
        strncat(exp_path, "/profile-schema.json", sizeof exp_path - strlen(exp_path) - 1);
    FILE *f = fopen(exp_path, "rb");
    if (!f) {
        fprintf(stderr, "conformance: cannot read the expected schema %s (use --expected)\n", exp_path);
        return EXIT_USAGE;
    }
    size_t cap = 1 << 16, n = 0, got;
    char *buf = malloc(cap);
    while ((got = fread(buf + n, 1, cap - n, f)) > 0)
        if ((n += got) == cap)
            buf = realloc(buf, cap *= 2);
    fclose(f);
    cJSON *exp = jsonx_parse(buf, n, err, sizeof err);
    free(buf);
    if (!exp) {
        fprintf(stderr, "conformance: %s: not strict JSON: %s\n", exp_path, err);
        return EXIT_USAGE;
    }
    size_t tl = strlen(target);
    char *url = malloc(tl + 16);
    memcpy(url, target, tl + 1);
    while (tl > 0 && url[tl - 1] == '/')
        url[--tl] = '\0';
    strcat(url, "/schema");
    struct http_client *hc = http_client_new(timeout);
    struct http_request q = {.method = "GET", .url = url};
    struct http_response res = {0};
    int rc;
    cJSON *act = NULL;
    if (http_do(hc, &q, &res) || res.status != 200) {
        fprintf(stderr, "conformance: target unreachable: GET %s: %s%s\n", url,
                res.status ? "status " : res.error, res.status ? (res.status == 404 ? "404" : "not 200") : "");
        rc = EXIT_UNREACHABLE;
    } else if (!(act = jsonx_parse(res.body ? res.body : "", res.body_len, err, sizeof err))) {
        printf("$: expected the OpenAPI document, got a body that is not strict JSON (%s)\n", err);
        printf("SCH-4: the target's schema differs from %s\n", exp_path);
        rc = EXIT_FAILED;
    } else {
        cJSON *ce = schema_canonical(exp), *ca = schema_canonical(act);
        struct matcher_diffs d = {0};
        schema_diff(ce, ca, "$", &d);
        for (size_t i = 0; i < d.n; i++)
            printf("%s: expected %s, got %s\n", d.v[i].path, d.v[i].expected, d.v[i].actual);
        if (d.n)
            printf("SCH-4: %zu difference%s between the target's canonical schema and %s\n", d.n,
                   d.n == 1 ? "" : "s", exp_path);
        else
            printf("SCH-4: the target's canonical schema equals %s\n", exp_path);
        rc = d.n ? EXIT_FAILED : 0;
        matcher_diffs_clear(&d);
        cJSON_Delete(ce);
        cJSON_Delete(ca);
    }
    cJSON_Delete(act);
    cJSON_Delete(exp);
    http_response_clear(&res);
    http_client_free(hc);
    free(url);
    return rc;
}

/* ---------- coverage ---------- */

static int cmd_coverage(int argc, char **argv)
{
    static const struct option opts[] = {{"suite", 1, 0, OPT_SUITE}, {"spec", 1, 0, OPT_SPEC},
                                         {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *paths[argc];
    struct common c = {.suites = paths};
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_SUITE: add_suite(&c, optarg); break;
        case OPT_SPEC: c.spec = optarg; break;
        case 'h': fputs(coverage_usage, stdout); return 0;
        default: fprintf(stderr, "\n%s", coverage_usage); return EXIT_USAGE;
        }
    }
    locate(&c);
    struct spec *spec = load_spec(&c, 1);
    if (!spec)
        return EXIT_USAGE;
    struct fixture_set set = {0};
    if (load_all(&c, &set, spec)) {
        spec_free(spec);
        return EXIT_USAGE;
    }
    size_t missing = 0;
    for (size_t i = 0; i < spec->n; i++) {
        int n = 0;
        for (int k = 0; k < set.ncases; k++)
            for (const cJSON *q = set.cases[k]->requirements->child; q; q = q->next)
                n += !strcmp(q->valuestring, spec->reqs[i].id);
        if (!n) {
            printf("%-8s no case: %s\n", spec->reqs[i].id, spec->reqs[i].rule);
            missing++;
        }
    }
    printf("%zu of %zu requirements have cases; %zu without\n", spec->n - missing, spec->n, missing);
    fixture_set_free(&set);
    spec_free(spec);
    return missing ? EXIT_FAILED : 0;
}

/* ---------- dispatch ---------- */

static int cmd_matrix(int argc, char **argv)
{
    return matrix_main(argc, argv);
}

static int cmd_help(int argc, char **argv);

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
    const char **usage; /* NULL: the command prints its own on --help */
};

static const struct command commands[] = {
    {"run", cmd_run, "replay the fixture suites against a target", &run_usage},
    {"list", cmd_list, "list the cases", &list_usage},
    {"validate", cmd_validate, "check fixture files", &validate_usage},
    {"schema-diff", cmd_schema_diff, "compare a target's canonical schema with the profile's (SCH-4)", &schema_diff_usage},
    {"coverage", cmd_coverage, "requirement ids of docs/protocol.md without a case", &coverage_usage},
    {"matrix", cmd_matrix, "several implementations' JSON reports side by side", NULL},
    {"help", cmd_help, "help on a subcommand", NULL},
};

static void main_usage(FILE *out)
{
    fprintf(out, "usage: conformance <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`conformance help <command>` or `conformance <command> --help` for its options;\n"
                 "`conformance --version` for the tool's and the protocol's versions.\n");
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        main_usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(commands[i].name, argv[1]))
            continue;
        if (commands[i].usage) {
            fputs(*commands[i].usage, stdout);
            return 0;
        }
        char *args[] = {argv[1], "--help", NULL};
        return commands[i].fn(2, args);
    }
    fprintf(stderr, "conformance: no command \"%s\"\n\n", argv[1]);
    main_usage(stderr);
    return EXIT_USAGE;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        main_usage(stderr);
        return EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        main_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("conformance %s (AFI protocol %s)\n", AFI_TOOL_VERSION, AFI_PROTOCOL_VERSION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(commands[i].name, argv[1]))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "conformance: no command \"%s\"\n\n", argv[1]);
    main_usage(stderr);
    return EXIT_USAGE;
}
