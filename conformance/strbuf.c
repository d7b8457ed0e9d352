/* strbuf.c: a NUL-terminated string grown by appending (see strbuf.h). */
#include "strbuf.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void strbuf_init(struct strbuf *b)
{
    memset(b, 0, sizeof *b);
}

void strbuf_free(struct strbuf *b)
{
    if (!b)
        return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

char *strbuf_take(struct strbuf *b)
{
    char *s = b->data ? b->data : mem_strdup("");
    memset(b, 0, sizeof *b);
    return s;
}

const char *strbuf_str(const struct strbuf *b)
{
    return b->data ? b->data : "";
}

char *strbuf_room(struct strbuf *b, size_t n)
{
    if (n > (size_t)-1 / 2 - b->len)
        mem_fail(n);
    size_t need = b->len + n + 1;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (cap < need)
            cap *= 2;
        b->data = mem_realloc(b->data, cap);
        b->cap = cap;
    }
    return b->data + b->len;
}

void strbuf_grew(struct strbuf *b, size_t n)
{
    b->len += n;
    b->data[b->len] = '\0';
}

void strbuf_putn(struct strbuf *b, const char *s, size_t n)
{
    memcpy(strbuf_room(b, n), s, n);
    strbuf_grew(b, n);
}

void strbuf_puts(struct strbuf *b, const char *s)
{
    if (s)
        strbuf_putn(b, s, strlen(s));
}

void strbuf_putc(struct strbuf *b, char c)
{
    strbuf_putn(b, &c, 1);
}

void strbuf_vprintf(struct strbuf *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    if (n > 0) {
        vsnprintf(strbuf_room(b, (size_t)n), (size_t)n + 1, fmt, again);
        b->len += (size_t)n;
    }
    va_end(again);
}

void strbuf_printf(struct strbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(b, fmt, ap);
    va_end(ap);
}
