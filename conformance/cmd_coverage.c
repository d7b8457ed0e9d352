/* cmd_coverage.c: `conformance coverage`, the requirements of docs/protocol.md without a case. */
#include "cmd_coverage.h"
#include "cmd.h"
#include "exit_code.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: conformance coverage [--suite PATH]... [--spec PATH]\n"
    "\n"
    "Lists the requirement ids of docs/protocol.md that no case checks; exit 1 when any.\n";

/* How many cases of set list requirement id. */
static int cases_of(const struct fixture_set *set, const char *id)
{
    int n = 0;
    for (int k = 0; k < set->ncases; k++)
        for (const cJSON *q = set->cases[k]->requirements->child; q; q = q->next)
            n += !strcmp(q->valuestring, id);
    return n;
}

int cmd_coverage(int argc, char **argv)
{
    static const struct option opts[] = {{"suite", 1, 0, CMD_OPT_SUITE}, {"spec", 1, 0, CMD_OPT_SPEC},
                                         {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *paths[argc];
    struct cmd_sources src = {.suites = paths};
    int rc = cmd_parse_sources(&src, argc, argv, opts, usage);
    if (rc >= 0)
        return rc;
    cmd_locate(&src);
    struct spec *spec = cmd_load_spec(&src, 1);
    if (!spec)
        return EXIT_CODE_USAGE;
    struct fixture_set set = {0};
    if (cmd_load_suites(&src, &set, spec)) {
        spec_free(spec);
        return EXIT_CODE_USAGE;
    }
    size_t missing = 0;
    for (size_t i = 0; i < spec->n; i++)
        if (!cases_of(&set, spec->reqs[i].id)) {
            printf("%-8s no case: %s\n", spec->reqs[i].id, spec->reqs[i].rule);
            missing++;
        }
    printf("%zu of %zu requirements have cases; %zu without\n", spec->n - missing, spec->n, missing);
    fixture_set_free(&set);
    spec_free(spec);
    return missing ? EXIT_CODE_FAILED : EXIT_CODE_OK;
}
