/* The JWK Set of AFI_JWKS_URL: JWKs to OpenSSL keys, the bounded libcurl fetch, the cache and its rate limit. */
#include "jwks.h"

#include <curl/curl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "sjson.h"

/* Decodes strict unpadded base64url (RFC 7515 §2) into a new buffer; NULL when invalid. */
static unsigned char *unb64url(const char *in, size_t *outlen)
{
	size_t n = strlen(in);
	unsigned char *out = n ? malloc(n * 3 / 4 + 1) : NULL;
	long o = out ? auth_b64url_decode(in, n, out) : -1;
	if (o < 0) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)o;
	return out;
}

static const char *str_member(const cJSON *o, const char *name)
{
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(o, name);
	return cJSON_IsString(m) ? m->valuestring : NULL;
}

/* Builds the key from params of type ("RSA" or "EC"); NULL when OpenSSL refuses it. */
static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	EVP_PKEY *pkey = NULL;
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pkey = NULL;
	EVP_PKEY_CTX *check = pkey ? EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL) : NULL;
	if (pkey && (!check || EVP_PKEY_public_check(check) != 1)) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
	EVP_PKEY_CTX_free(check);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	return pkey;
}

static EVP_PKEY *rsa_key(const cJSON *jwk, char *err, size_t errlen)
{
	const char *n64 = str_member(jwk, "n"), *e64 = str_member(jwk, "e");
	unsigned char *n = NULL, *e = NULL;
	size_t nlen = 0, elen = 0;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	if (!n64 || !e64 || !(n = unb64url(n64, &nlen)) || !(e = unb64url(e64, &elen))) {
		snprintf(err, errlen, "an RSA key needs n and e in base64url");
		goto out;
	}
	bn = BN_bin2bn(n, (int)nlen, NULL);
	be = BN_bin2bn(e, (int)elen, NULL);
	if (!bn || !be || BN_num_bits(bn) < 2048) {
		snprintf(err, errlen, "an RSA key needs a modulus of at least 2048 bits");
		goto out;
	}
	if (!(bld = OSSL_PARAM_BLD_new()) || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) || !(pkey = from_params("RSA", bld)))
		snprintf(err, errlen, "OpenSSL refuses the RSA key");
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	free(n);
	free(e);
	return pkey;
}

/* FULL-6: x and y are 32 bytes each, leading zeros included (RFC 7518 6.2.1.2);
 * a shorter coordinate is refused, never padded. */
static EVP_PKEY *p256_key(const cJSON *jwk, char *err, size_t errlen)
{
	const char *crv = str_member(jwk, "crv"), *x64 = str_member(jwk, "x"), *y64 = str_member(jwk, "y");
	unsigned char *x = NULL, *y = NULL, point[65];
	size_t xlen = 0, ylen = 0;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *pkey = NULL;
	if (!crv || strcmp(crv, "P-256")) {
		snprintf(err, errlen, "an EC key must be on P-256");
		return NULL;
	}
	if (!x64 || !y64 || !(x = unb64url(x64, &xlen)) || !(y = unb64url(y64, &ylen)) || xlen != 32 || ylen != 32) {
		snprintf(err, errlen, "a P-256 key needs x and y of 32 bytes each in base64url");
		goto out;
	}
	point[0] = 0x04;	/* SEC 1 §2.3.3: uncompressed */
	memcpy(point + 1, x, 32);
	memcpy(point + 33, y, 32);
	if (!(bld = OSSL_PARAM_BLD_new()) ||
	    !OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point) ||
	    !(pkey = from_params("EC", bld)))
		snprintf(err, errlen, "x and y are not a point of P-256");
out:
	OSSL_PARAM_BLD_free(bld);
	free(x);
	free(y);
	return pkey;
}

