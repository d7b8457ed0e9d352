/* The store contract (SCOPE-4, SCOPE-5, SCOPE-6, AUTH-6, ROB-2), one set of
 * tests run against the in-memory store (suite store_mem) and against
 * PostgreSQL (suite store_pg) when AFI_TEST_PG holds a database URL; each
 * PostgreSQL test gets a schema of its own, dropped afterwards. */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store_mem.h"
#include "store_pg.h"
#include "timeout.h"

static struct store *s;
static char schema[64];

static void mem_setup(void)
{
	s = store_mem_new();
	cr_assert_not_null(s);
}

static PGconn *admin(void)
{
	PGconn *c = PQconnectdb(getenv("AFI_TEST_PG"));
	cr_assert_eq(PQstatus(c), CONNECTION_OK, "AFI_TEST_PG: %s", PQerrorMessage(c));
	PQclear(PQexec(c, "SET client_min_messages = warning"));	/* DROP ... CASCADE lists what goes */
	return c;
}

static void admin_exec(const char *sql)
{
	PGconn *c = admin();
	PGresult *r = PQexec(c, sql);
	cr_assert_eq(PQresultStatus(r), PGRES_COMMAND_OK, "%s: %s", sql, PQresultErrorMessage(r));
	PQclear(r);
	PQfinish(c);
}

/* A URL for a store of its own: libpq reads PGOPTIONS for every connection
 * this test process opens, so the store's tables land in a fresh schema. */
static void pg_schema(void)
{
	if (!getenv("AFI_TEST_PG") || !*getenv("AFI_TEST_PG"))
		cr_skip_test("AFI_TEST_PG is not set: the PostgreSQL store is not tested (make check sets it)");
	char sql[128], opts[96];
	snprintf(schema, sizeof schema, "afi_test_%ld_%d", (long)getpid(), rand() % 100000);
	snprintf(sql, sizeof sql, "CREATE SCHEMA %s", schema);
	admin_exec(sql);
	snprintf(opts, sizeof opts, "-c search_path=%s", schema);
	setenv("PGOPTIONS", opts, 1);
}

static struct store *pg_open(unsigned pool)
{
	char err[256] = "";
	struct store *p = store_pg_new(getenv("AFI_TEST_PG"), pool, err, sizeof err);
	cr_assert_not_null(p, "store_pg_new: %s", err);
	return p;
}

static void pg_setup(void)
{
	pg_schema();
	s = pg_open(4);
}

static void teardown(void)
{
	store_free(s);
	s = NULL;
	if (schema[0]) {
		char sql[128];
		snprintf(sql, sizeof sql, "DROP SCHEMA %s CASCADE", schema);
		admin_exec(sql);
	}
}

TestSuite(store_mem, .init = mem_setup, .fini = teardown);
TestSuite(store_pg, .init = pg_setup, .fini = teardown, .timeout = TEST_TIMEOUT_S);
/* Starting a store: an empty schema and no store yet. */
TestSuite(store_pg_start, .init = pg_schema, .fini = teardown, .timeout = TEST_TIMEOUT_S);

/* One body, a test in each suite. */
#define CONTRACT(name)                      \
	static void name(void);             \
	Test(store_mem, name) { name(); }   \
	Test(store_pg, name) { name(); }    \
	static void name(void)

CONTRACT(absent_keys_read_as_rev_zero)
{
	char *v = (char *)"sentinel";
	uint64_t rev = 99;
	cr_assert_eq(store_get(s, "k", &v, &rev), STORE_OK);
	cr_assert_null(v);
	cr_assert_eq(rev, 0);
}

CONTRACT(each_write_bumps_rev_by_one)
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

