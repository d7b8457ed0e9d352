/* reference-server: options and environment, start, wait for SIGINT/SIGTERM, stop. */
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dispatch.h"
#include "jwks.h"
#include "server.h"
#include "store_mem.h"
#include "store_pg.h"
#include "version.h"

#define STR_(x) #x
#define STR(x) STR_(x)

static const char usage[] =
	"usage: reference-server --port N [--bind ADDR] [--base PATH] [--threads N] [--store URL]\n"
	"\n"
	"The AFI v1 reference server (docs/protocol.md).\n"
	"\n"
	"Options:\n"
	"  --port N       TCP port to listen on (required); 0 picks a free port\n"
	"  --bind ADDR    IPv4 or IPv6 address to listen on (default 127.0.0.1)\n"
	"  --base PATH    base path of every endpoint (default /afi; \"\" for the root)\n"
	"  --threads N    worker threads (default: one per core)\n"
	"  --store URL    keep data in PostgreSQL at URL (postgres://... or libpq key=value),\n"
	"                 shared by every instance on that database; default: in memory\n"
	"  --help         show this text\n"
	"  --version      print the server's and the protocol's versions\n"
	"\n"
	"Environment:\n"
	"  AFI_SECRET     HS256 secret tokens are verified with; at least 32 bytes (required)\n"
	"  AFI_ISSUER     when set, tokens must carry iss equal to it\n"
	"  AFI_AUDIENCE   when set, tokens must carry aud equal to it (or an array containing it)\n"
	"  AFI_PUBLIC_KEY_FILE  a PEM public key, RSA >= 2048 bits or P-256: tokens are then\n"
	"                 RS256 or ES256 signed with its private key, and HS256 is refused\n"
	"  AFI_JWKS_URL   an http(s) URL of a JWK Set (not with AFI_PUBLIC_KEY_FILE): a token's kid\n"
	"                 selects its key (RSA: RS256, P-256: ES256); the set is fetched at start\n"
	"                 (the server starts even when that fails; tokens are then 503 until a\n"
	"                 fetch succeeds), within " STR(JWKS_FETCH_MS) " ms and " STR(JWKS_MAX_BYTES) " bytes each time\n"
	"  AFI_JWKS_CACHE_SECONDS    how long a fetched set is used (default " STR(JWKS_CACHE_SECONDS) ")\n"
	"  AFI_JWKS_REFRESH_SECONDS  at most one fetch per this long, e.g. for an unknown kid\n"
	"                 (default " STR(JWKS_REFRESH_SECONDS) ")\n"
	"  AFI_STORE      the --store URL when --store is not given\n"
	"\n"
	"On start it prints one line to stdout: listening on http://HOST:PORT/BASE\n"
	"Endpoints: GET BASE/health, GET BASE/schema, POST BASE/call/{name}, GET BASE/context/{name}.\n"
	"SIGINT or SIGTERM stop it after in-flight requests finish.\n"
	"Without --store, data lives in memory and is lost at exit. With it, the tables are\n"
	"created at start when absent, and the server refuses to start when the database\n"
	"cannot be reached. Every store operation gives up after " STR(STORE_PG_BOUND_MS) " ms, GET BASE/health\n"
	"after " STR(STORE_PG_PING_MS) " ms; while the database is away, calls that need it and /health answer\n"
	"503 unavailable at once, and the server reconnects by itself when it returns.\n"
	"\n"
	"Exit codes: 0 stopped by a signal, 1 could not start the server, 2 usage or configuration error.\n";

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long v = strtoul(s, &end, 10);
	if (*end || v > max)
		return -1;
	*out = v;
	return 0;
}

static int usage_error(const char *fmt, const char *arg)
{
	fprintf(stderr, "reference-server: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'reference-server --help'.\n");
	return 2;
}

/* Fills cfg from the command line. Returns -1 when the server should start,
 * otherwise the exit status (0 after --help, 2 after a usage error). */
static int parse_options(int argc, char **argv, struct server_config *cfg, const char **store_url)
{
	int have_port = 0;
	for (int i = 1; i < argc; i++) {
		const char *opt = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long v;
		if (!strcmp(opt, "--help") || !strcmp(opt, "-h")) {
			fputs(usage, stdout);
			return 0;
		} else if (!strcmp(opt, "--version")) {
			printf("reference-server %s (AFI protocol %s)\n", AFI_TOOL_VERSION, AFI_PROTOCOL_VERSION);
			return 0;
		} else if (!strcmp(opt, "--port")) {
			if (parse_uint(val, 65535, &v) < 0)
				return usage_error("--port needs a number from 0 to 65535, not '%s'", val ? val : "");
			cfg->port = (uint16_t)v;
			have_port = 1;
			i++;
		} else if (!strcmp(opt, "--bind")) {
			if (!val)
				return usage_error("--bind needs an address%s", "");
			cfg->bind = val;
			i++;
		} else if (!strcmp(opt, "--base")) {
			if (!val || (val[0] && (val[0] != '/' || val[strlen(val) - 1] == '/')))
				return usage_error("--base must start with '/' and not end with '/' (or be \"\"), not '%s'",
						   val ? val : "");
			cfg->base = val;
			i++;
		} else if (!strcmp(opt, "--threads")) {
			if (parse_uint(val, 256, &v) < 0 || v == 0)
				return usage_error("--threads needs a number from 1 to 256, not '%s'", val ? val : "");
			cfg->threads = (unsigned)v;
			i++;
		} else if (!strcmp(opt, "--store")) {
			if (!val || !*val)
				return usage_error("--store needs a PostgreSQL URL%s", "");
			*store_url = val;
			i++;
		} else {
			return usage_error("unknown option '%s'", opt);
		}
	}
	if (!have_port)
		return usage_error("--port is required%s", "");
	return -1;
}

