/* model_case.c: replaying a model history through the sequential model to
 * write it as a fixture case. */
#include "model_case.h"
#include "mem.h"
#include "strbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One key's sequential state; value is the JSON text written, NULL when absent. */
struct case_key {
    char *name;   /* full key as the case writes it */
    int viewer;   /* -1: shared */
    char *value;
    long long rev;
};

struct case_sim {
    struct case_key *k;
    size_t n, cap;
    unsigned char *revoked; /* per identity index */
    unsigned char *tag_taken;   /* per viewer: a tag was captured */
    char **tag_draft;           /* per viewer: the draft the captured tag names (tags cover results) */
};

static struct case_key *sim_key(struct case_sim *s, const char *name, int viewer)
{
    for (size_t i = 0; i < s->n; i++)
        if (s->k[i].viewer == viewer && !strcmp(s->k[i].name, name))
            return &s->k[i];
    s->k = mem_grow(s->k, &s->cap, s->n, sizeof *s->k);
    s->k[s->n] = (struct case_key){mem_strdup(name), viewer, NULL, 0};
    return &s->k[s->n++];
}

static void ident_name(char *buf, size_t len, const struct model_op *o, int gen)
{
    snprintf(buf, len, "v%d_c%d_g%d", o->viewer, o->client, gen);
}

static const char *fn_of(enum model_kind k)
{
    static const char *const fns[MODEL_NKINDS] = {"kv_get", "kv_set", "kv_set", "kv_delete", "kv_list",
                                                  "counter_incr", "save_draft", "get_draft", NULL, NULL,
                                                  "logout", "kv_get"};
    return fns[k];
}

static cJSON *result_expect(cJSON *result, const char *invalidate)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddItemToObject(e, "result", result);
    cJSON_AddItemToObject(e, "invalidate", cJSON_Parse(invalidate));
    return e;
}

static cJSON *error_expect(const char *code)
{
    cJSON *e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "error", code);
    return e;
}