CONTRACT(values_come_back_as_the_exact_text)
{
	/* SCOPE-4: key order, number tokens and escapes as written; jsonb would change all three. */
	const char *texts[] = {
		"{\"z\":1,\"a\":2,\"m\":{\"y\":[],\"b\":{}}}", "1.0", "1E+2", "-0", "9007199254740993",
		"123456789012345678901234567890.5e-7", "\"\\u0000 \\\"q\\\" \\\\ caf\xc3\xa9 \xf0\x9f\x98\x80\"",
		"[true,false,null,\"\"]", "{\"a\":1,\"a \":2}",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
		char key[16], *v = NULL;
		snprintf(key, sizeof key, "v%zu", i);
		cr_assert_eq(store_set(s, key, texts[i], STORE_ANY_REV, NULL), STORE_OK, "%s", texts[i]);
		cr_assert_eq(store_get(s, key, &v, NULL), STORE_OK);
		cr_assert_str_eq(v, texts[i]);
		free(v);
	}
}

CONTRACT(if_rev_mismatch_is_a_conflict_and_writes_nothing)
{
	uint64_t rev = 0;
	char *v = NULL;
	cr_assert_eq(store_set(s, "k", "1", 0, &rev), STORE_OK, "if_rev 0 creates");
	cr_assert_eq(rev, 1);
	cr_assert_eq(store_set(s, "k", "2", 0, &rev), STORE_CONFLICT, "if_rev 0 is create-only");
	cr_assert_eq(store_set(s, "k", "2", 5, &rev), STORE_CONFLICT);
	cr_assert_eq(store_set(s, "k", "2", -1, &rev), STORE_CONFLICT);
	cr_assert_eq(store_set(s, "absent", "2", 1, &rev), STORE_CONFLICT, "no rev 1 while absent");
	store_get(s, "k", &v, &rev);
	cr_assert_str_eq(v, "1");
	cr_assert_eq(rev, 1);
	free(v);
	cr_assert_eq(store_set(s, "k", "3", 1, &rev), STORE_OK);
	cr_assert_eq(rev, 2);
	store_get(s, "absent", NULL, &rev);
	cr_assert_eq(rev, 0);
}

CONTRACT(delete_forgets_the_rev)
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

CONTRACT(list_is_by_prefix_and_in_byte_order)
{
	/* "p:\xc3\xa9" (é) sorts after "p:z" in bytes; "p:B" before "p:a". */
	const char *keys[] = {"p:b", "p:a", "q:a", "p:B", "p", "p:a.b", "p:z", "p:\xc3\xa9", "o:z", "p;"};
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		cr_assert_eq(store_set(s, keys[i], "0", STORE_ANY_REV, NULL), STORE_OK);
	for (int i = 0; i < 200; i++) {	/* enough to make the memory store's shards grow */
		char k[32];
		snprintf(k, sizeof k, "z:%03d", i);
		store_set(s, k, "0", STORE_ANY_REV, NULL);
	}
	char **out = NULL;
	size_t n = 0;
	cr_assert_eq(store_list(s, "p:", &out, &n), STORE_OK);
	const char *want[] = {"p:B", "p:a", "p:a.b", "p:b", "p:z", "p:\xc3\xa9"};
	cr_assert_eq(n, 6);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(out[i], want[i]);
	store_keys_free(out, n);
	cr_assert_eq(store_list(s, "z:", &out, &n), STORE_OK);
	cr_assert_eq(n, 200);
	cr_assert_str_eq(out[0], "z:000");
	cr_assert_str_eq(out[199], "z:199");
	store_keys_free(out, n);
	cr_assert_eq(store_list(s, "none:", &out, &n), STORE_OK);
	cr_assert_eq(n, 0);
	store_keys_free(out, n);
}

