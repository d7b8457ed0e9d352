/* PostgreSQL store: every instance pointed at one database shares its keys,
 * revs, counters and revocations (issue 12: scale out).
 *
 * Bounds: every operation, from waiting for a pooled connection through
 * connecting to the last byte of the answer, ends within STORE_PG_BOUND_MS
 * (ping: STORE_PG_PING_MS, /health's own bound) and then returns
 * STORE_UNAVAILABLE; the server also aborts a statement after that long
 * (statement_timeout). Once the database is found unreachable (no connection
 * can be made, or one broke), operations answer STORE_UNAVAILABLE at once,
 * except one attempt to reconnect every STORE_PG_RETRY_MS, so the store
 * recovers by itself when the database returns. A statement that was only
 * slow fails alone. */
#ifndef AFI_STORE_PG_H
#define AFI_STORE_PG_H

#include <stddef.h>

#include "store.h"

#define STORE_PG_BOUND_MS 5000
#define STORE_PG_PING_MS 1000
#define STORE_PG_RETRY_MS 250

/* Connects to url (a libpq connection URI or key=value string), creates the
 * schema when it is absent (safe when several instances start at once) and
 * returns a store of at most pool connections (>= 1), opened as needed; free
 * with store_free. Returns NULL with err filled when the database cannot be
 * reached or the schema cannot be created. */
struct store *store_pg_new(const char *url, unsigned pool, char *err, size_t errlen);

#endif
