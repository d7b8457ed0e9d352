/* cmd_run.c: `conformance run`: options, the secret, the target (or --spawn), the
 * live progress, the closing summary and the reports. */
#include "cmd_run.h"
#include "cluster.h"
#include "cmd.h"
#include "exit_code.h"
#include "jwks.h"
#include "keys.h"
#include "mem.h"
#include "report.h"
#include "results.h"
#include "runner.h"
#include "select.h"
#include "spawn.h"
#include "strbuf.h"
#include "text.h"

#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NUM_STR_(x) #x
#define NUM_STR(x) NUM_STR_(x)

static const char usage[] =
    "usage: conformance run --target URL [options]\n"
    "       conformance run --spawn \"CMD {port}\" [options]\n"
    "\n"
    "Replays the fixture suites against an AFI target over HTTP.\n"
    "\n"
    "  --target URL             the target's base URL (e.g. http://127.0.0.1:8080/afi);\n"
    "                           repeated: the instances of one deployment, each step to\n"
    "                           the next one, and the cases tagged cluster run\n"
    "  --spawn \"CMD {port}\"     start the target (free port for {port}, AFI_SECRET in its\n"
    "                           environment), wait for /health, run, stop it; the target is\n"
    "                           http://127.0.0.1:{port}/afi unless --target has {port};\n"
    "                           repeatable: one instance each, all with one secret\n"
    "  --suite PATH             a suite file or a directory of suites (repeatable;\n"
    "                           default: $AFI_FIXTURES, <exe>/../fixtures, ./fixtures)\n"
    "  --spec PATH              docs/protocol.md (default: <fixtures>/../docs/protocol.md)\n"
    "  --level core|full        core runs only core cases (default core); full signs every\n"
    "                           token RS256/ES256 with a key (below) and runs fixtures/full.json\n"
    "  --private-key FILE       full level: the PEM private key (RSA >= 2048 bits or P-256) whose\n"
    "                           public half is the target's AFI_PUBLIC_KEY_FILE; the target must\n"
    "                           have AFI_ISSUER=" KEYS_ISSUER " and AFI_AUDIENCE=" KEYS_AUDIENCE "\n"
    "                           (without a key and without --spawn the FULL-* cases are skipped)\n"
    "  --key-type rsa|p256      full level with --spawn and no --private-key: the key generated\n"
    "                           for the run (default p256); the spawned target gets its public\n"
    "                           half in AFI_PUBLIC_KEY_FILE, and AFI_ISSUER and AFI_AUDIENCE\n"
    "  --key-source file|jwks   full level: how the target gets the public key (default file);\n"
    "                           jwks: the runner serves it in a JWK Set at\n"
    "                           http://127.0.0.1:PORT/jwks.json, rotates keys there, and runs the\n"
    "                           cases tagged jwks; a spawned target gets AFI_JWKS_URL,\n"
    "                           AFI_JWKS_CACHE_SECONDS=" NUM_STR(JWKS_CACHE_SECONDS) " and AFI_JWKS_REFRESH_SECONDS=" NUM_STR(JWKS_REFRESH_SECONDS) "\n"
    "  --jwks-port N            the JWK Set's port (default: a free one); with --target, the\n"
    "                           target must fetch AFI_JWKS_URL from it, with those two settings\n"
    "  --only GLOB              run only matching case ids (repeatable)\n"
    "  --skip GLOB              skip matching case ids (repeatable)\n"
    "  --expected-failures FILE case ids or globs expected to fail, one a line\n"
    "  --jobs N                 cases in parallel (default: the number of cores)\n"
    "  --timeout-ms N           per-request timeout (default 10000)\n"
    "  --spin-us N              wait for each answer polling, without sleeping, for up to N\n"
    "                           microseconds first (default " NUM_STR(RUNNER_SPIN_US) " when --jobs leaves a core\n"
    "                           idle, else 0; 0: sleep at once): waking a sleeping client can\n"
    "                           cost more than a local target's answer\n"
    "  --secret S               the shared secret (default: $AFI_SECRET)\n"
    "  --report FORMAT:PATH     json, junit, md, tap or html (repeatable)\n"
    "  --shard K/N              run the K-th of N disjoint parts\n"
    "  --name LABEL             the implementation's name in reports\n"
    "  -v, --verbose            a line per case\n"
    "  -q, --quiet              only failures and the closing line\n"
    "\n"
    "Exit: 0 all passed, 1 a case failed (or an expected failure passed), 2 usage or\n"
    "fixture error, 3 target unreachable.\n";

