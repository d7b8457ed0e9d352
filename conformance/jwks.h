/* jwks.h: the JWK Set the runner serves for --key-source jwks (FULL-6..FULL-8):
 * a small HTTP server on 127.0.0.1 (its own thread, plain sockets) that the
 * target fetches AFI_JWKS_URL from, and whose answers the jwks steps of a case
 * change (docs/fixtures.md, "JWKS steps"): keys published and withdrawn, the
 * server slow, down, answering 500 or a body over 1 MiB, and the fetches
 * counted. It also holds the keys a case signs with besides the issuer's. */
#ifndef AFI_CONFORMANCE_JWKS_H
#define AFI_CONFORMANCE_JWKS_H

#include <stddef.h>
#include <openssl/evp.h>

#include "keys.h"

/* FULL-7: what the runner configures a spawned target with, and what a
 * target given with --target must be configured with. */
#define JWKS_REFRESH_SECONDS 1
#define JWKS_CACHE_SECONDS 3

/* How the server answers GET /jwks.json. */
enum jwks_mode {
    JWKS_OK,     /* 200, the set */
    JWKS_SLOW,   /* the set, after JWKS_SLOW_MS (or when the mode changes) */
    JWKS_DOWN,   /* the port closed: connections are refused */
    JWKS_ERROR,  /* 500 whose body is the set, which must not be taken */
    JWKS_HUGE,   /* 200, the set padded to JWKS_HUGE_BYTES, without Content-Length */
};

/* The kid of the attacker key in the set, with use "enc": a key to ignore (FULL-6). */
#define JWKS_ENC_KID "afi-enc"

/* The kid of the flawed key in the set, with use "sig" and the issuer's alg:
 * a key to ignore (FULL-6) for its form alone. For ES256 a P-256 key whose x
 * or y is written in fewer than the 32 octets RFC 7518 6.2.1.2 requires
 * (its leading zero dropped, as some libraries write it); for RS256 an RSA
 * key of 1024 bits. */
#define JWKS_FLAWED_KID "afi-flawed"

#define JWKS_SLOW_MS 10000
#define JWKS_HUGE_BYTES (2 * 1048576)

struct jwks;

/* Starts the server on 127.0.0.1:port (0: a free port) serving the issuer's
 * key of k (borrowed; it must outlive the server), besides entries a target
 * must ignore (an HMAC key, the attacker's key with use "enc", a P-384 key,
 * the flawed key).
 * Also writes the attacker's public key to a file, whose path is a kid that
 * points elsewhere. Returns NULL with a message in err. */
struct jwks *jwks_start(const struct keys *k, int port, char *err, size_t errlen);

/* Stops the server, waits for its threads, removes the file; accepts NULL. */
void jwks_stop(struct jwks *j);

/* http://127.0.0.1:PORT/jwks.json: the target's AFI_JWKS_URL. */
const char *jwks_url(const struct jwks *j);

/* A URL of the server answering a JWK Set of the attacker's key (kid FULL-3),
 * and the path of a file holding that key as PEM. */
const char *jwks_attacker_url(const struct jwks *j);
const char *jwks_attacker_file(const struct jwks *j);

/* The flawed key (borrowed from j): what "key": "flawed" signs with. */
EVP_PKEY *jwks_flawed(const struct jwks *j);

/* The key `name` of case case_idx, of the issuer's type, generated on the
 * run's first use of the name (cases with a key of that name share its
 * material; never the issuer's or the attacker's): *pkey borrowed from j,
 * *kid (borrowed) unique to the case run. Returns 0, or -1 with err. */
int jwks_case_key(struct jwks *j, int case_idx, const char *name, EVP_PKEY **pkey, const char **kid,
                  char *err, size_t errlen);

/* Adds (on) or removes the case's key name to or from the set served; a key
 * published last comes first, before the issuer's. 0, or -1 with err. */
int jwks_publish(struct jwks *j, int case_idx, const char *name, int on, char *err, size_t errlen);

/* Sets how GET /jwks.json is answered from now on; returns once the port is
 * closed (JWKS_DOWN) or open again. 0, or -1 with err (the port could not be
 * bound again). */
int jwks_serve(struct jwks *j, enum jwks_mode mode, char *err, size_t errlen);

/* "ok", "slow", "down", "error", "huge" as a mode: 0, or -1 for another word. */
int jwks_parse_mode(const char *word, enum jwks_mode *mode);

/* Restarts the count of GET /jwks.json requests and its clock. */
void jwks_fetches_reset(struct jwks *j);

/* The GET /jwks.json requests since the reset, and the seconds since it. */
int jwks_fetches(struct jwks *j, double *seconds);

/* After a case: its keys withdrawn, the mode back to JWKS_OK. 0, or -1 with
 * err (the port could not be bound again). */
int jwks_case_end(struct jwks *j, int case_idx, char *err, size_t errlen);

#endif
