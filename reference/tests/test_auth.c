/* Token verification against every hostile token kind (AUTH-2..AUTH-4). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "token.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define NOW 1700000000.0

static struct auth_config cfg = {.secret = (const unsigned char *)SECRET, .secret_len = sizeof SECRET - 1};

static enum auth_result verify_with(const struct auth_config *c, const char *token, struct auth_viewer *v)
{
	char err[128] = "";
	enum auth_result r = auth_verify(c, token, strlen(token), NOW, v, err, sizeof err);
	if (r != AUTH_OK)
		cr_assert(err[0], "a refusal always says why");
	return r;
}

/* Mints claims with alg and secret, verifies with cfg; returns the result. */
static enum auth_result check(const char *alg, const char *secret, const char *claims, struct auth_viewer *v)
{
	char *t = token_mint(alg, secret, claims);
	cr_assert_not_null(t, "minting %s", claims);
	enum auth_result r = verify_with(&cfg, t, v);
	free(t);
	return r;
}

static enum auth_result claims(const char *c)
{
	struct auth_viewer v;
	enum auth_result r = check("HS256", SECRET, c, &v);
	auth_viewer_clear(&v);
	return r;
}

Test(auth, valid_token_fills_the_viewer)
{
	struct auth_viewer v;
	cr_assert_eq(check("HS256", SECRET, "{\"sub\":\"alice\",\"exp\":1700000600,\"jti\":\"j1\",\"role\":\"WRITER\"}", &v), AUTH_OK);
	cr_assert_str_eq(v.sub, "alice");
	cr_assert_str_eq(v.jti, "j1");
	cr_assert_eq(v.role, AUTH_WRITER);
	auth_viewer_clear(&v);
	cr_assert_null(v.sub);
}

Test(auth, missing_role_is_user_and_missing_jti_is_null)
{
	struct auth_viewer v;
	cr_assert_eq(check("HS256", SECRET, "{\"sub\":\"bob\",\"exp\":1700000600}", &v), AUTH_OK);
	cr_assert_eq(v.role, AUTH_USER);
	cr_assert_null(v.jti);
	auth_viewer_clear(&v);
}

Test(auth, other_hs_algorithms_are_refused_even_with_the_right_key)
{
	struct auth_viewer v;
	cr_assert_eq(check("HS384", SECRET, "{\"sub\":\"a\",\"exp\":1700000600}", &v), AUTH_INVALID);
	cr_assert_eq(check("HS512", SECRET, "{\"sub\":\"a\",\"exp\":1700000600}", &v), AUTH_INVALID);
}

Test(auth, alg_none_and_rs256_headers_are_refused)
{
	struct auth_viewer v;
	char *t = token_raw("{\"alg\":\"none\"}", "{\"sub\":\"a\",\"exp\":1700000600}", "");
	cr_assert_eq(verify_with(&cfg, t, &v), AUTH_INVALID);
	free(t);
	t = token_raw("{\"alg\":\"none\"}", "{\"sub\":\"a\",\"exp\":1700000600}", "e30");
	cr_assert_eq(verify_with(&cfg, t, &v), AUTH_INVALID);
	free(t);
	t = token_raw("{\"alg\":\"RS256\"}", "{\"sub\":\"a\",\"exp\":1700000600}", "e30");
	cr_assert_eq(verify_with(&cfg, t, &v), AUTH_INVALID);
	free(t);
	/* A duplicate alg that a lenient parser might read as HS256. */
	t = token_raw("{\"alg\":\"none\",\"alg\":\"HS256\"}", "{\"sub\":\"a\",\"exp\":1700000600}", "e30");
	cr_assert_eq(verify_with(&cfg, t, &v), AUTH_INVALID);
	free(t);
}

