/* The runner's JWK Set server (jwks.h) and the jwks step's validation (fixture.c): what
 * GET /jwks.json answers in each mode, the case keys, the fetch count, and broken
 * jwks steps and identity keys named with their path and expectation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fixture.h"
#include "http.h"
#include "jsonx.h"
#include "jwks.h"
#include "keys.h"

static struct keys k;
static struct jwks *j;

static void setup(void)
{
    char err[300];
    cr_assert_eq(keys_generate(&k, 1, err, sizeof err), 0, "%s", err);
    cr_assert_not_null(j = jwks_start(&k, 0, err, sizeof err), "%s", err);
}

static void teardown(void)
{
    jwks_stop(j);
    keys_clear(&k);
}

/* GET url; the status (0: no answer) and the parsed body in *doc (or NULL). */
static long get(const char *url, cJSON **doc, size_t *len)
{
    struct http_request rq = {.method = "GET", .url = url};
    struct http_response res = {0};
    char err[200];
    http_do_plain(&rq, &res, 5000);
    if (len)
        *len = res.body_len;
    if (doc)
        *doc = res.status ? jsonx_parse(res.body ? res.body : "", res.body_len, err, sizeof err) : NULL;
    long s = res.status;
    http_response_clear(&res);
    return s;
}

/* The kids of the set, in order, joined by spaces. */
static void kids(const cJSON *doc, char *out, size_t n)
{
    out[0] = '\0';
    const cJSON *key;
    cJSON_ArrayForEach(key, cJSON_GetObjectItemCaseSensitive(doc, "keys")) {
        const cJSON *kid = cJSON_GetObjectItemCaseSensitive(key, "kid");
        strncat(out, kid->valuestring, n - strlen(out) - 2);
        strncat(out, " ", n - strlen(out) - 1);
    }
}

TestSuite(jwks, .init = setup, .fini = teardown);

Test(jwks, serves_the_issuer_key_first_after_published_ones_and_entries_to_ignore)
{
    cJSON *doc;
    char got[600], want[600], err[300];
    cr_assert_eq(get(jwks_url(j), &doc, NULL), 200);
    kids(doc, got, sizeof got);
    snprintf(want, sizeof want, "%s afi-hmac afi-enc afi-p384 afi-flawed ", k.kid);
    cr_assert_str_eq(got, want);
    const cJSON *issuer = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "keys"), 0);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(issuer, "crv")->valuestring, "P-256");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(issuer, "alg")->valuestring, "ES256");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(issuer, "use")->valuestring, "sig");
    cJSON_Delete(doc);

    EVP_PKEY *a, *b;
    const char *akid, *bkid;
    cr_assert_eq(jwks_case_key(j, 4, "old", &a, &akid, err, sizeof err), 0, "%s", err);
    cr_assert_eq(jwks_case_key(j, 4, "next", &b, &bkid, err, sizeof err), 0, "%s", err);
    cr_assert_neq(EVP_PKEY_eq(a, b), 1, "two names, two keys");
    cr_assert_neq(EVP_PKEY_eq(a, k.issuer), 1);
    cr_assert_eq(jwks_publish(j, 4, "old", 1, err, sizeof err), 0);
    cr_assert_eq(jwks_publish(j, 4, "next", 1, err, sizeof err), 0);
    cr_assert_eq(get(jwks_url(j), &doc, NULL), 200);
    kids(doc, got, sizeof got);
    snprintf(want, sizeof want, "%s %s %s afi-hmac afi-enc afi-p384 afi-flawed ", bkid, akid, k.kid);
    cr_assert_str_eq(got, want, "the last published comes first");
    cJSON_Delete(doc);

    cr_assert_eq(jwks_publish(j, 4, "old", 0, err, sizeof err), 0);
    cr_assert_eq(get(jwks_url(j), &doc, NULL), 200);
    kids(doc, got, sizeof got);
    snprintf(want, sizeof want, "%s %s afi-hmac afi-enc afi-p384 afi-flawed ", bkid, k.kid);
    cr_assert_str_eq(got, want);
    cJSON_Delete(doc);

    /* another case: the same name, the same material, another kid */
    EVP_PKEY *a2;
    const char *a2kid;
    cr_assert_eq(jwks_case_key(j, 5, "old", &a2, &a2kid, err, sizeof err), 0);
    cr_assert_eq(EVP_PKEY_eq(a, a2), 1);
    cr_assert_str_neq(akid, a2kid);

    cr_assert_eq(jwks_case_end(j, 4, err, sizeof err), 0, "%s", err);
    cr_assert_eq(get(jwks_url(j), &doc, NULL), 200);
    kids(doc, got, sizeof got);
    snprintf(want, sizeof want, "%s afi-hmac afi-enc afi-p384 afi-flawed ", k.kid);
    cr_assert_str_eq(got, want, "a case's keys go when it ends");
    cJSON_Delete(doc);
}

