/* token.c: mints identity tokens; the only file of the runner that builds or signs a JWT
 * (libjwt for unusual claims and algorithms, OpenSSL's HMAC for the common HS256 case). */
#include "token.h"
#include "mem.h"
#include "b64.h"
#include "jsonx.h"

#include <jwt.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
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

/* ---------- HS256 without libjwt ----------
 * libjwt 1.10 re-parses the claims with jansson and fetches the HMAC algorithm
 * from OpenSSL's provider tables on every token: about 85,000 instructions, a
 * third of the runner's work per case. Claims whose every value jansson prints
 * exactly as jsonx does (printable ASCII strings, canonical 64-bit integers,
 * booleans, null) are signed here instead, with the keys in libjwt's sorted
 * order, so the token is byte for byte the one libjwt would make. */

#define HS256_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define PLAIN_MAX_CLAIMS 32
#define MAC_CACHE 4

/* One keyed HMAC-SHA256 context per secret, duplicated for each token. */
static pthread_mutex_t mac_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_MAC *mac_hmac;
static struct {
    char *key;
    EVP_MAC_CTX *ctx;
} mac_cache[MAC_CACHE];

static EVP_MAC_CTX *mac_keyed(const char *key)
{
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                           OSSL_PARAM_construct_end()};
    EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac_hmac);
    if (ctx && !EVP_MAC_init(ctx, (const unsigned char *)key, strlen(key), params)) {
        EVP_MAC_CTX_free(ctx);
        ctx = NULL;
    }
    return ctx;
}

/* A fresh context keyed with key, ready for EVP_MAC_update; NULL on failure. */
static EVP_MAC_CTX *mac_for(const char *key)
{
    EVP_MAC_CTX *out = NULL;
    pthread_mutex_lock(&mac_lock);
    if (!mac_hmac)
        mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!mac_hmac)
        goto out;
    int i = 0;
    while (i < MAC_CACHE && mac_cache[i].key && strcmp(mac_cache[i].key, key))
        i++;
    if (i == MAC_CACHE) {
        out = mac_keyed(key);
        goto out;
    }
    if (!mac_cache[i].key) {
        EVP_MAC_CTX *ctx = mac_keyed(key);
        if (!ctx)
            goto out;
        mac_cache[i].key = mem_strdup(key);
        mac_cache[i].ctx = ctx;
    }
    out = EVP_MAC_CTX_dup(mac_cache[i].ctx);
out:
    pthread_mutex_unlock(&mac_lock);
    return out;
}

static int plain_text(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
            return 0;
    return 1;
}

/* An integer jansson reads as json_int_t and prints back unchanged. */
static int plain_integer(const char *t)
{
    int neg = *t == '-';
    t += neg;
    size_t n = strspn(t, "0123456789");
    return n > 0 && n <= 18 && !t[n] && (t[0] != '0' || (n == 1 && !neg));
}

static int plain_value(const cJSON *v)
{
    if (cJSON_IsString(v))
        return plain_text(v->valuestring);
    if (cJSON_IsNumber(v))
        return v->valuestring && plain_integer(v->valuestring);
    return cJSON_IsBool(v) || cJSON_IsNull(v);
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* Sorts claims' members by name (the order libjwt prints) when every member
 * is plain; returns 1 then, 0 (claims untouched) when libjwt must sign. */
static int plain_sorted(cJSON *claims)
{
    cJSON *items[PLAIN_MAX_CLAIMS];
    size_t n = 0;
    for (cJSON *c = claims->child; c; c = c->next) {
        if (n == PLAIN_MAX_CLAIMS || !plain_text(c->string) || !plain_value(c))
            return 0;
        items[n++] = c;
    }
    if (!n)
        return 0;
    qsort(items, n, sizeof *items, by_name);
    for (size_t i = 0; i < n; i++) {
        items[i]->prev = i ? items[i - 1] : items[n - 1];
        items[i]->next = i + 1 < n ? items[i + 1] : NULL;
    }
    claims->child = items[0];
    return 1;
}

static char *sign_hs256(const char *claims, const char *secret, char *err, size_t errlen)
{
    char *head = b64_url_encode(HS256_HEADER, strlen(HS256_HEADER));
    char *body = b64_url_encode(claims, strlen(claims));
    char *sig = NULL, *res = NULL, *input = NULL;
    EVP_MAC_CTX *ctx = mac_for(secret);
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    if (!head || !body || !ctx) {
        snprintf(err, errlen, "OpenSSL could not set up HMAC-SHA256");
        goto out;
    }
    size_t hl = strlen(head), bl = strlen(body);
    input = mem_alloc(hl + bl + 2);
    memcpy(input, head, hl);
    input[hl] = '.';
    memcpy(input + hl + 1, body, bl + 1);
    if (!EVP_MAC_update(ctx, (const unsigned char *)input, hl + bl + 1) ||
        !EVP_MAC_final(ctx, mac, &maclen, sizeof mac)) {
        snprintf(err, errlen, "OpenSSL could not compute HMAC-SHA256");
        goto out;
    }
    sig = b64_url_encode(mac, maclen);
    if (!sig) {
        snprintf(err, errlen, "cannot encode the HMAC-SHA256 signature");
        goto out;
    }
    res = mem_alloc(hl + bl + strlen(sig) + 3);
    sprintf(res, "%s.%s", input, sig);
out:
    EVP_MAC_CTX_free(ctx);
    free(head);
    free(body);
    free(input);
    free(sig);
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

    int plain = alg == JWT_ALG_HS256 && plain_sorted(claims);
    text = jsonx_print(claims);
    res = plain ? sign_hs256(text, key, err, errlen) : sign(text, alg, key, err, errlen);
    free(text);
    cJSON_Delete(claims);
    return res;
}
