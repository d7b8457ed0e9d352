/* failure.c: records a case's failures and renders their request and answer (see failure.h). */
#include "failure.h"
#include "mem.h"
#include "reproduce.h"
#include "strbuf.h"
#include "text.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEEP_BODY 4096

struct failure *failure_add(struct failure_list *l, int step, const char *step_name, const char *req)
{
    l->v = mem_array(l->v, l->n + 1, sizeof *l->v);
    struct failure *f = &l->v[l->n++];
    memset(f, 0, sizeof *f);
    f->step = step;
    f->step_name = mem_strdup(step_name ? step_name : "");
    f->requirement = mem_strdup(req ? req : "");
    return f;
}

/* A JSON string of bytes b[0..n), cut to KEEP_BODY; an invalid byte (and a
 * NUL, which would end the string) shows as U+FFFD. */
static cJSON *bytes_json(const char *b, size_t n)
{
    const unsigned char *u = (const unsigned char *)b;
    size_t lim = n > KEEP_BODY ? KEEP_BODY : n;
    struct strbuf s = {0};
    for (size_t i = 0; i < lim;) {
        size_t l = u[i] ? utf8_seq(u + i, n - i, NULL) : 0;
        if (l) {
            strbuf_putn(&s, b + i, l);
            i += l;
        } else {
            strbuf_puts(&s, UTF8_REPLACEMENT);
            i++;
        }
    }
    if (n > lim)
        strbuf_printf(&s, "\xE2\x80\xA6 (%zu bytes in all)", n);
    cJSON *j = cJSON_CreateString(strbuf_str(&s));
    strbuf_free(&s);
    return j;
}

static cJSON *request_json(const struct request *rq)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "method", rq->method);
    cJSON_AddStringToObject(j, "path", rq->path);
    cJSON_AddStringToObject(j, "url", rq->url);
    if (rq->identity)
        cJSON_AddStringToObject(j, "identity", rq->identity);
    else
        cJSON_AddNullToObject(j, "identity");
    cJSON *h = cJSON_AddObjectToObject(j, "headers");
    for (size_t i = 0; i < rq->nlines; i++) {
        char *c = strchr(rq->lines[i], ':');
        char *name = mem_strndup(rq->lines[i], (size_t)(c - rq->lines[i]));
        const char *val = c[1] == ' ' ? c + 2 : c + 1;
        cJSON_DeleteItemFromObjectCaseSensitive(h, name);
        cJSON_AddStringToObject(h, name, val);
        free(name);
    }
    if (rq->body)
        cJSON_AddItemToObject(j, "body", bytes_json(rq->body, rq->http.body_len));
    else
        cJSON_AddNullToObject(j, "body");
    return j;
}

static cJSON *response_json(const struct http_response *res)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "status", (double)res->status);
    cJSON *h = cJSON_AddObjectToObject(j, "headers");
    for (size_t i = 0; i < res->nh; i++) {
        if (cJSON_GetObjectItemCaseSensitive(h, res->hnames[i]))
            continue;
        char *v = http_header(res, res->hnames[i]);
        char *name = text_clean_str(res->hnames[i]), *clean = text_clean_str(v);
        cJSON_AddStringToObject(h, name, clean);
        free(name);
        free(clean);
        free(v);
    }
    if (res->status == 0)
        cJSON_AddStringToObject(j, "error", res->error);
    cJSON_AddItemToObject(j, "body", bytes_json(res->body ? res->body : "", res->body_len));
    return j;
}

struct failure *failure_at(struct failure_list *l, const struct failure_site *at, const char *req,
                           const struct http_response *res)
{
    struct failure *f = failure_add(l, at->step, at->step_name, req);
    f->request = request_json(at->rq);
    f->response = res ? response_json(res) : NULL;
    f->curl = reproduce_curl(&at->rq->http);
    f->target = at->target;
    return f;
}

void failure_msg(struct failure *f, const char *fmt, ...)
{
    char raw[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    char *line = text_clean_str(raw);
    struct strbuf m = {0};
    if (f->message) {
        strbuf_puts(&m, f->message);
        strbuf_putc(&m, '\n');
    }
    strbuf_puts(&m, line);
    free(line);
    free(f->message);
    f->message = strbuf_take(&m);
}

void failure_diffs(struct failure *f, const struct matcher_diffs *d)
{
    for (size_t i = 0; i < d->n; i++) {
        failure_msg(f, "%s: expected %s, got %s", d->v[i].path, d->v[i].expected, d->v[i].actual);
        matcher_diffs_add(&f->diffs, d->v[i].path, d->v[i].expected, d->v[i].actual);
    }
}

/* Frees what f holds (not f itself, an element of its list's array). */
static void failure_free(struct failure *f)
{
    if (!f)
        return;
    free(f->step_name);
    free(f->requirement);
    free(f->message);
    free(f->curl);
    matcher_diffs_clear(&f->diffs);
    cJSON_Delete(f->request);
    cJSON_Delete(f->response);
}

void failure_list_truncate(struct failure_list *l, size_t n)
{
    for (size_t k = n; k < l->n; k++)
        failure_free(&l->v[k]);
    if (n < l->n)
        l->n = n;
}

void failure_list_move_last(struct failure_list *l, size_t to)
{
    if (to + 1 >= l->n)
        return;
    struct failure last = l->v[l->n - 1];
    memmove(&l->v[to + 1], &l->v[to], (l->n - 1 - to) * sizeof last);
    l->v[to] = last;
}

void failure_list_clear(struct failure_list *l)
{
    if (!l)
        return;
    failure_list_truncate(l, 0);
    free(l->v);
    l->v = NULL;
}
