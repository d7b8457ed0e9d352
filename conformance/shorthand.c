/* shorthand.c: expands the fixture shorthands (`call` of a request; `error`, `result`, `invalidate` of an expectation). */
#include "shorthand.h"
#include "env2.h"
#include "jpath.h"
#include "jsonx.h"
#include "matcher.h"
#include "mem.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* The matchers the expansions are made of, exactly as docs/fixtures.md gives them. */
#define JSON_CTYPE "{\"$regex\": \"^application/json\"}"
#define NON_EMPTY "{\"$all\": [{\"$type\": \"string\"}, {\"$len\": {\"$min\": 1}}]}"
#define ANY_DETAILS "{\"$type\": [\"null\", \"array\", \"object\"]}"
/* ENV-7: the challenge of a rejected credential, and the one of a missing credential. */
#define CHALLENGE_INVALID "{\"$regex\": \"^Bearer .*error=\\\"invalid_token\\\"\"}"
#define CHALLENGE_NONE "{\"$all\": [{\"$regex\": \"^Bearer\"}, {\"$not\": {\"$regex\": \"error=\"}}]}"

struct sctx {
    shorthand_problem_fn *problem;
    void *ctx;
    int bad;
};

static void report(struct sctx *s, const char *path, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    s->problem(s->ctx, path, msg);
    s->bad = 1;
}

static void report_at(struct sctx *s, const char *base, const char *key, const char *fmt, const char *arg)
{
    char *p = jpath_key(base, key);
    report(s, p, fmt, arg);
    free(p);
}

/* A problem at the matcher's own path when m is not a well-formed matcher. */
static void check_matcher(struct sctx *s, const cJSON *m, const char *path)
{
    char err[600];
    if (!matcher_validate(m, path, err, sizeof err))
        return;
    char *colon = strstr(err, ": ");
    if (colon) {
        *colon = '\0';
        report(s, err, "%s", colon + 2);
    } else {
        report(s, path, "%s", err);
    }
}

