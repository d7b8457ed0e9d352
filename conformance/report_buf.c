/* report_buf.c: the growable string the renderers write into, and the escapers
 * that make any report text (hostile response bodies included) safe in XML,
 * HTML, Markdown and YAML. */
#include "report.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void report_buf_init(struct report_buf *b)
{
    memset(b, 0, sizeof *b);
}

void report_buf_free(struct report_buf *b)
{
    if (!b)
        return;
    free(b->data);
    memset(b, 0, sizeof *b);
}

char *report_buf_take(struct report_buf *b)
{
    char *s = NULL;

    if (!b->oom) {
        s = b->data ? b->data : strdup("");
        b->data = NULL;
    }
    report_buf_free(b);
    return s;
}

static int grow(struct report_buf *b, size_t extra)
{
    size_t need, cap;
    char *p;

    if (b->oom)
        return -1;
    if (extra > (size_t)-1 / 2 - b->len) {
        b->oom = 1;
        return -1;
    }
    need = b->len + extra + 1;
    if (need <= b->cap)
        return 0;
    cap = b->cap ? b->cap : 256;
    while (cap < need)
        cap *= 2;
    p = realloc(b->data, cap);
    if (!p) {
        b->oom = 1;
        return -1;
    }
    b->data = p;
    b->cap = cap;
    return 0;
}

