/* JWT verification: HS256, RS256 and ES256 (FULL-*) signatures by OpenSSL, keys of a JWK Set chosen by kid (jwks.h); this file checks the rest. */
#include "auth.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jwks.h"
#include "sjson.h"

static const char *const level_names[] = {
	[AUTH_PUBLIC] = "public",
	[AUTH_VIEWER] = "viewer",
	[AUTH_USER] = "USER",
	[AUTH_READER] = "READER",
	[AUTH_WRITER] = "WRITER",
	[AUTH_ADMIN] = "ADMIN",
	[AUTH_SUPERADMIN] = "SUPERADMIN",
};

const char *auth_level_name(enum auth_level level)
{
	return level_names[level];
}

void auth_viewer_clear(struct auth_viewer *viewer)
{
	if (!viewer)
		return;
	free(viewer->sub);
	free(viewer->jti);
	viewer->sub = viewer->jti = NULL;
	viewer->role = AUTH_USER;
}

/* The cache: CACHE_SLOTS direct-mapped entries under CACHE_LOCKS striped
 * locks. A collision only costs a full verification. */
#define CACHE_SLOTS 256
#define CACHE_LOCKS 16
#define CACHE_MAX_TOKEN 2048

struct cache_entry {
	char *token;		/* NULL: empty */
	size_t len;
	char *sub, *jti;
	enum auth_level role;
	double exp, nbf;
	int has_nbf;
	unsigned long generation;	/* FULL-7: of the JWK Set that verified it */
};

struct auth_cache {
	pthread_mutex_t locks[CACHE_LOCKS];
	struct cache_entry slots[CACHE_SLOTS];
};

struct auth_cache *auth_cache_new(void)
{
	struct auth_cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	for (int i = 0; i < CACHE_LOCKS; i++)
		pthread_mutex_init(&c->locks[i], NULL);
	return c;
}

static void entry_clear(struct cache_entry *e)
{
	free(e->token);
	free(e->sub);
	free(e->jti);
	memset(e, 0, sizeof *e);
}

void auth_cache_free(struct auth_cache *c)
{
	if (!c)
		return;
	for (int i = 0; i < CACHE_SLOTS; i++)
		entry_clear(&c->slots[i]);
	for (int i = 0; i < CACHE_LOCKS; i++)
		pthread_mutex_destroy(&c->locks[i]);
	free(c);
}

static unsigned slot_of(const char *token, size_t len)
{
	uint32_t h = 2166136261u;	/* FNV-1a over the signature part, which varies most */
	for (size_t i = len > 43 ? len - 43 : 0; i < len; i++)
		h = (h ^ (unsigned char)token[i]) * 16777619u;
	return h % CACHE_SLOTS;
}

/* The time checks of AUTH-4, shared by fresh and cached verifications. */
static enum auth_result check_times(double now, int has_nbf, double nbf, double exp, char *err, size_t errlen)
{
	/* AUTH-4: not yet valid is invalid_token; expiry is decided after every
	 * other check, with no leeway: expired once now >= exp. */
	if (has_nbf && now < nbf) {
		snprintf(err, errlen, "the token is not valid yet (nbf)");
		return AUTH_INVALID;
	}
	if (now >= exp) {
		snprintf(err, errlen, "the token has expired");
		return AUTH_EXPIRED;
	}
	return AUTH_OK;
}

/* Returns 1 with the result when the cache knows token, 0 otherwise. */
static int cache_lookup(struct auth_cache *c, const char *token, size_t len, double now, unsigned long generation,
			struct auth_viewer *viewer, enum auth_result *res, char *err, size_t errlen)
{
	if (!c || len > CACHE_MAX_TOKEN)
		return 0;
	unsigned i = slot_of(token, len);
	int hit = 0;
	pthread_mutex_lock(&c->locks[i % CACHE_LOCKS]);
	struct cache_entry *e = &c->slots[i];
	if (e->token && e->len == len && e->generation == generation && !memcmp(e->token, token, len)) {
		hit = 1;
		*res = check_times(now, e->has_nbf, e->nbf, e->exp, err, errlen);
		if (*res == AUTH_OK) {
			viewer->sub = strdup(e->sub);
			viewer->jti = e->jti ? strdup(e->jti) : NULL;
			viewer->role = e->role;
			if (!viewer->sub || (e->jti && !viewer->jti)) {
				auth_viewer_clear(viewer);
				hit = 0;	/* verify in full instead */
			}
		}
	}
	pthread_mutex_unlock(&c->locks[i % CACHE_LOCKS]);
	return hit;
}

