/* identities.h: the identities of one case run: their sub and jti claims,
 * their tokens minted on first use, and the built-in variables ${run},
 * ${case}, ${sub:NAME}, ${jti:NAME} and ${token:NAME} (docs/fixtures.md).
 *
 * Every case run gets names of its own, "r<run>.<case>.<owner>" (sub) and
 * "j<run>.<case>.<owner>" (jti), so that cases running at once never share
 * a viewer's keys or a revoked jti; same_sub_as and same_jti_as name the
 * owner.
 */
#ifndef AFI_CONFORMANCE_IDENTITIES_H
#define AFI_CONFORMANCE_IDENTITIES_H

#include <stddef.h>

#include "fixture.h"
#include "jwks.h"
#include "keys.h"

struct identities {
    const char *run_id;               /* borrowed */
    int case_index;
    const struct fixture_suite *suite; /* borrowed: its identities object */
    const char *secret;               /* borrowed */
    const struct keys *keys;          /* the full level's keys or NULL; borrowed */
    struct jwks *jwks;                /* --key-source jwks: the case keys' owner, or NULL; borrowed */
    long now;                         /* Unix time the tokens are minted at */
    char **tokens;                    /* one per identity of the suite; owned */
    char error[300];                  /* why the last identities_token failed */
};

/* Prepares the identities of case case_index of suite for a run; all
 * pointers are borrowed and must outlive x. Clear with identities_clear. */
void identities_init(struct identities *x, const char *run_id, int case_index,
                     const struct fixture_suite *suite, const char *secret, long now);

/* The token of identity name, minted on first use (borrowed from x); NULL
 * with a message in x->error when the suite has no such identity or minting
 * failed. */
const char *identities_token(struct identities *x, const char *name);

/* A vars_builtin_fn over a struct identities (ctx): a malloc'd value of a
 * built-in variable, or NULL when name is none. */
char *identities_builtin(void *ctx, const char *name);

/* Frees the tokens (not x itself); x may be NULL. */
void identities_clear(struct identities *x);

#endif
