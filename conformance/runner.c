/* runner.c: executes fixture cases over HTTP, applies expectations and the run-wide checks. */
#include "runner.h"
#include "b64.h"
#include "jpath.h"
#include "jsonx.h"
#include "schema.h"
#include "text.h"
#include "token.h"
#include "vars.h"

#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define KEEP_BODY 4096

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

const char *runner_status_name(enum case_status s)
{
    static const char *const n[] = {"passed", "failed", "warned", "skipped", "xfail", "xpass", "other-shard"};
    return n[s];
}

/* ---------- per-case state ---------- */

struct casectx {
    struct runner *r;
    const struct fixture_case *c;
    int index;
    long now;
    char **tokens;   /* per identity of the suite, minted on first use */
    char mint_err[300];
};

static int identity_index(const struct fixture_suite *s, const char *name)
{
    int i = 0;
    for (const cJSON *id = s->identities->child; id; id = id->next, i++)
        if (!strcmp(id->string, name))
            return i;
    return -1;
}

static char *make_sub(const struct casectx *x, const char *name)
{
    const char *owner = fixture_sub_owner(x->c->suite, name);
    char b[256];
    snprintf(b, sizeof b, "r%s.%d.%s", x->r->id, x->index, owner);
    return strdup(b);
}

static char *make_jti(const struct casectx *x, const char *name)
{
    char b[256];
    snprintf(b, sizeof b, "j%s.%d.%s", x->r->id, x->index, fixture_jti_owner(x->c->suite, name));
    return strdup(b);
}

/* The identity's token, minted once per case run; NULL with x->mint_err set. */
static const char *token_of(struct casectx *x, const char *name)
{
    int i = identity_index(x->c->suite, name);
    if (i < 0) {
        snprintf(x->mint_err, sizeof x->mint_err, "unknown identity \"%s\"", name);
        return NULL;
    }
    if (!x->tokens[i]) {
        char *sub = make_sub(x, name), *jti = make_jti(x, name);
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(x->c->suite->identities, name);
        x->tokens[i] = token_mint(id, sub, jti, x->r->o.secret, x->now, x->mint_err, sizeof x->mint_err);
        free(sub);
        free(jti);
    }
    return x->tokens[i];
}

static char *builtin(void *ctx, const char *name)
{
    struct casectx *x = ctx;
    char b[64];
    if (!strcmp(name, "run"))
        return strdup(x->r->id);
    if (!strcmp(name, "case")) {
        snprintf(b, sizeof b, "c%d", x->index);
        return strdup(b);
    }
    if (!strncmp(name, "sub:", 4) && identity_index(x->c->suite, name + 4) >= 0)
        return make_sub(x, name + 4);
    if (!strncmp(name, "jti:", 4) && identity_index(x->c->suite, name + 4) >= 0)
        return make_jti(x, name + 4);
    if (!strncmp(name, "token:", 6)) {
        const char *t = token_of(x, name + 6);
        return t ? strdup(t) : NULL;
    }
    return NULL;
}

/* ---------- failures ---------- */

static struct failure *add_failure(struct case_result *cr, int step, const char *step_name, const char *req)
{
    cr->f = realloc(cr->f, (cr->nf + 1) * sizeof *cr->f);
    struct failure *f = &cr->f[cr->nf++];
    memset(f, 0, sizeof *f);
    f->step = step;
    f->step_name = strdup(step_name ? step_name : "");
    f->requirement = strdup(req ? req : "");
    return f;
}

/* Frees what f holds (not f itself, an element of its case's array). */
static void failure_free(struct failure *f)
{
    free(f->step_name);
    free(f->requirement);
    free(f->message);
    free(f->curl);
    matcher_diffs_clear(&f->diffs);
    cJSON_Delete(f->request);
    cJSON_Delete(f->response);
}

