/* model_check.c: a model run's history against the protocol's sequential
 * model: answers each operation must have, then per-key linearizability
 * (lincheck.c), isolation, revocation and bundle tags. */
#include "model_check.h"
#include "lincheck.h"
#include "mem.h"
#include "strbuf.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_VIOLATIONS = 200 };

double model_check_now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1000.0 + (double)t.tv_nsec / 1e6;
}

static void add(struct model_check *c, const char *req, const size_t *ops, int nops, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void add(struct model_check *c, const char *req, const size_t *ops, int nops, const char *fmt, ...)
{
    if (c->n >= MAX_VIOLATIONS)
        return;
    c->v = mem_grow(c->v, &c->cap, c->n, sizeof *c->v);
    struct model_violation *v = &c->v[c->n++];
    memset(v, 0, sizeof *v);
    v->requirement = req;
    struct strbuf b = {0};
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(&b, fmt, ap);
    va_end(ap);
    v->message = strbuf_take(&b);
    for (int i = 0; i < nops && i < MODEL_VIOLATION_OPS; i++)
        v->ops[v->nops++] = ops[i];
}

int model_check_has(const struct model_check *c, const char *req)
{
    for (size_t i = 0; i < c->n; i++)
        if (!req || !strcmp(c->v[i].requirement, req))
            return 1;
    return 0;
}

void model_check_clear(struct model_check *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        free(c->v[i].message);
    free(c->v);
    memset(c, 0, sizeof *c);
}

/* What the checks need of one operation, parsed once. */
struct op_view {
    cJSON *answer;          /* parsed body or NULL */
    const cJSON *result;    /* answer.result */
    const char *code;       /* answer.error.code or "" */
    int part;               /* the key's partition, -1: none */
    int forbidden_expected; /* a shared write by a role below WRITER */
    int revoked_by;         /* index+1 of the logout that revoked the token before the call, 0: none */
    int maybe_revoked;      /* a logout of the token got no answer: it may have revoked it */
    int judged;             /* the answer was judged already (revoked, refused): no model step */
    char *draft;            /* a bundle's draft (owned), NULL when none */
};

static int part_of(const struct model_plan *p, const struct model_op *o)
{
    if (o->key < 0)
        return -1;
    return o->shared ? o->key : p->nnames + o->viewer * p->nnames + o->key;
}

static const char *declared_invalidate(enum model_kind k)
{
    switch (k) {
    case MODEL_SET: case MODEL_SET_IF: case MODEL_DELETE:
        return "[\"context:user\",\"function:kv_get\",\"function:kv_list\"]";
    case MODEL_INCR: return "[\"function:kv_get\",\"function:kv_list\"]";
    case MODEL_SAVE_DRAFT: return "[\"context:user\"]";
    default: return "[]";
    }
}

/* A value as the model names it: "s<N>" and "d<N>" are string N, "" string 0. */
static struct lincheck_value value_of(const cJSON *v, long long rev)
{
    if (cJSON_IsNull(v) || !v)
        return rev == 0 ? (struct lincheck_value){LINCHECK_ABSENT, 0} : (struct lincheck_value){LINCHECK_STR, -3};
    if (cJSON_IsNumber(v))
        return (struct lincheck_value){LINCHECK_INT, (long long)v->valuedouble};
    if (cJSON_IsString(v)) {
        const char *s = v->valuestring;
        if (!*s)
            return (struct lincheck_value){LINCHECK_STR, 0};
        char *end;
        long long id = (*s == 's' || *s == 'd') ? strtoll(s + 1, &end, 10) : -1;
        return (struct lincheck_value){LINCHECK_STR, id > 0 && !*end ? id : -1};
    }
    return (struct lincheck_value){LINCHECK_STR, -2};
}

static long long num(const cJSON *o, const char *name, long long dflt)
{
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsNumber(n) ? (long long)n->valuedouble : dflt;
}

/* The operation that wrote value v, or -1 (a counter's sum keeps its base's writer). */
static long writer_of(const struct model_plan *p, struct lincheck_value v)
{
    long long w = -1;
    if (v.type == LINCHECK_INT && v.v >= 1000000)
        w = v.v / 1000000 - 1;
    else if (v.type == LINCHECK_STR && v.v > 0)
        w = v.v - 1;
    if (w < 0 || (size_t)w >= p->nops)
        return -1;
    const struct model_op *o = &p->ops[w];
    int is_set = o->kind == MODEL_SET || o->kind == MODEL_SET_IF;
    if (v.type == LINCHECK_INT && !(is_set && !o->str_value))
        return -1;
    if (v.type == LINCHECK_STR && !((is_set && o->str_value) || o->kind == MODEL_SAVE_DRAFT))
        return -1;
    return (long)w;
}

static void describe_key(const struct model_plan *p, const struct model_op *o, char *buf, size_t len)
{
    char key[300];
    model_plan_key(p, o, key, sizeof key);
    if (o->shared)
        snprintf(buf, len, "%s", key);
    else
        snprintf(buf, len, "%s of viewer %d", key, o->viewer);
}

/* SCOPE-2: a value read through partition part was written through another one. */
static void check_isolation(const struct model_plan *p, struct model_check *c, size_t i, int part,
                            struct lincheck_value v)
{
    long w = writer_of(p, v);
    if (w < 0)
        return;
    const struct model_op *r = &p->ops[i], *o = &p->ops[w];
    if (part_of(p, o) == part)
        return;
    char rk[400], wk[400];
    describe_key(p, r, rk, sizeof rk);
    describe_key(p, o, wk, sizeof wk);
    size_t ops[2] = {i, (size_t)w};
    add(c, (r->shared && o->shared) ? "ROB-2" : "SCOPE-2", ops, 2,
        "%s (op %zu, viewer %d, sub \"%s\") read %s the value op %zu (viewer %d, sub \"%s\") wrote to %s",
        model_plan_kind_name(r->kind), i, r->viewer, p->viewers[r->viewer].sub, rk, (size_t)w, o->viewer,
        p->viewers[o->viewer].sub, wk);
}

static char *bundle_draft(const cJSON *answer)
{
    const cJSON *d = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(answer, "data"), "get_draft"), "draft");
    return cJSON_IsString(d) ? mem_strdup(d->valuestring) : NULL;
}

