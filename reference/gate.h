/* The connection gate: accepts every new connection and checks the head of
 * its first request before libmicrohttpd sees it (ROB-1, ENV-1).
 *
 * Why: libmicrohttpd 0.9.75 answers malformed HTTP (a bad Content-Length, a
 * header line without a colon, an oversized header section, HTTP/1.1 without
 * Host) with its own HTML pages, which no option can replace. The gate
 * answers those with the error envelope instead, and hands every well-formed
 * connection to libmicrohttpd untouched (MHD_add_connection).
 *
 * Limit: only the first request of a connection passes the gate; a later
 * malformed request on a kept-alive connection still gets libmicrohttpd's own
 * answer, as do errors in the part of a chunked body that had not arrived
 * when the head was checked. */
#ifndef AFI_GATE_H
#define AFI_GATE_H

#include <stddef.h>

struct MHD_Daemon;
struct gate;

/* The largest header section the gate lets through; libmicrohttpd's
 * per-connection memory must hold it (see server.c). */
#define GATE_MAX_HEAD (32 * 1024)

/* Starts the gate thread on listen_fd (a listening socket the gate takes
 * over and closes) for daemon. Returns NULL with err filled on failure. */
struct gate *gate_start(int listen_fd, struct MHD_Daemon *daemon, char *err, size_t errlen);

/* Stops accepting, closes connections still waiting at the gate, frees g.
 * Accepts NULL. */
void gate_stop(struct gate *g);

/* Checks one request head (request line and header lines, up to and
 * including the empty line) as the gate does. Returns 0 when libmicrohttpd
 * can take it (*chunked, when not NULL, says whether the body is chunked),
 * or -1 with a message for a person in why. */
int gate_check_head(const char *head, size_t len, int *chunked, char *why, size_t whylen);

/* Checks the chunked framing of the body bytes that have arrived
 * (body[0..len), possibly incomplete). Returns -1 when what is there is
 * already malformed, 0 otherwise. */
int gate_check_chunks(const char *body, size_t len);

#endif