static void msg_append(struct failure *f, const char *fmt, ...)
{
    char raw[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    /* Messages quote the target (headers, bodies): keep them printable. */
    char *line = text_clean_str(raw);
    size_t old = f->message ? strlen(f->message) : 0;
    f->message = realloc(f->message, old + strlen(line) + 2);
    if (old)
        f->message[old++] = '\n';
    strcpy(f->message + old, line);
    free(line);
}

static void diffs_to_failure(struct failure *f, struct matcher_diffs *d)
{
    for (size_t i = 0; i < d->n; i++) {
        msg_append(f, "%s: expected %s, got %s", d->v[i].path, d->v[i].expected, d->v[i].actual);
        matcher_diffs_add(&f->diffs, d->v[i].path, d->v[i].expected, d->v[i].actual);
    }
}

/* A JSON string holding bytes (truncated to KEEP_BODY, invalid UTF-8 shown as U+FFFD). */
static cJSON *bytes_json(const char *b, size_t n)
{
    size_t lim = n > KEEP_BODY ? KEEP_BODY : n;
    char *s = malloc(lim * 3 + 64);
    size_t o = 0;
    for (size_t i = 0; i < lim;) {
        unsigned char c = (unsigned char)b[i];
        size_t l = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
        int ok = l && i + l <= n && c != 0;
        for (size_t k = 1; ok && k < l; k++)
            ok = ((unsigned char)b[i + k] & 0xC0) == 0x80;
        if (ok) {
            memcpy(s + o, b + i, l);
            o += l;
            i += l;
        } else {
            memcpy(s + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    s[o] = '\0';
    if (n > lim)
        o += (size_t)sprintf(s + o, "\xE2\x80\xA6 (%zu bytes in all)", n);
    cJSON *j = cJSON_CreateString(s);
    free(s);
    return j;
}

/* ---------- requests ---------- */

struct built {
    struct http_request req;
    char *method, *path, *url, *body;
    char **lines;
    size_t nlines;
    const char *identity;
};

static void built_free(struct built *b)
{
    free(b->method);
    free(b->path);
    free(b->url);
    free(b->body);
    for (size_t i = 0; i < b->nlines; i++)
        free(b->lines[i]);
    free(b->lines);
    memset(b, 0, sizeof *b);
}

static void add_line(struct built *b, const char *name, const char *value)
{
    size_t n = strlen(name) + (value ? strlen(value) : 0) + 4;
    char *l = malloc(n);
    if (value)
        snprintf(l, n, "%s: %s", name, value);
    else
        snprintf(l, n, "%s:", name);
    b->lines = realloc(b->lines, (b->nlines + 1) * sizeof *b->lines);
    b->lines[b->nlines++] = l;
}

static int fixture_sets(const cJSON *headers, const char *name)
{
    for (const cJSON *h = headers ? headers->child : NULL; h; h = h->next)
        if (!strcasecmp(h->string, name))
            return 1;
    return 0;
}

static int append_part(char **buf, size_t *len, const cJSON *part)
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
    *buf = realloc(*buf, *len + total + 1);
    char *dst = *buf + *len;
    if (total) {
        /* Doubling copies: a million one-byte repeats cost twenty memcpy calls. */
        memcpy(dst, src, sl);
        for (size_t done = sl; done < total;) {
            size_t chunk = done < total - done ? done : total - done;
            memcpy(dst + done, dst, chunk);
            done += chunk;
        }
    }
    *len += total;
    (*buf)[*len] = '\0';
    free(dec);
    return 0;
}

/* Builds the step's request; -1 with a message in err. */
static int build_request(struct casectx *x, struct vars *v, const cJSON *rq, struct built *b, char *err,
                         size_t errlen)
{
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(rq, "method");
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(rq, "path");
    const cJSON *idn = cJSON_GetObjectItemCaseSensitive(rq, "identity");
    const cJSON *auth = cJSON_GetObjectItemCaseSensitive(rq, "auth");
    const cJSON *cid = cJSON_GetObjectItemCaseSensitive(rq, "cookie_identity");
    const cJSON *hdrs = cJSON_GetObjectItemCaseSensitive(rq, "headers");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(rq, "json");
    const cJSON *raw = cJSON_GetObjectItemCaseSensitive(rq, "body");
    const cJSON *rb64 = cJSON_GetObjectItemCaseSensitive(rq, "body_b64");
    const cJSON *parts = cJSON_GetObjectItemCaseSensitive(rq, "body_parts");
    const char *how = cJSON_IsString(auth) ? auth->valuestring : "header";
    b->method = strdup(m->valuestring);
    if (!(b->path = vars_subst_string(v, p->valuestring, err, errlen)))
        return -1;
    size_t ul = strlen(x->r->o.target) + strlen(b->path) + 1;
    b->url = malloc(ul);
    snprintf(b->url, ul, "%s%s", x->r->o.target, b->path);
    b->identity = cJSON_IsString(idn) ? idn->valuestring : NULL;
    if (b->identity && strcmp(how, "none")) {
        const char *tok = token_of(x, b->identity);
        if (!tok) {
            snprintf(err, errlen, "cannot mint the token of \"%s\": %s", b->identity, x->mint_err);
            return -1;
        }
        if ((!strcmp(how, "header") || !strcmp(how, "both")) && !fixture_sets(hdrs, "Authorization")) {
            char *bearer = malloc(strlen(tok) + 8);
            sprintf(bearer, "Bearer %s", tok);
            add_line(b, "Authorization", bearer);
            free(bearer);
        }
        if (!strcmp(how, "cookie") || !strcmp(how, "both")) {
            const char *ctok = tok;
            if (!strcmp(how, "both") && cJSON_IsString(cid) && !(ctok = token_of(x, cid->valuestring))) {
                snprintf(err, errlen, "cannot mint the token of \"%s\": %s", cid->valuestring, x->mint_err);
                return -1;
            }
            if (!fixture_sets(hdrs, "Cookie")) {
                char *ck = malloc(strlen(ctok) + 16);
                sprintf(ck, "afi_viewer=%s", ctok);
                add_line(b, "Cookie", ck);
                free(ck);
            }
        }
    }
    if (js) {
        cJSON *body = vars_subst_json(v, js, err, errlen);
        if (!body)
            return -1;
        b->body = jsonx_print(body);
        b->req.body_len = strlen(b->body);
        cJSON_Delete(body);
        if (!fixture_sets(hdrs, "Content-Type"))
            add_line(b, "Content-Type", "application/json");
    } else if (raw) {
        b->body = jsonx_bytes(raw->valuestring, &b->req.body_len);
    } else if (rb64) {
        unsigned char *d = b64_decode(rb64->valuestring, &b->req.body_len);
        if (!d) {
            snprintf(err, errlen, "body_b64 is not base64");
            return -1;
        }
        b->body = (char *)d;
    } else if (parts) {
        b->body = calloc(1, 1);
        for (const cJSON *pt = parts->child; pt; pt = pt->next)
            if (append_part(&b->body, &b->req.body_len, pt)) {
                snprintf(err, errlen, "body_parts: b64 is not base64");
                return -1;
            }
    }
    for (const cJSON *h = hdrs ? hdrs->child : NULL; h; h = h->next) {
        if (cJSON_IsNull(h)) {
            add_line(b, h->string, NULL);
            continue;
        }
        for (const cJSON *e = cJSON_IsArray(h) ? h->child : h; e; e = cJSON_IsArray(h) ? e->next : NULL) {
            char *val = vars_subst_string(v, e->valuestring, err, errlen);
            if (!val)
                return -1;
            if (!strcasecmp(h->string, "Transfer-Encoding") && !strcasecmp(val, "chunked"))
                b->req.chunked = 1;
            add_line(b, h->string, val);
            free(val);
        }
    }
    b->req.method = b->method;
    b->req.url = b->url;
    b->req.headers = (const char *const *)b->lines;
    b->req.nheaders = b->nlines;
    b->req.body = b->body;
    return 0;
}

/* ---------- reproduction ---------- */

static void sq_append(char **s, size_t *n, const char *t, size_t tl, int printf_fmt)
{
    *s = realloc(*s, *n + tl * 5 + 8);
    for (size_t i = 0; i < tl; i++) {
        unsigned char c = (unsigned char)t[i];
        if (c == '\'') {
            memcpy(*s + *n, printf_fmt ? "\\047" : "'\\''", 4);
            *n += 4;
        } else if (printf_fmt && (c == '\\' || c == '%' || c < 0x20 || c >= 0x7f)) {
            if (c == '%')
                *n += (size_t)sprintf(*s + *n, "%%%%");
            else
                *n += (size_t)sprintf(*s + *n, "\\%03o", c);
        } else {
            (*s)[(*n)++] = (char)c;
        }
    }
    (*s)[*n] = '\0';
}

static void lit_append(char **s, size_t *n, const char *t)
{
    size_t tl = strlen(t);
    *s = realloc(*s, *n + tl + 1);
    memcpy(*s + *n, t, tl + 1);
    *n += tl;
}

char *runner_curl_command(const struct http_request *q)
{
    char *s = NULL;
    size_t n = 0;
    lit_append(&s, &n, "");
    if (q->body) {
        /* Long runs of one byte sequence are written with printf's format
         * reuse, so a 1 MiB body stays a short command line. */
        lit_append(&s, &n, "{ ");
        size_t i = 0;
        while (i < q->body_len) {
            size_t best_unit = 0, best_count = 0;
            for (size_t unit = 1; unit <= 8 && i + unit <= q->body_len; unit++) {
                size_t cnt = 1;
                while (i + (cnt + 1) * unit <= q->body_len &&
                       !memcmp(q->body + i, q->body + i + cnt * unit, unit))
                    cnt++;
                if (cnt * unit > best_count * best_unit && cnt >= 16) {
                    best_unit = unit;
                    best_count = cnt;
                }
            }
            if (best_unit) {
                lit_append(&s, &n, "printf '");
                sq_append(&s, &n, q->body + i, best_unit, 1);
                char tail[64];
                snprintf(tail, sizeof tail, "%%.0s' $(seq %zu); ", best_count);
                lit_append(&s, &n, tail);
                i += best_unit * best_count;
            } else {
                size_t j = i;
                while (j < q->body_len && j - i < 4096) {
                    if (j + 16 <= q->body_len && !memcmp(q->body + j, q->body + j + 1, 15))
                        break;
                    j++;
                }
                if (j == i)
                    j = i + 1;
                lit_append(&s, &n, "printf '");
                sq_append(&s, &n, q->body + i, j - i, 1);
                lit_append(&s, &n, "'; ");
                i = j;
            }
        }
        lit_append(&s, &n, "} | ");
    }
    lit_append(&s, &n, "curl -sS -i --path-as-is");
    if (!strcmp(q->method, "HEAD")) {
        lit_append(&s, &n, " -I");
    } else if (strcmp(q->method, "GET") || q->body) {
        lit_append(&s, &n, " -X '");
        sq_append(&s, &n, q->method, strlen(q->method), 0);
        lit_append(&s, &n, "'");
    }
    int has_ct = 0;
    for (size_t i = 0; i < q->nheaders; i++) {
        if (!strncasecmp(q->headers[i], "Content-Type:", 13))
            has_ct = 1;
        lit_append(&s, &n, " -H '");
        sq_append(&s, &n, q->headers[i], strlen(q->headers[i]), 0);
        lit_append(&s, &n, "'");
    }
    if (q->body && !has_ct)
        lit_append(&s, &n, " -H 'Content-Type:'");
    if (q->body)
        lit_append(&s, &n, " -H 'Expect:' --data-binary @-");
    else if (!strcmp(q->method, "POST"))
        lit_append(&s, &n, " -d ''  -H 'Content-Type:'");
    lit_append(&s, &n, " '");
    sq_append(&s, &n, q->url, strlen(q->url), 0);
    lit_append(&s, &n, "'");
    return s;
}

/* ---------- checks ---------- */

static cJSON *request_json(const struct built *b)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "method", b->method);
    cJSON_AddStringToObject(j, "path", b->path);
    cJSON_AddStringToObject(j, "url", b->url);
    if (b->identity)
        cJSON_AddStringToObject(j, "identity", b->identity);
    else
        cJSON_AddNullToObject(j, "identity");
    cJSON *h = cJSON_AddObjectToObject(j, "headers");
    for (size_t i = 0; i < b->nlines; i++) {
        char *c = strchr(b->lines[i], ':');
        char *name = strndup(b->lines[i], (size_t)(c - b->lines[i]));
        const char *val = c[1] == ' ' ? c + 2 : c + 1;
        cJSON_DeleteItemFromObjectCaseSensitive(h, name);
        cJSON_AddStringToObject(h, name, val);
        free(name);
    }
    if (b->body)
        cJSON_AddItemToObject(j, "body", bytes_json(b->body, b->req.body_len));
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

struct stepctx {
    struct casectx *x;
    struct case_result *cr;
    int step;
    const char *step_name;
    const struct built *b;
    const struct fixture_step *st; /* NULL for the health check */
};

static struct failure *step_failure(struct stepctx *s, const char *req, const struct http_response *res)
{
    struct failure *f = add_failure(s->cr, s->step, s->step_name, req);
    f->request = request_json(s->b);
    f->response = res ? response_json(res) : NULL;
    f->curl = runner_curl_command(&s->b->req);
    return f;
}

/* A failure of a check the runner adds to every step (fixtures.md, "Checks the
 * runner adds"): it counts with its own requirement's grade, not the case's. */
static struct failure *runwide_failure(struct stepctx *s, const char *req, const struct http_response *res)
{
    struct failure *f = step_failure(s, req, res);
    f->runwide = 1;
    return f;
}

static const struct { const char *code; long status; } env2[] = {
    {"invalid_json", 400}, {"bad_request", 400}, {"unauthenticated", 401}, {"invalid_token", 401},
    {"token_expired", 401}, {"token_revoked", 401}, {"forbidden", 403}, {"not_found", 404},
    {"unknown_function", 404}, {"unknown_context", 404}, {"method_not_allowed", 405},
    {"conflict", 409}, {"payload_too_large", 413}, {"unsupported_media_type", 415},
    {"validation_error", 422}, {"internal_error", 500}};

static int json_ctype(const struct http_response *res)
{
    char *ct = http_header(res, "content-type");
    int ok = ct && !strncasecmp(ct, "application/json", 16) &&
             (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
    free(ct);
    return ok;
}

/* ENV-1, ENV-2, ENV-7 on an error answer; CALL-5 and SCH-3 on a 200 call. */
static void runwide(struct stepctx *s, const struct http_response *res, const cJSON *body, const char *perr)
{
    const char *method = s->b->method;
    if (res->status >= 400 && strcmp(method, "HEAD")) {
        /* ENV-1: the envelope and nothing else. */
        char why[600] = "", *got = NULL;
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "error");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
        const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
        const cJSON *det = cJSON_GetObjectItemCaseSensitive(e, "details");
        if (!json_ctype(res)) {
            char *ct = http_header(res, "content-type");
            snprintf(why, sizeof why, "Content-Type: expected application/json, got %s", ct ? ct : "(absent)");
            free(ct);
        } else if (!body) {
            snprintf(why, sizeof why, "$: expected the error envelope, got a body that is not strict JSON (%s)", perr);
        } else if (!cJSON_IsObject(body) || cJSON_GetArraySize(body) != 1 || !cJSON_IsObject(e)) {
            snprintf(why, sizeof why, "$: expected exactly {\"error\": {...}}, got %s", (got = jsonx_print_short(body, 200)));
        } else if (cJSON_GetArraySize(e) != 3 || !code || !msg || !det) {
            snprintf(why, sizeof why, "$.error: expected exactly the keys code, message, details, got %s",
                     (got = jsonx_print_short(e, 200)));
        } else if (!cJSON_IsString(msg) || !*msg->valuestring) {
            snprintf(why, sizeof why, "$.error.message: expected a non-empty string, got %s",
                     (got = jsonx_print_short(msg, 200)));
        } else if (!cJSON_IsNull(det) && !cJSON_IsArray(det) && !cJSON_IsObject(det)) {
            snprintf(why, sizeof why, "$.error.details: expected null, an array or an object, got %s",
                     (got = jsonx_print_short(det, 200)));
        }
        if (why[0]) {
            struct failure *f = runwide_failure(s, "ENV-1", res);
            msg_append(f, "run-wide check ENV-1 (every answer >= 400 is the error envelope): %s", why);
        }
        free(got);
        if (!why[0]) {
            /* ENV-2: a known code with its one status. */
            long want = 0;
            for (size_t i = 0; i < sizeof env2 / sizeof *env2; i++)
                if (cJSON_IsString(code) && !strcmp(env2[i].code, code->valuestring))
                    want = env2[i].status;
            if (want != res->status) {
                struct failure *f = runwide_failure(s, "ENV-2", res);
                char *c = jsonx_print_short(code, 100);
                if (!want)
                    msg_append(f, "run-wide check ENV-2: $.error.code: expected one of the codes of ENV-2, got %s", c);
                else
                    msg_append(f, "run-wide check ENV-2: status %ld with code %s, which goes with status %ld", res->status, c, want);
                free(c);
            }
        }
    }
    if (res->status == 401) {
        /* ENV-7: Bearer challenge, error="invalid_token" iff a credential was presented. */
        char *wa = http_header(res, "www-authenticate");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "error"), "code");
        const char *cs = cJSON_IsString(code) ? code->valuestring : "";
        char why[400] = "";
        if (!wa || strncasecmp(wa, "Bearer", 6) || (wa[6] && wa[6] != ' ' && wa[6] != ','))
            snprintf(why, sizeof why, "WWW-Authenticate: expected \"Bearer ...\", got %s", wa ? wa : "(absent)");
        else if (strcmp(cs, "unauthenticated") && *cs && !strstr(wa, "error=\"invalid_token\""))
            snprintf(why, sizeof why, "WWW-Authenticate: expected error=\"invalid_token\" with code %s, got %s", cs, wa);
        else if (!strcmp(cs, "unauthenticated") && strstr(wa, "error="))
            snprintf(why, sizeof why, "WWW-Authenticate: expected no error parameter with code unauthenticated, got %s", wa);
        if (why[0]) {
            struct failure *f = runwide_failure(s, "ENV-7", res);
            msg_append(f, "run-wide check ENV-7: %s", why);
        }
        free(wa);
    }
    if (res->status == 200 && !strcmp(method, "GET") && !strcmp(s->b->path, "/schema") && body &&
        s->x->r->schema_canon) {
        /* SCH-4: one deployment, one schema, whenever it is asked. */
        cJSON *canon = schema_canonical(body);
        struct matcher_diffs d = {0};
        if (schema_diff(s->x->r->schema_canon, canon, "$", &d)) {
            struct failure *f = runwide_failure(s, "SCH-4", res);
            msg_append(f, "run-wide check SCH-4: the canonical /schema changed during the run: %zu difference%s "
                          "from the document the target answered when the run began", d.n, d.n == 1 ? "" : "s");
            diffs_to_failure(f, &d);
        }
        matcher_diffs_clear(&d);
        cJSON_Delete(canon);
    }
    if (res->status == 200 && !strcmp(method, "POST") && !strncmp(s->b->path, "/call/", 6)) {
        char fn[256];
        size_t l = strcspn(s->b->path + 6, "?");
        snprintf(fn, sizeof fn, "%.*s", (int)(l < 255 ? l : 255), s->b->path + 6);
        if (strchr(fn, '/') || !*fn)
            return;
        /* CALL-5: {"result","invalidate"}, invalidate sorted and unique. */
        const cJSON *inv = cJSON_GetObjectItemCaseSensitive(body, "invalidate");
        char why[600] = "", *got = NULL;
        if (!json_ctype(res))
            snprintf(why, sizeof why, "Content-Type: expected application/json");
        else if (!body)
            snprintf(why, sizeof why, "$: expected a strict JSON body, got one that is not (%s)", perr);
        else if (!cJSON_IsObject(body) || cJSON_GetArraySize(body) != 2 ||
                 !cJSON_GetObjectItemCaseSensitive(body, "result") || !inv)
            snprintf(why, sizeof why, "$: expected exactly the keys result and invalidate, got %s",
                     (got = jsonx_print_short(body, 200)));
        else if (!cJSON_IsArray(inv))
            snprintf(why, sizeof why, "$.invalidate: expected an array of strings, got %s",
                     (got = jsonx_print_short(inv, 200)));
        else
            for (const cJSON *e = inv->child; e && !why[0]; e = e->next)
                if (!cJSON_IsString(e) || (e->next && cJSON_IsString(e->next) &&
                                           strcmp(e->valuestring, e->next->valuestring) >= 0))
                    snprintf(why, sizeof why, "$.invalidate: expected strings sorted by byte order without duplicates, got %s",
                             (got = jsonx_print_short(inv, 200)));
        free(got);
        if (why[0]) {
            struct failure *f = runwide_failure(s, "CALL-5", res);
            msg_append(f, "run-wide check CALL-5 (call %s): %s", fn, why);
            return;
        }
        /* SCH-3: the target's own exported schema for this function. */
        struct runner *r = s->x->r;
        if (!r->schema) {
            struct failure *f = runwide_failure(s, "SCH-3", res);
            msg_append(f, "run-wide check SCH-3: call %s answered 200 but the target's /schema is unusable: %s", fn, r->schema_error);
            return;
        }
        char pk[300];
        snprintf(pk, sizeof pk, "/call/%s", fn);
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r->schema, "paths"), pk), "post");
        const cJSON *sch = cJSON_GetObjectItemCaseSensitive(op, "responses");
        sch = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sch, "200"), "content");
        sch = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sch, "application/json"), "schema");
        if (!cJSON_IsObject(sch)) {
            struct failure *f = runwide_failure(s, "SCH-3", res);
            msg_append(f, "run-wide check SCH-3: call %s answered 200 but the target's /schema has no "
                          "paths[\"%s\"].post.responses[\"200\"] JSON schema", fn, pk);
            return;
        }
        char vm[700];
        if (!schema_validate(sch, body, "$", vm, sizeof vm)) {
            struct failure *f = runwide_failure(s, "SCH-3", res);
            msg_append(f, "run-wide check SCH-3: the answer of %s contradicts the target's own /schema "
                          "(paths[\"%s\"].post.responses[\"200\"]): %s", fn, pk, vm);
        }
    }
}

