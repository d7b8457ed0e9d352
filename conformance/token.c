/* token.c: mints identity tokens; the only file of the runner that builds or signs a JWT
 * (libjwt for unusual claims and algorithms, OpenSSL's HMAC for the common HS256 case and
 * OpenSSL for the full level's RS256 and ES256). */
#include "token.h"
#include "mem.h"
#include "b64.h"
#include "jsonx.h"
#include "strbuf.h"

#include <jwt.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const token_hostile_kinds[] = {
    "expired", "expired_now", "not_yet_valid", "bad_signature", "alg_none", "alg_hs384",
    "alg_hs512", "malformed", "garbage_base64", "missing_sub", "missing_exp", "unknown_role",
    "oversized", "fractional_exp",
    /* the full level's (FULL-*): they need a key */
    "hs256_secret", "hs256_public_pem", "hs256_public_der", "alg_none_capital", "alg_lowercase",
    "alg_other_key_type", "sig_zero", "sig_order", "sig_der", "sig_malleated", "hdr_jku", "hdr_x5u",
    "hdr_jwk", "kid_path", "kid_url", "kid_inject", "crit_unknown", "kid_long", NULL};

/* The first kind that needs a key. */
#define FIRST_KEY_KIND "hs256_secret"

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

/* One keyed HMAC-SHA256 context per secret, re-initialised with its key for
 * each token under the lock: duplicating and freeing a context per token cost
 * more than the HMAC itself. */
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

/* HMAC-SHA256 of in[0..n) with key into mac (EVP_MAX_MD_SIZE bytes); 0 or -1. */
static int mac_sign(const char *key, const char *in, size_t n, unsigned char *mac, size_t *maclen)
{
    EVP_MAC_CTX *ctx = NULL, *own = NULL;
    int rc = -1;
    pthread_mutex_lock(&mac_lock);
    if (!mac_hmac)
        mac_hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (!mac_hmac)
        goto out;
    int i = 0;
    while (i < MAC_CACHE && mac_cache[i].key && strcmp(mac_cache[i].key, key))
        i++;
    if (i == MAC_CACHE) {
        ctx = own = mac_keyed(key);
    } else if (mac_cache[i].key) {
        ctx = mac_cache[i].ctx;
    } else if ((ctx = mac_keyed(key))) {
        mac_cache[i].key = mem_strdup(key);
        mac_cache[i].ctx = ctx;
    }
    /* A NULL key re-initialises the context with the key it holds. */
    if (ctx && EVP_MAC_init(ctx, NULL, 0, NULL) && EVP_MAC_update(ctx, (const unsigned char *)in, n) &&
        EVP_MAC_final(ctx, mac, maclen, EVP_MAX_MD_SIZE))
        rc = 0;
out:
    pthread_mutex_unlock(&mac_lock);
    EVP_MAC_CTX_free(own);
    return rc;
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
    char *sig = NULL, *tok = NULL, *res = NULL;
    unsigned char mac[EVP_MAX_MD_SIZE];
    size_t maclen = 0;
    if (!head || !body) {
        snprintf(err, errlen, "cannot encode the token's header or claims");
        goto out;
    }
    size_t hl = strlen(head), bl = strlen(body);
    tok = mem_alloc(hl + bl + 4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 3);
    memcpy(tok, head, hl);
    tok[hl] = '.';
    memcpy(tok + hl + 1, body, bl);
    if (mac_sign(secret, tok, hl + bl + 1, mac, &maclen)) {
        snprintf(err, errlen, "OpenSSL could not compute HMAC-SHA256");
        goto out;
    }
    if (!(sig = b64_url_encode(mac, maclen))) {
        snprintf(err, errlen, "cannot encode the HMAC-SHA256 signature");
        goto out;
    }
    tok[hl + bl + 1] = '.';
    memcpy(tok + hl + bl + 2, sig, strlen(sig) + 1);
    res = tok;
    tok = NULL;
out:
    free(head);
    free(body);
    free(sig);
    free(tok);
    return res;
}

/* ---------- the full level: RS256 and ES256 ---------- */

/* How the signature of a key-signed token is encoded (FULL-2, FULL-5). */
enum sig_form { SIG_JWS, SIG_ZERO, SIG_ORDER, SIG_DER, SIG_MALLEATED };

/* header.claims, both as printed JSON text, base64url-encoded and joined. */
static char *signing_input(const char *header, const char *claims)
{
    char *h = b64_url_encode(header, strlen(header)), *c = b64_url_encode(claims, strlen(claims));
    char *in = mem_alloc(strlen(h) + strlen(c) + 2);
    sprintf(in, "%s.%s", h, c);
    free(h);
    free(c);
    return in;
}