enum { OPT_TARGET = CMD_OPT_OWN, OPT_LEVEL, OPT_ONLY, OPT_SKIP, OPT_XFAIL, OPT_JOBS, OPT_TIMEOUT, OPT_SECRET,
       OPT_REPORT, OPT_SHARD, OPT_SPAWN, OPT_NAME, OPT_PRIVATE_KEY, OPT_KEY_TYPE, OPT_KEY_SOURCE, OPT_JWKS_PORT,
       OPT_SPIN };

enum { MAX_REPORTS = 32, MAX_TARGETS = 32 };

/* The progress a person sees: -v, -q and whether stdout is a terminal. */
struct console {
    int verbose, quiet, tty;
};

/* One `conformance run`: its options and what it holds until it returns. */
struct run {
    struct cmd_sources src;
    struct runner r;
    struct console con;
    struct fixture_set set;
    struct spec *spec;
    struct spawn sp[MAX_TARGETS];
    int nspawned;             /* sp[0..nspawned) are running */
    const char *secret, *name;
    const char *target_opts[MAX_TARGETS], *spawn_cmds[MAX_TARGETS];
    int ntarget_opts, nspawn_cmds;
    const char *reports[MAX_REPORTS];
    int nreports;
    char gen_secret[65];
    const char *key_file, *key_type, *key_source;
    long jwks_port;
    struct keys keys;      /* the full level's, else zeroed */
    struct jwks *jwks;     /* --key-source jwks: the JWK Set server, else NULL */
    char public_path[40];  /* the spawned targets' AFI_PUBLIC_KEY_FILE, or "" */
    char *targets[MAX_TARGETS]; /* the deployment's base URLs without trailing slashes; owned */
    int ntargets;
};

/* Stops every spawned target. */
static void stop_spawned(struct run *x)
{
    for (int i = 0; i < x->nspawned; i++)
        spawn_stop(&x->sp[i]);
    x->nspawned = 0;
}

