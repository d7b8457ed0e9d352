/* JWK Sets (FULL-6, FULL-8) on the public test vectors: RFC 7517 Appendix A.1 (an
 * EC P-256 key with use "enc" and an RSA key with alg RS256, kid "2011-04-29"),
 * and the example tokens of RFC 7515 A.2 (RS256) and A.3 (ES256), verified with
 * the public halves of the JWKs the RFC gives for them. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "jwks.h"

/* RFC 7517 Appendix A.1, verbatim but for whitespace. */
#define RFC7517_A1_EC                                                                                  \
	"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","     \
	"\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\",\"use\":\"enc\",\"kid\":\"1\"}"
#define RFC7517_A1_RSA_N                                                                               \
	"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWK" \
	"RXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMic" \
	"AtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3" \
	"XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
#define RFC7517_A1_RSA                                                                                 \
	"{\"kty\":\"RSA\",\"n\":\"" RFC7517_A1_RSA_N "\",\"e\":\"AQAB\",\"alg\":\"RS256\",\"kid\":\"2011-04-29\"}"
#define RFC7517_A1 "{\"keys\":[" RFC7517_A1_EC "," RFC7517_A1_RSA "]}"

/* RFC 7515 A.2.1: the RSA key's public members, and the JWS of Figure 15 (joined). */
#define RFC7515_A2_JWK                                                                                 \
	"{\"kty\":\"RSA\",\"e\":\"AQAB\",\"n\":\"ofgWCuLjybRlzo0tZWJjNiuSfb4p4fAkd_wWJcyQoTbji9k0l8W26mPddxHm" \
	"fHQp-Vaw-4qPCJrcS2mJPMEzP1Pt0Bm4d4QlL-yRT-SFd2lZS-pCgNMsD1W_YpRPEwOWvG6b32690r2jZ47soMZo9wGzjb_7O" \
	"Mg0LOL-bSf63kpaSHSXndS5z5rexMdbBYUsLA9e-KXBdQOS-UTo7WTBEMa2R2CapHg665xsmtdVMTBQY4uDZlxvb3qCo5ZwK" \
	"h9kG4LT6_I5IhlJH7aGhyxXFvUK-DWNmoudF8NAco9_h9iaGNj8q2ethFkMLs91kzk2PAcDTW9gb54h4FRWyuXpoQ\"}"
#define RFC7515_PAYLOAD "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
#define RFC7515_A2_JWS                                                                                 \
	"eyJhbGciOiJSUzI1NiJ9." RFC7515_PAYLOAD ".cC4hiUPoj9Eetdgtv3hF80EGrhuB__dzERat0XF9g2VtQgr9PJbu3XOiZj5R" \
	"Zmh7AAuHIm4Bh-0Qc_lF5YKt_O8W2Fp5jujGbds9uJdbF9CUAr7t1dnZcAcQjbKBYNX4BAynRFdiuB--f_nZLgrnbyTyWzO75v" \
	"RK5h6xBArLIARNPvkSjtQBMHlb1L07Qe7K0GarZRmB_eSN9383LcOLn6_dO--xi12jzDwusC-eOkHWEsqtFZESc6BfI7noOPqv" \
	"hJ1phCnvWh6IeYI2w9QOYEUipUTI8np6LbgGY9Fs98rqVt5AXLIhWkWywlVmtVrBp0igcN_IoypGlUPQGe77Rw"

/* RFC 7515 A.3.1: the P-256 key's public members, and the JWS of Figure 27 (joined). */
#define RFC7515_A3_JWK                                                                                 \
	"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","     \
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}"
#define RFC7515_A3_JWS                                                                                 \
	"eyJhbGciOiJFUzI1NiJ9." RFC7515_PAYLOAD                                                        \
	".DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q"

static EVP_PKEY *key_of(const char *json, int *es256, char *err, size_t errlen)
{
	cJSON *j = cJSON_Parse(json);
	cr_assert(j, "the test's JWK is JSON: %s", json);
	EVP_PKEY *k = jwks_key_from_jwk(j, es256, err, errlen);
	cJSON_Delete(j);
	return k;
}

Test(jwks, rfc7515_a2_rs256_example_verifies)
{
	char err[200] = "";
	int es256 = -1;
	EVP_PKEY *k = key_of(RFC7515_A2_JWK, &es256, err, sizeof err);
	cr_assert(k, "%s", err);
	cr_assert_eq(es256, 0);
	cr_assert(auth_signature_ok(k, 0, RFC7515_A2_JWS, strlen(RFC7515_A2_JWS)));
	/* FULL-1: the RSA key verifies RS256 only, never as ES256 */
	cr_assert_not(auth_signature_ok(k, 1, RFC7515_A2_JWS, strlen(RFC7515_A2_JWS)));
	char bad[] = RFC7515_A2_JWS;
	bad[strlen(bad) - 5] ^= 1;	/* one bit of the signature */
	cr_assert_not(auth_signature_ok(k, 0, bad, strlen(bad)));
	EVP_PKEY_free(k);
}