CONTRACT(personal_keys_of_two_subs_never_meet)
{
	/* The profile's keys: p<len(sub)>:sub:name. A sub holding U+0000 is kept
	 * as C0 80 (not valid UTF-8), and "a:p1" must not see "a". */
	const char *a = "p1:a:x", *b = "p4:a:p1:x", *nul = "p4:a\xc0\x80" "b:x";
	cr_assert_eq(store_set(s, a, "1", STORE_ANY_REV, NULL), STORE_OK);
	cr_assert_eq(store_set(s, b, "2", STORE_ANY_REV, NULL), STORE_OK);
	cr_assert_eq(store_set(s, nul, "3", STORE_ANY_REV, NULL), STORE_OK);
	char **out = NULL, *v = NULL;
	size_t n = 0;
	cr_assert_eq(store_list(s, "p1:a:", &out, &n), STORE_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(out[0], a);
	store_keys_free(out, n);
	cr_assert_eq(store_list(s, "p4:a\xc0\x80" "b:", &out, &n), STORE_OK);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(out[0], nul);
	store_keys_free(out, n);
	cr_assert_eq(store_get(s, nul, &v, NULL), STORE_OK);
	cr_assert_str_eq(v, "3");
	free(v);
}

CONTRACT(incr_counts_from_zero_and_writes)
{
	int64_t v = 0;
	uint64_t rev = 0;
	cr_assert_eq(store_incr(s, "c", 5, 1000, &v, &rev), STORE_OK);
	cr_assert_eq(v, 5);
	cr_assert_eq(rev, 1);
	cr_assert_eq(store_incr(s, "c", 1, 1000, &v, &rev), STORE_OK);
	cr_assert_eq(v, 6);
	cr_assert_eq(rev, 2);
	cr_assert_eq(store_incr(s, "c", -10, 1000, &v, &rev), STORE_OK);
	cr_assert_eq(v, -4);
	char *text = NULL;
	store_get(s, "c", &text, NULL);
	cr_assert_str_eq(text, "-4");
	free(text);
}

CONTRACT(incr_refuses_non_integers_and_overflow_without_writing)
{
	int64_t v = 0;
	uint64_t rev = 0;
	const char *bad[] = {"\"5\"", "1.0", "1e2", "null", "[1]", "true", "{}"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char key[8], *text = NULL;
		snprintf(key, sizeof key, "k%zu", i);
		store_set(s, key, bad[i], STORE_ANY_REV, NULL);
		cr_assert_eq(store_incr(s, key, 1, 1000, &v, &rev), STORE_NOT_INTEGER, "%s", bad[i]);
		store_get(s, key, &text, &rev);
		cr_assert_eq(rev, 1);
		cr_assert_str_eq(text, bad[i]);
		free(text);
	}
	store_set(s, "big", "995", STORE_ANY_REV, NULL);
	cr_assert_eq(store_incr(s, "big", 5, 1000, &v, &rev), STORE_OK);
	cr_assert_eq(store_incr(s, "big", 1, 1000, &v, &rev), STORE_OUT_OF_RANGE);
	store_get(s, "big", NULL, &rev);
	cr_assert_eq(rev, 2, "a refused increment writes nothing");
	cr_assert_eq(store_incr(s, "fresh", 1001, 1000, &v, &rev), STORE_OUT_OF_RANGE);
	store_get(s, "fresh", NULL, &rev);
	cr_assert_eq(rev, 0, "nor creates the key");
	cr_assert_eq(store_incr(s, "low", -1000, 1000, &v, &rev), STORE_OK);
	cr_assert_eq(store_incr(s, "low", -1, 1000, &v, &rev), STORE_OUT_OF_RANGE);
	store_set(s, "huge", "123456789012345678901234567890", STORE_ANY_REV, NULL);
	cr_assert_eq(store_incr(s, "huge", 1, 1000, &v, &rev), STORE_OUT_OF_RANGE);
	store_set(s, "neg", "-3", STORE_ANY_REV, NULL);
	cr_assert_eq(store_incr(s, "neg", 1, 1000, &v, &rev), STORE_OK);
	cr_assert_eq(v, -2);
}

CONTRACT(revocations_are_by_jti_and_apart_from_keys)
{
	int revoked = -1;
	char longjti[6001];	/* longer than a btree entry may be */
	memset(longjti, 'j', sizeof longjti - 1);
	longjti[sizeof longjti - 1] = '\0';
	cr_assert_eq(store_is_revoked(s, "a", &revoked), STORE_OK);
	cr_assert_eq(revoked, 0);
	cr_assert_eq(store_revoke(s, "a"), STORE_OK);
	cr_assert_eq(store_revoke(s, "a"), STORE_OK, "revoking twice is no error");
	cr_assert_eq(store_revoke(s, longjti), STORE_OK);
	cr_assert_eq(store_revoke(s, "n\xc0\x80ul"), STORE_OK);
	cr_assert_eq(store_is_revoked(s, "a", &revoked), STORE_OK);
	cr_assert_eq(revoked, 1);
	cr_assert_eq(store_is_revoked(s, longjti, &revoked), STORE_OK);
	cr_assert_eq(revoked, 1);
	cr_assert_eq(store_is_revoked(s, "n\xc0\x80ul", &revoked), STORE_OK);
	cr_assert_eq(revoked, 1);
	longjti[3000] = 'k';
	cr_assert_eq(store_is_revoked(s, longjti, &revoked), STORE_OK);
	cr_assert_eq(revoked, 0);
	cr_assert_eq(store_is_revoked(s, "A", &revoked), STORE_OK);
	cr_assert_eq(revoked, 0, "jti compare exactly");
	char **out = NULL;
	size_t n = 0;
	cr_assert_eq(store_list(s, "p", &out, &n), STORE_OK);
	cr_assert_eq(n, 0);
	store_keys_free(out, n);
}

CONTRACT(ping_answers)
{
	cr_assert_eq(store_ping(s), STORE_OK);
}

#define THREADS 8
#define PER_THREAD 250

static void *bump(void *arg)
{
	struct store *t = arg;
	int64_t v;
	for (int i = 0; i < PER_THREAD; i++)
		cr_assert_eq(store_incr(t, "shared", 1, INT64_C(1) << 53, &v, NULL), STORE_OK);
	return NULL;
}

static void check_counter(struct store *t, const char *want, uint64_t want_rev)
{
	char *text = NULL;
	uint64_t rev = 0;
	cr_assert_eq(store_get(t, "shared", &text, &rev), STORE_OK);
	cr_assert_str_eq(text, want);
	cr_assert_eq(rev, want_rev);
	free(text);
}

CONTRACT(concurrent_increments_are_atomic)
{
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, bump, s);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	check_counter(s, "2000", THREADS * PER_THREAD);
}