/* The answers each operation must have, judged one by one. */
static void check_answers(const struct model_plan *p, struct op_view *ov, struct model_check *c)
{
    for (size_t i = 0; i < p->nops; i++) {
        const struct model_op *o = &p->ops[i];
        struct op_view *x = &ov[i];
        if (!o->status)
            continue;
        char key[400];
        describe_key(p, o, key, sizeof key);
        if (x->revoked_by) {
            x->judged = 1;
            if (o->status != 401 || strcmp(x->code, "token_revoked")) {
                size_t ops[2] = {i, (size_t)x->revoked_by - 1};
                add(c, "AUTH-6", ops, 2,
                    "%s (op %zu, target %d) presented the token logout op %zu revoked on target %d "
                    "(completed before this call began) and got %ld %s, not 401 token_revoked",
                    model_plan_kind_name(o->kind), i, o->target, (size_t)x->revoked_by - 1,
                    p->ops[x->revoked_by - 1].target, o->status, *x->code ? x->code : "(success)");
            }
            continue;
        }
        if (x->maybe_revoked && o->status == 401 && !strcmp(x->code, "token_revoked")) {
            x->judged = 1;
            continue;
        }
        if (x->forbidden_expected) {
            if (o->status == 403)
                x->judged = 1;
            else if (o->status == 200)
                add(c, "SCOPE-3", &i, 1, "%s (op %zu) on %s by a %s succeeded: shared writes need WRITER",
                    model_plan_kind_name(o->kind), i, key, p->viewers[o->viewer].role);
            else
                add(c, "SCOPE-3", &i, 1, "%s (op %zu) on %s by a %s answered %ld, not 403 forbidden",
                    model_plan_kind_name(o->kind), i, key, p->viewers[o->viewer].role, o->status);
            continue;
        }
        int ok = o->status == 200 || (o->status == 304 && o->kind == MODEL_BUNDLE_INM) ||
                 (o->status == 409 && (o->kind == MODEL_SET_IF || o->kind == MODEL_INCR) &&
                  !strcmp(x->code, "conflict"));
        if (!ok) {
            const char *req = o->status == 403 && o->shared && model_plan_writes(o->kind) ? "SCOPE-3" :
                              o->status == 401 ? "AUTH-6" : "PROF-1";
            add(c, req, &i, 1, "%s (op %zu) on %s answered %ld %s, which the profile does not allow here",
                model_plan_kind_name(o->kind), i, key, o->status, x->code);
            x->judged = 1;
            continue;
        }
        if (o->status == 200 && o->request) {
            const cJSON *inv = cJSON_GetObjectItemCaseSensitive(x->answer, "invalidate");
            char *got = inv ? cJSON_PrintUnformatted(inv) : mem_strdup("(absent)");
            if (strcmp(got, declared_invalidate(o->kind)))
                add(c, "INV-1", &i, 1, "%s (op %zu) invalidated %s, declared %s", model_plan_kind_name(o->kind),
                    i, got, declared_invalidate(o->kind));
            free(got);
        }
    }
}

