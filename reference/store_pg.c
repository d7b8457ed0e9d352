/* PostgreSQL implementation of struct store: a pool of non-blocking libpq
 * connections, statements prepared once per connection, one statement per
 * operation, and every wait bounded (store_pg.h).
 *
 * ROB-2, SCOPE-5, SCOPE-6: atomicity comes from PostgreSQL, not from this
 * process, so any number of instances may share one database: compare-and-set
 * is an UPDATE ... WHERE rev = $3, create-only an INSERT ... ON CONFLICT DO
 * NOTHING, and counter_incr one call of afi_incr(), which holds the row lock
 * from read to write. With synchronous_commit on (the default), an operation
 * that returned STORE_OK is on disk. */
#include "store_pg.h"

#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STR_(x) #x
#define STR(x) STR_(x)

/* Keys are bytea rather than text COLLATE "C": both compare byte for byte,
 * but a sub holding U+0000 (kept as C0 80, sjson.h) is not valid UTF-8 and a
 * text column would refuse it. Values are text, never jsonb, which would
 * reorder keys and rewrite numbers (SCOPE-4). A jti may be longer than a
 * btree entry can be (2704 bytes), so revocations are found by its SHA-256
 * and the jti itself is compared too. The advisory lock makes two instances
 * that start together create the schema one after the other. */
static const char schema_sql[] =
	"SET client_min_messages = warning;"
	"BEGIN;"
	"SELECT pg_advisory_xact_lock(4705169381231104);"
	"DO $$BEGIN IF current_setting('server_encoding') NOT IN ('UTF8', 'SQL_ASCII') THEN"
	" RAISE EXCEPTION 'the database encoding is %, not UTF8', current_setting('server_encoding');"
	" END IF; END$$;"
	"CREATE TABLE IF NOT EXISTS afi_kv (key bytea PRIMARY KEY, value text NOT NULL, rev bigint NOT NULL);"
	"CREATE TABLE IF NOT EXISTS afi_revoked (jti_hash bytea PRIMARY KEY, jti bytea NOT NULL);"
	/* SCOPE-6: status 0 done, 2 not an integer, 3 out of range (enum store_status). */
	"CREATE OR REPLACE FUNCTION afi_incr(k bytea, by bigint, mx bigint,"
	" OUT status int, OUT val bigint, OUT newrev bigint) LANGUAGE plpgsql AS $f$"
	" DECLARE cur text; n numeric;"
	" BEGIN LOOP"
	"  SELECT value INTO cur FROM afi_kv WHERE key = k FOR UPDATE;"
	"  IF NOT FOUND THEN"
	"   IF by > mx OR by < -mx THEN status := 3; RETURN; END IF;"
	"   INSERT INTO afi_kv (key, value, rev) VALUES (k, by::text, 1) ON CONFLICT (key) DO NOTHING;"
	"   IF FOUND THEN status := 0; val := by; newrev := 1; RETURN; END IF;"
	/* another instance created it meanwhile: read it again, locked */
	"  ELSE"
	"   IF cur !~ '^-?[0-9]+$' THEN status := 2; RETURN; END IF;"
	"   n := cur::numeric + by;"
	"   IF n > mx OR n < -mx THEN status := 3; RETURN; END IF;"
	"   UPDATE afi_kv SET value = n::text, rev = rev + 1 WHERE key = k RETURNING rev INTO newrev;"
	"   status := 0; val := n; RETURN;"
	"  END IF;"
	" END LOOP; END $f$;"
	"COMMIT;";

enum stmt {
	GET, SET, CREATE, CAS, DEL, LIST, LIST_ALL, INCR, REVOKE, REVOKED, PING, STMT_COUNT
};

static const char *const stmt_name[STMT_COUNT] = {
	"afi_get", "afi_set", "afi_create", "afi_cas", "afi_del", "afi_list", "afi_list_all",
	"afi_incr", "afi_revoke", "afi_revoked", "afi_ping",
};

