/* The schema export equals the expected schema of docs/protocol.md section 10
 * (SCH-2, SCH-3, SCH-4), written out here independently of the registry. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sjson.h"
#include "testreg.h"
#include "registry.h"
#include "schema.h"

#define KEY "{'type':'string','pattern':'^(personal|shared):[A-Za-z0-9_.-]{1,128}$'}"
#define TRUE "{'type':'boolean','const':true}"
#define OBJ(props, req) "{'type':'object','properties':" props ",'required':" req ",'additionalProperties':false}"
#define NOARGS OBJ("{}", "[]")

/* Section 10, one row per function: name, ARGS, RESULT, context, affects, auth, rev. */
static const struct {
	const char *name, *args, *result, *context, *affects, *auth;
	int rev;
} expected[] = {
	{"echo", OBJ("{'text':{'type':'string','minLength':1,'maxLength':1000}}", "['text']"),
	 OBJ("{'message':{'type':'string'}}", "['message']"), "null", "[]", "public", 1},
	{"add", OBJ("{'a':{'type':'integer','minimum':-2147483648,'maximum':2147483648},'b':{'type':'integer','minimum':-2147483648,'maximum':2147483648}}", "['a','b']"),
	 OBJ("{'sum':{'type':'integer'}}", "['sum']"), "null", "[]", "public", 1},
	{"site_info", NOARGS, OBJ("{'name':{'type':'string'},'afi_version':{'type':'string','const':'1'}}", "['afi_version','name']"),
	 "'global'", "[]", "public", 2},
	{"whoami", NOARGS, OBJ("{'sub':{'type':'string'},'role':{'type':'string','enum':['USER','READER','WRITER','ADMIN','SUPERADMIN']}}", "['role','sub']"),
	 "'user'", "[]", "viewer", 1},
	{"get_draft", NOARGS, OBJ("{'draft':{'type':'string'}}", "['draft']"), "'user'", "[]", "viewer", 1},
	{"save_draft", OBJ("{'body':{'type':'string','minLength':0,'maxLength':10000}}", "['body']"),
	 OBJ("{'saved':" TRUE "}", "['saved']"), "null", "['context:user']", "viewer", 1},
	{"kv_get", OBJ("{'key':" KEY "}", "['key']"),
	 OBJ("{'key':{'type':'string'},'value':{},'rev':{'type':'integer','minimum':0}}", "['key','rev','value']"),
	 "null", "[]", "viewer", 1},
	{"kv_set", OBJ("{'key':" KEY ",'value':{},'if_rev':{'type':'integer'}}", "['key','value']"),
	 OBJ("{'key':{'type':'string'},'rev':{'type':'integer','minimum':1}}", "['key','rev']"),
	 "null", "['context:user','function:kv_get','function:kv_list']", "viewer", 1},
	{"kv_delete", OBJ("{'key':" KEY "}", "['key']"),
	 OBJ("{'key':{'type':'string'},'deleted':{'type':'boolean'}}", "['deleted','key']"),
	 "null", "['context:user','function:kv_get','function:kv_list']", "viewer", 1},
	{"kv_list", OBJ("{'scope':{'type':'string','enum':['personal','shared']}}", "['scope']"),
	 OBJ("{'keys':{'type':'array','items':{'type':'string'}}}", "['keys']"), "null", "[]", "viewer", 1},
	{"counter_incr", OBJ("{'key':" KEY ",'by':{'type':'integer','minimum':1,'maximum':1000,'default':1}}", "['key']"),
	 OBJ("{'key':{'type':'string'},'value':{'type':'integer'}}", "['key','value']"),
	 "null", "['function:kv_get','function:kv_list']", "viewer", 1},
	{"staff_report", NOARGS, OBJ("{'ok':" TRUE "}", "['ok']"), "null", "[]", "ADMIN", 1},
	{"root_only", NOARGS, OBJ("{'ok':" TRUE "}", "['ok']"), "null", "[]", "SUPERADMIN", 1},
	{"logout", NOARGS, OBJ("{'revoked':" TRUE "}", "['revoked']"), "null", "[]", "viewer", 1},
	{"fail", NOARGS, OBJ("{}", "[]"), "null", "[]", "public", 1},
	{"sleep", OBJ("{'ms':{'type':'integer','minimum':0,'maximum':5000}}", "['ms']"),
	 OBJ("{'slept':{'type':'integer'}}", "['slept']"), "null", "[]", "public", 1},
};

TestSuite(schema, .init = testreg_setup, .fini = testreg_teardown);