Test(jwks, rfc7515_a3_es256_example_verifies)
{
	char err[200] = "";
	int es256 = -1;
	EVP_PKEY *k = key_of(RFC7515_A3_JWK, &es256, err, sizeof err);
	cr_assert(k, "%s", err);
	cr_assert_eq(es256, 1);
	cr_assert(auth_signature_ok(k, 1, RFC7515_A3_JWS, strlen(RFC7515_A3_JWS)));
	char bad[] = RFC7515_A3_JWS;
	bad[sizeof RFC7515_A3_JWS - 1 - 60] ^= 1;
	cr_assert_not(auth_signature_ok(k, 1, bad, strlen(bad)));
	/* the A.3 signature does not verify with the A.2 key: keys are not interchangeable */
	EVP_PKEY *rsa = key_of(RFC7515_A2_JWK, &es256, err, sizeof err);
	cr_assert_not(auth_signature_ok(rsa, 0, RFC7515_A3_JWS, strlen(RFC7515_A3_JWS)));
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(k);
}

Test(jwks, rfc7517_a1_set_keeps_the_signing_key_and_ignores_the_encryption_key)
{
	char err[200] = "";
	struct jwks_set *s = jwks_set_parse(RFC7517_A1, strlen(RFC7517_A1), err, sizeof err);
	cr_assert(s, "%s", err);
	cr_assert_eq(jwks_set_size(s), 1, "only the RSA key signs: the EC key has use \"enc\"");
	int es256 = -1;
	cr_assert(jwks_set_find(s, "2011-04-29", &es256));
	cr_assert_eq(es256, 0);
	cr_assert_null(jwks_set_find(s, "1", &es256), "use enc is ignored");
	cr_assert_null(jwks_set_find(s, "2011-04-2", &es256), "kid is compared exactly, not as a prefix");
	cr_assert_null(jwks_set_find(s, "2011-04-29 ", &es256));
	jwks_set_free(s);
}

/* The set doc parses, and kid selects an ES256 key of it. */
static void assert_p256_usable(const char *doc, const char *kid)
{
	char err[200] = "";
	struct jwks_set *s = jwks_set_parse(doc, strlen(doc), err, sizeof err);
	cr_assert(s, "%s", err);
	int es256 = -1;
	cr_assert(jwks_set_find(s, kid, &es256));
	cr_assert_eq(es256, 1);
	jwks_set_free(s);
}

Test(jwks, rfc7517_a1_ec_key_without_use_is_usable)
{
	assert_p256_usable("{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4\","
			   "\"y\":\"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM\",\"use\":\"sig\",\"kid\":\"1\"}]}",
			   "1");
}

/* A P-256 point whose x starts with a zero byte: in full (32 bytes), and with that byte dropped. */
#define LEADING_ZERO_Y "\"y\":\"eMONnnkBUOkccV25dcRfMcGpmc4-AGvJZEESE6LEB90\""
#define LEADING_ZERO_FULL "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\"," \
	"\"x\":\"ACY_tTvPm3v0qLNrRcE0uF0Fr5rIpOkhN4ObjO6e37Q\"," LEADING_ZERO_Y "}"
#define LEADING_ZERO_SHORT "{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\"," \
	"\"x\":\"Jj-1O8-be_Sos2tFwTS4XQWvmsik6SE3g5uM7p7ftA\"," LEADING_ZERO_Y "}"

Test(jwks, a_p256_coordinate_is_32_bytes_with_its_leading_zeros)
{
	assert_p256_usable("{\"keys\":[" LEADING_ZERO_FULL "]}", "k");
}

/* Each entry is unusable, and so ignored; with the A.1 RSA key beside it the set still works. */
static const char *const unusable[] = {
	/* FULL-6: x of 31 bytes, not padded (the same point is usable in full, above) */
	LEADING_ZERO_SHORT,
	"{\"kty\":\"oct\",\"kid\":\"k\",\"k\":\"c2VjcmV0\"}",
	"{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"" RFC7517_A1_RSA_N "\",\"e\":\"AQAB\",\"alg\":\"RS384\"}",
	"{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"" RFC7517_A1_RSA_N "\",\"e\":\"AQAB\",\"use\":\"enc\"}",
	"{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"" RFC7517_A1_RSA_N "\",\"e\":\"AQAB\",\"key_ops\":[\"sign\"]}",
	"{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4\",\"e\":\"AQAB\"}",
	"{\"kty\":\"RSA\",\"kid\":\"k\",\"n\":\"not base64url!\",\"e\":\"AQAB\"}",
	"{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-384\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
	/* y changed: not a point of the curve */
	"{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5b0\"}",
	"{\"kty\":\"OKP\",\"kid\":\"k\",\"crv\":\"Ed25519\",\"x\":\"11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo\"}",
	"{\"kty\":\"EC\",\"kid\":\"k\",\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\"}",
	"[\"not an object\"]",
	/* a usable key but for its kid, which is not a string */
	"{\"kty\":\"EC\",\"kid\":7,\"crv\":\"P-256\",\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
	"\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}",
};