static int status_ok(const cJSON *want, long got)
{
    if (cJSON_IsArray(want)) {
        for (const cJSON *w = want->child; w; w = w->next)
            if ((long)w->valuedouble == got)
                return 1;
        return 0;
    }
    return (long)want->valuedouble == got;
}

/* Applies the step's expectations and the run-wide checks to one answer.
 * Only the first failing answer of a repeat step is recorded per check. */
static void check_answer(struct stepctx *s, const cJSON *ex, const struct http_response *res, cJSON *body,
                         const char *perr, int *expect_failed)
{
    const char *req = s->x->c->first_req;
    if (res->status == 0) {
        if (!*expect_failed) {
            struct failure *f = step_failure(s, req, res);
            msg_append(f, "no answer from the target: %s", res->error);
            *expect_failed = 1;
        }
        return;
    }
    size_t before = s->cr->nf;
    runwide(s, res, body, perr);
    if (*expect_failed)
        return;
    struct matcher_diffs d = {0};
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(ex, "status");
    if (!status_ok(st, res->status)) {
        char got[32];
        snprintf(got, sizeof got, "%ld", res->status);
        char *w = jsonx_print(st);
        matcher_diffs_add(&d, "status", w, got);
        free(w);
    }
    const cJSON *hx = cJSON_GetObjectItemCaseSensitive(ex, "headers");
    for (const cJSON *h = hx ? hx->child : NULL; h; h = h->next) {
        char lname[256], label[300];
        size_t i = 0;
        for (; h->string[i] && i < sizeof lname - 1; i++)
            lname[i] = (char)tolower((unsigned char)h->string[i]);
        lname[i] = '\0';
        char *v = http_header(res, lname);
        cJSON *vj = v ? cJSON_CreateString(v) : NULL;
        snprintf(label, sizeof label, "header %s", h->string);
        matcher_match(h, vj, label, &d);
        cJSON_Delete(vj);
        free(v);
    }
    const cJSON *bm = cJSON_GetObjectItemCaseSensitive(ex, "body");
    if (bm) {
        if (!body)
            matcher_diffs_add(&d, "$", "a strict JSON body", perr && *perr ? perr : "(not JSON)");
        else
            matcher_match(bm, body, "$", &d);
    }
    const cJSON *bt = cJSON_GetObjectItemCaseSensitive(ex, "body_text");
    if (bt) {
        cJSON *t = jsonx_string_from_bytes(res->body ? res->body : "", res->body_len);
        matcher_match(bt, t, "body_text", &d);
        cJSON_Delete(t);
    }
    size_t nschema = 0;
    if (s->st && s->st->schema_equals) {
        /* SCH-4: the whole canonical document, every differing path named. */
        if (!body) {
            matcher_diffs_add(&d, "$", "a strict JSON schema document", perr && *perr ? perr : "(not JSON)");
        } else {
            cJSON *canon = schema_canonical(body);
            nschema = schema_diff(s->st->schema_equals, canon, "$", &d);
            cJSON_Delete(canon);
        }
    }
    if (d.n) {
        struct failure *f = step_failure(s, req, res);
        if (nschema) {
            const cJSON *se = cJSON_GetObjectItemCaseSensitive(ex, "schema_equals");
            msg_append(f, "SCH-4: %zu difference%s between the canonical form of this answer and %s", nschema,
                       nschema == 1 ? "" : "s", cJSON_IsString(se) ? se->valuestring : "the expected schema");
        }
        diffs_to_failure(f, &d);
        *expect_failed = 1;
        /* Keep the case's own failure first: it is what the case is about. */
        if (before < s->cr->nf - 1) {
            struct failure tmp = s->cr->f[s->cr->nf - 1];
            memmove(&s->cr->f[before + 1], &s->cr->f[before], (s->cr->nf - 1 - before) * sizeof tmp);
            s->cr->f[before] = tmp;
        }
    }
    matcher_diffs_clear(&d);
}

