/* report.h: writes a run's reports; every format is rendered from the JSON report.
 *
 * The JSON report document (docs/reports.md, format version 1) is built by the
 * runner as a cJSON tree and handed here read-only. Every other format (junit,
 * md, tap, html) is a rendering of that tree, so the formats never disagree.
 */
#ifndef AFI_CONFORMANCE_REPORT_H
#define AFI_CONFORMANCE_REPORT_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Returns 1 when fmt is a known report format ("json", "junit", "md", "tap",
 * "html"), else 0. */
int report_format_known(const char *fmt);

/* Parses "FORMAT:PATH" into its parts. On success returns 0 and points *fmt and
 * *path into buf (a caller-owned copy of spec of at least strlen(spec)+1 bytes).
 * On a missing colon, an empty path or an unknown format returns -1 and writes
 * a message for a person into err. */
int report_parse_spec(const char *spec, char *buf, char **fmt, char **path,
                      char *err, size_t errlen);

/* Renders doc (a JSON report, not modified, still owned by the caller) in
 * format fmt to the file path, creating parent directories as needed.
 * Returns 0, or -1 with a message for a person in err. */
int report_write(const cJSON *doc, const char *fmt, const char *path,
                 char *err, size_t errlen);

/* Renders doc in format fmt into a newly allocated NUL-terminated string that
 * the caller frees with free(). Returns NULL with a message in err on failure. */
char *report_render(const cJSON *doc, const char *fmt, char *err, size_t errlen);

/* ---------------------------------------------------------------------------
 * Below: the pieces the format modules (report_*.c) and matrix.c share. The
 * runner needs none of them. All renderers read the tree defensively: a
 * missing or mistyped optional key renders as empty or zero, never a crash.
 */

/* Writes text to path through a temporary file renamed into place, creating
 * parent directories; an existing path that is not a regular file (a
 * symlink, /dev/stdout, a FIFO) is written in place instead. Returns 0, or
 * -1 with a message in err. Used by report_write and matrix_main. */
int report_write_file(const char *path, const char *text, char *err, size_t errlen);

/* ---- report_buf.c: a growable string and the escapers of every format. ---- */

/* A NUL-terminated string grown by appending. After an allocation failure
 * the buffer stops growing and oom is set; report_buf_take then returns NULL. */
struct report_buf {
    char *data;
    size_t len, cap;
    int oom;
};

