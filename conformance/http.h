/* http.h: the runner's HTTP client over libcurl: kept-alive connections, one
 * request or N identical requests at once. */
#ifndef AFI_CONFORMANCE_HTTP_H
#define AFI_CONFORMANCE_HTTP_H

#include <stddef.h>

/* A request. Borrowed strings; header lines are "Name: value" or "Name:"
 * (removes a header libcurl would add). */
struct http_request {
    const char *method;
    const char *url;
    const char *const *headers;
    size_t nheaders;
    const char *body; /* NULL: no body */
    size_t body_len;
    int chunked;      /* stream the body with Transfer-Encoding: chunked */
};

/* An answer; everything owned by the struct (http_response_clear frees it). */
struct http_response {
    long status;        /* 0 when no answer was received */
    char **hnames;      /* lower-cased names, in order received */
    char **hvalues;
    size_t nh;
    char *body;         /* NUL-terminated for convenience; body_len excludes it */
    size_t body_len;
    char error[256];    /* the transport error when status is 0 */
};

struct http_client;

/* A client for one thread; requests time out after timeout_ms. NULL on failure. */
struct http_client *http_client_new(long timeout_ms);
void http_client_free(struct http_client *c);

/* Sends every request of c through libcurl, the plain ones too (h1.h): for
 * comparing the two. */
void http_client_curl_only(struct http_client *c);

/* Plain requests wait for their answers spinning for up to us microseconds
 * before sleeping (h1_spin); 0, the default, sleeps at once. */
void http_client_spin(struct http_client *c, long us);

/* Sends req and fills *res (which must be zeroed or cleared): through h1.c
 * when h1_plain(req), else through libcurl. Returns 0 when an answer was
 * received, -1 otherwise (res->error says why). */
int http_do(struct http_client *c, const struct http_request *req, struct http_response *res);

/* Sends `repeat` copies of req, at most `concurrency` at a time, filling
 * res[0..repeat) (zeroed). Returns the number of requests that got no answer. */
int http_do_many(struct http_client *c, const struct http_request *req, int repeat, int concurrency,
                 struct http_response *res);

/* Sends req over a plain socket (http:// only, Connection: close) and keeps
 * reading after the target stops reading the body, so an answer given early
 * (413 or 401 before a large body is read, as CALL-3 allows) is not lost.
 * http_do uses it when libcurl reports a send error without an answer.
 * Returns 0 when an answer was received, else -1. */
int http_do_plain(const struct http_request *req, struct http_response *res, long timeout_ms);

/* How many answers so far, in this process, had their body trail the end of
 * their headers by 30 ms or more: the mark of a target that writes headers and
 * body in two sends with Nagle's algorithm on (no TCP_NODELAY) meeting delayed
 * ACKs. After two such answers every client of the process acknowledges each
 * header section at once (TCP_QUICKACK), so the stall stops costing time; the
 * count is the target's defect to report, not a failure. */
long http_stalls(void);

/* The values of header `lname` (lower case) joined with ", ", malloc'd; NULL when absent. */
char *http_header(const struct http_response *res, const char *lname);

/* Adds the header line p[0..len) (its CR LF may follow) to res, the name
 * lower-cased, the value trimmed; a status line ("HTTP/...") forgets the
 * headers so far (those of an interim 1xx answer); a line without a colon is
 * ignored. */
void http_response_header(struct http_response *res, const char *p, size_t len);

void http_response_clear(struct http_response *res);

#endif
