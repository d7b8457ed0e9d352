/* Token verification (AUTH-2, AUTH-3, AUTH-4, and FULL-* with a public
 * key): every signature is checked with OpenSSL, and the algorithm and every
 * claim by hand. The server does not use libjwt: 1.10.2 is too lenient (it
 * accepts HS384/HS512 under an HS256 key and alg "none" without a key), checks
 * no claim, and parsed every token a second time, which was most of the
 * server's work per request; the tests still mint tokens with it, so an
 * implementation independent of this one signs what this one verifies. */
#ifndef AFI_AUTH_H
#define AFI_AUTH_H

#include <stddef.h>
#include <openssl/evp.h>

/* Auth levels, lowest first (CTX-3): the first two are not roles; the rest
 * are the roles of AUTH-3 in their order. */
enum auth_level {
	AUTH_PUBLIC,
	AUTH_VIEWER,
	AUTH_USER,
	AUTH_READER,
	AUTH_WRITER,
	AUTH_ADMIN,
	AUTH_SUPERADMIN,
};

/* AUTH-2: longer tokens are refused without being decoded. */
#define AUTH_MAX_TOKEN 8192

struct auth_cache;
struct jwks;

/* FULL-1: a public key tokens are verified with instead of AFI_SECRET. */
struct auth_key;

struct auth_config {
	const unsigned char *secret;	/* AFI_SECRET, >= 32 bytes; borrowed */
	size_t secret_len;
	const char *issuer;		/* AFI_ISSUER or NULL; borrowed */
	const char *audience;		/* AFI_AUDIENCE or NULL; borrowed */
	const struct auth_key *key;	/* AFI_PUBLIC_KEY_FILE or NULL; borrowed */
	struct jwks *jwks;		/* AFI_JWKS_URL or NULL (then key is NULL); borrowed */
	struct auth_cache *cache;	/* verified tokens, or NULL; borrowed */
};

/* A cache of tokens that passed every check, keyed by their exact bytes, so
 * that a client presenting the same token again skips the signature and
 * claim checks; only the time checks (nbf, exp) run again. It belongs to one
 * configuration (secret, issuer, audience) and is safe to share between
 * threads. Returns NULL when out of memory; free with auth_cache_free, which
 * accepts NULL. */
struct auth_cache *auth_cache_new(void);
void auth_cache_free(struct auth_cache *cache);

/* FULL-1: reads the PEM public key at path: an RSA key of at least 2048
 * bits (tokens are then RS256 only) or a P-256 key (ES256 only). Returns a
 * key the caller frees with auth_key_free (which accepts NULL), or NULL with
 * the reason in err: unreadable, not a public key, or a type we refuse. */
struct auth_key *auth_key_load(const char *path, char *err, size_t errlen);
void auth_key_free(struct auth_key *key);

/* "RS256" or "ES256": the one algorithm key accepts. */
const char *auth_key_alg(const struct auth_key *key);

/* A verified token. sub and jti are owned by the viewer (auth_viewer_clear). */
struct auth_viewer {
	char *sub;
	char *jti;		/* NULL when the token has none */
	enum auth_level role;	/* AUTH_USER .. AUTH_SUPERADMIN */
};

enum auth_result {
	AUTH_OK,
	AUTH_INVALID,	/* invalid_token */
	AUTH_EXPIRED,	/* token_expired: otherwise valid, now >= exp */
	AUTH_UNAVAILABLE, /* FULL-8: the JWK Set was never fetched, so nothing can verify */
};

/* Verifies token[0..len) at time now (seconds since the epoch). On AUTH_OK
 * fills *viewer; otherwise *viewer is left empty and err says why. */
enum auth_result auth_verify(const struct auth_config *cfg, const char *token, size_t len,
			     double now, struct auth_viewer *viewer, char *err, size_t errlen);

/* FULL-1, FULL-2: 1 when the compact JWS token[0..len) has a valid RS256
 * (es256 0) or ES256 (es256 1) signature by pkey; its header and claims are
 * not looked at (the RFC 7515 examples are checked with it). */
int auth_signature_ok(EVP_PKEY *pkey, int es256, const char *token, size_t len);

/* Frees what a viewer owns and zeroes it; accepts NULL. */
void auth_viewer_clear(struct auth_viewer *viewer);

/* "public", "viewer", or the role name. */
const char *auth_level_name(enum auth_level level);

/* Decodes the unpadded base64url in[0..n) into out, which has room for
 * n * 3 / 4 bytes. Returns the bytes written, or -1 when in is not base64url. */
long auth_b64url_decode(const char *in, size_t n, unsigned char *out);

#endif
