/* libFuzzer target: the strict JSON parser (sjson_parse); what it accepts
 * prints and parses back to the same text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128];
	cJSON *v = sjson_parse((const char *)data, size, err, sizeof err);
	if (!v)
		return 0;
	size_t len = 0, len2 = 0;
	char *text = sjson_print(v, &len);
	cJSON *again = text ? sjson_parse(text, len, err, sizeof err) : NULL;
	char *text2 = again ? sjson_print(again, &len2) : NULL;
	if (text && (!again || !text2 || len != len2 || memcmp(text, text2, len)))
		abort();	/* the printed form must be a fixed point */
	free(text);
	free(text2);
	cJSON_Delete(again);
	cJSON_Delete(v);
	return 0;
}
