/* reproduce.c: quotes a request into a curl command line for the shell (see reproduce.h). */
#include "reproduce.h"
#include "strbuf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

/* t[0..tl) for inside single quotes; printf_fmt: also as a printf format
 * (\ % and non-printable bytes as octal escapes). */
static void quoted(struct strbuf *s, const char *t, size_t tl, int printf_fmt)
{
    for (size_t i = 0; i < tl; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '\'')
            strbuf_puts(s, printf_fmt ? "\\047" : "'\\''");
        else if (printf_fmt && c == '%')
            strbuf_puts(s, "%%");
        else if (printf_fmt && (c == '\\' || c < 0x20 || c >= 0x7f))
            strbuf_printf(s, "\\%03o", c);
        else
            strbuf_putc(s, (char)c);
    }
}

/* printf commands writing body[0..len) exactly, each followed by "; ". */
static void printf_cmds(struct strbuf *s, const char *body, size_t len)
{
    size_t i = 0;
    while (i < len) {
        size_t best_unit = 0, best_count = 0;
        for (size_t unit = 1; unit <= 8 && i + unit <= len; unit++) {
            size_t cnt = 1;
            while (i + (cnt + 1) * unit <= len && !memcmp(body + i, body + i + cnt * unit, unit))
                cnt++;
            if (cnt * unit > best_count * best_unit && cnt >= 16) {
                best_unit = unit;
                best_count = cnt;
            }
        }
        strbuf_puts(s, "printf '");
        if (best_unit) {
            quoted(s, body + i, best_unit, 1);
            strbuf_printf(s, "%%.0s' $(seq %zu); ", best_count);
            i += best_unit * best_count;
        } else {
            size_t j = i;
            while (j < len && j - i < 4096) {
                if (j + 16 <= len && !memcmp(body + j, body + j + 1, 15))
                    break;
                j++;
            }
            if (j == i)
                j = i + 1;
            quoted(s, body + i, j - i, 1);
            strbuf_puts(s, "'; ");
            i = j;
        }
    }
}

/* The body as printf commands piped into curl. */
static void body_pipe(struct strbuf *s, const char *body, size_t len)
{
    strbuf_puts(s, "{ ");
    printf_cmds(s, body, len);
    strbuf_puts(s, "} | ");
}

/* value in single quotes. */
static void quoted_arg(struct strbuf *s, const char *value)
{
    strbuf_putc(s, '\'');
    quoted(s, value, strlen(value), 0);
    strbuf_putc(s, '\'');
}

/* One argument in single quotes, after a space and an option (may be ""). */
static void arg(struct strbuf *s, const char *option, const char *value)
{
    strbuf_printf(s, " %s'", option);
    quoted(s, value, strlen(value), 0);
    strbuf_putc(s, '\'');
}

char *reproduce_curl(const struct http_request *q)
{
    struct strbuf s = {0};
    if (q->body)
        body_pipe(&s, q->body, q->body_len);
    strbuf_puts(&s, "curl -sS -i --path-as-is");
    if (!strcmp(q->method, "HEAD"))
        strbuf_puts(&s, " -I");
    else if (strcmp(q->method, "GET") || q->body)
        arg(&s, "-X ", q->method);
    int has_ct = 0;
    for (size_t i = 0; i < q->nheaders; i++) {
        if (!strncasecmp(q->headers[i], "Content-Type:", 13))
            has_ct = 1;
        arg(&s, "-H ", q->headers[i]);
    }
    if (q->body && !has_ct)
        strbuf_puts(&s, " -H 'Content-Type:'");
    if (q->body)
        strbuf_puts(&s, " -H 'Expect:' --data-binary @-");
    else if (!strcmp(q->method, "POST"))
        strbuf_puts(&s, " -d ''  -H 'Content-Type:'");
    arg(&s, "", q->url);
    return strbuf_take(&s);
}

char *reproduce_nc(const struct raw_chunk *chunks, size_t n, const char *host, const char *port, long within_ms)
{
    struct strbuf s = {0};
    strbuf_puts(&s, "{ ");
    for (size_t i = 0; i < n; i++) {
        if (chunks[i].pause_ms > 0)
            strbuf_printf(&s, "sleep %ld.%03ld; ", chunks[i].pause_ms / 1000, chunks[i].pause_ms % 1000);
        printf_cmds(&s, chunks[i].data, chunks[i].len);
    }
    /* stdin stays open for the answers: nc variants differ on what EOF on it does. */
    strbuf_printf(&s, "sleep %ld; } | nc ", within_ms / 1000 + 1);
    quoted_arg(&s, host);
    strbuf_putc(&s, ' ');
    quoted_arg(&s, port);
    return strbuf_take(&s);
}