static void cache_store(struct auth_cache *c, const char *token, size_t len, const struct auth_viewer *v,
			int has_nbf, double nbf, double exp, unsigned long generation)
{
	if (!c || len > CACHE_MAX_TOKEN)
		return;
	struct cache_entry n = {.len = len, .role = v->role, .exp = exp, .nbf = nbf, .has_nbf = has_nbf,
				.generation = generation};
	n.token = malloc(len);
	n.sub = strdup(v->sub);
	n.jti = v->jti ? strdup(v->jti) : NULL;
	if (!n.token || !n.sub || (v->jti && !n.jti)) {
		entry_clear(&n);
		return;
	}
	memcpy(n.token, token, len);
	unsigned i = slot_of(token, len);
	pthread_mutex_lock(&c->locks[i % CACHE_LOCKS]);
	struct cache_entry old = c->slots[i];
	c->slots[i] = n;
	pthread_mutex_unlock(&c->locks[i % CACHE_LOCKS]);
	entry_clear(&old);
}

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

long auth_b64url_decode(const char *in, size_t n, unsigned char *out)
{
	size_t o = 0;
	unsigned acc = 0;
	int bits = 0;
	if (n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++) {
		int v = b64url_value((unsigned char)in[i]);
		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return (long)o;
}

struct auth_key {
	EVP_PKEY *pkey;
	int es256;		/* 1: P-256, ES256; 0: RSA, RS256 */
};

/* The order n of P-256 (SEC 2, secp256r1). */
static const unsigned char p256_order[32] = {
	0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51,
};

struct auth_key *auth_key_load(const char *path, char *err, size_t errlen)
{
	struct auth_key *key = NULL;
	EVP_PKEY *pkey = NULL;
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(err, errlen, "AFI_PUBLIC_KEY_FILE %s cannot be read", path);
		return NULL;
	}
	pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
	fclose(f);
	if (!pkey) {
		snprintf(err, errlen, "AFI_PUBLIC_KEY_FILE %s is not a PEM public key (-----BEGIN PUBLIC KEY-----)", path);
		return NULL;
	}
	/* FULL-1: the key's type fixes the algorithm; other types are refused at start. */
	int es256 = 0;
	char group[64] = "";
	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA) {
		if (EVP_PKEY_get_bits(pkey) < 2048) {
			snprintf(err, errlen, "AFI_PUBLIC_KEY_FILE %s is an RSA key of %d bits; at least 2048 are needed",
				 path, EVP_PKEY_get_bits(pkey));
			goto out;
		}
	} else if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_EC &&
		   EVP_PKEY_get_group_name(pkey, group, sizeof group, NULL) && !strcmp(group, "prime256v1")) {
		es256 = 1;
	} else {
		snprintf(err, errlen, "AFI_PUBLIC_KEY_FILE %s is a %s key%s%s; only RSA (RS256) and P-256 (ES256) are supported",
			 path, OBJ_nid2sn(EVP_PKEY_get_base_id(pkey)), group[0] ? " on " : "", group);
		goto out;
	}
	key = malloc(sizeof *key);
	if (!key) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	key->pkey = pkey;
	key->es256 = es256;
	pkey = NULL;
out:
	EVP_PKEY_free(pkey);
	return key;
}

void auth_key_free(struct auth_key *key)
{
	if (!key)
		return;
	EVP_PKEY_free(key->pkey);
	free(key);
}

const char *auth_key_alg(const struct auth_key *key)
{
	return key->es256 ? "ES256" : "RS256";
}

/* FULL-2: ES256 is exactly the 64-byte r || s with 0 < r, s < n (RFC 7518
 * §3.4); OpenSSL wants DER, built here so that a DER signature sent as such
 * is refused by its length. Returns 1 when it verifies, 0 otherwise. */
static int es256_der(const unsigned char *sig, long n, unsigned char **der, int *derlen)
{
	BIGNUM *r = NULL, *s = NULL;
	ECDSA_SIG *e = NULL;
	int ok = 0;
	if (n != 64)
		return 0;
	for (int half = 0; half < 2; half++) {
		const unsigned char *v = sig + 32 * half;
		int zero = 1;
		for (int i = 0; i < 32; i++)
			zero &= v[i] == 0;
		if (zero || memcmp(v, p256_order, 32) >= 0)
			return 0;
	}
	r = BN_bin2bn(sig, 32, NULL);
	s = BN_bin2bn(sig + 32, 32, NULL);
	e = ECDSA_SIG_new();
	if (!r || !s || !e || !ECDSA_SIG_set0(e, r, s))
		goto out;
	r = s = NULL;
	*der = NULL;
	*derlen = i2d_ECDSA_SIG(e, der);
	ok = *derlen > 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(e);
	return ok;
}

