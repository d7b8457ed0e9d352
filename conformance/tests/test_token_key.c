/* Tests of the full level's tokens (FULL-*): RS256/ES256 minting and every key-bound hostile kind, at both key types. */
#include <criterion/criterion.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "b64.h"
#include "jsonx.h"
#include "keys.h"
#include "token.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define NOW 1800000000L

static struct keys k;

static void setup_rsa(void)
{
    char err[200];
    cr_assert_eq(keys_generate(&k, 0, err, sizeof err), 0, "%s", err);
}

static void setup_ec(void)
{
    char err[200];
    cr_assert_eq(keys_generate(&k, 1, err, sizeof err), 0, "%s", err);
}

static void teardown(void) { keys_clear(&k); }

struct tok {
    cJSON *header, *claims;
    unsigned char *sig;
    size_t siglen;
    char *input;  /* header.claims as sent */
};

static cJSON *json_part(const char *s, size_t n)
{
    char *b = strndup(s, n), err[100];
    size_t dl;
    unsigned char *d = b64_decode(b, &dl);
    free(b);
    cr_assert_not_null(d);
    cJSON *j = jsonx_parse((char *)d, dl, err, sizeof err);
    free(d);
    cr_assert_not_null(j, "%s", err);
    return j;
}

static struct tok mint(const char *kind)
{
    char err[300], idtext[200];
    snprintf(idtext, sizeof idtext, kind ? "{\"hostile\":\"%s\"}" : "{}", kind);
    cJSON *id = jsonx_parse(idtext, strlen(idtext), err, sizeof err);
    char *t = token_mint(id, "alice", "j1", SECRET, &k, NOW, err, sizeof err);
    cr_assert_not_null(t, "%s: %s", kind, err);
    cJSON_Delete(id);
    struct tok x = {0};
    char *d1 = strchr(t, '.'), *d2 = strrchr(t, '.');
    x.header = json_part(t, (size_t)(d1 - t));
    x.claims = json_part(d1 + 1, (size_t)(d2 - d1 - 1));
    x.sig = d2[1] ? b64_decode(d2 + 1, &x.siglen) : NULL;
    x.input = strndup(t, (size_t)(d2 - t));
    free(t);
    return x;
}

static void tok_free(struct tok *x)
{
    cJSON_Delete(x->header);
    cJSON_Delete(x->claims);
    free(x->sig);
    free(x->input);
}

static const char *hdr(const struct tok *x, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(x->header, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* 1 when x's signature verifies with pkey (ES256's r || s turned into DER here). */
static int verifies(const struct tok *x, EVP_PKEY *pkey)
{
    unsigned char *der = NULL;
    const unsigned char *s = x->sig;
    size_t n = x->siglen;
    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC) {
        if (n != 64)
            return 0;
        ECDSA_SIG *e = ECDSA_SIG_new();
        ECDSA_SIG_set0(e, BN_bin2bn(x->sig, 32, NULL), BN_bin2bn(x->sig + 32, 32, NULL));
        int dn = i2d_ECDSA_SIG(e, &der);
        ECDSA_SIG_free(e);
        s = der;
        n = (size_t)dn;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
             EVP_DigestVerify(md, s, n, (const unsigned char *)x->input, strlen(x->input)) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return ok;
}

static void valid_token_is_signed_by_the_issuer(void)
{
    struct tok x = mint(NULL);
    cr_assert_str_eq(hdr(&x, "alg"), keys_alg(&k));
    cr_assert_str_eq(hdr(&x, "kid"), k.kid);
    cr_assert_str_eq(cJSON_GetObjectItem(x.claims, "iss")->valuestring, KEYS_ISSUER);
    cr_assert_str_eq(cJSON_GetObjectItem(x.claims, "aud")->valuestring, KEYS_AUDIENCE);
    cr_assert(verifies(&x, k.issuer));
    cr_assert_not(verifies(&x, k.attacker));
    cr_assert_eq(x.siglen, k.es256 ? 64 : 256);
    tok_free(&x);
}

static void pointing_kinds_are_signed_by_the_attacker(void)
{
    const char *kinds[] = {"hdr_jku", "hdr_x5u", "hdr_jwk", "kid_path", "kid_url", "kid_inject", "bad_signature"};
    for (size_t i = 0; i < sizeof kinds / sizeof *kinds; i++) {
        struct tok x = mint(kinds[i]);
        cr_assert(verifies(&x, k.attacker), "%s", kinds[i]);
        cr_assert_not(verifies(&x, k.issuer), "%s", kinds[i]);
        tok_free(&x);
    }
    struct tok j = mint("hdr_jwk");
    cr_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(j.header, "jwk"), "kty")->valuestring,
                     k.es256 ? "EC" : "RSA");
    tok_free(&j);
    struct tok p = mint("kid_path");
    cr_assert(strstr(hdr(&p, "kid"), "../"));
    tok_free(&p);
}