static void check_reads(const struct model_plan *p, struct op_view *ov, struct model_check *c)
{
    /* first_write[viewer * nnames + name]: when the viewer first began writing that personal key */
    size_t nfw = (size_t)p->nviewers * (size_t)p->nnames;
    long long *first_write = mem_array(NULL, nfw ? nfw : 1, sizeof *first_write);
    for (size_t i = 0; i < nfw; i++)
        first_write[i] = LLONG_MAX;
    for (size_t j = 0; j < p->nops; j++) {
        const struct model_op *w = &p->ops[j];
        long long *f = &first_write[(size_t)w->viewer * (size_t)p->nnames + (size_t)(w->key < 0 ? 0 : w->key)];
        if (!w->shared && w->key >= 0 && model_plan_writes(w->kind) && w->t_call < *f)
            *f = w->t_call;
    }
    for (size_t i = 0; i < p->nops; i++) {
        const struct model_op *o = &p->ops[i];
        struct op_view *x = &ov[i];
        if (o->status != 200 || x->judged)
            continue;
        const char *sub = p->viewers[o->viewer].sub;
        if (o->kind == MODEL_GET || o->kind == MODEL_REUSE)
            check_isolation(p, c, i, x->part, value_of(cJSON_GetObjectItemCaseSensitive(x->result, "value"),
                                                     num(x->result, "rev", -1)));
        if (o->kind == MODEL_INCR)
            check_isolation(p, c, i, x->part, (struct lincheck_value){LINCHECK_INT, num(x->result, "value", 0)});
        if (o->kind == MODEL_GET_DRAFT)
            check_isolation(p, c, i, x->part, value_of(cJSON_GetObjectItemCaseSensitive(x->result, "draft"), 1));
        if (o->kind == MODEL_BUNDLE || o->kind == MODEL_BUNDLE_INM) {
            const cJSON *who = cJSON_GetObjectItemCaseSensitive(
                cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(x->answer, "data"), "whoami"), "sub");
            if (!cJSON_IsString(who) || strcmp(who->valuestring, sub))
                add(c, "SCOPE-2", &i, 1, "the user bundle of viewer %d (sub \"%s\", op %zu) shows whoami.sub %s",
                    o->viewer, sub, i, cJSON_IsString(who) ? who->valuestring : "(none)");
            if (x->draft) {
                cJSON *s = cJSON_CreateString(x->draft);
                check_isolation(p, c, i, x->part, value_of(s, 1));
                cJSON_Delete(s);
            }
        }
        if (o->kind == MODEL_LIST) {
            const cJSON *keys = cJSON_GetObjectItemCaseSensitive(x->result, "keys"), *k;
            cJSON_ArrayForEach(k, keys) {
                const char *s = cJSON_IsString(k) ? k->valuestring : "";
                if (o->shared) {
                    if (strncmp(s, "shared:", 7))
                        add(c, "SCOPE-2", &i, 1, "kv_list shared (op %zu) lists %s", i, s);
                    continue;
                }
                int wrote = 0;
                for (int n = 0; n < p->nnames && !wrote; n++)
                    wrote = !strncmp(s, "personal:", 9) && !strcmp(s + 9, p->names[n]) &&
                            first_write[(size_t)o->viewer * (size_t)p->nnames + (size_t)n] <= o->t_ret;
                if (!wrote) {
                    add(c, "SCOPE-2", &i, 1, "kv_list personal of viewer %d (sub \"%s\", op %zu) lists %s, "
                        "which this viewer never wrote", o->viewer, sub, i, s);
                    break;
                }
            }
        }
    }
    free(first_write);
}

/* Sorting bundle answers by tag (then viewer, then call time). */
static const struct model_plan *sort_plan;