/* Parses the options into x; -1 to go on, else the exit code. */
static int parse_options(struct run *x, int argc, char **argv)
{
    static const struct option opts[] = {
        {"target", 1, 0, OPT_TARGET}, {"suite", 1, 0, CMD_OPT_SUITE}, {"spec", 1, 0, CMD_OPT_SPEC},
        {"level", 1, 0, OPT_LEVEL}, {"only", 1, 0, OPT_ONLY}, {"skip", 1, 0, OPT_SKIP},
        {"expected-failures", 1, 0, OPT_XFAIL}, {"jobs", 1, 0, OPT_JOBS}, {"timeout-ms", 1, 0, OPT_TIMEOUT},
        {"secret", 1, 0, OPT_SECRET}, {"report", 1, 0, OPT_REPORT}, {"shard", 1, 0, OPT_SHARD},
        {"spawn", 1, 0, OPT_SPAWN}, {"name", 1, 0, OPT_NAME}, {"private-key", 1, 0, OPT_PRIVATE_KEY},
        {"key-type", 1, 0, OPT_KEY_TYPE}, {"key-source", 1, 0, OPT_KEY_SOURCE}, {"jwks-port", 1, 0, OPT_JWKS_PORT},
        {"spin-us", 1, 0, OPT_SPIN},
        {"verbose", 0, 0, 'v'}, {"quiet", 0, 0, 'q'},
        {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    struct runner *r = &x->r;
    char err[1200];
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_TARGET:
            if (x->ntarget_opts == MAX_TARGETS)
                return cmd_usage_error(usage, "%s", "more than 32 --target options");
            x->target_opts[x->ntarget_opts++] = optarg;
            break;
        case OPT_LEVEL:
            if (cmd_parse_level(optarg, &r->sel.full))
                return cmd_usage_error(usage, "--level: expected core or full, got \"%s\"", optarg);
            break;
        case OPT_ONLY: select_list_add(&r->sel.only, optarg); break;
        case OPT_SKIP: select_list_add(&r->sel.skip, optarg); break;
        case OPT_XFAIL:
            if (select_load_file(&r->xfail, optarg, err, sizeof err)) {
                fprintf(stderr, "conformance: %s\n", err);
                return EXIT_CODE_USAGE;
            }
            break;
        case OPT_JOBS:
            if ((r->o.jobs = (int)cmd_parse_pos(optarg)) < 1)
                return cmd_usage_error(usage, "--jobs: expected a positive integer, got \"%s\"", optarg);
            break;
        case OPT_TIMEOUT:
            if ((r->o.timeout_ms = cmd_parse_pos(optarg)) < 1)
                return cmd_usage_error(usage, "--timeout-ms: expected a positive integer, got \"%s\"", optarg);
            break;
        case OPT_SPIN:
            if ((r->o.spin_us = strcmp(optarg, "0") ? cmd_parse_pos(optarg) : 0) < 0 || r->o.spin_us > 100000)
                return cmd_usage_error(usage, "--spin-us: expected 0..100000, got \"%s\"", optarg);
            break;
        case OPT_SECRET: x->secret = optarg; break;
        case OPT_REPORT: {
            char *buf = mem_alloc(strlen(optarg) + 1), *fmt, *path;
            int bad = report_parse_spec(optarg, buf, &fmt, &path, err, sizeof err);
            free(buf);
            if (bad)
                return cmd_usage_error(usage, "--report: %s", err);
            if (x->nreports == MAX_REPORTS)
                return cmd_usage_error(usage, "%s", "more than 32 --report options");
            x->reports[x->nreports++] = optarg;
            break;
        }
        case OPT_SHARD:
            if (select_parse_shard(optarg, &r->sel.shard_k, &r->sel.shard_n, err, sizeof err))
                return cmd_usage_error(usage, "%s", err);
            break;
        case OPT_SPAWN:
            if (x->nspawn_cmds == MAX_TARGETS)
                return cmd_usage_error(usage, "%s", "more than 32 --spawn options");
            x->spawn_cmds[x->nspawn_cmds++] = optarg;
            break;
        case OPT_NAME: x->name = optarg; break;
        case OPT_PRIVATE_KEY: x->key_file = optarg; break;
        case OPT_KEY_TYPE: x->key_type = optarg; break;
        case OPT_KEY_SOURCE:
            if (strcmp(optarg, "file") && strcmp(optarg, "jwks"))
                return cmd_usage_error(usage, "--key-source: expected file or jwks, got \"%s\"", optarg);
            x->key_source = optarg;
            break;
        case OPT_JWKS_PORT:
            if ((x->jwks_port = cmd_parse_pos(optarg)) < 1 || x->jwks_port > 65535)
                return cmd_usage_error(usage, "--jwks-port: expected a port 1..65535, got \"%s\"", optarg);
            break;
        case 'v': x->con.verbose = 1; break;
        case 'q': x->con.quiet = 1; break;
        default:
            if (cmd_source_option(&x->src, opt, optarg))
                break;
            return cmd_help_or_bad(opt, usage);
        }
    }
    if (optind < argc)
        return cmd_usage_error(usage, "unexpected argument \"%s\"", argv[optind]);
    if (!x->ntarget_opts && !x->nspawn_cmds)
        return cmd_usage_error(usage, "%s", "--target URL or --spawn CMD is required");
    if (x->nspawn_cmds && x->ntarget_opts > 1)
        return cmd_usage_error(usage, "%s", "with --spawn, give at most one --target (a template with {port} "
                                            "for every spawned instance)");
    if (x->nspawn_cmds > 1 && x->ntarget_opts && !strstr(x->target_opts[0], "{port}"))
        return cmd_usage_error(usage, "--target \"%s\" with several --spawn: expected a template with {port}",
                               x->target_opts[0]);
    return -1;
}