static const cJSON *member(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* A matcher member k of o (when present) checked at its path. */
static const cJSON *matcher_member(struct sctx *s, const cJSON *o, const char *path, const char *k)
{
    const cJSON *m = member(o, k);
    if (m) {
        char *p = jpath_key(path, k);
        check_matcher(s, m, p);
        free(p);
    }
    return m;
}

static void unknown_keys(struct sctx *s, const cJSON *o, const char *path, const char *const *keys,
                         const char *list)
{
    for (const cJSON *c = o->child; c; c = c->next) {
        int ok = 0;
        for (int i = 0; keys[i] && !ok; i++)
            ok = !strcmp(keys[i], c->string);
        if (!ok) {
            char *p = jpath_key(path, c->string);
            report(s, p, "expected one of the keys %s, got unknown key \"%s\"", list, c->string);
            free(p);
        }
    }
}

static void check_violations(struct sctx *s, const cJSON *vs, const char *path)
{
    static const char *const keys[] = {"loc", "type", "msg", NULL};
    if (!cJSON_IsArray(vs)) {
        report(s, path, "expected an array of violations {\"loc\": matcher, \"type\": matcher}");
        return;
    }
    int i = 0;
    for (const cJSON *v = vs->child; v; v = v->next, i++) {
        char *p = jpath_index(path, i);
        if (!cJSON_IsObject(v)) {
            report(s, p, "expected a violation {\"loc\": matcher, \"type\": matcher}");
        } else {
            unknown_keys(s, v, p, keys, "loc, type, msg");
            if (!member(v, "loc"))
                report_at(s, p, "loc", "expected %s (required), got nothing", "a matcher of the violation's loc");
            if (!member(v, "type"))
                report_at(s, p, "type", "expected %s (required), got nothing", "a matcher of the violation's type");
            matcher_member(s, v, p, "loc");
            matcher_member(s, v, p, "type");
            matcher_member(s, v, p, "msg");
        }
        free(p);
    }
}

/* Checks the `error` shorthand; returns its code (borrowed from ex) or NULL. */
static const char *check_error(struct sctx *s, const cJSON *err, const char *path)
{
    static const char *const keys[] = {"code", "message", "details", "violations", NULL};
    const cJSON *code = err;
    char *cp = NULL;
    if (cJSON_IsObject(err)) {
        unknown_keys(s, err, path, keys, "code, message, details, violations");
        code = member(err, "code");
        cp = jpath_key(path, "code");
        matcher_member(s, err, path, "message");
        matcher_member(s, err, path, "details");
        const cJSON *vs = member(err, "violations");
        if (vs) {
            char *vp = jpath_key(path, "violations");
            if (member(err, "details"))
                report(s, vp, "expected details or violations, not both");
            check_violations(s, vs, vp);
            free(vp);
        }
    } else if (!cJSON_IsString(err)) {
        report(s, path, "expected an error code string or {\"code\": ..., \"message\", \"details\" or \"violations\"}");
        return NULL;
    }
    const char *where = cp ? cp : path;
    const char *got = NULL;
    if (!cJSON_IsString(code))
        report(s, where, "expected an error code string of ENV-2%s", code ? "" : " (required)");
    else if (!env2_status(code->valuestring))
        report(s, where, "expected an error code of ENV-2, got \"%s\"", code->valuestring);
    else
        got = code->valuestring;
    free(cp);
    return got;
}

/* Members the shorthand replaces, and headers it checks itself, must not be given too. */
static void check_clashes(struct sctx *s, const cJSON *ex, const char *path, const char *shorthand,
                          long status)
{
    static const char *const owned[] = {"status", "body", "body_text", "schema_equals"};
    for (size_t i = 0; i < sizeof owned / sizeof *owned; i++)
        if (member(ex, owned[i])) {
            char *p = jpath_key(path, owned[i]);
            report(s, p, "expected no %s beside the shorthand %s, which sets the status and the body",
                   owned[i], shorthand);
            free(p);
        }
    const cJSON *h = member(ex, "headers");
    if (!h)
        return;
    char *hp = jpath_key(path, "headers");
    if (!cJSON_IsObject(h))
        report(s, hp, "expected an object of header name to matcher");
    for (const cJSON *c = cJSON_IsObject(h) ? h->child : NULL; c; c = c->next)
        if (!strcasecmp(c->string, "content-type") || (status == 401 && !strcasecmp(c->string, "www-authenticate"))) {
            char *p = jpath_key(hp, c->string);
            report(s, p, "expected no %s matcher beside the shorthand %s, which checks that header", c->string,
                   shorthand);
            free(p);
        }
    free(hp);
}

static cJSON *parse(const char *text)
{
    char err[100];
    return jsonx_parse(text, strlen(text), err, sizeof err);
}

/* Moves member k out of from, or parses the default text when from has no such member. */
static cJSON *take(cJSON *from, const char *k, const char *dflt)
{
    cJSON *m = from ? cJSON_DetachItemFromObjectCaseSensitive(from, k) : NULL;
    return m ? m : parse(dflt);
}

/* Sets headers: the shorthand's matchers first, then the fixture's own. */
static void put_headers(cJSON *ex, cJSON *mine)
{
    cJSON *given = cJSON_DetachItemFromObjectCaseSensitive(ex, "headers");
    while (given && given->child) {
        cJSON *c = cJSON_DetachItemViaPointer(given, given->child);
        cJSON_AddItemToObject(mine, c->string, c);
    }
    cJSON_Delete(given);
    cJSON_AddItemToObject(ex, "headers", mine);
}

static void expand_error(cJSON *ex, const char *code)
{
    long status = env2_status(code);
    const char *challenge = strcmp(code, "unauthenticated") ? CHALLENGE_INVALID : CHALLENGE_NONE;
    cJSON *err = cJSON_DetachItemFromObjectCaseSensitive(ex, "error");
    cJSON *obj = cJSON_IsObject(err) ? err : NULL;
    cJSON *fields = cJSON_CreateObject();
    cJSON_AddStringToObject(fields, "code", code); /* copied: code lives in err */
    cJSON_AddItemToObject(fields, "message", take(obj, "message", NON_EMPTY));
    cJSON *vs = obj ? cJSON_DetachItemFromObjectCaseSensitive(obj, "violations") : NULL;
    if (vs) {
        /* ENV-3: each violation is exactly {loc, type, msg}, msg a non-empty string. */
        cJSON *details = cJSON_CreateArray();
        for (cJSON *v = vs->child; v; v = v->next) {
            cJSON *one = cJSON_CreateObject();
            cJSON_AddItemToObject(one, "loc", take(v, "loc", "null"));
            cJSON_AddItemToObject(one, "type", take(v, "type", "null"));
            cJSON_AddItemToObject(one, "msg", take(v, "msg", NON_EMPTY));
            cJSON *only = cJSON_CreateObject();
            cJSON_AddItemToObject(only, "$only", one);
            cJSON_AddItemToArray(details, only);
        }
        cJSON_AddItemToObject(fields, "details", details);
        cJSON_Delete(vs);
    } else {
        cJSON_AddItemToObject(fields, "details", take(obj, "details", ANY_DETAILS));
    }
    cJSON_Delete(err);
    cJSON *inner = cJSON_CreateObject(), *outer = cJSON_CreateObject(), *body = cJSON_CreateObject();
    cJSON_AddItemToObject(inner, "$only", fields);
    cJSON_AddItemToObject(outer, "error", inner);
    cJSON_AddItemToObject(body, "$only", outer);
    cJSON_AddItemToObject(ex, "status", cJSON_CreateNumber((double)status));
    cJSON_AddItemToObject(ex, "body", body);
    cJSON *h = cJSON_CreateObject();
    cJSON_AddItemToObject(h, "content-type", parse(JSON_CTYPE));
    if (status == 401)
        cJSON_AddItemToObject(h, "www-authenticate", parse(challenge));
    put_headers(ex, h);
}

static void expand_result(cJSON *ex)
{
    cJSON *fields = cJSON_CreateObject(), *body = cJSON_CreateObject();
    cJSON_AddItemToObject(fields, "result", take(ex, "result", "null"));
    cJSON_AddItemToObject(fields, "invalidate", take(ex, "invalidate", "[]"));
    cJSON_AddItemToObject(body, "$only", fields);
    cJSON_AddItemToObject(ex, "status", cJSON_CreateNumber(200));
    cJSON_AddItemToObject(ex, "body", body);
    cJSON *h = cJSON_CreateObject();
    cJSON_AddItemToObject(h, "content-type", parse(JSON_CTYPE));
    put_headers(ex, h);
}

int shorthand_expand_expect(cJSON *ex, const char *path, shorthand_problem_fn *problem, void *ctx)
{
    struct sctx s = {problem, ctx, 0};
    const cJSON *err = member(ex, "error"), *res = member(ex, "result"), *inv = member(ex, "invalidate");
    if (!err && !res && !inv)
        return 0;
    const char *code = NULL;
    if (err) {
        char *ep = jpath_key(path, "error");
        code = check_error(&s, err, ep);
        free(ep);
        if (res || inv)
            report_at(&s, path, res ? "result" : "invalidate",
                      "expected no %s beside the shorthand error (a success and an error at once)",
                      res ? "result" : "invalidate");
        check_clashes(&s, ex, path, "error", code ? env2_status(code) : 0);
    } else {
        if (!res)
            report_at(&s, path, "invalidate", "expected %s beside invalidate, got nothing",
                      "the shorthand result (the call's result matcher)");
        matcher_member(&s, ex, path, "result");
        matcher_member(&s, ex, path, "invalidate");
        check_clashes(&s, ex, path, "result", 200);
    }
    if (s.bad)
        return -1;
    if (err)
        expand_error(ex, code);
    else
        expand_result(ex);
    return 0;
}

int shorthand_expand_request(cJSON *req, const char *path, shorthand_problem_fn *problem, void *ctx)
{
    struct sctx s = {problem, ctx, 0};
    const cJSON *call = member(req, "call");
    if (!call)
        return 0;
    char *cp = jpath_key(path, "call");
    if (!cJSON_IsString(call) || !*call->valuestring || strpbrk(call->valuestring, "/?#% \t\r\n"))
        report(&s, cp, "expected a function name (no '/', '?', '#', '%%' or spaces): write method and path for any other");
    for (int i = 0; i < 2; i++) {
        const char *k = i ? "path" : "method";
        if (member(req, k))
            report_at(&s, path, k, "expected no %s beside the shorthand call, which sets the method and the path", k);
    }
    free(cp);
    if (s.bad)
        return -1;
    size_t n = strlen(call->valuestring) + 7;
    char *target = mem_alloc(n);
    snprintf(target, n, "/call/%s", call->valuestring);
    cJSON_DeleteItemFromObjectCaseSensitive(req, "call");
    cJSON_AddStringToObject(req, "method", "POST");
    cJSON_AddStringToObject(req, "path", target);
    free(target);
    return 0;
}