static const char *const WRITE_INV = "[\"context:user\",\"function:kv_get\",\"function:kv_list\"]";

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The step of op, its expectation from the model; NULL when it has none. */
static cJSON *step_of(const struct model_plan *p, const struct model_op *o, struct case_sim *s, int ident_index)
{
    char ident[64], key[300] = "";
    ident_name(ident, sizeof ident, o, o->token_gen);
    cJSON *body = o->request ? cJSON_Parse(o->request) : NULL;
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(body, "key");
    if (cJSON_IsString(k)) {
        if (o->shared) {
            const char *name = strchr(k->valuestring, '.');
            snprintf(key, sizeof key, "shared:${run}.%.100s", name ? name + 1 : "k");
        } else {
            snprintf(key, sizeof key, "%s", k->valuestring);
        }
        cJSON_ReplaceItemInObjectCaseSensitive(body, "key", cJSON_CreateString(key));
    }
    cJSON *step = cJSON_CreateObject(), *rq = cJSON_AddObjectToObject(step, "request");
    cJSON *expect = NULL;
    const char *fn = fn_of(o->kind);
    if (fn) {
        cJSON_AddStringToObject(rq, "call", fn);
        cJSON_AddStringToObject(rq, "identity", ident);
        cJSON_AddItemToObject(rq, "json", body ? body : cJSON_CreateObject());
    } else {
        cJSON_Delete(body);
        cJSON_AddStringToObject(rq, "method", "GET");
        cJSON_AddStringToObject(rq, "path", "/context/user");
        cJSON_AddStringToObject(rq, "identity", ident);
    }
    const char *role = p->viewers[o->viewer].role;
    int viewer = o->shared ? -1 : o->viewer;
    struct case_key *ck = key[0] ? sim_key(s, key, viewer) : NULL;
    if (s->revoked[ident_index]) {
        expect = error_expect("token_revoked");
    } else if (o->shared && model_plan_writes(o->kind) && strcmp(role, "WRITER")) {
        expect = error_expect("forbidden");
    } else {
        cJSON *r = cJSON_CreateObject();
        const char *inv = "[]";
        switch (o->kind) {
        case MODEL_GET: case MODEL_REUSE:
            cJSON_AddStringToObject(r, "key", key);
            cJSON_AddItemToObject(r, "value", ck->value ? cJSON_Parse(ck->value) : cJSON_CreateNull());
            cJSON_AddNumberToObject(r, "rev", (double)ck->rev);
            break;
        case MODEL_SET: case MODEL_SET_IF: {
            const cJSON *ifr = cJSON_GetObjectItemCaseSensitive(rq, "json");
            ifr = cJSON_GetObjectItemCaseSensitive(ifr, "if_rev");
            if (ifr && (long long)ifr->valuedouble != ck->rev) {
                cJSON_Delete(r);
                r = NULL;
                expect = error_expect("conflict");
                break;
            }
            char *v = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rq, "json"), "value"));
            free(ck->value);
            ck->value = v;
            ck->rev++;
            cJSON_AddStringToObject(r, "key", key);
            cJSON_AddNumberToObject(r, "rev", (double)ck->rev);
            inv = WRITE_INV;
            break;
        }
        case MODEL_DELETE:
            cJSON_AddStringToObject(r, "key", key);
            cJSON_AddBoolToObject(r, "deleted", ck->value != NULL);
            free(ck->value);
            ck->value = NULL;
            ck->rev = 0;
            inv = WRITE_INV;
            break;
        case MODEL_INCR: {
            cJSON *cur = ck->value ? cJSON_Parse(ck->value) : NULL;
            if (cur && !cJSON_IsNumber(cur)) {
                cJSON_Delete(cur);
                cJSON_Delete(r);
                r = NULL;
                expect = error_expect("conflict");
                break;
            }
            long long v = (cur ? (long long)cur->valuedouble : 0) + o->by;
            cJSON_Delete(cur);
            char b[32];
            snprintf(b, sizeof b, "%lld", v);
            free(ck->value);
            ck->value = mem_strdup(b);
            ck->rev++;
            cJSON_AddStringToObject(r, "key", key);
            cJSON_AddNumberToObject(r, "value", (double)v);
            inv = "[\"function:kv_get\",\"function:kv_list\"]";
            break;
        }
        case MODEL_LIST: {
            if (o->shared) {
                /* other runs' shared keys are listed too: only the status is known */
                cJSON_Delete(r);
                r = NULL;
                expect = cJSON_CreateObject();
                cJSON_AddNumberToObject(expect, "status", 200);
                break;
            }
            char **names = mem_array(NULL, s->n ? s->n : 1, sizeof *names);
            size_t nn = 0;
            for (size_t i = 0; i < s->n; i++)
                if (s->k[i].viewer == o->viewer && s->k[i].value)
                    names[nn++] = s->k[i].name;
            qsort(names, nn, sizeof *names, cmp_str);
            cJSON *a = cJSON_AddArrayToObject(r, "keys");
            for (size_t i = 0; i < nn; i++)
                cJSON_AddItemToArray(a, cJSON_CreateString(names[i]));
            free(names);
            break;
        }
        case MODEL_SAVE_DRAFT: {
            struct case_key *d = sim_key(s, "personal:draft", o->viewer);
            free(d->value);
            d->value = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rq, "json"), "body"));
            d->rev++;
            cJSON_AddBoolToObject(r, "saved", 1);
            inv = "[\"context:user\"]";
            break;
        }
        case MODEL_GET_DRAFT: case MODEL_BUNDLE: case MODEL_BUNDLE_INM: {
            struct case_key *d = sim_key(s, "personal:draft", o->viewer);
            cJSON *dv = d->value ? cJSON_Parse(d->value) : NULL;
            const char *draft = cJSON_IsString(dv) ? dv->valuestring : "";
            if (o->kind == MODEL_GET_DRAFT) {
                cJSON_AddStringToObject(r, "draft", draft);
                cJSON_Delete(dv);
                break;
            }
            cJSON_Delete(r);
            r = NULL;
            char var[32];
            snprintf(var, sizeof var, "tag_v%d", o->viewer);
            expect = cJSON_CreateObject();
            if (o->kind == MODEL_BUNDLE_INM && s->tag_taken[o->viewer]) {
                char ref[48];
                snprintf(ref, sizeof ref, "${%s}", var);
                cJSON_AddStringToObject(cJSON_AddObjectToObject(rq, "headers"), "If-None-Match", ref);
            }
            int current = s->tag_taken[o->viewer] && !strcmp(s->tag_draft[o->viewer], draft);
            if (o->kind == MODEL_BUNDLE_INM && current) {
                cJSON_AddNumberToObject(expect, "status", 304);
                cJSON_AddStringToObject(expect, "body_text", "");
            } else {
                cJSON_AddNumberToObject(expect, "status", 200);
                cJSON *b = cJSON_AddObjectToObject(expect, "body");
                cJSON_AddStringToObject(b, "context", "user");
                cJSON *data = cJSON_AddObjectToObject(b, "data");
                cJSON_AddStringToObject(cJSON_AddObjectToObject(data, "get_draft"), "draft", draft);
                cJSON *who = cJSON_AddObjectToObject(data, "whoami");
                char sub[80];
                ident_name(ident, sizeof ident, o, 0);
                snprintf(sub, sizeof sub, "${sub:%s}", ident);
                cJSON_AddStringToObject(who, "sub", sub);
                cJSON_AddStringToObject(who, "role", role);
                cJSON *cap = cJSON_AddObjectToObject(step, "capture");
                cJSON_AddStringToObject(cJSON_AddObjectToObject(cap, var), "header", "ETag");
                s->tag_taken[o->viewer] = 1;
                free(s->tag_draft[o->viewer]);
                s->tag_draft[o->viewer] = mem_strdup(draft);
            }
            cJSON_Delete(dv);
            break;
        }
        case MODEL_LOGOUT:
            cJSON_AddBoolToObject(r, "revoked", 1);
            s->revoked[ident_index] = 1;
            break;
        default:
            break;
        }
        if (r)
            expect = result_expect(r, inv);
    }
    cJSON_AddItemToObject(step, "expect", expect);
    char name[80];
    snprintf(name, sizeof name, "op %zu: %s", (size_t)(o - p->ops), model_plan_kind_name(o->kind));
    cJSON_AddStringToObject(step, "name", name);
    return step;
}

