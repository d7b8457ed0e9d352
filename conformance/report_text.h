/* report_text.h: plain text of a failure's parts, which several formats show;
 * appended unescaped (callers escape it for their format). Missing keys are
 * left out. */
#ifndef AFI_CONFORMANCE_REPORT_TEXT_H
#define AFI_CONFORMANCE_REPORT_TEXT_H

#include <cjson/cJSON.h>

#include "strbuf.h"

/* "# as identity NAME", "METHOD URL", one "name: value" line per header, then
 * a blank line and the body when there is one. */
void report_text_request(struct strbuf *b, const cJSON *req);
/* "HTTP STATUS", the headers, a blank line and the body when there is one. */
void report_text_response(struct strbuf *b, const cJSON *resp);
/* One line, no newline: "step N (step name)" ("failure" without a step),
 * then report_text_target's words. */
void report_text_step(struct strbuf *b, const cJSON *failure);
/* " on target #N" when the failure names the target that answered (a run of
 * several targets), " spread over the targets" when it names none (null);
 * nothing without a "target" member. */
void report_text_target(struct strbuf *b, const cJSON *failure);
/* The whole failure: "step N (step name): REQ-ID · rule", the message, the
 * diffs ("at PATH", "  expected: X", "  actual:   Y"), request, response, curl. */
void report_text_failure(struct strbuf *b, const cJSON *failure);
/* The first line of s (up to a newline). */
void report_text_first_line(struct strbuf *b, const char *s);

#endif
