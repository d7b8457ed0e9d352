/* The protocol end to end through dispatch, without HTTP: routing, the CALL-4
 * order, auth gating, calls, bundles, ETags, scopes and revocation. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "sjson.h"
#include "store_mem.h"
#include "token.h"

#define SECRET "0123456789abcdef0123456789abcdef"
#define NOW 1700000000.0

static struct dispatch d;
static struct store *store;
static struct auth_config cfg = {.secret = (const unsigned char *)SECRET, .secret_len = sizeof SECRET - 1};

static double fixed_clock(void)
{
	return NOW;
}

static void setup(void)
{
	char err[128];
	store = store_mem_new();
	cr_assert_eq(dispatch_init(&d, store, &cfg, err, sizeof err), 0, "%s", err);
	d.now = fixed_clock;
}

static void teardown(void)
{
	dispatch_free(&d);
	store_free(store);
}

TestSuite(dispatch, .init = setup, .fini = teardown);

struct answer {
	int status;
	cJSON *json;	/* parsed body or NULL */
	char etag[BUNDLE_ETAG_SIZE];
	const char *allow, *www, *cache, *vary;
	unsigned defer_ms;
};

/* Runs one request. auth is a full Authorization value or NULL. */
static struct answer run(const char *method, const char *path, const char *auth, const char *ctype,
			 const char *body, const char *inm)
{
	struct dispatch_request req = {
		.method = method, .path = path, .authorization = auth, .authorization_count = auth ? 1 : 0,
		.content_type = ctype, .if_none_match = inm,
	};
	char cl[32];
	if (body) {
		snprintf(cl, sizeof cl, "%zu", strlen(body));
		req.content_length = cl;
	}
	struct dispatch_state st;
	struct dispatch_reply reply;
	if (!dispatch_begin(&d, &req, &st, &reply)) {
		dispatch_reply_clear(&reply);
		dispatch_body(&d, &req, &st, body ? body : "", body ? strlen(body) : 0, 0, &reply);
	}
	struct answer a = {.status = reply.status, .allow = reply.allow, .www = reply.www_authenticate,
			   .cache = reply.cache_control, .vary = reply.vary, .defer_ms = reply.defer_ms};
	memcpy(a.etag, reply.etag, sizeof a.etag);
	if (reply.body && reply.len) {
		a.json = sjson_parse(reply.body, reply.len, NULL, 0);
		cr_assert_not_null(a.json, "every body is strict JSON: %.*s", (int)reply.len, reply.body);
	}
	if (a.status >= 400) {	/* ENV-1 on every error */
		cr_assert_eq(cJSON_GetArraySize(a.json), 1);
		cJSON *e = cJSON_GetObjectItem(a.json, "error");
		cr_assert_eq(cJSON_GetArraySize(e), 3);
		cr_assert(strlen(cJSON_GetObjectItem(e, "message")->valuestring) > 0);
	}
	dispatch_state_clear(&st);
	dispatch_reply_clear(&reply);
	return a;
}

static struct answer call(const char *fn, const char *auth, const char *body)
{
	char path[64];
	snprintf(path, sizeof path, "/call/%s", fn);
	return run("POST", path, auth, body ? "application/json" : NULL, body, NULL);
}

static const char *code(const struct answer *a)
{
	cJSON *e = cJSON_GetObjectItem(a->json, "error");
	return e ? cJSON_GetObjectItem(e, "code")->valuestring : "";
}

static void expect(struct answer a, int status, const char *want_code)
{
	cr_assert_eq(a.status, status, "status %d, want %d (%s)", a.status, status, code(&a));
	if (want_code)
		cr_assert_str_eq(code(&a), want_code);
	cJSON_Delete(a.json);
}

/* "Bearer <token>" for claims; static storage, rotated among 8 slots. */
static const char *bearer(const char *claims)
{
	static char slots[8][9000];
	static int next;
	char *t = token_mint("HS256", SECRET, claims);
	cr_assert_not_null(t);
	char *out = slots[next++ % 8];
	snprintf(out, 9000, "Bearer %s", t);
	free(t);
	return out;
}

static const char *viewer(const char *sub, const char *role)
{
	char c[256];
	if (role)
		snprintf(c, sizeof c, "{\"sub\":\"%s\",\"exp\":1700000600,\"jti\":\"%s-jti\",\"role\":\"%s\"}", sub, sub, role);
	else
		snprintf(c, sizeof c, "{\"sub\":\"%s\",\"exp\":1700000600,\"jti\":\"%s-jti\"}", sub, sub);
	return bearer(c);
}