/* The set's last entry, the flawed key's, from a fresh GET; the caller deletes *doc. */
static const cJSON *flawed_entry(struct jwks *set, cJSON **doc)
{
    cr_assert_eq(get(jwks_url(set), doc, NULL), 200);
    const cJSON *keys = cJSON_GetObjectItemCaseSensitive(*doc, "keys");
    const cJSON *f = cJSON_GetArrayItem(keys, cJSON_GetArraySize(keys) - 1);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(f, "kid")->valuestring, JWKS_FLAWED_KID);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(f, "use")->valuestring, "sig");
    cr_assert_not_null(jwks_flawed(set));
    return f;
}

Test(jwks, the_flawed_p256_key_has_a_coordinate_under_32_bytes)
{
    cJSON *doc;
    const cJSON *f = flawed_entry(j, &doc);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(f, "crv")->valuestring, "P-256");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(f, "alg")->valuestring, "ES256");
    /* 32 bytes are 43 base64url characters, 31 are 42 */
    size_t x = strlen(cJSON_GetObjectItemCaseSensitive(f, "x")->valuestring);
    size_t y = strlen(cJSON_GetObjectItemCaseSensitive(f, "y")->valuestring);
    cr_assert(x <= 43 && y <= 43 && (x < 43 || y < 43), "x has %zu characters, y %zu", x, y);
    cr_assert_neq(EVP_PKEY_eq(jwks_flawed(j), k.issuer), 1);
    cJSON_Delete(doc);
}

Test(jwks_rsa, the_flawed_rsa_key_has_1024_bits)
{
    struct keys rk;
    char err[300];
    cr_assert_eq(keys_generate(&rk, 0, err, sizeof err), 0, "%s", err);
    struct jwks *set = jwks_start(&rk, 0, err, sizeof err);
    cr_assert_not_null(set, "%s", err);
    cJSON *doc;
    const cJSON *f = flawed_entry(set, &doc);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(f, "kty")->valuestring, "RSA");
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(f, "alg")->valuestring, "RS256");
    /* 128 bytes are 171 base64url characters */
    cr_assert_eq(strlen(cJSON_GetObjectItemCaseSensitive(f, "n")->valuestring), 171);
    cr_assert_eq(EVP_PKEY_get_bits(jwks_flawed(set)), 1024);
    cJSON_Delete(doc);
    jwks_stop(set);
    keys_clear(&rk);
}

