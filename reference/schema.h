/* The OpenAPI 3.1.0 export of the registry (SCH-2, SCH-3), derived from the
 * function table alone. */
#ifndef AFI_SCHEMA_H
#define AFI_SCHEMA_H

#include <cjson/cJSON.h>

#include "registry.h"

/* Returns the schema document as a new tree (caller frees with cJSON_Delete),
 * or NULL when out of memory. */
cJSON *schema_document(const struct registry *r);

/* The JSON Schema of one argument and of a function's argument object
 * (new trees, caller frees; NULL when out of memory). */
cJSON *schema_arg(const struct registry_arg *a);
cJSON *schema_args(const struct registry_fn *fn);

#endif
