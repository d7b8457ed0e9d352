/* The key-value store interface the protocol code talks to. The protocol
 * never sees how data is kept: store_mem.c keeps it in memory, store_pg.c in
 * PostgreSQL, shared by every instance on one database.
 *
 * Keys and values are NUL-terminated strings copied in and out; values are
 * compact JSON texts (sjson.h) and come back byte for byte as written. Every
 * key has a rev: 0 while absent, 1 after the first write, +1 per write;
 * deleting a key forgets its rev. Revocations (AUTH-6) are kept apart from
 * the keys: no key operation sees them. Each operation is atomic on its key,
 * safe to call from any thread, and durable once it returned STORE_OK. */
#ifndef AFI_STORE_H
#define AFI_STORE_H

#include <stddef.h>
#include <stdint.h>

enum store_status {
	STORE_OK = 0,
	STORE_ERROR = -1,	/* out of memory or backend failure */
	STORE_CONFLICT = 1,	/* set: if_rev did not match the current rev */
	STORE_NOT_INTEGER = 2,	/* incr: the stored value is not an integer */
	STORE_OUT_OF_RANGE = 3,	/* incr: the result would leave [-max, max] */
	STORE_UNAVAILABLE = 4,	/* the backend did not answer within its bound; a write
				 * may or may not have happened */
};

/* No if_rev: write unconditionally. */
#define STORE_ANY_REV INT64_MIN

struct store;

struct store_ops {
	/* *value (when value is not NULL) gets a malloc'd copy, or NULL when the
	 * key is absent; *rev gets the rev (0 when absent). */
	enum store_status (*get)(struct store *s, const char *key, char **value, uint64_t *rev);
	/* Writes value when if_rev is STORE_ANY_REV or equals the current rev. */
	enum store_status (*set)(struct store *s, const char *key, const char *value,
				 int64_t if_rev, uint64_t *new_rev);
	/* *deleted is 1 when the key existed. */
	enum store_status (*del)(struct store *s, const char *key, int *deleted);
	/* *keys gets a malloc'd array of *n malloc'd keys starting with prefix,
	 * sorted by byte order; free with store_keys_free. */
	enum store_status (*list)(struct store *s, const char *prefix, char ***keys, size_t *n);
	/* Adds by to the integer at key (absent counts as 0) when the result stays
	 * within [-max, max]; writes it (rev + 1). */
	enum store_status (*incr)(struct store *s, const char *key, int64_t by, int64_t max,
				  int64_t *value, uint64_t *new_rev);
	/* AUTH-6: records that the token id jti is revoked, for as long as the store lasts. */
	enum store_status (*revoke)(struct store *s, const char *jti);
	/* *revoked is 1 when jti was revoked. */
	enum store_status (*is_revoked)(struct store *s, const char *jti, int *revoked);
	/* HLT-1: STORE_OK when the backend answers now. */
	enum store_status (*ping)(struct store *s);
	void (*destroy)(struct store *s);
};

struct store {
	const struct store_ops *ops;
};

static inline enum store_status store_get(struct store *s, const char *key, char **value, uint64_t *rev)
{
	return s->ops->get(s, key, value, rev);
}

static inline enum store_status store_set(struct store *s, const char *key, const char *value,
					  int64_t if_rev, uint64_t *new_rev)
{
	return s->ops->set(s, key, value, if_rev, new_rev);
}

static inline enum store_status store_del(struct store *s, const char *key, int *deleted)
{
	return s->ops->del(s, key, deleted);
}

static inline enum store_status store_list(struct store *s, const char *prefix, char ***keys, size_t *n)
{
	return s->ops->list(s, prefix, keys, n);
}

static inline enum store_status store_incr(struct store *s, const char *key, int64_t by, int64_t max,
					   int64_t *value, uint64_t *new_rev)
{
	return s->ops->incr(s, key, by, max, value, new_rev);
}

static inline enum store_status store_revoke(struct store *s, const char *jti)
{
	return s->ops->revoke(s, jti);
}

static inline enum store_status store_is_revoked(struct store *s, const char *jti, int *revoked)
{
	return s->ops->is_revoked(s, jti, revoked);
}

static inline enum store_status store_ping(struct store *s)
{
	return s->ops->ping(s);
}

/* Destroys s; accepts NULL. */
void store_free(struct store *s);
/* Frees a key list returned by list; accepts NULL. */
void store_keys_free(char **keys, size_t n);

#endif
