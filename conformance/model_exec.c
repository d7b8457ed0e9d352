/* model_exec.c: the clients of a model run, one thread each, and the tokens
 * they hold: per client and viewer, a fresh jti after every logout. */
#include "model_exec.h"
#include "http.h"
#include "mem.h"
#include "strbuf.h"
#include "token.h"

#include <cjson/cJSON.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct exec_shared {
    struct model_plan *p;
    const struct model_exec_opts *o;
    struct timespec t0;
    long now;
    pthread_mutex_t lock;
    char error[300]; /* the first minting failure */
};

struct exec_client {
    struct exec_shared *x;
    int c;
};

static long long since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)(t.tv_sec - t0->tv_sec) * 1000000000LL + (t.tv_nsec - t0->tv_nsec);
}

static char *mint(struct exec_shared *x, int client, int viewer, int gen)
{
    const struct model_viewer *v = &x->p->viewers[viewer];
    char jti[80], err[256];
    snprintf(jti, sizeof jti, "j%s.c%d.v%d.g%d", x->p->nonce, client, viewer, gen);
    cJSON *identity = cJSON_CreateObject();
    cJSON_AddStringToObject(identity, "role", v->role);
    char *t = token_mint(identity, v->sub, jti, x->o->secret, x->now, err, sizeof err);
    cJSON_Delete(identity);
    if (!t) {
        pthread_mutex_lock(&x->lock);
        if (!x->error[0])
            snprintf(x->error, sizeof x->error, "minting a token: %s", err);
        pthread_mutex_unlock(&x->lock);
    }
    return t;
}

static const char *fn_of(enum model_kind k)
{
    switch (k) {
    case MODEL_GET: case MODEL_REUSE: return "kv_get";
    case MODEL_SET: case MODEL_SET_IF: return "kv_set";
    case MODEL_DELETE: return "kv_delete";
    case MODEL_LIST: return "kv_list";
    case MODEL_INCR: return "counter_incr";
    case MODEL_SAVE_DRAFT: return "save_draft";
    case MODEL_GET_DRAFT: return "get_draft";
    case MODEL_LOGOUT: return "logout";
    default: return NULL;
    }
}

/* The JSON body of op (index i of the plan: written values are named by it). */
static char *body_of(const struct model_plan *p, const struct model_op *op, size_t i)
{
    char key[300];
    model_plan_key(p, op, key, sizeof key);
    cJSON *b = cJSON_CreateObject();
    switch (op->kind) {
    case MODEL_GET: case MODEL_REUSE: case MODEL_DELETE:
        cJSON_AddStringToObject(b, "key", key);
        break;
    case MODEL_SET: case MODEL_SET_IF: {
        cJSON_AddStringToObject(b, "key", key);
        char s[32];
        snprintf(s, sizeof s, "s%zu", i + 1);
        if (op->str_value)
            cJSON_AddStringToObject(b, "value", s);
        else
            cJSON_AddNumberToObject(b, "value", (double)(i + 1) * 1000000.0);
        if (op->kind == MODEL_SET_IF)
            cJSON_AddNumberToObject(b, "if_rev", (double)op->if_rev);
        break;
    }
    case MODEL_LIST:
        cJSON_AddStringToObject(b, "scope", op->shared ? "shared" : "personal");
        break;
    case MODEL_INCR:
        cJSON_AddStringToObject(b, "key", key);
        cJSON_AddNumberToObject(b, "by", op->by);
        break;
    case MODEL_SAVE_DRAFT: {
        char s[32];
        snprintf(s, sizeof s, "d%zu", i + 1);
        cJSON_AddStringToObject(b, "body", s);
        break;
    }
    default:
        break;
    }
    char *text = cJSON_PrintUnformatted(b);
    cJSON_Delete(b);
    return text;
}

void model_exec_request(const struct model_op *op, const char *base,
                        char *url, char hdr[3][1200], const char *hdrs[3], size_t *nh)
{
    const char *fn = fn_of(op->kind);
    if (fn)
        snprintf(url, 1200, "%s/call/%s", base, fn);
    else
        snprintf(url, 1200, "%s/context/user", base);
    *nh = 0;
    if (fn) {
        snprintf(hdr[*nh], 1200, "Content-Type: application/json");
        hdrs[*nh] = hdr[*nh];
        (*nh)++;
    }
    snprintf(hdr[*nh], 1200, "Authorization: Bearer %s", op->token ? op->token : "");
    hdrs[*nh] = hdr[*nh];
    (*nh)++;
    if (op->inm[0]) {
        snprintf(hdr[*nh], 1200, "If-None-Match: %s", op->inm);
        hdrs[*nh] = hdr[*nh];
        (*nh)++;
    }
}

/* The rev an answer shows, or -1. */
static long long answer_rev(const char *body)
{
    cJSON *j = cJSON_Parse(body ? body : "");
    const cJSON *rev = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, "result"), "rev");
    long long r = cJSON_IsNumber(rev) ? (long long)rev->valuedouble : -1;
    cJSON_Delete(j);
    return r;
}

