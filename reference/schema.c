/* Builds /schema from the registry table: one post operation per function (SCH-3). */
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sjson.h"

/* Attaches item to parent under name (to an array when name is NULL) and
 * returns it. Once anything failed (*ok == 0) or parent is NULL, item is
 * freed instead, so a tree under construction never leaks: the caller frees
 * the root once at the end. */
static cJSON *attach(cJSON *parent, const char *name, cJSON *item, int *ok)
{
	if (*ok && parent && item &&
	    (name ? cJSON_AddItemToObject(parent, name, item) : cJSON_AddItemToArray(parent, item)))
		return item;
	cJSON_Delete(item);
	*ok = 0;
	return NULL;
}

/* Returns root when every attach into it succeeded; otherwise frees the
 * partial tree and returns NULL (the one exit of each builder below). */
static cJSON *finished(cJSON *root, int ok)
{
	if (ok && root)
		return root;
	cJSON_Delete(root);
	return NULL;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* {"type":"object","properties":props,"required":[sorted names],"additionalProperties":false}.
 * Takes ownership of props; names are borrowed and get sorted. */
static cJSON *object_schema(cJSON *props, const char **names, size_t n)
{
	int ok = props != NULL;
	cJSON *o = cJSON_CreateObject();
	attach(o, "type", cJSON_CreateString("object"), &ok);
	attach(o, "properties", props, &ok);
	cJSON *req = attach(o, "required", cJSON_CreateArray(), &ok);
	qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++)
		attach(req, NULL, cJSON_CreateString(names[i]), &ok);
	attach(o, "additionalProperties", cJSON_CreateFalse(), &ok);
	return finished(o, ok);
}

cJSON *schema_arg(const struct registry_arg *a)
{
	int ok = 1;
	cJSON *s = cJSON_CreateObject();
	if (a->type == REGISTRY_STRING) {
		attach(s, "type", cJSON_CreateString("string"), &ok);
		if (a->has_length) {
			attach(s, "minLength", sjson_integer((long long)a->min_length), &ok);
			attach(s, "maxLength", sjson_integer((long long)a->max_length), &ok);
		}
		if (a->pattern)
			attach(s, "pattern", cJSON_CreateString(a->pattern), &ok);
		if (a->enum_values) {
			cJSON *e = attach(s, "enum", cJSON_CreateArray(), &ok);
			for (const char *const *v = a->enum_values; *v; v++)
				attach(e, NULL, cJSON_CreateString(*v), &ok);
		}
	} else if (a->type == REGISTRY_INTEGER) {
		attach(s, "type", cJSON_CreateString("integer"), &ok);
		if (a->has_range) {
			attach(s, "minimum", sjson_integer(a->minimum), &ok);
			attach(s, "maximum", sjson_integer(a->maximum), &ok);
		}
		if (a->has_default)
			attach(s, "default", sjson_integer(a->default_value), &ok);
	}
	/* REGISTRY_ANY is the empty schema {}; max_bytes has no JSON Schema keyword. */
	return finished(s, ok);
}

cJSON *schema_args(const struct registry_fn *fn)
{
	const char *req[64];
	size_t n = 0;
	int ok = 1;
	cJSON *props = cJSON_CreateObject();
	for (const struct registry_arg *a = fn->args; a->name; a++) {
		attach(props, a->name, schema_arg(a), &ok);
		if (a->required && n < 64)
			req[n++] = a->name;
	}
	return object_schema(finished(props, ok), req, n);
}

/* RESULT: the table's properties, every one of them required (SCH-3). */
static cJSON *result_schema(const struct registry_fn *fn)
{
	cJSON *props = sjson_parse(fn->result, strlen(fn->result), NULL, 0);
	const char *req[64];
	size_t n = 0;
	for (cJSON *p = props ? props->child : NULL; p && n < 64; p = p->next)
		req[n++] = p->string;
	return object_schema(props, req, n);
}