static void health_check(struct casectx *x, struct http_client *hc, struct case_result *cr)
{
    struct built b = {0};
    b.method = strdup("GET");
    b.path = strdup("/health");
    size_t ul = strlen(x->r->o.target) + 8;
    b.url = malloc(ul);
    snprintf(b.url, ul, "%s/health", x->r->o.target);
    b.req.method = b.method;
    b.req.url = b.url;
    struct http_response res = {0};
    int rc = http_do(hc, &b.req, &res);
    if (rc || res.status != 200) {
        struct stepctx s = {x, cr, 0, "health check after a robustness case", &b, NULL};
        struct failure *f = runwide_failure(&s, "ROB-1", rc ? NULL : &res);
        if (rc)
            msg_append(f, "ROB-1: the target stopped answering after this robustness case: GET /health got no answer (%s)", res.error);
        else
            msg_append(f, "ROB-1: GET /health after this robustness case: expected status 200, got %ld", res.status);
    }
    http_response_clear(&res);
    built_free(&b);
}

static void run_case(struct runner *r, struct http_client *hc, int idx)
{
    const struct fixture_case *c = r->set->cases[idx];
    struct case_result *cr = &r->results[idx];
    double t0 = now_ms();
    struct casectx x = {r, c, idx, (long)time(NULL), NULL, ""};
    x.tokens = calloc((size_t)cJSON_GetArraySize(c->suite->identities) + 1, sizeof *x.tokens);
    struct vars *v = vars_new(builtin, &x);
    for (int si = 0; si < c->nsteps; si++) {
        const struct fixture_step *st = &c->steps[si];
        char name[64], err[600];
        snprintf(name, sizeof name, "step %d", si + 1);
        const char *sname = st->name ? st->name : name;
        struct built b = {0};
        struct stepctx s = {&x, cr, si + 1, sname, &b, st};
        if (build_request(&x, v, st->request, &b, err, sizeof err)) {
            struct failure *f = add_failure(cr, si + 1, sname, c->first_req);
            msg_append(f, "cannot build the request: %s", err);
            built_free(&b);
            break;
        }
        cJSON *ex = vars_subst_json(v, st->expect, err, sizeof err);
        if (!ex) {
            struct failure *f = add_failure(cr, si + 1, sname, c->first_req);
            msg_append(f, "cannot build the expectations: %s", err);
            built_free(&b);
            break;
        }
        int n = st->repeat;
        struct http_response *res = calloc((size_t)n, sizeof *res);
        if (n == 1)
            http_do(hc, &b.req, &res[0]);
        else
            http_do_many(hc, &b.req, n, st->concurrency, res);
        cJSON **bodies = calloc((size_t)n, sizeof *bodies);
        size_t nf0 = cr->nf;
        int expect_failed = 0;
        for (int i = 0; i < n; i++) {
            char perr[300] = "";
            if (res[i].status)
                bodies[i] = jsonx_parse(res[i].body ? res[i].body : "", res[i].body_len, perr, sizeof perr);
            size_t before = cr->nf;
            check_answer(&s, ex, &res[i], bodies[i], perr, &expect_failed);
            /* Run-wide failures of further identical answers add nothing new. */
            if (i > 0 && cr->nf > before && nf0 != before) {
                for (size_t k = before; k < cr->nf; k++)
                    failure_free(&cr->f[k]);
                cr->nf = before;
            }
        }
        const cJSON *col = cJSON_GetObjectItemCaseSensitive(ex, "collect");
        if (col && cr->nf == nf0) {
            const cJSON *cp = cJSON_GetObjectItemCaseSensitive(col, "path");
            cJSON *arr = cJSON_CreateArray();
            int missing = 0;
            for (int i = 0; i < n; i++) {
                const cJSON *val = jpath_get(bodies[i], cp->valuestring);
                if (val)
                    cJSON_AddItemToArray(arr, cJSON_Duplicate(val, 1));
                else
                    missing++;
            }
            struct matcher_diffs d = {0};
            char label[300];
            snprintf(label, sizeof label, "collect(%s)", cp->valuestring);
            matcher_match(cJSON_GetObjectItemCaseSensitive(col, "match"), arr, label, &d);
            if (d.n || missing) {
                struct failure *f = step_failure(&s, c->first_req, &res[0]);
                if (missing)
                    msg_append(f, "%s: %d of %d answers have no value there", label, missing, n);
                diffs_to_failure(f, &d);
            }
            matcher_diffs_clear(&d);
            cJSON_Delete(arr);
        }
        if (st->capture && cr->nf == nf0) {
            for (const cJSON *cv = st->capture->child; cv; cv = cv->next) {
                const cJSON *h = cJSON_GetObjectItemCaseSensitive(cv, "header");
                const cJSON *bp = cJSON_GetObjectItemCaseSensitive(cv, "body");
                cJSON *val = NULL;
                if (h) {
                    char lname[256];
                    size_t i = 0;
                    for (; h->valuestring[i] && i < sizeof lname - 1; i++)
                        lname[i] = (char)tolower((unsigned char)h->valuestring[i]);
                    lname[i] = '\0';
                    char *hv = http_header(&res[0], lname);
                    if (hv)
                        val = cJSON_CreateString(hv);
                    free(hv);
                } else {
                    const cJSON *got = jpath_get(bodies[0], bp->valuestring);
                    if (got)
                        val = cJSON_Duplicate(got, 1);
                }
                if (!val) {
                    struct failure *f = step_failure(&s, c->first_req, &res[0]);
                    msg_append(f, "capture %s: the answer has no %s %s", cv->string, h ? "header" : "value at",
                               h ? h->valuestring : bp->valuestring);
                } else {
                    vars_set(v, cv->string, val);
                    cJSON_Delete(val);
                }
            }
        }
        for (int i = 0; i < n; i++) {
            cJSON_Delete(bodies[i]);
            http_response_clear(&res[i]);
        }
        free(bodies);
        free(res);
        cJSON_Delete(ex);
        built_free(&b);
        if (cr->nf > nf0)
            break;
    }
    if (c->robustness)
        health_check(&x, hc, cr);
    int listed = select_list_match(&r->xfail, c->id), must = !c->should;
    for (size_t k = 0; k < cr->nf && !must; k++) {
        const struct spec_req *q = spec_find(r->spec, cr->f[k].requirement);
        must = cr->f[k].runwide && (!q || !q->should);
    }
    if (cr->nf)
        cr->status = listed ? CASE_XFAIL : must ? CASE_FAILED : CASE_WARNED;
    else
        cr->status = listed ? CASE_XPASS : CASE_PASSED;
    cr->ms = now_ms() - t0;
    vars_free(v);
    for (int i = 0; i < cJSON_GetArraySize(c->suite->identities); i++)
        free(x.tokens[i]);
    free(x.tokens);
}