/* FULL-1, FULL-2: the signature over signing_input with pkey (es256: P-256, else RSA). */
static int key_verifies(EVP_PKEY *pkey, int es256, const char *input, size_t inlen, const char *sig64, size_t siglen)
{
	unsigned char sig[AUTH_MAX_TOKEN];
	unsigned char *der = NULL;
	int derlen = 0, ok = 0;
	long n = auth_b64url_decode(sig64, siglen, sig);
	if (n <= 0)
		return 0;
	const unsigned char *s = sig;
	size_t slen = (size_t)n;
	if (es256) {
		if (!es256_der(sig, n, &der, &derlen))
			return 0;
		s = der;
		slen = (size_t)derlen;
	} else if (n != EVP_PKEY_get_size(pkey)) {
		return 0;	/* RFC 8017 §8.2.2: exactly the modulus length */
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, pkey) == 1 &&
	     EVP_DigestVerify(md, s, slen, (const unsigned char *)input, inlen) == 1;
	EVP_MD_CTX_free(md);
	OPENSSL_free(der);
	return ok;
}

/* Decodes one segment and parses it as a strict JSON object. */
static cJSON *segment_object(const char *seg, size_t n)
{
	unsigned char out[AUTH_MAX_TOKEN];
	long len = auth_b64url_decode(seg, n, out);
	if (len < 0)
		return NULL;
	cJSON *obj = sjson_parse((const char *)out, (size_t)len, NULL, 0);
	if (obj && !cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}

static int numeric_date(const cJSON *claims, const char *name, int required, double *out)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(claims, name);
	if (!c)
		return required ? -1 : 0;
	if (!cJSON_IsNumber(c))
		return -1;
	*out = c->valuedouble;	/* fractional seconds stay fractional */
	return 1;
}

/* OpenSSL's HMAC, fetched once: fetching it per token (as HMAC() and
 * libjwt do) costs several times the HMAC itself. */
static EVP_MAC *hmac_alg;
static pthread_once_t hmac_once = PTHREAD_ONCE_INIT;

static void hmac_fetch(void)
{
	hmac_alg = EVP_MAC_fetch(NULL, "HMAC", NULL);
}

/* AUTH-2: 1 when sig64[0..siglen) is the unpadded base64url of HMAC-SHA256
 * over input with secret. The signature is compared as text, in constant
 * time: only the one canonical spelling of the MAC verifies. */
static int hs256_verifies(const struct auth_config *cfg, const char *input, size_t inlen, const char *sig64,
			  size_t siglen)
{
	unsigned char mac[EVP_MAX_MD_SIZE], want[45];
	size_t maclen = 0;
	char digest[] = "SHA256";
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
			       OSSL_PARAM_construct_end()};
	pthread_once(&hmac_once, hmac_fetch);
	EVP_MAC_CTX *ctx = hmac_alg ? EVP_MAC_CTX_new(hmac_alg) : NULL;
	int ok = ctx && EVP_MAC_init(ctx, cfg->secret, cfg->secret_len, params) &&
		 EVP_MAC_update(ctx, (const unsigned char *)input, inlen) &&
		 EVP_MAC_final(ctx, mac, &maclen, sizeof mac) && maclen == 32;
	EVP_MAC_CTX_free(ctx);
	if (!ok || siglen != 43)
		return 0;
	/* base64 of 32 bytes is 43 characters and one '=': base64url drops the
	 * '=' and spells 62 and 63 as '-' and '_' (RFC 7515 §2). */
	EVP_EncodeBlock(want, mac, 32);
	for (size_t i = 0; i < 43; i++)
		want[i] = want[i] == '+' ? '-' : want[i] == '/' ? '_' : want[i];
	return CRYPTO_memcmp(want, sig64, 43) == 0;
}

/* AUTH-4: exactly three non-empty base64url parts. Returns 0 with the
 * header and payload lengths (the signature is the rest), -1 otherwise. */
static int split_parts(const char *token, size_t len, size_t *hlen, size_t *plen)
{
	const char *dot1 = memchr(token, '.', len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)))
		return -1;
	*hlen = (size_t)(dot1 - token);
	*plen = (size_t)(dot2 - dot1 - 1);
	if (!*hlen || !*plen || dot2 + 1 == token + len)
		return -1;
	for (size_t i = 0; i < len; i++)
		if (token[i] != '.' && b64url_value((unsigned char)token[i]) < 0)
			return -1;
	return 0;
}

