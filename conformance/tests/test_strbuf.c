/* Tests of the one growable string. */
#include <criterion/criterion.h>
#include <string.h>

#include "strbuf.h"

Test(strbuf, empty_buffer_is_null_until_written_and_takes_as_empty_string)
{
    struct strbuf b;
    strbuf_init(&b);
    cr_assert_null(b.data);
    cr_assert_str_eq(strbuf_str(&b), "");
    strbuf_puts(&b, NULL);
    cr_assert_null(b.data, "NULL appends nothing");
    char *s = strbuf_take(&b);
    cr_assert_str_eq(s, "");
    cr_assert_null(b.data);
    cr_assert_eq(b.len, 0);
    free(s);
    strbuf_free(NULL);
    strbuf_free(&b);
}

Test(strbuf, appends_grow_and_stay_terminated)
{
    struct strbuf b = {0};
    for (int i = 0; i < 1000; i++)
        strbuf_printf(&b, "%04d", i);
    cr_assert_eq(b.len, 4000);
    cr_assert_eq(strlen(b.data), 4000);
    cr_assert_eq(strncmp(b.data + 3996, "0999", 4), 0);
    strbuf_free(&b);
    cr_assert_null(b.data);
    strbuf_putc(&b, 'a');
    strbuf_putn(&b, "b\0c", 3);
    strbuf_puts(&b, "d");
    cr_assert_eq(b.len, 5);
    cr_assert_eq(memcmp(b.data, "ab\0cd", 6), 0, "putn keeps NUL bytes; the buffer stays terminated");
    strbuf_free(&b);
}

Test(strbuf, room_and_grew_write_in_place)
{
    struct strbuf b = {0};
    strbuf_puts(&b, "x=");
    char *p = strbuf_room(&b, 3);
    memcpy(p, "abc", 3);
    strbuf_grew(&b, 3);
    cr_assert_str_eq(b.data, "x=abc");
    char *s = strbuf_take(&b);
    cr_assert_str_eq(s, "x=abc");
    free(s);
}
