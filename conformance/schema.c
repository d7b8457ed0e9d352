/* schema.c: JSON Schema subset validation (run-wide CALL-5/SCH-3 checks) and SCH-4 canonical diff. */
#include "schema.h"
#include "mem.h"
#include "jpath.h"
#include "jsonx.h"
#include "utf8.h"
#include "rx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int type_is(const char *t, const cJSON *v)
{
    if (!strcmp(t, "null")) return cJSON_IsNull(v);
    if (!strcmp(t, "boolean")) return cJSON_IsBool(v);
    if (!strcmp(t, "integer")) return jsonx_is_integer(v);
    if (!strcmp(t, "number")) return cJSON_IsNumber(v);
    if (!strcmp(t, "string")) return cJSON_IsString(v);
    if (!strcmp(t, "array")) return cJSON_IsArray(v);
    if (!strcmp(t, "object")) return cJSON_IsObject(v);
    return 0;
}

static int violated(const char *path, const char *kw, const cJSON *arg, const cJSON *v, char *msg, size_t msglen)
{
    char *a = jsonx_print_short(arg, 120), *x = jsonx_print_short(v, 120);
    snprintf(msg, msglen, "%s: schema keyword %s (%s) violated by %s", path, kw, a, x);
    free(a);
    free(x);
    return 0;
}

int schema_validate(const cJSON *schema, const cJSON *v, const char *path, char *msg, size_t msglen)
{
    if (!cJSON_IsObject(schema))
        return 1;
    const cJSON *k;
    if ((k = cJSON_GetObjectItemCaseSensitive(schema, "type"))) {
        int ok = 0;
        if (cJSON_IsString(k))
            ok = type_is(k->valuestring, v);
        for (const cJSON *t = cJSON_IsArray(k) ? k->child : NULL; t && !ok; t = t->next)
            ok = cJSON_IsString(t) && type_is(t->valuestring, v);
        if (!ok)
            return violated(path, "type", k, v, msg, msglen);
    }
    if ((k = cJSON_GetObjectItemCaseSensitive(schema, "const")) && !jsonx_equal(k, v))
        return violated(path, "const", k, v, msg, msglen);
    if ((k = cJSON_GetObjectItemCaseSensitive(schema, "enum")) && cJSON_IsArray(k)) {
        int ok = 0;
        for (const cJSON *e = k->child; e && !ok; e = e->next)
            ok = jsonx_equal(e, v);
        if (!ok)
            return violated(path, "enum", k, v, msg, msglen);
    }
    if (cJSON_IsNumber(v)) {
        if ((k = cJSON_GetObjectItemCaseSensitive(schema, "minimum")) && cJSON_IsNumber(k) &&
            v->valuedouble < k->valuedouble)
            return violated(path, "minimum", k, v, msg, msglen);
        if ((k = cJSON_GetObjectItemCaseSensitive(schema, "maximum")) && cJSON_IsNumber(k) &&
            v->valuedouble > k->valuedouble)
            return violated(path, "maximum", k, v, msg, msglen);
    }
    if (cJSON_IsString(v)) {
        size_t n = utf8_count(v->valuestring);
        if ((k = cJSON_GetObjectItemCaseSensitive(schema, "minLength")) && cJSON_IsNumber(k) &&
            (double)n < k->valuedouble)
            return violated(path, "minLength", k, v, msg, msglen);
        if ((k = cJSON_GetObjectItemCaseSensitive(schema, "maxLength")) && cJSON_IsNumber(k) &&
            (double)n > k->valuedouble)
            return violated(path, "maxLength", k, v, msg, msglen);
        if ((k = cJSON_GetObjectItemCaseSensitive(schema, "pattern")) && cJSON_IsString(k)) {
            char err[200];
            int r = rx_search(k->valuestring, v->valuestring, err, sizeof err);
            if (r < 0) {
                snprintf(msg, msglen, "%s: schema keyword pattern cannot be checked: %s", path, err);
                return 0;
            }
            if (!r)
                return violated(path, "pattern", k, v, msg, msglen);
        }
    }
    if (cJSON_IsArray(v) && (k = cJSON_GetObjectItemCaseSensitive(schema, "items")) && cJSON_IsObject(k)) {
        int i = 0;
        for (const cJSON *e = v->child; e; e = e->next, i++) {
            char *p = jpath_index(path, i);
            int ok = schema_validate(k, e, p, msg, msglen);
            free(p);
            if (!ok)
                return 0;
        }
    }
    if (cJSON_IsObject(v)) {
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
        if ((k = cJSON_GetObjectItemCaseSensitive(schema, "required")) && cJSON_IsArray(k))
            for (const cJSON *r = k->child; r; r = r->next)
                if (cJSON_IsString(r) && !cJSON_GetObjectItemCaseSensitive(v, r->valuestring)) {
                    char *p = jpath_key(path, r->valuestring);
                    snprintf(msg, msglen, "%s: schema keyword required (%s) violated: the key is absent", p,
                             r->valuestring);
                    free(p);
                    return 0;
                }
        const cJSON *addl = cJSON_GetObjectItemCaseSensitive(schema, "additionalProperties");
        for (const cJSON *m = v->child; m; m = m->next) {
            const cJSON *ps = cJSON_GetObjectItemCaseSensitive(props, m->string);
            char *p = jpath_key(path, m->string);
            int ok = 1;
            if (ps) {
                ok = schema_validate(ps, m, p, msg, msglen);
            } else if (cJSON_IsFalse(addl)) {
                char *x = jsonx_print_short(m, 120);
                snprintf(msg, msglen, "%s: schema keyword additionalProperties (false) violated by the extra key (value %s)", p, x);
                free(x);
                ok = 0;
            } else if (cJSON_IsObject(addl)) {
                ok = schema_validate(addl, m, p, msg, msglen);
            }
            free(p);
            if (!ok)
                return 0;
        }
    }
    return 1;
}