static char *result_text(struct answer a)
{
	cr_assert_eq(a.status, 200, "status %d (%s)", a.status, code(&a));
	cr_assert_eq(cJSON_GetArraySize(a.json), 2, "CALL-5: exactly result and invalidate");
	cr_assert(cJSON_IsArray(cJSON_GetObjectItem(a.json, "invalidate")));
	char *t = sjson_print(cJSON_GetObjectItem(a.json, "result"), NULL);
	cJSON_Delete(a.json);
	return t;
}

static void result_is(struct answer a, const char *want)
{
	char *t = result_text(a);
	cr_assert_str_eq(t, want);
	free(t);
}

Test(dispatch, routing_and_not_found)
{
	const char *paths[] = {"", "/", "/call", "/call/", "/call/echo/x", "/health/", "/health/x", "/schema.json",
			       "/context/", "/context/user/x", "/nothing"};
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
		expect(run("GET", paths[i], NULL, NULL, NULL, NULL), 404, "not_found");
	expect(run("POST", "/call/echoes", NULL, NULL, NULL, NULL), 404, "unknown_function");
	expect(run("POST", "/call/Echo", NULL, NULL, NULL, NULL), 404, "unknown_function");
	expect(run("POST", "/call/%65cho", NULL, NULL, NULL, NULL), 404, "unknown_function");
	expect(run("GET", "/call/nope", NULL, NULL, NULL, NULL), 404, "unknown_function");
	expect(run("GET", "/context/nope", NULL, NULL, NULL, NULL), 404, "unknown_context");
}

Test(dispatch, wrong_methods_are_405_with_allow)
{
	const char *get_paths[] = {"/health", "/schema", "/context/user"};
	const char *methods[] = {"POST", "HEAD", "OPTIONS", "PUT", "get"};
	for (size_t i = 0; i < 3; i++)
		for (size_t m = 0; m < 5; m++) {
			struct answer a = run(methods[m], get_paths[i], NULL, NULL, NULL, NULL);
			cr_assert_str_eq(a.allow, "GET");
			expect(a, 405, "method_not_allowed");
		}
	struct answer a = run("GET", "/call/echo", NULL, NULL, NULL, NULL);
	cr_assert_str_eq(a.allow, "POST");
	expect(a, 405, "method_not_allowed");
}

Test(dispatch, health_and_schema_ignore_credentials)
{
	struct answer a = run("GET", "/health", "Bearer garbage", NULL, NULL, NULL);
	cr_assert_str_eq(cJSON_GetObjectItem(a.json, "status")->valuestring, "ok");
	expect(a, 200, NULL);
	expect(run("GET", "/schema", "Basic x", NULL, NULL, NULL), 200, NULL);
}

Test(dispatch, precedence_follows_call_4)
{
	/* 405 before 401: a gated function with the wrong method. */
	expect(run("GET", "/call/whoami", NULL, NULL, NULL, NULL), 405, NULL);
	/* 401 before 413/415/400/422. */
	struct dispatch_request big = {.method = "POST", .path = "/call/whoami", .content_length = "2097152",
				       .content_type = "text/plain"};
	struct dispatch_state st;
	struct dispatch_reply r;
	cr_assert_eq(dispatch_begin(&d, &big, &st, &r), 1);
	cr_assert_eq(r.status, 401);
	cr_assert_str_eq(r.www_authenticate, "Bearer");
	dispatch_reply_clear(&r);
	dispatch_state_clear(&st);
	/* 413 before 415. */
	big.path = "/call/echo";
	cr_assert_eq(dispatch_begin(&d, &big, &st, &r), 1);
	cr_assert_eq(r.status, 413);
	dispatch_reply_clear(&r);
	dispatch_state_clear(&st);
	/* 415 before 400, 400 before 422. */
	expect(run("POST", "/call/echo", NULL, "text/plain", "{bad", NULL), 415, "unsupported_media_type");
	expect(run("POST", "/call/echo", NULL, "application/json", "{bad", NULL), 400, "invalid_json");
	expect(run("POST", "/call/echo", NULL, "application/json", "{}", NULL), 422, "validation_error");
	/* 422 before the 403 that depends on argument values. */
	expect(call("kv_set", viewer("u", NULL), "{\"key\":\"shared:x\"}"), 422, "validation_error");
	expect(call("kv_set", viewer("u", NULL), "{\"key\":\"shared:x\",\"value\":1}"), 403, "forbidden");
}

