/* Envelope rendering and the code/status pairs (ENV-1, ENV-2, ENV-4). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.h"
#include "sjson.h"

Test(envelope, each_code_has_its_one_status)
{
	static const struct {
		enum envelope_code code;
		const char *name;
		int status;
	} want[] = {
		{ENVELOPE_INVALID_JSON, "invalid_json", 400}, {ENVELOPE_BAD_REQUEST, "bad_request", 400},
		{ENVELOPE_UNAUTHENTICATED, "unauthenticated", 401}, {ENVELOPE_INVALID_TOKEN, "invalid_token", 401},
		{ENVELOPE_TOKEN_EXPIRED, "token_expired", 401}, {ENVELOPE_TOKEN_REVOKED, "token_revoked", 401},
		{ENVELOPE_FORBIDDEN, "forbidden", 403}, {ENVELOPE_NOT_FOUND, "not_found", 404},
		{ENVELOPE_UNKNOWN_FUNCTION, "unknown_function", 404}, {ENVELOPE_UNKNOWN_CONTEXT, "unknown_context", 404},
		{ENVELOPE_METHOD_NOT_ALLOWED, "method_not_allowed", 405}, {ENVELOPE_CONFLICT, "conflict", 409},
		{ENVELOPE_PAYLOAD_TOO_LARGE, "payload_too_large", 413},
		{ENVELOPE_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", 415},
		{ENVELOPE_VALIDATION_ERROR, "validation_error", 422}, {ENVELOPE_INTERNAL_ERROR, "internal_error", 500},
		{ENVELOPE_UNAVAILABLE, "unavailable", 503},
	};
	cr_assert_eq(sizeof want / sizeof want[0], ENVELOPE_CODE_COUNT);
	for (size_t i = 0; i < ENVELOPE_CODE_COUNT; i++) {
		cr_assert_str_eq(envelope_name(want[i].code), want[i].name);
		cr_assert_eq(envelope_status(want[i].code), want[i].status, "%s", want[i].name);
	}
}

Test(envelope, has_exactly_the_three_keys)
{
	size_t len = 0;
	char *body = envelope_render(ENVELOPE_NOT_FOUND, "No \"such\" path.", NULL, &len);
	cr_assert_str_eq(body, "{\"error\":{\"code\":\"not_found\",\"message\":\"No \\\"such\\\" path.\",\"details\":null}}");
	cr_assert_eq(len, strlen(body));
	cJSON *v = sjson_parse(body, len, NULL, 0);
	cr_assert_not_null(v, "the envelope is strict JSON");
	cr_assert_eq(cJSON_GetArraySize(v), 1);
	cr_assert_eq(cJSON_GetArraySize(cJSON_GetObjectItem(v, "error")), 3);
	cJSON_Delete(v);
	free(body);
}

Test(envelope, details_are_kept_for_client_errors)
{
	const char *text = "[{\"loc\":[\"body\"],\"type\":\"type\",\"msg\":\"m\"}]";
	cJSON *d = sjson_parse(text, strlen(text), NULL, 0);
	cr_assert_not_null(d);
	char *body = envelope_render(ENVELOPE_VALIDATION_ERROR, "bad", d, NULL);
	cr_assert_not_null(strstr(body, "\"details\":[{\"loc\":[\"body\"],\"type\":\"type\",\"msg\":\"m\"}]"));
	free(body);
	cJSON_Delete(d);
}

Test(envelope, internal_errors_carry_no_internal_text)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "trace", "AFI-INTERNAL-DETAIL");
	char *body = envelope_render(ENVELOPE_INTERNAL_ERROR, "AFI-INTERNAL-DETAIL at /src/x.c:1", d, NULL);
	cr_assert_null(strstr(body, "AFI-INTERNAL-DETAIL"));
	cr_assert_not_null(strstr(body, "\"details\":null"));
	free(body);
	cJSON_Delete(d);
}

Test(envelope, empty_message_gets_a_generic_one)
{
	char *body = envelope_render(ENVELOPE_BAD_REQUEST, "", NULL, NULL);
	cr_assert_null(strstr(body, "\"message\":\"\""));
	free(body);
}
