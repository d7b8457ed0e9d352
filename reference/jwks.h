/* The JWK Set of AFI_JWKS_URL (FULL-6..FULL-8): parsed into keys, fetched with
 * libcurl (the only file that calls it), cached, refetched for an unknown kid
 * within a rate limit, every fetch bounded. */
#ifndef AFI_JWKS_H
#define AFI_JWKS_H

#include <stddef.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

/* FULL-8: the bounds of one fetch. */
#define JWKS_FETCH_MS 2000
#define JWKS_MAX_BYTES 1048576
#define JWKS_MAX_KEYS 100

/* FULL-7: the defaults of AFI_JWKS_CACHE_SECONDS and AFI_JWKS_REFRESH_SECONDS,
 * and the largest value either takes. */
#define JWKS_CACHE_SECONDS 300
#define JWKS_REFRESH_SECONDS 10
#define JWKS_MAX_SECONDS 86400

/* FULL-6: one JWK as a public key, when it is usable (an RSA key of at least
 * 2048 bits, or a P-256 point; alg, use and key_ops allowing signatures);
 * kid is not looked at. Returns a key the caller frees with EVP_PKEY_free,
 * with *es256 set (1: ES256; 0: RS256), or NULL with the reason in err. */
EVP_PKEY *jwks_key_from_jwk(const cJSON *jwk, int *es256, char *err, size_t errlen);

/* A parsed JWK Set: its usable keys with their kids; immutable. */
struct jwks_set;

/* FULL-6, FULL-8: parses doc[0..len) as a JWK Set. Returns a set the caller
 * frees with jwks_set_free (which accepts NULL), or NULL with the reason in
 * err: not a JSON object with a keys array, more than JWKS_MAX_KEYS keys, or
 * no usable key. Unusable entries are skipped, never fatal. */
struct jwks_set *jwks_set_parse(const char *doc, size_t len, char *err, size_t errlen);
void jwks_set_free(struct jwks_set *set);

/* How many usable keys set holds. */
size_t jwks_set_size(const struct jwks_set *set);

/* FULL-6: the usable key whose kid is exactly kid (borrowed from set), with
 * *es256 set; NULL when no key has it, or when two do. */
EVP_PKEY *jwks_set_find(const struct jwks_set *set, const char *kid, int *es256);

/* A fetched, cached set; safe to share between threads. */
struct jwks;

struct jwks_config {
	const char *url;	/* http:// or https://; copied */
	unsigned cache_seconds;	/* FULL-7: a set is fresh this long after its fetch */
	unsigned refresh_seconds; /* FULL-7: at most one fetch started per this long */
};

/* Makes the cache; fetches nothing yet. Call once, before any other thread
 * runs (it initializes libcurl). Returns NULL with the reason in err (a URL
 * that is not http(s), out of memory); free with jwks_free (accepts NULL). */
struct jwks *jwks_new(const struct jwks_config *cfg, char *err, size_t errlen);
void jwks_free(struct jwks *j);

/* Fetches the set now, whatever the rate limit (the fetch at start, FULL-8).
 * Returns 0, or -1 with the reason in err (the previous set, if any, stays). */
int jwks_fetch_now(struct jwks *j, char *err, size_t errlen);

/* FULL-7: the generation of the set in use, after refetching it when its
 * cache time has passed and the rate limit allows (then *fetched is 1, else
 * 0): it changes whenever a fetch brings a set different from the one
 * before; 0 while no set was fetched. What was verified under one
 * generation needs verifying again under another. */
unsigned long jwks_generation(struct jwks *j, int *fetched);

enum jwks_result {
	JWKS_FOUND,
	JWKS_UNKNOWN_KID,	/* no usable key has it, even after the refetch allowed */
	JWKS_NO_SET,		/* no fetch has succeeded yet (FULL-8: 503) */
};

/* FULL-6, FULL-7: the key kid selects, refetching the set first when kid is
 * unknown (or the set stale), may_fetch is 1 and the rate limit allows (a
 * request that already fetched passes 0: it waits for one fetch at most).
 * On JWKS_FOUND, *pkey is a new reference the caller frees with
 * EVP_PKEY_free, *es256 its algorithm and *generation the set's. */
enum jwks_result jwks_key(struct jwks *j, const char *kid, int may_fetch, EVP_PKEY **pkey, int *es256,
			  unsigned long *generation);

#endif