Test(jwks, modes_down_error_and_huge_and_back)
{
    char err[300];
    cJSON *doc;
    size_t len;
    cr_assert_eq(jwks_serve(j, JWKS_DOWN, err, sizeof err), 0, "%s", err);
    cr_assert_eq(get(jwks_url(j), NULL, NULL), 0, "down: the connection is refused");
    cr_assert_eq(jwks_serve(j, JWKS_ERROR, err, sizeof err), 0, "%s", err);
    cr_assert_eq(get(jwks_url(j), &doc, NULL), 500, "the port is open again, on the same URL");
    cr_assert(cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "keys")), "the 500's body is a JWK Set");
    cJSON_Delete(doc);
    cr_assert_eq(jwks_serve(j, JWKS_HUGE, err, sizeof err), 0, "%s", err);
    cr_assert_eq(get(jwks_url(j), &doc, &len), 200);
    cr_assert_geq(len, (size_t)JWKS_HUGE_BYTES);
    cr_assert(doc && cJSON_GetObjectItemCaseSensitive(doc, "keys"), "a huge set is still a JWK Set");
    cJSON_Delete(doc);
    cr_assert_eq(jwks_serve(j, JWKS_OK, err, sizeof err), 0, "%s", err);
    cr_assert_eq(get(jwks_url(j), NULL, &len), 200);
    cr_assert_lt(len, (size_t)10000);
}

Test(jwks, fetches_are_counted_from_the_reset)
{
    double secs;
    jwks_fetches_reset(j);
    cr_assert_eq(jwks_fetches(j, &secs), 0);
    get(jwks_url(j), NULL, NULL);
    get(jwks_url(j), NULL, NULL);
    cJSON *doc;
    cr_assert_eq(get(jwks_attacker_url(j), &doc, NULL), 200);
    const cJSON *key = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc, "keys"), 0);
    cr_assert_str_eq(cJSON_GetObjectItemCaseSensitive(key, "kid")->valuestring, jwks_attacker_url(j));
    cJSON_Delete(doc);
    cr_assert_eq(jwks_fetches(j, &secs), 2, "GET /attacker.json is not a fetch of the set");
    cr_assert_geq(secs, 0.0);
    cr_assert_eq(access(jwks_attacker_file(j), R_OK), 0);
}

Test(jwks, parses_the_mode_words)
{
    enum jwks_mode m;
    cr_assert_eq(jwks_parse_mode("slow", &m), 0);
    cr_assert_eq(m, JWKS_SLOW);
    cr_assert_eq(jwks_parse_mode("huge", &m), 0);
    cr_assert_eq(m, JWKS_HUGE);
    cr_assert_eq(jwks_parse_mode("Slow", &m), -1);
}

static int has_error(const struct fixture_errors *e, const char *needle1, const char *needle2)
{
    for (size_t i = 0; i < e->n; i++)
        if (strstr(e->v[i], needle1) && strstr(e->v[i], needle2))
            return 1;
    return 0;
}

/* Loads one suite from text; 0 or -1 as fixture_load_file. */
static int load(const char *text, struct fixture_set *set, struct fixture_errors *errs)
{
    char path[] = "/tmp/afi-jwks-fx-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    int rc = fixture_load_file(set, path, NULL, errs);
    unlink(path);
    return rc;
}

#define SUITE(ids, cases) "{\"suite\":\"j\",\"area\":\"FULL\",\"title\":\"t\",\"identities\":{" ids "},\"cases\":[" cases "]}"
#define CASE(id, tags, steps) \
    "{\"id\":\"" id "\",\"title\":\"t\",\"requirements\":[\"FULL-7\"],\"level\":\"full\",\"tags\":" tags ",\"steps\":[" steps "]}"
#define WHOAMI "{\"request\":{\"call\":\"whoami\",\"identity\":\"a\"},\"expect\":{\"status\":200}}"