cJSON *model_case_build(const struct model_plan *p, const struct model_check *c)
{
    size_t *order = mem_array(NULL, p->nops ? p->nops : 1, sizeof *order);
    for (size_t i = 0; i < p->nops; i++)
        order[i] = i;
    for (size_t i = 1; i < p->nops; i++)
        for (size_t j = i; j > 0 && p->ops[order[j - 1]].t_call > p->ops[order[j]].t_call; j--) {
            size_t t = order[j];
            order[j] = order[j - 1];
            order[j - 1] = t;
        }
    cJSON *suite = cJSON_CreateObject();
    char id[64], title[160];
    snprintf(id, sizeof id, "model-seed-%llu", p->seed);
    cJSON_AddStringToObject(suite, "suite", id);
    cJSON_AddStringToObject(suite, "area", "ROB");
    snprintf(title, sizeof title, "a history of conformance model --seed %llu, replayed one operation at a time", p->seed);
    cJSON_AddStringToObject(suite, "title", title);
    cJSON *identities = cJSON_AddObjectToObject(suite, "identities");
    /* Identities: one per (viewer, client, token); the first of a viewer owns its sub. */
    char **first = mem_calloc((size_t)p->nviewers, sizeof *first);
    char **names = mem_calloc(p->nops ? p->nops : 1, sizeof *names);
    size_t nnames = 0;
    int *ident_of = mem_array(NULL, p->nops ? p->nops : 1, sizeof *ident_of);
    for (size_t k = 0; k < p->nops; k++) {
        const struct model_op *o = &p->ops[order[k]];
        char n[64];
        ident_name(n, sizeof n, o, o->token_gen);
        size_t at = 0;
        while (at < nnames && strcmp(names[at], n))
            at++;
        if (at == nnames) {
            names[nnames++] = mem_strdup(n);
            cJSON *idn = cJSON_AddObjectToObject(identities, n);
            cJSON_AddStringToObject(idn, "role", p->viewers[o->viewer].role);
            /* A viewer's first identity in call order is some client's gen-0 token (a later
               gen follows that client's logout): it owns the sub. */
            if (!first[o->viewer]) {
                first[o->viewer] = mem_strdup(n);
            } else {
                cJSON_AddStringToObject(idn, "same_sub_as", first[o->viewer]);
            }
        }
        ident_of[order[k]] = (int)at;
    }
    /* The bundle's whoami names the viewer's owner identity, gen 0 of the op's client: make
       every v<V>_c<C>_g0 exist as a same-sub identity. */
    for (size_t k = 0; k < p->nops; k++) {
        const struct model_op *o = &p->ops[order[k]];
        char base[64];
        ident_name(base, sizeof base, o, 0);
        if (!cJSON_GetObjectItemCaseSensitive(identities, base)) {
            cJSON *idn = cJSON_AddObjectToObject(identities, base);
            cJSON_AddStringToObject(idn, "role", p->viewers[o->viewer].role);
            cJSON_AddStringToObject(idn, "same_sub_as", first[o->viewer]);
        }
    }
    cJSON *cases = cJSON_AddArrayToObject(suite, "cases");
    cJSON *kase = cJSON_CreateObject();
    snprintf(id, sizeof id, "model.seed-%llu", p->seed);
    cJSON_AddStringToObject(kase, "id", id);
    cJSON_AddStringToObject(kase, "title", title);
    cJSON *reqs = cJSON_AddArrayToObject(kase, "requirements");
    for (size_t i = 0; i < c->n; i++) {
        int dup = 0;
        for (size_t j = 0; j < i; j++)
            dup |= !strcmp(c->v[i].requirement, c->v[j].requirement);
        if (!dup)
            cJSON_AddItemToArray(reqs, cJSON_CreateString(c->v[i].requirement));
    }
    if (!c->n)
        cJSON_AddItemToArray(reqs, cJSON_CreateString("ROB-2"));
    cJSON_AddStringToObject(kase, "level", "core");
    cJSON *steps = cJSON_AddArrayToObject(kase, "steps");
    struct case_sim s = {.revoked = mem_calloc(nnames ? nnames : 1, 1),
                         .tag_taken = mem_calloc((size_t)p->nviewers, 1),
                         .tag_draft = mem_calloc((size_t)p->nviewers, sizeof(char *))};
    for (size_t k = 0; k < p->nops; k++)
        cJSON_AddItemToArray(steps, step_of(p, &p->ops[order[k]], &s, ident_of[order[k]]));
    cJSON_AddItemToArray(cases, kase);
    for (size_t i = 0; i < s.n; i++) {
        free(s.k[i].name);
        free(s.k[i].value);
    }
    free(s.k);
    free(s.revoked);
    for (int v = 0; v < p->nviewers; v++)
        free(s.tag_draft[v]);
    free(s.tag_draft);
    free(s.tag_taken);
    for (int v = 0; v < p->nviewers; v++)
        free(first[v]);
    free(first);
    for (size_t i = 0; i < nnames; i++)
        free(names[i]);
    free(names);
    free(ident_of);
    free(order);
    return suite;
}
