/* matcher.c: evaluating and validating fixture matchers (docs/fixtures.md, "Matchers"). */
#include "matcher.h"
#include "mem.h"
#include "jpath.h"
#include "jsonx.h"
#include "utf8.h"
#include "rx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SHOWN 200

void matcher_diffs_add(struct matcher_diffs *d, const char *path, const char *expected, const char *actual)
{
    if (!d)
        return;
    d->v = mem_grow(d->v, &d->cap, d->n, sizeof *d->v);
    d->v[d->n].path = mem_strdup(path);
    d->v[d->n].expected = mem_strdup(expected);
    d->v[d->n].actual = mem_strdup(actual);
    d->n++;
}

void matcher_diffs_clear(struct matcher_diffs *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].path);
        free(d->v[i].expected);
        free(d->v[i].actual);
    }
    free(d->v);
    d->v = NULL;
    d->n = d->cap = 0;
}

static int fail(const cJSON *m, const cJSON *actual, const char *path, struct matcher_diffs *d)
{
    if (d) {
        char *e = jsonx_print_short(m, SHOWN), *a = jsonx_print_short(actual, SHOWN);
        matcher_diffs_add(d, path, e, a);
        free(e);
        free(a);
    }
    return 0;
}

static int is_operator(const cJSON *m)
{
    if (!cJSON_IsObject(m) || !m->child)
        return 0;
    for (const cJSON *c = m->child; c; c = c->next)
        if (c->string[0] != '$')
            return 0;
    return 1;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsNull(v)) return "null";
    if (cJSON_IsBool(v)) return "boolean";
    if (cJSON_IsNumber(v)) return jsonx_is_integer(v) ? "integer" : "number";
    if (cJSON_IsString(v)) return "string";
    if (cJSON_IsArray(v)) return "array";
    return "object";
}

static int type_ok(const char *t, const cJSON *v)
{
    const char *vt = type_name(v);
    return !strcmp(t, vt) || (!strcmp(t, "number") && !strcmp(vt, "integer"));
}

static int count_of(const cJSON *v, long *n)
{
    if (cJSON_IsArray(v) || cJSON_IsObject(v)) {
        *n = cJSON_GetArraySize(v);
        return 0;
    }
    if (cJSON_IsString(v)) {
        *n = (long)utf8_count(v->valuestring);
        return 0;
    }
    return -1;
}

static int cmp_sorted(const cJSON *a, const cJSON *b)
{
    if (cJSON_IsString(a) && cJSON_IsString(b))
        return strcmp(a->valuestring, b->valuestring) <= 0;
    if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
        return a->valuedouble <= b->valuedouble;
    return 0;
}

/* Kuhn's augmenting paths: can element i be paired with a free matcher? */
static int pair(int i, int n, const char *ok, int *mate, char *seen)
{
    for (int j = 0; j < n; j++) {
        if (!ok[i * n + j] || seen[j])
            continue;
        seen[j] = 1;
        if (mate[j] < 0 || pair(mate[j], n, ok, mate, seen)) {
            mate[j] = i;
            return 1;
        }
    }
    return 0;
}

static int unordered(const cJSON *ms, const cJSON *actual)
{
    int n = cJSON_GetArraySize(ms);
    if (cJSON_GetArraySize(actual) != n)
        return 0;
    char *ok = mem_calloc((size_t)n * n + 1, 1), *seen = mem_alloc((size_t)n + 1);
    int *mate = mem_alloc(((size_t)n + 1) * sizeof *mate);
    int i = 0, res = 1;
    for (const cJSON *a = actual->child; a; a = a->next, i++) {
        int j = 0;
        for (const cJSON *m = ms->child; m; m = m->next, j++)
            ok[i * n + j] = (char)matcher_match(m, a, "$", NULL);
    }
    for (int j = 0; j < n; j++)
        mate[j] = -1;
    for (i = 0; i < n && res; i++) {
        memset(seen, 0, (size_t)n + 1);
        res = pair(i, n, ok, mate, seen);
    }
    free(ok);
    free(seen);
    free(mate);
    return res;
}