static int by_tag(const void *a, const void *b)
{
    const struct model_op *x = &sort_plan->ops[*(const size_t *)a], *y = &sort_plan->ops[*(const size_t *)b];
    int c = strcmp(x->etag, y->etag);
    if (c)
        return c;
    if (x->viewer != y->viewer)
        return x->viewer - y->viewer;
    return x->t_call < y->t_call ? -1 : x->t_call > y->t_call;
}

static int by_viewer_time(const void *a, const void *b)
{
    const struct model_op *x = &sort_plan->ops[*(const size_t *)a], *y = &sort_plan->ops[*(const size_t *)b];
    if (x->viewer != y->viewer)
        return x->viewer - y->viewer;
    return x->t_call < y->t_call ? -1 : x->t_call > y->t_call;
}

/* 1 when a write that may change what the bundle of a shows overlaps [a.call, d.ret]. */
static int written_between(const struct model_plan *p, const size_t *writes, size_t nw, const struct model_op *a,
                           const struct model_op *d)
{
    for (size_t k = 0; k < nw; k++) {
        const struct model_op *w = &p->ops[writes[k]];
        if (w->t_call >= d->t_ret)
            break;
        if (w->status != 403 && (!w->status || w->t_ret > a->t_call))
            return 1;
    }
    return 0;
}

/* CTX-4 and INV-2 over the user bundle answers. */
static void check_tags(const struct model_plan *p, struct op_view *ov, struct model_check *c)
{
    size_t *b = mem_calloc(p->nops ? p->nops : 1, sizeof *b), nb = 0;
    for (size_t i = 0; i < p->nops; i++) {
        const struct model_op *o = &p->ops[i];
        if (o->kind != MODEL_BUNDLE && o->kind != MODEL_BUNDLE_INM)
            continue;
        if (o->status == 304 && !o->etag[0])
            add(c, "CTX-4", &i, 1, "the 304 of op %zu repeats no ETag", i);
        if (o->status != 200 || ov[i].judged)
            continue;
        if (!o->etag[0] || o->etag[0] != '"')
            add(c, "CTX-4", &i, 1, "the bundle of op %zu has %s, not a strong tag", i,
                o->etag[0] ? o->etag : "no ETag");
        else
            b[nb++] = i;
    }
    sort_plan = p;
    qsort(b, nb, sizeof *b, by_tag);
    int shared_reported = 0, mixed_reported = 0;
    for (size_t x = 0; x + 1 < nb; x++) {
        const struct model_op *a = &p->ops[b[x]], *d = &p->ops[b[x + 1]];
        size_t ops[2] = {b[x], b[x + 1]};
        if (strcmp(a->etag, d->etag))
            continue;
        if (a->viewer != d->viewer) {
            if (!shared_reported++)
                add(c, "CTX-4", ops, 2, "viewers %d and %d (ops %zu, %zu) got the same tag %s: tags must be "
                    "per viewer", a->viewer, d->viewer, b[x], b[x + 1], a->etag);
        } else if ((!ov[b[x]].draft || !ov[b[x + 1]].draft || strcmp(ov[b[x]].draft, ov[b[x + 1]].draft)) &&
                   !mixed_reported++) {
            add(c, "CTX-4", ops, 2, "one tag %s named two bundles of viewer %d (ops %zu, %zu): drafts \"%s\" and \"%s\"",
                a->etag, a->viewer, b[x], b[x + 1], ov[b[x]].draft ? ov[b[x]].draft : "?",
                ov[b[x + 1]].draft ? ov[b[x + 1]].draft : "?");
        }
    }
    /* Same data, same tag: consecutive reads of a viewer with no write it sees in between. */
    qsort(b, nb, sizeof *b, by_viewer_time);
    size_t *w = mem_calloc(p->nops ? p->nops : 1, sizeof *w), nw = 0;
    int wviewer = -1, reported = 0;
    for (size_t x = 0; x + 1 < nb && !reported; x++) {
        const struct model_op *a = &p->ops[b[x]], *d = &p->ops[b[x + 1]];
        if (a->viewer != wviewer) {
            /* this viewer's draft writes, by call time (ops are in per-client call order already) */
            wviewer = a->viewer;
            nw = 0;
            for (size_t j = 0; j < p->nops; j++)
                if (model_plan_writes(p->ops[j].kind) && ov[j].part == ov[b[x]].part)
                    w[nw++] = j;
            qsort(w, nw, sizeof *w, by_viewer_time);
        }
        if (a->viewer != d->viewer || a->t_ret >= d->t_call || !strcmp(a->etag, d->etag))
            continue;
        if (!written_between(p, w, nw, a, d)) {
            size_t ops[2] = {b[x], b[x + 1]};
            add(c, "INV-2", ops, 2, "viewer %d's bundle tag changed from %s (op %zu) to %s (op %zu) "
                "while nothing it sees was written", a->viewer, a->etag, b[x], d->etag, b[x + 1]);
            reported = 1;
        }
    }
    free(w);
    free(b);
}