Test(dispatch, chunked_bodies_over_the_limit_are_413)
{
	struct dispatch_request req = {.method = "POST", .path = "/call/echo", .content_type = "application/json"};
	struct dispatch_state st;
	struct dispatch_reply r;
	cr_assert_eq(dispatch_begin(&d, &req, &st, &r), 0);
	dispatch_body(&d, &req, &st, "{}", 2, 1, &r);
	cr_assert_eq(r.status, 413);
	dispatch_reply_clear(&r);
	dispatch_state_clear(&st);
}

Test(dispatch, media_types)
{
	const char *ok[] = {"application/json", "APPLICATION/JSON", "application/json; charset=utf-8",
			    "application/json;charset=\"UTF-8\"", "application/json; foo=bar"};
	const char *bad[] = {"text/plain", "application/json-patch+json", "application/json; charset=latin1",
			     "application/jsonx", "application/json, text/plain", ""};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
		expect(run("POST", "/call/echo", NULL, ok[i], "{\"text\":\"a\"}", NULL), 200, NULL);
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		expect(run("POST", "/call/echo", NULL, bad[i], "{\"text\":\"a\"}", NULL), 415, "unsupported_media_type");
	expect(run("POST", "/call/echo", NULL, NULL, "{\"text\":\"a\"}", NULL), 415, "unsupported_media_type");
	/* A zero-byte body needs no Content-Type and means {}. */
	expect(run("POST", "/call/site_info", NULL, NULL, "", NULL), 200, NULL);
	expect(run("POST", "/call/site_info", NULL, NULL, NULL, NULL), 200, NULL);
	expect(run("POST", "/call/echo", NULL, NULL, NULL, NULL), 422, "validation_error");
}

Test(dispatch, calls_answer_result_and_sorted_invalidate)
{
	result_is(call("echo", NULL, "{\"text\":\"h\\u00e9\"}"), "{\"message\":\"h\xc3\xa9\"}");
	result_is(call("add", NULL, "{\"a\":2147483648,\"b\":2147483648}"), "{\"sum\":4294967296}");
	result_is(call("site_info", NULL, "{}"), "{\"name\":\"AFI reference server\",\"afi_version\":\"1\"}");
	result_is(call("whoami", viewer("alice", NULL), NULL), "{\"sub\":\"alice\",\"role\":\"USER\"}");
	struct answer a = call("kv_set", viewer("alice", NULL), "{\"key\":\"personal:k\",\"value\":1}");
	char *inv = sjson_print(cJSON_GetObjectItem(a.json, "invalidate"), NULL);
	cr_assert_str_eq(inv, "[\"context:user\",\"function:kv_get\",\"function:kv_list\"]");
	free(inv);
	cJSON_Delete(a.json);
	a = call("kv_delete", viewer("alice", NULL), "{\"key\":\"personal:absent\"}");
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(a.json, "invalidate")), 3, "even when nothing changed");
	cJSON_Delete(a.json);
	a = call("echo", NULL, "{\"text\":\"x\"}");
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(a.json, "invalidate")), 0);
	cJSON_Delete(a.json);
}

Test(dispatch, credentials_fail_closed)
{
	/* AUTH-4: a bad credential is 401 even on public functions. */
	struct answer a = call("echo", "Bearer not.a.token", "{\"text\":\"a\"}");
	cr_assert_str_eq(a.www, "Bearer error=\"invalid_token\"");
	expect(a, 401, "invalid_token");
	expect(call("echo", "Basic abc", "{\"text\":\"a\"}"), 401, "invalid_token");
	expect(call("whoami", bearer("{\"sub\":\"a\",\"exp\":1699999999}"), NULL), 401, "token_expired");
	a = call("whoami", NULL, NULL);
	cr_assert_str_eq(a.www, "Bearer");
	expect(a, 401, "unauthenticated");
	expect(run("GET", "/context/global", "Bearer x", NULL, NULL, NULL), 401, "invalid_token");
}

