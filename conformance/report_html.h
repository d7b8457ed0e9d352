/* report_html.h: one self-contained HTML page (see report_html.c). */
#ifndef AFI_CONFORMANCE_REPORT_HTML_H
#define AFI_CONFORMANCE_REPORT_HTML_H

#include <cjson/cJSON.h>

#include "strbuf.h"

/* Appends the whole report doc (read-only, owned by the caller) to out. */
void report_html_render(const cJSON *doc, struct strbuf *out);

/* The inline stylesheet of the HTML report (a static string), which the
 * matrix page reuses so both look alike. */
const char *report_html_style(void);

#endif
