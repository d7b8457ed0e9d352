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
        x->tokens[i] = token_mint(id, sub, jti, x->secret, x->keys, x->now, x->error, sizeof x->error);
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
