/* report_tap.h: TAP version 13, one test point per case (see report_tap.c). */
#ifndef AFI_CONFORMANCE_REPORT_TAP_H
#define AFI_CONFORMANCE_REPORT_TAP_H

#include <cjson/cJSON.h>

#include "strbuf.h"

/* Appends the whole report doc (read-only, owned by the caller) to out. */
void report_tap_render(const cJSON *doc, struct strbuf *out);

#endif
