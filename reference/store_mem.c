/* In-memory implementation of struct store: 16 mutex-guarded hash shards, lost at exit.
 * ROB-2: every operation runs under its key's shard lock, so concurrent
 * writes and increments are never lost (SCOPE-6) and no reader sees a
 * half-written value. */
#include "store_mem.h"

#include <errno.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define SHARDS 16

struct entry {
	struct entry *next;
	uint64_t hash;
	uint64_t rev;
	char *key;
	char *value;
};

struct shard {
	pthread_mutex_t lock;
	struct entry **slots;
	size_t nslots;	/* power of two */
	size_t count;
};

struct store_mem {
	struct store base;	/* first: a struct store * is a struct store_mem * */
	struct shard shards[SHARDS];
};

static uint64_t hash_key(const char *key)
{
	uint64_t h = UINT64_C(0xcbf29ce484222325);	/* FNV-1a */
	for (const unsigned char *p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * UINT64_C(0x100000001b3);
	return h;
}

static struct shard *shard_of(struct store *s, uint64_t h)
{
	return &((struct store_mem *)s)->shards[h >> 60];
}

static struct entry **find(struct shard *sh, uint64_t h, const char *key)
{
	struct entry **e = &sh->slots[h & (sh->nslots - 1)];
	while (*e && ((*e)->hash != h || strcmp((*e)->key, key)))
		e = &(*e)->next;
	return e;
}

static int grow(struct shard *sh)
{
	size_t n = sh->nslots * 2;
	struct entry **slots = calloc(n, sizeof *slots);
	if (!slots)
		return -1;
	for (size_t i = 0; i < sh->nslots; i++) {
		struct entry *e = sh->slots[i], *next;
		for (; e; e = next) {
			next = e->next;
			e->next = slots[e->hash & (n - 1)];
			slots[e->hash & (n - 1)] = e;
		}
	}
	free(sh->slots);
	sh->slots = slots;
	sh->nslots = n;
	return 0;
}

/* Installs value (taking ownership) at *slot, creating the entry when absent. */
static enum store_status put(struct shard *sh, struct entry **slot, uint64_t h, const char *key,
			     char *value, uint64_t *new_rev)
{
	struct entry *e = *slot;
	if (!e) {
		e = calloc(1, sizeof *e);
		char *k = strdup(key);
		if (!e || !k) {
			free(e);
			free(k);
			free(value);
			return STORE_ERROR;
		}
		e->hash = h;
		e->key = k;
		*slot = e;
		sh->count++;
	}
	free(e->value);
	e->value = value;
	e->rev++;	/* SCOPE-5: 1 after the first write, +1 per write */
	if (new_rev)
		*new_rev = e->rev;
	if (sh->count > sh->nslots)
		grow(sh);	/* a failed grow only costs speed */
	return STORE_OK;
}

static enum store_status mem_get(struct store *s, const char *key, char **value, uint64_t *rev)
{
	uint64_t h = hash_key(key);
	struct shard *sh = shard_of(s, h);
	enum store_status st = STORE_OK;
	pthread_mutex_lock(&sh->lock);
	struct entry *e = *find(sh, h, key);
	if (rev)
		*rev = e ? e->rev : 0;
	if (value) {
		*value = NULL;
		if (e && !(*value = strdup(e->value)))
			st = STORE_ERROR;
	}
	pthread_mutex_unlock(&sh->lock);
	return st;
}

static enum store_status mem_set(struct store *s, const char *key, const char *value,
				 int64_t if_rev, uint64_t *new_rev)
{
	uint64_t h = hash_key(key);
	struct shard *sh = shard_of(s, h);
	char *copy = strdup(value);	/* outside the lock */
	if (!copy)
		return STORE_ERROR;
	pthread_mutex_lock(&sh->lock);
	struct entry **slot = find(sh, h, key);
	uint64_t cur = *slot ? (*slot)->rev : 0;
	enum store_status st;
	/* SCOPE-5: an if_rev mismatch writes nothing. */
	if (if_rev != STORE_ANY_REV && (if_rev < 0 || (uint64_t)if_rev != cur)) {
		free(copy);
		st = STORE_CONFLICT;
	} else {
		st = put(sh, slot, h, key, copy, new_rev);
	}
	pthread_mutex_unlock(&sh->lock);
	return st;
}

static enum store_status mem_del(struct store *s, const char *key, int *deleted)
{
	uint64_t h = hash_key(key);
	struct shard *sh = shard_of(s, h);
	pthread_mutex_lock(&sh->lock);
	struct entry **slot = find(sh, h, key), *e = *slot;
	if (e) {
		*slot = e->next;
		sh->count--;
	}
	pthread_mutex_unlock(&sh->lock);
	*deleted = e != NULL;
	if (e) {
		free(e->key);
		free(e->value);
		free(e);
	}
	return STORE_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static enum store_status mem_list(struct store *s, const char *prefix, char ***keys, size_t *n)
{
	struct store_mem *m = (struct store_mem *)s;
	size_t plen = strlen(prefix), cap = 16, cnt = 0;
	char **v = malloc(cap * sizeof *v);
	if (!v)
		return STORE_ERROR;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *sh = &m->shards[i];
		pthread_mutex_lock(&sh->lock);
		for (size_t j = 0; j < sh->nslots; j++) {
			for (struct entry *e = sh->slots[j]; e; e = e->next) {
				if (strncmp(e->key, prefix, plen))
					continue;
				if (cnt == cap) {
					char **w = realloc(v, cap * 2 * sizeof *v);
					if (!w)
						goto oom;
					v = w;
					cap *= 2;
				}
				if (!(v[cnt] = strdup(e->key)))
					goto oom;
				cnt++;
			}
		}
		pthread_mutex_unlock(&sh->lock);
		continue;
oom:
		pthread_mutex_unlock(&sh->lock);
		store_keys_free(v, cnt);
		return STORE_ERROR;
	}
	qsort(v, cnt, sizeof *v, cmp_str);
	*keys = v;
	*n = cnt;
	return STORE_OK;
}

/* Parses a stored integer token (sjson.h keeps tokens verbatim: no fraction,
 * no exponent). Returns -1 for anything else, -2 when it does not fit. */
static int parse_integer(const char *text, int64_t *out)
{
	const char *p = text;
	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return -1;
	errno = 0;
	long long v = strtoll(text, NULL, 10);
	if (errno == ERANGE)
		return -2;
	*out = v;
	return 0;
}

static enum store_status mem_incr(struct store *s, const char *key, int64_t by, int64_t max,
				  int64_t *value, uint64_t *new_rev)
{
	uint64_t h = hash_key(key);
	struct shard *sh = shard_of(s, h);
	enum store_status st = STORE_OK;
	pthread_mutex_lock(&sh->lock);
	struct entry **slot = find(sh, h, key);
	int64_t cur = 0;
	if (*slot) {
		int r = parse_integer((*slot)->value, &cur);
		if (r == -1)
			st = STORE_NOT_INTEGER;
		else if (r == -2)
			st = STORE_OUT_OF_RANGE;
	}
	if (st == STORE_OK && (cur > max - by || cur < -max - by))
		st = STORE_OUT_OF_RANGE;
	if (st == STORE_OK) {
		int64_t next = cur + by;
		char *copy = malloc(32);
		if (!copy) {
			st = STORE_ERROR;
		} else {
			snprintf(copy, 32, "%lld", (long long)next);
			st = put(sh, slot, h, key, copy, new_rev);
			if (st == STORE_OK)
				*value = next;
		}
	}
	pthread_mutex_unlock(&sh->lock);
	return st;
}

/* AUTH-6: a revoked jti is the key r:JTI in the same table; no key the
 * protocol writes starts with r: (they are p... or s:...). */
static char *revocation_key(const char *jti)
{
	size_t n = strlen(jti) + 3;
	char *key = malloc(n);
	if (key)
		snprintf(key, n, "r:%s", jti);
	return key;
}

static enum store_status mem_revoke(struct store *s, const char *jti)
{
	char *key = revocation_key(jti);
	if (!key)
		return STORE_ERROR;
	enum store_status st = mem_set(s, key, "true", STORE_ANY_REV, NULL);
	free(key);
	return st;
}

static enum store_status mem_is_revoked(struct store *s, const char *jti, int *revoked)
{
	char *key = revocation_key(jti);
	uint64_t rev = 0;
	if (!key)
		return STORE_ERROR;
	enum store_status st = mem_get(s, key, NULL, &rev);
	free(key);
	*revoked = rev > 0;
	return st;
}

static enum store_status mem_ping(struct store *s)
{
	(void)s;
	return STORE_OK;
}

static void mem_destroy(struct store *s)
{
	struct store_mem *m = (struct store_mem *)s;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *sh = &m->shards[i];
		for (size_t j = 0; j < sh->nslots; j++) {
			struct entry *e = sh->slots[j], *next;
			for (; e; e = next) {
				next = e->next;
				free(e->key);
				free(e->value);
				free(e);
			}
		}
		free(sh->slots);
		pthread_mutex_destroy(&sh->lock);
	}
	free(m);
}

static const struct store_ops mem_ops = {
	.get = mem_get,
	.set = mem_set,
	.del = mem_del,
	.list = mem_list,
	.incr = mem_incr,
	.revoke = mem_revoke,
	.is_revoked = mem_is_revoked,
	.ping = mem_ping,
	.destroy = mem_destroy,
};

struct store *store_mem_new(void)
{
	struct store_mem *m = calloc(1, sizeof *m);
	if (!m)
		return NULL;
	m->base.ops = &mem_ops;
	for (int i = 0; i < SHARDS; i++) {
		struct shard *sh = &m->shards[i];
		pthread_mutex_init(&sh->lock, NULL);
		sh->nslots = 16;
		sh->slots = calloc(sh->nslots, sizeof *sh->slots);
		if (!sh->slots) {
			for (int j = 0; j <= i; j++) {
				free(m->shards[j].slots);
				pthread_mutex_destroy(&m->shards[j].lock);
			}
			free(m);
			return NULL;
		}
	}
	return &m->base;
}
