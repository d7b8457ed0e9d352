/* Tests of the escaping that keeps a hostile target's bytes off the terminal. */
#include <criterion/criterion.h>
#include <string.h>

#include "jsonx.h"
#include "text.h"

Test(text, control_characters_become_visible)
{
    static const char in[] = "bell\x07 esc\x1b[31m tab\tnl\n del\x7f c1\xC2\x9B nul\0x";
    char *t = text_clean(in, sizeof in - 1);
    cr_assert_str_eq(t, "bell\\u0007 esc\\u001b[31m tab\tnl\n del\\u007f c1\\u009b nul\\u0000x");
    free(t);
}

Test(text, invalid_utf8_becomes_replacement)
{
    char *t = text_clean_str("a\xff\xfe b \xC3\xA9 \xED\xA0\x80 \xC0\x80");
    cr_assert_str_eq(t, "a\xEF\xBF\xBD\xEF\xBF\xBD b \xC3\xA9 \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD \\u0000");
    free(t);
    char *e = text_clean_str(NULL);
    cr_assert_str_eq(e, "");
    free(e);
}

Test(text, json_text_of_raw_bytes_is_valid_utf8)
{
    cJSON *s = jsonx_string_from_bytes("x\xff\x01y", 4);
    char *p = jsonx_print(s);
    cr_assert_str_eq(p, "\"x\xEF\xBF\xBD\\u0001y\"");
    free(p);
    cJSON_Delete(s);
}
