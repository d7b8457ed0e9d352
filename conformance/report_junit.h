/* report_junit.h: JUnit XML for CI systems (see report_junit.c). */
#ifndef AFI_CONFORMANCE_REPORT_JUNIT_H
#define AFI_CONFORMANCE_REPORT_JUNIT_H

#include <cjson/cJSON.h>

#include "strbuf.h"

/* Appends the whole report doc (read-only, owned by the caller) to out. */
void report_junit_render(const cJSON *doc, struct strbuf *out);

#endif
