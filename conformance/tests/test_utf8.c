/* Tests of the one UTF-8 decoder and encoder. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

static size_t seq(const char *s, size_t avail, unsigned *cp)
{
    return utf8_seq((const unsigned char *)s, avail, cp);
}

Test(utf8, valid_sequences_decode)
{
    unsigned cp;
    cr_assert_eq(seq("A", 1, &cp), 1);
    cr_assert_eq(cp, 'A');
    cr_assert_eq(seq("\xC3\xA9", 2, &cp), 2);
    cr_assert_eq(cp, 0xE9);
    cr_assert_eq(seq("\xE2\x82\xAC", 3, &cp), 3);
    cr_assert_eq(cp, 0x20AC);
    cr_assert_eq(seq("\xF0\x9F\x98\x80", 4, &cp), 4);
    cr_assert_eq(cp, 0x1F600);
    cr_assert_eq(seq("\xF4\x8F\xBF\xBF", 4, &cp), 4);
    cr_assert_eq(cp, 0x10FFFF);
}

Test(utf8, invalid_sequences_are_refused)
{
    cr_assert_eq(seq("\xC0\xAF", 2, NULL), 0, "overlong");
    cr_assert_eq(seq("\xE0\x80\xAF", 3, NULL), 0, "overlong");
    cr_assert_eq(seq("\xED\xA0\x80", 3, NULL), 0, "surrogate");
    cr_assert_eq(seq("\xF4\x90\x80\x80", 4, NULL), 0, "above U+10FFFF");
    cr_assert_eq(seq("\xF5\x80\x80\x80", 4, NULL), 0, "no such lead byte");
    cr_assert_eq(seq("\x80", 1, NULL), 0, "a lone continuation byte");
    cr_assert_eq(seq("\xC3\xA9", 1, NULL), 0, "cut short by avail");
    cr_assert_eq(seq("\xE2\x82", SIZE_MAX, NULL), 0, "cut short by the NUL");
}

Test(utf8, next_replaces_one_invalid_byte_at_a_time)
{
    const char *s = "a\xC3\xA9\xFF\xE2\x82z", *p = s;
    unsigned want[] = {'a', 0xE9, 0xFFFD, 0xFFFD, 0xFFFD, 'z'};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++)
        cr_assert_eq(utf8_next(&p), want[i], "character %zu", i);
    cr_assert_eq(*p, '\0');
}

Test(utf8, put_round_trips_and_count_counts_code_points)
{
    unsigned cps[] = {0x24, 0xA2, 0x20AC, 0x10348, 0xFFFD};
    for (size_t i = 0; i < sizeof cps / sizeof *cps; i++) {
        char out[5] = {0};
        unsigned back;
        size_t n = utf8_put(out, cps[i]);
        cr_assert_eq(n, (size_t)(i < 4 ? i + 1 : 3));
        cr_assert_eq(seq(out, n, &back), n);
        cr_assert_eq(back, cps[i]);
    }
    cr_assert_eq(utf8_count("a\xC3\xA9\xF0\x9F\x98\x80"), 3);
    cr_assert_eq(utf8_count(""), 0);
}
