/* Test helper: mints JWTs for the auth tests (the tests' only libjwt user). */
#ifndef AFI_TEST_TOKEN_H
#define AFI_TEST_TOKEN_H

/* Signs claims_json (a JSON object text) with alg ("HS256", "HS384",
 * "HS512") and secret. Returns a malloc'd token; the caller frees it. */
char *token_mint(const char *alg, const char *secret, const char *claims_json);

/* base64url(header_json) + "." + base64url(claims_json) + "." + sig, unsigned
 * and hand-built (for alg "none" and malformed parts). Caller frees. */
char *token_raw(const char *header_json, const char *claims_json, const char *sig);

#endif
