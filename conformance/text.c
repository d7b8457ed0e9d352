/* text.c: escapes control characters and invalid UTF-8 so a hostile target cannot
 * drive the user's terminal or break a report (see text.h). */
#include "text.h"
#include "mem.h"
#include "utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *text_clean(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    char *out = mem_alloc(len * 6 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        unsigned cp;
        size_t n = utf8_seq(u + i, len - i, &cp);
        if (!n && u[i] == 0xC0 && i + 1 < len && u[i + 1] == 0x80) {
            n = 2;
            cp = 0;
        }
        if (!n) {
            memcpy(out + o, UTF8_REPLACEMENT, 3);
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
    return s ? text_clean(s, strlen(s)) : mem_strdup("");
}
