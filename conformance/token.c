/* token.c: mints identity tokens with libjwt; the only file of the runner that calls libjwt. */
#include "token.h"
#include "mem.h"
#include "b64.h"
#include "jsonx.h"

#include <jwt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const token_hostile_kinds[] = {
    "expired", "expired_now", "not_yet_valid", "bad_signature", "alg_none", "alg_hs384",
    "alg_hs512", "malformed", "garbage_base64", "missing_sub", "missing_exp", "unknown_role",
    "oversized", "fractional_exp", NULL};

int token_hostile_known(const char *kind)
{
    for (int i = 0; token_hostile_kinds[i]; i++)
        if (!strcmp(kind, token_hostile_kinds[i]))
            return 1;
    return 0;
}

static void set_num(cJSON *claims, const char *name, const char *text)
{
    cJSON_DeleteItemFromObjectCaseSensitive(claims, name);
    cJSON_AddItemToObject(claims, name, jsonx_number(text));
}

static void set_int(cJSON *claims, const char *name, long v)
{
    char b[32];
    snprintf(b, sizeof b, "%ld", v);
    set_num(claims, name, b);
}

static char *garbage(void)
{
    char *h = b64_url_encode("not json {", 10), *c = b64_url_encode("\x01\x02garbage", 9);
    size_t n = strlen(h) + strlen(c) + 16;
    char *t = mem_alloc(n);
    snprintf(t, n, "%s.%s.c2lnbmF0dXJl", h, c);
    free(h);
    free(c);
    return t;
}

/* Signs claims (compact JSON text) with libjwt. */
static char *sign(const char *claims, jwt_alg_t alg, const char *secret, char *err, size_t errlen)
{
    jwt_t *jwt = NULL;
    char *out = NULL, *res = NULL;
    if (jwt_new(&jwt)) {
        snprintf(err, errlen, "libjwt: out of memory");
        goto out;
    }
    if (jwt_add_grants_json(jwt, claims)) {
        snprintf(err, errlen, "libjwt refused the claims %.200s", claims);
        goto out;
    }
    if (jwt_set_alg(jwt, alg, alg == JWT_ALG_NONE ? NULL : (const unsigned char *)secret,
                    alg == JWT_ALG_NONE ? 0 : (int)strlen(secret))) {
        snprintf(err, errlen, "libjwt refused the algorithm or key");
        goto out;
    }
    out = jwt_encode_str(jwt);
    if (!out) {
        snprintf(err, errlen, "libjwt could not encode the token");
        goto out;
    }
    res = mem_strdup(out);
out:
    free(out);
    jwt_free(jwt);
    return res;
}

char *token_mint(const cJSON *identity, const char *sub, const char *jti, const char *secret,
                 long now, char *err, size_t errlen)
{
    const cJSON *role = cJSON_GetObjectItemCaseSensitive(identity, "role");
    const cJSON *usejti = cJSON_GetObjectItemCaseSensitive(identity, "jti");
    const cJSON *ttl = cJSON_GetObjectItemCaseSensitive(identity, "ttl");
    const cJSON *extra = cJSON_GetObjectItemCaseSensitive(identity, "claims");
    const cJSON *omit = cJSON_GetObjectItemCaseSensitive(identity, "omit");
    const cJSON *hostile = cJSON_GetObjectItemCaseSensitive(identity, "hostile");
    const char *kind = cJSON_IsString(hostile) ? hostile->valuestring : "";
    jwt_alg_t alg = JWT_ALG_HS256;
    const char *key = secret;
    char *res = NULL, *text = NULL;

    if (!strcmp(kind, "malformed"))
        return mem_strdup("not-a-jwt.token");
    if (!strcmp(kind, "garbage_base64"))
        return garbage();

    cJSON *claims = cJSON_CreateObject();
    cJSON_AddStringToObject(claims, "sub", sub);
    set_int(claims, "iat", now);
    set_int(claims, "exp", now + (cJSON_IsNumber(ttl) ? (long)ttl->valuedouble : 600));
    if ((!cJSON_IsFalse(usejti) || cJSON_GetObjectItemCaseSensitive(identity, "same_jti_as")) && jti)
        cJSON_AddStringToObject(claims, "jti", jti);
    if (cJSON_IsString(role))
        cJSON_AddStringToObject(claims, "role", role->valuestring);

    if (!strcmp(kind, "expired")) {
        set_int(claims, "exp", now - 60);
    } else if (!strcmp(kind, "expired_now")) {
        set_int(claims, "exp", now);
    } else if (!strcmp(kind, "not_yet_valid")) {
        set_int(claims, "nbf", now + 60);
    } else if (!strcmp(kind, "bad_signature")) {
        key = "a-different-secret-that-is-not-AFI_SECRET!";
    } else if (!strcmp(kind, "alg_none")) {
        alg = JWT_ALG_NONE;
    } else if (!strcmp(kind, "alg_hs384")) {
        alg = JWT_ALG_HS384;
    } else if (!strcmp(kind, "alg_hs512")) {
        alg = JWT_ALG_HS512;
    } else if (!strcmp(kind, "missing_sub")) {
        cJSON_DeleteItemFromObjectCaseSensitive(claims, "sub");
    } else if (!strcmp(kind, "missing_exp")) {
        cJSON_DeleteItemFromObjectCaseSensitive(claims, "exp");
    } else if (!strcmp(kind, "unknown_role")) {
        cJSON_DeleteItemFromObjectCaseSensitive(claims, "role");
        cJSON_AddStringToObject(claims, "role", "admin");
    } else if (!strcmp(kind, "oversized")) {
        char *pad = mem_alloc(7601);
        memset(pad, 'x', 7600);
        pad[7600] = '\0';
        cJSON_AddStringToObject(claims, "pad", pad);
        free(pad);
    } else if (!strcmp(kind, "fractional_exp")) {
        char b[48];
        snprintf(b, sizeof b, "%ld.5", now + (cJSON_IsNumber(ttl) ? (long)ttl->valuedouble : 600));
        set_num(claims, "exp", b);
    }
    for (const cJSON *c = extra ? extra->child : NULL; c; c = c->next) {
        cJSON_DeleteItemFromObjectCaseSensitive(claims, c->string);
        cJSON_AddItemToObject(claims, c->string, cJSON_Duplicate(c, 1));
    }
    for (const cJSON *o = omit ? omit->child : NULL; o; o = o->next)
        if (cJSON_IsString(o))
            cJSON_DeleteItemFromObjectCaseSensitive(claims, o->valuestring);

    text = jsonx_print(claims);
    res = sign(text, alg, key, err, errlen);
    free(text);
    cJSON_Delete(claims);
    return res;
}