EVP_PKEY *jwks_key_from_jwk(const cJSON *jwk, int *es256, char *err, size_t errlen)
{
	if (!cJSON_IsObject(jwk)) {
		snprintf(err, errlen, "a JWK is a JSON object");
		return NULL;
	}
	const char *kty = str_member(jwk, "kty"), *alg = str_member(jwk, "alg"), *use = str_member(jwk, "use");
	const cJSON *ops = cJSON_GetObjectItemCaseSensitive(jwk, "key_ops");
	/* FULL-6: a member present with another meaning than signing makes the key unusable. */
	if (cJSON_GetObjectItemCaseSensitive(jwk, "use") && (!use || strcmp(use, "sig"))) {
		snprintf(err, errlen, "use is not \"sig\"");
		return NULL;
	}
	if (ops) {
		int verify = 0;
		for (const cJSON *op = cJSON_IsArray(ops) ? ops->child : NULL; op; op = op->next)
			verify |= cJSON_IsString(op) && !strcmp(op->valuestring, "verify");
		if (!verify) {
			snprintf(err, errlen, "key_ops does not contain \"verify\"");
			return NULL;
		}
	}
	if (kty && !strcmp(kty, "RSA"))
		*es256 = 0;
	else if (kty && !strcmp(kty, "EC"))
		*es256 = 1;
	else {
		snprintf(err, errlen, "kty is neither RSA nor EC");
		return NULL;
	}
	const char *want = *es256 ? "ES256" : "RS256";
	if (cJSON_GetObjectItemCaseSensitive(jwk, "alg") && (!alg || strcmp(alg, want))) {
		snprintf(err, errlen, "alg is not %s, the only algorithm of a %s key", want, kty);
		return NULL;
	}
	return *es256 ? p256_key(jwk, err, errlen) : rsa_key(jwk, err, errlen);
}

struct set_key {
	char *kid;
	EVP_PKEY *pkey;
	int es256;
};

struct jwks_set {
	struct set_key *keys;
	size_t n;
	unsigned char digest[32];	/* of every kid and key, to tell a changed set */
};

void jwks_set_free(struct jwks_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->keys[i].kid);
		EVP_PKEY_free(set->keys[i].pkey);
	}
	free(set->keys);
	free(set);
}

size_t jwks_set_size(const struct jwks_set *set)
{
	return set->n;
}

/* SHA-256 over every usable key's kid and DER, in order. */
static int set_digest(struct jwks_set *set)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1;
	for (size_t i = 0; ok && i < set->n; i++) {
		unsigned char *der = NULL;
		int dn = i2d_PUBKEY(set->keys[i].pkey, &der);
		ok = dn > 0 && EVP_DigestUpdate(md, set->keys[i].kid, strlen(set->keys[i].kid) + 1) == 1 &&
		     EVP_DigestUpdate(md, der, (size_t)dn) == 1;
		OPENSSL_free(der);
	}
	ok = ok && EVP_DigestFinal_ex(md, set->digest, NULL) == 1;
	EVP_MD_CTX_free(md);
	return ok ? 0 : -1;
}