/* SCH-3: the post operation of one function. */
static cJSON *operation(const struct registry_fn *fn)
{
	int ok = 1;
	cJSON *op = cJSON_CreateObject();
	attach(op, "operationId", cJSON_CreateString(fn->name), &ok);

	cJSON *rb = attach(op, "requestBody", cJSON_CreateObject(), &ok);
	cJSON *rbc = attach(rb, "content", cJSON_CreateObject(), &ok);
	cJSON *rbj = attach(rbc, "application/json", cJSON_CreateObject(), &ok);
	attach(rbj, "schema", schema_args(fn), &ok);

	cJSON *responses = attach(op, "responses", cJSON_CreateObject(), &ok);
	cJSON *r200 = attach(responses, "200", cJSON_CreateObject(), &ok);
	attach(r200, "description", cJSON_CreateString("Success"), &ok);
	cJSON *c = attach(r200, "content", cJSON_CreateObject(), &ok);
	cJSON *cj = attach(c, "application/json", cJSON_CreateObject(), &ok);
	cJSON *props = cJSON_CreateObject();
	attach(props, "result", result_schema(fn), &ok);
	cJSON *inv = attach(props, "invalidate", cJSON_CreateObject(), &ok);
	attach(inv, "type", cJSON_CreateString("array"), &ok);
	cJSON *items = attach(inv, "items", cJSON_CreateObject(), &ok);
	attach(items, "type", cJSON_CreateString("string"), &ok);
	const char *req[] = {"invalidate", "result"};
	attach(cj, "schema", object_schema(props, req, 2), &ok);

	cJSON *x = attach(op, "x-afi", cJSON_CreateObject(), &ok);
	attach(x, "context", fn->context ? cJSON_CreateString(fn->context) : cJSON_CreateNull(), &ok);
	cJSON *affects = attach(x, "affects", cJSON_CreateArray(), &ok);
	for (const char *const *a = fn->affects; a && *a; a++)
		attach(affects, NULL, cJSON_CreateString(*a), &ok);
	attach(x, "auth", cJSON_CreateString(auth_level_name(fn->auth)), &ok);
	attach(x, "rev", sjson_integer(fn->rev), &ok);
	return finished(op, ok);
}

/* SCH-4: nothing here is written by hand per function, so the canonical
 * form equals the profile's (tests/test_schema.c checks it against section
 * 10 of docs/protocol.md). */
cJSON *schema_document(const struct registry *r)
{
	int ok = 1;
	cJSON *doc = cJSON_CreateObject();
	attach(doc, "openapi", cJSON_CreateString("3.1.0"), &ok);
	cJSON *info = attach(doc, "info", cJSON_CreateObject(), &ok);
	attach(info, "title", cJSON_CreateString("AFI reference server"), &ok);
	attach(info, "version", cJSON_CreateString("1"), &ok);
	/* SCH-2: the version and every context with its sorted members. */
	attach(doc, "x-afi-version", cJSON_CreateString("1"), &ok);
	cJSON *ctxs = attach(doc, "x-afi-contexts", cJSON_CreateObject(), &ok);
	for (size_t i = 0; i < r->context_count; i++) {
		cJSON *m = attach(ctxs, r->contexts[i].name, cJSON_CreateArray(), &ok);
		for (size_t j = 0; j < r->contexts[i].count; j++)
			attach(m, NULL, cJSON_CreateString(r->contexts[i].members[j]->name), &ok);
	}
	/* SCH-3: exactly one path per function, nothing else. */
	cJSON *paths = attach(doc, "paths", cJSON_CreateObject(), &ok);
	for (size_t i = 0; i < r->count; i++) {
		char path[160];
		snprintf(path, sizeof path, "/call/%s", r->fns[i].name);
		cJSON *item = attach(paths, path, cJSON_CreateObject(), &ok);
		attach(item, "post", operation(&r->fns[i]), &ok);
	}
	return finished(doc, ok);
}
