/* Tests of token minting: every hostile kind decodes as intended. */
#include <criterion/criterion.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "b64.h"
#include "jsonx.h"
#include "token.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define NOW 1800000000L

struct parts {
    cJSON *header, *claims;
    char *sig;
    int n;
};

static cJSON *part_json(const char *s, size_t len)
{
    char *b = strndup(s, len);
    size_t dl;
    unsigned char *d = b64_decode(b, &dl);
    free(b);
    if (!d)
        return NULL;
    char err[100];
    cJSON *j = jsonx_parse((char *)d, dl, err, sizeof err);
    free(d);
    return j;
}

static struct parts split(const char *tok)
{
    struct parts p = {0};
    const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    p.n = d1 ? (d2 ? (strchr(d2 + 1, '.') ? 4 : 3) : 2) : 1;
    if (p.n != 3)
        return p;
    p.header = part_json(tok, (size_t)(d1 - tok));
    p.claims = part_json(d1 + 1, (size_t)(d2 - d1 - 1));
    p.sig = strdup(d2 + 1);
    return p;
}

static void parts_free(struct parts *p)
{
    cJSON_Delete(p->header);
    cJSON_Delete(p->claims);
    free(p->sig);
}

static char *mint(const char *identity_json)
{
    char err[300];
    cJSON *id = jsonx_parse(identity_json, strlen(identity_json), err, sizeof err);
    char *t = token_mint(id, "rrun.1.alice", "jrun.1.alice", SECRET, NULL, NOW, err, sizeof err);
    cr_assert_not_null(t, "mint %s: %s", identity_json, err);
    cJSON_Delete(id);
    return t;
}

static const char *alg(struct parts *p)
{
    return cJSON_GetObjectItem(p->header, "alg")->valuestring;
}

static const cJSON *claim(struct parts *p, const char *name)
{
    return cJSON_GetObjectItemCaseSensitive(p->claims, name);
}

Test(token, plain_identity)
{
    char *t = mint("{\"role\":\"ADMIN\"}");
    struct parts p = split(t);
    cr_assert_eq(p.n, 3);
    cr_assert_str_eq(alg(&p), "HS256");
    cr_assert_str_eq(claim(&p, "sub")->valuestring, "rrun.1.alice");
    cr_assert_str_eq(claim(&p, "jti")->valuestring, "jrun.1.alice");
    cr_assert_str_eq(claim(&p, "role")->valuestring, "ADMIN");
    cr_assert(jsonx_is_integer(claim(&p, "exp")));
    cr_assert_eq(claim(&p, "exp")->valuedouble, NOW + 600);
    cr_assert_gt(strlen(p.sig), 40);
    parts_free(&p);
    free(t);
}

