/* Public-key verification (FULL-1..FULL-3): RS256 and ES256 tokens signed here with OpenSSL. */
#include <criterion/criterion.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define NOW 1700000000.0
#define CLAIMS "{\"sub\":\"alice\",\"exp\":1700000600,\"jti\":\"j1\"}"

static EVP_PKEY *priv;
static struct auth_key *key;
static struct auth_config cfg = {.secret = (const unsigned char *)SECRET, .secret_len = sizeof SECRET - 1};

static void b64url(const unsigned char *p, size_t n, char *out)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	size_t o = 0;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
		out[o++] = a[v >> 18 & 63];
		out[o++] = a[v >> 12 & 63];
		if (i + 1 < n)
			out[o++] = a[v >> 6 & 63];
		if (i + 2 < n)
			out[o++] = a[v & 63];
	}
	out[o] = '\0';
}

/* Writes priv's public half to a temporary PEM file and loads it as the key. */
static struct auth_key *load_public(EVP_PKEY *pk)
{
	char path[] = "/tmp/afi-auth-key-XXXXXX", err[256] = "";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	FILE *f = fdopen(fd, "w");
	cr_assert(PEM_write_PUBKEY(f, pk));
	fclose(f);
	struct auth_key *k = auth_key_load(path, err, sizeof err);
	unlink(path);
	cr_assert_not_null(k, "%s", err);
	return k;
}

static void setup_with(EVP_PKEY *pk)
{
	priv = pk;
	cr_assert_not_null(priv);
	key = load_public(priv);
	cfg.key = key;
}