static int op_holds(const char *op, const cJSON *arg, const cJSON *a)
{
    char err[200];
    if (!strcmp(op, "$any"))
        return a != NULL;
    if (!strcmp(op, "$absent"))
        return a == NULL;
    if (!a)
        return !strcmp(op, "$not") ? !matcher_match(arg, NULL, "$", NULL) : 0;
    if (!strcmp(op, "$exact"))
        return jsonx_equal(arg, a);
    if (!strcmp(op, "$type")) {
        if (cJSON_IsString(arg))
            return type_ok(arg->valuestring, a);
        for (const cJSON *t = arg->child; t; t = t->next)
            if (type_ok(t->valuestring, a))
                return 1;
        return 0;
    }
    if (!strcmp(op, "$regex"))
        return cJSON_IsString(a) && rx_search(arg->valuestring, a->valuestring, err, sizeof err) == 1;
    if (!strcmp(op, "$len")) {
        long n;
        if (count_of(a, &n))
            return 0;
        if (cJSON_IsNumber(arg))
            return (double)n == arg->valuedouble;
        char nb[32];
        snprintf(nb, sizeof nb, "%ld", n);
        cJSON *num = jsonx_number(nb);
        int r = matcher_match(arg, num, "$", NULL);
        cJSON_Delete(num);
        return r;
    }
    if (!strcmp(op, "$min")) return cJSON_IsNumber(a) && a->valuedouble >= arg->valuedouble;
    if (!strcmp(op, "$max")) return cJSON_IsNumber(a) && a->valuedouble <= arg->valuedouble;
    if (!strcmp(op, "$gt")) return cJSON_IsNumber(a) && a->valuedouble > arg->valuedouble;
    if (!strcmp(op, "$lt")) return cJSON_IsNumber(a) && a->valuedouble < arg->valuedouble;
    if (!strcmp(op, "$unordered"))
        return cJSON_IsArray(a) && unordered(arg, a);
    if (!strcmp(op, "$contains")) {
        if (!cJSON_IsArray(a))
            return 0;
        for (const cJSON *m = arg->child; m; m = m->next) {
            int found = 0;
            for (const cJSON *e = a->child; e && !found; e = e->next)
                found = matcher_match(m, e, "$", NULL);
            if (!found)
                return 0;
        }
        return 1;
    }
    if (!strcmp(op, "$distinct")) {
        if (!cJSON_IsArray(a))
            return 0;
        for (const cJSON *x = a->child; x; x = x->next)
            for (const cJSON *y = x->next; y; y = y->next)
                if (jsonx_equal(x, y))
                    return 0;
        return 1;
    }
    if (!strcmp(op, "$sorted")) {
        if (!cJSON_IsArray(a))
            return 0;
        for (const cJSON *x = a->child; x; x = x->next) {
            if (!cJSON_IsString(x) && !cJSON_IsNumber(x))
                return 0;
            if (x->next && !cmp_sorted(x, x->next))
                return 0;
        }
        return 1;
    }
    if (!strcmp(op, "$not"))
        return !matcher_match(arg, a, "$", NULL);
    if (!strcmp(op, "$all")) {
        for (const cJSON *m = arg->child; m; m = m->next)
            if (!matcher_match(m, a, "$", NULL))
                return 0;
        return 1;
    }
    if (!strcmp(op, "$anyof")) {
        for (const cJSON *m = arg->child; m; m = m->next)
            if (matcher_match(m, a, "$", NULL))
                return 1;
        return 0;
    }
    return 0;
}

/* Records where exp and act first differ, member by member and element by
 * element, so that a failed $exact names the exact path instead of the
 * whole value. */
