/* keys.h: the full level's signing keys (FULL-*): the issuer's private key,
 * loaded from --private-key or generated for --spawn, its public half for the
 * target, and an attacker's key of the same type that tokens must not verify
 * with. Tokens are signed with them in token.c. */
#ifndef AFI_CONFORMANCE_KEYS_H
#define AFI_CONFORMANCE_KEYS_H

#include <stddef.h>
#include <openssl/evp.h>

/* The claims every token carries at the full level, and what the runner
 * configures a spawned target with (FULL-4). */
#define KEYS_ISSUER "afi-conformance-issuer"
#define KEYS_AUDIENCE "afi-conformance"

struct keys {
    EVP_PKEY *issuer;         /* signs valid tokens; owned */
    EVP_PKEY *attacker;       /* same type, never given to the target; owned */
    int es256;                /* 1: P-256 (ES256); 0: RSA (RS256) */
    char *public_pem;         /* the issuer's public key, PEM (SubjectPublicKeyInfo); owned */
    unsigned char *public_der; /* the same, DER; owned */
    size_t public_der_len;
    char kid[24];             /* a key id derived from the public key */
    /* For one token (identities.c: the identity's key, kid and kid_of): */
    const char *header_kid;   /* the header's kid instead of kid, or NULL */
    int no_kid;               /* 1: no kid in the header */
    /* With --key-source jwks (jwks.h), where kid_url and kid_path point,
     * else NULL (a port nothing answers on, /dev/null): */
    const char *attacker_url, *attacker_file;
};

/* "rsa" or "p256": 0 with *es256 set, -1 when type is neither. */
int keys_parse_type(const char *type, int *es256);

/* Loads the PEM private key at path (RSA of 2048 to 8192 bits, or P-256) into k, with
 * a fresh attacker key of its type. Returns 0, or -1 with a message in err
 * (k then holds nothing). */
int keys_load(struct keys *k, const char *path, char *err, size_t errlen);

/* Generates an issuer key of the type (es256: P-256, else RSA 2048) and an
 * attacker key. Returns 0, or -1 with a message in err. */
int keys_generate(struct keys *k, int es256, char *err, size_t errlen);

/* "RS256" or "ES256". */
const char *keys_alg(const struct keys *k);

/* Writes the issuer's public PEM to a new file made from tmpl (a mkstemp
 * template, changed in place). Returns 0, or -1 with a message in err. */
int keys_write_public(const struct keys *k, char *tmpl, char *err, size_t errlen);

/* Frees what k holds and zeroes it; k may be NULL. */
void keys_clear(struct keys *k);

#endif