static char *with_signature(char *input, const unsigned char *sig, size_t n)
{
    char *s = b64_url_encode(sig, n);
    char *t = mem_alloc(strlen(input) + strlen(s) + 2);
    sprintf(t, "%s.%s", input, s);
    free(s);
    free(input);
    return t;
}

/* HS256 over header.claims keyed with key[0..n), which may hold NUL bytes (a DER key). */
static char *sign_hmac_bytes(const char *claims, const void *key, size_t n, char *err, size_t errlen)
{
    char *input = signing_input(HS256_HEADER, claims);
    unsigned char mac[32];
    size_t maclen = 0;
    if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, n, (const unsigned char *)input, strlen(input), mac,
                   sizeof mac, &maclen)) {
        snprintf(err, errlen, "OpenSSL could not compute HMAC-SHA256");
        free(input);
        return NULL;
    }
    return with_signature(input, mac, maclen);
}

/* The big-endian bytes of pkey's BIGNUM parameter name in out[0..n). */
static int bn_param(EVP_PKEY *pkey, const char *name, unsigned char *out, int n)
{
    BIGNUM *v = NULL;
    int ok = EVP_PKEY_get_bn_param(pkey, name, &v) && BN_bn2binpad(v, out, n) == n;
    BN_free(v);
    return ok;
}

/* DER ECDSA to the JWS r || s (RFC 7518 §3.4), with s or r altered by form. */
static int ecdsa_raw(EVP_PKEY *pkey, const unsigned char *der, size_t n, enum sig_form form, unsigned char raw[64])
{
    ECDSA_SIG *e = d2i_ECDSA_SIG(NULL, &der, (long)n);
    BIGNUM *s = e ? BN_dup(ECDSA_SIG_get0_s(e)) : NULL, *order = NULL;
    int ok = 0;
    if (!s || !EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_EC_ORDER, &order))
        goto out;
    if (form == SIG_MALLEATED && !BN_sub(s, order, s))
        goto out;
    ok = BN_bn2binpad(form == SIG_ORDER ? order : ECDSA_SIG_get0_r(e), raw, 32) == 32 &&
         BN_bn2binpad(s, raw + 32, 32) == 32;
out:
    BN_free(s);
    BN_free(order);
    ECDSA_SIG_free(e);
    return ok;
}

/* RS256 signatures are deterministic, so FULL-5's other encoding of the same
 * token is textual: the last base64url character of a 256- or 512-byte
 * signature carries 4 unused bits, and setting the lowest one spells the same
 * bytes differently (RFC 4648 §3.5 lets decoders accept it). */
static void respell_last(char *token)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char *last = token + strlen(token) - 1;
    const char *at = strchr(alphabet, *last);
    if (at)
        *last = alphabet[(at - alphabet) | 1];
}

/* header.claims signed with pkey (SHA-256), the signature encoded as form says. */
static char *sign_key(const char *header, const char *claims, EVP_PKEY *pkey, enum sig_form form, char *err,
                      size_t errlen)
{
    char *input = signing_input(header, claims);
    unsigned char sig[1024], out[1025];
    size_t n = sizeof sig, outn = 0;
    int ec = EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
             EVP_DigestSign(md, sig, &n, (const unsigned char *)input, strlen(input)) == 1;
    EVP_MD_CTX_free(md);
    if (!ok) {
        snprintf(err, errlen, "OpenSSL could not sign the token");
        free(input);
        return NULL;
    }
    size_t size = ec ? 64 : (size_t)EVP_PKEY_get_size(pkey);
    if (form == SIG_ZERO) {
        memset(out, 0, size);
        outn = size;
    } else if (form == SIG_DER) {
        /* ES256: the DER OpenSSL makes; RS256: a leading zero byte too many */
        out[0] = 0;
        memcpy(out + !ec, sig, n);
        outn = n + !ec;
    } else if (ec) {
        ok = ecdsa_raw(pkey, sig, n, form, out);
        outn = 64;
    } else if (form == SIG_ORDER) {
        ok = bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, out, (int)size);  /* the modulus itself */
        outn = size;
    } else {
        memcpy(out, sig, n);
        outn = n;
    }
    if (!ok) {
        snprintf(err, errlen, "OpenSSL could not encode the signature");
        free(input);
        return NULL;
    }
    char *t = with_signature(input, out, outn);
    if (!ec && form == SIG_MALLEATED)
        respell_last(t);
    return t;
}