/* FULL-7: AFI_JWKS_CACHE_SECONDS or AFI_JWKS_REFRESH_SECONDS, or its default; -1 when invalid. */
static int jwks_seconds(const char *name, unsigned dflt, unsigned *out)
{
	const char *v = getenv(name);
	unsigned long n;
	if (!v || !*v) {
		*out = dflt;
		return 0;
	}
	if (parse_uint(v, JWKS_MAX_SECONDS, &n) < 0 || n == 0) {
		fprintf(stderr, "reference-server: %s must be whole seconds from 1 to %d, not '%s'\n", name,
			JWKS_MAX_SECONDS, v);
		return -1;
	}
	*out = (unsigned)n;
	return 0;
}

/* FULL-6..FULL-8: the JWK Set of AFI_JWKS_URL, fetched once now; *out stays
 * NULL without it. A failed first fetch is said, and the server starts
 * (requests with tokens are 503 until a fetch succeeds). -1 when the
 * configuration refuses the start (FULL-1). */
static int jwks_configure(struct jwks **out, int have_key_file)
{
	char err[512];
	struct jwks_config jc = {.url = getenv("AFI_JWKS_URL")};
	if (!jc.url || !*jc.url)
		return 0;
	if (have_key_file) {
		fprintf(stderr, "reference-server: AFI_JWKS_URL and AFI_PUBLIC_KEY_FILE are both set, and which one "
				"verifies tokens would be ambiguous; set one of them\n");
		return -1;
	}
	if (jwks_seconds("AFI_JWKS_CACHE_SECONDS", JWKS_CACHE_SECONDS, &jc.cache_seconds) < 0 ||
	    jwks_seconds("AFI_JWKS_REFRESH_SECONDS", JWKS_REFRESH_SECONDS, &jc.refresh_seconds) < 0)
		return -1;
	if (!(*out = jwks_new(&jc, err, sizeof err))) {
		fprintf(stderr, "reference-server: %s\n", err);
		return -1;
	}
	if (jwks_fetch_now(*out, err, sizeof err) < 0)
		fprintf(stderr, "reference-server: the first fetch of the JWK Set failed (%s); starting anyway: "
				"tokens are answered 503 until a fetch succeeds\n", err);
	return 0;
}

int main(int argc, char **argv)
{
	struct server_config cfg = {.bind = "127.0.0.1", .base = "/afi"};
	const char *store_url = getenv("AFI_STORE");
	int status = parse_options(argc, argv, &cfg, &store_url);
	if (status >= 0)
		return status;

	/* Section 1: no secret, or a short one, and the server refuses to start. */
	const char *secret = getenv("AFI_SECRET");
	if (!secret || strlen(secret) < 32) {
		fprintf(stderr, "reference-server: AFI_SECRET must be set to a secret of at least 32 bytes (%s)\n",
			secret ? "it is shorter" : "it is not set");
		return 2;
	}
	struct auth_config auth = {
		.secret = (const unsigned char *)secret,
		.secret_len = strlen(secret),
		.issuer = getenv("AFI_ISSUER"),
		.audience = getenv("AFI_AUDIENCE"),
	};
	if (auth.issuer && !*auth.issuer)
		auth.issuer = NULL;
	if (auth.audience && !*auth.audience)
		auth.audience = NULL;
	char err[512];
	struct auth_key *key = NULL;
	struct jwks *jwks = NULL;
	const char *key_file = getenv("AFI_PUBLIC_KEY_FILE");
	if (jwks_configure(&jwks, key_file && *key_file) < 0)
		return 2;
	if (key_file && *key_file && !(key = auth_key_load(key_file, err, sizeof err))) {
		fprintf(stderr, "reference-server: %s\n", err);
		return 2;
	}
	auth.key = key;
	auth.jwks = jwks;

	/* Signals are taken synchronously by this thread; every other thread
	 * (libmicrohttpd's pool, the delay timer) inherits the blocked mask. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	int rc = 1;
	struct store *store = NULL;
	struct dispatch d = {0};
	struct server *srv = NULL;
	if (store_url && *store_url) {
		/* One connection per worker thread: a request never waits for another's. */
		long cores = sysconf(_SC_NPROCESSORS_ONLN);
		unsigned pool = cfg.threads ? cfg.threads : cores > 0 ? (unsigned)cores : 1;
		if (!(store = store_pg_new(store_url, pool, err, sizeof err))) {
			fprintf(stderr, "reference-server: %s\n", err);
			goto out;
		}
	} else if (!(store = store_mem_new())) {
		fprintf(stderr, "reference-server: out of memory\n");
		goto out;
	}
	if (dispatch_init(&d, store, &auth, err, sizeof err) < 0 ||
	    !(srv = server_start(&cfg, &d, err, sizeof err))) {
		fprintf(stderr, "reference-server: %s\n", err);
		goto out;
	}
	const char *host = cfg.bind;
	int v6 = strchr(host, ':') != NULL;
	printf("listening on http://%s%s%s:%u%s\n", v6 ? "[" : "", host, v6 ? "]" : "", server_port(srv), cfg.base);
	fflush(stdout);

	int sig = 0;
	sigwait(&stop, &sig);
	fprintf(stderr, "reference-server: %s received, stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
	rc = 0;
out:
	server_stop(srv);
	dispatch_free(&d);
	store_free(store);
	auth_key_free(key);
	jwks_free(jwks);
	return rc;
}
