/* report_md.h: a Markdown summary for a pull-request comment (see report_md.c). */
#ifndef AFI_CONFORMANCE_REPORT_MD_H
#define AFI_CONFORMANCE_REPORT_MD_H

#include <cjson/cJSON.h>

#include "strbuf.h"

/* Appends the whole report doc (read-only, owned by the caller) to out. */
void report_md_render(const cJSON *doc, struct strbuf *out);

#endif