/* --secret or $AFI_SECRET; a target we spawn ourselves gets a random one. */
static int choose_secret(struct run *x)
{
    if (x->secret && *x->secret)
        return -1;
    if (!x->nspawn_cmds)
        return cmd_usage_error(usage, "%s", "no secret: pass --secret S or set AFI_SECRET (the target's secret)");
    int fd = open("/dev/urandom", O_RDONLY);
    unsigned char b[32] = {0};
    if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
        fprintf(stderr, "conformance: cannot read /dev/urandom to generate a secret\n");
        if (fd >= 0)
            close(fd);
        return EXIT_CODE_USAGE;
    }
    close(fd);
    for (int i = 0; i < 32; i++)
        sprintf(x->gen_secret + 2 * i, "%02x", b[i]);
    x->secret = x->gen_secret;
    return -1;
}

/* --key-source jwks (FULL-6..FULL-8): the JWK Set server started, and the
 * spawned targets told where it is; a target of --target must already be.
 * -1 to go on, else the exit code. */
static int serve_jwks(struct run *x)
{
    char err[300];
    if (!(x->jwks = jwks_start(&x->keys, (int)x->jwks_port, err, sizeof err))) {
        fprintf(stderr, "conformance: %s\n", err);
        return EXIT_CODE_USAGE;
    }
    x->r.o.jwks = x->jwks;
    if (!x->nspawn_cmds) {
        fprintf(stderr, "conformance: the JWK Set is at %s; the target must have AFI_JWKS_URL=%s "
                        "AFI_JWKS_CACHE_SECONDS=%d AFI_JWKS_REFRESH_SECONDS=%d AFI_ISSUER=%s AFI_AUDIENCE=%s\n",
                jwks_url(x->jwks), jwks_url(x->jwks), JWKS_CACHE_SECONDS, JWKS_REFRESH_SECONDS, KEYS_ISSUER,
                KEYS_AUDIENCE);
        return -1;
    }
    unsetenv("AFI_PUBLIC_KEY_FILE");
    setenv("AFI_JWKS_URL", jwks_url(x->jwks), 1);
    setenv("AFI_JWKS_CACHE_SECONDS", NUM_STR(JWKS_CACHE_SECONDS), 1);
    setenv("AFI_JWKS_REFRESH_SECONDS", NUM_STR(JWKS_REFRESH_SECONDS), 1);
    setenv("AFI_ISSUER", KEYS_ISSUER, 1);
    setenv("AFI_AUDIENCE", KEYS_AUDIENCE, 1);
    return -1;
}

/* The full level's keys (FULL-*): --private-key, or generated for --spawn,
 * whose command then finds the public half and the issuer and audience in its
 * environment. -1 to go on, else the exit code. */
static int choose_keys(struct run *x)
{
    char err[300];
    int es256 = 1;
    int jwks = x->key_source && !strcmp(x->key_source, "jwks");
    if (!x->r.sel.full)
        return x->key_file || x->key_type || x->key_source || x->jwks_port
                   ? cmd_usage_error(usage, "%s", "--private-key, --key-type, --key-source and --jwks-port need --level full")
                   : -1;
    if (x->jwks_port && !jwks)
        return cmd_usage_error(usage, "%s", "--jwks-port needs --key-source jwks");
    if (x->key_type && keys_parse_type(x->key_type, &es256))
        return cmd_usage_error(usage, "--key-type: expected rsa or p256, got \"%s\"", x->key_type);
    if (x->key_file && x->key_type)
        return cmd_usage_error(usage, "%s", "--key-type is for generated keys; --private-key's type is its own");
    if (!x->key_file && !x->nspawn_cmds)
        return -1; /* skip_key_cases leaves FULL-* out */
    if (x->key_file ? keys_load(&x->keys, x->key_file, err, sizeof err) : keys_generate(&x->keys, es256, err, sizeof err)) {
        fprintf(stderr, "conformance: %s\n", err);
        return EXIT_CODE_USAGE;
    }
    x->r.o.keys = &x->keys;
    if (jwks)
        return serve_jwks(x);
    if (!x->nspawn_cmds)
        return -1;
    strcpy(x->public_path, "/tmp/afi-public-key-XXXXXX");
    if (keys_write_public(&x->keys, x->public_path, err, sizeof err)) {
        x->public_path[0] = '\0';
        fprintf(stderr, "conformance: %s\n", err);
        return EXIT_CODE_USAGE;
    }
    setenv("AFI_PUBLIC_KEY_FILE", x->public_path, 1);
    setenv("AFI_ISSUER", KEYS_ISSUER, 1);
    setenv("AFI_AUDIENCE", KEYS_AUDIENCE, 1);
    return -1;
}