struct jwks_set *jwks_set_parse(const char *doc, size_t len, char *err, size_t errlen)
{
	struct jwks_set *set = NULL;
	char why[200];
	cJSON *root = sjson_parse(doc, len, why, sizeof why);
	const cJSON *keys = cJSON_GetObjectItemCaseSensitive(root, "keys");
	if (!cJSON_IsObject(root) || !cJSON_IsArray(keys)) {
		snprintf(err, errlen, "the document is not a JWK Set (a JSON object with a keys array)");
		goto out;
	}
	int count = cJSON_GetArraySize(keys);
	if (count > JWKS_MAX_KEYS) {
		snprintf(err, errlen, "the JWK Set has %d keys, more than %d", count, JWKS_MAX_KEYS);
		goto out;
	}
	if (!(set = calloc(1, sizeof *set)) || !(set->keys = calloc((size_t)count + 1, sizeof *set->keys))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	const cJSON *jwk;
	cJSON_ArrayForEach(jwk, keys) {
		const char *kid = str_member(jwk, "kid");
		int es256 = 0;
		EVP_PKEY *pkey = kid ? jwks_key_from_jwk(jwk, &es256, why, sizeof why) : NULL;
		if (!pkey)
			continue;	/* FULL-6: ignored, never fatal */
		struct set_key *k = &set->keys[set->n];
		if (!(k->kid = strdup(kid))) {
			EVP_PKEY_free(pkey);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		k->pkey = pkey;
		k->es256 = es256;
		set->n++;
	}
	if (!set->n) {
		snprintf(err, errlen, "the JWK Set has no usable key (RSA of 2048 bits or more, or P-256, with a kid)");
		goto fail;
	}
	if (set_digest(set) < 0) {
		snprintf(err, errlen, "OpenSSL cannot encode a key");
		goto fail;
	}
	goto out;
fail:
	jwks_set_free(set);
	set = NULL;
out:
	cJSON_Delete(root);
	return set;
}

EVP_PKEY *jwks_set_find(const struct jwks_set *set, const char *kid, int *es256)
{
	const struct set_key *found = NULL;
	for (size_t i = 0; set && i < set->n; i++) {
		if (strcmp(set->keys[i].kid, kid))
			continue;
		if (found)
			return NULL;	/* FULL-6: a kid two keys share selects neither */
		found = &set->keys[i];
	}
	if (!found)
		return NULL;
	*es256 = found->es256;
	return found->pkey;
}

struct jwks {
	char *url;
	double cache_s, refresh_s;
	pthread_mutex_t lock;	/* guards what follows */
	struct jwks_set *set;	/* NULL until a fetch succeeds */
	unsigned long generation;
	double fetched_at;	/* monotonic seconds of the fetch that brought set */
	double attempted_at;	/* of the last fetch started; < 0: none yet */
	int fetching;		/* one fetch at a time */
};

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct jwks *jwks_new(const struct jwks_config *cfg, char *err, size_t errlen)
{
	if (strncmp(cfg->url, "http://", 7) && strncmp(cfg->url, "https://", 8)) {
		snprintf(err, errlen, "AFI_JWKS_URL must be an http:// or https:// URL, not \"%s\"", cfg->url);
		return NULL;
	}
	struct jwks *j = calloc(1, sizeof *j);
	if (!j || !(j->url = strdup(cfg->url)) || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		if (j)
			free(j->url);
		free(j);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	j->cache_s = cfg->cache_seconds;
	j->refresh_s = cfg->refresh_seconds;
	j->attempted_at = -1;
	pthread_mutex_init(&j->lock, NULL);
	return j;
}

void jwks_free(struct jwks *j)
{
	if (!j)
		return;
	jwks_set_free(j->set);
	pthread_mutex_destroy(&j->lock);
	free(j->url);
	free(j);
	curl_global_cleanup();
}

struct body {
	char *p;
	size_t n;
};

/* FULL-8: a body over JWKS_MAX_BYTES ends the transfer there, whatever Content-Length said. */
static size_t on_body(char *data, size_t size, size_t nmemb, void *ctx)
{
	struct body *b = ctx;
	size_t n = size * nmemb;
	if (b->n + n > JWKS_MAX_BYTES)
		return 0;
	memcpy(b->p + b->n, data, n);
	b->n += n;
	return n;
}

/* One bounded GET of the set (FULL-8); the set, or NULL with the reason in err. */
static struct jwks_set *fetch(const char *url, char *err, size_t errlen)
{
	struct body b = {malloc(JWKS_MAX_BYTES), 0};
	struct jwks_set *set = NULL;
	CURL *c = curl_easy_init();
	if (!b.p || !c) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)JWKS_FETCH_MS);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);	/* the server is multi-threaded */
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
	CURLcode rc = curl_easy_perform(c);
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	if (rc == CURLE_WRITE_ERROR)
		snprintf(err, errlen, "GET %s: the JWK Set is larger than %d bytes", url, JWKS_MAX_BYTES);
	else if (rc != CURLE_OK)
		snprintf(err, errlen, "GET %s: %s", url, curl_easy_strerror(rc));
	else if (status != 200)
		snprintf(err, errlen, "GET %s answered %ld, not 200", url, status);
	else
		set = jwks_set_parse(b.p, b.n, err, errlen);
out:
	curl_easy_cleanup(c);
	free(b.p);
	return set;
}

