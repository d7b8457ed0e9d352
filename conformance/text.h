/* text.h: making text from a target or a fixture safe to show (terminal and reports). */
#ifndef AFI_CONFORMANCE_TEXT_H
#define AFI_CONFORMANCE_TEXT_H

#include <stddef.h>

/* A copy of s[0..len) that is valid UTF-8 and shows no control character:
 * invalid UTF-8 becomes U+FFFD, a NUL (raw, or C0 80 as jsonx keeps it)
 * becomes "\u0000", and every other control character but tab and newline
 * (C0, DEL, C1) becomes the visible text "\u00XX" (docs/reports.md, "What
 * each format shows"). Caller frees. */
char *text_clean(const char *s, size_t len);

/* The same for a NUL-terminated string; NULL gives "". */
char *text_clean_str(const char *s);

#endif