struct racer {
	struct store *store;
	int wins;
	uint64_t revs[64];	/* the new revs this thread was given */
};

/* Read, then write with if_rev = what was read: of racers that read the same
 * rev, exactly one may win. */
static void *race(void *arg)
{
	struct racer *r = arg;
	for (int i = 0; i < 64; i++) {
		uint64_t rev = 0, got = 0;
		store_get(r->store, "cas", NULL, &rev);
		enum store_status st = store_set(r->store, "cas", "1", (int64_t)rev, &got);
		cr_assert(st == STORE_OK || st == STORE_CONFLICT, "status %d", (int)st);
		if (st == STORE_OK) {
			cr_assert_eq(got, rev + 1);
			r->revs[r->wins++] = got;
		}
	}
	return NULL;
}

CONTRACT(racing_if_rev_writes_never_win_twice_on_one_rev)
{
	pthread_t t[THREADS];
	static struct racer r[THREADS];
	for (int i = 0; i < THREADS; i++) {
		r[i] = (struct racer){.store = s};
		pthread_create(&t[i], NULL, race, &r[i]);
	}
	int wins = 0;
	static char seen[THREADS * 64 + 2];
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		wins += r[i].wins;
		for (int j = 0; j < r[i].wins; j++) {
			cr_assert_leq(r[i].revs[j], THREADS * 64);
			cr_assert_eq(seen[r[i].revs[j]], 0, "rev %llu was won twice", (unsigned long long)r[i].revs[j]);
			seen[r[i].revs[j]] = 1;
		}
	}
	uint64_t rev = 0;
	store_get(s, "cas", NULL, &rev);
	cr_assert_eq(rev, (uint64_t)wins, "every win is one rev, every rev one win");
	cr_assert_geq(wins, 64, "at least one win per round");
}

