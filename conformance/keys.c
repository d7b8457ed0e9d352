/* keys.c: loads or generates the full level's RSA and P-256 keys with OpenSSL (see keys.h). */
#include "keys.h"
#include "mem.h"

#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int keys_parse_type(const char *type, int *es256)
{
    if (!strcmp(type, "rsa"))
        *es256 = 0;
    else if (!strcmp(type, "p256"))
        *es256 = 1;
    else
        return -1;
    return 0;
}

static EVP_PKEY *generate(int es256)
{
    return es256 ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
}

/* 1 when pkey is a key this level signs with, setting *es256. */
static int supported(EVP_PKEY *pkey, int *es256)
{
    char group[64] = "";
    /* 8192 bits at most: token.c's signature buffers hold 1024 bytes */
    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA && EVP_PKEY_get_bits(pkey) >= 2048 &&
        EVP_PKEY_get_bits(pkey) <= 8192) {
        *es256 = 0;
        return 1;
    }
    if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC &&
        EVP_PKEY_get_group_name(pkey, group, sizeof group, NULL) && !strcmp(group, "prime256v1")) {
        *es256 = 1;
        return 1;
    }
    return 0;
}

/* Fills the public encodings and the kid, and the attacker key. */
static int complete(struct keys *k, char *err, size_t errlen)
{
    BIO *b = BIO_new(BIO_s_mem());
    char *pem = NULL;
    long n = 0;
    unsigned char *der = NULL;
    int dn;
    int rc = -1;
    if (!b || !PEM_write_bio_PUBKEY(b, k->issuer) || (n = BIO_get_mem_data(b, &pem)) <= 0 ||
        (dn = i2d_PUBKEY(k->issuer, &der)) <= 0) {
        snprintf(err, errlen, "OpenSSL could not encode the public key");
        goto out;
    }
    k->public_pem = mem_alloc((size_t)n + 1);
    memcpy(k->public_pem, pem, (size_t)n);
    k->public_pem[n] = '\0';
    k->public_der = mem_alloc((size_t)dn);
    memcpy(k->public_der, der, (size_t)dn);
    k->public_der_len = (size_t)dn;
    unsigned char md[32];
    unsigned mdlen = 0;
    EVP_Digest(der, (size_t)dn, md, &mdlen, EVP_sha256(), NULL);
    for (int i = 0; i < 8; i++)
        sprintf(k->kid + 2 * i, "%02x", md[i]);
    if (!(k->attacker = generate(k->es256))) {
        snprintf(err, errlen, "OpenSSL could not generate a key");
        goto out;
    }
    rc = 0;
out:
    OPENSSL_free(der);
    BIO_free(b);
    if (rc)
        keys_clear(k);
    return rc;
}

int keys_load(struct keys *k, const char *path, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "--private-key %s cannot be read", path);
        return -1;
    }
    k->issuer = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!k->issuer) {
        snprintf(err, errlen, "--private-key %s is not an unencrypted PEM private key", path);
        return -1;
    }
    if (!supported(k->issuer, &k->es256)) {
        snprintf(err, errlen, "--private-key %s is neither an RSA key of 2048 to 8192 bits nor a P-256 key", path);
        keys_clear(k);
        return -1;
    }
    return complete(k, err, errlen);
}

int keys_generate(struct keys *k, int es256, char *err, size_t errlen)
{
    memset(k, 0, sizeof *k);
    k->es256 = es256;
    if (!(k->issuer = generate(es256))) {
        snprintf(err, errlen, "OpenSSL could not generate a key");
        return -1;
    }
    return complete(k, err, errlen);
}

const char *keys_alg(const struct keys *k)
{
    return k->es256 ? "ES256" : "RS256";
}

int keys_write_public(const struct keys *k, char *tmpl, char *err, size_t errlen)
{
    int fd = mkstemp(tmpl);
    size_t n = strlen(k->public_pem);
    if (fd < 0 || write(fd, k->public_pem, n) != (ssize_t)n) {
        snprintf(err, errlen, "cannot write the public key to %s", tmpl);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return 0;
}

void keys_clear(struct keys *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->issuer);
    EVP_PKEY_free(k->attacker);
    free(k->public_pem);
    free(k->public_der);
    memset(k, 0, sizeof *k);
}