void report_buf_putn(struct report_buf *b, const char *s, size_t n)
{
    if (grow(b, n) < 0)
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void report_buf_puts(struct report_buf *b, const char *s)
{
    if (s)
        report_buf_putn(b, s, strlen(s));
}

void report_buf_printf(struct report_buf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || grow(b, (size_t)n) < 0) {
        b->oom = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void report_buf_seconds(struct report_buf *b, double ms)
{
    if (!isfinite(ms) || ms < 0)
        ms = 0;
    report_buf_printf(b, "%.3f", ms / 1000.0);
}

/* Decodes the character at *p (not at the terminating NUL) and advances past
 * it. An invalid, overlong or surrogate sequence yields U+FFFD for one byte. */
static unsigned utf8_next(const unsigned char **p)
{
    const unsigned char *s = *p;
    unsigned cp, min;
    int n, i;

    if (s[0] < 0x80) {
        *p = s + 1;
        return s[0];
    }
    if ((s[0] & 0xE0) == 0xC0) {
        n = 1; cp = s[0] & 0x1F; min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        n = 2; cp = s[0] & 0x0F; min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        n = 3; cp = s[0] & 0x07; min = 0x10000;
    } else {
        *p = s + 1;
        return 0xFFFD;
    }
    for (i = 1; i <= n; i++) {
        if ((s[i] & 0xC0) != 0x80) {
            *p = s + 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *p = s + 1;
        return 0xFFFD;
    }
    *p = s + n + 1;
    return cp;
}

static void put_cp(struct report_buf *b, unsigned cp)
{
    char u[4];

    if (cp < 0x80) {
        u[0] = (char)cp;
        report_buf_putn(b, u, 1);
    } else if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        report_buf_putn(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        report_buf_putn(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        report_buf_putn(b, u, 4);
    }
}

/* A character no format may carry raw: C0 controls except tab and newline,
 * DEL, C1 controls, and the XML non-characters U+FFFE and U+FFFF. */
static int unprintable(unsigned cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n') || (cp >= 0x7F && cp <= 0x9F) ||
           cp == 0xFFFE || cp == 0xFFFF;
}

/* Walks s as sanitized characters: CR LF reads as LF, an unprintable character
 * as the six characters "\u00XX". Each character goes to special (when it
 * returns 1 it has written it) or is appended as UTF-8. */
static void put_clean(struct report_buf *b, const char *s, int ctx,
                      int (*special)(struct report_buf *, unsigned, int))
{
    const unsigned char *p = (const unsigned char *)s;
    char hex[8];

    if (!s)
        return;
    while (*p && !b->oom) {
        unsigned cp = utf8_next(&p);

        if (cp == '\r' && *p == '\n')
            continue;
        if (unprintable(cp)) {
            snprintf(hex, sizeof hex, "\\u%04x", cp);
            for (const char *h = hex; *h; h++)
                if (!special || !special(b, (unsigned char)*h, ctx))
                    put_cp(b, (unsigned char)*h);
            continue;
        }
        if (!special || !special(b, cp, ctx))
            put_cp(b, cp);
    }
}

/* ctx: 0 XML text (only & < > need entities), 1 XML attribute (quotes, and
 * whitespace that attribute normalization would eat), 2 HTML (quotes too, as
 * the same text may land in an attribute). */
static int xml_special(struct report_buf *b, unsigned cp, int ctx)
{
    switch (cp) {
    case '&': report_buf_puts(b, "&amp;"); return 1;
    case '<': report_buf_puts(b, "&lt;"); return 1;
    case '>': report_buf_puts(b, "&gt;"); return 1;
    case '"': if (ctx) { report_buf_puts(b, "&quot;"); return 1; } return 0;
    case '\'': if (ctx) { report_buf_puts(b, "&#39;"); return 1; } return 0;
    case '\n': if (ctx == 1) { report_buf_puts(b, "&#10;"); return 1; } return 0;
    case '\t': if (ctx == 1) { report_buf_puts(b, "&#9;"); return 1; } return 0;
    default: return 0;
    }
}

void report_buf_xml(struct report_buf *b, const char *s, int attr)
{
    put_clean(b, s, attr ? 1 : 0, xml_special);
}

void report_buf_html(struct report_buf *b, const char *s)
{
    put_clean(b, s, 2, xml_special);
}

static int md_special(struct report_buf *b, unsigned cp, int ctx)
{
    (void)ctx;
    if (cp == '\n' || cp == '\t') {
        report_buf_putn(b, " ", 1);
        return 1;
    }
    if (cp < 0x80 && strchr("\\`*_[]<>|~&#!$", (int)cp)) {
        char e[2] = {'\\', (char)cp};
        report_buf_putn(b, e, 2);
        return 1;
    }
    return 0;
}

void report_buf_md(struct report_buf *b, const char *s)
{
    put_clean(b, s, 0, md_special);
}

void report_buf_md_code(struct report_buf *b, const char *lang, const char *s)
{
    size_t run = 0, longest = 0, fence, start;

    for (const char *p = s ? s : ""; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    fence = longest >= 3 ? longest + 1 : 3;
    for (size_t i = 0; i < fence; i++)
        report_buf_putn(b, "`", 1);
    report_buf_puts(b, lang);
    report_buf_putn(b, "\n", 1);
    start = b->len;
    put_clean(b, s, 0, NULL);
    if (b->len > start && b->data[b->len - 1] != '\n')
        report_buf_putn(b, "\n", 1);
    for (size_t i = 0; i < fence; i++)
        report_buf_putn(b, "`", 1);
    report_buf_putn(b, "\n", 1);
}

static int tap_special(struct report_buf *b, unsigned cp, int ctx)
{
    (void)ctx;
    switch (cp) {
    case '\n': case '\t': report_buf_putn(b, " ", 1); return 1;
    case '#': report_buf_puts(b, "\\#"); return 1;
    case '\\': report_buf_puts(b, "\\\\"); return 1;
    default: return 0;
    }
}

void report_buf_tap(struct report_buf *b, const char *s)
{
    put_clean(b, s, 0, tap_special);
}

static int yaml_special(struct report_buf *b, unsigned cp, int ctx)
{
    (void)ctx;
    switch (cp) {
    case '"': report_buf_puts(b, "\\\""); return 1;
    case '\\': report_buf_puts(b, "\\\\"); return 1;
    case '\n': report_buf_puts(b, "\\n"); return 1;
    case '\t': report_buf_puts(b, "\\t"); return 1;
    default: return 0;
    }
}

void report_buf_yaml_str(struct report_buf *b, const char *s)
{
    report_buf_putn(b, "\"", 1);
    put_clean(b, s ? s : "", 0, yaml_special);
    report_buf_putn(b, "\"", 1);
}

void report_buf_json_str(struct report_buf *b, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");

    report_buf_putn(b, "\"", 1);
    while (*p && !b->oom) {
        unsigned cp = utf8_next(&p);

        switch (cp) {
        case '"': report_buf_puts(b, "\\\""); break;
        case '\\': report_buf_puts(b, "\\\\"); break;
        case '\n': report_buf_puts(b, "\\n"); break;
        case '\r': report_buf_puts(b, "\\r"); break;
        case '\t': report_buf_puts(b, "\\t"); break;
        case '\b': report_buf_puts(b, "\\b"); break;
        case '\f': report_buf_puts(b, "\\f"); break;
        default:
            if (cp < 0x20)
                report_buf_printf(b, "\\u%04x", cp);
            else
                put_cp(b, cp);
        }
    }
    report_buf_putn(b, "\"", 1);
}

void report_buf_json_compact(struct report_buf *b, const cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);

    if (!s) {
        b->oom = 1;
        return;
    }
    report_buf_puts(b, s);
    free(s);
}