void report_buf_init(struct report_buf *b);
/* Frees the contents (not b itself); accepts NULL and a taken buffer. */
void report_buf_free(struct report_buf *b);
/* Returns the string (caller frees) and leaves b empty; NULL after oom. */
char *report_buf_take(struct report_buf *b);
void report_buf_putn(struct report_buf *b, const char *s, size_t n);
/* s NULL appends nothing. */
void report_buf_puts(struct report_buf *b, const char *s);
void report_buf_printf(struct report_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Appends ms (milliseconds) as seconds with three decimals, "0.001". */
void report_buf_seconds(struct report_buf *b, double ms);

/* Text escapers. All of them first make s valid UTF-8 (an invalid byte becomes
 * U+FFFD) and replace the control characters other than tab and newline
 * (which XML 1.0 and HTML do not allow, and terminals misrender) by the
 * visible text "\u00XX"; CR LF reads as LF. s NULL appends nothing. */

/* XML 1.0 text (attr 0: & < > as entities) or a double-quoted attribute
 * value (attr 1: also " ' tab and newline, so they survive normalization). */
void report_buf_xml(struct report_buf *b, const char *s, int attr);
/* HTML text or double-quoted attribute value: & < > " ' as entities. */
void report_buf_html(struct report_buf *b, const char *s);
/* Markdown inline text (a table cell, a list item): newlines become spaces,
 * markup characters are backslash-escaped, so the text renders literally. */
void report_buf_md(struct report_buf *b, const char *s);
/* A Markdown fenced code block of s with language tag lang (may be ""): the
 * fence is longer than any backtick run in s. */
void report_buf_md_code(struct report_buf *b, const char *lang, const char *s);
/* A TAP test point description: newlines and tabs become spaces, # and \
 * are backslash-escaped (so no text starts a directive). */
void report_buf_tap(struct report_buf *b, const char *s);
/* A double-quoted YAML (and JSON) scalar: "...", with \" \\ \n \t \uXXXX. */
void report_buf_yaml_str(struct report_buf *b, const char *s);

/* A JSON string literal of s, exact except that invalid UTF-8 bytes become
 * U+FFFD (control characters are JSON escapes, non-ASCII stays UTF-8). */
void report_buf_json_str(struct report_buf *b, const char *s);

/* v as compact JSON (cJSON_PrintUnformatted; a non-finite number is null);
 * sets oom when printing fails. */
void report_buf_json_compact(struct report_buf *b, const cJSON *v);

/* ---- report_status.c: a case's status and tallies of statuses. ---- */

/* A case's status (docs/reports.md). */
enum report_status {
    REPORT_PASSED, REPORT_FAILED, REPORT_WARNED, REPORT_SKIPPED,
    REPORT_XFAIL, REPORT_XPASS, REPORT_UNKNOWN, REPORT_NSTATUS
};
enum report_status report_status_of(const char *s);
/* The report's word for st ("passed", ...; "unknown"). */
const char *report_status_name(enum report_status st);

/* Case counts by status. */
struct report_status_tally {
    int total;
    int n[REPORT_NSTATUS];
};
void report_status_tally_add(struct report_status_tally *c, enum report_status st);
/* How many of the tallied cases fail the run: failed, xpass, unknown status. */
int report_status_tally_failing(const struct report_status_tally *c);

/* ---- report_doc.c: reading the report tree. ---- */

/* Typed accessors: the member key of obj when it has the right type, else the
 * default (obj may be NULL). Returned pointers point into the tree. */
const char *report_doc_str(const cJSON *obj, const char *key, const char *dflt);
double report_doc_num(const cJSON *obj, const char *key, double dflt);
/* The member array, or NULL when absent or not an array. */
const cJSON *report_doc_arr(const cJSON *obj, const char *key);
/* The member object, or NULL when absent or not an object. */
const cJSON *report_doc_obj(const cJSON *obj, const char *key);

/* The counts of every case of the report (its suites' cases). */
void report_doc_count(const cJSON *doc, struct report_status_tally *c);
/* 1 when the run failed: a case failed or passed unexpectedly. */
int report_doc_failed(const cJSON *doc);

/* The case with the given id in doc's suites, or NULL; points into the tree. */
const cJSON *report_doc_find_case(const cJSON *doc, const char *id);

/* A protocol area ("ENV", ...) and the counts of its cases. */
struct report_doc_area {
    const char *name;               /* points into the tree */
    struct report_status_tally counts;
};
/* The areas of doc's suites in order of first appearance (a suite without
 * "area" counts under its "suite" name). Returns a malloc'd array the caller
 * frees, with its length in *n; NULL with *n 0 when there are none or on oom. */
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

/* ---- report_text.c: plain text of a failure's parts, appended unescaped
 * (callers escape it for their format). Missing keys are left out. ---- */

/* "# as identity NAME", "METHOD URL", one "name: value" line per header, then
 * a blank line and the body when there is one. */
void report_text_request(struct report_buf *b, const cJSON *req);
/* "HTTP STATUS", the headers, a blank line and the body when there is one. */
void report_text_response(struct report_buf *b, const cJSON *resp);
/* One line, no newline: "step N (step name)" ("failure" without a step). */
void report_text_step(struct report_buf *b, const cJSON *failure);
/* The whole failure: "step N (step name): REQ-ID · rule", the message, the
 * diffs ("at PATH", "  expected: X", "  actual:   Y"), request, response, curl. */
void report_text_failure(struct report_buf *b, const cJSON *failure);
/* The first line of s (up to a newline). */
void report_text_first_line(struct report_buf *b, const char *s);

/* ---- one renderer per format, each in report_<format>.c ----
 * Each appends the whole document to out; failures show as out->oom. */
void report_json_render(const cJSON *doc, struct report_buf *out);
void report_junit_render(const cJSON *doc, struct report_buf *out);
void report_md_render(const cJSON *doc, struct report_buf *out);
void report_tap_render(const cJSON *doc, struct report_buf *out);
void report_html_render(const cJSON *doc, struct report_buf *out);
/* The inline stylesheet of the HTML report (a static string), which the
 * matrix page reuses so both look alike. */
const char *report_html_style(void);

#endif
