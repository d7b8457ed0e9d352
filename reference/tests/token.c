/* Test helper: token minting with libjwt and by hand. */
#include "token.h"

#include <jwt.h>
#include <stdlib.h>
#include <string.h>

char *token_mint(const char *alg, const char *secret, const char *claims_json)
{
	jwt_t *jwt = NULL;
	char *out = NULL;
	if (jwt_new(&jwt))
		return NULL;
	if (!jwt_add_grants_json(jwt, claims_json) &&
	    !jwt_set_alg(jwt, jwt_str_alg(alg), (const unsigned char *)secret, (int)strlen(secret))) {
		char *t = jwt_encode_str(jwt);
		if (t) {
			out = strdup(t);
			free(t);
		}
	}
	jwt_free(jwt);
	return out;
}

static void b64url(const char *in, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	const unsigned char *p = (const unsigned char *)in;
	size_t n = strlen(in), o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = a[v >> 6 & 63];
		if (i + 2 < n)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
}

char *token_raw(const char *header_json, const char *claims_json, const char *sig)
{
	size_t n = (strlen(header_json) + strlen(claims_json)) * 2 + strlen(sig) + 8;
	char *out = malloc(n);
	if (!out)
		return NULL;
	b64url(header_json, out);
	strcat(out, ".");
	b64url(claims_json, out + strlen(out));
	strcat(out, ".");
	strcat(out, sig);
	return out;
}
