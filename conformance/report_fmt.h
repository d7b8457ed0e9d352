/* report_fmt.h: the escapers of every report format and the report's number formats.
 *
 * All text escapers first make s valid UTF-8 (an invalid byte becomes U+FFFD)
 * and replace the control characters other than tab and newline (which XML
 * 1.0 and HTML do not allow, and terminals misrender) by the visible text
 * "\u00XX"; CR LF reads as LF. s NULL appends nothing. Each appends to b.
 */
#ifndef AFI_CONFORMANCE_REPORT_FMT_H
#define AFI_CONFORMANCE_REPORT_FMT_H

#include <cjson/cJSON.h>

#include "strbuf.h"

/* XML 1.0 text (attr 0: & < > as entities) or a double-quoted attribute
 * value (attr 1: also " ' tab and newline, so they survive normalization). */
void report_fmt_xml(struct strbuf *b, const char *s, int attr);
/* HTML text or double-quoted attribute value: & < > " ' as entities. */
void report_fmt_html(struct strbuf *b, const char *s);
/* Markdown inline text (a table cell, a list item): newlines become spaces,
 * markup characters are backslash-escaped, so the text renders literally. */
void report_fmt_md(struct strbuf *b, const char *s);
/* A Markdown fenced code block of s with language tag lang (may be ""): the
 * fence is longer than any backtick run in s. */
void report_fmt_md_code(struct strbuf *b, const char *lang, const char *s);
/* A TAP test point description: newlines and tabs become spaces, # and \
 * are backslash-escaped (so no text starts a directive). */
void report_fmt_tap(struct strbuf *b, const char *s);
/* A double-quoted YAML (and JSON) scalar: "...", with \" \\ \n \t \uXXXX. */
void report_fmt_yaml_str(struct strbuf *b, const char *s);

/* A JSON string literal of s, exact except that invalid UTF-8 bytes become
 * U+FFFD (control characters are JSON escapes, non-ASCII stays UTF-8). */
void report_fmt_json_str(struct strbuf *b, const char *s);

/* v as compact JSON (cJSON_PrintUnformatted; a non-finite number is null). */
void report_fmt_json_compact(struct strbuf *b, const cJSON *v);

/* ms (milliseconds) as seconds with three decimals, "0.001"; a negative or
 * non-finite ms gives "0.000". */
void report_fmt_seconds(struct strbuf *b, double ms);

#endif
