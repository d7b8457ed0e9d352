/* Routing, the CALL-4 decision order, authorization (authorize), calls and bundles. */
#include "dispatch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "buf.h"
#include "credential.h"
#include "sjson.h"
#include "schema.h"
#include "validate.h"
#include "version.h"

static const char health_body[] =
	"{\"status\":\"ok\",\"store\":\"ok\",\"afi_version\":\"" AFI_PROTOCOL_VERSION "\"}";
static const char oom_body[] =
	"{\"error\":{\"code\":\"internal_error\",\"message\":\"The server failed to complete the request.\",\"details\":null}}";

static double wall_clock(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int dispatch_init(struct dispatch *d, struct store *store, const struct auth_config *cfg,
		  char *err, size_t errlen)
{
	memset(d, 0, sizeof *d);
	if (registry_init(&d->registry, err, errlen) < 0)
		return -1;
	d->store = store;
	d->auth = *cfg;
	d->auth.cache = auth_cache_new();	/* without it every request verifies in full */
	d->now = wall_clock;
	bundle_key(cfg->secret, cfg->secret_len, d->etag_key);
	cJSON *doc = schema_document(&d->registry);
	d->schema = doc ? sjson_print(doc, &d->schema_len) : NULL;
	cJSON_Delete(doc);
	if (!d->schema) {
		snprintf(err, errlen, "out of memory while building the schema");
		dispatch_free(d);
		return -1;
	}
	return 0;
}

void dispatch_free(struct dispatch *d)
{
	if (!d)
		return;
	registry_free(&d->registry);
	auth_cache_free(d->auth.cache);
	d->auth.cache = NULL;
	free(d->schema);
	d->schema = NULL;
}

void dispatch_reply_clear(struct dispatch_reply *reply)
{
	if (!reply)
		return;
	if (!reply->body_static)
		free(reply->body);
	memset(reply, 0, sizeof *reply);
}

void dispatch_state_clear(struct dispatch_state *st)
{
	if (!st)
		return;
	auth_viewer_clear(&st->viewer);
	memset(st, 0, sizeof *st);
}

static void reply_static(struct dispatch_reply *reply, int status, const char *body, size_t len)
{
	reply->status = status;
	reply->body = (char *)body;
	reply->len = len;
	reply->body_static = 1;
}

void dispatch_error(struct dispatch_reply *reply, enum envelope_code code, const char *message,
		    const cJSON *details)
{
	/* ENV-1: every error answer is the envelope. */
	reply->status = envelope_status(code);
	reply->body = envelope_render(code, message, details, &reply->len);
	reply->body_static = 0;
	if (!reply->body)
		reply_static(reply, 500, oom_body, sizeof oom_body - 1);
	/* ENV-7: Bearer, with error="invalid_token" once a credential was presented. */
	if (code == ENVELOPE_UNAUTHENTICATED)
		reply->www_authenticate = "Bearer";
	else if (code == ENVELOPE_INVALID_TOKEN || code == ENVELOPE_TOKEN_EXPIRED || code == ENVELOPE_TOKEN_REVOKED)
		reply->www_authenticate = "Bearer error=\"invalid_token\"";
}

static int method_not_allowed(struct dispatch_reply *reply, const char *allowed)
{
	/* ENV-6: 405 names the one allowed method. */
	char msg[64];
	snprintf(msg, sizeof msg, "Only %s is allowed here.", allowed);
	dispatch_error(reply, ENVELOPE_METHOD_NOT_ALLOWED, msg, NULL);
	reply->allow = allowed;
	return 1;
}

/* AUTH-1..AUTH-5: returns 0 when the request may proceed (st->viewer set
 * when a valid token was presented), 1 with *reply filled otherwise. */
static int authorize(struct dispatch *d, const struct dispatch_request *req, enum auth_level level,
		     struct dispatch_state *st, struct dispatch_reply *reply)
{
	struct credential c;
	char why[160];
	credential_find(&c, req->authorization, req->authorization_count, req->cookie);
	if (c.kind == CREDENTIAL_NONE) {
		if (level == AUTH_PUBLIC)
			return 0;
		/* AUTH-5: anonymous on a gated function or bundle. */
		dispatch_error(reply, ENVELOPE_UNAUTHENTICATED, "This needs a token: send Authorization: Bearer <jwt>.", NULL);
		return 1;
	}
	/* AUTH-4: a presented credential that fails is 401, even where anonymous would pass. */
	if (c.kind == CREDENTIAL_BAD) {
		snprintf(why, sizeof why, "Invalid credential: %s.", c.why);
		dispatch_error(reply, ENVELOPE_INVALID_TOKEN, why, NULL);
		return 1;
	}
	char err[128] = "";
	enum auth_result r = auth_verify(&d->auth, c.token, c.len, d->now(), &st->viewer, err, sizeof err);
	if (r == AUTH_UNAVAILABLE) {
		/* FULL-8: no JWK Set yet, so the token can be neither accepted nor refused. */
		dispatch_error(reply, ENVELOPE_UNAVAILABLE, "The issuer's keys (AFI_JWKS_URL) could not be fetched yet; try again shortly.", NULL);
		return 1;
	}
	if (r != AUTH_OK) {
		snprintf(why, sizeof why, "Invalid token: %s.", err);
		dispatch_error(reply, r == AUTH_EXPIRED ? ENVELOPE_TOKEN_EXPIRED : ENVELOPE_INVALID_TOKEN, why, NULL);
		return 1;
	}
	st->has_viewer = 1;
	/* AUTH-6: revocation is checked after validity and expiry (AUTH-4 order).
	 * A store that cannot say is 503: a revoked token never passes unchecked. */
	if (st->viewer.jti) {
		int revoked = 0;
		enum store_status s = store_is_revoked(d->store, st->viewer.jti, &revoked);
		if (s != STORE_OK) {
			if (s == STORE_UNAVAILABLE)
				dispatch_error(reply, ENVELOPE_UNAVAILABLE, "The store is unavailable; try again shortly.", NULL);
			else
				dispatch_error(reply, ENVELOPE_INTERNAL_ERROR, NULL, NULL);
			return 1;
		}
		if (revoked) {
			dispatch_error(reply, ENVELOPE_TOKEN_REVOKED, "This token was revoked by logout.", NULL);
			return 1;
		}
	}
	/* AUTH-5: a role level needs that role or higher. */
	if (level >= AUTH_USER && st->viewer.role < level) {
		snprintf(why, sizeof why, "This needs the role %s or higher.", auth_level_name(level));
		dispatch_error(reply, ENVELOPE_FORBIDDEN, why, NULL);
		return 1;
	}
	return 0;
}

/* CALL-3: application/json, any case, optional parameters; charset only utf-8. */
static int media_type_ok(const char *ct)
{
	static const char type[] = "application/json";
	while (*ct == ' ' || *ct == '\t')
		ct++;
	if (strncasecmp(ct, type, sizeof type - 1))
		return 0;
	const char *p = ct + sizeof type - 1;
	while (*p == ' ' || *p == '\t')
		p++;
	while (*p == ';') {
		p++;
		while (*p == ' ' || *p == '\t')
			p++;
		const char *name = p;
		while (*p && *p != '=' && *p != ';')
			p++;
		const char *name_end = p;
		while (name_end > name && (name_end[-1] == ' ' || name_end[-1] == '\t'))
			name_end--;
		const char *val = "", *val_end = val;
		if (*p == '=') {
			val = ++p;
			while (*p && *p != ';')
				p++;
			val_end = p;
			while (val_end > val && (val_end[-1] == ' ' || val_end[-1] == '\t'))
				val_end--;
			if (val_end - val >= 2 && *val == '"' && val_end[-1] == '"') {
				val++;
				val_end--;
			}
		}
		if (name_end - name == 7 && !strncasecmp(name, "charset", 7) &&
		    !(val_end - val == 5 && !strncasecmp(val, "utf-8", 5)))
			return 0;
	}
	return *p == '\0';
}

/* CALL-3: a body of len bytes needs a JSON media type; an empty body may
 * come without Content-Type. Returns 1 with *reply filled when refused. */
static int media_type_refused(const struct dispatch_request *req, unsigned long long len,
			      struct dispatch_reply *reply)
{
	if (req->content_type ? media_type_ok(req->content_type) : len == 0)
		return 0;
	dispatch_error(reply, ENVELOPE_UNSUPPORTED_MEDIA_TYPE,
		       "The body must be sent as Content-Type: application/json (charset utf-8).", NULL);
	return 1;
}

static void payload_too_large(struct dispatch_reply *reply)
{
	dispatch_error(reply, ENVELOPE_PAYLOAD_TOO_LARGE, "The body is larger than 1 MiB (1048576 bytes).", NULL);
}

static void context_reply(struct dispatch *d, const struct dispatch_request *req,
			  const struct registry_context *ctx, struct dispatch_state *st,
			  struct dispatch_reply *reply)
{
	struct profile_call failure;
	char *body = NULL;
	size_t len = 0;
	if (bundle_build(ctx, st->has_viewer ? &st->viewer : NULL, d->store, d->etag_key, &body, &len,
			 reply->etag, &failure) < 0) {
		if (failure.code == ENVELOPE_INTERNAL_ERROR)
			fprintf(stderr, "reference-server: bundle %s: %s\n", ctx->name, failure.internal);
		dispatch_error(reply, failure.code, failure.message, failure.details);
		cJSON_Delete(failure.details);
		reply->etag[0] = '\0';
		return;
	}
	/* CTX-5: private + Vary for anything non-public. */
	if (ctx->auth == AUTH_PUBLIC) {
		reply->cache_control = "no-cache";
	} else {
		reply->cache_control = "private, no-cache";
		reply->vary = "Authorization, Cookie";
	}
	/* CTX-4: a matching If-None-Match is 304 with no body. */
	if (req->if_none_match && bundle_etag_matches(req->if_none_match, reply->etag)) {
		free(body);
		reply->status = 304;
		reply->body = NULL;
		reply->len = 0;
		return;
	}
	reply->status = 200;
	reply->body = body;
	reply->len = len;
}

/* The segment after prefix when path is prefix + one non-empty segment
 * (no further '/'); NULL otherwise, so "/call/" and "/call/a/b" are ENV-5. */
static const char *one_segment(const char *path, const char *prefix, size_t *len)
{
	size_t n = strlen(prefix);
	if (strncmp(path, prefix, n))
		return NULL;
	const char *name = path + n;
	*len = strlen(name);
	return *len && !memchr(name, '/', *len) ? name : NULL;
}

int dispatch_begin(struct dispatch *d, const struct dispatch_request *req, struct dispatch_state *st,
		   struct dispatch_reply *reply)
{
	memset(reply, 0, sizeof *reply);
	memset(st, 0, sizeof *st);
	int is_get = !strcmp(req->method, "GET"), is_post = !strcmp(req->method, "POST");
	size_t len = 0;
	const char *name;

	/* HLT-1, SCH-1: public, never look at credentials. Paths compare byte for byte. */
	if (!strcmp(req->path, "/health")) {
		if (!is_get)
			return method_not_allowed(reply, "GET");
		/* HLT-1: 200 only when the store answers within its bound, else 503. */
		if (store_ping(d->store) != STORE_OK) {
			dispatch_error(reply, ENVELOPE_UNAVAILABLE, "The store is unavailable; try again shortly.", NULL);
			return 1;
		}
		reply_static(reply, 200, health_body, sizeof health_body - 1);
		return 1;
	}
	if (!strcmp(req->path, "/schema")) {
		if (!is_get)
			return method_not_allowed(reply, "GET");
		reply_static(reply, 200, d->schema, d->schema_len);
		return 1;
	}
	/* CTX-1: /context/{name}, exact name; /context/ and deeper paths are not_found. */
	if ((name = one_segment(req->path, "/context/", &len))) {
		const struct registry_context *ctx = registry_find_context(&d->registry, name, len);
		if (!ctx) {
			dispatch_error(reply, ENVELOPE_UNKNOWN_CONTEXT, "There is no context of that name.", NULL);
			return 1;
		}
		if (!is_get)
			return method_not_allowed(reply, "GET");
		/* CTX-3: the strictest member's level. */
		if (authorize(d, req, ctx->auth, st, reply))
			return 1;
		context_reply(d, req, ctx, st, reply);
		return 1;
	}
	/* CALL-1: /call/{name}, exact and case-sensitive. */
	if ((name = one_segment(req->path, "/call/", &len))) {
		/* CALL-4: 404, then 405, then 401/403, then 413, 415 ... */
		st->fn = registry_find(&d->registry, name, len);
		if (!st->fn) {
			dispatch_error(reply, ENVELOPE_UNKNOWN_FUNCTION, "There is no function of that name.", NULL);
			return 1;
		}
		if (!is_post)
			return method_not_allowed(reply, "POST");
		/* CALL-4: auth is decided before the body is read. */
		if (authorize(d, req, st->fn->auth, st, reply))
			return 1;
		/* CALL-3: an announced oversized body is refused before it is read. */
		if (req->content_length) {
			char *end;
			unsigned long long n = strtoull(req->content_length, &end, 10);
			if (*end == '\0' && end != req->content_length) {
				if (n > DISPATCH_MAX_BODY) {
					payload_too_large(reply);
					return 1;
				}
				if (media_type_refused(req, n, reply))
					return 1;
			}
		}
		return 0;
	}
	/* ENV-5: everything else under the base, whatever the method. */
	dispatch_error(reply, ENVELOPE_NOT_FOUND, "There is nothing at this path.", NULL);
	return 1;
}

static void call_reply(struct dispatch *d, struct dispatch_state *st, cJSON *args, struct dispatch_reply *reply)
{
	const struct registry_fn *fn = st->fn;
	struct profile_call call = {.args = args, .viewer = st->has_viewer ? &st->viewer : NULL, .store = d->store};
	if (fn->handler(&call) < 0) {
		/* CALL-6: handlers change nothing when they fail. ENV-4: internal text is only logged. */
		if (call.code == ENVELOPE_INTERNAL_ERROR)
			fprintf(stderr, "reference-server: %s: %s\n", fn->name, call.internal);
		dispatch_error(reply, call.code, call.message, call.details);
		cJSON_Delete(call.details);
		return;
	}
	/* CALL-5, INV-1: result plus exactly the declared affects, sorted and unique. */
	struct buf b = {0};
	buf_puts(&b, "{\"result\":");
	sjson_write(&b, call.result);
	buf_puts(&b, ",\"invalidate\":[");
	for (const char *const *a = fn->affects; a && *a; a++) {
		cJSON s = {.type = cJSON_String, .valuestring = (char *)*a};
		if (a != fn->affects)
			buf_putc(&b, ',');
		sjson_write(&b, &s);
	}
	buf_puts(&b, "]}");
	cJSON_Delete(call.result);
	reply->body = buf_take(&b, &reply->len);
	if (!reply->body) {
		dispatch_error(reply, ENVELOPE_INTERNAL_ERROR, NULL, NULL);
		return;
	}
	reply->status = 200;
	reply->defer_ms = call.defer_ms;
}

void dispatch_body(struct dispatch *d, const struct dispatch_request *req, struct dispatch_state *st,
		   const char *body, size_t len, int too_large, struct dispatch_reply *reply)
{
	memset(reply, 0, sizeof *reply);
	/* CALL-3, in CALL-4 order: size, media type, JSON syntax, arguments. */
	if (too_large || len > DISPATCH_MAX_BODY) {
		payload_too_large(reply);
		return;
	}
	if (media_type_refused(req, len, reply))
		return;
	cJSON *args;
	if (len == 0) {
		args = cJSON_CreateObject();	/* CALL-2: a zero-byte body means {} */
	} else {
		char err[128], msg[192];
		args = sjson_parse(body, len, err, sizeof err);
		if (!args) {
			if (!strncmp(err, "out of memory", 13)) {
				dispatch_error(reply, ENVELOPE_INTERNAL_ERROR, NULL, NULL);
				return;
			}
			snprintf(msg, sizeof msg, "The body is not strict JSON: %s.", err);
			dispatch_error(reply, ENVELOPE_INVALID_JSON, msg, NULL);
			return;
		}
	}
	if (!args) {
		dispatch_error(reply, ENVELOPE_INTERNAL_ERROR, NULL, NULL);
		return;
	}
	cJSON *details = NULL;
	int v = validate_args(st->fn, args, &details);
	if (v != 0) {
		if (v > 0)
			dispatch_error(reply, ENVELOPE_VALIDATION_ERROR, "The arguments do not match the function's schema.", details);
		else
			dispatch_error(reply, ENVELOPE_INTERNAL_ERROR, NULL, NULL);
		cJSON_Delete(details);
		cJSON_Delete(args);
		return;
	}
	call_reply(d, st, args, reply);
	cJSON_Delete(args);
}