/* Runs the fetch this thread claimed (fetching set, lock not held) and installs its set. */
static int run_fetch(struct jwks *j, char *err, size_t errlen)
{
	struct jwks_set *got = fetch(j->url, err, errlen), *old = NULL;
	pthread_mutex_lock(&j->lock);
	if (got) {
		if (!j->set || memcmp(j->set->digest, got->digest, sizeof got->digest))
			j->generation++;
		old = j->set;
		j->set = got;
		j->fetched_at = mono();
	}
	j->fetching = 0;
	pthread_mutex_unlock(&j->lock);
	jwks_set_free(old);
	return got ? 0 : -1;
}

/* Claims the next fetch when want and the rate limit of FULL-7 allow it; lock held. */
static int claim(struct jwks *j, int want)
{
	double now = mono();
	if (!want || j->fetching || (j->attempted_at >= 0 && now - j->attempted_at < j->refresh_s))
		return 0;
	j->fetching = 1;
	j->attempted_at = now;
	return 1;
}

static int stale(const struct jwks *j)
{
	return !j->set || mono() - j->fetched_at >= j->cache_s;
}

int jwks_fetch_now(struct jwks *j, char *err, size_t errlen)
{
	pthread_mutex_lock(&j->lock);
	int mine = !j->fetching;
	if (mine) {
		j->fetching = 1;
		j->attempted_at = mono();
	}
	pthread_mutex_unlock(&j->lock);
	if (!mine) {
		snprintf(err, errlen, "a fetch is already running");
		return -1;
	}
	return run_fetch(j, err, errlen);
}

unsigned long jwks_generation(struct jwks *j, int *fetched)
{
	char err[300];
	pthread_mutex_lock(&j->lock);
	int mine = claim(j, stale(j));
	pthread_mutex_unlock(&j->lock);
	*fetched = mine;
	if (mine)
		run_fetch(j, err, sizeof err);
	pthread_mutex_lock(&j->lock);
	unsigned long g = j->generation;
	pthread_mutex_unlock(&j->lock);
	return g;
}

enum jwks_result jwks_key(struct jwks *j, const char *kid, int may_fetch, EVP_PKEY **pkey, int *es256,
			  unsigned long *generation)
{
	char err[300];
	for (int pass = 0;; pass++) {
		pthread_mutex_lock(&j->lock);
		EVP_PKEY *k = jwks_set_find(j->set, kid, es256);
		if (k && !stale(j)) {
			EVP_PKEY_up_ref(k);
			*pkey = k;
			*generation = j->generation;
			pthread_mutex_unlock(&j->lock);
			return JWKS_FOUND;
		}
		/* FULL-7: unknown or stale, refetch once if the rate limit allows;
		 * otherwise (or after it) answer with the set at hand. */
		int mine = pass == 0 && claim(j, may_fetch);
		if (!mine) {
			enum jwks_result r = !j->set ? JWKS_NO_SET : k ? JWKS_FOUND : JWKS_UNKNOWN_KID;
			if (k) {
				EVP_PKEY_up_ref(k);
				*pkey = k;
				*generation = j->generation;
			}
			pthread_mutex_unlock(&j->lock);
			return r;
		}
		pthread_mutex_unlock(&j->lock);
		run_fetch(j, err, sizeof err);
	}
}
