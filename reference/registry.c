/* THE function table of the conformance profile (PROF-1, section 10) and the
 * contexts derived from it. To add a function: add its arguments, one row in
 * functions[], and its handler; schema, validation, auth, bundles and
 * invalidation follow. */
#include "registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* SCOPE-1: every key argument; the validator enforces exactly this pattern. */
#define KEY_PATTERN "^(personal|shared):[A-Za-z0-9_.-]{1,128}$"
#define KEY_ARG {.name = "key", .type = REGISTRY_STRING, .required = 1, .pattern = KEY_PATTERN}
#define END_ARGS {.name = NULL}

static const char *const scopes[] = {"personal", "shared", NULL};

static struct registry_arg no_args[] = {END_ARGS};
static struct registry_arg echo_args[] = {
	{.name = "text", .type = REGISTRY_STRING, .required = 1, .has_length = 1, .min_length = 1, .max_length = 1000},
	END_ARGS,
};
static struct registry_arg add_args[] = {
	{.name = "a", .type = REGISTRY_INTEGER, .required = 1, .has_range = 1, .minimum = -2147483648LL, .maximum = 2147483648LL},
	{.name = "b", .type = REGISTRY_INTEGER, .required = 1, .has_range = 1, .minimum = -2147483648LL, .maximum = 2147483648LL},
	END_ARGS,
};
static struct registry_arg save_draft_args[] = {
	{.name = "body", .type = REGISTRY_STRING, .required = 1, .has_length = 1, .min_length = 0, .max_length = 10000},
	END_ARGS,
};
static struct registry_arg key_args[] = {KEY_ARG, END_ARGS};
static struct registry_arg kv_set_args[] = {
	KEY_ARG,
	/* SCOPE-4: any JSON value up to 64 KiB compact. */
	{.name = "value", .type = REGISTRY_ANY, .required = 1, .max_bytes = 65536},
	{.name = "if_rev", .type = REGISTRY_INTEGER},
	END_ARGS,
};
static struct registry_arg kv_list_args[] = {
	{.name = "scope", .type = REGISTRY_STRING, .required = 1, .enum_values = scopes},
	END_ARGS,
};
static struct registry_arg counter_incr_args[] = {
	KEY_ARG,
	{.name = "by", .type = REGISTRY_INTEGER, .has_range = 1, .minimum = 1, .maximum = 1000, .has_default = 1, .default_value = 1},
	END_ARGS,
};
static struct registry_arg sleep_args[] = {
	{.name = "ms", .type = REGISTRY_INTEGER, .required = 1, .has_range = 1, .minimum = 0, .maximum = 5000},
	END_ARGS,
};

static const char *const affects_user[] = {"context:user", NULL};
static const char *const affects_kv[] = {"context:user", "function:kv_get", "function:kv_list", NULL};
static const char *const affects_counter[] = {"function:kv_get", "function:kv_list", NULL};

#define TRUE_SCHEMA "{\"type\":\"boolean\",\"const\":true}"

/* PROF-1: the sixteen functions. Every function is at rev 1 except site_info. */
static const struct registry_fn functions[] = {
	{"echo", echo_args, "{\"message\":{\"type\":\"string\"}}",
	 NULL, NULL, AUTH_PUBLIC, 1, profile_echo},
	{"add", add_args, "{\"sum\":{\"type\":\"integer\"}}",
	 NULL, NULL, AUTH_PUBLIC, 1, profile_add},
	{"site_info", no_args, "{\"name\":{\"type\":\"string\"},\"afi_version\":{\"type\":\"string\",\"const\":\"1\"}}",
	 "global", NULL, AUTH_PUBLIC, 2, profile_site_info},
	{"whoami", no_args, "{\"sub\":{\"type\":\"string\"},\"role\":{\"type\":\"string\",\"enum\":[\"USER\",\"READER\",\"WRITER\",\"ADMIN\",\"SUPERADMIN\"]}}",
	 "user", NULL, AUTH_VIEWER, 1, profile_whoami},
	{"get_draft", no_args, "{\"draft\":{\"type\":\"string\"}}",
	 "user", NULL, AUTH_VIEWER, 1, profile_get_draft},
	{"save_draft", save_draft_args, "{\"saved\":" TRUE_SCHEMA "}",
	 NULL, affects_user, AUTH_VIEWER, 1, profile_save_draft},
	{"kv_get", key_args, "{\"key\":{\"type\":\"string\"},\"value\":{},\"rev\":{\"type\":\"integer\",\"minimum\":0}}",
	 NULL, NULL, AUTH_VIEWER, 1, profile_kv_get},
	{"kv_set", kv_set_args, "{\"key\":{\"type\":\"string\"},\"rev\":{\"type\":\"integer\",\"minimum\":1}}",
	 NULL, affects_kv, AUTH_VIEWER, 1, profile_kv_set},
	{"kv_delete", key_args, "{\"key\":{\"type\":\"string\"},\"deleted\":{\"type\":\"boolean\"}}",
	 NULL, affects_kv, AUTH_VIEWER, 1, profile_kv_delete},
	{"kv_list", kv_list_args, "{\"keys\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}}}",
	 NULL, NULL, AUTH_VIEWER, 1, profile_kv_list},
	{"counter_incr", counter_incr_args, "{\"key\":{\"type\":\"string\"},\"value\":{\"type\":\"integer\"}}",
	 NULL, affects_counter, AUTH_VIEWER, 1, profile_counter_incr},
	{"staff_report", no_args, "{\"ok\":" TRUE_SCHEMA "}",
	 NULL, NULL, AUTH_ADMIN, 1, profile_staff_report},
	{"root_only", no_args, "{\"ok\":" TRUE_SCHEMA "}",
	 NULL, NULL, AUTH_SUPERADMIN, 1, profile_root_only},
	{"logout", no_args, "{\"revoked\":" TRUE_SCHEMA "}",
	 NULL, NULL, AUTH_VIEWER, 1, profile_logout},
	{"fail", no_args, "{}",
	 NULL, NULL, AUTH_PUBLIC, 1, profile_fail},
	{"sleep", sleep_args, "{\"slept\":{\"type\":\"integer\"}}",
	 NULL, NULL, AUTH_PUBLIC, 1, profile_sleep},
};

