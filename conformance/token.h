/* token.h: minting the tokens of fixture identities, hostile kinds included.
 * Every libjwt call of the runner lives in token.c. */
#ifndef AFI_CONFORMANCE_TOKEN_H
#define AFI_CONFORMANCE_TOKEN_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "keys.h"

/* 1 when kind is a hostile token kind of docs/fixtures.md. */
int token_hostile_known(const char *kind);

/* The list of hostile kinds, NULL-terminated (for validation messages). */
extern const char *const token_hostile_kinds[];

/* Mints the token of identity (a validated fixture identity object: role, jti,
 * ttl, claims, omit, hostile), with claim sub = `sub` and, when the identity
 * wants one, jti = `jti`, signed HS256 with secret, or with keys (borrowed;
 * NULL at the core level: then the full level's hostile kinds are an error)
 * as RS256/ES256 with iss and aud of FULL-4, unless the hostile kind says
 * otherwise; `now` is the Unix time. Returns a malloc'd compact token the
 * caller frees, or NULL with a message in err. */
char *token_mint(const cJSON *identity, const char *sub, const char *jti, const char *secret,
                 const struct keys *keys, long now, char *err, size_t errlen);

#endif