Test(dispatch, roles_gate_functions)
{
	expect(call("staff_report", viewer("u", NULL), NULL), 403, "forbidden");
	expect(call("staff_report", viewer("w", "WRITER"), NULL), 403, "forbidden");
	result_is(call("staff_report", viewer("a", "ADMIN"), NULL), "{\"ok\":true}");
	result_is(call("staff_report", viewer("s", "SUPERADMIN"), NULL), "{\"ok\":true}");
	expect(call("root_only", viewer("a", "ADMIN"), NULL), 403, "forbidden");
	result_is(call("root_only", viewer("s", "SUPERADMIN"), NULL), "{\"ok\":true}");
	expect(call("staff_report", NULL, NULL), 401, "unauthenticated");
}

Test(dispatch, personal_data_is_isolated)
{
	const char *alice = viewer("alice", NULL), *bob = viewer("bob", NULL);
	result_is(call("kv_set", alice, "{\"key\":\"personal:x\",\"value\":{\"a\":[1,2.50,9007199254740992]}}"),
		  "{\"key\":\"personal:x\",\"rev\":1}");
	result_is(call("kv_get", alice, "{\"key\":\"personal:x\"}"),
		  "{\"key\":\"personal:x\",\"value\":{\"a\":[1,2.50,9007199254740992]},\"rev\":1}");
	result_is(call("kv_get", bob, "{\"key\":\"personal:x\"}"), "{\"key\":\"personal:x\",\"value\":null,\"rev\":0}");
	result_is(call("kv_set", bob, "{\"key\":\"personal:x\",\"value\":\"b\"}"), "{\"key\":\"personal:x\",\"rev\":1}");
	result_is(call("kv_list", alice, "{\"scope\":\"personal\"}"), "{\"keys\":[\"personal:x\"]}");
	result_is(call("kv_delete", bob, "{\"key\":\"personal:x\"}"), "{\"key\":\"personal:x\",\"deleted\":true}");
	result_is(call("kv_get", alice, "{\"key\":\"personal:x\"}"),
		  "{\"key\":\"personal:x\",\"value\":{\"a\":[1,2.50,9007199254740992]},\"rev\":1}");
	/* A sub that looks like another viewer's key prefix reaches nothing of theirs. */
	result_is(call("kv_list", viewer("alice:x", NULL), "{\"scope\":\"personal\"}"), "{\"keys\":[]}");
}

Test(dispatch, shared_data_needs_writer_to_change)
{
	const char *user = viewer("u", NULL), *writer = viewer("w", "WRITER");
	expect(call("kv_set", user, "{\"key\":\"shared:s\",\"value\":1}"), 403, "forbidden");
	expect(call("counter_incr", user, "{\"key\":\"shared:c\"}"), 403, "forbidden");
	expect(call("kv_delete", user, "{\"key\":\"shared:s\"}"), 403, "forbidden");
	result_is(call("kv_set", writer, "{\"key\":\"shared:s\",\"value\":1}"), "{\"key\":\"shared:s\",\"rev\":1}");
	result_is(call("kv_get", user, "{\"key\":\"shared:s\"}"), "{\"key\":\"shared:s\",\"value\":1,\"rev\":1}");
	result_is(call("kv_list", user, "{\"scope\":\"shared\"}"), "{\"keys\":[\"shared:s\"]}");
}

Test(dispatch, revs_and_if_rev)
{
	const char *a = viewer("a", NULL);
	result_is(call("kv_set", a, "{\"key\":\"personal:k\",\"value\":1,\"if_rev\":0}"), "{\"key\":\"personal:k\",\"rev\":1}");
	expect(call("kv_set", a, "{\"key\":\"personal:k\",\"value\":2,\"if_rev\":0}"), 409, "conflict");
	expect(call("kv_set", a, "{\"key\":\"personal:k\",\"value\":2,\"if_rev\":7}"), 409, "conflict");
	result_is(call("kv_get", a, "{\"key\":\"personal:k\"}"), "{\"key\":\"personal:k\",\"value\":1,\"rev\":1}");
	result_is(call("kv_set", a, "{\"key\":\"personal:k\",\"value\":2,\"if_rev\":1}"), "{\"key\":\"personal:k\",\"rev\":2}");
	result_is(call("kv_delete", a, "{\"key\":\"personal:k\"}"), "{\"key\":\"personal:k\",\"deleted\":true}");
	result_is(call("kv_get", a, "{\"key\":\"personal:k\"}"), "{\"key\":\"personal:k\",\"value\":null,\"rev\":0}");
	result_is(call("kv_set", a, "{\"key\":\"personal:k\",\"value\":3}"), "{\"key\":\"personal:k\",\"rev\":1}");
}

