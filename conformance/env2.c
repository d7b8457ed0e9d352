/* env2.c: ENV-2's table of error codes and their statuses, the runner's own copy of the rule. */
#include "env2.h"

#include <string.h>

static const struct { const char *code; long status; } env2[] = {
    {"invalid_json", 400}, {"bad_request", 400}, {"unauthenticated", 401}, {"invalid_token", 401},
    {"token_expired", 401}, {"token_revoked", 401}, {"forbidden", 403}, {"not_found", 404},
    {"unknown_function", 404}, {"unknown_context", 404}, {"method_not_allowed", 405},
    {"conflict", 409}, {"payload_too_large", 413}, {"unsupported_media_type", 415},
    {"validation_error", 422}, {"internal_error", 500}, {"unavailable", 503}};

long env2_status(const char *code)
{
    for (size_t i = 0; code && i < sizeof env2 / sizeof *env2; i++)
        if (!strcmp(env2[i].code, code))
            return env2[i].status;
    return 0;
}
