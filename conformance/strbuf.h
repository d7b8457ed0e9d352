/* strbuf.h: the one growable string of the runner (reports, messages, curl lines, JSON text).
 *
 * A struct strbuf zeroed (or after strbuf_init) is the empty string with
 * data NULL; data stays NULL until something is appended, so code that
 * treats NULL as "" reads it as is. Otherwise data is NUL-terminated and
 * len excludes the NUL. Memory follows mem.h: out of memory aborts.
 */
#ifndef AFI_CONFORMANCE_STRBUF_H
#define AFI_CONFORMANCE_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *data; /* owned; NULL while empty */
    size_t len, cap;
};

void strbuf_init(struct strbuf *b);
/* Frees the contents (not b itself) and leaves b empty; b may be NULL. */
void strbuf_free(struct strbuf *b);
/* The string, never NULL (an empty buffer gives a new ""); the caller frees
 * it and b is left empty. */
char *strbuf_take(struct strbuf *b);
/* The string, "" while empty; borrowed until the next change of b. */
const char *strbuf_str(const struct strbuf *b);

void strbuf_putn(struct strbuf *b, const char *s, size_t n);
/* s NULL appends nothing. */
void strbuf_puts(struct strbuf *b, const char *s);
void strbuf_putc(struct strbuf *b, char c);
void strbuf_printf(struct strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void strbuf_vprintf(struct strbuf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Makes room for n more bytes and returns where they go; the caller writes
 * them and then calls strbuf_grew(b, n). */
char *strbuf_room(struct strbuf *b, size_t n);
void strbuf_grew(struct strbuf *b, size_t n);

#endif
