/* request.c: builds a step's HTTP request from its fixture (see request.h). */
#include "request.h"
#include "b64.h"
#include "jsonx.h"
#include "mem.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void request_clear(struct request *rq)
{
    if (!rq)
        return;
    free(rq->method);
    free(rq->path);
    free(rq->url);
    free(rq->body);
    for (size_t i = 0; i < rq->nlines; i++)
        free(rq->lines[i]);
    free(rq->lines);
    memset(rq, 0, sizeof *rq);
}

static void add_line(struct request *rq, const char *name, const char *value)
{
    struct strbuf l = {0};
    strbuf_puts(&l, name);
    strbuf_putc(&l, ':');
    if (value) {
        strbuf_putc(&l, ' ');
        strbuf_puts(&l, value);
    }
    rq->lines = mem_array(rq->lines, rq->nlines + 1, sizeof *rq->lines);
    rq->lines[rq->nlines++] = strbuf_take(&l);
}

static int fixture_sets(const cJSON *headers, const char *name)
{
    for (const cJSON *h = headers ? headers->child : NULL; h; h = h->next)
        if (!strcasecmp(h->string, name))
            return 1;
    return 0;
}

static void set_url(struct request *rq, const char *target)
{
    struct strbuf u = {0};
    strbuf_puts(&u, target);
    strbuf_puts(&u, rq->path);
    rq->url = strbuf_take(&u);
}

/* Appends one body part, {"text"|"b64", "repeat"}, to body; -1 when b64 is not base64. */
static int append_part(struct strbuf *body, const cJSON *part)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(part, "text");
    const cJSON *b = cJSON_GetObjectItemCaseSensitive(part, "b64");
    const cJSON *rep = cJSON_GetObjectItemCaseSensitive(part, "repeat");
    long n = rep ? (long)rep->valuedouble : 1;
    unsigned char *dec = NULL;
    const char *src;
    size_t sl;
    if (t) {
        src = t->valuestring;
        sl = strlen(src);
    } else {
        dec = b64_decode(b->valuestring, &sl);
        if (!dec)
            return -1;
        src = (const char *)dec;
    }
    size_t total = sl * (size_t)n;
    char *dst = strbuf_room(body, total);
    if (total) {
        /* Doubling copies: a million one-byte repeats cost twenty memcpy calls. */
        memcpy(dst, src, sl);
        for (size_t done = sl; done < total;) {
            size_t chunk = done < total - done ? done : total - done;
            memcpy(dst + done, dst, chunk);
            done += chunk;
        }
    }
    strbuf_grew(body, total);
    free(dec);
    return 0;
}

/* The Authorization and Cookie lines of auth "header", "cookie" or "both". */
static int add_credentials(struct request *rq, const cJSON *spec, struct identities *ids, char *err,
                           size_t errlen)
{
    const cJSON *auth = cJSON_GetObjectItemCaseSensitive(spec, "auth");
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(spec, "cookie_identity");
    const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(spec, "headers");
    const char *how = cJSON_IsString(auth) ? auth->valuestring : "header";
    if (!rq->identity || !strcmp(how, "none"))
        return 0;
    const char *tok = identities_token(ids, rq->identity);
    if (!tok) {
        snprintf(err, errlen, "cannot mint the token of \"%s\": %s", rq->identity, ids->error);
        return -1;
    }
    if ((!strcmp(how, "header") || !strcmp(how, "both")) && !fixture_sets(hdrs, "Authorization")) {
        struct strbuf v = {0};
        strbuf_puts(&v, "Bearer ");
        strbuf_puts(&v, tok);
        add_line(rq, "Authorization", v.data);
        strbuf_free(&v);
    }
    if (!strcmp(how, "cookie") || !strcmp(how, "both")) {
        const char *ctok = tok;
        if (!strcmp(how, "both") && cJSON_IsString(cid) && !(ctok = identities_token(ids, cid->valuestring))) {
            snprintf(err, errlen, "cannot mint the token of \"%s\": %s", cid->valuestring, ids->error);
            return -1;
        }
        if (!fixture_sets(hdrs, "Cookie")) {
            struct strbuf v = {0};
            strbuf_puts(&v, "afi_viewer=");
            strbuf_puts(&v, ctok);
            add_line(rq, "Cookie", v.data);
            strbuf_free(&v);
        }
    }
    return 0;
}

