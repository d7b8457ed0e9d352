/* cmd_list.c: `conformance list`, the selected cases with level, grade and requirements. */
#include "cmd_list.h"
#include "cmd.h"
#include "exit_code.h"
#include "select.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: conformance list [--suite PATH]... [--spec PATH] [--level core|full] [--only GLOB] [--skip GLOB]\n"
    "\n"
    "Lists the cases: id, level, grade, requirements, title.\n";

enum { OPT_LEVEL = CMD_OPT_OWN, OPT_ONLY, OPT_SKIP };

static void print_case(const struct fixture_case *fc)
{
    char reqs[256] = "";
    for (const cJSON *q = fc->requirements->child; q; q = q->next) {
        strncat(reqs, q->valuestring, sizeof reqs - strlen(reqs) - 2);
        if (q->next)
            strncat(reqs, ",", sizeof reqs - strlen(reqs) - 1);
    }
    printf("%-40s %-4s %-6s %-16s %s\n", fc->id, fc->full ? "full" : "core", fc->should ? "should" : "must", reqs,
           fc->title);
}

int cmd_list(int argc, char **argv)
{
    static const struct option opts[] = {{"suite", 1, 0, CMD_OPT_SUITE}, {"spec", 1, 0, CMD_OPT_SPEC},
                                         {"level", 1, 0, OPT_LEVEL}, {"only", 1, 0, OPT_ONLY},
                                         {"skip", 1, 0, OPT_SKIP}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *paths[argc];
    struct cmd_sources src = {.suites = paths};
    struct select_opts sel = {.full = 1, .shard_k = 1, .shard_n = 1};
    struct fixture_set set = {0};
    struct spec *spec = NULL;
    int opt, rc = EXIT_CODE_USAGE;
    optind = 1;
    while ((opt = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (opt) {
        case OPT_LEVEL:
            if (cmd_parse_level(optarg, &sel.full)) {
                rc = cmd_usage_error(usage, "--level: expected core or full, got \"%s\"", optarg);
                goto out;
            }
            break;
        case OPT_ONLY: select_list_add(&sel.only, optarg); break;
        case OPT_SKIP: select_list_add(&sel.skip, optarg); break;
        default:
            if (cmd_source_option(&src, opt, optarg))
                break;
            rc = cmd_help_or_bad(opt, usage);
            goto out;
        }
    }
    cmd_locate(&src);
    spec = cmd_load_spec(&src, 0);
    if (cmd_load_suites(&src, &set, spec))
        goto out;
    int shown = 0;
    for (int i = 0; i < set.ncases; i++) {
        if (select_case(&sel, set.cases[i]->id, set.cases[i]->full, i) != SELECT_RUN)
            continue;
        print_case(set.cases[i]);
        shown++;
    }
    printf("%d cases in %d suites\n", shown, set.nsuites);
    rc = EXIT_CODE_OK;
out:
    select_list_free(&sel.only);
    select_list_free(&sel.skip);
    fixture_set_free(&set);
    spec_free(spec);
    return rc;
}
