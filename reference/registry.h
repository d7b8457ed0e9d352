/* The function table: every function's name, argument schema, result schema,
 * context, affects, auth level, rev and handler, in ONE place. The schema
 * export, the argument validator, the authorization check, the bundle
 * builder and the invalidation lists are all derived from it, so the
 * exported schema can never drift from what the server does. */
#ifndef AFI_REGISTRY_H
#define AFI_REGISTRY_H

#include <regex.h>
#include <stddef.h>

#include "auth.h"
#include "profile.h"

enum registry_type {
	REGISTRY_STRING,	/* {"type":"string"} */
	REGISTRY_INTEGER,	/* {"type":"integer"} */
	REGISTRY_ANY,		/* {} : any JSON value, null included */
};

/* One named argument. Unset bounds are not checked and not exported. */
struct registry_arg {
	const char *name;
	enum registry_type type;
	int required;
	int has_length;			/* string: minLength/maxLength, in code points */
	size_t min_length, max_length;
	int has_range;			/* integer: inclusive minimum/maximum */
	long long minimum, maximum;
	int has_default;		/* integer default filled in when absent */
	long long default_value;
	const char *pattern;		/* string: anchored POSIX ERE, exported verbatim */
	const char *const *enum_values;	/* string: NULL-terminated list */
	size_t max_bytes;		/* any: compact serialization limit (not a JSON
					 * Schema keyword, so not exported) */
	regex_t compiled;		/* pattern, compiled by registry_init */
	int is_compiled;		/* argument arrays are shared by functions */
};

struct registry_fn {
	const char *name;
	struct registry_arg *args;	/* terminated by an entry with name NULL */
	const char *result;		/* JSON text: the result's properties; all required */
	const char *context;		/* NULL: in no context */
	const char *const *affects;	/* NULL-terminated, sorted; NULL: none */
	enum auth_level auth;
	int rev;
	profile_handler handler;
};

struct registry_context {
	const char *name;
	const struct registry_fn **members;	/* sorted by name */
	size_t count;
	enum auth_level auth;	/* CTX-3: the strictest member's level */
};

struct registry {
	const struct registry_fn *fns;	/* sorted by name */
	size_t count;
	struct registry_context *contexts;	/* sorted by name */
	size_t context_count;
};

/* Builds the registry: compiles patterns and derives the contexts. Returns 0,
 * or -1 with err filled. Call once; release with registry_free. The table
 * itself is static: r only owns the compiled patterns and the contexts. */
int registry_init(struct registry *r, char *err, size_t errlen);
/* Frees what registry_init built and zeroes r; accepts NULL. */
void registry_free(struct registry *r);

/* Exact, case-sensitive lookups (CALL-1, CTX-1); NULL when unknown. The
 * name is name[0..len). The result points into r (or the static table) and
 * stays valid until registry_free. */
const struct registry_fn *registry_find(const struct registry *r, const char *name, size_t len);
const struct registry_context *registry_find_context(const struct registry *r, const char *name, size_t len);

#endif
