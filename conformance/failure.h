/* failure.h: the failures of a case and how they render: a message a person
 * reads, the diffs, and the request, answer and curl line that show it.
 *
 * The request and answer become JSON trees ({"method","path","url",
 * "identity","headers","body"}, {"status","headers","body"}) with bodies cut
 * to 4096 bytes and made valid UTF-8, so a failure can go into every report
 * and onto the terminal as it is.
 */
#ifndef AFI_CONFORMANCE_FAILURE_H
#define AFI_CONFORMANCE_FAILURE_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "http.h"
#include "matcher.h"
#include "request.h"

/* One failed check. All strings and trees owned by the failure. */
struct failure {
    int step;            /* 1-based; 0 for a check after the case (ROB-1) */
    char *step_name;
    char *requirement;   /* the id the failed check belongs to */
    char *message;       /* one or more lines, printable (text_clean), or NULL */
    struct matcher_diffs diffs;
    cJSON *request;      /* or NULL */
    cJSON *response;     /* or NULL */
    char *curl;          /* a shell command line reproducing the request, or NULL */
    int runwide;         /* from a run-wide check: a MUST one fails even a should case */
    int target;          /* the index of the target that was asked (0 with one target), or -1 for
                            the answers of a step spread over several targets together */
};

/* A case's failures, in the order they are shown. */
struct failure_list {
    struct failure *v;
    size_t n;
};

/* Where a failure happened: its step, the request sent there and the index
 * of the target it was sent to (its URL is the request's). */
struct failure_site {
    int step;
    const char *step_name;
    const struct request *rq;
    int target;
};

/* Appends a failure of requirement req (NULL: "") without request or answer;
 * the pointer is valid until the list next changes. */
struct failure *failure_add(struct failure_list *l, int step, const char *step_name, const char *req);

/* Appends a failure at site: with its request, the curl line, the target,
 * and the answer res unless it is NULL. */
struct failure *failure_at(struct failure_list *l, const struct failure_site *at, const char *req,
                           const struct http_response *res);

/* Appends a line to f's message (printf format), made printable: messages
 * quote the target. */
void failure_msg(struct failure *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends each difference of d to f, as a message line and into f->diffs. */
void failure_diffs(struct failure *f, const struct matcher_diffs *d);

/* Frees the failures from index n on; the list keeps the first n. */
void failure_list_truncate(struct failure_list *l, size_t n);

/* Moves the last failure to index to, the ones from to on one later. */
void failure_list_move_last(struct failure_list *l, size_t to);

/* Frees every failure and the array; l may be NULL. */
void failure_list_clear(struct failure_list *l);

#endif
