/* report_doc.h: defensive reading of a JSON report tree (docs/reports.md),
 * shared by every renderer and the matrix: a missing or mistyped optional
 * key reads as empty or zero, never a crash. */
#ifndef AFI_CONFORMANCE_REPORT_DOC_H
#define AFI_CONFORMANCE_REPORT_DOC_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "status.h"

/* Typed accessors: the member key of obj when it has the right type, else the
 * default (obj may be NULL). Returned pointers point into the tree. */
const char *report_doc_str(const cJSON *obj, const char *key, const char *dflt);
double report_doc_num(const cJSON *obj, const char *key, double dflt);
/* The member array, or NULL when absent or not an array. */
const cJSON *report_doc_arr(const cJSON *obj, const char *key);
/* The member object, or NULL when absent or not an object. */
const cJSON *report_doc_obj(const cJSON *obj, const char *key);

/* The base URLs of "targets" joined with sep when the report lists more than
 * one (a deployment of several instances), else NULL. Caller frees. */
char *report_doc_targets(const cJSON *doc, const char *sep);

/* The counts of every case of the report (its suites' cases). */
void report_doc_count(const cJSON *doc, struct status_tally *c);
/* 1 when the run failed: a case failed or passed unexpectedly. */
int report_doc_failed(const cJSON *doc);

/* The case with the given id in doc's suites, or NULL; points into the tree. */
const cJSON *report_doc_find_case(const cJSON *doc, const char *id);

/* A protocol area ("ENV", ...) and the counts of its cases. */
struct report_doc_area {
    const char *name;               /* points into the tree */
    struct status_tally counts;
};
/* The areas of doc's suites in order of first appearance (a suite without
 * "area" counts under its "suite" name). Returns a malloc'd array the caller
 * frees, with its length in *n; NULL with *n 0 when there are none. */
struct report_doc_area *report_doc_areas(const cJSON *doc, size_t *n);

/* The area part of a requirement id: "ENV" for "ENV-1" (copied into out,
 * truncated to outlen). */
void report_doc_req_area(const char *req_id, char *out, size_t outlen);

/* 1 when case c counts against requirement req_id: it failed (failed,
 * warned, xfail, or an unknown status), and it checks req_id or one of its
 * failures names req_id (a run-wide check). This is the rule the runner
 * gives a requirement its status by (docs/reports.md). */
int report_doc_case_fails_req(const cJSON *c, const char *req_id);

/* Reads and checks a JSON report file (format "afi-conformance-report",
 * version 1, with "suites" and "requirements" arrays). Returns the tree, which
 * the caller frees with cJSON_Delete, or NULL with a message naming the file
 * and what was wrong in err. */
cJSON *report_doc_load(const char *path, char *err, size_t errlen);

#endif
