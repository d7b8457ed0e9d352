/* Helpers shared by every store implementation. */
#include "store.h"

#include <stdlib.h>

void store_free(struct store *s)
{
	if (s)
		s->ops->destroy(s);
}

void store_keys_free(char **keys, size_t n)
{
	if (!keys)
		return;
	for (size_t i = 0; i < n; i++)
		free(keys[i]);
	free(keys);
}