static void *create_once(void *arg)
{
	struct racer *r = arg;
	if (store_set(r->store, "once", "1", 0, NULL) == STORE_OK)
		r->wins++;
	return NULL;
}

CONTRACT(create_only_has_one_winner)
{
	for (int round = 0; round < 10; round++) {
		pthread_t t[THREADS];
		struct racer r[THREADS];
		int deleted, wins = 0;
		for (int i = 0; i < THREADS; i++) {
			r[i] = (struct racer){.store = s};
			pthread_create(&t[i], NULL, create_once, &r[i]);
		}
		for (int i = 0; i < THREADS; i++) {
			pthread_join(t[i], NULL);
			wins += r[i].wins;
		}
		cr_assert_eq(wins, 1, "round %d", round);
		store_del(s, "once", &deleted);
	}
}

Test(store_mem, free_accepts_null)
{
	store_free(NULL);
	store_keys_free(NULL, 0);
}

/* Two stores on one database are two server instances. */
Test(store_pg, two_instances_share_keys_counters_and_revocations)
{
	struct store *other = pg_open(4);
	char *v = NULL;
	uint64_t rev = 0;
	int revoked = 0;
	cr_assert_eq(store_set(s, "k", "{\"b\":1,\"a\":2}", STORE_ANY_REV, NULL), STORE_OK);
	cr_assert_eq(store_get(other, "k", &v, &rev), STORE_OK);
	cr_assert_str_eq(v, "{\"b\":1,\"a\":2}");
	cr_assert_eq(rev, 1);
	free(v);
	cr_assert_eq(store_set(other, "k", "3", 1, NULL), STORE_OK);
	cr_assert_eq(store_set(s, "k", "4", 1, NULL), STORE_CONFLICT, "the other instance's write moved the rev");
	cr_assert_eq(store_revoke(s, "jti-1"), STORE_OK);
	cr_assert_eq(store_is_revoked(other, "jti-1", &revoked), STORE_OK);
	cr_assert_eq(revoked, 1);
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		pthread_create(&t[i], NULL, bump, i % 2 ? s : other);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	check_counter(other, "2000", THREADS * PER_THREAD);
	store_free(other);
}

static void *open_close(void *arg)
{
	char *err = arg;
	struct store *p = store_pg_new(getenv("AFI_TEST_PG"), 1, err, 256);
	if (p) {
		err[0] = '\0';
		store_free(p);
	}
	return NULL;
}

Test(store_pg_start, instances_starting_together_all_get_the_schema)
{
	pthread_t t[THREADS];
	static char err[THREADS][256];
	for (int i = 0; i < THREADS; i++) {
		snprintf(err[i], sizeof err[i], "not run");
		pthread_create(&t[i], NULL, open_close, err[i]);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		cr_assert_str_empty(err[i], "instance %d: %s", i, err[i]);
	}
	s = pg_open(1);
	cr_assert_eq(store_set(s, "k", "1", 0, NULL), STORE_OK);
}

Test(store_pg_start, an_unreachable_database_is_a_clear_error_at_start)
{
	char err[256] = "";
	struct store *p = store_pg_new("postgresql:///postgres?host=/nonexistent-afi-dir", 2, err, sizeof err);
	cr_assert_null(p);
	cr_assert_not_null(strstr(err, "cannot set up the PostgreSQL store"), "%s", err);
	cr_assert_not_null(strstr(err, "/nonexistent-afi-dir"), "the reason names the socket: %s", err);
}
