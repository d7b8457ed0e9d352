/* Tests of the one allocation policy: nothing returns NULL, impossible sizes abort. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "mem.h"

Test(mem, allocations_are_usable_and_zero_bytes_is_not_null)
{
    char *p = mem_alloc(0);
    cr_assert_not_null(p);
    free(p);
    int *z = mem_calloc(16, sizeof *z);
    for (int i = 0; i < 16; i++)
        cr_assert_eq(z[i], 0);
    z = mem_array(z, 1000, sizeof *z);
    z[999] = 7;
    cr_assert_eq(z[0], 0, "growing keeps the contents");
    free(z);
}

Test(mem, strdup_and_strndup_copy)
{
    char *a = mem_strdup("hello"), *b = mem_strndup("hello", 3), *c = mem_strndup("hi", 10);
    cr_assert_str_eq(a, "hello");
    cr_assert_str_eq(b, "hel");
    cr_assert_str_eq(c, "hi");
    free(a);
    free(b);
    free(c);
}

Test(mem, an_impossible_size_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    volatile size_t huge = SIZE_MAX;
    char *p = mem_alloc(huge);
    p[0] = 1; /* not reached */
}

Test(mem, an_overflowing_array_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    volatile size_t n = SIZE_MAX / 4 + 1;
    int *p = mem_array(NULL, n, sizeof *p);
    p[0] = 1; /* not reached */
}

Test(mem, an_overflowing_calloc_aborts, .signal = SIGABRT, .init = cr_redirect_stderr)
{
    volatile size_t n = SIZE_MAX / 2;
    char *p = mem_calloc(n, 4);
    p[0] = 1; /* not reached */
}

Test(mem, grow_doubles_and_keeps_what_was_there)
{
    size_t cap = 0;
    int *v = NULL;
    for (size_t n = 0; n < 100; n++) {
        v = mem_grow(v, &cap, n, sizeof *v);
        cr_assert_gt(cap, n);
        v[n] = (int)n;
    }
    cr_assert_eq(cap, 128);
    for (int i = 0; i < 100; i++)
        cr_assert_eq(v[i], i);
    free(v);
}