/* The attacker's public key as a JWK (RFC 7517), for the jwk header. */
static cJSON *attacker_jwk(EVP_PKEY *pkey)
{
    unsigned char a[512], b[32];
    cJSON *j = cJSON_CreateObject();
    char *x = NULL, *y = NULL;
    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
        bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_X, a, 32);
        bn_param(pkey, OSSL_PKEY_PARAM_EC_PUB_Y, b, 32);
        x = b64_url_encode(a, 32);
        y = b64_url_encode(b, 32);
        cJSON_AddStringToObject(j, "kty", "EC");
        cJSON_AddStringToObject(j, "crv", "P-256");
        cJSON_AddStringToObject(j, "x", x);
        cJSON_AddStringToObject(j, "y", y);
    } else {
        int size = EVP_PKEY_get_size(pkey);
        bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, a, size);
        x = b64_url_encode(a, (size_t)size);
        cJSON_AddStringToObject(j, "kty", "RSA");
        cJSON_AddStringToObject(j, "n", x);
        cJSON_AddStringToObject(j, "e", "AQAB");
    }
    free(x);
    free(y);
    return j;
}

/* A token of keys for claims, hostile kind applied (a kind of the full level or
 * one of the core that concerns the signature). */
static char *mint_with_key(const struct keys *k, const char *kind, const char *claims, const char *secret,
                           char *err, size_t errlen)
{
    if (!strcmp(kind, "hs256_secret"))
        return sign_hmac_bytes(claims, secret, strlen(secret), err, errlen);
    if (!strcmp(kind, "hs256_public_pem"))
        return sign_hmac_bytes(claims, k->public_pem, strlen(k->public_pem), err, errlen);
    if (!strcmp(kind, "hs256_public_der"))
        return sign_hmac_bytes(claims, k->public_der, k->public_der_len, err, errlen);

    const char *alg = keys_alg(k);
    EVP_PKEY *signer = k->issuer;
    enum sig_form form = SIG_JWS;
    cJSON *h = cJSON_CreateObject();
    if (!strcmp(kind, "alg_none_capital"))
        alg = "None";
    else if (!strcmp(kind, "alg_lowercase"))
        alg = k->es256 ? "es256" : "rs256";
    else if (!strcmp(kind, "alg_other_key_type"))
        alg = k->es256 ? "RS256" : "ES256";
    cJSON_AddStringToObject(h, "alg", alg);
    cJSON_AddStringToObject(h, "typ", "JWT");
    const char *kid = k->header_kid ? k->header_kid : k->kid;
    char long_kid[4001];
    if (!strcmp(kind, "sig_zero"))
        form = SIG_ZERO;
    else if (!strcmp(kind, "sig_order"))
        form = SIG_ORDER;
    else if (!strcmp(kind, "sig_der"))
        form = SIG_DER;
    else if (!strcmp(kind, "sig_malleated"))
        form = SIG_MALLEATED;
    else if (!strcmp(kind, "kid_path"))
        kid = k->attacker_file ? k->attacker_file : "../../../../../../dev/null";
    else if (!strcmp(kind, "kid_url"))
        kid = k->attacker_url ? k->attacker_url : "http://127.0.0.1:9/attacker.pem";
    else if (!strcmp(kind, "kid_inject"))
        kid = "x' UNION SELECT 'attacker' -- \"; $(id) {{7*7}}";
    else if (!strcmp(kind, "kid_long")) {
        memset(long_kid, 'k', sizeof long_kid - 1);
        long_kid[sizeof long_kid - 1] = '\0';
        kid = long_kid;
    } else if (!strcmp(kind, "crit_unknown")) {
        cJSON *crit = cJSON_AddArrayToObject(h, "crit");
        cJSON_AddItemToArray(crit, cJSON_CreateString("x-afi-unknown"));
        cJSON_AddTrueToObject(h, "x-afi-unknown");
    }
    if (!k->no_kid)
        cJSON_AddStringToObject(h, "kid", kid);
    /* FULL-3: every token that points elsewhere is signed by the attacker's key */
    if (!strcmp(kind, "hdr_jku"))
        cJSON_AddStringToObject(h, "jku", "http://127.0.0.1:9/attacker-jwks.json");
    else if (!strcmp(kind, "hdr_x5u"))
        cJSON_AddStringToObject(h, "x5u", "http://127.0.0.1:9/attacker.crt");
    else if (!strcmp(kind, "hdr_jwk"))
        cJSON_AddItemToObject(h, "jwk", attacker_jwk(k->attacker));
    if (!strncmp(kind, "hdr_", 4) || (!strncmp(kind, "kid_", 4) && strcmp(kind, "kid_long")) ||
        !strcmp(kind, "bad_signature"))
        signer = k->attacker;
    char *header = jsonx_print(h);
    char *t = sign_key(header, claims, signer, form, err, errlen);
    free(header);
    cJSON_Delete(h);
    return t;
}

