/* mem.h: the runner's one allocation policy: running out of memory aborts.
 *
 * Every allocation of conformance/ goes through these wrappers (cJSON's too:
 * main installs them as its hooks). None returns NULL: when the system has no
 * memory left, or a size overflows, they print "conformance: out of memory
 * (N bytes)" on stderr and call abort(). A run that cannot allocate cannot
 * report truthfully, so no caller carries a recovery path of its own.
 */
#ifndef AFI_CONFORMANCE_MEM_H
#define AFI_CONFORMANCE_MEM_H

#include <stddef.h>

/* n bytes (n may be 0), uninitialized; caller frees with free(). */
void *mem_alloc(size_t n);

/* n elements of size bytes, zeroed; caller frees. */
void *mem_calloc(size_t n, size_t size);

/* p (NULL or from these functions) resized to n bytes; caller frees the result. */
void *mem_realloc(void *p, size_t n);

/* p resized to n elements of size bytes; aborts when n * size overflows. */
void *mem_array(void *p, size_t n, size_t size);

/* p, an array of *cap elements of size bytes, resized to hold at least
 * n + 1 elements: *cap doubles (from 8) as needed. The growth of every
 * append-one-at-a-time array. */
void *mem_grow(void *p, size_t *cap, size_t n, size_t size);

/* A copy of s (s not NULL); caller frees. */
char *mem_strdup(const char *s);

/* A copy of at most n bytes of s, NUL-terminated; caller frees. */
char *mem_strndup(const char *s, size_t n);

/* Prints the message for a failed allocation of n bytes and aborts. */
_Noreturn void mem_fail(size_t n);

#endif
