/* vars.h: ${name} substitution in fixture strings and JSON, from captures and built-ins. */
#ifndef AFI_CONFORMANCE_VARS_H
#define AFI_CONFORMANCE_VARS_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* Resolves a built-in variable (run, case, sub:NAME, token:NAME, jti:NAME):
 * returns a malloc'd string the caller frees, or NULL when name is unknown. */
typedef char *(*vars_builtin_fn)(void *ctx, const char *name);

struct vars;

/* A new empty variable set; builtin may be NULL. Free with vars_free. */
struct vars *vars_new(vars_builtin_fn builtin, void *ctx);
void vars_free(struct vars *v);

/* Sets name to a copy of value (replacing any earlier value). 0 or -1. */
int vars_set(struct vars *v, const char *name, const cJSON *value);

/* The value of name (borrowed, valid until the next vars_set of that name or
 * vars_free), or NULL when neither captured nor built in. */
const cJSON *vars_get(struct vars *v, const char *name);

/* s with every ${name} replaced (strings verbatim, other values as compact
 * JSON). Caller frees. NULL with a message in err on an unknown variable. */
char *vars_subst_string(struct vars *v, const char *s, char *err, size_t errlen);

/* A deep copy of t in which every string is substituted; a string that is
 * exactly "${name}" becomes a copy of the value with its JSON type. Object
 * keys are not substituted. Caller frees with cJSON_Delete; NULL on error. */
cJSON *vars_subst_json(struct vars *v, const cJSON *t, char *err, size_t errlen);

/* 1 when a string of t (not an object key) holds "${": only then can
 * vars_subst_json give anything but an exact copy of t, which a caller that
 * only reads the result can then skip (t may be NULL). */
int vars_mentioned(const cJSON *t);

#endif
