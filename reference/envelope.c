/* Error codes, their statuses (ENV-2) and the envelope body (ENV-1, ENV-4). */
#include "envelope.h"

#include "buf.h"
#include "sjson.h"

/* ENV-2: each code goes with exactly one status. */
static const struct {
	const char *name;
	int status;
} codes[ENVELOPE_CODE_COUNT] = {
	[ENVELOPE_INVALID_JSON] = {"invalid_json", 400},
	[ENVELOPE_BAD_REQUEST] = {"bad_request", 400},
	[ENVELOPE_UNAUTHENTICATED] = {"unauthenticated", 401},
	[ENVELOPE_INVALID_TOKEN] = {"invalid_token", 401},
	[ENVELOPE_TOKEN_EXPIRED] = {"token_expired", 401},
	[ENVELOPE_TOKEN_REVOKED] = {"token_revoked", 401},
	[ENVELOPE_FORBIDDEN] = {"forbidden", 403},
	[ENVELOPE_NOT_FOUND] = {"not_found", 404},
	[ENVELOPE_UNKNOWN_FUNCTION] = {"unknown_function", 404},
	[ENVELOPE_UNKNOWN_CONTEXT] = {"unknown_context", 404},
	[ENVELOPE_METHOD_NOT_ALLOWED] = {"method_not_allowed", 405},
	[ENVELOPE_CONFLICT] = {"conflict", 409},
	[ENVELOPE_PAYLOAD_TOO_LARGE] = {"payload_too_large", 413},
	[ENVELOPE_UNSUPPORTED_MEDIA_TYPE] = {"unsupported_media_type", 415},
	[ENVELOPE_VALIDATION_ERROR] = {"validation_error", 422},
	[ENVELOPE_INTERNAL_ERROR] = {"internal_error", 500},
	[ENVELOPE_UNAVAILABLE] = {"unavailable", 503},	/* HLT-1: the store did not answer in time */
};

const char *envelope_name(enum envelope_code code)
{
	return codes[code].name;
}

int envelope_status(enum envelope_code code)
{
	return codes[code].status;
}

char *envelope_render(enum envelope_code code, const char *message, const cJSON *details, size_t *len)
{
	struct buf b = {0};
	if (code == ENVELOPE_INTERNAL_ERROR) {
		/* ENV-4: no internal text reaches the wire; details is null. */
		message = "The server failed to complete the request.";
		details = NULL;
	}
	if (!message || !*message)
		message = "The request failed.";
	cJSON msg = {.type = cJSON_String, .valuestring = (char *)message};
	buf_puts(&b, "{\"error\":{\"code\":\"");
	buf_puts(&b, codes[code].name);
	buf_puts(&b, "\",\"message\":");
	sjson_write(&b, &msg);
	buf_puts(&b, ",\"details\":");
	if (details && (cJSON_IsArray(details) || cJSON_IsObject(details)))
		sjson_write(&b, details);
	else
		buf_puts(&b, "null");
	buf_puts(&b, "}}");
	return buf_take(&b, len);
}