static void *client_main(void *arg)
{
    struct exec_client *ec = arg;
    struct exec_shared *x = ec->x;
    struct model_plan *p = x->p;
    int nv = p->nviewers, nn = p->nnames;
    int *gen = mem_calloc((size_t)nv, sizeof *gen), *logout_target = mem_calloc((size_t)nv, sizeof *logout_target);
    char **tok = mem_calloc((size_t)nv, sizeof *tok), **old = mem_calloc((size_t)nv, sizeof *old);
    long long *seen_rev = mem_calloc((size_t)nv * (size_t)nn * 2, sizeof *seen_rev);
    char (*tag)[MODEL_TAG_MAX] = mem_calloc((size_t)nv, sizeof *tag);
    struct http_client *hc = http_client_new(x->o->timeout_ms);

    for (size_t i = 0; hc && i < p->nops; i++) {
        struct model_op *op = &p->ops[i];
        if (op->client != ec->c)
            continue;
        int v = op->viewer;
        if (!tok[v] && !(tok[v] = mint(x, ec->c, v, gen[v])))
            break;
        long long *rev = op->key >= 0 ? &seen_rev[((size_t)v * (size_t)nn + (size_t)op->key) * 2 + (size_t)op->shared] : NULL;
        const char *use = tok[v];
        op->token_gen = gen[v];
        if (op->kind == MODEL_REUSE && old[v]) {
            use = old[v];
            op->token_gen = gen[v] - 1;
            if (p->ntargets > 1)
                op->target = (logout_target[v] + 1) % p->ntargets;
        }
        if (op->kind == MODEL_SET_IF)
            op->if_rev = *rev + (op->bump_rev ? 1 : 0);
        if (op->kind == MODEL_BUNDLE_INM)
            snprintf(op->inm, sizeof op->inm, "%s", tag[v][0] ? tag[v] : "\"none\"");
        op->token = mem_strdup(use);
        op->request = fn_of(op->kind) ? body_of(p, op, i) : NULL;

        char url[1200], hdr[3][1200];
        const char *hdrs[3];
        size_t nh;
        model_exec_request(op, x->o->targets[op->target], url, hdr, hdrs, &nh);
        struct http_request rq = {.method = op->request ? "POST" : "GET", .url = url, .headers = hdrs,
                                  .nheaders = nh, .body = op->request,
                                  .body_len = op->request ? strlen(op->request) : 0};
        struct http_response rs = {0};
        op->t_call = since(&x->t0);
        http_do(hc, &rq, &rs);
        op->t_ret = since(&x->t0);
        op->status = rs.status;
        op->answer = rs.body ? mem_strndup(rs.body, rs.body_len) : mem_strdup("");
        char *etag = http_header(&rs, "etag");
        if (etag)
            snprintf(op->etag, sizeof op->etag, "%s", etag);
        free(etag);
        http_response_clear(&rs);

        if (op->status == 200 && rev && (op->kind == MODEL_GET || op->kind == MODEL_SET ||
                                          op->kind == MODEL_SET_IF)) {
            long long r = answer_rev(op->answer);
            if (r >= 0)
                *rev = r;
        }
        if (op->status == 200 && op->kind == MODEL_DELETE)
            *rev = 0;
        if (op->status == 200 && (op->kind == MODEL_BUNDLE || op->kind == MODEL_BUNDLE_INM) && op->etag[0])
            snprintf(tag[v], sizeof tag[v], "%s", op->etag);
        if (op->kind == MODEL_LOGOUT) {
            /* whatever the answer, the token may be revoked: the next ops get a new one */
            free(old[v]);
            old[v] = tok[v];
            tok[v] = NULL;
            gen[v]++;
            logout_target[v] = op->target;
        }
    }
    for (int v = 0; v < nv; v++) {
        free(tok[v]);
        free(old[v]);
    }
    http_client_free(hc);
    free(gen);
    free(logout_target);
    free(tok);
    free(old);
    free(seen_rev);
    free(tag);
    return NULL;
}

int model_exec_run(struct model_plan *p, const struct model_exec_opts *o, char *err, size_t errlen)
{
    struct exec_shared x = {.p = p, .o = o, .now = (long)time(NULL)};
    pthread_mutex_init(&x.lock, NULL);
    clock_gettime(CLOCK_MONOTONIC, &x.t0);
    pthread_t *th = mem_calloc((size_t)p->nclients, sizeof *th);
    struct exec_client *ec = mem_calloc((size_t)p->nclients, sizeof *ec);
    int started = 0;
    for (int c = 0; c < p->nclients; c++) {
        ec[c] = (struct exec_client){&x, c};
        if (pthread_create(&th[c], NULL, client_main, &ec[c])) {
            snprintf(x.error, sizeof x.error, "could not start client thread %d", c);
            break;
        }
        started++;
    }
    for (int c = 0; c < started; c++)
        pthread_join(th[c], NULL);
    free(th);
    free(ec);
    pthread_mutex_destroy(&x.lock);
    if (x.error[0]) {
        snprintf(err, errlen, "%s", x.error);
        return -1;
    }
    return 0;
}

int model_exec_health(const struct model_exec_opts *o, int ntargets, char *err, size_t errlen)
{
    struct http_client *hc = http_client_new(o->timeout_ms);
    int rc = hc ? 0 : -1;
    if (!hc)
        snprintf(err, errlen, "could not create an HTTP client");
    for (int t = 0; hc && t < ntargets && !rc; t++) {
        char url[1200];
        snprintf(url, sizeof url, "%s/health", o->targets[t]);
        struct http_request rq = {.method = "GET", .url = url};
        struct http_response rs = {0};
        if (http_do(hc, &rq, &rs) || rs.status != 200) {
            snprintf(err, errlen, "%s: %s", url, rs.status ? "GET /health did not answer 200" : rs.error);
            rc = -1;
        }
        http_response_clear(&rs);
    }
    http_client_free(hc);
    return rc;
}
