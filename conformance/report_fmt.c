/* report_fmt.c: the escapers that make any report text (hostile response
 * bodies included) safe in XML, HTML, Markdown, TAP and YAML, and the report's
 * number formats. */
#include "report_fmt.h"
#include "mem.h"
#include "utf8.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void report_fmt_seconds(struct strbuf *b, double ms)
{
    if (!isfinite(ms) || ms < 0)
        ms = 0;
    strbuf_printf(b, "%.3f", ms / 1000.0);
}

static void put_cp(struct strbuf *b, unsigned cp)
{
    char u[4];
    strbuf_putn(b, u, utf8_put(u, cp));
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
static void put_clean(struct strbuf *b, const char *s, int ctx,
                      int (*special)(struct strbuf *, unsigned, int))
{
    const char *p = s;
    char hex[8];

    if (!s)
        return;
    while (*p) {
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
static int xml_special(struct strbuf *b, unsigned cp, int ctx)
{
    switch (cp) {
    case '&': strbuf_puts(b, "&amp;"); return 1;
    case '<': strbuf_puts(b, "&lt;"); return 1;
    case '>': strbuf_puts(b, "&gt;"); return 1;
    case '"': if (ctx) { strbuf_puts(b, "&quot;"); return 1; } return 0;
    case '\'': if (ctx) { strbuf_puts(b, "&#39;"); return 1; } return 0;
    case '\n': if (ctx == 1) { strbuf_puts(b, "&#10;"); return 1; } return 0;
    case '\t': if (ctx == 1) { strbuf_puts(b, "&#9;"); return 1; } return 0;
    default: return 0;
    }
}

void report_fmt_xml(struct strbuf *b, const char *s, int attr)
{
    put_clean(b, s, attr ? 1 : 0, xml_special);
}

void report_fmt_html(struct strbuf *b, const char *s)
{
    put_clean(b, s, 2, xml_special);
}

static int md_special(struct strbuf *b, unsigned cp, int ctx)
{
    (void)ctx;
    if (cp == '\n' || cp == '\t') {
        strbuf_putn(b, " ", 1);
        return 1;
    }
    if (cp < 0x80 && strchr("\\`*_[]<>|~&#!$", (int)cp)) {
        char e[2] = {'\\', (char)cp};
        strbuf_putn(b, e, 2);
        return 1;
    }
    return 0;
}

void report_fmt_md(struct strbuf *b, const char *s)
{
    put_clean(b, s, 0, md_special);
}

void report_fmt_md_code(struct strbuf *b, const char *lang, const char *s)
{
    size_t run = 0, longest = 0, fence, start;

    for (const char *p = s ? s : ""; *p; p++) {
        run = *p == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    fence = longest >= 3 ? longest + 1 : 3;
    for (size_t i = 0; i < fence; i++)
        strbuf_putn(b, "`", 1);
    strbuf_puts(b, lang);
    strbuf_putn(b, "\n", 1);
    start = b->len;
    put_clean(b, s, 0, NULL);
    if (b->len > start && b->data[b->len - 1] != '\n')
        strbuf_putn(b, "\n", 1);
    for (size_t i = 0; i < fence; i++)
        strbuf_putn(b, "`", 1);
    strbuf_putn(b, "\n", 1);
}

static int tap_special(struct strbuf *b, unsigned cp, int ctx)
{
    (void)ctx;
    switch (cp) {
    case '\n': case '\t': strbuf_putn(b, " ", 1); return 1;
    case '#': strbuf_puts(b, "\\#"); return 1;
    case '\\': strbuf_puts(b, "\\\\"); return 1;
    default: return 0;
    }
}

void report_fmt_tap(struct strbuf *b, const char *s)
{
    put_clean(b, s, 0, tap_special);
}

static int yaml_special(struct strbuf *b, unsigned cp, int ctx)
{
    (void)ctx;
    switch (cp) {
    case '"': strbuf_puts(b, "\\\""); return 1;
    case '\\': strbuf_puts(b, "\\\\"); return 1;
    case '\n': strbuf_puts(b, "\\n"); return 1;
    case '\t': strbuf_puts(b, "\\t"); return 1;
    default: return 0;
    }
}

void report_fmt_yaml_str(struct strbuf *b, const char *s)
{
    strbuf_putn(b, "\"", 1);
    put_clean(b, s ? s : "", 0, yaml_special);
    strbuf_putn(b, "\"", 1);
}

void report_fmt_json_str(struct strbuf *b, const char *s)
{
    const char *p = s ? s : "";

    strbuf_putn(b, "\"", 1);
    while (*p) {
        unsigned cp = utf8_next(&p);

        switch (cp) {
        case '"': strbuf_puts(b, "\\\""); break;
        case '\\': strbuf_puts(b, "\\\\"); break;
        case '\n': strbuf_puts(b, "\\n"); break;
        case '\r': strbuf_puts(b, "\\r"); break;
        case '\t': strbuf_puts(b, "\\t"); break;
        case '\b': strbuf_puts(b, "\\b"); break;
        case '\f': strbuf_puts(b, "\\f"); break;
        default:
            if (cp < 0x20)
                strbuf_printf(b, "\\u%04x", cp);
            else
                put_cp(b, cp);
        }
    }
    strbuf_putn(b, "\"", 1);
}

void report_fmt_json_compact(struct strbuf *b, const cJSON *v)
{
    char *s = cJSON_PrintUnformatted(v);

    if (!s)
        mem_fail(0);
    strbuf_puts(b, s);
    free(s);
}
