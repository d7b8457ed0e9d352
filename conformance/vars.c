/* vars.c: captured and built-in variables and their substitution (see vars.h). */
#include "vars.h"
#include "mem.h"
#include "strbuf.h"
#include "jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct var {
    char *name;
    cJSON *value;
};

struct vars {
    struct var *v;
    size_t n, cap;
    vars_builtin_fn builtin;
    void *ctx;
};

struct vars *vars_new(vars_builtin_fn builtin, void *ctx)
{
    struct vars *v = mem_calloc(1, sizeof *v);
    v->builtin = builtin;
    v->ctx = ctx;
    return v;
}

void vars_free(struct vars *v)
{
    if (!v)
        return;
    for (size_t i = 0; i < v->n; i++) {
        free(v->v[i].name);
        cJSON_Delete(v->v[i].value);
    }
    free(v->v);
    free(v);
}

static struct var *find(struct vars *v, const char *name)
{
    for (size_t i = 0; i < v->n; i++)
        if (!strcmp(v->v[i].name, name))
            return &v->v[i];
    return NULL;
}

static void put(struct vars *v, const char *name, cJSON *owned)
{
    struct var *e = find(v, name);
    if (e) {
        cJSON_Delete(e->value);
        e->value = owned;
        return;
    }
    v->v = mem_grow(v->v, &v->cap, v->n, sizeof *v->v);
    v->v[v->n].name = mem_strdup(name);
    v->v[v->n].value = owned;
    v->n++;
}

int vars_set(struct vars *v, const char *name, const cJSON *value)
{
    cJSON *c = cJSON_Duplicate(value, 1);
    if (!c)
        return -1;
    put(v, name, c);
    return 0;
}

const cJSON *vars_get(struct vars *v, const char *name)
{
    struct var *e = find(v, name);
    if (e)
        return e->value;
    if (!v->builtin)
        return NULL;
    char *s = v->builtin(v->ctx, name);
    if (!s)
        return NULL;
    cJSON *c = cJSON_CreateString(s);
    free(s);
    if (!c)
        return NULL;
    put(v, name, c);
    return find(v, name)->value;
}

/* Copies the name of a ${...} starting at s (on '$'); returns its length or 0. */
static size_t ref_name(const char *s, char *name, size_t cap)
{
    if (s[0] != '$' || s[1] != '{')
        return 0;
    const char *e = strchr(s + 2, '}');
    if (!e || (size_t)(e - s - 2) >= cap || e == s + 2)
        return 0;
    memcpy(name, s + 2, (size_t)(e - s - 2));
    name[e - s - 2] = '\0';
    return (size_t)(e - s) + 1;
}

char *vars_subst_string(struct vars *v, const char *s, char *err, size_t errlen)
{
    if (!strstr(s, "${"))
        return mem_strdup(s);
    struct strbuf out = {0};
    while (*s) {
        char name[256];
        size_t rl = ref_name(s, name, sizeof name);
        if (!rl) {
            strbuf_putc(&out, *s++);
            continue;
        }
        const cJSON *val = vars_get(v, name);
        if (!val) {
            snprintf(err, errlen, "unknown variable ${%s}", name);
            strbuf_free(&out);
            return NULL;
        }
        if (cJSON_IsString(val)) {
            strbuf_puts(&out, val->valuestring);
        } else {
            char *json = jsonx_print(val);
            strbuf_puts(&out, json);
            free(json);
        }
        s += rl;
    }
    return strbuf_take(&out);
}

cJSON *vars_subst_json(struct vars *v, const cJSON *t, char *err, size_t errlen)
{
    if (cJSON_IsString(t)) {
        char name[256];
        size_t rl = ref_name(t->valuestring, name, sizeof name);
        if (rl && rl == strlen(t->valuestring)) {
            const cJSON *val = vars_get(v, name);
            if (!val) {
                snprintf(err, errlen, "unknown variable ${%s}", name);
                return NULL;
            }
            return cJSON_Duplicate(val, 1);
        }
        char *s = vars_subst_string(v, t->valuestring, err, errlen);
        if (!s)
            return NULL;
        cJSON *r = cJSON_CreateString(s);
        free(s);
        return r;
    }
    if (cJSON_IsArray(t) || cJSON_IsObject(t)) {
        cJSON *r = cJSON_IsArray(t) ? cJSON_CreateArray() : cJSON_CreateObject();
        for (const cJSON *c = t->child; c; c = c->next) {
            cJSON *x = vars_subst_json(v, c, err, errlen);
            if (!x) {
                cJSON_Delete(r);
                return NULL;
            }
            if (cJSON_IsArray(t))
                cJSON_AddItemToArray(r, x);
            else
                cJSON_AddItemToObject(r, c->string, x);
        }
        return r;
    }
    return cJSON_Duplicate(t, 1);
}

int vars_mentioned(const cJSON *t)
{
    if (cJSON_IsString(t))
        return strstr(t->valuestring, "${") != NULL;
    for (const cJSON *c = t && (cJSON_IsArray(t) || cJSON_IsObject(t)) ? t->child : NULL; c; c = c->next)
        if (vars_mentioned(c))
            return 1;
    return 0;
}