/* The model's view of op i for the search; 0 when it says nothing (a lost read, a refused call). */
static int lin_op(const struct model_plan *p, const struct op_view *ov, size_t i, struct lincheck_op *l)
{
    const struct model_op *o = &p->ops[i];
    const struct op_view *x = &ov[i];
    memset(l, 0, sizeof *l);
    l->call = o->t_call;
    l->ret = o->t_ret;
    l->if_rev = -1;
    l->out_rev = -1;
    int answered = o->status == 200 || o->status == 409 || o->status == 304;
    int writes = model_plan_writes(o->kind);
    if (x->part < 0 || (x->judged && o->status != 200) || (!answered && !writes))
        return 0;
    if (o->status == 403 && x->forbidden_expected)
        return 0;
    l->unknown = !answered;
    switch (o->kind) {
    case MODEL_GET: case MODEL_REUSE:
        l->kind = LINCHECK_GET;
        l->out_rev = num(x->result, "rev", -1);
        l->out = value_of(cJSON_GetObjectItemCaseSensitive(x->result, "value"), l->out_rev);
        return 1;
    case MODEL_SET: case MODEL_SET_IF:
        l->kind = LINCHECK_SET;
        l->arg = o->str_value ? (struct lincheck_value){LINCHECK_STR, (long long)i + 1}
                              : (struct lincheck_value){LINCHECK_INT, ((long long)i + 1) * 1000000};
        l->if_rev = o->kind == MODEL_SET_IF ? o->if_rev : -1;
        l->conflict = o->status == 409;
        l->out_rev = num(x->result, "rev", -1);
        return 1;
    case MODEL_SAVE_DRAFT:
        l->kind = LINCHECK_SET;
        l->arg = (struct lincheck_value){LINCHECK_STR, (long long)i + 1};
        return 1;
    case MODEL_DELETE: {
        l->kind = LINCHECK_DELETE;
        const cJSON *d = cJSON_GetObjectItemCaseSensitive(x->result, "deleted");
        l->out_deleted = cJSON_IsTrue(d);
        return 1;
    }
    case MODEL_INCR:
        l->kind = LINCHECK_INCR;
        l->arg = (struct lincheck_value){LINCHECK_INT, o->by};
        l->conflict = o->status == 409;
        l->out = (struct lincheck_value){LINCHECK_INT, num(x->result, "value", 0)};
        return 1;
    case MODEL_GET_DRAFT: {
        l->kind = LINCHECK_DRAFT_GET;
        l->out = value_of(cJSON_GetObjectItemCaseSensitive(x->result, "draft"), 1);
        return 1;
    }
    case MODEL_BUNDLE: case MODEL_BUNDLE_INM: {
        if (!x->draft)
            return 0;
        cJSON *s = cJSON_CreateString(x->draft);
        l->kind = LINCHECK_DRAFT_GET;
        l->out = value_of(s, 1);
        cJSON_Delete(s);
        return 1;
    }
    default:
        return 0;
    }
}

/* Names a key's linearizability violation by what breaks it: the writes'
 * own answers (revs and if_rev: SCOPE-5; counter sums: SCOPE-6) or only
 * what reads saw (ROB-2). */
static const char *classify(struct lincheck_op *ops, size_t n, long max_steps)
{
    struct lincheck_op *w = mem_array(NULL, n ? n : 1, sizeof *w);
    size_t nw = 0;
    for (size_t i = 0; i < n; i++)
        if (ops[i].kind != LINCHECK_GET && ops[i].kind != LINCHECK_DRAFT_GET)
            w[nw++] = ops[i];
    struct lincheck_result r;
    const char *req = "ROB-2";
    if (lincheck_run(w, nw, max_steps, &r) == LINCHECK_VIOLATION) {
        for (size_t i = 0; i < nw; i++)
            if (w[i].kind == LINCHECK_INCR)
                w[i].unknown = 1;
        req = lincheck_run(w, nw, max_steps, &r) == LINCHECK_VIOLATION ? "SCOPE-5" : "SCOPE-6";
    }
    free(w);
    return req;
}

