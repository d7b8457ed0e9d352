/* cmd_validate.c: `conformance validate`, every problem of the given suite files and directories. */
#include "cmd_validate.h"
#include "cmd.h"
#include "exit_code.h"

#include <getopt.h>
#include <stdio.h>

static const char usage[] =
    "usage: conformance validate [--spec PATH] FILE|DIR...\n"
    "\n"
    "Checks fixture suites (a directory means its suites). Each problem is printed as\n"
    "FILE: JSONPATH: expected ...; exit 2 when there is any, 0 otherwise.\n";

int cmd_validate(int argc, char **argv)
{
    static const struct option opts[] = {{"spec", 1, 0, CMD_OPT_SPEC}, {"help", 0, 0, 'h'}, {0, 0, 0, 0}};
    const char *paths[argc];
    struct cmd_sources src = {.suites = paths};
    int rc = cmd_parse_sources(&src, argc, argv, opts, usage);
    if (rc >= 0)
        return rc;
    if (optind >= argc)
        return cmd_usage_error(usage, "%s", "expected at least one FILE or DIR");
    for (int i = optind; i < argc; i++)
        cmd_add_suite(&src, argv[i]);
    cmd_locate(&src);
    struct spec *spec = cmd_load_spec(&src, 0);
    if (!spec)
        fprintf(stderr, "conformance: note: %s not found; requirement ids are not checked (use --spec)\n",
                src.paths.spec);
    struct fixture_set set = {0};
    int bad = cmd_load_suites(&src, &set, spec);
    if (!bad)
        printf("%d suites, %d cases: valid\n", set.nsuites, set.ncases);
    fixture_set_free(&set);
    spec_free(spec);
    return bad ? EXIT_CODE_USAGE : EXIT_CODE_OK;
}
