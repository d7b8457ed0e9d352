/* utf8.h: the one UTF-8 decoder and encoder of the runner.
 *
 * Valid means RFC 3629: no overlong form, no surrogate, nothing above
 * U+10FFFF. Every caller that meets an invalid byte replaces that one byte
 * (U+FFFD) and goes on with the next, so all the runner's outputs agree on
 * what a hostile byte sequence turns into.
 */
#ifndef AFI_CONFORMANCE_UTF8_H
#define AFI_CONFORMANCE_UTF8_H

#include <stddef.h>

#define UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD */

/* Length (1..4) of the valid sequence at s, of which avail bytes are
 * readable, or 0 when it is invalid or cut short. A NUL byte ends any
 * sequence, so a NUL-terminated string may pass SIZE_MAX. When the sequence
 * is valid and cp is not NULL, *cp is its code point. s[0] NUL is the valid
 * one-byte U+0000. */
size_t utf8_seq(const unsigned char *s, size_t avail, unsigned *cp);

/* The character at *p of a NUL-terminated string (not at its NUL), *p moved
 * past it; an invalid byte gives 0xFFFD and moves one byte. */
unsigned utf8_next(const char **p);

/* Writes cp (at most U+10FFFF) as UTF-8 to out; returns its length 1..4. */
size_t utf8_put(char out[4], unsigned cp);

/* Number of code points of a valid UTF-8 string (bytes that begin one). */
size_t utf8_count(const char *s);

#endif