/* --level full without a key: the cases of FULL-* cannot be minted, so they
 * are skipped (and said to be), and every other case runs with HS256. */
static void skip_key_cases(struct run *x)
{
    int n = 0;
    if (!x->r.sel.full || x->r.o.keys)
        return;
    for (int i = 0; i < x->set.ncases; i++) {
        const cJSON *req;
        cJSON_ArrayForEach(req, x->set.cases[i]->requirements)
            if (cJSON_IsString(req) && !strncmp(req->valuestring, "FULL-", 5)) {
                select_list_add(&x->r.sel.skip, x->set.cases[i]->id);
                n++;
                break;
            }
    }
    if (n)
        fprintf(stderr, "conformance: no key, so the %d case%s of FULL-* %s skipped; give --private-key FILE "
                        "(or --spawn, which generates one) to run them\n", n, n == 1 ? "" : "s", n == 1 ? "is" : "are");
}

/* The full level without --key-source jwks: the cases tagged jwks need the
 * runner's JWK Set, so they are skipped (and said to be). */
static void skip_jwks_cases(struct run *x)
{
    int n = 0;
    if (!x->r.sel.full || x->jwks || !x->r.o.keys)
        return;
    for (int i = 0; i < x->set.ncases; i++)
        if (x->set.cases[i]->jwks) {
            select_list_add(&x->r.sel.skip, x->set.cases[i]->id);
            n++;
        }
    if (n)
        fprintf(stderr, "conformance: the %d case%s tagged jwks %s skipped: %s the runner's JWK Set "
                        "(--key-source jwks)\n", n, n == 1 ? "" : "s", n == 1 ? "is" : "are", n == 1 ? "it needs" : "they need");
}

/* Starts the i-th --spawn command and sets x->targets[i]; -1 to go on, else the exit code. */
static int spawn_target(struct run *x, int i)
{
    char err[1200];
    struct spawn *sp = &x->sp[i];
    if (spawn_start(sp, x->spawn_cmds[i], x->secret, err, sizeof err)) {
        fprintf(stderr, "conformance: %s\n", err);
        return EXIT_CODE_UNREACHABLE;
    }
    x->nspawned = i + 1;
    const char *t = x->ntarget_opts ? x->target_opts[0] : NULL;
    if (t && strstr(t, "{port}")) {
        x->targets[i] = spawn_subst_port(t, sp->port);
    } else if (t) {
        x->targets[i] = mem_strdup(t);
    } else {
        x->targets[i] = mem_alloc(64);
        snprintf(x->targets[i], 64, "http://127.0.0.1:%d/afi", sp->port);
    }
    return -1;
}

/* Target i's base URL checked and trimmed; -1 to go on, else the exit code. */
static int check_target(struct run *x, int i)
{
    char *u = x->targets[i];
    if (!cmd_url_ok(u)) {
        fprintf(stderr, "conformance: --target: expected an http:// or https:// URL such as "
                        "http://127.0.0.1:8080/afi, got \"%s\"\n", u);
        return EXIT_CODE_USAGE;
    }
    size_t tl = strlen(u);
    while (tl > 0 && u[tl - 1] == '/')
        u[--tl] = '\0';
    return -1;
}

