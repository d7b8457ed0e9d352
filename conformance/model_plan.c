/* model_plan.c: generating a model run's operations from a seed, and the
 * subs and keys chosen to stress how a target encodes personal keys. */
#include "model_plan.h"
#include "mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const kind_names[MODEL_NKINDS] = {
    "kv_get", "kv_set", "kv_set_if", "kv_delete", "kv_list", "counter_incr", "save_draft",
    "get_draft", "bundle", "bundle_inm", "logout", "reuse_revoked"};

/* The mix of kinds, in weights out of their sum. */
static const int kind_weights[MODEL_NKINDS] = {16, 12, 12, 5, 4, 14, 6, 4, 5, 7, 2, 3};

const char *model_plan_kind_name(enum model_kind k)
{
    return k < MODEL_NKINDS ? kind_names[k] : "?";
}

int model_plan_writes(enum model_kind k)
{
    return k == MODEL_SET || k == MODEL_SET_IF || k == MODEL_DELETE || k == MODEL_INCR ||
           k == MODEL_SAVE_DRAFT;
}

/* splitmix64: a seed gives the same plan on every machine. */
static unsigned long long rng_next(unsigned long long *s)
{
    unsigned long long z = (*s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static int rng_below(unsigned long long *s, int n)
{
    return n > 0 ? (int)(rng_next(s) % (unsigned long long)n) : 0;
}

/* Key names that are prefixes of one another, dotted so that a target which
 * joins sub and name with "." makes two viewers' keys collide, and the
 * longest allowed (SCOPE-1: 128 characters). */
static char *pool_name(int i)
{
    static const char *const fixed[] = {"k", "x.k", "x", "k.x", "x.x.k", NULL, "k_1", "k-2"};
    enum { NFIXED = sizeof fixed / sizeof *fixed };
    char b[140];
    if (i == 5) {
        memset(b, 'l', 128);
        b[128] = 0;
    } else if (i < NFIXED) {
        snprintf(b, sizeof b, "%s", fixed[i]);
    } else {
        snprintf(b, sizeof b, "k%d", i);
    }
    return mem_strdup(b);
}

void model_plan_key(const struct model_plan *p, const struct model_op *op, char *buf, size_t len)
{
    const char *name = op->key >= 0 && op->key < p->nnames ? p->names[op->key] : "k";
    if (!op->shared) {
        snprintf(buf, len, "personal:%s", name);
        return;
    }
    /* Shared names carry the nonce, cut to the 128 characters SCOPE-1 allows. */
    char full[300];
    snprintf(full, sizeof full, "%s.%s", p->nonce, name);
    full[128] = 0;
    snprintf(buf, len, "shared:%s", full);
}

/* Subs of the viewers: a base, the base with ".x" and ":x" (so "sub.name"
 * and "sub:name" encodings collide), a sub ending where another viewer's key
 * name begins, one without a separator, the longest allowed. */
static void make_sub(char *out, size_t len, const char *base, int i)
{
    switch (i) {
    case 0: snprintf(out, len, "%s", base); break;
    case 1: snprintf(out, len, "%s.x", base); break;
    case 2: snprintf(out, len, "%s:x", base); break;
    case 3: snprintf(out, len, "%s.x.k", base); break;
    case 4: snprintf(out, len, "%sx", base); break;
    case 5: {
        int n = snprintf(out, len, "%s.", base);
        while (n < 128 && (size_t)n + 1 < len)
            out[n++] = 'z';
        out[n] = 0;
        break;
    }
    default: snprintf(out, len, "%s.v%d", base, i); break;
    }
}

void model_plan_refresh(struct model_plan *p)
{
    static unsigned counter;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    unsigned long long mix = (unsigned long long)ts.tv_nsec ^ ((unsigned long long)ts.tv_sec << 20) ^
                             ((unsigned long long)getpid() << 40) ^ __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
    snprintf(p->nonce, sizeof p->nonce, "m%010llx", rng_next(&mix) & 0xFFFFFFFFFFULL);
    for (int i = 0; i < p->nviewers; i++)
        make_sub(p->viewers[i].sub, sizeof p->viewers[i].sub, p->nonce, i);
    for (size_t i = 0; i < p->nops; i++) {
        struct model_op *o = &p->ops[i];
        free(o->request);
        free(o->token);
        free(o->answer);
        o->request = o->token = o->answer = NULL;
        o->if_rev = -1;
        o->token_gen = 0;
        o->inm[0] = o->etag[0] = 0;
        o->t_call = o->t_ret = 0;
        o->status = 0;
    }
}

void model_plan_generate(struct model_plan *p, const struct model_plan_opts *o)
{
    unsigned long long rng = o->seed;
    int total = 0;
    for (int k = 0; k < MODEL_NKINDS; k++)
        total += kind_weights[k];
    memset(p, 0, sizeof *p);
    p->seed = o->seed;
    p->nviewers = o->viewers;
    p->nclients = o->clients;
    p->ntargets = o->targets;
    p->viewers = mem_calloc((size_t)o->viewers, sizeof *p->viewers);
    for (int i = 0; i < o->viewers; i++)
        p->viewers[i].role = i % 4 == 2 ? "READER" : "WRITER"; /* some shared writes must be refused */
    p->nnames = o->keys + 1;
    p->names = mem_calloc((size_t)p->nnames, sizeof *p->names);
    for (int i = 0; i < o->keys; i++)
        p->names[i] = pool_name(i);
    p->names[o->keys] = mem_strdup("draft");
    p->nops = (size_t)o->ops;
    p->ops = mem_calloc(p->nops, sizeof *p->ops);
    /* logged_out[c * viewers + v]: client c has revoked a token of viewer v earlier in its list */
    unsigned char *logged_out = mem_calloc((size_t)o->clients * (size_t)o->viewers, 1);
    for (size_t i = 0; i < p->nops; i++) {
        struct model_op *op = &p->ops[i];
        int r = rng_below(&rng, total), k = 0;
        while (r >= kind_weights[k])
            r -= kind_weights[k++];
        op->kind = (enum model_kind)k;
        op->client = (int)(i % (size_t)o->clients);
        op->viewer = rng_below(&rng, o->viewers);
        op->target = rng_below(&rng, o->targets);
        op->shared = rng_below(&rng, 100) < 45;
        op->key = op->shared ? rng_below(&rng, o->keys) : rng_below(&rng, p->nnames);
        op->by = 1 + (rng_below(&rng, 4) == 0 ? rng_below(&rng, 5) : 0);
        op->str_value = rng_below(&rng, 10) == 0;
        op->bump_rev = rng_below(&rng, 5) == 0;
        op->if_rev = -1;
        if (op->kind == MODEL_REUSE) {
            /* a reuse presents a token this client revoked: pick among the viewers it logged out */
            int n = 0;
            for (int v = 0; v < o->viewers; v++)
                n += logged_out[op->client * o->viewers + v];
            int pick = rng_below(&rng, n);
            for (int v = 0; v < o->viewers; v++)
                if (logged_out[op->client * o->viewers + v] && pick-- == 0)
                    op->viewer = v;
            if (!n)
                op->kind = MODEL_GET;
        }
        unsigned char *lo = &logged_out[op->client * o->viewers + op->viewer];
        if (op->kind == MODEL_LOGOUT)
            *lo = 1;
        if (op->kind == MODEL_SAVE_DRAFT || op->kind == MODEL_GET_DRAFT || op->kind == MODEL_BUNDLE ||
            op->kind == MODEL_BUNDLE_INM) {
            op->shared = 0;
            op->key = p->nnames - 1;
        }
        if (op->kind == MODEL_LOGOUT)
            op->key = -1;
        if (op->kind == MODEL_REUSE)
            op->shared = 0;
    }
    free(logged_out);
    model_plan_refresh(p);
}

void model_plan_copy(struct model_plan *dst, const struct model_plan *p, const unsigned char *keep)
{
    memset(dst, 0, sizeof *dst);
    dst->seed = p->seed;
    dst->nviewers = p->nviewers;
    dst->nclients = p->nclients;
    dst->ntargets = p->ntargets;
    dst->viewers = mem_array(NULL, (size_t)p->nviewers, sizeof *dst->viewers);
    memcpy(dst->viewers, p->viewers, (size_t)p->nviewers * sizeof *dst->viewers);
    dst->nnames = p->nnames;
    dst->names = mem_calloc((size_t)p->nnames, sizeof *dst->names);
    for (int i = 0; i < p->nnames; i++)
        dst->names[i] = mem_strdup(p->names[i]);
    dst->ops = mem_calloc(p->nops ? p->nops : 1, sizeof *dst->ops);
    for (size_t i = 0; i < p->nops; i++)
        if (!keep || keep[i]) {
            struct model_op *o = &dst->ops[dst->nops++];
            *o = p->ops[i];
            o->request = o->request ? mem_strdup(o->request) : NULL;
            o->token = o->token ? mem_strdup(o->token) : NULL;
            o->answer = o->answer ? mem_strdup(o->answer) : NULL;
        }
    memcpy(dst->nonce, p->nonce, sizeof dst->nonce);
}

void model_plan_clear(struct model_plan *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nops; i++) {
        free(p->ops[i].request);
        free(p->ops[i].token);
        free(p->ops[i].answer);
    }
    free(p->ops);
    for (int i = 0; i < p->nnames; i++)
        free(p->names[i]);
    free(p->names);
    free(p->viewers);
    memset(p, 0, sizeof *p);
}