static void exact_diff(const cJSON *exp, const cJSON *act, const char *path, struct matcher_diffs *d)
{
    if (cJSON_IsObject(exp) && cJSON_IsObject(act)) {
        for (const cJSON *k = exp->child; k; k = k->next) {
            const cJSON *ak = cJSON_GetObjectItemCaseSensitive(act, k->string);
            char *p = jpath_key(path, k->string);
            if (!ak) {
                char *e = jsonx_print_short(k, SHOWN);
                matcher_diffs_add(d, p, e, "(absent)");
                free(e);
            } else if (!jsonx_equal(k, ak)) {
                exact_diff(k, ak, p, d);
            }
            free(p);
        }
        for (const cJSON *k = act->child; k; k = k->next)
            if (!cJSON_GetObjectItemCaseSensitive(exp, k->string)) {
                char *p = jpath_key(path, k->string), *a = jsonx_print_short(k, SHOWN);
                matcher_diffs_add(d, p, "(absent: $exact has no such key)", a);
                free(p);
                free(a);
            }
        return;
    }
    if (cJSON_IsArray(exp) && cJSON_IsArray(act) && cJSON_GetArraySize(exp) == cJSON_GetArraySize(act)) {
        int i = 0;
        for (const cJSON *e = exp->child, *a = act->child; e; e = e->next, a = a->next, i++)
            if (!jsonx_equal(e, a)) {
                char *p = jpath_index(path, i);
                exact_diff(e, a, p, d);
                free(p);
            }
        return;
    }
    fail(exp, act, path, d);
}

int matcher_match(const cJSON *m, const cJSON *actual, const char *path, struct matcher_diffs *d)
{
    const cJSON *exact = cJSON_IsObject(m) && m->child && !m->child->next ? cJSON_GetObjectItemCaseSensitive(m, "$exact") : NULL;
    if (exact && actual && d) {
        if (jsonx_equal(exact, actual))
            return 1;
        exact_diff(exact, actual, path, d);
        return 0;
    }
    if (is_operator(m)) {
        const cJSON *only = cJSON_GetObjectItemCaseSensitive(m, "$only");
        int ok = 1;
        for (const cJSON *op = m->child; op; op = op->next) {
            if (op == only)
                continue;
            if (!op_holds(op->string, op, actual)) {
                ok = 0;
                break;
            }
        }
        if (!ok)
            return fail(m, actual, path, d);
        if (only) {
            if (!cJSON_IsObject(actual))
                return fail(m, actual, path, d);
            for (const cJSON *k = actual->child; k; k = k->next)
                if (!cJSON_GetObjectItemCaseSensitive(only, k->string)) {
                    char *p = jpath_key(path, k->string);
                    char *a = jsonx_print_short(k, SHOWN);
                    if (d)
                        matcher_diffs_add(d, p, "(absent: $only forbids other keys)", a);
                    free(p);
                    free(a);
                    ok = 0;
                }
            for (const cJSON *k = only->child; k; k = k->next) {
                char *p = jpath_key(path, k->string);
                ok &= matcher_match(k, cJSON_GetObjectItemCaseSensitive(actual, k->string), p, d);
                free(p);
            }
        }
        return ok;
    }
    if (cJSON_IsObject(m)) {
        if (!cJSON_IsObject(actual))
            return fail(m, actual, path, d);
        int ok = 1;
        for (const cJSON *k = m->child; k; k = k->next) {
            char *p = jpath_key(path, k->string);
            ok &= matcher_match(k, cJSON_GetObjectItemCaseSensitive(actual, k->string), p, d);
            free(p);
            if (!ok && !d)
                return 0;
        }
        return ok;
    }
    if (cJSON_IsArray(m)) {
        if (!cJSON_IsArray(actual) || cJSON_GetArraySize(actual) != cJSON_GetArraySize(m))
            return fail(m, actual, path, d);
        int ok = 1, i = 0;
        const cJSON *a = actual->child;
        for (const cJSON *e = m->child; e; e = e->next, a = a->next, i++) {
            char *p = jpath_index(path, i);
            ok &= matcher_match(e, a, p, d);
            free(p);
            if (!ok && !d)
                return 0;
        }
        return ok;
    }
    if (!jsonx_equal(m, actual))
        return fail(m, actual, path, d);
    return 1;
}

static const char *const types[] = {"null", "boolean", "integer", "number", "string", "array", "object"};

static int known_type(const cJSON *t)
{
    if (!cJSON_IsString(t))
        return 0;
    for (size_t i = 0; i < sizeof types / sizeof *types; i++)
        if (!strcmp(types[i], t->valuestring))
            return 1;
    return 0;
}

static int verr(char *err, size_t errlen, const char *path, const char *what)
{
    snprintf(err, errlen, "%s: expected %s", path, what);
    return -1;
}

