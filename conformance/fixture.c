/* fixture.c: loads fixture suites and reports every problem with file, JSON path and expectation. */
#include "fixture.h"
#include "b64.h"
#include "file.h"
#include "jpath.h"
#include "jwks.h"
#include "jsonx.h"
#include "matcher.h"
#include "mem.h"
#include "schema.h"
#include "shorthand.h"
#include "token.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct vctx {
    const char *file;
    struct fixture_errors *errs;
    int bad;
};

static void problem(struct vctx *v, const char *path, const char *fmt, ...)
{
    char msg[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(v->file) + strlen(path) + strlen(msg) + 8;
    char *s = mem_alloc(n);
    snprintf(s, n, "%s: %s: %s", v->file, path, msg);
    v->errs->v = mem_realloc(v->errs->v, (v->errs->n + 1) * sizeof *v->errs->v);
    v->errs->v[v->errs->n++] = s;
    v->bad = 1;
}

static int pattern_ok(const char *s, const char *first, const char *rest, size_t maxlen)
{
    if (!*s || !strchr(first, *s) || strlen(s) > maxlen)
        return 0;
    for (s++; *s; s++)
        if (!strchr(rest, *s))
            return 0;
    return 1;
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"
#define UPPER "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

/* Reports keys of obj not in the NULL-terminated list. */
static void only_keys(struct vctx *v, const cJSON *obj, const char *path, const char *const *keys)
{
    for (const cJSON *c = obj->child; c; c = c->next) {
        int ok = 0;
        for (int i = 0; keys[i] && !ok; i++)
            ok = !strcmp(keys[i], c->string);
        if (!ok) {
            char *p = jpath_key(path, c->string);
            char list[300] = "";
            for (int i = 0; keys[i]; i++) {
                strncat(list, keys[i], sizeof list - strlen(list) - 3);
                if (keys[i + 1])
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            problem(v, p, "expected one of the keys %s, got unknown key \"%s\"", list, c->string);
            free(p);
        }
    }
}

static const cJSON *member(const cJSON *o, const char *k)
{
    return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* Checks that member k of o, when present, has JSON type check(); returns it. */
static const cJSON *want(struct vctx *v, const cJSON *o, const char *path, const char *k,
                         int required, int (*check)(const cJSON *), const char *what)
{
    const cJSON *m = member(o, k);
    if (m ? check(m) : !required)
        return m;
    /* The path is built only for a problem: every member of every case passes here. */
    char *p = jpath_key(path, k);
    if (!m) {
        problem(v, p, "expected %s (required), got nothing", what);
    } else {
        char *a = jsonx_print_short(m, 80);
        problem(v, p, "expected %s, got %s", what, a);
        free(a);
        m = NULL;
    }
    free(p);
    return m;
}

static int is_str(const cJSON *c) { return cJSON_IsString(c); }
static int is_obj(const cJSON *c) { return cJSON_IsObject(c); }
static int is_arr(const cJSON *c) { return cJSON_IsArray(c); }
static int is_bool(const cJSON *c) { return cJSON_IsBool(c); }
static int is_int(const cJSON *c) { return jsonx_is_integer(c); }
static int is_str_or_null(const cJSON *c) { return cJSON_IsString(c) || cJSON_IsNull(c); }
static int is_any(const cJSON *c) { (void)c; return 1; }

/* Member k of o as one of two words: when it is a string, *flag is 1 for yes
 * and 0 otherwise (a word other than no is also a problem). Returns the
 * member, or NULL when it is absent or not a string. */
static const cJSON *want_either(struct vctx *v, const cJSON *o, const char *path, const char *k,
                                int required, const char *no, const char *yes, int *flag)
{
    char what[64], *kp;
    const cJSON *m = member(o, k);

    if (cJSON_IsString(m) && (!strcmp(m->valuestring, yes) || !strcmp(m->valuestring, no))) {
        *flag = !strcmp(m->valuestring, yes);
        return m;
    }
    /* Only a problem gets here: its message and path are built now. */
    snprintf(what, sizeof what, "\"%s\" or \"%s\"", no, yes);
    if (!cJSON_IsString(m))
        return want(v, o, path, k, required, is_str, what);
    *flag = 0;
    kp = jpath_key(path, k);
    problem(v, kp, "expected %s, got \"%s\"", what, m->valuestring);
    free(kp);
    return m;
}

/* A problem at member k of path when its string m (NULL: nothing to check)
 * is not valid base64. */
static void check_b64(struct vctx *v, const cJSON *m, const char *path, const char *k)
{
    size_t dl;
    unsigned char *dec;

    if (!m)
        return;
    if (!(dec = b64_decode(m->valuestring, &dl))) {
        char *kp = jpath_key(path, k);
        problem(v, kp, "expected valid base64");
        free(kp);
    }
    free(dec);
}

static void check_identities(struct vctx *v, const cJSON *ids)
{
    static const char *const keys[] = {"role", "jti", "same_sub_as", "same_jti_as", "ttl", "claims", "omit", "hostile",
                                       "key", "kid", "kid_of", NULL};
    for (const cJSON *id = ids->child; id; id = id->next) {
        char *p = jpath_key("$.identities", id->string);
        if (!pattern_ok(id->string, LOWER, LOWER DIGIT "_", 64))
            problem(v, p, "expected an identity name matching ^[a-z][a-z0-9_]*$");
        if (!cJSON_IsObject(id)) {
            problem(v, p, "expected an identity object");
            free(p);
            continue;
        }
        only_keys(v, id, p, keys);
        want(v, id, p, "role", 0, is_str_or_null, "a role string or null");
        want(v, id, p, "jti", 0, is_bool, "a boolean");
        want(v, id, p, "ttl", 0, is_int, "an integer number of seconds");
        want(v, id, p, "claims", 0, is_obj, "an object of claims");
        const cJSON *omit = want(v, id, p, "omit", 0, is_arr, "an array of claim names");
        for (const cJSON *o = omit ? omit->child : NULL; o; o = o->next)
            if (!cJSON_IsString(o)) {
                char *op = jpath_key(p, "omit");
                problem(v, op, "expected claim name strings");
                free(op);
            }
        static const char *const shares[] = {"same_sub_as", "same_jti_as"};
        for (int k = 0; k < 2; k++) {
            const cJSON *same = want(v, id, p, shares[k], 0, is_str, "an identity name");
            if (!same)
                continue;
            const cJSON *t = member(ids, same->valuestring);
            char *sp = jpath_key(p, shares[k]);
            if (!t || t == id)
                problem(v, sp, "expected the name of another identity of this suite, got \"%s\"", same->valuestring);
            else if (member(t, shares[k]))
                problem(v, sp, "expected an identity without %s of its own, got \"%s\"", shares[k], same->valuestring);
            free(sp);
        }
        static const char *const key_refs[] = {"key", "kid_of"};
        for (int k = 0; k < 2; k++) {
            const cJSON *kr = want(v, id, p, key_refs[k], 0, is_str, "a key name: issuer, attacker, flawed or a case key");
            if (kr && !pattern_ok(kr->valuestring, LOWER, LOWER DIGIT "_", 64)) {
                char *kp = jpath_key(p, key_refs[k]);
                problem(v, kp, "expected a key name matching ^[a-z][a-z0-9_]*$, got \"%s\"", kr->valuestring);
                free(kp);
            }
        }
        const cJSON *kid = member(id, "kid");
        if (kid && !cJSON_IsString(kid) && !cJSON_IsFalse(kid)) {
            char *kp = jpath_key(p, "kid");
            problem(v, kp, "expected a kid string, or false for none");
            free(kp);
        }
        if (kid && member(id, "kid_of"))
            problem(v, p, "expected at most one of kid and kid_of");
        const cJSON *h = want(v, id, p, "hostile", 0, is_str, "a hostile token kind");
        if (h && !token_hostile_known(h->valuestring)) {
            char list[800] = ""; /* every kind fits: strncat must never be given a negative room */
            for (int i = 0; token_hostile_kinds[i]; i++) {
                strncat(list, token_hostile_kinds[i], sizeof list - strlen(list) - 3);
                if (token_hostile_kinds[i + 1])
                    strncat(list, ", ", sizeof list - strlen(list) - 1);
            }
            char *hp = jpath_key(p, "hostile");
            problem(v, hp, "expected a hostile kind (%s), got \"%s\"", list, h->valuestring);
            free(hp);
        }
        free(p);
    }
}

static void check_matcher(struct vctx *v, const cJSON *m, const char *path)
{
    char err[600];
    if (matcher_validate(m, path, err, sizeof err)) {
        char *colon = strstr(err, ": ");
        if (colon) {
            *colon = '\0';
            problem(v, err, "%s", colon + 2);
        } else {
            problem(v, path, "%s", err);
        }
    }
}

static void check_identity_ref(struct vctx *v, const cJSON *ids, const cJSON *req, const char *path,
                               const char *k)
{
    const cJSON *n = want(v, req, path, k, 0, is_str, "an identity name");
    if (n && !member(ids, n->valuestring)) {
        char *p = jpath_key(path, k);
        problem(v, p, "expected an identity declared in $.identities, got \"%s\"", n->valuestring);
        free(p);
    }
}

static void shorthand_problem(void *ctx, const char *path, const char *msg)
{
    problem(ctx, path, "%s", msg);
}

/* Expands the shorthand `call` of req in place first (shorthand.h). */
static void check_request(struct vctx *v, const cJSON *ids, cJSON *req, const char *p,
                          int *repeat, int *conc)
{
    if (shorthand_expand_request(req, p, shorthand_problem, v))
        return;
    static const char *const keys[] = {"method", "path", "identity", "auth", "cookie_identity", "headers",
                                       "json", "body", "body_b64", "body_parts", "repeat", "concurrency",
                                       "target", NULL};
    only_keys(v, req, p, keys);
    /* Checked against the run's targets when it starts (cluster_check). */
    const cJSON *tg = want(v, req, p, "target", 0, is_int, "a target index 0..31");
    if (tg && (tg->valuedouble < 0 || tg->valuedouble > 31)) {
        char *tp = jpath_key(p, "target");
        problem(v, tp, "expected a target index 0..31, got %.0f", tg->valuedouble);
        free(tp);
    }
    const cJSON *m = want(v, req, p, "method", 1, is_str, "an HTTP method string");
    if (m && (!*m->valuestring || strpbrk(m->valuestring, " \t\r\n()<>@,;:\\\"/[]?={}"))) {
        char *mp = jpath_key(p, "method");
        problem(v, mp, "expected an HTTP method token, got \"%s\"", m->valuestring);
        free(mp);
    }
    const cJSON *path = want(v, req, p, "path", 1, is_str, "a path string starting with '/'");
    if (path && path->valuestring[0] != '/') {
        char *pp = jpath_key(p, "path");
        problem(v, pp, "expected a path starting with '/', got \"%s\"", path->valuestring);
        free(pp);
    }
    check_identity_ref(v, ids, req, p, "identity");
    check_identity_ref(v, ids, req, p, "cookie_identity");
    const cJSON *auth = want(v, req, p, "auth", 0, is_str, "\"header\", \"cookie\", \"both\" or \"none\"");
    if (auth && strcmp(auth->valuestring, "header") && strcmp(auth->valuestring, "cookie") &&
        strcmp(auth->valuestring, "both") && strcmp(auth->valuestring, "none")) {
        char *ap = jpath_key(p, "auth");
        problem(v, ap, "expected \"header\", \"cookie\", \"both\" or \"none\", got \"%s\"", auth->valuestring);
        free(ap);
    }
    if (auth && !strcmp(auth->valuestring, "both") && !member(req, "cookie_identity")) {
        char *ap = jpath_key(p, "cookie_identity");
        problem(v, ap, "expected an identity name (required with auth \"both\"), got nothing");
        free(ap);
    }
    const cJSON *h = want(v, req, p, "headers", 0, is_obj, "an object of header name to string");
    for (const cJSON *c = h ? h->child : NULL; c; c = c->next) {
        char *hp0 = jpath_key(p, "headers"), *hp = jpath_key(hp0, c->string);
        int ok = cJSON_IsString(c) || cJSON_IsNull(c) || (cJSON_IsArray(c) && c->child);
        for (const cJSON *e = cJSON_IsArray(c) ? c->child : NULL; e; e = e->next)
            ok &= cJSON_IsString(e);
        if (!ok)
            problem(v, hp, "expected a string, null (remove the header) or a non-empty array of strings (one header line each)");
        if (!*c->string || strpbrk(c->string, " \t\r\n:"))
            problem(v, hp, "expected a header name without spaces or ':'");
        free(hp0);
        free(hp);
    }
    int bodies = 0;
    const char *bk[] = {"json", "body", "body_b64", "body_parts"};
    for (int i = 0; i < 4; i++)
        bodies += member(req, bk[i]) != NULL;
    if (bodies > 1)
        problem(v, p, "expected at most one of json, body, body_b64, body_parts");
    want(v, req, p, "json", 0, is_any, "any JSON");
    want(v, req, p, "body", 0, is_str, "a string");
    const cJSON *b64 = want(v, req, p, "body_b64", 0, is_str, "a base64 string");
    check_b64(v, b64, p, "body_b64");
    const cJSON *parts = want(v, req, p, "body_parts", 0, is_arr, "an array of {\"text\"|\"b64\", \"repeat\"}");
    int i = 0;
    for (const cJSON *pt = parts ? parts->child : NULL; pt; pt = pt->next, i++) {
        char *pp0 = jpath_key(p, "body_parts"), *pp = jpath_index(pp0, i);
        static const char *const pk[] = {"text", "b64", "repeat", NULL};
        if (!cJSON_IsObject(pt)) {
            problem(v, pp, "expected an object {\"text\": s, \"repeat\": n} or {\"b64\": s, \"repeat\": n}");
        } else {
            only_keys(v, pt, pp, pk);
            const cJSON *t = want(v, pt, pp, "text", 0, is_str, "a string");
            const cJSON *b = want(v, pt, pp, "b64", 0, is_str, "a base64 string");
            if ((t != NULL) == (b != NULL) && (member(pt, "text") != NULL) == (member(pt, "b64") != NULL))
                problem(v, pp, "expected exactly one of text and b64");
            check_b64(v, b, pp, "b64");
            const cJSON *r = want(v, pt, pp, "repeat", 0, is_int, "an integer 1..100000000");
            if (r && (r->valuedouble < 1 || r->valuedouble > 1e8)) {
                char *rp = jpath_key(pp, "repeat");
                problem(v, rp, "expected an integer 1..100000000, got %s", r->valuestring ? r->valuestring : "?");
                free(rp);
            }
        }
        free(pp0);
        free(pp);
    }
    const cJSON *rep = want(v, req, p, "repeat", 0, is_int, "an integer 1..1000");
    *repeat = 1;
    if (rep) {
        if (rep->valuedouble < 1 || rep->valuedouble > 1000) {
            char *rp = jpath_key(p, "repeat");
            problem(v, rp, "expected an integer 1..1000, got %.0f", rep->valuedouble);
            free(rp);
        } else {
            *repeat = (int)rep->valuedouble;
        }
    }
    const cJSON *cc = want(v, req, p, "concurrency", 0, is_int, "an integer 1..repeat");
    *conc = *repeat;
    if (cc) {
        if (cc->valuedouble < 1 || cc->valuedouble > *repeat) {
            char *rp = jpath_key(p, "concurrency");
            problem(v, rp, "expected an integer 1..%d (the step's repeat), got %.0f", *repeat, cc->valuedouble);
            free(rp);
        } else {
            *conc = (int)cc->valuedouble;
        }
    }
}

/* Loads the document an expect.schema_equals names (relative to the suite's
 * directory) into its canonical form, which the step owns. */
static void load_schema_equals(struct vctx *v, const cJSON *name, const char *p, struct fixture_step *fs)
{
    const char *slash = strrchr(v->file, '/');
    int dl = slash ? (int)(slash - v->file) : 1;
    size_t n = strlen(name->valuestring) + (size_t)dl + 2, len;
    char *path = mem_alloc(n), err[300], *sp = jpath_key(p, "schema_equals");
    snprintf(path, n, "%.*s/%s", dl, slash ? v->file : ".", name->valuestring);
    char *buf = file_read(path, &len, err, sizeof err);
    cJSON *doc = buf ? jsonx_parse(buf, len, err, sizeof err) : NULL;
    if (!buf)
        problem(v, sp, "expected the name of a readable file beside the suite, cannot read %s", path);
    else if (!cJSON_IsObject(doc))
        problem(v, sp, "expected %s to hold a strict JSON object%s%s", path, doc ? "" : ": ", doc ? "" : err);
    else
        fs->schema_equals = schema_canonical(doc);
    cJSON_Delete(doc);
    free(buf);
    free(path);
    free(sp);
}

/* Expands the shorthands of ex in place first (shorthand.h): the checks below
 * and the runner only ever see the ordinary form. */
static void check_expect(struct vctx *v, cJSON *ex, const char *p, struct fixture_step *fs)
{
    static const char *const keys[] = {"status", "headers", "body", "body_text", "collect", "schema_equals", NULL};
    if (shorthand_expand_expect(ex, p, shorthand_problem, v))
        return;
    only_keys(v, ex, p, keys);
    const cJSON *st = member(ex, "status");
    char *sp = jpath_key(p, "status");
    int ok = st != NULL;
    if (st && cJSON_IsArray(st)) {
        ok = st->child != NULL;
        for (const cJSON *s = st->child; s; s = s->next)
            ok &= jsonx_is_integer(s) && s->valuedouble >= 100 && s->valuedouble <= 599;
    } else if (st) {
        ok = jsonx_is_integer(st) && st->valuedouble >= 100 && st->valuedouble <= 599;
    }
    if (!ok)
        problem(v, sp, "expected an HTTP status 100..599 or a non-empty array of them%s", st ? "" : " (required)");
    free(sp);
    const cJSON *h = want(v, ex, p, "headers", 0, is_obj, "an object of header name to matcher");
    if (h) {
        char *hp = jpath_key(p, "headers");
        check_matcher(v, h, hp);
        for (const cJSON *c = h->child; c; c = c->next)
            if (c->string[0] == '$') {
                problem(v, hp, "expected header names, got \"%s\"", c->string);
                break;
            }
        free(hp);
    }
    const char *mk[] = {"body", "body_text"};
    for (int i = 0; i < 2; i++) {
        const cJSON *m = member(ex, mk[i]);
        if (m) {
            char *mp = jpath_key(p, mk[i]);
            check_matcher(v, m, mp);
            free(mp);
        }
    }
    const cJSON *col = want(v, ex, p, "collect", 0, is_obj, "{\"path\": JSONPATH, \"match\": matcher}");
    if (col) {
        char *cp = jpath_key(p, "collect");
        static const char *const ck[] = {"path", "match", NULL};
        only_keys(v, col, cp, ck);
        const cJSON *path = want(v, col, cp, "path", 1, is_str, "a JSON path");
        char err[200];
        if (path && jpath_check(path->valuestring, err, sizeof err)) {
            char *pp = jpath_key(cp, "path");
            problem(v, pp, "expected a JSON path ($, .name, [\"name\"], [index]): %s", err);
            free(pp);
        }
        const cJSON *m = want(v, col, cp, "match", 1, is_any, "a matcher");
        if (m) {
            char *mp = jpath_key(cp, "match");
            check_matcher(v, m, mp);
            free(mp);
        }
        free(cp);
    }
    const cJSON *se = want(v, ex, p, "schema_equals", 0, is_str, "the file name of an expected schema document");
    if (se)
        load_schema_equals(v, se, p, fs);
}

/* A raw step (docs/fixtures.md, "Raw steps"): the bytes sent, and one
 * expectation per answer read back, each an ordinary expectation besides
 * or_close. */
static void check_raw(struct vctx *v, cJSON *raw, const char *p, struct fixture_step *fs)
{
    static const char *const keys[] = {"send", "expect", "closed", "within_ms", NULL};
    static const char *const sk[] = {"text", "b64", "repeat", "pause_ms", NULL};
    only_keys(v, raw, p, keys);
    const cJSON *send = want(v, raw, p, "send", 1, is_arr, "a non-empty array of {\"text\"|\"b64\", \"repeat\", \"pause_ms\"}");
    char *sp = jpath_key(p, "send");
    if (send && !send->child)
        problem(v, sp, "expected at least one part to send");
    int i = 0;
    for (const cJSON *pt = send ? send->child : NULL; pt; pt = pt->next, i++) {
        char *pp = jpath_index(sp, i);
        if (!cJSON_IsObject(pt)) {
            problem(v, pp, "expected an object {\"text\": s} or {\"b64\": s}, with optional repeat and pause_ms");
            free(pp);
            continue;
        }
        only_keys(v, pt, pp, sk);
        want(v, pt, pp, "text", 0, is_str, "a string");
        const cJSON *b = want(v, pt, pp, "b64", 0, is_str, "a base64 string");
        if ((member(pt, "text") != NULL) == (member(pt, "b64") != NULL))
            problem(v, pp, "expected exactly one of text and b64");
        check_b64(v, b, pp, "b64");
        const cJSON *r = want(v, pt, pp, "repeat", 0, is_int, "an integer 1..100000000");
        const cJSON *pm = want(v, pt, pp, "pause_ms", 0, is_int, "an integer 0..60000 (milliseconds)");
        if (r && (r->valuedouble < 1 || r->valuedouble > 1e8)) {
            char *rp = jpath_key(pp, "repeat");
            problem(v, rp, "expected an integer 1..100000000, got %.0f", r->valuedouble);
            free(rp);
        }
        if (pm && (pm->valuedouble < 0 || pm->valuedouble > 60000)) {
            char *rp = jpath_key(pp, "pause_ms");
            problem(v, rp, "expected an integer 0..60000 (milliseconds), got %.0f", pm->valuedouble);
            free(rp);
        }
        free(pp);
    }
    free(sp);
    const cJSON *ex = want(v, raw, p, "expect", 1, is_arr, "an array of expectations, one per answer in order");
    char *xp = jpath_key(p, "expect");
    int or_close = 0;
    i = 0;
    for (cJSON *e = ex ? ex->child : NULL; e; e = e->next, i++) {
        char *ep = jpath_index(xp, i);
        if (!cJSON_IsObject(e)) {
            problem(v, ep, "expected an expectation object");
            free(ep);
            continue;
        }
        cJSON *oc = cJSON_DetachItemFromObjectCaseSensitive(e, "or_close");
        if (oc && !cJSON_IsBool(oc)) {
            char *op = jpath_key(ep, "or_close");
            problem(v, op, "expected a boolean");
            free(op);
        } else if (or_close && !cJSON_IsTrue(oc)) {
            char *op = jpath_key(ep, "or_close");
            problem(v, op, "expected true, as on the answer before: once the target may have closed, no "
                           "later answer is required");
            free(op);
        }
        or_close |= cJSON_IsTrue(oc);
        if (member(e, "collect") || member(e, "schema_equals"))
            problem(v, ep, "expected no collect or schema_equals in a raw step's expectation");
        else
            check_expect(v, e, ep, fs);
        if (oc)
            cJSON_AddItemToObject(e, "or_close", oc);
        free(ep);
    }
    free(xp);
    const cJSON *cl = member(raw, "closed");
    if (cl && !cJSON_IsBool(cl) && !(cJSON_IsString(cl) && !strcmp(cl->valuestring, "either"))) {
        char *cp = jpath_key(p, "closed");
        problem(v, cp, "expected true, false or \"either\"");
        free(cp);
    }
    const cJSON *w = want(v, raw, p, "within_ms", 0, is_int, "an integer 1..120000 (milliseconds)");
    if (w && (w->valuedouble < 1 || w->valuedouble > 120000)) {
        char *wp = jpath_key(p, "within_ms");
        problem(v, wp, "expected an integer 1..120000 (milliseconds), got %.0f", w->valuedouble);
        free(wp);
    }
}

/* Key names of a jwks step's publish or withdraw: case keys, not the run's. */
static void check_key_names(struct vctx *v, const cJSON *jw, const char *p, const char *k)
{
    const cJSON *names = want(v, jw, p, k, 0, is_arr, "a non-empty array of case key names");
    char *kp = jpath_key(p, k);
    if (names && !names->child)
        problem(v, kp, "expected at least one case key name");
    int i = 0;
    for (const cJSON *n = names ? names->child : NULL; n; n = n->next, i++)
        if (!cJSON_IsString(n) || !pattern_ok(n->valuestring, LOWER, LOWER DIGIT "_", 64) ||
            !strcmp(n->valuestring, "issuer") || !strcmp(n->valuestring, "attacker") ||
            !strcmp(n->valuestring, "flawed")) {
            char *np = jpath_index(kp, i);
            problem(v, np, "expected a case key name matching ^[a-z][a-z0-9_]*$ (not issuer, attacker or flawed)");
            free(np);
        }
    free(kp);
}

/* A jwks step (docs/fixtures.md, "JWKS steps"): what the runner's JWK Set
 * server does next, and what it counted. */
static void check_jwks(struct vctx *v, const cJSON *jw, const char *p)
{
    static const char *const keys[] = {"serve", "publish", "withdraw", "fetches", "wait", "expect_fetches", NULL};
    enum jwks_mode mode;
    only_keys(v, jw, p, keys);
    if (!jw->child)
        problem(v, p, "expected at least one of serve, publish, withdraw, fetches, wait, expect_fetches");
    const cJSON *sv = want(v, jw, p, "serve", 0, is_str, "\"ok\", \"slow\", \"down\", \"error\" or \"huge\"");
    if (sv && jwks_parse_mode(sv->valuestring, &mode)) {
        char *sp = jpath_key(p, "serve");
        problem(v, sp, "expected \"ok\", \"slow\", \"down\", \"error\" or \"huge\", got \"%s\"", sv->valuestring);
        free(sp);
    }
    check_key_names(v, jw, p, "publish");
    check_key_names(v, jw, p, "withdraw");
    int flag;
    want_either(v, jw, p, "wait", 0, "refresh", "cache", &flag);
    const cJSON *f = want(v, jw, p, "fetches", 0, is_str, "\"reset\"");
    if (f && strcmp(f->valuestring, "reset")) {
        char *fp = jpath_key(p, "fetches");
        problem(v, fp, "expected \"reset\", got \"%s\"", f->valuestring);
        free(fp);
    }
    const cJSON *ef = member(jw, "expect_fetches");
    char *ep = jpath_key(p, "expect_fetches");
    if (cJSON_IsString(ef) && strcmp(ef->valuestring, "rate_limited"))
        problem(v, ep, "expected a matcher of the count or \"rate_limited\", got \"%s\"", ef->valuestring);
    else if (ef && !cJSON_IsString(ef))
        check_matcher(v, ef, ep);
    free(ep);
}

static void check_capture(struct vctx *v, const cJSON *cap, const char *p)
{
    for (const cJSON *c = cap->child; c; c = c->next) {
        char *cp = jpath_key(p, c->string);
        if (!pattern_ok(c->string, LOWER UPPER "_", LOWER UPPER DIGIT "_", 64))
            problem(v, cp, "expected a variable name matching ^[A-Za-z_][A-Za-z0-9_]*$");
        const cJSON *h = member(c, "header"), *b = member(c, "body");
        char err[200];
        if (!cJSON_IsObject(c) || cJSON_GetArraySize(c) != 1 || (!cJSON_IsString(h) && !cJSON_IsString(b)))
            problem(v, cp, "expected {\"header\": NAME} or {\"body\": JSONPATH}");
        else if (b && jpath_check(b->valuestring, err, sizeof err))
            problem(v, cp, "expected a JSON path ($, .name, [\"name\"], [index]): %s", err);
        free(cp);
    }
}

/* ---------- case ids ----------
 * A hash set of borrowed id strings, so the uniqueness check costs the same
 * per case whatever the number of cases loaded before it (comparing with each
 * earlier id made loading quadratic in the suite's size). */
struct fixture_idset {
    const char **slot; /* cap entries, NULL when free; cap is a power of two */
    size_t cap, n;
};

static size_t id_hash(const char *s)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return (size_t)h;
}

static const char **id_slot(const struct fixture_idset *t, const char *id)
{
    size_t i = id_hash(id) & (t->cap - 1);
    while (t->slot[i] && strcmp(t->slot[i], id))
        i = (i + 1) & (t->cap - 1);
    return &t->slot[i];
}

static int id_has(const struct fixture_idset *t, const char *id)
{
    return t && t->cap && *id_slot(t, id) != NULL;
}

static void id_add(struct fixture_idset *t, const char *id)
{
    if (2 * (t->n + 1) > t->cap) {
        struct fixture_idset old = *t;
        t->cap = old.cap ? old.cap * 2 : 64;
        t->slot = mem_calloc(t->cap, sizeof *t->slot);
        t->n = 0;
        for (size_t i = 0; i < old.cap; i++)
            if (old.slot[i])
                id_add(t, old.slot[i]);
        free(old.slot);
    }
    const char **s = id_slot(t, id);
    if (!*s) {
        *s = id;
        t->n++;
    }
}

static void id_clear(struct fixture_idset *t)
{
    if (!t)
        return;
    free(t->slot);
    memset(t, 0, sizeof *t);
}

/* mine: the ids of the suite being loaded, up to the current case. */
static int id_taken(const struct fixture_set *set, const struct fixture_idset *mine, const char *id)
{
    return id_has(set->ids, id) || id_has(mine, id);
}

static void check_case(struct vctx *v, const struct fixture_set *set, struct fixture_idset *mine,
                       struct fixture_suite *s, int ci, const cJSON *c, const struct spec *spec)
{
    static const char *const keys[] = {"id", "title", "requirements", "level", "grade", "tags", "steps", NULL};
    struct fixture_case *fc = &s->cases[ci];
    char *p = jpath_index("$.cases", ci);
    fc->suite = s;
    if (!cJSON_IsObject(c)) {
        problem(v, p, "expected a case object");
        goto out;
    }
    only_keys(v, c, p, keys);
    const cJSON *id = want(v, c, p, "id", 1, is_str, "a case id string");
    if (id) {
        char *ip = jpath_key(p, "id");
        if (!pattern_ok(id->valuestring, LOWER DIGIT, LOWER DIGIT ".-", 64))
            problem(v, ip, "expected an id matching ^[a-z0-9][a-z0-9.-]*$ of at most 64 characters, got \"%s\"", id->valuestring);
        else if (id_taken(set, mine, id->valuestring))
            problem(v, ip, "expected an id unique across all suites, got \"%s\" a second time", id->valuestring);
        fc->id = id->valuestring;
        id_add(mine, fc->id);
        free(ip);
    }
    const cJSON *t = want(v, c, p, "title", 1, is_str, "a one-line title string");
    fc->title = t ? t->valuestring : "";
    const cJSON *reqs = want(v, c, p, "requirements", 1, is_arr, "a non-empty array of requirement ids");
    fc->requirements = reqs;
    if (reqs) {
        char *rp = jpath_key(p, "requirements");
        if (!reqs->child)
            problem(v, rp, "expected at least one requirement id");
        int i = 0;
        for (const cJSON *r = reqs->child; r; r = r->next, i++) {
            char *ep = jpath_index(rp, i);
            if (!cJSON_IsString(r))
                problem(v, ep, "expected a requirement id string");
            else if (spec && !spec_find(spec, r->valuestring))
                problem(v, ep, "expected a requirement id of docs/protocol.md, got \"%s\"", r->valuestring);
            else if (!fc->first_req)
                fc->first_req = r->valuestring;
            free(ep);
        }
        free(rp);
    }
    want_either(v, c, p, "level", 1, "core", "full", &fc->full);
    if (!want_either(v, c, p, "grade", 0, "must", "should", &fc->should) && fc->first_req) {
        const struct spec_req *r = spec_find(spec, fc->first_req);
        fc->should = r ? r->should : 0;
    }
    const cJSON *tags = want(v, c, p, "tags", 0, is_arr, "an array of strings");
    fc->tags = tags;
    for (const cJSON *tg = tags ? tags->child : NULL; tg; tg = tg->next) {
        if (!cJSON_IsString(tg)) {
            char *tp = jpath_key(p, "tags");
            problem(v, tp, "expected tag strings");
            free(tp);
            break;
        }
        if (!strcmp(tg->valuestring, "robustness"))
            fc->robustness = 1;
        if (!strcmp(tg->valuestring, "jwks"))
            fc->jwks = 1;
    }
    const cJSON *steps = want(v, c, p, "steps", 1, is_arr, "a non-empty array of steps");
    if (steps) {
        char *sp = jpath_key(p, "steps");
        int n = cJSON_GetArraySize(steps);
        if (!n)
            problem(v, sp, "expected at least one step");
        fc->steps = mem_calloc((size_t)n + 1, sizeof *fc->steps);
        fc->nsteps = n;
        int i = 0;
        for (cJSON *st = steps->child; st; st = st->next, i++) {
            char *ep = jpath_index(sp, i);
            struct fixture_step *fs = &fc->steps[i];
            static const char *const stk[] = {"name", "request", "expect", "capture", "raw", "jwks", NULL};
            fs->repeat = fs->concurrency = 1;
            if (!cJSON_IsObject(st)) {
                problem(v, ep, "expected a step object");
                free(ep);
                continue;
            }
            only_keys(v, st, ep, stk);
            const cJSON *nm = want(v, st, ep, "name", 0, is_str, "a step name string");
            fs->name = nm ? nm->valuestring : NULL;
            if (member(st, "jwks")) {
                if (member(st, "request") || member(st, "expect") || member(st, "capture") || member(st, "raw"))
                    problem(v, ep, "expected a jwks step to have only name and jwks");
                else if (!fc->jwks)
                    problem(v, ep, "expected a jwks step only in a case tagged jwks");
                else if ((fs->jwks = want(v, st, ep, "jwks", 1, is_obj, "a jwks step object"))) {
                    char *jp = jpath_key(ep, "jwks");
                    check_jwks(v, fs->jwks, jp);
                    free(jp);
                }
                free(ep);
                continue;
            }
            if (member(st, "raw")) {
                if (member(st, "request") || member(st, "expect") || member(st, "capture"))
                    problem(v, ep, "expected either raw or request and expect (and capture), not both");
                else if ((fs->raw = want(v, st, ep, "raw", 1, is_obj, "a raw step object"))) {
                    char *rp = jpath_key(ep, "raw");
                    check_raw(v, cJSON_GetObjectItemCaseSensitive(st, "raw"), rp, fs);
                    free(rp);
                }
                free(ep);
                continue;
            }
            fs->request = want(v, st, ep, "request", 1, is_obj, "a request object");
            if (fs->request) {
                char *rp = jpath_key(ep, "request");
                check_request(v, s->identities, cJSON_GetObjectItemCaseSensitive(st, "request"), rp, &fs->repeat,
                              &fs->concurrency);
                free(rp);
            }
            fs->expect = want(v, st, ep, "expect", 1, is_obj, "an expect object");
            if (fs->expect) {
                char *xp = jpath_key(ep, "expect");
                check_expect(v, cJSON_GetObjectItemCaseSensitive(st, "expect"), xp, fs);
                free(xp);
            }
            fs->capture = want(v, st, ep, "capture", 0, is_obj, "an object of variable name to {\"header\"} or {\"body\"}");
            if (fs->capture) {
                char *cp = jpath_key(ep, "capture");
                check_capture(v, fs->capture, cp);
                free(cp);
            }
            free(ep);
        }
        free(sp);
    }
out:
    free(p);
}

static void suite_free(struct fixture_suite *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->ncases; i++) {
        for (int k = 0; k < s->cases[i].nsteps && s->cases[i].steps; k++)
            cJSON_Delete(s->cases[i].steps[k].schema_equals);
        free(s->cases[i].steps);
    }
    free(s->cases);
    free(s->file);
    cJSON_Delete(s->root);
    free(s);
}

int fixture_load_file(struct fixture_set *set, const char *path, const struct spec *spec,
                      struct fixture_errors *errs)
{
    struct vctx v = {path, errs, 0};
    struct fixture_idset mine = {0};
    size_t len;
    char err[300], *buf = file_read(path, &len, err, sizeof err);
    if (!buf) {
        problem(&v, "$", "expected a readable file");
        return -1;
    }
    struct fixture_suite *s = mem_calloc(1, sizeof *s);
    s->file = mem_strdup(path);
    s->root = jsonx_parse(buf, len, err, sizeof err);
    free(buf);
    if (!s->root) {
        problem(&v, "$", "expected strict JSON: %s", err);
        goto bad;
    }
    if (!cJSON_IsObject(s->root)) {
        problem(&v, "$", "expected a suite object");
        goto bad;
    }
    static const char *const keys[] = {"$schema", "suite", "area", "title", "identities", "cases", NULL};
    only_keys(&v, s->root, "$", keys);
    const cJSON *name = want(&v, s->root, "$", "suite", 1, is_str, "a suite name matching ^[a-z][a-z0-9-]*$");
    if (name) {
        s->name = name->valuestring;
        if (!pattern_ok(s->name, LOWER, LOWER DIGIT "-", 64))
            problem(&v, "$.suite", "expected a suite name matching ^[a-z][a-z0-9-]*$, got \"%s\"", s->name);
        for (int i = 0; i < set->nsuites; i++)
            if (!strcmp(set->suites[i]->name, s->name))
                problem(&v, "$.suite", "expected a suite name unique across files, \"%s\" is also %s", s->name,
                        set->suites[i]->file);
    }
    const cJSON *area = want(&v, s->root, "$", "area", 1, is_str, "an area string (ENV, CALL, AUTH, ...)");
    s->area = area ? area->valuestring : "";
    const cJSON *title = want(&v, s->root, "$", "title", 1, is_str, "a one-line title string");
    s->title = title ? title->valuestring : "";
    s->identities = want(&v, s->root, "$", "identities", 0, is_obj, "an object of identity name to identity");
    if (!s->identities) {
        if (!cJSON_GetObjectItemCaseSensitive(s->root, "identities"))
            s->identities = cJSON_AddObjectToObject(s->root, "identities");
    } else {
        check_identities(&v, s->identities);
    }
    const cJSON *cases = want(&v, s->root, "$", "cases", 1, is_arr, "an array of cases");
    if (cases) {
        s->ncases = cJSON_GetArraySize(cases);
        s->cases = mem_calloc((size_t)s->ncases + 1, sizeof *s->cases);
        int i = 0;
        for (const cJSON *c = cases->child; c; c = c->next, i++)
            check_case(&v, set, &mine, s, i, c, spec);
    }
    if (v.bad)
        goto bad;
    if (!set->ids)
        set->ids = mem_calloc(1, sizeof *set->ids);
    set->suites = mem_realloc(set->suites, (size_t)(set->nsuites + 1) * sizeof *set->suites);
    set->suites[set->nsuites++] = s;
    set->cases = mem_realloc(set->cases, (size_t)(set->ncases + s->ncases + 1) * sizeof *set->cases);
    for (int i = 0; i < s->ncases; i++) {
        set->cases[set->ncases++] = &s->cases[i];
        if (s->cases[i].id)
            id_add(set->ids, s->cases[i].id);
    }
    id_clear(&mine);
    return 0;
bad:
    id_clear(&mine);
    suite_free(s);
    return -1;
}

static int cmpstr(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with(const char *s, const char *suf)
{
    size_t n = strlen(s), m = strlen(suf);
    return n >= m && !strcmp(s + n - m, suf);
}

int fixture_load_dir(struct fixture_set *set, const char *dir, const struct spec *spec,
                     struct fixture_errors *errs)
{
    DIR *d = opendir(dir);
    if (!d) {
        struct vctx v = {dir, errs, 0};
        problem(&v, "$", "expected a readable fixtures directory");
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!ends_with(e->d_name, ".json") || ends_with(e->d_name, ".schema.json") ||
            !strcmp(e->d_name, "profile-schema.json") || e->d_name[0] == '.')
            continue;
        names = mem_realloc(names, (n + 1) * sizeof *names);
        names[n++] = mem_strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmpstr);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(dir) + strlen(names[i]) + 2;
        char *p = mem_alloc(l);
        snprintf(p, l, "%s/%s", dir, names[i]);
        if (fixture_load_file(set, p, spec, errs))
            rc = -1;
        free(p);
        free(names[i]);
    }
    free(names);
    return rc;
}

const char *fixture_sub_owner(const struct fixture_suite *suite, const char *name)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(suite->identities, name);
    const cJSON *same = cJSON_GetObjectItemCaseSensitive(id, "same_sub_as");
    return cJSON_IsString(same) ? same->valuestring : name;
}

const char *fixture_jti_owner(const struct fixture_suite *suite, const char *name)
{
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(suite->identities, name);
    const cJSON *same = cJSON_GetObjectItemCaseSensitive(id, "same_jti_as");
    return cJSON_IsString(same) ? same->valuestring : name;
}

void fixture_set_free(struct fixture_set *set)
{
    if (!set)
        return;
    for (int i = 0; i < set->nsuites; i++)
        suite_free(set->suites[i]);
    free(set->suites);
    free(set->cases);
    id_clear(set->ids);
    free(set->ids);
    memset(set, 0, sizeof *set);
}

void fixture_errors_free(struct fixture_errors *errs)
{
    if (!errs)
        return;
    for (size_t i = 0; i < errs->n; i++)
        free(errs->v[i]);
    free(errs->v);
    errs->v = NULL;
    errs->n = 0;
}
