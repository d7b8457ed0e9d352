/* cmd.c: option values, usage errors and loading that the subcommands share (see cmd.h). */
#include "cmd.h"
#include "exit_code.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cmd_add_suite(struct cmd_sources *s, const char *path)
{
    s->suites[s->nsuites++] = path;
}

int cmd_source_option(struct cmd_sources *s, int opt, const char *arg)
{
    if (opt == CMD_OPT_SUITE)
        cmd_add_suite(s, arg);
    else if (opt == CMD_OPT_SPEC)
        s->spec = arg;
    else
        return 0;
    return 1;
}

int cmd_help_or_bad(int opt, const char *usage)
{
    if (opt == 'h') {
        fputs(usage, stdout);
        return EXIT_CODE_OK;
    }
    fprintf(stderr, "\n%s", usage);
    return EXIT_CODE_USAGE;
}

int cmd_parse_sources(struct cmd_sources *s, int argc, char **argv, const struct option *opts, const char *usage)
{
    int opt;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1)
        if (!cmd_source_option(s, opt, optarg))
            return cmd_help_or_bad(opt, usage);
    return -1;
}

void cmd_locate(struct cmd_sources *s)
{
    paths_locate(&s->paths, s->nsuites ? s->suites[0] : NULL, s->spec);
}

int cmd_load_suites(const struct cmd_sources *s, struct fixture_set *set, const struct spec *spec)
{
    struct fixture_errors errs = {0};
    int rc = 0;
    if (!s->nsuites) {
        rc = fixture_load_dir(set, s->paths.fixtures, spec, &errs);
    } else {
        for (int i = 0; i < s->nsuites; i++)
            if ((paths_is_dir(s->suites[i]) ? fixture_load_dir(set, s->suites[i], spec, &errs)
                                            : fixture_load_file(set, s->suites[i], spec, &errs)))
                rc = -1;
    }
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.v[i]);
    if (rc)
        fprintf(stderr, "conformance: %zu fixture problem%s\n", errs.n, errs.n == 1 ? "" : "s");
    fixture_errors_free(&errs);
    return rc;
}

struct spec *cmd_load_spec(const struct cmd_sources *s, int required)
{
    char err[600];
    struct spec *sp = spec_load(s->paths.spec, err, sizeof err);
    if (!sp && required)
        fprintf(stderr, "conformance: %s\n", err);
    return sp;
}

int cmd_usage_error(const char *usage, const char *fmt, const char *arg)
{
    fprintf(stderr, "conformance: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n\n%s", usage);
    return EXIT_CODE_USAGE;
}

int cmd_parse_level(const char *s, int *full)
{
    if (!strcmp(s, "core"))
        *full = 0;
    else if (!strcmp(s, "full"))
        *full = 1;
    else
        return -1;
    return 0;
}

long cmd_parse_pos(const char *s)
{
    char *e;
    long v = strtol(s, &e, 10);
    return (e == s || *e || v < 1) ? -1 : v;
}

int cmd_url_ok(const char *url)
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