static int removed_key(const char *k)
{
    return !strcmp(k, "info") || !strcmp(k, "servers") || !strcmp(k, "description") ||
           !strcmp(k, "summary") || !strcmp(k, "title");
}

static int cmp_items(const void *a, const void *b)
{
    return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

cJSON *schema_canonical(const cJSON *doc)
{
    if (cJSON_IsArray(doc)) {
        cJSON *r = cJSON_CreateArray();
        for (const cJSON *c = doc->child; c; c = c->next)
            cJSON_AddItemToArray(r, schema_canonical(c));
        return r;
    }
    if (!cJSON_IsObject(doc)) {
        cJSON *x = cJSON_Duplicate(doc, 1);
        free(x->string);
        x->string = NULL;
        return x;
    }
    int n = 0;
    for (const cJSON *c = doc->child; c; c = c->next)
        n++;
    cJSON **items = mem_calloc((size_t)n + 1, sizeof *items);
    int m = 0;
    for (const cJSON *c = doc->child; c; c = c->next) {
        if (removed_key(c->string))
            continue;
        cJSON *x = schema_canonical(c);
        free(x->string);
        x->string = mem_strdup(c->string);
        items[m++] = x;
    }
    qsort(items, (size_t)m, sizeof *items, cmp_items);
    cJSON *r = cJSON_CreateObject();
    for (int i = 0; i < m; i++) {
        char *name = items[i]->string;
        items[i]->string = NULL;
        cJSON_AddItemToObject(r, name, items[i]);
        free(name);
    }
    free(items);
    return r;
}

size_t schema_diff(const cJSON *e, const cJSON *a, const char *path, struct matcher_diffs *d)
{
    size_t n = 0;
    if (cJSON_IsObject(e) && cJSON_IsObject(a)) {
        for (const cJSON *c = e->child; c; c = c->next) {
            char *p = jpath_key(path, c->string);
            n += schema_diff(c, cJSON_GetObjectItemCaseSensitive(a, c->string), p, d);
            free(p);
        }
        for (const cJSON *c = a->child; c; c = c->next)
            if (!cJSON_GetObjectItemCaseSensitive(e, c->string)) {
                char *p = jpath_key(path, c->string), *x = jsonx_print_short(c, 200);
                matcher_diffs_add(d, p, "(absent)", x);
                free(p);
                free(x);
                n++;
            }
        return n;
    }
    if (cJSON_IsArray(e) && cJSON_IsArray(a) && cJSON_GetArraySize(e) == cJSON_GetArraySize(a)) {
        int i = 0;
        const cJSON *y = a->child;
        for (const cJSON *x = e->child; x; x = x->next, y = y->next, i++) {
            char *p = jpath_index(path, i);
            n += schema_diff(x, y, p, d);
            free(p);
        }
        return n;
    }
    if (jsonx_equal(e, a))
        return 0;
    char *x = jsonx_print_short(e, 200), *y = jsonx_print_short(a, 200);
    matcher_diffs_add(d, path, x, y);
    free(x);
    free(y);
    return 1;
}
