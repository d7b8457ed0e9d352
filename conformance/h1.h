/* h1.h: the runner's own HTTP/1.1 client for plain requests, over one
 * kept-alive connection per http_client, without libcurl.
 *
 * libcurl 7.88 spends about 90,000 instructions and six system calls on a
 * small request over a kept-alive connection (it formats every header byte
 * by byte, re-parses the URL, polls its wake-up socket); the runner's work on
 * a plain echo case is about twice that of everything else together. This
 * client sends the very bytes libcurl sends for the requests h1_plain
 * accepts (request line, Host, Accept: *, the caller's headers in order,
 * Content-Length, the body), and reads every well-formed HTTP/1.x answer as
 * libcurl does: 1xx answers skipped, Content-Length, chunked or
 * close-delimited bodies, no body after 204 and 304, Connection: close and
 * HTTP/1.0 honoured, a reused connection that died before answering
 * reopened once. Every other request (https, HEAD, chunked uploads, bodies
 * over 64 KiB, headers libcurl treats specially, unusual URLs) stays with
 * libcurl (http.c), and so does every request when h1_proxied().
 */
#ifndef AFI_CONFORMANCE_H1_H
#define AFI_CONFORMANCE_H1_H

#include "http.h"

struct h1;

/* A client without a connection yet; free with h1_free (NULL accepted). */
struct h1 *h1_new(void);
void h1_free(struct h1 *c);

/* Waits for answers by polling the socket without sleeping for up to us
 * microseconds before sleeping in poll (0, the default: sleep at once). On
 * a virtual machine whose idle vCPUs halt, waking a sleeping client costs
 * tens of microseconds a request, more than a local target's whole answer;
 * a client that spins while the target works does not pay it. A spin that
 * finds nothing makes the next waits sleep at once (1, 2, 4 ... 64 of them),
 * so a slower target costs little CPU. */
void h1_spin(struct h1 *c, long us);

/* How many waits of c have spun so far. */
long h1_spins(const struct h1 *c);

/* 1 when req is one this client sends as libcurl would; 0 when libcurl must. */
int h1_plain(const struct http_request *req);

/* 1 when the environment names a proxy libcurl would send http:// requests
 * through (http_proxy, all_proxy, ALL_PROXY): then libcurl sends them all. */
int h1_proxied(void);

/* Sends req (h1_plain(req) true) and fills *res (zeroed or cleared). Returns
 * 0 when an answer's status was received (res->error says why its body is
 * incomplete, when it is), -1 otherwise (res->error says why). The request
 * and its answer take at most timeout_ms. quickack: acknowledge at once
 * whenever the header section ends or a body is partial (TCP_QUICKACK).
 * *gap_ms: the milliseconds between the end of the header section and the
 * first bytes of a body that arrived apart from it, else -1. */
int h1_do(struct h1 *c, const struct http_request *req, struct http_response *res, long timeout_ms, int quickack,
          long *gap_ms);

/* The kept-alive connection to url's host and port, open and idle, taken
 * from c (the caller then owns the socket), or -1. With h1_give, a target
 * sees one connection per client at a time whoever sends the request. */
int h1_take(struct h1 *c, const char *url);

/* Gives c the connected socket fd, idle after an answer to a request for
 * url, to keep alive for the next; c owns it (closes it at once when url is
 * not one h1 sends to). */
void h1_give(struct h1 *c, const char *url, int fd);

#endif
