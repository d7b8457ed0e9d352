/* model_report.h: what a model run shows a person and the reports: a
 * history as lines of operations and answers, as curl command lines, as the
 * JSON report (the run report's format, docs/reports.md, with one case per
 * family of checks and a "model" member). */
#ifndef AFI_CONFORMANCE_MODEL_REPORT_H
#define AFI_CONFORMANCE_MODEL_REPORT_H

#include <cjson/cJSON.h>

#include "model_check.h"
#include "model_plan.h"
#include "strbuf.h"

/* What a finished model run hands the report. All borrowed. */
struct model_report_run {
    const struct model_plan *plan;      /* the full history */
    const struct model_check *check;    /* its check */
    const struct model_plan *shrunk;    /* NULL when nothing failed or shrinking was off */
    const struct model_check *shrunk_check;
    int shrink_runs;
    const char *const *targets;
    const char *name;                   /* --name, or NULL */
    const char *started_at;             /* ISO 8601 UTC */
    double duration_ms;
    double exec_ms;
};

/* Appends p's viewers, targets and operations, one a line in call order: op, client, viewer, target, times, the call
 * and its answer. */
void model_report_history(struct strbuf *b, const struct model_plan *p, const char *const *targets);

/* Appends one curl line per operation of p in call order. */
void model_report_curl(struct strbuf *b, const struct model_plan *p, const char *const *targets);

/* The JSON report of r; the caller frees it with cJSON_Delete. */
cJSON *model_report_json(const struct model_report_run *r);

#endif