int auth_signature_ok(EVP_PKEY *pkey, int es256, const char *token, size_t len)
{
	size_t hlen, plen;
	if (len > AUTH_MAX_TOKEN || split_parts(token, len, &hlen, &plen) < 0)
		return 0;
	return key_verifies(pkey, es256, token, hlen + 1 + plen, token + hlen + plen + 2, len - hlen - plen - 2);
}

/* FULL-6: the key of cfg->jwks the header's kid selects, for a header whose
 * alg could name one; a new reference in *pkey. Returns AUTH_OK, or why not. */
static enum auth_result jwks_select(const struct auth_config *cfg, const cJSON *header, int may_fetch,
				    EVP_PKEY **pkey, int *es256, unsigned long *generation, char *err, size_t errlen)
{
	const cJSON *kid = cJSON_GetObjectItemCaseSensitive(header, "kid");
	const cJSON *alg = cJSON_GetObjectItemCaseSensitive(header, "alg");
	/* Refused before any fetch: only a token that could verify may cause one (FULL-7). */
	if (!cJSON_IsString(alg) || (strcmp(alg->valuestring, "RS256") && strcmp(alg->valuestring, "ES256"))) {
		snprintf(err, errlen, "the token algorithm is neither RS256 nor ES256");
		return AUTH_INVALID;
	}
	if (!cJSON_IsString(kid)) {
		snprintf(err, errlen, "the token has no kid, and the keys of the JWK Set are chosen by kid");
		return AUTH_INVALID;
	}
	/* FULL-3: kid is only compared with the set's kids, never used as a path or URL. */
	switch (jwks_key(cfg->jwks, kid->valuestring, may_fetch, pkey, es256, generation)) {
	case JWKS_FOUND:
		break;
	case JWKS_NO_SET:
		snprintf(err, errlen, "the JWK Set could not be fetched yet");
		return AUTH_UNAVAILABLE;
	case JWKS_UNKNOWN_KID:
		snprintf(err, errlen, "no key of the JWK Set has the token's kid");
		return AUTH_INVALID;
	}
	/* FULL-1: the selected key's type alone names the algorithm. */
	if (strcmp(alg->valuestring, *es256 ? "ES256" : "RS256")) {
		EVP_PKEY_free(*pkey);
		*pkey = NULL;
		snprintf(err, errlen, "the token algorithm is not %s, the algorithm of its kid's key", *es256 ? "ES256" : "RS256");
		return AUTH_INVALID;
	}
	return AUTH_OK;
}

/* AUTH-3: roles are case-sensitive; absent means USER. Returns -1 for a role
 * that is not a string naming one of the five. */
static int role_claim(const cJSON *claims, enum auth_level *role)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(claims, "role");
	*role = AUTH_USER;
	if (!r)
		return 0;
	for (int l = AUTH_USER; l <= AUTH_SUPERADMIN && cJSON_IsString(r); l++)
		if (!strcmp(r->valuestring, level_names[l])) {
			*role = (enum auth_level)l;
			return 0;
		}
	return -1;
}

#define INVALID(msg)                                   \
	do {                                           \
		snprintf(err, errlen, "%s", msg);      \
		goto out;                              \
	} while (0)

