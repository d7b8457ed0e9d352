/* The connection gate: owns every client connection for its whole life and
 * frames every request on it (frame.c) before libmicrohttpd sees a byte
 * (ROB-1, ENV-1).
 *
 * Why: libmicrohttpd 0.9.75 answers malformed HTTP (a bad Content-Length, a
 * header line without a colon, an oversized header section, HTTP/1.1 without
 * Host) with its own HTML pages, which no option can replace, and accepts
 * some malformations (Content-Length with Transfer-Encoding, a bare LF in
 * chunked framing) that let two parsers disagree about where a request ends.
 * Checking only the first request of a connection and then handing the
 * socket over leaves every later request of a kept-alive connection to it.
 *
 * Design: each client connection is paired with one end of a Unix socket
 * pair whose other end is given to libmicrohttpd (MHD_add_connection). The
 * gate relays bytes both ways. Each gate thread drives a daemon of its own
 * (external polling: its epoll fd is in the thread's epoll set, and the
 * thread calls MHD_run), so a request is framed, handled and its answer
 * relayed in one thread, mostly in one turn of its loop: no thread is woken
 * twice per request, as a relay to libmicrohttpd's own threads needed. A
 * new connection goes to the thread serving the fewest (the accepting one
 * among equals): a handler may block its thread on the store, so connections
 * that share a thread wait for each other. Client to server the gate passes
 * on only requests whose head and body framing it has checked, so
 * libmicrohttpd only ever parses well-formed requests; server to client it
 * follows the answers' framing, so that it knows when every request passed
 * on has been answered. A malformed request is answered by the gate with
 * the 400 envelope after the answers to every earlier request, in order, and
 * the connection is closed. Pipelining and keep-alive are libmicrohttpd's,
 * unchanged.
 *
 * Bounds: a request that has started must arrive in full with no gap longer
 * than GATE_STALL_SECONDS (else 400 and close); an idle connection is closed
 * after GATE_IDLE_SECONDS; after its last answer a closing connection's
 * remaining input is read and dropped for GATE_LINGER_SECONDS at most, so that
 * the close does not reset the answer away.
 *
 * Oversized bodies (CALL-3, ROB-1's SHOULD that a connection serves the next
 * request after a 413): a body announced over DISPATCH_MAX_BODY and at most
 * GATE_DISCARD_MAX bytes is withheld. libmicrohttpd gets the head without its
 * Content-Length and with FRAME_WITHHELD_HEADER: <the length> instead, so it
 * answers at once (413, or what CALL-4 puts before it) a request it sees as
 * complete and keeps the connection, while the gate reads and drops the body
 * within the stall bound. A larger body, or one announced with Expect (the
 * client may wait for a 100 Continue that will not come), is passed on as it
 * is: libmicrohttpd answers 413 at once and closes, and the body is never
 * read beyond the linger. A client's own FRAME_WITHHELD_HEADER is dropped. */
#ifndef AFI_GATE_H
#define AFI_GATE_H

#include <stddef.h>
#include <sys/socket.h>

#include "frame.h"

#define GATE_STALL_SECONDS 10
#define GATE_IDLE_SECONDS 60
#define GATE_LINGER_SECONDS 2
#define GATE_DISCARD_MAX (4ull * 1024 * 1024)
#define GATE_MAX_LOOPS 64

struct MHD_Daemon;
struct gate;

/* Starts `loops` gate threads (1 to GATE_MAX_LOOPS) on listen_fd (a
 * listening socket the gate takes over and closes; it may be -1 for a gate
 * fed only by gate_add). Thread i drives daemons[i], started by the caller
 * with MHD_USE_EPOLL and no internal thread (and MHD_ALLOW_SUSPEND_RESUME
 * for a connection to be resumed from another thread); the caller stops the
 * daemons after gate_stop. Returns NULL with err filled on failure. */
struct gate *gate_start(int listen_fd, struct MHD_Daemon *const *daemons, unsigned loops, char *err,
			size_t errlen);

/* Takes over a connected stream socket fd (closed by the gate in every
 * case) as if it had just been accepted from addr. Returns 0, or -1 when it
 * could not be taken (fd is closed then too). */
int gate_add(struct gate *g, int fd, const struct sockaddr *addr, socklen_t addrlen);

/* Stops accepting, closes every connection still open, frees g. Accepts
 * NULL. */
void gate_stop(struct gate *g);

#endif