/* SCOPE-2's collisions: personal partition part is not linearizable alone, but is together
 * with another viewer's personal key: the target stores the two as one. The other partition,
 * or -1. */
static long colliding(const struct model_plan *p, const struct lincheck_op *l, const size_t *lstart, size_t nparts,
                      size_t part, long max_steps, double deadline_ms)
{
    size_t np = lstart[part + 1] - lstart[part], nn = (size_t)p->nnames;
    struct lincheck_op *u = NULL;
    long found = -1;
    /* personal partitions are nn + viewer * nn + name */
    for (size_t q = nn; q < nparts && found < 0; q++) {
        size_t nq = lstart[q + 1] - lstart[q];
        if (!nq || (q - nn) / nn == (part - nn) / nn)
            continue;
        if (deadline_ms > 0 && model_check_now_ms() > deadline_ms)
            break;
        u = mem_array(u, np + nq, sizeof *u);
        memcpy(u, l + lstart[part], np * sizeof *u);
        memcpy(u + np, l + lstart[q], nq * sizeof *u);
        struct lincheck_result r;
        if (lincheck_run(u, np + nq, max_steps, &r) == LINCHECK_OK)
            found = (long)q;
    }
    free(u);
    return found;
}

static void check_linearizable(const struct model_plan *p, struct op_view *ov, long max_steps,
                               double deadline_ms, struct model_check *c)
{
    size_t nparts = (size_t)p->nnames + (size_t)p->nviewers * (size_t)p->nnames;
    /* Each key's operations, contiguous: l[lstart[part] .. lstart[part + 1]), idx their op indices. */
    struct lincheck_op *l = mem_array(NULL, p->nops ? p->nops : 1, sizeof *l);
    size_t *idx = mem_array(NULL, p->nops ? p->nops : 1, sizeof *idx);
    size_t *lstart = mem_calloc(nparts + 1, sizeof *lstart);
    size_t *start = mem_calloc(nparts + 2, sizeof *start), *byk = mem_array(NULL, p->nops ? p->nops : 1, sizeof *byk);
    for (size_t i = 0; i < p->nops; i++)
        if (ov[i].part >= 0)
            start[(size_t)ov[i].part + 2]++;
    for (size_t k = 2; k < nparts + 2; k++)
        start[k] += start[k - 1];
    for (size_t i = 0; i < p->nops; i++)
        if (ov[i].part >= 0)
            byk[start[(size_t)ov[i].part + 1]++] = i;
    size_t n = 0;
    for (size_t part = 0; part < nparts; part++) {
        lstart[part] = n;
        for (size_t k = start[part]; k < start[part + 1]; k++)
            if (lin_op(p, ov, byk[k], &l[n]))
                idx[n++] = byk[k];
    }
    lstart[nparts] = n;
    for (size_t part = 0; part < nparts; part++) {
        size_t m = lstart[part + 1] - lstart[part];
        struct lincheck_op *lp = l + lstart[part];
        const size_t *ip = idx + lstart[part];
        if (!m)
            continue;
        c->keys++;
        c->ops_checked += m;
        if (deadline_ms > 0 && model_check_now_ms() > deadline_ms) {
            c->keys_undecided++;
            continue;
        }
        struct lincheck_result r;
        lincheck_run(lp, m, max_steps, &r);
        c->steps += r.steps;
        if (r.verdict == LINCHECK_UNDECIDED)
            c->keys_undecided++;
        if (r.verdict != LINCHECK_VIOLATION)
            continue;
        char key[400];
        describe_key(p, &p->ops[ip[0]], key, sizeof key);
        long q = part >= (size_t)p->nnames ? colliding(p, l, lstart, nparts, part, max_steps, deadline_ms) : -1;
        if (q >= 0) {
            char other[400];
            describe_key(p, &p->ops[idx[lstart[q]]], other, sizeof other);
            size_t ops[2] = {ip[0], idx[lstart[q]]};
            add(c, "SCOPE-2", ops, 2, "%s and %s (viewer subs \"%s\" and \"%s\") behave as one key: their "
                "operations are linearizable together and not apart", key, other,
                p->viewers[p->ops[ip[0]].viewer].sub, p->viewers[p->ops[idx[lstart[q]]].viewer].sub);
            continue;
        }
        add(c, classify(lp, m, max_steps), ip, (int)(m < MODEL_VIOLATION_OPS ? m : MODEL_VIOLATION_OPS),
            "the %zu operations on %s are not linearizable (no order of them, each between its call and "
            "its answer, explains the answers; the search got %zu deep)", m, key, r.deepest);
    }
    free(l);
    free(idx);
    free(lstart);
    free(start);
    free(byk);
}

