/* text.c: escapes control characters and invalid UTF-8 so a hostile target cannot
 * drive the user's terminal or break a report (see text.h). */
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1..4) and its code point, or 0. */
size_t text_utf8_seq(const unsigned char *s, size_t avail, unsigned *cp)
{
    unsigned char c = s[0];
    size_t n;
    unsigned v;
    if (c < 0x80) {
        if (cp)
            *cp = c;
        return 1;
    }
    if (c >= 0xC2 && c <= 0xDF) { n = 2; v = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { n = 3; v = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { n = 4; v = c & 0x07; }
    else return 0;
    if (avail < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if ((n == 3 && v < 0x800) || (n == 4 && (v < 0x10000 || v > 0x10FFFF)) ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    if (cp)
        *cp = v;
    return n;
}

char *text_clean(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = malloc(len * 6 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = text_utf8_seq(u + i, len - i, &cp);
        if (!n && u[i] == 0xC0 && i + 1 < len && u[i + 1] == 0x80) {
            n = 2;
            cp = 0;
        }
        if (!n) {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
            continue;
        }
        if ((cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7F && cp <= 0x9F)) {
            o += (size_t)sprintf(out + o, "\\u%04x", cp);
        } else {
            memcpy(out + o, u + i, n);
            o += n;
        }
        i += n;
    }
    out[o] = '\0';
    return out;
}

char *text_clean_str(const char *s)
{
    return s ? text_clean(s, strlen(s)) : strdup("");
}