/* The body of json (with a Content-Type unless the fixture sets one), body,
 * body_b64 or body_parts; none of them: no body. */
static int set_body(struct request *rq, const cJSON *spec, struct vars *v, char *err, size_t errlen)
{
    const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(spec, "headers");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(spec, "json");
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(spec, "body");
    const cJSON *rb64 = cJSON_GetObjectItemCaseSensitive(spec, "body_b64");
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(spec, "body_parts");
    if (js) {
        /* a body without variables is printed as it is, not copied first */
        int subst = vars_mentioned(js);
        cJSON *body = subst ? vars_subst_json(v, js, err, errlen) : NULL;
        if (subst && !body)
            return -1;
        rq->body = jsonx_print(body ? body : js);
        rq->http.body_len = strlen(rq->body);
        cJSON_Delete(body);
        if (!fixture_sets(hdrs, "Content-Type"))
            add_line(rq, "Content-Type", "application/json");
    } else if (raw) {
        rq->body = jsonx_bytes(raw->valuestring, &rq->http.body_len);
    } else if (rb64) {
        unsigned char *d = b64_decode(rb64->valuestring, &rq->http.body_len);
        if (!d) {
            snprintf(err, errlen, "body_b64 is not base64");
            return -1;
        }
        rq->body = (char *)d;
    } else if (parts) {
        struct strbuf body = {0};
        for (const cJSON *pt = parts->child; pt; pt = pt->next)
            if (append_part(&body, pt)) {
                strbuf_free(&body);
                snprintf(err, errlen, "body_parts: b64 is not base64");
                return -1;
            }
        rq->http.body_len = body.len;
        rq->body = strbuf_take(&body);
    }
    return 0;
}

/* The fixture's headers: null removes one, an array gives a line each. */
static int add_headers(struct request *rq, const cJSON *spec, struct vars *v, char *err, size_t errlen)
{
    const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(spec, "headers");
    for (const cJSON *h = hdrs ? hdrs->child : NULL; h; h = h->next) {
        if (cJSON_IsNull(h)) {
            add_line(rq, h->string, NULL);
            continue;
        }
        for (const cJSON *e = cJSON_IsArray(h) ? h->child : h; e; e = cJSON_IsArray(h) ? e->next : NULL) {
            char *val = vars_subst_string(v, e->valuestring, err, errlen);
            if (!val)
                return -1;
            if (!strcasecmp(h->string, "Transfer-Encoding") && !strcasecmp(val, "chunked"))
                rq->http.chunked = 1;
            add_line(rq, h->string, val);
            free(val);
        }
    }
    return 0;
}

int request_build(struct request *rq, const cJSON *spec, const char *target, struct identities *ids,
                  struct vars *v, char *err, size_t errlen)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(spec, "method");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(spec, "path");
    const cJSON *idn = cJSON_GetObjectItemCaseSensitive(spec, "identity");
    rq->method = mem_strdup(m->valuestring);
    if (!(rq->path = vars_subst_string(v, p->valuestring, err, errlen)))
        return -1;
    set_url(rq, target);
    rq->identity = cJSON_IsString(idn) ? idn->valuestring : NULL;
    if (add_credentials(rq, spec, ids, err, errlen) || set_body(rq, spec, v, err, errlen) ||
        add_headers(rq, spec, v, err, errlen))
        return -1;
    rq->http.method = rq->method;
    rq->http.url = rq->url;
    rq->http.headers = (const char *const *)rq->lines;
    rq->http.nheaders = rq->nlines;
    rq->http.body = rq->body;
    return 0;
}

void request_get(struct request *rq, const char *target, const char *path)
{
    memset(rq, 0, sizeof *rq);
    rq->method = mem_strdup("GET");
    rq->path = mem_strdup(path);
    set_url(rq, target);
    rq->http.method = rq->method;
    rq->http.url = rq->url;
}