Test(jwks, unusable_keys_are_ignored_not_fatal)
{
	for (size_t i = 0; i < sizeof unusable / sizeof *unusable; i++) {
		char doc[4096], err[200] = "";
		snprintf(doc, sizeof doc, "{\"keys\":[%s,%s]}", unusable[i], RFC7517_A1_RSA);
		struct jwks_set *s = jwks_set_parse(doc, strlen(doc), err, sizeof err);
		cr_assert(s, "entry %zu made the set fail: %s", i, err);
		int es256;
		cr_assert_eq(jwks_set_size(s), 1, "entry %zu was kept", i);
		cr_assert_null(jwks_set_find(s, "k", &es256), "entry %zu was kept", i);
		cr_assert(jwks_set_find(s, "2011-04-29", &es256));
		jwks_set_free(s);
		/* alone, it leaves the set with no usable key: a failed fetch (FULL-8) */
		snprintf(doc, sizeof doc, "{\"keys\":[%s]}", unusable[i]);
		s = jwks_set_parse(doc, strlen(doc), err, sizeof err);
		cr_assert_null(s, "entry %zu alone made a set", i);
		cr_assert(strstr(err, "no usable key"), "%s", err);
	}
}

Test(jwks, a_kid_two_keys_share_selects_neither)
{
	char err[200] = "";
	const char *doc = "{\"keys\":[" RFC7517_A1_RSA ",{\"kty\":\"EC\",\"crv\":\"P-256\","
			  "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
			  "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\",\"kid\":\"2011-04-29\"}]}";
	struct jwks_set *s = jwks_set_parse(doc, strlen(doc), err, sizeof err);
	cr_assert(s, "%s", err);
	int es256;
	cr_assert_null(jwks_set_find(s, "2011-04-29", &es256));
	jwks_set_free(s);
}

Test(jwks, documents_that_are_not_a_set_fail)
{
	static const char *const docs[] = {"", "[]", "{}", "{\"keys\":{}}", "{\"keys\":[]}", "{\"keys\":[" RFC7517_A1_RSA "]} x",
					   "{\"keys\":[" RFC7517_A1_RSA "],\"keys\":[]}"};
	for (size_t i = 0; i < sizeof docs / sizeof *docs; i++) {
		char err[200] = "";
		cr_assert_null(jwks_set_parse(docs[i], strlen(docs[i]), err, sizeof err), "%s", docs[i]);
		cr_assert(err[0]);
	}
}

Test(jwks, more_than_100_keys_fail_the_whole_set)
{
	size_t cap = 120 * (sizeof RFC7517_A1_RSA + 1) + 32, n = 0;
	char *doc = malloc(cap), err[200] = "";
	n += (size_t)snprintf(doc + n, cap - n, "{\"keys\":[");
	for (int i = 0; i < JWKS_MAX_KEYS + 1; i++)
		n += (size_t)snprintf(doc + n, cap - n, "%s%s", i ? "," : "", RFC7517_A1_RSA);
	snprintf(doc + n, cap - n, "]}");
	cr_assert_null(jwks_set_parse(doc, strlen(doc), err, sizeof err));
	cr_assert(strstr(err, "more than 100"), "%s", err);
	free(doc);
}

Test(jwks, only_http_urls_are_taken)
{
	char err[200] = "";
	struct jwks_config c = {.url = "file:///etc/passwd", .cache_seconds = 300, .refresh_seconds = 10};
	cr_assert_null(jwks_new(&c, err, sizeof err));
	cr_assert(strstr(err, "http"), "%s", err);
}

Test(jwks, a_set_never_fetched_selects_nothing)
{
	char err[200] = "";
	/* port 9 (discard) on loopback: refused at once */
	struct jwks_config c = {.url = "http://127.0.0.1:9/jwks.json", .cache_seconds = 300, .refresh_seconds = 10};
	struct jwks *j = jwks_new(&c, err, sizeof err);
	cr_assert(j, "%s", err);
	cr_assert_eq(jwks_fetch_now(j, err, sizeof err), -1);
	cr_assert(err[0]);
	EVP_PKEY *k = NULL;
	int es256;
	unsigned long g;
	cr_assert_eq(jwks_key(j, "2011-04-29", 1, &k, &es256, &g), JWKS_NO_SET);
	cr_assert_null(k);
	int fetched;
	cr_assert_eq(jwks_generation(j, &fetched), 0);
	jwks_free(j);
}
