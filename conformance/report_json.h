/* report_json.h: the JSON report itself, pretty-printed (see report_json.c). */
#ifndef AFI_CONFORMANCE_REPORT_JSON_H
#define AFI_CONFORMANCE_REPORT_JSON_H

#include <cjson/cJSON.h>

#include "strbuf.h"

/* Appends the whole report doc (read-only, owned by the caller) to out. */
void report_json_render(const cJSON *doc, struct strbuf *out);

#endif
