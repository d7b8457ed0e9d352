/* libFuzzer target: argument validation (validate_args) of any JSON body
 * against any function of the real registry: the first byte picks it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "registry.h"
#include "sjson.h"
#include "validate.h"

static struct registry reg;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	char err[256];
	if (registry_init(&reg, err, sizeof err) < 0) {
		fprintf(stderr, "fuzz_validate: %s\n", err);
		abort();
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size || !reg.count)
		return 0;
	const struct registry_fn *fn = &reg.fns[data[0] % reg.count];
	char err[128];
	cJSON *body = sjson_parse((const char *)data + 1, size - 1, err, sizeof err);
	if (!body)
		return 0;
	cJSON *details = NULL;
	int r = validate_args(fn, body, &details);
	if ((r == 1) != (details != NULL) || (details && !cJSON_IsArray(details)))
		abort();	/* details come with, and only with, a violation */
	cJSON_Delete(details);
	cJSON_Delete(body);
	return 0;
}