/* 1 when kind is one of the full level's, which need a key. */
static int key_kind(const char *kind)
{
    int i = 0;
    while (strcmp(token_hostile_kinds[i], FIRST_KEY_KIND))
        i++;
    for (; token_hostile_kinds[i]; i++)
        if (!strcmp(kind, token_hostile_kinds[i]))
            return 1;
    return 0;
}

/* Text that jsonx prints as it is: plain, without a quote or backslash to escape. */
static int verbatim(const char *s)
{
    return plain_text(s) && !strpbrk(s, "\"\\");
}

/* The claims of the common identity (no hostile kind, no extra or omitted
 * claims) as the tree path prints them: keys in libjwt's sorted order (exp,
 * iat, jti, role, sub), the same bytes, without building and sorting a tree.
 * NULL when a value is not printed as it is: the tree path then decides. */
/* "%ld" of v into b (32 bytes), without snprintf's cost on every token. */
static void decimal(char b[32], long v)
{
    char t[32], *d = t + sizeof t;
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    *--d = '\0';
    do
        *--d = (char)('0' + u % 10);
    while (u /= 10);
    if (v < 0)
        *--d = '-';
    memcpy(b, d, (size_t)(t + sizeof t - d));
}

static char *common_claims(const char *sub, const char *jti, const char *role, long iat, long exp)
{
    char ne[32], ni[32];
    decimal(ne, exp);
    decimal(ni, iat);
    if (!verbatim(sub) || (jti && !verbatim(jti)) || (role && !verbatim(role)) || !plain_integer(ne) ||
        !plain_integer(ni))
        return NULL;
    struct strbuf b = {0};
    strbuf_puts(&b, "{\"exp\":");
    strbuf_puts(&b, ne);
    strbuf_puts(&b, ",\"iat\":");
    strbuf_puts(&b, ni);
    if (jti) {
        strbuf_puts(&b, ",\"jti\":\"");
        strbuf_puts(&b, jti);
        strbuf_putc(&b, '"');
    }
    if (role) {
        strbuf_puts(&b, ",\"role\":\"");
        strbuf_puts(&b, role);
        strbuf_putc(&b, '"');
    }
    strbuf_puts(&b, ",\"sub\":\"");
    strbuf_puts(&b, sub);
    strbuf_puts(&b, "\"}");
    return strbuf_take(&b);
}

char *token_mint(const cJSON *identity, const char *sub, const char *jti, const char *secret,
                 const struct keys *keys, long now, char *err, size_t errlen)
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

    if (!keys && *kind && key_kind(kind)) {
        snprintf(err, errlen, "the hostile kind \"%s\" needs a key (--level full)", kind);
        return NULL;
    }
    if (!strcmp(kind, "malformed"))
        return mem_strdup("not-a-jwt.token");
    if (!strcmp(kind, "garbage_base64"))
        return garbage();

    long expires = now + (cJSON_IsNumber(ttl) ? (long)ttl->valuedouble : 600);
    int withjti = (!cJSON_IsFalse(usejti) || cJSON_GetObjectItemCaseSensitive(identity, "same_jti_as")) && jti;
    if (!keys && !*kind && !extra && !omit &&
        (text = common_claims(sub, withjti ? jti : NULL, cJSON_IsString(role) ? role->valuestring : NULL, now, expires))) {
        res = sign_hs256(text, key, err, errlen);
        free(text);
        return res;
    }
    cJSON *claims = cJSON_CreateObject();
    cJSON_AddStringToObject(claims, "sub", sub);
    set_int(claims, "iat", now);
    set_int(claims, "exp", expires);
    if (withjti)
        cJSON_AddStringToObject(claims, "jti", jti);
    if (cJSON_IsString(role))
        cJSON_AddStringToObject(claims, "role", role->valuestring);
    if (keys) {
        /* FULL-4: the issuer and audience the full level's targets are configured with */
        cJSON_AddStringToObject(claims, "iss", KEYS_ISSUER);
        cJSON_AddStringToObject(claims, "aud", KEYS_AUDIENCE);
    }

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
    if (keys && alg == JWT_ALG_HS256)
        res = mint_with_key(keys, kind, text, secret, err, errlen);
    else
        res = plain ? sign_hs256(text, key, err, errlen) : sign(text, alg, key, err, errlen);
    free(text);
    cJSON_Delete(claims);
    return res;
}
