/* Validates call arguments from the registry table and lists every violation (ENV-3). */
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sjson.h"

struct violation {
	const char *name;	/* NULL: the body itself */
	const char *type;
	char msg[160];
};

cJSON *validate_violation(const char *loc0, const char *loc1, const char *type, const char *msg)
{
	cJSON *arr = cJSON_CreateArray(), *v = cJSON_CreateObject();
	if (!arr || !v || !cJSON_AddItemToArray(arr, v)) {
		cJSON_Delete(v);
		cJSON_Delete(arr);
		return NULL;
	}
	/* From here everything hangs off arr, so one delete frees it all. */
	cJSON *loc = cJSON_AddArrayToObject(v, "loc");
	if (!loc || !cJSON_AddItemToArray(loc, cJSON_CreateString(loc0)) ||
	    (loc1 && !cJSON_AddItemToArray(loc, cJSON_CreateString(loc1))) ||
	    !cJSON_AddStringToObject(v, "type", type) || !cJSON_AddStringToObject(v, "msg", msg)) {
		cJSON_Delete(arr);
		return NULL;
	}
	return arr;
}

/* ENV-3: sorted by loc element by element (a prefix first), then by type. */
static int cmp_violation(const void *pa, const void *pb)
{
	const struct violation *a = pa, *b = pb;
	if (!a->name || !b->name) {
		if (a->name != b->name)
			return a->name ? 1 : -1;
	} else {
		int c = strcmp(a->name, b->name);
		if (c)
			return c;
	}
	return strcmp(a->type, b->type);
}

/* The first failing of type, range, length, pattern for one present argument
 * (ENV-3: at most one entry per argument). Returns NULL when valid. */
static const char *check_arg(const struct registry_arg *a, const cJSON *v, char *msg, size_t msglen)
{
	switch (a->type) {
	case REGISTRY_STRING:
		if (!cJSON_IsString(v)) {
			snprintf(msg, msglen, "%s must be a string", a->name);
			return "type";
		}
		if (a->has_length) {
			size_t n = sjson_codepoints(v->valuestring);
			if (n < a->min_length || n > a->max_length) {
				snprintf(msg, msglen, "%s must have %zu to %zu characters, not %zu",
					 a->name, a->min_length, a->max_length, n);
				return "length";
			}
		}
		/* SCOPE-1: the key pattern refuses other namespaces' spellings. */
		if (a->pattern && regexec(&a->compiled, v->valuestring, 0, NULL, 0)) {
			snprintf(msg, msglen, "%s must match %s", a->name, a->pattern);
			return "pattern";
		}
		if (a->enum_values) {
			int found = 0;
			for (const char *const *e = a->enum_values; *e && !found; e++)
				found = !strcmp(*e, v->valuestring);
			if (!found) {
				snprintf(msg, msglen, "%s is not one of the allowed values", a->name);
				return "pattern";	/* CALL-3: outside an enum is a pattern violation */
			}
		}
		return NULL;
	case REGISTRY_INTEGER:
		/* CALL-3: 1.0, 1e2 and true are not integers. */
		if (!sjson_is_integer(v)) {
			snprintf(msg, msglen, "%s must be an integer", a->name);
			return "type";
		}
		if (a->has_range && (v->valuedouble < (double)a->minimum || v->valuedouble > (double)a->maximum)) {
			snprintf(msg, msglen, "%s must be between %lld and %lld", a->name, a->minimum, a->maximum);
			return "range";
		}
		return NULL;
	case REGISTRY_ANY:
		if (a->max_bytes) {
			size_t len = 0;
			char *text = sjson_print(v, &len);
			free(text);
			if (!text || len > a->max_bytes) {	/* SCOPE-4 */
				snprintf(msg, msglen, "%s is larger than %zu bytes of compact JSON", a->name, a->max_bytes);
				return "length";
			}
		}
		return NULL;
	}
	return NULL;
}

int validate_args(const struct registry_fn *fn, cJSON *body, cJSON **details)
{
	*details = NULL;
	/* CALL-2: a body that is JSON but not an object. */
	if (!cJSON_IsObject(body)) {
		*details = validate_violation("body", NULL, "type", "the body must be a JSON object of named arguments");
		return *details ? 1 : -1;
	}
	size_t nargs = 0, nmembers = 0;
	for (const struct registry_arg *a = fn->args; a->name; a++)
		nargs++;
	for (cJSON *m = body->child; m; m = m->next)
		nmembers++;
	struct violation small[8];	/* the common case allocates nothing */
	struct violation *v = nargs + nmembers < 8 ? small : malloc((nargs + nmembers + 1) * sizeof *v);
	if (!v)
		return -1;
	size_t n = 0;
	for (cJSON *m = body->child; m; m = m->next) {
		const struct registry_arg *a = fn->args;
		while (a->name && strcmp(a->name, m->string))
			a++;
		if (!a->name) {
			v[n].name = m->string;
			v[n].type = "extra";
			snprintf(v[n].msg, sizeof v[n].msg, "%s does not accept this argument", fn->name);
			n++;
		}
	}
	for (const struct registry_arg *a = fn->args; a->name; a++) {
		const cJSON *m = cJSON_GetObjectItemCaseSensitive(body, a->name);
		const char *type;
		if (!m) {
			if (!a->required)
				continue;
			type = "missing";
			snprintf(v[n].msg, sizeof v[n].msg, "%s is required", a->name);
		} else if (cJSON_IsNull(m) && a->type != REGISTRY_ANY) {
			/* CALL-3: an optional argument sent as null is a type violation. */
			type = "type";
			snprintf(v[n].msg, sizeof v[n].msg, "%s must not be null; omit it instead", a->name);
		} else {
			type = check_arg(a, m, v[n].msg, sizeof v[n].msg);
		}
		if (type) {
			v[n].name = a->name;
			v[n].type = type;
			n++;
		}
	}
	if (!n) {
		if (v != small)
			free(v);
		for (const struct registry_arg *a = fn->args; a->name; a++)
			if (a->has_default && !cJSON_GetObjectItemCaseSensitive(body, a->name)) {
				cJSON *d = sjson_integer(a->default_value);
				if (!d || !cJSON_AddItemToObject(body, a->name, d)) {
					cJSON_Delete(d);
					return -1;
				}
			}
		return 0;
	}
	qsort(v, n, sizeof *v, cmp_violation);
	cJSON *arr = cJSON_CreateArray();
	for (size_t i = 0; arr && i < n; i++) {
		cJSON *one = validate_violation("body", v[i].name, v[i].type, v[i].msg);
		if (!one) {
			cJSON_Delete(arr);
			arr = NULL;
			break;
		}
		cJSON *item = cJSON_DetachItemFromArray(one, 0);
		cJSON_Delete(one);
		cJSON_AddItemToArray(arr, item);
	}
	if (v != small)
		free(v);
	*details = arr;
	return arr ? 1 : -1;
}