/* Run once on each new connection; the server gives up on a statement after the bound too. */
static const char session_sql[] =
	"SET statement_timeout = " STR(STORE_PG_BOUND_MS) ";"
	"PREPARE afi_get (bytea) AS SELECT value, rev FROM afi_kv WHERE key = $1;"
	"PREPARE afi_set (bytea, text) AS INSERT INTO afi_kv AS t (key, value, rev) VALUES ($1, $2, 1)"
	" ON CONFLICT (key) DO UPDATE SET value = excluded.value, rev = t.rev + 1 RETURNING rev;"
	"PREPARE afi_create (bytea, text) AS INSERT INTO afi_kv (key, value, rev) VALUES ($1, $2, 1)"
	" ON CONFLICT (key) DO NOTHING RETURNING rev;"
	"PREPARE afi_cas (bytea, text, bigint) AS UPDATE afi_kv SET value = $2, rev = rev + 1"
	" WHERE key = $1 AND rev = $3 RETURNING rev;"
	"PREPARE afi_del (bytea) AS DELETE FROM afi_kv WHERE key = $1;"
	"PREPARE afi_list (bytea, bytea) AS SELECT key FROM afi_kv WHERE key >= $1 AND key < $2 ORDER BY key;"
	"PREPARE afi_list_all (bytea) AS SELECT key FROM afi_kv WHERE key >= $1 ORDER BY key;"
	"PREPARE afi_incr (bytea, bigint, bigint) AS SELECT status, val, newrev FROM afi_incr($1, $2, $3);"
	"PREPARE afi_revoke (bytea) AS INSERT INTO afi_revoked (jti_hash, jti) VALUES (sha256($1), $1)"
	" ON CONFLICT (jti_hash) DO NOTHING;"
	"PREPARE afi_revoked (bytea) AS SELECT 1 FROM afi_revoked WHERE jti_hash = sha256($1) AND jti = $1;"
	"PREPARE afi_ping AS SELECT 1;";

struct conn {
	PGconn *pg;		/* NULL until opened, and again once it failed */
	unsigned gen;		/* the store's gen when it was opened */
	long long idle_since;	/* ms: when it went back to the pool */
};

/* A connection idle for longer is checked before use (conn_usable): a
 * restart of the database takes longer than that, and under load the check's
 * system call is saved. */
#define IDLE_CHECK_MS 50

struct store_pg {
	struct store base;	/* first: a struct store * is a struct store_pg * */
	char *url;
	pthread_mutex_t lock;
	pthread_cond_t freed;	/* a connection went back to idle */
	struct conn *conns;
	struct conn **idle;
	size_t nconns, nidle;
	unsigned gen;		/* bumped when the database is found down: older connections are dropped */
	int down;
	long long retry_at;	/* while down: when the next attempt to reach the database may start (ms) */
};

/* One statement's parameters. */
struct params {
	int n;
	const char *values[3];
	int lengths[3];
	int formats[3];
};