/* Waits for spawned target i to answer /health; -1 to go on, else the exit code. */
static int wait_spawned(struct run *x, int i)
{
    char err[1200];
    char *health = mem_alloc(strlen(x->targets[i]) + 16);
    sprintf(health, "%s/health", x->targets[i]);
    long wait_ms = x->r.o.timeout_ms > 15000 ? x->r.o.timeout_ms : 15000;
    int w = spawn_wait(&x->sp[i], health, wait_ms, err, sizeof err);
    free(health);
    if (w) {
        char *clean = text_clean_str(err); /* it ends with the target's own output */
        fprintf(stderr, "conformance: %s\n", clean);
        free(clean);
        return EXIT_CODE_UNREACHABLE;
    }
    return -1;
}

/* The deployment's base URLs checked and trimmed, spawned targets up (one
 * after the other, so that each has its port bound before the next picks
 * one); -1 to go on, else the exit code. */
static int reach_target(struct run *x)
{
    int rc;
    if (!x->nspawn_cmds) {
        for (int i = 0; i < x->ntarget_opts; i++)
            x->targets[x->ntargets++] = mem_strdup(x->target_opts[i]);
        for (int i = 0; i < x->ntargets; i++)
            if ((rc = check_target(x, i)) >= 0)
                return rc;
        return -1;
    }
    for (int i = 0; i < x->nspawn_cmds; i++) {
        if ((rc = spawn_target(x, i)) >= 0)
            return rc;
        x->ntargets = i + 1;
        if ((rc = check_target(x, i)) >= 0 || (rc = wait_spawned(x, i)) >= 0)
            return rc;
    }
    return -1;
}

/* Live progress: on a terminal one line rewritten in place (failures scroll
 * above it); otherwise a plain line per case that did not pass (-v: every case). */
static void on_case(const struct runner *r, int idx, void *ctx)
{
    const struct console *con = ctx;
    const struct case_result *cr = &r->results[idx];
    const char *id = r->set->cases[idx]->id;
    static const char *const tag[STATUS_N] = {
        [STATUS_PASSED] = "PASS", [STATUS_FAILED] = "FAIL", [STATUS_WARNED] = "WARN",
        [STATUS_SKIPPED] = "SKIP", [STATUS_XFAIL] = "XFAIL", [STATUS_XPASS] = "XPASS"};
    if (con->quiet)
        return;
    int show = con->verbose || cr->status != STATUS_PASSED;
    if (con->tty) {
        if (show)
            printf("\r\033[K%-5s %s (%.1f ms)\n", tag[cr->status], id, cr->ms);
        printf("\r\033[K[%d/%d] %d passed, %d failed, %d warned  %s", r->progress.total, r->torun,
               r->progress.n[STATUS_PASSED], status_tally_failing(&r->progress), r->progress.n[STATUS_WARNED], id);
        fflush(stdout);
    } else if (show) {
        printf("%-5s %s (%.1f ms)\n", tag[cr->status], id, cr->ms);
    }
}

/* The line before the first case. */
static void print_run_header(const struct run *x)
{
    const struct runner *r = &x->r;
    if (x->con.quiet)
        return;
    struct strbuf against = {0};
    if (r->o.ntargets > 1)
        strbuf_printf(&against, "%d targets (", r->o.ntargets);
    for (int t = 0; t < r->o.ntargets; t++)
        strbuf_printf(&against, "%s%s", t ? ", " : "", r->o.targets[t]);
    if (r->o.ntargets > 1)
        strbuf_putc(&against, ')');
    printf("conformance: %d case%s against %s (run %s, level %s, %d job%s)\n", r->torun,
           r->torun == 1 ? "" : "s", strbuf_str(&against), r->id, r->sel.full ? "full" : "core", r->o.jobs,
           r->o.jobs == 1 ? "" : "s");
    strbuf_free(&against);
}

/* The run summary after the last case: the progress line cleared, every case
 * that did not pass with its failures, the counts and the closing line. */
static void print_run_summary(const struct run *x)
{
    if (x->con.tty && !x->con.quiet) {
        printf("\r\033[K");
        fflush(stdout);
    }
    /* The target's defect, not a failure: say it once, above the closing line. */
    if (http_stalls() >= 2)
        printf("hint: %ld answers arrived with their body 30 ms or more after their headers: the target "
               "writes headers and body in two sends with Nagle's algorithm on, so clients that delay "
               "ACKs wait ~40 ms per request (the runner acknowledged at once); fix: TCP_NODELAY on its "
               "sockets, or one write per answer\n",
               http_stalls());
    results_print(&x->r, stdout);
}

