/* runwide.c: the protocol checks every answer of every step gets (see runwide.h). */
#include "runwide.h"
#include "env2.h"
#include "jsonx.h"
#include "request.h"
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>


static struct failure *runwide_failure(struct failure_list *out, const struct failure_site *at, const char *req,
                                       const struct http_response *res)
{
    struct failure *f = failure_at(out, at, req, res);
    f->runwide = 1;
    return f;
}

static int json_ctype(const struct http_response *res)
{
    char *ct = http_header(res, "content-type");
    int ok = ct && !strncasecmp(ct, "application/json", 16) &&
             (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' ');
    free(ct);
    return ok;
}

/* ENV-1: an answer >= 400 is the envelope and nothing else; ENV-2: with a
 * known code that goes with its status. */
static void check_envelope(const struct failure_site *at, const struct http_response *res, const cJSON *body,
                           const char *perr, struct failure_list *out)
{
    char why[600] = "", *got = NULL;
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "error");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(e, "code");
    const cJSON *msg = cJSON_GetObjectItemCaseSensitive(e, "message");
    const cJSON *det = cJSON_GetObjectItemCaseSensitive(e, "details");
    if (!json_ctype(res)) {
        char *ct = http_header(res, "content-type");
        snprintf(why, sizeof why, "Content-Type: expected application/json, got %s", ct ? ct : "(absent)");
        free(ct);
    } else if (!body) {
        snprintf(why, sizeof why, "$: expected the error envelope, got a body that is not strict JSON (%s)", perr);
    } else if (!cJSON_IsObject(body) || cJSON_GetArraySize(body) != 1 || !cJSON_IsObject(e)) {
        snprintf(why, sizeof why, "$: expected exactly {\"error\": {...}}, got %s", (got = jsonx_print_short(body, 200)));
    } else if (cJSON_GetArraySize(e) != 3 || !code || !msg || !det) {
        snprintf(why, sizeof why, "$.error: expected exactly the keys code, message, details, got %s",
                 (got = jsonx_print_short(e, 200)));
    } else if (!cJSON_IsString(msg) || !*msg->valuestring) {
        snprintf(why, sizeof why, "$.error.message: expected a non-empty string, got %s",
                 (got = jsonx_print_short(msg, 200)));
    } else if (!cJSON_IsNull(det) && !cJSON_IsArray(det) && !cJSON_IsObject(det)) {
        snprintf(why, sizeof why, "$.error.details: expected null, an array or an object, got %s",
                 (got = jsonx_print_short(det, 200)));
    }
    free(got);
    if (why[0]) {
        struct failure *f = runwide_failure(out, at, "ENV-1", res);
        failure_msg(f, "run-wide check ENV-1 (every answer >= 400 is the error envelope): %s", why);
        return;
    }
    long want = env2_status(cJSON_IsString(code) ? code->valuestring : NULL);
    if (want != res->status) {
        struct failure *f = runwide_failure(out, at, "ENV-2", res);
        char *c = jsonx_print_short(code, 100);
        if (!want)
            failure_msg(f, "run-wide check ENV-2: $.error.code: expected one of the codes of ENV-2, got %s", c);
        else
            failure_msg(f, "run-wide check ENV-2: status %ld with code %s, which goes with status %ld", res->status,
                        c, want);
        free(c);
    }
}

/* ENV-7: a Bearer challenge, error="invalid_token" iff a credential was presented. */
static void check_challenge(const struct failure_site *at, const struct http_response *res, const cJSON *body,
                            struct failure_list *out)
{
    char *wa = http_header(res, "www-authenticate");
    const cJSON *code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(body, "error"), "code");
    const char *cs = cJSON_IsString(code) ? code->valuestring : "";
    char why[400] = "";
    if (!wa || strncasecmp(wa, "Bearer", 6) || (wa[6] && wa[6] != ' ' && wa[6] != ','))
        snprintf(why, sizeof why, "WWW-Authenticate: expected \"Bearer ...\", got %s", wa ? wa : "(absent)");
    else if (strcmp(cs, "unauthenticated") && *cs && !strstr(wa, "error=\"invalid_token\""))
        snprintf(why, sizeof why, "WWW-Authenticate: expected error=\"invalid_token\" with code %s, got %s", cs, wa);
    else if (!strcmp(cs, "unauthenticated") && strstr(wa, "error="))
        snprintf(why, sizeof why, "WWW-Authenticate: expected no error parameter with code unauthenticated, got %s", wa);
    if (why[0]) {
        struct failure *f = runwide_failure(out, at, "ENV-7", res);
        failure_msg(f, "run-wide check ENV-7: %s", why);
    }
    free(wa);
}