static long long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits until fd is ready for events (or failed) or the deadline passes; -1 then. */
static int wait_fd(int fd, short events, long long deadline)
{
	for (;;) {
		long long left = deadline - now_ms();
		if (left <= 0 || fd < 0)
			return -1;
		struct pollfd p = {.fd = fd, .events = events};
		int r = poll(&p, 1, (int)left);
		if (r > 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static void conn_drop(struct conn *c)
{
	PQfinish(c->pg);
	c->pg = NULL;
}

/* Sends everything libpq buffered; -1 on a failure or at the deadline. */
static int flush_all(PGconn *pg, long long deadline)
{
	int f;
	while ((f = PQflush(pg)) == 1) {
		if (wait_fd(PQsocket(pg), POLLIN | POLLOUT, deadline) < 0 || !PQconsumeInput(pg))
			return -1;
	}
	return f;
}

/* Reads every result of the query in flight; returns the first (caller
 * clears it) or NULL when the connection failed or the deadline passed. */
static PGresult *read_results(PGconn *pg, long long deadline)
{
	PGresult *first = NULL, *r;
	for (;;) {
		while (PQisBusy(pg)) {
			if (wait_fd(PQsocket(pg), POLLIN, deadline) < 0 || !PQconsumeInput(pg)) {
				PQclear(first);
				return NULL;
			}
		}
		if (!(r = PQgetResult(pg)))
			return first;
		if (!first)
			first = r;
		else if (PQresultStatus(first) != PGRES_FATAL_ERROR && PQresultStatus(r) == PGRES_FATAL_ERROR) {
			PQclear(first);	/* of several, the error is the one that matters */
			first = r;
		} else {
			PQclear(r);
		}
	}
}

/* Errors that mean the database is away or overloaded rather than that the
 * statement is wrong: connection (08), resources (53), operator or timeout
 * (57), transaction rollback (40). */
static enum store_status classify(PGconn *pg, const PGresult *res)
{
	if (!res || PQstatus(pg) != CONNECTION_OK)
		return STORE_UNAVAILABLE;
	ExecStatusType t = PQresultStatus(res);
	if (t == PGRES_COMMAND_OK || t == PGRES_TUPLES_OK)
		return STORE_OK;
	const char *state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	if (!state || !strncmp(state, "08", 2) || !strncmp(state, "53", 2) || !strncmp(state, "57", 2) ||
	    !strncmp(state, "40", 2))
		return STORE_UNAVAILABLE;
	return STORE_ERROR;
}

/* Runs sql (any number of statements) on pg; fills err when it fails. */
static enum store_status exec_simple(PGconn *pg, const char *sql, long long deadline, char *err, size_t errlen)
{
	PGresult *res = NULL;
	enum store_status st = STORE_UNAVAILABLE;
	if (PQsendQuery(pg, sql) && flush_all(pg, deadline) == 0)
		res = read_results(pg, deadline);
	if (res)
		st = classify(pg, res);
	if (st != STORE_OK && err)
		snprintf(err, errlen, "%s", res ? PQresultErrorMessage(res) :
			 PQstatus(pg) == CONNECTION_OK ? "no answer within the bound" : PQerrorMessage(pg));
	PQclear(res);
	return st;
}

/* Opens c to s->url and runs setup on it, all before the deadline; gen is
 * the store's gen when c was taken. */
static enum store_status conn_open(struct store_pg *s, struct conn *c, unsigned gen, const char *setup,
				   long long deadline, char *err, size_t errlen)
{
	static const char *const keys[] = {"dbname", "application_name", "client_encoding", NULL};
	const char *values[] = {s->url, "afi-reference-server", "UTF8", NULL};
	PGconn *pg = PQconnectStartParams(keys, values, 1);
	if (!pg) {
		snprintf(err, errlen, "out of memory");
		return STORE_ERROR;
	}
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	while (PQstatus(pg) != CONNECTION_BAD && ps != PGRES_POLLING_OK && ps != PGRES_POLLING_FAILED) {
		if (wait_fd(PQsocket(pg), ps == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline) < 0) {
			snprintf(err, errlen, "no connection within the bound");
			PQfinish(pg);
			return STORE_UNAVAILABLE;
		}
		ps = PQconnectPoll(pg);
	}
	if (PQstatus(pg) != CONNECTION_OK) {
		snprintf(err, errlen, "%s", PQerrorMessage(pg));
		PQfinish(pg);
		return STORE_UNAVAILABLE;
	}
	enum store_status st = STORE_UNAVAILABLE;
	if (PQsetnonblocking(pg, 1) == 0)
		st = exec_simple(pg, setup, deadline, err, errlen);
	if (st != STORE_OK) {
		PQfinish(pg);
		return st;
	}
	c->pg = pg;
	c->gen = gen;
	return STORE_OK;
}

/* An idle connection has nothing to read: input means the server ended the
 * session (a restart sends 57P01 and closes). */
static int conn_usable(PGconn *pg)
{
	struct pollfd p = {.fd = PQsocket(pg), .events = POLLIN};
	if (PQstatus(pg) != CONNECTION_OK || p.fd < 0)
		return 0;
	return poll(&p, 1, 0) == 0;
}

/* Takes an idle connection before the deadline, with the store's gen. While
 * the database is down only one caller per STORE_PG_RETRY_MS gets one (to
 * try again). */
static enum store_status pool_take(struct store_pg *s, long long deadline, struct conn **out, unsigned *gen_out)
{
	pthread_mutex_lock(&s->lock);
	if (s->down) {
		long long now = now_ms();
		if (now < s->retry_at) {
			pthread_mutex_unlock(&s->lock);
			return STORE_UNAVAILABLE;
		}
		s->retry_at = now + STORE_PG_RETRY_MS;
	}
	struct timespec ts = {.tv_sec = deadline / 1000, .tv_nsec = (deadline % 1000) * 1000000};
	while (!s->nidle) {
		if (pthread_cond_timedwait(&s->freed, &s->lock, &ts) == ETIMEDOUT && !s->nidle) {
			pthread_mutex_unlock(&s->lock);
			return STORE_UNAVAILABLE;
		}
	}
	struct conn *c = s->idle[--s->nidle];
	unsigned gen = s->gen;
	pthread_mutex_unlock(&s->lock);
	if (c->pg && (c->gen != gen || (now_ms() - c->idle_since > IDLE_CHECK_MS && !conn_usable(c->pg))))
		conn_drop(c);
	*out = c;
	*gen_out = gen;
	return STORE_OK;
}

/* Gives c back and records what was learnt of the database: it answered
 * (up), it is unreachable (lost: no connection could be made, or the one in
 * use broke), or neither (a statement was only slow). */
static void pool_give(struct store_pg *s, struct conn *c, enum store_status st, int lost)
{
	pthread_mutex_lock(&s->lock);
	if (st != STORE_UNAVAILABLE) {
		s->down = 0;
	} else if (lost) {
		if (!s->down)
			s->gen++;	/* the others' connections are likely dead too */
		s->down = 1;
		s->retry_at = now_ms() + STORE_PG_RETRY_MS;
	}
	c->idle_since = now_ms();
	s->idle[s->nidle++] = c;
	pthread_cond_signal(&s->freed);
	pthread_mutex_unlock(&s->lock);
}

#define BINARY_RESULT 1	/* results in binary format (keys as raw bytes) */
#define READ_ONLY 2	/* the statement changes nothing: safe to run twice */

/* Runs one prepared statement within its bound (STORE_PG_PING_MS for PING).
 * *res (caller clears) is set on STORE_OK. A READ_ONLY statement runs once
 * more on a new connection when a pooled one turns out broken (the database
 * restarted since); a write never runs twice, as the first may have committed. */
static enum store_status run(struct store_pg *s, enum stmt stmt, const struct params *p, int flags,
			     PGresult **res)
{
	long long deadline = now_ms() + (stmt == PING ? STORE_PG_PING_MS : STORE_PG_BOUND_MS);
	struct conn *c;
	unsigned gen;
	char err[256];
	int lost = 0;
	*res = NULL;
	enum store_status st = pool_take(s, deadline, &c, &gen);
	if (st != STORE_OK)
		return st;
	for (int attempt = 0;; attempt++) {
		int fresh = !c->pg;
		if (fresh && (st = conn_open(s, c, gen, session_sql, deadline, err, sizeof err)) != STORE_OK) {
			lost = st == STORE_UNAVAILABLE;
			break;
		}
		PGresult *r = NULL;
		if (PQsendQueryPrepared(c->pg, stmt_name[stmt], p->n, p->values, p->lengths, p->formats,
					flags & BINARY_RESULT) &&
		    flush_all(c->pg, deadline) == 0)
			r = read_results(c->pg, deadline);
		st = classify(c->pg, r);
		if (st == STORE_OK) {
			*res = r;
			break;
		}
		PQclear(r);
		if (st == STORE_UNAVAILABLE) {
			/* Broken, or merely past the deadline (state unknown): gone either way. */
			lost = PQstatus(c->pg) != CONNECTION_OK;
			conn_drop(c);
		}
		if (!lost || fresh || attempt || !(flags & READ_ONLY))
			break;
	}
	pool_give(s, c, st, lost);
	return st;
}

static void key_param(struct params *p, const char *key)
{
	p->values[p->n] = key;
	p->lengths[p->n] = (int)strlen(key);
	p->formats[p->n] = 1;	/* binary: the bytes as they are */
	p->n++;
}

static void text_param(struct params *p, const char *text)
{
	p->values[p->n] = text;
	p->lengths[p->n] = 0;
	p->formats[p->n] = 0;
	p->n++;
}

static uint64_t rev_of(const PGresult *res, int row, int col)
{
	return strtoull(PQgetvalue(res, row, col), NULL, 10);
}

static enum store_status store_pg_get(struct store *s, const char *key, char **value, uint64_t *rev)
{
	struct params p = {0};
	PGresult *res;
	key_param(&p, key);
	if (value)
		*value = NULL;
	if (rev)
		*rev = 0;
	enum store_status st = run((struct store_pg *)s, GET, &p, READ_ONLY, &res);
	if (st != STORE_OK)
		return st;
	if (PQntuples(res) == 1) {
		if (rev)
			*rev = rev_of(res, 0, 1);
		if (value && !(*value = strdup(PQgetvalue(res, 0, 0))))
			st = STORE_ERROR;
	}
	PQclear(res);
	return st;
}

static enum store_status store_pg_set(struct store *s, const char *key, const char *value, int64_t if_rev,
				      uint64_t *new_rev)
{
	/* SCOPE-5: no rev is negative, so such an if_rev never matches. */
	if (if_rev != STORE_ANY_REV && if_rev < 0)
		return STORE_CONFLICT;
	struct params p = {0};
	char rev_text[24];
	PGresult *res;
	key_param(&p, key);
	text_param(&p, value);
	enum stmt stmt = if_rev == STORE_ANY_REV ? SET : if_rev == 0 ? CREATE : CAS;
	if (stmt == CAS) {
		snprintf(rev_text, sizeof rev_text, "%lld", (long long)if_rev);
		text_param(&p, rev_text);
	}
	enum store_status st = run((struct store_pg *)s, stmt, &p, 0, &res);
	if (st != STORE_OK)
		return st;
	/* No row back: the key existed (create-only) or had another rev. */
	if (PQntuples(res) != 1)
		st = STORE_CONFLICT;
	else if (new_rev)
		*new_rev = rev_of(res, 0, 0);
	PQclear(res);
	return st;
}

static enum store_status store_pg_del(struct store *s, const char *key, int *deleted)
{
	struct params p = {0};
	PGresult *res;
	key_param(&p, key);
	enum store_status st = run((struct store_pg *)s, DEL, &p, 0, &res);
	if (st != STORE_OK)
		return st;
	*deleted = strcmp(PQcmdTuples(res), "0") != 0;
	PQclear(res);
	return st;
}

static enum store_status store_pg_list(struct store *s, const char *prefix, char ***keys, size_t *n)
{
	/* Every key with the prefix lies in [prefix, prefix with its last byte
	 * below 0xFF raised by one): a range the primary key's index serves. */
	struct params p = {0};
	PGresult *res;
	char *upper = strdup(prefix);
	if (!upper)
		return STORE_ERROR;
	size_t len = strlen(upper);
	while (len && (unsigned char)upper[len - 1] == 0xFF)
		upper[--len] = '\0';
	key_param(&p, prefix);
	if (len) {
		upper[len - 1] = (char)((unsigned char)upper[len - 1] + 1);
		key_param(&p, upper);
	}
	enum store_status st = run((struct store_pg *)s, len ? LIST : LIST_ALL, &p, BINARY_RESULT | READ_ONLY, &res);
	free(upper);
	if (st != STORE_OK)
		return st;
	size_t cnt = (size_t)PQntuples(res);
	char **v = calloc(cnt ? cnt : 1, sizeof *v);
	for (size_t i = 0; v && i < cnt; i++) {
		size_t klen = (size_t)PQgetlength(res, (int)i, 0);
		if (!(v[i] = malloc(klen + 1))) {
			store_keys_free(v, i);
			v = NULL;
			break;
		}
		memcpy(v[i], PQgetvalue(res, (int)i, 0), klen);
		v[i][klen] = '\0';
	}
	PQclear(res);
	if (!v)
		return STORE_ERROR;
	*keys = v;
	*n = cnt;
	return STORE_OK;
}

static enum store_status store_pg_incr(struct store *s, const char *key, int64_t by, int64_t max,
				       int64_t *value, uint64_t *new_rev)
{
	struct params p = {0};
	char by_text[24], max_text[24];
	PGresult *res;
	snprintf(by_text, sizeof by_text, "%lld", (long long)by);
	snprintf(max_text, sizeof max_text, "%lld", (long long)max);
	key_param(&p, key);
	text_param(&p, by_text);
	text_param(&p, max_text);
	enum store_status st = run((struct store_pg *)s, INCR, &p, 0, &res);
	if (st != STORE_OK)
		return st;
	if (PQntuples(res) != 1) {
		st = STORE_ERROR;
	} else if ((st = (enum store_status)atoi(PQgetvalue(res, 0, 0))) == STORE_OK) {
		*value = strtoll(PQgetvalue(res, 0, 1), NULL, 10);
		if (new_rev)
			*new_rev = rev_of(res, 0, 2);
	}
	PQclear(res);
	return st;
}

static enum store_status store_pg_revoke(struct store *s, const char *jti)
{
	struct params p = {0};
	PGresult *res;
	key_param(&p, jti);
	enum store_status st = run((struct store_pg *)s, REVOKE, &p, 0, &res);
	PQclear(res);
	return st;
}

static enum store_status store_pg_is_revoked(struct store *s, const char *jti, int *revoked)
{
	struct params p = {0};
	PGresult *res;
	key_param(&p, jti);
	enum store_status st = run((struct store_pg *)s, REVOKED, &p, READ_ONLY, &res);
	*revoked = st == STORE_OK && PQntuples(res) > 0;
	PQclear(res);
	return st;
}

static enum store_status store_pg_ping(struct store *s)
{
	struct params p = {0};
	PGresult *res;
	enum store_status st = run((struct store_pg *)s, PING, &p, READ_ONLY, &res);
	PQclear(res);
	return st;
}

static void store_pg_destroy(struct store *s)
{
	struct store_pg *g = (struct store_pg *)s;
	for (size_t i = 0; i < g->nconns; i++)
		conn_drop(&g->conns[i]);
	pthread_cond_destroy(&g->freed);
	pthread_mutex_destroy(&g->lock);
	free(g->conns);
	free(g->idle);
	free(g->url);
	free(g);
}

static const struct store_ops pg_ops = {
	.get = store_pg_get,
	.set = store_pg_set,
	.del = store_pg_del,
	.list = store_pg_list,
	.incr = store_pg_incr,
	.revoke = store_pg_revoke,
	.is_revoked = store_pg_is_revoked,
	.ping = store_pg_ping,
	.destroy = store_pg_destroy,
};

struct store *store_pg_new(const char *url, unsigned pool, char *err, size_t errlen)
{
	struct store_pg *g = calloc(1, sizeof *g);
	pthread_condattr_t ca;
	if (pool < 1)
		pool = 1;
	if (!g || !(g->url = strdup(url)) || !(g->conns = calloc(pool, sizeof *g->conns)) ||
	    !(g->idle = calloc(pool, sizeof *g->idle))) {
		if (g) {
			free(g->conns);
			free(g->url);
		}
		free(g);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	g->base.ops = &pg_ops;
	g->nconns = g->nidle = pool;
	for (size_t i = 0; i < pool; i++)
		g->idle[i] = &g->conns[i];
	pthread_mutex_init(&g->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);	/* pool_take's deadline is monotonic */
	pthread_cond_init(&g->freed, &ca);
	pthread_condattr_destroy(&ca);

	/* The schema, on a connection of its own: the pool's prepare against it. */
	struct conn c = {0};
	char why[256];
	if (conn_open(g, &c, 0, schema_sql, now_ms() + STORE_PG_BOUND_MS, why, sizeof why) != STORE_OK) {
		why[strcspn(why, "\n")] = '\0';
		snprintf(err, errlen, "cannot set up the PostgreSQL store: %s", why);
		store_pg_destroy(&g->base);
		return NULL;
	}
	conn_drop(&c);
	return &g->base;
}
