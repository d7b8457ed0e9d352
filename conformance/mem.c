/* mem.c: allocation that aborts with a message instead of returning NULL (see mem.h). */
#include "mem.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Noreturn void mem_fail(size_t n)
{
    fprintf(stderr, "conformance: out of memory (%zu bytes)\n", n);
    abort();
}

/* Sizes above PTRDIFF_MAX are refused here, before malloc sees them: no
 * object may be that large, and a sanitizer's allocator would not return. */
void *mem_alloc(size_t n)
{
    void *p = n <= PTRDIFF_MAX ? malloc(n ? n : 1) : NULL;
    if (!p)
        mem_fail(n);
    return p;
}

void *mem_calloc(size_t n, size_t size)
{
    if (size && n > PTRDIFF_MAX / size)
        mem_fail(SIZE_MAX);
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        mem_fail(n * size);
    return p;
}

void *mem_realloc(void *p, size_t n)
{
    void *q = n <= PTRDIFF_MAX ? realloc(p, n ? n : 1) : NULL;
    if (!q)
        mem_fail(n);
    return q;
}

void *mem_array(void *p, size_t n, size_t size)
{
    if (size && n > PTRDIFF_MAX / size)
        mem_fail(SIZE_MAX);
    return mem_realloc(p, n * size);
}

void *mem_grow(void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    size_t c = *cap ? *cap : 8;
    while (c <= n) {
        if (c > SIZE_MAX / 2)
            mem_fail(SIZE_MAX);
        c *= 2;
    }
    p = mem_array(p, c, size);
    *cap = c;
    return p;
}

char *mem_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    return memcpy(mem_alloc(n), s, n);
}

char *mem_strndup(const char *s, size_t n)
{
    size_t l = strnlen(s, n);
    char *d = mem_alloc(l + 1);
    memcpy(d, s, l);
    d[l] = '\0';
    return d;
}
