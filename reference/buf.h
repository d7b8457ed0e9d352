/* Growable byte buffer used to build response bodies without repeated copying.
 *
 * Contract: a zeroed struct buf is an empty buffer. Appending never fails
 * loudly: on allocation failure the buffer sets oom and ignores further
 * appends, so callers check once at the end (buf_take returns NULL). */
#ifndef AFI_BUF_H
#define AFI_BUF_H

#include <stddef.h>

struct buf {
	char *data;	/* NUL-terminated when len > 0 and !oom */
	size_t len;
	size_t cap;
	int oom;
};

void buf_put(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the bytes to the caller (who frees them with free()) and empties b.
 * Returns NULL after an allocation failure; *len (may be NULL) gets the length. */
char *buf_take(struct buf *b, size_t *len);
/* Releases the bytes; accepts a zeroed or NULL buffer. */
void buf_free(struct buf *b);

#endif