Test(dispatch, counters)
{
	const char *a = viewer("a", NULL);
	result_is(call("counter_incr", a, "{\"key\":\"personal:c\"}"), "{\"key\":\"personal:c\",\"value\":1}");
	result_is(call("counter_incr", a, "{\"key\":\"personal:c\",\"by\":1000}"), "{\"key\":\"personal:c\",\"value\":1001}");
	result_is(call("kv_get", a, "{\"key\":\"personal:c\"}"), "{\"key\":\"personal:c\",\"value\":1001,\"rev\":2}");
	expect(call("counter_incr", a, "{\"key\":\"personal:c\",\"by\":0}"), 422, NULL);
	result_is(call("kv_set", a, "{\"key\":\"personal:f\",\"value\":1.5}"), "{\"key\":\"personal:f\",\"rev\":1}");
	expect(call("counter_incr", a, "{\"key\":\"personal:f\"}"), 409, "conflict");
	result_is(call("kv_set", a, "{\"key\":\"personal:big\",\"value\":9007199254740992}"), "{\"key\":\"personal:big\",\"rev\":1}");
	expect(call("counter_incr", a, "{\"key\":\"personal:big\"}"), 409, "conflict");
	result_is(call("kv_get", a, "{\"key\":\"personal:big\"}"),
		  "{\"key\":\"personal:big\",\"value\":9007199254740992,\"rev\":1}");
}

Test(dispatch, drafts_share_the_kv_store)
{
	const char *a = viewer("a", NULL);
	result_is(call("get_draft", a, NULL), "{\"draft\":\"\"}");
	result_is(call("save_draft", a, "{\"body\":\"hello\"}"), "{\"saved\":true}");
	result_is(call("get_draft", a, NULL), "{\"draft\":\"hello\"}");
	result_is(call("kv_get", a, "{\"key\":\"personal:draft\"}"), "{\"key\":\"personal:draft\",\"value\":\"hello\",\"rev\":1}");
}

Test(dispatch, failed_calls_change_nothing)
{
	const char *a = viewer("a", NULL);
	result_is(call("kv_set", a, "{\"key\":\"personal:k\",\"value\":1}"), "{\"key\":\"personal:k\",\"rev\":1}");
	expect(call("kv_set", a, "{\"key\":\"personal:k\",\"value\":2,\"extra\":1}"), 422, NULL);
	expect(call("kv_set", a, "{\"key\":\"personal:k\",\"value\":2,\"if_rev\":5}"), 409, NULL);
	expect(call("kv_set", a, "{\"key\":\"personal:k\",\"value\":2,\"key\":\"personal:k\"}"), 400, "invalid_json");
	result_is(call("kv_get", a, "{\"key\":\"personal:k\"}"), "{\"key\":\"personal:k\",\"value\":1,\"rev\":1}");
}

Test(dispatch, logout_revokes_only_that_token)
{
	const char *t1 = bearer("{\"sub\":\"a\",\"exp\":1700000600,\"jti\":\"one\"}");
	const char *t2 = bearer("{\"sub\":\"a\",\"exp\":1700000600,\"jti\":\"two\"}");
	result_is(call("logout", t1, NULL), "{\"revoked\":true}");
	struct answer r = call("whoami", t1, NULL);
	cr_assert_str_eq(r.www, "Bearer error=\"invalid_token\"");
	expect(r, 401, "token_revoked");
	expect(call("echo", t1, "{\"text\":\"a\"}"), 401, "token_revoked");
	result_is(call("whoami", t2, NULL), "{\"sub\":\"a\",\"role\":\"USER\"}");
	/* Expired and revoked is token_expired (AUTH-4 order). */
	expect(call("whoami", bearer("{\"sub\":\"a\",\"exp\":1600000000,\"jti\":\"one\"}"), NULL), 401, "token_expired");
	/* No jti: nothing to revoke. */
	struct answer n = call("logout", bearer("{\"sub\":\"a\",\"exp\":1700000600}"), NULL);
	char *det = sjson_print(cJSON_GetObjectItem(cJSON_GetObjectItem(n.json, "error"), "details"), NULL);
	cr_assert_str_eq(det, "[{\"loc\":[\"token\",\"jti\"],\"type\":\"missing\",\"msg\":\"the token has no jti claim to revoke\"}]");
	free(det);
	expect(n, 422, "validation_error");
}

