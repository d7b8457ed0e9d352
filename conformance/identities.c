/* identities.c: per-case sub and jti names, tokens and built-in variables (see identities.h). */
#include "identities.h"
#include "mem.h"
#include "token.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void identities_init(struct identities *x, const char *run_id, int case_index,
                     const struct fixture_suite *suite, const char *secret, long now)
{
    memset(x, 0, sizeof *x);
    x->run_id = run_id;
    x->case_index = case_index;
    x->suite = suite;
    x->secret = secret;
    x->now = now;
    x->tokens = mem_calloc((size_t)cJSON_GetArraySize(suite->identities) + 1, sizeof *x->tokens);
}

static int identity_index(const struct fixture_suite *s, const char *name)
{
    int i = 0;
    for (const cJSON *id = s->identities->child; id; id = id->next, i++)
        if (!strcmp(id->string, name))
            return i;
    return -1;
}

/* prefix "r" for a sub, "j" for a jti: the owner's name made unique to this case run. */
static char *claim_name(const struct identities *x, char prefix, const char *owner)
{
    /* "%c%s.%d.%s" without snprintf, which cost more than the rest of the
     * name's use together (two names per case) */
    char num[24], *d = num + sizeof num;
    unsigned long i = x->case_index < 0 ? 0UL - (unsigned long)x->case_index : (unsigned long)x->case_index;
    do
        *--d = (char)('0' + i % 10);
    while (i /= 10);
    if (x->case_index < 0)
        *--d = '-';
    size_t rl = strlen(x->run_id), nl = (size_t)(num + sizeof num - d), ol = strlen(owner);
    char *b = mem_alloc(1 + rl + 1 + nl + 1 + ol + 1), *o = b;
    *o++ = prefix;
    memcpy(o, x->run_id, rl);
    o += rl;
    *o++ = '.';
    memcpy(o, d, nl);
    o += nl;
    *o++ = '.';
    memcpy(o, owner, ol + 1);
    return b;
}

/* FULL-6: the keys id's token is signed with: the run's, or with the
 * identity's key (the issuer's, the attacker's, the set's flawed key or a key
 * of this case) and its kid (kid_of's, a literal, or none). 0, or -1 with
 * x->error set. */
static int token_keys(struct identities *x, const cJSON *id, struct keys *tk)
{
    const cJSON *key = cJSON_GetObjectItemCaseSensitive(id, "key");
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(id, "kid");
    const cJSON *kid_of = cJSON_GetObjectItemCaseSensitive(id, "kid_of");
    *tk = *x->keys;
    tk->attacker_url = x->jwks ? jwks_attacker_url(x->jwks) : NULL;
    tk->attacker_file = x->jwks ? jwks_attacker_file(x->jwks) : NULL;
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *which = pass ? kid_of : key;
        if (!cJSON_IsString(which))
            continue;
        EVP_PKEY *pk = x->keys->issuer;
        const char *k = x->keys->kid;
        if (!strcmp(which->valuestring, "attacker")) {
            pk = x->keys->attacker;
            k = JWKS_ENC_KID;
        } else if (strcmp(which->valuestring, "issuer")) {
            if (!x->jwks) {
                snprintf(x->error, sizeof x->error, "the key \"%s\" of a case needs --key-source jwks",
                         which->valuestring);
                return -1;
            }
            if (!strcmp(which->valuestring, "flawed")) {
                pk = jwks_flawed(x->jwks);
                k = JWKS_FLAWED_KID;
            } else if (jwks_case_key(x->jwks, x->case_index, which->valuestring, &pk, &k, x->error,
                                     sizeof x->error)) {
                return -1;
            }
        }
        if (!pass)
            tk->issuer = pk;
        tk->header_kid = k;
    }
    if (cJSON_IsString(kid))
        tk->header_kid = kid->valuestring;
    tk->no_kid = cJSON_IsFalse(kid);
    return 0;
}

const char *identities_token(struct identities *x, const char *name)
{
    int i = identity_index(x->suite, name);
    if (i < 0) {
        snprintf(x->error, sizeof x->error, "unknown identity \"%s\"", name);
        return NULL;
    }
    if (!x->tokens[i]) {
        char *sub = claim_name(x, 'r', fixture_sub_owner(x->suite, name));
        char *jti = claim_name(x, 'j', fixture_jti_owner(x->suite, name));
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(x->suite->identities, name);
        struct keys tk;
        if (!x->keys || !token_keys(x, id, &tk))
            x->tokens[i] = token_mint(id, sub, jti, x->secret, x->keys ? &tk : NULL, x->now, x->error,
                                      sizeof x->error);
        free(sub);
        free(jti);
    }
    return x->tokens[i];
}

char *identities_builtin(void *ctx, const char *name)
{
    struct identities *x = ctx;
    char b[64];
    if (!strcmp(name, "run"))
        return mem_strdup(x->run_id);
    if (!strcmp(name, "case")) {
        snprintf(b, sizeof b, "c%d", x->case_index);
        return mem_strdup(b);
    }
    if (!strncmp(name, "sub:", 4) && identity_index(x->suite, name + 4) >= 0)
        return claim_name(x, 'r', fixture_sub_owner(x->suite, name + 4));
    if (!strncmp(name, "jti:", 4) && identity_index(x->suite, name + 4) >= 0)
        return claim_name(x, 'j', fixture_jti_owner(x->suite, name + 4));
    if (!strncmp(name, "token:", 6)) {
        const char *t = identities_token(x, name + 6);
        return t ? mem_strdup(t) : NULL;
    }
    return NULL;
}

void identities_clear(struct identities *x)
{
    if (!x || !x->tokens)
        return;
    for (int i = 0; i < cJSON_GetArraySize(x->suite->identities); i++)
        free(x->tokens[i]);
    free(x->tokens);
    x->tokens = NULL;
}
