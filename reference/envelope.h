/* The error envelope (ENV-1): every answer with status >= 400 is
 * {"error":{"code":C,"message":M,"details":D}} and nothing else, with the
 * one status ENV-2 pairs with C. */
#ifndef AFI_ENVELOPE_H
#define AFI_ENVELOPE_H

#include <stddef.h>

#include <cjson/cJSON.h>

enum envelope_code {
	ENVELOPE_INVALID_JSON,
	ENVELOPE_BAD_REQUEST,
	ENVELOPE_UNAUTHENTICATED,
	ENVELOPE_INVALID_TOKEN,
	ENVELOPE_TOKEN_EXPIRED,
	ENVELOPE_TOKEN_REVOKED,
	ENVELOPE_FORBIDDEN,
	ENVELOPE_NOT_FOUND,
	ENVELOPE_UNKNOWN_FUNCTION,
	ENVELOPE_UNKNOWN_CONTEXT,
	ENVELOPE_METHOD_NOT_ALLOWED,
	ENVELOPE_CONFLICT,
	ENVELOPE_PAYLOAD_TOO_LARGE,
	ENVELOPE_UNSUPPORTED_MEDIA_TYPE,
	ENVELOPE_VALIDATION_ERROR,
	ENVELOPE_INTERNAL_ERROR,
	ENVELOPE_UNAVAILABLE,
	ENVELOPE_CODE_COUNT
};

/* The wire name ("invalid_json") and the HTTP status of a code. */
const char *envelope_name(enum envelope_code code);
int envelope_status(enum envelope_code code);

/* Renders the envelope. message must be non-empty (a generic one is used when
 * it is NULL or empty); details may be NULL (null on the wire), an array or an
 * object, and is only read. For ENVELOPE_INTERNAL_ERROR the message and
 * details are ignored (ENV-4). Returns a malloc'd body (caller frees) or NULL
 * when out of memory; *len gets its length. */
char *envelope_render(enum envelope_code code, const char *message, const cJSON *details, size_t *len);

#endif
