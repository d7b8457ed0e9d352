/* raw.h: the raw-socket HTTP/1.1 client of the raw step (docs/fixtures.md,
 * "Raw steps"): exact bytes on one connection, sent in chunks with pauses,
 * and the answers read back in order, all within one deadline. No libcurl:
 * nothing is added to, fixed in or reordered among the bytes sent. */
#ifndef AFI_CONFORMANCE_RAW_H
#define AFI_CONFORMANCE_RAW_H

#include <stddef.h>

#include "http.h"

/* One write: pause_ms milliseconds after the previous one ended (or the
 * connection opened), len bytes of data (borrowed). */
struct raw_chunk {
    const char *data;
    size_t len;
    long pause_ms;
};

/* What came back on the connection; owned by the struct (raw_exchange_clear). */
struct raw_exchange {
    struct http_response *res; /* the complete answers, in order (1xx interim answers left out) */
    size_t n;
    int closed;                /* the target closed the connection (or reset it) */
    int timed_out;             /* the deadline passed before the exchange was over */
    size_t extra;              /* bytes received after the last answer, not a complete answer */
    char error[256];           /* why reading stopped early: an unparsable or cut answer, a
                                  socket error; "" otherwise */
};

/* Parses one answer at the start of buf[0..len) into *res (zeroed): status
 * line, headers (names lower-cased) and the body framed by Transfer-Encoding:
 * chunked, Content-Length or, without either, the end of the connection (eof:
 * the connection is closed, buf is all there will be). An answer to a HEAD
 * request cannot be told from its headers, so HEAD is not supported. Returns 1
 * with *used set to the bytes it took, 0 when more bytes are needed (res
 * untouched), or -1 with a message in err (res untouched). */
int raw_parse(const char *buf, size_t len, int eof, struct http_response *res, size_t *used, char *err,
              size_t errlen);

/* Connects a TCP socket to host:port. Returns the descriptor, or -1 with a
 * message in err. */
int raw_connect(const char *host, const char *port, char *err, size_t errlen);

/* On connected socket fd (which it leaves open): sends the chunks in order,
 * each after its pause, while reading answers into *x (zeroed), and stops
 * when `want` answers are read and every chunk is sent, or the target closed
 * the connection, or within_ms have passed since the call. With wait_close
 * it then goes on reading until the target closes (or the deadline); with
 * linger_ms > 0 it waits that long for the target to close or send more
 * (both within the deadline). A target that stops reading does not block it:
 * the socket is non-blocking, and a failed send only ends the sending. */
void raw_run(int fd, const struct raw_chunk *chunks, size_t nchunks, size_t want, long within_ms,
             int wait_close, long linger_ms, struct raw_exchange *x);

/* Frees what x holds and zeroes it; x may be NULL. */
void raw_exchange_clear(struct raw_exchange *x);

#endif