Test(dispatch, fail_leaks_no_internal_text)
{
	struct dispatch_request req = {.method = "POST", .path = "/call/fail"};
	struct dispatch_state st;
	struct dispatch_reply r;
	cr_assert_eq(dispatch_begin(&d, &req, &st, &r), 0);
	dispatch_body(&d, &req, &st, "", 0, 0, &r);
	cr_assert_eq(r.status, 500);
	cr_assert_null(strstr(r.body, "AFI-INTERNAL-DETAIL"));
	cr_assert_not_null(strstr(r.body, "\"details\":null"));
	dispatch_reply_clear(&r);
	dispatch_state_clear(&st);
}

Test(dispatch, sleep_defers_its_answer)
{
	struct answer a = call("sleep", NULL, "{\"ms\":1200}");
	cr_assert_eq(a.defer_ms, 1200);
	result_is(a, "{\"slept\":1200}");
	expect(call("sleep", NULL, "{\"ms\":5001}"), 422, NULL);
}

Test(dispatch, bundles_and_etags)
{
	const char *alice = viewer("alice", NULL), *bob = viewer("bob", NULL);
	struct answer a = run("GET", "/context/user", alice, NULL, NULL, NULL);
	cr_assert_eq(a.status, 200);
	char *body = sjson_print(a.json, NULL);
	cr_assert_str_eq(body, "{\"context\":\"user\",\"data\":{\"get_draft\":{\"draft\":\"\"},\"whoami\":{\"sub\":\"alice\",\"role\":\"USER\"}}}");
	free(body);
	cr_assert_eq(strlen(a.etag), 34);
	cr_assert_eq(a.etag[0], '"');
	cr_assert_str_eq(a.cache, "private, no-cache");
	cr_assert_str_eq(a.vary, "Authorization, Cookie");
	char tag[BUNDLE_ETAG_SIZE], weak[64], list[128];
	strcpy(tag, a.etag);
	cJSON_Delete(a.json);

	/* 304 for the current tag, a weak form, a list containing it, and *. */
	snprintf(weak, sizeof weak, "W/%s", tag);
	snprintf(list, sizeof list, "\"nope\", %s", weak);
	const char *matching[] = {tag, weak, list, "*"};
	for (size_t i = 0; i < 4; i++) {
		struct answer n = run("GET", "/context/user", alice, NULL, NULL, matching[i]);
		cr_assert_eq(n.status, 304, "If-None-Match: %s", matching[i]);
		cr_assert_null(n.json);
		cr_assert_str_eq(n.etag, tag);
		cr_assert_str_eq(n.cache, "private, no-cache");
		cr_assert_str_eq(n.vary, "Authorization, Cookie");
	}
	expect(run("GET", "/context/user", alice, NULL, NULL, "\"other\""), 200, NULL);

	/* Another viewer never shares the tag. */
	struct answer b = run("GET", "/context/user", bob, NULL, NULL, tag);
	cr_assert_eq(b.status, 200);
	cr_assert_str_neq(b.etag, tag);
	char bob_tag[BUNDLE_ETAG_SIZE];
	strcpy(bob_tag, b.etag);
	cJSON_Delete(b.json);

	/* INV-2: after a write the writer's tag changes; the other's does not. */
	result_is(call("save_draft", alice, "{\"body\":\"new\"}"), "{\"saved\":true}");
	struct answer a2 = run("GET", "/context/user", alice, NULL, NULL, tag);
	cr_assert_eq(a2.status, 200);
	cr_assert_str_neq(a2.etag, tag);
	cJSON_Delete(a2.json);
	struct answer b2 = run("GET", "/context/user", bob, NULL, NULL, NULL);
	cr_assert_str_eq(b2.etag, bob_tag);
	cJSON_Delete(b2.json);

	/* Public bundles: same tag for everyone, no-cache, no Vary. */
	struct answer g1 = run("GET", "/context/global", alice, NULL, NULL, NULL);
	struct answer g2 = run("GET", "/context/global", NULL, NULL, NULL, NULL);
	cr_assert_eq(g1.status, 200);
	cr_assert_str_eq(g1.etag, g2.etag);
	cr_assert_str_eq(g1.cache, "no-cache");
	cr_assert_null(g1.vary);
	cJSON_Delete(g1.json);
	cJSON_Delete(g2.json);

	/* CTX-3: the user bundle needs a viewer. */
	expect(run("GET", "/context/user", NULL, NULL, NULL, NULL), 401, "unauthenticated");
}

