/* The in-memory store behind the store interface (SCOPE-5, SCOPE-6, AUTH-6). */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_mem.h"

static struct store *s;

static void setup(void)
{
	s = store_mem_new();
	cr_assert_not_null(s);
}

static void teardown(void)
{
	store_free(s);
}

TestSuite(store, .init = setup, .fini = teardown);

Test(store, absent_keys_read_as_rev_zero)
{
	char *v = (char *)"sentinel";
	uint64_t rev = 99;
	cr_assert_eq(store_get(s, "k", &v, &rev), STORE_OK);
	cr_assert_null(v);
	cr_assert_eq(rev, 0);
}

Test(store, each_write_bumps_rev_by_one)
{
	uint64_t rev = 0;
	char *v = NULL;
	cr_assert_eq(store_set(s, "k", "1", STORE_ANY_REV, &rev), STORE_OK);
	cr_assert_eq(rev, 1);
	cr_assert_eq(store_set(s, "k", "\"two\"", STORE_ANY_REV, &rev), STORE_OK);
	cr_assert_eq(rev, 2);
	cr_assert_eq(store_get(s, "k", &v, &rev), STORE_OK);
	cr_assert_str_eq(v, "\"two\"");
	cr_assert_eq(rev, 2);
	free(v);
}

Test(store, if_rev_mismatch_is_a_conflict_and_writes_nothing)
{
	uint64_t rev = 0;
	char *v = NULL;
	cr_assert_eq(store_set(s, "k", "1", 0, &rev), STORE_OK, "if_rev 0 creates");
	cr_assert_eq(store_set(s, "k", "2", 0, &rev), STORE_CONFLICT, "if_rev 0 is create-only");
	cr_assert_eq(store_set(s, "k", "2", 5, &rev), STORE_CONFLICT);
	cr_assert_eq(store_set(s, "k", "2", -1, &rev), STORE_CONFLICT);
	store_get(s, "k", &v, &rev);
	cr_assert_str_eq(v, "1");
	cr_assert_eq(rev, 1);
	free(v);
	cr_assert_eq(store_set(s, "k", "3", 1, &rev), STORE_OK);
	cr_assert_eq(rev, 2);
}

Test(store, delete_forgets_the_rev)
{
	uint64_t rev = 0;
	int deleted = -1;
	store_set(s, "k", "1", STORE_ANY_REV, &rev);
	store_set(s, "k", "1", STORE_ANY_REV, &rev);
	cr_assert_eq(store_del(s, "k", &deleted), STORE_OK);
	cr_assert_eq(deleted, 1);
	cr_assert_eq(store_del(s, "k", &deleted), STORE_OK);
	cr_assert_eq(deleted, 0);
	store_get(s, "k", NULL, &rev);
	cr_assert_eq(rev, 0);
	store_set(s, "k", "1", STORE_ANY_REV, &rev);
	cr_assert_eq(rev, 1, "starts again at 1");
}

Test(store, list_is_by_prefix_and_sorted)
{
	const char *keys[] = {"p:b", "p:a", "q:a", "p:B", "p", "p:a.b"};
	for (size_t i = 0; i < 6; i++)
		store_set(s, keys[i], "0", STORE_ANY_REV, NULL);
	for (int i = 0; i < 200; i++) {	/* enough to make the shards grow */
		char k[32];
		snprintf(k, sizeof k, "z:%03d", i);
		store_set(s, k, "0", STORE_ANY_REV, NULL);
	}
	char **out = NULL;
	size_t n = 0;
	cr_assert_eq(store_list(s, "p:", &out, &n), STORE_OK);
	cr_assert_eq(n, 4);
	cr_assert_str_eq(out[0], "p:B");
	cr_assert_str_eq(out[1], "p:a");
	cr_assert_str_eq(out[2], "p:a.b");
	cr_assert_str_eq(out[3], "p:b");
	store_keys_free(out, n);
	cr_assert_eq(store_list(s, "z:", &out, &n), STORE_OK);
	cr_assert_eq(n, 200);
	cr_assert_str_eq(out[199], "z:199");
	store_keys_free(out, n);
}

Test(store, incr_counts_from_zero_and_writes)
{
	int64_t v = 0;
	uint64_t rev = 0;
	cr_assert_eq(store_incr(s, "c", 5, 1000, &v, &rev), STORE_OK);
	cr_assert_eq(v, 5);
	cr_assert_eq(rev, 1);
	cr_assert_eq(store_incr(s, "c", 1, 1000, &v, &rev), STORE_OK);
	cr_assert_eq(v, 6);
	cr_assert_eq(rev, 2);
	char *text = NULL;
	store_get(s, "c", &text, NULL);
	cr_assert_str_eq(text, "6");
	free(text);
}

Test(store, incr_refuses_non_integers_and_overflow_without_writing)
{
	int64_t v = 0;
	uint64_t rev = 0;
	const char *bad[] = {"\"5\"", "1.0", "1e2", "null", "[1]", "true"};
	for (size_t i = 0; i < 6; i++) {
		char key[8];
		snprintf(key, sizeof key, "k%zu", i);
		store_set(s, key, bad[i], STORE_ANY_REV, NULL);
		cr_assert_eq(store_incr(s, key, 1, 1000, &v, &rev), STORE_NOT_INTEGER, "%s", bad[i]);
		store_get(s, key, NULL, &rev);
		cr_assert_eq(rev, 1);
	}
	store_set(s, "big", "995", STORE_ANY_REV, NULL);
	cr_assert_eq(store_incr(s, "big", 5, 1000, &v, &rev), STORE_OK);
	cr_assert_eq(store_incr(s, "big", 1, 1000, &v, &rev), STORE_OUT_OF_RANGE);
	store_set(s, "huge", "123456789012345678901234567890", STORE_ANY_REV, NULL);
	cr_assert_eq(store_incr(s, "huge", 1, 1000, &v, &rev), STORE_OUT_OF_RANGE);
	store_set(s, "neg", "-3", STORE_ANY_REV, NULL);
	cr_assert_eq(store_incr(s, "neg", 1, 1000, &v, &rev), STORE_OK);
	cr_assert_eq(v, -2);
}

#define THREADS 8
#define PER_THREAD 2000

static void *bump(void *arg)
{
	(void)arg;
	int64_t v;
	for (int i = 0; i < PER_THREAD; i++)
		store_incr(s, "shared", 1, INT64_C(1) << 53, &v, NULL);
	return NULL;
}

Test(store, concurrent_increments_are_atomic)
{
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, bump, NULL);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	char *text = NULL;
	uint64_t rev = 0;
	store_get(s, "shared", &text, &rev);
	cr_assert_str_eq(text, "16000");
	cr_assert_eq(rev, THREADS * PER_THREAD);
	free(text);
}

Test(store, free_accepts_null)
{
	store_free(NULL);
	store_keys_free(NULL, 0);
}