void model_check_run(const struct model_plan *p, long max_steps, double deadline_ms, struct model_check *c)
{
    double t0 = model_check_now_ms();
    memset(c, 0, sizeof *c);
    struct op_view *ov = mem_calloc(p->nops ? p->nops : 1, sizeof *ov);
    /* A client sends for a viewer one token at a time: only its successful logouts revoke. */
    size_t *logouts = mem_array(NULL, p->nops ? p->nops : 1, sizeof *logouts), nlogouts = 0;
    for (size_t i = 0; i < p->nops; i++)
        if (p->ops[i].kind == MODEL_LOGOUT && (p->ops[i].status == 200 || !p->ops[i].status))
            logouts[nlogouts++] = i;
    for (size_t i = 0; i < p->nops; i++) {
        const struct model_op *o = &p->ops[i];
        struct op_view *x = &ov[i];
        x->answer = o->answer && *o->answer ? cJSON_Parse(o->answer) : NULL;
        x->result = cJSON_GetObjectItemCaseSensitive(x->answer, "result");
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(x->answer, "error"), "code");
        x->code = cJSON_IsString(code) ? code->valuestring : "";
        x->part = part_of(p, o);
        x->forbidden_expected = o->shared && model_plan_writes(o->kind) &&
                                strcmp(p->viewers[o->viewer].role, "WRITER");
        for (size_t k = 0; k < nlogouts && !x->revoked_by; k++) {
            const struct model_op *l = &p->ops[logouts[k]];
            if (l->client != o->client || l->viewer != o->viewer || l->token_gen != o->token_gen)
                continue;
            if (l->status && l->t_ret < o->t_call)
                x->revoked_by = (int)logouts[k] + 1;
            else if (!l->status && l->t_call < o->t_ret)
                x->maybe_revoked = 1;
        }
        if (o->kind == MODEL_BUNDLE || (o->kind == MODEL_BUNDLE_INM && o->status == 200))
            x->draft = bundle_draft(x->answer);
    }
    /* A 304 shows the data of the tag it matched: the draft of this viewer's 200 with that tag. */
    size_t *tagged = mem_array(NULL, p->nops ? p->nops : 1, sizeof *tagged), ntagged = 0;
    for (size_t i = 0; i < p->nops; i++)
        if (ov[i].draft && p->ops[i].status == 200 && p->ops[i].etag[0])
            tagged[ntagged++] = i;
    sort_plan = p;
    qsort(tagged, ntagged, sizeof *tagged, by_tag);
    for (size_t i = 0; i < p->nops; i++) {
        const struct model_op *o = &p->ops[i];
        if (o->kind != MODEL_BUNDLE_INM || o->status != 304)
            continue;
        size_t lo = 0, hi = ntagged;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            const struct model_op *m = &p->ops[tagged[mid]];
            int cmp = strcmp(m->etag, o->inm);
            if (cmp < 0 || (!cmp && m->viewer < o->viewer))
                lo = mid + 1;
            else
                hi = mid;
        }
        if (lo < ntagged && !strcmp(p->ops[tagged[lo]].etag, o->inm) && p->ops[tagged[lo]].viewer == o->viewer)
            ov[i].draft = mem_strdup(ov[tagged[lo]].draft);
    }
    free(tagged);
    free(logouts);
    check_answers(p, ov, c);
    check_reads(p, ov, c);
    check_tags(p, ov, c);
    check_linearizable(p, ov, max_steps, deadline_ms, c);
    for (size_t i = 0; i < p->nops; i++) {
        cJSON_Delete(ov[i].answer);
        free(ov[i].draft);
    }
    free(ov);
    c->check_ms = model_check_now_ms() - t0;
}