Test(token, hs256_signature_matches_an_independent_hmac)
{
    /* Claims fixed by the identity, so the signing input is fixed; the expected
     * signature was computed with Python's hmac.new(SECRET, input, sha256). */
    char *t = mint("{\"jti\":false,\"claims\":{\"iat\":1,\"exp\":2}}");
    const char *sig = strrchr(t, '.') + 1;
    struct parts p = split(t);
    cr_assert_eq(cJSON_GetArraySize(p.claims), 3);
    parts_free(&p);
    char *input = strndup(t, (size_t)(sig - 1 - t));
    cr_assert_str_eq(input, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJleHAiOjIsImlhdCI6MSwic3ViIjoicnJ1bi4xLmFsaWNlIn0");
    cr_assert_str_eq(sig, "Mgh_UAcIk7du-Nfa2lcnD6WdduINyQb7O7KmgJjCQhk");
    free(input);
    free(t);
}

Test(token, role_null_jti_false_ttl_omit_claims)
{
    char *t = mint("{\"role\":null,\"jti\":false,\"ttl\":5,\"omit\":[\"iat\"],\"claims\":{\"exp\":1.5e9,\"x\":[1]}}");
    struct parts p = split(t);
    cr_assert_null(claim(&p, "role"));
    cr_assert_null(claim(&p, "jti"));
    cr_assert_null(claim(&p, "iat"));
    cr_assert_eq(claim(&p, "exp")->valuedouble, 1.5e9);
    cr_assert(cJSON_IsArray(claim(&p, "x")));
    parts_free(&p);
    free(t);
}

Test(token, hostile_time_kinds)
{
    char *t = mint("{\"hostile\":\"expired\"}");
    struct parts p = split(t);
    cr_assert_eq(claim(&p, "exp")->valuedouble, NOW - 60);
    parts_free(&p);
    free(t);
    t = mint("{\"hostile\":\"expired_now\"}");
    p = split(t);
    cr_assert_eq(claim(&p, "exp")->valuedouble, NOW);
    parts_free(&p);
    free(t);
    t = mint("{\"hostile\":\"not_yet_valid\"}");
    p = split(t);
    cr_assert_eq(claim(&p, "nbf")->valuedouble, NOW + 60);
    cr_assert_gt(claim(&p, "exp")->valuedouble, NOW);
    parts_free(&p);
    free(t);
    t = mint("{\"hostile\":\"fractional_exp\"}");
    p = split(t);
    cr_assert_not(jsonx_is_integer(claim(&p, "exp")));
    cr_assert_eq(claim(&p, "exp")->valuedouble, NOW + 600.5);
    parts_free(&p);
    free(t);
}

Test(token, hostile_signature_and_algorithms)
{
    char *good = mint("{\"claims\":{\"iat\":1}}"), *bad = mint("{\"hostile\":\"bad_signature\",\"claims\":{\"iat\":1}}");
    const char *gs = strrchr(good, '.'), *bs = strrchr(bad, '.');
    cr_assert_eq(gs - good, bs - bad);
    cr_assert_eq(strncmp(good, bad, (size_t)(gs - good)), 0, "same header and claims");
    cr_assert_str_neq(gs, bs, "a different signature");
    free(good);
    free(bad);
    char *t = mint("{\"hostile\":\"alg_none\"}");
    struct parts p = split(t);
    cr_assert_str_eq(alg(&p), "none");
    cr_assert_str_eq(p.sig, "");
    parts_free(&p);
    free(t);
    t = mint("{\"hostile\":\"alg_hs384\"}");
    p = split(t);
    cr_assert_str_eq(alg(&p), "HS384");
    cr_assert_eq(strlen(p.sig), 64);
    parts_free(&p);
    free(t);
    t = mint("{\"hostile\":\"alg_hs512\"}");
    p = split(t);
    cr_assert_str_eq(alg(&p), "HS512");
    cr_assert_eq(strlen(p.sig), 86);
    parts_free(&p);
    free(t);
}

Test(token, hostile_shapes_and_claims)
{
    char *t = mint("{\"hostile\":\"malformed\"}");
    struct parts p = split(t);
    cr_assert_neq(p.n, 3, "malformed is not three parts");
    free(t);
    t = mint("{\"hostile\":\"garbage_base64\"}");
    p = split(t);
    cr_assert_eq(p.n, 3);
    cr_assert_null(p.header, "the header must not decode to JSON");
    cr_assert_null(p.claims, "the claims must not decode to JSON");
    parts_free(&p);
    free(t);
    t = mint("{\"hostile\":\"missing_sub\"}");
    p = split(t);
    cr_assert_null(claim(&p, "sub"));
    cr_assert_not_null(claim(&p, "exp"));
    parts_free(&p);
    free(t);
    t = mint("{\"hostile\":\"missing_exp\"}");
    p = split(t);
    cr_assert_null(claim(&p, "exp"));
    cr_assert_not_null(claim(&p, "sub"));
    parts_free(&p);
    free(t);
    t = mint("{\"role\":\"WRITER\",\"hostile\":\"unknown_role\"}");
    p = split(t);
    cr_assert_str_eq(claim(&p, "role")->valuestring, "admin");
    parts_free(&p);
    free(t);
    t = mint("{\"hostile\":\"oversized\"}");
    cr_assert_gt(strlen(t), 8192);
    cr_assert_lt(strlen(t), 12000);
    p = split(t);
    cr_assert_str_eq(alg(&p), "HS256");
    cr_assert_str_eq(claim(&p, "sub")->valuestring, "rrun.1.alice");
    parts_free(&p);
    free(t);
}

/* 1 when tok is an HS256 JWT whose signature, recomputed with OpenSSL's one-shot
 * HMAC (not the code under test), matches under key. */
static int hs256_valid(const char *tok, const char *key)
{
    const char *dot = strrchr(tok, '.');
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int n = 0;
    HMAC(EVP_sha256(), key, (int)strlen(key), (const unsigned char *)tok, (size_t)(dot - tok), mac, &n);
    char *want = b64_url_encode(mac, n);
    int ok = !strcmp(want, dot + 1);
    free(want);
    return ok;
}

/* The decoded claims part as text, to check its exact bytes. */
static char *claims_text(const char *tok)
{
    const char *d1 = strchr(tok, '.'), *d2 = strrchr(tok, '.');
    char *b = strndup(d1 + 1, (size_t)(d2 - d1 - 1));
    size_t n;
    char *text = (char *)b64_decode(b, &n);
    free(b);
    return text;
}

Test(token, plain_claims_signed_in_libjwt_order_and_bytes)
{
    /* libjwt prints claims compact with sorted keys; the OpenSSL path must give
     * the same bytes, escapes included, and a valid signature. */
    char err[300];
    const char *idj = "{\"role\":\"USER\",\"claims\":{\"zed\":-12,\"a\":true,\"n\":null,\"q\":\"say \\\"hi\\\" \\\\ /\"}}";
    cJSON *id = jsonx_parse(idj, strlen(idj), err, sizeof err);
    cr_assert_not_null(id, "%s", err);
    char *t = token_mint(id, "rrun.1.alice", "jrun.1.alice", SECRET, NULL, NOW, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    cr_assert(hs256_valid(t, SECRET));
    cr_assert_eq(strncmp(t, "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.", 37), 0, "header {\"alg\":\"HS256\",\"typ\":\"JWT\"}");
    char *c = claims_text(t);
    cr_assert_str_eq(c, "{\"a\":true,\"exp\":1800000600,\"iat\":1800000000,\"jti\":\"jrun.1.alice\",\"n\":null,"
                        "\"q\":\"say \\\"hi\\\" \\\\ /\",\"role\":\"USER\",\"sub\":\"rrun.1.alice\",\"zed\":-12}");
    free(c);
    free(t);
    cJSON_Delete(id);
}

Test(token, unusual_claims_still_signed)
{
    /* Reals, arrays, non-ASCII text and non-canonical integers go through libjwt. */
    const char *ids[] = {"{\"claims\":{\"x\":[1,{\"b\":2}]}}", "{\"claims\":{\"x\":2.5}}",
                         "{\"claims\":{\"x\":\"\u00e9\"}}", "{\"claims\":{\"x\":-0}}",
                         "{\"claims\":{\"x\":\"tab\\there\"}}", "{\"hostile\":\"fractional_exp\"}"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        char *t = mint(ids[i]);
        cr_assert(hs256_valid(t, SECRET), "%s", ids[i]);
        struct parts p = split(t);
        cr_assert_not_null(p.claims, "%s", ids[i]);
        cr_assert_str_eq(claim(&p, "sub")->valuestring, "rrun.1.alice");
        parts_free(&p);
        free(t);
    }
}

Test(token, many_secrets_each_sign_with_its_own)
{
    /* More secrets than the keyed contexts kept, interleaved. */
    char err[300];
    cJSON *id = cJSON_CreateObject();
    for (int round = 0; round < 2; round++)
        for (int k = 0; k < 7; k++) {
            char key[80];
            snprintf(key, sizeof key, "secret-number-%d-%s", k, SECRET);
            char *t = token_mint(id, "s", "j", key, NULL, NOW, err, sizeof err);
            cr_assert_not_null(t, "%s", err);
            cr_assert(hs256_valid(t, key), "key %d", k);
            free(t);
        }
    cJSON_Delete(id);
}

static void *mint_many(void *arg)
{
    char err[300];
    cJSON *id = cJSON_CreateObject();
    intptr_t bad = 0;
    for (int i = 0; i < 200; i++) {
        char *t = token_mint(id, (const char *)arg, "j", SECRET, NULL, NOW, err, sizeof err);
        bad += !t || !hs256_valid(t, SECRET);
        free(t);
    }
    cJSON_Delete(id);
    return (void *)bad;
}

Test(token, threads_share_the_keyed_context)
{
    pthread_t th[4];
    const char *subs[] = {"a", "b", "c", "d"};
    for (int i = 0; i < 4; i++)
        pthread_create(&th[i], NULL, mint_many, (void *)subs[i]);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        cr_assert_eq((intptr_t)bad, 0, "thread %d minted invalid tokens", i);
    }
}

Test(token, every_kind_is_known)
{
    int n = 0;
    for (int i = 0; token_hostile_kinds[i]; i++, n++)
        cr_assert(token_hostile_known(token_hostile_kinds[i]));
    cr_assert_eq(n, 32);
    cr_assert_not(token_hostile_known("expired_yesterday"));
}

Test(token, common_identities_printed_directly_match_the_tree_path)
{
    /* An empty "claims" object changes no claim but takes the tree path: the
     * two tokens of each identity must be the same bytes. */
    static const char *const ids[][2] = {
        {"{\"role\":\"USER\"}", "{\"role\":\"USER\",\"claims\":{}}"},
        {"{\"role\":null}", "{\"role\":null,\"claims\":{}}"},
        {"{}", "{\"claims\":{}}"},
        {"{\"jti\":false,\"ttl\":5}", "{\"jti\":false,\"ttl\":5,\"claims\":{}}"},
        {"{\"jti\":false,\"same_jti_as\":\"x\"}", "{\"jti\":false,\"same_jti_as\":\"x\",\"claims\":{}}"},
        {"{\"ttl\":-2000000000}", "{\"ttl\":-2000000000,\"claims\":{}}"},
        {"{\"role\":\"say \\\"hi\\\" \\\\\"}", "{\"role\":\"say \\\"hi\\\" \\\\\",\"claims\":{}}"},
        {"{\"role\":\"\u00e9t\u00e9\"}", "{\"role\":\"\u00e9t\u00e9\",\"claims\":{}}"},
    };
    static const char *const subs[][2] = {{"rrun.1.alice", "jrun.1.alice"}, {"r\"q", NULL}, {"r\\b", "j/k"}};
    char err[300];
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++)
        for (size_t k = 0; k < sizeof subs / sizeof *subs; k++) {
            char *t[2];
            for (int w = 0; w < 2; w++) {
                cJSON *id = jsonx_parse(ids[i][w], strlen(ids[i][w]), err, sizeof err);
                cr_assert_not_null(id, "%s: %s", ids[i][w], err);
                t[w] = token_mint(id, subs[k][0], subs[k][1], SECRET, NULL, NOW, err, sizeof err);
                cr_assert_not_null(t[w], "%s: %s", ids[i][w], err);
                cJSON_Delete(id);
            }
            cr_assert_str_eq(t[0], t[1], "%s with sub %s", ids[i][0], subs[k][0]);
            cr_assert(hs256_valid(t[0], SECRET), "%s", ids[i][0]);
            free(t[0]);
            free(t[1]);
        }
}
