/* reproduce.h: the shell command line that reproduces a request or a raw step, shown with every failure. */
#ifndef AFI_CONFORMANCE_REPRODUCE_H
#define AFI_CONFORMANCE_REPRODUCE_H

#include "http.h"
#include "raw.h"

/* A curl command line sending exactly req (its token included; the secret
 * never appears in a request). A body is piped in by printf, long runs of
 * one byte sequence written with printf's format reuse, so a 1 MiB body
 * stays a short line. Caller frees. */
char *reproduce_curl(const struct http_request *req);

/* A shell command sending the raw step's chunks (pauses as sleeps) on one
 * connection to host:port with nc, kept open within_ms for the answers.
 * Caller frees. */
char *reproduce_nc(const struct raw_chunk *chunks, size_t n, const char *host, const char *port, long within_ms);

#endif