Test(dispatch, etag_list_matching)
{
	cr_assert(bundle_etag_matches("\"a\"", "\"a\""));
	cr_assert(bundle_etag_matches("W/\"a\"", "\"a\""));
	cr_assert(bundle_etag_matches(" \"x\" ,W/\"a\" ", "\"a\""));
	cr_assert(bundle_etag_matches("*", "\"a\""));
	cr_assert_not(bundle_etag_matches("\"ab\"", "\"a\""));
	cr_assert_not(bundle_etag_matches("a", "\"a\""));
	cr_assert_not(bundle_etag_matches("", "\"a\""));
}

/* A store whose backend never answers in time (store_pg during an outage). */
static enum store_status away(void)
{
	return STORE_UNAVAILABLE;
}

static enum store_status away_get(struct store *s, const char *k, char **v, uint64_t *r)
{
	(void)s, (void)k, (void)v, (void)r;
	return away();
}

static enum store_status away_set(struct store *s, const char *k, const char *v, int64_t i, uint64_t *r)
{
	(void)s, (void)k, (void)v, (void)i, (void)r;
	return away();
}

static enum store_status away_del(struct store *s, const char *k, int *del)
{
	(void)s, (void)k, (void)del;
	return away();
}

static enum store_status away_list(struct store *s, const char *p, char ***k, size_t *n)
{
	(void)s, (void)p, (void)k, (void)n;
	return away();
}

static enum store_status away_incr(struct store *s, const char *k, int64_t b, int64_t m, int64_t *v, uint64_t *r)
{
	(void)s, (void)k, (void)b, (void)m, (void)v, (void)r;
	return away();
}

static enum store_status away_revoke(struct store *s, const char *jti)
{
	(void)s, (void)jti;
	return away();
}

static enum store_status away_is_revoked(struct store *s, const char *jti, int *revoked)
{
	(void)s, (void)jti, (void)revoked;
	return away();
}

static enum store_status away_ping(struct store *s)
{
	(void)s;
	return away();
}

static const struct store_ops away_ops = {
	.get = away_get, .set = away_set, .del = away_del, .list = away_list, .incr = away_incr,
	.revoke = away_revoke, .is_revoked = away_is_revoked, .ping = away_ping,
};

Test(dispatch, a_store_that_does_not_answer_is_503_unavailable)
{
	struct store down = {.ops = &away_ops};
	d.store = &down;
	/* HLT-1: /health reports the store. */
	expect(run("GET", "/health", NULL, NULL, NULL, NULL), 503, "unavailable");
	const char *a = bearer("{\"sub\":\"a\",\"role\":\"WRITER\",\"exp\":1700000600}");
	expect(call("kv_get", a, "{\"key\":\"personal:k\"}"), 503, "unavailable");
	expect(call("kv_set", a, "{\"key\":\"shared:k\",\"value\":1}"), 503, "unavailable");
	expect(call("counter_incr", a, "{\"key\":\"shared:c\"}"), 503, "unavailable");
	expect(call("kv_list", a, "{\"scope\":\"shared\"}"), 503, "unavailable");
	expect(call("save_draft", a, "{\"body\":\"x\"}"), 503, "unavailable");
	expect(run("GET", "/context/user", a, NULL, NULL, NULL), 503, "unavailable");
	/* AUTH-6: a token with a jti cannot be checked, so it does not pass. */
	const char *j = bearer("{\"sub\":\"a\",\"exp\":1700000600,\"jti\":\"one\"}");
	expect(call("whoami", j, NULL), 503, "unavailable");
	/* What needs no store still answers. */
	expect(call("echo", NULL, "{\"text\":\"a\"}"), 200, NULL);
	expect(call("whoami", a, NULL), 200, NULL);
	d.store = store;
}

Test(dispatch, health_reports_the_store)
{
	struct answer a = run("GET", "/health", NULL, NULL, NULL, NULL);
	char *t = sjson_print(a.json, NULL);
	cr_assert_str_eq(t, "{\"status\":\"ok\",\"store\":\"ok\",\"afi_version\":\"1\"}");
	free(t);
	expect(a, 200, NULL);
}
