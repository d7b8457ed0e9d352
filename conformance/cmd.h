/* cmd.h: what the subcommands share: usage errors, option values, and
 * loading the suites and the protocol document their options name. Each
 * subcommand (cmd_<name>.c) owns its options and its usage text. */
#ifndef AFI_CONFORMANCE_CMD_H
#define AFI_CONFORMANCE_CMD_H

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

/* Adds a --suite path (or validate's FILE or DIR); borrowed. */
void cmd_add_suite(struct cmd_sources *s, const char *path);

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
