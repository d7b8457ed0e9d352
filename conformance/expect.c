/* expect.c: matches one answer against a step's expectations (see expect.h). */
#include "expect.h"
#include "jsonx.h"
#include "schema.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

char *expect_header(const struct http_response *res, const char *name)
{
    char lname[256];
    size_t i = 0;
    for (; name[i] && i < sizeof lname - 1; i++)
        lname[i] = (char)tolower((unsigned char)name[i]);
    lname[i] = '\0';
    return http_header(res, lname);
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

size_t expect_answer(const cJSON *ex, const cJSON *schema_equals, const struct http_response *res,
                     const cJSON *body, const char *perr, struct matcher_diffs *d)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(ex, "status");
    if (!status_ok(st, res->status)) {
        char got[32];
        snprintf(got, sizeof got, "%ld", res->status);
        char *w = jsonx_print(st);
        matcher_diffs_add(d, "status", w, got);
        free(w);
    }
    const cJSON *hx = cJSON_GetObjectItemCaseSensitive(ex, "headers");
    for (const cJSON *h = hx ? hx->child : NULL; h; h = h->next) {
        char label[300];
        char *v = expect_header(res, h->string);
        cJSON *vj = v ? cJSON_CreateString(v) : NULL;
        snprintf(label, sizeof label, "header %s", h->string);
        matcher_match(h, vj, label, d);
        cJSON_Delete(vj);
        free(v);
    }
    const char *why = perr && *perr ? perr : "(not JSON)";
    const cJSON *bm = cJSON_GetObjectItemCaseSensitive(ex, "body");
    if (bm) {
        if (!body)
            matcher_diffs_add(d, "$", "a strict JSON body", why);
        else
            matcher_match(bm, body, "$", d);
    }
    const cJSON *bt = cJSON_GetObjectItemCaseSensitive(ex, "body_text");
    if (bt) {
        cJSON *t = jsonx_string_from_bytes(res->body ? res->body : "", res->body_len);
        matcher_match(bt, t, "body_text", d);
        cJSON_Delete(t);
    }
    if (!schema_equals)
        return 0;
    /* SCH-4: the whole canonical document, every differing path named. */
    if (!body) {
        matcher_diffs_add(d, "$", "a strict JSON schema document", why);
        return 0;
    }
    cJSON *canon = schema_canonical(body);
    size_t n = schema_diff(schema_equals, canon, "$", d);
    cJSON_Delete(canon);
    return n;
}