static void setup_rsa(void) { setup_with(EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)); }
static void setup_ec(void) { setup_with(EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")); }

static void teardown(void)
{
	auth_key_free(key);
	EVP_PKEY_free(priv);
	cfg.key = key = NULL;
	priv = NULL;
}

/* The signing input of header and claims, in out (room for 4096). */
static void signing_input(const char *header, const char *claims, char *out)
{
	b64url((const unsigned char *)header, strlen(header), out);
	strcat(out, ".");
	b64url((const unsigned char *)claims, strlen(claims), out + strlen(out));
}

/* The raw signature of input with priv: RS256 as is, ES256 as DER (what OpenSSL makes). */
static size_t raw_sign(const char *input, unsigned char *sig)
{
	size_t n = 512;
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	cr_assert(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, priv) == 1);
	cr_assert(EVP_DigestSign(md, sig, &n, (const unsigned char *)input, strlen(input)) == 1);
	EVP_MD_CTX_free(md);
	return n;
}

/* DER to the 64-byte r || s of RFC 7518 §3.4; flip replaces s by n - s. */
static void der_to_raw(const unsigned char *der, size_t n, unsigned char raw[64], int flip)
{
	ECDSA_SIG *e = d2i_ECDSA_SIG(NULL, &der, (long)n);
	cr_assert_not_null(e);
	BIGNUM *s = BN_dup(ECDSA_SIG_get0_s(e));
	if (flip) {
		BIGNUM *order = NULL;
		cr_assert(EVP_PKEY_get_bn_param(priv, "order", &order));
		BN_sub(s, order, s);
		BN_free(order);
	}
	BN_bn2binpad(ECDSA_SIG_get0_r(e), raw, 32);
	BN_bn2binpad(s, raw + 32, 32);
	BN_free(s);
	ECDSA_SIG_free(e);
}

/* header.claims signed with priv, the signature in its JWS form (mode 0),
 * as DER (1, ES256 only) or malleated to n - s (2, ES256 only). */
static char *signed_token(const char *header, const char *claims, int mode)
{
	char *t = malloc(8192);
	unsigned char sig[512], raw[64];
	signing_input(header, claims, t);
	size_t n = raw_sign(t, sig);
	strcat(t, ".");
	if (EVP_PKEY_get_base_id(priv) == EVP_PKEY_EC && mode != 1) {
		der_to_raw(sig, n, raw, mode == 2);
		b64url(raw, 64, t + strlen(t));
	} else {
		b64url(sig, n, t + strlen(t));
	}
	return t;
}

static char *with_sig(const char *header, const char *claims, const unsigned char *sig, size_t n)
{
	char *t = malloc(8192);
	signing_input(header, claims, t);
	strcat(t, ".");
	b64url(sig, n, t + strlen(t));
	return t;
}

static enum auth_result verify(char *token)
{
	struct auth_viewer v;
	char err[160] = "";
	enum auth_result r = auth_verify(&cfg, token, strlen(token), NOW, &v, err, sizeof err);
	if (r != AUTH_OK)
		cr_assert(err[0], "a refusal says why");
	auth_viewer_clear(&v);
	free(token);
	return r;
}

static const char *own_header(void)
{
	return EVP_PKEY_get_base_id(priv) == EVP_PKEY_EC ? "{\"alg\":\"ES256\",\"typ\":\"JWT\"}"
							 : "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
}

/* HMAC-SHA256 of header.claims keyed with k[0..n): the algorithm-confusion forgery. */
static char *hs256_with(const unsigned char *k, size_t n, const char *claims)
{
	char *t = malloc(8192);
	unsigned char mac[32];
	unsigned maclen = 0;
	signing_input("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims, t);
	cr_assert(HMAC(EVP_sha256(), k, (int)n, (const unsigned char *)t, strlen(t), mac, &maclen));
	strcat(t, ".");
	b64url(mac, maclen, t + strlen(t));
	return t;
}

static void both_confusions(void)
{
	unsigned char *der = NULL;
	int dn = i2d_PUBKEY(priv, &der);
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(b, priv);
	char *pem = NULL;
	long pn = BIO_get_mem_data(b, &pem);
	cr_assert_eq(verify(hs256_with((const unsigned char *)pem, (size_t)pn, CLAIMS)), AUTH_INVALID);
	cr_assert_eq(verify(hs256_with(der, (size_t)dn, CLAIMS)), AUTH_INVALID);
	BIO_free(b);
	OPENSSL_free(der);
}

TestSuite(auth_rsa, .init = setup_rsa, .fini = teardown);
TestSuite(auth_ec, .init = setup_ec, .fini = teardown);

Test(auth_rsa, signed_token_verifies) { cr_assert_eq(verify(signed_token(own_header(), CLAIMS, 0)), AUTH_OK); }
Test(auth_ec, signed_token_verifies) { cr_assert_eq(verify(signed_token(own_header(), CLAIMS, 0)), AUTH_OK); }

Test(auth_rsa, key_alg_is_rs256) { cr_assert_str_eq(auth_key_alg(key), "RS256"); }
Test(auth_ec, key_alg_is_es256) { cr_assert_str_eq(auth_key_alg(key), "ES256"); }

Test(auth_rsa, hs256_keyed_with_the_public_key_is_refused) { both_confusions(); }
Test(auth_ec, hs256_keyed_with_the_public_key_is_refused) { both_confusions(); }

Test(auth_rsa, hs256_with_the_secret_is_refused_once_a_key_is_set)
{
	cr_assert_eq(verify(hs256_with((const unsigned char *)SECRET, sizeof SECRET - 1, CLAIMS)), AUTH_INVALID);
}

Test(auth_rsa, other_algorithm_names_are_refused)
{
	const char *algs[] = {"{\"alg\":\"rs256\"}", "{\"alg\":\"ES256\"}", "{\"alg\":\"PS256\"}", "{\"alg\":\"none\"}",
			      "{\"alg\":\"None\"}", "{}"};
	for (size_t i = 0; i < sizeof algs / sizeof *algs; i++)
		cr_assert_eq(verify(signed_token(algs[i], CLAIMS, 0)), AUTH_INVALID, "%s", algs[i]);
}

Test(auth_ec, other_algorithm_names_are_refused)
{
	const char *algs[] = {"{\"alg\":\"es256\"}", "{\"alg\":\"RS256\"}", "{\"alg\":\"ES384\"}", "{\"alg\":\"none\"}"};
	for (size_t i = 0; i < sizeof algs / sizeof *algs; i++)
		cr_assert_eq(verify(signed_token(algs[i], CLAIMS, 0)), AUTH_INVALID, "%s", algs[i]);
}

Test(auth_ec, der_signature_is_refused) { cr_assert_eq(verify(signed_token(own_header(), CLAIMS, 1)), AUTH_INVALID); }

Test(auth_ec, malleated_signature_verifies_so_revocation_must_key_on_jti)
{
	cr_assert_eq(verify(signed_token(own_header(), CLAIMS, 2)), AUTH_OK);
}

Test(auth_ec, zero_and_order_values_are_refused)
{
	static const unsigned char order[32] = {
		0xff, 0xff, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
		0xbc, 0xe6, 0xfa, 0xad, 0xa7, 0x17, 0x9e, 0x84, 0xf3, 0xb9, 0xca, 0xc2, 0xfc, 0x63, 0x25, 0x51};
	unsigned char sig[64] = {0};
	cr_assert_eq(verify(with_sig(own_header(), CLAIMS, sig, 64)), AUTH_INVALID, "r = s = 0");
	memcpy(sig, order, 32);
	sig[63] = 1;
	cr_assert_eq(verify(with_sig(own_header(), CLAIMS, sig, 64)), AUTH_INVALID, "r = n");
	memcpy(sig + 32, order, 32);
	sig[31] = 1;
	cr_assert_eq(verify(with_sig(own_header(), CLAIMS, sig, 64)), AUTH_INVALID, "s = n");
}

Test(auth_rsa, signature_of_the_wrong_length_is_refused)
{
	unsigned char sig[257] = {0};
	cr_assert_eq(verify(with_sig(own_header(), CLAIMS, sig, 256)), AUTH_INVALID, "zeros");
	cr_assert_eq(verify(with_sig(own_header(), CLAIMS, sig, 257)), AUTH_INVALID, "one byte long");
}

Test(auth_rsa, crit_is_refused)
{
	cr_assert_eq(verify(signed_token("{\"alg\":\"RS256\",\"crit\":[\"x-afi\"],\"x-afi\":1}", CLAIMS, 0)), AUTH_INVALID);
}

Test(auth_ec, a_token_of_another_key_is_refused_whatever_its_header_points_at)
{
	EVP_PKEY *mine = priv;
	priv = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *t = signed_token("{\"alg\":\"ES256\",\"kid\":\"../../dev/null\",\"jku\":\"http://127.0.0.1:1/jwks\"}", CLAIMS, 0);
	EVP_PKEY_free(priv);
	priv = mine;
	cr_assert_eq(verify(t), AUTH_INVALID);
}

Test(auth_ec, far_future_exp_verifies)
{
	cr_assert_eq(verify(signed_token(own_header(), "{\"sub\":\"a\",\"exp\":1e300}", 0)), AUTH_OK);
	cr_assert_eq(verify(signed_token(own_header(), "{\"sub\":\"a\",\"exp\":9223372036854775808}", 0)), AUTH_OK);
	cr_assert_eq(verify(signed_token(own_header(), "{\"sub\":\"a\",\"exp\":\"1700000600\"}", 0)), AUTH_INVALID);
}

Test(auth_key, unsupported_keys_are_refused_with_a_reason)
{
	char err[256] = "";
	cr_assert_null(auth_key_load("/nonexistent/key.pem", err, sizeof err));
	cr_assert(strstr(err, "cannot be read"), "%s", err);
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	EVP_PKEY *keys[] = {p384, small, ed};
	for (int i = 0; i < 3; i++) {
		char path[] = "/tmp/afi-auth-key-XXXXXX";
		int fd = mkstemp(path);
		FILE *f = fdopen(fd, "w");
		cr_assert(PEM_write_PUBKEY(f, keys[i]));
		fclose(f);
		err[0] = '\0';
		cr_assert_null(auth_key_load(path, err, sizeof err), "key %d", i);
		cr_assert(err[0]);
		unlink(path);
		EVP_PKEY_free(keys[i]);
	}
}

/* RFC 7515 Appendix A.3: the ES256 example, its key (the JWK's x and y as a PEM) and its
 * token. Its claims have no sub, so a signature that verifies ends at the sub check. */
#define RFC7515_A3_PEM                                                     \
	"-----BEGIN PUBLIC KEY-----\n"                                     \
	"MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEf83OJ3D2xF1Bg8vub9tLe1gHMzV7\n" \
	"6e8Tus9uPHvRVEXH8UTNG72bfocs3+257rn0s2ldbqkLJK2KRiMohYjlrQ==\n"     \
	"-----END PUBLIC KEY-----\n"
#define RFC7515_A3_INPUT                 \
	"eyJhbGciOiJFUzI1NiJ9."          \
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define RFC7515_A3_SIG "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

static const char *rfc_verdict(const struct auth_config *c, const char *token, char *err, size_t n)
{
	struct auth_viewer v;
	err[0] = '\0';
	cr_assert_neq(auth_verify(c, token, strlen(token), 1300819000.0, &v, err, n), AUTH_OK);
	return err;
}

Test(auth_key, rfc7515_a3_es256_example)
{
	char path[] = "/tmp/afi-auth-key-XXXXXX", err[256] = "";
	int fd = mkstemp(path);
	cr_assert(fd >= 0 && write(fd, RFC7515_A3_PEM, strlen(RFC7515_A3_PEM)) == (ssize_t)strlen(RFC7515_A3_PEM));
	close(fd);
	struct auth_key *k = auth_key_load(path, err, sizeof err);
	unlink(path);
	cr_assert_not_null(k, "%s", err);
	cr_assert_str_eq(auth_key_alg(k), "ES256");
	struct auth_config c = {.secret = (const unsigned char *)SECRET, .secret_len = sizeof SECRET - 1, .key = k};

	cr_assert(strstr(rfc_verdict(&c, RFC7515_A3_INPUT "." RFC7515_A3_SIG, err, sizeof err), "sub"),
		  "the RFC's signature verifies, then sub is missing: %s", err);
	/* a changed r: the same length, not a signature */
	cr_assert(strstr(rfc_verdict(&c, RFC7515_A3_INPUT ".EtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q",
				     err, sizeof err), "signature"), "%s", err);
	auth_key_free(k);
}
