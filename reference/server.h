/* The HTTP side: libmicrohttpd glue that turns connections into
 * dispatch_request / dispatch_reply pairs. Every answer, including the ones
 * libmicrohttpd would otherwise make up itself (unknown paths, wrong methods,
 * oversized bodies), goes through dispatch and so carries the envelope. */
#ifndef AFI_SERVER_H
#define AFI_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "dispatch.h"

struct server;

struct server_config {
	const char *bind;	/* IPv4 or IPv6 literal */
	uint16_t port;		/* 0: any free port */
	const char *base;	/* the base path, e.g. "/afi" ("" for the root) */
	unsigned threads;	/* the pool size; 0: one per core */
};

/* Starts serving with dispatch d (which must outlive the server). Returns
 * NULL with err filled on failure. */
struct server *server_start(const struct server_config *cfg, struct dispatch *d, char *err, size_t errlen);

/* Serves fd, a connected stream socket (a socket pair's end will do), as if
 * it had been accepted from 127.0.0.1: the whole path of a client's bytes,
 * gate included, for tests and fuzzing. fd is the server's in every case.
 * Returns 0, or -1 when it could not be taken. */
int server_adopt(struct server *s, int fd);

/* The port actually bound. */
uint16_t server_port(const struct server *s);

/* Stops accepting, lets in-flight requests (sleeps included) finish, then
 * stops and frees everything. Accepts NULL. */
void server_stop(struct server *s);

#endif