/* ---------- the run ---------- */

static void count(struct runner *r, int idx)
{
    const struct case_result *cr = &r->results[idx];
    r->done++;
    if (cr->status == CASE_PASSED)
        r->npassed++;
    else if (cr->status == CASE_FAILED || cr->status == CASE_XPASS)
        r->nfailed++;
    else if (cr->status == CASE_WARNED)
        r->nwarned++;
    if (r->o.progress)
        r->o.progress(r, idx, r->o.progress_ctx);
}

struct worker {
    struct runner *r;
    pthread_t th;
};

static void *work(void *arg)
{
    struct worker *w = arg;
    struct runner *r = w->r;
    struct http_client *hc = http_client_new(r->o.timeout_ms);
    for (;;) {
        pthread_mutex_lock(&r->lock);
        int idx = -1;
        while (r->next < r->set->ncases) {
            int i = r->next++;
            if (r->results[i].status == CASE_PASSED) {
                idx = i;
                break;
            }
        }
        pthread_mutex_unlock(&r->lock);
        if (idx < 0)
            break;
        run_case(r, hc, idx);
        pthread_mutex_lock(&r->lock);
        count(r, idx);
        pthread_mutex_unlock(&r->lock);
    }
    http_client_free(hc);
    return NULL;
}

static void random_id(char *out)
{
    static const char al[] = "abcdefghijklmnopqrstuvwxyz0123456789";
    unsigned char b[8] = {0};
    int fd = open("/dev/urandom", O_RDONLY);
    if (fd < 0 || read(fd, b, sizeof b) != (ssize_t)sizeof b) {
        unsigned long s = (unsigned long)time(NULL) ^ (unsigned long)getpid() << 16;
        for (int i = 0; i < 8; i++, s = s * 6364136223846793005UL + 1)
            b[i] = (unsigned char)(s >> 33);
    }
    if (fd >= 0)
        close(fd);
    for (int i = 0; i < 8; i++)
        out[i] = al[b[i] % 36];
    out[8] = '\0';
}

