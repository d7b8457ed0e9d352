/* In-memory store: a hash table split into independently locked shards so
 * that concurrent requests on different keys rarely wait for each other. */
#ifndef AFI_STORE_MEM_H
#define AFI_STORE_MEM_H

#include "store.h"

/* Returns a new empty store (free with store_free), or NULL when out of memory. */
struct store *store_mem_new(void);

#endif