Test(auth, bad_signature_is_refused)
{
	struct auth_viewer v;
	cr_assert_eq(check("HS256", "another-secret-another-secret-000", "{\"sub\":\"a\",\"exp\":1700000600}", &v), AUTH_INVALID);
	char *t = token_mint("HS256", SECRET, "{\"sub\":\"a\",\"exp\":1700000600}");
	t[strlen(t) - 2] = t[strlen(t) - 2] == 'A' ? 'B' : 'A';
	cr_assert_eq(verify_with(&cfg, t, &v), AUTH_INVALID);
	free(t);
}

/* RFC 7515 Appendix A.1: the HS256 example and its key (the JWK's k, decoded).
 * Its claims have no sub, so a verified signature shows as the sub refusal. */
static const unsigned char rfc7515_a1_key[64] = {
	0x03, 0x23, 0x35, 0x4b, 0x2b, 0x0f, 0xa5, 0xbc, 0x83, 0x7e, 0x06, 0x65, 0x77, 0x7b, 0xa6, 0x8f,
	0x5a, 0xb3, 0x28, 0xe6, 0xf0, 0x54, 0xc9, 0x28, 0xa9, 0x0f, 0x84, 0xb2, 0xd2, 0x50, 0x2e, 0xbf,
	0xd3, 0xfb, 0x5a, 0x92, 0xd2, 0x06, 0x47, 0xef, 0x96, 0x8a, 0xb4, 0xc3, 0x77, 0x62, 0x3d, 0x22,
	0x3d, 0x2e, 0x21, 0x72, 0x05, 0x2e, 0x4f, 0x08, 0xc0, 0xcd, 0x9a, 0xf5, 0x67, 0xd0, 0x80, 0xa3,
};
#define RFC7515_A1_INPUT                                        \
	"eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."               \
	"eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."

static const char *a1_refusal(const char *sig)
{
	static char err[128];
	struct auth_config c = {.secret = rfc7515_a1_key, .secret_len = sizeof rfc7515_a1_key};
	struct auth_viewer v;
	char token[512];
	snprintf(token, sizeof token, "%s%s", RFC7515_A1_INPUT, sig);
	err[0] = '\0';
	cr_assert_eq(auth_verify(&c, token, strlen(token), NOW, &v, err, sizeof err), AUTH_INVALID);
	return err;
}

