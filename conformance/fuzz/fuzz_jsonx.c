/* libFuzzer target: the runner's JSON parser (jsonx_parse); what it accepts
 * prints and parses back to an equal value. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	cJSON *v = jsonx_parse((const char *)data, size, err, sizeof err);
	if (!v)
		return 0;
	char *text = jsonx_print(v);
	cJSON *again = text ? jsonx_parse(text, strlen(text), err, sizeof err) : NULL;
	if (text && (!again || !jsonx_equal(v, again)))
		abort();	/* printing lost or changed something */
	free(text);
	cJSON_Delete(again);
	cJSON_Delete(v);
	return 0;
}