int runner_prepare(struct runner *r, char *err, size_t errlen)
{
    pthread_mutex_init(&r->lock, NULL);
    random_id(r->id);
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(r->started_at, sizeof r->started_at, "%Y-%m-%dT%H:%M:%SZ", &tm);
    r->results = calloc((size_t)r->set->ncases + 1, sizeof *r->results);
    for (int i = 0; i < r->set->ncases; i++) {
        const struct fixture_case *c = r->set->cases[i];
        enum select_verdict v = select_case(&r->sel, c->id, c->full, i);
        r->results[i].status = v == SELECT_RUN ? CASE_PASSED : v == SELECT_SKIP ? CASE_SKIPPED : CASE_OTHER_SHARD;
        if (v == SELECT_RUN)
            r->torun++;
    }
    struct http_client *hc = http_client_new(r->o.timeout_ms);
    if (!hc) {
        snprintf(err, errlen, "cannot start libcurl");
        return -1;
    }
    size_t ul = strlen(r->o.target) + 16;
    char *url = malloc(ul);
    snprintf(url, ul, "%s/health", r->o.target);
    struct http_request q = {.method = "GET", .url = url};
    struct http_response res = {0};
    int rc = -1;
    if (http_do(hc, &q, &res)) {
        snprintf(err, errlen, "target unreachable: GET %s: %s", url, res.error);
        goto out;
    }
    if (res.status != 200) {
        snprintf(err, errlen, "target unreachable: GET %s answered %ld, not 200", url, res.status);
        goto out;
    }
    http_response_clear(&res);
    snprintf(url, ul, "%s/schema", r->o.target);
    q.url = url;
    if (http_do(hc, &q, &res) || res.status != 200) {
        snprintf(r->schema_error, sizeof r->schema_error, "GET /schema answered %ld %s", res.status, res.error);
    } else {
        char perr[200];
        r->schema = jsonx_parse(res.body ? res.body : "", res.body_len, perr, sizeof perr);
        if (!r->schema)
            snprintf(r->schema_error, sizeof r->schema_error, "GET /schema is not strict JSON: %s", perr);
        else
            r->schema_canon = schema_canonical(r->schema);
    }
    rc = 0;
out:
    http_response_clear(&res);
    http_client_free(hc);
    free(url);
    return rc;
}

void runner_execute(struct runner *r)
{
    double t0 = now_ms();
    int jobs = r->o.jobs > 0 ? r->o.jobs : 1;
    if (jobs > r->torun)
        jobs = r->torun > 0 ? r->torun : 1;
    struct worker *w = calloc((size_t)jobs, sizeof *w);
    for (int i = 0; i < jobs; i++) {
        w[i].r = r;
        pthread_create(&w[i].th, NULL, work, &w[i]);
    }
    for (int i = 0; i < jobs; i++)
        pthread_join(w[i].th, NULL);
    free(w);
    r->duration_ms = now_ms() - t0;
}

void runner_clear(struct runner *r)
{
    for (int i = 0; r->results && i < r->set->ncases; i++) {
        struct case_result *cr = &r->results[i];
        for (size_t k = 0; k < cr->nf; k++)
            failure_free(&cr->f[k]);
        free(cr->f);
    }
    free(r->results);
    r->results = NULL;
    cJSON_Delete(r->schema);
    cJSON_Delete(r->schema_canon);
    r->schema = r->schema_canon = NULL;
    pthread_mutex_destroy(&r->lock);
}
