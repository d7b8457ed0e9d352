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

#endif
