/* Handlers of the sixteen profile functions (PROF-1) and their scoped keys (SCOPE-1..6). */
#include "profile.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sjson.h"
#include "validate.h"

/* SCOPE-6: counters stay where doubles are exact; beyond is a conflict. */
#define COUNTER_MAX (INT64_C(1) << 53)
#define KEY_MAX 1200	/* "p" + sub (<= 512 bytes) + ":" + name (<= 128) fits */

static int error(struct profile_call *call, enum envelope_code code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int error(struct profile_call *call, enum envelope_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(call->message, sizeof call->message, fmt, ap);
	va_end(ap);
	call->code = code;
	return -1;
}

static int oom(struct profile_call *call)
{
	snprintf(call->internal, sizeof call->internal, "out of memory");
	return error(call, ENVELOPE_INTERNAL_ERROR, "internal error");
}

/* A store operation failed: 503 when the store did not answer in time (HLT-1),
 * otherwise an internal error. */
static int store_failed(struct profile_call *call, enum store_status st)
{
	if (st == STORE_UNAVAILABLE)
		return error(call, ENVELOPE_UNAVAILABLE, "The store is unavailable; try again shortly.");
	snprintf(call->internal, sizeof call->internal, "store operation failed (%d)", (int)st);
	return error(call, ENVELOPE_INTERNAL_ERROR, "internal error");
}

/* Takes ownership of obj as the result; NULL means an allocation failed. */
static int result(struct profile_call *call, cJSON *obj, int ok)
{
	if (!obj || !ok) {
		cJSON_Delete(obj);
		return oom(call);
	}
	call->result = obj;
	return 0;
}

/* Arguments were validated against the registry table, so they are present. */
static const cJSON *arg(const struct profile_call *call, const char *name)
{
	return cJSON_GetObjectItemCaseSensitive(call->args, name);
}

static const char *arg_string(const struct profile_call *call, const char *name)
{
	return arg(call, name)->valuestring;
}

/* Adds name: value to obj as an integer; 0 (obj unchanged) when out of memory. */
static int add_integer(cJSON *obj, const char *name, long long value)
{
	cJSON *n = sjson_integer(value);
	if (n && cJSON_AddItemToObject(obj, name, n))
		return 1;
	cJSON_Delete(n);
	return 0;
}

static int is_shared(const char *key)
{
	return !strncmp(key, "shared:", 7);
}

/* SCOPE-2: personal keys live under the viewer's sub, length-prefixed so that
 * no sub can spell another viewer's prefix; shared keys have one namespace. */
static void store_key(const struct profile_call *call, const char *key, char *out, size_t outlen)
{
	if (is_shared(key))
		snprintf(out, outlen, "s:%s", key + 7);
	else
		snprintf(out, outlen, "p%zu:%s:%s", strlen(call->viewer->sub), call->viewer->sub, key + 9);
}

/* SCOPE-3: writing, deleting or incrementing shared data needs WRITER.
 * Returns the key argument, with its store key in key[0..keylen), or NULL
 * with the call's error set. */
static const char *writable_key(struct profile_call *call, char *key, size_t keylen)
{
	const char *k = arg_string(call, "key");
	if (is_shared(k) && call->viewer->role < AUTH_WRITER) {
		error(call, ENVELOPE_FORBIDDEN, "changing shared data needs the role WRITER or higher");
		return NULL;
	}
	store_key(call, k, key, keylen);
	return k;
}

int profile_echo(struct profile_call *call)
{
	cJSON *r = cJSON_CreateObject();
	return result(call, r, r && cJSON_AddStringToObject(r, "message", arg_string(call, "text")));
}

int profile_add(struct profile_call *call)
{
	/* Validated to [-2^31, 2^31], so the sum is exact in a long long. */
	long long a = (long long)arg(call, "a")->valuedouble, b = (long long)arg(call, "b")->valuedouble;
	cJSON *r = cJSON_CreateObject();
	return result(call, r, r && add_integer(r, "sum", a + b));
}

int profile_site_info(struct profile_call *call)
{
	cJSON *r = cJSON_CreateObject();
	return result(call, r, r && cJSON_AddStringToObject(r, "name", "AFI reference server") &&
				       cJSON_AddStringToObject(r, "afi_version", "1"));
}

int profile_whoami(struct profile_call *call)
{
	cJSON *r = cJSON_CreateObject();
	return result(call, r, r && cJSON_AddStringToObject(r, "sub", call->viewer->sub) &&
				       cJSON_AddStringToObject(r, "role", auth_level_name(call->viewer->role)));
}

int profile_get_draft(struct profile_call *call)
{
	char key[KEY_MAX], *text = NULL;
	store_key(call, "personal:draft", key, sizeof key);
	enum store_status st = store_get(call->store, key, &text, NULL);
	if (st != STORE_OK)
		return store_failed(call, st);
	/* PROF-1: a draft overwritten by kv_set with a non-string reads as "",
	 * the same as no draft, so the result is always a string. */
	cJSON *stored = text ? sjson_parse(text, strlen(text), NULL, 0) : NULL;
	const char *draft = cJSON_IsString(stored) ? stored->valuestring : "";
	cJSON *r = cJSON_CreateObject();
	int ok = r && cJSON_AddStringToObject(r, "draft", draft);
	cJSON_Delete(stored);
	free(text);
	return result(call, r, ok);
}

int profile_save_draft(struct profile_call *call)
{
	char key[KEY_MAX];
	store_key(call, "personal:draft", key, sizeof key);
	char *text = sjson_print(arg(call, "body"), NULL);
	if (!text)
		return oom(call);
	enum store_status st = store_set(call->store, key, text, STORE_ANY_REV, NULL);
	free(text);
	if (st != STORE_OK)
		return store_failed(call, st);
	cJSON *r = cJSON_CreateObject();
	return result(call, r, r && cJSON_AddTrueToObject(r, "saved"));
}

int profile_kv_get(struct profile_call *call)
{
	const char *k = arg_string(call, "key");
	char key[KEY_MAX], *text = NULL;
	uint64_t rev = 0;
	store_key(call, k, key, sizeof key);
	enum store_status st = store_get(call->store, key, &text, &rev);
	if (st != STORE_OK)
		return store_failed(call, st);
	cJSON *r = cJSON_CreateObject(), *value = cJSON_CreateNull(), *jrev = sjson_integer((long long)rev);
	if (value && text) {
		/* SCOPE-4: the stored compact text goes out verbatim. */
		value->type = cJSON_Raw;
		value->valuestring = text;
		text = NULL;
	}
	free(text);
	int ok = r && value && jrev && cJSON_AddStringToObject(r, "key", k);
	if (ok) {
		cJSON_AddItemToObject(r, "value", value);
		cJSON_AddItemToObject(r, "rev", jrev);
	} else {
		cJSON_Delete(value);
		cJSON_Delete(jrev);
	}
	return result(call, r, ok);
}

int profile_kv_set(struct profile_call *call)
{
	char key[KEY_MAX];
	const char *k = writable_key(call, key, sizeof key);
	if (!k)
		return -1;
	int64_t if_rev = STORE_ANY_REV;
	const cJSON *ir = arg(call, "if_rev");
	if (ir) {
		/* An if_rev no rev can equal (negative, huge) is simply a mismatch. */
		double d = ir->valuedouble;
		if_rev = d >= 0 && d < 9e15 ? (int64_t)d : -1;
	}
	char *text = sjson_print(arg(call, "value"), NULL);
	if (!text)
		return oom(call);
	uint64_t rev = 0;
	enum store_status st = store_set(call->store, key, text, if_rev, &rev);
	free(text);
	/* SCOPE-5: if_rev mismatch is 409 and writes nothing. */
	if (st == STORE_CONFLICT)
		return error(call, ENVELOPE_CONFLICT, "if_rev does not match the current rev of %s", k);
	if (st != STORE_OK)
		return store_failed(call, st);
	cJSON *r = cJSON_CreateObject();
	return result(call, r, r && cJSON_AddStringToObject(r, "key", k) &&
				       add_integer(r, "rev", (long long)rev));
}

int profile_kv_delete(struct profile_call *call)
{
	char key[KEY_MAX];
	const char *k = writable_key(call, key, sizeof key);
	if (!k)
		return -1;
	int deleted = 0;
	enum store_status st = store_del(call->store, key, &deleted);
	if (st != STORE_OK)
		return store_failed(call, st);
	cJSON *r = cJSON_CreateObject();
	return result(call, r, r && cJSON_AddStringToObject(r, "key", k) &&
				       cJSON_AddBoolToObject(r, "deleted", deleted));
}

int profile_kv_list(struct profile_call *call)
{
	int shared = !strcmp(arg_string(call, "scope"), "shared");
	char prefix[KEY_MAX];
	if (shared)
		snprintf(prefix, sizeof prefix, "s:");
	else
		snprintf(prefix, sizeof prefix, "p%zu:%s:", strlen(call->viewer->sub), call->viewer->sub);
	char **keys = NULL;
	size_t n = 0, plen = strlen(prefix);
	enum store_status st = store_list(call->store, prefix, &keys, &n);
	if (st != STORE_OK)
		return store_failed(call, st);
	cJSON *r = cJSON_CreateObject(), *arr = r ? cJSON_AddArrayToObject(r, "keys") : NULL;
	int ok = arr != NULL;
	for (size_t i = 0; ok && i < n; i++) {
		char full[KEY_MAX];
		snprintf(full, sizeof full, "%s:%s", shared ? "shared" : "personal", keys[i] + plen);
		ok = cJSON_AddItemToArray(arr, cJSON_CreateString(full));
	}
	store_keys_free(keys, n);
	return result(call, r, ok);
}

int profile_counter_incr(struct profile_call *call)
{
	char key[KEY_MAX];
	const char *k = writable_key(call, key, sizeof key);
	if (!k)
		return -1;
	int64_t value = 0;
	/* SCOPE-6: the read-modify-write is one atomic store operation. */
	enum store_status st = store_incr(call->store, key, (int64_t)arg(call, "by")->valuedouble,
					  COUNTER_MAX, &value, NULL);
	if (st == STORE_NOT_INTEGER)
		return error(call, ENVELOPE_CONFLICT, "the value at %s is not an integer", k);
	if (st == STORE_OUT_OF_RANGE)
		return error(call, ENVELOPE_CONFLICT, "the counter at %s would leave -2^53..2^53", k);
	if (st != STORE_OK)
		return store_failed(call, st);
	cJSON *r = cJSON_CreateObject();
	return result(call, r, r && cJSON_AddStringToObject(r, "key", k) &&
				       add_integer(r, "value", (long long)value));
}

static int ok_true(struct profile_call *call, const char *name)
{
	cJSON *r = cJSON_CreateObject();
	return result(call, r, r && cJSON_AddTrueToObject(r, name));
}

int profile_staff_report(struct profile_call *call)
{
	return ok_true(call, "ok");
}

int profile_root_only(struct profile_call *call)
{
	return ok_true(call, "ok");
}

int profile_logout(struct profile_call *call)
{
	/* AUTH-6: a token without jti cannot be revoked. */
	if (!call->viewer->jti) {
		call->details = validate_violation("token", "jti", "missing", "the token has no jti claim to revoke");
		if (!call->details)
			return oom(call);
		return error(call, ENVELOPE_VALIDATION_ERROR, "the token cannot be revoked");
	}
	enum store_status st = store_revoke(call->store, call->viewer->jti);
	if (st != STORE_OK)
		return store_failed(call, st);
	return ok_true(call, "revoked");
}

int profile_fail(struct profile_call *call)
{
	/* ENV-4: this text is logged, never sent. */
	snprintf(call->internal, sizeof call->internal, "AFI-INTERNAL-DETAIL: fail was called");
	return error(call, ENVELOPE_INTERNAL_ERROR, "internal error");
}

int profile_sleep(struct profile_call *call)
{
	/* The server answers after defer_ms without holding a thread (see server.c). */
	long long ms = (long long)arg(call, "ms")->valuedouble;
	call->defer_ms = (unsigned)ms;
	cJSON *r = cJSON_CreateObject(), *slept = sjson_integer(ms);
	int ok = r && slept;
	if (ok)
		cJSON_AddItemToObject(r, "slept", slept);
	else
		cJSON_Delete(slept);
	return result(call, r, ok);
}