static int validate_list(const cJSON *arg, const char *path, char *err, size_t errlen)
{
    if (!cJSON_IsArray(arg))
        return verr(err, errlen, path, "an array of matchers");
    int i = 0;
    for (const cJSON *m = arg->child; m; m = m->next, i++) {
        char *p = jpath_index(path, i);
        int r = matcher_validate(m, p, err, errlen);
        free(p);
        if (r)
            return r;
    }
    return 0;
}

int matcher_validate(const cJSON *m, const char *path, char *err, size_t errlen)
{
    int has_op = 0, has_key = 0;
    for (const cJSON *c = cJSON_IsObject(m) ? m->child : NULL; c; c = c->next) {
        if (c->string[0] == '$')
            has_op = 1;
        else
            has_key = 1;
    }
    if (has_op && has_key)
        return verr(err, errlen, path, "either an operator object (all keys start with '$') or a plain object, not both");
    if (has_op) {
        for (const cJSON *op = m->child; op; op = op->next) {
            char *p = jpath_key(path, op->string);
            const char *o = op->string;
            int r = 0;
            if (!strcmp(o, "$exact")) {
                r = 0;
            } else if (!strcmp(o, "$only")) {
                if (!cJSON_IsObject(op))
                    r = verr(err, errlen, p, "an object of member matchers");
                for (const cJSON *k = op->child; k && !r; k = k->next) {
                    char *kp = jpath_key(p, k->string);
                    r = matcher_validate(k, kp, err, errlen);
                    free(kp);
                }
            } else if (!strcmp(o, "$type")) {
                if (cJSON_IsArray(op)) {
                    for (const cJSON *t = op->child; t && !r; t = t->next)
                        if (!known_type(t))
                            r = verr(err, errlen, p, "JSON type names (null, boolean, integer, number, string, array, object)");
                    if (!op->child && !r)
                        r = verr(err, errlen, p, "at least one type name");
                } else if (!known_type(op)) {
                    r = verr(err, errlen, p, "a JSON type name (null, boolean, integer, number, string, array, object) or an array of them");
                }
            } else if (!strcmp(o, "$regex")) {
                char rerr[200];
                if (!cJSON_IsString(op))
                    r = verr(err, errlen, p, "a regular expression string");
                else if (!strstr(op->valuestring, "${") && rx_search(op->valuestring, "", rerr, sizeof rerr) < 0)
                    r = verr(err, errlen, p, "a valid POSIX extended regular expression");
            } else if (!strcmp(o, "$absent") || !strcmp(o, "$any") || !strcmp(o, "$distinct") ||
                       !strcmp(o, "$sorted")) {
                if (!cJSON_IsTrue(op))
                    r = verr(err, errlen, p, "true");
            } else if (!strcmp(o, "$len")) {
                if (!(jsonx_is_integer(op) && op->valuedouble >= 0))
                    r = matcher_validate(op, p, err, errlen);
                if (!r && !jsonx_is_integer(op) && !cJSON_IsObject(op))
                    r = verr(err, errlen, p, "a non-negative integer or a matcher object");
            } else if (!strcmp(o, "$min") || !strcmp(o, "$max") || !strcmp(o, "$gt") || !strcmp(o, "$lt")) {
                if (!cJSON_IsNumber(op))
                    r = verr(err, errlen, p, "a number");
            } else if (!strcmp(o, "$unordered") || !strcmp(o, "$contains") || !strcmp(o, "$all") ||
                       !strcmp(o, "$anyof")) {
                r = validate_list(op, p, err, errlen);
            } else if (!strcmp(o, "$not")) {
                r = matcher_validate(op, p, err, errlen);
            } else {
                r = verr(err, errlen, p, "a known operator ($exact, $only, $type, $regex, $absent, $any, $len, $min, $max, $gt, $lt, $unordered, $contains, $distinct, $sorted, $not, $all, $anyof)");
            }
            free(p);
            if (r)
                return r;
        }
        return 0;
    }
    if (cJSON_IsObject(m)) {
        for (const cJSON *k = m->child; k; k = k->next) {
            char *kp = jpath_key(path, k->string);
            int r = matcher_validate(k, kp, err, errlen);
            free(kp);
            if (r)
                return r;
        }
        return 0;
    }
    if (cJSON_IsArray(m))
        return validate_list(m, path, err, errlen);
    return 0;
}
