/* reproduce.h: the shell command line that reproduces a request, shown with every failure. */
#ifndef AFI_CONFORMANCE_REPRODUCE_H
#define AFI_CONFORMANCE_REPRODUCE_H

#include "http.h"

/* A curl command line sending exactly req (its token included; the secret
 * never appears in a request). A body is piped in by printf, long runs of
 * one byte sequence written with printf's format reuse, so a 1 MiB body
 * stays a short line. Caller frees. */
char *reproduce_curl(const struct http_request *req);

#endif