static void confusion_kinds_are_hmac_keyed_with_the_public_key(void)
{
    struct {
        const char *kind;
        const void *key;
        size_t n;
    } c[] = {{"hs256_public_pem", k.public_pem, strlen(k.public_pem)},
             {"hs256_public_der", k.public_der, k.public_der_len},
             {"hs256_secret", SECRET, strlen(SECRET)}};
    for (int i = 0; i < 3; i++) {
        struct tok x = mint(c[i].kind);
        unsigned char mac[32];
        size_t n = 0;
        cr_assert_str_eq(hdr(&x, "alg"), "HS256");
        cr_assert(EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, c[i].key, c[i].n, (unsigned char *)x.input,
                            strlen(x.input), mac, sizeof mac, &n));
        cr_assert_eq(x.siglen, 32);
        cr_assert_eq(memcmp(mac, x.sig, 32), 0, "%s", c[i].kind);
        tok_free(&x);
    }
}

static void alg_kinds_name_other_algorithms(void)
{
    struct tok a = mint("alg_none_capital"), b = mint("alg_lowercase"), c = mint("alg_other_key_type");
    cr_assert_str_eq(hdr(&a, "alg"), "None");
    cr_assert_str_eq(hdr(&b, "alg"), k.es256 ? "es256" : "rs256");
    cr_assert_str_eq(hdr(&c, "alg"), k.es256 ? "RS256" : "ES256");
    cr_assert(verifies(&b, k.issuer), "signed by the issuer: only the name is wrong");
    tok_free(&a);
    tok_free(&b);
    tok_free(&c);
    struct tok n = mint("alg_none");
    cr_assert_str_eq(hdr(&n, "alg"), "none");
    cr_assert_null(n.sig);
    tok_free(&n);
}

static void crit_kind_has_an_unknown_crit(void)
{
    struct tok x = mint("crit_unknown");
    cr_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(x.header, "crit"), 0)->valuestring, "x-afi-unknown");
    cr_assert(verifies(&x, k.issuer));
    tok_free(&x);
}

TestSuite(token_rsa, .init = setup_rsa, .fini = teardown);
TestSuite(token_ec, .init = setup_ec, .fini = teardown);

Test(token_rsa, valid) { valid_token_is_signed_by_the_issuer(); }
Test(token_ec, valid) { valid_token_is_signed_by_the_issuer(); }
Test(token_rsa, pointing) { pointing_kinds_are_signed_by_the_attacker(); }
Test(token_ec, pointing) { pointing_kinds_are_signed_by_the_attacker(); }
Test(token_rsa, confusion) { confusion_kinds_are_hmac_keyed_with_the_public_key(); }
Test(token_ec, confusion) { confusion_kinds_are_hmac_keyed_with_the_public_key(); }
Test(token_rsa, algs) { alg_kinds_name_other_algorithms(); }
Test(token_ec, algs) { alg_kinds_name_other_algorithms(); }
Test(token_rsa, crit) { crit_kind_has_an_unknown_crit(); }
Test(token_ec, crit) { crit_kind_has_an_unknown_crit(); }