Test(jwks_fixture, a_good_jwks_case_loads)
{
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    int rc = load(SUITE("\"a\":{\"key\":\"next\"},\"b\":{\"kid\":false},\"c\":{\"key\":\"attacker\",\"kid_of\":\"issuer\"},"
                        "\"d\":{\"key\":\"flawed\"}",
                        CASE("j.one", "[\"jwks\"]",
                             "{\"name\":\"n\",\"jwks\":{\"serve\":\"down\",\"publish\":[\"next\"],\"withdraw\":[\"old\"],"
                             "\"fetches\":\"reset\",\"wait\":\"cache\",\"expect_fetches\":{\"$max\":1}}}," WHOAMI
                             ",{\"jwks\":{\"expect_fetches\":\"rate_limited\"}}")),
                  &set, &errs);
    for (size_t i = 0; i < errs.n; i++)
        fprintf(stderr, "%s\n", errs.v[i]);
    cr_assert_eq(rc, 0);
    cr_assert(set.cases[0]->jwks);
    cr_assert_not_null(set.cases[0]->steps[0].jwks);
    cr_assert_null(set.cases[0]->steps[0].request);
    cr_assert_null(set.cases[0]->steps[1].jwks);
    fixture_set_free(&set);
}

Test(jwks_fixture, broken_jwks_steps_and_identity_keys_are_named)
{
    struct fixture_set set = {0};
    struct fixture_errors errs = {0};
    cr_assert_eq(load(SUITE("\"a\":{\"key\":\"Next\"},\"b\":{\"kid\":7},\"c\":{\"kid\":\"x\",\"kid_of\":\"issuer\"}",
                            CASE("j.one", "[\"jwks\"]",
                                 "{\"jwks\":{\"serve\":\"sluggish\",\"publish\":[\"issuer\",\"flawed\"],\"withdraw\":[],\"wait\":\"forever\","
                                 "\"fetches\":\"count\",\"expect_fetches\":\"few\",\"sleep\":1}},{\"jwks\":{}},"
                                 "{\"jwks\":{\"wait\":\"refresh\"}," "\"request\":{\"call\":\"whoami\"},\"expect\":{\"status\":200}},"
                                 "{\"jwks\":{\"expect_fetches\":{\"$typo\":1}}}") ","
                            CASE("j.two", "[]", "{\"jwks\":{\"wait\":\"refresh\"}}")),
                      &set, &errs), -1);
    cr_assert(has_error(&errs, "$.identities.a.key: expected a key name", "\"Next\""));
    cr_assert(has_error(&errs, "$.identities.b.kid: expected a kid string", "false"));
    cr_assert(has_error(&errs, "$.identities.c: expected at most one of kid and kid_of", ""));
    cr_assert(has_error(&errs, "$.cases[0].steps[0].jwks.serve: expected \"ok\"", "\"sluggish\""));
    cr_assert(has_error(&errs, "$.cases[0].steps[0].jwks.publish[0]: expected a case key name", "not issuer"));
    cr_assert(has_error(&errs, "$.cases[0].steps[0].jwks.publish[1]: expected a case key name", "or flawed"));
    cr_assert(has_error(&errs, "$.cases[0].steps[0].jwks.withdraw: expected at least one", "name"));
    cr_assert(has_error(&errs, "$.cases[0].steps[0].jwks.wait: expected \"refresh\" or \"cache\"", "\"forever\""));
    cr_assert(has_error(&errs, "$.cases[0].steps[0].jwks.fetches: expected \"reset\"", "\"count\""));
    cr_assert(has_error(&errs, "$.cases[0].steps[0].jwks.expect_fetches: expected a matcher", "\"few\""));
    cr_assert(has_error(&errs, "$.cases[0].steps[0].jwks.sleep: expected one of the keys", "unknown key"));
    cr_assert(has_error(&errs, "$.cases[0].steps[1].jwks: expected at least one of", "serve"));
    cr_assert(has_error(&errs, "$.cases[0].steps[2]: expected a jwks step to have only name and jwks", ""));
    cr_assert(has_error(&errs, "$.cases[0].steps[3].jwks.expect_fetches.$typo", "operator"));
    cr_assert(has_error(&errs, "$.cases[1].steps[0]: expected a jwks step only in a case tagged jwks", ""));
    fixture_errors_free(&errs);
    fixture_set_free(&set);
}
