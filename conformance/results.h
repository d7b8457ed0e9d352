/* results.h: a finished run as the JSON report of docs/reports.md and as terminal text. */
#ifndef AFI_CONFORMANCE_RESULTS_H
#define AFI_CONFORMANCE_RESULTS_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "runner.h"

struct results_counts {
    int total, passed, failed, warned, skipped, xfail, xpass;
};

/* Counts the cases of the run (cases of other shards are not counted). */
struct results_counts results_count(const struct runner *r);

/* The JSON report (format version 1) of a finished run; caller frees with
 * cJSON_Delete. implementation is the --name label (NULL: "unnamed"). */
cJSON *results_report(const struct runner *r, const char *implementation);

/* Prints each failed, warned, expected-failure and unexpected-pass case with
 * its failures, then the counts; the closing line is exactly
 * "N passed, M failed" (+ ", K skipped"). */
void results_print(const struct runner *r, FILE *out);

/* 0 when nothing failed (warnings and expected failures allowed), else 1. */
int results_exit_code(const struct runner *r);

#endif
