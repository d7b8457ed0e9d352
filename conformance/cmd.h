/* cmd.h: what the subcommands share: usage errors, option values, and
 * loading the suites and the protocol document their options name. Each
 * subcommand (cmd_<name>.c) owns its options and its usage text. */
#ifndef AFI_CONFORMANCE_CMD_H
#define AFI_CONFORMANCE_CMD_H

#include <getopt.h>

#include "fixture.h"
#include "paths.h"
#include "spec.h"

/* Where a command's suites and protocol document come from. */
struct cmd_sources {
    const char **suites; /* the command's own array of argc entries: every path is an argument */
    int nsuites;
    const char *spec;    /* --spec, or NULL */
    struct paths paths;  /* filled by cmd_locate */
};

/* The getopt codes of --suite and --spec, the same in every subcommand; a
 * subcommand's own options start at CMD_OPT_OWN. */
enum { CMD_OPT_SUITE = 256, CMD_OPT_SPEC, CMD_OPT_OWN };

/* Adds a --suite path (or validate's FILE or DIR); borrowed. */
void cmd_add_suite(struct cmd_sources *s, const char *path);

/* Takes --suite or --spec (opt, with its argument arg) into s; 1 when opt
 * was one of them, else 0. */
int cmd_source_option(struct cmd_sources *s, int opt, const char *arg);

/* Parses argv with getopt_long and opts, which hold no option but --suite,
 * --spec and --help: -1 to go on, else the exit code (cmd_help_or_bad). */
int cmd_parse_sources(struct cmd_sources *s, int argc, char **argv, const struct option *opts, const char *usage);

/* What -h and an unknown option (any other opt) end in: the usage on stdout
 * and EXIT_CODE_OK, or a blank line and the usage on stderr (after getopt's
 * own message) and EXIT_CODE_USAGE. */
int cmd_help_or_bad(int opt, const char *usage);

/* Fills s->paths from the first suite and --spec (paths.h). */
void cmd_locate(struct cmd_sources *s);

/* Loads every suite of s (the fixtures directory when none was given) into
 * set, checking requirement ids against spec unless it is NULL. Prints each
 * problem and their count on stderr; 0 or -1. */
int cmd_load_suites(const struct cmd_sources *s, struct fixture_set *set, const struct spec *spec);

/* The protocol document of s->paths (free with spec_free), or NULL; when
 * required, why not is printed on stderr. */
struct spec *cmd_load_spec(const struct cmd_sources *s, int required);

/* Prints "conformance: " fmt (with arg), a blank line and usage on stderr;
 * returns EXIT_CODE_USAGE. */
int cmd_usage_error(const char *usage, const char *fmt, const char *arg);

/* Parses --level core|full into *full; 0 or -1. */
int cmd_parse_level(const char *s, int *full);

/* A positive integer, or -1. */
long cmd_parse_pos(const char *s);

/* 1 when url is http:// or https:// with a host and, if given, a numeric port. */
int cmd_url_ok(const char *url);

#endif