/* SCH-4: one deployment, one schema, whenever it is asked. */
static void check_schema_stable(const struct runwide *w, const struct failure_site *at,
                                const struct http_response *res, const cJSON *body, struct failure_list *out)
{
    cJSON *canon = schema_canonical(body);
    struct matcher_diffs d = {0};
    if (schema_diff(w->schema_canon, canon, "$", &d)) {
        struct failure *f = runwide_failure(out, at, "SCH-4", res);
        if (w->ntargets > 1)
            failure_msg(f, "run-wide check SCH-4: target #%d answered a canonical /schema with %zu difference%s "
                           "from the one target #0 (%s) answered when the run began (one deployment, one schema)",
                        at->target, d.n, d.n == 1 ? "" : "s", w->first_target);
        else
            failure_msg(f, "run-wide check SCH-4: the canonical /schema changed during the run: %zu difference%s "
                           "from the document the target answered when the run began", d.n, d.n == 1 ? "" : "s");
        failure_diffs(f, &d);
    }
    matcher_diffs_clear(&d);
    cJSON_Delete(canon);
}

/* SCH-3: the answer of call fn agrees with the target's own exported schema. */
static void check_call_schema(const struct runwide *w, const struct failure_site *at,
                              const struct http_response *res, const cJSON *body, const char *fn,
                              struct failure_list *out)
{
    if (!w->schema) {
        struct failure *f = runwide_failure(out, at, "SCH-3", res);
        failure_msg(f, "run-wide check SCH-3: call %s answered 200 but the target's /schema is unusable: %s", fn,
                    w->schema_error);
        return;
    }
    char pk[300];
    snprintf(pk, sizeof pk, "/call/%s", fn);
    const cJSON *op = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(w->schema, "paths"), pk), "post");
    const cJSON *sch = cJSON_GetObjectItemCaseSensitive(op, "responses");
    sch = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sch, "200"), "content");
    sch = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(sch, "application/json"), "schema");
    if (!cJSON_IsObject(sch)) {
        struct failure *f = runwide_failure(out, at, "SCH-3", res);
        failure_msg(f, "run-wide check SCH-3: call %s answered 200 but the target's /schema has no "
                       "paths[\"%s\"].post.responses[\"200\"] JSON schema", fn, pk);
        return;
    }
    char vm[700];
    if (!schema_validate(sch, body, "$", vm, sizeof vm)) {
        struct failure *f = runwide_failure(out, at, "SCH-3", res);
        failure_msg(f, "run-wide check SCH-3: the answer of %s contradicts the target's own /schema "
                       "(paths[\"%s\"].post.responses[\"200\"]): %s", fn, pk, vm);
    }
}