/* Writes every --report; a report not written turns a passing run's exit code into 2. */
static int write_reports(const struct run *x, int rc)
{
    char err[1200];
    if (!x->nreports)
        return rc;
    cJSON *doc = results_report(&x->r, x->name);
    for (int i = 0; i < x->nreports; i++) {
        char *buf = mem_alloc(strlen(x->reports[i]) + 1), *fmt, *path;
        report_parse_spec(x->reports[i], buf, &fmt, &path, err, sizeof err);
        if (report_write(doc, fmt, path, err, sizeof err)) {
            fprintf(stderr, "conformance: --report %s: %s\n", x->reports[i], err);
            if (rc == EXIT_CODE_OK)
                rc = EXIT_CODE_USAGE;
        }
        free(buf);
    }
    cJSON_Delete(doc);
    return rc;
}

/* Everything after the options: suites, target, the run itself, its output. */
static int run(struct run *x)
{
    char err[1200];
    int rc;
    if ((rc = choose_secret(x)) >= 0 || (rc = choose_keys(x)) >= 0)
        return rc;
    cmd_locate(&x->src);
    if (!(x->spec = cmd_load_spec(&x->src, 1)) || cmd_load_suites(&x->src, &x->set, x->spec))
        return EXIT_CODE_USAGE;
    skip_key_cases(x);
    skip_jwks_cases(x);
    if (cluster_check(&x->set, x->nspawn_cmds ? x->nspawn_cmds : x->ntarget_opts, err, sizeof err)) {
        fprintf(stderr, "conformance: %s\n", err);
        return EXIT_CODE_USAGE;
    }
    if ((rc = reach_target(x)) >= 0)
        return rc;
    struct runner *r = &x->r;
    r->o.target = x->targets[0];
    r->o.targets = (const char *const *)x->targets;
    r->o.ntargets = x->ntargets;
    r->o.secret = x->secret;
    x->con.tty = isatty(STDOUT_FILENO);
    r->o.progress = on_case;
    r->o.progress_ctx = &x->con;
    r->set = &x->set;
    r->spec = x->spec;
    if (runner_prepare(r, err, sizeof err)) {
        fprintf(stderr, "conformance: %s\n", err);
        return EXIT_CODE_UNREACHABLE;
    }
    print_run_header(x);
    runner_execute(r);
    stop_spawned(x);
    print_run_summary(x);
    rc = write_reports(x, results_exit_code(r));
    fflush(stdout);
    return rc;
}

int cmd_run(int argc, char **argv)
{
    const char *paths[argc];
    struct run x = {.src = {.suites = paths}, .secret = getenv("AFI_SECRET")};
    for (int i = 0; i < MAX_TARGETS; i++)
        x.sp[i].log_fd = -1;
    x.r.o.jobs = (int)sysconf(_SC_NPROCESSORS_ONLN);
    x.r.o.timeout_ms = 10000;
    x.r.o.spin_us = -1;
    x.r.sel.shard_k = x.r.sel.shard_n = 1;
    int rc = parse_options(&x, argc, argv);
    if (x.r.o.spin_us < 0) /* a spinning worker must not take the core a local target needs */
        x.r.o.spin_us = x.r.o.jobs < sysconf(_SC_NPROCESSORS_ONLN) ? RUNNER_SPIN_US : 0;
    if (rc < 0)
        rc = run(&x);
    stop_spawned(&x);
    runner_clear(&x.r);
    select_list_free(&x.r.sel.only);
    select_list_free(&x.r.sel.skip);
    select_list_free(&x.r.xfail);
    fixture_set_free(&x.set);
    spec_free(x.spec);
    for (int i = 0; i < x.ntargets; i++)
        free(x.targets[i]);
    if (x.public_path[0])
        unlink(x.public_path);
    jwks_stop(x.jwks);
    keys_clear(&x.keys);
    return rc;
}
