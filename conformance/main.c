/* main.c: the `conformance` command line: a table of subcommands, each in its own
 * cmd_<name>.c with its own options and usage. */
#include "cmd_coverage.h"
#include "cmd_list.h"
#include "cmd_model.h"
#include "cmd_run.h"
#include "cmd_schema_diff.h"
#include "cmd_validate.h"
#include "exit_code.h"
#include "matrix.h"
#include "mem.h"
#include "version.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

static int cmd_help(int argc, char **argv);

struct command {
    const char *name;
    int (*fn)(int argc, char **argv); /* each prints its own usage on --help */
    const char *summary;
};

static const struct command commands[] = {
    {"run", cmd_run, "replay the fixture suites against a target"},
    {"list", cmd_list, "list the cases"},
    {"validate", cmd_validate, "check fixture files"},
    {"schema-diff", cmd_schema_diff, "compare a target's canonical schema with the profile's (SCH-4)"},
    {"coverage", cmd_coverage, "requirement ids of docs/protocol.md without a case"},
    {"model", cmd_model, "random concurrent histories checked against the protocol's model"},
    {"matrix", matrix_main, "several implementations' JSON reports side by side"},
    {"help", cmd_help, "help on a subcommand"},
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(commands[i].name, name))
            return &commands[i];
    return NULL;
}

static void main_usage(FILE *out)
{
    fprintf(out, "usage: conformance <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        fprintf(out, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`conformance help <command>` or `conformance <command> --help` for its options;\n"
                 "`conformance --version` for the tool's and the protocol's versions.\n");
}

static int no_command(const char *name)
{
    fprintf(stderr, "conformance: no command \"%s\"\n\n", name);
    main_usage(stderr);
    return EXIT_CODE_USAGE;
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        main_usage(stdout);
        return EXIT_CODE_OK;
    }
    const struct command *c = find_command(argv[1]);
    if (!c)
        return no_command(argv[1]);
    char *args[] = {argv[1], "--help", NULL};
    return c->fn(2, args);
}

int main(int argc, char **argv)
{
    /* cJSON allocates through the one policy too: out of memory aborts. */
    cJSON_InitHooks(&(cJSON_Hooks){.malloc_fn = mem_alloc, .free_fn = free});
    if (argc < 2) {
        main_usage(stderr);
        return EXIT_CODE_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        main_usage(stdout);
        return EXIT_CODE_OK;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("conformance %s (AFI protocol %s)\n", AFI_TOOL_VERSION, AFI_PROTOCOL_VERSION);
        return EXIT_CODE_OK;
    }
    const struct command *c = find_command(argv[1]);
    return c ? c->fn(argc - 1, argv + 1) : no_command(argv[1]);
}