Test(token_ec, signature_forms)
{
    static const unsigned char order[32] = {
        0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
        0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
    struct tok z = mint("sig_zero"), o = mint("sig_order"), d = mint("sig_der"), m = mint("sig_malleated");
    unsigned char zeros[64] = {0};
    cr_assert(z.siglen == 64 && !memcmp(z.sig, zeros, 64));
    cr_assert(o.siglen == 64 && !memcmp(o.sig, order, 32));
    cr_assert_eq(d.sig[0], 0x30, "a DER SEQUENCE");
    cr_assert_neq(d.siglen, 64);
    cr_assert(verifies(&m, k.issuer), "(r, n - s) verifies too");
    tok_free(&z);
    tok_free(&o);
    tok_free(&d);
    tok_free(&m);
}

Test(token_rsa, malleated_is_another_spelling_of_the_same_token)
{
    char err[300];
    const char *m = "{\"hostile\":\"sig_malleated\"}";
    cJSON *plain = jsonx_parse("{}", 2, err, sizeof err), *mal = jsonx_parse(m, strlen(m), err, sizeof err);
    cr_assert(plain && mal, "%s", err);
    char *a = token_mint(plain, "alice", "j1", SECRET, &k, NOW, err, sizeof err);
    char *b = token_mint(mal, "alice", "j1", SECRET, &k, NOW, err, sizeof err);
    size_t n = strlen(a);
    cr_assert_eq(strlen(b), n);
    cr_assert_str_neq(a, b);
    cr_assert_eq(strncmp(a, b, n - 1), 0, "only the last character differs");
    free(a);
    free(b);
    cJSON_Delete(plain);
    cJSON_Delete(mal);
}

Test(token_rsa, signature_forms)
{
    struct tok z = mint("sig_zero"), o = mint("sig_order"), d = mint("sig_der"), m = mint("sig_malleated");
    unsigned char zeros[256] = {0}, mod[256];
    BIGNUM *nbn = NULL;
    cr_assert(EVP_PKEY_get_bn_param(k.issuer, OSSL_PKEY_PARAM_RSA_N, &nbn));
    BN_bn2binpad(nbn, mod, 256);
    BN_free(nbn);
    cr_assert(z.siglen == 256 && !memcmp(z.sig, zeros, 256));
    cr_assert(o.siglen == 256 && !memcmp(o.sig, mod, 256));
    cr_assert(d.siglen == 257 && d.sig[0] == 0);
    cr_assert(verifies(&m, k.issuer), "the same signature bytes, spelled otherwise");
    tok_free(&z);
    tok_free(&o);
    tok_free(&d);
    tok_free(&m);
}

Test(token_key, key_kinds_need_a_key)
{
    char err[300] = "";
    const char *text = "{\"hostile\":\"sig_zero\"}";
    cJSON *id = jsonx_parse(text, strlen(text), err, sizeof err);
    cr_assert_not_null(id, "%s", err);
    cr_assert_null(token_mint(id, "a", "j", SECRET, NULL, NOW, err, sizeof err));
    cr_assert(strstr(err, "needs a key"), "%s", err);
    cJSON_Delete(id);
}

Test(token_key, types_parse)
{
    int es = -1;
    cr_assert_eq(keys_parse_type("rsa", &es), 0);
    cr_assert_eq(es, 0);
    cr_assert_eq(keys_parse_type("p256", &es), 0);
    cr_assert_eq(es, 1);
    cr_assert_eq(keys_parse_type("p384", &es), -1);
}

/* Writes pkey's private half to a temporary file and loads it with keys_load. */
static int load_written(EVP_PKEY *pkey, struct keys *out, char *err, size_t errlen)
{
    char path[] = "/tmp/afi-keys-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fdopen(fd, "w");
    cr_assert(PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL));
    fclose(f);
    int rc = keys_load(out, path, err, errlen);
    unlink(path);
    EVP_PKEY_free(pkey);
    return rc;
}

Test(token_key, private_keys_load_by_type)
{
    char err[300] = "";
    struct keys got;
    cr_assert_eq(load_written(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256"), &got, err, sizeof err), 0, "%s", err);
    cr_assert(got.es256 && got.attacker && got.public_der_len > 0 && strlen(got.kid) == 16);
    cr_assert_str_eq(keys_alg(&got), "ES256");
    keys_clear(&got);
    cr_assert_eq(load_written(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048), &got, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(keys_alg(&got), "RS256");
    keys_clear(&got);
    cr_assert_eq(load_written(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384"), &got, err, sizeof err), -1);
    cr_assert(strstr(err, "P-256"), "%s", err);
    cr_assert_eq(keys_load(&got, "/nonexistent/key.pem", err, sizeof err), -1);
    cr_assert(strstr(err, "cannot be read"), "%s", err);
    keys_clear(NULL);
}
