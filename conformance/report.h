/* report.h: writes a run's reports; every format is rendered from the JSON report.
 *
 * The JSON report document (docs/reports.md, format version 1) is built by
 * results.c as a cJSON tree and handed here read-only. Every other format
 * (junit, md, tap, html) is a rendering of that tree, so the formats never
 * disagree. The pieces the renderers share are report_fmt.h (escapers),
 * report_doc.h (reading the tree) and report_text.h (a failure as text);
 * each renderer is report_<format>.c.
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
 * the caller frees with free(). Returns NULL with a message in err when fmt is
 * unknown or doc is not an object. */
char *report_render(const cJSON *doc, const char *fmt, char *err, size_t errlen);

/* Writes text to path through a temporary file renamed into place, creating
 * parent directories; an existing path that is not a regular file (a
 * symlink, /dev/stdout, a FIFO) is written in place instead. Returns 0, or
 * -1 with a message in err. Used by report_write and matrix_main. */
int report_write_file(const char *path, const char *text, char *err, size_t errlen);

#endif