static int by_key(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* SCH-4: drop info/servers/description/summary/title at every depth, sort keys. */
static void canonicalize(cJSON *v)
{
	static const char *drop[] = {"info", "servers", "description", "summary", "title"};
	if (cJSON_IsObject(v))
		for (size_t i = 0; i < 5; i++)
			cJSON_DeleteItemFromObjectCaseSensitive(v, drop[i]);
	size_t n = (size_t)cJSON_GetArraySize(v);
	for (cJSON *c = v->child; c; c = c->next)
		canonicalize(c);
	if (!cJSON_IsObject(v) || n < 2)
		return;
	cJSON **items = malloc(n * sizeof *items);
	size_t i = 0;
	for (cJSON *c = v->child; c; c = c->next)
		items[i++] = c;
	qsort(items, n, sizeof *items, by_key);
	for (i = 0; i < n; i++) {
		items[i]->prev = i ? items[i - 1] : items[n - 1];
		items[i]->next = i + 1 < n ? items[i + 1] : NULL;
	}
	v->child = items[0];
	free(items);
}

static cJSON *parse_quoted(const char *single)
{
	char *text = strdup(single);
	for (char *p = text; *p; p++)
		if (*p == '\'')
			*p = '"';
	cJSON *v = sjson_parse(text, strlen(text), NULL, 0);
	cr_assert_not_null(v, "expected text is JSON: %s", text);
	free(text);
	return v;
}

static char *expected_document(void)
{
	size_t cap = 1 << 16, len = 0;
	char *doc = malloc(cap);
	len += (size_t)snprintf(doc + len, cap - len,
				"{'openapi':'3.1.0','x-afi-version':'1','x-afi-contexts':{'global':['site_info'],"
				"'user':['get_draft','whoami']},'paths':{");
	for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
		len += (size_t)snprintf(doc + len, cap - len,
					"%s'/call/%s':{'post':{'operationId':'%s','requestBody':{'content':{'application/json':"
					"{'schema':%s}}},'responses':{'200':{'description':'Success','content':{'application/json':"
					"{'schema':{'type':'object','properties':{'result':%s,'invalidate':{'type':'array','items':"
					"{'type':'string'}}},'required':['invalidate','result'],'additionalProperties':false}}}}},"
					"'x-afi':{'context':%s,'affects':%s,'auth':'%s','rev':%d}}}",
					i ? "," : "", expected[i].name, expected[i].name, expected[i].args, expected[i].result,
					expected[i].context, expected[i].affects, expected[i].auth, expected[i].rev);
	snprintf(doc + len, cap - len, "}}");
	return doc;
}

Test(schema, export_equals_the_expected_canonical_schema)
{
	char *want_text = expected_document();
	cJSON *want = parse_quoted(want_text), *got = schema_document(&testreg);
	free(want_text);
	cr_assert_not_null(got);
	canonicalize(want);
	canonicalize(got);
	char *a = sjson_print(want, NULL), *b = sjson_print(got, NULL);
	cr_assert_str_eq(b, a);
	free(a);
	free(b);
	cJSON_Delete(want);
	cJSON_Delete(got);
}

Test(schema, paths_hold_exactly_one_post_per_function)
{
	cJSON *doc = schema_document(&testreg);
	cJSON *paths = cJSON_GetObjectItem(doc, "paths");
	cr_assert_eq((size_t)cJSON_GetArraySize(paths), testreg.count);
	cr_assert_eq(testreg.count, 16, "PROF-1: exactly sixteen functions");
	for (cJSON *p = paths->child; p; p = p->next) {
		cr_assert_eq(cJSON_GetArraySize(p), 1);
		cr_assert_not_null(cJSON_GetObjectItem(p, "post"));
	}
	cr_assert_str_eq(cJSON_GetObjectItem(doc, "openapi")->valuestring, "3.1.0");
	cJSON_Delete(doc);
}

Test(schema, contexts_are_derived_with_the_strictest_level)
{
	const struct registry_context *g = registry_find_context(&testreg, "global", 6);
	const struct registry_context *u = registry_find_context(&testreg, "user", 4);
	cr_assert_not_null(g);
	cr_assert_not_null(u);
	cr_assert_eq(g->auth, AUTH_PUBLIC);
	cr_assert_eq(u->auth, AUTH_VIEWER);
	cr_assert_eq(u->count, 2);
	cr_assert_str_eq(u->members[0]->name, "get_draft");
	cr_assert_str_eq(u->members[1]->name, "whoami");
	cr_assert_null(registry_find_context(&testreg, "use", 3));
	cr_assert_null(registry_find(&testreg, "Echo", 4));
	cr_assert_null(registry_find(&testreg, "echoes", 6));
	cr_assert_not_null(registry_find(&testreg, "echo", 4));
}