enum auth_result auth_verify(const struct auth_config *cfg, const char *token, size_t len,
			     double now, struct auth_viewer *viewer, char *err, size_t errlen)
{
	enum auth_result res = AUTH_INVALID;
	cJSON *header = NULL, *claims = NULL;
	EVP_PKEY *jwk = NULL;

	memset(viewer, 0, sizeof *viewer);
	/* FULL-7: a token verified under another set is verified again: its key may be gone. */
	int fetched = 0;
	unsigned long generation = cfg->jwks ? jwks_generation(cfg->jwks, &fetched) : 0;
	if (cache_lookup(cfg->cache, token, len, now, generation, viewer, &res, err, errlen))
		return res;
	/* AUTH-2: bounded work: a token over 8192 bytes is refused undecoded. */
	if (len > AUTH_MAX_TOKEN)
		INVALID("the token is longer than 8192 bytes");
	size_t hlen, plen;
	if (split_parts(token, len, &hlen, &plen) < 0)
		INVALID("the token is not three base64url parts");

	/* AUTH-4: the algorithm is checked before any signature: HS384/HS512
	 * under our key and "none" are refused, not verified. */
	header = segment_object(token, hlen);
	if (!header)
		INVALID("the token header is not a JSON object");
	/* FULL-3: no header extension is understood, so any crit is refused (RFC 7515
	 * §4.1.11), before a JWK Set is looked at. */
	if (cJSON_GetObjectItemCaseSensitive(header, "crit"))
		INVALID("the token header has crit, and no extension is supported");
	int es256 = 0;
	if (cfg->jwks) {
		/* FULL-8: a request waits for one fetch at most */
		if ((res = jwks_select(cfg, header, !fetched, &jwk, &es256, &generation, err, errlen)) != AUTH_OK)
			goto out;
		res = AUTH_INVALID;
	} else {
		/* FULL-1: with a public key, its type alone names the algorithm; HS256
		 * (the public key as an HMAC secret included) is refused. */
		const char *want = cfg->key ? auth_key_alg(cfg->key) : "HS256";
		const cJSON *alg = cJSON_GetObjectItemCaseSensitive(header, "alg");
		if (!cJSON_IsString(alg) || strcmp(alg->valuestring, want)) {
			snprintf(err, errlen, "the token algorithm is not %s", want);
			goto out;
		}
	}

	claims = segment_object(token + hlen + 1, plen);
	if (!claims)
		INVALID("the token claims are not a JSON object");

	if (cfg->key || jwk) {
		/* FULL-3: jku, x5u and jwk are ignored, and so is kid without a JWK Set:
		 * the configured key, or the one kid selected, is the only one. */
		EVP_PKEY *pkey = jwk ? jwk : cfg->key->pkey;
		es256 = jwk ? es256 : cfg->key->es256;
		if (!key_verifies(pkey, es256, token, hlen + 1 + plen, token + hlen + plen + 2, len - hlen - plen - 2))
			INVALID("the token signature does not verify");
	} else {
		/* AUTH-2: the signature is HMAC-SHA256 with AFI_SECRET. */
		if (!hs256_verifies(cfg, token, hlen + 1 + plen, token + hlen + plen + 2, len - hlen - plen - 2))
			INVALID("the token signature does not verify");
	}

	/* AUTH-2: sub is a non-empty string of at most 128 code points. */
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(claims, "sub");
	if (!cJSON_IsString(sub) || !sub->valuestring[0] || sjson_codepoints(sub->valuestring) > 128)
		INVALID("the token sub claim is missing or not a non-empty string of at most 128 characters");
	double exp = 0, nbf = 0, iat = 0;
	if (numeric_date(claims, "exp", 1, &exp) < 0)
		INVALID("the token exp claim is missing or not a number");
	int has_nbf = numeric_date(claims, "nbf", 0, &nbf);
	if (has_nbf < 0)
		INVALID("the token nbf claim is not a number");
	if (numeric_date(claims, "iat", 0, &iat) < 0)
		INVALID("the token iat claim is not a number");
	const cJSON *jti = cJSON_GetObjectItemCaseSensitive(claims, "jti");
	if (jti && (!cJSON_IsString(jti) || !jti->valuestring[0]))
		INVALID("the token jti claim is not a non-empty string");

	enum auth_level role;
	if (role_claim(claims, &role) < 0)
		INVALID("the token role is not one of USER, READER, WRITER, ADMIN, SUPERADMIN");

	/* AUTH-2: iss and aud only when configured. */
	if (cfg->issuer) {
		const cJSON *iss = cJSON_GetObjectItemCaseSensitive(claims, "iss");
		if (!cJSON_IsString(iss) || strcmp(iss->valuestring, cfg->issuer))
			INVALID("the token issuer does not match");
	}
	if (cfg->audience) {
		const cJSON *aud = cJSON_GetObjectItemCaseSensitive(claims, "aud");
		int ok = cJSON_IsString(aud) && !strcmp(aud->valuestring, cfg->audience);
		for (const cJSON *a = cJSON_IsArray(aud) ? aud->child : NULL; a && !ok; a = a->next)
			ok = cJSON_IsString(a) && !strcmp(a->valuestring, cfg->audience);
		if (!ok)
			INVALID("the token audience does not match");
	}

	res = check_times(now, has_nbf > 0, nbf, exp, err, errlen);
	if (res != AUTH_OK)
		goto out;
	res = AUTH_INVALID;

	viewer->sub = strdup(sub->valuestring);
	viewer->jti = jti ? strdup(jti->valuestring) : NULL;
	viewer->role = role;
	if (!viewer->sub || (jti && !viewer->jti)) {
		auth_viewer_clear(viewer);
		INVALID("out of memory while reading the token");
	}
	res = AUTH_OK;
	/* Only a token that passed every check is remembered. */
	cache_store(cfg->cache, token, len, viewer, has_nbf > 0, nbf, exp, generation);
out:
	EVP_PKEY_free(jwk);
	cJSON_Delete(header);
	cJSON_Delete(claims);
	return res;
}