static int cmp_fn(const void *a, const void *b)
{
	return strcmp((*(const struct registry_fn *const *)a)->name, (*(const struct registry_fn *const *)b)->name);
}

static int cmp_ctx(const void *a, const void *b)
{
	return strcmp(((const struct registry_context *)a)->name, ((const struct registry_context *)b)->name);
}

void registry_free(struct registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->count; i++)
		for (struct registry_arg *a = r->fns[i].args; a->name; a++)
			if (a->is_compiled) {
				regfree(&a->compiled);
				a->is_compiled = 0;
			}
	for (size_t i = 0; i < r->context_count; i++)
		free(r->contexts[i].members);
	free(r->contexts);
	memset(r, 0, sizeof *r);
}

int registry_init(struct registry *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	r->fns = functions;
	size_t n = sizeof functions / sizeof functions[0];
	for (size_t i = 0; i < n; i++) {
		for (struct registry_arg *a = functions[i].args; a->name; a++) {
			if (!a->pattern || a->is_compiled)
				continue;
			if (regcomp(&a->compiled, a->pattern, REG_EXTENDED | REG_NOSUB)) {
				snprintf(err, errlen, "cannot compile the pattern of %s.%s", functions[i].name, a->name);
				r->count = i + 1;	/* frees the patterns compiled so far */
				goto fail;
			}
			a->is_compiled = 1;
		}
		r->count = i + 1;
	}
	/* INV-1, CALL-5: invalidate lists are the affects verbatim, so the table
	 * must keep them sorted and unique; names must be unique too (CALL-1). */
	for (size_t i = 0; i < n; i++) {
		const char *const *a = functions[i].affects;
		for (size_t k = 1; a && a[0] && a[k]; k++)
			if (strcmp(a[k - 1], a[k]) >= 0) {
				snprintf(err, errlen, "the affects of %s are not sorted and unique", functions[i].name);
				goto fail;
			}
		for (size_t j = 0; j < i; j++)
			if (!strcmp(functions[i].name, functions[j].name)) {
				snprintf(err, errlen, "the function %s is registered twice", functions[i].name);
				goto fail;
			}
	}
	/* Contexts: one per distinct context name, members sorted, strictest level (CTX-3). */
	r->contexts = calloc(n, sizeof *r->contexts);
	if (!r->contexts) {
		snprintf(err, errlen, "out of memory while building the registry");
		goto fail;
	}
	for (size_t i = 0; i < n; i++) {
		const struct registry_fn *f = &functions[i];
		if (!f->context)
			continue;
		struct registry_context *c = NULL;
		for (size_t j = 0; j < r->context_count; j++)
			if (!strcmp(r->contexts[j].name, f->context))
				c = &r->contexts[j];
		if (!c) {
			c = &r->contexts[r->context_count++];
			c->name = f->context;
			c->members = calloc(n, sizeof *c->members);
			if (!c->members) {
				snprintf(err, errlen, "out of memory while building the registry");
				goto fail;
			}
		}
		c->members[c->count++] = f;
		if (f->auth > c->auth)
			c->auth = f->auth;
	}
	for (size_t j = 0; j < r->context_count; j++)
		qsort(r->contexts[j].members, r->contexts[j].count, sizeof *r->contexts[j].members, cmp_fn);
	qsort(r->contexts, r->context_count, sizeof *r->contexts, cmp_ctx);
	return 0;
fail:
	registry_free(r);
	return -1;
}

const struct registry_fn *registry_find(const struct registry *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->count; i++)
		if (strlen(r->fns[i].name) == len && !memcmp(r->fns[i].name, name, len))
			return &r->fns[i];
	return NULL;
}

const struct registry_context *registry_find_context(const struct registry *r, const char *name, size_t len)
{
	for (size_t i = 0; i < r->context_count; i++)
		if (strlen(r->contexts[i].name) == len && !memcmp(r->contexts[i].name, name, len))
			return &r->contexts[i];
	return NULL;
}
