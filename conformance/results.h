/* results.h: a finished run as the JSON report of docs/reports.md and as terminal text. */
#ifndef AFI_CONFORMANCE_RESULTS_H
#define AFI_CONFORMANCE_RESULTS_H

#include <stdio.h>
#include <cjson/cJSON.h>

#include "runner.h"
#include "status.h"

/* Counts the cases of the run (cases of other shards are not counted). */
struct status_tally results_count(const struct runner *r);

/* The JSON report (format version 1) of a finished run; caller frees with
 * cJSON_Delete. implementation is the --name label (NULL: "unnamed"). */
cJSON *results_report(const struct runner *r, const char *implementation);

/* The members every JSON report starts with (format, version, tool,
 * implementation), shared by `run` and `model` reports; caller owns the object. */
cJSON *results_report_head(const char *implementation);

/* Prints each failed, warned, expected-failure and unexpected-pass case with
 * its failures, then the counts; the closing line is exactly
 * "N passed, M failed" (+ ", K skipped"). */
void results_print(const struct runner *r, FILE *out);

/* EXIT_CODE_OK when nothing failed (warnings and expected failures allowed),
 * else EXIT_CODE_FAILED. */
int results_exit_code(const struct runner *r);

#endif