/* CALL-5: {"result","invalidate"}, invalidate sorted and unique; then SCH-3. */
static void check_call(const struct runwide *w, const struct failure_site *at, const struct http_response *res,
                       const cJSON *body, const char *perr, struct failure_list *out)
{
    const char *path = at->rq->path;
    char fn[256];
    size_t l = strcspn(path + 6, "?");
    snprintf(fn, sizeof fn, "%.*s", (int)(l < 255 ? l : 255), path + 6);
    if (strchr(fn, '/') || !*fn)
        return;
    const cJSON *inv = cJSON_GetObjectItemCaseSensitive(body, "invalidate");
    char why[600] = "", *got = NULL;
    if (!json_ctype(res))
        snprintf(why, sizeof why, "Content-Type: expected application/json");
    else if (!body)
        snprintf(why, sizeof why, "$: expected a strict JSON body, got one that is not (%s)", perr);
    else if (!cJSON_IsObject(body) || cJSON_GetArraySize(body) != 2 ||
             !cJSON_GetObjectItemCaseSensitive(body, "result") || !inv)
        snprintf(why, sizeof why, "$: expected exactly the keys result and invalidate, got %s",
                 (got = jsonx_print_short(body, 200)));
    else if (!cJSON_IsArray(inv))
        snprintf(why, sizeof why, "$.invalidate: expected an array of strings, got %s",
                 (got = jsonx_print_short(inv, 200)));
    else
        for (const cJSON *e = inv->child; e && !why[0]; e = e->next)
            if (!cJSON_IsString(e) || (e->next && cJSON_IsString(e->next) &&
                                       strcmp(e->valuestring, e->next->valuestring) >= 0))
                snprintf(why, sizeof why, "$.invalidate: expected strings sorted by byte order without duplicates, got %s",
                         (got = jsonx_print_short(inv, 200)));
    free(got);
    if (why[0]) {
        struct failure *f = runwide_failure(out, at, "CALL-5", res);
        failure_msg(f, "run-wide check CALL-5 (call %s): %s", fn, why);
        return;
    }
    check_call_schema(w, at, res, body, fn, out);
}

void runwide_check(const struct runwide *w, const struct failure_site *at, const struct http_response *res,
                   const cJSON *body, const char *perr, struct failure_list *out)
{
    const char *method = at->rq->method, *path = at->rq->path;
    if (res->status >= 400 && strcmp(method, "HEAD"))
        check_envelope(at, res, body, perr, out);
    if (res->status == 401)
        check_challenge(at, res, body, out);
    if (res->status == 200 && !strcmp(method, "GET") && !strcmp(path, "/schema") && body && w->schema_canon)
        check_schema_stable(w, at, res, body, out);
    if (res->status == 200 && !strcmp(method, "POST") && !strncmp(path, "/call/", 6))
        check_call(w, at, res, body, perr, out);
}

/* ROB-1 on one target, index t. */
static void health_after(struct http_client *hc, const char *target, int t, struct failure_list *out)
{
    struct request rq;
    request_get(&rq, target, "/health");
    struct http_response res = {0};
    int rc = http_do(hc, &rq.http, &res);
    if (rc || res.status != 200) {
        struct failure_site at = {0, "health check after a robustness case", &rq, t};
        struct failure *f = runwide_failure(out, &at, "ROB-1", rc ? NULL : &res);
        if (rc)
            failure_msg(f, "ROB-1: the target stopped answering after this robustness case: GET /health got no "
                           "answer (%s)", res.error);
        else
            failure_msg(f, "ROB-1: GET /health after this robustness case: expected status 200, got %ld",
                        res.status);
    }
    http_response_clear(&res);
    request_clear(&rq);
}

void runwide_health_after(struct http_client *hc, const char *const *targets, int ntargets,
                          struct failure_list *out)
{
    for (int t = 0; t < ntargets; t++)
        health_after(hc, targets[t], t, out);
}

void runwide_fetch(struct runwide *w, struct http_client *hc, const char *target, int ntargets)
{
    w->first_target = target;
    w->ntargets = ntargets;
    struct request rq;
    request_get(&rq, target, "/schema");
    struct http_response res = {0};
    if (http_do(hc, &rq.http, &res) || res.status != 200) {
        snprintf(w->schema_error, sizeof w->schema_error, "GET /schema answered %ld %s", res.status, res.error);
    } else {
        char perr[200];
        w->schema = jsonx_parse(res.body ? res.body : "", res.body_len, perr, sizeof perr);
        if (!w->schema)
            snprintf(w->schema_error, sizeof w->schema_error, "GET /schema is not strict JSON: %s", perr);
        else
            w->schema_canon = schema_canonical(w->schema);
    }
    http_response_clear(&res);
    request_clear(&rq);
}

void runwide_clear(struct runwide *w)
{
    if (!w)
        return;
    cJSON_Delete(w->schema);
    cJSON_Delete(w->schema_canon);
    w->schema = w->schema_canon = NULL;
}