Test(auth, hs256_verifies_the_rfc7515_a1_example)
{
	const char *why = a1_refusal("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
	cr_assert(strstr(why, "sub"), "the signature verifies, so the missing sub is what is refused: %s", why);
}

/* AUTH-2: only the one canonical spelling of the MAC verifies (as libjwt, which
 * compares the text): 'l' differs from the final 'k' only in the two bits the
 * 256-bit MAC does not use; a signature one character short or long is refused. */
Test(auth, hs256_signature_is_compared_as_its_exact_text)
{
	const char *bad[] = {"dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXl", "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjX",
			     "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXkA", "eBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert(strstr(a1_refusal(bad[i]), "signature"), "signature %s: %s", bad[i], a1_refusal(bad[i]));
}

Test(auth, malformed_tokens_are_refused)
{
	struct auth_viewer v;
	const char *bad[] = {"", "abc", "a.b", "a.b.c.d", "..", "a..c", "!!!.???.***", "e30.e30.e30",
			     "eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", "eyJhbGciOiJIUzI1NiJ9=.e30.c2ln"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(verify_with(&cfg, bad[i], &v), AUTH_INVALID, "token '%s'", bad[i]);
}

Test(auth, expiry_has_no_leeway_and_fractions_count)
{
	cr_assert_eq(claims("{\"sub\":\"a\",\"exp\":1699999940}"), AUTH_EXPIRED);
	cr_assert_eq(claims("{\"sub\":\"a\",\"exp\":1700000000}"), AUTH_EXPIRED, "now == exp is expired");
	cr_assert_eq(claims("{\"sub\":\"a\",\"exp\":1700000000.5}"), AUTH_OK, "a fractional exp is read as a double");
	cr_assert_eq(claims("{\"sub\":\"a\",\"exp\":1699999999.5}"), AUTH_EXPIRED);
	cr_assert_eq(claims("{\"sub\":\"a\",\"exp\":1.7000006e9}"), AUTH_OK);
}

Test(auth, nbf_in_the_future_is_invalid)
{
	cr_assert_eq(claims("{\"sub\":\"a\",\"exp\":1700000600,\"nbf\":1700000060}"), AUTH_INVALID);
	cr_assert_eq(claims("{\"sub\":\"a\",\"exp\":1700000600,\"nbf\":1700000000}"), AUTH_OK);
	cr_assert_eq(claims("{\"sub\":\"a\",\"exp\":1700000600,\"nbf\":\"soon\"}"), AUTH_INVALID);
}

Test(auth, invalid_is_decided_before_expired)
{
	/* AUTH-4 order: an expired token with an unknown role is invalid_token. */
	cr_assert_eq(claims("{\"sub\":\"a\",\"exp\":1600000000,\"role\":\"admin\"}"), AUTH_INVALID);
}

Test(auth, claims_of_the_wrong_type_are_invalid)
{
	const char *bad[] = {
		"{\"exp\":1700000600}",
		"{\"sub\":\"\",\"exp\":1700000600}",
		"{\"sub\":42,\"exp\":1700000600}",
		"{\"sub\":\"a\"}",
		"{\"sub\":\"a\",\"exp\":\"1700000600\"}",
		"{\"sub\":\"a\",\"exp\":null}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"iat\":\"x\"}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"jti\":\"\"}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"jti\":7}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"role\":\"admin\"}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"role\":\"Admin\"}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"role\":3}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"role\":null}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(claims(bad[i]), AUTH_INVALID, "claims %s", bad[i]);
}

Test(auth, sub_is_at_most_128_code_points)
{
	char c[1200], sub[600];
	memset(sub, 'x', 128);
	sub[128] = '\0';
	snprintf(c, sizeof c, "{\"sub\":\"%s\",\"exp\":1700000600}", sub);
	cr_assert_eq(claims(c), AUTH_OK);
	sub[128] = 'x';
	sub[129] = '\0';
	snprintf(c, sizeof c, "{\"sub\":\"%s\",\"exp\":1700000600}", sub);
	cr_assert_eq(claims(c), AUTH_INVALID);
	/* 128 two-byte characters are 256 bytes but 128 code points. */
	sub[0] = '\0';
	for (int i = 0; i < 128; i++)
		strcat(sub, "\xc3\xa9");
	snprintf(c, sizeof c, "{\"sub\":\"%s\",\"exp\":1700000600}", sub);
	cr_assert_eq(claims(c), AUTH_OK);
}

Test(auth, tokens_over_8192_bytes_are_refused_undecoded)
{
	char *pad = malloc(9000), *c = malloc(9100);
	memset(pad, 'p', 8999);
	pad[8999] = '\0';
	snprintf(c, 9100, "{\"sub\":\"a\",\"exp\":1700000600,\"pad\":\"%.6500s\"}", pad);
	cr_assert_eq(claims(c), AUTH_INVALID, "about 8 KB of base64 is over the limit");
	snprintf(c, 9100, "{\"sub\":\"a\",\"exp\":1700000600,\"pad\":\"%.5000s\"}", pad);
	cr_assert_eq(claims(c), AUTH_OK, "a 6.8 KB token is still decoded");
	free(pad);
	free(c);
}

Test(auth, issuer_and_audience_when_configured)
{
	struct auth_config c = cfg;
	struct auth_viewer v;
	c.issuer = "https://issuer.example";
	c.audience = "afi";
	const char *ok[] = {
		"{\"sub\":\"a\",\"exp\":1700000600,\"iss\":\"https://issuer.example\",\"aud\":\"afi\"}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"iss\":\"https://issuer.example\",\"aud\":[\"x\",\"afi\"]}",
	};
	const char *bad[] = {
		"{\"sub\":\"a\",\"exp\":1700000600,\"aud\":\"afi\"}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"iss\":\"other\",\"aud\":\"afi\"}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"iss\":\"https://issuer.example\"}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"iss\":\"https://issuer.example\",\"aud\":[\"x\"]}",
		"{\"sub\":\"a\",\"exp\":1700000600,\"iss\":\"https://issuer.example\",\"aud\":7}",
	};
	for (size_t i = 0; i < 2; i++) {
		char *t = token_mint("HS256", SECRET, ok[i]);
		cr_assert_eq(verify_with(&c, t, &v), AUTH_OK, "claims %s", ok[i]);
		auth_viewer_clear(&v);
		free(t);
	}
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char *t = token_mint("HS256", SECRET, bad[i]);
		cr_assert_eq(verify_with(&c, t, &v), AUTH_INVALID, "claims %s", bad[i]);
		free(t);
	}
	/* Unconfigured: iss and aud are ignored. */
	cr_assert_eq(claims("{\"sub\":\"a\",\"exp\":1700000600,\"iss\":\"whatever\",\"aud\":5}"), AUTH_OK);
}

Test(auth, level_names)
{
	cr_assert_str_eq(auth_level_name(AUTH_PUBLIC), "public");
	cr_assert_str_eq(auth_level_name(AUTH_VIEWER), "viewer");
	cr_assert_str_eq(auth_level_name(AUTH_SUPERADMIN), "SUPERADMIN");
	cr_assert(AUTH_USER < AUTH_READER && AUTH_READER < AUTH_WRITER && AUTH_WRITER < AUTH_ADMIN &&
		  AUTH_ADMIN < AUTH_SUPERADMIN);
}

Test(auth, the_cache_remembers_only_full_successes_and_rechecks_time)
{
	struct auth_config c = cfg;
	struct auth_viewer v;
	char err[128];
	c.cache = auth_cache_new();
	cr_assert_not_null(c.cache);
	char *t = token_mint("HS256", SECRET, "{\"sub\":\"cached\",\"exp\":1700000600,\"nbf\":1699999000,\"jti\":\"j\",\"role\":\"ADMIN\"}");
	for (int i = 0; i < 3; i++) {
		cr_assert_eq(auth_verify(&c, t, strlen(t), NOW, &v, err, sizeof err), AUTH_OK);
		cr_assert_str_eq(v.sub, "cached");
		cr_assert_str_eq(v.jti, "j");
		cr_assert_eq(v.role, AUTH_ADMIN);
		auth_viewer_clear(&v);
	}
	/* The same bytes later: the time checks still run. */
	cr_assert_eq(auth_verify(&c, t, strlen(t), 1700000600.0, &v, err, sizeof err), AUTH_EXPIRED);
	cr_assert_null(v.sub);
	cr_assert_eq(auth_verify(&c, t, strlen(t), 1699998000.0, &v, err, sizeof err), AUTH_INVALID, "before nbf");
	/* One byte changed is another token: verified in full and refused. */
	t[strlen(t) - 1] = t[strlen(t) - 1] == 'A' ? 'B' : 'A';
	cr_assert_eq(auth_verify(&c, t, strlen(t), NOW, &v, err, sizeof err), AUTH_INVALID);
	free(t);
	/* Refused tokens are not remembered: an HS384 token stays refused. */
	t = token_mint("HS384", SECRET, "{\"sub\":\"a\",\"exp\":1700000600}");
	cr_assert_eq(auth_verify(&c, t, strlen(t), NOW, &v, err, sizeof err), AUTH_INVALID);
	cr_assert_eq(auth_verify(&c, t, strlen(t), NOW, &v, err, sizeof err), AUTH_INVALID);
	free(t);
	auth_cache_free(c.cache);
	auth_cache_free(NULL);
}
